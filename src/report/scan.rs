//! The `scan` report: one model for every output format. JSON is one document, NDJSON one
//! object per line with a `type` (`input`, `parameters`, `incident`, `finding`, `summary`).
//! Output is deterministic: no wall-clock time, total orders everywhere.

use super::inspect::{TOOL, Tool};
use crate::detect::incidents::Incident;
use crate::detect::{Finding, Severity};
use crate::units::{amount, metric, time};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// 3: incidents and findings carry a `fingerprint` (the same event in two runs over overlapping
/// periods; see `detect::fingerprint`), and `scan --previous` adds `changes`.
/// 2: incidents carry `cost`, `destinations`, `basis`, `ongoing`, `started_before_data` and a
/// null `fraud_cost_probable` below medium; the summary counts every incident and finding by
/// severity (`incidents_by_severity`, `findings_by_severity`) and states `coverage`; times have
/// seconds, amounts two decimals (four under 0.01); inputs have a `role`.
pub const SCHEMA_VERSION: u32 = 3;

/// A number as JSON writes it: integers without `.0`, others with up to six decimals, never
/// `-0` (so JSON and NDJSON, and every run, write the same text).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = metric(self.0);
        if v.fract() == 0.0 && v.abs() < 9.0e15 { s.serialize_i64(v as i64) } else { s.serialize_f64(v) }
    }
}

/// An amount of money for JSON: two decimals, four under 0.01.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amount(pub f64);

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(amount(self.0))
    }
}

/// Counts by severity, most severe first (the order every output lists them in).
#[derive(Serialize, Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BySeverity {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl BySeverity {
    pub fn count(severities: impl Iterator<Item = Severity>) -> BySeverity {
        let mut c = BySeverity::default();
        for s in severities {
            *match s {
                Severity::Critical => &mut c.critical,
                Severity::High => &mut c.high,
                Severity::Medium => &mut c.medium,
                Severity::Low => &mut c.low,
                Severity::Info => &mut c.info,
            } += 1;
        }
        c
    }

    /// `3 (critical 1, low 2)`, or `0`: a total and its nonzero counts, most severe first.
    pub fn total_text(&self, total: usize) -> String {
        if total == 0 { "0".to_string() } else { format!("{total} ({})", self.text()) }
    }

    /// `critical 1, low 2`: the nonzero counts, most severe first.
    pub fn text(&self) -> String {
        [("critical", self.critical), ("high", self.high), ("medium", self.medium), ("low", self.low), ("info", self.info)]
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The first and last message the scan looked at.
#[derive(Serialize, Clone)]
pub struct Coverage {
    pub first: String,
    pub last: String,
    #[serde(skip)]
    pub ms: (i64, i64),
}

impl Coverage {
    pub fn new(first: i64, last: i64) -> Coverage {
        Coverage { first: time(first), last: time(last), ms: (first, last) }
    }
}

#[derive(Serialize, Clone)]
pub struct InputOut {
    pub path: String,
    /// `scan`, `baseline` for a `--baseline` input, or `conversions` for `--conversions`.
    pub role: &'static str,
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
    pub params: BTreeMap<String, Num>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub countries: Vec<String>,
    /// `--baseline` inputs (empty: baselines learned from the scanned data).
    pub baseline: Vec<String>,
    pub min_severity: Severity,
    pub top: Option<usize>,
    pub fail_on: Option<Severity>,
    /// `--previous` and `--fail-on-new` (then only new or escalated incidents fail the run).
    pub previous: Option<String>,
    pub fail_on_new: bool,
    pub conversion_window_seconds: i64,
}

#[derive(Serialize)]
pub struct Summary {
    /// The first and last message scanned (null when none was).
    pub coverage: Option<Coverage>,
    pub messages_loaded: u64,
    pub messages_scanned: u64,
    /// Messages left out of detection because they have no timestamp.
    pub messages_without_timestamp: u64,
    /// Currency of the cost figures; messages priced in other currencies do not add to them.
    pub currency: Option<String>,
    pub messages_other_currency: u64,
    pub spend: Amount,
    /// Every incident, whatever the display filters show.
    pub incidents: usize,
    pub incidents_by_severity: BySeverity,
    /// Every finding (suppressed ones aside), whatever the display filters show.
    pub findings: usize,
    pub findings_by_severity: BySeverity,
    /// How many of them the lists below hold (`--min-severity`, `--top`).
    pub incidents_shown: usize,
    pub findings_shown: usize,
    /// Findings suppressed by `--allow` (listed in `suppressed`).
    pub suppressed: usize,
    pub max_severity: Option<Severity>,
    /// Whether some finding or incident is at or above `--fail-on` (the exit status is then 1).
    pub fails: bool,
    /// Over every incident.
    pub fraud_cost_confirmed: Amount,
    /// Over incidents at medium or above.
    pub fraud_cost_probable: Amount,
    pub messages_in_incidents: u64,
}

#[derive(Serialize)]
pub struct FindingOut {
    pub id: String,
    pub fingerprint: String,
    pub incident: Option<String>,
    /// Its incident's fingerprint (also when the incident is not shown).
    pub incident_fingerprint: Option<String>,
    pub detector: &'static str,
    pub severity: Severity,
    pub title: String,
    pub subject: Subject,
    pub country: Option<String>,
    pub window: Window,
    /// The evidence messages (the incident counts these), their numbers and cost.
    pub messages: u64,
    pub destinations: u64,
    pub cost: Amount,
    pub signal: String,
    pub threshold: String,
    pub baseline: String,
    pub metrics: BTreeMap<&'static str, Num>,
    /// Why the finding is lower (or higher) than its signal alone would make it; empty if not.
    pub note: String,
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
    /// The same in milliseconds, for views that show another zone.
    #[serde(skip)]
    pub ms: (i64, Option<i64>, i64),
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
    pub fingerprint: String,
    pub severity: Severity,
    /// Why it has that severity.
    pub basis: String,
    pub countries: Vec<String>,
    pub ranges: Vec<String>,
    pub window: Window,
    /// Its last message is within the last hour of the data.
    pub ongoing: bool,
    /// Its first message is within the first hour of the data.
    pub started_before_data: bool,
    pub messages: u64,
    pub destinations: u64,
    /// What its messages cost: confirmed + probable at medium and above.
    pub cost: Amount,
    pub fraud_cost_confirmed: Amount,
    /// null below medium: the incident is then not believed to be fraud.
    pub fraud_cost_probable: Option<Amount>,
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
    /// What `pumphound block` would write for the incidents at medium or above (JSON and
    /// NDJSON only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_rules: Option<crate::rules::listing::ProposalOut>,
    /// With `scan --previous`: what changed since that report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<crate::changes::Changes>,
}

impl IncidentOut {
    /// Where the incident meets the edges of the data, in words.
    pub fn state(&self) -> Vec<&'static str> {
        [(self.ongoing, "ongoing"), (self.started_before_data, "started before the data")].iter().filter(|x| x.0).map(|x| x.1).collect()
    }
}

