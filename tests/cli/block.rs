//! `pumphound block`: rule files per target (golden), the AWS files against botocore's service
//! model, the what-if against the fixture's truth, shared calling codes, and the refusals.

use crate::util::{bin, root};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = "testdata/sim/block.csv.gz";
const VERIFIED: &str = "testdata/sim/block.verifications.csv.gz";
const TARGETS: [&str; 7] = ["aws-protect", "twilio-geo", "twilio-safelist", "firebase", "vonage", "csv", "json"];

/// `pumphound block` over the fixture into a fresh directory, with a fixed clock.
fn block(extra: &[&str]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("rules");
    let mut args: Vec<&str> = vec!["block", "-q", "--out", out_dir.to_str().expect("path"), "--conversions", VERIFIED];
    args.extend(extra);
    args.push(FIXTURE);
    let out = bin().env("SOURCE_DATE_EPOCH", "1710000000").args(&args).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("utf-8").replace(out_dir.to_str().expect("path"), "OUT");
    (dir, stdout)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").map(|e| e.expect("entry").path()) {
            if e.is_dir() { stack.push(e) } else { out.push(e) }
        }
    }
    out.sort();
    out
}

fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden/block").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, actual).expect("write golden");
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(want == actual, "block/{name} differs from tests/golden (UPDATE_GOLDEN=1 cargo test to re-bless):\n{actual}");
}

fn rules_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("rules/rules.json")).expect("rules.json")).expect("JSON")
}

#[test]
fn every_target_writes_its_golden_files() {
    let (dir, stdout) = block(&["--protect-configuration-id", "protect-0123456789abcdef0123456789abcdef"]);
    golden("stdout.txt", &stdout);
    let base = dir.path().join("rules");
    for target in TARGETS {
        let place = match target {
            "csv" => "rules.csv",
            "json" => "rules.json",
            t => t,
        };
        let mut text = String::new();
        let files: Vec<PathBuf> = if base.join(place).is_dir() { files_under(&base.join(place)) } else { vec![base.join(place)] };
        // One override file a number: the first two in full, the rest by name.
        let overrides: Vec<&PathBuf> = files.iter().filter(|f| f.to_string_lossy().contains("/overrides/")).collect();
        for f in &files {
            let rel = f.strip_prefix(&base).expect("under").display().to_string();
            #[cfg(unix)]
            let mode = {
                use std::os::unix::fs::PermissionsExt;
                if std::fs::metadata(f).expect("meta").permissions().mode() & 0o111 != 0 { " (executable)" } else { "" }
            };
            #[cfg(not(unix))]
            let mode = "";
            let i = overrides.iter().position(|o| *o == f);
            if i.is_some_and(|i| i >= 2) {
                text.push_str(&format!("== {rel}\n"));
            } else {
                text.push_str(&format!("== {rel}{mode}\n{}", std::fs::read_to_string(f).expect("read")));
            }
        }
        golden(&format!("{target}.txt"), &text);
    }
    // Every override says the same apart from its number.
    let ids: BTreeSet<String> = files_under(&base.join("aws-protect/overrides"))
        .iter()
        .map(|f| {
            let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(f).expect("read")).expect("JSON");
            assert_eq!((v["Action"].as_str(), v["ExpirationTimestamp"].as_i64()), (Some("BLOCK"), Some(1_710_000_000 + 30 * 86_400)));
            v["DestinationPhoneNumber"].as_str().expect("number").to_string()
        })
        .collect();
    // The attack's numbers only (a legit user's number in the pumped block, sent to days before
    // the attack, is not one of them).
    let attack = attack_numbers();
    let legit: Vec<&String> = ids.iter().filter(|n| !attack.contains(*n)).collect();
    assert!(legit.is_empty(), "overrides for legit numbers: {legit:?}");
    assert_eq!(ids.len(), 150);
}

/// The destinations of the fixture's attack messages, by its truth file.
fn attack_numbers() -> BTreeSet<String> {
    let gunzip = |name: &str| {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(root().join(name)).expect("open")).read_to_string(&mut text).expect("gunzip");
        text
    };
    let truth = gunzip("testdata/sim/block.truth.csv.gz");
    let attack: BTreeSet<&str> =
        truth.lines().skip(1).filter_map(|l| l.split_once(',')).filter(|(_, rest)| rest.starts_with("attack")).map(|(id, _)| id).collect();
    let mut rows = csv::Reader::from_reader(std::io::Cursor::new(gunzip(FIXTURE)));
    let headers = rows.headers().expect("header").clone();
    let (to, sid) = (headers.iter().position(|h| h == "To").expect("To"), headers.iter().position(|h| h == "Sid").expect("Sid"));
    rows.records().map(|r| r.expect("record")).filter(|r| attack.contains(&r[sid])).map(|r| r[to].to_string()).collect()
}

