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

#[test]
fn durations_need_a_unit() {
    let out = bin().args(["inspect", "--conversion-window", "15", "testdata/formats/twilio-console.csv"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--conversion-window: `15` needs a unit"));
    let out = bin().args(["inspect", "-q", "--conversion-window", "900s", "testdata/formats/twilio-console.csv"]).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn man_page_has_examples_exit_status_severity_and_evidence_and_no_dangling_pages() {
    let man = String::from_utf8(pumphound::commands::generate::man_page().expect("man")).expect("utf-8");
    for section in [".SH EXAMPLES", ".SH \"EXIT STATUS\"", ".SH SEVERITY", ".SH EVIDENCE", ".SH COMMANDS"] {
        assert!(man.contains(section), "{section}");
    }
    for col in pumphound::report::evidence::HEADER {
        assert!(man.contains(col), "evidence column {col}");
    }
    // No reference to a page that does not exist (pumphound-scan(1) and the like).
    assert!(!man.contains("(1)"), "a reference to another man page");
}

#[test]
fn help_lists_generate_and_only_the_options_a_command_has() {
    let top = bin().arg("--help").output().expect("help");
    assert!(String::from_utf8_lossy(&top.stdout).contains("generate"));
    for cmd in ["detectors", "formats", "simulate"] {
        let out = bin().args([cmd, "--help"]).output().expect("help");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("--timings") && !text.contains("--no-progress"), "{cmd} --help: {text}");
    }
    let out = bin().args(["scan", "--help"]).output().expect("help");
    assert!(String::from_utf8_lossy(&out.stdout).contains("--timings"));
}

#[test]
fn baseline_inputs_are_listed_and_hashed() {
    let v = json_out(&[
        "scan",
        "-q",
        "--fail-on",
        "never",
        "-f",
        "json",
        "--baseline",
        "testdata/sim/clean.csv.gz",
        "testdata/sim/burst.csv.gz",
    ]);
    let inputs = v["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 2);
    assert_eq!((inputs[0]["role"].as_str(), inputs[1]["role"].as_str()), (Some("scan"), Some("baseline")));
    assert_eq!(inputs[1]["path"], "testdata/sim/clean.csv.gz");
    assert_eq!(inputs[1]["sha256"].as_str().map(str::len), Some(64));
}

#[test]
fn ndjson_writes_the_numbers_json_writes() {
    let args =
        ["scan", "-q", "--fail-on", "never", "--conversions", "testdata/sim/burst.verifications.csv.gz", "testdata/sim/burst.csv.gz"];
    let json = json_out(&[&args[..], &["-f", "json"]].concat());
    let out = bin().args([&args[..], &["-f", "ndjson"]].concat()).output().expect("run");
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("line")).collect();
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().map(|o| o.remove("type"));
        v
    };
    let findings: Vec<serde_json::Value> = lines.iter().filter(|l| l["type"] == "finding").cloned().map(strip).collect();
    assert_eq!(&findings, json["findings"].as_array().expect("findings"));
    let params = lines.iter().find(|l| l["type"] == "parameters").cloned().map(strip).expect("parameters");
    assert_eq!(params, json["parameters"]);
    assert_eq!(json["parameters"]["params"]["pumped-range.min_distinct"].to_string(), "12", "integers without .0");
    let summary = lines.iter().find(|l| l["type"] == "summary").cloned().map(strip).expect("summary");
    assert_eq!(summary, json["summary"]);
    // The low-conversion threshold names the Authgear rule only when it is on.
    for f in json["findings"].as_array().expect("findings").iter().filter(|f| f["detector"] == "low-conversion") {
        assert!(!f["threshold"].as_str().unwrap_or("").contains("Authgear"), "{f}");
    }
}

#[test]
fn status_changes_fold_by_their_times_not_by_file_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let msg = |status: &str, code: &str, updated: &str| {
        format!(
            "{{\"sid\": \"SM000000000000000000000000000000f1\", \"account_sid\": \"ACtest\", \"from\": \"+12015550100\", \
\"to\": \"+447400310000\", \"body\": \"Your code is 1\", \"status\": \"{status}\", \"direction\": \"outbound-api\", \
\"num_segments\": \"1\", \"price\": \"-0.04000\", \"error_code\": {code}, \"price_unit\": \"USD\", \
\"date_created\": \"Sat, 01 Jun 2019 12:00:00 +0000\", \"date_sent\": \"Sat, 01 Jun 2019 12:00:00 +0000\", \
\"date_updated\": \"{updated}\"}}\n"
        )
    };
    let fold = |a: &str, b: &str| {
        let (pa, pb) = (dir.path().join("a.ndjson"), dir.path().join("b.ndjson"));
        std::fs::write(&pa, a).expect("a");
        std::fs::write(&pb, b).expect("b");
        let one = load_paths(&[pa.clone(), pb.clone()]);
        let two = load_paths(&[pb, pa]);
        let view = |l: &pumphound::ingest::Loaded| {
            let m = by_id(&l.store, "SM000000000000000000000000000000f1");
            (m.status, l.store.str(m.error_code).map(str::to_string))
        };
        assert_eq!(view(&one), view(&two), "the same in either file order");
        view(&one)
    };
    let delivered_later = msg("delivered", "null", "Sat, 01 Jun 2019 12:05:00 +0000");
    let failed_earlier = msg("failed", "30008", "Sat, 01 Jun 2019 12:03:00 +0000");
    assert_eq!(fold(&delivered_later, &failed_earlier).0, pumphound::schema::Status::Delivered, "the later status wins");
    // At one instant the files disagree: a fixed order decides, never the file order.
    let failed_same = msg("failed", "30008", "Sat, 01 Jun 2019 12:05:00 +0000");
    fold(&delivered_later, &failed_same);
}

