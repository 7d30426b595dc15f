//! Every field end of a CSV block found in one pass, 64 bytes at a time, for the blocks whose
//! quoting is plain (nearly all): what [`super::csv_split::Splitter`] then walks instead of
//! searching field by field.
//!
//! Quotes are paired by a running parity (the prefix XOR of the quote bits), so a separator is
//! structural when an even number of quotes comes before it. That is the csv crate's reading
//! only when every quote opens a field, closes one, or is half of a `""` inside a quoted field,
//! and when nothing else that reader treats specially occurs: carriage returns, blank lines
//! (skipped records), a block ending inside quotes or (before the end of the input) inside a
//! record. Those are checked here on the same masks; a block where any occurs is [`None`], and
//! the splitter reads it field by field as before.

use super::bytemask::classes_at;
use crate::memory::prefetch;

/// Flag on an offset in [`Structure::ends`]: the separator there is a newline (it ends a
/// record) rather than a comma.
pub const NEWLINE: u32 = 1 << 31;

/// The field ends of a block.
#[derive(Debug, Default)]
pub struct Structure {
    /// Offsets of the separators outside quotes, in order, each with [`NEWLINE`] when it ends a
    /// record. A final record the input ends without a newline ends at the block's length.
    pub ends: Vec<u32>,
    /// For each record end, in order: the newlines from the block's start through it (those
    /// inside quoted fields too), which is how many lines the next record starts after.
    pub lines: Vec<u64>,
    /// Every byte of the block scanned is ASCII, and so the block is valid UTF-8 (only after a
    /// scan that returned true).
    pub ascii: bool,
}

/// How far ahead of the window the scan asks for the block's bytes ([`prefetch`]): the
/// scan is the first to read a block, which is mapped from the page cache.
const AHEAD: usize = 4096;

/// Inclusive prefix XOR: bit `i` is the parity of bits `0..=i`.
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

