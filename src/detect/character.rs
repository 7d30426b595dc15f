//! What separates a pumped range from a customer's block, once density has flagged it
//! (DETECTION.md: "density alone cannot tell it from pumping; novelty, repetition, time shape and
//! conversion can"):
//!
//! - **novelty**: the share of the range's numbers first seen inside its anomalous window (the 24
//!   hours around its peak hour, after the data's first day) and never in the `--baseline` period;
//! - **repetition**: messages per number, and the share of numbers that return on another day;
//! - **time shape**: the days the range is active over the days the data covers;
//! - **conversion**, when known: the Wilson interval of the range's conversion against the
//!   account's median daily conversion;
//! - **sequential numbers**: the share of gaps between the range's sorted numbers that are 1 or
//!   2, against the share random numbers at the same density would give (DETECTION.md: "faked
//!   conversion: conversion looks normal; range concentration and sequential numbers remain").
//!
//! A long-lived range whose numbers come back day after day, or that the known-clean
//! `--baseline` period already had (a nightly scan of one day), is a customer's block (staff on a
//! company plan, a call centre): at most `low` without conversion data, `info` when its
//! conversion is known and not below the account's, `low` when it is below but not under half of
//! it ([`ALERT`]: staff verifying 89 % where the account does 92 %). A range whose traffic is
//! steady over the period rather than a burst, converting as the account does (or near it, its
//! numbers coming back as users') with numbers no more sequential than chance, is a dense market
//! (an operator's popular block): at most `low`; so is one without conversion data whose new
//! numbers arrive day by day and come back on other days far more often than numbers drawn at
//! random would ([`returning_by_chance`]): users log in again. Without conversion data, a slow
//! pump into such a block, under about three times its users' numbers, is then `low` too.
//! Pumped numbers are the attacker's: they are new and do not return, whatever the conversion
//! says (attackers fake verifications).
//!
//! Without history (the data covers fewer than [`MIN_DAYS`] days and there is no `--baseline`),
//! novelty and repetition cannot be measured: a range converting as well as the account whose
//! numbers are no more sequential than chance is then at most `low`, and the text asks for a
//! baseline. Faked conversion still leaves sequential numbers, which keep the range's strength.

use super::baseline::Known;
use super::low_conversion::wilson;
use super::{Row, Severity};
use crate::hash::{Map, Set};
use std::collections::BTreeMap;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// Numbers that must return on another day for a range to be long-lived, as a share.
pub const RETURNING: f64 = 0.5;
/// Days a long-lived range is active on, at least.
pub const MIN_DAYS: u64 = 3;
/// Sends with known conversion a range needs before its conversion speaks.
pub const MIN_KNOWN: usize = 20;
/// −ln p (binomial upper tail, Chernoff bound) from which a range's short gaps are sequential
/// numbers rather than chance: p < 5e-5.
pub const SEQUENTIAL_SCORE: f64 = 10.0;
/// A conversion under this share of the account's is an alert (`low-conversion`'s default
/// `ratio`): above it, a range's numbers verify, if less than the account's.
pub const ALERT: f64 = 0.5;
/// Numbers returning on another day that make a steady range's traffic users' without
/// conversion data: at least this share (a few users among many pumped numbers do not),
/// [`CHANCE_FOLD`] times what chance gives, and beyond chance by [`SEQUENTIAL_SCORE`] (a
/// binomial tail).
pub const SOME_RETURN: f64 = 0.05;
/// See [`SOME_RETURN`].
pub const CHANCE_FOLD: f64 = 4.0;
/// A steady range's busiest day of new numbers is at most this many times its median day
/// ([`Character::arrivals_fold`]), for the cap without conversion data.
pub const STEADY_FOLD: f64 = 4.0;
/// The share of a range's numbers first seen in its busiest 24 hours from which its traffic is a
/// burst (a pumped range's: nearly all) rather than steady (a market's: a day's share).
pub const BURST: f64 = 0.5;

/// The character of a range's traffic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Character {
    /// Its distinct numbers.
    pub numbers: u64,
    /// Its busiest day of numbers first seen over its median day (from its first day to its
    /// last, at least one), each day's fold divided by its country's (numbering plan's) that
    /// day when above 1: a market's users arrive day by day, and a holiday or a TV spot brings
    /// new users to every block of the country alike; a burst into a market's block arrives
    /// in a day, though fewer than the block's users, and in that block.
    pub arrivals_fold: f64,
    pub novelty: f64,
    pub messages_per_number: f64,
    pub returning: f64,
    /// The share of its numbers that would return on another day by chance: numbers drawn at
    /// random from its block, as many messages over as many days ([`returning_by_chance`]).
    pub returning_chance: f64,
    pub active_days: u64,
    /// Active days over the days the data covers.
    pub presence: f64,
    /// The share of the numbers the `--baseline` period already had.
    pub known: f64,
    /// Converted share and its Wilson interval, when at least [`MIN_KNOWN`] sends are known.
    pub conversion: Option<(f64, f64, f64)>,
    /// Whether novelty and repetition can be measured: the data covers [`MIN_DAYS`] days or a
    /// `--baseline` holds the history.
    pub history: bool,
    /// Gaps of 1 or 2 between the sorted distinct numbers: (observed share, chance share, score).
    pub sequential: (f64, f64, f64),
}

