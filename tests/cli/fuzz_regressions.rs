//! Inputs that crashed a fuzz target (fuzz/run.sh), replayed through the same checks the fuzz
//! harness makes. A file is named `<target>-<hash>`; the target says how it is read.

use pumphound::detect::{self, Params, REGISTRY};
use pumphound::ingest::source::InputPath;
use pumphound::ingest::{self, InputFormat, LoadOptions};
use std::sync::Arc;

fn replay(target: &str, data: &[u8]) {
    let input = InputPath::Memory(target.into(), Arc::from(data));
    let bar = indicatif::ProgressBar::hidden();
    match target {
        "detect" => {
            let _ = ingest::detect::detect(data);
            return;
        }
        "conversions" => {
            let _ = ingest::conversions::load_input(&input, &bar);
            return;
        }
        _ => {}
    }
    let format = match target {
        "load_detected" => None,
        name => Some(
            InputFormat::ALL
                .into_iter()
                .find(|f| f.name().replace('-', "_") == name)
                .unwrap_or_else(|| panic!("no format for fuzz target {name}")),
        ),
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
        assert_eq!(s.rows_read, s.rows_used + s.rows_skipped(), "{target}: rows lost");
    }
    let (rows, _) = detect::rows(&loaded.store, |_| true);
    let selected: Vec<&str> = REGISTRY.iter().map(|d| d.id).collect();
    let _ = detect::run(&rows, &[], &Params::default(), &selected);
}

#[test]
fn fuzz_crashes_stay_fixed() {
    let dir = super::util::root().join("tests/fuzz_regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/fuzz_regressions") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|s| s.to_str()).expect("name").to_string();
        let Some((target, _)) = name.rsplit_once('-') else { panic!("{name}: expected <target>-<hash>") };
        let data = std::fs::read(&path).expect("read");
        replay(target, &data);
        n += 1;
    }
    assert!(n >= 4, "the committed crash inputs are replayed ({n})");
}

#[test]
fn non_ascii_header_is_described_without_panic() {
    // The first fuzz crash: a CSV header over 120 bytes cut inside a multi-byte character.
    let header = format!("a{},x\n1,2\n", "é".repeat(150));
    let input = InputPath::Memory("h.csv".into(), Arc::from(header.as_bytes()));
    let err = ingest::load(&[input], &LoadOptions::default(), &indicatif::ProgressBar::hidden()).err().expect("unknown format");
    let text = err.to_string();
    assert!(text.contains("CSV header not recognised") && text.contains('…'), "{text}");
}
