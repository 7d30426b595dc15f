//! CSV records split out of a byte block exactly as the csv crate reads them (csv-core's
//! default dialect, flexible rows): quotes open a field only at its start, `""` inside quotes is
//! one quote, bytes after a closing quote join the field, `\r`, `\n` and `\r\n` end a record,
//! blank lines are skipped. Tested against the csv crate itself on random inputs.
//!
//! Unlike the csv crate it works on a block in memory, hands out fields borrowed from the block
//! (only quoted fields are copied), and says when the block ends inside a record, so blocks cut
//! at any newline can be parsed on several threads and the rare cut inside a quoted field
//! detected and parsed again across the cut.

use super::bytemask::Window;
use super::structure::{NEWLINE, Structure};
use std::borrow::Cow;
use std::cell::RefCell;

thread_local! {
    /// A thread's [`Structure`] buffers, kept across blocks (a block's are a few hundred KiB).
    static STRUCTURES: RefCell<Vec<Structure>> = const { RefCell::new(Vec::new()) };
}

#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
    /// In the scratch buffer (an unquoted copy) rather than the block.
    scratch: bool,
}

/// What [`Splitter::next_record`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A record, starting on this line (1-based, counted as the csv crate counts).
    Record(u64),
    /// No more records.
    End,
    /// The block ends inside a record that starts at this offset: not at the end of the input,
    /// so the record continues in the next block. Parse on from there with this position.
    Incomplete { at: usize, pos: Pos },
}

/// Where a record starts, in lines: `line` counts every newline before it; `reported` is the
/// line the csv crate gives the record (the line where the previous record ended, before blank
/// lines and the `\n` of a `\r\n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u64,
    pub reported: u64,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, reported: 1 };
}

pub struct Splitter<'a> {
    buf: &'a [u8],
    pos: usize,
    line: u64,
    reported: u64,
    /// The block ends the input: a record cut by its end is complete.
    eof: bool,
    spans: Vec<Span>,
    scratch: Vec<u8>,
    window: Window,
    /// The block as text when it is all valid UTF-8 (nearly always): fields are then sliced
    /// from it without a check each.
    text: Option<&'a str>,
    /// The block's field ends, when its quoting is plain ([`Structure::scan`]), and how many of
    /// them and of its record ends have been read.
    structure: Option<(Structure, usize, usize)>,
    /// Where the block starts, in lines.
    at: Pos,
}

/// Keep a [`Structure`]'s buffers for the thread's next block.
fn give_back(s: Structure) {
    let _ = STRUCTURES.try_with(|pool| pool.borrow_mut().push(s));
}

impl Drop for Splitter<'_> {
    fn drop(&mut self) {
        if let Some((s, _, _)) = self.structure.take() {
            give_back(s);
        }
    }
}

/// `\n` bytes in `b`, counted in byte-wide lanes (a plain filter-and-count had been a
/// twentieth of the run, on the reading thread).
fn newlines(b: &[u8]) -> u64 {
    b.chunks(255).map(|c| u64::from(c.iter().fold(0u8, |n, &x| n + u8::from(x == b'\n')))).sum()
}

