//! Detection: the registry of detectors, the shared row and finding types, and the run that
//! turns a store into sorted findings. Each detector is a module with a pure core over
//! [`Row`]s, unit-tested on hand-built rows.

pub mod allow;
pub mod baseline;
pub mod binomial;
pub mod character;
pub mod country_ids;
pub mod country_table;
pub mod excess_unverified;
pub mod explain;
pub mod facts;
pub mod fingerprint;
pub mod incidents;
pub mod low_conversion;
pub mod new_numbers;
pub mod number_class;
pub mod numbers;
pub mod occupancy;
pub mod provider_blocks;
pub mod pumped_range;
pub mod round_the_clock;
pub mod spend_anomaly;
pub mod survey;
pub mod tally;

use crate::store::Store;
use clap::ValueEnum;
use serde::Serialize;
use std::collections::BTreeMap;

/// Ordered severity; the only thing tables colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, serde::Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Severity of confirmed pumping by what it cost: tens, hundreds, thousands.
    pub fn by_cost(cost: f64) -> Severity {
        if cost >= 1000.0 {
            Severity::Critical
        } else if cost >= 100.0 {
            Severity::High
        } else if cost >= 10.0 {
            Severity::Medium
        } else {
            Severity::Low
        }
    }
}

/// A parameter of a detector, with its default (the registry is the one source of both).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Param {
    pub name: &'static str,
    pub default: f64,
    pub about: &'static str,
}

/// A detector's descriptor.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Detector {
    pub id: &'static str,
    pub title: &'static str,
    pub flags: &'static str,
    pub params: &'static [Param],
}

pub const REGISTRY: &[Detector] = &[
    pumped_range::DETECTOR,
    spend_anomaly::DETECTOR,
    low_conversion::DETECTOR,
    excess_unverified::DETECTOR,
    new_numbers::DETECTOR,
    number_class::DETECTOR,
    provider_blocks::DETECTOR,
];

/// Resolved parameter values: `detector.param` → value, defaults from the registry.
#[derive(Debug, Clone, Serialize)]
pub struct Params(pub BTreeMap<String, f64>);

impl Default for Params {
    fn default() -> Self {
        Params(REGISTRY.iter().flat_map(|d| d.params.iter().map(move |p| (format!("{}.{}", d.id, p.name), p.default))).collect())
    }
}

impl Params {
    pub fn get(&self, detector: &str, name: &str) -> f64 {
        self.0.get(&format!("{detector}.{name}")).copied().unwrap_or(f64::NAN)
    }

    /// Set `detector.param`; unknown names are an error.
    pub fn set(&mut self, key: &str, value: f64) -> Result<(), String> {
        match self.0.get_mut(key) {
            Some(v) => {
                *v = value;
                Ok(())
            }
            None => Err(format!("unknown parameter `{key}` (see `pumphound detectors`)")),
        }
    }
}

/// What detectors read of a message: the store's own row (compact, copyable, no strings), so
/// detection reads the table in place.
pub type Row = crate::store::Message;

/// A finding: the signal, the threshold crossed and the baseline it was compared with, and the
/// rows behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: String,
    pub detector: &'static str,
    pub severity: Severity,
    pub title: String,
    /// `number_range`, `country`, `number_class` ...
    pub subject_kind: &'static str,
    pub subject: String,
    pub country: Option<String>,
    pub start: i64,
    pub peak: Option<i64>,
    pub end: i64,
    pub messages: u64,
    pub destinations: u64,
    pub cost: f64,
    pub signal: String,
    pub threshold: String,
    pub baseline: String,
    pub metrics: BTreeMap<&'static str, f64>,
    /// What lowered (or raised) the finding from what its signal alone says, when anything did.
    pub note: String,
    /// The same in two runs over overlapping periods for the same event (see [`fingerprint`]).
    pub fingerprint: String,
    #[serde(skip)]
    pub rows: Vec<u32>,
    /// Its own detector judged its evidence to be legit users (a customer's block, new numbers
    /// that come back or verify as the account's): the note says why. It is then no kind of
    /// evidence that agrees with others in an incident ([`incidents::severity`]).
    #[serde(skip)]
    pub legit_like: bool,
}

