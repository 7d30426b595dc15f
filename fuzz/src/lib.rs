//! The one harness every fuzz target calls: load the bytes (as a given format, or detected) and
//! check the invariants a run must keep whatever the input.

use indicatif::ProgressBar;
use pumphound::detect::{self, Params, REGISTRY};
use pumphound::ingest::source::InputPath;
use pumphound::ingest::{self, InputFormat, LoadOptions};
use std::sync::Arc;

pub use pumphound::ingest::InputFormat as Format;

/// Load `data`; on success every record read must be used or skipped with a reason, and the
/// detectors must run over what was loaded.
pub fn load(data: &[u8], format: Option<InputFormat>) {
    let input = InputPath::Memory("fuzz".into(), Arc::from(data));
    let map = (format == Some(InputFormat::GenericCsv)).then(|| {
        ["destination=to", "ts=time", "cost=price", "status=status", "message_id=id", "sender=from", "country=country"]
            .iter()
            .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            .collect()
    });
    let opts = LoadOptions { input_format: format, map, ..LoadOptions::default() };
    let Ok(loaded) = ingest::load(&[input], &opts, &ProgressBar::hidden()) else { return };
    for s in &loaded.inputs {
        assert_eq!(s.rows_read, s.rows_used + s.rows_skipped(), "rows lost without a reason: {s:?}");
    }
    let used: u64 = loaded.inputs.iter().map(|s| s.rows_used).sum();
    assert_eq!(used, loaded.store.rows.len() as u64 + loaded.store.folded, "rows used = rows stored + rows folded");
    let (rows, _) = detect::rows(&loaded.store, |_| true);
    let selected: Vec<&str> = REGISTRY.iter().map(|d| d.id).collect();
    let _ = detect::run(&rows, &[], &Params::default(), &selected);
}

/// Format detection alone, on the head of a file.
pub fn detect(data: &[u8]) {
    let _ = ingest::detect::detect(data);
}

/// App verifications (`--conversions`), CSV or JSON.
pub fn conversions(data: &[u8]) {
    let input = InputPath::Memory("fuzz".into(), Arc::from(data));
    let _ = ingest::conversions::load_input(&input, &ProgressBar::hidden());
}
