//! `new-numbers`: volume to numbers never seen before, per country (per day and per hour) and per
//! operator prefix (the national number's first two and first three digits, per day), against the slice's own
//! robust baseline. An operator that collects on any of its numbers lets an attacker spread thousands
//! of sends over random valid numbers under its prefix: no dense block stands out, only a spike
//! of never-seen numbers in one operator's slice.
//!
//! A window is anomalous when its new numbers exceed the median + k·MAD of the slice's windows
//! (every window of the period, those without a new number as 0), by at least `min_new`, and
//! starts when the data has [`HISTORY`] behind it (every number is new at first). A country
//! first seen after the data's first day (or late on it: [`FIRST_SEEN_AFTER`]) has no
//! baseline of its own: from its first to its last day of new numbers it is one window, weighed
//! against the account's usual day (Twilio's "new destination country" signal; a new market
//! starts with a trickle). What
//! separates a spike from a TV spot or a press mention, which also brings thousands of new
//! numbers:
//! - **concentration**: a surge of real users spreads over every operator as the country's
//!   traffic always does; pumping lands in one. An operator window whose share of the country's
//!   new numbers is over half and at least `concentration` times its usual share, or leaves
//!   the other prefixes `concentration` times less than their usual share (a two-digit prefix
//!   that usually holds up to half of the country), is `medium` ([`concentrated_in`]); a
//!   country-wide spike alone is `low`;
//! - **conversion**, when known: a window whose new numbers verify as the account's do is `info`,
//!   whatever its shape (new users converting normally are new users);
//! - a country never sent to whose busiest day brings `min_new_day` and half the account's
//!   usual day of new numbers is `medium`; so is one whose new numbers, however few a day (60
//!   or more in all), fall 90 % under one operator prefix: a market's users spread over its
//!   operators, an operator paid for traffic gets all of it (not in +1's shared plan, where the
//!   first three digits are an area code).
//!
//! Evidence: the window's sends to numbers first seen in it (and never in `--baseline`) that
//! never verified. Known customers' numbers are never evidence.

use super::baseline::Baseline;
use super::character::MIN_DAYS;
use super::country_table::CountryTable;
use super::facts::{Facts, Order};
use super::low_conversion::wilson;
use super::numbers::Numbers;
use super::occupancy::prefix;
use super::round_the_clock::{self, NEVER_RETURN, QUIET_FLOOR, QUIET_HOURS, REFERENCE_MIN, RESEND_FLOOR, Slice, Verdict};
use super::{CallingCodes, Countries, Detector, Finding, Param, Params, Row, Severity};
use crate::hash::{Map, Set};
use std::collections::BTreeMap;

pub const DETECTOR: Detector = Detector {
    id: "new-numbers",
    title: "New-number spike",
    flags: "hours and days with far more sends to never-seen numbers than usual, per country (by hour and day) and per operator prefix (first two and three national digits, by day), and countries never sent to; concentration in one operator, or a country never sent to, raises it",
    params: &[
        Param { name: "k", default: 8.0, about: "MADs above the median of the slice's windows a window's new numbers must be" },
        Param { name: "min_new_day", default: 150.0, about: "new numbers above the median a day needs" },
        Param { name: "min_new_hour", default: 60.0, about: "new numbers above the median an hour needs" },
        Param {
            name: "concentration",
            default: 3.0,
            about: "an operator's share of the country's new numbers must be this many times its usual share",
        },
        Param {
            name: "clock_score",
            default: 20.0,
            about: "a country sent to round the clock, to numbers that never return: its two binomial scores together, at least (each a quarter of it); a country whose sends almost never go to a number seen before: its repeat score alone",
        },
    ],
};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

/// A number as one integer: the calling code above the national number's up to 15 digits.
fn pack(r: &Row) -> u64 {
    u64::from(r.calling_code) << 50 | r.national
}

/// The national number's first three digits, above 1000 (0: too short to have an operator).
/// A division by a constant per length ([`prefix`]): a power of ten worked out per row had
/// been a hardware divide a new number.
fn operator(r: &Row) -> u32 {
    if r.nlen >= 6 { 1000 + prefix(r.national, u32::from(r.nlen) - 3) as u32 } else { 0 }
}

/// The national number's first two digits, above 2000 (0: too short): the coarser operator
/// prefix, for an operator whose numbers span several three-digit prefixes (an attack over
/// Poland's 69x or Bangladesh's 17x is a tenth in each of them and all of one two-digit prefix).
fn operator2(r: &Row) -> u32 {
    if r.nlen >= 6 { 2000 + prefix(r.national, u32::from(r.nlen) - 2) as u32 } else { 0 }
}

/// `r`'s operator prefix at the length of `op` (two or three digits).
fn operator_like(r: &Row, op: u32) -> u32 {
    if op >= 2000 { operator2(r) } else { operator(r) }
}

/// Operator prefixes a country's table holds: the three-digit ones, then the two-digit ones.
const SLOTS: usize = 1100;

/// An operator prefix's place in a country's table ([`SLOTS`]).
fn slot(op: u32) -> usize {
    if op >= 2000 { 1000 + (op - 2000) as usize } else { (op - 1000) as usize }
}

/// The operator prefix at a place of a country's table.
fn op_of_slot(s: usize) -> u32 {
    if s >= 1000 { 2000 + (s - 1000) as u32 } else { 1000 + s as u32 }
}

/// An operator prefix's digits (two or three) and their value.
fn operator_digits(op: u32) -> (u32, u32) {
    if op >= 2000 { (2, op - 2000) } else { (3, op - 1000) }
}

/// How an operator prefix reads: `+`, the calling code, its two or three digits.
fn operator_text(cc: u16, op: u32) -> String {
    match operator_digits(op) {
        (2, p) => format!("+{cc}{p:02}"),
        (_, p) => format!("+{cc}{p}"),
    }
}

/// The median (the mean of the middle two of an even count; 0 of none).
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

/// Median and MAD of window counts.
pub fn robust(counts: &[f64]) -> (f64, f64) {
    let mut v = counts.to_vec();
    let med = median(&mut v);
    let mut dev: Vec<f64> = counts.iter().map(|c| (c - med).abs()).collect();
    (med, median(&mut dev))
}

/// Days up to which operators' new numbers are counted in a table a country (1,100 operator
/// prefixes x days); a longer period counts them in a map.
const DENSE_DAYS: usize = 62;

/// The history a window needs before it to be judged: a day, less an hour. Every number of the
/// data's first day is new; but an export's first send is rarely at midnight sharp, and a full
/// day to the minute left the second day out whenever it came a few minutes after midnight (an
/// independent corpus's 681-send attack on the second day of data starting at 00:03: not seen).
pub const HISTORY: i64 = DAY - HOUR;

/// Whether an operator prefix's `share` of its country's new numbers in a window, against its
/// `usual` share, is a concentration `concentration` strong: over half, and either its own
/// share that many times its usual, or (a prefix that usually holds up to half of the
/// country's users, as a two-digit prefix may) the other prefixes' share that many times
/// smaller than theirs (38 % usual to 94 %: the rest fell from 62 % to 6 %). A surge of real
/// users keeps every operator's usual share.
pub fn concentrated_in(share: f64, usual: f64, concentration: f64) -> bool {
    share >= 0.5 && (share >= concentration * usual || (usual <= 0.5 && 1.0 - share <= (1.0 - usual) / concentration))
}

/// Whether `new` is a spike over windows with median `med` and MAD `mad`.
pub fn spike(new: f64, med: f64, mad: f64, k: f64, floor: f64) -> bool {
    new > med + k * mad.max(1.0) && new - med >= floor
}

