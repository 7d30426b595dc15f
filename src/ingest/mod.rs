//! Ingest: every input file (or stdin) → detected format → records → the canonical [`Store`].

pub mod blocks;
pub mod bytemask;
pub mod chunk;
pub mod conversions;
pub mod csv_reader;
pub mod csv_split;
pub mod detect;
pub mod format;
pub mod formats;
pub mod json_lines;
pub mod json_reader;
pub mod json_value;
pub mod page_cache;
pub mod record;
pub mod source;
pub mod stats;
pub mod structure;
pub mod value;

pub use format::InputFormat;
pub use stats::{IngestOptions, InputStats};

use crate::error::Error;
use crate::store::Store;
use detect::Detected;
use indicatif::ProgressBar;
use source::InputPath;
use stats::Emitter;

/// Everything that shapes loading.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Force one format for every input instead of detecting it per file.
    pub input_format: Option<InputFormat>,
    /// `--map` for generic CSV.
    pub map: Option<Vec<(String, String)>>,
    pub ingest: IngestOptions,
    pub conversions: Option<String>,
    pub conversion_window_ms: i64,
    /// Leave the inputs' SHA-256 out (`sha256` stays empty): for commands that never report it
    /// (`export`, `inspect`), where it was a tenth of the CPU time (SHA-NI, 1.2 s at 2.1 GB).
    pub no_digest: bool,
}

/// The result of loading all inputs.
pub struct Loaded {
    pub store: Store,
    pub inputs: Vec<InputStats>,
    pub conversions: Option<ConversionSummary>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ConversionSummary {
    pub file: InputStats,
    /// Sends inside the export's period that were judged converted or not.
    pub sends_judged: u64,
    pub window_seconds: i64,
    /// The verifications: a number the app verified before the scanned period is a known
    /// user there.
    #[serde(skip)]
    pub verified: conversions::Verified,
}

/// Total size of the file inputs, for the progress bar (stdin adds nothing).
/// The bytes the inputs hold, when every size is known (not with stdin or a pipe).
pub fn total_bytes(inputs: &[InputPath]) -> Option<u64> {
    inputs.iter().map(input_size).sum()
}

fn input_size(input: &InputPath) -> Option<u64> {
    match input {
        InputPath::File(p) | InputPath::Walked(p) => std::fs::metadata(p).ok().filter(|m| m.is_file()).map(|m| m.len()),
        InputPath::Memory(_, b) => Some(b.len() as u64),
        InputPath::Stdin => None,
    }
}

/// How many times its size a gzip input is taken to inflate to when its first bytes cannot be
/// inflated to tell ([`source::gzip_ratio`]), for [`estimate_records`]: the
/// simulator's 9.7M-message BulkExport inflates 7.1 times (607.7 MB to 4.32 GB), and message
/// exports about 10 times (see `source::BOMB_RATIO`). A guess too high costs the id index's
/// share of it (about 6 bytes a record); too low, the doubling the estimate avoids: without
/// one, that BulkExport's load peaked at 1,109 MiB for 605 MiB kept.
const GZIP_RATIO: u64 = 8;

/// How much more than its first bytes' ratio a gzip file is taken to inflate at.
const RATIO_MARGIN: f64 = 1.25;

/// The bytes an input of `size` bytes holds once inflated: a gzip file's at the ratio its first
/// bytes inflate at ([`source::gzip_ratio`]) with [`RATIO_MARGIN`], at least [`GZIP_RATIO`].
/// `gzip`: the input is known to be gzip (a file that inflates is taken to be, whatever it says).
fn content_size(input: &InputPath, size: u64, gzip: bool) -> u64 {
    let ratio = match input {
        InputPath::File(p) | InputPath::Walked(p) => source::gzip_ratio(p),
        _ => None,
    };
    match ratio {
        // With a margin, and never under the fixed guess: a file's head may compress worse than
        // the rest (the simulator's BulkExport: 6.3 times in its first 256 KiB, 7.1 in all), and
        // too little room costs the doubling (1,222 MiB at the peak), too much only address space.
        Some(r) => (size as f64 * (r * RATIO_MARGIN).max(GZIP_RATIO as f64)) as u64,
        None if gzip => size.saturating_mul(GZIP_RATIO),
        None => size,
    }
}

/// Records a file of `size` bytes holds, judged by the lines in its head (CSV and JSON lines;
/// a JSON document's lines say little, but then the estimate only costs address space). Storage
/// reserved up front is filled in place: growing by doubling had copied the rows several times
/// and touched twice the memory they need (the peak at 10M rows).
fn estimate_records(head: &[u8], size: u64) -> usize {
    let lines = head.iter().filter(|&&b| b == b'\n').count() as u64;
    if lines < 2 || head.len() < 1024 {
        return 0;
    }
    // No message record is shorter than 64 bytes; the reservation is only tried (see
    // `Store::reserve`), so a misleading head costs address space at most.
    let per = (head.len() as u64 / lines).max(64);
    (size / per + size / per / 8).min(1 << 30) as usize
}

pub fn load(inputs: &[InputPath], opts: &LoadOptions, bar: &ProgressBar) -> Result<Loaded, Error> {
    if opts.input_format == Some(InputFormat::GenericCsv) && opts.map.is_none() {
        return Err(Error::Usage("--input-format generic-csv needs --map destination=COLUMN[,ts=COLUMN,...]".into()));
    }
    // The verifications file (`--conversions`) is read on a thread of its own beside the inputs,
    // without a progress bar of its own: read after them, on one core, it had been 2 s of the
    // 9.3 s a scan of 9.7M sends and 7.4M verifications took (bench/README.md). The inputs'
    // errors come first, as before. Only a regular file: stdin, a pipe or a FIFO (which the
    // inputs may read too, or which may wait for a writer) is read after the inputs, as before.
    let (mut store, stats_all, read) = std::thread::scope(|s| {
        let regular = |path: &&String| *path != "-" && std::fs::metadata(path).is_ok_and(|m| m.is_file());
        let beside = opts.conversions.as_ref().filter(regular);
        let read = beside.map(|path| s.spawn(move || conversions::load(path, &ProgressBar::hidden())));
        let loaded = load_messages(inputs, opts, bar);
        let read = match read {
            Some(h) => Some(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))),
            None if loaded.is_ok() => opts.conversions.as_ref().map(|path| conversions::load(path, bar)),
            None => None,
        };
        loaded.map(|(store, stats)| (store, stats, read))
    })?;
    let conversions = match read {
        None => None,
        Some(c) => {
            let mut c = c?;
            let path = opts.conversions.clone().unwrap_or_default();
            if opts.ingest.strict && c.stats.rows_skipped() > 0 {
                let (reason, s) = c.stats.skipped.iter().next().map(|(r, s)| (r.clone(), s.first.clone())).unwrap_or_default();
                return Err(Error::Parse { format: "conversions".into(), path, location: s, what: format!("{reason} (--strict)") });
            }
            let judged = c.apply(&mut store, opts.conversion_window_ms);
            let (file, verified) = c.into_verified();
            Some(ConversionSummary { file, sends_judged: judged, window_seconds: opts.conversion_window_ms / 1000, verified })
        }
    };
    Ok(Loaded { store, inputs: stats_all, conversions })
}

