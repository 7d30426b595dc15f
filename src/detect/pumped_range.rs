//! `pumped-range`: number ranges holding far more distinct destinations than the country's
//! traffic puts into a range of that size.
//!
//! A range is a block of 10^L numbers: the national number minus its last L digits (L = 1..6).
//! For each block with D distinct destinations the expected count λ comes from two sources:
//! the numbering model (the country's N distinct numbers spread over 10^(len-1) possible
//! numbers gives N·10^L/10^(len-1)), and, where the country has a spread customer base (at
//! least `min_blocks` occupied 10^4 ranges), the 90th percentile of its blocks' occupancy. Legit customers cluster, and unevenly: numbering-plan
//! blocks hold different numbers of active ranges, so occupancy is overdispersed and a median
//! baseline makes coarse blocks (10^5, 10^6) look pumped (measured: 10-14 false `low` ranges per
//! simulated 14-day account). The 90th percentile follows that dispersion and stays robust while
//! attack blocks are under a tenth of a served country's occupied blocks. A country with few occupied blocks has no
//! evidence of a spread customer base, so it gets the model alone: the attack cannot become its
//! own baseline. The score is the Chernoff bound of the Poisson tail,
//! −ln P(X ≥ D) ≥ D·ln(D/λ) − D + λ, and D must also be `min_fold` (3) times λ: for large λ
//! the Poisson tail is far too thin (block-to-block variation of legit occupancy grows with λ;
//! measured on 10 M simulated rows, legit 10^5 blocks ran 1.33× their baseline with scores near
//! 500), while pumping concentrates many-fold (170× in the simulated hidden attack). Nested
//! blocks collapse to the most significant level:
//! the tightest range that explains the traffic. With `--baseline`, the occupancy comes from the
//! known-clean period instead, scaled by the ratio of distinct numbers (scanned / baseline).

use super::baseline::Baseline;
use super::character;
use super::country_table::CountryTable;
use super::facts::Facts;
use super::numbers::Numbers;
use super::occupancy::{MAX_LEVEL, Occupancy, Packed, Plan, low, pack, plan_of};
use super::{CallingCodes, Detector, Finding, Param, Params, Row, Severity};
use crate::hash::{Map, Set};
use std::collections::BTreeMap;

pub const DETECTOR: Detector = Detector {
    id: "pumped-range",
    title: "Pumped number range",
    flags: "the tightest ranges (national number minus 1-6 digits) with improbably many distinct destinations for the country, with sequential runs",
    params: &[
        Param { name: "min_distinct", default: 12.0, about: "distinct destinations a range needs before it is judged" },
        Param { name: "min_score", default: 25.0, about: "Chernoff score (-ln p) a range needs to be reported" },
        Param { name: "strong_score", default: 60.0, about: "score from which the finding is at least medium (else low)" },
        Param { name: "min_fold", default: 3.0, about: "distinct destinations must also be this many times the expected count" },
        Param {
            name: "min_blocks",
            default: 30.0,
            about: "occupied blocks a country needs before its occupancy (90th percentile) counts as baseline",
        },
    ],
};

/// −ln of the Poisson upper tail, Chernoff bound.
pub fn score(d: f64, lambda: f64) -> f64 {
    if d <= lambda { 0.0 } else { d * (d / lambda).ln() - d + lambda }
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    cc: u16,
    nlen: u8,
    level: u32,
    prefix: u64,
    distinct: u64,
    score: f64,
    lambda: f64,
}

impl Candidate {
    fn contains(&self, o: &Candidate) -> bool {
        self.cc == o.cc && self.nlen == o.nlen && self.level >= o.level && o.prefix / 10u64.pow(self.level - o.level) == self.prefix
    }
}

const DAY: i64 = 86_400_000;
/// The longest period whose new numbers are tallied by day for the plans' arrivals.
const MAX_TALLY_DAYS: usize = 1 << 14;

/// Longest run of consecutive numbers in a sorted, deduplicated list.
pub fn longest_run(sorted: &[u64]) -> u64 {
    let (mut best, mut cur) = (0u64, 0u64);
    for (i, n) in sorted.iter().enumerate() {
        cur = if i > 0 && *n == sorted[i - 1] + 1 { cur + 1 } else { 1 };
        best = best.max(cur);
    }
    best
}

