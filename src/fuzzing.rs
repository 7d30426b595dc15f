//! The checks a fuzz target makes on one input, shared by `fuzz/` and the regression test that
//! replays the crashes it found (`tests/cli/fuzz_regressions.rs`). They panic on a broken
//! invariant: that is how libFuzzer learns of it.

use crate::detect::{self, Params, REGISTRY};
use crate::ingest::source::InputPath;
use crate::ingest::{self, InputFormat, LoadOptions};
use indicatif::ProgressBar;
use std::sync::Arc;

/// What a target feeds its bytes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Format detection on a file's head.
    Detect,
    /// `--conversions` files.
    Conversions,
    /// Loading, the format detected (`None`) or forced.
    Load(Option<InputFormat>),
}

impl Target {
    /// The target of a fuzz target's name (`detect`, `conversions`, `load_detected`, or a
    /// format's name with underscores).
    pub fn from_name(name: &str) -> Option<Target> {
        match name {
            "detect" => Some(Target::Detect),
            "conversions" => Some(Target::Conversions),
            "load_detected" => Some(Target::Load(None)),
            _ => InputFormat::ALL.into_iter().find(|f| f.name().replace('-', "_") == name).map(|f| Target::Load(Some(f))),
        }
    }
}

/// Feed `data` to `target`. A load that succeeds must account for every record (read = used
/// + skipped; used = stored + folded), and every detector must run over what was loaded.
pub fn check(target: Target, data: &[u8]) {
    let input = InputPath::Memory("fuzz".into(), Arc::from(data));
    let bar = ProgressBar::hidden();
    let format = match target {
        Target::Detect => {
            let _ = ingest::detect::detect(data);
            return;
        }
        Target::Conversions => {
            let _ = ingest::conversions::load_input(&input, &bar);
            return;
        }
        Target::Load(format) => format,
    };
    let map = (format == Some(InputFormat::GenericCsv)).then(|| {
        ["destination=to", "ts=time", "cost=price", "status=status", "message_id=id", "sender=from", "country=country"]
            .iter()
            .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            .collect()
    });
    let opts = LoadOptions { input_format: format, map, ..LoadOptions::default() };
    let Ok(loaded) = ingest::load(&[input], &opts, &bar) else { return };
    for s in &loaded.inputs {
        assert_eq!(s.rows_read, s.rows_used + s.rows_skipped(), "rows lost without a reason: {s:?}");
    }
    let used: u64 = loaded.inputs.iter().map(|s| s.rows_used).sum();
    assert_eq!(used, loaded.store.rows.len() as u64 + loaded.store.folded, "rows used = rows stored + rows folded");
    let (rows, _) = detect::rows(&loaded.store, |_| true);
    let selected: Vec<&str> = REGISTRY.iter().map(|d| d.id).collect();
    let _ = detect::run(&rows, &[], &Params::default(), &selected);
}
