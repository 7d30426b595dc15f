//! What changed between two scan reports (`pumphound diff OLD.json NEW.json`, and `scan
//! --previous OLD.json` inline): each incident and finding of either is
//!
//! - **new**: only in the newer report;
//! - **escalated**: in both, at a higher severity in the newer;
//! - **ongoing**: in both, with more messages or a later last message in the newer;
//! - **resolved**: in both with no activity since, or only in the older although the newer
//!   period covers its time (nothing like it any more);
//! - **gone**: only in the older, and over before the newer period starts.
//!
//! Items are matched by `fingerprint`. An event the newer period cuts (it started before the
//! newer data begins, so its first day and fingerprint differ) is matched by its subject instead:
//! the same detector and subject (findings) or countries (incidents), overlapping in time.

pub mod markdown;
pub mod table;

use crate::detect::Severity;
use crate::error::Error;
use crate::report::scan::{Amount, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};

const DAY: i64 = 86_400_000;

#[derive(Debug, Clone, Deserialize)]
pub struct Subject {
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Window {
    pub start: String,
    pub end: String,
}

/// An incident or finding as a report lists it (the fields the comparison needs).
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    pub id: String,
    pub fingerprint: String,
    pub severity: Severity,
    pub messages: u64,
    pub cost: f64,
    pub window: Window,
    #[serde(default)]
    pub countries: Vec<String>,
    pub detector: Option<String>,
    pub subject: Option<Subject>,
    /// An incident's findings (ids in its report).
    #[serde(default)]
    pub findings: Vec<String>,
}

impl Item {
    /// What it is about: `pumped-range +99891377xxxx`, or the incident's countries.
    pub fn what(&self) -> String {
        match (&self.detector, &self.subject) {
            (Some(d), Some(s)) => format!("{d} {}", s.value),
            _ => self.countries.join(" "),
        }
    }
    fn span(&self) -> (i64, i64) {
        (ms(&self.window.start), ms(&self.window.end))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Coverage {
    pub first: String,
    pub last: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Summary {
    pub coverage: Option<Coverage>,
    #[serde(default)]
    pub currency: Option<String>,
}

/// The display filters the report was written with: what it lists.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Shown {
    #[serde(default)]
    pub min_severity: Severity,
    #[serde(default)]
    pub top: Option<usize>,
}

/// The parts of a scan report (`-f json`) the comparison reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    #[serde(default, rename = "parameters")]
    pub shown: Shown,
    pub summary: Summary,
    pub incidents: Vec<Item>,
    pub findings: Vec<Item>,
}

fn ms(t: &str) -> i64 {
    crate::timeparse::parse_text(t).unwrap_or(0)
}

/// The report a scan would write with no display filter: every incident and finding.
pub fn of_scan(
    findings: &[crate::detect::Finding],
    incidents: &[crate::detect::incidents::Incident],
    coverage: Option<(i64, i64)>,
    currency: Option<String>,
) -> Report {
    use crate::units::time;
    Report {
        schema_version: SCHEMA_VERSION,
        shown: Shown::default(),
        summary: Summary { coverage: coverage.map(|(a, b)| Coverage { first: time(a), last: time(b) }), currency },
        incidents: incidents
            .iter()
            .map(|i| Item {
                id: i.id.clone(),
                fingerprint: i.fingerprint.clone(),
                severity: i.severity,
                messages: i.messages,
                cost: crate::units::amount(i.cost),
                window: Window { start: time(i.start), end: time(i.end) },
                countries: i.countries.clone(),
                detector: None,
                subject: None,
                findings: i.findings.clone(),
            })
            .collect(),
        findings: findings
            .iter()
            .map(|f| Item {
                id: f.id.clone(),
                fingerprint: f.fingerprint.clone(),
                severity: f.severity,
                messages: f.messages,
                cost: crate::units::amount(f.cost),
                window: Window { start: time(f.start), end: time(f.end) },
                countries: f.country.iter().cloned().collect(),
                detector: Some(f.detector.to_string()),
                subject: Some(Subject { kind: f.subject_kind.to_string(), value: f.subject.clone() }),
                findings: Vec::new(),
            })
            .collect(),
    }
}

/// A scan report from JSON text; `what` names it in errors. A report of another schema version
/// is refused.
pub fn parse(text: &str, what: &str) -> Result<Report, Error> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Error::Usage(format!("{what}: not a pumphound scan report ({e})")))?;
    match v.get("schema_version").and_then(|x| x.as_u64()) {
        Some(n) if n == u64::from(SCHEMA_VERSION) => {}
        Some(n) => {
            return Err(Error::Usage(format!(
                "{what}: a report of schema_version {n}; this pumphound compares version {SCHEMA_VERSION} (scan the exports again with it)"
            )));
        }
        None => return Err(Error::Usage(format!("{what}: not a pumphound scan report (no schema_version)"))),
    }
    serde_json::from_value(v).map_err(|e| Error::Usage(format!("{what}: not a pumphound scan report ({e})")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Escalated,
    New,
    Ongoing,
    Resolved,
    Gone,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::New, Status::Escalated, Status::Ongoing, Status::Resolved, Status::Gone];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Escalated => "escalated",
            Status::New => "new",
            Status::Ongoing => "ongoing",
            Status::Resolved => "resolved",
            Status::Gone => "gone",
        }
    }
}

