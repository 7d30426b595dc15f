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
    if format == Some(InputFormat::TwilioConsoleCsv) {
        console_blocks_agree(data);
    }
    let json = match format {
        Some(f) => Some(f),
        None => match ingest::detect::detect(data) {
            ingest::detect::Detected::Format(f) => Some(f),
            _ => None,
        },
    };
    if let Some(f) = json.filter(|f| !f.is_csv() && ingest::json_reader::is_lines(data)) {
        json_blocks_agree(data, f);
    }
    let opts = LoadOptions { input_format: format, map, ..LoadOptions::default() };
    let Ok(loaded) = ingest::load(&[input], &opts, &bar) else { return };
    for s in &loaded.inputs {
        assert_eq!(s.rows_read, s.rows_used + s.rows_skipped(), "rows lost without a reason: {s:?}");
    }
    let used: u64 = loaded.inputs.iter().map(|s| s.rows_used).sum();
    assert_eq!(used, loaded.store.rows.len() as u64 + loaded.store.folded, "rows used = rows stored + rows folded");
    let (rows, _) = detect::rows(&loaded.store, |_| true);
    let selected: Vec<&str> = REGISTRY.iter().map(|d| d.id).collect();
    let facts = detect::facts::Facts::of(&rows);
    // As `scan`, which refuses a longer period.
    if !detect::span_fits(facts.start, facts.end) {
        return;
    }
    let table = detect::country_table::CountryTable::of(&rows, &facts);
    let _ =
        detect::run(&rows, &facts, None, &table, &Default::default(), &Params::default(), &selected, &loaded.store.error_codes(), "USD");
}

/// A Console export is read in blocks cut after newlines, parsed apart and merged in order; a
/// record cut across blocks must read as in one block. The block size comes from the input, so
/// the fuzzer cuts everywhere (a 64 KiB input fits one block of the default size).
fn console_blocks_agree(data: &[u8]) {
    use crate::ingest::csv_reader::read_console_rows;
    let size = 1 + data.len() % 97;
    let (whole, whole_stats) = read_console_rows(data, crate::ingest::blocks::BLOCK_SIZE);
    let (cut, cut_stats) = read_console_rows(data, size);
    assert_eq!(whole, cut, "blocks of {size} read other rows");
    assert_eq!(
        (whole_stats.rows_read, whole_stats.rows_used, format!("{:?}", whole_stats.skipped)),
        (cut_stats.rows_read, cut_stats.rows_used, format!("{:?}", cut_stats.skipped)),
        "blocks of {size} count otherwise"
    );
}

/// JSON lines are read in blocks cut after newlines, parsed apart and merged in order: in
/// blocks of any size they must read as line by line on one thread.
fn json_blocks_agree(data: &[u8], format: InputFormat) {
    use crate::ingest::json_lines::read_rows;
    let size = 1 + data.len() % 97;
    let (lines, line_stats) = read_rows(data, format, None);
    let (cut, cut_stats) = read_rows(data, format, Some(size));
    assert_eq!(lines, cut, "blocks of {size} read other rows than lines");
    assert_eq!(
        (line_stats.rows_read, line_stats.rows_used, format!("{:?}", line_stats.skipped), &line_stats.container),
        (cut_stats.rows_read, cut_stats.rows_used, format!("{:?}", cut_stats.skipped), &cut_stats.container),
        "blocks of {size} count otherwise"
    );
}