/// The inputs' messages into one store, and each input's counts.
fn load_messages(inputs: &[InputPath], opts: &LoadOptions, bar: &ProgressBar) -> Result<(Store, Vec<InputStats>), Error> {
    crate::phone::warm();
    let mut store = Store::new();
    let mut stats_all = Vec::with_capacity(inputs.len());
    // The first input whose size is known reserves room for the inputs after it too, judged by
    // its own head: reserved input by input, a directory of day files regrew the rows and the id
    // index once a file (14 SNS day files, 9.7M messages: 15.7-16.0 s and 1,052 MiB at the peak,
    // now 10.3-10.4 s and 826 MiB; one file: 9.5 s, 828 MiB). Gzip inputs at the ratio their
    // first bytes inflate at ([`content_size`]): taken at a fixed 8 times, 14 BulkExport day files
    // had reserved too much or too little (a peak of 1,151-1,185 MiB, or 868-1,110 MiB reserved
    // file by file).
    let mut reserved_later = false;
    // Each input's content size, worked out once by that reservation and used again on the
    // input's own turn (a later gzip file's head had been inflated twice).
    let mut contents: Vec<Option<u64>> = vec![None; inputs.len()];
    // The inputs read while folding by id is deferred across them, with their counts from
    // before they were read: a directory of day files folded file by file had probed the id
    // index a record from its second file on (see `end_deferred_run`).
    let mut deferred: Vec<(usize, InputFormat, InputStats)> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let mut stats = InputStats::new(input.display());
        let opened = source::open(input, bar)?;
        stats.gzip = opened.gzip;
        let digest = opened.digest.clone();
        let hashed = !opts.no_digest;
        if !hashed {
            digest.detach();
        }
        let format = match opts.input_format {
            Some(f) => f,
            None => match detect::detect(&opened.head) {
                Detected::Empty => {
                    stats.sha256 = hashed.then(|| digest.hex());
                    stats_all.push(stats);
                    continue;
                }
                Detected::Format(f) => f,
                // A file met while walking a directory (a README beside the exports) is listed
                // as not recognised; a file named on the command line must be readable.
                Detected::Unknown(what) | Detected::NotMessages(what) if matches!(input, InputPath::Walked(_)) => {
                    stats.unrecognised = Some(what);
                    stats_all.push(stats);
                    continue;
                }
                Detected::Unknown(what) => return Err(Error::UnknownFormat { path: input.display(), what }),
                Detected::NotMessages(what) => return Err(Error::NotMessages { path: input.display(), what }),
            },
        };
        stats.format = Some(format);
        let lines = !format.is_csv() && json_reader::is_lines(&opened.head);
        // Read in blocks: the Console reader and the JSON-lines one.
        let in_blocks = format == InputFormat::TwilioConsoleCsv || lines;
        // Read in blocks, hashed on the parsing side beside the reading thread unless gzip
        // (whose digest is of the compressed bytes the reader sees); a file mapped when it can be.
        // A file that cannot be mapped (gzip) may be opened again when it is a regular file (not
        // a pipe or a FIFO) and its digest is taken, to show that the second read is the first.
        let reopenable = hashed && matches!(input, InputPath::File(_) | InputPath::Walked(_)) && input_size(input).is_some();
        // Such an input of a record a message goes on deferring folding by id where the one
        // before left off; any other ends the deferral first.
        let across = in_blocks && format.is_record_a_message() && reopenable;
        if store.is_deferring() && !across {
            end_deferred_run(inputs, opts, &mut store, &mut stats_all, &mut deferred)?;
        }
        if let Some(size) = input_size(input) {
            // A gzip file's content is judged at the ratio its first bytes inflate at
            // (`source::gzip_ratio`; else `GZIP_RATIO` times its size). An export of a record a
            // message reserves its id index itself, or defers folding by id.
            let mut bytes = match contents[i] {
                Some(known) => known,
                None if opened.gzip => content_size(input, size, true),
                None => size,
            };
            if !reserved_later {
                reserved_later = true;
                for (j, p) in inputs.iter().enumerate().skip(i + 1) {
                    contents[j] = input_size(p).map(|size| content_size(p, size, p.display().ends_with(".gz")));
                }
                bytes = contents[i + 1..].iter().flatten().fold(bytes, |all, &b| all.saturating_add(b));
            }
            let n = estimate_records(&opened.head, bytes);
            if in_blocks && format.is_record_a_message() { store.reserve_rows(n) } else { store.reserve(n) }
        }
        let saved = across.then(|| stats.clone());
        store.defer_across = across;
        let mut em = Emitter { format, file: i as u32, stats: &mut stats, store: &mut store, opts: &opts.ingest };
        let (reader, head, map) = (opened.reader, &opened.head, opts.map.as_deref());
        if in_blocks {
            let digest = (hashed && !opened.gzip).then(|| opened.digest.clone());
            let file = match input {
                InputPath::File(p) | InputPath::Walked(p) if !opened.gzip => Some(csv_reader::Mappable { path: p, bar }),
                _ => None,
            };
            match read_in_blocks(reader, &mut em, digest, file, reopenable)? {
                blocks::Loaded::Repeats => {
                    // Folding by id was deferred and an id repeats: read again from the start,
                    // folding. The input must be what it was (the digest of the first read stands).
                    read_again(input, &mut em, &opened.digest.hex())?;
                }
                blocks::Loaded::Deferred => deferred.extend(saved.map(|s| (i, format, s))),
                blocks::Loaded::Done => {}
            }
        } else {
            stats::pipeline(&mut em, |out| {
                if format.is_csv() { csv_reader::read(reader, out, map) } else { json_reader::read(reader, head, out) }
            })?;
        }
        store.defer_across = false;
        stats.sha256 = hashed.then(|| digest.hex());
        stats_all.push(stats);
    }
    if store.is_deferring() {
        end_deferred_run(inputs, opts, &mut store, &mut stats_all, &mut deferred)?;
    }
    store.ids.release_index();
    // The parse buffers and the id index are free now, and detection allocates next.
    crate::memory::release();
    Ok((store, stats_all))
}