/// One incident or finding and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub status: Status,
    pub fingerprint: String,
    /// Its id in the older and in the newer report.
    pub old_id: Option<String>,
    pub new_id: Option<String>,
    /// In the newer report (the older when it is only there).
    pub severity: Severity,
    pub previous_severity: Option<Severity>,
    pub what: String,
    pub messages: u64,
    pub cost: Amount,
    /// Newer minus older (both present).
    pub messages_growth: Option<i64>,
    pub cost_growth: Option<Amount>,
    pub start: String,
    pub end: String,
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub new: usize,
    pub escalated: usize,
    pub ongoing: usize,
    pub resolved: usize,
    pub gone: usize,
}

impl Counts {
    fn of(changes: &[Change]) -> Counts {
        let n = |s: Status| changes.iter().filter(|c| c.status == s).count();
        Counts {
            new: n(Status::New),
            escalated: n(Status::Escalated),
            ongoing: n(Status::Ongoing),
            resolved: n(Status::Resolved),
            gone: n(Status::Gone),
        }
    }

    pub fn text(&self) -> String {
        format!("{} new, {} escalated, {} ongoing, {} resolved, {} gone", self.new, self.escalated, self.ongoing, self.resolved, self.gone)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub report: String,
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    pub older: Period,
    pub newer: Period,
    pub incidents_by_status: Counts,
    pub findings_by_status: Counts,
    /// Whether a new or escalated incident or finding is at or above `fail_on`.
    pub fails: bool,
    /// Whether a new or escalated incident is (what `scan --fail-on-new` fails on).
    pub fails_new_incident: bool,
    pub fail_on: Option<Severity>,
    pub incidents: Vec<Change>,
    pub findings: Vec<Change>,
}

fn change(status: Status, old: Option<&Item>, new: Option<&Item>) -> Change {
    let Some(now) = new.or(old) else { unreachable!("a change has an item") };
    let both = old.zip(new);
    Change {
        status,
        fingerprint: now.fingerprint.clone(),
        old_id: old.map(|o| o.id.clone()),
        new_id: new.map(|n| n.id.clone()),
        severity: now.severity,
        previous_severity: both.map(|(o, _)| o.severity),
        what: now.what(),
        messages: now.messages,
        cost: Amount(now.cost),
        messages_growth: both.map(|(o, n)| n.messages as i64 - o.messages as i64),
        cost_growth: both.map(|(o, n)| Amount(n.cost - o.cost)),
        start: now.window.start.clone(),
        end: now.window.end.clone(),
    }
}

/// The fingerprints of an incident's findings, by the report's finding ids.
fn finding_fps<'a>(r: &'a [Item], findings: &'a [Item]) -> Vec<Vec<&'a str>> {
    r.iter().map(|i| findings.iter().filter(|f| i.findings.contains(&f.id)).map(|f| f.fingerprint.as_str()).collect()).collect()
}

/// Classify the items of two reports (see the module docs). `shared`: per item, the
/// fingerprints of its findings (incidents), to match an incident whose earliest finding
/// changed; `newer`: the newer period.
/// Per incident, the fingerprints of its findings.
type FindingFps<'a> = [Vec<&'a str>];

