//! Broken and hostile input: a clear error (exit 2) or a counted, reported skip; never a panic.

use crate::util::*;

fn run(file: &str) -> (i32, String, String) {
    let out = bin().args(["inspect", "--format", "json", &format!("testdata/bad/{file}")]).output().expect("run");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn skipped(stdout: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(stdout).expect("json");
    v["inputs"][0].clone()
}

#[test]
fn bad_rows_are_counted_by_reason() {
    let (code, out, err) = run("bad-rows.csv");
    assert_eq!(code, 0, "{err}");
    let i = skipped(&out);
    assert_eq!(i["rows_read"], 7);
    assert_eq!(i["rows_used"], 3, "the good row, the short row and the row with extra cells");
    let reasons: Vec<(String, u64)> = i["skipped"]
        .as_array()
        .expect("skips")
        .iter()
        .map(|s| (s["reason"].as_str().unwrap_or("").to_string(), s["count"].as_u64().unwrap_or(0)))
        .collect();
    for want in ["To is missing", "SentDate is not a recognised timestamp", "Price is not a price", "destination is not an SMS address"] {
        assert!(reasons.contains(&(want.to_string(), 1)), "{want} in {reasons:?}");
    }
    assert!(err.contains("4 rows skipped"), "{err}");
}

#[test]
fn strict_turns_a_skip_into_an_error_naming_file_line_and_field() {
    let out = bin().args(["inspect", "--strict", "testdata/bad/bad-rows.csv"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "pumphound: twilio-console-csv: testdata/bad/bad-rows.csv:3: To is missing (--strict)"
    );
}

#[test]
fn malformed_json_lines_are_skipped_and_counted() {
    let (code, out, _) = run("malformed-lines.ndjson");
    assert_eq!(code, 0);
    let i = skipped(&out);
    assert_eq!((i["rows_read"].as_u64(), i["rows_used"].as_u64()), (Some(4), Some(2)));
}

#[test]
fn empty_input_is_reported_not_an_error() {
    let (code, out, _) = run("empty.csv");
    assert_eq!(code, 0);
    let i = skipped(&out);
    assert!(i["format"].is_null());
    assert_eq!(i["rows_read"], 0);
}

#[test]
fn unreadable_inputs_exit_2_with_a_clear_message() {
    for (file, want) in [
        ("unknown-header.csv", "unknown input format: testdata/bad/unknown-header.csv: CSV header not recognised"),
        ("wrong-shape.json", "unknown input format: testdata/bad/wrong-shape.json: JSON keys not recognised"),
        ("cloudtrail.json", "not a message log: testdata/bad/cloudtrail.json: a CloudTrail log"),
        ("truncated-page.json", "twilio-messages-json: testdata/bad/truncated-page.json:16:11: JSON ends early"),
        ("truncated.json.gz", "testdata/bad/truncated.json.gz: input ends early (truncated or corrupt gzip stream?)"),
    ] {
        let (code, out, err) = run(file);
        assert_eq!(code, 2, "{file}");
        assert!(out.is_empty(), "nothing on stdout for {file}");
        assert!(err.starts_with("pumphound: "), "{err}");
        assert!(err.contains(want), "{file}: {err}");
        if file == "cloudtrail.json" {
            assert!(!err.contains("--input-format"), "no format reads CloudTrail: {err}");
        }
    }
}

#[test]
fn missing_file_exits_2() {
    let out = bin().args(["inspect", "testdata/bad/does-not-exist.csv"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file or directory"));
}