/// An input read in blocks (Console CSV or JSON lines, by `em.format`): see
/// [`csv_reader::read_console`] and [`json_lines::read`].
fn read_in_blocks(
    reader: Box<dyn std::io::BufRead + Send>,
    em: &mut Emitter,
    digest: Option<source::Digest>,
    file: Option<csv_reader::Mappable>,
    reopenable: bool,
) -> Result<blocks::Loaded, Error> {
    if em.format == InputFormat::TwilioConsoleCsv {
        csv_reader::read_console(reader, em, digest, file, reopenable)
    } else {
        json_lines::read(reader, em, digest, file, blocks::BLOCK_SIZE, reopenable)
    }
}

/// `input` opened and read again from its start, folding by id, into `em`; it must be what it
/// was (`digest`, the first read's).
fn read_again(input: &InputPath, em: &mut Emitter, digest: &str) -> Result<(), Error> {
    let again = source::open(input, &ProgressBar::hidden())?;
    read_in_blocks(again.reader, em, None, None, false)?;
    if again.digest.hex() != digest {
        return Err(Error::Io { path: input.display(), what: "changed while it was being read".into() });
    }
    Ok(())
}

/// The end of a run of inputs read with folding by id deferred across them (each a record a
/// message, each a regular file whose digest is taken): their ids are checked for repeats
/// once, and only if one repeats (a message in two day files) does the store start again and
/// read each of them again, folding, in the same order, each shown by its digest to be what it
/// was. Folded file by file, 14 BulkExport day files had probed the id index a record from the
/// second file on, where one file of the same messages probes it never.
fn end_deferred_run(
    inputs: &[InputPath],
    opts: &LoadOptions,
    store: &mut Store,
    stats_all: &mut [InputStats],
    run: &mut Vec<(usize, InputFormat, InputStats)>,
) -> Result<(), Error> {
    let run = std::mem::take(run);
    if !store.end_deferred() {
        return Ok(());
    }
    store.restart();
    for (i, format, saved) in run {
        let digest = std::mem::replace(&mut stats_all[i], saved).sha256.unwrap_or_default();
        let mut em = Emitter { format, file: i as u32, stats: &mut stats_all[i], store, opts: &opts.ingest };
        read_again(&inputs[i], &mut em, &digest)?;
        stats_all[i].sha256 = Some(digest);
    }
    Ok(())
}

