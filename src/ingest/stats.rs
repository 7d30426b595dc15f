//! Per-input accounting: rows read = rows used + rows skipped (by reason). The [`Emitter`] is
//! the one place a parsed record becomes a row or a counted skip.

use super::format::InputFormat;
use super::record::{Parsed, Skip};
use crate::error::Error;
use crate::phone::{Destination, clean_destination};
use crate::store::Store;
use crate::timings::Stage;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct SkipStat {
    pub count: u64,
    /// Where the first such record was (`line 12`, `record 3`).
    pub first: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputStats {
    pub path: String,
    pub format: Option<InputFormat>,
    /// Envelope the records came in (FilterLogEvents, SNS Notification ...), if any.
    pub container: Option<String>,
    pub gzip: bool,
    /// SHA-256 of the input's bytes as read (compressed bytes for gzip); none when the input
    /// was not read to its end (not recognised).
    pub sha256: Option<String>,
    /// Set when a file found by walking a directory is not in any known format.
    pub unrecognised: Option<String>,
    pub rows_read: u64,
    pub rows_used: u64,
    pub skipped: BTreeMap<String, SkipStat>,
}

impl InputStats {
    pub fn new(path: String) -> InputStats {
        InputStats {
            path,
            format: None,
            container: None,
            gzip: false,
            sha256: None,
            unrecognised: None,
            rows_read: 0,
            rows_used: 0,
            skipped: BTreeMap::new(),
        }
    }

    pub fn rows_skipped(&self) -> u64 {
        self.skipped.values().map(|s| s.count).sum()
    }
}

/// Where a record is in its input, for skip and error messages.
#[derive(Debug, Clone, Copy)]
pub enum Loc {
    Line(u64),
    Record(u64),
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Loc::Line(n) => write!(f, "{n}"),
            Loc::Record(n) => write!(f, "record {n}"),
        }
    }
}

/// Options that shape how records become rows.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    pub strict: bool,
    /// Currency for prices that come without one (BulkExport writes no price_unit).
    pub default_currency: Option<String>,
    /// Leave body templates out (no output of the run shows them; a template a row is a tenth
    /// of a Console export's parse).
    pub skip_templates: bool,
}

pub struct Emitter<'a> {
    pub format: InputFormat,
    pub file: u32,
    pub stats: &'a mut InputStats,
    pub store: &'a mut Store,
    pub opts: &'a IngestOptions,
}

impl Emitter<'_> {
    /// Count one record read and turn it into a row or a skip.
    pub fn push(&mut self, loc: Loc, parsed: Parsed) -> Result<(), Error> {
        self.stats.rows_read += 1;
        let draft = match parsed {
            Ok(d) => d,
            Err(skip) => return self.skip(loc, skip),
        };
        if draft.destination.trim().is_empty() {
            return self.skip(loc, Skip::missing("destination"));
        }
        let mut draft = draft;
        if self.opts.skip_templates {
            draft.body = None;
            if let Some(p) = draft.prepared.as_mut() {
                p.template = None;
            }
        }
        let dest = match draft.prepared.as_mut() {
            Some(p) => std::mem::replace(&mut p.destination, Destination::Unreadable(String::new())),
            None => clean_destination(&draft.destination, true),
        };
        if let Destination::OtherChannel(scheme) = &dest {
            return self.skip(loc, Skip::field("destination", "is not an SMS address").with_value(scheme));
        }
        self.stats.rows_used += 1;
        let (store, format, file, cur) = (&mut *self.store, self.format, self.file, self.opts.default_currency.as_deref());
        crate::timings::time(Stage::Normalise, || store.add(draft, dest, format, file, cur));
        Ok(())
    }

    /// Count a record that was read but cannot be used.
    pub fn skip(&mut self, loc: Loc, skip: Skip) -> Result<(), Error> {
        if self.opts.strict {
            return Err(Error::Parse {
                format: self.format.name().to_string(),
                path: self.stats.path.clone(),
                location: loc.to_string(),
                what: format!("{} (--strict)", skip.message()),
            });
        }
        let reason = skip.reason();
        let first = match loc {
            Loc::Line(n) => format!("line {n}"),
            Loc::Record(n) => format!("record {n}"),
        };
        self.stats.skipped.entry(reason).or_insert(SkipStat { count: 0, first }).count += 1;
        Ok(())
    }

    /// Count a record read that was not parsed at all (malformed line) with the skip.
    pub fn malformed(&mut self, loc: Loc, skip: Skip) -> Result<(), Error> {
        self.stats.rows_read += 1;
        self.skip(loc, skip)
    }
}

