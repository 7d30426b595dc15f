//! Amazon Pinpoint event-stream records `_SMS.*`. Price is in thousandths of a US cent
//! (`price_in_millicents_usd` 645.0 = $0.00645); `number_of_message_parts` is a string.

use crate::ingest::json_value::Json;
use crate::ingest::record::{Draft, Parsed, Skip, cost_number, epoch_field, segments_field};
use crate::ingest::value::{number, text};
use crate::schema::SmsType;
use crate::status;

pub fn parse<'a, J: Json<'a>>(v: J) -> Parsed {
    let Some(event_type) = text(v, "event_type") else {
        return Err(Skip::new("record is not a Pinpoint event"));
    };
    let kind = event_type.to_ascii_uppercase();
    if !kind.starts_with("_SMS.") {
        return Err(Skip::field("event_type", "is not an SMS event").with_value(&event_type));
    }
    if kind == "_SMS.RECEIVED" {
        return Err(Skip::new("inbound message (not a send)"));
    }
    let destination = text(v, "attributes.destination_phone_number").ok_or_else(|| Skip::missing("attributes.destination_phone_number"))?;
    let num = |p: &str| number(v, p).map_err(|_| Skip::field(p, "is not a number"));
    let ts = epoch_field("event_timestamp", num("event_timestamp")?)?;
    let millicents = cost_number("metrics.price_in_millicents_usd", num("metrics.price_in_millicents_usd")?)?;
    let record_status = text(v, "attributes.record_status");
    let mut status = status::aws_code(record_status.as_deref().unwrap_or(""));
    if status == crate::schema::Status::Unknown {
        status = status::aws_code(kind.trim_start_matches("_SMS."));
    }
    Ok(Draft {
        message_id: text(v, "attributes.message_id"),
        ts,
        status_ts: ts,
        account: text(v, "awsAccountId").or_else(|| text(v, "client.client_id")),
        sender: text(v, "attributes.origination_phone_number"),
        destination,
        country_hint: text(v, "attributes.iso_country_code"),
        status,
        status_raw: record_status.or(Some(event_type)),
        segments: segments_field("attributes.number_of_message_parts", text(v, "attributes.number_of_message_parts").as_deref())?,
        cost: millicents.map(|m| m / 100_000.0),
        currency: millicents.map(|_| "USD".into()),
        sms_type: text(v, "attributes.message_type").as_deref().and_then(SmsType::parse),
        ..Draft::default()
    })
}