/// `numbers`: [`Numbers::of`] the rows.
/// `table`: the rows' countries and their sends per hour ([`CountryTable`]).
pub fn detect(rows: &[Row], numbers: &Numbers, table: &CountryTable, facts: &Facts, base: &Baseline, p: &Params) -> Vec<Finding> {
    let id = DETECTOR.id;
    let (k, min_day, min_hour, concentration) =
        (p.get(id, "k"), p.get(id, "min_new_day"), p.get(id, "min_new_hour"), p.get(id, "concentration"));
    let clock_score = p.get(id, "clock_score");
    // Which sends are a number's first ([`Numbers`], shared with pumped-range).
    let is_first = &numbers.is_first;
    let (data_start, data_end) = (facts.start, facts.end);
    // New numbers per country and hour, and per (country, operator) and day, counted into dense
    // tables (a hash map entry per new number had been a third of the detector's time).
    let (first_hour, first_day) = (data_start.div_euclid(HOUR), data_start.div_euclid(DAY));
    let n_hours = (data_end.div_euclid(HOUR) - first_hour + 1) as usize;
    let n_days = (data_end.div_euclid(DAY) - first_day + 1) as usize;
    let mut countries = Countries::default();
    let mut hours: Vec<Vec<f64>> = Vec::new();
    let mut op_days: Vec<Vec<f64>> = Vec::new();
    let mut op_sparse: Map<(usize, u32, i64), f64> = Map::default();
    // Each country's calling code (its first new number's).
    let mut calling: Vec<u16> = Vec::new();
    // Every row's country (numbered apart: `countries` numbers those with new numbers, in the
    // order first met), for the evidence pass below over the flagged countries' rows, and every
    // country's sends with a number per day (for the whole-period tests below: the share of
    // sends to numbers seen before): the table's, so that this pass reads first sends only.
    let (every, ids) = (&table.countries, &table.ids);
    let sends_every: Vec<Vec<f64>> =
        (0..every.codes.len()).map(|e| table.days(e).iter().map(|d| f64::from(d.numbered)).collect()).collect();
    let step = crate::memory::per_page::<Row>();
    for i in is_first.ones() {
        crate::memory::prefetch(rows, i + step);
        let Some(r) = rows.get(i) else { continue };
        let day = r.ts.div_euclid(DAY);
        let c = countries.id(r.country());
        if c == hours.len() {
            hours.push(vec![0.0; n_hours]);
            op_days.push(Vec::new());
            calling.push(r.calling_code);
        }
        hours[c][(r.ts.div_euclid(HOUR) - first_hour) as usize] += 1.0;
        let op = operator(r);
        if op != 0 {
            // Operators by day only: by hour, a thousand operators a country made millions of
            // cells at ten million rows (an hour-long spike shows in its country's hour). Over a
            // long period (more than `DENSE_DAYS`), a map: a table a country would be 1,100 x
            // days. Each new number counts under its three- and its two-digit prefix.
            let op2 = operator2(r);
            if n_days > DENSE_DAYS {
                *op_sparse.entry((c, op, day)).or_default() += 1.0;
                *op_sparse.entry((c, op2, day)).or_default() += 1.0;
            } else {
                let ops = &mut op_days[c];
                if ops.is_empty() {
                    ops.resize(SLOTS * n_days, 0.0);
                }
                let d = (day - first_day) as usize;
                ops[slot(op) * n_days + d] += 1.0;
                ops[slot(op2) * n_days + d] += 1.0;
            }
        }
    }
    let mut cells: BTreeMap<(usize, u32, i64, i64), f64> = BTreeMap::new();
    for (c, hours) in hours.iter().enumerate() {
        for (h, &n) in hours.iter().enumerate().filter(|(_, n)| **n > 0.0) {
            let h = first_hour + h as i64;
            *cells.entry((c, 0, HOUR, h)).or_default() += n;
            *cells.entry((c, 0, DAY, (h * HOUR).div_euclid(DAY))).or_default() += n;
        }
    }
    for (c, table) in op_days.iter().enumerate() {
        for (at, &n) in table.iter().enumerate().filter(|(_, n)| **n > 0.0) {
            cells.insert((c, op_of_slot(at / n_days), DAY, first_day + (at % n_days) as i64), n);
        }
    }
    cells.extend(op_sparse.into_iter().map(|((c, op, day), n)| ((c, op, DAY, day), n)));
    // Per slice and width: the window counts, for the baseline. Every window of the period
    // counts, those without a new number as zero: a country first seen mid-period (never served,
    // or pumped) has a baseline of nothing, not of its own spike.
    let mut series: BTreeMap<(usize, u32, i64), Vec<f64>> = BTreeMap::new();
    for (&(c, op, w, _), &n) in &cells {
        series.entry((c, op, w)).or_default().push(n);
    }
    let stats: BTreeMap<(usize, u32, i64), (f64, f64)> = series
        .iter_mut()
        .map(|(k, v)| {
            let windows = (data_end.div_euclid(k.2) - data_start.div_euclid(k.2) + 1) as usize;
            v.resize(windows.max(v.len()), 0.0);
            (*k, robust(v))
        })
        .collect();
    let account = facts.account_conversion;
    let mut flagged: Vec<(usize, u32, i64, i64, f64, f64)> = Vec::new();
    // A country first seen after the data's first day or late on it (and not in `--baseline`)
    // has no baseline of its own: its days are weighed against the account's. From its first
    // day to its last with new numbers, it is one window when its busiest day brings at least `min_new_day` and
    // half the account's usual daily new numbers (a new market starts with a trickle and grows).
    let mut first_seen = first_seen_countries(&cells, data_start, min_day, |c| calling[c] == 1);
    // A country of `--baseline` is not new.
    let base_countries: Set<usize> = base.countries().filter_map(|c| countries.get(c)).collect();
    first_seen.retain(|f| !base_countries.contains(&f.window.0));
    flagged.extend(first_seen.iter().map(|&FirstSeen { window: (c, start, end), .. }| {
        let n = cells.range((c, 0, HOUR, start / HOUR)..(c, 0, HOUR, end / HOUR)).map(|(_, n)| n).sum();
        (c, 0, start, end, n, 0.0)
    }));
    // Days before hours, operators before their country: a flagged day covers its hours, and a
    // flagged operator window explains its country's.
    for (width, operators) in [(DAY, true), (DAY, false), (HOUR, true), (HOUR, false)] {
        for (&(c, op, w, idx), &n) in cells.iter().filter(|((_, op, w, _), _)| *w == width && (*op != 0) == operators) {
            let (med, mad) = stats[&(c, op, w)];
            if !spike(n, med, mad, k, if w == DAY { min_day } else { min_hour }) {
                continue;
            }
            let (start, end) = (idx * w, (idx + 1) * w);
            // Every number of the data's first day is "new": whether it is cannot be told.
            if start < data_start + HISTORY {
                continue;
            }
            // A country's window is covered by any of its own, first seen or operator (two-digit
            // ones too: a country-wide surge that lifts one then shows as it, at low, with only
            // its numbers as evidence; letting only three-digit ones cover took an independent
            // corpus's operator-spread precision from 0.993 to 0.913: bench/README.md).
            let covered = flagged.iter().any(|f| f.0 == c && (op == 0 || f.1 == op || f.1 == 0) && f.2 <= start && f.3 >= end);
            if !covered {
                flagged.push((c, op, start, end, n, med));
            }
        }
    }
    // A country sent to round the clock, to numbers that never return, over the whole period
    // ([`round_the_clock`]): a trickle with no spike and no history to stand out against; or
    // one whose sends almost never go to a number seen before, at any hour (a drip in the
    // attacker's working hours: nobody resends, nobody comes back). Its days with a flagged
    // window are left out (a burst at night fills the quiet hours of a country's users, and its
    // new numbers lower their repeat share); not a country already flagged as first seen.
    let mut spiked: Vec<Vec<bool>> = vec![Vec::new(); countries.codes.len()];
    for &(c, _, start, end, _, _) in &flagged {
        let days = &mut spiked[c];
        days.resize(n_days, false);
        for d in start.div_euclid(DAY)..=(end - 1).div_euclid(DAY) {
            if let Some(x) = days.get_mut((d - first_day) as usize) {
                *x = true;
            }
        }
    }
    let kept = |c: usize, day: usize| !spiked[c].get(day).copied().unwrap_or(false);
    let slices: Vec<Slice> = (0..countries.codes.len())
        .map(|c| {
            let mut by_hour = [0.0; 24];
            for (h, &n) in hours[c].iter().enumerate() {
                let at = first_hour + h as i64;
                if n > 0.0 && kept(c, ((at * HOUR).div_euclid(DAY) - first_day) as usize) {
                    by_hour[at.rem_euclid(24) as usize] += n;
                }
            }
            let sends = every.get(countries.codes[c]).map_or(&[][..], |e| &sends_every[e][..]);
            Slice { by_hour, sends: sends.iter().enumerate().filter(|(d, _)| kept(c, *d)).map(|(_, n)| n).sum() }
        })
        .collect();
    let whole = (data_start.div_euclid(DAY) * DAY, data_end.div_euclid(DAY) * DAY + DAY);
    let mut clock: Map<usize, Verdict> = Map::default();
    // Over less than `MIN_DAYS` - 1 days (48 hours) the tests are not made: the data's first day has no flagged
    // window to leave out (every number is new on it), so a burst there would fill its country's
    // quiet hours and take its users' one-time sends as evidence; and users return over days.
    let history = data_end - data_start >= (MIN_DAYS as i64 - 1) * DAY;
    let judged = if history { round_the_clock::judge(&slices) } else { Vec::new() };
    for (c, v) in judged.into_iter().enumerate() {
        if let Some(v) = v.filter(|v| v.flagged(clock_score) || v.never_returns(clock_score))
            && !first_seen.iter().any(|f| f.window.0 == c)
        {
            clock.insert(flagged.len(), v);
            flagged.push((c, 0, whole.0, whole.1, slices[c].new_numbers(), 0.0));
        }
    }
    if flagged.is_empty() {
        return Vec::new();
    }
    // Each flagged window's sends to numbers new in it, gathered in one pass over the rows (a
    // pass per window had cost seconds at ten million rows).
    // Per country, per day of the data: the flagged windows on it (a table, not a map: looked
    // up for every row).
    let mut by_day: Vec<Vec<Vec<usize>>> = vec![Vec::new(); countries.codes.len()];
    for (i, f) in flagged.iter().enumerate() {
        let days = &mut by_day[f.0];
        days.resize(n_days, Vec::new());
        for d in f.2.div_euclid(DAY)..=(f.3 - 1).div_euclid(DAY) {
            if let Some(l) = days.get_mut((d - first_day) as usize) {
                l.push(i);
            }
        }
    }
    // The numbers first seen in a flagged window's country and day: when, whether they ever
    // verified, whether they come back on another day.
    let in_flagged_day = |r: &Row| {
        countries
            .get(r.country())
            .and_then(|c| by_day[c].get((r.ts.div_euclid(DAY) - first_day) as usize).filter(|l| !l.is_empty()).map(|l| (c, l)))
    };
    let mut info: Map<u64, (i64, bool, bool)> = Map::default();
    // Per flagged window, the positions of its sends to numbers new in it.
    let mut new_in: Vec<Vec<usize>> = vec![Vec::new(); flagged.len()];
    // A send to a number of `info`: what it tells of its number, and the windows it is new in.
    let gather = |at: usize, r: &Row, e: &mut (i64, bool, bool), new_in: &mut Vec<Vec<usize>>| {
        e.1 |= r.converted() == Some(true);
        e.2 |= r.ts.div_euclid(DAY) != e.0.div_euclid(DAY);
        let Some((_, list)) = in_flagged_day(r) else { return };
        for &i in list {
            let (_, op, start, end, _, _) = flagged[i];
            if r.ts >= start && r.ts < end && e.0 >= start && (op == 0 || operator_like(r, op) == op) {
                new_in[i].push(at);
            }
        }
    };
    let flagged_country: Vec<bool> = by_day.iter().map(|d| !d.is_empty()).collect();
    let order = facts.order;
    if matches!(order, Order::Ascending | Order::Descending) {
        // Rows in time order (both ways): one pass, in the order `Numbers` found first sends,
        // so a number's first send comes before its others (the pass that found the numbers
        // first had been a sixth of this detector's time at ten million rows). A number's rows
        // all have its country: other countries' rows are passed over by a table lookup.
        let flagged_here = |e: usize| countries.get(every.codes[e]).is_some_and(|c| flagged_country[c]);
        let mut at: Vec<u32> = ids.rows_of(rows, every, flagged_here).map(|(i, _)| i as u32).collect();
        if order == Order::Descending {
            at.reverse();
        }
        for i in at.into_iter().map(|i| i as usize) {
            let r = &rows[i];
            if r.nlen == 0 {
                continue;
            }
            let key = pack(r);
            if is_first.get(i) && in_flagged_day(r).is_some() {
                info.insert(key, (r.ts, false, false));
            }
            if let Some(e) = info.get_mut(&key) {
                gather(i, r, e, &mut new_in);
            }
        }
        if order == Order::Descending {
            new_in.iter_mut().for_each(|l| l.reverse());
        }
    } else {
        for (i, r) in crate::memory::ahead(rows).enumerate() {
            if is_first.get(i) && in_flagged_day(r).is_some() {
                info.insert(pack(r), (r.ts, false, false));
            }
        }
        let codes = CallingCodes::of(info.keys().map(|k| (k >> 50) as u16));
        for (i, r) in crate::memory::ahead(rows).enumerate().filter(|(_, r)| r.nlen > 0 && codes.has(r)) {
            if let Some(e) = info.get_mut(&pack(r)) {
                gather(i, r, e, &mut new_in);
            }
        }
    }
    let new_in: Vec<Vec<&Row>> = new_in.into_iter().map(|l| l.into_iter().map(|i| &rows[i]).collect()).collect();
    let mut out = Vec::new();
    for (i, (c, op, start, end, n, med)) in flagged.into_iter().enumerate() {
        let w = end - start;
        // Round the clock: the numbers that never came back on another day (those that did are
        // the country's users), on the days the test weighed (a flagged day's sends are its own
        // finding's evidence, weighed as that finding is).
        let verdict = clock.get(&i).copied();
        let weighed = |r: &Row| verdict.is_none() || kept(c, (r.ts.div_euclid(DAY) - first_day) as usize);
        let members: Vec<&Row> = new_in[i]
            .iter()
            .copied()
            .filter(|r| weighed(r) && info.get(&pack(r)).is_some_and(|&(_, verified, back)| !(verified || back && verdict.is_some())))
            .collect();
        // An operator's day only: a country's usual day is large enough that twice its mean hour
        // is below its own busiest hours, where a modest spread attack would be cut.
        let members = if w == DAY && op != 0 { busy_span(members, start, med) } else { members };
        // Concentration: the operator's share of the country's new numbers in this window, and
        // its usual share.
        let country_here = cells.get(&(c, 0, w, start / w)).copied().unwrap_or(n);
        let share = n / country_here.max(1.0);
        // Usual: the median share over the country's other windows (robust to the attack's own
        // other windows, which a pooled share would count as usual).
        let usual = if op == 0 {
            1.0
        } else {
            let mut shares: Vec<f64> = cells
                .range((c, 0, w, i64::MIN)..=(c, 0, w, i64::MAX))
                .filter(|(k, _)| k.3 != start / w)
                .map(|(k, &total)| cells.get(&(c, op, w, k.3)).copied().unwrap_or(0.0) / total.max(1.0))
                .collect();
            median(&mut shares)
        };
        let new_country = op == 0 && first_seen.iter().any(|f| f.window == (c, start, end));
        let concentrated = new_country || verdict.is_some() || (op != 0 && concentrated_in(share, usual, concentration));
        // Conversion of the window's new numbers, when known.
        let judged: Vec<bool> = new_in[i].iter().filter_map(|r| r.converted()).collect();
        let conv = (judged.len() >= 20).then(|| {
            let kk = judged.iter().filter(|x| **x).count() as f64;
            (kk / judged.len() as f64, wilson(kk, judged.len() as f64, 1.96).1)
        });
        let converts_normally = matches!((conv, account), (Some((_, hi)), Some(a)) if hi >= a * 0.8);
        // Repetition: the window's new numbers that come back on another day are customers
        // (a business customer's staff starting to use their numbers); pumped numbers do not.
        let keys: Set<u64> = members.iter().map(|r| pack(r)).collect();
        let returning = keys.iter().filter(|k| info.get(k).is_some_and(|e| e.2)).count() as f64 / keys.len().max(1) as f64;
        let legit_like = converts_normally || returning >= super::character::RETURNING;
        let (severity, note) = if converts_normally {
            (Severity::Info, "its new numbers verify as the account's do: new users, not pumping".to_string())
        } else if returning >= super::character::RETURNING {
            (Severity::Low, format!("{:.0}% of its new numbers come back on other days: customers, not pumping", returning * 100.0))
        } else if concentrated {
            (Severity::Medium, String::new())
        } else {
            (
                Severity::Low,
                if op == 0 {
                    "spread over the country's operators as its traffic is (a surge of real users looks so)".into()
                } else {
                    String::new()
                },
            )
        };
        let cc = countries.codes[c];
        let country = cc.map_or_else(|| "??".to_string(), |x| String::from_utf8_lossy(&x).into_owned());
        let (kind, subject) = if op == 0 { ("country", country.clone()) } else { ("operator_prefix", operator_text(calling[c], op)) };
        let label = if w == DAY { "day" } else { "hour" };
        let mut metrics = BTreeMap::new();
        metrics.insert("new_numbers", n);
        metrics.insert("median_new_numbers", med);
        metrics.insert("share_of_country_new", share);
        metrics.insert("usual_share", usual);
        metrics.insert("returning_share", returning);
        if op != 0 {
            // The prefix as a number (its digits without the calling code): which three-digit
            // prefix is under which two-digit one, leading zeros and all ([`super::explain`]).
            let (digits, prefix) = operator_digits(op);
            metrics.insert("operator_digits", f64::from(digits));
            metrics.insert("operator_prefix", f64::from(prefix));
        }
        if let Some((cv, _)) = conv {
            metrics.insert("conversion", cv);
        }
        let mut f = Finding {
            severity,
            title: format!(
                "{subject}: {n:.0} new numbers in a {label}, {med:.0} usual{}",
                if concentrated {
                    format!(", {:.0}% of the country's new numbers (usually {:.0}%)", share * 100.0, usual * 100.0)
                } else {
                    String::new()
                }
            ),
            start,
            end,
            signal: format!("sends to never-seen numbers per {label}"),
            threshold: format!("> median + {k}·MAD and {} more than the median", if w == DAY { min_day } else { min_hour }),
            baseline: format!("median {med:.0} new numbers per {label} in this slice"),
            metrics,
            note,
            legit_like,
            ..Finding::over(id, kind, subject, &members)
        };
        if let Some(&FirstSeen { busiest, usual: usual_day, one_operator, together, .. }) =
            first_seen.iter().find(|f| f.window == (c, start, end))
        {
            f.title = format!(
                "{country}: {n:.0} new numbers from its first send, a country never sent to before; busiest day {busiest:.0}{}, the account's usual day {usual_day:.0} new numbers{}",
                if together > 1 {
                    format!(" with the {} other countries first seen within a day of it", together - 1)
                } else {
                    String::new()
                },
                one_operator.map_or(String::new(), |s| format!("; {:.0}% under one operator prefix", s * 100.0))
            );
            if together > 1 {
                f.metrics.insert("countries_first_seen_together", together as f64);
            }
            f.signal = "sends to never-seen numbers in a country first seen after the data's first day (or late on it)".into();
            f.threshold = format!(
                "busiest day >= {min_day} and >= half the account's usual day (of {TOGETHER} or more countries first seen within a day of one another, together), or >= {ONE_OPERATOR_MIN} new numbers, {:.0}% under one operator prefix",
                ONE_OPERATOR * 100.0
            );
            f.baseline = format!("the account's median {usual_day:.0} new numbers per day, all countries");
            f.metrics.insert("busiest_day_new_numbers", busiest);
            f.metrics.insert("account_median_new_numbers_per_day", usual_day);
            if let Some(s) = one_operator {
                f.metrics.insert("one_operator_share", s);
            }
        }
        if let Some(v) = verdict {
            let days = (end - start) / DAY;
            if v.flagged(clock_score) {
                f.title = format!(
                    "{country}: {n:.0} new numbers round the clock over {days} days, {:.0}% in its quietest {QUIET_HOURS} hours (usually under {:.0}%); {:.0}% of its sends to numbers seen before (usually over {:.0}%)",
                    v.quiet * 100.0,
                    v.usual_quiet * 100.0,
                    v.repeat * 100.0,
                    v.usual_repeat * 100.0
                );
                f.signal =
                    "sends to never-seen numbers at every hour of the day, to numbers that do not return, over the whole period".into();
                f.threshold = format!(
                    "binomial tail scores (-ln p) of the quiet-hours share above the usual and of the repeat share below it: each >= {}, together >= {clock_score}",
                    clock_score / 4.0
                );
            } else {
                f.title = format!(
                    "{country}: {n:.0} new numbers over {days} days, {:.1}% of its sends to numbers seen before (usually over {:.1}%): nobody resends or comes back",
                    v.repeat * 100.0,
                    v.usual_repeat * 100.0
                );
                f.signal = "sends to numbers that never get a second message, over the whole period".into();
                f.threshold = format!(
                    "repeat share <= {:.0}% and a quarter of the usual; its binomial tail score (-ln p) below the usual share >= {clock_score}, below {:.0}% (users who only sign up) >= {}",
                    NEVER_RETURN * 100.0,
                    RESEND_FLOOR * 100.0,
                    clock_score / 2.0
                );
            }
            f.baseline = if v.flagged(clock_score) {
                format!(
                    "the account's median country: twice its quiet-hours share (at least {:.0}%), half its repeat share",
                    QUIET_FLOOR * 100.0
                )
            } else {
                format!(
                    "half the repeat share of the account's median country ({REFERENCE_MIN}+ sends, over {:.0}% of them to numbers seen before)",
                    NEVER_RETURN * 100.0
                )
            };
            f.metrics.remove("median_new_numbers");
            f.metrics.remove("share_of_country_new");
            f.metrics.remove("usual_share");
            f.metrics.insert("quiet_hours_share", v.quiet);
            f.metrics.insert("usual_quiet_hours_share", v.usual_quiet);
            f.metrics.insert("repeat_share", v.repeat);
            f.metrics.insert("usual_repeat_share", v.usual_repeat);
            f.metrics.insert("clock_score", v.clock_score);
            f.metrics.insert("repeat_score", v.repeat_score);
            f.metrics.insert("resend_score", v.resend_score);
        }
        f.country = Some(country);
        out.push(f);
    }
    out
}

