//! `pumphound inspect`: what the inputs hold, per input and in total.

use super::text::{clean, glue, hang, wrap};
use crate::frame::{CountryCount, InspectAggregates, Spend};
use crate::ingest::{ConversionSummary, Loaded};
use crate::schema::{NumberType, Status};
use crate::timeparse::format_ms;
use crate::units::money;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

pub const TOOL: Tool = Tool { name: "pumphound", version: env!("CARGO_PKG_VERSION") };

#[derive(Serialize)]
pub struct SkipRow {
    pub reason: String,
    pub count: u64,
    pub first: String,
}

#[derive(Serialize)]
pub struct SpendRow {
    /// null: prices that came without a currency.
    pub currency: Option<String>,
    pub cost: f64,
    pub priced_messages: u64,
}

#[derive(Serialize)]
pub struct CountryRow {
    pub country: Option<String>,
    pub messages: u64,
    pub destinations: u64,
}

/// What a set of messages holds (one input, or all of them).
#[derive(Serialize, Default)]
pub struct Contents {
    /// Messages first seen in this input (after folding events and duplicates).
    pub messages: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub destinations: u64,
    pub spend: Vec<SpendRow>,
    pub top_countries: Vec<CountryRow>,
}

#[derive(Serialize)]
pub struct InputRow {
    pub path: String,
    /// null for an empty input.
    pub format: Option<String>,
    pub container: Option<String>,
    pub gzip: bool,
    /// Why a file met while walking a directory was left out (not in a known format).
    pub unrecognised: Option<String>,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_skipped: u64,
    pub skipped: Vec<SkipRow>,
    #[serde(flatten)]
    pub contents: Contents,
}

#[derive(Serialize)]
pub struct Total {
    pub inputs: usize,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_skipped: u64,
    /// Records merged into a message already seen (status events, the same message in two files).
    pub records_folded: u64,
    /// Folded records whose destination differed from the first record of the same id.
    pub conflicting_duplicates: u64,
    #[serde(flatten)]
    pub contents: Contents,
    pub status: BTreeMap<&'static str, u64>,
    pub number_type: BTreeMap<&'static str, u64>,
    pub converted: BTreeMap<&'static str, u64>,
    pub without_message_id: u64,
    pub without_timestamp: u64,
}

#[derive(Serialize)]
pub struct PhoneStats {
    pub numbers_classified: u64,
    /// Distinct (calling code, leading digits, length) keys sent to libphonenumber.
    pub libphonenumber_calls: u64,
}

#[derive(Serialize)]
pub struct InspectReport {
    pub schema_version: u32,
    pub tool: Tool,
    pub inputs: Vec<InputRow>,
    pub total: Total,
    pub conversions: Option<ConversionSummary>,
    pub phone: PhoneStats,
}

