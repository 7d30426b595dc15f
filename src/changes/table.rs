//! `diff -f table`, and the "since the previous report" part of `scan --previous`: two lines an
//! item, under 80 columns but for long subjects.

use super::{Change, Changes};
use std::io::{self, Write};

fn growth(c: &Change, currency: &str) -> String {
    match (c.messages_growth, c.cost_growth) {
        (Some(m), Some(k)) => format!("{m:+} messages, {}{} since", if k.0 >= 0.0 { "+" } else { "" }, crate::units::money(k.0, currency)),
        _ => String::new(),
    }
}

fn item(w: &mut dyn Write, c: &Change, currency: &str) -> io::Result<()> {
    let id = c.new_id.as_deref().or(c.old_id.as_deref()).unwrap_or("");
    let severity = match c.previous_severity {
        Some(p) if p != c.severity => format!("{} -> {}", p.as_str(), c.severity.as_str()),
        _ => c.severity.as_str().to_string(),
    };
    writeln!(w, "{:<9}  {id:<4}  {severity}  {} messages  {}", c.status.as_str(), c.messages, crate::units::money(c.cost.0, currency))?;
    let more = growth(c, currency);
    writeln!(w, "           {}  {}{}", c.fingerprint, c.what, if more.is_empty() { String::new() } else { format!("; {more}") })
}

pub fn write(c: &Changes, currency: &str, w: &mut dyn Write) -> io::Result<()> {
    let span = |p: &super::Period| match (&p.first, &p.last) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no data".into(),
    };
    writeln!(w, "Changes")?;
    writeln!(w, "  older       {}", c.older.report)?;
    writeln!(w, "              {}", span(&c.older))?;
    writeln!(w, "  newer       {}", c.newer.report)?;
    writeln!(w, "              {}", span(&c.newer))?;
    writeln!(w, "  incidents   {}", c.incidents_by_status.text())?;
    writeln!(w, "  findings    {}", c.findings_by_status.text())?;
    for (title, list) in [("Incidents", &c.incidents), ("Findings", &c.findings)] {
        if list.is_empty() {
            continue;
        }
        writeln!(w, "\n{title} since the older report")?;
        for x in list {
            item(w, x, currency)?;
        }
    }
    Ok(())
}
