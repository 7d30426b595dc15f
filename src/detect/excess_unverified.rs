//! `excess-unverified`: more unverified OTP sends than the baseline conversion predicts, per
//! country and per operator prefix (the national number's first two digits), per day and per
//! hour. Where conversion is known (Verify exports, `--conversions`, EUM feedback), a pumping
//! campaign spread over fresh numbers shows as an excess of sends nobody verifies, even when it
//! fills no dense block and moves no ratio far: 300 extra unverified among 500 verified is an
//! observed ~350 against an expected ~55 (Authgear's published scenarios).
//!
//! For a window with V verified and U unverified delivered sends, and the slice's baseline
//! conversion p (its median daily conversion; else its country's, the worst other country's with
//! one day of data, or the account's; learned from the period, a rate of 35 % or less is an alert
//! and passed over; the `--baseline` period's when given), the verified sends predict
//! λ = V·(1 − p)/p unverified ones (so the attack's own volume never raises what is expected),
//! and the score is the Chernoff bound of the Poisson upper tail, U·ln(U/λ) − U + λ. Sends that failed, were undelivered or were blocked are left
//! out: nobody can verify a code that never arrived (a carrier outage is not pumping). A legit
//! spike converts as usual, so its unverified count stays near what it predicts.
//!
//! Then the whole period (48 hours of data or more) is one window for each slice's sends outside
//! the day and hour windows flagged in its country, where they convert at `ALERT_RATE` or less:
//! a trickle of a few sends a day to a country nobody verifies in is under the daily floor every
//! day, and far beyond chance over two weeks.
//!
//! A window is medium only if its numbers first seen in it are an excess too, against what its
//! new numbers that verified predict at the slice's usual conversion of new numbers
//! ([`NewNumbers`]): a few numbers that send many times and verify (test SIMs on working days)
//! set the sends' usual rate, and an ordinary weekend of the slice's users is then an excess of
//! sends, not of new numbers.
//!
//! Evidence is message-level: the window's unverified sends to numbers first seen in it that
//! never verified, delivered or not (an attack's undelivered sends are billed too; a failed send
//! asked for again is a user waiting for a code). Known customers' numbers are never evidence.

use super::baseline::{Baseline, Judged, Known, country_code, country_name, judged, operator};
use super::country_ids::CountryIds;
use super::country_table::CountryTable;
use super::{CallingCodes, Code, Countries, Detector, Finding, Param, Params, Row, Severity};
use crate::hash::{Map, Set};
use std::collections::BTreeMap;

pub const DETECTOR: Detector = Detector {
    id: "excess-unverified",
    title: "Excess unverified sends",
    flags: "countries and operator prefixes with more unverified OTP sends in an hour, a day or the period (a trickle converting at 35% or less) than their verified sends predict at the baseline conversion",
    params: &[
        Param { name: "min_score", default: 25.0, about: "Poisson tail score (-ln p) a window needs" },
        Param { name: "min_excess", default: 20.0, about: "unverified sends above the expected count a day needs" },
        Param { name: "min_excess_hour", default: 15.0, about: "unverified sends above the expected count an hour needs" },
        Param { name: "strong_score", default: 60.0, about: "score from which the finding is medium (with min_strong_excess)" },
        Param { name: "min_strong_excess", default: 30.0, about: "excess from which the finding is medium (with strong_score)" },
    ],
};

const HOUR: i64 = 3_600_000;
/// The share of a window's unverified sends that must be excess for its failed and undelivered
/// sends to new numbers to be evidence too.
pub const FAILED_TOO: f64 = 0.8;
/// The lowest conversion of legit OTP traffic in published figures (DETECTION.md: 65-90 % by
/// country): what a country without history is expected to convert at, at most.
pub const LEGIT_FLOOR: f64 = 0.65;
/// Conversion at or under which a country is an alert, not a measure of legit traffic (Vonage
/// alerts at 35 %: DETECTION.md).
pub const ALERT_RATE: f64 = 0.35;
const DAY: i64 = 86_400_000;

/// −ln P(X ≥ u) for X ~ Poisson(λ), Chernoff bound (0 when u is not above λ).
pub fn score(u: f64, lambda: f64) -> f64 {
    super::pumped_range::score(u, lambda.max(0.5))
}

/// Unverified sends the verified ones predict at conversion `p`: V·(1 − p)/p.
pub fn expected(verified: f64, p: f64) -> f64 {
    let p = p.clamp(0.01, 0.999);
    verified * (1.0 - p) / p
}

/// A slice of the traffic: a country, or a country's operator prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Slice {
    country: usize,
    /// 0: the whole country; else 100 + the national number's first two digits.
    operator: u32,
}

/// Where a slice's baseline conversion comes from, for the finding's text.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// The slice's own median day.
    Own,
    /// Its country's (an operator slice without a rate of its own).
    Country,
    /// The worst-converting other country's (one day of data).
    WorstOther,
    /// The account's median day.
    Account,
}

impl Source {
    fn text(self, baseline_period: bool) -> &'static str {
        match (self, baseline_period) {
            (Source::Own, true) => "its median day in the baseline period",
            (Source::Own, false) => "its median day in the period",
            (Source::Country, _) => "its country's",
            (Source::WorstOther, _) => "the worst-converting other country's, at most 65 %: one day of data",
            (Source::Account, true) => "the account's median day in the baseline period",
            (Source::Account, false) => "the account's median day in the period",
        }
    }
}

