//! Inputs that crashed a fuzz target (fuzz/run.sh), replayed through the same checks the fuzz
//! harness makes (`pumphound::fuzzing::check`). A file is named `<target>-<hash>`.

use pumphound::fuzzing::{Target, check};
use pumphound::ingest::source::InputPath;
use pumphound::ingest::{self, LoadOptions};
use std::sync::Arc;

#[test]
fn fuzz_crashes_stay_fixed() {
    let dir = super::util::root().join("tests/fuzz_regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/fuzz_regressions") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|s| s.to_str()).expect("name").to_string();
        let Some((target, _)) = name.rsplit_once('-') else { panic!("{name}: expected <target>-<hash>") };
        let data = std::fs::read(&path).expect("read");
        check(Target::from_name(target).unwrap_or_else(|| panic!("{name}: no fuzz target {target}")), &data);
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

#[test]
fn every_fuzz_target_names_a_check() {
    let dir = super::util::root().join("fuzz/fuzz_targets");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/fuzz_targets") {
        let path = entry.expect("entry").path();
        let name = path.file_stem().and_then(|s| s.to_str()).expect("name").to_string();
        assert!(Target::from_name(&name).is_some(), "fuzz target {name} has no check");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(&format!("run(\"{name}\", data)")), "{name}: the target runs its own check");
        n += 1;
    }
    // Every input format, format detection, detection then loading, and conversions.
    assert_eq!(n, ingest::InputFormat::ALL.len() + 3);
}
