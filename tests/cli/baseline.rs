//! `pumphound baseline build` and `scan --baseline FILE`: a saved baseline gives the findings its
//! exports give as `--baseline`, for Console CSV and for a Verify export (conversion known); the
//! file is deterministic; bad files, mixed inputs and overwrites are refused with exit 2.

use crate::util::{bin, p};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `simulate` into `dir/name`: `days` days from `start`, in `format`, with `scenarios`.
fn simulate(dir: &Path, name: &str, seed: &str, start: &str, days: &str, format: &str, scenarios: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut c = bin();
    c.args(["simulate", "--seed", seed, "--start", start, "--days", days, "--daily", "600", "--format", format, "-o", p(&out)]);
    for s in scenarios {
        c.args(["--scenario", s]);
    }
    let run = c.output().expect("simulate");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    out
}

fn build(inputs: &[&str], out: &Path) {
    let run = bin().args(["baseline", "build", "-q", "-o", p(out)]).args(inputs).output().expect("build");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(run.stdout.is_empty(), "the file holds the baseline; stdout nothing");
}

/// `scan -f json` of `input` with `--baseline` `base`; the report without what names the
/// baseline's inputs (the only part that may differ).
fn scan_with(base: &[&str], input: &str) -> Value {
    let mut c = bin();
    c.args(["scan", "-q", "-f", "json", "--fail-on", "never"]);
    for b in base {
        c.args(["--baseline", b]);
    }
    let run = c.arg(input).output().expect("scan");
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let mut v: Value = serde_json::from_slice(&run.stdout).expect("json");
    let inputs = v["inputs"].as_array_mut().expect("inputs");
    inputs.retain(|i| i["role"] != "baseline");
    v["parameters"]["baseline"] = Value::Null;
    v
}

fn detectors(v: &Value) -> Vec<String> {
    let mut d: Vec<String> =
        v["findings"].as_array().expect("findings").iter().map(|f| f["detector"].as_str().unwrap_or("").into()).collect();
    d.dedup();
    d
}

#[test]
fn a_saved_baseline_gives_the_findings_of_its_console_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The baseline period in two files of a directory, as nightly exports are kept.
    let nights = dir.path().join("nights");
    std::fs::create_dir(&nights).expect("mkdir");
    simulate(&nights, "a.csv", "31", "2024-02-16", "7", "twilio-console-csv", &[]);
    simulate(&nights, "b.csv", "32", "2024-02-23", "7", "twilio-console-csv", &[]);
    let saved = dir.path().join("baseline.json");
    build(&[p(&nights)], &saved);
    let text = std::fs::read_to_string(&saved).expect("read");
    let file: Value = serde_json::from_str(&text).expect("baseline json");
    assert_eq!(file["pumphound_baseline"], 1);
    assert_eq!(file["inputs"].as_array().map(Vec::len), Some(2));
    assert_eq!(file["period"][0].as_str().map(|s| &s[..10]), Some("2024-02-16"));
    assert!(file["numbers"]["count"].as_u64().unwrap_or(0) > 1000);
    assert!(file["judged"].is_null(), "the Console export knows no conversion");
    for attack in
        ["testdata/sim/burst.csv.gz", "testdata/sim/block.csv.gz", "testdata/sim/operator-spread.csv.gz", "testdata/sim/tv-surge.csv.gz"]
    {
        let raw = scan_with(&[p(&nights)], attack);
        let from_file = scan_with(&[p(&saved)], attack);
        assert_eq!(raw, from_file, "{attack}: the saved baseline and its exports disagree");
        assert_ne!(raw, scan_with(&[], attack), "{attack}: the baseline changes nothing: the comparison proves nothing");
    }
    let burst = scan_with(&[p(&saved)], "testdata/sim/burst.csv.gz");
    assert!(
        burst["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["baseline"] == "no traffic to this country in the baseline period")
    );
    // Built twice, the same bytes; and the inputs in another order learn the same baseline.
    let again = dir.path().join("again.json");
    build(&[p(&nights)], &again);
    assert_eq!(text, std::fs::read_to_string(&again).expect("read"));
    let swapped = dir.path().join("swapped.json");
    build(&[p(&nights.join("b.csv")), p(&nights.join("a.csv"))], &swapped);
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(&swapped).expect("read")).expect("json");
    let mut f = file.clone();
    s["inputs"] = Value::Null;
    f["inputs"] = Value::Null;
    assert_eq!(s, f);
}

#[test]
fn a_saved_baseline_gives_the_findings_of_its_verify_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = simulate(dir.path(), "base.ndjson", "41", "2024-02-16", "14", "twilio-verify-attempts", &[]);
    let saved = dir.path().join("baseline.json");
    build(&[p(&base)], &saved);
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&saved).expect("read")).expect("json");
    let conversion = file["conversion"].as_f64().expect("the Verify export knows conversion");
    assert!((0.5..1.0).contains(&conversion), "{conversion}");
    assert!(file["judged"]["slices"].as_object().is_some_and(|s| !s.is_empty()), "per-country and operator rates");
    // Two attacks (findings to compare) and a legit customer block (quiet both ways).
    for (scenario, attack) in
        [("unverified-spread:unverified=300,legit=0.5", true), ("faked-conversion", true), ("business-block:block=1000,staff=200", false)]
    {
        let is_attack = attack;
        let attack = simulate(
            dir.path(),
            &format!("attack-{}.ndjson", scenario.len()),
            "42",
            "2024-03-01",
            "10",
            "twilio-verify-attempts",
            &[scenario],
        );
        let raw = scan_with(&[p(&base)], p(&attack));
        let from_file = scan_with(&[p(&saved)], p(&attack));
        assert_eq!(raw, from_file, "{scenario}: the saved baseline and its exports disagree");
        assert_eq!(!detectors(&raw).is_empty(), is_attack, "{scenario}: {:?}", detectors(&raw));
    }
}