/// `table`: the rows' countries ([`CountryTable`]), for the passes over flagged countries' rows.
pub fn detect(rows: &[Row], table: &CountryTable, facts: &super::facts::Facts, base: &Baseline, p: &Params) -> Vec<Finding> {
    let id = DETECTOR.id;
    if !facts.conversion_known {
        return Vec::new();
    }
    let (min_score, min_excess, min_excess_hour) = (p.get(id, "min_score"), p.get(id, "min_excess"), p.get(id, "min_excess_hour"));
    let (strong_score, strong_excess) = (p.get(id, "strong_score"), p.get(id, "min_strong_excess"));
    // Sends and unverified per slice and window; each slice's first row; countries numbered in
    // the order of their first judged send.
    let (countries, cells, slice_first, days) = windows(rows, facts.start);
    // Baseline conversion: the slice's, else its country's, else (one day of data) the worst
    // other country's, else the account's; from the baseline period when it knew conversions,
    // else from the period itself (see `plausible` below).
    let own_history;
    let history: &Judged = match &base.judged {
        Some(j) => j,
        None => {
            own_history = Judged::of_days(days.into_iter());
            &own_history
        }
    };
    let have_base = base.judged.is_some();
    let Some(account) = history.account else { return Vec::new() };
    // Without days of history (a one-day export), a country without a baseline of its own is
    // held to the worst-converting other country, and never to more than `LEGIT_FLOOR`, not to
    // the account's rate: legit countries convert 65-90 %, and one day cannot tell a
    // low-converting country from a pumped one by its rate alone. Another country converting at
    // `ALERT_RATE` or less is no measure of legit traffic (it is an alert itself): two countries
    // pumped the same day would otherwise each set the other's expectation.
    let worst_other = |c: usize| -> Option<f64> {
        let rates: Vec<f64> = history
            .countries
            .iter()
            .filter(|(k, v)| countries.get(country_code(k)).is_some_and(|k| k != c) && v.0 >= 20.0)
            .map(|(_, v)| v.1 / v.0)
            .collect();
        let plausible = rates.iter().copied().filter(|&r| r > ALERT_RATE);
        (history.days < 3 && rates.len() >= 2).then(|| plausible.fold(LEGIT_FLOOR, f64::min))
    };
    // Learned from the period itself, a slice's (or its country's) usual conversion at or under
    // `ALERT_RATE` is no measure of legit traffic either: a slice whose whole history is a slow
    // attack (a trickle to an unserved country from the data's first day, converting at 0-3 %)
    // would expect of itself what it does, and one verified send of sixty would predict the other
    // fifty-nine. The next in line stands instead. A `--baseline` period's rates stand whatever
    // they are (the user vouches for it: a legit market that converts at 30 % keeps its rate),
    // and so does the account's (an account whose usual day is an alert has no measure at all).
    let plausible = |rate: &f64| have_base || *rate > ALERT_RATE;
    let mut conversion: Map<Slice, (f64, Source)> = Map::default();
    let mut slices: Vec<Slice> = slice_first.keys().copied().collect();
    slices.sort_unstable();
    for s in &slices {
        let own = history.slice(countries.codes[s.country], s.operator).filter(plausible).map(|p| (p, Source::Own));
        let country = conversion.get(&Slice { country: s.country, operator: 0 }).map(|&(p, _)| (p, Source::Country));
        let worst = || worst_other(s.country).map(|p| (p, Source::WorstOther));
        conversion.insert(*s, own.or(country).or_else(worst).unwrap_or((account, Source::Account)));
    }
    // Flagged windows: days first; an hour inside a flagged day, and an operator window inside a
    // flagged country window, adds nothing.
    let mut flagged: Vec<Window> = Vec::new();
    for width in [DAY, HOUR] {
        for (&(slice, w, k), &(n, u)) in cells.iter().filter(|((_, w, _), _)| *w == width) {
            let pb = conversion.get(&slice).map_or(account, |c| c.0);
            let expected = expected(n - u, pb);
            let excess = u - expected;
            let s = score(u, expected);
            let floor = if width == DAY { min_excess } else { min_excess_hour };
            if s < min_score || excess < floor {
                continue;
            }
            let (start, end) = (k * w, (k + 1) * w);
            let covered = flagged.iter().any(|f| {
                f.0.country == slice.country
                    && (f.0.operator == 0 || f.0 == slice)
                    && f.1 <= start
                    && f.2 >= end
                    && (f.2 - f.1) >= (end - start)
            });
            if covered {
                continue;
            }
            flagged.push((slice, start, end, n, u, expected, s));
        }
    }
    // The period as one window, for what the days and hours left: a trickle of a few sends a
    // day to a country nobody verifies in stays under the daily floor every day, and two weeks of
    // it are far beyond chance. Judged only where the slice's sends outside its country's flagged
    // windows convert at `ALERT_RATE` or less over the period (an alert by itself): pooled over
    // weeks, a legit market's rate a point under its median day would be far beyond chance too.
    // Only with 48 hours of data (a day's scan has its day windows).
    // Each row's country as a byte (the table's), so that the passes below read the candidate
    // or flagged countries' rows only (each pass over the table had been 50-70 ms at 9.7M sends).
    let (every, ids) = (&table.countries, &table.ids);
    let period_from = flagged.len();
    if facts.end - facts.start >= 2 * DAY {
        period_windows(
            rows,
            (every, ids),
            &cells,
            &conversion,
            account,
            &countries,
            &mut flagged,
            (facts.start, facts.end),
            (min_score, min_excess),
        );
    }
    if flagged.is_empty() {
        return Vec::new();
    }
    // Numbers and when they were first seen, and which ever verified: only for the calling codes
    // of the flagged countries (a map of every number would be a hash lookup a row).
    let mut flagged_country = vec![false; countries.codes.len()];
    for f in &flagged {
        flagged_country[f.0.country] = true;
    }
    let flagged_here = |e: usize| countries.get(every.codes[e]).is_some_and(|c| flagged_country[c]);
    let codes = CallingCodes::of(ids.rows_of(rows, every, flagged_here).map(|(_, r)| r.calling_code));
    // Each number's first send, its sends, and its slice (country slot, or none; operator).
    let mut first_seen: FirstSeen = Map::default();
    let mut verified: Set<(u16, u64)> = Set::default();
    for (_, r) in ids.rows_of(rows, every, |e| ids.may_have(e, &codes)).filter(|(_, r)| r.nlen > 0 && codes.has(r)) {
        let k = (r.calling_code, r.national);
        let f = first_seen.entry(k).or_insert_with(|| (r.ts, 0, countries.get(r.country()), operator(r), false));
        f.0 = f.0.min(r.ts);
        f.1 += 1;
        f.4 |= judged(r);
        if r.converted() == Some(true) {
            verified.insert(k);
        }
    }
    let known = &base.numbers;
    // Evidence: every unverified send in the window to a number first seen in it that never
    // verified. A send that failed or was undelivered is evidence too where the window's
    // unverified sends are nearly all excess (at least `FAILED_TOO`: an attack's undelivered sends
    // are billed as well; they are only left out of the count, which nobody could have verified),
    // and when it was its number's only one (one asked for again is a user waiting for a code)
    // or another send reached its number: that number is evidence by its reached sends, and its
    // undelivered ones are billed with them (an attack that resends as users do had a sixth of
    // its sends left out: bench/README.md). Not in a window of users too: there a user's resend
    // after an undelivered code, never verified, is as likely (Authgear's 2x day: P 0.80 -> 0.79).
    let mut evidence: Vec<Vec<&Row>> = vec![Vec::new(); flagged.len()];
    let mut by_country: Map<usize, Vec<usize>> = Map::default();
    for (i, f) in flagged.iter().enumerate() {
        by_country.entry(f.0.country).or_default().push(i);
    }
    // A period window holds its slice's sends outside the day and hour windows flagged in its
    // country (those are their own findings).
    let in_window = |r: &Row, i: usize| {
        let (slice, start, end) = (flagged[i].0, flagged[i].1, flagged[i].2);
        r.ts >= start
            && r.ts < end
            && (slice.operator == 0 || slice.operator == operator(r))
            && (i < period_from || !in_flagged(&flagged[..period_from], slice.country, r))
    };
    // Where in each window's slice the excess lies: its judged sends per prefix of 2 to 4 digits.
    let mut cells_by_prefix: Vec<Map<(u32, u64), (f64, f64)>> = vec![Map::default(); flagged.len()];
    for (_, r) in ids.rows_of(rows, every, flagged_here).filter(|(_, r)| judged(r) && r.nlen > 0) {
        let Some(list) = countries.get(r.country()).and_then(|c| by_country.get(&c)) else { continue };
        for &i in list.iter().filter(|&&i| in_window(r, i)) {
            for digits in PREFIX_DIGITS {
                let cell = cells_by_prefix[i].entry((digits, prefix(r, digits))).or_default();
                cell.0 += 1.0;
                cell.1 += f64::from(u8::from(r.converted() == Some(false)));
            }
        }
    }
    let hot: Vec<Option<Hot>> =
        flagged.iter().zip(&cells_by_prefix).map(|(f, cells)| Hot::of(cells, conversion.get(&f.0).map_or(account, |c| c.0))).collect();
    for (_, r) in ids.rows_of(rows, every, flagged_here).filter(|(_, r)| r.converted() == Some(false) && r.nlen > 0) {
        let Some(list) = countries.get(r.country()).and_then(|c| by_country.get(&c)) else { continue };
        let k = (r.calling_code, r.national);
        for &i in list {
            let (start, u, expected) = (flagged[i].1, flagged[i].4, flagged[i].5);
            let failed_too = u - expected >= FAILED_TOO * u;
            if in_window(r, i)
                && hot[i].as_ref().is_none_or(|h| h.prefixes.contains(&prefix(r, h.digits)))
                && !verified.contains(&k)
                && !known.contains(k.0, k.1)
                && first_seen
                    .get(&k)
                    .is_some_and(|&(t, sends, _, _, reached)| t >= start && (judged(r) || failed_too && (reached || sends == 1)))
            {
                evidence[i].push(r);
            }
        }
    }
    let new_numbers = NewNumbers::of(&first_seen, &verified, known, facts.start);
    let checks: Vec<Option<NewCheck>> =
        flagged.iter().enumerate().map(|(i, f)| if i >= period_from { None } else { new_numbers.check(f.0, f.1, f.2) }).collect();
    let mut out: Vec<Finding> = flagged
        .into_iter()
        .zip(evidence)
        .zip(hot)
        .enumerate()
        .map(|(i, (((slice, start, end, n, u, expected, s), members), hot))| {
            let period = i >= period_from;
            let cc = countries.codes[slice.country];
            let country = country_name(cc);
            let first = members.first().copied().or(slice_first.get(&slice).copied());
            let (kind, subject) = if slice.operator == 0 {
                ("country", country.clone())
            } else {
                ("operator_prefix", format!("+{}{}", first.map_or(0, |r| r.calling_code), slice.operator - 100))
            };
            let (pb, source) = conversion.get(&slice).copied().unwrap_or((account, Source::Account));
            let severity = if s >= strong_score && u - expected >= strong_excess { Severity::Medium } else { Severity::Low };
            let label = window_label(start, end);
            let mut metrics = BTreeMap::new();
            metrics.insert("sends", n);
            metrics.insert("verified", n - u);
            metrics.insert("unverified", u);
            metrics.insert("expected_unverified", expected);
            metrics.insert("excess_unverified", u - expected);
            metrics.insert("score", s);
            metrics.insert("baseline_conversion", pb);
            metrics.insert("new_unverified_numbers", members.len() as f64);
            let mut f = Finding {
                severity,
                title: format!(
                    "{subject}: {u:.0} unverified of {n:.0} sends in a {label}{} where {expected:.0} were expected ({:.0}% conversion)",
                    if period { " outside its flagged days and hours" } else { "" },
                    pb * 100.0
                ),
                start,
                end,
                signal: format!(
                    "unverified OTP sends per {} ({})",
                    if period { "period" } else { label.as_str() },
                    if slice.operator == 0 { "country" } else { "operator prefix" }
                ),
                threshold: if period {
                    format!(
                        "score ≥ {min_score} (Poisson tail), {min_excess} or more above the expected count, and {:.0}% conversion or less over the period",
                        ALERT_RATE * 100.0
                    )
                } else {
                    format!("score ≥ {min_score} (Poisson tail) and {} or more above the expected count", if label == "day" { min_excess } else { min_excess_hour })
                },
                baseline: format!("{:.1}% conversion ({})", pb * 100.0, source.text(have_base)),
                metrics,
                ..Finding::over(id, kind, subject, &members)
            };
            if let Some(h) = hot {
                let cc = first.map_or(0, |r| r.calling_code);
                let mut listed: Vec<String> = h.prefixes.iter().map(|p| format!("+{cc}{p}")).collect();
                listed.sort();
                let shown = listed.len().min(5);
                f.note = format!(
                    "the excess lies in {} prefix{} of {} digits ({}{}); sends to the rest of the {} were as many as expected and are not evidence",
                    listed.len(),
                    if listed.len() == 1 { "" } else { "es" },
                    h.digits,
                    listed[..shown].join(" "),
                    if listed.len() > shown { " ..." } else { "" },
                    if slice.operator == 0 { "country" } else { "operator prefix" }
                );
                f.metrics.insert("excess_prefixes", listed.len() as f64);
            }
            f.country = Some(country);
            f
        })
        .collect();
    together(&mut out, strong_score, strong_excess);
    for (f, check) in out.iter_mut().zip(checks) {
        let Some(c) = check else { continue };
        let (excess, s) = (c.unverified - c.expected, score(c.unverified, c.expected));
        f.metrics.insert("new_numbers_verified", c.verified);
        f.metrics.insert("new_numbers_unverified", c.unverified);
        f.metrics.insert("expected_new_unverified", c.expected);
        f.metrics.insert("new_number_conversion", c.rate);
        // Only where the new numbers show no excess at all (not even at the flagging floor): a
        // window's resends make its sends' score higher than its numbers'.
        if f.severity >= Severity::Medium && (s < min_score || excess < min_excess) {
            f.severity = Severity::Low;
            f.note = format!(
                "its numbers first seen in the {} verified as the slice's new numbers usually do ({:.0} of {:.0} never verified where {:.0} were expected at {:.0}%): the unverified sends are repeat sends to numbers seen before (a few numbers sending many times, as test SIMs do, can make the usual conversion), so at most low",
                window_label(f.start, f.end),
                c.unverified,
                c.unverified + c.verified,
                c.expected,
                c.rate * 100.0
            );
        }
    }
    out
}