/// Where parsed records go: straight into the store ([`Emitter`]) or, from the reader thread,
/// down a channel to it ([`Piped`]).
pub trait Out {
    fn format(&self) -> InputFormat;
    fn path(&self) -> &str;
    fn push(&mut self, loc: Loc, parsed: Parsed) -> Result<(), Error>;
    fn malformed(&mut self, loc: Loc, skip: Skip) -> Result<(), Error>;
    /// Note the envelope records came in (the first one named is kept).
    fn container(&mut self, name: &str);
}

impl Out for Emitter<'_> {
    fn format(&self) -> InputFormat {
        self.format
    }
    fn path(&self) -> &str {
        &self.stats.path
    }
    fn push(&mut self, loc: Loc, parsed: Parsed) -> Result<(), Error> {
        Emitter::push(self, loc, parsed)
    }
    fn malformed(&mut self, loc: Loc, skip: Skip) -> Result<(), Error> {
        Emitter::malformed(self, loc, skip)
    }
    fn container(&mut self, name: &str) {
        if self.stats.container.is_none() {
            self.stats.container = Some(name.to_string());
        }
    }
}

// Nearly every item is a Push: boxing the draft would add an allocation per row.
#[allow(clippy::large_enum_variant)]
pub enum Item {
    Push(Loc, Parsed),
    Malformed(Loc, Skip),
    Container(String),
}

const BATCH: usize = 1024;

/// The reader thread's end of [`pipeline`]: records go in batches, in order, to the thread that
/// owns the store.
pub struct Piped {
    format: InputFormat,
    path: String,
    batch: Vec<Item>,
    tx: std::sync::mpsc::SyncSender<Vec<Item>>,
    /// Emptied batches coming back, so their memory is reused rather than freed and faulted in
    /// again (page clearing had been a quarter of the run).
    back: std::sync::mpsc::Receiver<Vec<Item>>,
}

impl Piped {
    fn send(&mut self, item: Item) -> Result<(), Error> {
        self.batch.push(item);
        if self.batch.len() >= BATCH { self.flush() } else { Ok(()) }
    }

    fn flush(&mut self) -> Result<(), Error> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let empty = self.back.try_recv().unwrap_or_else(|_| Vec::with_capacity(BATCH));
        let batch = std::mem::replace(&mut self.batch, empty);
        // The receiver only goes away when it has failed; its error is the one reported.
        crate::timings::time(Stage::Wait, || self.tx.send(batch)).map_err(|_| Error::Other("stopped".into()))
    }
}

impl Out for Piped {
    fn format(&self) -> InputFormat {
        self.format
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn push(&mut self, loc: Loc, mut parsed: Parsed) -> Result<(), Error> {
        if let Ok(d) = &mut parsed {
            d.prepare();
        }
        self.send(Item::Push(loc, parsed))
    }
    fn malformed(&mut self, loc: Loc, skip: Skip) -> Result<(), Error> {
        self.send(Item::Malformed(loc, skip))
    }
    fn container(&mut self, name: &str) {
        // Only the first name counts; sending it once per record would be wasted work.
        if self.batch.is_empty() || !matches!(self.batch.last(), Some(Item::Container(_))) {
            self.batch.push(Item::Container(name.to_string()));
        }
    }
}

/// Parse on a second thread while this one normalises into the store: `produce` reads the
/// input and hands records to a [`Piped`]; they reach `em` in the order they were read, so the
/// result is the same as reading on one thread.
/// Hand one item to the store, as [`pipeline`] does.
pub fn consume(em: &mut Emitter, item: Item) -> Result<(), Error> {
    match item {
        Item::Push(loc, parsed) => em.push(loc, parsed),
        Item::Malformed(loc, skip) => em.malformed(loc, skip),
        Item::Container(name) => {
            Out::container(em, &name);
            Ok(())
        }
    }
}

pub fn pipeline<F>(em: &mut Emitter, produce: F) -> Result<(), Error>
where
    F: FnOnce(&mut Piped) -> Result<(), Error> + Send,
{
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Item>>(16);
    let (back_tx, back) = std::sync::mpsc::channel::<Vec<Item>>();
    let mut piped = Piped { format: em.format, path: em.stats.path.clone(), batch: Vec::with_capacity(BATCH), tx, back };
    std::thread::scope(|s| {
        let producer = s.spawn(move || {
            let r = crate::timings::time_parse(|| produce(&mut piped));
            r.and(piped.flush())
        });
        let mut consumed = Ok(());
        'recv: for mut batch in rx.iter() {
            for item in batch.drain(..) {
                consumed = consume(em, item);
                if consumed.is_err() {
                    break 'recv;
                }
            }
            let _ = back_tx.send(batch);
        }
        drop(rx);
        let produced = producer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        consumed.and(produced)
    })
}
