//! How distinct destinations fill number blocks, for [`super::pumped_range`]: per numbering
//! plan and block level (10^1 .. 10^6 numbers), the number of occupied blocks and the 90th
//! percentile of their occupancy, and the blocks that hold many numbers (the only ones judged).
//!
//! Worked out in one pass over the sorted distinct numbers, every level at once, keeping a
//! histogram of occupancies per plan and level rather than the blocks themselves. At ten million
//! rows the blocks of all six levels had been about 400 MB of vectors made afresh (zeroed by the
//! kernel on first touch) and six passes, the last detector still running while the others had
//! finished.

use super::Row;
use crate::hash::Map;
use std::collections::BTreeMap;

/// A numbering plan: (calling code, national length).
pub type Plan = (u16, u8);

/// A number, or a block of numbers, packed so that numeric order is (plan, number) order: the
/// plan in the top 14 bits, the national number (or block prefix) below.
pub type Packed = u64;

const PLAN_SHIFT: u32 = 50;

/// The coarsest level: blocks of 10^6 numbers.
pub const MAX_LEVEL: u32 = 6;

pub fn pack(cc: u16, nlen: u8, n: u64) -> Packed {
    (((u64::from(cc) << 4) | u64::from(nlen)) << PLAN_SHIFT) | n
}

/// The first number of `k`'s block of 10^[`MAX_LEVEL`]: numbers on either side of it share no
/// block of any level.
pub fn block_start(k: Packed) -> Packed {
    (k >> PLAN_SHIFT << PLAN_SHIFT) | (low(k) / 10u64.pow(MAX_LEVEL) * 10u64.pow(MAX_LEVEL))
}

pub fn plan_of(k: Packed) -> Plan {
    let p = k >> PLAN_SHIFT;
    ((p >> 4) as u16, (p & 15) as u8)
}

/// The number, or the block's prefix.
pub fn low(k: Packed) -> u64 {
    k & ((1 << PLAN_SHIFT) - 1)
}

/// Numbers below this (2^50, over 10^15: every national number, and every block prefix) are
/// divided by [`RECIPROCALS`].
const RECIPROCAL_BELOW: u64 = 1 << 50;

/// For each power of ten 10^k up to 10^15: `(m, p)` with `n / 10^k == (n * m) >> p` for every
/// `n` below [`RECIPROCAL_BELOW`] (Granlund and Montgomery, "Division by invariant integers
/// using multiplication", 1994, theorem 4.2: for N-bit dividends, `l = ceil(log2 d)`,
/// `p = N + l`, `m = ceil(2^p / d)`). A `match` of divisions by constants had been turned by the
/// compiler into one table of powers and a hardware divide (perf: the divide was the largest cost
/// of new-numbers' counting loop).
const RECIPROCALS: [(u64, u32); 16] = {
    let mut t = [(0u64, 0u32); 16];
    let mut k = 0;
    while k < 16 {
        let d = 10u128.pow(k as u32);
        let l = 128 - (d - 1).leading_zeros();
        let p = 50 + l;
        let m = (1u128 << p).div_ceil(d);
        t[k] = (m as u64, p);
        k += 1;
    }
    t
};

/// `n` without its last `level` digits: one multiplication by a reciprocal ([`RECIPROCALS`]),
/// or a division for numbers too long for a national number.
#[inline]
pub fn prefix(n: u64, level: u32) -> u64 {
    match RECIPROCALS.get(level as usize) {
        Some(&(m, p)) if n < RECIPROCAL_BELOW => ((u128::from(n) * u128::from(m)) >> p) as u64,
        _ => 10u64.checked_pow(level).map_or(0, |d| n / d),
    }
}

/// Whether numbers of national length `nlen` form blocks at `level`: a block must leave at least
/// two leading digits of the number (blocks of a whole numbering plan say nothing).
fn has_level(nlen: u8, level: u32) -> bool {
    u32::from(nlen) > level + 1
}

/// Whether a block of `distinct` numbers is listed for threshold `min`: unless fewer (a NaN
/// threshold, which the detector's own comparison rejects nothing for, keeps every block).
fn is_heavy(distinct: u64, min: f64) -> bool {
    (distinct as f64).partial_cmp(&min) != Some(std::cmp::Ordering::Less)
}

/// A block holding many distinct numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heavy {
    /// The plan and the block's prefix (the number without its last `level` digits).
    pub key: Packed,
    pub distinct: u64,
    /// Occupied blocks one level down inside it.
    pub children: u64,
}

