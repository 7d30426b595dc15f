//! `pumphound inspect`: what the inputs hold, per input and in total.

use super::text::{clean, table};
use crate::frame::{CountryCount, InspectAggregates, Spend};
use crate::ingest::{ConversionSummary, Loaded};
use crate::schema::Status;
use crate::timeparse::format_ms;
use crate::units::number as money;
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

pub fn build(loaded: &Loaded, agg: &InspectAggregates, top: usize) -> InspectReport {
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
    let mut status: BTreeMap<&'static str, u64> = Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    let mut number_type: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut converted: BTreeMap<&'static str, u64> = [("true", 0), ("false", 0), ("unknown", 0)].into_iter().collect();
    let (mut no_id, mut no_ts) = (0, 0);
    for m in &store.rows {
        *status.entry(m.status.as_str()).or_default() += 1;
        *number_type.entry(m.number_type.as_str()).or_default() += 1;
        let k = match m.converted() {
            Some(true) => "true",
            Some(false) => "false",
            None => "unknown",
        };
        *converted.entry(k).or_default() += 1;
        no_id += u64::from(!store.ids.has(m.idx));
        no_ts += u64::from(m.ts_opt().is_none());
    }
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

fn spend_text(spend: &[SpendRow]) -> String {
    if spend.is_empty() {
        return "-".into();
    }
    spend.iter().map(|s| format!("{} {}", money(s.cost), s.currency.as_deref().unwrap_or("(no currency)"))).collect::<Vec<_>>().join("\n")
}

fn countries_text(rows: &[CountryRow]) -> String {
    if rows.is_empty() {
        return "-".into();
    }
    rows.iter().map(|c| format!("{} {}", c.country.as_deref().unwrap_or("??"), c.messages)).collect::<Vec<_>>().join("\n")
}

fn span_text(c: &Contents) -> String {
    match (&c.first_seen, &c.last_seen) {
        (Some(a), Some(b)) => format!("{a}\n{b}"),
        _ => "-".into(),
    }
}

pub fn write_table(r: &InspectReport, w: &mut dyn Write, tty: bool) -> io::Result<()> {
    let mut t =
        table(&["input", "format", "read", "used", "skipped", "messages", "destinations", "first / last", "spend", "top countries"], tty);
    for i in &r.inputs {
        let format = match (&i.format, &i.container) {
            (None, _) if i.unrecognised.is_some() => "(not recognised)".to_string(),
            (None, _) => "(empty)".to_string(),
            (Some(f), Some(c)) => format!("{f}\n({c})"),
            (Some(f), None) => f.clone(),
        };
        let path = if i.gzip { format!("{} (gzip)", clean(&i.path)) } else { clean(&i.path) };
        t.add_row(vec![
            path,
            format,
            i.rows_read.to_string(),
            i.rows_used.to_string(),
            i.rows_skipped.to_string(),
            i.contents.messages.to_string(),
            i.contents.destinations.to_string(),
            span_text(&i.contents),
            spend_text(&i.contents.spend),
            countries_text(&i.contents.top_countries),
        ]);
    }
    writeln!(w, "Inputs")?;
    writeln!(w, "{t}")?;
    let skips: Vec<(&str, &SkipRow)> = r.inputs.iter().flat_map(|i| i.skipped.iter().map(move |s| (i.path.as_str(), s))).collect();
    if !skips.is_empty() {
        let mut t = table(&["input", "skipped because", "rows", "first at"], tty);
        for (path, s) in skips {
            t.add_row(vec![clean(path), clean(&s.reason), s.count.to_string(), s.first.clone()]);
        }
        writeln!(w, "\nSkipped rows")?;
        writeln!(w, "{t}")?;
    }
    let tot = &r.total;
    if !tot.contents.top_countries.is_empty() {
        let mut t = table(&["country", "messages", "destinations"], tty);
        for c in &tot.contents.top_countries {
            t.add_row(vec![c.country.clone().unwrap_or_else(|| "(unknown)".into()), c.messages.to_string(), c.destinations.to_string()]);
        }
        writeln!(w, "\nTop countries")?;
        writeln!(w, "{t}")?;
    }
    let nonzero =
        |m: &BTreeMap<&'static str, u64>| m.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
    writeln!(w, "\nTotal")?;
    writeln!(w, "  inputs        {}", tot.inputs)?;
    writeln!(w, "  rows          {} read = {} used + {} skipped", tot.rows_read, tot.rows_used, tot.rows_skipped)?;
    writeln!(w, "  messages      {} ({} records folded into messages seen before)", tot.contents.messages, tot.records_folded)?;
    if tot.conflicting_duplicates > 0 {
        writeln!(w, "  conflicts     {} records reuse a message id with another destination (first kept)", tot.conflicting_duplicates)?;
    }
    writeln!(w, "  time span     {}", span_text(&tot.contents).replace('\n', " .. "))?;
    writeln!(w, "  destinations  {}", tot.contents.destinations)?;
    writeln!(w, "  spend         {}", spend_text(&tot.contents.spend).replace('\n', ", "))?;
    writeln!(w, "  status        {}", nonzero(&tot.status))?;
    writeln!(w, "  number types  {}", nonzero(&tot.number_type))?;
    writeln!(w, "  converted     {}", nonzero(&tot.converted))?;
    if let Some(c) = &r.conversions {
        writeln!(
            w,
            "  conversions   {}: {} read, {} used, {} skipped; {} sends judged (window {}s)",
            clean(&c.file.path),
            c.file.rows_read,
            c.file.rows_used,
            c.file.rows_skipped(),
            c.sends_judged,
            c.window_seconds
        )?;
    }
    Ok(())
}
