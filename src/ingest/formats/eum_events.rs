//! AWS End User Messaging SMS (pinpoint-sms-voice-v2) events. Several events per message fold
//! into its final state in the store (by rank of status, then event time). Cost is the message
//! price plus the carrier fee. Envelopes (SNS Notification, EventBridge `detail`, CloudWatch
//! Logs) are removed before this parser sees a record.

use crate::ingest::json_value::Json;
use crate::ingest::record::{Draft, Parsed, Skip, cost_number, epoch_field, segments_field};
use crate::ingest::value::{number, text};
use crate::schema::SmsType;
use crate::status;

pub fn parse<'a, J: Json<'a>>(v: J) -> Parsed {
    let Some(event_type) = text(v, "eventType") else {
        return Err(Skip::new("record is not an End User Messaging event"));
    };
    if !event_type.to_ascii_uppercase().starts_with("TEXT_") {
        return Err(Skip::field("eventType", "is not an SMS event").with_value(&event_type));
    }
    let destination = text(v, "destinationPhoneNumber").ok_or_else(|| Skip::missing("destinationPhoneNumber"))?;
    let num = |p: &str| number(v, p).map_err(|_| Skip::field(p, "is not a number"));
    let event_ts = epoch_field("eventTimestamp", num("eventTimestamp")?)?;
    let request_ts = epoch_field("messageRequestTimestamp", num("messageRequestTimestamp")?)?;
    let price = cost_number("totalMessagePrice", num("totalMessagePrice")?)?;
    let fee = cost_number("totalCarrierFee", num("totalCarrierFee")?)?;
    let code = text(v, "messageStatus").unwrap_or_else(|| event_type.clone());
    let mut status = status::aws_code(&code);
    if status == crate::schema::Status::Unknown {
        status = status::aws_code(&event_type);
    }
    let converted = text(v, "messageFeedbackStatus").and_then(|f| match f.to_ascii_uppercase().as_str() {
        "RECEIVED" => Some(true),
        "FAILED" => Some(false),
        _ => None,
    });
    Ok(Draft {
        message_id: text(v, "messageId"),
        ts: request_ts.or(event_ts),
        status_ts: event_ts,
        account: text(v, "accountId"),
        sender: text(v, "originationPhoneNumber"),
        destination,
        country_hint: text(v, "isoCountryCode"),
        status,
        status_raw: Some(event_type),
        error_code: None,
        segments: segments_field("totalMessageParts", text(v, "totalMessageParts").as_deref())?,
        cost: match (price, fee) {
            (None, None) => None,
            (p, f) => Some(p.unwrap_or(0.0) + f.unwrap_or(0.0)),
        },
        currency: Some("USD".into()),
        sms_type: text(v, "messageType").as_deref().and_then(SmsType::parse),
        mcc: text(v, "mcc"),
        mnc: text(v, "mnc"),
        carrier: text(v, "carrierName"),
        converted,
        ..Draft::default()
    })
}
