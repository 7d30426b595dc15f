//! Incidents: findings that overlap in destinations (a shared message) or in country and time
//! form one incident. Each message belongs to at most one incident. Severity comes from the
//! estimated fraud cost and the confidence: a strong signal (a pumped range, a risky number
//! class, or the provider's own defence at medium) lets cost decide; three weaker signals that
//! agree make it medium; otherwise the incident keeps its findings' (low) severity.

use super::{Finding, Severity};
use crate::hash::Map;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: String,
    /// Window: first and last message of the incident.
    pub severity: Severity,
    pub countries: Vec<String>,
    pub ranges: Vec<String>,
    pub start: i64,
    pub peak: Option<i64>,
    pub end: i64,
    pub messages: u64,
    /// Cost of the messages that message-level evidence names (pumped ranges, number classes,
    /// provider blocks).
    pub confirmed_cost: f64,
    /// Excess spend that windows show but no message-level evidence names.
    pub probable_cost: f64,
    pub detectors: Vec<&'static str>,
    pub findings: Vec<String>,
    #[serde(skip)]
    pub rows: Vec<u32>,
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        parent[r] = parent[parent[r]];
        r = parent[r];
    }
    r
}

const SLACK: i64 = 3_600_000;
const STRONG: &[&str] = &["pumped-range", "number-class"];

/// Group findings into incidents (only findings at `info` or above that are not alone `info`).
pub fn build(findings: &[Finding], cost_of: impl Fn(u32) -> f64, ts_of: impl Fn(u32) -> i64) -> Vec<Incident> {
    let n = findings.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut owner: Map<u32, usize> = Map::default();
    for (i, f) in findings.iter().enumerate() {
        for &r in &f.rows {
            match owner.get(&r) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    owner.insert(r, i);
                }
            }
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (&findings[i], &findings[j]);
            let same_country = a.country.is_some() && a.country == b.country;
            let overlap = a.start <= b.end + SLACK && b.start <= a.end + SLACK;
            // A country-wide finding joins a pumped range of that country only when both are
            // about the same time; two country-wide findings likewise.
            if same_country && overlap {
                let (x, y) = (find(&mut parent, i), find(&mut parent, j));
                parent[x] = y;
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    let mut out: Vec<Incident> = groups
        .into_values()
        .filter_map(|members| {
            let fs: Vec<&Finding> = members.iter().map(|&i| &findings[i]).collect();
            if fs.iter().all(|f| f.severity == Severity::Info) {
                return None;
            }
            let rows: BTreeSet<u32> = fs.iter().flat_map(|f| f.rows.iter().copied()).collect();
            let evidence: BTreeSet<u32> = fs
                .iter()
                .filter(|f| f.detector != "spend-anomaly" && f.detector != "low-conversion")
                .flat_map(|f| f.rows.iter().copied())
                .collect();
            let confirmed: f64 = evidence.iter().map(|&r| cost_of(r)).sum();
            let excess: f64 = fs.iter().filter_map(|f| f.metrics.get("excess_cost")).sum();
            let probable = (excess - confirmed).max(0.0);
            let detectors: BTreeSet<&'static str> = fs.iter().map(|f| f.detector).collect();
            let strong =
                fs.iter().any(|f| f.severity >= Severity::Medium && (STRONG.contains(&f.detector) || f.detector == "provider-blocks"));
            let max_finding = fs.iter().map(|f| f.severity).max().unwrap_or(Severity::Info);
            let severity = if strong {
                Severity::by_cost(confirmed + probable).max(Severity::Medium).max(max_finding)
            } else if detectors.len() >= 3 {
                Severity::Medium
            } else {
                max_finding.min(Severity::Low)
            };
            let mut hours: BTreeMap<i64, u64> = BTreeMap::new();
            for &r in &rows {
                *hours.entry(ts_of(r).div_euclid(3_600_000)).or_default() += 1;
            }
            Some(Incident {
                id: String::new(),
                severity,
                countries: fs.iter().filter_map(|f| f.country.clone()).collect::<BTreeSet<_>>().into_iter().collect(),
                ranges: fs
                    .iter()
                    .filter(|f| f.subject_kind == "number_range")
                    .map(|f| f.subject.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                // The window of the messages themselves (day-long conversion cells and hour-wide
                // spend windows would widen it); the findings' windows when there are none.
                start: rows.iter().map(|&r| ts_of(r)).min().unwrap_or_else(|| fs.iter().map(|f| f.start).min().unwrap_or(0)),
                peak: hours.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(h, _)| h * 3_600_000),
                end: rows.iter().map(|&r| ts_of(r)).max().unwrap_or_else(|| fs.iter().map(|f| f.end).max().unwrap_or(0)),
                messages: rows.len() as u64,
                confirmed_cost: confirmed,
                probable_cost: probable,
                detectors: detectors.into_iter().collect(),
                findings: fs.iter().map(|f| f.id.clone()).collect(),
                rows: rows.into_iter().collect(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then((b.confirmed_cost + b.probable_cost).total_cmp(&(a.confirmed_cost + a.probable_cost)))
            .then(a.start.cmp(&b.start))
    });
    for (i, inc) in out.iter_mut().enumerate() {
        inc.id = format!("I{}", i + 1);
    }
    out
}
