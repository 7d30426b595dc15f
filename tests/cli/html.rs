//! `scan -f html` / `--html`: the file itself (golden, deterministic, no network reference,
//! escaping, redaction, size), and the file as headless Chromium shows it (tests/browser_check.py
//! drives it over the DevTools protocol): no console error, no request, every chart has the JSON
//! report's data, the tiles equal its totals, hostile sender ids stay text, screenshots are not
//! blank and printed tables fit A4 and Letter.

use crate::util::{bin, p, root};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = "testdata/sim/block.csv.gz";
const VERIFIED: &str = "testdata/sim/block.verifications.csv.gz";
const CLEAN: &str = "testdata/sim/clean.csv.gz";

/// `scan -f json -o DIR/scan.json --html DIR/report.html` over `inputs`: the JSON report and the
/// HTML text.
fn scan(dir: &Path, args: &[&str]) -> (Value, String) {
    let json = dir.join("scan.json");
    let html = dir.join("report.html");
    let out = bin()
        .args(["scan", "-q", "--force", "-f", "json", "-o", json.to_str().expect("path"), "--html", html.to_str().expect("path")])
        .args(args)
        .output()
        .expect("run");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let v = serde_json::from_str(&std::fs::read_to_string(json).expect("json")).expect("JSON");
    (v, std::fs::read_to_string(html).expect("html"))
}

/// Chromium, or `None` with a printed reason (a failure where `CI` is set).
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PUMPHOUND_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var_os("CI").is_none(), "CI is set and Chromium is missing at {} (.ci/run installs it)", path.display());
    eprintln!("skipped: no Chromium at {} (apt-get install chromium, or set PUMPHOUND_CHROMIUM)", path.display());
    None
}

/// What the browser saw (see tests/browser_check.py).
fn browse(html: &Path, dir: &Path) -> Option<Value> {
    let chrome = chromium()?;
    let out =
        Command::new("python3").arg(root().join("tests/browser_check.py")).arg(&chrome).arg(html).arg(dir).output().expect("python3 runs");
    assert!(out.status.success(), "browser_check.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("browser_check.py prints JSON");
    for key in ["console", "exceptions", "requests", "dialogs"] {
        assert_eq!(v[key], serde_json::json!([]), "{key} in the browser: {}", v[key]);
    }
    let dom = &v["dom"];
    assert_eq!(dom["ready"], "1", "the script ran to its end");
    assert_eq!(dom["js_errors"], "", "no error or policy violation reported in the page");
    assert_eq!(dom["scripts"], 1, "only the report's own script");
    assert_eq!(dom["pwned"], Value::Null, "no injected script ran");
    for chart in dom["charts"].as_array().expect("charts") {
        assert_eq!(chart["labelled"], true, "every chart is an image with a name: {chart}");
        assert_ne!(chart["title"], "", "{chart}");
        assert_eq!(chart["bad"], false, "no NaN / Infinity / undefined in {chart}");
        assert!(chart["marks"].as_u64().unwrap_or(0) >= 1, "every chart draws its data: {chart}");
        assert!(chart["width"].as_f64().unwrap_or(0.0) > 100.0, "{chart}");
    }
    let shot = &v["screenshot"];
    assert_eq!(shot["width"], 1280);
    assert!(shot["colours"].as_u64().unwrap_or(0) >= 20, "the screenshot is not blank: {shot}");
    for paper in ["a4", "letter"] {
        assert_eq!(v["print"][paper]["overflow"], serde_json::json!([]), "a printed table is clipped on {paper}: {}", v["print"][paper]);
    }
    assert_eq!(v["dark_background"], "rgb(13, 17, 23)", "prefers-color-scheme: dark is honoured");
    Some(v)
}

/// The PDF's text (pdftotext), or `None` with a printed reason (a failure where `CI` is set).
fn pdf_text(pdf: &str) -> Option<String> {
    match Command::new("pdftotext").args([pdf, "-"]).output() {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "CI is set and pdftotext (poppler-utils) is missing");
            eprintln!("skipped the PDF text check: no pdftotext (apt-get install poppler-utils)");
            None
        }
    }
}

fn tiles_equal_the_json(dom: &Value, v: &Value) {
    let s = &v["summary"];
    for key in ["fraud_cost_confirmed", "fraud_cost_probable", "spend"] {
        assert_eq!(dom["tiles"][key].as_f64(), s[key].as_f64(), "tile {key}");
    }
    assert_eq!(dom["tiles"]["messages"].as_u64(), s["messages_scanned"].as_u64());
}

