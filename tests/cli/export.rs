//! `pumphound export`: the canonical table as Parquet read back (polars) holds exactly the rows,
//! ids, costs, conversions and statuses `inspect -f json` reports, for every input format; CSV;
//! one directory per day; refusals and atomic files.

use crate::util::{bin, p, root};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn inspect(input: &str) -> Value {
    let out = bin().args(["inspect", "-q", "-f", "json", input]).output().expect("inspect");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// `export` with `args`; the files it lists on stdout with their rows.
fn export(args: &[&str]) -> Vec<(String, usize)> {
    let out = bin().arg("export").args(args).output().expect("export");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let (f, n) = l.split_once('\t').expect("file<TAB>rows");
            (f.to_string(), n.parse().expect("rows"))
        })
        .collect()
}

type Table = pumphound::frame::TextTable;

fn column<'a>(t: &'a Table, name: &str) -> impl Iterator<Item = Option<&'a str>> {
    let i = t.0.iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"));
    t.1.iter().map(move |r| r[i].as_deref())
}

fn counts<'a>(values: impl Iterator<Item = Option<&'a str>>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for v in values {
        *m.entry(v.unwrap_or("null").to_string()).or_default() += 1;
    }
    m
}

#[test]
fn every_format_round_trips_to_what_inspect_reports() {
    let mut inputs: Vec<String> = std::fs::read_dir(root().join("testdata/formats"))
        .expect("testdata/formats")
        .filter_map(|e| e.ok().map(|e| format!("testdata/formats/{}", e.file_name().to_string_lossy())))
        .collect();
    inputs.sort();
    // Conversion known in the data: a Verify export.
    inputs.push("testdata/sim/unverified-spread.ndjson.gz".into());
    let names: Vec<&str> = pumphound::schema::COLUMNS.iter().map(|c| c.name).collect();
    for input in &inputs {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = export(&["-q", "-o", p(dir.path()), input]);
        assert_eq!(files.len(), 1, "{input}: {files:?}");
        let t: Table = pumphound::frame::read_parquet(Path::new(&files[0].0)).expect("parquet");
        assert_eq!(t.0, names, "{input}: the columns of `pumphound formats`, in order");
        let total = &inspect(input)["total"];
        assert_eq!(t.1.len() as u64, total["messages"].as_u64().expect("messages"), "{input}");
        assert_eq!(files[0].1, t.1.len());
        let no_id = column(&t, "message_id").filter(Option::is_none).count() as u64;
        assert_eq!(no_id, total["without_message_id"].as_u64().expect("n"), "{input}");
        let ids: Vec<&str> = column(&t, "message_id").flatten().collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{input}: a message once");
        let status = counts(column(&t, "status"));
        for (k, v) in total["status"].as_object().expect("status") {
            assert_eq!(status.get(k).copied().unwrap_or(0), v.as_u64().expect("n"), "{input}: status {k}");
        }
        let conv = counts(column(&t, "converted"));
        for (k, key) in [("true", "true"), ("false", "false"), ("unknown", "null")] {
            assert_eq!(conv.get(key).copied().unwrap_or(0), total["converted"][k].as_u64().expect("n"), "{input}: converted {k}");
        }
        let mut spend: BTreeMap<String, (f64, u64)> = BTreeMap::new();
        for (cost, cur) in column(&t, "cost").zip(column(&t, "currency")) {
            if let Some(c) = cost {
                let e = spend.entry(cur.unwrap_or("null").to_string()).or_default();
                e.0 += c.parse::<f64>().expect("a double");
                e.1 += 1;
            }
        }
        let want = total["spend"].as_array().expect("spend");
        assert_eq!(spend.len(), want.len(), "{input}: {spend:?}");
        for s in want {
            let got = spend[s["currency"].as_str().unwrap_or("null")];
            assert!((got.0 - s["cost"].as_f64().expect("cost")).abs() < 1e-6, "{input}: {got:?} {s}");
            assert_eq!(got.1, s["priced_messages"].as_u64().expect("n"));
        }
        let mut dest: Vec<&str> = column(&t, "destination").flatten().collect();
        dest.sort_unstable();
        dest.dedup();
        assert_eq!(dest.len() as u64, total["destinations"].as_u64().expect("n"), "{input}");
        let ts: Vec<i64> = column(&t, "ts").flatten().map(|v| v.parse().expect("ms")).collect();
        if let (Some(first), Some(last)) = (ts.iter().min(), ts.iter().max()) {
            assert_eq!(pumphound::units::time(*first), total["first_seen"].as_str().expect("first"), "{input}");
            assert_eq!(pumphound::units::time(*last), total["last_seen"].as_str().expect("last"), "{input}");
        }
        assert!(column(&t, "source_file").all(|f| f == Some(input.as_str())), "{input}");
    }
}

