//! The SQL in `sql/` (Spark and the Trino file made from it) checked against `scan`: each
//! bundled simulator fixture is exported to Parquet, the SQL is run over it in DuckDB
//! (`sql/run_duckdb.py`), and it must flag the ranges and the spend anomalies (country and
//! kind) that `scan` flags, with the thresholds of `pumphound detectors`.

use crate::util::{bin, json_out, root};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Where the SQL may differ from `scan`, and why: none so far. A fixture listed here is still
/// run (its SQL must run), only its findings are not compared.
const EXCEPTIONS: &[(&str, &str)] = &[];

const DIALECTS: [&str; 2] = ["sql/pumphound.spark.sql", "sql/pumphound.trino.sql"];

fn run_sql(py: &str, sql: &str, export: &Path) -> serde_json::Value {
    let out = Command::new(py)
        .arg(root().join("sql/run_duckdb.py"))
        .args(["--sql", root().join(sql).to_str().expect("path"), export.to_str().expect("path")])
        .output()
        .expect("python");
    assert!(out.status.success(), "{sql} on {}: {}", export.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The bundled simulator fixtures (one export each, beside its truth and verifications).
fn fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("testdata/sim"))
        .expect("testdata/sim")
        .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
        .filter(|n| !n.contains(".truth.") && !n.contains(".verifications."))
        .map(|n| format!("testdata/sim/{n}"))
        .collect();
    v.sort();
    v
}

#[test]
fn the_sql_flags_what_scan_flags_on_every_fixture() {
    let Some(py) = crate::util::python_with("duckdb") else { return };
    let list = fixtures();
    assert!(list.len() >= 10, "{list:?}");
    let mut flagged_somewhere = (0, 0);
    for fixture in &list {
        let dir = tempfile::tempdir().expect("tempdir");
        let export = dir.path().join("export");
        let out = bin().args(["export", "-q", fixture, "-o", export.to_str().expect("path")]).output().expect("run");
        assert!(out.status.success(), "export {fixture}: {}", String::from_utf8_lossy(&out.stderr));
        let scan = json_out(&["scan", "-q", "-f", "json", "--fail-on", "never", "--min-severity", "info", fixture]);
        let expected: BTreeSet<String> = scan["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["detector"] == "pumped-range")
            .map(|f| f["subject"]["value"].as_str().expect("subject").to_string())
            .collect();
        // Spend anomalies as (country, kind), one per finding: scan merges consecutive windows
        // into one finding, and so does the SQL.
        let kind = |signal: &str| {
            if signal.contains("per hour") {
                "hour"
            } else if signal.contains("per day") {
                "day"
            } else {
                "new country"
            }
        };
        let mut spend: Vec<(String, String)> = scan["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["detector"] == "spend-anomaly")
            .map(|f| {
                (f["subject"]["value"].as_str().expect("subject").to_string(), kind(f["signal"].as_str().expect("signal")).to_string())
            })
            .collect();
        spend.sort();
        flagged_somewhere.0 += usize::from(!expected.is_empty());
        flagged_somewhere.1 += usize::from(!spend.is_empty());
        for sql in DIALECTS {
            let result = run_sql(&py, sql, &export);
            let got: BTreeSet<String> = result["pumped_ranges"]
                .as_array()
                .expect("pumped_ranges")
                .iter()
                .map(|r| r["range"].as_str().expect("range").to_string())
                .collect();
            let mut got_spend: Vec<(String, String)> = result["spend_anomalies"]
                .as_array()
                .expect("spend_anomalies")
                .iter()
                .map(|r| (r["country"].as_str().expect("country").to_string(), r["kind"].as_str().expect("kind").to_string()))
                .collect();
            got_spend.sort();
            if EXCEPTIONS.iter().any(|(f, _)| f == fixture) {
                continue;
            }
            assert_eq!(got, expected, "{sql} on {fixture}: pumped ranges");
            assert_eq!(got_spend, spend, "{sql} on {fixture}: spend anomalies");
        }
    }
    assert!(
        flagged_somewhere.0 >= 5 && flagged_somewhere.1 >= 5,
        "the fixtures must hold findings for the check to mean anything: {flagged_somewhere:?}"
    );
}

#[test]
fn the_sql_thresholds_are_the_detectors_defaults() {
    let Some(py) = crate::util::python_with("duckdb") else { return };
    let detectors = json_out(&["detectors", "-f", "json"]);
    let in_sql: Vec<&serde_json::Value> =
        detectors.as_array().expect("detectors").iter().filter(|d| d["id"] == "pumped-range" || d["id"] == "spend-anomaly").collect();
    assert_eq!(in_sql.len(), 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let export = dir.path().join("export");
    let out = bin().args(["export", "-q", "testdata/sim/clean.csv.gz", "-o", export.to_str().expect("path")]).output().expect("run");
    assert!(out.status.success());
    for sql in DIALECTS {
        let params = run_sql(&py, sql, &export)["params"].clone();
        for p in in_sql.iter().flat_map(|d| d["params"].as_array().expect("params")) {
            let name = p["name"].as_str().expect("name");
            let in_sql = params[name].as_f64().unwrap_or_else(|| panic!("{sql}: no parameter {name} in its params view"));
            assert_eq!(in_sql, p["default"].as_f64().expect("default"), "{sql}: {name} drifted from the detector's default");
        }
    }
}

#[test]
fn the_trino_file_is_made_from_the_spark_file() {
    let out = Command::new("python3").arg(root().join("sql/dialects.py")).arg("--check").output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