/// One level's statistics.
#[derive(Debug, Default)]
pub struct Level {
    /// Per plan: occupied blocks.
    pub blocks: Map<Plan, u64>,
    /// Per plan: the 90th percentile of occupied blocks' distinct numbers.
    pub typical: Map<Plan, f64>,
    /// Blocks with at least the asked number of distinct numbers, in key order.
    pub heavy: Vec<Heavy>,
}

/// Occupancy of the blocks of every level.
#[derive(Debug, Default)]
pub struct Occupancy {
    /// Distinct numbers per plan.
    pub per_plan: Map<Plan, u64>,
    /// Levels 1 ..= [`MAX_LEVEL`], at index level − 1.
    pub levels: Vec<Level>,
}

/// Per plan: how many blocks hold each count of distinct numbers.
type Counts = Map<Plan, BTreeMap<u64, u64>>;

/// What one pass over a run of numbers finds; two runs that share no block add up
/// ([`Partial::add`]).
#[derive(Default)]
struct Partial {
    per_plan: Map<Plan, u64>,
    /// By level (index level − 1).
    counts: Vec<Counts>,
    heavy: Vec<Vec<Heavy>>,
}

impl Partial {
    /// `later`'s numbers all follow this one's.
    fn add(mut self, later: Partial) -> Partial {
        for (plan, n) in later.per_plan {
            *self.per_plan.entry(plan).or_default() += n;
        }
        for (mine, theirs) in self.counts.iter_mut().zip(later.counts) {
            for (plan, hist) in theirs {
                let into = mine.entry(plan).or_default();
                for (v, n) in hist {
                    *into.entry(v).or_default() += n;
                }
            }
        }
        for (mine, theirs) in self.heavy.iter_mut().zip(later.heavy) {
            mine.extend(theirs);
        }
        self
    }

    fn finish(self) -> Occupancy {
        let levels = self
            .counts
            .into_iter()
            .zip(self.heavy)
            .map(|(counts, heavy)| {
                let mut level = Level { heavy, ..Level::default() };
                for (plan, hist) in counts {
                    let total: u64 = hist.values().sum();
                    level.blocks.insert(plan, total);
                    level.typical.insert(plan, q90(&hist, total));
                }
                level
            })
            .collect();
        Occupancy { per_plan: self.per_plan, levels }
    }
}

/// The value at rank ⌊total · 9/10⌋ of the sorted occupancies (what sorting them all and
/// indexing would give), from how many blocks hold each.
fn q90(hist: &BTreeMap<u64, u64>, total: u64) -> f64 {
    let rank = (total * 9 / 10).min(total.saturating_sub(1));
    let mut seen = 0;
    for (&v, &n) in hist {
        seen += n;
        if seen > rank {
            return v as f64;
        }
    }
    0.0
}

/// Occupancies of the current plan's blocks at one level, counted densely while the pass is in
/// the plan.
struct Histogram {
    /// Counts up to 1024, by value.
    small: Vec<u64>,
    large: BTreeMap<u64, u64>,
}

impl Histogram {
    const SMALL: usize = 1025;

    fn new() -> Histogram {
        Histogram { small: vec![0; Histogram::SMALL], large: BTreeMap::new() }
    }

    fn add(&mut self, v: u64) {
        match self.small.get_mut(v as usize) {
            Some(n) => *n += 1,
            None => *self.large.entry(v).or_default() += 1,
        }
    }

    /// Move the counts into `into`, leaving this empty.
    fn drain_into(&mut self, into: &mut BTreeMap<u64, u64>) {
        for (v, n) in self.small.iter_mut().enumerate().filter(|(_, n)| **n > 0) {
            *into.entry(v as u64).or_default() += std::mem::take(n);
        }
        for (v, n) in std::mem::take(&mut self.large) {
            *into.entry(v).or_default() += n;
        }
    }
}

/// The block being filled at one level.
struct Open {
    key: Packed,
    /// The pass's count of numbers when the block opened: its distinct numbers are the count
    /// when it closes less this.
    from: u64,
    children: u64,
}

/// The pass: blocks close in key order, so each level keeps its open block and the histogram
/// of the plan it is in.
struct Pass {
    /// Blocks from this many distinct numbers are [`Heavy`].
    min: f64,
    open: Vec<Option<Open>>,
    hist: Vec<(Option<Plan>, Histogram)>,
    /// The plan numbers are coming from, and how many so far.
    plan: Option<(Plan, u64)>,
    /// Numbers counted so far.
    numbers: u64,
    out: Partial,
}