fn skip_rows(s: &crate::ingest::InputStats) -> Vec<SkipRow> {
    let mut v: Vec<SkipRow> =
        s.skipped.iter().map(|(r, st)| SkipRow { reason: r.clone(), count: st.count, first: st.first.clone() }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    v
}

fn contents(agg: &InspectAggregates, file: Option<u32>, top: usize) -> Contents {
    let mut c = Contents::default();
    if let Some(o) = agg.overview.iter().find(|o| o.file == file) {
        c.messages = o.messages;
        c.first_seen = o.first_ts.map(format_ms);
        c.last_seen = o.last_ts.map(format_ms);
        c.destinations = o.destinations;
    }
    c.spend = agg
        .spend
        .iter()
        .filter(|s: &&Spend| s.file == file)
        .map(|s| SpendRow { currency: s.currency.clone(), cost: s.cost, priced_messages: s.priced_messages })
        .collect();
    c.top_countries = agg
        .countries
        .iter()
        .filter(|x: &&CountryCount| x.file == file)
        .take(top)
        .map(|x| CountryRow { country: x.country.clone(), messages: x.messages, destinations: x.destinations })
        .collect();
    c
}

/// What `inspect` counts over the rows themselves (the rest comes from [`InspectAggregates`]).
pub struct RowCounts {
    status: BTreeMap<&'static str, u64>,
    number_type: BTreeMap<&'static str, u64>,
    converted: BTreeMap<&'static str, u64>,
    no_id: u64,
    no_ts: u64,
}

/// The rows counted by status, number type and conversion: into arrays by each value's place,
/// on every core (a map entry by name a row had been 0.4 s at ten million rows).
pub fn row_counts(store: &crate::store::Store) -> RowCounts {
    const NO_ID: usize = 3;
    const NO_TS: usize = 4;
    let parts = crate::parts::in_parts(&store.rows, |_, part| {
        let mut status = [0u64; Status::ALL.len()];
        let mut number_type = [0u64; NumberType::ALL.len()];
        // true, false, unknown; no id; no time.
        let mut other = [0u64; 5];
        for m in crate::memory::ahead(part) {
            status[m.status as usize] += 1;
            number_type[m.number_type as usize] += 1;
            other[match m.converted() {
                Some(true) => 0,
                Some(false) => 1,
                None => 2,
            }] += 1;
            other[NO_ID] += u64::from(!store.ids.has(m.idx));
            other[NO_TS] += u64::from(m.ts_opt().is_none());
        }
        (status, number_type, other)
    });
    let (mut status, mut number_type, mut other) = ([0u64; Status::ALL.len()], [0u64; NumberType::ALL.len()], [0u64; 5]);
    for (s, t, o) in parts {
        status.iter_mut().zip(s).for_each(|(a, b)| *a += b);
        number_type.iter_mut().zip(t).for_each(|(a, b)| *a += b);
        other.iter_mut().zip(o).for_each(|(a, b)| *a += b);
    }
    RowCounts {
        // Every status, with its count (zero too); the number types met.
        status: Status::ALL.iter().map(|&s| (s.as_str(), status[s as usize])).collect(),
        number_type: NumberType::ALL
            .iter()
            .filter(|&&t| number_type[t as usize] > 0)
            .map(|&t| (t.as_str(), number_type[t as usize]))
            .collect(),
        converted: [("true", other[0]), ("false", other[1]), ("unknown", other[2])].into_iter().collect(),
        no_id: other[NO_ID],
        no_ts: other[NO_TS],
    }
}

pub fn build(loaded: &Loaded, agg: &InspectAggregates, counts: RowCounts, top: usize) -> InspectReport {
    let inputs: Vec<InputRow> = loaded
        .inputs
        .iter()
        .enumerate()
        .map(|(i, s)| InputRow {
            path: s.path.clone(),
            format: s.format.map(|f| f.name().to_string()),
            container: s.container.clone(),
            gzip: s.gzip,
            unrecognised: s.unrecognised.clone(),
            rows_read: s.rows_read,
            rows_used: s.rows_used,
            rows_skipped: s.rows_skipped(),
            skipped: skip_rows(s),
            contents: contents(agg, Some(i as u32), top),
        })
        .collect();
    let store = &loaded.store;
    let RowCounts { status, number_type, converted, no_id, no_ts } = counts;
    let total = Total {
        inputs: inputs.len(),
        rows_read: inputs.iter().map(|i| i.rows_read).sum(),
        rows_used: inputs.iter().map(|i| i.rows_used).sum(),
        rows_skipped: inputs.iter().map(|i| i.rows_skipped).sum(),
        records_folded: store.folded,
        conflicting_duplicates: store.conflicts,
        contents: contents(agg, None, top),
        status,
        number_type,
        converted,
        without_message_id: no_id,
        without_timestamp: no_ts,
    };
    InspectReport {
        schema_version: SCHEMA_VERSION,
        tool: TOOL,
        inputs,
        total,
        conversions: loaded.conversions.clone(),
        phone: PhoneStats { numbers_classified: store.classifier.lookups, libphonenumber_calls: store.classifier.misses },
    }
}

pub fn write_json(r: &InspectReport, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, r)?;
    writeln!(w)
}

/// Where per-input labelled values start (after `    top countries  `).
const INPUT_VALUE_AT: usize = 19;
/// Where labelled values start in the Top countries and Total sections.
const TOTAL_VALUE_AT: usize = 16;

/// `1 message`, `22 messages`.
fn count(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `8708 read = 8708 used + 0 skipped`, each count kept with its word.
fn rows_text(read: u64, used: u64, skipped: u64) -> String {
    format!("{} = {} + {}", glue(&format!("{read} read")), glue(&format!("{used} used")), glue(&format!("{skipped} skipped")))
}

fn spend_text(spend: &[SpendRow]) -> String {
    if spend.is_empty() {
        return "-".into();
    }
    // An amount keeps its currency on one line.
    spend.iter().map(|s| glue(&money(s.cost, &clean(s.currency.as_deref().unwrap_or("(no currency)"))))).collect::<Vec<_>>().join(", ")
}

fn countries_text(rows: &[CountryRow]) -> String {
    if rows.is_empty() {
        return "-".into();
    }
    rows.iter().map(|c| glue(&format!("{} {}", clean(c.country.as_deref().unwrap_or("??")), c.messages))).collect::<Vec<_>>().join(", ")
}

fn span_text(c: &Contents) -> String {
    match (&c.first_seen, &c.last_seen) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "-".into(),
    }
}