fn validate(py: &str, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new(py).arg(root().join("tests/validate_aws.py")).args(files).output().expect("python");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn aws_files_validate_against_the_botocore_service_model() {
    let Some(py) = crate::util::python_with("botocore") else { return };
    let (dir, _) = block(&["--target", "aws-protect"]);
    let files: Vec<PathBuf> =
        files_under(&dir.path().join("rules/aws-protect")).into_iter().filter(|f| f.extension().is_some_and(|e| e == "json")).collect();
    assert_eq!(files.len(), 151, "one country file and 150 overrides");
    let (ok, report) = validate(&py, &files);
    assert!(ok, "{report}");
    assert!(report.contains("151 of 151 files valid"), "{report}");
    // The validator catches what the service would refuse: 301 countries, a renamed field.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).expect("mkdir");
    let map: serde_json::Map<String, serde_json::Value> = (0..301)
        .map(|i| {
            (
                format!("{}{}", (b'A' + (i / 26) as u8) as char, (b'A' + (i % 26) as u8) as char),
                serde_json::json!({"ProtectStatus": "BLOCK"}),
            )
        })
        .collect();
    let too_many = serde_json::json!({"ProtectConfigurationId": "protect-1", "NumberCapability": "SMS", "CountryRuleSetUpdates": map});
    std::fs::write(bad.join("country-rules-301.json"), too_many.to_string()).expect("write");
    let renamed = serde_json::json!({"ProtectConfigurationId": "protect-1", "NumberCapability": "SMS", "CountryRuleSet": {"UZ": {"ProtectStatus": "BLOCK"}}});
    std::fs::write(bad.join("country-rules-renamed.json"), renamed.to_string()).expect("write");
    let lower = serde_json::json!({"ProtectConfigurationId": "protect-1", "DestinationPhoneNumber": "+998901234567", "Action": "block"});
    std::fs::write(bad.join("override-lower.json"), lower.to_string()).expect("write");
    for f in files_under(&bad) {
        let (ok, report) = validate(&py, std::slice::from_ref(&f));
        assert!(!ok, "{} should fail: {report}", f.display());
    }
}

/// The export's rows: (destination, cost, truth label).
fn fixture_rows() -> Vec<(String, f64, String)> {
    let read = |p: &str| {
        let mut s = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(root().join(p)).expect("open")).read_to_string(&mut s).expect("gunzip");
        s
    };
    let truth: BTreeMap<String, String> = csv::Reader::from_reader(read("testdata/sim/block.truth.csv.gz").as_bytes())
        .records()
        .map(|r| r.expect("truth row"))
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    csv::Reader::from_reader(read(FIXTURE).as_bytes())
        .records()
        .map(|r| r.expect("row"))
        .map(|r| (r[1].to_string(), r[11].parse::<f64>().map_or(0.0, f64::abs), truth[&r[9]].clone()))
        .collect()
}