/// Each number's (calling code, national number) first send, its sends, and its slice (country
/// slot, or none; operator), and whether a send reached it (arrived, so it could have been verified).
type FirstSeen = Map<(u16, u64), (i64, u32, Option<usize>, u32, bool)>;

/// New numbers of each slice by hour, verified or never, and each slice's usual conversion of
/// them: the second test a window passes to be medium. The send-level test weighs every send;
/// a few numbers that send many times and verify (test SIMs on working days) make a slice's
/// usual day convert at 97 %, and an ordinary Sunday of its users at 90 % is then an "excess".
/// The numbers first seen in a window are what its evidence is made of: they must not verify
/// as the slice's new numbers usually do.
struct NewNumbers {
    /// (slice, hour) -> (verified, never verified) numbers first seen in that hour.
    hours: BTreeMap<(Slice, i64), (f64, f64)>,
    /// Each slice's usual conversion of its new numbers (see [`NewNumbers::of`]).
    rates: Map<Slice, f64>,
    /// (slice, day) -> (verified, never verified) new numbers, the data's first day left out.
    days: BTreeMap<(Slice, i64), (f64, f64)>,
    first_day: i64,
}

/// A window's new numbers: verified, never verified, the expected never verified, the rate.
#[derive(Debug, Clone, Copy)]
struct NewCheck {
    verified: f64,
    unverified: f64,
    expected: f64,
    rate: f64,
}

/// A day's new numbers needed for its rate to count, and the days needed.
const NEW_DAY_MIN: f64 = 20.0;
const NEW_DAYS: usize = 3;

impl NewNumbers {
    /// `first_seen`: each number's first send and slice; numbers known before the period are
    /// not new. A slice's usual rate is the upper quartile of its days' (the data's first day
    /// left out: every number is new on it; days of 20 new numbers or more, 3 days at least):
    /// an attack over half the period lowers the median, and a lower rate would expect more
    /// unverified numbers of the attack's own window. Rates at `ALERT_RATE` or less measure
    /// nothing. An operator slice without a rate takes its country's.
    fn of(first_seen: &FirstSeen, verified: &Set<(u16, u64)>, known: &Known, start: i64) -> NewNumbers {
        let first_day = start.div_euclid(DAY);
        let mut hours: BTreeMap<(Slice, i64), (f64, f64)> = BTreeMap::new();
        for (k, &(t, _, country, op, _)) in first_seen {
            let Some(country) = country else { continue };
            if known.contains(k.0, k.1) {
                continue;
            }
            let v = verified.contains(k);
            for slice in std::iter::once(Slice { country, operator: 0 }).chain((op != 0).then_some(Slice { country, operator: op })) {
                let e = hours.entry((slice, t.div_euclid(HOUR))).or_default();
                if v { e.0 += 1.0 } else { e.1 += 1.0 }
            }
        }
        let mut days: BTreeMap<(Slice, i64), (f64, f64)> = BTreeMap::new();
        for (&(slice, h), &(v, u)) in &hours {
            let d = h.div_euclid(24);
            if d != first_day {
                let e = days.entry((slice, d)).or_default();
                e.0 += v;
                e.1 += u;
            }
        }
        let mut per_slice: BTreeMap<Slice, Vec<f64>> = BTreeMap::new();
        for (&(slice, _), &(v, u)) in &days {
            if v + u >= NEW_DAY_MIN {
                per_slice.entry(slice).or_default().push(v / (v + u));
            }
        }
        let mut rates: Map<Slice, f64> = Map::default();
        for (slice, mut r) in per_slice {
            if r.len() >= NEW_DAYS {
                r.sort_by(f64::total_cmp);
                let q = r[(3 * r.len()) / 4];
                if q > ALERT_RATE {
                    rates.insert(slice, q);
                }
            }
        }
        NewNumbers { hours, rates, days, first_day }
    }

    /// A slice without a usual rate of its own days (a small country: a few new numbers a day):
    /// its new numbers pooled over the days outside the window, when there are
    /// `NEW_DAY_MIN`·`NEW_DAYS` of them (a term start's students in a country of returning users
    /// converting at 98 %).
    fn pooled(&self, slice: Slice, start: i64, end: i64) -> Option<f64> {
        let (from, to) = (start.div_euclid(DAY), (end - 1).div_euclid(DAY));
        let (v, u) = self
            .days
            .range((slice, i64::MIN)..=(slice, i64::MAX))
            .filter(|((_, d), _)| *d < from || *d > to)
            .fold((0.0, 0.0), |a, (_, &(v, u))| (a.0 + v, a.1 + u));
        let rate = v / (v + u).max(1.0);
        (v + u >= NEW_DAY_MIN * NEW_DAYS as f64 && rate > ALERT_RATE).then_some(rate)
    }

