//! Explained excess: a spend spike, an excess of unverified sends or a conversion drop is about a
//! whole country and window, so its evidence holds the country's ordinary traffic of those hours
//! too (new users, the usual share that never verifies). When narrower message-level findings at
//! medium or above (a pumped range, new numbers in one operator, a risky number class, ...)
//! about the same country and time account for the excess, the wide finding keeps only the
//! messages they name: the rest is what the country usually sends.

use super::incidents::MESSAGE_LEVEL;
use super::{Finding, Row, Severity};
use crate::hash::{Map, Set};

/// The share of a wide finding's excess the narrower findings' messages must account for.
pub const EXPLAINED: f64 = 0.9;

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
        "low-conversion" => {
            let usual = m("sends")? * (1.0 - m("baseline_conversion")?);
            Some((m("unverified")? - usual, usual, false))
        }
        _ => None,
    }
}

/// Narrow findings explain first; then wide ones at medium (an excess of unverified sends)
/// explain others with what they kept.
pub fn explain(findings: &mut [Finding], rows: &[Row]) {
    for narrow_only in [true, false] {
        explain_by(findings, rows, narrow_only);
    }
}

fn explain_by(findings: &mut [Finding], rows: &[Row], narrow_only: bool) {
    let strong: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].severity >= Severity::Medium && MESSAGE_LEVEL.contains(&findings[i].detector))
        .filter(|&i| !narrow_only || excess(&findings[i]).is_none())
        .collect();
    if strong.is_empty() {
        return;
    }
    let wide: Vec<(usize, f64, f64, bool)> = (0..findings.len())
        .filter(|&i| !findings[i].rows.is_empty())
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
                g.detector != s.detector && g.country == s.country && g.start <= s.end && s.start <= g.end
            })
            .collect();
        if with.is_empty() {
            continue;
        }
        let named: Set<u32> = with.iter().flat_map(|&j| findings[j].rows.iter().copied()).collect();
        let keep: Vec<u32> = s.rows.iter().copied().filter(|r| named.contains(r)).collect();
        let explained: f64 = if by_cost { keep.iter().map(|r| cost.get(r).copied().unwrap_or(0.0)).sum() } else { keep.len() as f64 };
        // The messages left out must fit in what the window usually holds (spend, or
        // unverified sends): where nothing is usual (a country never served), nothing is.
        let rest: f64 = if by_cost {
            s.rows.iter().filter(|r| !named.contains(r)).map(|r| cost.get(r).copied().unwrap_or(0.0)).sum()
        } else {
            (s.rows.len() - keep.len()) as f64
        };
        // (With a hair of tolerance: sums of prices are not exact.)
        if keep.len() == s.rows.len() || explained < EXPLAINED * excess - 1e-9 || rest > usual + 1e-9 {
            continue;
        }
        let by: Vec<&str> = with.iter().map(|&j| findings[j].detector).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let note = format!(
            "{} of its {} messages are named by {}, and account for its excess {}; the rest are the country's usual traffic",
            keep.len(),
            s.rows.len(),
            by.join(" and "),
            if by_cost { "cost" } else { "of unverified sends" }
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
        // What is left out must fit in the usual spend: 0.50 does not fit in 0.40, nor in a
        // country never served (nothing usual).
        for usual in [0.4, 0.0] {
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
}
