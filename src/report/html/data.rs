//! What the HTML report draws beyond the scan report itself: time series of spend and
//! conversion by country, the countries' table, the occupancy grid of each pumped range, and
//! the senders behind each incident. Computed in one pass over the scanned rows (plus the
//! evidence rows of the pumped ranges), with totals that add up to the scan report's.

use crate::detect::incidents::Incident;
use crate::detect::{Finding, Row, Severity};
use crate::hash::{Map, Set};
use crate::store::Store;
use std::collections::BTreeMap;

/// How the report names rows whose country is not known (as the detectors do).
pub const UNKNOWN: &str = "??";
/// At most this many buckets on the time axis (the bucket grows: hour, 6 hours, day, week).
const MAX_BUCKETS: i64 = 500;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
/// Below this many sends with known conversion outside incidents, a country's conversion
/// baseline is the account's.
const MIN_BASELINE_SENDS: u64 = 100;
/// Incidents drawn (articles and timeline lanes); the rest are in the JSON report.
pub const MAX_INCIDENTS: usize = 50;
/// Countries drawn as their own series (the rest is "other").
pub const TOP_COUNTRIES: usize = 5;
/// Rows of the countries' table (the rest is counted in the JSON).
pub const MAX_COUNTRY_ROWS: usize = 100;
/// Pumped ranges drawn as grids.
pub const MAX_GRIDS: usize = 8;
/// Countries drawn with their conversion, and its points at most.
const MAX_CONVERSION_COUNTRIES: usize = 6;
const MAX_CONVERSION_BUCKETS: i64 = 120;

/// The report's time axis: `buckets` buckets of `step` ms from `start`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    pub start: i64,
    pub step: i64,
    pub buckets: usize,
}

impl Axis {
    /// The axis over `[first, last]`: the smallest of 1 h, 6 h, 1 day, 1 week or a number of
    /// weeks that gives at most [`MAX_BUCKETS`], aligned to UTC.
    pub fn over(first: i64, last: i64) -> Axis {
        Axis::at_least(first, last, HOUR, MAX_BUCKETS)
    }

    /// [`Axis::over`] with buckets of at least `min` and at most `max` buckets (conversion: a
    /// day or more, since fewer sends say little, and fewer points, since each is a mark).
    pub fn at_least(first: i64, last: i64, min: i64, max: i64) -> Axis {
        let fits = |s: i64| last.div_euclid(s) - first.div_euclid(s) < max;
        let weeks = (1..).map(|k| k * WEEK).find(|s| fits(*s)).unwrap_or(WEEK);
        let step = [HOUR, 6 * HOUR, DAY, WEEK].into_iter().filter(|s| *s >= min).find(|s| fits(*s)).unwrap_or(weeks);
        let start = first.div_euclid(step) * step;
        Axis { start, step, buckets: ((last - start) / step + 1).max(1) as usize }
    }

    pub fn end(&self) -> i64 {
        self.start + self.step * self.buckets as i64
    }

    pub fn bucket(&self, ts: i64) -> usize {
        (((ts - self.start) / self.step).max(0) as usize).min(self.buckets - 1)
    }

    pub fn unit(&self) -> String {
        match self.step {
            HOUR => "hour".into(),
            s if s == 6 * HOUR => "6 hours".into(),
            DAY => "day".into(),
            WEEK => "week".into(),
            s => format!("{} weeks", s / WEEK),
        }
    }
}

/// One destination country over the scanned period.
#[derive(Debug, Clone, Default)]
pub struct CountryRow {
    pub country: String,
    pub messages: u64,
    pub spend: f64,
    pub numbers: u64,
    /// Sends whose conversion is known, and of them those that verified.
    pub known: u64,
    pub verified: u64,
    /// Incidents (shown) naming the country.
    pub incidents: Vec<String>,
}

/// A series on the time axis.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    /// Median and 95th percentile of the buckets outside every incident window: the band a
    /// bucket of this series usually falls in.
    pub band: (f64, f64),
    /// Whether the band is learned outside incidents (false: every bucket was in one).
    pub quiet_band: bool,
}