/// What a test compares of a load: the rows, the input's counts, the records folded and those
/// with another destination, and the input's digest.
#[cfg(test)]
pub(crate) type LoadedSummary = (Vec<String>, String, u64, u64, Option<String>);

/// `bytes` written as `name` and gzipped as `name.gz`, each loaded as a run's one input, the
/// gzip file's bytes and their SHA-256: for the tests of the loads that open a gzip file again.
#[cfg(test)]
pub(crate) fn load_plain_and_gzip(bytes: &[u8], name: &str) -> (LoadedSummary, LoadedSummary, Vec<u8>, String) {
    use sha2::Digest as _;
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (plain, gz) = (dir.path().join(name), dir.path().join(format!("{name}.gz")));
    std::fs::write(&plain, bytes).expect("writes");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("compresses");
    let packed = enc.finish().expect("compresses");
    std::fs::write(&gz, &packed).expect("writes");
    let load = |path: &std::path::Path| {
        let inputs = [InputPath::File(path.to_path_buf())];
        let loaded = load(&inputs, &LoadOptions::default(), &ProgressBar::hidden()).expect("loads");
        let s = &loaded.inputs[0];
        let rows = loaded.store.rows.iter().map(|m| format!("{:?}", loaded.store.view(m))).collect();
        let counts = format!("read {} used {} skipped {:?}", s.rows_read, s.rows_used, s.skipped);
        (rows, counts, loaded.store.folded, loaded.store.conflicts, s.sha256.clone())
    };
    let digest = sha2::Sha256::digest(&packed).iter().map(|b| format!("{b:02x}")).collect();
    (load(&plain), load(&gz), packed, digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    /// An SNS delivery-log record of message `m-{id}` to `to`.
    fn sns(id: usize, to: &str) -> String {
        format!(
            "{{\"notification\":{{\"messageId\":\"m-{id}\",\"timestamp\":\"2024-03-0{} {:02}:{:02}:{:02}.000\"}},\"delivery\":{{\"destination\":\"{to}\",\"priceInUSD\":0.05,\"providerResponse\":\"Message has been accepted by phone\"}},\"status\":\"SUCCESS\"}}\n",
            1 + id / 1_000,
            id / 60 % 24,
            id % 60,
            id % 59
        )
    }

    /// The rows, each input's counts and digest, the records folded and the conflicts of a load.
    fn summary(paths: &[std::path::PathBuf], no_digest: bool) -> (Vec<String>, Vec<String>, u64, u64) {
        let inputs: Vec<InputPath> = paths.iter().map(|p| InputPath::File(p.clone())).collect();
        let opts = LoadOptions { no_digest, ..LoadOptions::default() };
        let loaded = load(&inputs, &opts, &ProgressBar::hidden()).expect("loads");
        let rows = loaded.store.rows.iter().map(|m| format!("{:?}", loaded.store.view(m))).collect();
        let counts = loaded.inputs.iter().map(|s| format!("read {} used {} skipped {:?}", s.rows_read, s.rows_used, s.skipped)).collect();
        (rows, counts, loaded.store.folded, loaded.store.conflicts)
    }

    #[test]
    fn day_files_defer_folding_by_id_together_and_load_as_folded_file_by_file() {
        // Four day files of 800 messages (the second and the fourth gzipped), read with their
        // digests (folding deferred across them) and without (the first file defers alone, the
        // others fold): the same rows, counts and folds. Then with one message in two files
        // (another destination: a conflict), and with a usage report, which folds, between
        // them (it ends the run).
        let dir = tempfile::tempdir().expect("a temporary directory");
        let write = |name: &str, text: &str, gzip: bool| {
            let path = dir.path().join(name);
            let bytes = if gzip {
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(text.as_bytes()).expect("compresses");
                enc.finish().expect("compresses")
            } else {
                text.as_bytes().to_vec()
            };
            std::fs::write(&path, bytes).expect("writes");
            path
        };
        let day = |d: usize, extra: &str| -> String {
            let mut text: String = (d * 1_000..d * 1_000 + 800).map(|i| sns(i, &format!("+4474001{i:05}"))).collect();
            text.push_str(extra);
            text
        };
        let files = |tag: &str, repeat: bool| -> Vec<std::path::PathBuf> {
            (0..4)
                .map(|d| {
                    let extra = if repeat && d == 2 { sns(1_005, "+447400999999") } else { String::new() };
                    write(&format!("{tag}-{d}.ndjson{}", if d % 2 == 1 { ".gz" } else { "" }), &day(d, &extra), d % 2 == 1)
                })
                .collect()
        };
        let distinct = files("distinct", false);
        let (rows, counts, folded, conflicts) = summary(&distinct, false);
        assert_eq!((rows.len(), folded, conflicts), (3_200, 0, 0));
        assert_eq!(summary(&distinct, true), (rows, counts, folded, conflicts));
        let repeated = files("repeated", true);
        let (rows, counts, folded, conflicts) = summary(&repeated, false);
        assert_eq!((rows.len(), folded, conflicts), (3_200, 1, 1), "m-1005 of day 1 folds into day 1's");
        assert_eq!(summary(&repeated, true), (rows, counts.clone(), folded, conflicts));
        assert!(counts.iter().all(|c| c.starts_with("read 80")), "{counts:?}");
        let report = write(
            "usage.csv",
            "PublishTimeUTC,MessageId,DestinationPhoneNumber,MessageType,DeliveryStatus,PriceInUSD,PartNumber,TotalParts\n\
             2024-03-02T03:00:29.476Z,u-1,447400888881,Transactional,Message has been accepted by phone carrier,0.05,0,1\n",
            false,
        );
        let mixed = vec![repeated[0].clone(), repeated[1].clone(), report, repeated[2].clone(), repeated[3].clone()];
        let (rows, counts, folded, conflicts) = summary(&mixed, false);
        assert_eq!((rows.len(), folded, conflicts), (3_201, 1, 1));
        assert_eq!(summary(&mixed, true), (rows, counts, folded, conflicts));
    }
}
