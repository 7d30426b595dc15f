//! Provider message ids, one fixed-width slot a row, with the index that folds records by id.
//!
//! At 10 million messages the ids were the largest thing in memory: a boxed string per row plus
//! a second copy as a hash key (about 140 bytes a row), then a packed arena with offsets (about
//! 36). Here a row's id is 16 bytes at the row's own position: Twilio SIDs (two letters and 32
//! hex digits) and AWS UUIDs are exactly 128 bits once the hex is packed, and the two letters go
//! into a small table of id kinds (SM, MM, ... and UUID). Ids of any other shape (rare) are kept
//! as text beside. The index is a hash table of row numbers (under 7 bytes a row at its load).

use crate::hash::Map;
use std::hash::BuildHasher;

/// An id's kind: which letters or shape its 16 bytes unpack to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Two letters and 32 lowercase hex digits (Twilio SIDs).
    Sid([u8; 2]),
    /// 8-4-4-4-12 lowercase hex (AWS message ids).
    Uuid,
    /// Anything else, kept as text.
    Text,
}

/// An id as packed for storage (no allocation for SIDs and UUIDs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    pub kind: Kind,
    pub bytes: [u8; 16],
}

/// 32 lowercase hex digits as 16 bytes. Branch-free arithmetic over a fixed-size array (no
/// table lookups), which the compiler turns into vector code: a table lookup a digit had been
/// a fiftieth of a Console export's parse.
fn pack_hex(hex: &[u8]) -> Option<[u8; 16]> {
    let hex: &[u8; 32] = hex.try_into().ok()?;
    let mut nibbles = [0u8; 32];
    let mut bad = 0u8;
    for (n, &c) in nibbles.iter_mut().zip(hex) {
        let (digit, letter) = (c.wrapping_sub(b'0'), c.wrapping_sub(b'a'));
        let (is_digit, is_letter) = (digit < 10, letter < 6);
        bad |= u8::from(!(is_digit | is_letter));
        *n = if is_digit { digit } else { letter.wrapping_add(10) };
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(nibbles.chunks_exact(2)) {
        *o = pair[0] << 4 | (pair[1] & 15);
    }
    (bad == 0).then_some(out)
}

/// The packed form of an id. Packing is one-to-one: only lowercase hex is packed, so unpacking
/// gives back the exact text; anything else is [`Kind::Text`].
pub fn pack(id: &[u8]) -> Packed {
    if id.len() == 34
        && id[0].is_ascii_uppercase()
        && id[1].is_ascii_uppercase()
        && let Some(bytes) = pack_hex(&id[2..])
    {
        return Packed { kind: Kind::Sid([id[0], id[1]]), bytes };
    }
    if id.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| id[i] == b'-')
        && let Some(bytes) = {
            let mut hex = [0u8; 32];
            for (h, &c) in hex.iter_mut().zip(id.iter().filter(|&&c| c != b'-')) {
                *h = c;
            }
            pack_hex(&hex)
        }
    {
        return Packed { kind: Kind::Uuid, bytes };
    }
    Packed { kind: Kind::Text, bytes: [0; 16] }
}

fn unpack(kind: Kind, p: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    unpack_into(kind, p, &mut s);
    s
}

/// [`unpack`] appended to `s`.
fn unpack_into(kind: Kind, p: &[u8; 16], s: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex = |bytes: &[u8], s: &mut String| {
        for &x in bytes {
            s.push(HEX[(x >> 4) as usize] as char);
            s.push(HEX[(x & 15) as usize] as char);
        }
    };
    match kind {
        Kind::Sid([a, b]) => {
            s.push(a as char);
            s.push(b as char);
            hex(p, s);
        }
        Kind::Uuid | Kind::Text => {
            for (i, chunk) in [&p[0..4], &p[4..6], &p[6..8], &p[8..10], &p[10..16]].iter().enumerate() {
                if i > 0 {
                    s.push('-');
                }
                hex(chunk, s);
            }
        }
    }
}

/// An id on its way into the store: packed, its text (needed for [`Kind::Text`] only) and its
/// [`IdHasher::hash`].
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub packed: Packed,
    pub text: &'a str,
    pub hash: u64,
}

