//! `scan -f table`: what a person reads in a terminal. A summary, then each incident and each
//! finding as a short block of labelled lines, laid out for the terminal's width (80 columns
//! when piped, so piped output is the same at every width). Lines wrap only at spaces, and an
//! amount keeps its currency: no number, range, time or amount is ever split across lines; a
//! token wider than the line stands alone on it. `--wide` prints every column as one table
//! instead (`scan_wide`). Severity is the only coloured word; text from input is stripped of
//! control characters.

use super::scan::{FindingOut, IncidentOut, ScanReport, Window};
use super::text::{GLUE, clean, wrap};
use crate::detect::Severity;
use crate::units::{Zone, number};
use std::io::{self, Write};

/// Where labelled values start.
const VALUE_AT: usize = 16;

fn money(v: f64, cur: &str) -> String {
    if cur.is_empty() { number(v) } else { format!("{}{GLUE}{cur}", number(v)) }
}

fn labelled(label: &str, text: &str, width: usize) -> String {
    wrap(&format!("    {label:<w$}", w = VALUE_AT - 4), text, width)
}

fn paint(s: Severity, color: bool) -> String {
    if !color {
        return s.as_str().to_string();
    }
    let code = match s {
        Severity::Critical => "35",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "90",
    };
    format!("\x1b[{code}m{}\x1b[0m", s.as_str())
}

/// A block's first line, with its severity coloured when colour is on.
fn header(words: &str, sev: Severity, width: usize, color: bool) -> String {
    let line = wrap("", words, width);
    if color { line.replacen(sev.as_str(), &paint(sev, true), 1) } else { line }
}

fn span(w: &Window, zone: Zone) -> String {
    let (start, _, end) = w.ms;
    format!("{} to {}", zone.time(start), zone.time(end))
}

fn incident(i: &IncidentOut, cur: &str, width: usize, zone: Zone, color: bool) -> String {
    let mut s = header(
        &format!(
            "{}  {}  {}  {} messages  {} numbers  {}",
            i.id,
            i.severity.as_str(),
            money(i.cost.0, cur),
            i.messages,
            i.destinations,
            clean(&i.countries.join(" "))
        ),
        i.severity,
        width,
        color,
    );
    s += &labelled("window", &span(&i.window, zone), width);
    if let Some(p) = i.window.ms.1 {
        s += &labelled("peak hour", &zone.time(p), width);
    }
    let status: Vec<&str> = [
        (i.ongoing, "ongoing: its last message is in the last hour of the data"),
        (i.started_before_data, "started before the data: its first message is in the first hour of the data"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, t)| *t)
    .collect();
    if !status.is_empty() {
        s += &labelled("status", &status.join("; "), width);
    }
    let cost = match i.fraud_cost_probable {
        Some(p) => format!("{} confirmed, {} probable", money(i.fraud_cost_confirmed.0, cur), money(p.0, cur)),
        None => format!("{} confirmed (below medium: the rest is not counted as fraud)", money(i.fraud_cost_confirmed.0, cur)),
    };
    s += &labelled("fraud cost", &cost, width);
    if !i.ranges.is_empty() {
        s += &labelled("ranges", &clean(&i.ranges.join(" ")), width);
    }
    s += &labelled("why", &clean(&i.basis), width);
    s += &labelled("detectors", &i.detectors.join(" "), width);
    s += &labelled("findings", &i.findings.join(" "), width);
    s
}

fn finding(f: &FindingOut, cur: &str, width: usize, zone: Zone, color: bool) -> String {
    let mut s = header(
        &format!(
            "{}  {}  {}  {}{}",
            f.id,
            f.severity.as_str(),
            f.detector,
            clean(&f.subject.value),
            f.incident.as_deref().map(|i| format!("  in {i}")).unwrap_or_default()
        ),
        f.severity,
        width,
        color,
    );
    s += &wrap("    ", &clean(&f.title), width);
    if !f.note.is_empty() {
        s += &wrap("    ", &format!("({})", clean(&f.note)), width);
    }
    // Its evidence: when, how many messages, what they cost.
    s += &wrap("    ", &format!("{}  {} messages  {}", span(&f.window, zone), f.messages, money(f.cost.0, cur)), width);
    s
}