/// Each input as a block (a header line, then labelled lines), the skipped rows, the top
/// countries and the totals, laid out for `width` columns: lines break only at spaces, and a
/// path, an amount with its currency or a count with its name stays on one line.
pub fn write_table(r: &InspectReport, w: &mut dyn Write, width: usize) -> io::Result<()> {
    let input_line = |label: &str, text: &str| wrap(&format!("    {label:<l$}", l = INPUT_VALUE_AT - 4), text, width);
    let total_line = |label: &str, text: &str| wrap(&format!("  {label:<l$}", l = TOTAL_VALUE_AT - 2), text, width);
    let mut out = String::from("Inputs\n");
    for i in &r.inputs {
        let mut head = glue(&clean(&i.path));
        if i.gzip {
            head += " (gzip)";
        }
        match (&i.format, &i.container) {
            (None, _) if i.unrecognised.is_some() => head += "  (not recognised)",
            (None, _) => head += "  (empty)",
            (Some(f), c) => {
                head += &format!("  {}", clean(f));
                if let Some(c) = c {
                    head += &format!("  ({})", glue(&clean(c)));
                }
            }
        }
        out.push('\n');
        out += &hang("", 4, &head, width);
        if let Some(why) = &i.unrecognised {
            out += &input_line("not read", &clean(why));
        }
        out += &input_line("rows", &rows_text(i.rows_read, i.rows_used, i.rows_skipped));
        out += &input_line("messages", &i.contents.messages.to_string());
        out += &input_line("destinations", &i.contents.destinations.to_string());
        out += &input_line("data", &span_text(&i.contents));
        out += &input_line("spend", &spend_text(&i.contents.spend));
        out += &input_line("top countries", &countries_text(&i.contents.top_countries));
    }
    let skips: Vec<(&str, &SkipRow)> = r.inputs.iter().flat_map(|i| i.skipped.iter().map(move |s| (i.path.as_str(), s))).collect();
    if !skips.is_empty() {
        out += "\nSkipped rows\n";
        for (path, s) in skips {
            out.push('\n');
            out += &wrap("", &glue(&clean(path)), width);
            out += &input_line("because", &clean(&s.reason));
            out += &input_line("rows", &s.count.to_string());
            out += &input_line("first at", &glue(&clean(&s.first)));
        }
    }
    let tot = &r.total;
    if !tot.contents.top_countries.is_empty() {
        out += "\nTop countries\n";
        for c in &tot.contents.top_countries {
            let country = c.country.as_deref().map(clean).unwrap_or_else(|| "(unknown)".into());
            out += &total_line(&country, &format!("{} to {}", count(c.messages, "message"), count(c.destinations, "destination")));
        }
    }
    let nonzero = |m: &BTreeMap<&'static str, u64>| {
        m.iter().filter(|(_, n)| **n > 0).map(|(k, n)| glue(&format!("{k} {n}"))).collect::<Vec<_>>().join(", ")
    };
    out += "\nTotal\n";
    out += &total_line("inputs", &tot.inputs.to_string());
    out += &total_line("rows", &rows_text(tot.rows_read, tot.rows_used, tot.rows_skipped));
    out += &total_line("messages", &format!("{} ({} records folded into messages seen before)", tot.contents.messages, tot.records_folded));
    if tot.conflicting_duplicates > 0 {
        out += &total_line(
            "conflicts",
            &format!("{} records reuse a message id with another destination (first kept)", tot.conflicting_duplicates),
        );
    }
    out += &total_line("data", &span_text(&tot.contents));
    out += &total_line("destinations", &tot.contents.destinations.to_string());
    out += &total_line("spend", &spend_text(&tot.contents.spend));
    out += &total_line("status", &nonzero(&tot.status));
    out += &total_line("number types", &nonzero(&tot.number_type));
    out += &total_line("converted", &nonzero(&tot.converted));
    if let Some(c) = &r.conversions {
        out += &total_line(
            "conversions",
            &format!(
                "{}: {}, {}, {}; {} (window {}s)",
                glue(&clean(&c.file.path)),
                glue(&format!("{} read", c.file.rows_read)),
                glue(&format!("{} used", c.file.rows_used)),
                glue(&format!("{} skipped", c.file.rows_skipped())),
                glue(&format!("{} sends judged", c.sends_judged)),
                c.window_seconds
            ),
        );
    }
    w.write_all(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_counted_in_parts_as_one_by_one() {
        // The unverified-spread fixture (conversion known), its rows repeated past one part, some without
        // a time, some blocked and some converted otherwise.
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sim/unverified-spread.ndjson.gz");
        let inputs = vec![crate::ingest::source::InputPath::File(path)];
        let mut loaded = crate::ingest::load(&inputs, &Default::default(), &indicatif::ProgressBar::hidden()).expect("load");
        let store = &mut loaded.store;
        let one = store.rows.clone();
        while store.rows.len() < 3 << 16 {
            store.rows.extend_from_slice(&one);
        }
        for (i, m) in store.rows.iter_mut().enumerate() {
            if i % 997 == 0 {
                m.bits &= !crate::store::bits::HAS_TS;
            }
            if i % 1009 == 0 {
                m.status = Status::Blocked;
                m.set_converted(None);
            }
        }
        let mut want = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), 0u64, 0u64);
        for s in Status::ALL {
            want.0.insert(s.as_str(), 0u64);
        }
        for m in &store.rows {
            *want.0.entry(m.status.as_str()).or_default() += 1;
            *want.1.entry(m.number_type.as_str()).or_default() += 1;
            *want.2.entry(m.converted().map_or("unknown", |c| if c { "true" } else { "false" })).or_default() += 1;
            want.3 += u64::from(!store.ids.has(m.idx));
            want.4 += u64::from(m.ts_opt().is_none());
        }
        let got = row_counts(store);
        assert!(want.2.len() == 3 && want.4 > 0 && want.0["blocked"] > 0);
        assert_eq!((got.status, got.number_type, got.converted, got.no_id, got.no_ts), want);
    }

    fn report() -> InspectReport {
        let contents = || Contents {
            messages: 8708,
            first_seen: Some("2024-03-01T00:15:54Z".into()),
            last_seen: Some("2024-03-10T23:44:13Z".into()),
            destinations: 7369,
            spend: vec![
                SpendRow { currency: Some("USD".into()), cost: 1459.74, priced_messages: 8000 },
                SpendRow { currency: None, cost: 0.5, priced_messages: 1 },
            ],
            top_countries: vec![
                CountryRow { country: Some("UZ".into()), messages: 4924, destinations: 4738 },
                CountryRow { country: None, messages: 1, destinations: 1 },
            ],
        };
        InspectReport {
            schema_version: SCHEMA_VERSION,
            tool: TOOL,
            inputs: vec![InputRow {
                path: "exports/march 2024/burst.csv.gz".into(),
                format: Some("twilio-console-csv".into()),
                container: Some("list page (messages)".into()),
                gzip: true,
                unrecognised: None,
                rows_read: 8710,
                rows_used: 8708,
                rows_skipped: 2,
                skipped: vec![SkipRow { reason: "inbound message (not a send)".into(), count: 2, first: "line 5".into() }],
                contents: contents(),
            }],
            total: Total {
                inputs: 1,
                rows_read: 8710,
                rows_used: 8708,
                rows_skipped: 2,
                records_folded: 0,
                conflicting_duplicates: 3,
                contents: contents(),
                status: [("delivered", 6978), ("failed", 0)].into_iter().collect(),
                number_type: [("mobile", 8708)].into_iter().collect(),
                converted: [("unknown", 8708)].into_iter().collect(),
                without_message_id: 0,
                without_timestamp: 0,
            },
            conversions: None,
            phone: PhoneStats { numbers_classified: 0, libphonenumber_calls: 0 },
        }
    }

    #[test]
    fn blocks_fit_the_width_and_keep_every_unit_whole() {
        let r = report();
        for width in [30, 40, 60, 80, 120] {
            let mut out = Vec::new();
            write_table(&r, &mut out, width).expect("write");
            let out = String::from_utf8(out).expect("utf-8");
            for l in out.lines() {
                // Wider only where one unit (a 20-character time) does not fit after its label.
                assert!(l.chars().count() <= width.max(INPUT_VALUE_AT + 20), "{l:?} wider than {width}:\n{out}");
            }
            for unit in [
                "exports/march 2024/burst.csv.gz",
                "1459.74 USD",
                "0.50 (no currency)",
                "2024-03-01T00:15:54Z",
                "UZ 4924",
                "?? 1",
                "(list page (messages))",
                "delivered 6978",
                "line 5",
                "8710 read",
                "2 skipped",
            ] {
                assert!(out.lines().any(|l| l.contains(unit)), "`{unit}` whole on one line at {width}:\n{out}");
            }
            assert!(!out.contains("failed"), "zero counts are left out");
            for fact in ["Inputs", "Skipped rows", "Top countries", "Total", "conflicts", "(unknown)", "(gzip)", "data"] {
                assert!(out.contains(fact), "{fact} at {width}:\n{out}");
            }
        }
    }
}
