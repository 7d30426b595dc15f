//! The exit status never lies: it is decided on every finding and incident, whatever the
//! display filters show and whether the reader of a pipe stays; a scan with nothing to look at
//! is an error, not a green run.

use crate::scan::{export_of, scan};
use crate::util::*;
use clap::ValueEnum;

fn code_of(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().expect("run");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn display_filters_never_change_the_exit_status() {
    // The burst has one critical incident; `hidden` one medium incident and nothing above.
    for (name, filter) in [
        ("burst", vec!["--min-severity", "critical"]),
        ("burst", vec!["--top", "0"]),
        ("hidden", vec!["--min-severity", "high"]),
        ("hidden", vec!["--min-severity", "critical", "--top", "1"]),
    ] {
        let (code, report, evidence) = scan(name, &filter);
        assert_eq!(code, 1, "{name} {filter:?}: the alarm stands whatever is shown");
        let s = &report["summary"];
        assert!(s["fails"].as_bool() == Some(true), "{name} {filter:?}");
        let by: u64 = ["critical", "high", "medium", "low", "info"].iter().filter_map(|k| s["incidents_by_severity"][k].as_u64()).sum();
        assert_eq!(Some(by), s["incidents"].as_u64(), "every incident is counted in the summary");
        assert!(s["incidents"].as_u64() >= Some(1));
        assert!(s["incidents_shown"].as_u64() <= s["incidents"].as_u64());
        assert_eq!(report["incidents"].as_array().map(Vec::len) as Option<usize>, s["incidents_shown"].as_u64().map(|n| n as usize));
        let shown: Vec<&str> = report["findings"].as_array().expect("findings").iter().filter_map(|f| f["id"].as_str()).collect();
        assert!(evidence.iter().all(|r| shown.contains(&r["finding_id"].as_str())), "evidence follows the display");
    }
    // The same in every format: the code does not depend on what is written.
    let export = export_of("burst");
    for fmt in ["table", "json", "ndjson", "csv", "markdown"] {
        let (code, out, _) = code_of(&["scan", "-q", "-f", fmt, "--min-severity", "critical", "--top", "0", &export]);
        assert_eq!(code, 1, "{fmt}");
        if fmt == "table" {
            assert!(out.contains("incidents   1 (critical 1)"), "the summary states every incident:\n{out}");
            assert!(out.contains("shown       0 of 1 incidents"), "and says what the display hides:\n{out}");
        }
    }
}

#[test]
fn a_scan_with_nothing_to_look_at_is_an_error() {
    let burst = export_of("burst");
    for (args, want) in [
        (vec!["scan", "testdata/bad/empty.csv"], "no message to scan: testdata/bad/empty.csv: no message read"),
        (vec!["scan", "--country", "XX", &burst], "--country XX leave(s) none of the 8708 messages"),
        (vec!["scan", "--since", "2030-01-01", &burst], "--since 2030-01-01 leave(s) none"),
        (vec!["scan", "--since", "2024-03-09", "--until", "2024-03-08", &burst], "--since 2024-03-09T00:00:00Z is not before --until"),
    ] {
        let (code, out, err) = code_of(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(err.starts_with("pumphound: ") && err.contains(want), "{args:?}: {err}");
    }
    // Accepted when asked for, with a warning.
    let (code, out, err) = code_of(&["scan", "--allow-empty", "-f", "json", "--country", "XX", &burst]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: no message to scan"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["summary"]["messages_scanned"], 0);
    assert!(v["summary"]["coverage"].is_null());
}

/// Run with stdout a pipe whose reading end is already closed (`| head` that has exited).
fn closed_pipe(args: &[&str]) -> (i32, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("pumphound"))
        .args(args)
        .current_dir(root())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_closed_pipe_exits_with_the_code_the_findings_decide() {
    let burst = export_of("burst");
    let clean = export_of("clean");
    for fmt in ["table", "json", "ndjson", "csv", "markdown"] {
        let (code, err) = closed_pipe(&["scan", "-q", "-f", fmt, &burst]);
        assert_eq!((code, err.as_str()), (1, ""), "scan -f {fmt} with findings");
        let (code, err) = closed_pipe(&["scan", "-q", "-f", fmt, &clean]);
        assert_eq!((code, err.as_str()), (0, ""), "scan -f {fmt} of a clean period");
    }
    // The evidence file is still written whole when stdout goes away.
    let dir = tempfile::tempdir().expect("tempdir");
    let ev = dir.path().join("ev.csv");
    let (code, _) = closed_pipe(&["scan", "-q", "--evidence", ev.to_str().expect("path"), &burst]);
    assert_eq!(code, 1);
    assert!(std::fs::read_to_string(&ev).expect("evidence").lines().count() > 4900);
    for fmt in pumphound::simulate::writers::SimFormat::value_variants() {
        let name = fmt.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
        let (code, err) = closed_pipe(&["simulate", "--days", "2", "--daily", "200", "-f", &name]);
        assert_eq!((code, err.as_str()), (0, ""), "simulate -f {name}");
    }
    for args in
        [&["inspect", "-q", "testdata/formats"][..], &["inspect", "-q", "-f", "json", "testdata/formats"], &["detectors"], &["formats"]]
    {
        let (code, err) = closed_pipe(args);
        assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
    }
}
