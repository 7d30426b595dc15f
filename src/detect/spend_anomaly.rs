//! `spend-anomaly`: cost per country per hour and per day against a robust baseline of the
//! country's own windows (median + k·MAD, every window of the period counted, empty ones as
//! zero), with floors so small countries do not fire. Consecutive anomalous windows merge into
//! one finding; a daily finding inside an hourly one is left out. Spend to a country first seen
//! late in the period is its own signal. Spend alone is never more than `low`: a marketing blast
//! or a launch also spends. When most of a window's destinations were seen before it (a blast
//! to existing customers), the finding is `info`.

use super::country_ids::CountryIds;
use super::country_table::{Cell, CountryTable};
use super::{CallingCodes, Code, Countries, Detector, Finding, Param, Params, Row, Severity};
use crate::hash::Map;
use std::collections::BTreeMap;

pub const DETECTOR: Detector = Detector {
    id: "spend-anomaly",
    title: "Spend anomaly",
    flags: "hours and days whose cost to a country is far above that country's own robust baseline; spend to a country first seen late in the period",
    params: &[
        Param { name: "k_hour", default: 8.0, about: "MADs above the median an hour must be" },
        Param { name: "k_day", default: 6.0, about: "MADs above the median a day must be" },
        Param { name: "floor_hour", default: 5.0, about: "excess cost an anomalous hour needs (currency units)" },
        Param { name: "floor_day", default: 25.0, about: "excess cost an anomalous day needs" },
        Param { name: "min_messages", default: 20.0, about: "messages an anomalous window needs" },
        Param {
            name: "new_country_after",
            default: 0.25,
            about: "a country first seen after this share of the period (and after its first day) is new",
        },
    ],
};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

/// (median, MAD scaled to σ) of a series.
pub fn robust(series: &[f64]) -> (f64, f64) {
    let mut v = series.to_vec();
    let m = median(&mut v);
    let mut dev: Vec<f64> = series.iter().map(|x| (x - m).abs()).collect();
    (m, 1.4826 * median(&mut dev))
}

struct Window {
    start: i64,
    end: i64,
    cost: f64,
    expected: f64,
}

/// Cost and message count per window of `width` from `first` to `last`.
fn series(rows: &[&Row], first: i64, last: i64, width: i64) -> (Vec<f64>, Vec<u64>) {
    let n = ((last - first) / width + 1).max(1) as usize;
    let mut cost = vec![0.0; n];
    let mut count = vec![0u64; n];
    for r in rows {
        let i = ((r.ts - first).max(0) / width) as usize;
        cost[i.min(n - 1)] += r.cost;
        count[i.min(n - 1)] += 1;
    }
    (cost, count)
}

/// Anomalous windows of `rows`, against `learned` (median, σ) when a baseline period gave one,
/// else against the rows' own windows.
#[allow(clippy::too_many_arguments)]
fn windows(
    (cost, count): (&[f64], &[u64]),
    first: i64,
    width: i64,
    k: f64,
    floor: f64,
    min_messages: f64,
    learned: Option<(f64, f64)>,
) -> (Vec<Window>, f64, f64) {
    let n = cost.len();
    let (med, sigma) = learned.unwrap_or_else(|| robust(cost));
    let threshold = med + k * sigma;
    let mut out: Vec<Window> = Vec::new();
    for i in 0..n {
        if cost[i] > threshold && cost[i] - med >= floor && count[i] as f64 >= min_messages {
            let start = first + i as i64 * width;
            match out.last_mut() {
                Some(w) if w.end == start => {
                    w.end = start + width;
                    w.cost += cost[i];
                    w.expected += med;
                }
                _ => out.push(Window { start, end: start + width, cost: cost[i], expected: med }),
            }
        }
    }
    (out, med, threshold)
}

/// (median, σ) of a country's windows in the baseline period.
pub fn learned(base: &[&Row], width: i64) -> Option<(f64, f64)> {
    let first = base.iter().map(|r| r.ts).min()?.div_euclid(width) * width;
    let last = base.iter().map(|r| r.ts).max()?;
    Some(robust(&series(base, first, last, width).0))
}

/// A country's spend per hour and per day over the period, first message and total.
struct Spend {
    hours: (Vec<f64>, Vec<u64>),
    days: (Vec<f64>, Vec<u64>),
    seen: i64,
    total: f64,
}