#[test]
fn attack_report_in_a_browser_has_the_json_reports_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, html) = scan(dir.path(), &["--conversions", VERIFIED, FIXTURE]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    let Some(b) = browse(&dir.path().join("report.html"), dir.path()) else { return };
    let dom = &b["dom"];
    tiles_equal_the_json(dom, &v);
    let ids = |list: &Value, key: &str| {
        list.as_array().expect("list").iter().map(|x| x[key].as_str().unwrap_or("").to_string()).collect::<Vec<_>>()
    };
    let incidents = ids(&v["incidents"], "id");
    assert_eq!(incidents.len(), 2);
    assert_eq!(dom["timeline"], serde_json::json!(incidents), "one timeline bar per incident");
    assert_eq!(dom["incidents"], serde_json::json!(incidents));
    assert_eq!(dom["findings"], serde_json::json!(ids(&v["findings"], "id")));
    // Every pumped range a grid, its cells holding the finding's distinct numbers.
    let ranges: Vec<&Value> = v["findings"].as_array().expect("findings").iter().filter(|f| f["detector"] == "pumped-range").collect();
    let grids = dom["grids"].as_array().expect("grids");
    assert_eq!(grids.len(), ranges.len());
    for (g, f) in grids.iter().zip(&ranges) {
        assert_eq!(g["finding"], f["id"]);
        assert_eq!(g["cells"], 100);
        assert_eq!(g["numbers"], f["destinations"], "grid of {}", f["id"]);
    }
    // The spend chart's data add up to the total spend.
    let spend = v["summary"]["spend"].as_f64().expect("spend");
    assert!((dom["spend_total"].as_f64().expect("sum") - spend).abs() < 0.01, "{} against {spend}", dom["spend_total"]);
    assert_eq!(dom["spend_rows"], 240, "ten days by the hour");
    assert!(dom["conversion_points"].as_u64().unwrap_or(0) >= 30);
    assert_eq!(dom["conversion_points"], dom["conversion_rows"], "a point per day with known conversion");
    assert_eq!(dom["rules"].as_u64(), v["proposed_rules"]["rules"].as_array().map(|r| r.len() as u64));
    assert_eq!(dom["countries"], serde_json::json!(["UZ", "GB", "DE", "US"]));
    assert_eq!(dom["filters"], 4, "rules, declined, countries and findings tables can be filtered");
    if let Some(text) = pdf_text(b["print"]["a4"]["pdf"].as_str().expect("pdf")) {
        for id in incidents.iter().chain(&ids(&v["findings"], "id")) {
            assert!(text.contains(id.as_str()), "{id} in the A4 PDF");
        }
    }
}

#[test]
fn clean_period_and_zero_rows_render_with_nothing_to_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, html) = scan(dir.path(), &[CLEAN]);
    assert_eq!(v["summary"]["incidents"], 0);
    assert!(html.contains("No incident."));
    if let Some(b) = browse(&dir.path().join("report.html"), dir.path()) {
        tiles_equal_the_json(&b["dom"], &v);
        assert_eq!(b["dom"]["timeline"], serde_json::json!([]));
        assert_eq!(b["dom"]["spend_rows"], 240, "ten days by the hour");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (v, html) = scan(dir.path(), &["--allow-empty", "testdata/bad/empty.csv"]);
    assert_eq!(v["summary"]["messages_scanned"], 0);
    assert!(html.contains("No message was scanned."));
    if let Some(b) = browse(&dir.path().join("report.html"), dir.path()) {
        tiles_equal_the_json(&b["dom"], &v);
        assert_eq!(b["dom"]["charts"], serde_json::json!([]), "no chart without data");
    }
}

/// The fixture with its sender replaced by markup, written under a file name that is markup too.
fn hostile(dir: &Path) -> (PathBuf, &'static str) {
    const SENDER: &str = r#"</script><script>window.__pwned=1;alert(1)</script><img src=x onerror="window.__pwned=2"> & 'q'"#;
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(root().join(FIXTURE)).expect("fixture")).read_to_string(&mut text).expect("gunzip");
    let quoted = format!("\"{}\"", SENDER.replace('"', "\"\""));
    let path = dir.join("<img src=x onerror=alert(3)>.csv");
    let mut f = std::fs::File::create(&path).expect("create");
    f.write_all(text.replace("+12015550100,", &format!("{quoted},")).as_bytes()).expect("write");
    (path, SENDER)
}

#[test]
fn hostile_sender_ids_and_file_names_stay_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, sender) = hostile(dir.path());
    let (_, html) = scan(dir.path(), &[input.to_str().expect("path")]);
    assert_eq!(html.matches("<script").count(), 1, "only the report's own script element");
    assert!(!html.contains("<img"), "no element from the input");
    assert!(html.contains("&lt;/script&gt;&lt;script&gt;window.__pwned=1;"), "the sender is shown, escaped");
    if let Some(b) = browse(&dir.path().join("report.html"), dir.path()) {
        let senders = b["dom"]["senders"].as_array().expect("senders");
        assert!(!senders.is_empty() && senders.iter().all(|s| s == sender), "the sender reads literally: {senders:?}");
    }
}