/// Kind byte 0: the row has no id.
const NONE: u8 = 0;

/// Hashes ids for the index; cloned into parser threads, which hash ahead of the store.
#[derive(Clone, Default)]
pub struct IdHasher(foldhash::fast::RandomState);

impl IdHasher {
    /// The hash of an id: its packed bytes, or its text for [`Kind::Text`].
    pub fn hash(&self, p: &Packed, text: &str) -> u64 {
        match p.kind {
            Kind::Text => self.0.hash_one(text),
            kind => self.0.hash_one((kind, &p.bytes)),
        }
    }
}

/// Slots a bucket holds: a bucket's tags and rows fill one cache line.
const LANES: usize = 12;

/// One cache line of the index: twelve slots, each a tag byte (0: empty; else 1-255 from the
/// hash bits that did not choose the bucket) and a row. Slots fill in order (nothing is ever
/// removed), so a probe stops at the first empty one.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Bucket {
    tags: [u8; LANES],
    rows: [u32; LANES],
}

// SAFETY: a Bucket is two arrays of integers; all zero bytes are a valid one (empty slots).
unsafe impl bytemuck::Zeroable for Bucket {}

/// Where a slot is: bucket and lane.
type Slot = (usize, usize);

/// Open addressing with linear probing by bucket. A probe reads the tags of its home bucket and
/// reads a row, and then an id to compare, only where the tag matches (one slot in 255 that is
/// not the id). Written here rather than taken from hashbrown so the store thread can touch a
/// bucket ahead of time ([`Ids::prefetch`]): at ten million ids and more the table is far larger
/// than the caches, and the lookups had been the largest cost of the store thread. A slot is
/// 5 1/3 bytes. Tags and rows had been two arrays (5 bytes a slot), so every new id missed the
/// cache twice, and at 100M rows the store thread waited on those prefetches for a quarter of
/// its time (the pending misses had filled the processor's queue); one line a probe halved that.
#[derive(Default)]
struct Index {
    buckets: Vec<Bucket>,
    len: usize,
    /// Let go by [`Ids::release_index`]; built again on the next insert.
    released: bool,
}

impl Index {
    /// A probe's first bucket: the hash's high bits scaled to the table (no power-of-two size
    /// needed, so the table is sized to the rows: at 100M rows a power of two had reserved twice
    /// what the rows need).
    fn home(&self, hash: u64) -> usize {
        ((u128::from(hash) * self.buckets.len() as u128) >> 64) as usize
    }

    /// A slot's tag: the hash's low byte (the high bits chose the bucket), never 0.
    fn tag(hash: u64) -> u8 {
        (hash as u8).max(1)
    }

    /// The first row in the probe of `hash` that `is` accepts (only rows whose tag matches are
    /// asked), or the empty slot that ends the probe.
    fn find(&self, hash: u64, mut is: impl FnMut(u32) -> bool) -> Result<u32, Slot> {
        let tag = Index::tag(hash);
        let mut b = self.home(hash);
        // Never full (see `full`): a probe always meets an empty slot.
        loop {
            let bucket = &self.buckets[b];
            for lane in 0..LANES {
                match bucket.tags[lane] {
                    0 => return Err((b, lane)),
                    t if t == tag && is(bucket.rows[lane]) => return Ok(bucket.rows[lane]),
                    _ => {}
                }
            }
            b = if b + 1 == self.buckets.len() { 0 } else { b + 1 };
        }
    }

    fn set(&mut self, (b, lane): Slot, hash: u64, row: u32) {
        let bucket = &mut self.buckets[b];
        bucket.tags[lane] = Index::tag(hash);
        bucket.rows[lane] = row;
        self.len += 1;
    }

    /// Put `row` in the first free slot of its probe (it is known not to be there).
    fn place(&mut self, hash: u64, row: u32) {
        if let Err(slot) = self.find(hash, |_| false) {
            self.set(slot, hash, row);
        }
    }

    /// At most four fifths full: probes stay short (mostly the home bucket).
    fn full(&self) -> bool {
        (self.len + 1) * 5 > self.buckets.len() * LANES * 4
    }

