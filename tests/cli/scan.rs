//! `pumphound scan` on the simulator fixtures (testdata/sim, made by testdata/make_sim_fixtures.sh
//! in several export formats): attacks found with the right countries, ranges and window; legit
//! controls quiet at medium and above; exit codes; every output format parsed; a golden table.

use crate::util::*;
use std::collections::{BTreeSet, HashMap};
use std::io::Read;

pub fn export_of(name: &str) -> String {
    let dir = fixture("sim");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("testdata/sim").filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let p = files
        .into_iter()
        .find(|p| {
            let f = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
            f.starts_with(&format!("{name}.")) && !f.contains(".truth.") && !f.contains(".verifications.")
        })
        .expect("fixture");
    format!("testdata/sim/{}", p.file_name().and_then(|f| f.to_str()).unwrap_or(""))
}

fn truth(name: &str) -> HashMap<String, String> {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixture(&format!("sim/{name}.truth.csv.gz"))).expect("truth"))
        .read_to_string(&mut s)
        .expect("gunzip");
    s.lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(id, rest)| (id.to_string(), rest.split(',').next().unwrap_or("").to_string()))
        .collect()
}

pub fn scan(name: &str, extra: &[&str]) -> (i32, serde_json::Value, Vec<HashMap<String, String>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ev = dir.path().join("evidence.csv");
    let export = export_of(name);
    let verif = format!("testdata/sim/{name}.verifications.csv.gz");
    let mut args = vec!["scan", "-q", "-f", "json", "--conversions", &verif, "--evidence", ev.to_str().expect("path"), &export];
    args.extend_from_slice(extra);
    let out = bin().args(&args).output().expect("run");
    let code = out.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "{name}: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let mut r = csv::Reader::from_path(&ev).expect("evidence");
    let headers: Vec<String> = r.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(
        headers.join(","),
        "message_id,incident_id,finding_id,detector,severity,ts,destination,country,cost,currency,incident_fingerprint,finding_fingerprint"
    );
    let rows = r.records().map(|rec| headers.iter().cloned().zip(rec.expect("row").iter().map(str::to_string)).collect()).collect();
    (code, report, rows)
}

/// The destination, country and time of the attack's messages (by the truth file).
fn attack_messages(name: &str) -> Vec<(String, Option<String>, Option<i64>)> {
    let t = truth(name);
    let l = load_paths(&[root().join(export_of(name))]);
    l.store
        .rows
        .iter()
        .filter(|m| t.get(l.store.message_id(m).unwrap_or_default().as_str()).is_some_and(|v| v.starts_with("attack:")))
        .map(|m| (l.store.destination(m), m.country_opt().map(str::to_string), m.ts_opt()))
        .collect()
}

fn in_range(dest: &str, range: &str) -> bool {
    let stem = range.trim_end_matches('x');
    dest.len() == range.len() && dest.starts_with(stem)
}

