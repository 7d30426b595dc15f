//! One incident model for every view: an incident's messages, cost and window are the union of
//! its findings' evidence messages; suppressed findings and allowed numbers count nowhere; the
//! probable cost is only stated for incidents at medium or above.

use crate::scan::export_of;
use crate::util::*;
use std::collections::{BTreeMap, BTreeSet};

struct Run {
    report: serde_json::Value,
    /// Evidence rows: (message id, incident, finding, ts, destination, cost).
    evidence: Vec<(String, String, String, String, String, f64)>,
}

fn run(export: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let ev = dir.path().join("ev.csv");
    let mut args =
        vec!["scan", "-q", "-f", "json", "--fail-on", "never", "--min-severity", "info", "--evidence", ev.to_str().expect("path")];
    args.extend_from_slice(extra);
    args.push(export);
    let out = bin().args(&args).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut r = csv::Reader::from_path(&ev).expect("evidence");
    let evidence = r
        .records()
        .map(|rec| {
            let rec = rec.expect("row");
            let f = |i: usize| rec.get(i).unwrap_or("").to_string();
            (f(0), f(1), f(2), f(5), f(6), f(8).parse::<f64>().unwrap_or(0.0))
        })
        .collect();
    Run { report, evidence }
}

/// Every incident's totals are its findings' evidence, message by message.
fn assert_union(r: &Run, what: &str) {
    let findings: BTreeMap<String, &serde_json::Value> =
        r.report["findings"].as_array().expect("findings").iter().map(|f| (f["id"].as_str().unwrap_or("").to_string(), f)).collect();
    for inc in r.report["incidents"].as_array().expect("incidents") {
        let id = inc["id"].as_str().unwrap_or("");
        let rows: Vec<&(String, String, String, String, String, f64)> = r.evidence.iter().filter(|e| e.1 == id).collect();
        let ids: BTreeSet<&str> = rows.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(inc["messages"].as_u64(), Some(ids.len() as u64), "{what} {id}: messages = union of its findings' evidence");
        let numbers: BTreeSet<&str> = rows.iter().map(|e| e.4.as_str()).collect();
        assert_eq!(inc["destinations"].as_u64(), Some(numbers.len() as u64), "{what} {id}: numbers");
        let cost: f64 = rows.iter().map(|e| e.5).sum();
        let stated = inc["cost"].as_f64().expect("cost");
        assert!((stated - cost).abs() < 0.006, "{what} {id}: cost {stated} != evidence {cost}");
        let confirmed = inc["fraud_cost_confirmed"].as_f64().expect("confirmed");
        match inc["fraud_cost_probable"].as_f64() {
            Some(p) => {
                assert!(["medium", "high", "critical"].contains(&inc["severity"].as_str().unwrap_or("")), "{what} {id}");
                assert!((confirmed + p - stated).abs() < 0.011, "{what} {id}: confirmed + probable = cost");
            }
            None => assert!(["low", "info"].contains(&inc["severity"].as_str().unwrap_or("")), "{what} {id}: probable only at medium+"),
        }
        let times: Vec<&str> = rows.iter().map(|e| e.3.as_str()).collect();
        assert_eq!(inc["window"]["start"].as_str(), times.iter().min().copied(), "{what} {id}: window start");
        assert_eq!(inc["window"]["end"].as_str(), times.iter().max().copied(), "{what} {id}: window end");
        // And each of its findings: the incident holds all of their messages.
        for fid in inc["findings"].as_array().expect("ids").iter().filter_map(|f| f.as_str()) {
            let f = findings[fid];
            assert_eq!(f["incident"].as_str(), Some(id));
            assert!(f["messages"].as_u64() <= inc["messages"].as_u64(), "{what} {fid}");
            assert_eq!(f["messages"], f["evidence"]["message_count"], "{what} {fid}: a finding's messages are its evidence");
        }
    }
    let total: u64 = r.report["incidents"].as_array().expect("incidents").iter().filter_map(|i| i["messages"].as_u64()).sum();
    assert_eq!(r.report["summary"]["messages_in_incidents"].as_u64(), Some(total));
}

