//! The JSON driver. Line mode (NDJSON: one record, page or wrapper per line; a bad line is a
//! counted skip) when the first line is a complete JSON value; document mode otherwise (one or
//! several concatenated documents; a syntax error stops the input with its line and column).
//! Envelopes are removed here, once for all formats: bare arrays, list pages (`messages`,
//! `attempts`, `usage_records`, `days`, `types`), CloudWatch Logs `events` / `logEvents` whose
//! `message` is the record as a string, SNS Notifications and EventBridge `detail`.

use super::format::InputFormat;
use super::formats::*;
use super::json_value::{Json, is_wrapped, with_tape};
use super::record::{Parsed, Skip};
use super::stats::{Loc, Out};
use crate::error::Error;
use serde_json::Value;
use std::io::{BufRead, Read};

const LIST_KEYS: [&str; 5] = ["messages", "attempts", "usage_records", "days", "types"];
const MAX_DEPTH: u8 = 6;

/// `v`'s records in `format`, each handed to `emit` (no list built for the one record most
/// formats make of a value: at 10M SNS lines a list a line had been an allocation and a copy of
/// each draft).
pub(crate) fn dispatch<'a, J: Json<'a>>(format: InputFormat, v: J, mut emit: impl FnMut(Parsed)) {
    match format {
        InputFormat::TwilioMessagesJson | InputFormat::TwilioBulkexport => emit(twilio_message::parse(v)),
        InputFormat::TwilioVerifyAttempts => emit(twilio_verify_attempts::parse(v)),
        InputFormat::TwilioVerifyVerifications => twilio_verify_verifications::parse(v).into_iter().for_each(emit),
        InputFormat::TwilioEventStreams => twilio_event_streams::parse(v).into_iter().for_each(emit),
        InputFormat::TwilioUsageRecords => emit(metadata::usage_record(v)),
        InputFormat::TwilioMetadata => emit(metadata::listing(v)),
        InputFormat::SnsDeliveryLogs => emit(sns_delivery_logs::parse(v)),
        InputFormat::EumEvents => emit(eum_events::parse(v)),
        InputFormat::PinpointEvents => emit(pinpoint_events::parse(v)),
        InputFormat::TwilioConsoleCsv | InputFormat::SnsUsageReport | InputFormat::GenericCsv => {
            emit(Err(Skip::new("JSON record in a CSV format")))
        }
    }
}

/// [`dispatch`]'s records as a list.
#[cfg(test)]
pub(crate) fn dispatched<'a, J: Json<'a>>(format: InputFormat, v: J) -> Vec<Parsed> {
    let mut out = Vec::new();
    dispatch(format, v, |p| out.push(p));
    out
}

pub(crate) struct Walker<'e, O: Out> {
    em: &'e mut O,
    records: u64,
    /// Line of the current NDJSON line (line mode), else none.
    line: Option<u64>,
}

impl<'e, O: Out> Walker<'e, O> {
    /// A walker of NDJSON lines (each record's location is its line).
    pub(crate) fn lines(em: &'e mut O) -> Self {
        Walker { em, records: 0, line: None }
    }

    /// Walk the JSON value of line `line` (records, pages or envelopes), or count it as a
    /// malformed line.
    /// A plain record is read on a tape ([`with_tape`]); a line holding an envelope or a list
    /// page, or one simd-json does not read (serde_json is the judge of what is JSON, as for
    /// documents), is read as a `Value` and walked, which takes envelopes apart.
    pub(crate) fn line(&mut self, line: u64, bytes: &[u8]) -> Result<(), Error> {
        self.line = Some(line);
        if let Some(done) = with_tape(bytes, |v| v.filter(|v| !is_wrapped(*v)).map(|v| self.records(v))) {
            return done;
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => self.walk(v, 0),
            Err(_) => self.em.malformed(Loc::Line(line), Skip::new("malformed JSON line")),
        }
    }

    /// The records of one value with its envelopes removed.
    fn records<'a, J: Json<'a>>(&mut self, v: J) -> Result<(), Error> {
        let mut done = Ok(());
        dispatch(self.em.format(), v, |parsed| {
            if done.is_ok() {
                self.records += 1;
                let loc = self.loc();
                done = self.em.push(loc, parsed);
            }
        });
        done
    }

    fn loc(&self) -> Loc {
        match self.line {
            Some(l) => Loc::Line(l),
            None => Loc::Record(self.records),
        }
    }

    fn note_container(&mut self, name: &str) {
        self.em.container(name);
    }

    fn embedded(&mut self, s: &str, what: &str, depth: u8) -> Result<(), Error> {
        match serde_json::from_str::<Value>(s) {
            Ok(inner) => self.walk(inner, depth + 1),
            Err(_) => {
                self.records += 1;
                let loc = self.loc();
                self.em.malformed(loc, Skip::new(format!("{what} is not JSON")))
            }
        }
    }