impl Finding {
    /// A finding over `members`: its window, peak, size, cost and evidence rows come from them;
    /// the caller sets severity, title, signal, threshold, baseline and metrics.
    pub fn over(detector: &'static str, subject_kind: &'static str, subject: String, members: &[&Row]) -> Finding {
        Finding {
            id: String::new(),
            detector,
            severity: Severity::Low,
            title: String::new(),
            subject_kind,
            subject,
            country: members.first().and_then(|r| r.country()).map(|_| members[0].country_str()),
            start: members.iter().map(|r| r.ts).min().unwrap_or(0),
            peak: peak_hour(members.iter().map(|r| r.ts)),
            end: members.iter().map(|r| r.ts).max().unwrap_or(0),
            messages: members.len() as u64,
            destinations: members.iter().map(|r| (r.calling_code, r.national)).collect::<crate::hash::Set<_>>().len() as u64,
            cost: members.iter().map(|r| r.cost).sum(),
            signal: String::new(),
            threshold: String::new(),
            baseline: String::new(),
            metrics: BTreeMap::new(),
            note: String::new(),
            fingerprint: String::new(),
            rows: members.iter().map(|r| r.idx).collect(),
            legit_like: false,
        }
    }

    /// Total order: severity desc, detector, subject, start.
    pub fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
        b.severity.cmp(&a.severity).then(a.detector.cmp(b.detector)).then(a.subject.cmp(&b.subject)).then(a.start.cmp(&b.start))
    }
}

/// Make a finding's messages, destinations, cost and window those of its evidence rows (what
/// `--allow` left of them), so that every view of it, and the incident it is in, agree. `cost_of`
/// is a row's cost in the report's currency (0 for others). A finding without evidence rows
/// keeps its window and has no messages.
pub fn settle(f: &mut Finding, rows: &[Row], cost_of: impl Fn(u32) -> f64) {
    f.rows.sort_unstable();
    f.rows.dedup();
    let members: Vec<&Row> = f.rows.iter().filter_map(|&r| rows.get(r as usize)).collect();
    f.messages = members.len() as u64;
    f.destinations = members.iter().map(|r| (r.calling_code, r.national)).collect::<crate::hash::Set<_>>().len() as u64;
    f.cost = f.rows.iter().map(|&r| cost_of(r)).sum();
    if !members.is_empty() {
        f.start = members.iter().map(|r| r.ts).min().unwrap_or(f.start);
        f.end = members.iter().map(|r| r.ts).max().unwrap_or(f.end);
        f.peak = peak_hour(members.iter().map(|r| r.ts));
    }
}

/// A country code as rows carry it.
pub type Code = Option<[u8; 2]>;

/// Dense numbers for the country codes rows carry, in the order first seen, found by indexing a
/// table with the code's two bytes: a hash lookup a row had been much of the time of the
/// detectors that group rows by country.
pub struct Countries {
    slot: Vec<u32>,
    /// The codes, by number.
    pub codes: Vec<Code>,
}

impl Default for Countries {
    fn default() -> Countries {
        Countries { slot: vec![u32::MAX; 1 << 16 | 1], codes: Vec::new() }
    }
}

impl Countries {
    fn at(code: Code) -> usize {
        code.map_or(1 << 16, |[a, b]| usize::from(a) << 8 | usize::from(b))
    }

    /// The code's number (a new one when first seen).
    #[inline]
    pub fn id(&mut self, code: Code) -> usize {
        let slot = &mut self.slot[Countries::at(code)];
        if *slot == u32::MAX {
            *slot = self.codes.len() as u32;
            self.codes.push(code);
        }
        *slot as usize
    }

    /// The code's number, when seen.
    pub fn get(&self, code: Code) -> Option<usize> {
        Some(self.slot[Countries::at(code)]).filter(|&s| s != u32::MAX).map(|s| s as usize)
    }
}