#[test]
fn the_file_is_golden_deterministic_and_self_contained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, html) = scan(dir.path(), &["--conversions", VERIFIED, FIXTURE]);
    let path = root().join("tests/golden/html/block.html");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &html).expect("write golden");
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if want != html {
        let line = want.lines().zip(html.lines()).position(|(a, b)| a != b).unwrap_or(want.lines().count().min(html.lines().count()));
        panic!(
            "tests/golden/html/block.html differs at line {} (UPDATE_GOLDEN=1 cargo test to re-bless):\n{}",
            line + 1,
            html.lines().nth(line).unwrap_or("(end)")
        );
    }
    // No element carries an attribute twice (a browser keeps only the first).
    for tag in html.split('<').filter_map(|t| t.split('>').next()) {
        for attr in [" class=", " id=", " data-v="] {
            assert!(tag.matches(attr).count() <= 1, "{attr} twice in <{tag}>");
        }
    }
    // `-f html` writes the same bytes as `--html`.
    let out = bin().args(["scan", "-q", "-f", "html", "--conversions", VERIFIED, FIXTURE]).output().expect("run");
    assert_eq!(String::from_utf8_lossy(&out.stdout), html);
    // Nothing to fetch (markup, style sheet or script), and a policy that forbids fetching.
    for bad in ["http:", "https:", "url(", "@import", " src=", "fetch(", "XMLHttpRequest", "<link", "<img", "<iframe"] {
        assert!(!html.contains(bad), "{bad} in the page");
    }
    assert!(html.matches(" href=\"").count() == html.matches(" href=\"#").count(), "every link is within the page");
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-"));
    // Every script and style sheet is the one the policy names.
    let policy = html.split("content=\"default-src").nth(1).and_then(|s| s.split('"').next()).expect("policy");
    for (open, close, directive) in [("<script>", "</script>", "script-src"), ("<style>", "</style>", "style-src")] {
        let body = html.split(open).nth(1).and_then(|s| s.split(close).next()).expect("element");
        use sha2::Digest;
        let digest = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sha2::Sha256::digest(body.as_bytes()));
        assert!(policy.contains(&format!("{directive} 'sha256-{digest}'")), "{directive} names the page's own {open}");
    }
}

#[test]
fn redact_masks_sender_numbers_and_no_destination_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, plain) = scan(dir.path(), &[FIXTURE]);
    let (_, redacted) = scan(dir.path(), &["--redact", FIXTURE]);
    assert!(plain.contains("+12015550100") && !redacted.contains("+12015550100"));
    assert!(redacted.contains("+1201555xxxx"));
    assert!(plain.contains("data-chart=\"grid\"") && !redacted.contains("data-chart=\"grid\""), "no endings grid under --redact");
    // --html needs a file of its own.
    let same = dir.path().join("same.out");
    for args in [vec!["-o", p(&same), "--html", p(&same)], vec!["--html", "-"], vec!["--evidence", p(&same), "--html", p(&same)]] {
        let out = bin().args(["scan", "-q"]).args(&args).arg(FIXTURE).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--html"), "{args:?}");
    }
    // No full destination number, in either.
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(root().join(FIXTURE)).expect("fixture")).read_to_string(&mut text).expect("gunzip");
    let leaked: Vec<&str> = text.lines().skip(1).filter_map(|l| l.split(',').nth(1)).filter(|to| plain.contains(to)).take(3).collect();
    assert!(leaked.is_empty(), "destinations in the report: {leaked:?}");
}

#[test]
fn suppressed_findings_have_their_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let allow = dir.path().join("allow.txt");
    std::fs::write(&allow, "UZ  # a market we serve\n").expect("write");
    let (v, html) = scan(dir.path(), &["--allow", allow.to_str().expect("path"), FIXTURE]);
    let suppressed = v["suppressed"].as_array().expect("suppressed").len();
    assert!(suppressed > 0);
    let table = html.split("data-table=\"suppressed\"").nth(1).and_then(|t| t.split("</table>").next()).expect("suppressed table");
    assert_eq!(table.matches("<tr").count(), suppressed + 1, "a row per suppressed finding and a header");
    assert!(table.contains("UZ"), "the allowed country is named");
}

#[test]
fn a_year_of_data_stays_small_and_bucketed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, verified) = (dir.path().join("year.csv"), dir.path().join("verified.csv"));
    let out = bin()
        .args(["simulate", "--days", "400", "--daily", "300", "--scenario", "burst", "--scenario", "low-and-slow", "-o"])
        .arg(&data)
        .arg("--verifications")
        .arg(&verified)
        .output()
        .expect("simulate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (v, html) = scan(dir.path(), &["--min-severity", "info", "--conversions", p(&verified), p(&data)]);
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
    let rows = html.split("data-table=\"spend\"").nth(1).map_or(0, |t| t.split("</table>").next().unwrap_or("").matches("<tr").count());
    assert!((300..=501).contains(&rows), "{rows} rows of spend (at most 500 buckets, and a header)");
    assert!(html.contains("Spend per day"), "400 days are drawn by the day");
    for table in html.split("data-table=\"conversion\"").skip(1) {
        let rows = table.split("</table>").next().unwrap_or("").matches("<tr").count();
        assert!(rows <= 501, "{rows} rows of conversion");
    }
    assert!(html.contains("data-chart=\"conversion\""), "conversion is drawn");
    assert!(v["summary"]["incidents"].as_u64().unwrap_or(0) >= 1);
}