fn classify(old: &[Item], new: &[Item], shared: Option<(&FindingFps, &FindingFps)>, newer: Option<(i64, i64)>) -> Vec<Change> {
    let mut used = vec![false; old.len()];
    let mut pairs: Vec<(Option<usize>, usize, bool)> = Vec::new();
    for (j, n) in new.iter().enumerate() {
        let i = old.iter().enumerate().position(|(i, o)| !used[i] && o.fingerprint == n.fingerprint);
        if let Some(i) = i {
            used[i] = true;
        }
        pairs.push((i, j, false));
    }
    // An incident whose earliest finding changed: the one sharing a finding with it.
    if let Some((old_fps, new_fps)) = shared {
        for p in pairs.iter_mut().filter(|p| p.0.is_none()) {
            let i = (0..old.len()).find(|&i| !used[i] && old_fps[i].iter().any(|f| new_fps[p.1].contains(f)));
            if let Some(i) = i {
                used[i] = true;
                p.0 = Some(i);
            }
        }
    }
    // Events the newer period cut: the older one ran into the newer period from before it, the
    // newer one starts on the newer data's first day, about the same subject.
    if let Some((first, _)) = newer {
        let first_day_end = first.div_euclid(DAY) * DAY + DAY;
        for p in pairs.iter_mut().filter(|p| p.0.is_none()) {
            let n = &new[p.1];
            if n.span().0 >= first_day_end {
                continue;
            }
            let i = old.iter().enumerate().position(|(i, o)| {
                let (os, oe) = o.span();
                !used[i] && o.what() == n.what() && os < first && oe >= first - DAY
            });
            if let Some(i) = i {
                used[i] = true;
                *p = (Some(i), p.1, true);
            }
        }
    }
    let mut out: Vec<Change> = pairs
        .iter()
        .map(|&(i, j, cut)| {
            let n = &new[j];
            match i.map(|i| &old[i]) {
                None => change(Status::New, None, Some(n)),
                Some(o) => {
                    let status = if n.severity > o.severity {
                        Status::Escalated
                    } else if n.span().1 > o.span().1 {
                        Status::Ongoing
                    } else {
                        Status::Resolved
                    };
                    let mut c = change(status, Some(o), Some(n));
                    if cut {
                        // Its start is no longer in the data: the counts are not comparable.
                        (c.messages_growth, c.cost_growth) = (None, None);
                    }
                    c
                }
            }
        })
        .collect();
    for (o, _) in old.iter().zip(&used).filter(|(_, u)| !**u) {
        let (os, oe) = o.span();
        let gone = newer.is_none_or(|(first, last)| oe < first || os > last);
        out.push(change(if gone { Status::Gone } else { Status::Resolved }, Some(o), None));
    }
    out.sort_by(|a, b| (a.status, b.severity, &a.start, &a.fingerprint).cmp(&(b.status, a.severity, &b.start, &b.fingerprint)));
    out
}

