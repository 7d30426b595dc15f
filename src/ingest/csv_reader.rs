//! The CSV driver: RFC 4180 reader (quoted newlines, CRLF, BOM), columns by name, ragged rows
//! tolerated (missing cells read as empty), invalid UTF-8 read lossily so a billed message is
//! never lost over one bad byte in its body.

use super::blocks;
use super::csv_split::{Next, Pos, Splitter};
use super::format::InputFormat;
use super::formats::{generic_csv, sns_usage_report, twilio_console_csv};
use super::record::Skip;
use super::stats::{Emitter, Loc, Out};
use crate::error::Error;
use csv::ByteRecord;
use std::io::{BufRead, Read};

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
        let raw = self.rec.get(i?)?;
        // Valid UTF-8 (nearly always) is borrowed and checked at SIMD speed; only a cell with
        // bad bytes pays for the lossy copy.
        let s = match std::str::from_utf8(raw) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(raw),
        };
        let t = s.trim();
        if t.is_empty() { None } else { Some(t.to_string()) }
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

/// A Console export: the header read here, the records by the parallel block reader.
pub fn read_console(mut reader: Box<dyn BufRead + Send>, em: &mut Emitter) -> Result<(), Error> {
    let mut head = Vec::new();
    let io = |e: std::io::Error, path: &str| Error::Io { path: path.to_string(), what: crate::error::describe_io(&e) };
    loop {
        let n = reader.by_ref().take(64 << 10).read_to_end(&mut head).map_err(|e| io(e, &em.stats.path))?;
        let mut s = Splitter::new(&head, Pos::START, n == 0);
        match s.next_record() {
            Next::End => return Ok(()),
            Next::Incomplete { .. } => continue,
            Next::Record(_) => {
                let header = Header::new(&s.record());
                let columns = twilio_console_csv::columns(&header).map_err(|w| header_error(em.format, &em.stats.path, &header, w))?;
                let (rest, at) = (head[s.offset()..].to_vec(), s.pos());
                let parser = twilio_console_csv::Console {
                    columns,
                    default_currency: em.opts.default_currency.clone(),
                    templates: !em.opts.skip_templates,
                    hasher: em.store.ids.hasher(),
                };
                return blocks::run(&parser, rest, at, &mut reader, em);
            }
        }
    }
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
