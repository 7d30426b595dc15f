//! Twilio exports that describe messages without being messages: Usage Records (aggregate spend
//! by category), BulkExport day listings, Event Streams type and schema listings, Verify attempt
//! summaries. They are recognised so a responder who drops a whole export folder on pumphound
//! is told what they are, and every record is counted as a skip with that reason.

use crate::ingest::json_value::Json;
use crate::ingest::record::{Parsed, Skip};

pub fn usage_record<'a, J: Json<'a>>(_v: J) -> Parsed {
    Err(Skip::new("usage record (aggregate spend, not a message)"))
}

pub fn listing<'a, J: Json<'a>>(v: J) -> Parsed {
    let what = if v.get("day").is_some() {
        "BulkExport day listing"
    } else if v.get("schema_id").is_some() || v.get("schema_version").is_some() {
        "Event Streams type or schema listing"
    } else if v.get("total_attempts").is_some() {
        "Verify attempts summary"
    } else {
        "listing"
    };
    Err(Skip::new(format!("metadata: {what} (not a message)")))
}
