//! Twilio Verify Verification resources (and Verify verification events): one row per SMS send
//! attempt listed in `send_code_attempts`, keyed by the attempt sid so it folds into the same
//! attempt read from `/v2/Attempts`. `status` approved means converted; expired, canceled,
//! failed and max_attempts_reached mean not converted; pending says nothing yet.

use crate::ingest::json_value::Json;
use crate::ingest::record::{Draft, Parsed, Skip, ts_field};
use crate::ingest::value::text;

pub fn converted(status: Option<&str>) -> Option<bool> {
    match status?.trim().to_ascii_lowercase().replace('-', "_").as_str() {
        "approved" => Some(true),
        "expired" | "canceled" | "failed" | "max_attempts_reached" | "deleted" => Some(false),
        _ => None,
    }
}

/// Expand one verification into its SMS attempts. `attempts` is the array of attempts (the
/// resource's `send_code_attempts`, the event's `send_code_attempts.attempts`).
pub fn expand<'a, J: Json<'a>>(v: J, attempts: Option<J>, status: Option<String>) -> Vec<Parsed> {
    let Some(destination) = text(v, "to") else {
        return vec![Err(Skip::missing("to"))];
    };
    let list = match attempts.and_then(Json::items) {
        Some(a) if !a.is_empty() => a,
        _ => return vec![Err(Skip::new("verification lists no send attempt"))],
    };
    let conv = converted(status.as_deref());
    list.into_iter()
        .map(|a| {
            if let Some(ch) = text(a, "channel").filter(|c| !c.eq_ignore_ascii_case("sms")) {
                return Err(Skip::field("send_code_attempts.channel", "is not sms").with_value(&ch));
            }
            Ok(Draft {
                message_id: text(a, "attempt_sid"),
                ts: ts_field("send_code_attempts.time", text(a, "time").as_deref())?,
                account: text(v, "account_sid"),
                sender: text(v, "service_sid"),
                destination: destination.clone(),
                country_hint: text(v, "country"),
                error_code: text(a, "error_code"),
                converted: conv,
                ..Draft::default()
            })
        })
        .collect()
}

pub fn parse<'a, J: Json<'a>>(v: J) -> Vec<Parsed> {
    if !text(v, "sid").is_some_and(|s| s.starts_with("VE")) {
        return vec![Err(Skip::new("record is not a Verify verification"))];
    }
    if let Some(ch) = text(v, "channel").filter(|c| !c.eq_ignore_ascii_case("sms")) {
        return vec![Err(Skip::field("channel", "is not sms").with_value(&ch))];
    }
    expand(v, v.get("send_code_attempts"), text(v, "status"))
}