    /// The check of a window of `slice` from `start` to `end`; None where it cannot be made (no
    /// usual rate, or the data's first day).
    fn check(&self, slice: Slice, start: i64, end: i64) -> Option<NewCheck> {
        if start.div_euclid(DAY) == self.first_day {
            return None;
        }
        let country = Slice { country: slice.country, operator: 0 };
        let rate = self
            .rates
            .get(&slice)
            .or_else(|| self.rates.get(&country))
            .copied()
            .or_else(|| self.pooled(slice, start, end))
            .or_else(|| self.pooled(country, start, end))?;
        let (mut verified, mut unverified) = (0.0, 0.0);
        for (_, &(v, u)) in self.hours.range((slice, start.div_euclid(HOUR))..(slice, end.div_euclid(HOUR))) {
            verified += v;
            unverified += u;
        }
        Some(NewCheck { verified, unverified, expected: expected(verified, rate), rate })
    }
}

/// Every window's cells (sends, unverified) per slice, each slice's first judged row, and the
/// counts as [`Judged::of_days`] takes them.
type Cells<'a> = (Countries, BTreeMap<(Slice, i64, i64), (f64, f64)>, Map<Slice, &'a Row>, Vec<(Code, u32, i64, u32, u32)>);

/// The judged sends counted per country, operator and hour on every core, one hash entry a row
/// (marked: unverified);
/// a country's and a day's counts are sums of these. (The cells had been four ordered-map
/// entries a row: 3.3 s of a 17 s scan of 9.7M sends with `--conversions`.) `start`: the first
/// send's time, from which hours are counted.
fn windows(rows: &[Row], start: i64) -> Cells<'_> {
    let base = start.div_euclid(HOUR);
    // Key: the country's table slot, the operator (0: none, else its two digits + 1), the hour.
    let key = |r: &Row| {
        let op = operator(r);
        (Countries::at(r.country()) as u64) << 40
            | u64::from(if op == 0 { 0 } else { op - 99 }) << 32
            | (r.ts.div_euclid(HOUR) - base) as u32 as u64
    };
    let counts = super::tally::tally(rows, |r| judged(r).then(|| key(r)), |r| r.converted() == Some(false));
    // Countries in the order of their first judged send, as a pass in row order numbers them.
    let mut first_of: BTreeMap<u64, u32> = BTreeMap::new();
    for (&k, c) in &counts {
        let f = first_of.entry(k >> 40).or_insert(c.first);
        *f = (*f).min(c.first);
    }
    let mut order: Vec<(u32, u64)> = first_of.into_iter().map(|(slot, first)| (first, slot)).collect();
    order.sort_unstable();
    let mut countries = Countries::default();
    for (first, _) in order {
        countries.id(rows[first as usize].country());
    }
    let mut cells: BTreeMap<(Slice, i64, i64), (f64, f64)> = BTreeMap::new();
    let mut first: Map<Slice, u32> = Map::default();
    let mut days = Vec::with_capacity(counts.len());
    for (&k, c) in &counts {
        let code = rows[c.first as usize].country();
        let country = countries.get(code).unwrap_or(0);
        let op = ((k >> 32) & 0xff) as u32;
        let hour = base + (k & 0xffff_ffff) as i64;
        days.push((code, if op == 0 { 0 } else { op + 99 }, hour.div_euclid(24), c.n, c.n - c.marked));
        let slices = std::iter::once(Slice { country, operator: 0 }).chain((op != 0).then_some(Slice { country, operator: op + 99 }));
        for slice in slices {
            let f = first.entry(slice).or_insert(c.first);
            *f = (*f).min(c.first);
            for (width, k) in [(DAY, hour.div_euclid(24)), (HOUR, hour)] {
                let cell = cells.entry((slice, width, k)).or_default();
                cell.0 += f64::from(c.n);
                cell.1 += f64::from(c.marked);
            }
        }
    }
    let slice_first = first.into_iter().map(|(s, i)| (s, &rows[i as usize])).collect();
    (countries, cells, slice_first, days)
}

/// A flagged window: its slice, start and end, sends, unverified, expected unverified, score.
type Window = (Slice, i64, i64, f64, f64, f64, f64);

/// "day", "hour", or "14-day period".
fn window_label(start: i64, end: i64) -> String {
    match end - start {
        DAY => "day".into(),
        HOUR => "hour".into(),
        w => format!("{}-day period", (w + DAY - 1) / DAY),
    }
}

/// Whether `r` (of country `country`) lies in one of the `flagged` windows of its country.
fn in_flagged(flagged: &[Window], country: usize, r: &Row) -> bool {
    flagged.iter().any(|f| f.0.country == country && r.ts >= f.1 && r.ts < f.2 && (f.0.operator == 0 || f.0.operator == operator(r)))
}

/// Adds the period windows (see `detect`) to `flagged`. `cells` pre-check the slices: the
/// excess of a set of sends is a sum over them, so a slice whose whole period is under the floor
/// has none outside its flagged windows either (they have excess); the counts outside them are
/// then taken from the rows of the countries that pass.
#[allow(clippy::too_many_arguments)]
fn period_windows(
    rows: &[Row],
    (every, ids): (&Countries, &CountryIds),
    cells: &BTreeMap<(Slice, i64, i64), (f64, f64)>,
    conversion: &Map<Slice, (f64, Source)>,
    account: f64,
    countries: &Countries,
    flagged: &mut Vec<Window>,
    (first, last): (i64, i64),
    (min_score, min_excess): (f64, f64),
) {
    let rate = |s: &Slice| conversion.get(s).map_or(account, |c| c.0);
    let mut totals: BTreeMap<Slice, (f64, f64)> = BTreeMap::new();
    for (&(slice, _, _), &(n, u)) in cells.iter().filter(|((_, w, _), _)| *w == DAY) {
        let t = totals.entry(slice).or_default();
        t.0 += n;
        t.1 += u;
    }
    let mut candidate = vec![false; countries.codes.len()];
    for (s, &(n, u)) in &totals {
        candidate[s.country] |= u - expected(n - u, rate(s)) >= min_excess;
    }
    if !candidate.contains(&true) {
        return;
    }
    let done = flagged.len();
    let mut residual: BTreeMap<Slice, (f64, f64)> = BTreeMap::new();
    let candidate_here = |e: usize| countries.get(every.codes[e]).is_some_and(|c| candidate[c]);
    for (_, r) in ids.rows_of(rows, every, candidate_here).filter(|(_, r)| judged(r)) {
        let Some(c) = countries.get(r.country()).filter(|&c| candidate[c]) else { continue };
        if in_flagged(&flagged[..done], c, r) {
            continue;
        }
        let unverified = f64::from(u8::from(r.converted() == Some(false)));
        let op = operator(r);
        for slice in std::iter::once(Slice { country: c, operator: 0 }).chain((op != 0).then_some(Slice { country: c, operator: op })) {
            let t = residual.entry(slice).or_default();
            t.0 += 1.0;
            t.1 += unverified;
        }
    }
    let (start, end) = (first.div_euclid(DAY) * DAY, (last.div_euclid(DAY) + 1) * DAY);
    // Countries first (the map's order): an operator inside a flagged country adds nothing.
    for (slice, (n, u)) in residual {
        let expected = expected(n - u, rate(&slice));
        let s = score(u, expected);
        let alerting = n - u <= ALERT_RATE * n;
        let covered = flagged[done..].iter().any(|f| f.0.country == slice.country && f.0.operator == 0);
        if alerting && s >= min_score && u - expected >= min_excess && !covered {
            flagged.push((slice, start, end, n, u, expected, s));
        }
    }
}

