//! Opening inputs: files, directories (walked recursively, sorted) and `-` for stdin; gzip by
//! magic bytes (concatenated members too); a peek at the head for format detection.

use crate::error::Error;
use indicatif::ProgressBar;
use sha2::{Digest as _, Sha256};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How much of the (decompressed) head is kept for detection.
pub const PEEK: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPath {
    Stdin,
    /// A file, and whether it was found by walking a directory (rather than named).
    File(PathBuf),
    Walked(PathBuf),
    /// Bytes already in memory, under a name for messages (library use and fuzzing).
    Memory(String, Arc<[u8]>),
}

impl InputPath {
    pub fn display(&self) -> String {
        match self {
            InputPath::Stdin => "-".to_string(),
            InputPath::File(p) | InputPath::Walked(p) => p.display().to_string(),
            InputPath::Memory(name, _) => name.clone(),
        }
    }
}

/// Expand the command-line inputs: directories are walked recursively in sorted order; hidden
/// files (dot-files) inside directories are left out; `-` may appear once.
pub fn expand(inputs: &[String]) -> Result<Vec<InputPath>, Error> {
    let mut out = Vec::new();
    let mut stdin_seen = false;
    for raw in inputs {
        if raw == "-" {
            if stdin_seen {
                return Err(Error::Usage("`-` (stdin) may be given only once".into()));
            }
            stdin_seen = true;
            out.push(InputPath::Stdin);
            continue;
        }
        let p = PathBuf::from(raw);
        let meta = std::fs::metadata(&p).map_err(|e| Error::io(&p, e))?;
        if meta.is_dir() {
            walk(&p, &mut out)?;
        } else {
            out.push(InputPath::File(p));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<InputPath>) -> Result<(), Error> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.is_file() {
            out.push(InputPath::Walked(p));
        }
    }
    Ok(())
}

/// The SHA-256 of an input's raw bytes, filled in as the input is read (no second pass).
#[derive(Clone, Default)]
pub struct Digest(Arc<DigestState>);

#[derive(Default)]
struct DigestState {
    sha: Mutex<Sha256>,
    /// The reader no longer hashes what it reads: a consumer does ([`Digest::detach`]).
    detached: std::sync::atomic::AtomicBool,
    /// Raw bytes the reader hashed.
    hashed: AtomicU64,
}

impl Digest {
    /// Hex digest of everything read so far (the whole file once the reader reached its end).
    pub fn hex(&self) -> String {
        let hasher = self.0.sha.lock().map(|h| h.clone()).unwrap_or_default();
        hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Stop hashing in the reader, so that reading and hashing can run on two threads; the
    /// caller then hashes, in order, the input's bytes from the returned offset on (those the
    /// reader has not hashed) with [`Digest::update`]. Only for inputs read as they are stored
    /// (not gzip): the digest is of the stored bytes.
    pub fn detach(&self) -> u64 {
        self.0.detached.store(true, Ordering::SeqCst);
        self.0.hashed.load(Ordering::SeqCst)
    }

    pub fn update(&self, bytes: &[u8]) {
        if let Ok(mut h) = self.0.sha.lock() {
            h.update(bytes);
        }
    }
}

/// Counts raw bytes read into the progress bar and the digest.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
    digest: Digest,
    raw: Arc<AtomicU64>,
}

/// Decompressed output that passes this size at this ratio to the compressed input is a gzip
/// bomb, not an export: real message exports compress about 10:1.
const BOMB_BYTES: u64 = 1 << 30;
const BOMB_RATIO: u64 = 100;

/// Refuses a gzip stream that inflates beyond [`BOMB_BYTES`] at more than [`BOMB_RATIO`]:1.
/// Readers bound their own memory too (see `json_reader::MAX_DOCUMENT`), so a bomb under the
/// ratio costs time, not memory.
struct BombGuard<R> {
    inner: R,
    out: u64,
    raw: Arc<AtomicU64>,
}

impl<R: Read> Read for BombGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let raw = self.raw.load(Ordering::Relaxed).max(1);
        if self.out > BOMB_BYTES && self.out / raw > BOMB_RATIO {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("gzip inflates beyond {} GiB at over {BOMB_RATIO}:1 (a gzip bomb?); refused", BOMB_BYTES >> 30),
            ));
        }
        Ok(n)
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        self.raw.fetch_add(n as u64, Ordering::Relaxed);
        if !self.digest.0.detached.load(Ordering::Relaxed) {
            self.digest.update(&buf[..n]);
            self.digest.0.hashed.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Counts the time spent reading (disk, gunzip, digest) for `--timings`.
struct Timed<R>(R);

impl<R: Read> Read for Timed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        crate::timings::time(crate::timings::Stage::Read, || self.0.read(buf))
    }
}

/// Compressed bytes [`gzip_ratio`] inflates: a few milliseconds' work.
const RATIO_SAMPLE: usize = 256 * 1024;