/// Plans with a spread customer base: at least `min_blocks` occupied 10^4 ranges. Judged once,
/// at one level: one level down, an attack on three ranges already occupies thirty blocks, and
/// would become its own baseline.
fn spread(occ: &Occupancy, plan: Plan, min_blocks: f64) -> bool {
    occ.level(4).blocks.get(&plan).is_some_and(|&n| n as f64 >= min_blocks)
}

/// `numbers`: [`Numbers::of`] the rows.
/// `table`: the rows' countries ([`CountryTable`]), whose bytes find the accepted ranges' rows.
pub fn detect(rows: &[Row], numbers: &Numbers, table: &CountryTable, facts: &Facts, base: &Baseline, p: &Params) -> Vec<Finding> {
    let id = DETECTOR.id;
    let (min_distinct, min_score, strong, min_blocks) =
        (p.get(id, "min_distinct"), p.get(id, "min_score"), p.get(id, "strong_score"), p.get(id, "min_blocks"));
    let min_fold = p.get(id, "min_fold");
    let (own, learned) = (Occupancy::of_sorted([&numbers.distinct[0], &numbers.distinct[1]], min_distinct), &base.occupancy);
    // Per level: the expected distinct count of a block of each plan.
    let expected: Vec<Map<Plan, f64>> = (1..=MAX_LEVEL)
        .map(|level| {
            let div = 10u64.pow(level);
            own.per_plan
                .iter()
                .map(|(&(cc, nlen), &count)| {
                    let plan = (cc, nlen);
                    let n = count as f64;
                    let empirical = if base.is_empty() {
                        own.level(level).typical.get(&plan).copied().filter(|_| spread(&own, plan, min_blocks))
                    } else {
                        learned
                            .level(level)
                            .typical
                            .get(&plan)
                            .filter(|_| spread(learned, plan, min_blocks))
                            .map(|q| q * n / learned.per_plan.get(&plan).copied().unwrap_or(1).max(1) as f64)
                    };
                    // Coarse blocks (10^5, 10^6) follow the numbering plan, not a uniform
                    // spread: judge them only against the country's own occupancy (NaN: skip).
                    if level >= 5 && empirical.is_none() {
                        return (plan, f64::NAN);
                    }
                    let model = n * div as f64 / 10f64.powi(i32::from(nlen) - 1);
                    (plan, model.max(empirical.unwrap_or(0.0)).max(0.01))
                })
                .collect()
        })
        .collect();
    let mut candidates = Vec::new();
    for level in 1..=MAX_LEVEL {
        let expected_here = &expected[level as usize - 1];
        for h in &own.level(level).heavy {
            let d = h.distinct;
            let ((cc, nlen), prefix) = (plan_of(h.key), low(h.key));
            let lambda = expected_here.get(&(cc, nlen)).copied().unwrap_or(f64::NAN);
            if (d as f64) < min_distinct || lambda.is_nan() {
                continue;
            }
            // A block whose count its active sub-blocks explain, each at the typical occupancy
            // one level down, is allocation structure (several busy ranges), not pumping; its
            // sub-blocks are judged at their own level.
            if level >= 2 {
                let sub = expected[level as usize - 2].get(&(cc, nlen)).copied().filter(|x| !x.is_nan()).unwrap_or(0.0);
                if (d as f64) < min_fold * h.children as f64 * sub {
                    continue;
                }
            }
            let s = score(d as f64, lambda);
            if s >= min_score && d as f64 >= min_fold * lambda {
                candidates.push(Candidate { cc, nlen, level, prefix, distinct: d, score: s, lambda });
            }
        }
    }
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.level.cmp(&b.level)).then(a.prefix.cmp(&b.prefix)));
    let mut accepted: Vec<Candidate> = Vec::new();
    for c in &candidates {
        // The tightest range that explains the traffic: a wider candidate around it whose other
        // numbers are pumped too (their count, beyond the inner range's, is itself improbable)
        // explains more of it, and is taken instead.
        let mut c = *c;
        while let Some(wider) = candidates
            .iter()
            .filter(|p| p.level > c.level && p.contains(&c))
            .filter(|p| {
                let (d, lambda) = ((p.distinct - c.distinct) as f64, (p.lambda - c.lambda).max(0.01));
                score(d, lambda) >= min_score && d >= min_fold * lambda
            })
            .min_by_key(|p| p.level)
        {
            c = *wider;
        }
        if !accepted.iter().any(|a| a.contains(&c) || c.contains(a)) {
            accepted.push(c);
        }
    }
    if accepted.is_empty() {
        return Vec::new();
    }
    // Accepted ranges never nest, so each row belongs to at most one: gather members in one pass
    // (a filter over all rows per range would be O(ranges × rows)). As spans of packed numbers,
    // sorted, a row's range is found by a binary search (a hash lookup a row per level had been
    // most of this detector's time).
    let mut spans: Vec<(Packed, Packed, usize)> = accepted
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let div = 10u64.pow(c.level);
            (pack(c.cc, c.nlen, c.prefix * div), pack(c.cc, c.nlen, (c.prefix + 1) * div - 1), i)
        })
        .collect();
    spans.sort_unstable();
    let codes = CallingCodes::of(accepted.iter().map(|c| c.cc));
    let mut member_lists: Vec<Vec<&Row>> = vec![Vec::new(); accepted.len()];
    // New numbers a day in each accepted range's numbering plan, in the same pass: a holiday
    // brings new users to every block of a country alike (see `Character::arrivals_fold`).
    let mut plans: Vec<(u16, u8)> = accepted.iter().map(|c| (c.cc, c.nlen)).collect();
    plans.sort_unstable();
    plans.dedup();
    let first_day = facts.start.div_euclid(DAY);
    // (Not over a span of centuries, which a hostile export can claim: no tally, no discount.)
    let days = usize::try_from(facts.end.div_euclid(DAY) - first_day + 1).ok().filter(|&d| d <= MAX_TALLY_DAYS).unwrap_or(0);
    let mut plan_new: Vec<Vec<f64>> = vec![vec![0.0; days]; plans.len()];
    // Only the rows of countries that may have the ranges' calling codes (the table's bytes,
    // 10 MB at 9.7M rows, instead of the 390 MB of rows: 40-45 ms on one thread).
    let (countries, ids) = (&table.countries, &table.ids);
    for (i, r) in ids.rows_of(rows, countries, |c| ids.may_have(c, &codes)).filter(|(_, r)| r.nlen > 0 && codes.has(r)) {
        if numbers.is_first.get(i)
            && let Ok(p) = plans.binary_search(&(r.calling_code, r.nlen))
            && let Some(n) = usize::try_from(r.ts.div_euclid(DAY) - first_day).ok().and_then(|d| plan_new[p].get_mut(d))
        {
            *n += 1.0;
        }
        let key = pack(r.calling_code, r.nlen, r.national);
        let at = spans.partition_point(|s| s.0 <= key);
        if let Some(&(_, last, i)) = at.checked_sub(1).map(|j| &spans[j])
            && key <= last
        {
            member_lists[i].push(r);
        }
    }
    // What tells a customer's block from a pumped range: the period, the baseline's numbers and
    // the account's conversion.
    let period = (facts.start, facts.end);
    let account = base.conversion.or(facts.account_conversion);
    accepted
        .iter()
        .zip(member_lists)
        .map(|(c, members)| {
            let div = 10u64.pow(c.level);
            let mut distinct: Vec<u64> = members.iter().map(|r| r.national).collect();
            distinct.sort_unstable();
            distinct.dedup();
            let run = longest_run(&distinct);
            let plan_days: BTreeMap<i64, f64> = plans
                .binary_search(&(c.cc, c.nlen))
                .map(|p| plan_new[p].iter().enumerate().map(|(d, &n)| (first_day + d as i64, n)).collect())
                .unwrap_or_default();
            let ch = character::of(&members, &distinct, div, period, &base.numbers, !base.is_empty(), &plan_days);
            // Evidence: the range's sends while it was pumped, not its ordinary traffic of
            // other days (a legit user whose number is in the block), nor sends to numbers known
            // before the period (the baseline's, or verified earlier: known customers).
            let mut evidence = busy_span(&members, c.lambda, period);
            if !base.numbers.is_empty() {
                evidence.retain(|r| !base.numbers.contains(r.calling_code, r.national));
            }
            let cost: f64 = evidence.iter().map(|r| r.cost).sum();
            let by_density = if c.score >= strong { Severity::by_cost(cost).max(Severity::Medium) } else { Severity::Low };
            // A cap at the density's own level still says what the range looks like.
            let (mut severity, mut note, mut legit_like) = match ch.cap(account) {
                Some((cap, why, legit)) if cap <= by_density => (cap, why, legit),
                _ => (by_density, String::new(), false),
            };
            if evidence.is_empty() {
                // Every send went to numbers known before the period: customers, never evidence.
                legit_like = true;
                if severity > Severity::Low {
                    severity = Severity::Low;
                    note = "every send in it went to numbers known before the period (sent to in the baseline period or verified in --conversions): customers, so at most low".into();
                }
            }
            let range = format!(
                "+{}{:0width$}{}",
                c.cc,
                c.prefix,
                "x".repeat(c.level as usize),
                width = (c.nlen as usize).saturating_sub(c.level as usize)
            );
            let mut metrics = BTreeMap::new();
            metrics.insert("block_size", div as f64);
            metrics.insert("distinct", c.distinct as f64);
            metrics.insert("expected_distinct", c.lambda);
            metrics.insert("score", c.score);
            metrics.insert("density", c.distinct as f64 / div as f64);
            metrics.insert("longest_sequential_run", run as f64);
            ch.metrics(&mut metrics);
            if let Some(a) = account {
                metrics.insert("account_conversion", a);
            }
            let over = if evidence.is_empty() {
                // No evidence (every number known): the window and country are the range's, not
                // 1970 and none; no messages.
                Finding { messages: 0, destinations: 0, cost: 0.0, rows: Vec::new(), ..Finding::over(DETECTOR.id, "number_range", range.clone(), &members) }
            } else {
                Finding::over(DETECTOR.id, "number_range", range.clone(), &evidence)
            };
            Finding {
                severity,
                title: format!("{} distinct numbers in {range} (block of {div})", c.distinct),
                signal: "distinct destinations in the range".into(),
                threshold: format!(
                    "score ≥ {min_score} (−ln p of ≥ {} distinct when {:.2} are expected), ≥ {min_fold}× expected, at least {min_distinct} distinct",
                    c.distinct, c.lambda
                ),
                baseline: format!("{:.2} distinct expected in a block of {div} for this country", c.lambda),
                metrics,
                note,
                legit_like,
                ..over
            }
        })
        .collect()
}

