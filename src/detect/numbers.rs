//! Every row's number, once, for the two detectors that key on it: which sends are a number's
//! first (`new-numbers`) and the distinct numbers in order (`pumped-range`'s block occupancy).
//!
//! Each had made its own pass: a hashed set of every number in time order, and a sort of every
//! row's number (at 9.7M rows, 0.4 s and 0.5 s of CPU on two threads). Here the rows go, in time
//! order, into 256 parts by key range (splitters from a sample of the numbers), each send a word
//! (its key less its part's splitter, then its place in time order), and each part's words,
//! a few tens of thousands, are radix-sorted where they lie: a number's first word is its first
//! send, and the parts in order are every distinct number in order. Each step runs on two
//! threads: the rows' first and second halves in time order into chunks of their own for each
//! part ([`Half`]), then the first and second halves of the parts (a part's early words before
//! its late ones, so a number's words stay in time order).
//!
//! At 9.7M Console rows (`--timings`, three interleaved runs): 0.28-0.33 s with a pass to count
//! the parts, a table of keys and rows, and a hashed set and a sort a part; 0.21-0.22 s with the
//! chunks and the radix sort (detection's peak 770 -> 741-744 MiB), and 0.184-0.194 s with the
//! two runs of distinct numbers kept apart ([`Numbers::distinct`]; peak 739 -> 702 MiB).

use super::Row;
use super::baseline::Known;
use super::facts::{Facts, Order};
use super::occupancy::{Packed, block_start, pack};
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
    /// The rows' distinct numbers, packed ([`pack`]) and sorted, in two runs that share no block
    /// of 10^6 numbers (nor any smaller), the second's above the first's: each the numbers of
    /// one thread's parts, so that neither is copied to join the other, and each can be counted
    /// on a thread of its own ([`super::occupancy::Occupancy::of_sorted`]). Joined, they had
    /// been 30 ms at 9.7M rows (23 MB copied into memory the kernel hands over).
    pub distinct: [Vec<Packed>; 2],
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

    /// The positions of the first sends, in order.
    pub fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    w * 64 + b
                })
            })
        })
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

/// 256 keys that cut a sample of the rows' numbers into even parts: the first is the sample's
/// least (part 0 also takes any key below it).
fn splitters(rows: &[Row]) -> [Packed; PARTS] {
    let step = (rows.len() / (16 * PARTS)).max(1);
    let mut sample: Vec<Packed> = rows.iter().step_by(step).filter_map(key).collect();
    sample.sort_unstable();
    let mut s = [0; PARTS];
    if !sample.is_empty() {
        for (j, slot) in s.iter_mut().enumerate() {
            *slot = sample[j * sample.len() / PARTS];
        }
    }
    // The middle splitter at the start of its block of 10^6 (the threads' two runs of distinct
    // numbers then share no block), the splitters below it at most that.
    let middle = block_start(s[PARTS / 2]);
    for x in &mut s[..PARTS / 2] {
        *x = (*x).min(middle);
    }
    s[PARTS / 2] = middle;
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
        // One pass a half, in time order: each send into its part's chunks, a word a send.
        let (early, late) =
            both(threads, || Half::of(rows, &splitters, 0..half, &ahead, &at), || Half::of(rows, &splitters, half..n, &ahead, &at));
        let check_known = !known.is_empty();
        let firsts = |parts: std::ops::Range<usize>| {
            let mut seen: Set<Packed> = Set::default();
            let mut sorted = Sorted::default();
            // At most every send of these parts; only what is written is faulted in.
            let mut distinct = Vec::with_capacity(parts.clone().map(|p| early.sends(p) + late.sends(p)).sum());
            let mut first = Firsts::new(n);
            let mut is_new = |key: Packed, k: u32| {
                if !(check_known && known.contains((key >> 54) as u16, key & NATIONAL)) {
                    first.set(at(k as usize));
                }
            };
            for p in parts {
                let (base, words) = (splitters[p], early.words(p).chain(late.words(p)));
                if early.wide[p].is_empty() && late.wide[p].is_empty() {
                    // Each number's first entry is its first send.
                    let mut last = None;
                    for &v in sorted.of(words) {
                        let key = base + (v >> 32);
                        if last != Some(key) {
                            last = Some(key);
                            distinct.push(key);
                            is_new(key, v as u32);
                        }
                    }
                    continue;
                }
                // A part with a send more than 32 bits above its splitter (a part across plans):
                // its sends into a set, in time order for each number (a number's sends are all
                // words or all wide, each in time order).
                seen.clear();
                let wide = early.wide[p].iter().chain(&late.wide[p]).copied();
                for (k, key) in words.map(|&v| (v as u32, base + (v >> 32))).chain(wide) {
                    if seen.insert(key) {
                        is_new(key, k);
                    }
                }
                let from = distinct.len();
                distinct.extend(seen.iter().copied());
                distinct[from..].sort_unstable();
            }
            (first, distinct)
        };
        let ((mut is_first, distinct), (first_b, distinct_b)) = both(threads, || firsts(0..PARTS / 2), || firsts(PARTS / 2..PARTS));
        is_first.0.iter_mut().zip(first_b.0).for_each(|(a, b)| *a |= b);
        Numbers { is_first, distinct: [distinct, distinct_b] }
    }
}

