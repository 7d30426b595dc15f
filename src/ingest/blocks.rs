//! Parallel parsing of record-per-line inputs (Console CSV): one thread reads the input in
//! blocks of a few MiB (hashing it as it goes) and cuts each just after a newline; parser threads
//! turn blocks into [`Chunk`]s at the same time; this thread merges the chunks into the store in
//! input order, so the result is exactly that of reading on one thread.
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
use super::stats::Emitter;
use crate::error::Error;
use crate::timings::{self, Stage};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

/// Bytes per block: large enough that per-block costs vanish, small enough that a few in
/// flight per thread stay a few tens of MiB.
const BLOCK: usize = 4 << 20;

/// Parses a block that starts at a record start.
pub trait BlockParser: Sync {
    /// The records of `block` (starting at `at`; `eof`: it ends the input) into `chunk` (empty),
    /// and where the last, cut-off record starts when the block ends inside one.
    fn parse(&self, block: &[u8], at: Pos, eof: bool, chunk: &mut Chunk) -> Option<(usize, Pos)>;
}

struct Job {
    seq: u64,
    block: Vec<u8>,
    at: Pos,
    eof: bool,
}

struct Done {
    job: Job,
    chunk: Chunk,
    tail: Option<(usize, Pos)>,
}

/// Read the rest of the input (`head` already read, starting at `at`) and merge its records.
pub fn run(p: &impl BlockParser, head: Vec<u8>, at: Pos, reader: &mut (dyn Read + Send), em: &mut Emitter) -> Result<(), Error> {
    run_sized(p, head, at, reader, em, BLOCK)
}

/// [`run`] with blocks of about `block` bytes (tests cut small blocks, to cut records often).
pub fn run_sized(
    p: &impl BlockParser,
    head: Vec<u8>,
    at: Pos,
    reader: &mut (dyn Read + Send),
    em: &mut Emitter,
    block: usize,
) -> Result<(), Error> {
    let block = block.max(1);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let (job_tx, job_rx) = sync_channel::<Job>(threads * 2);
    let (done_tx, done_rx) = sync_channel::<Done>(threads * 2);
    let (back_tx, back_rx) = sync_channel::<Vec<u8>>(threads * 4);
    let (chunks_tx, chunks_rx) = sync_channel::<Chunk>(threads * 4);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let chunks_rx = Mutex::new(chunks_rx);
    let path = em.stats.path.clone();
    std::thread::scope(|s| {
        let reader_thread = s.spawn(move || split(reader, head, at, &job_tx, &back_rx, &path, block));
        let mut workers = Vec::new();
        for _ in 0..threads {
            let (rx, tx, chunks) = (Arc::clone(&job_rx), done_tx.clone(), &chunks_rx);
            workers.push(s.spawn(move || work(p, &rx, &tx, chunks)));
        }
        drop(done_tx);
        let merged = merge(p, &done_rx, &back_tx, &chunks_tx, em);
        // On an error the receivers go, so the other threads stop at their next send.
        drop(done_rx);
        drop(back_tx);
        drop(chunks_tx);
        for w in workers {
            w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        let read = reader_thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        merged.and(read)
    })
}

/// The reading thread: blocks cut after a newline, in order.
fn split(
    reader: &mut (dyn Read + Send),
    mut carry: Vec<u8>,
    mut at: Pos,
    jobs: &SyncSender<Job>,
    back: &Receiver<Vec<u8>>,
    path: &str,
    size: usize,
) -> Result<(), Error> {
    let mut seq = 0;
    loop {
        let mut block = back.try_recv().unwrap_or_else(|_| Vec::with_capacity(size + size / 4));
        block.clear();
        block.append(&mut carry);
        let mut eof = false;
        // Read until a cut is found past `size` bytes (or the input ends).
        let cut = loop {
            if block.len() >= size
                && let Some(c) = csv_split::cut(&block)
            {
                break Some(c);
            }
            let want = (size - block.len() % size) as u64;
            // (Reading is timed by the input's own reader.)
            let n = Read::take(&mut *reader, want)
                .read_to_end(&mut block)
                .map_err(|e| Error::Io { path: path.to_string(), what: crate::error::describe_io(&e) })?;
            if n == 0 {
                eof = true;
                break None;
            }
        };
        let next_at = cut.map(|c| {
            carry.extend_from_slice(&block[c.0..]);
            block.truncate(c.0);
            csv_split::pos_after(&block, at, c)
        });
        if (!block.is_empty() || eof) && jobs.send(Job { seq, block, at, eof }).is_err() {
            return Ok(());
        }
        seq += 1;
        match next_at {
            Some(n) => at = n,
            None => return Ok(()),
        }
    }
}

/// A parser thread.
fn work(p: &impl BlockParser, jobs: &Mutex<Receiver<Job>>, done: &SyncSender<Done>, chunks: &Mutex<Receiver<Chunk>>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => match rx.recv() {
                Ok(j) => j,
                Err(_) => return,
            },
            Err(_) => return,
        };
        let mut chunk = chunks.lock().ok().and_then(|rx| rx.try_recv().ok()).unwrap_or_default();
        let tail = timings::time(Stage::Parse, || p.parse(&job.block, job.at, job.eof, &mut chunk));
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
    em: &mut Emitter,
) -> Result<(), Error> {
    let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
    let mut next = 0u64;
    // A record cut off at the end of the previous block: its bytes and position.
    let mut cut_off: Option<(Vec<u8>, Pos)> = None;
    loop {
        let d = match waiting.remove(&next) {
            Some(d) => d,
            None => match timings::time(Stage::Wait, || done.recv()) {
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
            None => (chunk, tail.map(|(off, pos)| (job.block[off..].to_vec(), pos)), job.block),
            Some((mut bytes, pos)) => {
                // This block's own parse began inside the cut record: parse the two together.
                bytes.extend_from_slice(&job.block);
                let mut chunk = chunk;
                chunk.clear();
                let tail = timings::time(Stage::Parse, || p.parse(&bytes, pos, job.eof, &mut chunk));
                (chunk, tail.map(|(off, pos)| (bytes[off..].to_vec(), pos)), job.block)
            }
        };
        let _ = back.try_send(block);
        timings::time(Stage::Normalise, || chunk.merge(em))?;
        chunk.clear();
        let _ = chunks.try_send(chunk);
        cut_off = tail;
        if job.eof {
            return Ok(());
        }
    }
}
