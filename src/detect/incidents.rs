//! Incidents: the one model every view reads. Findings that share a message, that are about
//! one country at overlapping times, or that are one campaign (the same minutes, other
//! countries or ranges) form one incident (a finding judged legit users only by shared
//! messages: a customer's block is not part of an attack in its country). An incident's
//! messages, cost and window are the union of its findings' evidence messages, so its totals
//! never contradict them; findings suppressed by `--allow` are not here at all.
//!
//! Cost: *confirmed* is what the messages named by message-level detectors (pumped ranges,
//! number classes, provider blocks) cost, unless the detector judged them legit users (a
//! customer's block); *probable* is what the incident's other messages cost (new numbers in a
//! spend spike, unverified sends in a conversion drop), reported only for
//! incidents at `medium` or above: below that the incident is not believed to be fraud.
//!
//! Severity comes from confidence and cost: a strong signal at medium lets cost decide; three
//! weaker detectors that agree make it medium; otherwise the incident keeps its findings' level,
//! at most low.

use super::{Finding, Severity};
use crate::hash::Map;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Incident {
    pub id: String,
    pub severity: Severity,
    /// Why it has that severity.
    pub basis: String,
    pub countries: Vec<String>,
    pub ranges: Vec<String>,
    /// Window: first and last message of the incident.
    pub start: i64,
    pub peak: Option<i64>,
    pub end: i64,
    /// The last message is within the last hour of the data: it may still be going on.
    pub ongoing: bool,
    /// The first message is within the first hour of the data: it may have started earlier.
    pub started_before_data: bool,
    pub messages: u64,
    pub destinations: u64,
    /// What all the incident's messages cost.
    pub cost: f64,
    /// Cost of the messages that message-level evidence names.
    pub confirmed_cost: f64,
    /// Cost of the other messages; `None` below `medium`.
    pub probable_cost: Option<f64>,
    pub detectors: Vec<&'static str>,
    pub findings: Vec<String>,
    /// Its earliest finding's fingerprint, `i-` first (see [`super::fingerprint`]).
    pub fingerprint: String,
    #[serde(skip)]
    pub rows: Vec<u32>,
}

/// What the incident builder reads of a message.
pub trait Messages {
    fn ts(&self, row: u32) -> i64;
    fn cost(&self, row: u32) -> f64;
    /// The destination (calling code, national number), for counting distinct numbers.
    fn destination(&self, row: u32) -> (u16, u64);
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        parent[r] = parent[parent[r]];
        r = parent[r];
    }
    r
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (x, y) = (find(parent, a), find(parent, b));
    if x != y {
        parent[x.max(y)] = x.min(y);
    }
}

const HOUR: i64 = 3_600_000;
/// Detectors whose evidence names the messages themselves.
pub const MESSAGE_LEVEL: &[&str] = &["pumped-range", "number-class", "provider-blocks", "excess-unverified", "new-numbers"];
const STRONG: &[&str] = &["pumped-range", "number-class", "provider-blocks", "excess-unverified", "new-numbers"];

/// Two findings about other countries or ranges are one campaign when they start and end at
/// about the same time: within an hour, or a tenth of the longer one's duration.
pub fn same_campaign(a: &Finding, b: &Finding) -> bool {
    if a.rows.is_empty() || b.rows.is_empty() || a.severity < Severity::Low || b.severity < Severity::Low {
        return false;
    }
    let longer = (a.end - a.start).max(b.end - b.start);
    let tol = HOUR.max(longer / 10);
    (a.start - b.start).abs() <= tol && (a.end - b.end).abs() <= tol
}

/// Group findings into incidents. `coverage`: the first and last message of the scanned data.
/// Findings must be settled (their messages, cost and window those of their rows).
pub fn build(findings: &[Finding], msgs: &dyn Messages, coverage: Option<(i64, i64)>) -> Vec<Incident> {
    let n = findings.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut owner: Map<u32, usize> = Map::default();
    for (i, f) in findings.iter().enumerate() {
        for &r in &f.rows {
            match owner.get(&r) {
                Some(&j) => union(&mut parent, i, j),
                None => {
                    owner.insert(r, i);
                }
            }
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (&findings[i], &findings[j]);
            // A finding its detector judged legit users (a customer's block all period) is not
            // part of whatever else happens in its country meanwhile: only shared messages join it.
            if a.legit_like || b.legit_like {
                continue;
            }
            let same_country = a.country.is_some() && a.country == b.country;
            let overlap = a.start <= b.end + HOUR && b.start <= a.end + HOUR;
            if (same_country && overlap) || same_campaign(a, b) {
                union(&mut parent, i, j);
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
        .filter_map(|members| incident(&members.iter().map(|&i| &findings[i]).collect::<Vec<_>>(), msgs, coverage))
        .collect();
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.cost.total_cmp(&a.cost)).then(a.start.cmp(&b.start)));
    for (i, inc) in out.iter_mut().enumerate() {
        inc.id = format!("I{}", i + 1);
    }
    out
}

/// The family of evidence a detector gives: independent families that agree raise an incident.
fn family(detector: &str) -> &'static str {
    match detector {
        "pumped-range" => "density",
        "new-numbers" => "novelty",
        "excess-unverified" | "low-conversion" => "conversion",
        "spend-anomaly" => "spend",
        "number-class" => "number class",
        "provider-blocks" => "provider blocks",
        _ => "other",
    }
}

