//! Parallel parsing of record-per-line inputs (Console CSV): one thread reads the input straight
//! into blocks of a few MiB, each cut just after a newline; another hashes the blocks in order;
//! parser threads turn blocks into [`Chunk`]s at the same time; this thread merges the chunks
//! into the store in input order, so the result is exactly that of reading on one thread.
//! (Reading and hashing on separate threads: at 100M rows the disk and SHA-256 had been in
//! series.)
//!
//! A cut can fall inside a quoted field that holds a newline. The parse of the block before the
//! cut then ends inside a record ([`Next::Incomplete`]); the merge notices, drops the next
//! block's parse (it started in the wrong place) and parses the cut record together with that
//! block again itself. Such cuts are rare (a newline inside a quoted field, at a block end), so
//! the extra work is too.
//!
//! [`Next::Incomplete`]: super::csv_split::Next::Incomplete

use super::chunk::Chunk;
use super::csv_split::{self, Pos};
use super::page_cache::DropHead;
use super::source::Digest;
use super::stats::Emitter;
use crate::error::Error;
use crate::timings::{self, Stage};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

/// How a read of an input ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Loaded {
    Done,
    /// Folding by id was deferred and an id repeats: the store and the input's counts are back
    /// to where they were, for the caller to read the input again from its start, folding (see
    /// `Store::defer_ids`).
    Repeats,
    /// Folding by id is deferred over this input and goes on (`Store::defer_across`): the
    /// caller ends it, and reads the run's inputs again should an id repeat.
    Deferred,
}

/// Bytes a block holds at least: large enough that per-block costs vanish, small enough that the
/// buffers in flight (about twenty, with their chunks) stay a few tens of MiB. Each is fresh
/// memory the kernel zeroes on first touch, slow on these VMs: 4 MiB blocks had peaked 70 MiB
/// higher at 10M rows.
pub const BLOCK_SIZE: usize = 1 << 20;

/// Parses a block that starts at a record start.
pub trait BlockParser: Sync {
    /// The records of `block` (starting at `at`; `eof`: it ends the input) into `chunk` (empty),
    /// and where the last, cut-off record starts when the block ends inside one.
    fn parse(&self, block: &[u8], at: Pos, eof: bool, chunk: &mut Chunk) -> Option<(usize, Pos)>;

    /// Where a block may end: just past a newline that ends a record, and whether that
    /// newline was a CRLF's (see [`csv_split::cut`], the default: CSV, quotes and all).
    fn cut(&self, block: &[u8]) -> Option<(usize, bool)> {
        csv_split::cut(block)
    }

    /// Bytes a record may hold: a longer one is read past to its newline, never kept whole,
    /// and [`BlockParser::overlong`] reports it. None: no limit (a CSV record may hold
    /// newlines, so only the parse can tell where it ends).
    fn max_record(&self) -> Option<usize> {
        None
    }

    /// Report the record at `at`, read past as longer than [`BlockParser::max_record`].
    fn overlong(&self, _at: Pos, _chunk: &mut Chunk) {}
}

struct Job<'m> {
    seq: u64,
    /// The block's bytes are `block[..len]`; the rest is room kept for the buffer's next use
    /// (initialised once, so reading into it never zero-fills). Empty for a mapped input.
    block: Vec<u8>,
    len: usize,
    /// A mapped input's block: its bytes, and where they end in the file.
    mapped: Option<(&'m [u8], usize)>,
    at: Pos,
    eof: bool,
    /// A record longer than the parser's `max_record`, read past: the job holds none of it.
    overlong: bool,
}

impl Job<'_> {
    fn bytes(&self) -> &[u8] {
        match self.mapped {
            Some((bytes, _)) => bytes,
            None => &self.block[..self.len],
        }
    }
}

struct Done<'m> {
    job: Job<'m>,
    chunk: Chunk,
    tail: Option<(usize, Pos)>,
}