impl<'a> Splitter<'a> {
    /// `buf` begins at a record start at `at`; `eof`: it runs to the end of the input.
    pub fn new(buf: &'a [u8], at: Pos, eof: bool) -> Splitter<'a> {
        let mut structure = STRUCTURES.try_with(|pool| pool.borrow_mut().pop()).ok().flatten().unwrap_or_default();
        if !structure.scan(buf, eof) {
            give_back(structure);
            return Splitter::by_fields(buf, at, eof);
        }
        let text = if structure.ascii {
            // SAFETY: the structural scan found no byte outside ASCII in `buf`
            // (`Structure::ascii`, tested against `is_ascii`), and ASCII is valid UTF-8. A
            // check of its own had been a second pass over every block (2-3 % of a Console
            // scan's CPU).
            Some(unsafe { std::str::from_utf8_unchecked(buf) })
        } else {
            simdutf8::basic::from_utf8(buf).ok()
        };
        let mut s = Splitter::with_text(buf, at, eof, text);
        s.structure = Some((structure, 0, 0));
        s
    }

    /// A splitter that reads field by field, without a structural scan (also what blocks whose
    /// quoting is not plain get).
    pub fn by_fields(buf: &'a [u8], at: Pos, eof: bool) -> Splitter<'a> {
        Splitter::with_text(buf, at, eof, simdutf8::basic::from_utf8(buf).ok())
    }

    /// `text`: `buf` as text, when it is valid UTF-8 (a field of a block that is not is
    /// checked on its own, [`Splitter::field`]).
    fn with_text(buf: &'a [u8], at: Pos, eof: bool, text: Option<&'a str>) -> Splitter<'a> {
        Splitter {
            buf,
            pos: 0,
            line: at.line,
            reported: at.reported,
            eof,
            spans: Vec::with_capacity(32),
            scratch: Vec::new(),
            window: Window::default(),
            text,
            structure: None,
            at,
        }
    }

    /// Whether the block is read from its structural scan.
    pub fn is_structural(&self) -> bool {
        self.structure.is_some()
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Where parsing stands (after the last record returned).
    pub fn pos(&self) -> Pos {
        Pos { line: self.line, reported: self.reported }
    }

    /// The next record; its fields are then read with [`Splitter::field`].
    pub fn next_record(&mut self) -> Next {
        if self.structure.is_some() {
            return self.next_structural();
        }
        let buf = self.buf;
        let n = buf.len();
        // The csv crate gives a record the line where its read began: before the blank lines
        // (and the `\n` of a `\r\n`) it skips.
        let line = self.reported;
        while self.pos < n && (buf[self.pos] == b'\n' || buf[self.pos] == b'\r') {
            self.line += u64::from(buf[self.pos] == b'\n');
            self.pos += 1;
        }
        if self.pos >= n {
            return Next::End;
        }
        let (start, start_line) = (self.pos, self.line);
        self.spans.clear();
        self.scratch.clear();
        let incomplete = |s: &mut Self| {
            s.pos = start;
            s.line = start_line;
            Next::Incomplete { at: start, pos: Pos { line: start_line, reported: line } }
        };
        loop {
            // One field from `self.pos`.
            let (span, mut at) = if buf.get(self.pos) == Some(&b'"') {
                let open = self.pos + 1;
                match self.window.find(buf, open, true) {
                    // The common quoted field: no quote inside, a separator (or the end of the
                    // input) just after the closing quote. Borrowed as it is.
                    Some(j) if buf.get(j + 1).map_or(self.eof, |&c| c == b',' || c == b'\n' || c == b'\r') => {
                        self.line += newlines(&buf[open..j]);
                        (Span { start: open as u32, end: j as u32, scratch: false }, j + 1)
                    }
                    _ => match self.quoted(open) {
                        Some(found) => found,
                        None => return incomplete(self),
                    },
                }
            } else {
                let p = self.pos;
                let k = self.window.find(buf, p, false).unwrap_or(n);
                if k == n && !self.eof {
                    return incomplete(self);
                }
                (Span { start: p as u32, end: k as u32, scratch: false }, k)
            };
            self.spans.push(span);
            match buf.get(at) {
                Some(b',') => {
                    self.pos = at + 1;
                }
                Some(&c) => {
                    // `\r` or `\n`: the record ends (a `\n` after `\r` is skipped next time).
                    self.line += u64::from(c == b'\n');
                    at += 1;
                    self.pos = at;
                    self.reported = self.line;
                    return Next::Record(line);
                }
                None => {
                    self.pos = at;
                    self.reported = self.line;
                    return Next::Record(line);
                }
            }
        }
    }

    /// [`Splitter::next_record`] from the structural scan: no blank lines, carriage returns or
    /// records cut off can occur (the scan refused such blocks), so a record is the fields up
    /// to the next record end, and a field that starts with a quote ends with its closing quote.
    fn next_structural(&mut self) -> Next {
        let Some((st, next_end, next_line)) = &mut self.structure else { return Next::End };
        if *next_end == st.ends.len() {
            return Next::End;
        }
        let line = self.reported;
        self.spans.clear();
        self.scratch.clear();
        let mut start = self.pos;
        loop {
            let Some(&e) = st.ends.get(*next_end) else { return Next::End };
            *next_end += 1;
            let end = (e & !NEWLINE) as usize;
            let span = if self.buf.get(start) == Some(&b'"') {
                let (open, close) = (start + 1, end.saturating_sub(1).max(start + 1));
                let text = &self.buf[open..close];
                if memchr::memchr(b'"', text).is_none() {
                    Span { start: open as u32, end: close as u32, scratch: false }
                } else {
                    // `""` inside: one quote each.
                    let s0 = self.scratch.len();
                    let mut rest = text;
                    while let Some(q) = memchr::memchr(b'"', rest) {
                        self.scratch.extend_from_slice(&rest[..=q]);
                        rest = rest.get(q + 2..).unwrap_or_default();
                    }
                    self.scratch.extend_from_slice(rest);
                    Span { start: s0 as u32, end: self.scratch.len() as u32, scratch: true }
                }
            } else {
                Span { start: start as u32, end: end as u32, scratch: false }
            };
            self.spans.push(span);
            start = end + 1;
            if e & NEWLINE != 0 {
                self.pos = start.min(self.buf.len());
                self.line = self.at.line + st.lines.get(*next_line).copied().unwrap_or_default();
                *next_line += 1;
                self.reported = self.line;
                return Next::Record(line);
            }
        }
    }

    /// A quoted field whose text starts at `open` (after the quote), copied into the scratch
    /// buffer with `""` undone and any bytes after the closing quote joined; its span and where
    /// it ends. None: the block ends inside it and more input follows.
    fn quoted(&mut self, open: usize) -> Option<(Span, usize)> {
        let (buf, n) = (self.buf, self.buf.len());
        let s0 = self.scratch.len();
        let mut p = open;
        loop {
            let Some(j) = self.window.find(buf, p, true) else {
                if !self.eof {
                    return None;
                }
                self.scratch.extend_from_slice(&buf[p..]);
                self.line += newlines(&buf[p..]);
                p = n;
                break;
            };
            self.scratch.extend_from_slice(&buf[p..j]);
            self.line += newlines(&buf[p..j]);
            p = j + 1;
            match buf.get(p) {
                Some(b'"') => {
                    self.scratch.push(b'"');
                    p += 1;
                }
                None if !self.eof => return None,
                _ => break,
            }
        }
        // Bytes after the closing quote, up to the field's end, join it.
        let k = self.window.find(buf, p, false).unwrap_or(n);
        if k == n && !self.eof {
            return None;
        }
        self.scratch.extend_from_slice(&buf[p..k]);
        Some((Span { start: s0 as u32, end: self.scratch.len() as u32, scratch: true }, k))
    }

    /// Fields in the current record.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The raw bytes of field `i` of the current record.
    pub fn raw(&self, i: usize) -> Option<&[u8]> {
        let s = self.spans.get(i)?;
        let (a, b) = (s.start as usize, s.end as usize);
        Some(if s.scratch { &self.scratch[a..b] } else { &self.buf[a..b] })
    }

    /// Field `i` as the CSV rows read it ([`crate::ingest::csv_reader::Row::get`]): trimmed,
    /// invalid UTF-8 read lossily, none when absent or empty.
    pub fn field(&self, i: Option<usize>) -> Option<Cow<'_, str>> {
        let span = *self.spans.get(i?)?;
        let raw = self.raw(i?)?;
        // A field borrowed from a block that is valid UTF-8 is valid UTF-8 itself (fields end
        // at ASCII bytes): no check of its own.
        let s = match self.text.filter(|_| !span.scratch).and_then(|t| t.get(span.start as usize..span.end as usize)) {
            Some(s) => Cow::Borrowed(s),
            None => match std::str::from_utf8(raw) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => String::from_utf8_lossy(raw),
            },
        };
        // Most fields start and end with a visible ASCII byte: nothing to trim.
        let visible = |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii_graphic());
        if visible(raw.first()) && visible(raw.last()) {
            return Some(s);
        }
        match s {
            Cow::Borrowed(b) => Some(b.trim()).filter(|t| !t.is_empty()).map(Cow::Borrowed),
            Cow::Owned(o) => Some(o.trim().to_string()).filter(|t| !t.is_empty()).map(Cow::Owned),
        }
    }

    /// The current record as a csv [`csv::ByteRecord`] (for the header).
    pub fn record(&self) -> csv::ByteRecord {
        (0..self.len()).filter_map(|i| self.raw(i)).collect()
    }
}

