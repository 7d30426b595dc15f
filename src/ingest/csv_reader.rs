//! The CSV driver: RFC 4180 reader (quoted newlines, CRLF, BOM), columns by name, ragged rows
//! tolerated (missing cells read as empty), invalid UTF-8 read lossily so a billed message is
//! never lost over one bad byte in its body.

use super::blocks;
use super::csv_split::{Next, Pos, Splitter};
use super::format::InputFormat;
use super::formats::{generic_csv, sns_usage_report, twilio_console_csv};
use super::page_cache;
use super::record::Skip;
use super::source::Digest;
use super::stats::{Emitter, Loc, Out};
use crate::error::Error;
use csv::ByteRecord;
use indicatif::ProgressBar;
use std::io::{BufRead, Read};
use std::path::Path;

/// Header names, trimmed and compared case-insensitively.
pub struct Header {
    names: Vec<String>,
}

impl Header {
    pub fn new(rec: &ByteRecord) -> Header {
        let names = rec
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let s = String::from_utf8_lossy(f);
                let s = if i == 0 { s.trim_start_matches('\u{feff}').to_string() } else { s.into_owned() };
                s.trim().to_ascii_lowercase()
            })
            .collect();
        Header { names }
    }

    pub fn find(&self, aliases: &[&str]) -> Option<usize> {
        aliases.iter().find_map(|a| self.names.iter().position(|n| n.eq_ignore_ascii_case(a)))
    }

    pub fn describe(&self) -> String {
        let s = self.names.join(",");
        // Cut at a character boundary: headers come from the input and need not be ASCII
        // (found by fuzzing: a byte cut inside a multi-byte character panicked).
        match s.char_indices().nth(120) {
            Some((cut, _)) => format!("{}…", &s[..cut]),
            None => s,
        }
    }
}

/// One data row.
pub struct Row<'a> {
    rec: &'a ByteRecord,
}

impl<'a> Row<'a> {
    pub fn new(rec: &'a ByteRecord) -> Row<'a> {
        Row { rec }
    }

    /// The trimmed cell, or none when the column is absent, the row is short, or the cell empty.
    pub fn get(&self, i: Option<usize>) -> Option<String> {
        self.get_str(i).map(std::borrow::Cow::into_owned)
    }

    /// [`Row::get`] borrowed from the record (copied only when its bytes are not UTF-8).
    pub fn get_str(&self, i: Option<usize>) -> Option<std::borrow::Cow<'a, str>> {
        let raw = self.rec.get(i?)?;
        // Valid UTF-8 (nearly always) is borrowed and checked at SIMD speed; only a cell with
        // bad bytes pays for the lossy copy.
        match std::str::from_utf8(raw) {
            Ok(s) => Some(s.trim()).filter(|t| !t.is_empty()).map(std::borrow::Cow::Borrowed),
            Err(_) => Some(String::from_utf8_lossy(raw).trim().to_string()).filter(|t| !t.is_empty()).map(std::borrow::Cow::Owned),
        }
    }
}

/// Read a header row from the head of a file (for detection).
pub fn sniff_header(head: &[u8]) -> Option<Header> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(head);
    let mut rec = ByteRecord::new();
    match r.read_byte_record(&mut rec) {
        Ok(true) => Some(Header::new(&rec)),
        _ => None,
    }
}

enum Parser {
    Usage(sns_usage_report::Columns),
    Generic(generic_csv::Columns),
}

pub fn read(reader: Box<dyn BufRead + Send>, em: &mut impl Out, map: Option<&[(String, String)]>) -> Result<(), Error> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
    let mut rec = ByteRecord::new();
    let header = match r.read_byte_record(&mut rec) {
        Ok(true) => Header::new(&rec),
        Ok(false) => return Ok(()),
        Err(e) => return Err(csv_error(em, e)),
    };
    let schema_error = |what: String| header_error(em.format(), em.path(), &header, what);
    let parser = match em.format() {
        InputFormat::SnsUsageReport => Parser::Usage(sns_usage_report::columns(&header).map_err(schema_error)?),
        InputFormat::GenericCsv => {
            let map = map.ok_or_else(|| Error::Usage("generic-csv needs --map field=column,... (destination at least)".into()))?;
            Parser::Generic(generic_csv::columns(&header, map).map_err(schema_error)?)
        }
        other => return Err(Error::Usage(format!("{other} is not a CSV format"))),
    };
    loop {
        match r.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                let row = Row { rec: &rec };
                let parsed = match &parser {
                    Parser::Usage(c) => sns_usage_report::parse(c, &row),
                    Parser::Generic(c) => generic_csv::parse(c, &row),
                };
                em.push(Loc::Line(line), parsed)?;
            }
            Err(e) => {
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(csv_error(em, e));
                }
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                em.malformed(Loc::Line(line), Skip::new("malformed CSV row"))?;
            }
        }
    }
    Ok(())
}

