//! Twilio Event Streams CloudEvents: Messaging status events (`com.twilio.messaging.message.*`,
//! keyed by `messageSid`), Verify message status events (`...verify.message.*` and the older
//! `...verify.attempt-dlr.*`, keyed by `attempt_sid`) and Verify verification events
//! (`...verify.verification.*`, expanded to their attempts). Events carry no price: they fold
//! into the same message read from a Messages or Attempts export.

use super::twilio_verify_verifications as verifications;
use crate::ingest::json_value::Json;
use crate::ingest::record::{Draft, Parsed, Skip, segments_field, ts_field};
use crate::ingest::value::text;
use crate::status;

pub fn parse<'a, J: Json<'a>>(v: J) -> Vec<Parsed> {
    let Some(kind) = text(v, "type") else {
        return vec![Err(Skip::missing("type"))];
    };
    let Some(data) = v.get("data").filter(|d| d.is_object()) else {
        return vec![Err(Skip::missing("data"))];
    };
    let one = |r: Parsed| vec![r];
    if kind.starts_with("com.twilio.messaging.message.") {
        one(messaging(data, &kind))
    } else if kind.starts_with("com.twilio.accountsecurity.verify.message.")
        || kind.starts_with("com.twilio.accountsecurity.verify.attempt-dlr.")
    {
        one(verify_message(data))
    } else if let Some(suffix) = kind.strip_prefix("com.twilio.accountsecurity.verify.verification.") {
        let status = text(data, "verification_status").or_else(|| Some(suffix.to_string()));
        let attempts = data.get("send_code_attempts").and_then(|s| s.get("attempts").or(Some(s)));
        verifications::expand(data, attempts, status)
    } else {
        one(Err(Skip::field("type", "is not an SMS status event").with_value(&kind)))
    }
}

fn messaging<'a, J: Json<'a>>(d: J, kind: &str) -> Parsed {
    let status_raw = text(d, "messageStatus").or_else(|| kind.rsplit('.').next().map(str::to_string));
    let error_code = text(d, "errorCode").filter(|e| e != "0");
    let ts = ts_field("data.timestamp", text(d, "timestamp").as_deref())?;
    Ok(Draft {
        message_id: Some(text(d, "messageSid").ok_or_else(|| Skip::missing("data.messageSid"))?),
        ts,
        status_ts: ts_field("data.dateUpdated", text(d, "dateUpdated").as_deref())?.or(ts),
        account: text(d, "accountSid"),
        sender: text(d, "from").or_else(|| text(d, "messagingServiceSid")),
        destination: text(d, "to").ok_or_else(|| Skip::missing("data.to"))?,
        status: status::twilio(status_raw.as_deref().unwrap_or(""), error_code.as_deref()),
        status_raw,
        error_code,
        segments: segments_field("data.numberOfSegments", text(d, "numberOfSegments").as_deref())?,
        body: text(d, "body"),
        ..Draft::default()
    })
}

fn verify_message<'a, J: Json<'a>>(d: J) -> Parsed {
    let status_raw = text(d, "message_status").or_else(|| text(d, "dlr_status"));
    let error_code = text(d, "error_code").filter(|e| e != "0");
    let ts = ts_field("data.created_at", text(d, "created_at").as_deref())?;
    Ok(Draft {
        message_id: Some(text(d, "attempt_sid").ok_or_else(|| Skip::missing("data.attempt_sid"))?),
        ts,
        status_ts: ts,
        account: text(d, "account_sid"),
        sender: text(d, "service_sid"),
        destination: text(d, "to").ok_or_else(|| Skip::missing("data.to"))?,
        status: status::twilio(status_raw.as_deref().unwrap_or(""), error_code.as_deref()),
        status_raw,
        error_code,
        segments: segments_field("data.number_segments", text(d, "number_segments").as_deref())?,
        mcc: text(d, "mcc"),
        mnc: text(d, "mnc"),
        ..Draft::default()
    })
}
