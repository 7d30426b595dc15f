//! `--timings`: where a run's time goes, by stage, printed on stderr at the end.
//!
//! Stages nest (reading happens inside parsing; phone lookups inside normalising), so each is
//! recorded inclusive and reported exclusive. Off by default: each timed span costs two clock
//! reads (about 40 ns), a few percent of a run when on.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// Disk, gunzip and the input's sha256.
    Read = 0,
    /// CSV / JSON records into drafts, on the parsing threads (inclusive of timestamps, not of
    /// reading: see [`time_parse`]).
    Parse,
    /// Timestamp fields.
    Timestamps,
    /// Drafts into rows, on the main thread while the reader thread parses: destinations,
    /// interning, folding by id (inclusive of phone).
    Normalise,
    /// Phone intelligence: calling code, country, number type.
    Phone,
    /// Detector rows, detectors and incidents.
    Detect,
    /// Formatting and writing the report and evidence.
    Report,
    /// The reader thread waiting for the store to take a batch (it is ahead).
    Wait,
    /// The main thread waiting for the parser threads' next block (they are behind).
    Starved,
}

const N: usize = 9;
static ON: AtomicBool = AtomicBool::new(false);
static NANOS: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];
static MARKS: std::sync::Mutex<Vec<(&'static str, u64, u64)>> = std::sync::Mutex::new(Vec::new());
/// Named parts of the detect stage (each detector, incidents, rules), in seconds, in first-seen order.
static PARTS: std::sync::Mutex<Vec<(&'static str, f64)>> = std::sync::Mutex::new(Vec::new());

/// Resident and peak resident memory (KiB) of this process, from /proc (Linux; zeros elsewhere).
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Note the memory in use at a point of the run (`after load`, `after detect`).
pub fn mark_memory(point: &'static str) {
    if enabled() {
        let (rss, peak) = memory_kib();
        if let Ok(mut m) = MARKS.lock() {
            m.push((point, rss, peak));
        }
    }
}

pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

#[inline]
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

pub fn add(stage: Stage, d: Duration) {
    NANOS[stage as usize].fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
}

/// Run `f`, counting its time to `stage` when timings are on.
#[inline]
pub fn time<T>(stage: Stage, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let t = Instant::now();
    let r = f();
    add(stage, t.elapsed());
    r
}

/// Run `f`, a named part of detection (a detector, incidents, rules), counting its wall time
/// under that name when timings are on (printed below the detect stage; parts on other
/// threads overlap).
pub fn part<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let t = Instant::now();
    let r = f();
    let s = t.elapsed().as_secs_f64();
    if let Ok(mut parts) = PARTS.lock() {
        match parts.iter_mut().find(|p| p.0 == name) {
            Some(p) => p.1 += s,
            None => parts.push((name, s)),
        }
    }
    r
}

/// Run `f`, a parser that reads its input (and hands records on) as it goes, counting its time
/// to [`Stage::Parse`] less what it spent reading and handing on ([`Stage::Read`],
/// [`Stage::Wait`]), which those stages count. Only where no other thread reads meanwhile (the
/// block reader reads on threads of its own, and its parsers count [`Stage::Parse`] alone).
pub fn time_parse<T>(f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let nested = || NANOS[Stage::Read as usize].load(Ordering::Relaxed) + NANOS[Stage::Wait as usize].load(Ordering::Relaxed);
    let (t, before) = (Instant::now(), nested());
    let r = f();
    let spent = t.elapsed().as_nanos() as u64;
    NANOS[Stage::Parse as usize].fetch_add(spent.saturating_sub(nested() - before), Ordering::Relaxed);
    r
}

fn secs(stage: Stage) -> f64 {
    NANOS[stage as usize].load(Ordering::Relaxed) as f64 / 1e9
}

/// The exclusive seconds per stage. Reading and parsing run on their own thread beside
/// normalising, so the stages can add up to more than the wall time; `other` is whatever of the
/// wall time the main thread spent outside them (waiting for the reader, conversions, setup).
pub fn breakdown(wall: Duration) -> Vec<(&'static str, f64)> {
    let read = secs(Stage::Read);
    let ts = secs(Stage::Timestamps);
    let phone = secs(Stage::Phone);
    let normalise = secs(Stage::Normalise);
    // Phone lookups run inside normalising, while loading and when the store is finished.
    let normalise_excl = (normalise - phone).max(0.0);
    let wait = secs(Stage::Wait);
    let parse = (secs(Stage::Parse) - ts).max(0.0);
    let starved = secs(Stage::Starved);
    let detect = secs(Stage::Detect);
    let report = secs(Stage::Report);
    // Main-thread time: normalising (phone included), detecting, reporting, waiting for blocks.
    let main = normalise + detect + report + starved;
    vec![
        ("read (disk, gunzip, sha256)", read),
        ("parse (records, fields)", parse),
        ("timestamps", ts),
        ("normalise (destinations, interning, folding)", normalise_excl),
        ("phone intelligence", phone),
        ("detect (detectors, incidents)", detect),
        ("report (outputs, evidence)", report),
        ("reader thread idle, waiting for the store", wait),
        ("main thread idle, waiting for parsed blocks", starved),
        ("other (main thread)", (wall.as_secs_f64() - main).max(0.0)),
    ]
}

/// Print the breakdown on stderr.
pub fn print(wall: Duration) {
    let total = wall.as_secs_f64().max(1e-9);
    eprintln!("pumphound: timings (wall {total:.3} s; read and parse run on a second thread, so shares can add up to more than 100 %)");
    for (name, s) in breakdown(wall) {
        eprintln!("  {name:<46} {s:>9.3} s {:>6.1} %", 100.0 * s / total);
        if name.starts_with("detect")
            && let Ok(parts) = PARTS.lock()
        {
            for (part, s) in parts.iter() {
                eprintln!("    {part:<44} {s:>9.3} s {:>6.1} %", 100.0 * s / total);
            }
        }
    }
    if let Ok(marks) = MARKS.lock() {
        for (point, rss, peak) in marks.iter() {
            eprintln!("  memory {point:<39} {:>7} MiB resident, {:>7} MiB peak", rss / 1024, peak / 1024);
        }
    }
}