    /// Room for `n` entries at most four fifths full.
    /// `huge`: fault the new table in at once in huge pages ([`crate::memory::fault_in_huge`]);
    /// only where no other thread of ours runs (see [`Ids::reserve`]).
    fn grow_to(&mut self, n: usize, huge: bool, rehash: impl Fn(u32) -> u64) {
        let want = (n.max(8) * 5 / 4).div_ceil(LANES) + 1;
        if want <= self.buckets.len() {
            return;
        }
        // Allocated zeroed, not written: pages are faulted in where first touched, or below.
        let old = std::mem::replace(&mut self.buckets, bytemuck::zeroed_vec(want));
        // Read and written at random: in 4 KiB pages nearly every probe missed the TLB, and
        // the page walks were four fifths of merging records into the store.
        if huge {
            crate::memory::fault_in_huge(&mut self.buckets);
        }
        self.len = 0;
        for bucket in old {
            for (_, &row) in bucket.tags.iter().zip(&bucket.rows).filter(|&(&t, _)| t != 0) {
                self.place(rehash(row), row);
            }
        }
    }
}

#[derive(Default)]
pub struct Ids {
    /// By row: the packed id (zeros for none and text ids).
    packed: Vec<[u8; 16]>,
    /// By row: index into `kinds` (0: no id).
    kind_of: Vec<u8>,
    /// Kinds seen; index 0 is a placeholder for "none".
    kinds: Vec<Kind>,
    /// Text ids by row.
    text: Map<u32, Box<str>>,
    index: Index,
    hasher: IdHasher,
}

impl Ids {
    fn kind_byte(&mut self, kind: Kind) -> u8 {
        if self.kinds.is_empty() {
            self.kinds.push(Kind::Text);
        }
        match self.kinds.iter().skip(1).position(|&k| k == kind) {
            Some(i) => (i + 1) as u8,
            // More than 254 kinds (two-letter prefixes) cannot happen with real exports; such ids
            // are kept as text instead.
            None if self.kinds.len() < 255 => {
                self.kinds.push(kind);
                (self.kinds.len() - 1) as u8
            }
            None => self.kind_byte(Kind::Text),
        }
    }

    pub fn hasher(&self) -> IdHasher {
        self.hasher.clone()
    }

    /// No rows recorded.
    pub fn is_empty(&self) -> bool {
        self.kind_of.is_empty()
    }

    /// No ids yet, hashing as `hasher` does.
    pub fn with_hasher(hasher: IdHasher) -> Ids {
        Ids { hasher, ..Ids::default() }
    }

    fn row_hash(&self, row: u32) -> u64 {
        let r = row as usize;
        let kind = self.kinds[self.kind_of[r] as usize];
        self.hasher.hash(&Packed { kind, bytes: self.packed[r] }, self.text.get(&row).map_or("", |s| &**s))
    }

    /// The id of `row`, as text.
    pub fn get(&self, row: u32) -> Option<String> {
        let r = row as usize;
        let k = *self.kind_of.get(r)?;
        if k == NONE {
            return None;
        }
        match self.kinds[k as usize] {
            Kind::Text => self.text.get(&row).map(|s| s.to_string()),
            kind => Some(unpack(kind, &self.packed[r])),
        }
    }

    /// [`Ids::get`] into `buf` (cleared first), without a `String` a call; false when the row
    /// has no id.
    pub fn get_into(&self, row: u32, buf: &mut String) -> bool {
        buf.clear();
        let r = row as usize;
        let Some(&k) = self.kind_of.get(r) else { return false };
        if k == NONE {
            return false;
        }
        match self.kinds[k as usize] {
            Kind::Text => match self.text.get(&row) {
                Some(t) => buf.push_str(t),
                None => return false,
            },
            kind => unpack_into(kind, &self.packed[r], buf),
        }
        true
    }

    pub fn has(&self, row: u32) -> bool {
        self.kind_of.get(row as usize).is_some_and(|&k| k != NONE)
    }

    /// Record a row without an id (every row gets a slot, so slots are rows).
    pub fn push_none(&mut self) {
        self.packed.push([0; 16]);
        self.kind_of.push(NONE);
    }

