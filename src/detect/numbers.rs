//! Every row's number, once, for the two detectors that key on it: which sends are a number's
//! first (`new-numbers`) and the distinct numbers in order (`pumped-range`'s block occupancy).
//!
//! Each had made its own pass: a hashed set of every number in time order, and a sort of every
//! row's number (at 9.7M rows, 0.4 s and 0.5 s of CPU on two threads). Here the rows go, in time
//! order, into 256 parts by key range (splitters from a sample of the numbers), each part meets
//! a set that fits in L2 (its first sends), and each part's distinct numbers, a few tens of
//! thousands, are sorted where they lie: the parts in order are every distinct number in order.
//! Each half runs on two threads: the rows' first and second halves in time order into places
//! of their own in each part (counted first, so that one table holds every send once), then the
//! first and second halves of the parts (a part's early rows before its late ones, so the order
//! within a part stays time order).

use super::Row;
use super::baseline::Known;
use super::facts::{Facts, Order};
use super::occupancy::{Packed, pack};
use crate::hash::Set;

const BITS: u32 = 8;
const PARTS: usize = 1 << BITS;
/// The national number's bits in a [`Packed`] key.
const NATIONAL: u64 = (1 << 50) - 1;
/// A page of rows.
const AHEAD: usize = crate::memory::per_page::<Row>();

pub struct Numbers {
    /// Whether each row is its number's first send, and not a number of `--baseline`.
    pub is_first: Firsts,
    /// The rows' distinct numbers, packed ([`pack`]) and sorted.
    pub distinct: Vec<Packed>,
}

/// A bit a row: 1.2 MB at ten million rows, which the threads set where they find first sends
/// (a `bool` a row, set from lists of positions after them, had been 70 ms on one thread).
#[derive(Debug, Clone, PartialEq)]
pub struct Firsts(Vec<u64>);

impl Firsts {
    fn new(rows: usize) -> Firsts {
        Firsts(vec![0; rows.div_ceil(64)])
    }

    #[inline]
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 != 0
    }
}

fn key(r: &Row) -> Option<Packed> {
    (r.nlen > 0).then(|| pack(r.calling_code, r.nlen, r.national))
}

/// The part of `key`: the last splitter at most `key` (a search of fixed steps, without a
/// branch to mispredict: with one, the rows into parts took 0.25 s instead of 0.15 s).
#[inline]
fn part(splitters: &[Packed; PARTS], key: Packed) -> usize {
    let mut i = 0;
    let mut step = PARTS / 2;
    while step > 0 {
        i += step * usize::from(splitters[i + step] <= key);
        step /= 2;
    }
    i
}

/// 255 keys that cut a sample of the rows' numbers into even parts (the first splitter is 0).
fn splitters(rows: &[Row]) -> [Packed; PARTS] {
    let step = (rows.len() / (16 * PARTS)).max(1);
    let mut sample: Vec<Packed> = rows.iter().step_by(step).filter_map(key).collect();
    sample.sort_unstable();
    let mut s = [0; PARTS];
    if !sample.is_empty() {
        for (j, slot) in s.iter_mut().enumerate().skip(1) {
            *slot = sample[j * sample.len() / PARTS];
        }
    }
    s
}

