//! Sends counted by key on every core, for the detectors that judge cells of sends (per slice
//! and hour, per country or range and day) where a list of rows a cell, or an ordered-map entry
//! a row, had been most of their time.

use super::Row;
use crate::hash::Map;
use std::collections::hash_map::Entry;
use std::hash::Hash;

/// A key's sends, those of them `marked`, and the first one's place in the rows.
#[derive(Debug, Clone, Copy)]
pub struct Tally {
    pub n: u32,
    pub marked: u32,
    pub first: u32,
}

/// Each key's [`Tally`] over `rows`: `keys` gives a row's keys (none: not counted), `marked`
/// whether it counts as marked. The rows are cut into one part a core, and the parts' maps
/// summed.
pub fn tally<K, I>(rows: &[Row], keys: impl Fn(&Row) -> I + Sync, marked: impl Fn(&Row) -> bool + Sync) -> Map<K, Tally>
where
    K: Hash + Eq + Send,
    I: IntoIterator<Item = K>,
{
    let parts = crate::parts::in_parts(rows, |at, part| {
        let mut m: Map<K, Tally> = Map::default();
        for (i, r) in crate::memory::ahead(part).enumerate() {
            let mark = u32::from(marked(r));
            for key in keys(r) {
                let c = m.entry(key).or_insert(Tally { n: 0, marked: 0, first: (at + i) as u32 });
                c.n += 1;
                c.marked += mark;
            }
        }
        m
    });
    let mut all: Map<K, Tally> = Map::default();
    for part in parts {
        for (k, c) in part {
            match all.entry(k) {
                Entry::Occupied(mut e) => {
                    let e = e.get_mut();
                    e.n += c.n;
                    e.marked += c.marked;
                    e.first = e.first.min(c.first);
                }
                Entry::Vacant(e) => {
                    e.insert(c);
                }
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    #[test]
    fn counts_over_the_parts_are_those_of_one_pass() {
        // Enough rows for a part a core; a row with no key is not counted, one with two is
        // counted under each.
        let rows: Vec<Row> = (0..150_000u32).map(|i| row(i, i64::from(i) * 1000, 44, 7_000_000 + u64::from(i), 10)).collect();
        let keys = |r: &Row| (!r.idx.is_multiple_of(5)).then_some(r.idx % 7).into_iter().chain(r.idx.is_multiple_of(11).then_some(100));
        let marked = |r: &Row| r.idx.is_multiple_of(3);
        let got = tally(&rows, keys, marked);
        let mut want: Map<u32, (u32, u32, u32)> = Map::default();
        for (i, r) in rows.iter().enumerate() {
            for k in keys(r) {
                let e = want.entry(k).or_insert((0, 0, i as u32));
                e.0 += 1;
                e.1 += u32::from(marked(r));
            }
        }
        assert_eq!(got.len(), want.len());
        for (k, t) in &got {
            assert_eq!((t.n, t.marked, t.first), want[k], "key {k}");
        }
    }
}
