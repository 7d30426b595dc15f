//! Explained excess: a spend spike, an excess of unverified sends or a conversion drop is about a
//! whole country and window, so its evidence holds the country's ordinary traffic of those hours
//! too (new users, the usual share that never verifies). When narrower message-level findings at
//! medium or above (a pumped range, new numbers in one operator, a risky number class, ...)
//! about the same country and time account for the excess, the wide finding keeps only the
//! messages they name: the rest is what the country usually sends.
//!
//! A spike of new numbers in one operator's slice is wide too when a pumped range (or another
//! narrow finding) inside it names the excess: the operator's usual new users of those hours
//! are not evidence. So is a two-digit operator prefix's spike when a three-digit prefix under
//! it, at medium, names the excess (an attack on one three-digit prefix is a spike of its
//! two-digit one too, which holds several operators' usual new users). It then explains the
//! country-wide findings with what it kept.

use super::incidents::MESSAGE_LEVEL;
use super::{Finding, Row, Severity};
use crate::hash::{Map, Set};

/// The share of a wide finding's excess the narrower findings' messages must account for.
pub const EXPLAINED: f64 = 0.9;

const NEW_NUMBERS: &str = "new-numbers";

/// Whether what a wide finding's narrower findings leave out (`rest`) fits in what its window
/// usually holds (`usual`): at most the 99.9th percentile of a Poisson count of messages about
/// the usual mean (`usual + 3.1·√(usual·unit)`, `unit` a message's price for spend, 1 for counts
/// of unverified sends or new numbers), since the usual amount is a typical window and the
/// window's own count varies about it. Where nothing is usual (a country never served), nothing
/// fits.
pub fn fits(rest: f64, usual: f64, unit: f64) -> bool {
    let most = if usual <= 0.0 { 0.0 } else { usual + 3.1 * (usual * unit.max(0.0)).sqrt() };
    // (With a hair of tolerance: sums of prices are not exact.)
    rest <= most + 1e-9
}

/// A wide finding's excess over what its window usually holds, that usual amount, and whether
/// both are costs (else counts of unverified sends); `None` for findings that are not wide.
fn excess(f: &Finding) -> Option<(f64, f64, bool)> {
    let m = |k: &str| f.metrics.get(k).copied();
    match f.detector {
        // A country first seen: all its spend is excess, none usual.
        "spend-anomaly" => Some(match (m("excess_cost"), m("expected_cost")) {
            (Some(e), Some(x)) => (e, x, true),
            _ => (m("cost")?, 0.0, true),
        }),
        "excess-unverified" => Some((m("excess_unverified")?, m("expected_unverified")?, false)),
        "new-numbers" => {
            let usual = m("median_new_numbers")?;
            Some((m("new_numbers")? - usual, usual, false))
        }
        "low-conversion" => {
            let usual = m("sends")? * (1.0 - m("baseline_conversion")?);
            Some((m("unverified")? - usual, usual, false))
        }
        _ => None,
    }
}

/// The digits of a new-numbers finding's operator prefix (none: not about an operator).
fn operator_digits(f: &Finding) -> Option<u32> {
    (f.detector == NEW_NUMBERS && f.subject_kind == "operator_prefix")
        .then(|| f.metrics.get("operator_digits").copied().unwrap_or(3.0) as u32)
}

/// Whether `g` is a spike of new numbers in a three-digit operator prefix under `s`'s two-digit
/// one (of the same country: see the caller), by the prefixes' digits, not their texts (`061`
/// reads `+3961` as three digits, `06` `+3906` as two).
fn under(g: &Finding, s: &Finding) -> bool {
    let prefix = |f: &Finding| f.metrics.get("operator_prefix").map(|p| *p as u32);
    operator_digits(g) == Some(3) && operator_digits(s) == Some(2) && matches!((prefix(g), prefix(s)), (Some(a), Some(b)) if a / 10 == b)
}

