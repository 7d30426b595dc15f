//! `number-class`: traffic to numbers careful verifiers refuse: premium-rate, shared-cost,
//! pager, voicemail, UAN, personal and non-geographic numbers (+800 +808 +870 +878 +881 +882
//! +883 +888 +979 and the IRSF classics +388 +991), and invalid (unallocated) numbers.

use super::{Detector, Finding, Param, Params, Row, Severity};
use crate::schema::NumberType;
use std::collections::BTreeMap;

pub const DETECTOR: Detector = Detector {
    id: "number-class",
    title: "Risky number class",
    flags: "sends to premium-rate, shared-cost, pager, voicemail, UAN, personal, non-geographic and invalid numbers",
    params: &[
        Param { name: "min_messages", default: 5.0, about: "messages to a class (per country) before it is reported" },
        Param { name: "min_invalid", default: 20.0, about: "messages to invalid numbers before they are reported" },
        Param { name: "invalid_share", default: 0.02, about: "share of all traffic invalid numbers must also exceed" },
    ],
};

/// Whether `r` is a send this detector counts: to a risky class or an invalid number.
pub fn counts(r: &Row) -> bool {
    risky(r.number_type) || r.number_type == NumberType::Invalid
}

fn risky(t: NumberType) -> bool {
    matches!(
        t,
        NumberType::PremiumRate
            | NumberType::SharedCost
            | NumberType::Pager
            | NumberType::Voicemail
            | NumberType::Uan
            | NumberType::Personal
            | NumberType::NonGeographic
    )
}

pub fn detect(rows: &[Row], p: &Params) -> Vec<Finding> {
    detect_among(rows.len(), rows.iter().filter(|r| counts(r)), p)
}

/// [`detect`] given the rows it [`counts`] of `total` (found with others in one pass).
pub fn detect_among<'a>(total: usize, counted: impl Iterator<Item = &'a Row>, p: &Params) -> Vec<Finding> {
    let id = DETECTOR.id;
    let mut groups: BTreeMap<(NumberType, String), Vec<&Row>> = BTreeMap::new();
    for r in counted {
        let where_ = if r.number_type == NumberType::NonGeographic { format!("+{}", r.calling_code) } else { r.country_str() };
        groups.entry((r.number_type, where_)).or_default().push(r);
    }
    let total = total.max(1) as f64;
    let mut out = Vec::new();
    for ((class, place), members) in groups {
        let n = members.len() as f64;
        let invalid = class == NumberType::Invalid;
        let report =
            if invalid { n >= p.get(id, "min_invalid") && n / total > p.get(id, "invalid_share") } else { n >= p.get(id, "min_messages") };
        if !report {
            continue;
        }
        let cost: f64 = members.iter().map(|r| r.cost).sum();
        let severity = if invalid {
            if n >= 100.0 { Severity::Medium } else { Severity::Low }
        } else if n >= 20.0 || cost >= 10.0 {
            Severity::by_cost(cost).max(Severity::Medium)
        } else {
            Severity::Low
        };
        let mut metrics = BTreeMap::new();
        metrics.insert("share_of_traffic", n / total);
        out.push(Finding {
            severity,
            title: format!("{} messages to {} numbers ({place})", members.len(), class.as_str()),
            signal: format!("sends to {} numbers", class.as_str()),
            threshold: if invalid {
                format!("≥ {} messages and > {:.0}% of traffic", p.get(id, "min_invalid"), p.get(id, "invalid_share") * 100.0)
            } else {
                format!("≥ {} messages", p.get(id, "min_messages"))
            },
            baseline: "an OTP flow has no reason to text this class of number".into(),
            metrics,
            ..Finding::over(DETECTOR.id, "number_class", format!("{}:{place}", class.as_str()), &members)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    #[test]
    fn premium_rate_at_the_edge() {
        let mut rows: Vec<Row> = (0..100).map(|i| row(i, 0, 33, 612_345_600 + u64::from(i), 9)).collect();
        for i in 0..4 {
            let mut r = row(200 + i, 0, 33, 891_234_560 + u64::from(i), 9);
            r.number_type = NumberType::PremiumRate;
            rows.push(r);
        }
        assert!(detect(&rows, &Params::default()).is_empty(), "4 is under min_messages");
        let mut r = row(300, 0, 33, 891_234_999, 9);
        r.number_type = NumberType::PremiumRate;
        rows.push(r);
        let f = detect(&rows, &Params::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].messages, 5);
    }
}