    /// Ask for the index slot of `hash` to be brought into the cache ahead of its lookup.
    pub fn prefetch(&self, hash: u64) {
        // A hint, no load waited for (a plain read, even unused, held the processor up).
        crate::memory::prefetch(&self.index.buckets, self.index.home(hash));
    }

    /// `Some(row)` when the id was stored before (for that row), else `None` after recording it
    /// for `row`, which must be the next row (the number of rows recorded so far). `text` is the
    /// id as read, needed only for [`Kind::Text`]; `hash` is [`IdHasher::hash`] of it.
    pub fn find_or_insert(&mut self, id: Incoming, row: u32) -> Option<u32> {
        debug_assert_eq!(row as usize, self.kind_of.len());
        if self.index.released {
            self.rebuild_index(1, false);
        }
        let Incoming { packed: p, text, hash } = id;
        if self.index.full() {
            let mut index = std::mem::take(&mut self.index);
            index.grow_to((index.len + 1) * 2, false, |r| self.row_hash(r));
            self.index = index;
        }
        let text = (p.kind == Kind::Text).then_some(text);
        let (kinds, kind_of, packed, texts) = (&self.kinds, &self.kind_of, &self.packed, &self.text);
        let same = |r: u32| {
            kinds[kind_of[r as usize] as usize] == p.kind
                && match text {
                    Some(t) => texts.get(&r).is_some_and(|s| &**s == t),
                    None => packed[r as usize] == p.bytes,
                }
        };
        match self.index.find(hash, same) {
            Ok(r) => return Some(r),
            Err(slot) => self.index.set(slot, hash, row),
        }
        self.record(p, text, row);
        None
    }

    fn record(&mut self, p: Packed, text: Option<&str>, row: u32) {
        let k = self.kind_byte(p.kind);
        self.packed.push(p.bytes);
        self.kind_of.push(k);
        if let Some(t) = text {
            self.text.insert(row, t.into());
        }
    }

    /// Record the id of `row` (the next row) without looking it up: for a load that checks for
    /// repeated ids once it is done ([`Ids::repeats`]). Any index is let go (a later
    /// [`Ids::find_or_insert`] builds it again from every row).
    pub fn push_unchecked(&mut self, id: Incoming, row: u32) {
        debug_assert_eq!(row as usize, self.kind_of.len());
        if !self.index.released {
            self.release_index();
        }
        let text = (id.packed.kind == Kind::Text).then_some(id.text);
        self.record(id.packed, text, row);
    }