/// Where a block may be cut so that the next block's first line is known without parsing:
/// just after the last `x\ny` or `x\r\ny` in it (x, y neither `\r` nor `\n`), when that newline
/// ends a record, a single record terminator. Returns the offset and whether the terminator was
/// `\r\n` (the csv crate then reports the next record a line earlier). None: no such place.
pub fn cut(block: &[u8]) -> Option<(usize, bool)> {
    let term = |b: u8| b == b'\n' || b == b'\r';
    let mut end = block.len();
    while let Some(i) = memchr::memrchr(b'\n', &block[..end]) {
        end = i;
        let (Some(&next), Some(prev)) = (block.get(i + 1), i.checked_sub(1).map(|j| block[j])) else { continue };
        if term(next) {
            continue;
        }
        if !term(prev) {
            return Some((i + 1, false));
        }
        if prev == b'\r' && i >= 2 && !term(block[i - 2]) {
            return Some((i + 1, true));
        }
    }
    None
}

/// The position of a record that starts at a [`cut`] of a block that started at `at`.
pub fn pos_after(block: &[u8], at: Pos, cut: (usize, bool)) -> Pos {
    let line = at.line + newlines(&block[..cut.0]);
    Pos { line, reported: line - u64::from(cut.1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records as the csv crate reads them: (line, fields).
    fn by_csv(input: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while let Ok(true) = r.read_byte_record(&mut rec) {
            out.push((rec.position().map_or(0, |p| p.line()), rec.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    /// Records as the pipeline reads them: the input cut into blocks at the [`cut`] of each
    /// `size` bytes (or more, until a place to cut is found), each block parsed from the position
    /// the cut rule gives; a record cut off is parsed again joined with the next block.
    fn by_splitter(input: &[u8], size: usize) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut blocks = Vec::new();
        let (mut from, mut at) = (0usize, Pos::START);
        while from < input.len() {
            let mut want = size;
            let cut_at = loop {
                let window = &input[from..(from + want).min(input.len())];
                if from + window.len() == input.len() {
                    break None;
                }
                if let Some(c) = cut(window) {
                    break Some(c);
                }
                want *= 2;
            };
            let end = cut_at.map_or(input.len(), |c| from + c.0);
            blocks.push((from, end, at));
            if let Some(c) = cut_at {
                at = pos_after(&input[from..end], at, c);
            }
            from = end;
        }
        let mut out = Vec::new();
        let mut carry: Option<(usize, Pos)> = None;
        for (i, &(start, end, at)) in blocks.iter().enumerate() {
            let eof = i + 1 == blocks.len();
            let (start, at) = carry.take().unwrap_or((start, at));
            let mut s = Splitter::new(&input[start..end], at, eof);
            loop {
                match s.next_record() {
                    Next::Record(l) => out.push((l, (0..s.len()).map(|i| s.raw(i).unwrap_or_default().to_vec()).collect())),
                    Next::End => {
                        if let Some(&(_, _, next)) = blocks.get(i + 1) {
                            assert_eq!(next, s.pos(), "the cut rule knows the next position");
                        }
                        break;
                    }
                    Next::Incomplete { at: off, pos } => {
                        carry = Some((start + off, pos));
                        break;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn same_records_and_lines_as_the_csv_crate() {
        let alphabet = b"ab,\"\r\n ";
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x9e37_79b9_7f4a_7c15u64);
        let mut next = || rng.random::<u64>();
        for case in 0..20_000 {
            // Some inputs longer than the 64-byte windows of the byte classes.
            let len = (next() % if case % 4 == 0 { 300 } else { 40 }) as usize;
            let input: Vec<u8> = (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
            let size = 1 + (next() % 12) as usize;
            let want = by_csv(&input);
            assert_eq!(by_splitter(&input, usize::MAX / 2), want, "case {case}: {:?}", String::from_utf8_lossy(&input));
            assert_eq!(by_splitter(&input, size), want, "case {case} in blocks of {size}: {:?}", String::from_utf8_lossy(&input));
        }
    }

    /// CSV text made of fields that are mostly well quoted (commas, newlines and `""` inside
    /// quotes), now and then a stray quote, blank line or carriage return.
    fn csvish(next: &mut impl FnMut() -> u64) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..next() % 12 {
            for f in 0..1 + next() % 4 {
                if f > 0 {
                    out.push(b',');
                }
                match next() % 60 {
                    0..=29 => out.extend((0..next() % 5).map(|_| b"ab "[(next() % 3) as usize])),
                    30..=57 => {
                        out.push(b'"');
                        out.extend((0..next() % 6).flat_map(|_| match next() % 5 {
                            0 => &b"\"\""[..],
                            1 => b",",
                            2 => b"\n",
                            _ => b"x",
                        }));
                        out.push(b'"');
                    }
                    58 => out.extend_from_slice(if next().is_multiple_of(2) { b"a\"b" } else { b"\"a\"b" }),
                    _ => out.extend_from_slice(if next().is_multiple_of(2) { b"\r" } else { b"\n" }),
                }
            }
            out.push(b'\n');
        }
        if next().is_multiple_of(3) {
            out.pop();
        }
        out
    }

    /// Why this reader and not simd-csv 0.14 (issue 20, Deliver 5: it splits in 0.71 of the
    /// time): a quote inside an unquoted field, as a message body may hold, is text to the csv
    /// crate and to this reader, while simd-csv, which has no "start of field" state, opens a
    /// quoted field there and reads the records after it into that one field (three sends
    /// lost as one malformed row here; bench/README.md).
    #[test]
    fn a_stray_quote_inside_a_field_keeps_the_records_after_it() {
        let input = b"Sid,Body,To\nSM1,hello joh\"n here,+447700900001\nSM2,ok,+447700900002\nSM3,fine,+447700900003\n\"SM4\",\"q\"\"x\",+447700900004\n";
        let fields = |r: &[&str]| r.iter().map(|f| f.as_bytes().to_vec()).collect::<Vec<_>>();
        let want: Vec<(u64, Vec<Vec<u8>>)> = vec![
            (1, fields(&["Sid", "Body", "To"])),
            (2, fields(&["SM1", "hello joh\"n here", "+447700900001"])),
            (3, fields(&["SM2", "ok", "+447700900002"])),
            (4, fields(&["SM3", "fine", "+447700900003"])),
            (5, fields(&["SM4", "q\"x", "+447700900004"])),
        ];
        assert_eq!(by_csv(input), want);
        for size in [1, 7, 64, usize::MAX / 2] {
            assert_eq!(by_splitter(input, size), want, "blocks of {size}");
        }
    }

    #[test]
    fn structural_reading_gives_what_the_csv_crate_gives() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed);
        let mut next = || rng.random::<u64>();
        let (mut structural, mut blocks) = (0, 0);
        for case in 0..20_000 {
            let input = csvish(&mut next);
            let size = 1 + (next() % 40) as usize;
            let want = by_csv(&input);
            assert_eq!(by_splitter(&input, usize::MAX / 2), want, "case {case}: {:?}", String::from_utf8_lossy(&input));
            assert_eq!(by_splitter(&input, size), want, "case {case} in blocks of {size}: {:?}", String::from_utf8_lossy(&input));
            blocks += 1;
            structural += usize::from(Splitter::new(&input, Pos::START, true).is_structural());
        }
        // Both readings are exercised.
        assert!(structural > blocks / 4 && structural < blocks * 9 / 10, "{structural} of {blocks} inputs read structurally");
    }

    #[test]
    fn fields_are_trimmed_and_quotes_undone() {
        let mut s = Splitter::new(b"a,\"x,\"\"y\"\" \" ,,\"q\"z\n", Pos::START, true);
        assert_eq!(s.next_record(), Next::Record(1));
        assert_eq!(s.len(), 4);
        assert_eq!(s.field(Some(1)).as_deref(), Some("x,\"y\""));
        assert_eq!(s.field(Some(2)), None);
        assert_eq!(s.field(Some(3)).as_deref(), Some("qz"));
        assert_eq!(s.field(Some(9)), None);
        assert_eq!(s.next_record(), Next::End);
    }

    #[test]
    fn fields_of_text_and_of_bytes_that_are_not_utf8() {
        let input = " Zoë ,\"é\"\"\",x\n".as_bytes();
        let mut s = Splitter::new(input, Pos::START, true);
        assert_eq!(s.next_record(), Next::Record(1));
        assert_eq!(s.field(Some(0)).as_deref(), Some("Zoë"));
        assert_eq!(s.field(Some(1)).as_deref(), Some("é\""));
        // One bad byte in the block: every field is checked on its own, the bad one read lossily.
        let mut s = Splitter::new(b"ok,b\xffd, x \n", Pos::START, true);
        assert_eq!(s.next_record(), Next::Record(1));
        assert_eq!(s.field(Some(0)).as_deref(), Some("ok"));
        assert_eq!(s.field(Some(1)).as_deref(), Some("b\u{fffd}d"));
        assert_eq!(s.field(Some(2)).as_deref(), Some("x"));
    }
}