/// How many times its size a gzip file inflates to, judged by inflating its first
/// [`RATIO_SAMPLE`] bytes (all of a smaller file), between 1 and [`BOMB_RATIO`]; None if it
/// cannot be read, is not gzip (its first two bytes, read alone) or inflates to nothing.
/// Exports compress differently: the simulator's
/// BulkExport 7.1 times, the same messages split into day files by `gzip -6` 11.6 times, so a
/// fixed guess left room for two thirds of them and the rows were copied into twice the room
/// (1,062 MiB at the peak for 4.32 GB of JSON lines, against 869 MiB for its day files).
pub fn gzip_ratio(path: &std::path::Path) -> Option<f64> {
    let mut file = File::open(path).ok()?;
    let mut sample = Vec::with_capacity(RATIO_SAMPLE);
    (&mut file).take(2).read_to_end(&mut sample).ok()?;
    if sample != [0x1f, 0x8b] {
        return None;
    }
    file.take(RATIO_SAMPLE as u64 - 2).read_to_end(&mut sample).ok()?;
    let mut inflate = flate2::read::MultiGzDecoder::new(sample.as_slice());
    let (mut out, mut buf) = (0u64, vec![0u8; 64 * 1024]);
    // A sample cut inside the stream ends in an error: what came out before it counts.
    while let Ok(n) = inflate.read(&mut buf) {
        if n == 0 || out > RATIO_SAMPLE as u64 * BOMB_RATIO {
            break;
        }
        out += n as u64;
    }
    (out > 0).then(|| (out as f64 / sample.len().max(1) as f64).clamp(1.0, BOMB_RATIO as f64))
}

/// An opened input: its head for detection, and a reader over the whole (decompressed) content.
pub struct Opened {
    pub head: Vec<u8>,
    pub reader: Box<dyn BufRead + Send>,
    pub gzip: bool,
    pub digest: Digest,
}

pub fn open(input: &InputPath, bar: &ProgressBar) -> Result<Opened, Error> {
    let raw: Box<dyn Read + Send> = match input {
        InputPath::Stdin => Box::new(io::stdin()),
        InputPath::File(p) | InputPath::Walked(p) => Box::new(File::open(p).map_err(|e| Error::io(p, e))?),
        InputPath::Memory(_, bytes) => Box::new(Cursor::new(bytes.clone())),
    };
    let digest = Digest::default();
    let raw_bytes = Arc::new(AtomicU64::new(0));
    let mut buffered =
        BufReader::with_capacity(256 * 1024, Counting { inner: raw, bar: bar.clone(), digest: digest.clone(), raw: raw_bytes.clone() });
    let magic = buffered.fill_buf().map_err(|e| Error::io_input(input, e))?;
    let gzip = magic.len() >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    let content: Box<dyn Read + Send> = if gzip {
        Box::new(BombGuard { inner: flate2::read::MultiGzDecoder::new(buffered), out: 0, raw: raw_bytes })
    } else {
        Box::new(buffered)
    };
    let mut head = Vec::with_capacity(PEEK);
    let mut take = content.take(PEEK as u64);
    take.read_to_end(&mut head).map_err(|e| Error::io_input(input, e))?;
    let rest = take.into_inner();
    let reader = Box::new(BufReader::with_capacity(256 * 1024, Cursor::new(head.clone()).chain(Timed(rest))));
    Ok(Opened { head, reader, gzip, digest })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn a_gzip_files_ratio_is_judged_from_its_first_bytes() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // JSON lines whose ids and numbers vary: 120,000 of them (10.8 MB) at `level`.
        let text: String = (0..120_000u64)
            .map(|i| {
                format!(
                    "{{\"sid\":\"SM{:032x}\",\"to\":\"+4474{:08}\",\"status\":\"delivered\"}}\n",
                    i * 2_654_435_761,
                    i * 7_919 % 100_000_000
                )
            })
            .collect();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("writes");
            path
        };
        for level in [1, 6, 9] {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            enc.write_all(text.as_bytes()).expect("compresses");
            let packed = enc.finish().expect("compresses");
            assert!(packed.len() > 2 * RATIO_SAMPLE, "{} bytes: the sample is a part", packed.len());
            let truth = text.len() as f64 / packed.len() as f64;
            let judged = gzip_ratio(&write(&format!("l{level}.gz"), &packed)).expect("inflates");
            assert!((judged / truth - 1.0).abs() < 0.1, "level {level}: judged {judged:.2}, truly {truth:.2}");
        }
        // A small file: all of it.
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&text.as_bytes()[..10_000]).expect("compresses");
        let packed = enc.finish().expect("compresses");
        let judged = gzip_ratio(&write("small.gz", &packed)).expect("inflates");
        assert!((judged - 10_000.0 / packed.len() as f64).abs() < 1e-9);
        // Not gzip, or nothing in it: no ratio.
        assert_eq!(gzip_ratio(&write("plain.ndjson", text.as_bytes())), None);
        assert_eq!(gzip_ratio(&dir.path().join("missing.gz")), None);
        let empty = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()).finish().expect("compresses");
        assert_eq!(gzip_ratio(&write("empty.gz", &empty)), None);
        // gzip's magic bytes and then no stream: none; a file shorter than them: none.
        assert_eq!(gzip_ratio(&write("torn.gz", &[0x1f, 0x8b, b'x', b'y'])), None);
        assert_eq!(gzip_ratio(&write("one.gz", &[0x1f])), None);
    }
}