    /// Whether two rows have the same id, given the [`IdHasher::hash`] of every row's id (rows
    /// without one left out) as [`IdHashes`] gathered them. Each part is split again by the next
    /// bits, in place, into pieces whose table fits the processor's cache, on two threads; only
    /// hashes that repeat are compared as ids. (Probing one large table per record had stalled
    /// loading at 100M rows, see [`Index`]; so did splitting all hashes at once into 4,096
    /// parts, whose heads are as many pages.)
    pub fn repeats(&self, hashes: &mut IdHashes) -> bool {
        let half = hashes.parts.len() / 2;
        let (a, b) = hashes.parts.split_at_mut(half);
        let repeated = std::thread::scope(|s| {
            let other = s.spawn(|| repeated_hashes(b));
            let mut mine = repeated_hashes(a);
            mine.extend(other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            mine
        });
        if repeated.is_empty() {
            return false;
        }
        let repeated: crate::hash::Set<u64> = repeated.into_iter().collect();
        // The rows behind the repeated hashes, compared as ids.
        let mut rows: crate::hash::Map<u64, Vec<u32>> = Default::default();
        for r in (0..self.kind_of.len() as u32).filter(|&r| self.has(r)) {
            let h = self.row_hash(r);
            if repeated.contains(&h) {
                rows.entry(h).or_default().push(r);
            }
        }
        rows.values().any(|rs| {
            let ids: crate::hash::Set<String> = rs.iter().filter_map(|&r| self.get(r)).collect();
            ids.len() < rs.len()
        })
    }

    /// Let the index go (a tenth of the store's memory at ten million rows) once loading is
    /// done: nothing looks ids up after. A later insert builds the index again.
    pub fn release_index(&mut self) {
        self.index = Index { released: true, ..Index::default() };
    }

    /// The index built again from every row's id, with room for `extra` more (`huge`: see
    /// [`Ids::reserve_index`]).
    fn rebuild_index(&mut self, extra: usize, huge: bool) {
        let rows: Vec<u32> = (0..self.kind_of.len() as u32).filter(|&r| self.has(r)).collect();
        let mut index = Index::default();
        index.grow_to(rows.len() + extra, huge, |r| self.row_hash(r));
        for r in rows {
            index.place(self.row_hash(r), r);
        }
        self.index = index;
    }

    /// Try to make room for `n` more rows without regrowing; what cannot be had grows as rows
    /// come. Called before an input is read, where no other thread of ours runs.
    pub fn reserve(&mut self, n: usize) {
        self.reserve_columns(n);
        self.reserve_index(n);
    }

    /// Room for `n` more rows' ids, without the index.
    pub fn reserve_columns(&mut self, n: usize) {
        let _ = self.packed.try_reserve(n);
        let _ = self.kind_of.try_reserve(n);
    }

    /// Room in the index for `n` more ids (see [`Ids::reserve`]). An index let go (by a load
    /// that deferred folding, [`Ids::push_unchecked`]) is built again from every row, with that
    /// room: the next input folds into it.
    pub fn reserve_index(&mut self, n: usize) {
        if self.index.released {
            self.rebuild_index(n, true);
            return;
        }
        let mut index = std::mem::take(&mut self.index);
        // Reserved before an input's reading and parsing threads start: while huge pages are
        // allowed for the faulting in, every thread's faults may compact memory to get them
        // (faulting in on a thread of its own, beside the parsers, took a 100M-row run from
        // 50 s to 396 s). A table grown while loading keeps 4 KiB pages.
        index.grow_to(index.len + n, true, |r| self.row_hash(r));
        self.index = index;
    }
}

/// Bits of an id's hash that choose its part in [`IdHashes`], and then its piece.
const PART_BITS: u32 = 8;
const PIECE_BITS: u32 = 6;

/// Id hashes gathered while loading, split by their top bits as they come: 256 parts, each
/// written in order, so gathering touches few pages at a time.
pub struct IdHashes {
    parts: Vec<Vec<u64>>,
}

impl IdHashes {
    /// Room for about `n` hashes.
    pub fn with_capacity(n: usize) -> IdHashes {
        let each = n / (1 << PART_BITS) + n / (1 << PART_BITS) / 8 + 16;
        IdHashes { parts: (0..1 << PART_BITS).map(|_| Vec::with_capacity(each)).collect() }
    }