impl Pass {
    fn new(min: f64) -> Pass {
        let levels = MAX_LEVEL as usize;
        Pass {
            min,
            open: (0..levels).map(|_| None).collect(),
            hist: (0..levels).map(|_| (None, Histogram::new())).collect(),
            plan: None,
            numbers: 0,
            out: Partial {
                per_plan: Map::default(),
                counts: (0..levels).map(|_| Counts::default()).collect(),
                heavy: (0..levels).map(|_| Vec::new()).collect(),
            },
        }
    }

    fn number(&mut self, k: Packed) {
        let (plan, n) = (plan_of(k), low(k));
        match &mut self.plan {
            Some((p, count)) if *p == plan => *count += 1,
            at => {
                if let Some((done, count)) = at.replace((plan, 1)) {
                    self.out.per_plan.insert(done, count);
                }
                // No number after this one is in the last plan's blocks.
                for i in 0..MAX_LEVEL as usize {
                    if let Some(done) = self.open[i].take() {
                        self.close(i, done);
                    }
                }
            }
        }
        // The block prefix, a digit shorter each level (a division by a constant: dividing by a
        // power of ten looked up per level had been most of the pass), up to the first level
        // whose block is open already: the block below it is new (a number is its own block),
        // a child more; every block above it is open too, and counts the number when it closes
        // ([`Open::from`]: every number of a plan has the same levels). Every level a number,
        // as before, pumped-range took 0.148-0.161 s at 9.7M Console rows; 0.107-0.113 s now.
        let mut prefix = n;
        for level in 1..=MAX_LEVEL {
            if !has_level(plan.1, level) {
                break;
            }
            prefix /= 10;
            let key = (k >> PLAN_SHIFT << PLAN_SHIFT) | prefix;
            let i = level as usize - 1;
            match &mut self.open[i] {
                Some(o) if o.key == key => {
                    o.children += 1;
                    break;
                }
                slot => {
                    let done = slot.replace(Open { key, from: self.numbers, children: 1 });
                    if let Some(done) = done {
                        self.close(i, done);
                    }
                }
            }
        }
        self.numbers += 1;
    }

    fn close(&mut self, i: usize, o: Open) {
        let plan = plan_of(o.key);
        let (at, hist) = &mut self.hist[i];
        if *at != Some(plan)
            && let Some(done) = at.replace(plan)
        {
            hist.drain_into(self.out.counts[i].entry(done).or_default());
        }
        let distinct = self.numbers - o.from;
        hist.add(distinct);
        if is_heavy(distinct, self.min) {
            self.out.heavy[i].push(Heavy { key: o.key, distinct, children: o.children });
        }
    }

    fn finish(mut self) -> Partial {
        if let Some((plan, count)) = self.plan.take() {
            self.out.per_plan.insert(plan, count);
        }
        for i in 0..MAX_LEVEL as usize {
            if let Some(o) = self.open[i].take() {
                self.close(i, o);
            }
            let (at, hist) = &mut self.hist[i];
            if let Some(plan) = at.take() {
                hist.drain_into(self.out.counts[i].entry(plan).or_default());
            }
        }
        self.out
    }
}

/// One run of numbers (any order, repeats allowed): sorted, then counted.
fn count(run: &mut [Packed], min: f64) -> Partial {
    run.sort_unstable();
    count_sorted(run, min)
}

/// One run of sorted numbers (repeats allowed), counted.
fn count_sorted(run: &[Packed], min: f64) -> Partial {
    let mut pass = Pass::new(min);
    let mut last = None;
    for &k in run.iter() {
        if last != Some(k) {
            last = Some(k);
            pass.number(k);
        }
    }
    pass.finish()
}

/// Reorder `numbers` into two runs that share no block of any level (so that each can be
/// counted on its own thread), about equal: those before a 10^6-block boundary near the
/// median, then the rest. Returns where the second run starts.
fn split(numbers: &mut [Packed]) -> usize {
    let step = (numbers.len() / 1024).max(1);
    let mut sample: Vec<Packed> = numbers.iter().step_by(step).copied().collect();
    sample.sort_unstable();
    let Some(&median) = sample.get(sample.len() / 2) else { return 0 };
    let boundary = block_start(median);
    let (mut i, mut j) = (0, numbers.len());
    loop {
        while i < j && numbers[i] < boundary {
            i += 1;
        }
        while i < j && numbers[j - 1] >= boundary {
            j -= 1;
        }
        if i >= j {
            return i;
        }
        numbers.swap(i, j - 1);
        i += 1;
        j -= 1;
    }
}

