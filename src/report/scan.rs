//! The `scan` report: one model for every output format. JSON is one document, NDJSON one
//! object per line with a `type` (`input`, `parameters`, `incident`, `finding`, `summary`).
//! Output is deterministic: no wall-clock time, total orders everywhere.

use super::inspect::{TOOL, Tool};
use crate::detect::incidents::Incident;
use crate::detect::{Finding, Severity};
use crate::timeparse::format_ms;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize, Clone)]
pub struct InputOut {
    pub path: String,
    pub format: Option<String>,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_skipped: u64,
    pub skipped: BTreeMap<String, u64>,
    pub sha256: Option<String>,
}

#[derive(Serialize)]
pub struct Parameters {
    pub detectors: Vec<&'static str>,
    pub params: BTreeMap<String, f64>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub countries: Vec<String>,
    /// `--baseline` inputs (empty: baselines learned from the scanned data).
    pub baseline: Vec<String>,
    pub min_severity: Severity,
    pub fail_on: Option<Severity>,
    pub conversion_window_seconds: i64,
}

#[derive(Serialize)]
pub struct Summary {
    pub messages_loaded: u64,
    pub messages_scanned: u64,
    /// Messages left out of detection because they have no timestamp.
    pub messages_without_timestamp: u64,
    /// Currency of the cost figures; messages priced in other currencies do not add to them.
    pub currency: Option<String>,
    pub messages_other_currency: u64,
    pub spend: f64,
    pub findings: usize,
    pub incidents: usize,
    /// Findings suppressed by `--allow` (listed in `suppressed`).
    pub suppressed: usize,
    pub by_severity: BTreeMap<&'static str, usize>,
    pub max_severity: Option<Severity>,
    pub fraud_cost_confirmed: f64,
    pub fraud_cost_probable: f64,
    pub messages_in_incidents: u64,
}

#[derive(Serialize)]
pub struct FindingOut {
    pub id: String,
    pub incident: Option<String>,
    pub detector: &'static str,
    pub severity: Severity,
    pub title: String,
    pub subject: Subject,
    pub country: Option<String>,
    pub window: Window,
    pub messages: u64,
    pub destinations: u64,
    pub cost: f64,
    pub signal: String,
    pub threshold: String,
    pub baseline: String,
    pub metrics: BTreeMap<&'static str, f64>,
    pub evidence: Evidence,
}

#[derive(Serialize)]
pub struct Subject {
    pub kind: &'static str,
    pub value: String,
}

#[derive(Serialize)]
pub struct Window {
    pub start: String,
    pub peak: Option<String>,
    pub end: String,
}

#[derive(Serialize)]
pub struct Evidence {
    pub message_count: usize,
    /// Up to ten provider message ids, in time order.
    pub sample_message_ids: Vec<String>,
}

#[derive(Serialize)]
pub struct IncidentOut {
    pub id: String,
    pub severity: Severity,
    pub countries: Vec<String>,
    pub ranges: Vec<String>,
    pub window: Window,
    pub messages: u64,
    pub fraud_cost_confirmed: f64,
    pub fraud_cost_probable: f64,
    pub detectors: Vec<&'static str>,
    pub findings: Vec<String>,
}

#[derive(Serialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub tool: Tool,
    pub inputs: Vec<InputOut>,
    pub parameters: Parameters,
    pub summary: Summary,
    pub incidents: Vec<IncidentOut>,
    pub findings: Vec<FindingOut>,
    pub suppressed: Vec<crate::detect::allow::Suppressed>,
}

pub fn window(start: i64, peak: Option<i64>, end: i64) -> Window {
    Window { start: format_ms(start), peak: peak.map(format_ms), end: format_ms(end) }
}

pub fn finding_out(f: &Finding, incident: Option<String>, sample: Vec<String>) -> FindingOut {
    FindingOut {
        id: f.id.clone(),
        incident,
        detector: f.detector,
        severity: f.severity,
        title: f.title.clone(),
        subject: Subject { kind: f.subject_kind, value: f.subject.clone() },
        country: f.country.clone(),
        window: window(f.start, f.peak, f.end),
        messages: f.messages,
        destinations: f.destinations,
        cost: round6(f.cost),
        signal: f.signal.clone(),
        threshold: f.threshold.clone(),
        baseline: f.baseline.clone(),
        metrics: f.metrics.iter().map(|(k, v)| (*k, round6(*v))).collect(),
        evidence: Evidence { message_count: f.rows.len(), sample_message_ids: sample },
    }
}

pub fn incident_out(i: &Incident) -> IncidentOut {
    IncidentOut {
        id: i.id.clone(),
        severity: i.severity,
        countries: i.countries.clone(),
        ranges: i.ranges.clone(),
        window: window(i.start, i.peak, i.end),
        messages: i.messages,
        fraud_cost_confirmed: round6(i.confirmed_cost),
        fraud_cost_probable: round6(i.probable_cost),
        detectors: i.detectors.clone(),
        findings: i.findings.clone(),
    }
}

/// Round for stable output (sums of floats differ in the last bits with summation order).
pub fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

pub fn write_json(r: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, r)?;
    writeln!(w)
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

pub fn write_ndjson(r: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    fn line<T: Serialize>(w: &mut dyn Write, kind: &str, body: &T) -> io::Result<()> {
        serde_json::to_writer(&mut *w, &Line { kind, body })?;
        writeln!(w)
    }
    line(w, "tool", &r.tool)?;
    for i in &r.inputs {
        line(w, "input", i)?;
    }
    line(w, "parameters", &r.parameters)?;
    for i in &r.incidents {
        line(w, "incident", i)?;
    }
    for f in &r.findings {
        line(w, "finding", f)?;
    }
    for f in &r.suppressed {
        line(w, "suppressed", f)?;
    }
    line(w, "summary", &r.summary)
}

/// `TOOL` re-exported for the command.
pub fn tool() -> Tool {
    TOOL
}