/// Short gaps (1 or 2) between `sorted` distinct numbers of a block of `block` numbers: the
/// observed share of the gaps, the share random numbers at that density give (1 − (1 − p)²,
/// p = distinct / the smallest aligned power of ten up to `block` that holds them all: a
/// customer's 100 numbers inside a range flagged at 1000 are judged at their own density), and
/// −ln of the binomial upper tail of the observed count (Chernoff).
pub fn sequential(sorted: &[u64], block: u64) -> (f64, f64, f64) {
    let m = sorted.len().saturating_sub(1);
    let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else { return (0.0, 0.0, 0.0) };
    if m == 0 {
        return (0.0, 0.0, 0.0);
    }
    let span = span_of(lo, hi, block);
    let short = sorted.windows(2).filter(|w| w[1] - w[0] <= 2).count() as f64;
    let p = (sorted.len() as f64 / span as f64).min(1.0);
    let chance = 1.0 - (1.0 - p) * (1.0 - p);
    let (m, share) = (m as f64, short / m as f64);
    (share, chance, super::binomial::above(share, m, chance))
}

/// The smallest aligned power of ten, up to `block`, that holds `lo` and `hi`.
fn span_of(lo: u64, hi: u64, block: u64) -> u64 {
    let mut span = 10u64;
    while span < block && lo / span != hi / span {
        span *= 10;
    }
    span.min(block).max(1)
}

/// The share of a range's numbers seen on two days or more if `messages` went to numbers drawn
/// at random from `span` numbers, evenly over `days` days: a number is on a day with
/// probability q = 1 − e^(−messages / (span·days)), so P(2+ days | 1+ day). Dense random
/// traffic returns by collision (5,600 sends over 14 days into 10^4 numbers: 24 %); a market's
/// users return because they are users.
pub fn returning_by_chance(messages: f64, span: f64, days: f64) -> f64 {
    if messages <= 0.0 || span <= 0.0 || days < 2.0 {
        return 0.0;
    }
    let q = -(-messages / (span * days)).exp_m1();
    let none = (1.0 - q).powf(days);
    let one = days * q * (1.0 - q).powf(days - 1.0);
    if 1.0 - none <= 0.0 { 0.0 } else { ((1.0 - none - one) / (1.0 - none)).clamp(0.0, 1.0) }
}

/// `members`: the range's messages; `sorted`: their distinct national numbers, sorted; `block`:
/// the range's size; `period`: the first and last message of the data; `baseline`: numbers of
/// the `--baseline` period (`has_baseline`: one was given); `plan_days`: new numbers per day
/// (the day's number since 1970) in the range's numbering plan (empty: not known).
pub fn of(
    members: &[&Row],
    sorted: &[u64],
    block: u64,
    period: (i64, i64),
    baseline: &Known,
    has_baseline: bool,
    plan_days: &BTreeMap<i64, f64>,
) -> Character {
    let mut days_of: Map<u64, Set<i64>> = Map::default();
    let mut first: Map<u64, i64> = Map::default();
    let mut days: Set<i64> = Set::default();
    for r in members {
        let d = r.ts.div_euclid(DAY);
        days_of.entry(r.national).or_default().insert(d);
        days.insert(d);
        let f = first.entry(r.national).or_insert(r.ts);
        *f = (*f).min(r.ts);
    }
    let distinct = days_of.len().max(1) as f64;
    let peak = super::peak_hour(members.iter().map(|r| r.ts)).unwrap_or(0);
    let (from, to) = (peak - 12 * HOUR, peak + 12 * HOUR);
    let cc = members.first().map_or(0, |r| r.calling_code);
    // A number first seen on the data's first day may be older than the data: not counted new.
    let novel = first.iter().filter(|&(n, &t)| t >= from && t < to && t >= period.0 + DAY && !baseline.contains(cc, *n)).count();
    let period_days = ((period.1.div_euclid(DAY) - period.0.div_euclid(DAY)) + 1).max(1) as f64;
    let in_baseline = if baseline.is_empty() { 0 } else { days_of.keys().filter(|n| baseline.contains(cc, **n)).count() };
    let known: Vec<bool> = members.iter().filter_map(|r| r.converted()).collect();
    let conversion = (known.len() >= MIN_KNOWN).then(|| {
        let k = known.iter().filter(|x| **x).count() as f64;
        let n = known.len() as f64;
        let (lo, hi) = wilson(k, n, 1.96);
        (k / n, lo, hi)
    });
    // New numbers a day, from the range's first day to its last.
    let mut arrivals: BTreeMap<i64, f64> = BTreeMap::new();
    for &t in first.values() {
        *arrivals.entry(t.div_euclid(DAY)).or_default() += 1.0;
    }
    let arrivals_fold = match (arrivals.keys().next(), arrivals.keys().next_back()) {
        (Some(&a), Some(&b)) => {
            let days_of = |m: &BTreeMap<i64, f64>| -> Vec<f64> { (a..=b).map(|d| m.get(&d).copied().unwrap_or(0.0)).collect() };
            let (per_day, plan) = (days_of(&arrivals), days_of(plan_days));
            let usual = super::new_numbers::median(&mut per_day.clone()).max(1.0);
            let plan_usual = super::new_numbers::median(&mut plan.clone()).max(1.0);
            per_day.iter().zip(&plan).map(|(n, p)| n / usual / (p / plan_usual).max(1.0)).fold(0.0, f64::max)
        }
        _ => 0.0,
    };
    Character {
        numbers: days_of.len() as u64,
        arrivals_fold,
        novelty: novel as f64 / distinct,
        messages_per_number: members.len() as f64 / distinct,
        returning: days_of.values().filter(|d| d.len() >= 2).count() as f64 / distinct,
        returning_chance: match (sorted.first(), sorted.last()) {
            (Some(&lo), Some(&hi)) => returning_by_chance(members.len() as f64, span_of(lo, hi, block) as f64, days.len() as f64),
            _ => 0.0,
        },
        active_days: days.len() as u64,
        presence: days.len() as f64 / period_days,
        known: in_baseline as f64 / distinct,
        conversion,
        history: period_days >= MIN_DAYS as f64 || has_baseline,
        sequential: sequential(sorted, block),
    }
}

