//! Twilio Verify `/v2/Attempts`: one attempt per record. `conversion_status` says whether the
//! code was verified; `price` is an object with a positive value; the destination, country and
//! network are in `channel_data`.

use crate::ingest::json_value::Json;
use crate::ingest::record::{Draft, Parsed, Skip, cost_field, ts_field};
use crate::ingest::value::text;
use crate::schema::Status;
use crate::status;

pub fn converted(conversion_status: Option<&str>) -> Option<bool> {
    match conversion_status?.trim().to_ascii_lowercase().as_str() {
        "converted" => Some(true),
        "unconverted" => Some(false),
        _ => None,
    }
}

pub fn parse<'a, J: Json<'a>>(v: J) -> Parsed {
    if v.get("channel_data").is_none() && v.get("conversion_status").is_none() {
        return Err(Skip::new("record is not a Verify attempt"));
    }
    if let Some(ch) = text(v, "channel").filter(|c| !c.eq_ignore_ascii_case("sms")) {
        return Err(Skip::field("channel", "is not sms").with_value(&ch));
    }
    let destination = text(v, "channel_data.to").ok_or_else(|| Skip::missing("channel_data.to"))?;
    let error_code = text(v, "channel_data.error_code");
    let message_status = text(v, "channel_data.message_status");
    let price = match v.get("price") {
        Some(p) if p.is_object() => text(v, "price.value"),
        _ => text(v, "price"),
    };
    let currency = text(v, "price.currency").or_else(|| text(v, "price_unit"));
    Ok(Draft {
        message_id: text(v, "sid"),
        ts: ts_field("date_created", text(v, "date_created").as_deref())?,
        status_ts: ts_field("date_updated", text(v, "date_updated").as_deref())?,
        account: text(v, "account_sid"),
        sender: text(v, "service_sid"),
        destination,
        country_hint: text(v, "channel_data.country"),
        status: message_status.as_deref().map(|s| status::twilio(s, error_code.as_deref())).unwrap_or(Status::Unknown),
        status_raw: message_status,
        error_code,
        cost: cost_field("price", price.as_deref())?,
        currency,
        mcc: text(v, "channel_data.mcc"),
        mnc: text(v, "channel_data.mnc"),
        carrier: text(v, "channel_data.carrier"),
        converted: converted(text(v, "conversion_status").as_deref()),
        ..Draft::default()
    })
}