/// Where the rest of an input comes from.
pub enum Input<'a> {
    /// Bytes already read past the input's first record (its header), then the reader's.
    Read { head: Vec<u8>, reader: &'a mut (dyn Read + Send) },
    /// A file mapped into memory, read from [`Rest::from`] (just past its header): blocks are
    /// slices of the mapping, so no byte is copied out of the page cache (`read` had copied
    /// every byte once, a tenth of the CPU time at 10M rows), and their pages are let go once
    /// merged, so the mapping never holds more than the blocks in flight.
    Mapped { map: &'a memmap2::Mmap, bar: &'a indicatif::ProgressBar, drop: Option<DropHead> },
}

/// The rest of an input, for [`run`].
pub struct Rest<'a> {
    pub input: Input<'a>,
    /// Where the input's first block starts, in lines ...
    pub at: Pos,
    /// ... and in bytes.
    pub from: u64,
    /// The input's digest, to hash on the parsing side (so reading and hashing run on two
    /// threads). None: the reader hashes (gzip input, whose digest is of the compressed bytes).
    pub digest: Option<Digest>,
    /// Bytes a block holds at least (tests cut small blocks, to cut records often).
    pub block: usize,
}

/// Read the rest of the input and merge its records.
pub fn run(p: &impl BlockParser, rest: Rest, em: &mut Emitter) -> Result<(), Error> {
    let Rest { input, at, from, digest, block } = rest;
    let block = block.max(1);
    // The reader has read, hashed and counted into the progress bar the input's first `read`
    // bytes (at least up to `from`, perhaps beyond): the blocks, from `from` on, skip those.
    let (read, hash) = match digest {
        Some(d) => {
            let read = d.detach().max(from);
            (read, Some((d, read - from)))
        }
        None => (from, None),
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let (read_tx, read_rx) = sync_channel::<Job>(3);
    let (job_tx, job_rx) = sync_channel::<Job>(threads * 2);
    let map = match &input {
        Input::Mapped { map, .. } => Some(*map),
        Input::Read { .. } => None,
    };
    let (done_tx, done_rx) = sync_channel::<Done>(threads * 2);
    // Buffers and chunks go back for reuse: room for more than can be in flight (in the
    // channels above, on the threads, waiting in the merge), so none is ever dropped and made
    // again as fresh memory.
    let pool = 3 + threads * 8 + 4;
    let (back_tx, back_rx) = sync_channel::<Vec<u8>>(pool);
    let (chunks_tx, chunks_rx) = sync_channel::<Chunk>(pool);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let chunks_rx = Mutex::new(chunks_rx);
    let path = em.stats.path.clone();
    std::thread::scope(|s| {
        let reader_thread = s.spawn(move || match input {
            Input::Read { head, reader } => read_blocks(p, reader, head, at, &read_tx, &back_rx, &path, block),
            Input::Mapped { map, bar, drop } => {
                map_blocks(p, map, from as usize, at, &read_tx, (bar, read as usize), block, drop);
                Ok(())
            }
        });
        let hash_thread = s.spawn(move || hash_blocks(&read_rx, &job_tx, hash));
        let mut workers = Vec::new();
        for _ in 0..threads {
            let (rx, tx, chunks) = (Arc::clone(&job_rx), done_tx.clone(), &chunks_rx);
            workers.push(s.spawn(move || work(p, &rx, &tx, chunks)));
        }
        drop(done_tx);
        let merged = merge(p, &done_rx, &back_tx, &chunks_tx, map, em);
        // On an error the receivers go, so the other threads stop at their next send.
        drop(done_rx);
        drop(back_tx);
        drop(chunks_tx);
        for w in workers {
            w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        hash_thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let read = reader_thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        merged.and(read)
    })
}

/// [`run`] for an input whose folding by id may be deferred (see `Store::defer_ids`): a first
/// input of a record a message that can be read again (`again`: from `map`, or opened again by
/// the caller) has its ids checked for repeats once it is loaded, and only if one repeats is it
/// loaded again, folding: from `map`, or by the caller on [`Loaded::Repeats`]. Probing the id
/// index a record had been half of the store thread's time (1.5 s at 9.7M SNS delivery logs).
/// With `Store::defer_across`, the inputs after it that can be read again go on deferring, and
/// the caller ends the run ([`Loaded::Deferred`]). `rows`: the rows reserved for the input,
/// without their id index.
pub fn run_deferring(
    p: &impl BlockParser,
    rest: Rest,
    em: &mut Emitter,
    again: bool,
    map: Option<&memmap2::Mmap>,
    rows: usize,
) -> Result<Loaded, Error> {
    // Over a run of inputs (`Store::defer_across`), the first defers and the others go on.
    let across = em.store.defer_across;
    let defer = again && em.format.is_record_a_message() && (em.store.is_pristine() || across && em.store.is_deferring());
    let saved = (defer && !across).then(|| em.stats.clone());
    if defer {
        if !em.store.is_deferring() {
            em.store.defer_ids(rows);
        }
    } else if em.format.is_record_a_message() {
        // Before the reading threads start (see `Ids::reserve`).
        em.store.ids.reserve_index(rows);
    }
    let (at, from, block) = (rest.at, rest.from, rest.block);
    run(p, rest, em)?;
    if defer && across {
        return Ok(Loaded::Deferred);
    }
    if let Some(saved) = saved
        && em.store.end_deferred()
    {
        // An id repeats: load again, folding. The digest and the progress bar have every byte.
        em.store.restart();
        *em.stats = saved;
        // Not mapped: the caller opens the input again, and that read reserves the index.
        let Some(map) = map else { return Ok(Loaded::Repeats) };
        em.store.ids.reserve_index(rows);
        let bar = indicatif::ProgressBar::hidden();
        let input = Input::Mapped { map, bar: &bar, drop: None };
        run(p, Rest { input, at, from, digest: None, block }, em)?;
    }
    Ok(Loaded::Done)
}

/// The reading thread: the input read straight into block buffers (a block is never copied
/// into another), each cut after a newline once it holds `size` bytes; the bytes after the cut
/// begin the next block. (Reading into pieces and appending them to blocks had copied every
/// byte once more, and zero-filled each piece first.)
#[allow(clippy::too_many_arguments)]
fn read_blocks(
    p: &impl BlockParser,
    reader: &mut (dyn Read + Send),
    mut carry: Vec<u8>,
    mut at: Pos,
    blocks: &SyncSender<Job>,
    back: &Receiver<Vec<u8>>,
    path: &str,
    size: usize,
) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io { path: path.to_string(), what: crate::error::describe_io(&e) };
    let mut seq = 0;
    loop {
        let mut block = back.try_recv().unwrap_or_default();
        let room = carry.len().max(size) + size / 4 + 1;
        if block.len() < room {
            block.resize(room, 0);
        }
        block[..carry.len()].copy_from_slice(&carry);
        let mut len = carry.len();
        carry.clear();
        let mut eof = false;
        // Read until a cut is found past `size` bytes (or the input ends).
        let cut = loop {
            if len >= size
                && let Some(c) = p.cut(&block[..len])
            {
                break Some(c);
            }
            if let Some(max) = p.max_record()
                && len > max.saturating_add(size)
            {
                // No newline in all of it: one record too long to keep. Read past its end.
                let (rest, more) = skip_line(reader, &mut block).map_err(io)?;
                carry.extend_from_slice(&rest);
                let job = Job { seq, block, len: 0, mapped: None, at, eof: false, overlong: true };
                if blocks.send(job).is_err() {
                    return Ok(());
                }
                seq += 1;
                at = Pos { line: at.line + 1, reported: at.line + 1 };
                if !more && carry.is_empty() {
                    let job = Job { seq, block: Vec::new(), len: 0, mapped: None, at, eof: true, overlong: false };
                    let _ = blocks.send(job);
                    return Ok(());
                }
                block = back.try_recv().unwrap_or_default();
                let room = room.max(carry.len() + size / 4 + 1);
                if block.len() < room {
                    block.resize(room, 0);
                }
                block[..carry.len()].copy_from_slice(&carry);
                len = carry.len();
                carry.clear();
                continue;
            }
            if len == block.len() {
                // No place to cut yet (a record longer than a block): more room.
                block.resize(2 * len, 0);
            }
            match reader.read(&mut block[len..]) {
                Ok(0) => {
                    eof = true;
                    break None;
                }
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(e)),
            }
        };
        let next_at = cut.map(|c| {
            carry.extend_from_slice(&block[c.0..len]);
            len = c.0;
            csv_split::pos_after(&block[..len], at, c)
        });
        if len > 0 || eof {
            if blocks.send(Job { seq, block, len, mapped: None, at, eof, overlong: false }).is_err() {
                return Ok(());
            }
            seq += 1;
        }
        match next_at {
            Some(n) => at = n,
            None => return Ok(()),
        }
    }
}