/// A country's conversion by day: sends whose conversion is known and those that verified.
#[derive(Debug, Clone)]
pub struct Conversion {
    pub country: String,
    pub days: Axis,
    pub known: Vec<u64>,
    pub verified: Vec<u64>,
    /// The country's conversion outside its incidents' windows, or the account's when it has
    /// fewer than [`MIN_BASELINE_SENDS`] such sends (`own_baseline` false).
    pub baseline: f64,
    pub own_baseline: bool,
}

/// The last two digits of a pumped range's evidence numbers.
#[derive(Debug, Clone)]
pub struct Grid {
    pub finding: String,
    pub range: String,
    pub severity: Severity,
    /// Distinct numbers and messages per last two digits (00..99).
    pub numbers: Vec<u32>,
    pub messages: Vec<u32>,
    /// Cells with at least one number, and the longest run of consecutive such cells.
    pub filled: usize,
    pub longest_run: usize,
}

#[derive(Debug, Clone)]
pub struct HtmlData {
    pub axis: Option<Axis>,
    /// Top countries by spend, then `other` when there is more.
    pub spend: Vec<Series>,
    pub countries: Vec<CountryRow>,
    pub countries_total: usize,
    pub conversion: Vec<Conversion>,
    pub grids: Vec<Grid>,
    pub grids_total: usize,
    /// Per shown incident: its most frequent sender ids with their message counts (top 3).
    pub senders: BTreeMap<String, Vec<(String, u64)>>,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Per country while counting: totals, spend per bucket, conversion per day.
struct Tally {
    code: Option<[u8; 2]>,
    row: CountryRow,
    spend: Vec<f64>,
    known: Vec<u64>,
    verified: Vec<u64>,
    /// Sends (known conversion) and verified outside the country's incident windows.
    quiet: (u64, u64),
    windows: Vec<(i64, i64)>,
}

/// The HTML report's data. `coverage`: the rows' first and last send; `all`: every incident (their windows are left out of baselines);
/// `incidents` and `findings`: what the report shows. One pass over the rows, counting into
/// dense per-country tables (a table lookup a row; distinct numbers in one set of packed keys).
pub fn build(
    store: &Store,
    rows: &[Row],
    coverage: Option<(i64, i64)>,
    all: &[Incident],
    incidents: &[&Incident],
    findings: &[&Finding],
    redact: bool,
) -> HtmlData {
    let axis = coverage.map(|(a, b)| Axis::over(a, b));
    let days = coverage.map(|(a, b)| Axis::at_least(a, b, DAY, MAX_CONVERSION_BUCKETS));
    let n = axis.map_or(0, |a| a.buckets);
    // Each country's incident windows (medium and above, shown or not).
    let mut windows_of: BTreeMap<&str, Vec<(i64, i64)>> = BTreeMap::new();
    for i in all.iter().filter(|x| x.severity >= Severity::Medium) {
        for c in &i.countries {
            windows_of.entry(c.as_str()).or_default().push((i.start, i.end));
        }
    }
    let every_window: Vec<(i64, i64)> = windows_of.values().flatten().copied().collect();
    // Country code -> tally index (26 x 26 letters, and one slot for no country).
    let mut slot = vec![u16::MAX; 26 * 26 + 1];
    let slot_of = |c: Option<[u8; 2]>| match c {
        Some([a, b]) if a.is_ascii_uppercase() && b.is_ascii_uppercase() => usize::from(a - b'A') * 26 + usize::from(b - b'A'),
        _ => 26 * 26,
    };
    let name = |c: Option<[u8; 2]>| c.map_or_else(|| UNKNOWN.to_string(), |c| String::from_utf8_lossy(&c).into_owned());
    let mut tallies: Vec<Tally> = Vec::new();
    let mut numbers: Set<u64> = Set::default();
    for r in rows {
        let s = slot_of(r.country());
        if slot[s] == u16::MAX {
            slot[s] = tallies.len() as u16;
            let code = if s == 26 * 26 { None } else { r.country() };
            tallies.push(Tally {
                code,
                windows: windows_of.get(name(code).as_str()).cloned().unwrap_or_default(),
                row: CountryRow::default(),
                spend: vec![0.0; n],
                known: Vec::new(),
                verified: Vec::new(),
                quiet: (0, 0),
            });
        }
        let t = &mut tallies[usize::from(slot[s])];
        t.row.messages += 1;
        t.row.spend += r.cost;
        if let Some(a) = axis {
            t.spend[a.bucket(r.ts)] += r.cost;
        }
        if let (Some(c), Some(d)) = (r.converted(), days) {
            if t.known.is_empty() {
                (t.known, t.verified) = (vec![0; d.buckets], vec![0; d.buckets]);
            }
            t.row.known += 1;
            t.row.verified += u64::from(c);
            let day = d.bucket(r.ts);
            t.known[day] += 1;
            t.verified[day] += u64::from(c);
            if !t.windows.iter().any(|(s, e)| r.ts >= *s && r.ts <= *e) {
                t.quiet.0 += 1;
                t.quiet.1 += u64::from(c);
            }
        }
        // An E.164 national number has at most 14 digits and a calling code 3: packed, they fit.
        if r.nlen > 0 && numbers.insert(r.national.wrapping_mul(1000).wrapping_add(u64::from(r.calling_code))) {
            t.row.numbers += 1;
        }
    }
    for t in &mut tallies {
        t.row.country = name(t.code);
    }
    for i in incidents {
        for c in &i.countries {
            if let Some(t) = tallies.iter_mut().find(|t| &t.row.country == c) {
                t.row.incidents.push(i.id.clone());
            }
        }
    }
    tallies.sort_by(|a, b| {
        b.row.spend.total_cmp(&a.row.spend).then(b.row.messages.cmp(&a.row.messages)).then(a.row.country.cmp(&b.row.country))
    });
    // A series' band: its buckets outside its countries' incident windows.
    let band = |values: &[f64], windows: &[(i64, i64)]| {
        let Some(a) = axis else { return ((0.0, 0.0), false) };
        let mut quiet: Vec<f64> = values
            .iter()
            .enumerate()
            .filter(|(b, _)| {
                let (s, e) = (a.start + a.step * *b as i64, a.start + a.step * (*b as i64 + 1));
                !windows.iter().any(|(ws, we)| *ws < e && *we >= s)
            })
            .map(|(_, v)| *v)
            .collect();
        let own = !quiet.is_empty();
        if !own {
            quiet = values.to_vec();
        }
        quiet.sort_by(f64::total_cmp);
        ((quantile(&quiet, 0.5), quantile(&quiet, 0.95)), own)
    };
    let series = |name: String, values: Vec<f64>, windows: &[(i64, i64)]| {
        let (b, own) = band(&values, windows);
        Series { name, values, band: b, quiet_band: own }
    };
    let mut spend: Vec<Series> =
        tallies.iter().take(TOP_COUNTRIES).map(|t| series(t.row.country.clone(), t.spend.clone(), &t.windows)).collect();
    if tallies.len() > TOP_COUNTRIES {
        let mut other = vec![0.0; n];
        for t in &tallies[TOP_COUNTRIES..] {
            for (o, v) in other.iter_mut().zip(&t.spend) {
                *o += v;
            }
        }
        spend.push(series("other".into(), other, &every_window));
    }
    // Conversion by day for the incidents' countries and the top countries, where known.
    let account_rate = {
        let (k, v) = tallies.iter().fold((0u64, 0u64), |(k, v), t| (k + t.row.known, v + t.row.verified));
        if k > 0 { v as f64 / k as f64 } else { 0.0 }
    };
    let mut wanted: Vec<String> = incidents.iter().flat_map(|i| i.countries.iter().cloned()).collect();
    wanted.extend(tallies.iter().take(TOP_COUNTRIES).map(|t| t.row.country.clone()));
    let mut seen = Set::default();
    wanted.retain(|c| seen.insert(c.clone()) && tallies.iter().any(|t| &t.row.country == c && t.row.known > 0));
    wanted.truncate(MAX_CONVERSION_COUNTRIES);
    let conversion = wanted
        .iter()
        .filter_map(|c| {
            let t = tallies.iter().find(|t| &t.row.country == c)?;
            let own = t.quiet.0 >= MIN_BASELINE_SENDS;
            Some(Conversion {
                country: c.clone(),
                days: days?,
                known: t.known.clone(),
                verified: t.verified.clone(),
                baseline: if own { t.quiet.1 as f64 / t.quiet.0 as f64 } else { account_rate },
                own_baseline: own,
            })
        })
        .collect();
    let countries: Vec<CountryRow> = tallies.into_iter().map(|t| t.row).collect();
    // The pumped ranges' grids.
    let ranges: Vec<&&Finding> = findings.iter().filter(|f| f.subject_kind == "number_range" && f.detector == "pumped-range").collect();
    // Under --redact no grid: its cells are the numbers' last two digits.
    let grids = ranges
        .iter()
        .take(if redact { 0 } else { MAX_GRIDS })
        .map(|f| {
            let (mut numbers, mut messages) = (vec![0u32; 100], vec![0u32; 100]);
            let mut seen: Set<u64> = Set::default();
            for &r in &f.rows {
                let m = &store.rows[r as usize];
                let cell = (m.national % 100) as usize;
                messages[cell] += 1;
                if seen.insert(m.national) {
                    numbers[cell] += 1;
                }
            }
            let filled = numbers.iter().filter(|n| **n > 0).count();
            let longest_run =
                numbers.iter().fold((0usize, 0usize), |(best, run), n| if *n > 0 { (best.max(run + 1), run + 1) } else { (best, 0) }).0;
            Grid { finding: f.id.clone(), range: f.subject.clone(), severity: f.severity, numbers, messages, filled, longest_run }
        })
        .collect();
    // Senders behind each incident.
    let mut senders = BTreeMap::new();
    for i in incidents {
        let mut counts: Map<u32, u64> = Map::default();
        for &r in &i.rows {
            *counts.entry(store.attrs(&store.rows[r as usize]).sender).or_default() += 1;
        }
        let mut top: Vec<(String, u64)> = counts
            .into_iter()
            .filter(|(s, _)| *s != 0)
            .map(|(s, n)| {
                let text = store.str(s).unwrap_or("").to_string();
                let looks_like_number = text.starts_with('+') && text[1..].bytes().all(|b| b.is_ascii_digit());
                (if redact && looks_like_number { super::super::evidence::redact(&text) } else { text }, n)
            })
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(3);
        senders.insert(i.id.clone(), top);
    }
    let countries_total = countries.len();
    HtmlData {
        axis,
        spend,
        countries: countries.into_iter().take(MAX_COUNTRY_ROWS).collect(),
        countries_total,
        conversion,
        grids,
        grids_total: ranges.len(),
        senders,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_grows_its_bucket_to_stay_under_the_limit() {
        let a = Axis::over(0, 14 * 24 * HOUR - 1);
        assert_eq!((a.step, a.buckets), (HOUR, 336));
        let a = Axis::over(0, 90 * 24 * HOUR);
        assert_eq!((a.step, a.buckets), (6 * HOUR, 361));
        let a = Axis::over(0, 400 * 24 * HOUR);
        assert_eq!((a.step, a.buckets), (24 * HOUR, 401));
        let a = Axis::over(5 * HOUR + 7, 5 * HOUR + 9);
        assert_eq!((a.start, a.buckets, a.bucket(5 * HOUR + 9)), (5 * HOUR, 1, 0));
        for days in [3_499, 3_500, 3_501, 100_000] {
            let a = Axis::over(0, days * DAY);
            assert!(a.buckets as i64 <= MAX_BUCKETS && a.step % WEEK == 0, "{days} days: {a:?}");
            assert!(a.unit().ends_with("week") || a.unit().ends_with("weeks"));
        }
        let a = Axis::at_least(0, 14 * DAY - 1, DAY, 120);
        assert_eq!((a.step, a.buckets, a.unit()), (DAY, 14, "day".to_string()));
        let a = Axis::at_least(0, 400 * DAY, DAY, 120);
        assert_eq!((a.step, a.unit()), (WEEK, "week".to_string()));
    }

    #[test]
    fn quantiles_of_nothing_are_zero() {
        assert_eq!(quantile(&[], 0.5), 0.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0], 0.95), 3.0);
    }
}
