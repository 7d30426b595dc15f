//! Every row's country, and each country's sends, sends to a number and spend per hour, found
//! once on every core for the three detectors that had each read every row for them on one
//! thread: spend-anomaly (its series per hour and day), new-numbers (each country's sends per
//! day, against which its new numbers are weighed; its own pass now reads first sends only)
//! and excess-unverified (the country bytes, for its passes over flagged countries' rows).
//!
//! The scan's survey finds it while it reads every row anyway, a [`Partial`] a part, before
//! the period is known (each country's hours grow either way as rows come); with rows left out
//! by the scan's filters, or prices set aside after the survey, [`CountryTable::of`] makes a
//! pass of its own. At 9.7M Console rows spend-anomaly's pass had been 0.064 CPU-s (0.110 s
//! beside `numbers`' two threads) and new-numbers' a third of its 0.116 CPU-s.
//!
//! Sums are joined in the parts' order, so an hour across two parts adds two partial sums: a
//! cost can differ in its last bits with the number of cores, never in what is written.

use super::country_ids::CountryIds;
use super::facts::Facts;
use super::{Countries, Row};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// The most hours a part's table spans in the survey, before the scan has checked the period
/// (a send dated a century away must not ask for gigabytes): more than any scan's period.
const MAX_HOURS: i64 = (super::MAX_SPAN_DAYS + 2) * 24;

/// A country's sends in an hour (or a day).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    pub cost: f64,
    pub sends: u32,
    /// Sends to a number (a row with a national number).
    pub numbered: u32,
}

impl Cell {
    #[inline]
    fn add(&mut self, r: &Row) {
        self.cost += r.cost;
        self.sends += 1;
        self.numbered += u32::from(r.nlen > 0);
    }

    fn join(&mut self, other: &Cell) {
        self.cost += other.cost;
        self.sends += other.sends;
        self.numbered += other.numbered;
    }
}

/// A country's cells per hour over a part of the rows, from the first hour met on, grown
/// either way (rows come in time order, either order, or none).
#[derive(Default)]
struct Hours {
    first: i64,
    cells: Vec<Cell>,
}

impl Hours {
    /// The cell of `hour` (hours since the epoch); None past `max` hours from the others.
    #[inline]
    fn at(&mut self, hour: i64, max: i64) -> Option<&mut Cell> {
        let i = hour.wrapping_sub(self.first) as u64;
        if i < self.cells.len() as u64 {
            return self.cells.get_mut(i as usize);
        }
        self.grow(hour, max)
    }

    #[cold]
    fn grow(&mut self, hour: i64, max: i64) -> Option<&mut Cell> {
        if self.cells.is_empty() {
            self.first = hour;
            self.cells.push(Cell::default());
            return self.cells.last_mut();
        }
        let last = self.first + self.cells.len() as i64 - 1;
        if last.max(hour).saturating_sub(self.first.min(hour)) >= max {
            return None;
        }
        if hour > last {
            self.cells.resize((hour - self.first + 1) as usize, Cell::default());
            return self.cells.last_mut();
        }
        // Before the first: room for as many hours again before it (rows newest first grow
        // this way an hour at a time), within `max` of the last.
        let room = (self.cells.len() as i64).max(24).min(max - 1 - (last - hour));
        let first = hour - room.max(0);
        let mut cells = vec![Cell::default(); (self.first - first) as usize];
        cells.extend_from_slice(&self.cells);
        (self.first, self.cells) = (first, cells);
        self.cells.get_mut((hour - first) as usize)
    }
}

/// A country's sends in a part of the rows.
#[derive(Default)]
struct Sends {
    hours: Hours,
    /// Its first send's time, its sends' cost, and its sends that verified.
    seen: i64,
    total: f64,
    verified: u64,
}