/// Prefix lengths (digits of the national number) the excess of a window is looked for in,
/// longest first.
const PREFIX_DIGITS: [u32; 3] = [4, 3, 2];
/// Score (Poisson tail) from which a prefix holds part of a window's excess.
const HOT_SCORE: f64 = 10.0;
/// The rest of a window's slice is as the baseline predicts when its unverified sends are
/// within this many standard deviations (Poisson: √λ) above the expected count: none where none
/// are expected (a country nobody verifies in keeps all its sends).
const REST_SIGMAS: f64 = 2.0;

/// The national number's first `digits` digits (`u64::MAX` for a shorter number).
fn prefix(r: &Row, digits: u32) -> u64 {
    if u32::from(r.nlen) > digits { super::occupancy::prefix(r.national, u32::from(r.nlen) - digits) } else { u64::MAX }
}

/// The prefixes a window's excess lies in: at the longest length where some prefixes are far
/// beyond chance (`HOT_SCORE`) and the unverified sends to all the others are as many as their
/// verified sends predict (`REST_SIGMAS`), and are some. An attack on one operator's numbers then leaves the
/// country's other new users who never verified out of its evidence; an excess spread over the
/// whole plan (no such length) keeps the whole slice.
struct Hot {
    digits: u32,
    prefixes: Set<u64>,
}

impl Hot {
    fn of(cells: &Map<(u32, u64), (f64, f64)>, p: f64) -> Option<Hot> {
        PREFIX_DIGITS.into_iter().find_map(|digits| {
            let (mut prefixes, mut rest_u, mut rest_expected) = (Set::default(), 0.0, 0.0);
            for (&(_, prefix), &(n, u)) in cells.iter().filter(|((d, _), _)| *d == digits) {
                let e = expected(n - u, p);
                if prefix != u64::MAX && score(u, e) >= HOT_SCORE {
                    prefixes.insert(prefix);
                } else {
                    rest_u += u;
                    rest_expected += e;
                }
            }
            // Without unverified sends elsewhere, every prefix holds the excess: the whole slice.
            let as_expected = rest_u <= rest_expected + REST_SIGMAS * rest_expected.sqrt();
            (!prefixes.is_empty() && rest_u > 0.0 && as_expected).then_some(Hot { digits, prefixes })
        })
    }
}