/// The severity of a group of findings, with its reason, from the cost of its messages.
///
/// - A strong finding (message-level evidence at medium or above: a pumped range, a spike of new
///   numbers in one operator, an excess of unverified sends, a risky number class, the
///   provider's own blocks) lets cost decide: medium under 100, high from 100, critical from
///   1,000 in the account's currency.
/// - Three or more independent families of evidence (density, novelty, conversion, spend,
///   number class, provider blocks) at low or above raise a strong incident to at least high,
///   and make a medium one without a strong finding. A finding its own detector judged to be
///   legit users (a customer's block, new numbers that come back or verify) is no such evidence:
///   a business customer's staff, all new on their first working day, make a pumped-range, a
///   new-numbers and a spend finding at once, each capped at low for what it is.
/// - Otherwise the incident keeps its findings' level, at most low: spend, or a country-wide
///   surge of new numbers, alone is what a marketing blast or a TV spot also shows.
pub fn severity(fs: &[&Finding], cost: f64) -> (Severity, String) {
    let strong = fs
        .iter()
        .filter(|f| f.severity >= Severity::Medium && STRONG.contains(&f.detector) && !f.legit_like && !f.rows.is_empty())
        .max_by_key(|f| f.severity);
    let families: BTreeSet<&'static str> =
        fs.iter().filter(|f| f.severity >= Severity::Low && !f.legit_like).map(|f| family(f.detector)).collect();
    let agree = families.len() >= 3;
    let list = families.iter().copied().collect::<Vec<_>>().join(", ");
    let max_finding = fs.iter().map(|f| f.severity).max().unwrap_or(Severity::Info);
    match strong {
        Some(s) => {
            let by_cost = Severity::by_cost(cost);
            let mut sev = by_cost.max(Severity::Medium).max(max_finding);
            let mut why = format!("{} at {}", s.detector, s.severity.as_str());
            if by_cost >= sev && by_cost > Severity::Medium {
                why += &format!("; cost {} reaches {}", crate::units::number(cost), by_cost.as_str());
            }
            if agree && sev < Severity::High {
                sev = Severity::High;
                why += &format!("; {} kinds of evidence agree ({list})", families.len());
            }
            (sev, why)
        }
        None if agree => (Severity::Medium, format!("{} kinds of evidence agree ({list})", families.len())),
        None => (
            max_finding.min(Severity::Low),
            "weak signals only (no message-level evidence at medium, fewer than three kinds agree)".to_string(),
        ),
    }
}

