//! Stable identities: the same event gets the same fingerprint in two runs over overlapping
//! periods, whatever the run's numbering (F1, I1, ...), the order or the split of the inputs.
//!
//! - A **finding**'s fingerprint is the first 16 hex digits of SHA-256 over its detector, the kind
//!   and value of its subject (`number_range` `+99891377xxxx`, `country` `UZ`, ...) and the UTC
//!   day its window starts (its first evidence message). Two findings of one run that would
//!   share one (the same detector and subject starting the same day, in windows of different
//!   lengths) are told apart by a `-2`, `-3` suffix in the order of their start and end.
//! - An **incident**'s fingerprint is its earliest finding's (the first to start; ties by
//!   detector and subject), prefixed `i-`: findings that join it later, and its growth, leave it
//!   unchanged.
//!
//! It changes when the event's first day is no longer in the data (a newer period that starts
//! after it), when a detector or subject changes (a range found one digit narrower), or when an
//! incident gains a finding that starts earlier than its first.

use super::Finding;
use super::incidents::Incident;
use crate::hash::Map;
use sha2::{Digest, Sha256};

const DAY: i64 = 86_400_000;

fn base(f: &Finding) -> String {
    let day = crate::units::time(f.start.div_euclid(DAY) * DAY);
    let text = format!("finding\0{}\0{}\0{}\0{}", f.detector, f.subject_kind, f.subject, &day[..10]);
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Every finding's fingerprint, in `findings`' order.
pub fn findings(findings: &[Finding]) -> Vec<String> {
    let bases: Vec<String> = findings.iter().map(base).collect();
    let mut groups: Map<&str, Vec<usize>> = Map::default();
    for (i, b) in bases.iter().enumerate() {
        groups.entry(b.as_str()).or_default().push(i);
    }
    let mut out = bases.clone();
    for members in groups.values().filter(|m| m.len() > 1) {
        let mut sorted = members.clone();
        sorted.sort_by(|&a, &b| {
            let (x, y) = (&findings[a], &findings[b]);
            (x.start, x.end, &x.title, x.messages).cmp(&(y.start, y.end, &y.title, y.messages))
        });
        for (k, &i) in sorted.iter().enumerate().skip(1) {
            out[i] = format!("{}-{}", bases[i], k + 1);
        }
    }
    out
}

/// An incident's fingerprint from its findings' (`fingerprint_of`: finding id to fingerprint).
pub fn incident(i: &Incident, all: &[Finding], fingerprint_of: &Map<&str, &str>) -> String {
    let first = all.iter().filter(|f| i.findings.contains(&f.id)).min_by(|a, b| (a.start, &a.fingerprint).cmp(&(b.start, &b.fingerprint)));
    match first.and_then(|f| fingerprint_of.get(f.id.as_str())) {
        Some(fp) => format!("i-{fp}"),
        // No finding (cannot happen: an incident is made of findings): its window and countries.
        None => {
            let text = format!("incident\0{}\0{}\0{}", i.countries.join(" "), i.start, i.end);
            format!("i-{}", Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect::<String>())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Severity;

    fn finding(detector: &'static str, subject: &str, start: i64, end: i64) -> Finding {
        let mut f = Finding::over(detector, "country", subject.into(), &[]);
        (f.start, f.end, f.severity) = (start, end, Severity::Medium);
        f
    }

    #[test]
    fn same_event_same_fingerprint_whatever_the_numbering_and_time_of_day() {
        let mut a = finding("spend-anomaly", "UZ", 10 * DAY + 3_600_000, 10 * DAY + 7_200_000);
        a.id = "F1".into();
        let mut b = finding("spend-anomaly", "UZ", 10 * DAY + 5 * 3_600_000, 11 * DAY);
        b.id = "F7".into();
        assert_eq!(findings(&[a.clone()]), findings(&[b.clone()]), "same detector, subject and start day");
        let other_day = finding("spend-anomaly", "UZ", 11 * DAY, 11 * DAY + 1);
        let other_subject = finding("spend-anomaly", "LV", 10 * DAY, 10 * DAY + 1);
        let other_detector = finding("new-numbers", "UZ", 10 * DAY, 10 * DAY + 1);
        let fps = findings(&[a.clone(), other_day, other_subject, other_detector]);
        assert_eq!(fps.iter().collect::<std::collections::BTreeSet<_>>().len(), 4, "{fps:?}");
        assert_eq!(fps[0].len(), 16);
    }

    #[test]
    fn twins_in_one_run_are_told_apart_by_start_not_by_order() {
        let day = finding("excess-unverified", "GB", 5 * DAY, 6 * DAY - 1);
        let hour = finding("excess-unverified", "GB", 5 * DAY + 3_600_000, 5 * DAY + 7_200_000);
        let one = findings(&[day.clone(), hour.clone()]);
        let other = findings(&[hour, day]);
        assert_eq!(one[0], other[1]);
        assert_eq!(one[1], other[0]);
        assert_eq!(one[1], format!("{}-2", one[0]));
    }

    #[test]
    fn an_incident_takes_its_earliest_findings_fingerprint() {
        let mut early = finding("pumped-range", "+99891377xxxx", 3 * DAY, 3 * DAY + 10);
        early.id = "F2".into();
        let mut late = finding("spend-anomaly", "UZ", 4 * DAY, 4 * DAY + 10);
        late.id = "F1".into();
        let all = vec![late, early];
        let fps = findings(&all);
        let of: Map<&str, &str> = all.iter().zip(&fps).map(|(f, fp)| (f.id.as_str(), fp.as_str())).collect();
        let i = Incident { findings: vec!["F1".into(), "F2".into()], ..Incident::default() };
        assert_eq!(incident(&i, &all, &of), format!("i-{}", fps[1]));
    }
}