impl Character {
    /// Numbers that come back on other days, over several days, or that the known-clean
    /// `--baseline` period already had (a nightly scan of one day, the history in the
    /// baseline): a customer's block.
    pub fn long_lived(&self) -> bool {
        (self.returning >= RETURNING && self.active_days >= MIN_DAYS) || self.known >= RETURNING
    }

    /// The most a range of this character can be, why, and whether that is because it looks
    /// like legit users (None: density decides). `account`: the account's median daily
    /// conversion, when known.
    pub fn cap(&self, account: Option<f64>) -> Option<(Severity, String, bool)> {
        if !self.long_lived() {
            return self.cap_without_history(account);
        }
        self.cap_long_lived(account).map(|(sev, why)| (sev, why, true))
    }

    /// A long-lived range's cap: a customer's block.
    fn cap_long_lived(&self, account: Option<f64>) -> Option<(Severity, String)> {
        let shape = if self.returning >= RETURNING && self.active_days >= MIN_DAYS {
            format!(
                "{:.0}% of its numbers return on other days, {:.1} messages a number, active {} days",
                self.returning * 100.0,
                self.messages_per_number,
                self.active_days
            )
        } else {
            format!(
                "{:.0}% of its numbers were known before the period (sent to in the baseline period or verified in --conversions), {:.1} messages a number",
                self.known * 100.0,
                self.messages_per_number
            )
        };
        match (self.conversion, account) {
            (Some((c, _, hi)), Some(base)) if hi >= base => Some((
                Severity::Info,
                format!("a customer's block, not pumping: {shape}; conversion {:.0}% (the account's {:.0}%)", c * 100.0, base * 100.0),
            )),
            // A little under the account's (staff who verify 89 % where the account does 92 %),
            // and surely not under half of it (the interval's lower bound: a few judged sends
            // prove nothing): nothing like pumped numbers, which verify at a few per cent.
            (Some((c, lo, _)), Some(base)) if lo >= base * ALERT => Some((
                Severity::Low,
                format!(
                    "looks like a customer's block ({shape}); conversion {:.0}%, under the account's {:.0}% but not below half of it, so at most low",
                    c * 100.0,
                    base * 100.0
                ),
            )),
            // Known, and far below the account's: the numbers return but do not verify; density decides.
            (Some(_), Some(_)) => None,
            _ => Some((Severity::Low, format!("looks like a customer's block ({shape}); no conversion data to tell, so at most low"))),
        }
    }

