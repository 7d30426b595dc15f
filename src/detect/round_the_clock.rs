//! A whole-period test of a country's traffic for the two things a bot's trickle shows and a
//! market's users do not (DETECTION.md: legit OTP traffic is "diurnal by local time", and its
//! users resend a code that did not come and come back to sign in again):
//!
//! - **round the clock**: the share of the country's new numbers first sent to in its quietest
//!   [`QUIET_HOURS`] hours of the day (UTC, cyclic). People sleep: a country's own users leave
//!   a quiet stretch of a few per cent, a script sends at every hour (a quarter in any six).
//!   The usual share is twice the median country's of the account (countries with
//!   [`REFERENCE_MIN`] new numbers), at least [`QUIET_FLOOR`].
//! - **never return**: the share of the country's sends that go to a number seen before (a
//!   resend, a returning user, a `--baseline` customer). The usual share is half the median
//!   country's (countries with [`REFERENCE_MIN`] sends, the slice itself left out); without
//!   such a country there is nothing to weigh against and the test says nothing.
//!
//! Only countries whose own quiet share is under [`QUIET_FLOOR`] and whose repeat share is over
//! [`NEVER_RETURN`] are the measure (pumped countries would otherwise set the medians for each
//! other: three round the clock, or ten drips in working hours beside eight markets). An account
//! whose every country is sent to round the clock has no measure and is not judged. The
//! tails' scores assume a legit country's true shares are no further out than the usual ones:
//! "twice" and "half" are the margins; a night-heavy app in a country spanning many time zones
//! may pass the clock test, which leaves the repeat test alone (a README false positive).
//!
//! Each is scored as −ln of a binomial tail, summed exactly (the Chernoff bound
//! `n·KL(observed ‖ usual)`, used until session 35, left out the tail's polynomial factor and
//! missed a 142-number trickle whose quiet hours scored 3.7 instead of 5.5): a country is
//! flagged when their sum reaches `new-numbers`' `clock_score` (20 by default: one chance in
//! 5·10^8 for a legit country, both tests' tails together) and each a quarter of it. A trickle of 20-100 pumped
//! sends a day over a plan's random numbers, from the data's first day, has no spike, no
//! dense block and no history to stand out against: these two are what is left of it when its
//! conversion is not known. A bot that copies a diurnal curve and resends is not found here.
//!
//! A drip in the attacker's working hours has no clock score: what is left of it is the repeat
//! share alone. A country is also flagged ([`Verdict::never_returns`]) when at most
//! [`NEVER_RETURN`] and at most a quarter of the usual share of its sends go to a number seen
//! before, that score alone reaches `clock_score`, and the share is unlikely even for users who
//! only sign up and seldom resend ([`RESEND_FLOOR`]: its score at least half `clock_score`, one
//! chance in 22,000; with no repeat at all, 245 sends). Legit traffic this flags: one-off
//! notices, and sign-ups that are never resent nor come back (README).

use super::binomial::{exact_above, exact_below};
use super::new_numbers::median;

/// Hours in the quiet stretch of the day.
pub const QUIET_HOURS: usize = 6;
/// The usual quiet share, at least (legit OTP traffic of one time zone: 2-4 %).
pub const QUIET_FLOOR: f64 = 0.08;
/// New numbers (or sends) a country needs to be a reference for the others.
pub const REFERENCE_MIN: f64 = 300.0;
/// New numbers a country needs to be judged at all.
pub const MIN_NEW: f64 = 50.0;
/// A repeat share at most this low is one users seldom have: they resend a code that did not
/// come and come back to sign in (DETECTION.md: "a real user who does not get the code asks
/// again within a minute or two"; in the independent corpus corpus4, whose session model resends
/// 4-14 %, legit countries of 100+ sends are at 18-86 %). Random numbers of a numbering plan
/// almost never meet again: a pumped drip's share there is 0.0-0.2 %.
pub const NEVER_RETURN: f64 = 0.01;
/// The fewest repeats the never-return test allows legit users: a country of sign-ups only,
/// nobody coming back, resending 4 % of the time (corpus4's session model's lowest resend rate;
/// no published figure). Users' usual share, half the median country's, is most often far above.
pub const RESEND_FLOOR: f64 = 0.04;