#[test]
fn every_attack_is_found_with_its_countries_ranges_and_window() {
    for name in ["burst", "low-and-slow", "rotation", "hidden", "faked-conversion"] {
        let (code, report, evidence) = scan(name, &[]);
        assert_eq!(code, 1, "{name}: an attack exits 1");
        let attack = attack_messages(name);
        assert!(!attack.is_empty());
        let incidents = report["incidents"].as_array().expect("incidents");
        let serious: Vec<&serde_json::Value> =
            incidents.iter().filter(|i| ["medium", "high", "critical"].contains(&i["severity"].as_str().unwrap_or(""))).collect();
        assert!(!serious.is_empty(), "{name}: no incident at medium or above");
        let countries: BTreeSet<String> = serious
            .iter()
            .flat_map(|i| i["countries"].as_array().into_iter().flatten().filter_map(|c| c.as_str().map(str::to_string)))
            .collect();
        let want: BTreeSet<String> = attack.iter().filter_map(|m| m.1.clone()).collect();
        assert!(want.is_subset(&countries), "{name}: countries {countries:?} miss {want:?}");
        let ranges: Vec<String> = serious
            .iter()
            .flat_map(|i| i["ranges"].as_array().into_iter().flatten().filter_map(|r| r.as_str().map(str::to_string)))
            .collect();
        let covered = attack.iter().filter(|m| ranges.iter().any(|r| in_range(&m.0, r))).count();
        assert!(
            covered as f64 >= 0.95 * attack.len() as f64,
            "{name}: ranges {ranges:?} cover {covered} of {} attack messages",
            attack.len()
        );
        let first = attack.iter().filter_map(|m| m.2).min().expect("ts");
        let last = attack.iter().filter_map(|m| m.2).max().expect("ts");
        let start = serious.iter().filter_map(|i| i["window"]["start"].as_str()).map(ms).min().expect("start");
        let end = serious.iter().filter_map(|i| i["window"]["end"].as_str()).map(ms).max().expect("end");
        assert!(start <= first + 3_600_000 && end >= last - 3_600_000, "{name}: window {start}..{end} vs attack {first}..{last}");
        // Evidence: the attack's own message ids, few legit ones.
        let t = truth(name);
        let flagged: Vec<&String> = evidence.iter().map(|r| &r["message_id"]).collect();
        let tp = flagged.iter().filter(|id| t.get(id.as_str()).is_some_and(|v| v.starts_with("attack:"))).count();
        assert!(tp as f64 >= 0.95 * attack.len() as f64, "{name}: evidence recall {tp}/{}", attack.len());
        assert!(tp as f64 >= 0.9 * flagged.len() as f64, "{name}: evidence precision {tp}/{}", flagged.len());
    }
}

#[test]
fn legit_controls_and_a_clean_period_stay_below_medium() {
    for name in ["clean", "marketing-blast", "launch-spike", "new-market", "carrier-outage", "small-country"] {
        let (code, report, _) = scan(name, &[]);
        assert_eq!(code, 0, "{name}: {}", report["summary"]);
        for f in report["findings"].as_array().expect("findings") {
            assert!(["info", "low"].contains(&f["severity"].as_str().unwrap_or("")), "{name}: {f}");
        }
    }
}

#[test]
fn a_carriers_spam_filter_on_legit_traffic_is_not_a_provider_defence() {
    // Two weeks of an account's OTPs to Italian mobiles, 150 a day, of which a carrier's filter
    // drops one in fifty (Twilio 30007, "message filtered"): 42 in all, over the provider-blocks
    // floor of 5 (and, over a longer period, of its medium 100). The rows are `blocked`, but no
    // defence fired: no provider-blocks finding, nothing at medium, exit 0.
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("filtered.csv");
    let mut text = String::from("From,To,Body,Status,SentDate,ApiVersion,NumSegments,ErrorCode,AccountSid,Sid,Direction,Price,PriceUnit\n");
    let mut sid = 0u64;
    for day in 1..=14u64 {
        for i in 0..150u64 {
            sid += 1;
            let to = format!("+39{}", 3_201_000_000 + (sid * 7_919_731) % 690_000_000);
            let (status, error) = if i % 50 == 5 { ("failed", "30007") } else { ("delivered", "") };
            let (h, m) = (7 + i / 10, (i % 10) * 6);
            text += &format!(
                "+12015550100,{to},Your code is 1,{status},\"{day:02} Mar 2024 {h:02}:{m:02}:00 +0000\",2010-04-01,1,{error},ACtest,SM{sid:032},outbound-api,-0.05,USD\n"
            );
        }
    }
    std::fs::write(&csv, text).expect("write");
    let csv = csv.to_str().expect("path");
    let out = bin().args(["scan", "-q", "-f", "json", "--min-severity", "info", csv]).output().expect("run");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(0), "{}", report["summary"]);
    let findings = report["findings"].as_array().expect("findings");
    assert!(findings.iter().all(|f| f["detector"] != "provider-blocks"), "{findings:?}");
    let dir_out = dir.path().join("out");
    let exported = bin().args(["export", "-q", "--format", "csv", "-o", p(&dir_out), csv]).output().expect("run");
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let text: String = std::fs::read_dir(&dir_out)
        .expect("out")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .map(|f| std::fs::read_to_string(f).expect("csv"))
        .collect();
    assert_eq!(text.lines().filter(|l| l.contains(",blocked,") && l.contains("30007")).count(), 14 * 3, "30007 is a blocked status");
}

