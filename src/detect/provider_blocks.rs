//! `provider-blocks`: the provider's own defences fired: Twilio 30450 / 30453 (SMS Pumping
//! Protection), 60410 (Verify Fraud Guard), 60413 (Verify Device Intelligence), 60605 (Verify
//! Geo-Permissions), 21408 (Messaging Geo-Permissions); End User Messaging and Pinpoint
//! `PROTECT_BLOCKED` (a protect configuration) and `MAX_PRICE_EXCEEDED`; SNS "would exceed max
//! price" and "Destination is on a blocked list". Reported per country as corroboration.
//!
//! Not a defence: what a carrier or handset refuses, and what an account may not do. Twilio
//! 30007 (message filtered), 30004 (message blocked), 21610 (unsubscribed) and 60238
//! (verification creation blocked: an account under review, a sanctioned destination), EUM
//! `BLOCKED`, `CARRIER_BLOCKED` and `SPAM`, and SNS "Blocked as spam by phone carrier" stay
//! `blocked` statuses; a carrier's spam filter drops a share of any account's legit traffic
//! (0.1-0.7 % of an independent corpus's sends carried 30007, and counted as defences they
//! raised `medium` incidents on clean accounts).

use super::{Detector, Finding, Param, Params, Row, Severity};
use std::collections::BTreeMap;

pub const DETECTOR: Detector = Detector {
    id: "provider-blocks",
    title: "Provider defence fired",
    flags: "messages the provider's own fraud or geo defences refused (30450, 30453, 60410, 60413, 60605, 21408, PROTECT_BLOCKED, max price; not carrier filters such as 30007)",
    params: &[
        Param { name: "min_blocks", default: 5.0, about: "blocked messages to a country before it is reported" },
        Param { name: "medium_blocks", default: 100.0, about: "blocked messages from which the finding is medium" },
    ],
};

pub const BLOCK_CODES: &[&str] = &["30450", "30453", "60410", "60413", "60605", "21408"];

pub fn is_block_code(code: &str) -> bool {
    BLOCK_CODES.contains(&code.trim())
}

pub fn is_block_text(status_raw: &str) -> bool {
    let t = status_raw.to_ascii_lowercase();
    t.contains("protect_blocked")
        || t.contains("would exceed max price")
        || t.contains("max_price_exceeded")
        || t.contains("destination is on a blocked list")
}

/// `errors`: each attrs index's error code (see [`super::run`]).
pub fn detect(rows: &[Row], errors: &[u32], p: &Params) -> Vec<Finding> {
    detect_among(rows.iter().filter(|r| r.provider_block()), errors, p)
}

/// [`detect`] given the rows the provider blocked (found with others in one pass).
pub fn detect_among<'a>(blocked: impl Iterator<Item = &'a Row>, errors: &[u32], p: &Params) -> Vec<Finding> {
    let id = DETECTOR.id;
    let by_country = super::by_country(blocked);
    let mut out = Vec::new();
    for (country, members) in by_country {
        let n = members.len() as f64;
        if n < p.get(id, "min_blocks") {
            continue;
        }
        let mut codes: BTreeMap<u32, u64> = BTreeMap::new();
        for r in &members {
            *codes.entry(errors.get(r.attrs as usize).copied().unwrap_or(0)).or_default() += 1;
        }
        let codes_text =
            codes.iter().map(|(c, n)| if *c == 0 { format!("blocked {n}") } else { format!("{c} ×{n}") }).collect::<Vec<_>>().join(", ");
        let mut metrics = BTreeMap::new();
        metrics.insert("blocked", n);
        out.push(Finding {
            severity: if n >= p.get(id, "medium_blocks") { Severity::Medium } else { Severity::Low },
            title: format!("{} messages to {country} blocked by the provider ({codes_text})", members.len()),
            signal: "provider defence refused messages".into(),
            threshold: format!("≥ {} blocked messages", p.get(id, "min_blocks")),
            baseline: "an ordinary account sees no pumping-protection blocks".into(),
            metrics,
            ..Finding::over(DETECTOR.id, "country", country.clone(), &members)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    #[test]
    fn blocks_counted_per_country_at_the_edge() {
        let mut rows: Vec<Row> = (0..4)
            .map(|i| {
                let mut r = row(i, 0, 371, 20_000_000 + u64::from(i), 8);
                r.set_provider_block(true);
                r.attrs = 1;
                r
            })
            .collect();
        assert!(detect(&rows, &[0, 30450], &Params::default()).is_empty());
        let mut r = rows[0];
        r.idx = 9;
        rows.push(r);
        assert_eq!(detect(&rows, &[0, 30450], &Params::default())[0].messages, 5);
        assert!(is_block_text("TEXT_PROTECT_BLOCKED") && is_block_code("60410"));
    }

    #[test]
    fn defences_are_the_providers_not_a_carriers_filters() {
        for code in ["30450", "30453", "60410", "60413", "60605", "21408"] {
            assert!(is_block_code(code), "{code}");
        }
        for code in ["30007", "30004", "21610", "60238", "30008", "30003", ""] {
            assert!(!is_block_code(code), "{code}");
        }
        for text in [
            "PROTECT_BLOCKED",
            "TEXT_PROTECT_BLOCKED",
            "MAX_PRICE_EXCEEDED",
            "This delivery would exceed max price",
            "Destination is on a blocked list",
        ] {
            assert!(is_block_text(text), "{text}");
        }
        for text in [
            "BLOCKED",
            "TEXT_BLOCKED",
            "CARRIER_BLOCKED",
            "SPAM",
            "Blocked as spam by phone carrier",
            "Phone has blocked SMS",
            "Carrier violation",
        ] {
            assert!(!is_block_text(text), "{text}");
        }
    }
}