/// What one part of the rows holds, its countries numbered in the order the part met them.
pub struct Partial {
    countries: Countries,
    ids: CountryIds,
    each: Vec<Sends>,
    /// The most hours a country's cells may span ([`MAX_HOURS`] in the survey).
    max: i64,
    /// Whether a row lay further than that from others (the part's cells are then incomplete).
    too_long: bool,
}

impl Partial {
    /// For a part of `rows` rows.
    pub fn new(rows: usize) -> Partial {
        Partial::spanning(rows, MAX_HOURS)
    }

    fn spanning(rows: usize, max: i64) -> Partial {
        Partial { countries: Countries::default(), ids: CountryIds::with_capacity(rows), each: Vec::new(), max, too_long: false }
    }

    /// The next row of the part.
    #[inline(always)]
    pub fn add(&mut self, r: &Row) {
        let c = self.countries.id(r.country());
        self.ids.push(c, r);
        if c == self.each.len() {
            self.each.push(Sends { seen: r.ts, ..Sends::default() });
        }
        let Some(s) = self.each.get_mut(c) else { return };
        match s.hours.at(r.ts.div_euclid(HOUR), self.max) {
            Some(cell) => cell.add(r),
            None => self.too_long = true,
        }
        s.seen = s.seen.min(r.ts);
        s.total += r.cost;
        s.verified += u64::from(r.converted() == Some(true));
    }

    /// The parts of the rows, in order, joined over the rows' period (`facts`); None when a
    /// part's rows spanned more than it may hold.
    pub fn finish(parts: Vec<Partial>, facts: &Facts) -> Option<CountryTable> {
        (!parts.iter().any(|p| p.too_long)).then(|| Partial::join(parts, facts))
    }

    fn join(parts: Vec<Partial>, facts: &Facts) -> CountryTable {
        let first_hour = facts.start.div_euclid(HOUR);
        let n = (facts.end.div_euclid(HOUR) - first_hour + 1).max(1) as usize;
        let mut countries = Countries::default();
        let mut t = CountryTable {
            countries: Countries::default(),
            ids: CountryIds::with_capacity(0),
            first_hour,
            hours: Vec::new(),
            seen: Vec::new(),
            total: Vec::new(),
            sends: Vec::new(),
            verified: Vec::new(),
        };
        let mut ids = Vec::with_capacity(parts.len());
        for p in parts {
            let to: Vec<usize> = p.countries.codes.iter().map(|&code| countries.id(code)).collect();
            for (&g, s) in to.iter().zip(&p.each) {
                let hours = &s.hours;
                if g == t.hours.len() {
                    t.hours.push(vec![Cell::default(); n]);
                    t.seen.push(s.seen);
                    t.total.push(0.0);
                    t.verified.push(0);
                }
                let into = &mut t.hours[g];
                for (k, cell) in hours.cells.iter().enumerate() {
                    // Room grown before a part's first row lies outside the period, and is empty.
                    if let Some(c) = usize::try_from(hours.first + k as i64 - first_hour).ok().and_then(|h| into.get_mut(h)) {
                        c.join(cell);
                    }
                }
                t.seen[g] = t.seen[g].min(s.seen);
                t.total[g] += s.total;
                t.verified[g] += s.verified;
            }
            ids.push((p.ids, to));
        }
        t.sends = t.hours.iter().map(|h| h.iter().map(|c| u64::from(c.sends)).sum()).collect();
        t.ids = CountryIds::join(ids, countries.codes.len());
        t.countries = countries;
        t
    }
}

/// Every row's country and each country's sends per hour over the period.
pub struct CountryTable {
    /// The countries in the order the rows first met them.
    pub countries: Countries,
    /// Each row's country.
    pub ids: CountryIds,
    /// The period's first hour (hours since the epoch).
    first_hour: i64,
    /// Per country, its cells per hour from the period's first to its last.
    hours: Vec<Vec<Cell>>,
    /// Per country, its first send's time, its sends' cost, how many sends it had, and how
    /// many of them verified.
    pub seen: Vec<i64>,
    pub total: Vec<f64>,
    pub sends: Vec<u64>,
    pub verified: Vec<u64>,
}

