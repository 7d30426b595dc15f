//! One module per input format. JSON formats take a JSON record through
//! [`crate::ingest::json_value::Json`] (a `serde_json::Value`, or a line on simd-json's tape;
//! envelopes already removed); CSV formats take a header mapping and a row.

pub mod eum_events;
pub mod generic_csv;
pub mod metadata;
pub mod pinpoint_events;
pub mod sns_delivery_logs;
pub mod sns_usage_report;
pub mod twilio_console_csv;
pub mod twilio_event_streams;
pub mod twilio_message;
pub mod twilio_verify_attempts;
pub mod twilio_verify_verifications;
