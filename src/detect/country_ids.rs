//! Each row's country number in one byte, noted by the pass that reads every row anyway (the
//! scan's survey, on every core: [`super::country_table`]), so that later passes, which want
//! the rows of a few flagged countries, read a byte a row and only those countries' rows: at
//! 9.7M rows a pass over the table reads 390 MB, over the bytes 10 MB.
//!
//! Each part of the rows numbers its countries its own way (a thread each); the parts are
//! joined as runs with a map to the joint numbering ([`CountryIds::join`]) rather than copied
//! into one list.

use super::{Countries, Row};

/// More than this many countries in a run: its bytes are not kept, and passes read every row.
const MAX: usize = u8::MAX as usize;

pub struct CountryIds {
    /// The rows' countries, a run a part of the rows, in order.
    runs: Vec<Run>,
    /// Per country number, the calling code of its rows (`None`: more than one).
    codes: Vec<Option<u16>>,
    /// Whether every row has its byte (no run met more than [`MAX`] countries).
    whole: bool,
}

/// A part of the rows' country bytes, numbered the part's way.
struct Run {
    ids: Vec<u8>,
    /// Per number of the part, the joint number (empty: the same).
    to: Vec<usize>,
}

impl Run {
    /// Per byte, whether its country is one `wanted` (by joint number) holds.
    fn wanted(&self, wanted: &[bool]) -> [bool; 256] {
        let mut local = [false; 256];
        for (l, w) in local.iter_mut().enumerate() {
            let joint = if self.to.is_empty() { Some(l) } else { self.to.get(l).copied() };
            *w = joint.and_then(|g| wanted.get(g)).copied().unwrap_or(false);
        }
        local
    }
}

impl CountryIds {
    pub fn with_capacity(rows: usize) -> CountryIds {
        CountryIds { runs: vec![Run { ids: Vec::with_capacity(rows), to: Vec::new() }], codes: Vec::new(), whole: true }
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
            if let Some(run) = self.runs.last_mut() {
                run.ids.push(c as u8);
            }
        } else {
            self.whole = false;
        }
    }

    /// Parts noted one after the other, each with its numbers' joint numbers; `countries`: how
    /// many joint numbers there are.
    pub fn join(parts: Vec<(CountryIds, Vec<usize>)>, countries: usize) -> CountryIds {
        // Per joint number: None until met, then its calling code as `codes` holds it.
        let mut codes: Vec<Option<Option<u16>>> = vec![None; countries];
        let (mut runs, mut whole) = (Vec::new(), true);
        for (part, to) in parts {
            whole &= part.whole;
            for (l, &code) in part.codes.iter().enumerate() {
                let Some(slot) = to.get(l).and_then(|&g| codes.get_mut(g)) else { continue };
                *slot = Some(match *slot {
                    None => code,
                    Some(have) => have.filter(|_| have == code),
                });
            }
            runs.extend(part.runs.into_iter().map(|run| Run {
                to: if run.to.is_empty() { to.clone() } else { run.to.iter().map(|&l| to.get(l).copied().unwrap_or(usize::MAX)).collect() },
                ids: run.ids,
            }));
        }
        CountryIds { runs, codes: codes.into_iter().map(Option::flatten).collect(), whole }
    }

    /// How many rows have their byte.
    fn len(&self) -> usize {
        self.runs.iter().map(|r| r.ids.len()).sum()
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
        if self.whole && self.len() == rows.len() {
            let mut from = 0;
            let runs: Vec<(usize, &Run, [bool; 256])> = self
                .runs
                .iter()
                .map(|run| {
                    let at = from;
                    from += run.ids.len();
                    (at, run, run.wanted(&wanted))
                })
                .collect();
            Box::new(runs.into_iter().flat_map(move |(at, run, local)| {
                run.ids.iter().enumerate().filter(move |(_, c)| local[usize::from(**c)]).map(move |(i, _)| (at + i, &rows[at + i]))
            }))
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
