//! Provider status vocabularies mapped onto the canonical [`Status`].

use crate::schema::Status;

/// Twilio error codes that mean a defence or filter refused the message (Messaging and Verify).
pub const TWILIO_BLOCK_CODES: &[&str] = &["30004", "30007", "30450", "30453", "21408", "21610", "60410", "60605", "60238", "60413"];

/// Twilio Message status (REST, Console CSV, BulkExport, Event Streams upper case, Verify
/// `channel_data.message_status`). A failure whose error code is a block becomes `blocked`.
pub fn twilio(status: &str, error_code: Option<&str>) -> Status {
    let s = status.trim();
    let is = |names: &[&str]| names.iter().any(|n| s.eq_ignore_ascii_case(n));
    // Compared without lowering a copy: this runs once a row.
    let base = if is(&["queued", "sending", "accepted", "scheduled"]) {
        Status::Queued
    } else if is(&["sent"]) {
        Status::Sent
    } else if is(&["delivered", "read", "partially_delivered"]) {
        Status::Delivered
    } else if is(&["undelivered"]) {
        Status::Undelivered
    } else if is(&["failed", "canceled"]) {
        Status::Failed
    } else {
        Status::Unknown
    };
    let blocked = error_code.is_some_and(|c| TWILIO_BLOCK_CODES.contains(&c.trim()));
    match base {
        Status::Failed | Status::Undelivered if blocked => Status::Blocked,
        other => other,
    }
}

/// Texts a thread remembers the statuses of ([`aws_text`]): exports repeat a few dozen.
const KNOWN_TEXTS: usize = 1024;

/// Longer texts are judged every time (a line may be 64 MiB long).
const KNOWN_TEXT_BYTES: usize = 256;

/// A text's status under each failure hint (none, success, failure), once judged.
type Judged = [Option<Status>; 3];

thread_local! {
    static TEXTS: std::cell::RefCell<crate::hash::Map<Box<str>, Judged>> = Default::default();
}

/// AWS provider-response texts (SNS delivery logs, SNS usage report `DeliveryStatus`, EUM
/// `messageStatusDescription`). `failure_hint`: the record's own SUCCESS/FAILURE, if any.
/// Each thread remembers the texts it has judged (lowering a copy and a dozen substring
/// searches a row had been 5 % of the parsing threads' samples on SNS delivery logs).
pub fn aws_text(text: &str, failure_hint: Option<bool>) -> Status {
    let hint = match failure_hint {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    };
    TEXTS.with(|cell| {
        let Ok(mut known) = cell.try_borrow_mut() else { return judge_aws_text(text, failure_hint) };
        if let Some(s) = known.get(text).and_then(|j| j[hint]) {
            return s;
        }
        let s = judge_aws_text(text, failure_hint);
        if let Some(j) = known.get_mut(text) {
            j[hint] = Some(s);
        } else if known.len() < KNOWN_TEXTS && text.len() <= KNOWN_TEXT_BYTES {
            let mut j: Judged = [None; 3];
            j[hint] = Some(s);
            known.insert(text.into(), j);
        }
        s
    })
}

fn judge_aws_text(text: &str, failure_hint: Option<bool>) -> Status {
    let t = text.trim().to_ascii_lowercase();
    const BLOCK: &[&str] = &[
        "blocked as spam",
        "destination is on a blocked list",
        "phone carrier has blocked",
        "phone has blocked",
        "phone is on a blocked list",
        "would exceed max price",
    ];
    if BLOCK.iter().any(|b| t.contains(b)) {
        return Status::Blocked;
    }
    if t.contains("accepted by phone carrier") {
        return if failure_hint == Some(true) { Status::Failed } else { Status::Sent };
    }
    if t.contains("accepted by phone") || t == "delivered" || t == "success" || t == "successful" {
        return if failure_hint == Some(true) { Status::Failed } else { Status::Delivered };
    }
    if t.contains("unreachable")
        || t.contains("unknown error")
        || t.contains("invalid")
        || t.contains("opted out")
        || t == "failure"
        || t.contains("rate exceeded")
        || t.contains("ttl")
    {
        return Status::Failed;
    }
    match failure_hint {
        Some(true) => Status::Failed,
        Some(false) => Status::Sent,
        None => Status::Unknown,
    }
}