#[test]
fn what_if_figures_match_counts_made_from_the_truth_file() {
    let (dir, _) = block(&["--target", "json"]);
    let v = rules_json(dir.path());
    let rows = fixture_rows();
    let rules = v["rules"].as_array().expect("rules");
    assert!(rules.len() >= 4, "{v}");
    for r in rules {
        let numbers: BTreeSet<&str> = r["numbers"].as_array().expect("numbers").iter().filter_map(|n| n.as_str()).collect();
        let subject = r["subject"].as_str().expect("subject");
        // What the rule matches, from the raw export: the fixture's countries have their own
        // calling codes (UZ +998, GB +44, US +1, DE +49).
        let matches = |to: &str| match r["scope"].as_str() {
            Some("country") => to.starts_with(match subject {
                "UZ" => "+998",
                "GB" => "+44",
                other => panic!("unexpected country rule {other}"),
            }),
            Some("prefix") => to.starts_with(subject),
            _ => {
                numbers.contains(to)
                    || numbers.iter().any(|n| n.ends_with("xxx") && to.len() == n.len() && to.starts_with(&n[..n.len() - 3]))
            }
        };
        let side = |label: &str| {
            let hit: Vec<&(String, f64, String)> =
                rows.iter().filter(|(to, _, l)| matches(to) && l.starts_with("attack") == (label == "attack")).collect();
            let distinct: BTreeSet<&str> = hit.iter().map(|h| h.0.as_str()).collect();
            (hit.len() as u64, distinct.len() as u64, hit.iter().map(|h| h.1).sum::<f64>())
        };
        let (stops, legit) = (side("attack"), side("legit"));
        let id = r["id"].as_str().unwrap_or("?");
        let got = |side: &str, what: &str| r[side][what].as_u64().expect("count");
        let cost = |side: &str| r[side]["cost"].as_f64().expect("cost");
        // Everything the rule matches, exactly; split into attack and legit as the incidents
        // split it, which the truth confirms to within the detector's error (one message in
        // a hundred here).
        assert_eq!(got("stops", "messages") + got("legit", "messages"), stops.0 + legit.0, "{id}: {r}");
        assert!((cost("stops") + cost("legit") - stops.2 - legit.2).abs() < 0.02, "{id}: {r}");
        let (attack, told) = (stops.0 as f64, got("stops", "messages") as f64);
        assert!((told - attack).abs() <= (0.01 * attack).max(1.0), "{id}: stops {told} messages, the truth {attack}: {r}");
        assert!((got("stops", "numbers") as f64 - stops.1 as f64).abs() <= (0.01 * stops.1 as f64).max(1.0), "{id}: {r}");
        let (legit_told, legit_true) = (got("legit", "messages") as f64, legit.0 as f64);
        assert!((legit_told - legit_true).abs() <= (0.01 * attack).max(1.0), "{id}: legit {legit_told}, the truth {legit_true}: {r}");
    }
    // The served country is not blocked whole, and says what a block would cost.
    let declined = v["declined"].as_array().expect("declined");
    assert!(declined.iter().any(|d| d["target"] == "twilio-geo" && d["country"] == "GB" && d["legit_numbers"].as_u64() > Some(500)), "{v}");
}

#[test]
fn shared_calling_codes_map_to_their_own_regions() {
    // Legit traffic to the US, the UK and Russia; pumping into Jamaica (+1 876), Kazakhstan
    // (+7 7xx) and Guernsey (+44 7781), whose calling codes those countries share.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("export.csv");
    let mut text = String::from("From,To,Body,Status,SentDate,Sid,Price,PriceUnit\n");
    let mut sid = 0;
    let mut push = |to: String, day: u32, hour: u32, min: u32| {
        sid += 1;
        text.push_str(&format!(
            "+12015550100,{to},Your code is 1234,delivered,2024-03-{day:02}T{hour:02}:{min:02}:00Z,SM{sid:032x},-0.05,USD\n"
        ));
    };
    // Legit numbers spread over the plans (a hash of day and index), none in a dense block.
    const AREAS: [u32; 10] = [201, 212, 305, 312, 415, 512, 617, 702, 713, 818];
    for day in 1..=10u64 {
        for i in 0..60u64 {
            let n = (day * 60 + i).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
            let (h, m) = ((i % 24) as u32, (i % 60) as u32);
            push(format!("+1{}{}{:04}", AREAS[(n % 10) as usize], 200 + n / 10 % 800, n / 8_000 % 10_000), day as u32, h, m);
            push(format!("+447{}{:08}", [4, 5, 7, 8, 9][(n % 5) as usize], n / 5 % 100_000_000), day as u32, h, (m + 7) % 60);
            push(format!("+79{}{:08}", n % 10, n / 10 % 100_000_000), day as u32, h, (m + 13) % 60);
        }
    }
    for i in 0..300u32 {
        push(format!("+1876{:07}", 5_000_000 + i), 9, 2 + i / 100, i % 60);
        push(format!("+7701{:07}", 1_000_000 + i), 9, 5 + i / 100, i % 60);
        push(format!("+447781{:06}", 100_000 + i), 9, 8 + i / 100, i % 60);
    }
    std::fs::write(&path, text).expect("write");
    let out_dir = dir.path().join("rules");
    let out = bin().args(["block", "-q", "--out", out_dir.to_str().expect("p"), path.to_str().expect("p")]).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out_dir.join("rules.json")).expect("json")).expect("JSON");
    let countries: BTreeSet<&str> = v["rules"].as_array().expect("rules").iter().filter_map(|r| r["country"].as_str()).collect();
    assert_eq!(countries, BTreeSet::from(["GG", "JM", "KZ"]), "{v}");
    let blocked: BTreeSet<&str> =
        v["rules"].as_array().expect("rules").iter().filter(|r| r["scope"] == "country").filter_map(|r| r["subject"].as_str()).collect();
    assert!(!blocked.contains("US") && !blocked.contains("GB") && !blocked.contains("RU"), "{v}");
    // Vonage blocks by digits: the shared codes (1, 7, 44) are never a Vonage rule, the
    // pumped ranges are.
    let prefixes: Vec<String> = files_under(&out_dir.join("vonage"))
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
        .map(|f| {
            serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(f).expect("read")).expect("JSON")["prefix"]
                .as_str()
                .expect("prefix")
                .to_string()
        })
        .collect();
    assert!(
        !prefixes.is_empty() && prefixes.iter().all(|p| p.starts_with("1876") || p.starts_with("7701") || p.starts_with("447781")),
        "{prefixes:?}"
    );
    let geo = std::fs::read_to_string(out_dir.join("twilio-geo/apply.sh")).expect("geo");
    for c in ["JM", "KZ", "GG"] {
        assert!(geo.contains(&format!("\"country_code\":\"{c}\"")), "{geo}");
    }
}

