//! `scan -f html`: one self-contained file for the people who will not read a terminal table.
//!
//! - Nothing is fetched: inline CSS and SVG, and a Content-Security-Policy (`default-src 'none'`)
//!   that allows only this page's own style sheet and script, by hash, so even markup that got
//!   past escaping could not run or load anything.
//! - Every chart is SVG drawn here ([`svg`]), readable with JavaScript off; the script (about
//!   2 KB) only sorts and filters tables.
//! - Markup by maud, which escapes every value from the input; the same input gives the same
//!   bytes (no clock, total orders everywhere).
//! - Bounded size: tables capped (the rest is in `-f json`), charts bucketed to at most 500
//!   points.

pub mod data;
pub mod svg;

use super::scan::{FindingOut, IncidentOut, ScanReport};
use crate::units::{money, number, time};
use base64::Engine;
use data::HtmlData;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");
/// Rows of the findings table, and of the suppressed findings'.
pub const MAX_FINDING_ROWS: usize = 200;
const MAX_SUPPRESSED_ROWS: usize = 100;
const MAX_RULE_ROWS: usize = 100;

fn hash(text: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

/// The policy: nothing but this page's own style sheet and script.
pub fn policy() -> String {
    format!("default-src 'none'; style-src {}; script-src {}; base-uri 'none'; form-action 'none'", hash(STYLE), hash(SCRIPT))
}

fn sev(s: &str) -> Markup {
    html! { span class={ "sev " (s) } { (s) } }
}

/// "N more in the JSON report" under a capped table.
fn more(shown: usize, total: usize, what: &str) -> Markup {
    html! {
        @if total > shown {
            p.more { (total - shown) " more " (what) " in the JSON report (" code { "scan -f json" } ")." }
        }
    }
}

fn percent(v: f64) -> String {
    format!("{:.1} %", 100.0 * v)
}

pub fn write(r: &ScanReport, d: &HtmlData, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(lines(&page(r, d).into_string()).as_bytes())?;
    writeln!(w)
}

/// Elements that start a line of the file, so the source reads (and diffs) line by line.
const LINE_STARTS: [&str; 22] = [
    "head",
    "body",
    "header",
    "main",
    "section",
    "article",
    "figure",
    "figcaption",
    "h1",
    "h2",
    "h3",
    "p",
    "div",
    "dl",
    "dt",
    "table",
    "tr",
    "details",
    "svg",
    "g",
    "path",
    "script",
];

/// A newline before each start tag of [`LINE_STARTS`]. Only markup has a `<` (text is escaped;
/// the style sheet has none and the script's `<` is never followed by a tag name).
fn lines(page: &str) -> String {
    let mut out = String::with_capacity(page.len() + page.len() / 40);
    let mut rest = page;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name_len = after.bytes().take_while(u8::is_ascii_alphanumeric).count();
        if LINE_STARTS.contains(&&after[..name_len]) && matches!(after.as_bytes().get(name_len), Some(b' ' | b'>')) && !out.is_empty() {
            out.push('\n');
        }
        out.push('<');
        rest = after;
    }
    out.push_str(rest);
    out
}

