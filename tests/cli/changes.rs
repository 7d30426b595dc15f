//! Nightly runs: fingerprints that survive overlapping periods, split and reordered inputs;
//! `pumphound diff` and `scan --previous` classifying new, ongoing, escalated, resolved and gone,
//! and the exit status they decide.

use crate::util::{bin, p};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// 15 days from 2024-03-01 at 800 OTP a day, with the given scenarios, and the app's verified OTPs.
fn simulate(dir: &Path, scenarios: &[&str]) -> (PathBuf, PathBuf) {
    let (data, verified) = (dir.join("all.csv"), dir.join("verified.csv"));
    let mut args: Vec<String> = ["simulate", "--seed", "7", "--days", "15", "--daily", "800"].iter().map(|s| s.to_string()).collect();
    for s in scenarios {
        args.extend(["--scenario".to_string(), s.to_string()]);
    }
    let out = bin().args(&args).arg("-o").arg(&data).arg("--verifications").arg(&verified).output().expect("simulate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (data, verified)
}

/// `scan -f json` with `args`; the exit code and the report.
fn scan<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, Value) {
    let out = bin().args(["scan", "-q", "-f", "json"]).args(args).output().expect("run");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(v.is_object(), "{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), v)
}

/// Days 1-14 into OLD.json; days 2-15 (the newer night's export) as arguments.
fn older_and_newer(dir: &Path, data: &Path, verified: &Path) -> (PathBuf, Vec<String>) {
    let old = dir.join("old.json");
    let (_, v) = scan(&["--until", "2024-03-15", "--conversions", p(verified), p(data)]);
    std::fs::write(&old, serde_json::to_string_pretty(&v).expect("json")).expect("write");
    let newer = ["--since", "2024-03-02", "--conversions", p(verified)].iter().map(|s| s.to_string()).collect();
    (old, newer)
}

fn statuses(changes: &Value, kind: &str) -> Vec<(String, String)> {
    changes[kind]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| (c["status"].as_str().unwrap_or("").into(), c["what"].as_str().unwrap_or("").into()))
        .collect()
}

fn fingerprints(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = ["incidents", "findings"]
        .iter()
        .flat_map(|k| v[k].as_array().into_iter().flatten().map(|x| x["fingerprint"].as_str().unwrap_or("").to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn a_new_attack_in_the_newer_night_is_new_and_fails_the_old_ones_do_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, verified) = simulate(
        dir.path(),
        &[
            "burst:countries=LV,start=2024-03-05T02:00:00Z,hours=3,messages=2500",
            "burst:countries=UZ,start=2024-03-15T03:00:00Z,hours=3,messages=2500",
        ],
    );
    let (old, newer) = older_and_newer(dir.path(), &data, &verified);
    let args = |extra: &[&str]| newer.iter().cloned().chain(extra.iter().map(|s| s.to_string())).collect::<Vec<String>>();
    let (_, new) = scan(&args(&[p(&data)]));
    let new_path = dir.path().join("new.json");
    std::fs::write(&new_path, serde_json::to_string_pretty(&new).expect("json")).expect("write");
    // diff: the UZ attack is new (exit 1); the LV one, in both periods, is not.
    let out = bin().args(["diff", "-f", "json", p(&old), p(&new_path)]).output().expect("diff");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let c: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let incidents = statuses(&c, "incidents");
    assert!(incidents.contains(&("new".into(), "UZ".into())), "{incidents:?}");
    assert!(incidents.iter().any(|(s, w)| w == "LV" && (s == "resolved" || s == "ongoing")), "{incidents:?}");
    assert_eq!(incidents.len(), 2, "{incidents:?}");
    assert_eq!(c["incidents_by_status"]["new"], 1);
    // The same inline, failing only on the new incident.
    let (code, inline) = scan(&args(&["--previous", p(&old), "--fail-on-new", p(&data)]));
    assert_eq!(code, 1);
    assert_eq!(statuses(&inline["changes"], "incidents"), incidents);
    assert_eq!(inline["summary"]["fails"], true);
    // NDJSON: a `changes` line with the counts, then a line per change.
    let out = bin().args(["scan", "-q", "-f", "ndjson"]).args(args(&["--previous", p(&old), p(&data)])).output().expect("run");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    let totals = lines.iter().find(|l| l["type"] == "changes").expect("a changes line");
    assert_eq!(totals["incidents_by_status"], c["incidents_by_status"]);
    assert_eq!(lines.iter().filter(|l| l["type"] == "incident_change").count(), incidents.len());
    // Display filters hide the new incident, not its verdict.
    let (code, hidden) = scan(&args(&["--previous", p(&old), "--fail-on-new", "--min-severity", "critical", "--top", "1", p(&data)]));
    assert_eq!(code, 1, "a new incident fails the run, shown or not");
    assert_eq!(hidden["incidents"], serde_json::json!([]));
    assert_eq!(statuses(&hidden["changes"], "incidents"), incidents);
    let html = dir.path().join("report.html");
    let out = bin()
        .args(["scan", "-q"])
        .args(args(&["--previous", p(&old), "--html", p(&html), "-o", "/dev/null", p(&data)]))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains("Since the previous report") && page.contains("Incidents: 1 new, 0 escalated, 0 ongoing, 1 resolved, 0 gone."));
    // Table and Markdown carry it too.
    let out = bin().args(["diff", p(&old), p(&new_path)]).output().expect("diff");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("incidents   1 new, 0 escalated, 0 ongoing, 1 resolved, 0 gone"), "{table}");
    let out = bin().args(["diff", "-f", "markdown", p(&old), p(&new_path)]).output().expect("diff");
    assert!(String::from_utf8_lossy(&out.stdout).contains("| new | I"), "markdown rows");
    // Swapping or splitting the inputs changes no fingerprint.
    let text = std::fs::read_to_string(&data).expect("csv");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let (mut a, mut b) = (format!("{header}\n"), format!("{header}\n"));
    for (i, l) in lines.enumerate() {
        let part = if i % 3 == 0 { &mut a } else { &mut b };
        part.push_str(l);
        part.push('\n');
    }
    let (pa, pb) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    std::fs::write(&pa, a).expect("write");
    std::fs::write(&pb, b).expect("write");
    for order in [[p(&pa), p(&pb)], [p(&pb), p(&pa)]] {
        let (_, split) = scan(&args(&order));
        assert_eq!(fingerprints(&split), fingerprints(&new), "inputs {order:?}");
    }
}