/// Countries flagged in the same window, each under `strong_excess`, whose excesses together
/// reach it: one campaign spread over countries to stay under each one's threshold (a few dozen
/// a day to each of two or three countries the account never verifies in). A country joins when
/// it is far beyond chance on its own (score ≥ `strong_score`) or converts at `ALERT_RATE` or
/// less in the window (an alert by itself: a few dozen sends are too few for the strong score).
/// Each becomes medium, and says with which.
fn together(out: &mut [Finding], strong_score: f64, strong_excess: f64) {
    let mut windows: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
    for (i, f) in out.iter().enumerate() {
        let m = |k: &str| f.metrics.get(k).copied().unwrap_or(0.0);
        let alerting = m("sends") > 0.0 && m("verified") <= ALERT_RATE * m("sends");
        if f.subject_kind == "country" && (m("score") >= strong_score || alerting) {
            windows.entry((f.start, f.end)).or_default().push(i);
        }
    }
    for ((start, end), members) in windows {
        let excess: f64 = members.iter().map(|&i| out[i].metrics.get("excess_unverified").copied().unwrap_or(0.0)).sum();
        if members.len() < 2 || excess < strong_excess {
            continue;
        }
        let names: Vec<String> = members.iter().map(|&i| out[i].subject.clone()).collect();
        let label = window_label(start, end);
        for &i in &members {
            let f = &mut out[i];
            if f.severity < Severity::Medium {
                f.severity = Severity::Medium;
                f.note = format!(
                    "{} countries together ({}): {excess:.0} unverified sends above the expected count in this {label}, each far beyond chance (score ≥ {strong_score}) or converting at {:.0}% or less; medium from {strong_excess} together",
                    members.len(),
                    names.join(", "),
                    ALERT_RATE * 100.0
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(rows: &[Row], facts: &crate::detect::facts::Facts, base: &Baseline, p: &Params) -> Vec<Finding> {
        super::detect(rows, &CountryTable::of(rows, facts), facts, base, p)
    }
    use crate::detect::tests::row;
    use crate::schema::Status;

    /// `days` days of a country at `per_day` sends converting at `conv`, numbers all different.
    fn legit(days: i64, per_day: u64, conv: f64, seed: u64) -> Vec<Row> {
        let mut v = Vec::new();
        for d in 0..days {
            for i in 0..per_day {
                let n = 20_000_000 + (seed * 7_919 + d as u64 * 104_729 + i * 7_127) % 9_000_000;
                let mut r = row(v.len() as u32, d * DAY + 8 * HOUR + (i as i64 * 40_000) % (12 * HOUR), 371, n, 8);
                r.set_country(Some(*b"LV"));
                // Converted or not in no order of time (a hash of the send), at the rate `conv`.
                let h = crate::simulate::world::mix(seed, &format!("{d}:{i}")) % 1000;
                r.set_converted(Some((h as f64) < conv * 1000.0));
                v.push(r);
            }
        }
        v
    }

    fn attack(day: i64, n: u64, first_idx: u32) -> Vec<Row> {
        (0..n)
            .map(|i| {
                let mut r = row(first_idx + i as u32, day * DAY + 3 * HOUR + i as i64 * 60_000 % (18 * HOUR), 371, 29_500_000 + i * 13, 8);
                r.set_country(Some(*b"LV"));
                r.set_converted(Some(false));
                r
            })
            .collect()
    }

    /// One day of a country: `n` sends at conversion `conv`, to fresh numbers.
    fn one_day(region: [u8; 2], n: u64, conv: f64, first_idx: u32) -> Vec<Row> {
        legit(1, n, conv, u64::from(region[0]) * 31 + u64::from(region[1]))
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                r.idx = first_idx + i as u32;
                r.set_country(Some(region));
                r.national += u64::from(region[0]) * 100_000_000;
                r
            })
            .collect()
    }

    #[test]
    fn countries_under_the_strong_excess_are_medium_together() {
        // Five days of LV converting at 80 %, then on day 5 a few dozen unverified sends to fresh
        // numbers of EE and BD, countries nobody there ever verifies in.
        let fresh = |region: [u8; 2], cc: u16, n: u64, first_idx: u32| -> Vec<Row> {
            (0..n)
                .map(|i| {
                    let mut r = row(first_idx + i as u32, 5 * DAY + HOUR + i as i64 * 1_800_000, cc, 50_000_000 + i * 7_919, 8);
                    r.set_country(Some(region));
                    r.set_converted(Some(false));
                    r
                })
                .collect()
        };
        let scan = |ee: u64, bd: u64| -> Vec<(String, Severity)> {
            let mut rows = legit(6, 100, 0.8, 1);
            let at = rows.len() as u32;
            rows.extend(fresh(*b"EE", 372, ee, at));
            rows.extend(fresh(*b"BD", 880, bd, at + 1000));
            let facts = crate::detect::facts::Facts::of(&rows);
            detect(&rows, &facts, &Baseline::default(), &Params::default())
                .into_iter()
                .filter(|f| f.subject_kind == "country" && f.end - f.start == DAY)
                .map(|f| (f.subject, f.severity))
                .collect()
        };
        // 25 each: far beyond chance (score 73), each under 30 above the expected count.
        let one = scan(25, 0);
        assert_eq!(one, vec![("EE".to_string(), Severity::Low)], "alone: low");
        let both = scan(25, 25);
        assert_eq!(both.len(), 2, "{both:?}");
        assert!(both.iter().all(|(_, s)| *s == Severity::Medium), "together 50: medium {both:?}");
        // 21 and 25: EE's score alone (58) is under the strong score, but none of its window's
        // sends verified (an alert by itself); together 45 above the expected count: medium.
        let weak = scan(21, 25);
        assert_eq!(weak.len(), 2, "{weak:?}");
        assert!(weak.iter().all(|(_, s)| *s == Severity::Medium), "{weak:?}");
        // 14 and 15: under the day's floor of 20 each, never flagged, so never together.
        assert!(scan(14, 15).is_empty());
    }

    #[test]
    fn a_slow_attack_from_the_first_day_is_no_baseline_of_itself() {
        // Fourteen days of LV converting at 80 %, and from the first day a trickle of 60 sends a
        // day to fresh UZ numbers of which one or two verify (2.5 %): UZ's own usual conversion
        // is an alert (at most 35 %), not what its sends are held to, so every day's excess
        // shows, verified sends or not. A country that converts at 40 % keeps its own rate.
        let trickle = |region: [u8; 2], cc: u16, verified: fn(u64) -> bool, first_idx: u32| -> Vec<Row> {
            (0..14 * 60u64)
                .map(|i| {
                    let (d, k) = ((i / 60) as i64, i % 60);
                    let mut r = row(first_idx + i as u32, d * DAY + 2 * HOUR + k as i64 * 900_000, cc, 900_000_000 + i * 7_919, 9);
                    r.set_country(Some(region));
                    r.set_converted(Some(verified(k)));
                    r
                })
                .collect()
        };
        let days_flagged = |verified: fn(u64) -> bool| -> Vec<Severity> {
            let mut rows = legit(14, 100, 0.8, 3);
            let at = rows.len() as u32;
            rows.extend(trickle(*b"UZ", 998, verified, at));
            let facts = crate::detect::facts::Facts::of(&rows);
            detect(&rows, &facts, &Baseline::default(), &Params::default())
                .into_iter()
                .filter(|f| f.subject == "UZ" && f.end - f.start == DAY)
                .map(|f| f.severity)
                .collect()
        };
        // One in 40 verifies: 2 a day. Every day is flagged at medium (58 unverified where the
        // account's usual 50 % expects 2).
        let slow = days_flagged(|k| k % 40 == 0);
        assert_eq!(slow.len(), 14, "{slow:?}");
        assert!(slow.iter().all(|s| *s == Severity::Medium), "{slow:?}");
        // One in five verifies (20 %): an alert rate too, every day low or above.
        assert_eq!(days_flagged(|k| k % 5 == 0).len(), 14);
        // Two in five verify (40 %): above the alert rate, the country's own usual conversion
        // stands, and its days are as usual.
        let usual = days_flagged(|k| k % 5 < 2);
        assert!(usual.is_empty(), "{usual:?}");
        // With `--baseline`, the period the user vouches for sets the rate, whatever it is: a
        // market converting at 20 % there and here is as usual; the 2.5 % trickle is not.
        let baseline = {
            let mut rows = legit(14, 100, 0.8, 4);
            let at = rows.len() as u32;
            rows.extend(trickle(*b"UZ", 998, |k| k % 5 == 0, at));
            Baseline::learn(&rows)
        };
        let against_baseline = |verified: fn(u64) -> bool| -> Vec<Finding> {
            let mut rows = legit(14, 100, 0.8, 3);
            let at = rows.len() as u32;
            rows.extend(trickle(*b"UZ", 998, verified, at));
            let facts = crate::detect::facts::Facts::of(&rows);
            detect(&rows, &facts, &baseline, &Params::default()).into_iter().filter(|f| f.subject == "UZ").collect()
        };
        assert!(against_baseline(|k| k % 5 == 0).is_empty());
        let slow = against_baseline(|k| k % 40 == 0);
        assert!(!slow.is_empty() && slow.iter().all(|f| f.baseline.contains("baseline period")), "{:?}", slow.first().map(|f| &f.baseline));
    }

    /// The rows in time order, each numbered by its place.
    fn sorted(rows: &mut [Row]) {
        rows.sort_by_key(|r| r.ts);
        for (i, r) in rows.iter_mut().enumerate() {
            r.idx = i as u32;
        }
    }

    #[test]
    fn a_trickle_under_the_daily_floor_is_found_over_the_period() {
        // Fourteen days of LV converting at 80 %, and from day `from` a trickle of `per_day`
        // sends a day to fresh UZ numbers, one in `every` verified: never 20 above the expected
        // count in a day, so no day or hour is flagged.
        let scan = |per_day: u64, every: u64, from: i64, days: i64| -> Vec<Finding> {
            let mut rows = legit(days, 100, 0.8, 3);
            for d in from..days {
                for k in 0..per_day {
                    let i = d as u64 * per_day + k;
                    let mut r = row(rows.len() as u32, d * DAY + (k * 86_000_000 / per_day) as i64, 998, 900_000_000 + i * 7_919, 9);
                    r.set_country(Some(*b"UZ"));
                    r.set_converted(Some(k % every == every - 1));
                    rows.push(r);
                }
            }
            sorted(&mut rows);
            let facts = crate::detect::facts::Facts::of(&rows);
            detect(&rows, &facts, &Baseline::default(), &Params::default()).into_iter().filter(|f| f.subject == "UZ").collect()
        };
        // 8 a day for 14 days, none verified: 112 unverified where about none were expected.
        let f = scan(8, u64::MAX, 0, 14);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].start, f[0].end, f[0].severity), (0, 14 * DAY, Severity::Medium));
        assert!(f[0].title.contains("14-day period"), "{}", f[0].title);
        assert_eq!((f[0].metrics["sends"], f[0].metrics["unverified"], f[0].rows.len()), (112.0, 112.0, 112));
        // One in three verified (33 %, an alert): still found. Two in five would be 40 %, the
        // country's own rate, and as usual.
        assert_eq!(scan(9, 3, 0, 14).len(), 1);
        assert!(scan(10, 2, 0, 14).is_empty(), "50 % is no alert");
        // The floor: 20 unverified above the expected count over the period (2 a day for 10 days
        // is 20: found, low; 19 sends in all are not).
        let edge = scan(2, u64::MAX, 4, 14);
        assert_eq!((edge.len(), edge.first().map(|f| f.severity)), (1, Some(Severity::Low)), "{edge:?}");
        assert!(scan(1, u64::MAX, 0, 14).is_empty(), "14 sends are under the floor");
        // A day and a half of data is judged by days and hours only.
        assert!(scan(8, u64::MAX, 0, 1).is_empty());
    }

    #[test]
    fn a_period_window_leaves_the_flagged_days_to_their_own_findings() {
        // LV at 80 % for 14 days; UZ gets 6 unverified sends a day and, on day 9, 200 more: day 9
        // is its own finding, and the period finding holds the other 13 days' 78 sends.
        let mut rows = legit(14, 100, 0.8, 3);
        for d in 0..14i64 {
            let n = if d == 9 { 206 } else { 6 };
            for k in 0..n {
                let mut r = row(rows.len() as u32, d * DAY + k as i64 * 400_000, 998, 900_000_000 + (d as u64 * 1000 + k) * 37, 9);
                r.set_country(Some(*b"UZ"));
                r.set_converted(Some(false));
                rows.push(r);
            }
        }
        sorted(&mut rows);
        let facts = crate::detect::facts::Facts::of(&rows);
        let f: Vec<Finding> =
            detect(&rows, &facts, &Baseline::default(), &Params::default()).into_iter().filter(|f| f.subject == "UZ").collect();
        let day = f.iter().find(|f| f.end - f.start == DAY).expect("day 9");
        assert_eq!((day.start, day.rows.len()), (9 * DAY, 206));
        let period = f.iter().find(|f| f.end - f.start == 14 * DAY).expect("the period");
        assert_eq!((period.metrics["unverified"], period.rows.len()), (78.0, 78));
        assert!(period.rows.iter().all(|&i| rows[i as usize].ts.div_euclid(DAY) != 9));
    }

    #[test]
    fn one_day_holds_a_country_to_the_worst_other_and_the_legit_floor() {
        // A one-day export: three countries at 85 % and a TV surge of a country converting 68 %,
        // legit for it: nothing, though the account converts 80 %.
        let mut rows = Vec::new();
        for (c, conv, n) in [(*b"GB", 0.85, 400), (*b"FR", 0.85, 400), (*b"DE", 0.85, 400), (*b"IN", 0.68, 1500)] {
            let first = rows.len() as u32;
            rows.extend(one_day(c, n, conv, first));
        }
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        assert!(f.is_empty(), "{:?}", f.iter().map(|f| &f.title).collect::<Vec<_>>());
        // The same day with IN pumped: 1,500 sends converting 20 %.
        let mut rows: Vec<Row> = rows.into_iter().filter(|r| r.country() != Some(*b"IN")).collect();
        let first = rows.len() as u32;
        rows.extend(one_day(*b"IN", 1500, 0.2, first));
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        assert!(
            f.iter().any(|f| f.subject == "IN" && f.severity == Severity::Medium),
            "{:?}",
            f.iter().map(|f| &f.title).collect::<Vec<_>>()
        );
        // Two countries pumped the same day, each converting 3 %: neither sets the other's
        // expectation (each is held to the legit countries' and the floor).
        let mut two: Vec<Row> = rows.iter().filter(|r| r.country() != Some(*b"IN")).cloned().collect();
        for (c, n) in [(*b"BD", 200), (*b"CU", 150)] {
            let first = two.len() as u32;
            two.extend(one_day(c, n, 0.03, first));
        }
        let f = detect(&two, &crate::detect::facts::Facts::of(&two), &Baseline::default(), &Params::default());
        for c in ["BD", "CU"] {
            assert!(
                f.iter().any(|f| f.subject == c && f.severity == Severity::Medium),
                "{c}: {:?}",
                f.iter().map(|f| &f.title).collect::<Vec<_>>()
            );
        }
        // Just above the alert rate, a country is a measure again: a 40 % country lowers the
        // expectation of another at 45 %, which stays unflagged.
        let mut low: Vec<Row> = rows.iter().filter(|r| r.country() != Some(*b"IN")).cloned().collect();
        for (c, conv) in [(*b"BD", 0.40), (*b"CU", 0.45)] {
            let first = low.len() as u32;
            low.extend(one_day(c, 300, conv, first));
        }
        let f = detect(&low, &crate::detect::facts::Facts::of(&low), &Baseline::default(), &Params::default());
        assert!(!f.iter().any(|f| f.subject == "CU"), "{:?}", f.iter().map(|f| &f.title).collect::<Vec<_>>());
    }

    #[test]
    fn the_excess_is_placed_in_prefixes_only_when_the_rest_is_as_expected() {
        // At 80 % conversion, 4 verified sends predict 1 unverified. Prefix 615: 200 unverified.
        let cells = |rest_verified: f64, rest_unverified: f64| -> Map<(u32, u64), (f64, f64)> {
            let mut m = Map::default();
            for digits in PREFIX_DIGITS {
                m.insert((digits, 615 / 10u64.pow(3 - digits.min(3))), (200.0, 200.0));
                m.insert((digits, 9999), (rest_verified + rest_unverified, rest_unverified));
            }
            m
        };
        // 240 verified elsewhere predict 60 unverified; 2σ above is 75.5.
        let h = Hot::of(&cells(240.0, 75.0), 0.8).expect("75 of 60 expected: as expected");
        assert_eq!((h.digits, h.prefixes.iter().copied().collect::<Vec<_>>()), (4, vec![615]));
        assert!(Hot::of(&cells(240.0, 76.0), 0.8).is_none(), "76: the rest has an excess too");
        // A country nobody verifies in: one unverified send elsewhere is not expected.
        assert!(Hot::of(&cells(0.0, 1.0), 0.8).is_none());
        // Nothing elsewhere: every prefix holds the excess, no restriction.
        assert!(Hot::of(&cells(10.0, 0.0), 0.8).is_none());
    }

    #[test]
    fn the_expected_count_and_its_score_at_the_edges() {
        // Authgear's example: 500 verified at 90 % predict about 55 unverified.
        assert!((expected(500.0, 0.9) - 55.6).abs() < 0.1);
        assert_eq!(score(55.0, 55.0), 0.0, "at the expected count");
        assert!(score(56.0, 55.0) > 0.0);
        // (a): 350 observed against 55.
        assert!(score(350.0, expected(500.0, 0.9)) > 300.0);
        // (c): a ~15/day country, 5 verified at 70 %, 37 unverified.
        let c = score(37.0, expected(5.0, 0.7));
        assert!(c > 25.0, "{c}");
        // A 2x legit day: 1,600 verified, 400 unverified at 80 %: nothing.
        assert_eq!(score(400.0, expected(1600.0, 0.8)), 0.0);
    }

    #[test]
    fn an_excess_of_unverified_sends_is_found_and_a_spike_day_is_not() {
        let mut rows = legit(14, 500, 0.8, 1);
        let n = rows.len() as u32;
        rows.extend(attack(9, 300, n));
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        let day: Vec<&Finding> = f.iter().filter(|f| f.subject_kind == "country").collect();
        assert_eq!(day.len(), 1, "{} findings: {:?}", f.len(), f.iter().map(|f| &f.title).collect::<Vec<_>>());
        assert_eq!(day[0].severity, Severity::Medium);
        // Evidence: the day's unverified sends to new numbers: the attack's 300, and the day's
        // legit users who never verified (indistinguishable one by one).
        let attack_rows: Set<u32> = (n..n + 300).collect();
        assert!(attack_rows.iter().all(|r| day[0].rows.contains(r)));
        // The excess lies in one prefix of four digits (the attack's 2950): the day's other new
        // users who never verified are left out.
        assert_eq!(day[0].metrics.get("excess_prefixes"), Some(&1.0), "{}", day[0].note);
        assert!(day[0].note.contains("1 prefix of 4 digits (+3712950)"), "{}", day[0].note);
        assert!(day[0].rows.len() < 300 + 3, "{}", day[0].rows.len());
        assert!(day[0].metrics["excess_unverified"] >= 270.0, "{}", day[0].metrics["excess_unverified"]);
        // The same 300 spread over the country's whole plan: no prefix holds the excess, and
        // the evidence is the whole country's new unverified sends (attack and legit alike).
        let mut rows = legit(14, 500, 0.8, 1);
        let n = rows.len() as u32;
        rows.extend(attack(9, 300, n).into_iter().enumerate().map(|(i, mut r)| {
            r.national = 20_000_000 + (i as u64 * 2_654_435_761) % 9_000_000;
            r
        }));
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        let day = f.iter().find(|f| f.subject_kind == "country" && f.end - f.start == DAY).expect("found");
        assert!(!day.metrics.contains_key("excess_prefixes"), "{}", day.note);
        // (One of the spread numbers is a legit number of an earlier day: not new, so not evidence.)
        let missing: Vec<u32> = (n..n + 300).filter(|r| !day.rows.contains(r)).collect();
        assert!(missing.len() <= 1, "{missing:?} {} {:?}", day.note, day.metrics);
        assert!(day.rows.len() > 300 + 20, "the day's legit unverified new users too: {}", day.rows.len());
        // A 2x legit day converts as usual: nothing.
        let mut spike = legit(14, 500, 0.8, 2);
        let n = spike.len() as u32;
        spike.extend(legit(1, 500, 0.8, 3).into_iter().enumerate().map(|(i, mut r)| {
            r.idx = n + i as u32;
            r.ts += 9 * DAY;
            r
        }));
        assert!(detect(&spike, &crate::detect::facts::Facts::of(&spike), &Baseline::default(), &Params::default()).is_empty());
    }

    #[test]
    fn test_sims_that_make_the_usual_conversion_do_not_make_a_weekend_an_excess() {
        // 14 days of users (1,000 a day to fresh numbers, 90 % verified) and, on days 0-4 and
        // 7-11, 60 test SIMs sending 80 times a day, all verified: the median day converts at
        // 98 %, so a weekend day's 100 unverified against its 900 verified is an excess of sends.
        let sims = |rows: &mut Vec<Row>| {
            for d in (0..14i64).filter(|d| d % 7 < 5) {
                for s in 0..60u64 {
                    for k in 0..80i64 {
                        let mut r = row(rows.len() as u32, d * DAY + 9 * HOUR + k * 300_000 + s as i64 * 1_000, 371, 29_990_000 + s, 8);
                        r.set_country(Some(*b"LV"));
                        r.set_converted(Some(true));
                        rows.push(r);
                    }
                }
            }
        };
        let scan = |rows: &[Row]| detect(rows, &crate::detect::facts::Facts::of(rows), &Baseline::default(), &Params::default());
        let mut rows = legit(14, 1_000, 0.9, 5);
        sims(&mut rows);
        let f = scan(&rows);
        let weekend: Vec<&Finding> = f.iter().filter(|f| f.subject_kind == "country" && f.start.div_euclid(DAY) % 7 >= 5).collect();
        assert!(!weekend.is_empty(), "the send-level test flags the weekend: {:?}", f.iter().map(|f| &f.title).collect::<Vec<_>>());
        for w in &weekend {
            // Its new numbers verified at the usual 90 %: at most low, and the finding says why.
            assert_eq!(w.severity, Severity::Low, "{} {:?}", w.title, w.metrics);
            assert!(w.note.contains("verified as the slice's new numbers usually do"), "{}", w.note);
            let (u, e) = (w.metrics["new_numbers_unverified"], w.metrics["expected_new_unverified"]);
            assert!(score(u, e) < 25.0 || u - e < 20.0, "{u} against {e}");
        }
        // The same account with 300 unverified sends to fresh numbers on day 12 (a Saturday):
        // the new numbers are an excess too, medium.
        let n = rows.len() as u32;
        rows.extend(attack(12, 300, n));
        let f = scan(&rows);
        let day = f.iter().find(|f| f.subject_kind == "country" && f.start == 12 * DAY && f.end == 13 * DAY).expect("the attack's day");
        assert_eq!(day.severity, Severity::Medium, "{} {:?} {}", day.title, day.metrics, day.note);
        assert!(day.metrics["new_numbers_unverified"] - day.metrics["expected_new_unverified"] >= 250.0, "{:?}", day.metrics);
        // Without the SIMs nothing is flagged at all on the weekends (the users' own rate).
        let plain = legit(14, 1_000, 0.9, 5);
        assert!(scan(&plain).iter().all(|f| f.severity < Severity::Medium));
    }

    #[test]
    fn the_usual_conversion_of_new_numbers_is_the_upper_quartile_of_days() {
        // Five days of 100 new numbers: four at 90 % and one at 10 % (an attack's day), plus the
        // data's first day at 10 % (left out). The quartile is 90 %; days under 20 numbers and
        // a slice under three days have no quartile; a rate at `ALERT_RATE` or less measures
        // nothing.
        let slice = |country| Slice { country, operator: 0 };
        let mut first_seen = Map::default();
        let mut verified = Set::default();
        let mut add = |country: usize, day: i64, n: u64, v: u64| {
            for i in 0..n {
                let k = (371u16, 20_000_000 + country as u64 * 1_000_000 + day as u64 * 1_000 + i);
                first_seen.insert(k, (day * DAY + HOUR, 1u32, Some(country), 0u32, true));
                if i < v {
                    verified.insert(k);
                }
            }
        };
        for (d, v) in [(0, 10), (1, 90), (2, 90), (3, 10), (4, 90), (5, 90)] {
            add(0, d, 100, v);
        }
        for d in 0..6 {
            add(1, d, 19, 19);
        }
        for d in 1..3 {
            add(2, d, 100, 90);
        }
        for d in 1..6 {
            add(3, d, 100, 30);
        }
        let nn = NewNumbers::of(&first_seen, &verified, &Known::default(), 0);
        assert_eq!(nn.rates.get(&slice(0)), Some(&0.9));
        for c in 1..4 {
            assert_eq!(nn.rates.get(&slice(c)), None, "country {c}");
        }
        // Without a rate of their days: the new numbers outside the window pooled, 60 or more
        // (country 1: 19 a day on days 1-2 and 4-5, 76; country 2: 200), not at `ALERT_RATE`
        // or less (country 3: 30 %).
        assert_eq!(nn.check(slice(1), 3 * DAY, 4 * DAY).map(|c| c.rate), Some(1.0));
        assert_eq!(nn.check(slice(1), 2 * DAY, 5 * DAY).map(|c| c.rate), None, "38 outside the window");
        assert_eq!(nn.check(slice(2), 3 * DAY, 4 * DAY).map(|c| c.rate), Some(0.9));
        assert!(nn.check(slice(3), 3 * DAY, 4 * DAY).is_none());
        let c = nn.check(slice(0), 3 * DAY, 4 * DAY).expect("a rate");
        assert_eq!((c.verified, c.unverified), (10.0, 90.0));
        assert!((c.expected - 10.0 / 9.0).abs() < 1e-9, "{c:?}");
        // The data's first day is not checked: every number is new on it.
        assert!(nn.check(slice(0), 0, DAY).is_none());
        // A number known before the period is not new.
        let known = Known::of(first_seen.keys().copied().filter(|k| k.1 % 1_000 < 50));
        let c = NewNumbers::of(&first_seen, &verified, &known, 0).check(slice(0), 3 * DAY, 4 * DAY).expect("a rate");
        assert_eq!(c.unverified + c.verified, 50.0);
    }

    #[test]
    fn an_undelivered_send_is_evidence_with_its_number_when_another_reached_it() {
        // 300 attack sends on day 9 to new numbers; 100 of their numbers get a second send two
        // minutes later that is undelivered, and 40 other new numbers two undelivered sends only.
        // The country's users convert at `conv`.
        let evidence = |conv: f64| {
            let mut rows = legit(14, 500, conv, 6);
            let n = rows.len() as u32;
            let a = attack(9, 300, n);
            let resent: Vec<Row> = a[..100]
                .iter()
                .enumerate()
                .map(|(i, r)| Row { idx: n + 300 + i as u32, ts: r.ts + 120_000, status: Status::Undelivered, ..*r })
                .collect();
            let waiting: Vec<Row> = (0..80u32)
                .map(|i| {
                    let mut r = attack(9, 1, n + 400 + i).remove(0);
                    r.national = 29_508_000 + u64::from(i / 2) * 13;
                    r.ts += i64::from(i) * 60_000;
                    r.status = Status::Undelivered;
                    r
                })
                .collect();
            rows.extend(a.into_iter().chain(resent).chain(waiting));
            rows.sort_by_key(|r| r.ts);
            let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
            let day = f.iter().find(|f| f.subject_kind == "country" && f.severity == Severity::Medium).expect("found");
            let excess = day.metrics["excess_unverified"] / day.metrics["unverified"];
            (
                excess,
                (n..n + 300).all(|r| day.rows.contains(&r)),
                [n + 300..n + 400, n + 400..n + 480].map(|s| s.filter(|r| day.rows.contains(r)).count()),
            )
        };
        // Users converting at 95 %: the day's unverified sends nearly all excess (over
        // `FAILED_TOO`). The reached numbers' undelivered sends are billed with them; a number
        // never reached, asked for again, is a user waiting for a code.
        let (excess, attack, [resent, waiting]) = evidence(0.95);
        assert!(excess >= FAILED_TOO && attack, "{excess}");
        assert_eq!((resent, waiting), (100, 0));
        // At 80 %, a quarter of the day's unverified sends are users': a user's undelivered resend
        // is as likely, and none is evidence.
        let (excess, attack, [resent, waiting]) = evidence(0.8);
        assert!(excess < FAILED_TOO && attack, "{excess}");
        assert_eq!((resent, waiting), (0, 0));
    }

    #[test]
    fn failed_sends_and_known_customers_are_not_evidence() {
        let mut rows = legit(14, 200, 0.8, 4);
        let n = rows.len() as u32;
        // An outage: 150 failed, unverified sends.
        rows.extend(attack(9, 150, n).into_iter().map(|mut r| {
            r.status = Status::Failed;
            r
        }));
        assert!(
            detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default()).is_empty(),
            "nobody verifies a code that never arrived"
        );
        let mut rows = legit(14, 200, 0.8, 5);
        let n = rows.len() as u32;
        let mut a = attack(9, 150, n);
        // Half of them to numbers that verified before: not evidence.
        let known: Vec<u64> = rows.iter().filter(|r| r.converted() == Some(true)).take(75).map(|r| r.national).collect();
        for (r, k) in a.iter_mut().zip(known) {
            r.national = k;
        }
        rows.extend(a);
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        let c = f.iter().find(|f| f.subject_kind == "country").expect("found");
        assert!((n..n + 75).all(|r| !c.rows.contains(&r)), "numbers that verified before are never evidence");
        assert!((n + 75..n + 150).all(|r| c.rows.contains(&r)), "fresh ones are");
    }
}