fn page(r: &ScanReport, d: &HtmlData) -> Markup {
    let s = &r.summary;
    let title = format!("pumphound scan: {} incident(s), {} finding(s)", s.incidents, s.findings);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(policy());
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ "pumphound " (r.tool.version) };
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (title) }
                    p.sub {
                        @match &s.coverage {
                            Some(c) => { "Messages from " (c.first) " to " (c.last) " (UTC). " }
                            None => { "No message was scanned. " }
                        }
                        "Made by pumphound " (r.tool.version) " from the inputs listed at the end. Incidents, findings, rules and totals are those of "
                        code { "scan -f json" } "; the charts and the countries' table are drawn from the same messages."
                    }
                }
                pre #js-errors role="alert" {}
                main {
                    (tiles(r))
                    (changes(r))
                    (incidents(r, d))
                    (spend(r, d))
                    (conversion(r, d))
                    (grids(d))
                    (rules(r))
                    (countries(r, d))
                    (findings(r))
                    (suppressed(r))
                    (inputs(r))
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn tiles(r: &ScanReport) -> Markup {
    let s = &r.summary;
    let cur = s.currency.as_deref().unwrap_or("");
    let period = s.coverage.as_ref().map_or("none".to_string(), |c| format!("{} to {}", c.first, c.last));
    let tile = |key: &str, label: &str, value: String, v: String| {
        let small = key == "period";
        html! { div.tile data-tile=(key) data-v=(v) { div.k { (label) } div.v.small[small] { (value) } } }
    };
    html! {
        section.tiles aria-label="Summary" {
            (tile("fraud_cost_confirmed", "Fraud cost, confirmed", money(s.fraud_cost_confirmed.0, cur), number(s.fraud_cost_confirmed.0)))
            (tile("fraud_cost_probable", "Fraud cost, probable", money(s.fraud_cost_probable.0, cur), number(s.fraud_cost_probable.0)))
            (tile("spend", "Total spend", money(s.spend.0, cur), number(s.spend.0)))
            (tile("messages", "Messages scanned", s.messages_scanned.to_string(), s.messages_scanned.to_string()))
            (tile("period", "Period (UTC)", period, String::new()))
            (tile("max_severity", "Highest severity", s.max_severity.map_or("none", |x| x.as_str()).to_string(), String::new()))
        }
    }
}

/// With `scan --previous`: what changed since that report.
fn changes(r: &ScanReport) -> Markup {
    let Some(c) = &r.changes else { return html! {} };
    let cur = r.summary.currency.as_deref().unwrap_or("");
    html! {
        section #changes {
            h2 { "Since the previous report" }
            p { "Compared with " code { (c.older.report) } @if let (Some(a), Some(b)) = (&c.older.first, &c.older.last) { " (" (a) " to " (b) ")" } ". "
                "Incidents: " (c.incidents_by_status.text()) ". Findings: " (c.findings_by_status.text()) "." }
            @if !c.incidents.is_empty() {
                div.wrap { table.sortable data-table="changes" {
                    caption { "Incidents by what became of them" }
                    thead { tr {
                        th scope="col" { "Status" } th scope="col" { "Incident" } th scope="col" { "Severity" } th scope="col" { "Countries" }
                        th.n scope="col" { "Messages" } th.n scope="col" { "Growth" } th.n scope="col" { "Cost" } th scope="col" { "Fingerprint" }
                    } }
                    tbody {
                        @for x in &c.incidents {
                            tr {
                                td.id { (x.status.as_str()) } td.id { (x.new_id.as_deref().or(x.old_id.as_deref()).unwrap_or("")) }
                                td.id { @if let Some(p) = x.previous_severity.filter(|p| *p != x.severity) { (p.as_str()) " → " } (sev(x.severity.as_str())) }
                                td { (x.what) } td.n { (x.messages) } td.n data-v=(x.messages_growth.unwrap_or(0)) { (x.messages_growth.map_or(String::new(), |g| format!("{g:+}"))) }
                                td.n data-v=(number(x.cost.0)) { (money(x.cost.0, cur)) } td.mono { (x.fingerprint) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn shades(r: &ScanReport) -> Vec<svg::Shade<'_>> {
    r.incidents
        .iter()
        .take(data::MAX_INCIDENTS)
        .map(|i| svg::Shade { id: &i.id, severity: i.severity.as_str(), start: i.window.ms.0, end: i.window.ms.2 })
        .collect()
}

fn incident_cost(i: &IncidentOut, cur: &str) -> String {
    money(i.cost.0, cur)
}

fn incidents(r: &ScanReport, d: &HtmlData) -> Markup {
    let s = &r.summary;
    let cur = s.currency.as_deref().unwrap_or("");
    let drawn = &r.incidents[..r.incidents.len().min(data::MAX_INCIDENTS)];
    let lanes: Vec<svg::Shade> = shades(r).into_iter().take(drawn.len()).collect();
    let costs: Vec<String> = drawn.iter().map(|i| incident_cost(i, cur)).collect();
    html! {
        section #incidents {
            h2 { "Incidents" }
            @if r.incidents.is_empty() {
                p { "No incident" @if s.incidents > 0 { " shown (" (s.incidents) " below --min-severity)" } "." }
            } @else {
                @if s.incidents_shown < s.incidents {
                    p.mute { (s.incidents_shown) " of " (s.incidents) " incidents shown (--min-severity / --top)." }
                }
                @if let Some(axis) = d.axis {
                    figure.chart data-chart="timeline" {
                        (svg::timeline("timeline", axis, &lanes, &costs))
                        figcaption { "Incidents on the period's time axis, coloured by severity." }
                    }
                }
                @for (n, i) in drawn.iter().enumerate() {
                    article class={ "incident " (i.severity.as_str()) } id=(i.id) {
                        h3 { (i.id) " " (sev(i.severity.as_str())) " " (i.countries.join(", ")) " " (incident_cost(i, cur)) }
                        dl.facts {
                            dt { "Window" } dd { (i.window.start) " to " (i.window.end) @if !i.state().is_empty() { " (" (i.state().join(", ")) ")" } }
                            dt { "Countries" } dd { (i.countries.join(", ")) }
                            dt { "Ranges" } dd.mono { @if i.ranges.is_empty() { "none" } @else { (i.ranges.join(", ")) } }
                            dt { "Messages" } dd { (i.messages) " to " (i.destinations) " numbers" }
                            dt { "Cost" } dd {
                                (money(i.cost.0, cur)) ": " (money(i.fraud_cost_confirmed.0, cur)) " confirmed"
                                @if let Some(p) = i.fraud_cost_probable { ", " (money(p.0, cur)) " probable" }
                            }
                            dt { "Why " (i.severity.as_str()) } dd { (i.basis) }
                            dt { "Detectors" } dd { (i.detectors.join(", ")) }
                            dt { "Senders" } dd {
                                @match d.senders.get(&i.id) {
                                    Some(list) if !list.is_empty() => {
                                        @for (k, (sender, count)) in list.iter().enumerate() {
                                            @if k > 0 { ", " } code { (sender) } " (" (count) ")"
                                        }
                                    }
                                    _ => { "not in the export" }
                                }
                            }
                            dt { "Findings" } dd {
                                @for (k, f) in i.findings.iter().enumerate() { @if k > 0 { ", " } a href={ "#" (f) } { (f) } }
                            }
                        }
                        @if let Some(axis) = d.axis {
                            (svg::timeline(&format!("timeline-{}", i.id), axis, &lanes[n..=n], &costs[n..=n]))
                        }
                    }
                }
                (more(drawn.len(), r.incidents.len(), "incidents"))
            }
        }
    }
}

fn spend(r: &ScanReport, d: &HtmlData) -> Markup {
    let cur = r.summary.currency.as_deref().unwrap_or("");
    let Some(axis) = d.axis else { return html! {} };
    let windows = shades(r);
    let total = r.summary.spend.0;
    let peak = (0..axis.buckets)
        .map(|b| (b, d.spend.iter().map(|s| s.values[b]).sum::<f64>()))
        .fold((0, 0.0), |best, x| if x.1 > best.1 { x } else { best });
    let desc = format!(
        "{} in the period; the highest {} starts {} with {}",
        money(total, cur),
        axis.unit(),
        time(axis.start + axis.step * peak.0 as i64),
        money(peak.1, cur)
    );
    html! {
        section #spend {
            h2 { "Spend over time" }
            figure.chart data-chart="spend" {
                (svg::spend("spend-chart", axis, &d.spend, &windows, cur, &desc))
                div.legend {
                    @for (i, s) in d.spend.iter().enumerate() { span { i class={ "s" (i) } {} (s.name) } }
                }
                figcaption { (desc) ". Shaded: incident windows." }
            }
            details {
                    summary { "Data: spend per " (axis.unit()) }
                    div.wrap { table data-table="spend" {
                        caption { "Spend per " (axis.unit()) " by country (" (cur) ")" }
                        thead { tr { th scope="col" { "Start (UTC)" } @for s in &d.spend { th.n scope="col" { (s.name) } } } }
                        tbody {
                            @for b in 0..axis.buckets {
                                tr {
                                    td { (time(axis.start + axis.step * b as i64)) }
                                    @for s in &d.spend { td.n data-v=(crate::units::metric(s.values[b])) { (number(s.values[b])) } }
                                }
                            }
                        }
                    } }
            }
            h3 { "Each country against its usual band" }
            div.multiples {
                @for (i, s) in d.spend.iter().enumerate() {
                    figure.chart data-chart="band" {
                        (svg::band(&format!("band-{i}"), axis, s, i, &windows, cur))
                        figcaption {
                            (s.name) ": usual " (money(s.band.0, cur)) " to " (money(s.band.1, cur)) " per " (axis.unit())
                            @if s.quiet_band { " (median to 95th percentile outside its incidents at medium or above)." }
                            @else { " (median to 95th percentile of every " (axis.unit()) ": all of them are in incidents, so this band includes them)." }
                        }
                    }
                }
            }
        }
    }
}

fn conversion(r: &ScanReport, d: &HtmlData) -> Markup {
    let windows = shades(r);
    html! {
        section #conversion {
            h2 { "Conversion by country" }
            @if d.conversion.is_empty() {
                p { "Conversion is not known for these inputs (give a Verify export, --conversions, or events with feedback)." }
            }
            @for (i, c) in d.conversion.iter().enumerate() {
                figure.chart data-chart="conversion" {
                    (svg::conversion(&format!("conv-{i}"), c, &windows))
                    figcaption {
                        (c.country) ": share of sends that verified, by " (c.days.unit()) "; dashed: "
                        @if c.own_baseline { "its baseline (" (percent(c.baseline)) ", outside its incidents)" }
                        @else { "the account's conversion (" (percent(c.baseline)) "; too few sends outside incidents for its own)" }
                        "; dotted: 35 %. Hollow points: fewer than 20 sends."
                    }
                }
                details {
                        summary { "Data: " (c.country) " by " (c.days.unit()) }
                        table data-table="conversion" {
                            caption { (c.country) ": sends with known conversion and verified, by " (c.days.unit()) }
                            thead { tr { th scope="col" { "Starting" } th.n scope="col" { "Sends" } th.n scope="col" { "Verified" } th.n scope="col" { "Conversion" } } }
                            tbody {
                                @for (day, (k, v)) in c.known.iter().zip(&c.verified).enumerate().filter(|(_, (k, _))| **k > 0) {
                                    tr {
                                        td { (time(c.days.start + c.days.step * day as i64)[..10]) }
                                        td.n { (k) } td.n { (v) } td.n { (percent(*v as f64 / *k as f64)) }
                                    }
                                }
                            }
                        }
                }
            }
        }
    }
}

fn grids(d: &HtmlData) -> Markup {
    html! {
        section #ranges {
            h2 { "Pumped ranges: which endings were hit" }
            @if d.grids.is_empty() && d.grids_total > 0 {
                p { "Left out under --redact: the grids show the numbers' last two digits." }
            } @else if d.grids.is_empty() {
                p { "No pumped range among the findings shown." }
            } @else {
                p.mute { "Each grid is one range's last two digits (tens down, units across), shaded by the distinct numbers seen ending in them: an attacker walking a range fills it evenly; a customer's staff leaves gaps." }
                div.grids {
                    @for g in &d.grids {
                        figure.chart data-chart="grid" data-finding=(g.finding) {
                            (svg::grid(&format!("grid-{}", g.finding), g))
                            figcaption {
                                a href={ "#" (g.finding) } { (g.finding) } " " code { (g.range) } " " (sev(g.severity.as_str())) ": "
                                (g.filled) " of 100 endings hit, longest run " (g.longest_run) "."
                            }
                        }
                    }
                }
                (more(d.grids.len(), d.grids_total, "pumped ranges"))
            }
        }
    }
}

fn rules(r: &ScanReport) -> Markup {
    let Some(p) = &r.proposed_rules else { return html! {} };
    let cur = r.summary.currency.as_deref().unwrap_or("");
    html! {
        section #rules {
            h2 { "Proposed rules" }
            @if p.rules.is_empty() && p.declined.is_empty() {
                p { "No incident at medium or above: no rule to propose." }
            } @else {
                p.mute { "What " code { "pumphound block" } " writes, and what each rule would have done to this period: attack messages stopped against legit messages, numbers and verified sends also blocked." }
                div.wrap { table.sortable data-table="rules" {
                    caption { "Rules, narrowest first per incident" }
                    thead { tr {
                        th scope="col" { "Rule" } th scope="col" { "Incidents" } th scope="col" { "Action" } th scope="col" { "Subject" }
                        th scope="col" { "Targets" } th.n scope="col" { "Attack msgs" } th.n scope="col" { "Attack cost" }
                        th.n scope="col" { "Legit msgs" } th.n scope="col" { "Legit numbers" } th.n scope="col" { "Legit verified" } th scope="col" { "Note" }
                    } }
                    tbody {
                        @for x in p.rules.iter().take(MAX_RULE_ROWS) {
                            tr {
                                td.id { (x.id) } td.id { (x.incidents.join(", ")) } td.id { (x.action.as_str()) } td.mono { (x.subject) }
                                td { (x.targets.join(", ")) } td.n { (x.stops.messages) } td.n data-v=(number(x.stops.cost.0)) { (money(x.stops.cost.0, cur)) }
                                td.n { (x.legit.messages) } td.n { (x.legit.numbers) } td.n { (x.legit.verified) } td.long { (x.note) }
                            }
                        }
                    }
                } }
                (more(p.rules.len().min(MAX_RULE_ROWS), p.rules.len(), "rules"))
                @if !p.declined.is_empty() {
                    div.wrap { table.sortable data-table="declined" {
                        caption { "Not proposed: blocks a target could only make too broad" }
                        thead { tr { th scope="col" { "Target" } th scope="col" { "Country" } th scope="col" { "Incidents" } th.n scope="col" { "Legit numbers" } th.n scope="col" { "Verified" } th scope="col" { "Why" } } }
                        tbody {
                            @for x in &p.declined {
                                tr { td.id { (x.target) } td.id { (x.country) } td.id { (x.incidents.join(", ")) } td.n { (x.legit_numbers) } td.n { (x.legit_verified) } td.long { (x.reason) } }
                            }
                        }
                    } }
                }
            }
        }
    }
}

fn countries(r: &ScanReport, d: &HtmlData) -> Markup {
    let cur = r.summary.currency.as_deref().unwrap_or("");
    html! {
        section #countries {
            h2 { "Countries" }
            div.wrap { table.sortable data-table="countries" {
                caption { "Destination countries by spend" }
                thead { tr {
                    th scope="col" { "Country" } th.n scope="col" { "Messages" } th.n scope="col" { "Spend" } th.n scope="col" { "Numbers" }
                    th.n scope="col" { "Conversion" } th scope="col" { "Incidents" }
                } }
                tbody {
                    @for c in &d.countries {
                        tr {
                            td { (c.country) } td.n { (c.messages) } td.n data-v=(number(c.spend)) { (money(c.spend, cur)) } td.n { (c.numbers) }
                            @if c.known > 0 {
                                td.n data-v=(format!("{:.6}", c.verified as f64 / c.known as f64)) { (percent(c.verified as f64 / c.known as f64)) " of " (c.known) }
                            } @else { td.n data-v="-1" { "unknown" } }
                            td { @for (k, i) in c.incidents.iter().enumerate() { @if k > 0 { ", " } a href={ "#" (i) } { (i) } } }
                        }
                    }
                }
            } }
            @if d.countries_total > d.countries.len() {
                p.more { (d.countries_total - d.countries.len()) " more countries with less spend are not listed." }
            }
        }
    }
}

fn finding_row(f: &FindingOut, cur: &str) -> Markup {
    html! {
        tr id=(f.id) {
            td.id { (f.id) } td.id { @if let Some(i) = &f.incident { a href={ "#" (i) } { (i) } } }
            td.id data-v=(f.severity as u8) { (sev(f.severity.as_str())) } td { (f.detector) } td.mono { (f.subject.value) }
            td { (f.window.start) " to " (f.window.end) } td.n { (f.messages) } td.n data-v=(number(f.cost.0)) { (money(f.cost.0, cur)) }
            td.long { (f.signal) } td.long { (f.threshold) } td { (f.baseline) } td.long { (f.note) }
        }
    }
}

fn findings(r: &ScanReport) -> Markup {
    let s = &r.summary;
    let cur = s.currency.as_deref().unwrap_or("");
    html! {
        section #findings {
            h2 { "Findings" }
            @if r.findings.is_empty() {
                p { "No finding" @if s.findings > 0 { " shown (" (s.findings) " below --min-severity)" } "." }
            } @else {
                div.wrap { table.sortable data-table="findings" {
                    caption { (r.findings.len().min(MAX_FINDING_ROWS)) " of " (s.findings) " findings, most severe first" }
                    thead { tr {
                        th scope="col" { "Finding" } th scope="col" { "Incident" } th scope="col" { "Severity" } th scope="col" { "Detector" }
                        th scope="col" { "Subject" } th scope="col" { "Window (UTC)" } th.n scope="col" { "Messages" } th.n scope="col" { "Cost" }
                        th scope="col" { "Signal" } th scope="col" { "Threshold" } th scope="col" { "Baseline" } th scope="col" { "Note" }
                    } }
                    tbody { @for f in r.findings.iter().take(MAX_FINDING_ROWS) { (finding_row(f, cur)) } }
                } }
                (more(r.findings.len().min(MAX_FINDING_ROWS), r.findings.len(), "findings"))
            }
        }
    }
}

fn suppressed(r: &ScanReport) -> Markup {
    html! {
        section #suppressed {
            h2 { "Suppressed findings" }
            @if r.suppressed.is_empty() {
                p { "None (" code { "--allow" } " suppresses findings about known-legit countries, prefixes and numbers)." }
            } @else {
                div.wrap { table.sortable data-table="suppressed" {
                    caption { "Findings suppressed by --allow" }
                    thead { tr { th scope="col" { "Detector" } th scope="col" { "Subject" } th scope="col" { "Finding" } th.n scope="col" { "Messages" } th scope="col" { "Why" } } }
                    tbody {
                        @for x in r.suppressed.iter().take(MAX_SUPPRESSED_ROWS) {
                            tr { td { (x.detector) } td.mono { (x.subject) } td { (x.title) } td.n { (x.messages) } td { (x.reason) } }
                        }
                    }
                } }
                (more(r.suppressed.len().min(MAX_SUPPRESSED_ROWS), r.suppressed.len(), "suppressed findings"))
            }
        }
    }
}

fn inputs(r: &ScanReport) -> Markup {
    let p = &r.parameters;
    html! {
        section #inputs {
            h2 { "Inputs and parameters" }
            div.wrap { table data-table="inputs" {
                caption { "Inputs: rows read = used + skipped" }
                thead { tr {
                    th scope="col" { "File" } th scope="col" { "Role" } th scope="col" { "Format" } th.n scope="col" { "Read" } th.n scope="col" { "Used" }
                    th.n scope="col" { "Skipped" } th scope="col" { "Skipped, by reason" } th scope="col" { "SHA-256" }
                } }
                tbody {
                    @for i in &r.inputs {
                        tr {
                            td.mono { (i.path) } td { (i.role) } td { (i.format.as_deref().unwrap_or("empty")) } td.n { (i.rows_read) } td.n { (i.rows_used) }
                            td.n { (i.rows_skipped) } td { @for (k, (why, n)) in i.skipped.iter().enumerate() { @if k > 0 { "; " } (why) ": " (n) } }
                            td.mono { (i.sha256.as_deref().unwrap_or("")) }
                        }
                    }
                }
            } }
            dl.facts {
                dt { "Tool" } dd { (r.tool.name) " " (r.tool.version) ", report schema " (r.schema_version) }
                dt { "Detectors" } dd { (p.detectors.join(", ")) }
                dt { "Window" } dd { (p.since.as_deref().unwrap_or("start of data")) " to " (p.until.as_deref().unwrap_or("end of data")) }
                @if !p.countries.is_empty() { dt { "Countries" } dd { (p.countries.join(", ")) } }
                @if !p.baseline.is_empty() { dt { "Baseline" } dd { (p.baseline.join(", ")) } }
                dt { "Shown" } dd { "severity " (p.min_severity.as_str()) " and above" @if let Some(t) = p.top { ", top " (t) " incidents" } }
                dt { "Fails on" } dd { (p.fail_on.map_or("never", |x| x.as_str())) }
                @if p.conversion_window_seconds > 0 { dt { "Conversion window" } dd { (p.conversion_window_seconds) " s" } }
            }
            details {
                summary { "Detector parameters (" (p.params.len()) ")" }
                table data-table="params" {
                    caption { "Detector parameters in effect" }
                    thead { tr { th scope="col" { "Parameter" } th.n scope="col" { "Value" } } }
                    tbody { @for (k, v) in &p.params { tr { td.mono { (k) } td.n { (serde_json::to_string(v).unwrap_or_default()) } } } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_starts_only_before_listed_start_tags() {
        assert_eq!(
            lines("<body><p>a &lt;p&gt; b</p><pre>x</pre><path d=\"M0\"/></body>"),
            "<body>\n<p>a &lt;p&gt; b</p><pre>x</pre>\n<path d=\"M0\"/></body>"
        );
        assert_eq!(lines("<script>if (a < b) {}</script>"), "<script>if (a < b) {}</script>");
    }

    #[test]
    fn the_policy_hashes_the_pages_own_style_and_script() {
        let p = policy();
        assert!(p.starts_with("default-src 'none'; "));
        assert!(p.contains(&format!("style-src {};", hash(STYLE))) && p.contains(&format!("script-src {};", hash(SCRIPT))));
        assert!(!STYLE.contains('<') && !SCRIPT.contains("</"), "neither can end its element early");
    }
}