/// A set of calling codes as a table: which rows can share a destination with a few numbers of
/// interest, by an index a row instead of a hash lookup (a number is keyed by its calling code
/// and national number, so the other codes' rows cannot hold it).
pub struct CallingCodes(Vec<bool>);

impl CallingCodes {
    pub fn of(codes: impl IntoIterator<Item = u16>) -> CallingCodes {
        let mut table = vec![false; 1 << 16];
        for c in codes {
            table[usize::from(c)] = true;
        }
        CallingCodes(table)
    }

    pub fn has(&self, r: &Row) -> bool {
        self.has_code(r.calling_code)
    }

    pub fn has_code(&self, code: u16) -> bool {
        self.0[usize::from(code)]
    }
}

/// Rows by country code (`??` for none), in code order.
pub fn by_country<'a>(rows: impl Iterator<Item = &'a Row>) -> BTreeMap<String, Vec<&'a Row>> {
    let mut countries = Countries::default();
    let mut by_code: Vec<Vec<&Row>> = Vec::new();
    for r in rows {
        let i = countries.id(r.country());
        if i == by_code.len() {
            by_code.push(Vec::new());
        }
        by_code[i].push(r);
    }
    let mut out: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for v in by_code {
        let name = v[0].country_str();
        match out.get_mut(&name) {
            // Two codes with one name (bytes that are not text): keep the rows' order.
            Some(have) => {
                have.extend(v);
                have.sort_by_key(|r| r.idx);
            }
            None => {
                out.insert(name, v);
            }
        }
    }
    out
}

/// The hour (ms) with most of `ts`, for a finding's peak.
pub fn peak_hour(ts: impl Iterator<Item = i64>) -> Option<i64> {
    let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
    for t in ts {
        *counts.entry(t.div_euclid(3_600_000)).or_default() += 1;
    }
    counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(h, _)| h * 3_600_000)
}

/// The rows detectors read: messages `keep` accepts that have a timestamp (rows without one
/// cannot be placed in time and are left out; the count is returned). When every row is kept,
/// the store's table itself, without a copy.
pub fn rows(store: &Store, keep: impl Fn(&Row) -> bool) -> (std::borrow::Cow<'_, [Row]>, u64) {
    let (mut no_ts, mut all) = (0u64, true);
    for m in crate::memory::ahead(&store.rows) {
        if !keep(m) {
            all = false;
        } else if m.ts_opt().is_none() {
            no_ts += 1;
        }
    }
    if no_ts == 0 && all {
        return (std::borrow::Cow::Borrowed(&store.rows), 0);
    }
    (std::borrow::Cow::Owned(crate::memory::ahead(&store.rows).filter(|m| m.ts_opt().is_some() && keep(m)).copied().collect()), no_ts)
}

/// The longest period one scan looks at (three years): the detectors keep a count per hour and
/// country over the period, so one send dated a century away (a corrupt or hostile row) would
/// otherwise ask for gigabytes. `scan` refuses a longer period and names `--since`/`--until`.
pub const MAX_SPAN_DAYS: i64 = 1096;

/// Whether the period from `start` to `end` (ms) is one scan can look at ([`MAX_SPAN_DAYS`]).
pub fn span_fits(start: i64, end: i64) -> bool {
    end.saturating_sub(start) <= MAX_SPAN_DAYS * 86_400_000
}

