//! `scan -f table --wide`: summary, incidents and findings as wide tables with every column,
//! as wide as they need (never wrapped, so no cell breaks). Severity is the only coloured cell,
//! and only when colour is on; every cell that came from input is stripped of control characters.

use super::scan::ScanReport;
use super::text::{clean, table};
use crate::detect::Severity;
use crate::units::Zone;
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

pub fn write(r: &ScanReport, w: &mut dyn Write, zone: Zone, color: bool) -> io::Result<()> {
    let s = &r.summary;
    let cur = s.currency.as_deref().unwrap_or("");
    let money = |v: f64| crate::units::money(v, cur);
    let t = |ms: i64| zone.time(ms);
    // Never wrapped: as wide as the cells need.
    let tty = false;
    writeln!(w, "Summary")?;
    if let Some(c) = &s.coverage {
        writeln!(w, "  data        {} to {}", t(c.ms.0), t(c.ms.1))?;
    }
    writeln!(
        w,
        "  messages    {} scanned of {} loaded ({} without a send time left out)",
        s.messages_scanned, s.messages_loaded, s.messages_without_timestamp
    )?;
    writeln!(w, "  incidents   {} ({} shown)", s.incidents_by_severity.total_text(s.incidents), s.incidents_shown)?;
    writeln!(w, "  findings    {} ({} shown)", s.findings_by_severity.total_text(s.findings), s.findings_shown)?;
    if s.suppressed > 0 {
        writeln!(w, "  suppressed  {} finding(s) by --allow", s.suppressed)?;
    }
    writeln!(
        w,
        "  fraud cost  {} confirmed + {} probable, of {} spend",
        money(s.fraud_cost_confirmed.0),
        money(s.fraud_cost_probable.0),
        money(s.spend.0)
    )?;
    if s.messages_other_currency > 0 {
        writeln!(w, "  note        {} messages priced in other currencies are not in the cost figures", s.messages_other_currency)?;
    }
    if !r.incidents.is_empty() {
        let mut tb = table(
            &[
                "incident",
                "severity",
                "countries",
                "ranges",
                "start",
                "peak",
                "end",
                "state",
                "messages",
                "numbers",
                "cost",
                "confirmed",
                "probable",
                "detectors",
                "why",
            ],
            tty,
        );
        for i in &r.incidents {
            if color {
                tb.enforce_styling();
            }
            tb.add_row(vec![
                Cell::new(&i.id),
                sev_cell(i.severity, color),
                Cell::new(clean(&i.countries.join(" "))),
                Cell::new(clean(&i.ranges.join("\n"))),
                Cell::new(t(i.window.ms.0)),
                Cell::new(i.window.ms.1.map(t).unwrap_or_default()),
                Cell::new(t(i.window.ms.2)),
                Cell::new(i.state().join("\n")),
                Cell::new(i.messages),
                Cell::new(i.destinations),
                Cell::new(money(i.cost.0)),
                Cell::new(money(i.fraud_cost_confirmed.0)),
                Cell::new(i.fraud_cost_probable.map(|p| money(p.0)).unwrap_or_else(|| "-".into())),
                Cell::new(i.detectors.join("\n")),
                Cell::new(clean(&i.basis)),
            ]);
        }
        writeln!(w, "\nIncidents\n{tb}")?;
    }
    if !r.findings.is_empty() {
        let mut tb =
            table(&["finding", "incident", "severity", "detector", "subject", "start", "end", "messages", "numbers", "cost", "what"], tty);
        if color {
            tb.enforce_styling();
        }
        for f in &r.findings {
            tb.add_row(vec![
                Cell::new(&f.id),
                Cell::new(f.incident.as_deref().unwrap_or("-")),
                sev_cell(f.severity, color),
                Cell::new(f.detector),
                Cell::new(clean(&f.subject.value)),
                Cell::new(t(f.window.ms.0)),
                Cell::new(t(f.window.ms.2)),
                Cell::new(f.messages),
                Cell::new(f.destinations),
                Cell::new(money(f.cost.0)),
                Cell::new(clean(&f.title)),
            ]);
        }
        writeln!(w, "\nFindings\n{tb}")?;
    } else {
        writeln!(w, "\nNo findings at or above {} to show.", r.parameters.min_severity.as_str())?;
    }
    if !r.suppressed.is_empty() {
        let mut tb = table(&["detector", "subject", "messages", "suppressed because", "what"], tty);
        for x in &r.suppressed {
            tb.add_row(vec![x.detector.to_string(), clean(&x.subject), x.messages.to_string(), x.reason.clone(), clean(&x.title)]);
        }
        writeln!(w, "\nSuppressed by --allow\n{tb}")?;
    }
    Ok(())
}