#[test]
fn bad_baselines_and_overwrites_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("baseline.json");
    build(&["testdata/sim/clean.csv.gz"], &saved);
    let run = |args: &[&str]| {
        let out = bin().args(args).output().expect("run");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned(), out.stdout)
    };
    // Not again without --force; with it, yes.
    let (code, err, _) = run(&["baseline", "build", "-o", p(&saved), "testdata/sim/clean.csv.gz"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("exists; use --force"), "{err}");
    let (code, _, _) = run(&["baseline", "build", "-q", "--force", "-o", p(&saved), "testdata/sim/clean.csv.gz"]);
    assert_eq!(code, Some(0));
    // To stdout.
    let (code, _, out) = run(&["baseline", "build", "-q", "-o", "-", "testdata/sim/clean.csv.gz"]);
    assert_eq!(code, Some(0));
    assert_eq!(out, std::fs::read(&saved).expect("read"));
    // A saved baseline is used alone.
    let (code, err, _) = run(&["scan", "--baseline", p(&saved), "--baseline", "testdata/sim/clean.csv.gz", "testdata/sim/burst.csv.gz"]);
    assert_eq!(code, Some(2));
    assert!(err.starts_with("pumphound: --baseline ") && err.contains("used alone"), "{err}");
    // Cut short, another layout, a number set that does not add up: exit 2 naming the file.
    let text = std::fs::read_to_string(&saved).expect("read");
    let cases = [
        ("cut.json", text[..text.len() / 2].to_string(), "not a baseline this pumphound reads"),
        ("future.json", text.replacen("\"pumphound_baseline\": 1", "\"pumphound_baseline\": 9", 1), "build it again"),
        ("count.json", text.replacen("\"count\": ", "\"count\": 1", 1), "numbers:"),
    ];
    for (name, body, says) in cases {
        let bad = dir.path().join(name);
        std::fs::write(&bad, body).expect("write");
        let (code, err, out) = run(&["scan", "--baseline", p(&bad), "testdata/sim/burst.csv.gz"]);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(&format!("--baseline {}", p(&bad))) && err.contains(says), "{name}: {err}");
    }
    // Nothing to learn from.
    let (code, err, _) = run(&["baseline", "build", "-o", p(&dir.path().join("x.json")), "--country", "ZZ", "testdata/sim/clean.csv.gz"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("to learn from"), "{err}");
    assert!(!dir.path().join("x.json").exists(), "no file left behind");
    // Learned for every country, scanned for one: a warning, and the scan runs.
    let (code, err, _) =
        run(&["scan", "-f", "json", "--fail-on", "never", "--country", "UZ", "--baseline", p(&saved), "testdata/sim/burst.csv.gz"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("learned from every country, this scan is of UZ"), "{err}");
}

#[test]
fn one_night_of_a_customer_block_is_known_from_the_saved_baseline() {
    // 14 days of an account with a business customer's staff in one block (Verify export); the
    // last day scanned alone, as a nightly job does, without and with the days before it saved.
    let dir = tempfile::tempdir().expect("tempdir");
    let export =
        simulate(dir.path(), "all.ndjson", "12", "2024-03-01", "14", "twilio-verify-attempts", &["business-block:block=1000,staff=200"]);
    let saved = dir.path().join("baseline.json");
    let run = bin().args(["baseline", "build", "-q", "--until", "2024-03-13", "-o", p(&saved), p(&export)]).output().expect("build");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let night = |base: &[&str]| -> Vec<(String, String, String)> {
        let out = bin()
            .args(["scan", "-q", "-f", "json", "--fail-on", "never", "--min-severity", "info", "--since", "2024-03-13"])
            .args(base)
            .arg(p(&export))
            .output()
            .expect("scan");
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["detector"] == "pumped-range")
            .map(|f| {
                (
                    f["severity"].as_str().unwrap_or("").into(),
                    f["note"].as_str().unwrap_or("").into(),
                    f["subject"].as_str().unwrap_or("").into(),
                )
            })
            .collect()
    };
    // Alone, one day cannot measure novelty: the block converts as the account does and its
    // numbers are no more sequential than chance, so it is at most low and asks for a baseline.
    let alone = night(&[]);
    assert!(!alone.is_empty(), "the block is reported");
    for (sev, note, subject) in &alone {
        assert_eq!(sev, "low", "{subject}: {note}");
        assert!(note.contains("no history") && note.contains("--baseline"), "{note}");
    }
    let known = night(&["--baseline", p(&saved)]);
    assert!(!known.is_empty(), "the block is still reported, as what it is");
    for (sev, note, subject) in &known {
        assert_eq!(sev, "info", "{subject}: {note}");
        assert!(note.contains("were known before the period"), "{note}");
    }
}