/// A country's traffic over the period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Slice {
    /// New numbers (first sends) by UTC hour of the day.
    pub by_hour: [f64; 24],
    /// Every send with a number.
    pub sends: f64,
}

impl Slice {
    /// New numbers.
    pub fn new_numbers(&self) -> f64 {
        self.by_hour.iter().sum()
    }

    /// The share of new numbers in the quietest [`QUIET_HOURS`] hours of the day.
    pub fn quiet(&self) -> f64 {
        let all = self.new_numbers();
        if all <= 0.0 {
            return 0.0;
        }
        let least = (0..24).map(|s| (0..QUIET_HOURS).map(|j| self.by_hour[(s + j) % 24]).sum::<f64>()).fold(f64::MAX, f64::min);
        least / all
    }

    /// The share of sends to a number seen before.
    pub fn repeat(&self) -> f64 {
        if self.sends <= 0.0 { 0.0 } else { ((self.sends - self.new_numbers()) / self.sends).max(0.0) }
    }
}

/// What the test found in one country.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub quiet: f64,
    pub usual_quiet: f64,
    pub repeat: f64,
    pub usual_repeat: f64,
    /// The repeat share's score against [`RESEND_FLOOR`] (0 at or above it).
    pub resend_score: f64,
    pub clock_score: f64,
    pub repeat_score: f64,
}

impl Verdict {
    /// Whether both scores together reach `score`, and each a quarter of it (and each is above
    /// 0: a score of 0 is the usual side, which `score` 0 must not flag).
    pub fn flagged(&self, score: f64) -> bool {
        let each = (score / 4.0).max(f64::MIN_POSITIVE);
        self.clock_score >= each && self.repeat_score >= each && self.clock_score + self.repeat_score >= score
    }

    /// Whether, at any hour, the sends almost never go to a number seen before: a share of at
    /// most [`NEVER_RETURN`] and a quarter of the usual one, whose score against the usual share
    /// alone reaches `score` and against [`RESEND_FLOOR`] half of it.
    pub fn never_returns(&self, score: f64) -> bool {
        self.repeat <= NEVER_RETURN.min(self.usual_repeat / 4.0)
            && self.repeat_score >= score.max(f64::MIN_POSITIVE)
            && self.resend_score >= (score / 2.0).max(f64::MIN_POSITIVE)
    }
}

/// The median, when there are values.
fn median_of(mut v: Vec<f64>) -> Option<f64> {
    (!v.is_empty()).then(|| median(&mut v))
}

/// The slices other than `c`.
fn others(slices: &[Slice], c: usize) -> impl Iterator<Item = &Slice> {
    slices.iter().enumerate().filter(move |(o, _)| *o != c).map(|(_, o)| o)
}

/// The slices other than `c` that can stand for the account's users: those whose own quiet
/// share is under the floor and whose repeat share is above [`NEVER_RETURN`] (pumped countries
/// are not each other's measure: three round the clock beside two markets, or ten drips in the
/// attacker's working hours beside eight, would otherwise set the median).
fn references(slices: &[Slice], c: usize) -> impl Iterator<Item = &Slice> {
    others(slices, c).filter(|o| o.quiet() < QUIET_FLOOR && o.repeat() > NEVER_RETURN)
}

/// The usual quiet share for slice `c`: twice the reference slices' median, at least the floor.
fn usual_quiet(slices: &[Slice], c: usize) -> f64 {
    median_of(references(slices, c).filter(|o| o.new_numbers() >= REFERENCE_MIN).map(Slice::quiet).collect())
        .map_or(QUIET_FLOOR, |m| (2.0 * m).max(QUIET_FLOOR))
}