/// Two runs that share no block counted, the later on a thread of its own, and added.
fn in_two(first: impl FnOnce() -> Partial, later: Option<impl FnOnce() -> Partial + Send>) -> Partial {
    std::thread::scope(|s| {
        let later = later.map(|f| s.spawn(f));
        let first = first();
        match later {
            Some(t) => first.add(t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))),
            None => first,
        }
    })
}

impl Occupancy {
    /// The occupancy of `rows`' distinct destinations; blocks with at least `min` of them are
    /// listed ([`Level::heavy`]). Counted in two runs on two threads when there are many.
    pub fn of(rows: &[Row], min: f64) -> Occupancy {
        let mut numbers = crate::memory::take_spare(rows.len());
        numbers.extend(rows.iter().filter(|r| r.nlen > 0).map(|r| pack(r.calling_code, r.nlen, r.national)));
        let at = if numbers.len() >= 1 << 16 { split(&mut numbers) } else { numbers.len() };
        let (a, b) = numbers.split_at_mut(at);
        let empty = b.is_empty();
        let partial = in_two(|| count(a, min), (!empty).then_some(|| count(b, min)));
        crate::memory::hand_on(numbers);
        partial.finish()
    }

    /// [`Occupancy::of`] rows whose numbers, distinct, are two sorted `runs` that share no block
    /// of any level, the second's numbers above the first's ([`super::numbers::Numbers`]): each
    /// run counted on a thread of its own, without a sort.
    pub fn of_sorted(runs: [&[Packed]; 2], min: f64) -> Occupancy {
        let [a, b] = runs;
        if a.len() + b.len() < 1 << 16 {
            return count_sorted(a, min).add(count_sorted(b, min)).finish();
        }
        in_two(|| count_sorted(a, min), (!b.is_empty()).then_some(|| count_sorted(b, min))).finish()
    }

    /// The statistics of `level` (1 ..= [`MAX_LEVEL`]).
    pub fn level(&self, level: u32) -> &Level {
        &self.levels[level as usize - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_by_reciprocal_is_the_division() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for level in 0..=20u32 {
            let d = 10u128.pow(level);
            let check = |n: u64| assert_eq!(u128::from(prefix(n, level)), u128::from(n) / d, "{n} / 10^{level}");
            // The edges: around every multiple of the divisor near the ends, and the bound.
            for n in [0, 1, 9, 10, 11, 99, 100, RECIPROCAL_BELOW - 1, RECIPROCAL_BELOW, RECIPROCAL_BELOW + 1, u64::MAX] {
                check(n);
            }
            if d < u128::from(RECIPROCAL_BELOW) {
                let d = d as u64;
                for q in [1, 2, 3, RECIPROCAL_BELOW / d - 1, RECIPROCAL_BELOW / d] {
                    for n in [(q * d).saturating_sub(1), q * d, q * d + 1] {
                        check(n);
                    }
                }
            }
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                check(x % RECIPROCAL_BELOW);
                check(x);
            }
        }
    }
    use crate::detect::tests::row;
    use rand::{RngExt, SeedableRng};

    /// The same statistics the plain way: every block of every level in a sorted map.
    /// Per level: occupied blocks and typical occupancy per plan, and the heavy blocks.
    type NaiveLevel = (BTreeMap<Plan, u64>, BTreeMap<Plan, f64>, Vec<Heavy>);

