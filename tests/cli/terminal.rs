//! Output a person reads: one format for amounts and times, severities most severe first, and
//! tables that fit the terminal without splitting a number, range, time or amount.

use crate::scan::export_of;
use crate::util::*;

fn stdout_of(args: &[&str], columns: &str) -> String {
    let out = bin().env("COLUMNS", columns).args(args).output().expect("run");
    assert!(out.status.code() == Some(0) || out.status.code() == Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// What must appear whole on one line of the table: ranges, subjects, times, amounts.
fn tokens(json: &serde_json::Value) -> Vec<String> {
    let cur = json["summary"]["currency"].as_str().unwrap_or("").to_string();
    let money = |v: &serde_json::Value| pumphound::units::money(v.as_f64().unwrap_or(0.0), &cur);
    let mut t = Vec::new();
    for i in json["incidents"].as_array().expect("incidents") {
        t.extend(i["ranges"].as_array().expect("ranges").iter().filter_map(|r| r.as_str().map(str::to_string)));
        t.push(i["window"]["start"].as_str().unwrap_or("").to_string());
        t.push(i["window"]["end"].as_str().unwrap_or("").to_string());
        t.push(money(&i["cost"]));
        t.push(money(&i["fraud_cost_confirmed"]));
    }
    for f in json["findings"].as_array().expect("findings") {
        t.push(f["subject"]["value"].as_str().unwrap_or("").to_string());
        t.push(f["window"]["start"].as_str().unwrap_or("").to_string());
        t.push(f["window"]["end"].as_str().unwrap_or("").to_string());
        t.push(money(&f["cost"]));
    }
    t
}

fn assert_fits(table: &str, json: &serde_json::Value, width: usize, what: &str) {
    for l in table.lines() {
        let widest = l.split(' ').map(|w| w.chars().count()).max().unwrap_or(0);
        assert!(l.chars().count() <= width || widest + 16 > width, "{what}: {} columns at {width}: {l:?}", l.chars().count());
    }
    for tok in tokens(json) {
        assert!(table.lines().any(|l| l.contains(&tok)), "{what}: `{tok}` is split across lines at {width} columns:\n{table}");
    }
}

#[test]
fn piped_tables_fit_80_columns_whatever_the_terminal_says() {
    for name in ["burst", "low-and-slow", "rotation", "hidden"] {
        let export = export_of(name);
        let narrow = stdout_of(&["scan", "-q", &export], "40");
        let wide = stdout_of(&["scan", "-q", &export], "250");
        assert_eq!(narrow, wide, "{name}: piped output is the same at every width");
        let json: serde_json::Value = serde_json::from_str(&stdout_of(&["scan", "-q", "-f", "json", &export], "80")).expect("json");
        assert_fits(&narrow, &json, 80, name);
    }
}

#[test]
fn terminal_tables_fit_80_and_120_columns_without_splitting_a_token() {
    for name in ["burst", "low-and-slow"] {
        let export = export_of(name);
        let json: serde_json::Value = serde_json::from_str(&stdout_of(&["scan", "-q", "-f", "json", &export], "80")).expect("json");
        for cols in [80, 120] {
            let Some(table) = on_terminal(cols, &format!("scan -q --fail-on never {export}")) else { return };
            assert!(table.starts_with("Summary"), "{table}");
            assert_fits(&table, &json, cols, &format!("{name} at {cols}"));
        }
    }
}

/// `-0`, as a number on its own (not the `-03` of a date).
fn has_negative_zero(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(2).enumerate().any(|(i, w)| {
        w == b"-0"
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && match b.get(i + 2) {
                None => true,
                Some(b'.') => b[i + 3..].iter().take_while(|c| c.is_ascii_digit()).all(|c| *c == b'0'),
                Some(c) => !c.is_ascii_digit(),
            }
    })
}

#[test]
fn one_number_and_time_format_and_no_negative_zero() {
    assert!(has_negative_zero("cost -0.0000 x") && has_negative_zero("\"cost\":-0,") && !has_negative_zero("2024-03-08 -0.5"));
    let time = |s: &str| s.len() == 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z') && !s.contains('.');
    for name in ["burst", "new-market", "carrier-outage", "faked-conversion", "small-country"] {
        let export = export_of(name);
        let verif = format!("testdata/sim/{name}.verifications.csv.gz");
        for fmt in ["table", "json", "ndjson", "csv", "markdown"] {
            let out = stdout_of(&["scan", "-q", "--min-severity", "info", "--conversions", &verif, "-f", fmt, &export], "80");
            assert!(!has_negative_zero(&out), "{name} -f {fmt} writes -0:\n{out}");
            assert!(!out.contains(".000Z"), "{name} -f {fmt}: times have seconds, not milliseconds");
        }
        let json: serde_json::Value =
            serde_json::from_str(&stdout_of(&["scan", "-q", "--min-severity", "info", "-f", "json", &export], "80")).expect("json");
        for f in json["findings"].as_array().expect("findings") {
            assert!(time(f["window"]["start"].as_str().unwrap_or("")) && time(f["window"]["end"].as_str().unwrap_or("")), "{f}");
            let cost = f["cost"].as_f64().unwrap_or(-1.0);
            let text = f["cost"].to_string();
            let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(decimals <= if cost != 0.0 && cost < 0.01 { 4 } else { 2 }, "{name}: cost {text}");
        }
    }
}

#[test]
fn severities_are_listed_most_severe_first() {
    let table = stdout_of(&["scan", "-q", &export_of("burst")], "80");
    assert!(table.contains("findings    7 (high 3, medium 2, low 2)"), "{table}");
    let json = stdout_of(&["scan", "-q", "-f", "json", &export_of("burst")], "80");
    let counts = &json[json.find("\"findings_by_severity\"").expect("counts")..];
    let at: Vec<usize> = ["critical", "high", "medium", "low", "info"].iter().map(|k| counts.find(&format!("\"{k}\"")).expect(k)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "JSON lists severities most severe first: {at:?}");
}

#[test]
fn tz_shows_table_times_in_another_zone_and_machine_output_stays_utc() {
    let export = export_of("burst");
    let utc = stdout_of(&["scan", "-q", &export], "80");
    let riga = stdout_of(&["scan", "-q", "--tz", "+02:00", &export], "80");
    assert!(utc.contains("2024-03-08T02:51:25Z to 2024-03-08T05:43:55Z"), "{utc}");
    assert!(riga.contains("2024-03-08T04:51:25+02:00 to 2024-03-08T07:43:55+02:00"), "{riga}");
    let json = stdout_of(&["scan", "-q", "--tz", "+02:00", "-f", "json", &export], "80");
    assert!(json.contains("\"start\": \"2024-03-08T02:51:25Z\""));
    let out = bin().args(["scan", "--tz", "Mars/Olympus", &export]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn wide_keeps_every_column_in_one_table() {
    let wide = stdout_of(&["scan", "-q", "--wide", &export_of("burst")], "80");
    assert!(wide.lines().any(|l| l.contains("finding") && l.contains("numbers") && l.contains("what")), "{wide}");
    assert!(wide.contains("+99891445xxxx"));
}

#[test]
fn every_csv_row_states_the_data_coverage() {
    let out = stdout_of(&["scan", "-q", "-f", "csv", &export_of("burst")], "80");
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let h: Vec<String> = r.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(&h[h.len() - 4..], ["data_first", "data_last", "fingerprint", "incident_fingerprint"]);
    for rec in r.records() {
        let rec = rec.expect("row");
        assert_eq!((rec.get(h.len() - 4), rec.get(h.len() - 3)), (Some("2024-03-01T00:15:54Z"), Some("2024-03-10T23:44:13Z")));
        let fp = rec.get(h.len() - 2).unwrap_or("");
        assert!(fp.len() >= 16 && fp[..16].bytes().all(|b| b.is_ascii_hexdigit()), "every finding has a fingerprint: {fp}");
        assert!(rec.get(h.len() - 1).is_some_and(|f| f.starts_with("i-")), "and so has its incident");
    }
}
