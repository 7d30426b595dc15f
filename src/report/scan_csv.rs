//! `scan -f csv`: one row per finding. Cells from input text are guarded against formula
//! injection: a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, except
//! E.164 numbers and ranges the tool itself validated.

use super::scan::ScanReport;
use std::borrow::Cow;
use std::io::{self, Write};

pub fn guard(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { Cow::Owned(format!("'{s}")) } else { Cow::Borrowed(s) }
}

/// A destination: kept as it is when it parsed as E.164, guarded otherwise.
pub fn guard_phone(s: &str, e164: bool) -> String {
    if e164 { s.to_string() } else { guard(s).into_owned() }
}

/// A range or subject the tool built itself (`+371299901xx`) is safe; anything else is guarded.
fn guard_subject(s: &str) -> Cow<'_, str> {
    let tool_made = s.strip_prefix('+').is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit() || b == b'x'));
    if tool_made { Cow::Borrowed(s) } else { guard(s) }
}

pub const HEADER: [&str; 22] = [
    "finding_id",
    "incident_id",
    "severity",
    "detector",
    "subject_kind",
    "subject",
    "country",
    "start",
    "peak",
    "end",
    "messages",
    "destinations",
    "cost",
    "title",
    "signal",
    "threshold",
    "baseline",
    "note",
    "data_first",
    "data_last",
    "fingerprint",
    "incident_fingerprint",
];

/// One row per finding; every row also states the data the scan covered (first and last message).
pub fn write(r: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    let (first, last) = r.summary.coverage.as_ref().map_or(("", ""), |c| (c.first.as_str(), c.last.as_str()));
    let mut out = csv::Writer::from_writer(w);
    out.write_record(HEADER)?;
    for f in &r.findings {
        out.write_record([
            f.id.as_str(),
            f.incident.as_deref().unwrap_or(""),
            f.severity.as_str(),
            f.detector,
            f.subject.kind,
            &guard_subject(&f.subject.value),
            &guard(f.country.as_deref().unwrap_or("")),
            &f.window.start,
            f.window.peak.as_deref().unwrap_or(""),
            &f.window.end,
            &f.messages.to_string(),
            &f.destinations.to_string(),
            &crate::units::number(f.cost.0),
            &guard(&f.title),
            &guard(&f.signal),
            &guard(&f.threshold),
            &guard(&f.baseline),
            &guard(&f.note),
            first,
            last,
            &f.fingerprint,
            f.incident_fingerprint.as_deref().unwrap_or(""),
        ])?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard("plain"), "plain");
        assert_eq!(guard_phone("+37120012345", true), "+37120012345");
        assert_eq!(guard_phone("+1=1", false), "'+1=1");
        assert_eq!(guard_subject("+371299901xx"), "+371299901xx");
        assert_eq!(guard_subject("-cmd"), "'-cmd");
    }
}