#[test]
fn by_day_csv_and_refusals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("table");
    let files = export(&["-q", "-o", p(&out), "--partition", "day", "testdata/sim/burst.csv.gz"]);
    assert_eq!(files.len(), 10, "ten days: {files:?}");
    let total: usize = files.iter().map(|f| f.1).sum();
    assert_eq!(total as u64, inspect("testdata/sim/burst.csv.gz")["total"]["messages"].as_u64().expect("n"));
    for (f, n) in &files {
        let day = Path::new(f).parent().and_then(|d| d.file_name()).and_then(|d| d.to_str()).expect("day dir");
        let t = pumphound::frame::read_parquet(Path::new(f)).expect("parquet");
        assert_eq!(t.1.len(), *n);
        assert!(column(&t, "ts").all(|v| pumphound::units::time(v.expect("ts").parse().expect("ms")).starts_with(&day["day=".len()..])));
    }
    // Again: refused before anything is written; with --force, written; no temporary left.
    let again = bin().args(["export", "-o", p(&out), "--partition", "day", "testdata/sim/burst.csv.gz"]).output().expect("run");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists; use --force"));
    export(&["-q", "--force", "-o", p(&out), "--partition", "day", "testdata/sim/burst.csv.gz"]);
    let mut leftovers = Vec::new();
    for d in std::fs::read_dir(&out).expect("dir") {
        for f in std::fs::read_dir(d.expect("entry").path()).expect("day") {
            let name = f.expect("file").file_name().to_string_lossy().into_owned();
            if name != "part-0.parquet" {
                leftovers.push(name);
            }
        }
    }
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // CSV: the header is the schema's columns; two inputs of one name get two files.
    let csv_dir = dir.path().join("csv");
    let files = export(&["-q", "-o", p(&csv_dir), "-f", "csv", "testdata/formats/twilio-console.csv", "testdata/sim/clean.csv.gz"]);
    let names: Vec<String> = files.iter().map(|f| Path::new(&f.0).file_name().expect("name").to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["clean.csv", "twilio-console.csv"]);
    let text = std::fs::read_to_string(&files[1].0).expect("csv");
    let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
    assert_eq!(header, pumphound::schema::COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>());
    assert_eq!(text.lines().count(), files[1].1 + 1);
    // An output that is a file: exit 2.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").expect("write");
    let bad = bin().args(["export", "-o", p(&file), "testdata/formats/twilio-console.csv"]).output().expect("run");
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
}

#[test]
fn every_compression_writes_the_same_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = "testdata/sim/burst.csv.gz";
    let read = |c: &str| {
        let out = dir.path().join(c);
        let files = export(&["-q", "-o", p(&out), "--compression", c, input]);
        assert_eq!(files.len(), 1);
        (pumphound::frame::read_parquet(Path::new(&files[0].0)).expect("parquet"), std::fs::metadata(&files[0].0).expect("size").len())
    };
    let (zstd, zstd_size) = read("zstd");
    for c in ["snappy", "lz4", "none"] {
        let (t, size) = read(c);
        assert_eq!(t, zstd, "{c}");
        assert!(size > zstd_size, "{c}: {size} bytes, zstd {zstd_size}");
    }
    // With CSV, a usage error before anything is written.
    let csv = dir.path().join("csv");
    let bad = bin().args(["export", "-o", p(&csv), "-f", "csv", "--compression", "snappy", input]).output().expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--compression applies to Parquet"), "{}", String::from_utf8_lossy(&bad.stderr));
    assert!(!csv.exists());
}
