//! Provider message ids, one fixed-width slot a row, with the index that folds records by id.
//!
//! At 10 million messages the ids were the largest thing in memory: a boxed string per row plus
//! a second copy as a hash key (about 140 bytes a row), then a packed arena with offsets (about
//! 36). Here a row's id is 16 bytes at the row's own position: Twilio SIDs (two letters and 32
//! hex digits) and AWS UUIDs are exactly 128 bits once the hex is packed, and the two letters go
//! into a small table of id kinds (SM, MM, ... and UUID). Ids of any other shape (rare) are kept
//! as text beside. The index is a hash table of row numbers (about 8 bytes a row at its load).

use crate::hash::Map;
use hashbrown::HashTable;
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

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn pack_hex(hex: impl Iterator<Item = u8>) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    let mut n = 0;
    let mut hi = None;
    for b in hex {
        let v = hex_val(b)?;
        match hi.take() {
            None => hi = Some(v),
            Some(h) => {
                *out.get_mut(n)? = h << 4 | v;
                n += 1;
            }
        }
    }
    (n == 16 && hi.is_none()).then_some(out)
}

/// The packed form of an id. Packing is one-to-one: only lowercase hex is packed, so unpacking
/// gives back the exact text; anything else is [`Kind::Text`].
pub fn pack(id: &[u8]) -> Packed {
    if id.len() == 34
        && id[0].is_ascii_uppercase()
        && id[1].is_ascii_uppercase()
        && let Some(bytes) = pack_hex(id[2..].iter().copied())
    {
        return Packed { kind: Kind::Sid([id[0], id[1]]), bytes };
    }
    if id.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| id[i] == b'-')
        && let Some(bytes) = pack_hex(id.iter().copied().filter(|&c| c != b'-'))
    {
        return Packed { kind: Kind::Uuid, bytes };
    }
    Packed { kind: Kind::Text, bytes: [0; 16] }
}

fn unpack(kind: Kind, p: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex = |bytes: &[u8], s: &mut String| {
        for &x in bytes {
            s.push(HEX[(x >> 4) as usize] as char);
            s.push(HEX[(x & 15) as usize] as char);
        }
    };
    let mut s = String::with_capacity(36);
    match kind {
        Kind::Sid([a, b]) => {
            s.push(a as char);
            s.push(b as char);
            hex(p, &mut s);
        }
        Kind::Uuid | Kind::Text => {
            for (i, chunk) in [&p[0..4], &p[4..6], &p[6..8], &p[8..10], &p[10..16]].iter().enumerate() {
                if i > 0 {
                    s.push('-');
                }
                hex(chunk, &mut s);
            }
        }
    }
    s
}

/// Kind byte 0: the row has no id.
const NONE: u8 = 0;

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
    /// Rows with an id, hashed by their id.
    index: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
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

    fn hash(&self, kind: Kind, bytes: &[u8; 16], text: Option<&str>) -> u64 {
        match kind {
            Kind::Text => self.hasher.hash_one(text.unwrap_or("")),
            _ => self.hasher.hash_one((kind, bytes)),
        }
    }

    fn row_hash(&self, row: u32) -> u64 {
        let r = row as usize;
        let kind = self.kinds[self.kind_of[r] as usize];
        self.hash(kind, &self.packed[r], self.text.get(&row).map(|s| &**s))
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

    pub fn has(&self, row: u32) -> bool {
        self.kind_of.get(row as usize).is_some_and(|&k| k != NONE)
    }

    /// Record a row without an id (every row gets a slot, so slots are rows).
    pub fn push_none(&mut self) {
        self.packed.push([0; 16]);
        self.kind_of.push(NONE);
    }

    /// `Some(row)` when the id was stored before (for that row), else `None` after recording it
    /// for `row`, which must be the next row (the number of rows recorded so far). `text` is the
    /// id as read, needed only for [`Kind::Text`].
    pub fn find_or_insert(&mut self, p: Packed, text: &str, row: u32) -> Option<u32> {
        debug_assert_eq!(row as usize, self.kind_of.len());
        let text = (p.kind == Kind::Text).then_some(text);
        let hash = self.hash(p.kind, &p.bytes, text);
        let found = self.index.find(hash, |&r| {
            let k = self.kinds[self.kind_of[r as usize] as usize];
            k == p.kind
                && match text {
                    Some(t) => self.text.get(&r).is_some_and(|s| &**s == t),
                    None => self.packed[r as usize] == p.bytes,
                }
        });
        if let Some(&r) = found {
            return Some(r);
        }
        let k = self.kind_byte(p.kind);
        self.packed.push(p.bytes);
        self.kind_of.push(k);
        if let Some(t) = text {
            self.text.insert(row, t.into());
        }
        // The index is taken out while it grows, so its rehash can read the rows' ids.
        let mut index = std::mem::take(&mut self.index);
        index.insert_unique(hash, row, |&r| self.row_hash(r));
        self.index = index;
        None
    }

    /// Try to make room for `n` more rows without regrowing; what cannot be had grows as rows
    /// come.
    pub fn reserve(&mut self, n: usize) {
        let _ = self.packed.try_reserve(n);
        let _ = self.kind_of.try_reserve(n);
        let mut index = std::mem::take(&mut self.index);
        let _ = index.try_reserve(n, |&r| self.row_hash(r));
        self.index = index;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(ids.find_or_insert(pack(t.as_bytes()), t, i as u32 + 1), None, "{t} is new");
        }
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(ids.get(i as u32 + 1).as_deref(), Some(*t));
        }
        let next = texts.len() as u32 + 1;
        assert_eq!(ids.find_or_insert(pack(texts[0].as_bytes()), texts[0], next), Some(1));
        assert_eq!(ids.find_or_insert(pack(b"x"), "x", next), Some(4));
        assert_eq!(ids.get(0), None);
        assert!(!ids.has(0) && ids.has(1));
        assert_eq!(pack(texts[1].as_bytes()).kind, Kind::Uuid);
        assert_eq!(pack(texts[2].as_bytes()).kind, Kind::Text, "upper-case hex stays text (one-to-one)");
    }
}