    fn naive(rows: &[Row], min: f64) -> (BTreeMap<Plan, u64>, Vec<NaiveLevel>) {
        let numbers: std::collections::BTreeSet<Packed> =
            rows.iter().filter(|r| r.nlen > 0).map(|r| pack(r.calling_code, r.nlen, r.national)).collect();
        let mut per_plan = BTreeMap::new();
        for &k in &numbers {
            *per_plan.entry(plan_of(k)).or_default() += 1;
        }
        let block = |k: Packed, level: u32| (k >> PLAN_SHIFT << PLAN_SHIFT) | (low(k) / 10u64.pow(level));
        let levels = (1..=MAX_LEVEL)
            .map(|level| {
                let mut blocks: BTreeMap<Packed, (u64, std::collections::BTreeSet<Packed>)> = BTreeMap::new();
                for &k in numbers.iter().filter(|&&k| has_level(plan_of(k).1, level)) {
                    let e = blocks.entry(block(k, level)).or_default();
                    e.0 += 1;
                    e.1.insert(block(k, level - 1));
                }
                let mut count = BTreeMap::new();
                let mut occupancy: BTreeMap<Plan, Vec<u64>> = BTreeMap::new();
                for (&key, (d, _)) in &blocks {
                    *count.entry(plan_of(key)).or_default() += 1;
                    occupancy.entry(plan_of(key)).or_default().push(*d);
                }
                let q90 = occupancy
                    .into_iter()
                    .map(|(p, mut v)| {
                        v.sort_unstable();
                        (p, v[(v.len() * 9 / 10).min(v.len() - 1)] as f64)
                    })
                    .collect();
                let heavy = blocks
                    .into_iter()
                    .filter(|(_, (d, _))| is_heavy(*d, min))
                    .map(|(key, (distinct, children))| Heavy { key, distinct, children: children.len() as u64 })
                    .collect();
                (count, q90, heavy)
            })
            .collect();
        (per_plan, levels)
    }

    fn sorted<K: Ord + Copy, V: Copy>(m: &Map<K, V>) -> BTreeMap<K, V> {
        m.iter().map(|(k, v)| (*k, *v)).collect()
    }

    #[test]
    fn one_pass_gives_what_every_block_counted_gives() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for case in 0..60 {
            // Clustered numbers in a few plans (short ones too, which have fewer levels), with
            // repeats; sometimes enough rows to be sorted on two threads.
            let n = if case % 10 == 0 { 70_000 } else { rng.random_range(0..3_000) };
            let plans: [(u16, u8); 5] = [(1, 10), (44, 10), (371, 8), (7, 3), (999, 2)];
            let rows: Vec<Row> = (0..n)
                .map(|i| {
                    let (cc, nlen) = plans[rng.random_range(0..plans.len())];
                    let top = 10u64.pow(u32::from(nlen));
                    let national = match rng.random_range(0..3) {
                        0 => rng.random_range(top / 10..top),
                        1 => top / 10 * 3 + rng.random_range(0..2_000.min(top / 10)),
                        _ => top / 10 * 5 + rng.random_range(0..50.min(top / 10)),
                    };
                    row(i, 0, cc, national, if i % 50 == 0 { 0 } else { nlen })
                })
                .collect();
            for min in [1.0, 12.0, f64::NAN] {
                let got = Occupancy::of(&rows, min);
                let (per_plan, levels) = naive(&rows, min);
                assert_eq!(sorted(&got.per_plan), per_plan, "case {case}");
                for (level, (count, q90, heavy)) in (1..=MAX_LEVEL).zip(levels) {
                    let l = got.level(level);
                    assert_eq!(sorted(&l.blocks), count, "case {case} level {level}");
                    assert_eq!(sorted(&l.typical), q90, "case {case} level {level}");
                    assert_eq!(l.heavy, heavy, "case {case} level {level} min {min}");
                }
            }
        }
    }

    #[test]
    fn the_90th_percentile_of_a_histogram_is_that_of_the_sorted_values() {
        let mut h = Histogram::new();
        let values = [3u64, 1, 1, 2000, 7, 7, 7, 1024, 1025, 5];
        for v in values {
            h.add(v);
        }
        let mut counts = BTreeMap::new();
        h.drain_into(&mut counts);
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        assert_eq!(q90(&counts, 10), sorted[9] as f64);
        h.add(4);
        let mut again = BTreeMap::new();
        h.drain_into(&mut again);
        assert_eq!(again, BTreeMap::from([(4, 1)]), "drained: empty again");
    }

    #[test]
    fn the_two_runs_share_no_block() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let mut numbers: Vec<Packed> = (0..100_000).map(|_| pack(44, 10, rng.random_range(1_000_000_000..10_000_000_000u64))).collect();
        let at = split(&mut numbers);
        let (a, b) = numbers.split_at(at);
        assert!(a.len() > 30_000 && b.len() > 30_000, "{} and {}", a.len(), b.len());
        let top = |k: &Packed| low(*k) / 1_000_000;
        let highest = a.iter().map(top).max();
        assert!(highest < b.iter().map(top).min(), "a 10^6 block on both sides");
    }
}
