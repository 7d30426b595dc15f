//! JSON lines (NDJSON: SNS delivery logs, EUM and Pinpoint events, BulkExport, Event Streams,
//! Messages pages one a line) through the parallel block reader ([`super::blocks`]): blocks are
//! cut just past a newline (a newline inside a JSON string is always escaped, so every raw one
//! ends a line), each block's lines are parsed on the parser threads into the drafts the
//! one-thread reader makes (envelopes removed by the same [`Walker`]) and made there into the
//! chunk's compact records, which the store takes in input order (`Chunk::merge_rowwise`): the
//! same rows, symbols, folds, skips and line numbers as reading line by line.

use super::blocks::BlockParser;
use super::chunk::Chunk;
use super::chunk::Rec;
use super::csv_split::Pos;
use super::format::InputFormat;
use super::json_reader::{MAX_LINE, Walker};
use super::record::{Draft, Parsed, Skip};
use super::stats::{Item, Loc, Out};
use crate::error::Error;
use crate::ids::IdHasher;
use crate::phone::{Destination, clean_destination, clean_e164};
use crate::store::{Attrs, hint_country};

/// The block parser of a JSON-lines input of `format`.
pub struct JsonLines {
    pub format: InputFormat,
    /// A longer line is a counted skip, never held whole ([`MAX_LINE`]; tests use less).
    pub max_line: usize,
    /// As the store applies them (`--default-currency`, templates left out).
    pub default_currency: Option<String>,
    pub skip_templates: bool,
    pub hasher: IdHasher,
}

/// A block's records made into the chunk's compact records on the parser thread, as
/// `Emitter::push` and `Store::add` would make them on the store's thread: the store then only
/// maps the chunk's symbols and folds by id.
struct Collect<'c> {
    parser: &'c JsonLines,
    chunk: &'c mut Chunk,
    /// A container is noted once a block (the store keeps the first one named).
    noted: bool,
}

impl Collect<'_> {
    fn record(&mut self, loc: Loc, mut d: Draft) {
        let skip = |c: &mut Chunk, s: Skip| c.skips.push((loc, s));
        if d.destination.trim().is_empty() {
            return skip(self.chunk, Skip::missing("destination"));
        }
        if self.parser.skip_templates {
            d.body = None;
        }
        // The destination as the store keeps it: its number, or its text interned. One written
        // clean is its number at once (no `Destination` and its copy).
        let (dest, dest_text) = match clean_e164(&d.destination).and_then(e164_number) {
            Some(n) => (n, false),
            None => {
                d.prepare();
                let dest = match d.prepared.as_mut() {
                    Some(p) => std::mem::replace(&mut p.destination, Destination::Unreadable(String::new())),
                    None => clean_destination(&d.destination, true),
                };
                match &dest {
                    Destination::OtherChannel(scheme) => {
                        return skip(self.chunk, Skip::field("destination", "is not an SMS address").with_value(scheme));
                    }
                    Destination::E164(s) => match e164_number(s) {
                        Some(n) => (n, false),
                        None => (u64::from(self.chunk.texts.intern(Some(s))), true),
                    },
                    Destination::Unreadable(s) => (u64::from(self.chunk.texts.intern(Some(s))), true),
                }
            }
        };
        let currency = super::record::currency(d.currency.as_deref())
            .or_else(|| if d.cost.is_some() { self.parser.default_currency.as_deref().map(std::borrow::Cow::Borrowed) } else { None });
        let template = d.template();
        let ch = &mut *self.chunk;
        // Interned in the order `Store::add` interns them.
        let a = Attrs {
            account: ch.strings.intern(d.account.as_deref()),
            sender: ch.strings.intern(d.sender.as_deref()),
            status_raw: ch.strings.intern(d.status_raw.as_deref()),
            error_code: ch.strings.intern(d.error_code.as_deref()),
            currency: ch.strings.intern(currency.as_deref()),
            body_template: ch.strings.intern(template.as_deref()),
            mcc: ch.strings.intern(d.mcc.as_deref()),
            mnc: ch.strings.intern(d.mnc.as_deref()),
            carrier: ch.strings.intern(d.carrier.as_deref()),
            segments: d.part.map(|(_, total)| total).or(d.segments),
            sms_type: d.sms_type,
            ..Attrs::new(self.parser.format, 0)
        };
        let attrs = ch.attrs(a);
        let id = ch.id(d.message_id.as_deref(), &self.parser.hasher);
        ch.recs.push(Rec {
            ts: d.ts,
            status_ts: d.status_ts,
            cost: d.cost,
            converted: d.converted,
            country_hint: hint_country(d.country_hint.as_deref()),
            part: d.part,
            ..Rec::new((dest, dest_text), id, attrs, d.status)
        });
    }
}