/// Run the selected detectors; findings come back sorted and numbered F1, F2, ...
/// `base`: what a known-clean period (`--baseline`) taught; when empty, detectors
/// learn from `rows` themselves, robustly. `errors`: the provider's error code of each attrs
/// index ([`crate::store::Store::error_codes`]).
/// `currency`: what costs are in, for the findings' texts.
/// `facts`: [`facts::Facts::of`] the rows; `marked`: their marked rows, when a survey found
/// them (else a pass here finds them); `table`: their countries ([`country_table::CountryTable`]).
#[allow(clippy::too_many_arguments)]
pub fn run(
    rows: &[Row],
    facts: &facts::Facts,
    marked: Option<&survey::Marked>,
    table: &country_table::CountryTable,
    base: &baseline::Baseline,
    params: &Params,
    selected: &[&str],
    errors: &[u32],
    currency: &str,
) -> Vec<Finding> {
    let on = |id: &str| selected.contains(&id);
    // pumped-range and new-numbers, the heaviest, key on every row's number: found once for
    // the two ([`numbers::Numbers`], itself on two threads) on a second thread, then each on a
    // thread of its own, while the light detectors run on this one; findings are put in the
    // same order as on one thread.
    let join = |h: std::thread::ScopedJoinHandle<'_, Vec<Finding>>| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let (mut f, rest, fresh) = std::thread::scope(|s| {
        let heavy = s.spawn(|| {
            if !on(pumped_range::DETECTOR.id) && !on(new_numbers::DETECTOR.id) {
                return (Vec::new(), Vec::new());
            }
            let numbers = crate::timings::part("numbers", || numbers::Numbers::of(rows, facts, &base.numbers));
            std::thread::scope(|s| {
                let ranges =
                    s.spawn(|| timed(&on, &pumped_range::DETECTOR, || pumped_range::detect(rows, &numbers, table, facts, base, params)));
                let fresh = timed(&on, &new_numbers::DETECTOR, || new_numbers::detect(rows, &numbers, table, facts, base, params));
                (join(ranges), fresh)
            })
        });
        let rest = others(rows, facts, marked, table, base, params, &on, errors, currency);
        let (ranges, fresh) = heavy.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (ranges, rest, fresh)
    });
    f.extend(rest);
    f.extend(fresh);
    crate::timings::part("explain", || explain::explain(&mut f, rows));
    f.sort_by(Finding::order);
    for (i, x) in f.iter_mut().enumerate() {
        x.id = format!("F{}", i + 1);
    }
    f
}

#[allow(clippy::too_many_arguments)]
fn others(
    rows: &[Row],
    facts: &facts::Facts,
    marked: Option<&survey::Marked>,
    table: &country_table::CountryTable,
    base: &baseline::Baseline,
    params: &Params,
    on: &dyn Fn(&str) -> bool,
    errors: &[u32],
    currency: &str,
) -> Vec<Finding> {
    let mut f = Vec::new();
    f.extend(timed(on, &spend_anomaly::DETECTOR, || spend_anomaly::detect(rows, table, facts, base, params, currency)));
    f.extend(timed(on, &low_conversion::DETECTOR, || low_conversion::detect(rows, facts, base, params)));
    f.extend(timed(on, &excess_unverified::DETECTOR, || excess_unverified::detect(rows, table, facts, base, params)));
    if on(number_class::DETECTOR.id) || on(provider_blocks::DETECTOR.id) {
        let marked = survey::marked_or_found(rows, marked);
        fn at<'a>(rows: &'a [Row], list: &'a [u32]) -> impl Iterator<Item = &'a Row> + 'a {
            list.iter().filter_map(move |&i| rows.get(i as usize))
        }
        f.extend(timed(on, &number_class::DETECTOR, || number_class::detect_among(rows.len(), at(rows, &marked.classed), params)));
        f.extend(timed(on, &provider_blocks::DETECTOR, || provider_blocks::detect_among(at(rows, &marked.blocked), errors, params)));
    }
    f
}

/// A selected detector's findings, its time counted under its id for `--timings`.
fn timed(on: &dyn Fn(&str) -> bool, d: &Detector, detect: impl FnOnce() -> Vec<Finding>) -> Vec<Finding> {
    if on(d.id) { crate::timings::part(d.id, detect) } else { Vec::new() }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schema::NumberType;

    /// A delivered, priced, unconverted-unknown row to an E.164 number.
    pub fn row(idx: u32, ts: i64, cc: u16, national: u64, nlen: u8) -> Row {
        Row {
            ts,
            calling_code: cc,
            national,
            nlen,
            region: *b"LV",
            cost: 0.05,
            number_type: NumberType::Mobile,
            bits: crate::store::bits::HAS_TS | crate::store::bits::HAS_COST | crate::store::bits::E164,
            ..Row::blank(idx)
        }
    }
}
