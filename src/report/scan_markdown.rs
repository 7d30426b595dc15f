//! `scan -f markdown`: ready to paste into an incident ticket. Table syntax in input-derived
//! text is escaped.

use super::scan::ScanReport;

use std::io::{self, Write};

/// Escape what would break a Markdown table cell or start markup.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn write(r: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    let s = &r.summary;
    let cur = s.currency.as_deref().unwrap_or("");
    let money = |v: f64| crate::units::money(v, cur);
    writeln!(w, "# SMS pumping scan: {} incident(s), {} finding(s)\n", s.incidents, s.findings)?;
    if let Some(c) = &s.coverage {
        writeln!(w, "- Data: {} to {}", c.first, c.last)?;
    }
    writeln!(w, "- Messages scanned: {} of {} loaded", s.messages_scanned, s.messages_loaded)?;
    writeln!(w, "- Incidents: {} ({})", s.incidents, if s.incidents == 0 { "none".into() } else { s.incidents_by_severity.text() })?;
    writeln!(w, "- Findings: {} ({})", s.findings, if s.findings == 0 { "none".into() } else { s.findings_by_severity.text() })?;
    if s.incidents_shown < s.incidents || s.findings_shown < s.findings {
        writeln!(
            w,
            "- Shown below: {} incident(s) and {} finding(s) at or above {}",
            s.incidents_shown,
            s.findings_shown,
            r.parameters.min_severity.as_str()
        )?;
    }
    writeln!(
        w,
        "- Estimated fraud cost: {} confirmed, {} probable (of {} spend)",
        money(s.fraud_cost_confirmed.0),
        money(s.fraud_cost_probable.0),
        money(s.spend.0)
    )?;
    writeln!(w, "- Highest severity: {}", s.max_severity.map(|x| x.as_str()).unwrap_or("none"))?;
    writeln!(
        w,
        "- Inputs: {}",
        r.inputs.iter().map(|i| format!("`{}` ({})", esc(&i.path), i.format.as_deref().unwrap_or("empty"))).collect::<Vec<_>>().join(", ")
    )?;
    writeln!(w, "- Tool: pumphound {}", r.tool.version)?;
    if s.suppressed > 0 {
        writeln!(
            w,
            "- Suppressed by --allow: {}",
            r.suppressed.iter().map(|x| format!("{} ({})", esc(&x.subject), esc(&x.reason))).collect::<Vec<_>>().join("; ")
        )?;
    }
    if !r.incidents.is_empty() {
        writeln!(w, "\n## Incidents\n")?;
        writeln!(
            w,
            "| Incident | Severity | Countries | Ranges | Start | Peak | End | State | Messages | Cost | Confirmed | Probable | Why |"
        )?;
        writeln!(w, "|---|---|---|---|---|---|---|---|---:|---:|---:|---:|---|")?;
        for i in &r.incidents {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                i.id,
                i.severity.as_str(),
                esc(&i.countries.join(", ")),
                esc(&i.ranges.join(", ")),
                i.window.start,
                i.window.peak.as_deref().unwrap_or(""),
                i.window.end,
                i.state().join(", "),
                i.messages,
                money(i.cost.0),
                money(i.fraud_cost_confirmed.0),
                i.fraud_cost_probable.map(|p| money(p.0)).unwrap_or_else(|| "-".into()),
                esc(&i.basis)
            )?;
        }
    }
    if !r.findings.is_empty() {
        writeln!(w, "\n## Findings\n")?;
        writeln!(w, "| Finding | Incident | Severity | Detector | Subject | Window | Messages | Cost | Signal and threshold |")?;
        writeln!(w, "|---|---|---|---|---|---|---:|---:|---|")?;
        for f in &r.findings {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} – {} | {} | {} | {}: {} (baseline: {}) |",
                f.id,
                f.incident.as_deref().unwrap_or(""),
                f.severity.as_str(),
                f.detector,
                esc(&f.subject.value),
                f.window.start,
                f.window.end,
                f.messages,
                money(f.cost.0),
                esc(&f.signal),
                esc(&f.threshold),
                if f.note.is_empty() { esc(&f.baseline) } else { format!("{}; {}", esc(&f.baseline), esc(&f.note)) }
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_syntax_is_escaped() {
        assert_eq!(super::esc("a|b`c\nd"), "a\\|b\\`c d");
    }
}