/// An operator's flagged day's evidence: the attack's stretch of the day, found in two steps.
/// First the span of hours whose new numbers most exceed twice the slice's usual hourly count
/// (the maximum-sum run of `count - 2·usual/24`), which gives the attack's rate `λ1` (its sends
/// over its hours) against the usual `λ0`. Then, send by send, the stretch that most favours
/// `λ1` over `λ0` (the maximum of the Poisson log-likelihood ratio `k·ln(λ1/λ0) - (λ1-λ0)·t`
/// over stretches of `k` sends and `t` hours, a one-dimensional scan statistic): a usual new
/// user an hour before an attack of 35 sends an hour is left out (the hour between costs more
/// than the send adds), while a quiet hour inside a slow attack stays in. An attack that starts
/// at 17:00 leaves the morning's usual new users out, and its first minutes stay in.
fn busy_span(members: Vec<&Row>, start: i64, usual_day: f64) -> Vec<&Row> {
    let mut per_hour = [0.0f64; 24];
    for r in &members {
        per_hour[((r.ts - start).div_euclid(HOUR)).clamp(0, 23) as usize] += 1.0;
    }
    let tau = (2.0 * usual_day / 24.0).max(0.25);
    let (mut best, mut span) = (f64::MIN, (0, 23));
    let (mut sum, mut from) = (0.0, 0);
    for (h, &n) in per_hour.iter().enumerate() {
        if sum <= 0.0 {
            (sum, from) = (0.0, h);
        }
        sum += n - tau;
        if sum > best {
            (best, span) = (sum, (from, h));
        }
    }
    let (lo, hi) = (start + span.0 as i64 * HOUR, start + (span.1 as i64 + 1) * HOUR);
    let hour_span: Vec<&Row> = members.iter().copied().filter(|r| r.ts >= lo && r.ts < hi).collect();
    // The rates, per hour: the usual one (at least half the floor above), the span's own.
    let lambda0 = tau / 2.0;
    let lambda1 = hour_span.len() as f64 / (span.1 + 1 - span.0) as f64;
    if lambda1 <= 2.0 * lambda0 {
        return hour_span;
    }
    let (gain, cost) = ((lambda1 / lambda0).ln(), (lambda1 - lambda0) / HOUR as f64);
    let mut times: Vec<i64> = members.iter().map(|r| r.ts).collect();
    times.sort_unstable();
    // Kadane over the sends: `run` is the best score of a stretch ending at send `i`.
    let (mut best, mut stretch) = (f64::MIN, (i64::MIN, i64::MAX));
    let (mut run, mut from) = (0.0, i64::MIN);
    for (i, &t) in times.iter().enumerate() {
        let carried = if i == 0 { 0.0 } else { run - cost * (t - times[i - 1]) as f64 };
        (run, from) = if carried > 0.0 { (carried + gain, from) } else { (gain, t) };
        if run > best {
            (best, stretch) = (run, (from, t));
        }
    }
    members.into_iter().filter(|r| r.ts >= stretch.0 && r.ts <= stretch.1).collect()
}