/// Read past the rest of a line, using `buf` as scratch: the bytes read after its newline, and
/// whether the input goes on (false: it ended, with or without a newline).
fn skip_line(reader: &mut (dyn Read + Send), buf: &mut [u8]) -> std::io::Result<(Vec<u8>, bool)> {
    loop {
        let n = match reader.read(buf) {
            Ok(0) => return Ok((Vec::new(), false)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok((buf[i + 1..n].to_vec(), true));
        }
    }
}

/// How far ahead of the block being read a mapped input is asked to be read from disk.
const READ_AHEAD: usize = 32 << 20;

/// The reading thread for a mapped input: blocks cut as [`read_blocks`] cuts them, each
/// slice's pages faulted in at once (one call, not a fault every few pages on the threads that
/// read it). The progress bar moves by the bytes past the first `counted` (read before).
#[allow(clippy::too_many_arguments)]
fn map_blocks<'m>(
    p: &impl BlockParser,
    map: &'m memmap2::Mmap,
    from: usize,
    mut at: Pos,
    blocks: &SyncSender<Job<'m>>,
    (bar, counted): (&indicatif::ProgressBar, usize),
    size: usize,
    mut drop: Option<DropHead>,
) {
    let end = map.len();
    let (mut start, mut seq) = (from.min(end), 0);
    loop {
        let mut window = size + size / 4 + 1;
        let (len, cut) = loop {
            let stop = start.saturating_add(window).min(end);
            if let Some(max) = p.max_record()
                && stop - start > max.saturating_add(size)
                && memchr::memchr(b'\n', &map[start..stop]).is_none()
            {
                // One record too long to keep: past it, to its newline (or the end).
                let next = memchr::memchr(b'\n', &map[stop..]).map_or(end, |i| stop + i + 1);
                bar.inc((next.saturating_sub(counted.max(start))) as u64);
                let job = Job { seq, block: Vec::new(), len: 0, mapped: Some((&map[start..start], next)), at, eof: false, overlong: true };
                if blocks.send(job).is_err() {
                    return;
                }
                seq += 1;
                at = Pos { line: at.line + 1, reported: at.line + 1 };
                start = next;
                window = 0;
                break (0, None);
            }
            if stop == end {
                break (end - start, None);
            }
            if let Some(c) = p.cut(&map[start..stop]) {
                break (c.0, Some(c));
            }
            window *= 2;
        };
        if window == 0 {
            continue;
        }
        timings::time(Stage::Read, || {
            // What is not in the page cache is asked for ahead (the disk reads while this block
            // is faulted in and parsed): populating waits for each page it reads, and at 100M
            // rows, more than the page cache holds, reading had become the slowest stage.
            let ahead = start + len + READ_AHEAD;
            if start == from.min(end) {
                let _ = map.advise_range(memmap2::Advice::WillNeed, start, (ahead.min(end)).saturating_sub(start));
            } else if ahead < end {
                let _ = map.advise_range(memmap2::Advice::WillNeed, ahead, len.min(end - ahead));
            }
            // Unsupported before Linux 5.14: the pages are then faulted in where first read.
            let _ = map.advise_range(memmap2::Advice::PopulateRead, start, len);
        });
        bar.inc((start + len).saturating_sub(counted.max(start)) as u64);
        if let Some(d) = &mut drop {
            timings::time(Stage::Read, || d.passed(start as u64));
        }
        let bytes = &map[start..start + len];
        let job = Job { seq, block: Vec::new(), len, mapped: Some((bytes, start + len)), at, eof: cut.is_none(), overlong: false };
        if blocks.send(job).is_err() {
            return;
        }
        seq += 1;
        match cut {
            Some(c) => {
                at = csv_split::pos_after(bytes, at, c);
                start += len;
            }
            None => return,
        }
    }
}