impl Out for Collect<'_> {
    fn format(&self) -> InputFormat {
        self.parser.format
    }
    fn path(&self) -> &str {
        ""
    }
    fn push(&mut self, loc: Loc, parsed: Parsed) -> Result<(), Error> {
        match parsed {
            Ok(d) => self.record(loc, d),
            Err(skip) => self.chunk.skips.push((loc, skip)),
        }
        Ok(())
    }
    fn malformed(&mut self, loc: Loc, skip: Skip) -> Result<(), Error> {
        self.chunk.skips.push((loc, skip));
        Ok(())
    }
    fn container(&mut self, name: &str) {
        if !self.noted {
            self.noted = true;
            self.chunk.items.push(Item::Container(name.to_string()));
        }
    }
}

/// An E.164 number's digits as the store keeps them.
fn e164_number(e164: &str) -> Option<u64> {
    e164.get(1..)?.parse().ok()
}

fn too_long() -> Skip {
    Skip::new(format!("line longer than {} MiB", MAX_LINE >> 20))
}

impl BlockParser for JsonLines {
    fn parse(&self, block: &[u8], at: Pos, _eof: bool, chunk: &mut Chunk) -> Option<(usize, Pos)> {
        chunk.rowwise = true;
        let mut out = Collect { parser: self, chunk, noted: false };
        let mut line = at.line;
        let mut rest = block;
        while !rest.is_empty() {
            let (this, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            rest = next;
            let trimmed = super::detect::trim_head(this);
            // (Collecting never fails.)
            if trimmed.len() > self.max_line {
                let _ = out.malformed(Loc::Line(line), too_long());
            } else if !trimmed.is_empty() {
                let _ = Walker::lines(&mut out).line(line, trimmed);
            }
            line += 1;
        }
        None
    }

    fn cut(&self, block: &[u8]) -> Option<(usize, bool)> {
        memchr::memrchr(b'\n', block).map(|i| (i + 1, false))
    }

    fn max_record(&self) -> Option<usize> {
        Some(self.max_line)
    }

    fn overlong(&self, at: Pos, chunk: &mut Chunk) {
        chunk.skips.push((Loc::Line(at.line), too_long()));
    }
}

/// A JSON-lines input read in blocks of `block` bytes on every core; `reader` from its first
/// byte. `digest`: the input's, hashed on the parsing side (not gzip: see
/// [`super::blocks::Rest::digest`]); `file`: mapped instead of read when it can be.
/// `reopenable`: the caller can open the input again, so a load that cannot map it may defer
/// folding by id too, and answer [`super::blocks::Loaded::Repeats`].
pub fn read(
    reader: Box<dyn std::io::BufRead + Send>,
    em: &mut super::stats::Emitter,
    digest: Option<super::source::Digest>,
    file: Option<super::csv_reader::Mappable>,
    block: usize,
    reopenable: bool,
) -> Result<super::blocks::Loaded, Error> {
    read_with(reader, em, digest, file, block, MAX_LINE as usize, reopenable)
}

fn read_with(
    mut reader: Box<dyn std::io::BufRead + Send>,
    em: &mut super::stats::Emitter,
    digest: Option<super::source::Digest>,
    file: Option<super::csv_reader::Mappable>,
    block: usize,
    max_line: usize,
    reopenable: bool,
) -> Result<super::blocks::Loaded, Error> {
    let parser = JsonLines {
        format: em.format,
        max_line,
        default_currency: em.opts.default_currency.clone(),
        skip_templates: em.opts.skip_templates,
        hasher: em.store.ids.hasher(),
    };
    let map = file.as_ref().and_then(|f| super::csv_reader::map_file(f, &[]));
    // The rows reserved for this file (see `ingest::load`).
    let rows = em.store.rows.capacity() - em.store.rows.len();
    let input = match (&map, &file) {
        (Some((map, _)), Some(m)) => super::blocks::Input::Mapped { map, bar: m.bar, drop: None },
        _ => super::blocks::Input::Read { head: Vec::new(), reader: &mut reader },
    };
    // A first file of a record a message that can be read again (mapped, or opened again by the
    // caller) defers folding by id, as a Console export does.
    let again = map.is_some() || reopenable;
    let rest = super::blocks::Rest { input, at: Pos::START, from: 0, digest, block };
    super::blocks::run_deferring(&parser, rest, em, again, map.as_ref().map(|(m, _)| m), rows)
}

/// A JSON-lines input of `format` read in blocks of `block` bytes (`None`: line by line on one
/// thread, the reader JSON documents keep), its rows spelled out and its counts: what the fuzz
/// check compares across block sizes.
pub fn read_rows(bytes: &[u8], format: InputFormat, block: Option<usize>) -> (Result<Vec<String>, String>, super::InputStats) {
    let mut store = crate::store::Store::new();
    let mut stats = super::InputStats::new("export.ndjson".into());
    let opts = super::IngestOptions::default();
    let mut em = super::stats::Emitter { format, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
    let reader: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let read = match block {
        Some(block) => read_with(reader, &mut em, None, None, block, MAX_LINE as usize, false).map(|_| ()),
        None => super::stats::pipeline(&mut em, |out| super::json_reader::read(reader, bytes, out)),
    };
    let rows = read.map(|()| store.rows.iter().map(|m| format!("{:?}", store.view(m))).collect()).map_err(|e| e.to_string());
    (rows, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::stats::{Emitter, InputStats};
    use crate::ingest::{IngestOptions, detect, json_reader};
    use crate::store::Store;
    use std::io::Read;

    /// What a read gives: the rows as the store holds them, and the input's counts.
    type Read_ = (Vec<String>, String);

    fn summary(store: &Store, stats: &InputStats) -> Read_ {
        let rows = store.rows.iter().map(|m| format!("{:?}", store.view(m))).collect();
        let counts =
            format!("read {} used {} skipped {:?} container {:?}", stats.rows_read, stats.rows_used, stats.skipped, stats.container);
        (rows, counts)
    }

    /// Read line by line on one thread (the reader before blocks, kept for JSON documents).
    fn by_lines(bytes: &[u8], format: InputFormat) -> Read_ {
        let (mut store, mut stats, opts) = (Store::new(), InputStats::new("export.ndjson".into()), IngestOptions::default());
        let mut em = Emitter { format, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
        let reader: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(bytes.to_vec()));
        crate::ingest::stats::pipeline(&mut em, |out| json_reader::read(reader, bytes, out)).expect("reads");
        summary(&store, &stats)
    }

    /// Read in blocks of `block` bytes (from a mapped file when `path` is given), with the digest
    /// hashed beside the reader: the read and the digest.
    fn by_blocks(bytes: &[u8], format: InputFormat, block: usize, path: Option<&std::path::Path>, max_line: usize) -> (Read_, String) {
        let input = match path {
            Some(p) => crate::ingest::source::InputPath::File(p.to_path_buf()),
            None => crate::ingest::source::InputPath::Memory("export.ndjson".into(), bytes.to_vec().into()),
        };
        let bar = indicatif::ProgressBar::hidden();
        let opened = crate::ingest::source::open(&input, &bar).expect("opens");
        let (mut store, mut stats, opts) = (Store::new(), InputStats::new("export.ndjson".into()), IngestOptions::default());
        let mut em = Emitter { format, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
        let file = path.map(|p| crate::ingest::csv_reader::Mappable { path: p, bar: &bar });
        read_with(opened.reader, &mut em, Some(opened.digest.clone()), file, block, max_line, false).expect("reads");
        (summary(&store, &stats), opened.digest.hex())
    }

    fn sha(bytes: &[u8]) -> String {
        use sha2::Digest as _;
        sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
    }

    fn testdata(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name);
        let raw = std::fs::read(&path).expect("a bundled file");
        if name.ends_with(".gz") {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).expect("gunzips");
            out
        } else {
            raw
        }
    }

    /// Every block size from one byte (a cut in every line) up, mapped and read, gives what the
    /// line reader gives, and the digest of every byte.
    fn same_in_blocks(bytes: &[u8], what: &str) {
        let detect::Detected::Format(format) = detect::detect(bytes) else { panic!("{what}: not detected") };
        let want = by_lines(bytes, format);
        assert!(!want.0.is_empty() || want.1.contains("skipped {\""), "{what}: reads something");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("export.ndjson");
        std::fs::write(&path, bytes).expect("writes");
        for block in [1, 7, 64, 4096, 65_536, super::super::blocks::BLOCK_SIZE] {
            for mapped in [None, Some(path.as_path())] {
                let (got, digest) = by_blocks(bytes, format, block, mapped, MAX_LINE as usize);
                assert_eq!(got, want, "{what}: blocks of {block}, mapped {}", mapped.is_some());
                assert_eq!(digest, sha(bytes), "{what}: blocks of {block}");
            }
        }
    }

    #[test]
    fn a_mapped_file_whose_ids_repeat_is_loaded_again_folding_as_lines_are() {
        // A mapped first file of a record a message defers folding by id; a repeated id sends it
        // back to load again, folding, so the result is the line reader's (which always folds).
        let line = |i: usize, to: &str, status: &str| {
            format!(
                "{{\"notification\":{{\"messageId\":\"m-{i}\",\"timestamp\":\"2024-03-01 00:{:02}:{:02}.000\"}},\"delivery\":{{\"destination\":\"{to}\",\"priceInUSD\":0.05,\"providerResponse\":\"Message has been accepted by phone\"}},\"status\":\"{status}\"}}\n",
                i / 60 % 60,
                i % 60
            )
        };
        let run = |bytes: &[u8]| {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let path = dir.path().join("sns.ndjson");
            std::fs::write(&path, bytes).expect("writes");
            let input = crate::ingest::source::InputPath::File(path.clone());
            let bar = indicatif::ProgressBar::hidden();
            let opened = crate::ingest::source::open(&input, &bar).expect("opens");
            let (mut store, mut stats, opts) = (Store::new(), InputStats::new("export.ndjson".into()), IngestOptions::default());
            store.reserve_rows(5_000);
            let mut em = Emitter { format: InputFormat::SnsDeliveryLogs, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
            let file = Some(crate::ingest::csv_reader::Mappable { path: &path, bar: &bar });
            read_with(opened.reader, &mut em, Some(opened.digest.clone()), file, 4096, MAX_LINE as usize, false).expect("reads");
            let (folded, conflicts) = (store.folded, store.conflicts);
            (summary(&store, &stats), folded, conflicts, opened.digest.hex(), bar.position())
        };
        let mut bytes: Vec<u8> = (0..3_000).flat_map(|i| line(i, &format!("+4474001{i:05}"), "SUCCESS").into_bytes()).collect();
        let distinct = run(&bytes);
        assert_eq!((distinct.0.clone(), distinct.1, distinct.2), (by_lines(&bytes, InputFormat::SnsDeliveryLogs), 0, 0));
        for (i, to, status) in [(7, "+447400100007", "FAILURE"), (8, "+447400999999", "SUCCESS")] {
            bytes.extend_from_slice(line(i, to, status).as_bytes());
        }
        let (got, folded, conflicts, digest, position) = run(&bytes);
        assert_eq!((folded, conflicts), (2, 1), "two records folded, one with another destination");
        assert_eq!(got, by_lines(&bytes, InputFormat::SnsDeliveryLogs));
        assert_eq!(got.0.len(), 3_000);
        assert_eq!(digest, sha(&bytes));
        assert_eq!(position, bytes.len() as u64, "every byte counted once into the progress bar");
    }

    #[test]
    fn a_gzip_file_whose_ids_repeat_is_opened_again_and_folded() {
        // A gzip file cannot be mapped: `ingest::load` opens it again when an id repeats. The
        // result is the plain file's, whose load defers and reloads from its mapping.
        let bytes = testdata("bad/duplicate-conflicting.ndjson");
        let (plain, gz, packed, digest) = crate::ingest::load_plain_and_gzip(&bytes, "sns.ndjson");
        assert!(plain.2 > 0, "the file's ids repeat");
        assert_eq!((&plain.0, &plain.1, plain.2, plain.3), (&gz.0, &gz.1, gz.2, gz.3));
        assert_eq!(gz.4, Some(digest), "the digest of the stored bytes, read once");
        // The gzip load deferred: its reader, allowed to, answers that the input must be read
        // again, with the store and the counts as they were.
        let input = crate::ingest::source::InputPath::Memory("sns.ndjson.gz".into(), packed.into());
        let opened = crate::ingest::source::open(&input, &indicatif::ProgressBar::hidden()).expect("opens");
        let (mut store, mut stats, opts) = (Store::new(), InputStats::new("sns.ndjson.gz".into()), IngestOptions::default());
        let mut em = Emitter { format: InputFormat::SnsDeliveryLogs, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
        let read = read_with(opened.reader, &mut em, None, None, 4096, MAX_LINE as usize, true).expect("reads");
        assert_eq!(read, super::super::blocks::Loaded::Repeats);
        assert!(store.is_pristine() && stats.rows_read == 0 && stats.skipped.is_empty());
    }

    #[test]
    fn every_json_lines_format_reads_the_same_in_blocks_of_any_size() {
        for name in [
            "formats/eum-events.ndjson",
            "formats/pinpoint-events.ndjson",
            "formats/sns-delivery-logs.ndjson",
            "formats/twilio-messages.ndjson",
            "formats/twilio-bulkexport-2019-06-02.json.gz",
            "bad/malformed-lines.ndjson",
            "bad/duplicate-conflicting.ndjson",
            "bad/changes-format.ndjson",
        ] {
            let bytes = testdata(name);
            assert!(json_reader::is_lines(&bytes), "{name} is JSON lines");
            same_in_blocks(&bytes, name);
            // CRLF lines, and the last line without its newline.
            let crlf: Vec<u8> = bytes.iter().flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] }).collect();
            same_in_blocks(&crlf, &format!("{name}, CRLF"));
            let cut = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
            same_in_blocks(cut, &format!("{name}, no last newline"));
        }
    }

    /// SNS delivery-log lines whose message text holds escaped quotes and newlines, a blank
    /// line, and a malformed line in the middle.
    fn tricky(n: usize) -> Vec<u8> {
        let mut out = String::new();
        for i in 0..n {
            if i == n / 2 {
                out.push_str("{\"notification\": {\"messageId\": \"broken\"\n\n");
            }
            out.push_str(&format!(
                "{{\"notification\":{{\"messageId\":\"m{i}\",\"timestamp\":\"2024-03-01 00:{:02}:00.000\"}},\"delivery\":{{\"destination\":\"+4474001{i:05}\",\"priceInUSD\":0.05,\"smsType\":\"Transactional\",\"providerResponse\":\"Message has been accepted by phone carrier\",\"note\":\"say \\\"hi\\\"\\nnext line\\r\\n{{not json}}\"}},\"status\":\"SUCCESS\"}}\n",
                i % 60
            ));
        }
        out.into_bytes()
    }

    #[test]
    fn cuts_inside_escaped_strings_and_a_malformed_line_in_the_middle() {
        let bytes = tricky(200);
        let (rows, counts) = by_lines(&bytes, InputFormat::SnsDeliveryLogs);
        assert_eq!(rows.len(), 200, "{counts}");
        assert!(counts.contains("malformed JSON line"), "{counts}");
        same_in_blocks(&bytes, "escaped strings");
    }

    #[test]
    fn a_line_longer_than_the_limit_is_read_past_and_counted() {
        let mut bytes = tricky(40);
        let long = format!("{{\"notification\":{{\"messageId\":\"{}\"}}}}\n", "x".repeat(5_000));
        // After line 10, and as the last line without a newline (40 records, a malformed line).
        let tenth = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(9).map_or(0, |(i, _)| i + 1);
        bytes.splice(tenth..tenth, long.bytes());
        let mut last = bytes.clone();
        last.extend_from_slice(long.trim_end().as_bytes());
        let dir = tempfile::tempdir().expect("a temporary directory");
        for (bytes, lines) in [(&bytes, 42u64), (&last, 43)] {
            let path = dir.path().join("long.ndjson");
            std::fs::write(&path, bytes).expect("writes");
            for block in [1, 64, 1000, 100_000] {
                for mapped in [None, Some(path.as_path())] {
                    let ((rows, counts), digest) = by_blocks(bytes, InputFormat::SnsDeliveryLogs, block, mapped, 1000);
                    assert_eq!(rows.len(), 40, "blocks of {block}: {counts}");
                    assert!(counts.contains("line longer than 64 MiB"), "blocks of {block}: {counts}");
                    assert!(counts.contains(&format!("read {lines} ")), "blocks of {block}, {lines} lines: {counts}");
                    assert!(counts.contains("line 11"), "the long line is line 11: {counts}");
                    assert_eq!(digest, sha(bytes));
                }
            }
        }
    }

    /// The fuzz check on mutated exports: bytes flipped, newlines, quotes, backslashes and braces
    /// put anywhere; blocks of 1-97 bytes must read as lines, and every row be accounted for.
    #[test]
    fn mutated_exports_read_the_same_in_blocks() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
        let files = [
            "formats/sns-delivery-logs.ndjson",
            "formats/eum-events.ndjson",
            "formats/twilio-messages.ndjson",
            "bad/malformed-lines.ndjson",
        ];
        for name in files {
            let bytes = testdata(name);
            for _ in 0..60 {
                let mut m = bytes.clone();
                for _ in 0..rng.random_range(1..6) {
                    let at = rng.random_range(0..m.len().max(1));
                    let b = [b'\n', b'"', b'\\', b'{', b'}', b'\r', b'x', 0xC3][rng.random_range(0..8)];
                    match rng.random_range(0..3) {
                        0 => m.insert(at, b),
                        1 if !m.is_empty() => m[at] = b,
                        _ => {
                            m.remove(at.min(m.len().saturating_sub(1)));
                        }
                    }
                }
                let format = match name {
                    "formats/eum-events.ndjson" => InputFormat::EumEvents,
                    "formats/twilio-messages.ndjson" => InputFormat::TwilioMessagesJson,
                    _ => InputFormat::SnsDeliveryLogs,
                };
                crate::fuzzing::check(crate::fuzzing::Target::Load(Some(format)), &m);
                crate::fuzzing::check(crate::fuzzing::Target::Load(None), &m);
            }
        }
    }
}
