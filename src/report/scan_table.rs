//! `scan -f table`: summary, incidents, findings. Severity is the only coloured cell, and only
//! when colour is on; every cell that came from input is stripped of control characters.

use super::scan::ScanReport;
use super::text::{clean, money, table};
use crate::detect::Severity;
use comfy_table::{Cell, Color};
use std::io::{self, Write};

fn sev_cell(s: Severity, color: bool) -> Cell {
    let c = Cell::new(s.as_str());
    if !color {
        return c;
    }
    c.fg(match s {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Grey,
    })
}

fn short(ts: &str) -> String {
    // 2024-03-05T02:00:00.000Z → 2024-03-05 02:00Z
    if ts.len() >= 16 { format!("{} {}Z", &ts[..10], &ts[11..16]) } else { ts.to_string() }
}

pub fn write(r: &ScanReport, w: &mut dyn Write, tty: bool, color: bool) -> io::Result<()> {
    let s = &r.summary;
    let cur = s.currency.as_deref().unwrap_or("");
    writeln!(w, "Summary")?;
    writeln!(
        w,
        "  messages    {} scanned of {} loaded ({} without a timestamp left out)",
        s.messages_scanned, s.messages_loaded, s.messages_without_timestamp
    )?;
    let sev: Vec<String> = s.by_severity.iter().rev().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect();
    writeln!(w, "  findings    {}{}", s.findings, if sev.is_empty() { String::new() } else { format!(" ({})", sev.join(", ")) })?;
    writeln!(w, "  incidents   {}", s.incidents)?;
    if s.suppressed > 0 {
        writeln!(w, "  suppressed  {} finding(s) by --allow", s.suppressed)?;
    }
    writeln!(
        w,
        "  fraud cost  {} {cur} confirmed + {} {cur} probable, of {} {cur} spend",
        money(s.fraud_cost_confirmed),
        money(s.fraud_cost_probable),
        money(s.spend)
    )?;
    if s.messages_other_currency > 0 {
        writeln!(w, "  note        {} messages priced in other currencies are not in the cost figures", s.messages_other_currency)?;
    }
    if !r.incidents.is_empty() {
        let mut t = table(
            &["incident", "severity", "countries", "ranges", "start", "peak", "end", "messages", "confirmed", "probable", "detectors"],
            tty,
        );
        for i in &r.incidents {
            if color {
                t.enforce_styling();
            }
            t.add_row(vec![
                Cell::new(&i.id),
                sev_cell(i.severity, color),
                Cell::new(i.countries.join(" ")),
                Cell::new(i.ranges.join("\n")),
                Cell::new(short(&i.window.start)),
                Cell::new(i.window.peak.as_deref().map(short).unwrap_or_default()),
                Cell::new(short(&i.window.end)),
                Cell::new(i.messages),
                Cell::new(money(i.fraud_cost_confirmed)),
                Cell::new(money(i.fraud_cost_probable)),
                Cell::new(i.detectors.join("\n")),
            ]);
        }
        writeln!(w, "\nIncidents\n{t}")?;
    }
    if !r.findings.is_empty() {
        let mut t = table(
            &["finding", "incident", "severity", "detector", "subject", "start", "end", "messages", "destinations", "cost", "what"],
            tty,
        );
        if color {
            t.enforce_styling();
        }
        for f in &r.findings {
            t.add_row(vec![
                Cell::new(&f.id),
                Cell::new(f.incident.as_deref().unwrap_or("-")),
                sev_cell(f.severity, color),
                Cell::new(f.detector),
                Cell::new(clean(&f.subject.value)),
                Cell::new(short(&f.window.start)),
                Cell::new(short(&f.window.end)),
                Cell::new(f.messages),
                Cell::new(f.destinations),
                Cell::new(money(f.cost)),
                Cell::new(clean(&f.title)),
            ]);
        }
        writeln!(w, "\nFindings\n{t}")?;
    } else {
        writeln!(w, "\nNo findings at or above {}.", r.parameters.min_severity.as_str())?;
    }
    if !r.suppressed.is_empty() {
        let mut t = table(&["detector", "subject", "messages", "suppressed because", "what"], tty);
        for x in &r.suppressed {
            t.add_row(vec![x.detector.to_string(), clean(&x.subject), x.messages.to_string(), x.reason.clone(), clean(&x.title)]);
        }
        writeln!(w, "\nSuppressed by --allow\n{t}")?;
    }
    Ok(())
}