/// A series of cells as costs and counts.
fn series_of(cells: &[Cell]) -> (Vec<f64>, Vec<u64>) {
    cells.iter().map(|c| (c.cost, u64::from(c.sends))).unzip()
}

/// A finding whose member rows are gathered after all countries are judged: those of one window,
/// or all the country's rows.
struct Pending {
    finding: usize,
    window: Option<(i64, i64)>,
    members: Vec<usize>,
}

/// `currency`: what the costs are in, for the texts. `table`: the rows' countries and their
/// spend per hour ([`CountryTable`]).
pub fn detect(
    rows: &[Row],
    table: &CountryTable,
    facts: &super::facts::Facts,
    base: &super::baseline::Baseline,
    p: &Params,
    currency: &str,
) -> Vec<Finding> {
    let money = |v: f64| crate::units::money(v, currency);
    let id = DETECTOR.id;
    if rows.is_empty() {
        return Vec::new();
    }
    let (first, last) = (facts.start, facts.end);
    let first_hour = first.div_euclid(HOUR) * HOUR;
    let first_day = first.div_euclid(DAY) * DAY;
    // Every country's series, from the table found in one pass for every country at once
    // (grouping the rows by country first had been most of this detector's time).
    let (countries, ids) = (&table.countries, &table.ids);
    let mut spend: Vec<Spend> = (0..countries.codes.len())
        .map(|c| Spend { hours: series_of(table.hours(c)), days: series_of(&table.days(c)), seen: table.seen[c], total: table.total[c] })
        .collect();
    // By country name (in name order), the codes that carry it (one, unless bytes that are not
    // text give two codes one name) and their spend summed.
    let mut by_name: BTreeMap<String, (Vec<Code>, Spend)> = BTreeMap::new();
    for (i, &code) in countries.codes.iter().enumerate() {
        let name = super::baseline::country_name(code);
        let s = std::mem::replace(
            &mut spend[i],
            Spend { hours: (Vec::new(), Vec::new()), days: (Vec::new(), Vec::new()), seen: 0, total: 0.0 },
        );
        match by_name.get_mut(&name) {
            Some((codes, have)) => {
                codes.push(code);
                for (a, b) in [(&mut have.hours, &s.hours), (&mut have.days, &s.days)] {
                    a.0.iter_mut().zip(&b.0).for_each(|(x, y)| *x += y);
                    a.1.iter_mut().zip(&b.1).for_each(|(x, y)| *x += y);
                }
                have.seen = have.seen.min(s.seen);
                have.total += s.total;
            }
            None => {
                by_name.insert(name, (vec![code], s));
            }
        }
    }
    let have_base = !base.is_empty();
    let mut out = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    // Per country number: the pending findings that want its rows.
    let mut wanted: Vec<Vec<usize>> = vec![Vec::new(); countries.codes.len()];
    for (country, (codes, sp)) in &by_name {
        let learned_here = base.spend.get(country);
        let mut hourly_spans = Vec::new();
        let mut flag = |out: &mut Vec<Finding>, finding: Finding, window: Option<(i64, i64)>| {
            for &code in codes {
                if let Some(c) = countries.get(code) {
                    wanted[c].push(pending.len());
                }
            }
            pending.push(Pending { finding: out.len(), window, members: Vec::new() });
            out.push(finding);
        };
        for (width, first_w, series, k, floor, label) in [
            (HOUR, first_hour, &sp.hours, p.get(id, "k_hour"), p.get(id, "floor_hour"), "hour"),
            (DAY, first_day, &sp.days, p.get(id, "k_day"), p.get(id, "floor_day"), "day"),
        ] {
            // With a baseline, a country it never saw has a learned spend of zero.
            let learned = have_base.then(|| learned_here.map_or((0.0, 0.0), |l| l[usize::from(width == DAY)]));
            let (wins, med, threshold) = windows((&series.0, &series.1), first_w, width, k, floor, p.get(id, "min_messages"), learned);
            for w in wins {
                if width == DAY && hourly_spans.iter().any(|&(s, e): &(i64, i64)| s < w.end && e > w.start) {
                    continue;
                }
                if width == HOUR {
                    hourly_spans.push((w.start, w.end));
                }
                let mut metrics = BTreeMap::new();
                metrics.insert("cost", w.cost);
                metrics.insert("expected_cost", w.expected);
                metrics.insert("excess_cost", w.cost - w.expected);
                let finding = Finding {
                    severity: Severity::Info,
                    title: format!(
                        "spend to {country} {} over {} {label}(s), {} expected",
                        money(w.cost),
                        (w.end - w.start) / width,
                        money(w.expected)
                    ),
                    start: w.start,
                    end: w.end,
                    signal: format!("cost per {label} to the country"),
                    threshold: format!("> median + {k}·MAD = {} per {label}, excess ≥ {}", money(threshold), money(floor)),
                    baseline: format!(
                        "median {} per {label} over the {}",
                        money(med),
                        if have_base { "baseline period" } else { "period" }
                    ),
                    metrics,
                    ..Finding::over(DETECTOR.id, "country", country.clone(), &[])
                };
                flag(&mut out, finding, Some((w.start, w.end)));
            }
        }
        // After the data's first day too: within a day, a country's first send comes with its
        // waking hours, not with the account's first use of it (a one-day export had found
        // every country of later time zones new).
        let new_after = (first + ((last - first) as f64 * p.get(id, "new_country_after")) as i64).max(first + DAY);
        let is_new = if have_base { learned_here.is_none() } else { sp.seen > new_after && last > first };
        if is_new && sp.total >= p.get(id, "floor_day") {
            let mut metrics = BTreeMap::new();
            metrics.insert("cost", sp.total);
            let finding = Finding {
                severity: Severity::Low,
                title: format!("spend to {country}, a country first seen {}", crate::timeparse::format_ms(sp.seen)),
                start: sp.seen,
                signal: "new destination country".into(),
                threshold: format!(
                    "first message after {:.0}% of the period and after its first day, spend ≥ {}",
                    p.get(id, "new_country_after") * 100.0,
                    money(p.get(id, "floor_day"))
                ),
                baseline: if have_base {
                    "no traffic to this country in the baseline period".into()
                } else {
                    "no traffic to this country earlier in the period".into()
                },
                metrics,
                ..Finding::over(DETECTOR.id, "country", country.clone(), &[])
            };
            flag(&mut out, finding, None);
        }
    }
    // The flagged findings' rows, in one pass; then what a finding says of its rows.
    if wanted.iter().any(|w| !w.is_empty()) {
        for (i, r) in ids.rows_of(rows, countries, |c| !wanted[c].is_empty()) {
            let Some(c) = countries.get(r.country()) else { continue };
            for &k in &wanted[c] {
                let pd = &mut pending[k];
                if pd.window.is_none_or(|(s, e)| r.ts >= s && r.ts < e) {
                    pd.members.push(i);
                }
            }
        }
    }
    let mut windows_pending: Vec<(usize, i64, Vec<&Row>)> = Vec::new();
    for pd in pending {
        let members: Vec<&Row> = pd.members.iter().map(|&i| &rows[i]).collect();
        let f = &mut out[pd.finding];
        let over = Finding::over(f.detector, f.subject_kind, f.subject.clone(), &members);
        f.country = over.country;
        f.peak = over.peak;
        f.messages = over.messages;
        f.destinations = over.destinations;
        f.cost = over.cost;
        f.metrics.insert("window_messages", over.messages as f64);
        match pd.window {
            // Which members go to numbers new in the window is settled below, once the
            // destinations of all flagged windows are known.
            Some((start, _)) => windows_pending.push((pd.finding, start, members)),
            // A country new to the account: every message to it is evidence.
            None => {
                f.end = over.end;
                f.rows = over.rows;
            }
        }
    }
    settle_new_destinations(&mut out, windows_pending, rows, ids, countries);
    out
}