fn header_error(format: InputFormat, path: &str, header: &Header, what: String) -> Error {
    Error::Parse {
        format: format.name().into(),
        path: path.to_string(),
        location: "1".into(),
        what: format!("header: {what} (header: {})", header.describe()),
    }
}

/// A file `reader` reads as it is stored (not gzip), which the block reader may map into
/// memory instead of reading (see [`blocks::Input::Mapped`]), and the progress bar its reads
/// would have moved.
pub struct Mappable<'a> {
    pub path: &'a Path,
    pub bar: &'a ProgressBar,
}

/// The file mapped, when it still begins with the bytes read from it so far (`read`) and it can
/// be mapped; otherwise it is read on. (A file replaced since it was opened is read as opened.)
pub(crate) fn map_file(file: &Mappable, read: &[u8]) -> Option<(memmap2::Mmap, std::fs::File)> {
    let f = std::fs::File::open(file.path).ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    // SAFETY: the mapping is only read. A file truncated while it is read would fault the
    // process (SIGBUS) as it would any reader that maps files (ripgrep, grep -r on some
    // systems); exports are files at rest, and `-` (stdin) reads without mapping.
    let map = unsafe { memmap2::Mmap::map(&f) }.ok()?;
    let _ = map.advise(memmap2::Advice::Sequential);
    map.get(..read.len()).is_some_and(|m| m == read).then_some((map, f))
}

/// A Console export: the header read here, the records by the parallel block reader. `digest`:
/// the input's, when the parsing side is to hash it (see [`blocks::Rest::digest`]).
pub fn read_console(
    reader: Box<dyn BufRead + Send>,
    em: &mut Emitter,
    digest: Option<Digest>,
    file: Option<Mappable>,
    reopenable: bool,
) -> Result<blocks::Loaded, Error> {
    read_console_sized(reader, em, digest, file, blocks::BLOCK_SIZE, reopenable)
}

/// [`read_console`], in blocks of `block` bytes.
pub fn read_console_sized(
    mut reader: Box<dyn BufRead + Send>,
    em: &mut Emitter,
    digest: Option<Digest>,
    file: Option<Mappable>,
    block: usize,
    reopenable: bool,
) -> Result<blocks::Loaded, Error> {
    let mut head = Vec::new();
    let io = |e: std::io::Error, path: &str| Error::Io { path: path.to_string(), what: crate::error::describe_io(&e) };
    loop {
        let n = reader.by_ref().take(64 << 10).read_to_end(&mut head).map_err(|e| io(e, &em.stats.path))?;
        let mut s = Splitter::new(&head, Pos::START, n == 0);
        match s.next_record() {
            Next::End => return Ok(blocks::Loaded::Done),
            Next::Incomplete { .. } => continue,
            Next::Record(_) => {
                let header = Header::new(&s.record());
                let columns = twilio_console_csv::columns(&header).map_err(|w| header_error(em.format, &em.stats.path, &header, w))?;
                let at = s.pos();
                let parser = twilio_console_csv::Console {
                    columns,
                    default_currency: em.opts.default_currency.clone(),
                    templates: !em.opts.skip_templates,
                    hasher: em.store.ids.hasher(),
                };
                let map = file.as_ref().and_then(|f| map_file(f, &head));
                // The rows reserved for this file.
                let rows = em.store.rows.capacity() - em.store.rows.len();
                let input = match (&map, &file) {
                    (Some((map, f)), Some(m)) => {
                        let needed = rows as u64 * page_cache::PEAK_BYTES_PER_RESERVED_ROW;
                        let drop = f.try_clone().ok().and_then(|f| page_cache::DropHead::plan(f, map.len() as u64, needed));
                        blocks::Input::Mapped { map, bar: m.bar, drop }
                    }
                    _ => blocks::Input::Read { head: head[s.offset()..].to_vec(), reader: &mut reader },
                };
                let from = s.offset() as u64;
                // A first file that can be read again (mapped, or opened again by the caller:
                // `reopenable`) defers folding by id.
                let again = map.is_some() || reopenable;
                let rest = blocks::Rest { input, at, from, digest, block };
                return blocks::run_deferring(&parser, rest, em, again, map.as_ref().map(|(m, _)| m), rows);
            }
        }
    }
}

