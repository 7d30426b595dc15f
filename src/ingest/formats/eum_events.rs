//! AWS End User Messaging SMS (pinpoint-sms-voice-v2) events. Several events per message fold
//! into its final state in the store (by rank of status, then event time). Cost is the message
//! price plus the carrier fee. Envelopes (SNS Notification, EventBridge `detail`, CloudWatch
//! Logs) are removed before this parser sees a record.

use crate::ingest::json_value::Json;
use crate::ingest::record::{Draft, Parsed, Skip, cost_number, epoch_field, segments_field};
use crate::ingest::value::{number, text, text_ref};
use crate::schema::SmsType;
use crate::status;

pub fn parse<'a, J: Json<'a>>(v: J) -> Parsed {
    // Fields only looked at are read in place (`text_ref`), not copied.
    let Some(event_type) = text_ref(v, "eventType") else {
        return Err(Skip::new("record is not an End User Messaging event"));
    };
    if !event_type.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("TEXT_")) {
        return Err(Skip::field("eventType", "is not an SMS event").with_value(&event_type));
    }
    let destination = text(v, "destinationPhoneNumber").ok_or_else(|| Skip::missing("destinationPhoneNumber"))?;
    let num = |p: &str| number(v, p).map_err(|_| Skip::field(p, "is not a number"));
    let event_ts = epoch_field("eventTimestamp", num("eventTimestamp")?)?;
    let request_ts = epoch_field("messageRequestTimestamp", num("messageRequestTimestamp")?)?;
    let price = cost_number("totalMessagePrice", num("totalMessagePrice")?)?;
    let fee = cost_number("totalCarrierFee", num("totalCarrierFee")?)?;
    let code = text_ref(v, "messageStatus").unwrap_or_else(|| event_type.clone());
    let mut status = status::aws_code(&code);
    if status == crate::schema::Status::Unknown {
        status = status::aws_code(&event_type);
    }
    // The raw status is the event type, unless only `messageStatus` names a provider defence
    // (`PROTECT_BLOCKED`, `MAX_PRICE_EXCEEDED`): what marks the row as one is its raw status.
    // Only a blocked record is looked at: the test lowers a copy of each text, once a record.
    let defence = |s: &str| crate::detect::provider_blocks::is_block_text(s);
    let blocked = status == crate::schema::Status::Blocked;
    let status_raw = if blocked && defence(&code) && !defence(&event_type) { code } else { event_type };
    let converted = text_ref(v, "messageFeedbackStatus").and_then(|f| match f {
        f if f.eq_ignore_ascii_case("RECEIVED") => Some(true),
        f if f.eq_ignore_ascii_case("FAILED") => Some(false),
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
        status_raw: Some(status_raw.into_owned()),
        error_code: None,
        segments: segments_field("totalMessageParts", text_ref(v, "totalMessageParts").as_deref())?,
        cost: match (price, fee) {
            (None, None) => None,
            (p, f) => Some(p.unwrap_or(0.0) + f.unwrap_or(0.0)),
        },
        currency: Some("USD".into()),
        sms_type: text_ref(v, "messageType").as_deref().and_then(SmsType::parse),
        mcc: text(v, "mcc"),
        mnc: text(v, "mnc"),
        carrier: text(v, "carrierName"),
        converted,
        ..Draft::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Status;

    fn event(event_type: &str, message_status: &str) -> Draft {
        let v: serde_json::Value = serde_json::from_str(&format!(
            r#"{{"eventType":"{event_type}","messageStatus":"{message_status}","destinationPhoneNumber":"+447400100200","eventTimestamp":1700000000000,"messageRequestTimestamp":1700000000000,"totalMessagePrice":0.05,"totalCarrierFee":0}}"#
        ))
        .expect("json");
        parse(&v).expect("parses")
    }

    #[test]
    fn a_defence_named_only_by_the_message_status_is_the_raw_status() {
        let d = event("TEXT_BLOCKED", "PROTECT_BLOCKED");
        assert_eq!((d.status, d.status_raw.as_deref()), (Status::Blocked, Some("PROTECT_BLOCKED")));
        // Otherwise the event type, as always: a carrier's block stays a carrier's.
        let d = event("TEXT_BLOCKED", "BLOCKED");
        assert_eq!((d.status, d.status_raw.as_deref()), (Status::Blocked, Some("TEXT_BLOCKED")));
        let d = event("TEXT_PROTECT_BLOCKED", "PROTECT_BLOCKED");
        assert_eq!(d.status_raw.as_deref(), Some("TEXT_PROTECT_BLOCKED"));
        let d = event("TEXT_DELIVERED", "DELIVERED");
        assert_eq!((d.status, d.status_raw.as_deref()), (Status::Delivered, Some("TEXT_DELIVERED")));
    }
}
