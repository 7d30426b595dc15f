//! `csv` and `json`: every proposed rule with what it would have stopped and whom it would also
//! have blocked, for any other system; and the rules as `scan -f json` shows them.

use super::{Declined, Impact, OutFile, Proposal, Rule};
use crate::report::scan::Amount;
use crate::units::time;
use serde::Serialize;

/// An [`Impact`] as outputs write it: times as text, costs as amounts.
#[derive(Debug, Serialize)]
pub struct ImpactOut {
    pub messages: u64,
    pub cost: Amount,
    pub numbers: u64,
    pub verified: u64,
    pub first: Option<String>,
    pub last: Option<String>,
}

impl From<&Impact> for ImpactOut {
    fn from(i: &Impact) -> ImpactOut {
        ImpactOut {
            messages: i.messages,
            cost: Amount(i.cost),
            numbers: i.numbers,
            verified: i.verified,
            first: i.first.map(time),
            last: i.last.map(time),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RuleOut {
    pub id: String,
    pub incidents: Vec<String>,
    pub scope: super::Scope,
    pub action: super::Action,
    pub subject: String,
    pub country: String,
    pub targets: Vec<&'static str>,
    /// The attack messages it would have stopped in the scanned period.
    pub stops: ImpactOut,
    /// The legit messages it would also have blocked (an ALLOW rule: kept flowing).
    pub legit: ImpactOut,
    pub note: String,
    pub numbers: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ProposalOut {
    pub rules: Vec<RuleOut>,
    pub declined: Vec<Declined>,
}

/// `redact`: number lists masked as every other output masks destinations.
pub fn out(p: &Proposal, redact: bool) -> ProposalOut {
    let mask = |n: &String| if redact { crate::report::evidence::redact(n) } else { n.clone() };
    ProposalOut {
        rules: p
            .rules
            .iter()
            .map(|r: &Rule| RuleOut {
                id: r.id.clone(),
                incidents: r.incidents.clone(),
                scope: r.scope,
                action: r.action,
                subject: r.subject.clone(),
                country: r.country.clone(),
                targets: r.targets.clone(),
                stops: (&r.stops).into(),
                legit: (&r.legit).into(),
                note: r.note.clone(),
                numbers: r.numbers.iter().map(mask).collect(),
            })
            .collect(),
        declined: p.declined.clone(),
    }
}

pub fn json_file(p: &Proposal) -> OutFile {
    let mut text = serde_json::to_string_pretty(&out(p, false)).unwrap_or_default();
    text.push('\n');
    OutFile::new("rules.json", text)
}

pub const CSV_HEADER: [&str; 19] = [
    "rule_id",
    "incidents",
    "scope",
    "action",
    "subject",
    "country",
    "targets",
    "attack_messages",
    "attack_cost",
    "attack_numbers",
    "attack_first",
    "attack_last",
    "legit_messages",
    "legit_cost",
    "legit_numbers",
    "legit_verified",
    "legit_first",
    "legit_last",
    "numbers",
];

pub fn csv_file(p: &Proposal) -> OutFile {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut rows: Vec<Vec<String>> = vec![CSV_HEADER.iter().map(|s| s.to_string()).collect()];
    for r in &p.rules {
        let t = |v: Option<i64>| v.map(time).unwrap_or_default();
        rows.push(vec![
            r.id.clone(),
            r.incidents.join(" "),
            format!("{:?}", r.scope).to_lowercase(),
            r.action.as_str().to_string(),
            r.subject.clone(),
            r.country.clone(),
            r.targets.join(" "),
            r.stops.messages.to_string(),
            crate::units::amount(r.stops.cost).to_string(),
            r.stops.numbers.to_string(),
            t(r.stops.first),
            t(r.stops.last),
            r.legit.messages.to_string(),
            crate::units::amount(r.legit.cost).to_string(),
            r.legit.numbers.to_string(),
            r.legit.verified.to_string(),
            t(r.legit.first),
            t(r.legit.last),
            r.numbers.join(" "),
        ]);
    }
    for row in rows {
        // Writing to memory cannot fail.
        let _ = w.write_record(&row);
    }
    let text = w.into_inner().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    OutFile::new("rules.csv", text)
}