/// A burst from 22:00 on day 14 to 02:00 on day 15: the older night saw its first two hours.
fn attack_across_midnight(messages: u32) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let burst = format!("burst:countries=LV,ranges=1,start=2024-03-14T22:00:00Z,hours=4,messages={messages}");
    let (data, verified) = simulate(dir.path(), &[&burst]);
    let (old, newer) = older_and_newer(dir.path(), &data, &verified);
    let args: Vec<&str> = newer.iter().map(String::as_str).chain(["--previous", p(&old), "--fail-on-new", p(&data)]).collect();
    let (code, v) = scan(&args);
    (code, v["changes"].clone())
}

#[test]
fn an_attack_still_going_is_ongoing_and_passes_with_fail_on_new() {
    let (code, c) = attack_across_midnight(800);
    assert_eq!(statuses(&c, "incidents"), [("ongoing".to_string(), "LV".to_string())]);
    let i = &c["incidents"][0];
    assert!(i["messages_growth"].as_i64().unwrap_or(0) > 300, "{i}");
    assert_eq!(i["severity"], i["previous_severity"]);
    assert_eq!(code, 0, "an incident already reported does not fail the run again");
}

#[test]
fn severity_rising_overnight_is_escalated_and_fails() {
    let (code, c) = attack_across_midnight(14_000);
    assert_eq!(statuses(&c, "incidents"), [("escalated".to_string(), "LV".to_string())]);
    assert_eq!((c["incidents"][0]["previous_severity"].as_str(), c["incidents"][0]["severity"].as_str()), (Some("high"), Some("critical")));
    assert_eq!(code, 1);
}

#[test]
fn a_report_of_another_schema_or_not_a_report_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (old, new) = (dir.path().join("old.json"), dir.path().join("new.json"));
    std::fs::write(&old, r#"{"schema_version": 2, "summary": {}, "incidents": [], "findings": []}"#).expect("write");
    let (_, v) = scan(&["testdata/sim/clean.csv.gz"]);
    std::fs::write(&new, v.to_string()).expect("write");
    let out = bin().args(["diff", p(&old), p(&new)]).output().expect("diff");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("schema_version 2") && err.starts_with("pumphound: "), "{err}");
    let out = bin().args(["scan", "-q", "--previous", p(&old), "testdata/sim/clean.csv.gz"]).output().expect("scan");
    assert_eq!(out.status.code(), Some(2), "refused before scanning");
    std::fs::write(&old, "not json").expect("write");
    let out = bin().args(["diff", p(&old), p(&new)]).output().expect("diff");
    assert_eq!(out.status.code(), Some(2));
    // The same report of an attack twice: nothing new or escalated, exit 0.
    let (code, v) = scan(&["testdata/sim/burst.csv.gz"]);
    assert_eq!(code, 1, "the report holds an incident at medium or above");
    std::fs::write(&new, v.to_string()).expect("write");
    let out = bin().args(["diff", "-f", "json", p(&new), p(&new)]).output().expect("diff");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let c: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!((c["incidents_by_status"]["new"].as_u64(), c["incidents_by_status"]["escalated"].as_u64()), (Some(0), Some(0)));
    assert!(c["incidents_by_status"]["resolved"].as_u64().unwrap_or(0) >= 1);
}

#[test]
fn an_attack_older_than_the_newer_period_is_not_new_again() {
    // Low and slow from the first day to the last: the newer period cuts its first day.
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, verified) = simulate(dir.path(), &["low-and-slow"]);
    let (old, newer) = older_and_newer(dir.path(), &data, &verified);
    let args: Vec<&str> = newer.iter().map(String::as_str).chain(["--previous", p(&old), "--fail-on-new", p(&data)]).collect();
    let (code, v) = scan(&args);
    let incidents = statuses(&v["changes"], "incidents");
    assert!(!incidents.is_empty() && incidents.iter().all(|(s, _)| s == "ongoing" || s == "resolved"), "{incidents:?}");
    assert_eq!(code, 0, "an attack already reported does not fail again");
}