/// End User Messaging `messageStatus` / `eventType` and Pinpoint `record_status`.
pub fn aws_code(code: &str) -> Status {
    let c = code.trim().to_ascii_uppercase();
    let c = c.strip_prefix("TEXT_").unwrap_or(&c);
    match c {
        "DELIVERED" | "SUCCESSFUL" | "SUCCESS" => Status::Delivered,
        "SENT" => Status::Sent,
        "QUEUED" | "PENDING" | "BUFFERED" => Status::Queued,
        "BLOCKED" | "CARRIER_BLOCKED" | "SPAM" | "PROTECT_BLOCKED" | "MAX_PRICE_EXCEEDED" => Status::Blocked,
        "TTL_EXPIRED"
        | "UNREACHABLE"
        | "CARRIER_UNREACHABLE"
        | "INVALID"
        | "INVALID_MESSAGE"
        | "FAILED"
        | "FAILURE"
        | "OPTED_OUT"
        | "OPTOUT" => Status::Failed,
        _ => Status::Unknown,
    }
}

/// Best effort for app-side logs: try each vocabulary in turn.
pub fn generic(text: &str, error_code: Option<&str>) -> Status {
    let s = twilio(text, error_code);
    if s != Status::Unknown {
        return s;
    }
    let s = aws_code(text);
    if s != Status::Unknown {
        return s;
    }
    aws_text(text, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_texts_keep_their_status_under_each_hint() {
        let texts = ["Message has been accepted by phone", " Phone is on a blocked list", "SUCCESS", "Invalid parameters", "odd", ""];
        // Twice round, in two orders of hints: the first judges, the second remembers.
        for round in 0..2 {
            for t in texts {
                for hint in [None, Some(true), Some(false)] {
                    let hint = if round == 1 { hint.map(|h| !h) } else { hint };
                    assert_eq!(aws_text(t, hint), judge_aws_text(t, hint), "{t:?} {hint:?}");
                }
            }
        }
        // Past the bound, texts are judged without being remembered.
        for i in 0..KNOWN_TEXTS + 10 {
            let t = format!("text {i} unreachable");
            assert_eq!(aws_text(&t, None), Status::Failed);
        }
        assert!(TEXTS.with(|c| c.borrow().len()) <= KNOWN_TEXTS);
        // A long text is judged, not kept.
        TEXTS.with(|c| c.borrow_mut().clear());
        let long = format!("{} accepted by phone", "x".repeat(KNOWN_TEXT_BYTES));
        assert_eq!(aws_text(&long, None), Status::Delivered);
        assert_eq!(TEXTS.with(|c| c.borrow().len()), 0);
    }

    #[test]
    fn vocabularies() {
        assert_eq!(twilio("undelivered", Some("30008")), Status::Undelivered);
        assert_eq!(twilio("failed", Some("30450")), Status::Blocked);
        assert_eq!(twilio("DELIVERED", None), Status::Delivered);
        assert_eq!(aws_text("Message has been accepted by phone carrier", None), Status::Sent);
        assert_eq!(aws_text("Message has been accepted by phone", None), Status::Delivered);
        assert_eq!(aws_text("This delivery would exceed max price", Some(true)), Status::Blocked);
        assert_eq!(aws_text("Unknown error attempting to reach phone", Some(true)), Status::Failed);
        assert_eq!(aws_code("TEXT_CARRIER_UNREACHABLE"), Status::Failed);
        assert_eq!(aws_code("TEXT_PROTECT_BLOCKED"), Status::Blocked);
        assert_eq!(generic("Delivered", None), Status::Delivered);
    }
}