/// Sends in a chunk: 8 KiB.
const CHUNK: usize = 1024;

/// One half of the sends (in time order), each in its part as a word: its key less the part's
/// splitter (32 bits), then its place in time order. A part's words lie in chunks of one table
/// the size of the half's sends plus a chunk a part (only what is written is faulted in): no pass
/// to count the parts first, and no list grown and copied.
struct Half {
    table: Vec<u64>,
    /// Each part's chunks (their first slots), in order.
    chunks: Vec<Vec<u32>>,
    /// Each part's end of words in its last chunk.
    end: Vec<usize>,
    /// Each part's sends more than 32 bits above its splitter (a part across plans), and every
    /// send below the first splitter: place in time order and key.
    wide: Vec<Vec<(u32, Packed)>>,
}

impl Half {
    fn of(
        rows: &[Row],
        splitters: &[Packed; PARTS],
        ks: std::ops::Range<usize>,
        ahead: &impl Fn(usize),
        at: &impl Fn(usize) -> usize,
    ) -> Half {
        let mut table = vec![0u64; ks.len() + PARTS * CHUNK];
        let mut chunks: Vec<Vec<u32>> = vec![Vec::new(); PARTS];
        let mut wide: Vec<Vec<(u32, Packed)>> = vec![Vec::new(); PARTS];
        // Each part's next slot and its chunk's end; a part starts with an empty chunk.
        let (mut next, mut stop) = ([0usize; PARTS], [0usize; PARTS]);
        let mut free = 0;
        for k in ks {
            ahead(k);
            let Some(key) = key(&rows[at(k)]) else { continue };
            let p = part(splitters, key);
            let d = key.wrapping_sub(splitters[p]);
            if d >> 32 != 0 {
                wide[p].push((k as u32, key));
                continue;
            }
            if next[p] == stop[p] {
                chunks[p].push(free as u32);
                (next[p], stop[p]) = (free, free + CHUNK);
                free += CHUNK;
            }
            table[next[p]] = d << 32 | k as u64;
            next[p] += 1;
        }
        Half { table, chunks, end: next.to_vec(), wide }
    }

    /// Part `p`'s words, in time order.
    fn words(&self, p: usize) -> impl Iterator<Item = &u64> + Clone {
        let last = self.chunks[p].len().saturating_sub(1);
        self.chunks[p].iter().enumerate().flat_map(move |(j, &c)| {
            let c = c as usize;
            &self.table[c..if j == last { self.end[p] } else { c + CHUNK }]
        })
    }

    fn sends(&self, p: usize) -> usize {
        let words = self.chunks[p].last().map_or(0, |&c| (self.chunks[p].len() - 1) * CHUNK + self.end[p] - c as usize);
        words + self.wide[p].len()
    }
}

/// A part's words sorted by number, each number's sends in time order: a stable radix sort in
/// 11-bit digits of the words' upper 32 bits, in L2 (a part's words, tens of thousands, 8 bytes
/// each). It replaced a hashed set of the part's numbers and a sort of them, still the way for a
/// part with wide sends. Its first cut (over keys and rows then in two tables) took that step
/// from 135-151 ms to 71-74 ms on two threads at 9.7M rows.
#[derive(Default)]
struct Sorted {
    v: Vec<u64>,
    spare: Vec<u64>,
}

const DIGIT: u32 = 11;
const BUCKETS: usize = 1 << DIGIT;