impl CountryTable {
    /// A pass over `rows` on every core (rows whose period `facts` has: a period a scan looks
    /// at, [`super::span_fits`]).
    pub fn of(rows: &[Row], facts: &Facts) -> CountryTable {
        let parts = crate::parts::in_parts(rows, |_, part| {
            let mut p = Partial::spanning(part.len(), i64::MAX);
            crate::memory::ahead(part).for_each(|r| p.add(r));
            p
        });
        Partial::join(parts, facts)
    }

    /// Country `c`'s cells per hour, from the period's first hour.
    pub fn hours(&self, c: usize) -> &[Cell] {
        self.hours.get(c).map_or(&[], |v| &v[..])
    }

    /// Country `c`'s cells per day (UTC), from the period's first day.
    pub fn days(&self, c: usize) -> Vec<Cell> {
        let day = |h: i64| (h * HOUR).div_euclid(DAY);
        let first = day(self.first_hour);
        let hours = self.hours(c);
        let mut days = vec![Cell::default(); (day(self.first_hour + hours.len().max(1) as i64 - 1) - first + 1) as usize];
        for (k, cell) in hours.iter().enumerate() {
            days[(day(self.first_hour + k as i64) - first) as usize].join(cell);
        }
        days
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::detect::tests::row;

    /// The plain way: one pass on one thread, every country's cells in a map.
    type Plain = (Vec<super::super::Code>, std::collections::BTreeMap<(usize, i64), Cell>, Vec<i64>, Vec<f64>, Vec<u64>, Vec<u64>);

    fn plain(rows: &[Row]) -> Plain {
        let mut countries = Countries::default();
        let (mut cells, mut seen, mut total) = (std::collections::BTreeMap::new(), Vec::new(), Vec::new());
        let (mut sends, mut verified) = (Vec::new(), Vec::new());
        for r in rows {
            let c = countries.id(r.country());
            if c == seen.len() {
                seen.push(r.ts);
                total.push(0.0);
                sends.push(0);
                verified.push(0);
            }
            cells.entry((c, r.ts.div_euclid(HOUR))).or_insert_with(Cell::default).add(r);
            seen[c] = seen[c].min(r.ts);
            total[c] += r.cost;
            sends[c] += 1;
            verified[c] += u64::from(r.converted() == Some(true));
        }
        (countries.codes, cells, seen, total, sends, verified)
    }

    /// Rows over `hours` hours in the order `at` gives, in seven countries, some without a
    /// number, priced in eighths (sums exact in any order).
    fn rows(n: u32, at: impl Fn(u32) -> i64) -> Vec<Row> {
        (0..n)
            .map(|i| {
                let k = (i * 7 / 3 + i / 1000) % 7;
                let mut r = row(i, at(i), 1 + k as u16, 20_000_000 + u64::from(i), if i % 5 == 0 { 0 } else { 8 });
                r.region = [b'A' + k as u8, b'B'];
                r.cost = f64::from(i % 9) / 8.0;
                if i % 4 != 0 {
                    r.set_converted(Some(i % 3 == 0));
                }
                r
            })
            .collect()
    }

    /// `t` against one pass on one thread (rows priced so that sums are exact in any order).
    pub fn check(rows: &[Row], t: &CountryTable) {
        let (codes, cells, seen, total, sends, verified) = plain(rows);
        assert_eq!(t.countries.codes, codes, "countries in the order first met");
        assert_eq!((&t.seen, &t.total, &t.sends, &t.verified), (&seen, &total, &sends, &verified));
        let facts = Facts::of(rows);
        for c in 0..codes.len() {
            let hours = t.hours(c);
            assert_eq!(hours.len() as i64, facts.end.div_euclid(HOUR) - facts.start.div_euclid(HOUR) + 1);
            for (k, cell) in hours.iter().enumerate() {
                let h = t.first_hour + k as i64;
                assert_eq!(*cell, cells.get(&(c, h)).copied().unwrap_or_default(), "country {c}, hour {h}");
            }
            // The days: the hours summed.
            let days = t.days(c);
            let mut want = vec![Cell::default(); days.len()];
            for (&(cc, h), cell) in cells.iter().filter(|((cc, _), _)| *cc == c) {
                want[((h * HOUR).div_euclid(DAY) - facts.start.div_euclid(DAY)) as usize].join(cell);
                assert_eq!(cc, c);
            }
            assert_eq!(days, want, "country {c}");
        }
        // The bytes: each country's rows, in order.
        for c in 0..codes.len() {
            let got: Vec<usize> = t.ids.rows_of(rows, &t.countries, |x| x == c).map(|(i, _)| i).collect();
            let want: Vec<usize> = (0..rows.len()).filter(|&i| t.countries.get(rows[i].country()) == Some(c)).collect();
            assert_eq!(got, want, "country {c}");
        }
    }

    /// The survey's way: the rows cut into `parts` parts, each a [`Partial::new`].
    fn in_parts(rows: &[Row], parts: usize) -> Option<CountryTable> {
        let size = rows.len().div_ceil(parts).max(1);
        let partials = rows
            .chunks(size)
            .map(|part| {
                let mut p = Partial::new(part.len());
                part.iter().for_each(|r| p.add(r));
                p
            })
            .collect();
        Partial::finish(partials, &Facts::of(rows))
    }

    #[test]
    fn parts_give_what_one_pass_gives_in_any_order() {
        let n = 200_000;
        // Oldest first, newest first (each part grows its hours backwards), and shuffled.
        let shuffled = |i: u32| i64::from(i.wrapping_mul(2_654_435_761) % n) * 20_000 - 7 * HOUR;
        for at in [&(|i: u32| i64::from(i) * 20_000) as &dyn Fn(u32) -> i64, &|i| i64::from(n - i) * 20_000, &shuffled] {
            let rows = rows(n, at);
            check(&rows, &CountryTable::of(&rows, &Facts::of(&rows)));
            for parts in [1, 2, 3, 8] {
                check(&rows, &in_parts(&rows, parts).expect("a short period"));
            }
        }
    }

    #[test]
    fn a_part_spanning_more_than_a_scan_gives_none() {
        let mut rows = rows(1000, |i| i64::from(i) * 1000);
        rows[500].ts = (super::super::MAX_SPAN_DAYS + 3) * DAY;
        assert!(in_parts(&rows, 2).is_none(), "a century away in the second part");
        assert!(in_parts(&rows[..500], 1).is_some());
        // Growing backwards towards the limit, and past it.
        let mut h = Hours::default();
        assert!(h.at(MAX_HOURS, MAX_HOURS).is_some());
        assert!(h.at(1, MAX_HOURS).is_some(), "{} hours", MAX_HOURS - 1);
        assert!(h.at(0, MAX_HOURS).is_none(), "{MAX_HOURS} hours");
        assert!(h.at(2 * MAX_HOURS, MAX_HOURS).is_none());
        assert_eq!(h.cells.len() as i64, MAX_HOURS);
    }

    #[test]
    fn more_countries_than_a_byte_numbers_are_still_found() {
        let rows: Vec<Row> = (0..3000u32)
            .map(|i| {
                let k = i % 300;
                let r = row(i, i64::from(i) * 1000, 1, 5_550_000 + u64::from(i), 7);
                // Priced in eighths: sums exact in any order.
                Row { region: [b'A' + (k / 26) as u8, b'A' + (k % 26) as u8], cost: 0.125, ..r }
            })
            .collect();
        for parts in [1, 2] {
            check(&rows, &in_parts(&rows, parts).expect("a short period"));
        }
    }
}