#[test]
fn stdin_has_no_known_size() {
    use pumphound::ingest::source::InputPath;
    assert_eq!(pumphound::ingest::total_bytes(&[InputPath::Stdin]), None, "progress shows bytes and rate, no total");
    let p = fixture("formats/twilio-console.csv");
    let size = std::fs::metadata(&p).expect("fixture").len();
    assert_eq!(pumphound::ingest::total_bytes(&[InputPath::File(p)]), Some(size));
}

#[test]
fn conversions_from_stdin_are_read_after_the_inputs() {
    // A verifications file is read beside the inputs; from stdin it is read after them, which
    // may have read stdin themselves: the messages are theirs, and no verification is left.
    let gz = |name: &str| std::fs::read(root().join("testdata/sim").join(name)).expect("fixture");
    let scan = |args: &[&str], stdin: Vec<u8>| -> serde_json::Value {
        let out = bin().args(["scan", "-q", "-f", "json", "--fail-on", "never"]).args(args).write_stdin(stdin).output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let used = |v: &serde_json::Value, role: &str| {
        v["inputs"].as_array().and_then(|a| a.iter().find(|i| i["role"] == role)).and_then(|i| i["rows_used"].as_u64())
    };
    let file = "testdata/sim/burst.csv.gz";
    let from_file = scan(&["--conversions", "testdata/sim/burst.verifications.csv.gz", file], Vec::new());
    let from_stdin = scan(&["--conversions", "-", file], gz("burst.verifications.csv.gz"));
    assert_eq!(used(&from_stdin, "conversions"), used(&from_file, "conversions"));
    assert!(used(&from_stdin, "conversions") > Some(0));
    assert_eq!(from_stdin["findings"], from_file["findings"]);
    let both = scan(&["--conversions", "-", "-"], gz("burst.csv.gz"));
    assert_eq!(used(&both, "scan"), used(&from_file, "scan"));
    assert_eq!(used(&both, "conversions"), Some(0));
}