/// Which findings explain which, in turn.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Narrow findings (a range, a number class) explain spikes of new numbers.
    NewNumbers,
    /// Spikes of new numbers in three-digit operator prefixes at medium (with what they kept)
    /// and narrow findings explain the two-digit prefixes' above them.
    TwoDigit,
    /// Narrow findings and new-number spikes (with what they kept) explain country-wide ones.
    Narrow,
    /// Country-wide findings at medium (an excess of unverified sends) explain others with what
    /// they kept.
    Wide,
}

/// The passes in their order.
pub fn explain(findings: &mut [Finding], rows: &[Row]) {
    for pass in [Pass::NewNumbers, Pass::TwoDigit, Pass::Narrow, Pass::Wide] {
        explain_by(findings, rows, pass);
    }
}

fn explain_by(findings: &mut [Finding], rows: &[Row], pass: Pass) {
    let is_new = |i: usize| findings[i].detector == NEW_NUMBERS;
    let strong: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].severity >= Severity::Medium && MESSAGE_LEVEL.contains(&findings[i].detector))
        .filter(|&i| match pass {
            Pass::NewNumbers => excess(&findings[i]).is_none(),
            Pass::TwoDigit => excess(&findings[i]).is_none() || operator_digits(&findings[i]) == Some(3),
            Pass::Narrow => excess(&findings[i]).is_none() || is_new(i),
            Pass::Wide => true,
        })
        .collect();
    if strong.is_empty() {
        return;
    }
    let wide: Vec<(usize, f64, f64, bool)> = (0..findings.len())
        .filter(|&i| !findings[i].rows.is_empty())
        .filter(|&i| match pass {
            Pass::NewNumbers => is_new(i),
            Pass::TwoDigit => operator_digits(&findings[i]) == Some(2),
            Pass::Narrow | Pass::Wide => !is_new(i),
        })
        .filter_map(|i| excess(&findings[i]).map(|(e, usual, by_cost)| (i, e, usual, by_cost)))
        .collect();
    let mut cost: Map<u32, f64> = Map::default();
    for &(i, _, _, by_cost) in &wide {
        if by_cost {
            cost.extend(findings[i].rows.iter().map(|&r| (r, 0.0)));
        }
    }
    // The rows are in their index order (the store's, or a filtered copy of it): look the few
    // needed up by halving, not with a pass over every row.
    for (r, c) in cost.iter_mut() {
        if let Ok(at) = rows.binary_search_by_key(r, |m| m.idx) {
            *c = rows[at].cost;
        }
    }
    let mut trimmed: Vec<(usize, Vec<u32>, String)> = Vec::new();
    for (i, excess, usual, by_cost) in wide {
        let s = &findings[i];
        let with: Vec<usize> = strong
            .iter()
            .copied()
            .filter(|&j| {
                let g = &findings[j];
                (g.detector != s.detector || under(g, s)) && g.country == s.country && g.start <= s.end && s.start <= g.end
            })
            .collect();
        if with.is_empty() {
            continue;
        }
        let named: Set<u32> = with.iter().flat_map(|&j| findings[j].rows.iter().copied()).collect();
        let keep: Vec<u32> = s.rows.iter().copied().filter(|r| named.contains(r)).collect();
        let explained: f64 = if by_cost { keep.iter().map(|r| cost.get(r).copied().unwrap_or(0.0)).sum() } else { keep.len() as f64 };
        // The messages left out must fit in what the window usually holds (spend, unverified
        // sends or new numbers).
        let left = (s.rows.len() - keep.len()) as f64;
        let (rest, unit) = if by_cost {
            let spent: f64 = s.rows.iter().filter(|r| !named.contains(r)).map(|r| cost.get(r).copied().unwrap_or(0.0)).sum();
            (spent, spent / left.max(1.0))
        } else {
            (left, 1.0)
        };
        if keep.len() == s.rows.len() || explained < EXPLAINED * excess - 1e-9 || !fits(rest, usual, unit) {
            continue;
        }
        let by: Vec<&str> = with.iter().map(|&j| findings[j].detector).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let note = format!(
            "{} of its {} messages are named by {}, and account for its excess {}; the rest are the {}'s usual traffic",
            keep.len(),
            s.rows.len(),
            by.join(" and "),
            if by_cost {
                "cost"
            } else if s.detector == NEW_NUMBERS {
                "of new numbers"
            } else {
                "of unverified sends"
            },
            if s.subject_kind == "operator_prefix" { "operator" } else { "country" }
        );
        trimmed.push((i, keep, note));
    }
    // Trimmed after all are weighed: what names a message is each finding's own evidence.
    for (i, keep, note) in trimmed {
        findings[i].rows = keep;
        findings[i].note = note;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    fn finding(detector: &'static str, severity: Severity, rows: &[Row], excess: Option<(f64, f64)>) -> Finding {
        let members: Vec<&Row> = rows.iter().collect();
        let mut f = Finding { severity, ..Finding::over(detector, "country", "LV".into(), &members) };
        if let Some((e, usual)) = excess {
            f.metrics.insert("excess_cost", e);
            f.metrics.insert("expected_cost", usual);
        }
        f
    }

    #[test]
    fn a_spend_spike_explained_by_strong_evidence_keeps_only_that_evidence() {
        // 100 sends to the country at 0.05 (5.00): 90 are new numbers in one operator (4.50),
        // 10 the country's usual traffic (0.50).
        let rows: Vec<Row> = (0..100u32).map(|i| row(i, i64::from(i) * 1000, 371, 20_000_000 + u64::from(i), 8)).collect();
        let strong = finding("new-numbers", Severity::Medium, &rows[..90], None);
        let spend = finding("spend-anomaly", Severity::Low, &rows, Some((4.5, 0.5)));
        let mut fs = vec![strong.clone(), spend.clone()];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 90);
        assert!(
            fs[1].note.starts_with("90 of its 100 messages are named by new-numbers, and account for its excess cost"),
            "{}",
            fs[1].note
        );
        // The threshold edge: 4.50 named must be 0.9 of the excess: of 5.00 it is, of 5.01 not.
        let mut fs = vec![strong.clone(), finding("spend-anomaly", Severity::Low, &rows, Some((5.0, 0.5)))];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 90);
        let mut fs = vec![strong.clone(), finding("spend-anomaly", Severity::Low, &rows, Some((5.01, 0.5)))];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 100);
        assert!(fs[1].note.is_empty());
        // What is left out must fit in the usual spend: 0.50 (10 messages at 0.05) does not fit
        // in a usual 0.10 (at most 0.10 + 3.1·√(0.10·0.05) = 0.32), nor in a country never
        // served (nothing usual); it fits in a usual 0.25 (at most 0.25 + 3.1·√(0.25·0.05) = 0.60).
        let mut fs = vec![strong.clone(), finding("spend-anomaly", Severity::Low, &rows, Some((4.5, 0.25)))];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 90);
        for usual in [0.1, 0.0] {
            let mut fs = vec![strong.clone(), finding("spend-anomaly", Severity::Low, &rows, Some((4.5, usual)))];
            explain(&mut fs, &rows);
            assert_eq!(fs[1].rows.len(), 100, "usual {usual}");
        }
        // A strong finding at low, or about another time, explains nothing.
        let mut fs = vec![finding("new-numbers", Severity::Low, &rows[..90], None), spend.clone()];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 100);
        let later: Vec<Row> = rows.iter().map(|r| Row { ts: r.ts + 10_000_000, ..*r }).collect();
        let mut fs = vec![finding("new-numbers", Severity::Medium, &later[..90], None), spend];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 100);
    }

    #[test]
    fn unverified_excess_is_explained_by_count_and_narrow_findings_go_first() {
        // 60 unverified sends: 50 in a pumped range, 10 the usual share that never verifies.
        let rows: Vec<Row> = (0..60u32).map(|i| row(i, i64::from(i) * 1000, 371, 20_000_000 + u64::from(i), 8)).collect();
        let range = finding("pumped-range", Severity::Medium, &rows[..50], None);
        let mut excess = finding("excess-unverified", Severity::Medium, &rows, None);
        excess.metrics.insert("excess_unverified", 50.0);
        excess.metrics.insert("expected_unverified", 10.0);
        // A conversion drop over the same sends: explained by the excess once that is trimmed.
        let mut drop = finding("low-conversion", Severity::Low, &rows, None);
        drop.metrics.extend([("sends", 100.0), ("unverified", 60.0), ("baseline_conversion", 0.9)]);
        let mut fs = vec![range, excess, drop];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 50, "{}", fs[1].note);
        assert!(fs[1].note.contains("of unverified sends"));
        assert_eq!(fs[2].rows.len(), 50, "{}", fs[2].note);
        assert!(fs[2].note.contains("named by pumped-range"), "{}", fs[2].note);
        // Without the range, the excess (medium, message-level) explains the drop, with what
        // it names itself.
        let mut alone = finding("excess-unverified", Severity::Medium, &rows[..50], None);
        alone.metrics.extend([("excess_unverified", 50.0), ("expected_unverified", 10.0)]);
        let mut fs = vec![alone, fs[2].clone()];
        fs[1].rows = (0..60).collect();
        fs[1].note.clear();
        explain(&mut fs, &rows);
        assert_eq!(fs[0].rows.len(), 50);
        assert_eq!(fs[1].rows.len(), 50);
        assert!(fs[1].note.contains("named by excess-unverified"), "{}", fs[1].note);
    }

    #[test]
    fn a_count_left_out_fits_up_to_the_poisson_tail_of_the_usual_count() {
        // Usual 16 new numbers: 16 + 3.1·4 = 28.4 fit, 29 do not.
        assert!(fits(28.0, 16.0, 1.0));
        assert!(!fits(29.0, 16.0, 1.0));
        // A usual spend of 4.00 at 0.25 a message (16 messages): 4 + 3.1·1 = 7.10 fits, 7.20 not.
        assert!(fits(7.1, 4.0, 0.25));
        assert!(!fits(7.2, 4.0, 0.25));
        // Nothing usual: nothing fits.
        assert!(fits(0.0, 0.0, 1.0));
        assert!(!fits(1.0, 0.0, 1.0));
    }

    #[test]
    fn an_operator_spike_explained_by_a_pumped_range_keeps_the_range_only() {
        // 120 new numbers in an operator's day (usual 16): 100 in a pumped range, 20 the
        // operator's usual new users (within 16 + 3.1·4).
        let rows: Vec<Row> = (0..120u32).map(|i| row(i, i64::from(i) * 1000, 371, 20_000_000 + u64::from(i) * 997, 8)).collect();
        let range = finding("pumped-range", Severity::Medium, &rows[..100], None);
        let mut spike = finding("new-numbers", Severity::Medium, &rows, None);
        spike.subject_kind = "operator_prefix";
        spike.metrics.extend([("new_numbers", 120.0), ("median_new_numbers", 16.0)]);
        // And a spend spike over the same sends (6.00, 1.00 usual), which the spike explains
        // with what it kept: the operator's 20 usual new users are not the spike's evidence,
        // so not the spend's either.
        let spend = finding("spend-anomaly", Severity::Low, &rows, Some((5.0, 1.0)));
        let mut fs = vec![range.clone(), spike.clone(), spend];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 100, "{}", fs[1].note);
        assert!(fs[1].note.contains("excess of new numbers; the rest are the operator's usual traffic"), "{}", fs[1].note);
        assert_eq!(fs[2].rows.len(), 100, "{}", fs[2].note);
        // 30 left out do not fit in a usual 16: the spike keeps all it names.
        let rows2: Vec<Row> = (0..130u32).map(|i| row(i, i64::from(i) * 1000, 371, 20_000_000 + u64::from(i) * 997, 8)).collect();
        let mut spike2 = finding("new-numbers", Severity::Medium, &rows2, None);
        spike2.metrics.extend([("new_numbers", 130.0), ("median_new_numbers", 16.0)]);
        let mut fs = vec![finding("pumped-range", Severity::Medium, &rows2[..100], None), spike2];
        explain(&mut fs, &rows2);
        assert_eq!(fs[1].rows.len(), 130);
        // Another spike (new-numbers) never trims a spike, and a spike is not trimmed by what an
        // excess of unverified sends kept.
        let mut unverified = finding("excess-unverified", Severity::Medium, &rows[..100], None);
        unverified.metrics.extend([("excess_unverified", 100.0), ("expected_unverified", 10.0)]);
        let mut fs = vec![unverified, spike];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 120);
    }

    /// An operator prefix's spike of new numbers, at `digits` digits.
    fn operator_spike(subject: &str, digits: f64, rows: &[Row], usual: f64) -> Finding {
        let mut f = finding("new-numbers", Severity::Medium, rows, None);
        f.subject_kind = "operator_prefix";
        f.subject = subject.into();
        let prefix: f64 = subject[4..].parse().expect("digits after +371");
        f.metrics.extend([
            ("new_numbers", rows.len() as f64),
            ("median_new_numbers", usual),
            ("operator_digits", digits),
            ("operator_prefix", prefix),
        ]);
        f
    }

    #[test]
    fn a_two_digit_spike_is_explained_by_the_three_digit_spike_under_it_with_what_it_kept() {
        // +37129: 140 new numbers in a day (usual 30): 110 in +371291's spike, of which a pumped
        // range names 100 (the other 10 are that operator's usual new users), and 30 other
        // operators' usual new users.
        let rows: Vec<Row> = (0..140u32).map(|i| row(i, i64::from(i) * 1000, 371, 29_100_000 + u64::from(i) * 97, 8)).collect();
        let range = finding("pumped-range", Severity::Medium, &rows[..100], None);
        let three = operator_spike("+371291", 3.0, &rows[..110], 6.0);
        let two = operator_spike("+37129", 2.0, &rows, 30.0);
        let mut fs = vec![range.clone(), three.clone(), two.clone()];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 100, "{}", fs[1].note);
        assert_eq!(fs[2].rows.len(), 100, "{}", fs[2].note);
        // A two-digit spike the range alone does not explain (usual 20: 108 needed) is weighed
        // against what the three-digit one kept (the range's 100), not its first 110, which
        // would have explained it.
        let busier = operator_spike("+37129", 2.0, &rows, 20.0);
        let mut fs = vec![range, three.clone(), busier];
        explain(&mut fs, &rows);
        assert_eq!((fs[1].rows.len(), fs[2].rows.len()), (100, 140), "{}", fs[2].note);
        // Without a range: the three-digit spike names the excess of the two-digit one.
        let mut fs = vec![three.clone(), two.clone()];
        explain(&mut fs, &rows);
        assert_eq!((fs[0].rows.len(), fs[1].rows.len()), (110, 110), "{}", fs[1].note);
        assert!(fs[1].note.contains("named by new-numbers"), "{}", fs[1].note);
        // A three-digit spike under another two-digit prefix explains nothing here.
        let other = operator_spike("+371281", 3.0, &rows[..110], 6.0);
        let mut fs = vec![other, two.clone()];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 140);
        // Nor does one at low (not concentrated).
        let low = Finding { severity: Severity::Low, ..three };
        let mut fs = vec![low, two];
        explain(&mut fs, &rows);
        assert_eq!(fs[1].rows.len(), 140);
    }
}
