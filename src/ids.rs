//! Provider message ids, stored once and packed, with the index that folds records by id.
//!
//! At 10 million messages the ids were the largest thing in memory: a boxed string per row
//! plus a second copy as the key of a `HashMap<Box<str>, u32>` (about 140 bytes a row). Here an
//! id lives once in one byte arena, Twilio SIDs (two letters and 32 hex digits) and AWS UUIDs
//! packed to binary (19 and 17 bytes instead of 34 and 36), and the index is a table of `u32`s
//! that hashes the packed bytes, plus the row of each id (about 10 bytes a row).

use hashbrown::HashTable;
use std::hash::BuildHasher;

/// Index of an id in [`Ids`]; 0 means "no id".
pub type IdRef = u32;

const TAG_TEXT: u8 = 0;
const TAG_SID: u8 = 1;
const TAG_UUID: u8 = 2;

#[derive(Default)]
pub struct Ids {
    bytes: Vec<u8>,
    /// Start of id `i` (1-based) at `starts[i - 1]`; the end is the next start.
    starts: Vec<u64>,
    /// The row each id belongs to (by slot).
    rows: Vec<u32>,
    /// Slots, hashed by their packed bytes.
    index: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn pack_hex(hex: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    for pair in hex.chunks_exact(2) {
        match (hex_val(pair[0]), hex_val(pair[1])) {
            (Some(a), Some(b)) => out.push(a << 4 | b),
            _ => {
                out.truncate(start);
                return false;
            }
        }
    }
    true
}

/// The packed form of an id (appended to `out`). Packing is one-to-one: only lowercase hex is
/// packed, so unpacking gives back the exact text.
fn pack(id: &str, out: &mut Vec<u8>) {
    let b = id.as_bytes();
    let start = out.len();
    if b.len() == 34 && b[0].is_ascii_uppercase() && b[1].is_ascii_uppercase() {
        out.extend_from_slice(&[TAG_SID, b[0], b[1]]);
        if pack_hex(&b[2..], out) {
            return;
        }
        out.truncate(start);
    }
    if b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') {
        out.push(TAG_UUID);
        let hex: Vec<u8> = b.iter().copied().filter(|&c| c != b'-').collect();
        if hex.len() == 32 && pack_hex(&hex, out) {
            return;
        }
        out.truncate(start);
    }
    out.push(TAG_TEXT);
    out.extend_from_slice(b);
}

fn unpack(p: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex = |bytes: &[u8], s: &mut String| {
        for &x in bytes {
            s.push(HEX[(x >> 4) as usize] as char);
            s.push(HEX[(x & 15) as usize] as char);
        }
    };
    match p.split_first() {
        Some((&TAG_SID, rest)) if rest.len() == 18 => {
            let mut s = String::with_capacity(34);
            s.push(rest[0] as char);
            s.push(rest[1] as char);
            hex(&rest[2..], &mut s);
            s
        }
        Some((&TAG_UUID, rest)) if rest.len() == 16 => {
            let mut s = String::with_capacity(36);
            for (i, chunk) in [&rest[0..4], &rest[4..6], &rest[6..8], &rest[8..10], &rest[10..16]].iter().enumerate() {
                if i > 0 {
                    s.push('-');
                }
                hex(chunk, &mut s);
            }
            s
        }
        Some((_, rest)) => String::from_utf8_lossy(rest).into_owned(),
        None => String::new(),
    }
}

/// The hash of the id in slot `s` (when the table grows).
fn slot_hash(bytes: &[u8], starts: &[u64], hasher: &foldhash::fast::RandomState, s: u32) -> u64 {
    let i = s as usize;
    let start = starts[i] as usize;
    let end = starts.get(i + 1).map_or(bytes.len(), |&e| e as usize);
    hasher.hash_one(&bytes[start..end])
}

impl Ids {
    fn packed(&self, r: IdRef) -> &[u8] {
        let i = r as usize - 1;
        let start = self.starts[i] as usize;
        let end = self.starts.get(i + 1).map_or(self.bytes.len(), |&e| e as usize);
        &self.bytes[start..end]
    }

    /// The id's text.
    pub fn get(&self, r: IdRef) -> Option<String> {
        if r == 0 { None } else { Some(unpack(self.packed(r))) }
    }

    /// `Ok(row)` when `id` was stored before (for that row), else `Err(reference)` after
    /// recording it for `row`.
    pub fn find_or_insert(&mut self, id: &str, row: u32) -> Result<u32, IdRef> {
        let mark = self.bytes.len();
        pack(id, &mut self.bytes);
        let hash = self.hasher.hash_one(&self.bytes[mark..]);
        let (bytes, starts) = (&self.bytes, &self.starts);
        let packed_of = |r: u32| -> &[u8] {
            let i = r as usize;
            let start = starts[i] as usize;
            let end = starts.get(i + 1).map_or(mark, |&e| e as usize);
            &bytes[start..end]
        };
        if let Some(&slot) = self.index.find(hash, |&s| packed_of(s) == &bytes[mark..]) {
            self.bytes.truncate(mark);
            return Ok(self.rows[slot as usize]);
        }
        let slot = self.starts.len() as u32;
        self.starts.push(mark as u64);
        self.rows.push(row);
        let (bytes, starts, hasher) = (&self.bytes, &self.starts, &self.hasher);
        self.index.insert_unique(hash, slot, |&s| slot_hash(bytes, starts, hasher, s));
        Err(slot + 1)
    }

    /// Try to make room for `n` more ids (of the packed SID size) without regrowing; what
    /// cannot be had grows as ids come.
    pub fn reserve(&mut self, n: usize) {
        let _ = self.bytes.try_reserve(n * 19);
        let _ = self.starts.try_reserve(n);
        let _ = self.rows.try_reserve(n);
        let (bytes, starts, hasher) = (&self.bytes, &self.starts, &self.hasher);
        let _ = self.index.try_reserve(n, |&s| slot_hash(bytes, starts, hasher, s));
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
        ];
        let mut refs = Vec::new();
        for (row, t) in texts.iter().enumerate() {
            refs.push(ids.find_or_insert(t, 10 + row as u32).expect_err("new id"));
        }
        for (t, r) in texts.iter().zip(&refs) {
            assert_eq!(ids.get(*r).as_deref(), Some(*t));
        }
        assert_eq!(ids.find_or_insert("SMa3c6cf2744e5aabab7451ca32d5943e2", 99), Ok(10));
        assert_eq!(ids.find_or_insert("x", 99), Ok(13));
        assert_eq!(ids.get(0), None);
    }
}