/// Each slice's verdict (None: too few new numbers, or no other country to weigh against).
pub fn judge(slices: &[Slice]) -> Vec<Option<Verdict>> {
    (0..slices.len())
        .map(|c| {
            let s = &slices[c];
            let new = s.new_numbers();
            if new < MIN_NEW {
                return None;
            }
            let usual_repeat = median_of(references(slices, c).filter(|o| o.sends >= REFERENCE_MIN).map(Slice::repeat).collect())? / 2.0;
            let usual_quiet = usual_quiet(slices, c);
            let (quiet, repeat) = (s.quiet(), s.repeat());
            Some(Verdict {
                quiet,
                usual_quiet,
                repeat,
                usual_repeat,
                resend_score: exact_below(repeat, s.sends, RESEND_FLOOR),
                clock_score: exact_above(quiet, new, usual_quiet),
                repeat_score: exact_below(repeat, s.sends, usual_repeat),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Legit OTP sign-ins by local hour (low at night), shifted by `offset` hours.
    fn diurnal(n: f64, offset: usize) -> [f64; 24] {
        let w = [1., 1., 1., 1., 1., 2., 4., 7., 9., 10., 10., 10., 10., 10., 10., 10., 10., 10., 11., 11., 10., 8., 5., 2.];
        let total: f64 = w.iter().sum();
        std::array::from_fn(|h| (n * w[(h + 24 - offset) % 24] / total).round())
    }

    fn slice(by_hour: [f64; 24], repeat: f64) -> Slice {
        let new: f64 = by_hour.iter().sum();
        Slice { by_hour, sends: (new / (1.0 - repeat)).round() }
    }

    #[test]
    fn quiet_share_and_repeat_share() {
        assert_eq!(slice([10.0; 24], 0.0).quiet(), 0.25);
        let d = slice(diurnal(2400.0, 0), 0.3);
        assert!(d.quiet() < 0.05, "{}", d.quiet());
        assert!((d.repeat() - 0.3).abs() < 0.01);
        assert_eq!(Slice::default().quiet(), 0.0);
        assert_eq!(Slice::default().repeat(), 0.0);
    }

    #[test]
    fn binomial_tail_scores() {
        assert_eq!(exact_above(0.05, 100.0, 0.08), 0.0, "below the usual share");
        assert_eq!(exact_below(0.2, 100.0, 0.15), 0.0, "above the usual share");
        // None of 140 sends returns where 15 % would: 140·ln(1/0.85).
        assert!((exact_below(0.0, 140.0, 0.15) - 140.0 * (1.0f64 / 0.85).ln()).abs() < 1e-9);
        assert!(exact_above(0.25, 200.0, 0.08) > 20.0);
    }

    #[test]
    fn both_scores_and_their_sum_must_reach_the_threshold() {
        let v = |clock_score, repeat_score| Verdict {
            quiet: 0.0,
            usual_quiet: 0.0,
            repeat: 0.0,
            usual_repeat: 0.0,
            resend_score: 0.0,
            clock_score,
            repeat_score,
        };
        assert!(v(10.0, 10.0).flagged(20.0));
        assert!(!v(10.0, 9.99).flagged(20.0));
        assert!(v(5.0, 15.0).flagged(20.0));
        assert!(!v(4.99, 30.0).flagged(20.0), "each a quarter of it");
        assert!(!v(30.0, 4.99).flagged(20.0), "each a quarter of it");
        assert!(!v(0.0, 0.0).flagged(0.0) && !v(3.0, 0.0).flagged(0.0) && v(0.1, 0.1).flagged(0.0), "0: each above 0");
    }

    #[test]
    fn pumped_countries_are_not_each_others_measure() {
        // Two markets and three pumped countries of 400 new numbers round the clock, none
        // returning: each pumped one is weighed against the markets alone.
        let markets = [slice(diurnal(4000.0, 0), 0.3), slice(diurnal(2500.0, 1), 0.25)];
        let pumped = Slice { by_hour: [400.0 / 24.0; 24], sends: 400.0 };
        let v = judge(&[markets[0], markets[1], pumped, pumped, pumped]);
        for t in &v[2..] {
            let t = t.expect("judged");
            assert!(t.flagged(20.0) && t.usual_quiet < 0.09 && t.usual_repeat > 0.1, "{t:?}");
        }
        assert!(v[..2].iter().all(|v| v.is_some_and(|v| !v.flagged(20.0))), "{v:?}");
    }

    #[test]
    fn a_round_the_clock_trickle_to_numbers_that_never_return_is_flagged() {
        let legit = [slice(diurnal(4000.0, 0), 0.3), slice(diurnal(2500.0, 1), 0.25), slice(diurnal(1500.0, 23), 0.35)];
        // 7 days of 20: 140 sends, none to a number seen before, six an hour of the day.
        let trickle = Slice { by_hour: [35.0 / 6.0; 24], sends: 140.0 };
        let v = judge(&[legit[0], legit[1], legit[2], trickle]);
        assert!(v[..3].iter().all(|v| v.is_some_and(|v| !v.flagged(20.0))), "{v:?}");
        let t = v[3].expect("judged");
        assert!(t.flagged(20.0), "{t:?}");
        assert!(t.usual_quiet >= QUIET_FLOOR && t.usual_quiet < 0.09, "legit countries are quiet at night: {t:?}");
        assert!((t.usual_repeat - 0.15).abs() < 0.005, "half the median country's 30 %: {t:?}");
        // The same users, diurnal: not flagged however few return.
        let v = judge(&[legit[0], legit[1], legit[2], Slice { by_hour: diurnal(140.0, 5), sends: 140.0 }]);
        assert!(!v[3].expect("judged").flagged(20.0));
        // Round the clock, but a third of the sends to numbers seen before (alerts to staff).
        let v = judge(&[legit[0], legit[1], legit[2], slice([10.0; 24], 0.33)]);
        assert!(!v[3].expect("judged").flagged(20.0));
        // Too few to judge; no other country to weigh against.
        assert!(judge(&[legit[0], Slice { by_hour: [2.0; 24], sends: 48.0 }])[1].is_none());
        assert!(judge(&[trickle])[0].is_none());
    }

    #[test]
    fn a_trickle_whose_quiet_hours_are_a_few_above_the_usual_is_scored_by_its_exact_tail() {
        // The simulator's slow-spread seed 5: 142 new numbers over 13 days, 23 of them in the
        // quietest six hours where 9 % would be (12.8), none returning. Its exact tail scores
        // 5.5, over a quarter of 20; the Chernoff bound had said 3.7, and it was missed.
        let legit = [slice(diurnal(4000.0, 0), 0.3), slice(diurnal(2500.0, 1), 0.25), slice(diurnal(1500.0, 23), 0.35)];
        let mut by_hour = [0.0; 24];
        (0..6).for_each(|h| by_hour[h] = if h < 5 { 4.0 } else { 3.0 });
        (6..24).for_each(|h| by_hour[h] = if h < 12 { 7.0 } else { 6.5 });
        by_hour[23] = 5.5;
        let trickle = Slice { by_hour, sends: 142.0 };
        assert_eq!((trickle.new_numbers(), (trickle.quiet() * 142.0).round()), (142.0, 23.0));
        let v = judge(&[legit[0], legit[1], legit[2], trickle]);
        let t = v[3].expect("judged");
        assert!((t.usual_quiet - 0.08).abs() < 0.011, "{t:?}");
        let chernoff = super::super::binomial::above(t.quiet, 142.0, t.usual_quiet);
        assert!(chernoff < 5.0 && t.clock_score >= 5.0, "bound {chernoff}, exact {}", t.clock_score);
        assert!(t.flagged(20.0), "{t:?}");
    }

    #[test]
    fn never_returns_needs_both_the_share_and_the_score() {
        let v = |repeat, usual_repeat, repeat_score, resend_score| Verdict {
            quiet: 0.0,
            usual_quiet: 0.08,
            repeat,
            usual_repeat,
            resend_score,
            clock_score: 0.0,
            repeat_score,
        };
        assert!(v(0.01, 0.15, 20.0, 10.0).never_returns(20.0), "at the edges");
        assert!(!v(0.0101, 0.15, 40.0, 20.0).never_returns(20.0), "a share above 1 %");
        assert!(!v(0.0, 0.15, 19.99, 20.0).never_returns(20.0), "a score under the threshold");
        assert!(!v(0.0, 0.15, 40.0, 9.99).never_returns(20.0), "likely enough for users who only sign up");
        assert!(v(0.005, 0.02, 40.0, 20.0).never_returns(20.0), "a quarter of the usual share, at the edge");
        assert!(!v(0.0051, 0.02, 40.0, 20.0).never_returns(20.0), "over a quarter of a low usual share");
        assert!(!v(0.0, 0.15, 0.0, 0.0).never_returns(0.0), "0: the scores above 0");
        assert!(!v(0.0, 0.15, 40.0, 20.0).flagged(20.0), "not round the clock");
    }

    #[test]
    fn a_drip_in_working_hours_to_numbers_that_never_return_is_flagged() {
        let legit = [slice(diurnal(4000.0, 0), 0.3), slice(diurnal(2500.0, 1), 0.25), slice(diurnal(1500.0, 23), 0.35)];
        // Eight to twenty UTC, the attacker's day: the quiet hours are empty, as users' are.
        let working = |n: f64| std::array::from_fn(|h| if (8..20).contains(&h) { n / 12.0 } else { 0.0 });
        // 430 sends over two weeks, one to a number seen before (0.2 %).
        let drip = Slice { by_hour: working(429.0), sends: 430.0 };
        let v = judge(&[legit[0], legit[1], legit[2], drip]);
        assert!(v[..3].iter().all(|v| v.is_some_and(|v| !v.never_returns(20.0) && !v.flagged(20.0))), "{v:?}");
        let t = v[3].expect("judged");
        assert!(t.clock_score == 0.0 && !t.flagged(20.0) && t.never_returns(20.0), "{t:?}");
        // Ten such drips beside the three markets: the drips are not each other's measure.
        let mut many = legit.to_vec();
        many.extend([drip; 10]);
        let v = judge(&many);
        assert!(v[3..].iter().all(|t| t.is_some_and(|t| t.never_returns(20.0) && (t.usual_repeat - 0.15).abs() < 0.005)), "{v:?}");
        // A country of sign-ups only, whose users resend 3 % of the time: above the share.
        let v = judge(&[legit[0], legit[1], legit[2], slice(working(2000.0), 0.03)]);
        assert!(!v[3].expect("judged").never_returns(20.0));
        // A small country of 60 sends, none to a number seen before: too few to tell; 200 score
        // past the threshold against the usual share, but users who only sign up and resend 4 %
        // of the time send none of 200 again one time in 3,500.
        let v = judge(&[legit[0], legit[1], legit[2], Slice { by_hour: working(60.0), sends: 60.0 }]);
        let t = v[3].expect("judged");
        assert!(t.repeat == 0.0 && t.repeat_score < 20.0 && !t.never_returns(20.0), "{t:?}");
        let v = judge(&[legit[0], legit[1], legit[2], Slice { by_hour: working(200.0), sends: 200.0 }]);
        let t = v[3].expect("judged");
        assert!(t.repeat < 1e-9 && t.repeat_score >= 20.0 && t.resend_score < 10.0 && !t.never_returns(20.0), "{t:?}");
    }

    #[test]
    fn an_account_round_the_clock_everywhere_is_not_judged() {
        // Every country's users spread over time zones (a quarter in any six hours): no country
        // stands for users who sleep, so the clock says nothing.
        let flat = |n: f64| slice([n / 24.0; 24], 0.3);
        let v = judge(&[flat(2400.0), flat(1200.0), Slice { by_hour: [10.0; 24], sends: 240.0 }]);
        assert!(v.iter().all(Option::is_none), "{v:?}");
    }
}
