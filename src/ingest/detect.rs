//! Format detection from content: the CSV header row, or the keys of the first JSON record
//! (looking through CloudWatch Logs, SNS Notification and EventBridge envelopes).

use super::csv_reader::sniff_header;
use super::format::InputFormat;
use super::formats::{sns_usage_report, twilio_console_csv};
use serde_json::Value;

pub enum Detected {
    Empty,
    Format(InputFormat),
    Unknown(String),
    /// Recognised, but a kind of file that holds no messages (CloudTrail): no format reads it.
    NotMessages(String),
}

/// Strip a UTF-8 BOM and leading white space.
pub fn trim_head(head: &[u8]) -> &[u8] {
    let h = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = h.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(h.len());
    &h[start..]
}

pub fn detect(head: &[u8]) -> Detected {
    let h = trim_head(head);
    if h.is_empty() {
        return Detected::Empty;
    }
    if h[0] == b'{' || h[0] == b'[' {
        return detect_json(h);
    }
    let Some(header) = sniff_header(h) else {
        return Detected::Unknown("neither JSON nor a CSV header".into());
    };
    if sns_usage_report::matches(&header) {
        Detected::Format(InputFormat::SnsUsageReport)
    } else if twilio_console_csv::matches(&header) {
        Detected::Format(InputFormat::TwilioConsoleCsv)
    } else {
        Detected::Unknown(format!(
            "CSV header not recognised ({}); for app logs use --input-format generic-csv --map destination=COLUMN,...",
            header.describe()
        ))
    }
}

fn detect_json(h: &[u8]) -> Detected {
    let mut stream = serde_json::Deserializer::from_slice(h).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v)) => match classify(&v, 0) {
            Some(f) => Detected::Format(f),
            None if v.get("Records").is_some() => Detected::NotMessages(
                "a CloudTrail log: it records API calls, not the SMS sent (no destinations); export the SNS delivery-status logs, \
End User Messaging events or the Twilio message log instead (see `pumphound formats`)"
                    .into(),
            ),
            None => Detected::Unknown(format!("JSON keys not recognised ({})", keys(&v))),
        },
        Some(Err(e)) if e.is_eof() => sniff_keys(h),
        Some(Err(e)) => Detected::Unknown(format!("invalid JSON at line {} column {}: {e}", e.line(), e.column())),
        None => Detected::Empty,
    }
}

fn keys(v: &Value) -> String {
    let obj = match v {
        Value::Array(a) => a.first(),
        other => Some(other),
    };
    match obj.and_then(Value::as_object) {
        Some(o) => o.keys().take(8).cloned().collect::<Vec<_>>().join(", "),
        None => "no object".into(),
    }
}

fn embedded(s: &str, depth: u8) -> Option<InputFormat> {
    serde_json::from_str::<Value>(s).ok().and_then(|v| classify(&v, depth + 1))
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// The format of one parsed JSON value.
pub fn classify(v: &Value, depth: u8) -> Option<InputFormat> {
    if depth > 4 {
        return None;
    }
    if let Value::Array(items) = v {
        return items.iter().find_map(|i| classify(i, depth + 1));
    }
    let has = |k: &str| v.get(k).is_some_and(|x| !x.is_null());
    let arr = |k: &str| v.get(k).and_then(Value::as_array);
    if arr("messages").is_some() {
        return Some(InputFormat::TwilioMessagesJson);
    }
    if arr("attempts").is_some() {
        return Some(InputFormat::TwilioVerifyAttempts);
    }
    if arr("usage_records").is_some() {
        return Some(InputFormat::TwilioUsageRecords);
    }
    if arr("days").is_some() || arr("types").is_some() {
        return Some(InputFormat::TwilioMetadata);
    }
    for key in ["events", "logEvents"] {
        if let Some(events) = arr(key) {
            return events.iter().filter_map(|e| str_of(e, "message")).find_map(|m| embedded(m, depth));
        }
    }
    if str_of(v, "Type") == Some("Notification")
        && let Some(m) = str_of(v, "Message")
    {
        return embedded(m, depth);
    }
    if has("detail-type")
        && let Some(d) = v.get("detail")
    {
        return classify(d, depth + 1);
    }
    if has("specversion") || str_of(v, "type").is_some_and(|t| t.starts_with("com.twilio.")) {
        return Some(InputFormat::TwilioEventStreams);
    }
    if has("notification") && has("delivery") {
        return Some(InputFormat::SnsDeliveryLogs);
    }
    if has("eventType") && (has("destinationPhoneNumber") || v.get("messageId").is_some()) {
        return Some(InputFormat::EumEvents);
    }
    if str_of(v, "event_type").is_some_and(|t| t.to_ascii_uppercase().starts_with("_SMS")) {
        return Some(InputFormat::PinpointEvents);
    }
    if has("conversion_status") || has("channel_data") {
        return Some(InputFormat::TwilioVerifyAttempts);
    }
    let sid = str_of(v, "sid").unwrap_or("");
    if sid.starts_with("VE") && has("to") {
        return Some(InputFormat::TwilioVerifyVerifications);
    }
    if (has("sid") || has("to")) && (has("date_sent") || has("date_created") || has("direction") || has("status")) {
        return Some(if has("api_version") || has("uri") || has("price_unit") {
            InputFormat::TwilioMessagesJson
        } else {
            InputFormat::TwilioBulkexport
        });
    }
    if has("total_attempts") || has("schema_id") || (has("schema_version") && has("raw")) || has("day") {
        return Some(InputFormat::TwilioMetadata);
    }
    if has("category") && has("usage_unit") {
        return Some(InputFormat::TwilioUsageRecords);
    }
    None
}

/// For a first JSON document larger than the peek window: look for telling keys in the text.
fn sniff_keys(h: &[u8]) -> Detected {
    let text = String::from_utf8_lossy(h);
    let found = |k: &str| text.contains(k);
    let f = if found("\"messages\"") {
        InputFormat::TwilioMessagesJson
    } else if found("\"attempts\"") {
        InputFormat::TwilioVerifyAttempts
    } else if found("\"usage_records\"") {
        InputFormat::TwilioUsageRecords
    } else if found("\"specversion\"") || found("\"com.twilio.") {
        InputFormat::TwilioEventStreams
    } else if found("notification") && found("delivery") && found("priceInUSD") {
        InputFormat::SnsDeliveryLogs
    } else if found("eventType") && found("destinationPhoneNumber") {
        InputFormat::EumEvents
    } else if found("\"_SMS.") {
        InputFormat::PinpointEvents
    } else if found("\"conversion_status\"") {
        InputFormat::TwilioVerifyAttempts
    } else if found("\"date_sent\"") && found("\"sid\"") {
        if found("\"api_version\"") { InputFormat::TwilioMessagesJson } else { InputFormat::TwilioBulkexport }
    } else {
        return Detected::Unknown("the first JSON document is larger than the detection window and its keys are not recognised".into());
    };
    Detected::Format(f)
}