/// Countries first seen after the data's first day (or late on it: [`FIRST_SEEN_AFTER`]) whose
/// busiest day of new numbers reaches `min_day` and half the account's median day (all countries), or whose new numbers, at least
/// [`ONE_OPERATOR_MIN`], fall [`ONE_OPERATOR`] under one operator prefix (a market's users spread
/// over its operators; an operator that pays for traffic gets all of it): the country, its
/// window, busiest day, the account's median day and that share. `shared_plan(c)`: the
/// country shares its calling code's plan with others (+1), where the first three national
/// digits are an area code, not an operator.
fn first_seen_countries(
    cells: &BTreeMap<(usize, u32, i64, i64), f64>,
    data_start: i64,
    min_day: f64,
    shared_plan: impl Fn(usize) -> bool,
) -> Vec<FirstSeen> {
    let mut account: BTreeMap<i64, f64> = BTreeMap::new();
    let mut per_country: BTreeMap<usize, (i64, i64, f64)> = BTreeMap::new();
    // New numbers per country, and per country and operator prefix.
    let mut total: BTreeMap<usize, f64> = BTreeMap::new();
    let mut by_operator: BTreeMap<(usize, u32), f64> = BTreeMap::new();
    for (&(c, op, w, idx), &n) in cells {
        // Three-digit prefixes only: a whole plan can share its first two digits (Greece's 69).
        if w == DAY && op < 2000 {
            *(if op == 0 { total.entry(c).or_default() } else { by_operator.entry((c, op)).or_default() }) += n;
        }
        if op != 0 {
            continue;
        }
        if w == DAY {
            let e = per_country.entry(c).or_insert((i64::MAX, i64::MIN, 0.0));
            e.2 = e.2.max(n);
        } else if w == HOUR {
            let e = per_country.entry(c).or_insert((i64::MAX, i64::MIN, 0.0));
            e.0 = e.0.min(idx * HOUR);
            e.1 = e.1.max((idx + 1) * HOUR);
        }
    }
    // The account's usual day, its first day left out (every number is new on it), and the
    // countries first seen after it too: an attack on new countries over most of the period is
    // no part of the account's usual day (it had made itself the median it was held to).
    let first_day = data_start.div_euclid(DAY);
    for (&(c, op, w, idx), &n) in cells {
        if op == 0 && w == DAY && per_country.get(&c).is_none_or(|e| e.0 < (first_day + 1) * DAY) {
            *account.entry(idx).or_default() += n;
        }
    }
    let mut days: Vec<f64> = account.iter().filter(|(d, _)| **d != first_day).map(|(_, n)| *n).collect();
    let usual = median(&mut days);
    let mut top: BTreeMap<usize, f64> = BTreeMap::new();
    for (&(c, _), &n) in &by_operator {
        let e = top.entry(c).or_default();
        *e = e.max(n);
    }
    let busy = |n: f64| n >= min_day && n >= usual / 2.0;
    // On the data's first day, a country that starts late is first seen only when that day is
    // busy itself (a small country's users, two a day, may well start late, and an attack days
    // later would otherwise make their every send new-country evidence), the account has other
    // days to weigh it against, and the country sends on its later days in the hours it was
    // silent on the first (a market whose users wake at noon UTC is silent every morning).
    let silent_from = data_start.div_euclid(HOUR) - first_day * 24;
    let late_and_busy = |c: usize, start: i64| {
        let silent = silent_from..(start.div_euclid(HOUR) - first_day * 24);
        start >= data_start + FIRST_SEEN_AFTER
            && usual > 0.0
            && cells.get(&(c, 0, DAY, first_day)).is_some_and(|&n| busy(n))
            && cells
                .range((c, 0, HOUR, (first_day + 1) * 24)..(c, 0, HOUR + 1, i64::MIN))
                .any(|(k, _)| silent.contains(&k.3.rem_euclid(24)))
    };
    let new: Vec<(usize, (i64, i64, f64))> =
        per_country.into_iter().filter(|&(c, (start, _, _))| start >= (first_day + 1) * DAY || late_and_busy(c, start)).collect();
    // Countries first seen within a day of one another (a chain), [`TOGETHER`] or more: an attacker who
    // spreads over several never-sent-to countries keeps each under the volume test. Their new
    // numbers a day, summed, must be busy as one country's would (a market launched in several
    // countries at once is flagged too: see the README's known false positives).
    // Groups: the new countries in order of their first day, cut where two are more than a day
    // apart.
    let mut by_start: Vec<(i64, usize)> = new.iter().map(|(c, (s, _, _))| (s.div_euclid(DAY), *c)).collect();
    by_start.sort_unstable();
    let groups: Vec<Vec<usize>> = by_start
        .chunk_by(|a, b| b.0 - a.0 <= 1)
        .map(|g| g.iter().map(|x| x.1).collect())
        .filter(|g: &Vec<usize>| g.len() >= TOGETHER)
        .collect();
    let together = |c: usize| -> Option<(f64, usize)> {
        let group = groups.iter().find(|g| g.contains(&c))?;
        let mut by_day: BTreeMap<i64, f64> = BTreeMap::new();
        for &g in group {
            for (k, &n) in cells.range((g, 0, DAY, i64::MIN)..=(g, 0, DAY, i64::MAX)) {
                *by_day.entry(k.3).or_default() += n;
            }
        }
        let busiest = by_day.values().copied().fold(0.0, f64::max);
        busy(busiest).then_some((busiest, group.len()))
    };
    new.iter()
        .filter_map(|&(c, (start, end, busiest))| {
            let all = total.get(&c).copied().unwrap_or(0.0);
            let share = top.get(&c).copied().unwrap_or(0.0) / all.max(1.0);
            let one_operator = (all >= ONE_OPERATOR_MIN && share >= ONE_OPERATOR && !shared_plan(c)).then_some(share);
            let with = if busy(busiest) || one_operator.is_some() { None } else { Some(together(c)?) };
            // Whole days, so that the country's day and operator windows fall inside it.
            Some(FirstSeen {
                window: (c, start.div_euclid(DAY) * DAY, (end - 1).div_euclid(DAY) * DAY + DAY),
                busiest: with.map_or(busiest, |w| w.0),
                usual,
                one_operator,
                together: with.map_or(1, |w| w.1),
            })
        })
        .collect()
}