    /// Not long-lived. Without history to measure novelty and repetition, a range converting as
    /// the account does, with no more sequential numbers than chance, is at most low. With
    /// history, so is one whose traffic is steady rather than a burst (under [`BURST`] of its
    /// numbers new in its busiest 24 hours), active on [`MIN_DAYS`] days or more, converting as
    /// the account does or, its numbers coming back as users' do
    /// ([`Character::returns_as_users`]), not under half of it: a dense market (an operator's
    /// popular block of 10^6), whose users sign up one at a time over the weeks. Without
    /// conversion data, so is one whose numbers come back as users' do and arrive day by day
    /// ([`STEADY_FOLD`]). A burst keeps its strength whatever its conversion (attackers fake
    /// it), and so does a range whose numbers run in sequence.
    fn cap_without_history(&self, account: Option<f64>) -> Option<(Severity, String, bool)> {
        let (share, chance, score) = self.sequential;
        // Converting as the account does; or a little under and surely not under half of it
        // (the interval's lower bound, as for a customer's block) when its numbers also come
        // back as users' do: a market of 86 % where the account's is 92 %, 7-20 % back. A
        // steady faked-conversion pump's numbers do not come back.
        if let (true, Some((c, lo, hi)), Some(base)) = (self.steady(), self.conversion, account)
            && (hi >= base || lo >= base * ALERT && self.returns_as_users())
        {
            return Some((
                Severity::Low,
                format!(
                    "steady traffic, not a burst ({:.0}% of its numbers new in its busiest day, active {} days), converting as the account does or near it with its numbers back on other days ({:.0}%, the account's {:.0}%; {:.0}% back), numbers no more sequential than chance: a dense market, so at most low",
                    self.novelty * 100.0,
                    self.active_days,
                    c * 100.0,
                    base * 100.0,
                    self.returning * 100.0
                ),
                true,
            ));
        }
        // No conversion data: steady traffic whose numbers come back on other days far more
        // often than random numbers would (users log in again; an attacker's numbers return
        // only by collision in a dense block) is a dense market too.
        if self.steady() && (self.conversion.is_none() || account.is_none()) && self.arrivals_fold <= STEADY_FOLD && self.returns_as_users()
        {
            return Some((
                Severity::Low,
                format!(
                    "steady traffic, not a burst ({:.0}% of its numbers new in its busiest day, active {} days), {:.0}% of its numbers back on other days ({:.1}% by chance), numbers no more sequential than chance: a dense market's users, so at most low without conversion data",
                    self.novelty * 100.0,
                    self.active_days,
                    self.returning * 100.0,
                    self.returning_chance * 100.0
                ),
                true,
            ));
        }
        match (self.history, self.conversion, account) {
            (false, Some((c, _, hi)), Some(base)) if hi >= base && score < SEQUENTIAL_SCORE => Some((
                Severity::Low,
                format!(
                    "no history to tell a customer's block from pumping (under {MIN_DAYS} days of data, no --baseline): conversion {:.0}% (the account's {:.0}%) and numbers no more sequential than chance ({:.0}% short gaps, {:.0}% by chance), so at most low; scan with --baseline to decide",
                    c * 100.0,
                    base * 100.0,
                    share * 100.0,
                    chance * 100.0
                ),
                false,
            )),
            _ => None,
        }
    }

    /// Steady traffic with history to tell: under [`BURST`] of its numbers new in its busiest 24
    /// hours, active on [`MIN_DAYS`] days or more, numbers no more sequential than chance.
    fn steady(&self) -> bool {
        self.history && self.sequential.2 < SEQUENTIAL_SCORE && self.novelty < BURST && self.active_days >= MIN_DAYS
    }

    /// Whether its numbers come back on other days as users do, not by chance ([`SOME_RETURN`]).
    pub fn returns_as_users(&self) -> bool {
        self.returning >= SOME_RETURN
            && self.returning >= CHANCE_FOLD * self.returning_chance
            && super::binomial::above(self.returning, self.numbers as f64, self.returning_chance.max(1e-9)) >= SEQUENTIAL_SCORE
    }

