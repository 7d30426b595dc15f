//! Twilio Console "Messaging logs" CSV export. Columns are read by name (two header orders are
//! known); `SentDate` may be RFC 2822 or ISO 8601; `Price` negative or positive.

use super::twilio_message::is_inbound;
use crate::ingest::csv_reader::{Header, Row};
use crate::ingest::record::{Draft, Parsed, Skip, cost_field, segments_field, ts_field};
use crate::status;

pub struct Columns {
    from: Option<usize>,
    to: usize,
    body: Option<usize>,
    status: Option<usize>,
    sent: Option<usize>,
    segments: Option<usize>,
    error: Option<usize>,
    account: Option<usize>,
    sid: Option<usize>,
    direction: Option<usize>,
    price: Option<usize>,
    unit: Option<usize>,
}

/// The header looks like a Console export.
pub fn matches(h: &Header) -> bool {
    h.find(&["To"]).is_some() && (h.find(&["SentDate", "DateSent"]).is_some() || h.find(&["Sid", "MessageSid"]).is_some())
}

pub fn columns(h: &Header) -> Result<Columns, String> {
    Ok(Columns {
        from: h.find(&["From"]),
        to: h.find(&["To"]).ok_or("no `To` column")?,
        body: h.find(&["Body"]),
        status: h.find(&["Status"]),
        sent: h.find(&["SentDate", "DateSent", "DateCreated"]),
        segments: h.find(&["NumSegments"]),
        error: h.find(&["ErrorCode"]),
        account: h.find(&["AccountSid"]),
        sid: h.find(&["Sid", "MessageSid"]),
        direction: h.find(&["Direction"]),
        price: h.find(&["Price"]),
        unit: h.find(&["PriceUnit"]),
    })
}

pub fn parse(c: &Columns, r: &Row) -> Parsed {
    let status_raw = r.get(c.status);
    if is_inbound(r.get(c.direction).as_deref(), status_raw.as_deref()) {
        return Err(Skip::new("inbound message (not a send)"));
    }
    let destination = r.get(Some(c.to)).ok_or_else(|| Skip::missing("To"))?;
    let error_code = r.get(c.error).filter(|e| e != "0");
    Ok(Draft {
        message_id: r.get(c.sid),
        ts: ts_field("SentDate", r.get(c.sent).as_deref())?,
        account: r.get(c.account),
        sender: r.get(c.from),
        destination,
        status: status::twilio(status_raw.as_deref().unwrap_or(""), error_code.as_deref()),
        status_raw,
        error_code,
        segments: segments_field("NumSegments", r.get(c.segments).as_deref())?,
        cost: cost_field("Price", r.get(c.price).as_deref())?,
        currency: r.get(c.unit),
        body: r.get(c.body),
        ..Draft::default()
    })
}