/// Let the pages of a mapped input go up to `end` (rounded down to a page; `done` is where the
/// last call stopped). Pages are read again from the page cache if touched again.
fn let_go(map: &memmap2::Mmap, done: &mut usize, end: usize) {
    let end = end & !4095;
    if end > *done {
        // SAFETY: the mapping is read-only and private, and nothing of it is written: dropping
        // its pages loses nothing (a later read maps the file's page again), and the slices
        // borrowed from it stay valid.
        let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, *done, end - *done) };
        *done = end;
    }
}

/// The hashing thread: each block's bytes into the digest, in input order (the first `skip`
/// bytes were hashed by the reader), then on to the parsers.
fn hash_blocks<'m>(blocks: &Receiver<Job<'m>>, jobs: &SyncSender<Job<'m>>, mut hash: Option<(Digest, u64)>) {
    for job in blocks {
        if let Some((digest, skip)) = &mut hash {
            let bytes = job.bytes();
            let s = (*skip).min(bytes.len() as u64);
            timings::time(Stage::Read, || digest.update(&bytes[s as usize..]));
            *skip -= s;
        }
        if jobs.send(job).is_err() {
            return;
        }
    }
}

/// A parser thread.
fn work<'m>(p: &impl BlockParser, jobs: &Mutex<Receiver<Job<'m>>>, done: &SyncSender<Done<'m>>, chunks: &Mutex<Receiver<Chunk>>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => match rx.recv() {
                Ok(j) => j,
                Err(_) => return,
            },
            Err(_) => return,
        };
        let mut chunk = chunks.lock().ok().and_then(|rx| rx.try_recv().ok()).unwrap_or_default();
        let tail = if job.overlong {
            p.overlong(job.at, &mut chunk);
            None
        } else {
            timings::time(Stage::Parse, || p.parse(job.bytes(), job.at, job.eof, &mut chunk))
        };
        if done.send(Done { job, chunk, tail }).is_err() {
            return;
        }
    }
}