    pub fn metrics(&self, m: &mut BTreeMap<&'static str, f64>) {
        m.insert("novelty", self.novelty);
        m.insert("messages_per_number", self.messages_per_number);
        m.insert("returning_share", self.returning);
        m.insert("returning_chance", self.returning_chance);
        m.insert("arrivals_fold", self.arrivals_fold);
        m.insert("active_days", self.active_days as f64);
        m.insert("presence", self.presence);
        if self.known > 0.0 {
            m.insert("known_share", self.known);
        }
        m.insert("sequential_share", self.sequential.0);
        m.insert("sequential_chance", self.sequential.1);
        if let Some((c, lo, hi)) = self.conversion {
            m.insert("conversion", c);
            m.insert("conversion_low", lo);
            m.insert("conversion_high", hi);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    /// `staff` numbers in one block, each messaging on `days` days; `conv` converted.
    fn block(staff: u64, days: i64, conv: Option<bool>) -> Vec<Row> {
        let mut v = Vec::new();
        for d in 0..days {
            for s in 0..staff {
                let mut r = row(v.len() as u32, d * DAY + 9 * HOUR + s as i64 * 60_000, 371, 29_000_000 + s, 8);
                r.set_converted(conv);
                v.push(r);
            }
        }
        v
    }

    fn burst(n: u64, conv: Option<bool>) -> Vec<Row> {
        (0..n)
            .map(|i| {
                let mut r = row(i as u32, 5 * DAY + 2 * HOUR + i as i64 * 5_000, 371, 29_100_000 + i, 8);
                r.set_converted(conv);
                r
            })
            .collect()
    }

    fn character(rows: &[Row], baseline: &Known) -> Character {
        of_period(rows, baseline, 14)
    }

    fn of_period(rows: &[Row], baseline: &Known, days: i64) -> Character {
        let mut sorted: Vec<u64> = rows.iter().map(|r| r.national).collect();
        sorted.sort_unstable();
        sorted.dedup();
        of(&rows.iter().collect::<Vec<_>>(), &sorted, 1000, (0, days * DAY - 1), baseline, !baseline.is_empty(), &BTreeMap::new())
    }

    #[test]
    fn a_staff_block_returns_and_a_burst_is_new() {
        let staff = character(&block(120, 10, None), &Known::default());
        assert_eq!(staff.returning, 1.0);
        assert_eq!(staff.active_days, 10);
        assert!((staff.presence - 10.0 / 14.0).abs() < 1e-9);
        assert!((staff.messages_per_number - 10.0).abs() < 1e-9);
        assert!(staff.novelty < 0.2, "first seen on day 0, not around the peak: {}", staff.novelty);
        assert!(staff.long_lived());
        let b = character(&burst(500, None), &Known::default());
        assert_eq!((b.returning, b.active_days), (0.0, 1));
        assert_eq!(b.novelty, 1.0);
        assert!(!b.long_lived());
        // Numbers the baseline period already had are not new.
        let known = Known::of((0..250).map(|i| (371, 29_100_000 + i)));
        assert_eq!(character(&burst(500, None), &known).novelty, 0.5);
    }

    #[test]
    fn the_cap_follows_repetition_then_conversion() {
        // Without conversion: at most low, and the text says why.
        let (sev, why, _) = character(&block(120, 10, None), &Known::default()).cap(Some(0.8)).expect("capped");
        assert_eq!(sev, Severity::Low);
        assert!(why.contains("no conversion data"), "{why}");
        // Converting as the account does: info.
        let (sev, why, _) = character(&block(120, 10, Some(true)), &Known::default()).cap(Some(0.8)).expect("capped");
        assert_eq!(sev, Severity::Info);
        assert!(why.contains("customer's block"), "{why}");
        // Returning numbers that never verify: density decides.
        assert_eq!(character(&block(120, 10, Some(false)), &Known::default()).cap(Some(0.8)), None);
        // A burst of new numbers keeps its strength whatever its conversion (faked).
        assert_eq!(character(&burst(500, Some(true)), &Known::default()).cap(Some(0.8)), None);
    }

    /// `staff` numbers each on `days` days, the first `verified` of every 100 sends converted.
    fn block_converting(staff: u64, days: i64, verified: u32) -> Vec<Row> {
        let mut v = block(staff, days, None);
        for (i, r) in v.iter_mut().enumerate() {
            r.set_converted(Some((i % 100) < verified as usize));
        }
        v
    }

    #[test]
    fn a_block_converting_a_little_under_the_account_is_at_most_low() {
        // Staff verifying 89 % where the account does 92 % (the Wilson upper bound under it, an
        // independent corpus's case that was medium): low, as legit users.
        let c = character(&block_converting(140, 10, 89), &Known::default());
        let (_, _, hi) = c.conversion.expect("known");
        assert!(hi < 0.92, "the interval is under the account's: {hi}");
        let (sev, why, legit) = c.cap(Some(0.92)).expect("capped");
        assert_eq!((sev, legit), (Severity::Low, true));
        assert!(why.contains("not below half"), "{why}");
        // The edge: a lower bound at half the account's is low, under it density decides.
        let c = character(&block_converting(140, 10, 40), &Known::default());
        let lo = c.conversion.expect("known").1;
        assert!(c.cap(Some(lo / ALERT)).is_some());
        assert_eq!(c.cap(Some(lo / ALERT + 0.01)), None);
    }

    /// `n` numbers of a block, one new a day each hour or so over `days` days (a market's users
    /// signing up one at a time), each sent to once; every `verified` in 100 converted.
    fn steady(n: u64, days: i64, verified: u32) -> Vec<Row> {
        (0..n)
            .map(|i| {
                let t = (i as i64 * days * DAY) / n as i64 + 9 * HOUR;
                let mut r = row(i as u32, t, 371, 29_000_000 + i * 7_919 % 1_000_000, 8);
                r.set_converted(Some((i % 100) < u64::from(verified)));
                r
            })
            .collect()
    }

    #[test]
    fn a_dense_market_signing_up_over_the_weeks_is_at_most_low() {
        // 600 numbers over 14 days converting as the account does (90 %): steady, not a burst.
        let c = character(&steady(600, 14, 90), &Known::default());
        assert!(!c.long_lived(), "its users do not return");
        assert!(c.novelty < BURST, "{}", c.novelty);
        let (sev, why, legit) = c.cap(Some(0.9)).expect("capped");
        assert_eq!((sev, legit), (Severity::Low, true));
        assert!(why.contains("steady traffic"), "{why}");
        // The same numbers in one day: a burst, whatever its conversion.
        assert_eq!(character(&steady(600, 1, 90), &Known::default()).cap(Some(0.9)), None);
        // Steady but not verifying: density decides (a slow attack into the block).
        assert_eq!(character(&steady(600, 14, 2), &Known::default()).cap(Some(0.9)), None);
        // A little under the account's (86 % where it is 92 %), its numbers never back: a steady
        // pump faking conversion looks so, density decides.
        assert_eq!(character(&steady(600, 14, 86), &Known::default()).cap(Some(0.92)), None);
        // Steady, converting, but its numbers in sequence: density decides.
        let mut seq = steady(600, 14, 90);
        for (i, r) in seq.iter_mut().enumerate() {
            r.national = 29_000_000 + i as u64;
        }
        assert_eq!(character(&seq, &Known::default()).cap(Some(0.9)), None);
    }

    /// `days` of `per_day` sends to numbers drawn at random (xorshift) from the `span` numbers
    /// from 29_000_000; every `back`-th send of a day after the first goes to a new number of
    /// the day before instead (0: none); `conv` converted.
    fn market(days: i64, per_day: u64, span: u64, back: u64, conv: Option<bool>) -> Vec<Row> {
        let (mut x, mut v) = (0x9E37_79B9_7F4A_7C15u64, Vec::<Row>::new());
        for d in 0..days {
            for i in 0..per_day {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let national =
                    if back > 0 && d > 0 && i % back == 0 { v[v.len() + 1 - per_day as usize].national } else { 29_000_000 + x % span };
                let mut r = row(v.len() as u32, d * DAY + (i * (20 * HOUR as u64) / per_day) as i64, 371, national, 8);
                r.set_converted(conv);
                v.push(r);
            }
        }
        v
    }

    fn of_block(rows: &[Row], block: u64) -> Character {
        let mut sorted: Vec<u64> = rows.iter().map(|r| r.national).collect();
        sorted.sort_unstable();
        sorted.dedup();
        of(&rows.iter().collect::<Vec<_>>(), &sorted, block, (0, 14 * DAY - 1), &Known::default(), false, &BTreeMap::new())
    }

    #[test]
    fn numbers_back_far_above_chance_make_a_steady_range_a_market_without_conversion() {
        // By chance: 5,600 sends over 14 days into 10^4 numbers come back by collision (24 %);
        // 840 into 10^6 hardly ever.
        assert!((returning_by_chance(5600.0, 1e4, 14.0) - 0.237).abs() < 0.01);
        assert!(returning_by_chance(840.0, 1e6, 14.0) < 0.001);
        assert_eq!(returning_by_chance(100.0, 1e4, 1.0), 0.0);
        // A market in an operator's 10^6 block: 50 sends a day for 14 days, one in six to a
        // user of the day before; no conversion data.
        let c = of_block(&market(14, 50, 1_000_000, 6, None), 1_000_000);
        assert!(!c.long_lived() && c.novelty < BURST && c.returning > SOME_RETURN, "{c:?}");
        assert!(c.returns_as_users());
        let (sev, why, legit) = c.cap(None).expect("capped");
        assert_eq!((sev, legit), (Severity::Low, true));
        assert!(why.contains("back on other days"), "{why}");
        // Nobody back: density decides (a slow attack into the block).
        assert_eq!(of_block(&market(14, 50, 1_000_000, 0, None), 1_000_000).cap(None), None);
        // 400 a day at random into 10^4 numbers: a quarter back, all by collision.
        let dense = of_block(&market(14, 400, 10_000, 0, None), 10_000);
        assert!(dense.returning > 0.2 && dense.returning < CHANCE_FOLD * dense.returning_chance, "{dense:?}");
        assert_eq!(dense.cap(None), None);
        // Back as users and converting a little under the account's (86 % where it is 92 %):
        // still a market; under half of it (40 %, the lower bound under 46 %): density decides.
        let converting = |share: u32| {
            let mut rows = market(14, 50, 1_000_000, 6, None);
            rows.iter_mut().enumerate().for_each(|(i, r)| r.set_converted(Some((i % 100) < share as usize)));
            of_block(&rows, 1_000_000).cap(Some(0.92))
        };
        assert_eq!(converting(86).map(|c| (c.0, c.2)), Some((Severity::Low, true)));
        assert_eq!(converting(40), None);
        // A burst of 300 new numbers in one day into the market's block (fewer than its 580
        // users, so under half of the numbers, and 20 % of them still back): its arrivals are
        // not steady, density decides.
        let mut mixed = market(14, 50, 1_000_000, 6, None);
        for i in 0..300u64 {
            mixed.push(row(mixed.len() as u32, 9 * DAY + 2 * HOUR + i as i64 * 30_000, 371, 29_000_000 + i * 3_331 % 1_000_000, 8));
        }
        let c = of_block(&mixed, 1_000_000);
        assert!(c.novelty < BURST && c.returns_as_users() && c.arrivals_fold > STEADY_FOLD, "{c:?}");
        assert_eq!(c.cap(None), None);
        // Back as users, but conversion known and far under the account's: density decides.
        assert_eq!(of_block(&market(14, 50, 1_000_000, 6, Some(false)), 1_000_000).cap(Some(0.9)), None);
        // At the edge: back at `SOME_RETURN` (5 %) is enough, under it not.
        let edge = |back| Character { returning: back, ..c };
        assert!(edge(SOME_RETURN).returns_as_users() && !edge(SOME_RETURN - 0.01).returns_as_users());
    }

    #[test]
    fn a_holiday_across_the_country_is_not_a_burst_into_one_block() {
        // A market block (50 sends a day, one in six to a user of the day before) and, on day 9,
        // 250 more new users: 5x its usual day.
        let mut rows = market(14, 50, 1_000_000, 6, None);
        for i in 0..250u64 {
            rows.push(row(rows.len() as u32, 9 * DAY + 2 * HOUR + i as i64 * 200_000, 371, 29_000_000 + (i * 7_919 + 13) % 1_000_000, 8));
        }
        let mut sorted: Vec<u64> = rows.iter().map(|r| r.national).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let with = |plan: &BTreeMap<i64, f64>| {
            of(&rows.iter().collect::<Vec<_>>(), &sorted, 1_000_000, (0, 14 * DAY - 1), &Known::default(), false, plan)
        };
        let country = |holiday: f64| (0..14).map(|d| (d, if d == 9 { holiday } else { 1_000.0 })).collect::<BTreeMap<i64, f64>>();
        // The country flat that day: a burst into the block, density decides.
        let alone = with(&country(1_000.0));
        assert!(alone.arrivals_fold > STEADY_FOLD && alone.cap(None).is_none(), "{alone:?}");
        assert_eq!(with(&BTreeMap::new()).arrivals_fold, alone.arrivals_fold, "no plan tally: no discount");
        // The whole country 5x that day (a holiday): the block's new users are the country's.
        let holiday = with(&country(5_000.0));
        assert!(holiday.arrivals_fold <= STEADY_FOLD, "{holiday:?}");
        assert_eq!(holiday.cap(None).map(|c| (c.0, c.2)), Some((Severity::Low, true)));
        // The country 1.5x: not enough to explain the block's 5x and more.
        assert!(with(&country(1_500.0)).arrivals_fold > STEADY_FOLD);
    }

    #[test]
    fn one_day_of_a_block_the_baseline_knows_is_long_lived() {
        // A nightly scan: one day of 120 staff numbers, the history in the baseline.
        let day = block(120, 1, Some(true));
        assert!(!character(&day, &Known::default()).long_lived(), "one day alone cannot tell");
        let half = Known::of((0..60).map(|s| (371, 29_000_000 + s)));
        let c = character(&day, &half);
        assert_eq!(c.known, 0.5);
        let (sev, why, _) = c.cap(Some(0.8)).expect("capped at the edge");
        assert_eq!(sev, Severity::Info);
        assert!(why.contains("50% of its numbers were known before the period"), "{why}");
        let fewer = Known::of((0..59).map(|s| (371, 29_000_000 + s)));
        assert!(!character(&day, &fewer).long_lived(), "59 of 120 known: under the edge");
        // Without conversion data: at most low.
        assert_eq!(character(&block(120, 1, None), &half).cap(Some(0.8)).map(|c| c.0), Some(Severity::Low));
    }

    /// `n` distinct random numbers of the block 29_000_000-29_000_999 (xorshift, fixed seed).
    fn random_numbers(n: usize) -> Vec<u64> {
        let (mut x, mut out) = (0x9E37_79B9_7F4A_7C15u64, Vec::new());
        while out.len() < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = 29_000_000 + x % 1000;
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    #[test]
    fn sequential_numbers_against_chance() {
        let mut random = random_numbers(300);
        random.sort_unstable();
        let (share, chance, score) = sequential(&random, 1000);
        assert!((chance - 0.51).abs() < 1e-9, "1 - 0.7²: {chance}");
        assert!((share - chance).abs() < 0.1 && score < SEQUENTIAL_SCORE, "random: {share} {chance} {score}");
        let run: Vec<u64> = (0..300).map(|i| 29_000_000 + i * 2).collect();
        let (share, _, score) = sequential(&run, 1000);
        assert_eq!(share, 1.0);
        assert!(score > 100.0, "{score}");
        // The edge: 21 gaps at density 0.022 (chance 0.0435), short ones counted one by one.
        let edge = |short: usize| {
            let v: Vec<u64> = (0..22usize)
                .scan(0u64, |n, i| {
                    *n += if i == 0 {
                        0
                    } else if i <= short {
                        1
                    } else {
                        40
                    };
                    Some(*n)
                })
                .collect();
            sequential(&v, 1000).2
        };
        let scores: Vec<f64> = (0..=21).map(edge).collect();
        let first = scores.iter().position(|s| *s >= SEQUENTIAL_SCORE).expect("some count is sequential");
        // 21 × KL(k/21 ‖ 0.0435): 7 short gaps score 9.2, 8 score 11.7.
        assert_eq!(first, 8, "{scores:?}");
        assert!((scores[7] - 9.19).abs() < 0.05 && (scores[8] - 11.7).abs() < 0.05, "{scores:?}");
        // (Up to 18 short gaps the numbers span more than one block of 100: same density.)
        assert!(scores[..=18].windows(2).all(|w| w[1] >= w[0]), "more short gaps never score less: {scores:?}");
        assert_eq!(sequential(&[5], 1000), (0.0, 0.0, 0.0));
        // Random numbers of one block of 100, in a range flagged at 1000: judged at 100.
        let hundred: Vec<u64> =
            random.iter().map(|n| 29_000_500 + n % 100).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let (share, chance, score) = sequential(&hundred, 1000);
        let p = hundred.len() as f64 / 100.0;
        assert!((chance - (1.0 - (1.0 - p) * (1.0 - p))).abs() < 1e-9 && score < SEQUENTIAL_SCORE, "{share} {chance} {score}");
        // 300 consecutive numbers across two blocks of 100 are judged at 1000: sequential.
        let run: Vec<u64> = (0..300).map(|i| 29_000_050 + i).collect();
        assert!(sequential(&run, 10_000).2 > 100.0);
    }

    #[test]
    fn without_history_a_converting_random_block_is_at_most_low() {
        let day = |numbers: &[u64], conv: bool| -> Vec<Row> {
            numbers
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let mut r = row(i as u32, 9 * HOUR + i as i64 * 60_000, 371, n, 8);
                    r.set_converted(Some(conv || i % 20 == 0));
                    r
                })
                .collect()
        };
        let staff = day(&random_numbers(250), true);
        let c = of_period(&staff, &Known::default(), 1);
        assert!(!c.history && !c.long_lived());
        let (sev, why, _) = c.cap(Some(0.8)).expect("capped");
        assert_eq!(sev, Severity::Low);
        assert!(why.contains("no history") && why.contains("--baseline"), "{why}");
        // Sequential numbers (faked conversion leaves them): density decides.
        let run: Vec<u64> = (0..250).map(|i| 29_000_000 + i).collect();
        assert_eq!(of_period(&day(&run, true), &Known::default(), 1).cap(Some(0.8)), None);
        // Converting below the account: density decides.
        assert_eq!(of_period(&day(&random_numbers(250), false), &Known::default(), 1).cap(Some(0.8)), None);
        // No conversion data, or no account conversion: density decides.
        let unknown: Vec<Row> = staff
            .iter()
            .map(|r| {
                let mut r = *r;
                r.set_converted(None);
                r
            })
            .collect();
        assert_eq!(of_period(&unknown, &Known::default(), 1).cap(Some(0.8)), None);
        assert_eq!(c.cap(None), None);
        // With history (three days of data, or a baseline), novelty decides: not capped here.
        assert!(of_period(&staff, &Known::default(), 3).history);
        assert_eq!(of_period(&staff, &Known::default(), 3).cap(Some(0.8)), None);
        let other = Known::of([(371u16, 1u64)].into_iter());
        assert_eq!(of_period(&staff, &other, 1).cap(Some(0.8)), None);
    }

    #[test]
    fn edges_of_long_lived() {
        // Two days are not enough; three are.
        assert!(!character(&block(50, 2, None), &Known::default()).long_lived());
        assert!(character(&block(50, 3, None), &Known::default()).long_lived());
        // Half the numbers returning is the edge.
        let mut rows = block(50, 3, None);
        rows.extend(burst(50, None));
        let c = character(&rows, &Known::default());
        assert_eq!(c.returning, 0.5);
        assert!(c.long_lived());
        rows.extend(burst(52, None).into_iter().skip(50));
        assert!(!character(&rows, &Known::default()).long_lived(), "just under half");
        // Conversion speaks from MIN_KNOWN sends.
        let few = block(19, 3, Some(true));
        assert_eq!(character(&few[..19], &Known::default()).conversion, None);
        assert!(character(&few[..20], &Known::default()).conversion.is_some());
    }
}
