//! Each row's country number in one byte, noted by a detector's first pass (which reads every
//! row anyway), so that its later passes, which want the rows of a few flagged countries, read
//! a byte a row and only those countries' rows: at 9.7M rows a pass over the table reads 390 MB,
//! over the bytes 10 MB.

use super::{Countries, Row};

/// More than this many countries: no bytes are kept, and passes read every row.
const MAX: usize = u8::MAX as usize;

pub struct CountryIds {
    /// Per row, its country's number ([`Countries::id`]); empty when there were too many.
    ids: Vec<u8>,
    /// Per country number, the calling code of its rows (`None`: more than one).
    codes: Vec<Option<u16>>,
}

impl CountryIds {
    pub fn with_capacity(rows: usize) -> CountryIds {
        CountryIds { ids: Vec::with_capacity(rows), codes: Vec::new() }
    }

    /// Every row's country, numbered in the order first met (a pass of its own, for a detector
    /// whose first pass does not read every row).
    pub fn of(rows: &[Row]) -> (Countries, CountryIds) {
        let (mut countries, mut ids) = (Countries::default(), CountryIds::with_capacity(rows.len()));
        for r in crate::memory::ahead(rows) {
            ids.push(countries.id(r.country()), r);
        }
        (countries, ids)
    }

    /// Note the next row, `c` its country's number.
    #[inline]
    pub fn push(&mut self, c: usize, r: &Row) {
        if c == self.codes.len() {
            self.codes.push(Some(r.calling_code));
        } else if self.codes[c].is_some_and(|cc| cc != r.calling_code) {
            self.codes[c] = None;
        }
        if c < MAX {
            self.ids.push(c as u8);
        }
    }

    /// Whether a row of country `c` may have calling code `cc` among `wanted`.
    pub fn may_have(&self, c: usize, wanted: &super::CallingCodes) -> bool {
        self.codes.get(c).copied().flatten().is_none_or(|cc| wanted.has_code(cc))
    }

    /// The rows (with their positions) of the countries `want` takes, in order. `rows`: those
    /// noted, one [`CountryIds::push`] each; `countries`: the numbering they were noted with.
    pub fn rows_of<'a>(
        &'a self,
        rows: &'a [Row],
        countries: &'a Countries,
        want: impl Fn(usize) -> bool + 'a,
    ) -> Box<dyn Iterator<Item = (usize, &'a Row)> + 'a> {
        let wanted: Vec<bool> = (0..self.codes.len()).map(&want).collect();
        if self.codes.len() <= MAX && self.ids.len() == rows.len() {
            Box::new(self.ids.iter().enumerate().filter(move |(_, c)| wanted[usize::from(**c)]).map(move |(i, _)| (i, &rows[i])))
        } else {
            Box::new(crate::memory::ahead(rows).enumerate().filter(move |(_, r)| countries.get(r.country()).is_some_and(|c| wanted[c])))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    /// Rows of `n` countries, in turn.
    fn rows(n: usize) -> (Vec<Row>, Countries, CountryIds) {
        let mut countries = Countries::default();
        let rows: Vec<Row> = (0..3 * n as u32)
            .map(|i| {
                let k = i as usize % n;
                let mut r = row(i, i64::from(i), 1 + (k % 7) as u16, 5_550_000 + u64::from(i), 7);
                r.region = [b'A' + (k / 26) as u8, b'A' + (k % 26) as u8];
                r
            })
            .collect();
        let mut ids = CountryIds::with_capacity(rows.len());
        for r in &rows {
            ids.push(countries.id(r.country()), r);
        }
        (rows, countries, ids)
    }

    #[test]
    fn the_bytes_give_the_rows_a_look_at_every_row_gives() {
        // Few countries (the bytes), and more than a byte numbers (every row looked at).
        for n in [3, 300] {
            let (rows, countries, ids) = rows(n);
            let want = |c: usize| c % 4 == 1;
            let got: Vec<usize> = ids.rows_of(&rows, &countries, want).map(|(i, _)| i).collect();
            let plain: Vec<usize> =
                rows.iter().enumerate().filter(|(_, r)| countries.get(r.country()).is_some_and(want)).map(|(i, _)| i).collect();
            assert_eq!(got, plain, "{n} countries");
            assert!(!got.is_empty());
        }
    }

    #[test]
    fn a_country_of_two_calling_codes_may_have_either() {
        let (mut rows, mut countries, _) = rows(3);
        rows[3].calling_code = 44;
        let mut ids = CountryIds::with_capacity(rows.len());
        for r in &rows {
            ids.push(countries.id(r.country()), r);
        }
        let c0 = countries.get(rows[0].country()).unwrap_or(usize::MAX);
        let c1 = countries.get(rows[1].country()).unwrap_or(usize::MAX);
        let codes = crate::detect::CallingCodes::of([44]);
        // Country 0 has codes 1 and 44; country 1 only code 2.
        assert!(ids.may_have(c0, &codes));
        assert!(!ids.may_have(c1, &codes));
        assert!(ids.may_have(c1, &crate::detect::CallingCodes::of([2])));
    }
}