    pub fn push(&mut self, hash: u64) {
        self.parts[(hash >> (64 - PART_BITS)) as usize].push(hash);
    }
}

/// The hashes that occur more than once in `parts` (each part's hashes share their top bits).
fn repeated_hashes(parts: &mut [Vec<u64>]) -> Vec<u64> {
    let piece = |h: u64| (h >> (64 - PART_BITS - PIECE_BITS)) as usize & ((1 << PIECE_BITS) - 1);
    let mut repeated = Vec::new();
    let mut table: Vec<u64> = Vec::new();
    for hashes in parts {
        // Into pieces by the next bits, in place (counting, then cycling values to their piece).
        let mut start = [0usize; (1 << PIECE_BITS) + 1];
        for &h in hashes.iter() {
            start[piece(h) + 1] += 1;
        }
        for p in 0..1 << PIECE_BITS {
            start[p + 1] += start[p];
        }
        let mut next = start;
        for p in 0..1 << PIECE_BITS {
            while next[p] < start[p + 1] {
                let q = piece(hashes[next[p]]);
                if q == p {
                    next[p] += 1;
                } else {
                    hashes.swap(next[p], next[q]);
                    next[q] += 1;
                }
            }
        }
        // Within a piece the top bits are the same: a slot holds the rest, shifted up, with the
        // low bit set (0: empty).
        for p in 0..1 << PIECE_BITS {
            let hs = &hashes[start[p]..start[p + 1]];
            let size = (hs.len() * 2).next_power_of_two().max(16);
            table.clear();
            table.resize(size, 0);
            for &h in hs {
                let key = h << (PART_BITS + PIECE_BITS) | 1;
                let mut i = h as usize & (size - 1);
                loop {
                    match table[i] {
                        0 => {
                            table[i] = key;
                            break;
                        }
                        k if k == key => {
                            repeated.push(h);
                            break;
                        }
                        _ => i = (i + 1) & (size - 1),
                    }
                }
            }
        }
    }
    repeated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_grows_and_finds_every_id() {
        let mut ids = Ids::default();
        let id = |i: u32| format!("SM{i:032x}");
        let incoming = |ids: &Ids, t: &str| {
            let p = pack(t.as_bytes());
            Incoming { packed: p, text: "", hash: ids.hasher().hash(&p, t) }
        };
        for i in 0..20_000u32 {
            let t = id(i);
            assert_eq!(ids.find_or_insert(incoming(&ids, &t), i), None);
        }
        for i in (0..20_000u32).step_by(7) {
            let t = id(i);
            assert_eq!(ids.find_or_insert(incoming(&ids, &t), 20_000), Some(i), "{t}");
        }
        assert!(ids.index.len == 20_000 && ids.index.buckets.len() * LANES * 4 >= 20_000 * 5);
    }

    #[test]
    fn a_probe_runs_on_past_full_buckets_and_wraps_around() {
        let mut index = Index::default();
        index.grow_to(40, false, |_| unreachable!("empty"));
        let last = index.buckets.len() - 1;
        // Hashes whose home is the last bucket (high bits all ones), with the same tag: three
        // buckets' worth must run on into the first buckets.
        let hash = |i: u64| u64::MAX - (i << 8);
        let rows: Vec<u32> = (0..LANES as u32 * 3).collect();
        for &r in &rows {
            assert_eq!(index.home(hash(u64::from(r))), last);
            index.place(hash(u64::from(r)), r);
        }
        for &r in &rows {
            assert_eq!(index.find(hash(u64::from(r)), |x| x == r), Ok(r));
        }
        assert_eq!(index.find(hash(0), |_| false), Err((2, 0)), "the probe ends at the first empty slot after them");
        assert!(index.buckets[0].tags.iter().chain(&index.buckets[1].tags).all(|&t| t == Index::tag(hash(0))));
    }

    #[test]
    fn repeated_ids_are_found_among_unchecked_ones_and_equal_hashes_alone_are_not_repeats() {
        let mut ids = Ids::default();
        fn incoming<'t>(ids: &Ids, t: &'t str) -> Incoming<'t> {
            let p = pack(t.as_bytes());
            Incoming { packed: p, text: t, hash: ids.hasher().hash(&p, t) }
        }
        let texts: Vec<String> = (0..50_000u32).map(|i| if i % 7 == 0 { format!("id-{i}") } else { format!("SM{i:032x}") }).collect();
        let mut hashes = Vec::new();
        for (r, t) in texts.iter().enumerate() {
            let id = incoming(&ids, t);
            hashes.push(id.hash);
            ids.push_unchecked(id, r as u32);
        }
        ids.push_none();
        let gather = |hs: &[u64]| {
            let mut g = IdHashes::with_capacity(hs.len() / 3);
            hs.iter().for_each(|&h| g.push(h));
            g
        };
        assert!(!ids.repeats(&mut gather(&hashes)), "all distinct");
        // Hashes that repeat while the ids do not (as a collision would): not a repeat.
        let mut collided = hashes.clone();
        collided[3] = collided[4];
        collided[40_000] = collided[4];
        assert!(!ids.repeats(&mut gather(&collided)));
        // One id again, a text one and a packed one: a repeat, found wherever it is.
        for again in ["SM0000000000000000000000000000beef", "id-49994"] {
            let mut ids2 = Ids::with_hasher(ids.hasher());
            let mut hashes2 = Vec::new();
            for (r, t) in texts.iter().map(String::as_str).chain([again]).enumerate() {
                let id = incoming(&ids2, t);
                hashes2.push(id.hash);
                ids2.push_unchecked(id, r as u32);
            }
            assert!(ids2.repeats(&mut gather(&hashes2)), "{again}");
        }
        // After unchecked ids, a lookup builds the index from every row.
        let mut reserved = Ids::with_hasher(ids.hasher());
        for (r, t) in texts.iter().enumerate() {
            let id = incoming(&reserved, t);
            reserved.push_unchecked(id, r as u32);
        }
        let id = incoming(&ids, &texts[123]);
        assert_eq!(ids.find_or_insert(id, ids.kind_of.len() as u32), Some(123));
        // So does a reservation for the next input, with room for it: no growing while it loads.
        reserved.reserve_index(20_000);
        let buckets = reserved.index.buckets.len();
        assert!(!reserved.index.released);
        let id = incoming(&reserved, &texts[49_999]);
        assert_eq!(reserved.find_or_insert(id, texts.len() as u32), Some(49_999));
        let more: Vec<String> = (0..20_000u32).map(|i| format!("next-{i}")).collect();
        for (k, t) in more.iter().enumerate() {
            let id = incoming(&reserved, t);
            assert_eq!(reserved.find_or_insert(id, (texts.len() + k) as u32), None);
        }
        assert_eq!(reserved.index.buckets.len(), buckets, "the reserved room held the next input");
    }

    #[test]
    fn hex_packing_takes_exactly_lowercase_hex() {
        use rand::{RngExt, SeedableRng};
        let reference = |hex: &[u8]| -> Option<Vec<u8>> {
            let value = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            hex.chunks(2).map(|p| Some(value(p[0])? << 4 | value(p[1])?)).collect()
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..2_000 {
            let mut hex: Vec<u8> = (0..32).map(|_| b"0123456789abcdef"[rng.random_range(0..16usize)]).collect();
            assert_eq!(pack_hex(&hex).map(|b| b.to_vec()), reference(&hex));
            for at in [0, 1, 16, 31, rng.random_range(0..32usize)] {
                hex[at] = rng.random::<u8>();
                assert_eq!(pack_hex(&hex).map(|b| b.to_vec()), reference(&hex), "{hex:?}");
            }
        }
        for b in 0..=255u8 {
            for at in [0, 1, 30, 31] {
                let mut hex = *b"0123456789abcdef0123456789abcdef";
                hex[at] = b;
                assert_eq!(pack_hex(&hex).map(|b| b.to_vec()), reference(&hex), "byte {b} at {at}");
            }
        }
        assert_eq!(pack_hex(b"0123"), None);
    }

    #[test]
    fn ids_round_trip_and_fold() {
        let mut ids = Ids::default();
        let texts = [
            "SMa3c6cf2744e5aabab7451ca32d5943e2",
            "c0ffee00-1234-4abc-8def-0123456789ab",
            "SMA3C6CF2744E5AABAB7451CA32D5943E2",
            "x",
            "é-id",
            "MMa3c6cf2744e5aabab7451ca32d5943e2",
        ];
        ids.push_none();
        for (i, t) in texts.iter().enumerate() {
            let p = pack(t.as_bytes());
            let id = Incoming { packed: p, text: t, hash: ids.hasher().hash(&p, t) };
            assert_eq!(ids.find_or_insert(id, i as u32 + 1), None, "{t} is new");
        }
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(ids.get(i as u32 + 1).as_deref(), Some(*t));
        }
        let next = texts.len() as u32 + 1;
        let p = pack(texts[0].as_bytes());
        let id = Incoming { packed: p, text: texts[0], hash: ids.hasher().hash(&p, texts[0]) };
        assert_eq!(ids.find_or_insert(id, next), Some(1));
        let p = pack(b"x");
        assert_eq!(ids.find_or_insert(Incoming { packed: p, text: "x", hash: ids.hasher().hash(&p, "x") }, next), Some(4));
        assert_eq!(ids.get(0), None);
        assert!(!ids.has(0) && ids.has(1));
        ids.release_index();
        let p = pack(texts[5].as_bytes());
        let id = Incoming { packed: p, text: texts[5], hash: ids.hasher().hash(&p, texts[5]) };
        assert_eq!(ids.find_or_insert(id, next), Some(6), "the index is built again after a release");
        assert_eq!(pack(texts[1].as_bytes()).kind, Kind::Uuid);
        assert_eq!(pack(texts[2].as_bytes()).kind, Kind::Text, "upper-case hex stays text (one-to-one)");
    }
}