impl Numbers {
    pub fn of(rows: &[Row], facts: &Facts, known: &Known) -> Numbers {
        let n = rows.len();
        let order: Vec<u32> = match facts.order {
            Order::Ascending | Order::Descending => Vec::new(),
            _ => {
                let mut o: Vec<u32> = (0..n as u32).collect();
                o.sort_by_key(|&i| rows[i as usize].ts);
                o
            }
        };
        let at = |k: usize| match facts.order {
            Order::Ascending => k,
            Order::Descending => n - 1 - k,
            _ => order[k] as usize,
        };
        // The row a page of rows further in time order asked for ([`crate::memory::ahead`]).
        let ahead = |k: usize| {
            if k + AHEAD < n {
                crate::memory::prefetch(rows, at(k + AHEAD));
            }
        };
        let splitters = splitters(rows);
        let threads = n >= 1 << 16;
        let half = if threads { n / 2 } else { n };
        // Two passes a half: the part of each send (a byte, in time order) and the parts' sizes,
        // then each send into its place in one table the size of all sends, part by part (a
        // part's early sends, then its late ones: time order). A list a part, grown as sends
        // came, had copied parts and faulted in about 70 MB more at 9.7M rows (18,000 of a
        // scan's 253,000 page faults; detection's peak 786 -> 770 MiB).
        let count = |ks: std::ops::Range<usize>| {
            let mut of = vec![0u8; ks.len()];
            let mut sizes = [0usize; PARTS];
            for (slot, k) in of.iter_mut().zip(ks) {
                ahead(k);
                if let Some(key) = key(&rows[at(k)]) {
                    let p = part(&splitters, key);
                    *slot = p as u8;
                    sizes[p] += 1;
                }
            }
            (of, sizes)
        };
        let ((of_early, early), (of_late, late)) = both(threads, || count(0..half), || count(half..n));
        let sends: usize = early.iter().chain(&late).sum();
        let (mut keys, mut idx) = (vec![0 as Packed; sends], vec![0u32; sends]);
        // Each half's place for each part.
        let (mut early_at, mut late_at) = (Vec::with_capacity(PARTS), Vec::with_capacity(PARTS));
        let (mut rest_k, mut rest_i) = (&mut keys[..], &mut idx[..]);
        for p in 0..PARTS {
            let (e_k, r_k) = std::mem::take(&mut rest_k).split_at_mut(early[p]);
            let (e_i, r_i) = std::mem::take(&mut rest_i).split_at_mut(early[p]);
            let (l_k, r_k) = r_k.split_at_mut(late[p]);
            let (l_i, r_i) = r_i.split_at_mut(late[p]);
            early_at.push((e_k, e_i));
            late_at.push((l_k, l_i));
            (rest_k, rest_i) = (r_k, r_i);
        }
        let scatter = |ks: std::ops::Range<usize>, of: &[u8], mut to: Vec<(&mut [Packed], &mut [u32])>| {
            let mut fill = [0usize; PARTS];
            for (&p, k) in of.iter().zip(ks) {
                ahead(k);
                let i = at(k);
                if let Some(key) = key(&rows[i]) {
                    let (p, f) = (usize::from(p), &mut fill[usize::from(p)]);
                    to[p].0[*f] = key;
                    to[p].1[*f] = i as u32;
                    *f += 1;
                }
            }
        };
        both(threads, || scatter(0..half, &of_early, early_at), || scatter(half..n, &of_late, late_at));
        drop((of_early, of_late));
        // Where each part's sends start in the table.
        let mut starts = Vec::with_capacity(PARTS + 1);
        starts.push(0);
        for p in 0..PARTS {
            starts.push(starts[p] + early[p] + late[p]);
        }
        // The key holds the calling code and national number: no row is read again.
        let check_known = !known.is_empty();
        let firsts = |parts: std::ops::Range<usize>| {
            let mut seen: Set<Packed> = Set::with_capacity_and_hasher(2 * (n / PARTS + 64), Default::default());
            // At most every send of these parts; only what is written is faulted in.
            let mut distinct = Vec::with_capacity(starts[parts.end] - starts[parts.start]);
            let mut first = Firsts::new(n);
            for p in parts {
                seen.clear();
                let (from, to) = (starts[p], starts[p + 1]);
                for (&key, &i) in keys[from..to].iter().zip(&idx[from..to]) {
                    if seen.insert(key) && !(check_known && known.contains((key >> 54) as u16, key & NATIONAL)) {
                        first.set(i as usize);
                    }
                }
                let from = distinct.len();
                distinct.extend(seen.iter().copied());
                distinct[from..].sort_unstable();
            }
            (first, distinct)
        };
        let ((mut is_first, mut distinct), (first_b, distinct_b)) = both(threads, || firsts(0..PARTS / 2), || firsts(PARTS / 2..PARTS));
        distinct.extend(distinct_b);
        is_first.0.iter_mut().zip(first_b.0).for_each(|(a, b)| *a |= b);
        Numbers { is_first, distinct }
    }
}

/// `f` and `g`, on two threads when `threads`.
fn both<A: Send, B: Send>(threads: bool, f: impl FnOnce() -> A + Send, g: impl FnOnce() -> B + Send) -> (A, B) {
    if !threads {
        return (f(), g());
    }
    std::thread::scope(|s| {
        let t = s.spawn(g);
        let a = f();
        (a, t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;
    use rand::{RngExt, SeedableRng};

    /// The plain way: a set of every number in time order, and every number sorted.
    fn naive(rows: &[Row], known: &Known) -> Numbers {
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&i| rows[i].ts);
        let mut seen = std::collections::HashSet::new();
        let mut is_first = Firsts::new(rows.len());
        for i in order {
            if let Some(k) = key(&rows[i])
                && seen.insert(k)
                && !known.contains(rows[i].calling_code, rows[i].national)
            {
                is_first.set(i);
            }
        }
        let mut distinct: Vec<Packed> = seen.into_iter().collect();
        distinct.sort_unstable();
        Numbers { is_first, distinct }
    }

    #[test]
    fn the_parts_give_what_one_set_and_one_sort_give() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        // Enough rows for two threads; numbers repeat, plans differ, some rows have no number;
        // times ascending, descending and shuffled.
        let mut rows: Vec<Row> = (0..200_000u32)
            .map(|i| {
                let (cc, nlen) = [(44, 10), (371, 8), (1, 10), (91, 10)][rng.random_range(0..4)];
                let national = 10u64.pow(u32::from(nlen) - 1) + rng.random_range(0..30_000u64) * 997;
                let mut r = row(i, i64::from(i) * 1000, cc, national, nlen);
                if i % 101 == 0 {
                    r.nlen = 0;
                }
                r
            })
            .collect();
        let known = Known::of(rows.iter().step_by(13).map(|r| (r.calling_code, r.national)));
        for shape in 0..3 {
            if shape == 1 {
                rows.reverse();
            } else if shape == 2 {
                for i in (1..rows.len()).rev() {
                    rows.swap(i, rng.random_range(0..=i));
                }
            }
            let facts = Facts::of(&rows);
            let got = Numbers::of(&rows, &facts, &known);
            let want = naive(&rows, &known);
            assert_eq!(got.distinct, want.distinct, "shape {shape}");
            assert!(got.is_first == want.is_first, "shape {shape}");
            let few = &rows[..500];
            let got = Numbers::of(few, &Facts::of(few), &Known::default());
            let want = naive(few, &Known::default());
            assert_eq!((got.distinct, got.is_first), (want.distinct, want.is_first));
        }
    }
}