#[test]
fn incident_totals_are_the_union_of_their_findings() {
    for name in ["burst", "hidden", "low-and-slow", "rotation", "new-market", "launch-spike", "marketing-blast"] {
        let export = export_of(name);
        let verif = format!("testdata/sim/{name}.verifications.csv.gz");
        assert_union(&run(&export, &[]), name);
        assert_union(&run(&export, &["--conversions", &verif]), &format!("{name} with conversions"));
    }
}

#[test]
fn the_new_market_simulation_of_seed_11_has_no_empty_incident() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = dir.path().join("nm.ndjson");
    let out = bin()
        .args(["simulate", "--seed", "11", "--days", "10", "--daily", "400", "--scenario", "new-market", "-f", "twilio-messages-json"])
        .args(["-o", export.to_str().expect("path")])
        .output()
        .expect("simulate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = run(export.to_str().expect("path"), &[]);
    assert_union(&r, "new-market seed 11");
    for inc in r.report["incidents"].as_array().expect("incidents") {
        assert!(inc["messages"].as_u64() > Some(0), "{inc}");
        assert!(inc["fraud_cost_probable"].is_null(), "a legit new market is not medium: {inc}");
    }
}

#[test]
fn allowed_numbers_count_nowhere() {
    // Allow one of the burst's ranges: its messages leave every finding and incident.
    let dir = tempfile::tempdir().expect("tempdir");
    let allow = dir.path().join("allow.txt");
    std::fs::write(&allow, "+99891445\n").expect("allow");
    let export = export_of("burst");
    let before = run(&export, &[]);
    let after = run(&export, &["--allow", allow.to_str().expect("path")]);
    assert_union(&after, "burst with an allowed range");
    assert!(after.evidence.iter().all(|e| !e.4.starts_with("+99891445")), "no allowed number in the evidence");
    let msgs = |r: &Run| r.report["summary"]["messages_in_incidents"].as_u64().unwrap_or(0);
    assert_eq!(msgs(&before) - msgs(&after), before.evidence.iter().filter(|e| e.4.starts_with("+99891445")).count() as u64);
    let suppressed = after.report["suppressed"].as_array().expect("suppressed");
    assert!(suppressed.iter().any(|s| s["subject"] == "+99891445xxxx"), "the range's own findings are listed as suppressed");
    // A whole country allowed: every finding about it is suppressed, none kept.
    std::fs::write(&allow, "UZ\n").expect("allow");
    let r = run(&export, &["--allow", allow.to_str().expect("path")]);
    assert!(r.report["findings"].as_array().expect("findings").iter().all(|f| f["country"] != "UZ"));
    assert_eq!(r.report["summary"]["incidents"], 0);
    assert!(r.evidence.is_empty());
}

#[test]
fn a_legit_launch_reports_no_probable_fraud() {
    let r = run(&export_of("launch-spike"), &[]);
    assert_eq!(r.report["summary"]["fraud_cost_probable"].as_f64(), Some(0.0));
    for inc in r.report["incidents"].as_array().expect("incidents") {
        assert!(inc["fraud_cost_probable"].is_null());
    }
}

#[test]
fn one_campaign_over_several_countries_is_one_incident() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = dir.path().join("c.csv");
    let out = bin()
        .args(["simulate", "--seed", "3", "--days", "10", "--daily", "400"])
        .args(["--scenario", "burst:countries=LV+LT+EE,messages=4500,start=2024-03-06T01:00:00Z,hours=3"])
        .args(["-o", export.to_str().expect("path")])
        .output()
        .expect("simulate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = run(export.to_str().expect("path"), &[]);
    assert_union(&r, "three-country burst");
    let big: Vec<&serde_json::Value> =
        r.report["incidents"].as_array().expect("incidents").iter().filter(|i| i["severity"] != "low" && i["severity"] != "info").collect();
    assert_eq!(big.len(), 1, "one campaign, one incident: {:#}", r.report["incidents"]);
    assert_eq!(big[0]["countries"], serde_json::json!(["EE", "LT", "LV"]));
}