impl Sorted {
    fn of<'a>(&mut self, words: impl Iterator<Item = &'a u64>) -> &[u64] {
        let mut counts = [[0u32; BUCKETS]; 3];
        self.v.clear();
        self.v.extend(words.map(|&v| {
            let d = v >> 32;
            for (pass, c) in counts.iter_mut().enumerate() {
                c[(d >> (DIGIT as usize * pass)) as usize & (BUCKETS - 1)] += 1;
            }
            v
        }));
        self.spare.resize(self.v.len(), 0);
        for (pass, c) in counts.iter_mut().enumerate() {
            // A digit every word shares (above the part's span, every word's) moves nothing.
            if c.iter().any(|&x| x as usize == self.v.len()) {
                continue;
            }
            let mut at = 0;
            for x in c.iter_mut() {
                (*x, at) = (at, at + *x);
            }
            let shift = 32 + DIGIT as usize * pass;
            for &v in &self.v {
                let slot = &mut c[(v >> shift) as usize & (BUCKETS - 1)];
                self.spare[*slot as usize] = v;
                *slot += 1;
            }
            std::mem::swap(&mut self.v, &mut self.spare);
        }
        &self.v
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
    fn naive(rows: &[Row], known: &Known) -> Naive {
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
        Naive { is_first, distinct }
    }

    struct Naive {
        is_first: Firsts,
        distinct: Vec<Packed>,
    }

    #[test]
    fn the_radix_sort_is_a_stable_sort_of_the_words_upper_halves() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let mut sorted = Sorted::default();
        for bits in [0u32, 1, 10, 11, 12, 22, 23, 31, 32] {
            for len in [0usize, 1, 2, 100, 5_000] {
                let span = if bits == 0 { 0 } else { (1u64 << bits) - 1 };
                // Few distinct numbers, so that runs of one number test stability; the span's
                // end present so that every digit is sorted on.
                let pool: Vec<u64> = (0..50).map(|_| rng.random_range(0..=span)).chain([span]).collect();
                let words: Vec<u64> = (0..len as u64)
                    .map(|j| {
                        (if j == 0 { span } else { pool[rng.random_range(0..pool.len())] }) << 32
                            | j.wrapping_mul(2_654_435_761) & 0xffff_ffff
                    })
                    .collect();
                let mut want = words.clone();
                want.sort_by_key(|&v| v >> 32);
                assert_eq!(sorted.of(words.iter()), want, "{bits} bits, {len} words");
            }
        }
    }

    #[test]
    fn the_parts_give_what_one_set_and_one_sort_give() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        // Enough rows for two threads; numbers repeat, plans differ, some rows have no number;
        // times ascending, descending and shuffled.
        let mut rows: Vec<Row> = (0..200_000u32)
            .map(|i| {
                // A plan rarer than a part's share: a part across plans.
                let (cc, nlen) = if i % 997 == 3 { (353, 9) } else { [(44, 10), (371, 8), (1, 10), (91, 10)][rng.random_range(0..4)] };
                // A tenth of the sends to one number a plan: parts of many chunks.
                let national = 10u64.pow(u32::from(nlen) - 1) + if i % 10 == 0 { 5 } else { rng.random_range(0..30_000u64) * 997 };
                let mut r = row(i, i64::from(i) * 1000, cc, national, nlen);
                if i % 101 == 0 {
                    r.nlen = 0;
                }
                r
            })
            .collect();
        let known = Known::of(rows.iter().step_by(13).map(|r| (r.calling_code, r.national)));
        // The ways through: parts of several chunks, and parts with wide sends (across plans, or
        // below the first splitter).
        let s = splitters(&rows);
        let half = Half::of(&rows, &s, 0..rows.len(), &|_| (), &|k| k);
        assert!(half.chunks.iter().any(|c| c.len() > 2));
        assert!(half.wide.iter().filter(|w| !w.is_empty()).count() >= 2);
        assert_eq!((0..PARTS).map(|p| half.sends(p)).sum::<usize>(), rows.iter().filter(|r| r.nlen > 0).count());
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
            assert_eq!(got.distinct.concat(), want.distinct, "shape {shape}");
            // The two runs share no block of 10^6.
            if let (Some(a), Some(b)) = (got.distinct[0].last(), got.distinct[1].first()) {
                assert_ne!(block_start(*a), block_start(*b), "shape {shape}");
            }
            assert!(got.is_first == want.is_first, "shape {shape}");
            let few = &rows[..500];
            let got = Numbers::of(few, &Facts::of(few), &Known::default());
            let want = naive(few, &Known::default());
            assert_eq!((got.distinct.concat(), got.is_first), (want.distinct, want.is_first));
        }
    }
}
