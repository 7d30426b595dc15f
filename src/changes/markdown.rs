//! `diff -f markdown`: a table of incidents and one of findings, for the ticket.

use super::{Change, Changes};
use crate::report::scan_markdown::esc;
use std::io::{self, Write};

fn rows(w: &mut dyn Write, list: &[Change], currency: &str) -> io::Result<()> {
    writeln!(w, "| Status | Id | Severity | Before | What | Messages | Growth | Cost | Window | Fingerprint |")?;
    writeln!(w, "|---|---|---|---|---|---:|---:|---:|---|---|")?;
    for c in list {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} to {} | `{}` |",
            c.status.as_str(),
            c.new_id.as_deref().or(c.old_id.as_deref()).unwrap_or(""),
            c.severity.as_str(),
            c.previous_severity.map_or("", |s| s.as_str()),
            esc(&c.what),
            c.messages,
            c.messages_growth.map_or(String::new(), |g| format!("{g:+}")),
            crate::units::money(c.cost.0, currency),
            c.start,
            c.end,
            c.fingerprint
        )?;
    }
    Ok(())
}

pub fn write(c: &Changes, currency: &str, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "## Changes since `{}`\n", esc(&c.older.report))?;
    writeln!(w, "- Incidents: {}", c.incidents_by_status.text())?;
    writeln!(w, "- Findings: {}\n", c.findings_by_status.text())?;
    if !c.incidents.is_empty() {
        writeln!(w, "### Incidents\n")?;
        rows(w, &c.incidents, currency)?;
        writeln!(w)?;
    }
    if !c.findings.is_empty() {
        writeln!(w, "### Findings\n")?;
        rows(w, &c.findings, currency)?;
    }
    Ok(())
}