/// Distinct numbers an hour of a range needs to be busy beyond its ordinary traffic: at least
/// this many, and above the Poisson 99.9th percentile of its hourly share of the expected count.
const BUSY_HOUR: f64 = 3.0;

/// Busy hours further apart than this are two events: the span is the one with more numbers.
const BUSY_GAP_HOURS: i64 = 24;

/// The members sent from an hour before the range's first busy hour to an hour after its last
/// (a busy hour has more distinct numbers than its share of `lambda`, the distinct count
/// expected over `period`, explains: see [`BUSY_HOUR`]), when the numbers sent outside that span
/// are no more than the range's ordinary traffic there (its share of `lambda`, up to the Poisson
/// 99.9th percentile): a legit user whose number is in the block, and leaves out the numbers
/// sent to before the span (such a user coming back during it). Else, or when no hour is busy
/// (a slow attack spreads a few a day), all of them. Busy hours more than [`BUSY_GAP_HOURS`]
/// apart are separate runs and the span is the run with the most numbers: three legit users of a
/// coarse block in one hour, days before an attack, had stretched the span over those days and
/// taken every legit send of the block in them as evidence.
fn busy_span<'a>(members: &[&'a Row], lambda: f64, period: (i64, i64)) -> Vec<&'a Row> {
    const HOUR: i64 = 3_600_000;
    let hours = ((period.1 - period.0) / HOUR + 1).max(1) as f64;
    let per_hour = lambda / hours;
    let need = BUSY_HOUR.max(per_hour + 3.1 * per_hour.sqrt() + 1.0);
    let mut by_hour: Vec<(i64, u64)> = members.iter().map(|r| (r.ts.div_euclid(HOUR), r.national)).collect();
    by_hour.sort_unstable();
    by_hour.dedup();
    // Runs of busy hours (first, last, numbers in them); the busiest, the earliest of equals.
    let mut runs: Vec<(i64, i64, usize)> = Vec::new();
    for hour in by_hour.chunk_by(|a, b| a.0 == b.0).filter(|h| h.len() as f64 >= need) {
        match runs.last_mut() {
            Some(run) if hour[0].0 - run.1 <= BUSY_GAP_HOURS => {
                run.1 = hour[0].0;
                run.2 += hour.len();
            }
            _ => runs.push((hour[0].0, hour[0].0, hour.len())),
        }
    }
    let Some(&(first, last, _)) = runs.iter().rev().max_by_key(|r| r.2) else { return members.to_vec() };
    let (from, to) = ((first - 1) * HOUR, (last + 2) * HOUR);
    let inside = |r: &Row| r.ts >= from && r.ts < to;
    let mut outside: Vec<u64> = members.iter().filter(|r| !inside(r)).map(|r| r.national).collect();
    outside.sort_unstable();
    outside.dedup();
    let ordinary = per_hour * (hours - (last - first + 3) as f64).max(0.0);
    if super::explain::fits(outside.len() as f64, ordinary, 1.0) {
        // A number sent to before the span is one of that ordinary traffic coming back.
        let before: Set<u64> = members.iter().filter(|r| r.ts < from).map(|r| r.national).collect();
        members.iter().copied().filter(|r| inside(r) && !before.contains(&r.national)).collect()
    } else {
        members.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(rows: &[Row], facts: &Facts, base: &Baseline, p: &Params) -> Vec<Finding> {
        super::detect(rows, &Numbers::of(rows, facts, &base.numbers), &CountryTable::of(rows, facts), facts, base, p)
    }
    use crate::detect::baseline::Known;
    use crate::detect::tests::row;

    fn legit_spread(n: u64) -> Vec<Row> {
        // one number per 10^5 block: a customer base spread over the numbering plan
        (0..n).map(|i| row(i as u32, i as i64 * 60_000, 371, 20_000_000 + i * 97_613 % 9_000_000, 8)).collect()
    }

    #[test]
    fn the_evidence_is_the_range_s_busy_hours_not_its_ordinary_traffic() {
        const HOUR: i64 = 3_600_000;
        let period = (0, 14 * 24 * HOUR);
        // Five legit users of the block on other days, one an hour (two sends each), and 50 new
        // numbers in two hours.
        let mut rows: Vec<Row> =
            (0..5u64).flat_map(|i| [0, 60_000].map(|d| row(0, (24 + 30 * i as i64) * HOUR + d, 371, 29_990_000 + i * 7, 8))).collect();
        rows.extend((0..50u64).map(|i| row(0, 100 * HOUR + 5 * 60_000 + i as i64 * 140_000, 371, 29_990_100 + i, 8)));
        let members: Vec<&Row> = rows.iter().collect();
        let evidence = busy_span(&members, 4.0, period);
        assert_eq!(evidence.len(), 50);
        assert!(evidence.iter().all(|r| r.national >= 29_990_100));
        // One of the five users comes back during the burst: a user, not evidence.
        let mut back = rows.clone();
        back.push(row(0, 100 * HOUR + 30 * 60_000, 371, 29_990_000, 8));
        let members: Vec<&Row> = back.iter().collect();
        let evidence = busy_span(&members, 4.0, period);
        assert_eq!(evidence.len(), 50);
        assert!(evidence.iter().all(|r| r.national >= 29_990_100));
        let members: Vec<&Row> = rows.iter().collect();
        // Five numbers outside where the range's ordinary traffic is one number (lambda 1.0 over
        // the period): not ordinary traffic (a slow attack's start), so all are kept.
        assert_eq!(busy_span(&members, 1.0, period).len(), 60);
        // Two distinct numbers an hour are not busy (BUSY_HOUR 3): a slow spread keeps all.
        let slow: Vec<Row> = (0..60u64).map(|i| row(0, (i as i64 / 2) * 5 * HOUR, 371, 29_990_000 + i, 8)).collect();
        let members: Vec<&Row> = slow.iter().collect();
        assert_eq!(busy_span(&members, 2.0, period).len(), 60);
        // Three in an hour are, and the span runs from an hour before the first busy hour to an
        // hour after the last (busy hours up to a day apart are one run), when what is outside
        // is ordinary (here, lambda 60).
        let mut edge = slow.clone();
        edge.push(row(0, 5 * HOUR + 1000, 371, 29_990_900, 8));
        edge.push(row(0, 25 * HOUR + 1000, 371, 29_990_901, 8));
        let members: Vec<&Row> = edge.iter().collect();
        let span = busy_span(&members, 60.0, period);
        assert!(span.iter().all(|r| r.ts >= 4 * HOUR && r.ts < 27 * HOUR));
        assert_eq!(span.len(), edge.iter().filter(|r| r.ts >= 4 * HOUR && r.ts < 27 * HOUR).count());
        assert!(span.len() < edge.len());
    }

    #[test]
    fn a_busy_hour_of_legit_users_days_before_the_burst_does_not_stretch_its_span() {
        const HOUR: i64 = 3_600_000;
        let period = (0, 14 * 24 * HOUR);
        // A coarse block's legit users: two a day, three of them in one hour on day 2; then 120
        // new numbers over 30 hours from day 6, and legit users again after it.
        let mut rows: Vec<Row> = (0..28u64).map(|i| row(0, (i as i64 * 12 + 7) * HOUR, 1, 5_032_000_000 + i * 9_173, 10)).collect();
        rows.extend((0..3u64).map(|i| row(0, 50 * HOUR + i as i64 * 600_000, 1, 5_032_500_000 + i * 7_919, 10)));
        let burst: Vec<Row> = (0..120u64).map(|i| row(0, 144 * HOUR + i as i64 * 900_000, 1, 5_032_600_000 + i * 4_111, 10)).collect();
        rows.extend(burst.iter().copied());
        let members: Vec<&Row> = rows.iter().collect();
        // 30 distinct legit numbers expected over the period: the 31 outside are ordinary.
        let evidence = busy_span(&members, 30.0, period);
        let (from, to) = (143 * HOUR, 176 * HOUR);
        assert!(evidence.iter().all(|r| r.ts >= from && r.ts < to), "only the burst's span");
        assert!(burst.iter().all(|b| evidence.iter().any(|e| e.national == b.national)), "every burst number");
        assert!(evidence.len() <= burst.len() + 3, "{} of {} in the span", evidence.len(), burst.len());
        // Two bursts two days apart, the second larger: the span is the second's, the first's
        // numbers are outside and far from ordinary, so all are kept.
        let mut two = rows.clone();
        two.extend((0..200u64).map(|i| row(0, 200 * HOUR + i as i64 * 360_000, 1, 5_032_700_000 + i * 3_001, 10)));
        let members: Vec<&Row> = two.iter().collect();
        assert_eq!(busy_span(&members, 30.0, period).len(), two.len());
    }

    #[test]
    fn sequential_block_is_found_with_its_tightest_range() {
        let mut rows = legit_spread(300);
        for i in 0..40u64 {
            rows.push(row(1000 + i as u32, 3_600_000 + i as i64 * 1000, 371, 29_990_100 + i, 8));
        }
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].subject, "+371299901xx", "the 100-block, not the 1000- or 10-block");
        assert_eq!(f[0].destinations, 40);
        assert_eq!(f[0].metrics["longest_sequential_run"], 40.0);
        assert!(f[0].severity >= Severity::Medium);
    }

    #[test]
    fn a_range_of_numbers_all_known_before_the_period_is_at_most_low() {
        // Known users (verified before the period) that do not verify in it: density alone
        // would say medium, but known customers are never evidence, so there is none.
        let mut rows = legit_spread(300);
        rows.iter_mut().for_each(|r| r.set_converted(Some(true)));
        for i in 0..40u64 {
            let mut r = row(1000 + i as u32, 3_600_000 + i as i64 * 1000, 371, 29_990_100 + i, 8);
            r.set_converted(Some(false));
            rows.push(r);
        }
        let base = Baseline { numbers: Known::of((0..40).map(|i| (371, 29_990_100 + i))), ..Baseline::default() };
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &base, &Params::default());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].severity, f[0].legit_like, f[0].messages), (Severity::Low, true, 0));
        assert!(f[0].note.contains("known before the period"), "{}", f[0].note);
        // Its window and country are the range's, not the epoch and none.
        assert_eq!((f[0].start, f[0].end), (3_600_000, 3_600_000 + 39_000));
        assert_eq!(f[0].country.as_deref(), Some("LV"));
    }

    #[test]
    fn a_wider_range_whose_other_numbers_are_pumped_too_is_taken() {
        // An unserved country: 140 numbers in one 10^3 block and 40 more over the rest of its
        // 10^4 block. The 10^3 block scores highest, but leaves 40 pumped numbers out.
        let mut rows = Vec::new();
        for i in 0..140u64 {
            rows.push(row(i as u32, i as i64 * 1000, 370, 61_795_000 + i * 7, 8));
        }
        for i in 0..40u64 {
            rows.push(row(140 + i as u32, i as i64 * 1000, 370, 61_790_000 + (i % 5) * 1000 + i * 11, 8));
        }
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default());
        assert_eq!(f.len(), 1, "{:?}", f.iter().map(|f| &f.title).collect::<Vec<_>>());
        assert_eq!(f[0].subject, "+3706179xxxx");
        assert_eq!(f[0].rows.len(), 180);
    }

    #[test]
    fn threshold_edge_score_in_a_served_country() {
        // 300 occupied blocks of one customer each: the empirical baseline is 1 per block, and
        // the score crosses 25 between 14 (23.9) and 15 (26.6) distinct numbers.
        assert!(score(14.0, 1.0) < 25.0 && score(15.0, 1.0) > 25.0);
        let mut rows = legit_spread(300);
        for i in 0..14u64 {
            rows.push(row(1000 + i as u32, 0, 371, 29_990_100 + i * 3, 8));
        }
        assert!(
            detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default()).is_empty(),
            "14 distinct: score 23.9"
        );
        rows.push(row(2000, 0, 371, 29_990_199, 8));
        assert_eq!(
            detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default()).len(),
            1,
            "15 distinct: score 26.6"
        );
    }

    #[test]
    fn threshold_edge_min_distinct_in_a_sparse_country() {
        // No spread customer base (< min_blocks occupied): the numbering model alone, λ ≈ 0.
        let mut rows: Vec<Row> = (0..10).map(|i| row(i, 0, 371, 20_000_000 + u64::from(i) * 700_001, 8)).collect();
        for i in 0..11u64 {
            rows.push(row(100 + i as u32, 0, 371, 29_990_100 + i, 8));
        }
        assert!(
            detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default()).is_empty(),
            "11 distinct is under min_distinct"
        );
        rows.push(row(200, 0, 371, 29_990_111, 8));
        assert_eq!(
            detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default()).len(),
            1,
            "12 distinct is enough"
        );
    }

    #[test]
    fn a_dense_legit_customer_base_is_its_own_baseline() {
        // 60 blocks of 10^4 each holding ~20 customers: the country's occupancy is 20.
        let mut rows = Vec::new();
        for b in 0..60u64 {
            for i in 0..20u64 {
                rows.push(row((b * 100 + i) as u32, 0, 1, 2_015_000_000 + b * 10_000 + i * 487, 10));
            }
        }
        assert!(detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default()).is_empty());
    }

    #[test]
    fn a_modest_excess_over_a_large_baseline_is_not_pumping() {
        // score(13125, 9862) is ~490, far over min_score, but only 1.33x the baseline.
        assert!(score(13125.0, 9862.0) > 400.0);
        let mut rows = Vec::new();
        for b in 0..40u64 {
            let n = if b == 0 { 40 } else { 20 };
            for i in 0..n {
                rows.push(row((b * 100 + i) as u32, 0, 1, 2_015_000_000 + b * 10_000 + i * 241, 10));
            }
        }
        assert!(
            detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default()).is_empty(),
            "2x the typical block is under min_fold 3"
        );
    }

    #[test]
    fn a_block_explained_by_several_busy_ranges_is_not_pumping() {
        // 60 busy 10^4 ranges of 30 customers each, spread one per 10^5 block, and one 10^5
        // block holding four such ranges: 4x the typical 10^5 block, but each of its ranges is
        // ordinary.
        let mut rows = Vec::new();
        let mut add = |base: u64| {
            for i in 0..30u64 {
                rows.push(row(rows.len() as u32, 0, 1, base + i * 317, 10));
            }
        };
        for b in 0..60u64 {
            add(2_015_000_000 + b * 100_000);
        }
        for r in 0..4u64 {
            add(2_099_900_000 + r * 10_000);
        }
        assert!(detect(&rows, &crate::detect::facts::Facts::of(&rows), &Baseline::default(), &Params::default()).is_empty());
    }

    #[test]
    fn runs() {
        assert_eq!(longest_run(&[1, 2, 3, 7, 8, 10]), 3);
        assert_eq!(longest_run(&[]), 0);
    }
}
