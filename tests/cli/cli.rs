//! The command line itself: man page drift, outputs, stdin, gzip by magic, clobbering.

use crate::util::*;

#[test]
fn man_page_is_current() {
    let generated = pumphound::commands::generate::man_page().expect("man page");
    let committed = std::fs::read(root().join("man/pumphound.1")).unwrap_or_default();
    assert!(generated == committed, "man/pumphound.1 is stale: run `cargo run -- generate man > man/pumphound.1`");
}

#[test]
fn completions_are_generated() {
    let out = bin().args(["generate", "completions", "bash"]).output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("pumphound"));
}

#[test]
fn formats_lists_every_format_and_column() {
    let v = json_out(&["formats", "--format", "json"]);
    assert_eq!(v["formats"].as_array().map(Vec::len), Some(pumphound::ingest::InputFormat::ALL.len()));
    assert_eq!(v["schema"].as_array().map(Vec::len), Some(pumphound::schema::COLUMNS.len()));
}

#[test]
fn inspect_json_totals_balance_on_every_fixture() {
    let v = json_out(&["inspect", "--format", "json", "testdata/formats"]);
    assert_eq!(v["schema_version"], 1);
    let t = &v["total"];
    let (read, used, skipped) = (t["rows_read"].as_u64(), t["rows_used"].as_u64(), t["rows_skipped"].as_u64());
    assert_eq!(read, Some(used.unwrap_or(0) + skipped.unwrap_or(0)));
    assert!(v["phone"]["libphonenumber_calls"].as_u64() < v["phone"]["numbers_classified"].as_u64());
}

#[test]
fn stdin_and_gzip_without_extension() {
    let csv = std::fs::read(fixture("formats/twilio-console.csv")).expect("fixture");
    let out = bin().args(["inspect", "--format", "json", "-"]).write_stdin(csv).output().expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["inputs"][0]["path"], "-");
    assert_eq!(v["inputs"][0]["rows_used"], 5);

    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("day-file");
    std::fs::copy(fixture("formats/twilio-bulkexport-2019-06-02.json.gz"), &plain).expect("copy");
    let v = json_out(&["inspect", "--format", "json", plain.to_str().expect("path")]);
    assert_eq!(v["inputs"][0]["gzip"], true);
    assert_eq!(v["inputs"][0]["rows_used"], 4);
}

#[test]
fn output_file_is_not_clobbered_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("report.json");
    std::fs::write(&target, "keep me").expect("write");
    let t = target.to_str().expect("path");
    let out = bin().args(["inspect", "-f", "json", "-o", t, "testdata/formats/twilio-console.csv"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists; use --force"));
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep me");
    let out = bin().args(["inspect", "-f", "json", "-o", t, "--force", "testdata/formats/twilio-console.csv"]).output().expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&target).expect("read")).expect("json");
    assert_eq!(v["total"]["messages"], 5);
    assert!(out.stdout.is_empty(), "data goes to the file only");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1, "no temporary file left behind");
}

#[test]
fn table_output_is_plain_off_a_terminal() {
    let out = bin().args(["inspect", "testdata/formats/twilio-console.csv"]).output().expect("run");
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("twilio-console-csv") && s.contains("5 used"), "{s}");
    assert!(!s.contains('\u{1b}'), "no escape codes off a terminal");
}

#[test]
fn usage_errors_exit_2() {
    let out = bin().args(["inspect", "--map", "destination=phone", "testdata/app/sends.csv"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--input-format generic-csv"));
    let out = bin().args(["inspect", "--conversion-window", "5 parsecs", "testdata/formats"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["inspect"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}