/// This thread: chunks into the store in input order, re-parsing across a cut that fell inside
/// a record.
fn merge(
    p: &impl BlockParser,
    done: &Receiver<Done>,
    back: &SyncSender<Vec<u8>>,
    chunks: &SyncSender<Chunk>,
    map: Option<&memmap2::Mmap>,
    em: &mut Emitter,
) -> Result<(), Error> {
    let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
    // How far a mapped input's pages have been let go.
    let mut released = 0;
    let mut next = 0u64;
    // A record cut off at the end of the previous block: its bytes and position.
    let mut cut_off: Option<(Vec<u8>, Pos)> = None;
    loop {
        let d = match waiting.remove(&next) {
            Some(d) => d,
            None => match timings::time(Stage::Starved, || done.recv()) {
                Ok(d) if d.job.seq == next => d,
                Ok(d) => {
                    waiting.insert(d.job.seq, d);
                    continue;
                }
                Err(_) => return Ok(()),
            },
        };
        next += 1;
        let Done { job, chunk, tail } = d;
        let (mut chunk, tail, block) = match cut_off.take() {
            None => (chunk, tail.map(|(off, pos)| (job.bytes()[off..].to_vec(), pos)), job.block),
            Some((mut bytes, pos)) => {
                // This block's own parse began inside the cut record: parse the two together.
                bytes.extend_from_slice(job.bytes());
                let mut chunk = chunk;
                chunk.clear();
                let tail = timings::time(Stage::Parse, || p.parse(&bytes, pos, job.eof, &mut chunk));
                (chunk, tail.map(|(off, pos)| (bytes[off..].to_vec(), pos)), job.block)
            }
        };
        match (map, job.mapped) {
            (Some(map), Some((_, end))) => let_go(map, &mut released, end),
            _ => {
                let _ = back.try_send(block);
            }
        }
        timings::time(Stage::Normalise, || chunk.merge(em))?;
        chunk.clear();
        let _ = chunks.try_send(chunk);
        cut_off = tail;
        if job.eof {
            return Ok(());
        }
    }
}
