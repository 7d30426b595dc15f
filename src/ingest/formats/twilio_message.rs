//! A Twilio Message object: REST API (`twilio-messages-json`) and BulkExport day-file lines
//! (`twilio-bulkexport`) share it. REST dates are RFC 2822, BulkExport's ISO 8601; REST prices
//! are negative strings with `price_unit`, BulkExport has no `price_unit`.

use crate::ingest::json_value::Json;
use crate::ingest::record::{Draft, Parsed, Skip, cost_field, segments_field, ts_field};
use crate::ingest::value::text;
use crate::status;

pub fn is_inbound(direction: Option<&str>, status: Option<&str>) -> bool {
    direction.is_some_and(|d| d.trim().eq_ignore_ascii_case("inbound"))
        || status.is_some_and(|s| ["received", "receiving"].iter().any(|r| s.trim().eq_ignore_ascii_case(r)))
}

pub fn parse<'a, J: Json<'a>>(v: J) -> Parsed {
    if !v.is_object() || (v.get("sid").is_none() && v.get("to").is_none()) {
        return Err(Skip::new("record is not a Twilio Message"));
    }
    let direction = text(v, "direction");
    let status_raw = text(v, "status");
    if is_inbound(direction.as_deref(), status_raw.as_deref()) {
        return Err(Skip::new("inbound message (not a send)"));
    }
    let destination = text(v, "to").ok_or_else(|| Skip::missing("to"))?;
    let error_code = text(v, "error_code");
    let ts = match ts_field("date_sent", text(v, "date_sent").as_deref())? {
        Some(t) => Some(t),
        None => ts_field("date_created", text(v, "date_created").as_deref())?,
    };
    let status_ts = ts_field("date_updated", text(v, "date_updated").as_deref())?;
    Ok(Draft {
        message_id: text(v, "sid"),
        ts,
        status_ts,
        account: text(v, "account_sid"),
        sender: text(v, "from").or_else(|| text(v, "messaging_service_sid")),
        destination,
        status: status::twilio(status_raw.as_deref().unwrap_or(""), error_code.as_deref()),
        status_raw,
        error_code,
        segments: segments_field("num_segments", text(v, "num_segments").as_deref())?,
        cost: cost_field("price", text(v, "price").as_deref())?,
        currency: text(v, "price_unit"),
        body: text(v, "body"),
        ..Draft::default()
    })
}