/// A stored row as text, with the texts of its attrs (the body template among them, which the
/// parser remembers within a block, so they must read the same whatever the blocks).
pub fn row_text(store: &crate::store::Store, m: &crate::store::Message) -> String {
    let a = store.attrs(m);
    let texts = [a.account, a.sender, a.status_raw, a.error_code, a.currency, a.body_template].map(|s| store.str(s));
    format!("{:?} {texts:?} {:?}", store.view(m), a.segments)
}

/// A Console export read in blocks of `block` bytes, its rows spelled out (classified) and its
/// stats: what the tests and the fuzz check compare across block sizes.
pub fn read_console_rows(bytes: &[u8], block: usize) -> (Result<Vec<String>, String>, crate::ingest::InputStats) {
    let mut store = crate::store::Store::new();
    let mut stats = crate::ingest::InputStats::new("export.csv".into());
    let opts = crate::ingest::IngestOptions::default();
    let mut em = Emitter { format: InputFormat::TwilioConsoleCsv, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
    let read = read_console_sized(Box::new(std::io::Cursor::new(bytes.to_vec())), &mut em, None, None, block, false);
    let rows = read.map(|_| store.rows.iter().map(|m| row_text(&store, m)).collect()).map_err(|e| e.to_string());
    (rows, stats)
}

fn csv_error(em: &impl Out, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io { path: em.path().to_string(), what: crate::error::describe_io(&io) },
        other => Error::Parse {
            format: em.format().name().into(),
            path: em.path().to_string(),
            location: "1".into(),
            what: format!("{other:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestOptions, InputStats};
    use crate::store::Store;
    use rand::{RngExt, SeedableRng};

    /// A Console export with bodies that hold newlines, quotes and commas, CRLF and LF line
    /// ends, blank lines, and rows that are skipped for several reasons.
    fn export(rows: usize, seed: u64) -> Vec<u8> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut out = String::from("Sid,To,Body,Status,SentDate,Direction,Price,PriceUnit\r\n");
        for i in 0..rows {
            // "plain" and "plane": as long, with other templates.
            let body = match rng.random_range(0..5u8) {
                0 => format!("\"code {i}\nline two\r\nthree\""),
                1 => format!("\"say \"\"hi\"\", {i}\""),
                2 => format!("plain {i}"),
                3 => format!("plane {i}"),
                _ => String::new(),
            };
            let (to, date, direction) = match rng.random_range(0..12u8) {
                0 => ("whatsapp:+14155550100".to_string(), "\"Fri, 01 Mar 2024 00:00:02 +0000\"".to_string(), "outbound-api"),
                1 => (format!("+4474001{i:05}"), "yesterday".to_string(), "outbound-api"),
                2 => (format!("+4474001{i:05}"), "2024-03-01T00:00:02Z".to_string(), "inbound"),
                _ => (format!("+4474001{i:05}"), format!("\"Fri, 01 Mar 2024 00:{:02}:02 +0000\"", i % 60), "outbound-api"),
            };
            let end = if rng.random_range(0..2u8) == 0 { "\r\n" } else { "\n" };
            let blank = if rng.random_range(0..20u8) == 0 { "\n" } else { "" };
            out.push_str(&format!("SM{i:032x},{to},{body},delivered,{date},{direction},-0.05,USD{end}{blank}"));
        }
        out.into_bytes()
    }

    fn load(bytes: &[u8], block: Option<usize>) -> (Vec<String>, InputStats) {
        let (rows, stats) = read_console_rows(bytes, block.unwrap_or(blocks::BLOCK_SIZE));
        (rows.expect("loads"), stats)
    }

    #[test]
    fn the_digest_is_of_every_byte_when_hashed_beside_the_reader() {
        use sha2::Digest as _;
        // Several blocks, past the detection peek and the reader's buffer.
        let bytes = export(120_000, 7);
        assert!(bytes.len() > 2 * blocks::BLOCK_SIZE);
        let want: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let input = crate::ingest::source::InputPath::Memory("export.csv".into(), bytes.into());
        let loaded =
            crate::ingest::load(&[input], &crate::ingest::LoadOptions::default(), &indicatif::ProgressBar::hidden()).expect("loads");
        assert_eq!(loaded.inputs[0].sha256.as_deref(), Some(want.as_str()));
        assert!(loaded.store.rows.len() > 40_000);
    }

    #[test]
    fn the_digest_is_of_every_byte_whatever_the_block_size() {
        use sha2::Digest as _;
        // Past the detection peek and the readers' buffers, so the hashing side skips bytes the
        // reader hashed ahead, across several blocks when they are small.
        let bytes = export(6_000, 3);
        let want: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let input = crate::ingest::source::InputPath::Memory("export.csv".into(), bytes.into());
        for size in [1, 4096, 100_000, blocks::BLOCK_SIZE] {
            let opened = crate::ingest::source::open(&input, &indicatif::ProgressBar::hidden()).expect("opens");
            let (mut store, mut stats, opts) = (Store::new(), InputStats::new("export.csv".into()), IngestOptions::default());
            let mut em = Emitter { format: InputFormat::TwilioConsoleCsv, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
            read_console_sized(opened.reader, &mut em, Some(opened.digest.clone()), None, size, false).expect("loads");
            assert_eq!(opened.digest.hex(), want, "blocks of {size}");
            assert!(stats.rows_read > 5_000, "blocks of {size}");
        }
    }

    #[test]
    fn a_mapped_file_reads_and_hashes_as_it_is_read() {
        use sha2::Digest as _;
        // Records with newlines inside quotes, CRLF, blank lines and skips, cut into blocks of
        // every size from one byte (a cut in every record) to the real one.
        let bytes = export(6_000, 5);
        let want: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("export.csv");
        std::fs::write(&path, &bytes).expect("writes");
        let input = crate::ingest::source::InputPath::File(path.clone());
        for size in [1, 4096, 100_000, blocks::BLOCK_SIZE] {
            let bar = indicatif::ProgressBar::hidden();
            let opened = crate::ingest::source::open(&input, &bar).expect("opens");
            let (mut store, mut stats, opts) = (Store::new(), InputStats::new("export.csv".into()), IngestOptions::default());
            let mut em = Emitter { format: InputFormat::TwilioConsoleCsv, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
            let file = Some(Mappable { path: &path, bar: &bar });
            read_console_sized(opened.reader, &mut em, Some(opened.digest.clone()), file, size, false).expect("loads");
            assert_eq!(opened.digest.hex(), want, "blocks of {size}");
            let rows: Vec<String> = store.rows.iter().map(|m| row_text(&store, m)).collect();
            let (read_rows, read_stats) = load(&bytes, Some(size));
            assert!(rows.len() > 4_000, "blocks of {size}");
            assert_eq!(rows, read_rows, "blocks of {size}");
            assert_eq!(format!("{:?}", stats.skipped), format!("{:?}", read_stats.skipped), "blocks of {size}");
            // Every byte past the reader's is counted into the progress bar.
            assert_eq!(bar.position(), bytes.len() as u64, "blocks of {size}");
        }
    }

    #[test]
    fn a_mapped_file_whose_ids_repeat_is_loaded_again_folding_as_a_read_one_is() {
        // The first file of a run defers folding by id; a repeated id sends it back to load
        // again, folding, so the result is the read path's (which always folds).
        let mut bytes = export(3_000, 7);
        for (to, status) in [("+447400999990", "sent"), ("+447400999990", "failed"), ("+447400999999", "delivered")] {
            let line = format!("SM000000000000000000000000000fffff,{to},again,{status},2024-03-01T00:00:09Z,outbound-api,-0.05,USD\n");
            bytes.extend_from_slice(line.as_bytes());
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("export.csv");
        std::fs::write(&path, &bytes).expect("writes");
        let run = |mapped: bool| {
            let bar = indicatif::ProgressBar::hidden();
            let input = if mapped {
                crate::ingest::source::InputPath::File(path.clone())
            } else {
                crate::ingest::source::InputPath::Memory("export.csv".into(), bytes.clone().into())
            };
            let opened = crate::ingest::source::open(&input, &bar).expect("opens");
            let (mut store, mut stats, opts) = (Store::new(), InputStats::new("export.csv".into()), IngestOptions::default());
            let mut em = Emitter { format: InputFormat::TwilioConsoleCsv, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
            let file = mapped.then_some(Mappable { path: &path, bar: &bar });
            read_console_sized(opened.reader, &mut em, Some(opened.digest.clone()), file, 4096, false).expect("loads");
            let rows: Vec<String> = store.rows.iter().map(|m| format!("{:?}", store.view(m))).collect();
            (rows, format!("{stats:?}"), store.folded, store.conflicts, opened.digest.hex(), bar.position())
        };
        let (mapped, read) = (run(true), run(false));
        assert_eq!(mapped.2, 2, "two records folded");
        assert_eq!(mapped.3, 1, "one of them with another destination");
        assert_eq!(mapped.0, read.0);
        assert_eq!((&mapped.1, mapped.2, mapped.3, &mapped.4), (&read.1, read.2, read.3, &read.4));
        assert_eq!(mapped.5, bytes.len() as u64, "every byte counted once into the progress bar");
    }

    #[test]
    fn a_gzip_export_whose_ids_repeat_is_opened_again_and_folded() {
        // A gzip file cannot be mapped: `ingest::load` opens it again when an id repeats, and
        // the result is the plain file's (whose load reloads from its mapping).
        let mut bytes = export(2_000, 11);
        for (to, status, at) in [("+447400999990", "sent", "09"), ("+447400999991", "failed", "19")] {
            let line = format!("SM000000000000000000000000000fffff,{to},again,{status},2024-03-01T00:00:{at}Z,outbound-api,-0.05,USD\n");
            bytes.extend_from_slice(line.as_bytes());
        }
        let (plain, gz, packed, digest) = crate::ingest::load_plain_and_gzip(&bytes, "export.csv");
        assert_eq!((plain.2, plain.3), (1, 1), "one record folded, with another destination");
        assert_eq!((&plain.0, &plain.1, plain.2, plain.3), (&gz.0, &gz.1, gz.2, gz.3));
        assert_eq!(gz.4, Some(digest), "the digest of the stored bytes, read once");
        // The gzip load deferred: its reader, allowed to, answers that the input must be read
        // again, with the store and the counts as they were.
        let input = crate::ingest::source::InputPath::Memory("export.csv.gz".into(), packed.into());
        let opened = crate::ingest::source::open(&input, &ProgressBar::hidden()).expect("opens");
        let (mut store, mut stats, opts) = (Store::new(), InputStats::new("export.csv.gz".into()), IngestOptions::default());
        let mut em = Emitter { format: InputFormat::TwilioConsoleCsv, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
        let read = read_console_sized(opened.reader, &mut em, None, None, 4096, true).expect("reads");
        assert_eq!(read, blocks::Loaded::Repeats);
        assert!(store.is_pristine() && stats.rows_read == 0 && stats.skipped.is_empty());
    }

    #[test]
    fn a_file_that_no_longer_begins_as_read_is_not_mapped() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("export.csv");
        std::fs::write(&path, b"To,Sid\n+447400100200,SM1\n").expect("writes");
        let bar = indicatif::ProgressBar::hidden();
        let file = Mappable { path: &path, bar: &bar };
        assert!(map_file(&file, b"To,Sid\n").is_some());
        assert!(map_file(&file, b"To,MessageSid\n").is_none());
        let gone = Mappable { path: &dir.path().join("gone.csv"), bar: &bar };
        assert!(map_file(&gone, b"").is_none());
    }

    #[test]
    fn records_cut_across_blocks_read_as_in_one_block() {
        for seed in 0..6 {
            let bytes = export(300, seed);
            let (want, want_stats) = load(&bytes, None);
            assert!(want.len() > 150 && want_stats.rows_skipped() > 10, "the export has rows and skips");
            for size in [1, 7, 64, 333, 4096] {
                let (got, stats) = load(&bytes, Some(size));
                assert_eq!(got, want, "seed {seed}, blocks of {size}");
                assert_eq!(
                    (stats.rows_read, stats.rows_used, format!("{:?}", stats.skipped)),
                    (want_stats.rows_read, want_stats.rows_used, format!("{:?}", want_stats.skipped)),
                    "seed {seed}, blocks of {size}"
                );
            }
        }
    }
}
