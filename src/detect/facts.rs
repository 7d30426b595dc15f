//! What several detectors ask of the rows, found once: the period, whether the rows are in
//! time order, whether any send's conversion is known, and the account's usual conversion.
//! Each detector had made its own passes for these (five for whether conversion is known,
//! five for the period): at ten million rows a pass over the table is some 40 ms.

use super::Row;
use super::low_conversion::daily_baseline_of;

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
    /// ([`super::low_conversion::daily_baseline`]); None when none is.
    pub account_conversion: Option<f64>,
}

/// The facts of a run of rows, before the account's conversion: what [`Facts::of`] finds in
/// each part of the rows, on a thread each, and joins in order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Partial {
    start: i64,
    end: i64,
    /// The run's first and last send time (None for no rows).
    ends: Option<(i64, i64)>,
    up: bool,
    down: bool,
    known: bool,
}

impl Default for Partial {
    fn default() -> Partial {
        Partial { start: i64::MAX, end: i64::MIN, ends: None, up: true, down: true, known: false }
    }
}

impl Partial {
    /// One more row, after those seen.
    #[inline]
    pub fn add(&mut self, r: &Row) {
        self.start = self.start.min(r.ts);
        self.end = self.end.max(r.ts);
        match &mut self.ends {
            Some((_, last)) => {
                self.up &= *last <= r.ts;
                self.down &= *last >= r.ts;
                *last = r.ts;
            }
            None => self.ends = Some((r.ts, r.ts)),
        }
        self.known |= r.converted().is_some();
    }

    /// These rows, then `later`'s.
    pub fn then(self, later: Partial) -> Partial {
        let (up, down) = match (self.ends, later.ends) {
            (Some((_, last)), Some((first, _))) => (last <= first, last >= first),
            _ => (true, true),
        };
        Partial {
            start: self.start.min(later.start),
            end: self.end.max(later.end),
            ends: match (self.ends, later.ends) {
                (Some((a, _)), Some((_, b))) => Some((a, b)),
                (a, b) => a.or(b),
            },
            up: self.up && later.up && up,
            down: self.down && later.down && down,
            known: self.known || later.known,
        }
    }

    /// The facts of `rows`, the rows this partial saw (a second pass over those with conversion
    /// known, when there are any).
    pub fn finish(self, rows: &[Row]) -> Facts {
        let (start, end) = if self.ends.is_none() { (0, 0) } else { (self.start, self.end) };
        let order = if self.up {
            Order::Ascending
        } else if self.down {
            Order::Descending
        } else {
            Order::Neither
        };
        let account_conversion = if self.known { daily_baseline_of(rows) } else { None };
        Facts { start, end, order, conversion_known: self.known, account_conversion }
    }
}

impl Facts {
    /// One pass over `rows`, on every core (a second over those with conversion known, when
    /// there are any).
    pub fn of(rows: &[Row]) -> Facts {
        let parts = crate::parts::in_parts(rows, |_, part| {
            let mut p = Partial::default();
            crate::memory::ahead(part).for_each(|r| p.add(r));
            p
        });
        parts.into_iter().fold(Partial::default(), Partial::then).finish(rows)
    }

    /// The period as (first, last), when there are rows.
    pub fn period(&self, rows: &[Row]) -> Option<(i64, i64)> {
        (!rows.is_empty()).then_some((self.start, self.end))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::detect::tests::row;

    /// The plain way: one pass on one thread.
    pub fn one_pass(rows: &[Row]) -> Facts {
        let mut p = Partial::default();
        crate::memory::ahead(rows).for_each(|r| p.add(r));
        p.finish(rows)
    }

    #[test]
    fn the_parts_give_what_one_pass_gives() {
        // Enough rows for a part a core; ascending, descending, and out of order only where a
        // part ends, only inside one, or flat.
        let n: i64 = 300_000;
        let at = |ts: &dyn Fn(i64) -> i64| -> Vec<Row> { (0..n).map(|i| row(i as u32, ts(i), 371, 20_000_000, 8)).collect() };
        let cores = std::thread::available_parallelism().map_or(1, usize::from).min(8);
        let edge = (n as usize).div_ceil(cores) as i64;
        for rows in [
            at(&|i| i / 3),
            at(&|i| n - i),
            at(&|i| if i == edge { 0 } else { i }),
            at(&|i| if i == edge - 1 { n } else { n - i }),
            at(&|i| if i == 7 { -1 } else { i }),
            at(&|_| 5),
        ] {
            assert_eq!(Facts::of(&rows), one_pass(&rows));
        }
        assert_eq!(Partial::default().then(Partial::default()).finish(&[]), one_pass(&[]));
    }

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
        assert_eq!(f.account_conversion, crate::detect::low_conversion::daily_baseline(known.iter().copied()));
        assert!((f.account_conversion.expect("rate") - 20.0 / 30.0).abs() < 1e-9);
    }
}