pub fn window(start: i64, peak: Option<i64>, end: i64) -> Window {
    Window { start: time(start), peak: peak.map(time), end: time(end), ms: (start, peak, end) }
}

pub fn finding_out(f: &Finding, incident: Option<&Incident>, sample: Vec<String>) -> FindingOut {
    FindingOut {
        id: f.id.clone(),
        fingerprint: f.fingerprint.clone(),
        incident: incident.map(|i| i.id.clone()),
        incident_fingerprint: incident.map(|i| i.fingerprint.clone()),
        detector: f.detector,
        severity: f.severity,
        title: f.title.clone(),
        subject: Subject { kind: f.subject_kind, value: f.subject.clone() },
        country: f.country.clone(),
        window: window(f.start, f.peak, f.end),
        messages: f.messages,
        destinations: f.destinations,
        cost: Amount(f.cost),
        signal: f.signal.clone(),
        threshold: f.threshold.clone(),
        baseline: f.baseline.clone(),
        metrics: f.metrics.iter().map(|(k, v)| (*k, Num(*v))).collect(),
        note: f.note.clone(),
        evidence: Evidence { message_count: f.rows.len(), sample_message_ids: sample },
    }
}

pub fn incident_out(i: &Incident) -> IncidentOut {
    IncidentOut {
        id: i.id.clone(),
        fingerprint: i.fingerprint.clone(),
        severity: i.severity,
        basis: i.basis.clone(),
        countries: i.countries.clone(),
        ranges: i.ranges.clone(),
        window: window(i.start, i.peak, i.end),
        ongoing: i.ongoing,
        started_before_data: i.started_before_data,
        messages: i.messages,
        destinations: i.destinations,
        cost: Amount(i.cost),
        fraud_cost_confirmed: Amount(i.confirmed_cost),
        fraud_cost_probable: i.probable_cost.map(Amount),
        detectors: i.detectors.clone(),
        findings: i.findings.clone(),
    }
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
    if let Some(p) = &r.proposed_rules {
        for rule in &p.rules {
            line(w, "rule", rule)?;
        }
        for d in &p.declined {
            line(w, "declined_rule", d)?;
        }
    }
    if let Some(c) = &r.changes {
        #[derive(Serialize)]
        struct Totals<'a> {
            older: &'a crate::changes::Period,
            newer: &'a crate::changes::Period,
            incidents_by_status: crate::changes::Counts,
            findings_by_status: crate::changes::Counts,
            fails: bool,
            fails_new_incident: bool,
        }
        line(
            w,
            "changes",
            &Totals {
                older: &c.older,
                newer: &c.newer,
                incidents_by_status: c.incidents_by_status,
                findings_by_status: c.findings_by_status,
                fails: c.fails,
                fails_new_incident: c.fails_new_incident,
            },
        )?;
        for x in &c.incidents {
            line(w, "incident_change", x)?;
        }
        for x in &c.findings {
            line(w, "finding_change", x)?;
        }
    }
    line(w, "summary", &r.summary)
}

/// `TOOL` re-exported for the command.
pub fn tool() -> Tool {
    TOOL
}