fn incident(fs: &[&Finding], msgs: &dyn Messages, coverage: Option<(i64, i64)>) -> Option<Incident> {
    if fs.iter().all(|f| f.severity == Severity::Info) {
        return None;
    }
    let rows: BTreeSet<u32> = fs.iter().flat_map(|f| f.rows.iter().copied()).collect();
    let confirmed_rows: BTreeSet<u32> =
        fs.iter().filter(|f| MESSAGE_LEVEL.contains(&f.detector) && !f.legit_like).flat_map(|f| f.rows.iter().copied()).collect();
    let cost: f64 = rows.iter().map(|&r| msgs.cost(r)).sum();
    let confirmed: f64 = confirmed_rows.iter().map(|&r| msgs.cost(r)).sum();
    let other: f64 = rows.iter().filter(|r| !confirmed_rows.contains(r)).map(|&r| msgs.cost(r)).sum();
    let (severity, basis) = severity(fs, cost);
    let start = rows.iter().map(|&r| msgs.ts(r)).min().unwrap_or_else(|| fs.iter().map(|f| f.start).min().unwrap_or(0));
    let end = rows.iter().map(|&r| msgs.ts(r)).max().unwrap_or_else(|| fs.iter().map(|f| f.end).max().unwrap_or(0));
    let mut detectors: Vec<&'static str> = fs.iter().map(|f| f.detector).collect::<BTreeSet<_>>().into_iter().collect();
    detectors.sort_unstable();
    let mut finding_ids: Vec<&Finding> = fs.to_vec();
    finding_ids.sort_by_key(|f| f.id.trim_start_matches('F').parse::<u64>().unwrap_or(u64::MAX));
    Some(Incident {
        id: String::new(),
        severity,
        basis,
        countries: fs.iter().filter_map(|f| f.country.clone()).collect::<BTreeSet<_>>().into_iter().collect(),
        ranges: fs
            .iter()
            .filter(|f| f.subject_kind == "number_range")
            .map(|f| f.subject.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        start,
        peak: super::peak_hour(rows.iter().map(|&r| msgs.ts(r))),
        end,
        ongoing: coverage.is_some_and(|(_, last)| end > last - HOUR),
        started_before_data: coverage.is_some_and(|(first, _)| start < first + HOUR),
        messages: rows.len() as u64,
        destinations: rows.iter().map(|&r| msgs.destination(r)).collect::<BTreeSet<_>>().len() as u64,
        cost,
        confirmed_cost: confirmed,
        probable_cost: (severity >= Severity::Medium).then_some(other),
        detectors,
        findings: finding_ids.iter().map(|f| f.id.clone()).collect(),
        fingerprint: String::new(),
        rows: rows.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Finding;

    /// Messages `r` at `r` minutes, costing 0.25 each, to number `r`.
    struct Flat;
    impl Messages for Flat {
        fn ts(&self, r: u32) -> i64 {
            i64::from(r) * 60_000
        }
        fn cost(&self, _: u32) -> f64 {
            0.25
        }
        fn destination(&self, r: u32) -> (u16, u64) {
            (371, u64::from(r))
        }
    }

    fn finding(id: &str, detector: &'static str, sev: Severity, country: &str, rows: std::ops::Range<u32>) -> Finding {
        let mut f = Finding::over(detector, "country", country.into(), &[]);
        f.id = id.into();
        f.severity = sev;
        f.country = Some(country.into());
        f.rows = rows.clone().collect();
        f.start = i64::from(rows.start) * 60_000;
        f.end = i64::from(rows.end - 1) * 60_000;
        f
    }

    #[test]
    fn totals_are_the_union_of_the_findings() {
        let fs =
            vec![finding("F1", "pumped-range", Severity::High, "UZ", 0..100), finding("F2", "spend-anomaly", Severity::Low, "UZ", 50..300)];
        let inc = build(&fs, &Flat, Some((0, 10_000 * 60_000)));
        assert_eq!(inc.len(), 1);
        let i = &inc[0];
        assert_eq!(i.messages, 300);
        assert_eq!(i.destinations, 300);
        assert_eq!((i.start, i.end), (0, 299 * 60_000));
        assert!((i.cost - 75.0).abs() < 1e-9);
        assert!((i.confirmed_cost - 25.0).abs() < 1e-9);
        assert_eq!(i.probable_cost.map(|p| (p * 100.0).round()), Some(5000.0), "the other 200 messages");
        assert_eq!(i.severity, Severity::High, "a strong finding's own severity");
        assert!(i.started_before_data && !i.ongoing);
    }

    #[test]
    fn weak_incidents_report_no_probable_cost() {
        let fs = vec![finding("F1", "spend-anomaly", Severity::Low, "GB", 0..100)];
        let i = &build(&fs, &Flat, None)[0];
        assert_eq!(i.severity, Severity::Low);
        assert_eq!(i.probable_cost, None);
        assert!((i.cost - 25.0).abs() < 1e-9);
        assert!(i.basis.contains("weak"));
    }

    #[test]
    fn a_campaign_over_several_countries_is_one_incident() {
        let fs = vec![
            finding("F1", "pumped-range", Severity::High, "LV", 1000..1180),
            finding("F2", "pumped-range", Severity::High, "LT", 1010..1175),
            // Other minutes entirely: another incident.
            finding("F3", "pumped-range", Severity::High, "EE", 5000..5180),
        ];
        let inc = build(&fs, &Flat, None);
        assert_eq!(inc.len(), 2);
        let lv = inc.iter().find(|i| i.countries.contains(&"LV".to_string())).expect("LV");
        assert_eq!(lv.countries, ["LT", "LV"]);
        assert_eq!(lv.findings, ["F1", "F2"]);
        assert!(!same_campaign(&fs[0], &fs[2]));
    }

    #[test]
    fn the_last_hour_of_the_data_is_ongoing() {
        let fs = vec![finding("F1", "pumped-range", Severity::High, "UZ", 500..600)];
        let i = &build(&fs, &Flat, Some((0, 620 * 60_000)))[0];
        assert!(i.ongoing && !i.started_before_data);
        let i = &build(&fs, &Flat, Some((0, 700 * 60_000)))[0];
        assert!(!i.ongoing);
    }

    #[test]
    fn a_customer_s_block_is_not_part_of_an_attack_in_its_country() {
        // A staff block over the whole period (legit users, low) and an attack in the same
        // country meanwhile: two incidents, and the attack's holds none of the staff's sends.
        let mut staff = Finding { legit_like: true, ..finding("F1", "pumped-range", Severity::Low, "GB", 0..500) };
        staff.start = 0;
        staff.end = 500 * 60_000;
        let mut attack = finding("F2", "new-numbers", Severity::Medium, "GB", 1000..1300);
        attack.start = 100 * 60_000;
        attack.end = 200 * 60_000;
        let incidents = build(&[staff.clone(), attack.clone()], &Flat, None);
        assert_eq!(incidents.len(), 2, "{incidents:?}");
        let strong = incidents.iter().find(|i| i.severity == Severity::Medium).expect("the attack's");
        assert_eq!(strong.messages, 300);
        // Without the judgement, the country and the overlap join them.
        let joined = build(&[Finding { legit_like: false, ..staff }, attack], &Flat, None);
        assert_eq!(joined.len(), 1);
    }

    #[test]
    fn severity_weighs_kinds_of_evidence_for_look_alikes_and_attacks() {
        let f = |detector: &'static str, sev: Severity| finding("F1", detector, sev, "GB", 0..10);
        let sev = |fs: &[Finding], cost: f64| severity(&fs.iter().collect::<Vec<_>>(), cost).0;
        use Severity::*;
        // Legit look-alikes stay below medium.
        assert_eq!(sev(&[f("spend-anomaly", Low)], 900.0), Low, "a marketing blast spends");
        assert_eq!(sev(&[f("new-numbers", Low), f("spend-anomaly", Low)], 300.0), Low, "a TV surge: new numbers and spend");
        assert_eq!(sev(&[f("low-conversion", Low)], 50.0), Low, "a carrier outage");
        assert_eq!(sev(&[f("pumped-range", Info)], 50.0), Info, "a customer's block that converts");
        assert_eq!(sev(&[f("pumped-range", Low)], 50.0), Low, "a customer's block without conversion data");
        // Attacks.
        assert_eq!(sev(&[f("pumped-range", High)], 1278.92), Critical, "a burst into a range");
        assert_eq!(sev(&[f("new-numbers", Medium), f("spend-anomaly", Low)], 140.0), High, "operator spread: cost decides");
        let spread = [f("new-numbers", Medium), f("spend-anomaly", Low), f("excess-unverified", Medium)];
        assert_eq!(sev(&spread, 40.0), High, "new numbers, spend and conversion agree");
        assert_eq!(sev(&[f("excess-unverified", Medium)], 12.0), Medium, "Authgear's quiet day");
        let weak = [f("new-numbers", Low), f("spend-anomaly", Low), f("low-conversion", Low)];
        assert_eq!(sev(&weak, 10.0), Medium, "three weak kinds agree");
        let (_, why) = severity(&spread.iter().collect::<Vec<_>>(), 40.0);
        assert!(why.contains("3 kinds of evidence agree (conversion, novelty, spend)"), "{why}");
        // A business customer's staff on their first working day: a pumped-range and a
        // new-numbers finding each capped at low as legit users, and a spend spike. They are no
        // kinds of evidence that agree.
        let legit = |detector: &'static str| Finding { legit_like: true, ..f(detector, Low) };
        let staff = [legit("pumped-range"), legit("new-numbers"), f("spend-anomaly", Low)];
        assert_eq!(sev(&staff, 700.0), Low, "a staff block's first day");
        let (_, why) = severity(&staff.iter().collect::<Vec<_>>(), 700.0);
        assert!(why.contains("weak signals only"), "{why}");
        // A finding at medium with no messages (every number known) is no strong evidence.
        let empty = Finding { rows: Vec::new(), ..f("pumped-range", Medium) };
        assert_eq!(sev(&[empty], 0.0), Low);
    }
}
