//! pumphound: forensic analysis of SMS pumping (MITRE ATT&CK T1496.003) over the message logs
//! a victim can export from Twilio and AWS.

pub mod app;
pub mod changes;
pub mod cli;
pub mod commands;
pub mod detect;
pub mod error;
pub mod frame;
pub mod fuzzing;
pub mod hash;
pub mod ids;
pub mod ingest;
pub mod memory;
pub mod output;
pub mod parts;
pub mod phone;
pub mod progress;
pub mod report;
pub mod rules;
pub mod schema;
pub mod simulate;
pub mod status;
pub mod status_times;
pub mod store;
pub mod timeparse;
pub mod timings;
pub mod units;