/// Compare two reports; `names`: how to call them (file names).
pub fn compare(old: &Report, new: &Report, names: (&str, &str), fail_on: Option<Severity>) -> Changes {
    let newer = new.summary.coverage.as_ref().map(|c| (ms(&c.first), ms(&c.last)));
    // Compare what both list: at or above the higher of their --min-severity.
    let floor = old.shown.min_severity.max(new.shown.min_severity);
    let keep = |items: &[Item]| items.iter().filter(|x| x.severity >= floor).cloned().collect::<Vec<_>>();
    let (old_incidents, new_incidents) = (keep(&old.incidents), keep(&new.incidents));
    let (old_fps, new_fps) = (finding_fps(&old_incidents, &old.findings), finding_fps(&new_incidents, &new.findings));
    let mut incidents = classify(&old_incidents, &new_incidents, Some((&old_fps, &new_fps)), newer);
    let mut findings = classify(&keep(&old.findings), &keep(&new.findings), None, newer);
    // Costs in two currencies are not compared.
    if let (Some(a), Some(b)) = (&old.summary.currency, &new.summary.currency)
        && a != b
    {
        for c in incidents.iter_mut().chain(findings.iter_mut()) {
            c.cost_growth = None;
        }
    }
    let raised = |c: &&Change| matches!(c.status, Status::New | Status::Escalated) && fail_on.is_some_and(|f| c.severity >= f);
    let period = |r: &Report, name: &str| Period {
        report: name.to_string(),
        first: r.summary.coverage.as_ref().map(|c| c.first.clone()),
        last: r.summary.coverage.as_ref().map(|c| c.last.clone()),
    };
    Changes {
        older: period(old, names.0),
        newer: period(new, names.1),
        incidents_by_status: Counts::of(&incidents),
        findings_by_status: Counts::of(&findings),
        fails: incidents.iter().chain(&findings).any(|c| raised(&c)),
        fails_new_incident: incidents.iter().any(|c| raised(&c)),
        fail_on,
        incidents,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, fp: &str, sev: Severity, messages: u64, start: &str, end: &str) -> Item {
        Item {
            id: id.into(),
            fingerprint: fp.into(),
            severity: sev,
            messages,
            cost: messages as f64 / 10.0,
            window: Window { start: start.into(), end: end.into() },
            countries: vec!["UZ".into()],
            detector: None,
            subject: None,
            findings: Vec::new(),
        }
    }

    #[test]
    fn each_status_at_its_edge() {
        let d = |day: u32, h: u32| format!("2024-03-{day:02}T{h:02}:00:00Z");
        let old = vec![
            item("I1", "a", Severity::Medium, 100, &d(3, 1), &d(3, 5)), // same in both: resolved
            item("I2", "b", Severity::Medium, 100, &d(9, 1), &d(9, 5)), // grows: ongoing
            item("I3", "c", Severity::Medium, 100, &d(9, 1), &d(9, 5)), // rises: escalated
            item("I4", "d", Severity::High, 100, &d(1, 1), &d(1, 5)),   // before the newer data: gone
            item("I5", "e", Severity::High, 100, &d(5, 1), &d(5, 5)),   // in the newer period, not found: resolved
        ];
        let new = vec![
            item("I1", "a", Severity::Medium, 100, &d(3, 1), &d(3, 5)),
            item("I2", "b", Severity::Medium, 150, &d(9, 1), &d(10, 5)),
            item("I9", "c", Severity::High, 100, &d(9, 1), &d(9, 5)),
            item("I3", "z", Severity::High, 100, &d(10, 1), &d(10, 5)),
        ];
        let got = classify(&old, &new, None, Some((ms(&d(2, 0)), ms(&d(16, 0)))));
        let status = |fp: &str| got.iter().find(|c| c.fingerprint == fp).map(|c| c.status);
        assert_eq!(status("a"), Some(Status::Resolved));
        assert_eq!(status("b"), Some(Status::Ongoing));
        assert_eq!(status("c"), Some(Status::Escalated));
        assert_eq!(status("d"), Some(Status::Gone));
        assert_eq!(status("e"), Some(Status::Resolved));
        assert_eq!(status("z"), Some(Status::New));
        let b = got.iter().find(|c| c.fingerprint == "b").expect("b");
        assert_eq!((b.messages_growth, b.cost_growth.map(|a| a.0)), (Some(50), Some(5.0)));
        assert_eq!(got[0].status, Status::Escalated, "escalations first");
        // After the newer period's end: gone.
        let late = vec![item("I7", "q", Severity::High, 5, &d(20, 1), &d(20, 2))];
        assert_eq!(classify(&late, &[], None, Some((ms(&d(2, 0)), ms(&d(16, 0)))))[0].status, Status::Gone);
    }

    #[test]
    fn an_incident_whose_earliest_finding_changed_is_matched_by_its_findings() {
        let mut o = item("I1", "i-a", Severity::High, 100, "2024-03-05T01:00:00Z", "2024-03-05T03:00:00Z");
        let mut n = item("I2", "i-b", Severity::High, 120, "2024-03-05T00:30:00Z", "2024-03-05T04:00:00Z");
        (o.findings, n.findings) = (vec!["F1".into()], vec!["F3".into(), "F4".into()]);
        let (old_fps, new_fps) = (vec![vec!["fa"]], vec![vec!["fz", "fa"]]);
        let got = classify(&[o], &[n], Some((&old_fps, &new_fps)), Some((ms("2024-03-02T00:00:00Z"), ms("2024-03-15T00:00:00Z"))));
        assert_eq!(got.iter().map(|c| c.status).collect::<Vec<_>>(), [Status::Ongoing]);
    }

    #[test]
    fn an_event_cut_by_the_newer_period_is_ongoing_not_new() {
        let old = vec![item("I1", "x", Severity::High, 100, "2024-03-01T22:00:00Z", "2024-03-02T03:00:00Z")];
        let new = vec![item("I1", "y", Severity::High, 80, "2024-03-02T00:00:00Z", "2024-03-02T06:00:00Z")];
        let got = classify(&old, &new, None, Some((ms("2024-03-02T00:00:00Z"), ms("2024-03-15T00:00:00Z"))));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, Status::Ongoing);
        assert_eq!(got[0].messages_growth, None, "a cut event's counts are not compared");
        // Not cut (it starts a day into the newer data): a new event.
        let new = vec![item("I1", "y", Severity::High, 80, "2024-03-03T00:00:00Z", "2024-03-03T06:00:00Z")];
        let got = classify(&old, &new, None, Some((ms("2024-03-02T00:00:00Z"), ms("2024-03-15T00:00:00Z"))));
        assert_eq!(got.iter().map(|c| c.status).collect::<Vec<_>>(), [Status::New, Status::Resolved]);
    }

    #[test]
    fn costs_in_two_currencies_are_not_compared() {
        let report = |currency: &str, messages: u64| Report {
            schema_version: SCHEMA_VERSION,
            shown: Shown::default(),
            summary: Summary {
                coverage: Some(Coverage { first: "2024-03-01T00:00:00Z".into(), last: "2024-03-10T00:00:00Z".into() }),
                currency: Some(currency.into()),
            },
            incidents: vec![item("I1", "i-a", Severity::High, messages, "2024-03-05T00:00:00Z", "2024-03-05T01:00:00Z")],
            findings: Vec::new(),
        };
        let same = compare(&report("USD", 10), &report("USD", 20), ("a", "b"), None);
        assert_eq!(same.incidents[0].cost_growth.map(|a| a.0), Some(1.0));
        let other = compare(&report("USD", 10), &report("EUR", 20), ("a", "b"), None);
        assert_eq!(other.incidents[0].cost_growth.map(|a| a.0), None);
        assert_eq!(other.incidents[0].messages_growth, Some(10));
    }

    #[test]
    fn another_schema_version_is_refused() {
        let e = parse(r#"{"schema_version": 2, "summary": {}, "incidents": [], "findings": []}"#, "old.json").expect_err("refused");
        assert!(e.to_string().contains("schema_version 2"), "{e}");
        assert!(parse("[]", "x.json").is_err());
    }
}