    fn walk(&mut self, v: Value, depth: u8) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            self.records += 1;
            let loc = self.loc();
            return self.em.malformed(loc, Skip::new("envelopes nested too deep"));
        }
        let mut v = match v {
            Value::Array(items) => {
                if depth == 0 {
                    self.note_container("array");
                }
                for item in items {
                    self.walk(item, depth + 1)?;
                }
                return Ok(());
            }
            other => other,
        };
        if let Some(obj) = v.as_object_mut() {
            for key in LIST_KEYS {
                if matches!(obj.get(key), Some(Value::Array(_))) {
                    self.note_container(&format!("list page ({key})"));
                    if let Some(Value::Array(items)) = obj.remove(key) {
                        for item in items {
                            self.walk(item, depth + 1)?;
                        }
                    }
                    return Ok(());
                }
            }
            for (key, name) in [("events", "CloudWatch Logs FilterLogEvents"), ("logEvents", "CloudWatch Logs subscription")] {
                if let Some(Value::Array(events)) = obj.get(key)
                    && events.iter().all(|e| e.get("message").is_some())
                {
                    self.note_container(name);
                    if let Some(Value::Array(events)) = obj.remove(key) {
                        for e in events {
                            match e.get("message") {
                                Some(Value::String(s)) => self.embedded(s, "CloudWatch Logs message", depth)?,
                                Some(inner) => self.walk(inner.clone(), depth + 1)?,
                                None => {}
                            }
                        }
                    }
                    return Ok(());
                }
            }
            if obj.get("Type").and_then(Value::as_str) == Some("Notification")
                && let Some(Value::String(m)) = obj.get("Message")
            {
                self.note_container("SNS Notification");
                let m = m.clone();
                return self.embedded(&m, "SNS Notification Message", depth);
            }
            if obj.contains_key("detail-type")
                && let Some(detail) = obj.remove("detail")
            {
                self.note_container("EventBridge");
                return self.walk(detail, depth + 1);
            }
        }
        self.records(&v)
    }
}

/// Whether the first non-blank line is a complete JSON value on its own.
pub fn is_lines(head: &[u8]) -> bool {
    let h = super::detect::trim_head(head);
    let first = h.split(|&b| b == b'\n').next().unwrap_or(h);
    serde_json::from_slice::<Value>(first).is_ok()
}

/// A JSON line longer than this is skipped (and drained without being kept).
pub const MAX_LINE: u64 = 64 << 20;
/// A JSON document (not JSON lines) larger than this is refused: it would be held whole, and
/// its parsed form takes several times its size. Real exports come as pages or lines.
pub const MAX_DOCUMENT: u64 = 256 << 20;

/// Discard the rest of a line; returns whether anything was left.
fn drain_line(reader: &mut dyn BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

pub fn read<O: Out>(mut reader: Box<dyn BufRead + Send>, head: &[u8], em: &mut O) -> Result<(), Error> {
    let mut w = Walker { em, records: 0, line: None };
    let io_err = |w: &Walker<O>, e: std::io::Error| Error::Io { path: w.em.path().to_string(), what: crate::error::describe_io(&e) };
    if is_lines(head) {
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        loop {
            buf.clear();
            let n = (&mut reader).take(MAX_LINE).read_until(b'\n', &mut buf).map_err(|e| io_err(&w, e))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            if n as u64 == MAX_LINE && buf.last() != Some(&b'\n') {
                drain_line(&mut reader).map_err(|e| io_err(&w, e))?;
                w.em.malformed(Loc::Line(line_no), Skip::new(format!("line longer than {} MiB", MAX_LINE >> 20)))?;
                continue;
            }
            let line = super::detect::trim_head(&buf);
            if line.is_empty() {
                continue;
            }
            w.line(line_no, line)?;
        }
        return Ok(());
    }
    let mut all = Vec::new();
    (&mut reader).take(MAX_DOCUMENT + 1).read_to_end(&mut all).map_err(|e| io_err(&w, e))?;
    if all.len() as u64 > MAX_DOCUMENT {
        return Err(Error::Parse {
            format: w.em.format().name().into(),
            path: w.em.path().to_string(),
            location: "1".into(),
            what: format!("a single JSON document over {} MiB is refused; export pages or one record per line", MAX_DOCUMENT >> 20),
        });
    }
    let body = super::detect::trim_head(&all);
    for item in serde_json::Deserializer::from_slice(body).into_iter::<Value>() {
        match item {
            Ok(v) => w.walk(v, 0)?,
            Err(e) => {
                let what = if e.is_eof() { "JSON ends early (truncated document)".to_string() } else { format!("invalid JSON: {e}") };
                return Err(Error::Parse {
                    format: w.em.format().name().into(),
                    path: w.em.path().to_string(),
                    location: format!("{}:{}", e.line(), e.column()),
                    what,
                });
            }
        }
    }
    Ok(())
}
