//! AWS SNS SMS delivery-status log records (`DirectPublishToPhoneNumber[/Failure]`). Timestamps
//! like `2016-06-28 00:40:34.558` are UTC; `priceInUSD` is positive; mcc/mnc are numbers (0 when
//! unknown).

use crate::ingest::json_value::Json;
use crate::ingest::record::{Draft, Parsed, Skip, cost_number, segments_field, ts_field};
use crate::ingest::value::{number, text};
use crate::schema::SmsType;
use crate::status;

pub fn parse<'a, J: Json<'a>>(v: J) -> Parsed {
    if v.get("notification").is_none() || v.get("delivery").is_none() {
        return Err(Skip::new("record is not an SNS delivery log"));
    }
    let destination = text(v, "delivery.destination").ok_or_else(|| Skip::missing("delivery.destination"))?;
    let outcome = text(v, "status").or_else(|| text(v, "delivery.deliveryStatus"));
    let failure = outcome.as_deref().map(|s| s.eq_ignore_ascii_case("failure"));
    let response = text(v, "delivery.providerResponse");
    let status = match &response {
        Some(r) => status::aws_text(r, failure),
        None => status::aws_text(outcome.as_deref().unwrap_or(""), failure),
    };
    let price = number(v, "delivery.priceInUSD").map_err(|_| Skip::field("delivery.priceInUSD", "is not a price"))?;
    let nonzero = |p: &str| text(v, p).filter(|s| s != "0");
    let ts = ts_field("notification.timestamp", text(v, "notification.timestamp").as_deref())?;
    Ok(Draft {
        message_id: text(v, "notification.messageId"),
        ts,
        status_ts: ts,
        destination,
        status,
        status_raw: response.or(outcome),
        segments: segments_field("delivery.numberOfMessageParts", text(v, "delivery.numberOfMessageParts").as_deref())?,
        cost: cost_number("delivery.priceInUSD", price)?,
        currency: Some("USD".into()),
        sms_type: text(v, "delivery.smsType").as_deref().and_then(SmsType::parse),
        mcc: nonzero("delivery.mcc"),
        mnc: nonzero("delivery.mnc"),
        carrier: text(v, "delivery.phoneCarrier"),
        ..Draft::default()
    })
}
