//! What several detectors ask of the rows, found once: the period, whether the rows are in
//! time order, whether any send's conversion is known, and the account's usual conversion.
//! Each detector had made its own passes for these (five for whether conversion is known,
//! five for the period): at ten million rows a pass over the table is some 40 ms.

use super::Row;
use super::low_conversion::daily_baseline;

/// The rows' order in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first (or one row, or none).
    Ascending,
    /// Newest first (the Twilio Console's order).
    Descending,
    Neither,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts {
    /// The first and last send time (0 and 0 without rows).
    pub start: i64,
    pub end: i64,
    pub order: Order,
    /// Whether any row's conversion is known.
    pub conversion_known: bool,
    /// The account's usual conversion over the rows whose conversion is known
    /// ([`daily_baseline`]); None when none is.
    pub account_conversion: Option<f64>,
}

impl Facts {
    /// One pass over `rows` (a second over those with conversion known, when there are any).
    pub fn of(rows: &[Row]) -> Facts {
        let (mut start, mut end) = (i64::MAX, i64::MIN);
        let (mut up, mut down, mut known) = (true, true, false);
        let mut last = rows.first().map_or(0, |r| r.ts);
        for r in rows {
            start = start.min(r.ts);
            end = end.max(r.ts);
            up &= last <= r.ts;
            down &= last >= r.ts;
            last = r.ts;
            known |= r.converted().is_some();
        }
        if rows.is_empty() {
            (start, end) = (0, 0);
        }
        let order = if up {
            Order::Ascending
        } else if down {
            Order::Descending
        } else {
            Order::Neither
        };
        let account_conversion = if known { daily_baseline(rows.iter().filter(|r| r.converted().is_some())) } else { None };
        Facts { start, end, order, conversion_known: known, account_conversion }
    }

    /// The period as (first, last), when there are rows.
    pub fn period(&self, rows: &[Row]) -> Option<(i64, i64)> {
        (!rows.is_empty()).then_some((self.start, self.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    #[test]
    fn one_pass_finds_what_the_detectors_had_each_found() {
        let at = |ts: &[i64]| -> Vec<Row> { ts.iter().enumerate().map(|(i, &t)| row(i as u32, t, 371, 20_000_000, 8)).collect() };
        let up = Facts::of(&at(&[1, 2, 2, 5]));
        assert_eq!((up.start, up.end, up.order, up.conversion_known, up.account_conversion), (1, 5, Order::Ascending, false, None));
        assert_eq!(Facts::of(&at(&[5, 5, 3, 1])).order, Order::Descending);
        let neither = Facts::of(&at(&[3, 1, 4]));
        assert_eq!((neither.start, neither.end, neither.order), (1, 4, Order::Neither));
        let none = Facts::of(&[]);
        assert_eq!((none.start, none.end, none.order, none.period(&[])), (0, 0, Order::Ascending, None));
        // Conversion: the same usual rate as over the rows with conversion known.
        let mut rows = at(&(0..40).map(|i| i * 3_600_000).collect::<Vec<_>>());
        for (i, r) in rows.iter_mut().enumerate().take(30) {
            r.set_converted(Some(i % 3 != 0));
        }
        let f = Facts::of(&rows);
        let known: Vec<&Row> = rows.iter().filter(|r| r.converted().is_some()).collect();
        assert!(f.conversion_known);
        assert_eq!(f.account_conversion, daily_baseline(known.iter().copied()));
        assert!((f.account_conversion.expect("rate") - 20.0 / 30.0).abs() < 1e-9);
    }
}
