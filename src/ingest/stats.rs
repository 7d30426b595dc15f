//! Per-input accounting: rows read = rows used + rows skipped (by reason). The [`Emitter`] is
//! the one place a parsed record becomes a row or a counted skip.

use super::format::InputFormat;
use super::record::{Parsed, Skip};
use crate::error::Error;
use crate::phone::{Destination, clean_destination};
use crate::store::Store;
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
        let dest = clean_destination(&draft.destination, true);
        if let Destination::OtherChannel(scheme) = &dest {
            return self.skip(loc, Skip::field("destination", "is not an SMS address").with_value(scheme));
        }
        self.stats.rows_used += 1;
        self.store.add(draft, dest, self.format, self.file, self.opts.default_currency.as_deref());
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