pub fn write(r: &ScanReport, w: &mut dyn Write, width: usize, zone: Zone, color: bool) -> io::Result<()> {
    let s = &r.summary;
    let cur = s.currency.as_deref().unwrap_or("");
    let line = |label: &str, text: &str| wrap(&format!("  {label:<w$}", w = VALUE_AT - 4), text, width);
    let mut out = String::from("Summary\n");
    if let Some(c) = &s.coverage {
        out += &line("data", &format!("{} to {}", zone.time(c.ms.0), zone.time(c.ms.1)));
    }
    let mut messages = format!("{} scanned of {} loaded", s.messages_scanned, s.messages_loaded);
    if s.messages_without_timestamp > 0 {
        messages += &format!(" ({} without a send time left out)", s.messages_without_timestamp);
    }
    out += &line("messages", &messages);
    out += &line("incidents", &s.incidents_by_severity.total_text(s.incidents));
    out += &line("findings", &s.findings_by_severity.total_text(s.findings));
    out += &line(
        "fraud cost",
        &format!(
            "{} confirmed + {} probable, of {} spend",
            money(s.fraud_cost_confirmed.0, cur),
            money(s.fraud_cost_probable.0, cur),
            money(s.spend.0, cur)
        ),
    );
    if s.incidents_shown < s.incidents || s.findings_shown < s.findings {
        let mut filters = vec![format!("--min-severity {}", r.parameters.min_severity.as_str())];
        if let Some(n) = r.parameters.top {
            filters.push(format!("--top {n}"));
        }
        out += &line(
            "shown",
            &format!(
                "{} of {} incidents and {} of {} findings ({})",
                s.incidents_shown,
                s.incidents,
                s.findings_shown,
                s.findings,
                filters.join(" ")
            ),
        );
    }
    if s.suppressed > 0 {
        out += &line("suppressed", &format!("{} finding(s) by --allow (listed at the end)", s.suppressed));
    }
    if s.messages_other_currency > 0 {
        out += &line("note", &format!("{} messages priced in other currencies are not in the cost figures", s.messages_other_currency));
    }
    if !r.incidents.is_empty() {
        out += "\nIncidents\n";
        for i in &r.incidents {
            out.push('\n');
            out += &incident(i, cur, width, zone, color);
        }
    }
    if r.findings.is_empty() {
        out += &format!("\nNo findings at or above {} to show.\n", r.parameters.min_severity.as_str());
    } else {
        out += "\nFindings\n";
        for f in &r.findings {
            out.push('\n');
            out += &finding(f, cur, width, zone, color);
        }
    }
    if !r.suppressed.is_empty() {
        out += "\nSuppressed by --allow\n";
        for x in &r.suppressed {
            out.push('\n');
            out += &wrap("", &format!("{}  {}  {} messages", x.detector, clean(&x.subject), x.messages), width);
            out += &wrap("    ", &clean(&x.title), width);
            out += &labelled("because", &clean(&x.reason), width);
        }
    }
    w.write_all(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_only_at_spaces_and_amounts_keep_their_currency() {
        let text = format!("2024-03-08T02:51:25Z to 2024-03-08T05:43:10Z costing {} and +99891445xxxx", money(1278.92, "USD"));
        for width in [20, 30, 40, 60, 80] {
            let out = wrap("    window      ", &text, width);
            let words: Vec<&str> = out.split_whitespace().collect();
            assert_eq!(
                words,
                ["window", "2024-03-08T02:51:25Z", "to", "2024-03-08T05:43:10Z", "costing", "1278.92", "USD", "and", "+99891445xxxx"]
            );
            assert!(out.lines().any(|l| l.contains("1278.92 USD")), "amount and currency on one line at {width}");
            for l in out.lines() {
                // Wider only where one unit (a 20-character time) does not fit after the indent.
                assert!(l.chars().count() <= width.max(16 + 20), "{l:?} wider than {width}");
            }
        }
    }

    #[test]
    fn a_token_wider_than_the_line_stands_alone() {
        let out = wrap("  ", "a +99891445123456789012345 b", 10);
        assert_eq!(out, "  a\n  +99891445123456789012345\n  b\n");
    }
}