#[test]
fn fail_on_and_min_severity() {
    let (code, _, _) = scan("hidden", &["--fail-on", "never"]);
    assert_eq!(code, 0, "--fail-on never");
    let (code, report, evidence) = scan("burst", &["--fail-on", "critical", "--min-severity", "high"]);
    let max = report["summary"]["max_severity"].as_str().unwrap_or("").to_string();
    assert_eq!(code, i32::from(max == "critical"), "exit 1 only at critical ({max})");
    assert!(evidence.iter().all(|r| ["high", "critical"].contains(&r["severity"].as_str())));
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| ["high", "critical"].contains(&f["severity"].as_str().unwrap_or("")))
    );
}

#[test]
fn every_output_format_parses() {
    let export = export_of("burst");
    let run = |fmt: &str| {
        let out = bin().args(["scan", "-q", "-f", fmt, &export]).output().expect("run");
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let first = run("json");
    assert_eq!(first, run("json"), "output is deterministic");
    let json: serde_json::Value = serde_json::from_str(&first).expect("json");
    assert_eq!(json["schema_version"], 3);
    let n_findings = json["findings"].as_array().map(Vec::len).unwrap_or(0);
    assert!(n_findings > 0);
    let nd = run("ndjson");
    let types: Vec<String> = nd
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("ndjson line")["type"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(types.first().map(String::as_str), Some("tool"));
    assert_eq!(types.last().map(String::as_str), Some("summary"));
    assert_eq!(types.iter().filter(|t| *t == "finding").count(), n_findings);
    let csv_text = run("csv");
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(r.headers().expect("header").get(0), Some("finding_id"));
    assert_eq!(r.records().count(), n_findings);
    let md = run("markdown");
    assert!(md.starts_with("# SMS pumping scan:") && md.contains("| Finding | Incident |"));
    let table = run("table");
    golden("scan_burst.table.txt", &table);
}

fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(want == actual, "{name} differs from tests/golden (UPDATE_GOLDEN=1 cargo test to re-bless):\n{actual}");
}

#[test]
fn detectors_listing_is_the_registry() {
    let v = json_out(&["detectors", "-f", "json"]);
    let ids: Vec<&str> = v.as_array().expect("list").iter().filter_map(|d| d["id"].as_str()).collect();
    assert_eq!(
        ids,
        ["pumped-range", "spend-anomaly", "low-conversion", "excess-unverified", "new-numbers", "number-class", "provider-blocks"]
    );
    let out = bin().args(["scan", "--detector", "nope", "testdata/formats"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["scan", "--set", "pumped-range.nope=1", "testdata/formats"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown parameter"));
}

#[test]
fn baseline_period_is_learned_from() {
    let (code, report, _) = scan("burst", &["--baseline", "testdata/sim/clean.csv.gz"]);
    assert_eq!(code, 1);
    assert_eq!(report["parameters"]["baseline"][0], "testdata/sim/clean.csv.gz");
    let new_country: Vec<&serde_json::Value> =
        report["findings"].as_array().expect("findings").iter().filter(|f| f["signal"] == "new destination country").collect();
    assert_eq!(new_country.len(), 1, "UZ is absent from the baseline");
    assert_eq!(new_country[0]["baseline"], "no traffic to this country in the baseline period");
    let (code, report, _) = scan("marketing-blast", &["--baseline", "testdata/sim/clean.csv.gz"]);
    assert_eq!(code, 0, "{}", report["summary"]);
}

#[test]
fn allow_list_suppresses_and_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let allow = dir.path().join("allow.txt");
    std::fs::write(&allow, "# our Uzbek partner\nUZ\n").expect("write");
    let (code, report, evidence) = scan("burst", &["--allow", allow.to_str().expect("path")]);
    assert_eq!(code, 0, "everything about UZ is suppressed");
    assert_eq!(report["summary"]["findings"], 0);
    let suppressed = report["suppressed"].as_array().expect("suppressed");
    assert!(!suppressed.is_empty() && report["summary"]["suppressed"] == suppressed.len());
    assert!(suppressed.iter().all(|s| s["reason"] == "country UZ is allowed"));
    assert!(evidence.is_empty(), "suppressed findings have no evidence rows");
    std::fs::write(&allow, "Uzbekistan\n").expect("write");
    let out = bin().args(["scan", "--allow", allow.to_str().expect("path"), "testdata/formats"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1: `Uzbekistan`"));
}

#[test]
fn config_file_sets_parameters_and_flags_win() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("pumphound.toml");
    std::fs::write(&cfg, "[pumped-range]\nmin_distinct = 100000\n\n[low-conversion]\nauthgear = true\n").expect("write");
    let c = cfg.to_str().expect("path");
    let (_, report, _) = scan("burst", &["--config", c]);
    assert_eq!(report["parameters"]["params"]["pumped-range.min_distinct"], 100000.0);
    assert_eq!(report["parameters"]["params"]["low-conversion.authgear"], 1.0);
    assert!(report["findings"].as_array().expect("findings").iter().all(|f| f["detector"] != "pumped-range"));
    let (_, report, _) = scan("burst", &["--config", c, "--set", "pumped-range.min_distinct=12"]);
    assert_eq!(report["parameters"]["params"]["pumped-range.min_distinct"], 12.0, "--set wins over --config");
    std::fs::write(&cfg, "[pumped-range]\nmin_distinct = \"many\"\n").expect("write");
    let out = bin().args(["scan", "--config", c, "testdata/formats"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a number"));
}

#[test]
fn man_page_lists_every_detector_and_inputs_carry_sha256() {
    let man = String::from_utf8(pumphound::commands::generate::man_page().expect("man")).expect("utf-8");
    assert!(man.contains("DETECTORS"));
    for d in pumphound::detect::REGISTRY {
        assert!(man.contains(&d.id.replace('-', "\\-")), "{} missing from the man page", d.id);
    }
    let (_, report, _) = scan("clean", &[]);
    let sha = report["inputs"][0]["sha256"].as_str().expect("sha256");
    assert_eq!(sha.len(), 64);
    assert!(sha.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn time_and_country_filters() {
    // The burst is on 2024-03-08 and goes to UZ.
    let (code, report, _) = scan("burst", &["--country", "GB", "--country", "us"]);
    assert_eq!(code, 0, "no attack in GB or US");
    assert_eq!(report["parameters"]["countries"], serde_json::json!(["GB", "US"]));
    assert!(report["summary"]["messages_scanned"].as_u64() < report["summary"]["messages_loaded"].as_u64());
    let (code, _, _) = scan("burst", &["--until", "2024-03-08T00:00:00Z"]);
    assert_eq!(code, 0, "before the burst");
    let (code, report, _) = scan("burst", &["--since", "2024-03-08", "--until", "2024-03-09"]);
    assert_eq!(code, 1, "the day of the burst");
    assert_eq!(report["parameters"]["since"], "2024-03-08T00:00:00Z");
    let out = bin().args(["scan", "--since", "last tuesday", "testdata/formats"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let export = export_of("burst");
    let plain = bin().args(["scan", "-q", &export]).output().expect("run");
    assert!(!plain.stdout.contains(&0x1b), "no escape codes off a terminal");
    let coloured = bin().args(["scan", "-q", "--color", "always", &export]).output().expect("run");
    assert!(coloured.stdout.contains(&0x1b), "--color always colours severities");
}
