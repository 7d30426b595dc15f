//! `--evidence FILE`: one CSV row per message attributed to a finding at or above
//! `--min-severity`, with the provider's own message id: what a responder sends the provider to
//! dispute charges. A message behind several findings is written once, for its most severe one.

use crate::detect::Finding;
use crate::detect::incidents::Incident;
use crate::hash::Map;
use crate::store::Store;
use crate::timeparse::format_ms;
use std::io::{self, Write};

pub const HEADER: [&str; 12] = [
    "message_id",
    "incident_id",
    "finding_id",
    "detector",
    "severity",
    "ts",
    "destination",
    "country",
    "cost",
    "currency",
    "incident_fingerprint",
    "finding_fingerprint",
];

/// A destination with its last four digits masked (`+447400123456` → `+44740012xxxx`); text
/// that is not a number is masked the same way, character by character.
pub fn redact(dest: &str) -> String {
    let chars: Vec<char> = dest.chars().collect();
    let keep = chars.len().saturating_sub(4);
    chars.iter().take(keep).chain(std::iter::repeat_n(&'x', chars.len() - keep)).collect()
}

/// `findings` must be in report order (most severe first) and already filtered by severity.
pub fn write(store: &Store, findings: &[&Finding], incidents: &[Incident], redacted: bool, w: &mut dyn Write) -> io::Result<()> {
    let mut incident_of: Map<u32, (&str, &str)> = Map::default();
    for i in incidents {
        for &r in &i.rows {
            incident_of.insert(r, (&i.id, &i.fingerprint));
        }
    }
    let mut seen: Map<u32, ()> = Map::default();
    let mut rows: Vec<(u32, &Finding)> = Vec::new();
    for f in findings {
        for &r in &f.rows {
            if seen.insert(r, ()).is_none() {
                rows.push((r, f));
            }
        }
    }
    rows.sort_by_key(|(r, f)| (store.rows[*r as usize].ts_opt(), f.id.clone(), *r));
    let mut out = csv::Writer::from_writer(w);
    out.write_record(HEADER)?;
    for (r, f) in rows {
        let m = &store.rows[r as usize];
        out.write_record([
            super::scan_csv::guard(&store.message_id(m).unwrap_or_default()).as_ref(),
            incident_of.get(&r).map_or("", |i| i.0),
            &f.id,
            f.detector,
            f.severity.as_str(),
            &m.ts_opt().map(format_ms).unwrap_or_default(),
            &if redacted {
                super::scan_csv::guard_phone(&redact(&store.destination(m)), m.is_e164())
            } else {
                super::scan_csv::guard_phone(&store.destination(m), m.is_e164())
            },
            m.country_opt().unwrap_or(""),
            &store.raw_cost(m).map(|c| format!("{c}")).unwrap_or_default(),
            store.str(store.attrs(m).currency).unwrap_or(""),
            incident_of.get(&r).map_or("", |i| i.1),
            &f.fingerprint,
        ])?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    #[test]
    fn redaction_keeps_the_range() {
        assert_eq!(super::redact("+447400123456"), "+44740012xxxx");
        assert_eq!(super::redact("+12"), "xxx");
    }
}