#[test]
fn unknown_targets_and_existing_rules_are_refused() {
    let out = bin().args(["block", "--out", "/tmp/never", "--target", "pagerduty", FIXTURE]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("aws-protect") && err.contains("twilio-geo") && err.contains("vonage"), "{err}");
    // A second run into the same directory: refused before the scan, then replaced whole.
    let (dir, _) = block(&["--target", "aws-protect"]);
    let out_dir = dir.path().join("rules");
    let stale = out_dir.join("aws-protect/overrides/stale.json");
    std::fs::write(&stale, "{}").expect("write");
    let again =
        bin().args(["block", "-q", "--out", out_dir.to_str().expect("p"), "--target", "aws-protect", FIXTURE]).output().expect("run");
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.starts_with("pumphound: ") && err.contains("aws-protect: exists; use --force"), "{err}");
    let forced = bin()
        .args(["block", "-q", "--force", "--out", out_dir.to_str().expect("p"), "--target", "aws-protect", FIXTURE])
        .output()
        .expect("run");
    assert_eq!(forced.status.code(), Some(0), "{}", String::from_utf8_lossy(&forced.stderr));
    assert!(!stale.exists(), "an old run's files do not survive --force");
    assert!(out_dir.join("aws-protect/apply.sh").exists());
    let bad = bin().args(["block", "--out", "/tmp/never", "--max-legit-share", "5", FIXTURE]).output().expect("run");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn firebase_merges_with_the_current_policy_and_says_so_without_it() {
    let (dir, stdout) = block(&["--target", "firebase"]);
    assert!(stdout.starts_with("firebase: without --current"), "{stdout}");
    let read = |d: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("rules/firebase/sms-region-config.json")).expect("read")).expect("JSON")
    };
    assert_eq!(read(dir.path())["smsRegionConfig"]["allowByDefault"]["disallowedRegions"], serde_json::json!(["UZ"]));
    let current = dir.path().join("current.json");
    std::fs::write(&current, r#"{"smsRegionConfig": {"allowByDefault": {"disallowedRegions": ["KP", "UZ"]}}}"#).expect("write");
    let (dir2, stdout) = block(&["--target", "firebase", "--current", current.to_str().expect("p")]);
    assert!(!stdout.contains("without --current"), "{stdout}");
    assert_eq!(read(dir2.path())["smsRegionConfig"]["allowByDefault"]["disallowedRegions"], serde_json::json!(["KP", "UZ"]));
    std::fs::write(&current, r#"{"sms_region_config": {"allowlist_only": {"allowed_regions": ["GB", "US", "UZ"]}}}"#).expect("write");
    let (dir3, _) = block(&["--target", "firebase", "--current", current.to_str().expect("p")]);
    assert_eq!(read(dir3.path())["smsRegionConfig"]["allowlistOnly"]["allowedRegions"], serde_json::json!(["GB", "US"]));
}

#[test]
fn scan_json_carries_the_same_proposed_rules() {
    let (dir, _) = block(&["--target", "json"]);
    let from_block = rules_json(dir.path());
    let out = bin().args(["scan", "-f", "json", "--fail-on", "never", "--conversions", VERIFIED, FIXTURE]).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["proposed_rules"], from_block);
    let nd = bin().args(["scan", "-f", "ndjson", "--fail-on", "never", "--conversions", VERIFIED, FIXTURE]).output().expect("run");
    let lines = String::from_utf8_lossy(&nd.stdout).lines().filter(|l| l.contains("\"type\":\"rule\"")).count();
    assert_eq!(lines, from_block["rules"].as_array().map_or(0, Vec::len));
    let table = bin().args(["scan", "--fail-on", "never", FIXTURE]).output().expect("run");
    assert!(!String::from_utf8_lossy(&table.stdout).contains("proposed_rules"));
}