/// Countries first seen within a day of one another from which their new numbers are weighed
/// together.
pub const TOGETHER: usize = 3;

/// A country first seen after the data's first day that is flagged.
#[derive(Debug, Clone, Copy)]
struct FirstSeen {
    /// (country, start, end) of the days of its new numbers.
    window: (usize, i64, i64),
    busiest: f64,
    /// The account's median day of new numbers.
    usual: f64,
    /// The share of its new numbers under one operator prefix, when that flagged it.
    one_operator: Option<f64>,
    /// The countries first seen within a day of it whose new numbers were weighed with its
    /// (`busiest` is theirs together), or 1.
    together: usize,
}

/// A country whose first send comes this long after the data's first (a night and more: a
/// market of `min_new_day` users a day sends in its every waking hour), whose first day is
/// busy and which sends on later days in the hours it was silent, is first seen on the data's
/// first day too (an attack that starts in its evening).
pub const FIRST_SEEN_AFTER: i64 = 12 * HOUR;

/// A country first seen whose new numbers fall this much under one operator prefix is pumped
/// (with [`ONE_OPERATOR_MIN`] of them), however few a day.
pub const ONE_OPERATOR: f64 = 0.9;
/// New numbers a country first seen needs for [`ONE_OPERATOR`].
pub const ONE_OPERATOR_MIN: f64 = 60.0;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;
    use rand::{RngExt, SeedableRng};

    fn detect(rows: &[Row], facts: &Facts, base: &Baseline, p: &Params) -> Vec<Finding> {
        super::detect(rows, &Numbers::of(rows, facts, &base.numbers), &CountryTable::of(rows, facts), facts, base, p)
    }

    #[test]
    fn an_operator_prefix_is_the_first_three_national_digits() {
        for nlen in 1..=20u8 {
            let national = 12_345_678_901_234_567_890u64 / 10u64.pow(20 - u32::from(nlen));
            let want = if nlen >= 6 { 1000 + (national / 10u64.pow(u32::from(nlen) - 3)) as u32 } else { 0 };
            assert_eq!(operator(&row(0, 0, 44, national, nlen)), want, "{nlen} digits");
        }
        assert_eq!(operator(&row(0, 0, 44, 7_700_900_123, 10)), 1770);
    }

    /// `days` of steady traffic: `per_day` sends, a third to returning numbers, spread over ten
    /// operator prefixes (the third national digit).
    fn steady(days: i64, per_day: u64) -> Vec<Row> {
        let mut v = Vec::new();
        for d in 0..days {
            for i in 0..per_day {
                let fresh = 20_000_000 + ((d as u64 * per_day + i) * 7_919) % 9_900_000;
                let n = if i % 3 == 0 && d > 0 { 20_000_000 + (((d as u64 - 1) * per_day + i) * 7_919) % 9_900_000 } else { fresh };
                v.push(row(v.len() as u32, d * DAY + (i as i64 * 86_000_000 / per_day as i64), 371, n, 8));
            }
        }
        v
    }

    #[test]
    fn a_country_first_seen_whose_few_numbers_share_one_operator_is_medium() {
        // 14 days of LV; from day 3, `n` new numbers over eight days to a country never sent to
        // (45 a day: under min_new_day), under `prefixes` operator prefixes.
        let with = |cc: u16, region: [u8; 2], n: u64, prefixes: u64| {
            let mut rows = steady(14, 400);
            let base = rows.len() as u32;
            for i in 0..n {
                let national = 3_000_000_000 + (i % prefixes) * 10_000_000 + i * 7_919 % 1_000_000;
                rows.push(Row { region, ..row(base + i as u32, 3 * DAY + i as i64 * (8 * DAY / n as i64), cc, national, 10) });
            }
            rows.sort_by_key(|r| r.ts);
            let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
            f.into_iter().find(|f| f.subject == std::str::from_utf8(&region).expect("code"))
        };
        let one = with(92, *b"PK", 365, 1).expect("flagged");
        assert_eq!(one.severity, Severity::Medium, "{}", one.title);
        assert!(one.title.contains("100% under one operator prefix"), "{}", one.title);
        assert_eq!(one.metrics["one_operator_share"], 1.0);
        // At the edges: 60 numbers are enough, 59 not.
        assert!(with(92, *b"PK", 60, 1).is_some());
        assert!(with(92, *b"PK", 59, 1).is_none());
        assert!(with(92, *b"PK", 365, 2).is_none(), "half under each of two prefixes: a market");
        // +1: the first three digits are an area code, not an operator.
        assert!(with(1, *b"KY", 365, 1).is_none());
    }

    #[test]
    fn the_second_day_is_judged_when_the_data_starts_within_an_hour_of_midnight() {
        // 14 days of LV, the first send `late` after midnight; on the second day 600 new numbers,
        // 25 an hour (no hour stands out): a day spike only.
        let with = |late: i64| {
            let mut rows = steady(14, 400);
            rows.iter_mut().for_each(|r| r.ts += late);
            for i in 0..600u64 {
                rows.push(row(0, DAY + HOUR + i as i64 * (22 * HOUR / 600), 371, 29_950_000 + i * 7, 8));
            }
            let f = scan(rows);
            f.into_iter().any(|f| f.severity >= Severity::Medium && f.start >= DAY && f.end <= 2 * DAY && f.rows.len() >= 600)
        };
        assert!(with(0), "from midnight");
        assert!(with(3 * 60_000), "three minutes after: a day less three minutes of history");
        assert!(with(59 * 60_000), "23 h 1 min of history");
        assert!(!with(61 * 60_000), "22 h 59 min: too little history to tell a new number");
    }

    #[test]
    fn concentration_in_an_operator_at_its_edges() {
        // Three times the usual share, and over half.
        assert!(concentrated_in(0.5, 0.16, 3.0));
        assert!(!concentrated_in(0.49, 0.1, 3.0), "under half");
        assert!(!concentrated_in(0.47, 0.16, 3.0));
        // A prefix that usually holds 38 % (a two-digit one): the rest from 62 % to a third of it.
        assert!(concentrated_in(0.936, 0.38, 3.0));
        assert!(concentrated_in(0.80, 0.38, 3.0), "the rest at 20 %, under 62 / 3 %");
        assert!(!concentrated_in(0.79, 0.38, 3.0));
        // Over half of the country usually: its share cannot tell (Greece's 69 holds all).
        assert!(!concentrated_in(0.99, 0.55, 3.0));
        assert!(!concentrated_in(1.0, 1.0, 3.0));
        // A surge of real users keeps the usual shares.
        assert!(!concentrated_in(0.4, 0.4, 3.0));
    }

    #[test]
    fn an_attack_over_one_two_digit_prefix_is_an_operator_spike_at_medium() {
        // 14 days of LV (numbers 20-29 million: ten two-digit prefixes, a hundred three-digit);
        // on day 9, 1,500 sends to random new numbers under +37129, a tenth in each of its ten
        // three-digit prefixes: none of those stands out alone, +37129 does.
        let mut rows = steady(14, 400);
        let base = rows.len() as u32;
        let mut rng = 0x9e37_79b9_u64;
        for i in 0..1500u32 {
            rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let national = 29_000_000 + (rng >> 33) % 1_000_000;
            rows.push(row(base + i, 9 * DAY + 8 * 3_600_000 + i64::from(i) * 20_000, 371, national, 8));
        }
        rows.sort_by_key(|r| r.ts);
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        let two = f.iter().find(|f| f.subject == "+37129").expect("the two-digit prefix is flagged");
        assert_eq!(two.severity, Severity::Medium, "{}", two.title);
        assert_eq!(two.subject_kind, "operator_prefix");
        assert_eq!(two.metrics["operator_digits"], 2.0);
        // Its evidence is the attack's sends (the prefix's usual new users of the day aside).
        let attack = two.rows.iter().filter(|&&r| r >= base).count();
        assert!(attack >= 1400 && attack as f64 >= 0.95 * two.rows.len() as f64, "{attack} of {}", two.rows.len());
        assert!(!f.iter().any(|f| f.subject.starts_with("+37129") && f.subject.len() == 7 && f.severity >= Severity::Medium));
    }

    #[test]
    fn robust_baseline_and_spike_edges() {
        assert_eq!(robust(&[1.0, 2.0, 3.0, 100.0]), (2.5, 1.0));
        assert!(!spike(200.0, 100.0, 5.0, 8.0, 150.0), "150 above the median is needed");
        assert!(spike(250.0, 100.0, 5.0, 8.0, 150.0));
        assert!(!spike(250.0, 100.0, 20.0, 8.0, 150.0), "within 8 MADs");
    }

    #[test]
    fn a_flagged_days_evidence_spans_its_busy_hours() {
        let at = |idx: u32, minute: i64| row(idx, 5 * DAY + minute * 60_000, 371, 29_500_000 + u64::from(idx), 8);
        // Five usual new users in the morning, an attack from 17:00 to 23:59 with a quiet hour
        // (20:00) holding one usual user, nothing after.
        let mut rows: Vec<Row> = [8, 10, 11, 13, 15].iter().map(|h| at(*h as u32, h * 60 + 5)).collect();
        let attack_hours = [17, 18, 19, 21, 22, 23];
        for (k, h) in attack_hours.iter().enumerate() {
            rows.extend((0..30).map(|m| at(100 + (k * 30 + m) as u32, h * 60 + m as i64 * 2)));
        }
        rows.push(at(99, 20 * 60 + 30));
        let kept = busy_span(rows.iter().collect(), 5 * DAY, 9.0);
        assert_eq!(kept.len(), 6 * 30 + 1, "the attack and the quiet hour inside it");
        assert!(kept.iter().all(|r| r.ts >= 5 * DAY + 17 * HOUR), "the morning's usual new users are left out");
        // A slow attack, two sends an hour all day, over a usual 9 a day: every send stays.
        let slow: Vec<Row> = (0..48).map(|i| at(i, i64::from(i) * 30)).collect();
        assert_eq!(busy_span(slow.iter().collect(), 5 * DAY, 9.0).len(), 48);
        // A lone new user in the last hour, 22 quiet hours after an hour-long attack, is left
        // out: the quiet hours between cost more (0.75 each) than it adds.
        let mut edge: Vec<Row> = (0..60).map(|i| at(i, i64::from(i))).collect();
        edge.push(at(200, 23 * 60 + 30));
        assert_eq!(busy_span(edge.iter().collect(), 5 * DAY, 9.0).len(), 60);
        // An attack from 16:50, 35 sends an hour, and usual new users at 15:40 and 16:35 (in
        // the hours before, which the hourly span takes in): the attack's first ten minutes stay,
        // the usual users, an hour and 15 minutes before it, are left out.
        let mut start: Vec<Row> = (0..250).map(|i| at(i, 16 * 60 + 50 + i64::from(i) * 60 / 35)).collect();
        start.extend([at(300, 15 * 60 + 40), at(301, 16 * 60 + 35)]);
        let kept = busy_span(start.iter().collect(), 5 * DAY, 9.0);
        assert_eq!(kept.len(), 250);
        assert!(kept.iter().all(|r| r.idx < 300));
        // A usual user a minute before the attack cannot be told from it: kept.
        start.push(at(302, 16 * 60 + 49));
        assert_eq!(busy_span(start.iter().collect(), 5 * DAY, 9.0).len(), 251);
    }

    #[test]
    fn operators_over_a_long_period_are_counted_as_in_a_short_one() {
        // 70 days (over `DENSE_DAYS`: operators counted in a map): the same spike as in 14.
        for days in [14, 70] {
            let mut rows = steady(days, 400);
            let n = rows.len() as u32;
            for i in 0..1500u64 {
                rows.push(row(n + i as u32, (days - 5) * DAY + 8 * 3_600_000 + i as i64 * 24_000, 371, 29_500_000 + i * 61, 8));
            }
            let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
            let op = f.iter().find(|f| f.subject_kind == "operator_prefix" && f.severity == Severity::Medium);
            // Its evidence: every attack send to a number not seen before.
            let seen: Set<u64> = rows[..n as usize].iter().map(|r| r.national).collect();
            let new_sends: Vec<u32> = (n..n + 1500).filter(|&i| !seen.contains(&rows[i as usize].national)).collect();
            assert!(
                op.is_some_and(|f| f.subject == "+371295" && f.rows.iter().copied().filter(|&i| i >= n).eq(new_sends.iter().copied())),
                "{days} days: {:?}",
                f.iter().map(|f| (&f.title, f.severity)).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn one_operator_spike_is_medium_and_a_country_wide_surge_is_low() {
        let mut rows = steady(14, 400);
        let n = rows.len() as u32;
        // 1,500 new numbers in ten hours under one operator prefix (371 295...).
        for i in 0..1500u64 {
            rows.push(row(n + i as u32, 9 * DAY + 8 * 3_600_000 + i as i64 * 24_000, 371, 29_500_000 + i * 61, 8));
        }
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        let op: Vec<&Finding> = f.iter().filter(|f| f.subject_kind == "operator_prefix").collect();
        assert!(
            op.iter().any(|f| f.severity == Severity::Medium && f.subject == "+371295"),
            "{:?}",
            f.iter().map(|f| (&f.title, f.severity)).collect::<Vec<_>>()
        );
        let medium = op.iter().find(|f| f.severity == Severity::Medium).expect("medium");
        // Every attack send to a number not seen before is evidence, and only those.
        let seen: Set<u64> = rows[..n as usize].iter().map(|r| r.national).collect();
        let new_sends: Vec<u32> = (n..n + 1500).filter(|&i| !seen.contains(&rows[i as usize].national)).collect();
        let attack: Vec<u32> = medium.rows.iter().copied().filter(|&i| i >= n).collect();
        assert_eq!(attack, new_sends, "every attack send to a new number is evidence");
        // A surge over every operator: new numbers, but spread as usual.
        let mut rows = steady(14, 400);
        let n = rows.len() as u32;
        for i in 0..2000u64 {
            rows.push(row(n + i as u32, 9 * DAY + 8 * 3_600_000 + i as i64 * 9_000, 371, 20_000_000 + (i * 4_999_999) % 9_900_000, 8));
        }
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        assert!(!f.is_empty());
        assert!(f.iter().all(|f| f.severity <= Severity::Low), "{:?}", f.iter().map(|f| (&f.title, f.severity)).collect::<Vec<_>>());
    }

    #[test]
    fn a_country_late_on_the_first_day_is_first_seen_when_it_sends_in_its_silent_hours_later() {
        // Country 0 sends all day, 400 new numbers a day; country 1 from 13:00 on the data's
        // first day, 400 new numbers a day from 13:00 to 22:00 UTC (a market that wakes at
        // noon UTC), and in `night` also from 02:00 to 05:00 on later days (an attack that
        // runs through the night).
        let cells = |night: bool| {
            let mut cells: BTreeMap<(usize, u32, i64, i64), f64> = BTreeMap::new();
            for d in 0..14i64 {
                cells.insert((0, 0, DAY, d), 400.0);
                cells.insert((1, 0, DAY, d), 400.0);
                for h in 0..24 {
                    cells.insert((0, 0, HOUR, d * 24 + h), 400.0 / 24.0);
                }
                for h in 13..23 {
                    cells.insert((1, 0, HOUR, d * 24 + h), 40.0);
                }
                if night && d > 0 {
                    for h in 2..6 {
                        cells.insert((1, 0, HOUR, d * 24 + h), 40.0);
                    }
                }
            }
            cells
        };
        let seen = |night: bool| first_seen_countries(&cells(night), 0, 150.0, |_| false).iter().map(|f| f.window.0).collect::<Vec<_>>();
        assert_eq!(seen(false), Vec::<usize>::new(), "silent every morning: a market's hours");
        assert_eq!(seen(true), vec![1]);
        // The data from 11:30: 13:00 is under `FIRST_SEEN_AFTER` after its first send.
        assert!(first_seen_countries(&cells(true), 11 * HOUR + HOUR / 2, 150.0, |_| false).is_empty());
    }

    #[test]
    fn countries_first_seen_together_are_weighed_together_and_not_as_the_usual_day() {
        // Country 0: 300 new numbers a day over 14 days (the account's usual day). From day 3
        // (the c-th from day 3 + `stagger`·(c − 1)), `n` countries never sent to, 60 new
        // numbers a day each, every day to the end (each under `min_day` and half the usual
        // day; together, from three, over both).
        let cells = |n: usize, stagger: i64| {
            let mut cells: BTreeMap<(usize, u32, i64, i64), f64> = BTreeMap::new();
            for d in 0..14i64 {
                cells.insert((0, 0, DAY, d), 300.0);
                for h in 0..24 {
                    cells.insert((0, 0, HOUR, d * 24 + h), 12.5);
                }
                for c in 1..=n {
                    let from = 3 + stagger * (c as i64 - 1);
                    if d >= from {
                        cells.insert((c, 0, DAY, d), 60.0);
                        for h in 8..20 {
                            cells.insert((c, 0, HOUR, d * 24 + h), 5.0);
                        }
                    }
                }
            }
            cells
        };
        let seen = |n: usize, stagger: i64| first_seen_countries(&cells(n, stagger), 0, 150.0, |_| false);
        assert!(seen(2, 0).is_empty(), "two countries: 120 a day, under the volume test");
        let three = seen(3, 0);
        assert_eq!(three.iter().map(|f| f.window.0).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert!(three.iter().all(|f| f.together == 3 && f.busiest == 180.0 && f.usual == 300.0), "{three:?}");
        assert_eq!(three[0].window, (1, 3 * DAY, 14 * DAY));
        // A day apart is together; two days apart is not.
        assert_eq!(seen(3, 1).len(), 3);
        assert!(seen(3, 2).is_empty());
        // The three's 180 a day from day 3 to the end are most of the days: counted in the
        // account's usual day they would make it 480, and 180 would be under its half. The usual
        // day is country 0's alone (asserted above), and so with fifteen countries.
        let many = seen(15, 0);
        assert_eq!(many.len(), 15);
        assert!(many.iter().all(|f| f.usual == 300.0 && f.busiest == 900.0), "{:?}", many[0]);
    }

    #[test]
    fn a_country_never_sent_to_is_weighed_against_the_account() {
        // 1,500 sends to 1,500 numbers of a country first seen on day 8 (a calling code of its own).
        let pumped = || {
            let mut rows = steady(14, 400);
            let n = rows.len() as u32;
            for i in 0..1500u64 {
                let mut r = row(n + i as u32, 8 * DAY + 10 * 3_600_000 + i as i64 * 20_000, 880, 1_880_000_000 + i * 6_007, 10);
                r.region = *b"BD";
                rows.push(r);
            }
            rows
        };
        let f = detect(&pumped(), &crate::detect::facts::Facts::of(&pumped()), &Baseline::default(), &Params::default());
        let bd = f.iter().find(|f| f.subject == "BD" && f.subject_kind == "country").expect("found");
        assert_eq!(bd.severity, Severity::Medium, "{}", bd.title);
        assert!(bd.title.contains("a country never sent to before"), "{}", bd.title);
        assert_eq!(bd.rows.len(), 1500);
        // A new market: the same country from day 8, 20 a day growing to 60.
        let mut rows = steady(14, 400);
        let n = rows.len() as u32;
        let mut k = 0u32;
        for d in 8..14i64 {
            for i in 0..(20 + (d - 8) * 8) {
                let mut r = row(n + k, d * DAY + 9 * 3_600_000 + i * 300_000, 880, 1_700_000_000 + u64::from(k) * 7_919_111, 10);
                r.region = *b"BD";
                rows.push(r);
                k += 1;
            }
        }
        assert!(
            detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default())
                .iter()
                .all(|f| f.subject != "BD")
        );
        // The attack from 20:00 on the data's first day (LV sending since 00:00), into the
        // next: first seen all the same, its window from the first day. From 08:00, under
        // `FIRST_SEEN_AFTER`: a country whose users may still be asleep, not judged as new.
        let late = |hour: i64| {
            let mut rows = steady(14, 400);
            let n = rows.len() as u32;
            for i in 0..1500u64 {
                let mut r = row(n + i as u32, hour * 3_600_000 + i as i64 * 20_000, 880, 1_880_000_000 + i * 6_007, 10);
                r.region = *b"BD";
                rows.push(r);
            }
            detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default())
        };
        let f = late(20);
        let bd = f.iter().find(|f| f.subject == "BD" && f.subject_kind == "country").expect("found");
        assert!(bd.title.contains("a country never sent to before") && bd.severity == Severity::Medium, "{}", bd.title);
        assert_eq!((bd.start, bd.end, bd.rows.len()), (0, 2 * DAY, 1500));
        assert!(late(8).iter().all(|f| !f.title.contains("never sent to")));
        // Two sends from 14:00 on the data's first day (a small country's users), the attack on
        // day 8: not first seen, and the two are no evidence.
        let mut small = steady(14, 400);
        let n = small.len() as u32;
        for (i, (t, national)) in [(14 * 3_600_000, 1_770_000_001u64), (15 * 3_600_000, 1_770_000_002)].into_iter().enumerate() {
            let mut r = row(n + i as u32, t, 880, national, 10);
            r.region = *b"BD";
            small.push(r);
        }
        let n = small.len() as u32;
        for i in 0..1500u64 {
            let mut r = row(n + i as u32, 8 * DAY + 10 * 3_600_000 + i as i64 * 20_000, 880, 1_880_000_000 + i * 6_007, 10);
            r.region = *b"BD";
            small.push(r);
        }
        let f = detect(&small, &crate::detect::facts::Facts::of(&small), &Baseline::default(), &Params::default());
        assert!(f.iter().all(|f| !f.title.contains("never sent to")), "{:?}", f.iter().map(|f| &f.title).collect::<Vec<_>>());
        assert!(f.iter().all(|f| f.rows.iter().all(|&r| r >= n)), "the users' two sends are no evidence");
        // The same country in `--baseline`: not new, and its spike has no history here to beat.
        let base: Vec<Row> = rows.iter().filter(|r| r.region == *b"BD").copied().collect();
        let f = detect(&pumped(), &crate::detect::facts::Facts::of(&pumped()), &Baseline::learn(&base), &Params::default());
        assert!(f.iter().all(|f| !f.title.contains("never sent to")), "{:?}", f.iter().map(|f| &f.title).collect::<Vec<_>>());
    }

    #[test]
    fn staff_numbers_that_come_back_are_customers_and_the_first_day_is_not_judged() {
        let mut rows = steady(14, 400);
        let n = rows.len() as u32;
        // A business customer's 300 staff start on day 5 under one operator and message daily.
        for d in 5..14i64 {
            for s in 0..300u64 {
                rows.push(row(
                    n + (d as u32 - 5) * 300 + s as u32,
                    d * DAY + 9 * 3_600_000 + s as i64 * 60_000,
                    371,
                    29_500_000 + s * 7,
                    8,
                ));
            }
        }
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        let op: Vec<&Finding> = f.iter().filter(|f| f.subject == "+371295").collect();
        assert!(!op.is_empty(), "the new block is seen");
        assert!(
            op.iter().all(|f| f.severity == Severity::Low && f.note.contains("come back")),
            "{:?}",
            op.iter().map(|f| (&f.title, &f.note)).collect::<Vec<_>>()
        );
        // The same numbers all on the data's first day: not judged at all.
        let mut first_day = steady(14, 400);
        let n = first_day.len() as u32;
        for s in 0..1500u64 {
            first_day.push(row(n + s as u32, 3 * 3_600_000 + s as i64 * 20_000, 371, 29_500_000 + s * 7, 8));
        }
        assert!(
            detect(&first_day, &crate::detect::facts::Facts::of(&first_day), &Baseline::default(), &Params::default())
                .iter()
                .all(|f| f.start >= DAY)
        );
    }

    /// `days` of a country's users: `per_day` sends between 07:00 and 23:00 UTC, every third to
    /// a number of the day before (a returning user).
    fn users(cc: u16, region: [u8; 2], days: i64, per_day: u64) -> Vec<Row> {
        let number = |d: u64, i: u64| 700_000_000 + (d * per_day + i) * 7_919 % 90_000_000;
        let mut v = Vec::new();
        for d in 0..days {
            for i in 0..per_day {
                let n = if i % 3 == 0 && d > 0 { number(d as u64 - 1, i + 1) } else { number(d as u64, i) };
                let ts = d * DAY + 7 * HOUR + i as i64 * (16 * HOUR / per_day as i64);
                v.push(Row { region, ..row(0, ts, cc, n, 9) });
            }
        }
        v
    }

    fn scan(mut rows: Vec<Row>) -> Vec<Finding> {
        rows.sort_by_key(|r| r.ts);
        for (i, r) in rows.iter_mut().enumerate() {
            r.idx = i as u32;
        }
        detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default())
    }

    #[test]
    fn rows_in_either_time_order_or_none_give_the_same_findings() {
        // Users of two markets, a trickle round the clock, and a burst of new numbers under one
        // operator, some of which verify or come back: every path of the evidence pass.
        let mut rows = users(44, *b"GB", 6, 300);
        rows.extend(users(33, *b"FR", 6, 200));
        for d in 0..6 {
            for i in 0..60u64 {
                let n = 3_000_000_000 + (d as u64 * 60 + i) * 104_729;
                rows.push(Row { region: *b"PK", ..row(0, d * DAY + i as i64 * (DAY / 60) + 1_000, 92, n, 10) });
            }
        }
        for i in 0..200u64 {
            let mut r = Row { region: *b"GB", ..row(0, 4 * DAY + 2 * HOUR + i as i64 * 40_000, 44, 755_000_000 + i * 37, 9) };
            if i % 10 == 0 {
                r.bits |= crate::store::bits::CONVERSION_KNOWN | crate::store::bits::CONVERTED;
            }
            rows.push(r);
            if i % 25 == 0 {
                rows.push(Row { ts: 5 * DAY + i as i64 * 1000, ..r });
            }
        }
        // A finding as compared: its title and metrics, severity, and evidence (time, number).
        type Seen = (String, Severity, Vec<(i64, u64)>);
        let order = |rows: &mut Vec<Row>| {
            for (i, r) in rows.iter_mut().enumerate() {
                r.idx = i as u32;
            }
            let f = detect(rows, &crate::detect::facts::Facts::of(rows), &Baseline::default(), &Params::default());
            // The title, the metrics (the returning share among them) and the evidence.
            let mut seen: Vec<Seen> = f
                .iter()
                .map(|f| {
                    let mut ev: Vec<(i64, u64)> = f.rows.iter().map(|&i| (rows[i as usize].ts, rows[i as usize].national)).collect();
                    ev.sort_unstable();
                    (format!("{} {:?}", f.title, f.metrics), f.severity, ev)
                })
                .collect();
            seen.sort();
            seen
        };
        rows.sort_by_key(|r| (r.ts, r.national));
        let ascending = order(&mut rows);
        assert!(ascending.iter().any(|f| f.0.contains("round the clock")), "{ascending:?}");
        assert!(ascending.iter().any(|f| f.0.starts_with("+44755") && f.0.contains("\"returning_share\": 0.0222") && f.2.len() > 100));
        rows.reverse();
        assert_eq!(order(&mut rows), ascending, "descending");
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for i in (1..rows.len()).rev() {
            rows.swap(i, rng.random_range(0..=i));
        }
        assert_eq!(order(&mut rows), ascending, "no order");
    }

    fn round_the_clock(f: &[Finding]) -> Vec<&Finding> {
        f.iter().filter(|f| f.title.contains("round the clock")).collect()
    }

    #[test]
    fn a_trickle_round_the_clock_to_numbers_that_never_return_is_medium() {
        // 12 sends a day to Pakistan, one every two hours, each to a number never sent to before
        // (`per_day` of them, over `days`); one number comes back a day later.
        let traffic = |days: i64, per_day: u64| {
            let mut rows = users(44, *b"GB", days, 300);
            rows.extend(users(33, *b"FR", days, 200));
            for d in 0..days {
                for i in 0..per_day {
                    let n = 3_000_000_000 + (d as u64 * per_day + i) * 104_729;
                    rows.push(Row { region: *b"PK", ..row(0, d * DAY + i as i64 * (DAY / per_day as i64) + 1_000, 92, n, 10) });
                }
            }
            rows.push(Row { region: *b"PK", ..row(0, DAY + 3 * HOUR, 92, 3_000_000_000, 10) });
            rows
        };
        // Two days, even of 60 a day, are not judged: no history.
        assert!(round_the_clock(&scan(traffic(2, 60))).is_empty());
        assert_eq!(round_the_clock(&scan(traffic(3, 60))).len(), 1);
        let f = scan(traffic(14, 12));
        let clock = round_the_clock(&f);
        assert_eq!(clock.len(), 1, "{:?}", f.iter().map(|f| &f.title).collect::<Vec<_>>());
        let pk = clock[0];
        assert_eq!((pk.subject.as_str(), pk.severity), ("PK", Severity::Medium), "{}", pk.title);
        assert_eq!(pk.rows.len(), 167, "every send but the two to the number that came back");
        assert!((pk.metrics["quiet_hours_share"] - 0.25).abs() < 0.01, "{:?}", pk.metrics);
        assert!(pk.metrics["usual_repeat_share"] > 0.1, "{:?}", pk.metrics);
        assert!(pk.title.contains("over 14 days"), "{}", pk.title);
        // A burst into Pakistan on day 7 is its own finding: the day is neither weighed nor
        // the round-the-clock finding's evidence.
        let mut rows = traffic(14, 12);
        for i in 0..600u64 {
            rows.push(Row { region: *b"PK", ..row(0, 7 * DAY + 3 * HOUR + i as i64 * 5_000, 92, 3_500_000_000 + i * 11, 10) });
        }
        rows.sort_by_key(|r| r.ts);
        let f = scan(rows.clone());
        let clock = round_the_clock(&f);
        assert_eq!(clock.len(), 1, "{:?}", f.iter().map(|f| &f.title).collect::<Vec<_>>());
        assert_eq!(clock[0].rows.len(), 167 - 12, "the trickle's own sends of day 7 are left out too");
        assert!(clock[0].rows.iter().all(|&i| rows[i as usize].ts.div_euclid(DAY) != 7));
        assert!(f.iter().any(|f| f.country.as_deref() == Some("PK") && f.start >= 7 * DAY && f.end <= 8 * DAY && f.rows.len() >= 600));
    }

    #[test]
    fn a_burst_day_does_not_make_its_country_round_the_clock() {
        // Few users in GB, and on day 7 a day-long burst of 3,000 new numbers at every hour: with
        // day 7 counted, GB's sends would be round the clock and rarely repeat. The day is flagged
        // as a spike and left out of the whole-period test.
        let mut rows = users(44, *b"GB", 14, 50);
        rows.extend(users(33, *b"FR", 14, 200));
        rows.extend(users(49, *b"DE", 14, 150));
        for i in 0..3000u64 {
            rows.push(Row { region: *b"GB", ..row(0, 7 * DAY + i as i64 * 28_800, 44, 100_000_000 + i * 13, 9) });
        }
        let f = scan(rows);
        let titles = f.iter().map(|f| &f.title).collect::<Vec<_>>();
        assert!(f.iter().any(|f| f.country.as_deref() == Some("GB") && f.start == 7 * DAY && f.end == 8 * DAY), "{titles:?}");
        assert!(round_the_clock(&f).is_empty(), "{titles:?}");
    }
}