impl Structure {
    /// Find the field ends of `block` (which starts at a record start; `eof`: it ends the
    /// input). False, and nothing usable, when its quoting is not plain (see the module).
    pub fn scan(&mut self, block: &[u8], eof: bool) -> bool {
        self.ends.clear();
        self.lines.clear();
        self.ascii = false;
        let n = block.len();
        // Offsets carry a flag bit; a block that does not end a record ends inside one.
        if n >= NEWLINE as usize || (!eof && block.last() != Some(&b'\n')) {
            return false;
        }
        // All ones while inside quotes at the current window's start.
        let mut inside = 0u64;
        // Bit 0: the byte before the window lets a quote open (a separator, a closing quote,
        // or the block's start) / is a record end (so a newline now would be a blank line).
        let (mut may_open, mut after_end) = (1u64, 1u64);
        let (mut newlines, mut high) = (0u64, 0u64);
        let mut base = 0;
        while base < n {
            prefetch(block, base + AHEAD);
            let c = classes_at(block, base);
            if c.returns != 0 {
                return false;
            }
            high |= c.high;
            let state = prefix_xor(c.quotes) ^ inside;
            let (open, close) = (c.quotes & state, c.quotes & !state);
            let seps = c.commas | c.newlines;
            if open & !((seps | close) << 1 | may_open) != 0 {
                return false;
            }
            // What follows each byte: a separator, an opening quote (`""`), or the end.
            let next = block.get(base + 64).is_none_or(|&b| b == b',' || b == b'\n' || b == b'"');
            let mut follows = (seps | open) >> 1 | u64::from(next) << 63;
            if base + 64 >= n {
                follows |= 1 << (n - 1 - base);
            }
            if close & !follows != 0 {
                return false;
            }
            let ends = c.newlines & !state;
            if ends & (ends << 1 | after_end) != 0 {
                return false;
            }
            // The window's field ends, written into room made for all 64 and then counted in (a
            // push each had been most of the scan; gathering them on the stack and appending
            // them, a `memcpy` call a window, 2.4 % of a Console scan's CPU).
            let len = self.ends.len();
            self.ends.reserve(64);
            let room = &mut self.ends.spare_capacity_mut()[..64];
            let (mut k, mut s) = (0, seps & !state);
            while s != 0 {
                let b = s.trailing_zeros();
                room[k & 63].write((base as u32 + b) | ((ends >> b & 1) as u32) << 31);
                k += 1;
                s &= s - 1;
            }
            // SAFETY: the loop wrote `room[..k]` (k is at most 64, one a set bit of a word), the
            // first `k` places past the vector's length, which `reserve` made room for.
            unsafe { self.ends.set_len(len + k) };
            let mut e = ends;
            while e != 0 {
                let b = e.trailing_zeros();
                self.lines.push(newlines + u64::from((c.newlines & (u64::MAX >> (63 - b))).count_ones()));
                e &= e - 1;
            }
            newlines += u64::from(c.newlines.count_ones());
            inside = if state >> 63 == 1 { u64::MAX } else { 0 };
            may_open = (seps | close) >> 63;
            after_end = ends >> 63;
            base += 64;
        }
        if inside != 0 {
            return false;
        }
        if n > 0 && block[n - 1] != b'\n' {
            // The input's last record, without a newline.
            self.ends.push(n as u32 | NEWLINE);
            self.lines.push(newlines);
        }
        self.ascii = high == 0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(block: &[u8], eof: bool) -> Option<(Vec<u32>, Vec<u64>)> {
        let mut s = Structure::default();
        s.scan(block, eof).then_some((s.ends, s.lines))
    }

    #[test]
    fn plain_blocks_give_their_field_ends_and_lines() {
        let nl = |p: u32| p | NEWLINE;
        assert_eq!(scan(b"a,b\nc,d\n", false), Some((vec![1, nl(3), 5, nl(7)], vec![1, 2])));
        // A quoted field with a comma, a newline and a doubled quote in it.
        assert_eq!(scan(b"\"x,\ny\"\"\",z\n", false), Some((vec![8, nl(10)], vec![2])));
        // The input's last record without a newline; an empty quoted field.
        assert_eq!(scan(b"a\n\"\",b", true), Some((vec![nl(1), 4, nl(6)], vec![1, 1])));
        assert_eq!(scan(b"", true), Some((vec![], vec![])));
        // Records across the 64-byte windows.
        let long = [b"a".repeat(63), b",\"".to_vec(), b"q,".repeat(40), b"\"\n".to_vec()].concat();
        assert_eq!(scan(&long, false), Some((vec![63, nl(long.len() as u32 - 1)], vec![1])));
    }

    #[test]
    fn a_block_is_ascii_when_no_byte_is_outside_it() {
        // Plain blocks of 1-300 bytes: ASCII throughout, then with one byte of a multibyte
        // character (or a stray high byte) at each place a field's text can hold it, the
        // windows' last bytes and the block's tail among them.
        let mut s = Structure::default();
        for len in [1usize, 63, 64, 65, 127, 128, 129, 300] {
            let mut block: Vec<u8> = (0..len).map(|i| if i % 9 == 8 { b',' } else { b'a' + (i % 26) as u8 }).collect();
            block.push(b'\n');
            assert!(s.scan(&block, false) && s.ascii, "{len}");
            for at in (0..len).filter(|i| i % 9 != 8) {
                for high in [0x80u8, 0xc3, 0xff] {
                    let mut b = block.clone();
                    b[at] = high;
                    assert!(s.scan(&b, false), "{len} {at}");
                    assert_eq!(s.ascii, b.is_ascii(), "{len} {at} {high:#x}");
                }
            }
        }
        // A scan that fails leaves `ascii` false, whatever it had read.
        assert!(!s.scan(b"a,b\r\n", false) && !s.ascii);
    }

    #[test]
    fn blocks_the_csv_reader_reads_otherwise_are_left_to_it() {
        for (block, eof) in [
            (&b"a,b\r\n"[..], false),
            (b"a\n\nb\n", false),
            (b"\nb\n", false),
            (b"a\"b\n", false),
            (b"\"a\"b\n", false),
            (b"\"a\n", true),
            (b"a,b", false),
            (b"x,\"a\"\"b\"c\n", false),
        ] {
            assert_eq!(scan(block, eof), None, "{:?}", String::from_utf8_lossy(block));
        }
    }
}