/// For each flagged window, the members whose destination was first seen in the window and never
/// verified (the finding's evidence rows: a number that completes a verification is a user),
/// their share and the severity that follows. First sightings are looked up only for the
/// destinations of flagged windows: a map of every destination had been the largest cost of
/// this detector.
fn settle_new_destinations(
    out: &mut [Finding],
    pending: Vec<(usize, i64, Vec<&Row>)>,
    rows: &[Row],
    ids: &CountryIds,
    countries: &Countries,
) {
    if pending.is_empty() {
        return;
    }
    let mut first_seen: Map<(u16, u64), (i64, bool)> = Map::default();
    for (_, _, members) in &pending {
        for r in members.iter().filter(|r| r.nlen > 0) {
            first_seen.insert((r.calling_code, r.national), (i64::MAX, false));
        }
    }
    let codes = CallingCodes::of(first_seen.keys().map(|k| k.0));
    for (_, r) in ids.rows_of(rows, countries, |c| ids.may_have(c, &codes)).filter(|(_, r)| r.nlen > 0 && codes.has(r)) {
        if let Some(e) = first_seen.get_mut(&(r.calling_code, r.national)) {
            e.0 = e.0.min(r.ts);
            e.1 |= r.converted() == Some(true);
        }
    }
    for (f, start, members) in pending {
        let seen = |r: &Row| first_seen.get(&(r.calling_code, r.national)).copied();
        let new: Vec<&Row> = members.iter().copied().filter(|r| r.nlen == 0 || seen(r).is_none_or(|(t, _)| t >= start)).collect();
        let new_share = new.len() as f64 / members.len().max(1) as f64;
        out[f].metrics.insert("new_destination_share", new_share);
        out[f].severity = if new_share < 0.5 { Severity::Info } else { Severity::Low };
        out[f].rows = new.iter().filter(|r| r.nlen == 0 || seen(r).is_none_or(|(_, verified)| !verified)).map(|r| r.idx).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    fn detect(
        rows: &[Row],
        facts: &crate::detect::facts::Facts,
        base: &super::super::baseline::Baseline,
        p: &Params,
        currency: &str,
    ) -> Vec<Finding> {
        super::detect(rows, &CountryTable::of(rows, facts), facts, base, p, currency)
    }

    fn steady(hours: i64, per_hour: u64) -> Vec<Row> {
        let mut v = Vec::new();
        for h in 0..hours {
            for i in 0..per_hour {
                // the same customers every hour: returning, not new
                v.push(row(v.len() as u32, h * HOUR + i as i64 * 1000, 371, 20_000_000 + i * 7, 8));
            }
        }
        v
    }

    #[test]
    fn a_spike_of_new_numbers_is_found_and_merged() {
        let mut rows = steady(48, 4);
        for i in 0..600u64 {
            rows.push(row(10_000 + i as u32, 30 * HOUR + (i as i64 % 2) * HOUR + i as i64, 371, 29_000_000 + i, 8));
        }
        let f: Vec<Finding> = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Default::default(), &Params::default(), "USD")
            .into_iter()
            .filter(|f| f.signal.contains("hour"))
            .collect();
        assert_eq!(f.len(), 1, "two consecutive hours merge: {f:?}");
        assert_eq!((f[0].start, f[0].end), (30 * HOUR, 32 * HOUR));
        assert_eq!(f[0].severity, Severity::Low);
        assert_eq!(f[0].rows.len(), 600, "evidence is the new numbers");
    }

    #[test]
    fn floors_keep_small_spikes_quiet() {
        let mut rows = steady(48, 1);
        for i in 0..19u64 {
            rows.push(row(10_000 + i as u32, 30 * HOUR + i as i64, 371, 29_000_000 + i, 8));
        }
        assert!(
            detect(&rows, &crate::detect::facts::Facts::of(&rows), &Default::default(), &Params::default(), "USD")
                .iter()
                .all(|f| !f.signal.contains("hour")),
            "19 messages is under min_messages"
        );
    }

    #[test]
    fn a_country_is_new_only_when_first_seen_after_the_data_s_first_day() {
        // 30.00 to LT (600 sends at 0.05) from `from` on, beside a steady LV.
        let with_lt = |hours: i64, from: i64| {
            let mut rows = steady(hours, 1);
            for i in 0..600u64 {
                rows.push(Row { region: *b"LT", ..row(10_000 + i as u32, from + i as i64 * 1000, 370, 69_000_000 + i, 8) });
            }
            rows.sort_by_key(|r| r.ts);
            rows
        };
        let new = |rows: &[Row]| {
            detect(rows, &crate::detect::facts::Facts::of(rows), &Default::default(), &Params::default(), "USD")
                .iter()
                .any(|f| f.signal == "new destination country")
        };
        // One day: first seen at 07:00 (after a quarter of it) is its waking hours, not new.
        assert!(!new(&with_lt(24, 7 * HOUR)));
        // Four days: first seen on the second day is new; in the first day's last hour, not.
        assert!(new(&with_lt(96, 30 * HOUR)));
        assert!(!new(&with_lt(96, 23 * HOUR)));
    }

    #[test]
    fn robust_stats() {
        assert_eq!(robust(&[1.0, 1.0, 1.0, 100.0]), (1.0, 0.0));
    }
}
