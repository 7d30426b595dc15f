//! What a scan asks of every stored row before its detectors, found in one pass on every core:
//! the priced rows per attrs (for the currency), whether the scan's filters keep every row, the
//! rows' [`Facts`], the few rows two detectors look at ([`Marked`]), and every row's country
//! with each country's sends per hour ([`CountryTable`]). Seven passes had each read the whole
//! table on one core (at 9.7M rows, 35-80 ms each: 45 ms is the time it takes to read its
//! 390 MB).

use super::Row;
use super::country_table::{self, CountryTable};
use super::facts::{Facts, Partial};
use super::number_class;
use crate::parts::in_parts;
use crate::store::bits::HAS_COST;

/// The positions of the rows `number-class` counts and of those the provider blocked.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Marked {
    pub classed: Vec<u32>,
    pub blocked: Vec<u32>,
}

impl Marked {
    /// The row at position `at`.
    #[inline]
    fn mark(&mut self, at: usize, r: &Row) {
        if number_class::counts(r) {
            self.classed.push(at as u32);
        }
        if r.provider_block() {
            self.blocked.push(at as u32);
        }
    }
}

pub struct Survey {
    /// Priced rows per [`Attrs`](crate::store::Attrs) index.
    pub priced: Vec<u64>,
    /// Rows the filter leaves out, or that have no timestamp (which detectors cannot place).
    pub left_out: u64,
    /// The facts of the rows kept.
    facts: Partial,
    marked: Marked,
    /// Each part's countries, joined once the period is known ([`Survey::country_table`]).
    countries: Vec<country_table::Partial>,
}

impl Survey {
    fn new(attrs: usize) -> Survey {
        Survey { priced: vec![0; attrs], left_out: 0, facts: Partial::default(), marked: Marked::default(), countries: Vec::new() }
    }

    /// `rows`: the store's; `attrs`: how many attrs it has; `keep`: the scan's filters.
    pub fn of(rows: &[Row], attrs: usize, keep: impl Fn(&Row) -> bool + Sync) -> Survey {
        let parts = in_parts(rows, |at, part| {
            let mut s = Survey::new(attrs);
            let mut countries = country_table::Partial::new(part.len());
            for (i, m) in crate::memory::ahead(part).enumerate() {
                if m.bits & HAS_COST != 0
                    && let Some(n) = s.priced.get_mut(m.attrs as usize)
                {
                    *n += 1;
                }
                if m.ts_opt().is_some() && keep(m) {
                    s.facts.add(m);
                    countries.add(m);
                } else {
                    s.left_out += 1;
                }
                s.marked.mark(at + i, m);
            }
            s.countries.push(countries);
            s
        });
        let mut all = Survey::new(attrs);
        for p in parts {
            all.priced.iter_mut().zip(&p.priced).for_each(|(a, b)| *a += b);
            all.left_out += p.left_out;
            all.facts = all.facts.then(p.facts);
            all.marked.classed.extend(p.marked.classed);
            all.marked.blocked.extend(p.marked.blocked);
            all.countries.extend(p.countries);
        }
        all
    }

    /// The rows' countries and their sends per hour over the period `facts` gives, when the
    /// detector rows are every row surveyed (taken: a second call gives None). None too when a
    /// row lay further from others than any scan's period (the scan refuses the period).
    pub fn country_table(&mut self, facts: &Facts) -> Option<CountryTable> {
        let parts = std::mem::take(&mut self.countries);
        if self.left_out > 0 || parts.is_empty() {
            return None;
        }
        country_table::Partial::finish(parts, facts)
    }

    /// The facts of the detector rows when they are every row surveyed (nothing left out).
    pub fn facts(&self, rows: &[Row]) -> Option<Facts> {
        (self.left_out == 0).then(|| self.facts.finish(rows))
    }

    /// The marked rows' positions in the detector rows, when they are every row surveyed.
    pub fn marked(&self) -> Option<&Marked> {
        (self.left_out == 0).then_some(&self.marked)
    }
}

