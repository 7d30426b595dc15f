//! Listings a person reads (`inspect`, `detectors`, `formats`): blocks of labelled lines that fit
//! the terminal (80 columns when piped, so piped output is the same at every width), without
//! splitting a number, path, time or amount across lines.

use crate::util::*;
use pumphound::detect::REGISTRY;
use pumphound::ingest::InputFormat;
use pumphound::schema::COLUMNS;

/// Where the deepest labelled value starts (`    top countries  `).
const VALUE_AT: usize = 19;

fn stdout_of(args: &[&str], columns: &str) -> String {
    let out = bin().env("COLUMNS", columns).args(args).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Every line fits `width`, unless it is one token (after its label) too long to fit; every
/// token is whole on one line; and no table borders.
fn assert_fits(text: &str, tokens: &[String], width: usize, what: &str) {
    assert!(!text.is_empty(), "{what}: no output");
    assert!(!text.contains('│') && !text.contains('─'), "{what}: a table, not blocks of lines:\n{text}");
    for l in text.lines() {
        let words: Vec<&str> = l.split_whitespace().collect();
        let widest = words.iter().map(|w| w.chars().count()).max().unwrap_or(0);
        let lone = words.len() == 1 || (words.len() == 2 && widest + VALUE_AT > width);
        assert!(l.chars().count() <= width || lone, "{what}: {} columns at {width}: {l:?}", l.chars().count());
    }
    for tok in tokens {
        assert!(text.lines().any(|l| l.contains(tok.as_str())), "{what}: `{tok}` is not whole on one line at {width} columns:\n{text}");
    }
}

/// What `inspect` must show whole on one line: paths, times, amounts with their currency,
/// countries with their counts, where the first skipped row is.
fn inspect_tokens(path: &str) -> Vec<String> {
    let json = json_out(&["inspect", "-q", "-f", "json", path]);
    let money = |s: &serde_json::Value| {
        pumphound::units::money(s["cost"].as_f64().expect("cost"), s["currency"].as_str().unwrap_or("(no currency)"))
    };
    let mut t = Vec::new();
    let contents = |c: &serde_json::Value, t: &mut Vec<String>| {
        for k in ["first_seen", "last_seen"] {
            t.extend(c[k].as_str().map(str::to_string));
        }
        t.extend(c["spend"].as_array().expect("spend").iter().map(money));
    };
    for i in json["inputs"].as_array().expect("inputs") {
        t.push(i["path"].as_str().expect("path").to_string());
        t.push(format!("{} read = {} used + {} skipped", i["rows_read"], i["rows_used"], i["rows_skipped"]));
        t.extend(i["format"].as_str().map(str::to_string));
        contents(i, &mut t);
        for x in i["top_countries"].as_array().expect("top_countries") {
            t.push(format!("{} {}", x["country"].as_str().unwrap_or("??"), x["messages"]));
        }
        for s in i["skipped"].as_array().expect("skipped") {
            t.push(s["first"].as_str().expect("first").to_string());
            t.push(s["reason"].as_str().expect("reason").to_string());
        }
    }
    let total = &json["total"];
    contents(total, &mut t);
    for x in total["top_countries"].as_array().expect("top_countries") {
        let n = |k: &str| x[k].as_u64().expect("count");
        let count = |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        t.push(format!(
            "  {:<14}{} to {}",
            x["country"].as_str().unwrap_or("(unknown)"),
            count(n("messages"), "message"),
            count(n("destinations"), "destination")
        ));
    }
    // The data the inputs cover, in the Total section.
    t.push(format!("  data          {} to {}", total["first_seen"].as_str().expect("first"), total["last_seen"].as_str().expect("last")));
    t.push(format!("  rows          {} read = {} used + {} skipped", total["rows_read"], total["rows_used"], total["rows_skipped"]));
    t
}

fn detector_tokens() -> Vec<String> {
    let mut t = vec!["--set DETECTOR.PARAM=VALUE".to_string()];
    for d in REGISTRY {
        t.push(format!("{}  {}", d.id, d.title));
        t.extend(d.params.iter().map(|p| format!("{} = {}:", p.name, p.default)));
    }
    t
}

fn format_tokens() -> Vec<String> {
    let mut t: Vec<String> = InputFormat::ALL.iter().map(|f| format!("{}  {}", f.name(), f.provider().as_str())).collect();
    t.extend(COLUMNS.iter().map(|c| format!("{}  {}", c.name, c.dtype)));
    t
}

fn listings() -> Vec<(Vec<&'static str>, Vec<String>)> {
    vec![
        (vec!["inspect", "-q", "testdata/formats"], inspect_tokens("testdata/formats")),
        (vec!["inspect", "-q", "testdata/sim/burst.csv.gz"], inspect_tokens("testdata/sim/burst.csv.gz")),
        (vec!["detectors"], detector_tokens()),
        (vec!["formats"], format_tokens()),
    ]
}

#[test]
fn piped_listings_fit_80_columns_whatever_the_terminal_says() {
    for (args, tokens) in listings() {
        let narrow = stdout_of(&args, "40");
        let wide = stdout_of(&args, "250");
        assert_eq!(narrow, wide, "{args:?}: piped output is the same at every width");
        assert_fits(&narrow, &tokens, 80, &format!("{args:?}"));
    }
}

#[test]
fn listings_keep_numbers_paths_times_and_amounts_whole() {
    let burst = stdout_of(&["inspect", "-q", "testdata/sim/burst.csv.gz"], "80");
    let want = [
        "1459.74 USD",
        "2024-03-01T00:15:54Z",
        "2024-03-10T23:44:13Z",
        "testdata/sim/burst.csv.gz (gzip)  twilio-console-csv",
        "UZ 4924, US 1329, GB 554, IN 379, FR 377",
        "UZ            4924 messages to 4738 destinations",
        "  data          2024-03-01T00:15:54Z to 2024-03-10T23:44:13Z",
        "status        blocked 126, delivered 6978, failed 357, undelivered 1247",
        "converted     unknown 8708",
    ];
    for tok in want {
        assert!(burst.lines().any(|l| l.contains(tok)), "`{tok}` whole on one line:\n{burst}");
    }
    let formats = stdout_of(&["inspect", "-q", "testdata/formats"], "80");
    for tok in ["Skipped rows", "because        inbound message (not a send)", "first at       line 5", "spend         0.07 EUR, 1.23 USD"]
    {
        assert!(formats.lines().any(|l| l.contains(tok)), "`{tok}` whole on one line:\n{formats}");
    }
    let joined =
        stdout_of(&["inspect", "-q", "--conversions", "testdata/sim/burst.verifications.csv.gz", "testdata/sim/burst.csv.gz"], "80");
    for tok in ["conversions   testdata/sim/burst.verifications.csv.gz:", "2985 read", "0 skipped", "8708 sends judged", "(window 900s)"] {
        assert!(joined.lines().any(|l| l.contains(tok)), "`{tok}` whole on one line:\n{joined}");
    }
    let detectors = stdout_of(&["detectors"], "80");
    for tok in ["min_distinct = 12", "new_country_after = 0.25", "z = 1.96"] {
        assert!(detectors.lines().any(|l| l.trim_start().starts_with(tok)), "`{tok}` starts a line:\n{detectors}");
    }
}

#[test]
fn listings_on_a_terminal_fit_its_width() {
    for (args, tokens) in listings() {
        let Some(text) = on_terminal(120, &args.join(" ")) else { return };
        assert_fits(&text, &tokens, 120, &format!("{args:?} at 120"));
        if args == ["inspect", "-q", "testdata/formats"] {
            // The terminal's width is used: this header is wider than 80 columns.
            let header = "testdata/formats/twilio-verify-attempts.json  twilio-verify-attempts  (list page (attempts))";
            assert!(text.lines().any(|l| l == header), "{header:?} on one line at 120 columns:\n{text}");
        }
    }
}