/// The marked rows of `rows` when `marked` has them, else found by a pass.
pub fn marked_or_found<'a>(rows: &[Row], marked: Option<&'a Marked>) -> std::borrow::Cow<'a, Marked> {
    match marked {
        Some(m) => std::borrow::Cow::Borrowed(m),
        None => {
            let mut m = Marked::default();
            crate::memory::ahead(rows).enumerate().for_each(|(i, r)| m.mark(i, r));
            std::borrow::Cow::Owned(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    #[test]
    fn one_pass_finds_what_the_three_did() {
        // Enough rows for every core; some unpriced, some without a time, some converted, in
        // an order that is neither ascending nor descending at a part's edge only.
        let n = 200_000u32;
        let mut rows: Vec<Row> = (0..n).map(|i| row(i, i64::from(n - i) * 1000, 371, 20_000_000 + u64::from(i), 8)).collect();
        for (i, r) in rows.iter_mut().enumerate() {
            r.attrs = (i % 5) as u32;
            if i % 7 == 0 {
                r.bits &= !HAS_COST;
            }
            if i % 11 == 0 {
                r.set_converted(Some(i % 3 == 0));
            }
            if i % 13 == 0 {
                r.number_type = crate::schema::NumberType::PremiumRate;
            }
            if i % 17 == 0 {
                r.set_provider_block(true);
            }
            // Priced in eighths (sums exact in any order), in seven countries.
            r.cost = (i % 9) as f64 / 8.0;
            r.region = [b'A' + (i % 7) as u8, b'Q'];
        }
        let classed: Vec<u32> = (0..n).filter(|i| i % 13 == 0).collect();
        let blocked: Vec<u32> = (0..n).filter(|i| i % 17 == 0).collect();
        let priced = |rows: &[Row]| {
            (0..5).map(|a| rows.iter().filter(|r| r.attrs == a && r.bits & HAS_COST != 0).count() as u64).collect::<Vec<_>>()
        };
        let s = Survey::of(&rows, 5, |_| true);
        assert_eq!(s.priced, priced(&rows));
        assert_eq!(s.left_out, 0);
        assert_eq!(s.facts(&rows), Some(crate::detect::facts::tests::one_pass(&rows)));
        assert_eq!(s.facts(&rows).map(|f| f.order), Some(super::super::facts::Order::Descending));
        // The marked rows: those number-class counts and the blocked, in order.
        assert_eq!(s.marked(), Some(&marked_or_found(&rows, None).into_owned()));
        assert_eq!(s.marked().map(|m| (m.classed.len(), m.blocked.len())), Some((classed.len(), blocked.len())));
        assert!(s.marked().is_some_and(|m| m.classed == classed && m.blocked == blocked));
        // The countries' table: what a pass of its own finds, once.
        let mut s = Survey::of(&rows, 5, |_| true);
        let facts = s.facts(&rows).expect("every row kept");
        crate::detect::country_table::tests::check(&rows, &s.country_table(&facts).expect("a short period"));
        assert!(s.country_table(&facts).is_none(), "taken by the first call");
        // A row out of order in the middle of the second half; a filter; a row without a time.
        rows[150_000].ts = 1;
        assert_eq!(Survey::of(&rows, 5, |_| true).facts(&rows), Some(crate::detect::facts::tests::one_pass(&rows)));
        let mut s = Survey::of(&rows, 5, |r| r.idx % 2 == 0);
        assert_eq!((s.left_out, s.facts(&rows), s.marked()), (u64::from(n / 2), None, None));
        assert!(s.country_table(&Facts::of(&rows)).is_none(), "rows left out: the detector rows are others");
        rows[3].bits &= !crate::store::bits::HAS_TS;
        let s = Survey::of(&rows, 5, |_| true);
        assert_eq!((s.left_out, s.facts(&rows), s.priced), (1, None, priced(&rows)));
    }
}
