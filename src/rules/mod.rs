//! Proposed rules: for each incident, the narrowest rule each enforcement point can enforce that
//! stops the attack with the least legit impact, and what each rule would have done to the
//! scanned period (the what-if). The target modules write the rules in each system's own shape.
//!
//! - A **country block** where the account has no meaningful legit traffic: the country's legit
//!   sends are at most `max_legit_share` of the account's. Legit sends are those outside every
//!   incident at the chosen severity, counted only when they verified if conversion is known.
//!   AWS, Twilio, Firebase and (when the calling code is the country's alone) Vonage take it;
//!   the Twilio Global Safe List gets the legit numbers that verified inside it.
//! - Otherwise, **narrower rules**: AWS `FILTER` for the country plus a number override per
//!   attack number; a Vonage prefix rule per pumped range or operator prefix; and for Twilio and
//!   Firebase, which can only block whole countries, a declined rule that says how many legit
//!   users a block would hit.
//!
//! Attack messages are those of incidents at or above the chosen severity; every other message
//! a rule matches is legit, and is what the rule would also have blocked.

pub mod aws;
pub mod firebase;
pub mod listing;
pub mod twilio;
pub mod vonage;

use crate::detect::country_table::CountryTable;
use crate::detect::facts::Facts;
use crate::detect::incidents::Incident;
use crate::detect::{Finding, Row, Severity};
use crate::hash::{Map, Set};
use crate::store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the proposal is asked for.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub min_severity: Severity,
    pub max_legit_share: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { min_severity: Severity::Medium, max_legit_share: 0.01 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Country,
    Prefix,
    Numbers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    Block,
    Filter,
    Allow,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Block => "BLOCK",
            Action::Filter => "FILTER",
            Action::Allow => "ALLOW",
        }
    }
}

/// What a rule matches in the scanned period, on one side (attack or legit).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Impact {
    pub messages: u64,
    pub cost: f64,
    /// Distinct destination numbers.
    pub numbers: u64,
    /// Sends that verified (an attacker's are faked).
    pub verified: u64,
    /// First and last message (ms UTC).
    pub first: Option<i64>,
    pub last: Option<i64>,
}

/// Where a target writes the rule, by system.
pub const AWS: &str = "aws-protect";
pub const TWILIO_GEO: &str = "twilio-geo";
pub const TWILIO_SAFELIST: &str = "twilio-safelist";
pub const FIREBASE: &str = "firebase";
pub const VONAGE: &str = "vonage";

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    pub incidents: Vec<String>,
    pub scope: Scope,
    pub action: Action,
    /// The country (ISO alpha-2), the prefix (`+99890`), or how many numbers.
    pub subject: String,
    pub country: String,
    pub calling_code: u16,
    /// E.164 numbers (number rules), or 1k prefixes such as `+18001234xxx` (safe list).
    pub numbers: Vec<String>,
    /// The numbers as (calling code, national number), for matching.
    #[serde(skip)]
    pub keys: Set<(u16, u64)>,
    /// The systems that can enforce it.
    pub targets: Vec<&'static str>,
    /// The attack messages it would have stopped.
    pub stops: Impact,
    /// The legit messages it would also have blocked (for an ALLOW rule: the legit messages it
    /// keeps flowing).
    pub legit: Impact,
    pub note: String,
}

/// A rule a target could only have written too broadly: what it would have cost.
#[derive(Debug, Clone, Serialize)]
pub struct Declined {
    pub target: &'static str,
    pub country: String,
    pub incidents: Vec<String>,
    /// Distinct legit numbers and verified sends a block of the whole country would hit.
    pub legit_numbers: u64,
    pub legit_verified: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Proposal {
    pub rules: Vec<Rule>,
    pub declined: Vec<Declined>,
}

/// A file a target writes, relative to `--out`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutFile {
    pub path: String,
    pub text: String,
    pub executable: bool,
}

impl OutFile {
    pub fn new(path: impl Into<String>, text: String) -> OutFile {
        OutFile { path: path.into(), text, executable: false }
    }

    pub fn script(path: impl Into<String>, text: String) -> OutFile {
        OutFile { path: path.into(), text, executable: true }
    }
}

/// What the target writers need beside the proposal.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--protect-configuration-id`, else a placeholder the script refuses.
    pub protect_configuration_id: Option<String>,
    /// When AWS number overrides expire (s UTC).
    pub expires: i64,
    /// `--current`: the Firebase project's config as fetched.
    pub firebase_current: Option<serde_json::Value>,
}

/// The files of `target` (a `--target` name).
pub fn files(p: &Proposal, target: crate::cli::Target, o: &Options) -> Vec<OutFile> {
    use crate::cli::Target as T;
    match target {
        T::AwsProtect => aws::files(p, o),
        T::TwilioGeo => twilio::geo_files(p),
        T::TwilioSafelist => twilio::safelist_files(p),
        T::Firebase => firebase::files(p, o),
        T::Vonage => vonage::files(p),
        T::Csv => vec![listing::csv_file(p)],
        T::Json => vec![listing::json_file(p)],
    }
}

/// Where a target's files go under `--out`: its directory, or its one file.
pub fn place(target: crate::cli::Target) -> &'static str {
    use crate::cli::Target as T;
    match target {
        T::AwsProtect => "aws-protect",
        T::TwilioGeo => "twilio-geo",
        T::TwilioSafelist => "twilio-safelist",
        T::Firebase => "firebase",
        T::Vonage => "vonage",
        T::Csv => "rules.csv",
        T::Json => "rules.json",
    }
}

/// The rules a target takes, in order.
pub fn for_target<'a>(p: &'a Proposal, target: &'static str) -> impl Iterator<Item = &'a Rule> {
    p.rules.iter().filter(move |r| r.targets.contains(&target))
}

/// The incidents a set of rules is for, as `I1, I3`.
pub fn incidents_of<'a>(rules: impl Iterator<Item = &'a Rule>) -> String {
    let mut ids: Vec<&str> = rules.flat_map(|r| r.incidents.iter().map(String::as_str)).collect();
    ids.sort_by_key(|id| (id.len(), *id));
    ids.dedup();
    ids.join(", ")
}

/// The header comment of every script: what made it and for which incidents.
pub fn banner(what: &str, incidents: &str) -> String {
    format!(
        "#!/bin/sh\n# {what}\n# Written by pumphound {} (`pumphound block`) for incident(s) {incidents}.\n# Read it before you run it.\nset -eu\ncd \"$(dirname \"$0\")\"\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// A number's digits after `+`, as one integer, and how many there are.
fn full_digits(r: &Row) -> Option<(u64, u32)> {
    if r.nlen == 0 || r.calling_code == 0 {
        return None;
    }
    let cc_len = r.calling_code.ilog10() + 1;
    let len = cc_len + u32::from(r.nlen);
    (len <= 19).then(|| (u64::from(r.calling_code) * 10u64.pow(u32::from(r.nlen)) + r.national, len))
}

/// Whether `r`'s number starts with the digits `prefix` (of `plen` digits).
fn has_prefix(r: &Row, prefix: u64, plen: u32) -> bool {
    full_digits(r).is_some_and(|(d, len)| len >= plen && d / 10u64.pow(len - plen) == prefix)
}

/// The E.164 text of a row's number.
pub fn e164(r: &Row) -> String {
    format!("+{}{:0width$}", r.calling_code, r.national, width = usize::from(r.nlen))
}

/// Per country: the distinct legit numbers, and those of them that verified.
#[derive(Default)]
struct Users {
    legit: Set<(u16, u64)>,
    verified: Set<(u16, u64)>,
}

/// Propose rules for `incidents` at or above `s.min_severity`. `rows`: the scanned messages;
/// `store`: for each row's attack status by store index; `table` and `facts`: the rows'
/// ([`CountryTable::of`], [`Facts::of`]).
pub fn propose(
    store: &Store,
    rows: &[Row],
    table: &CountryTable,
    facts: &Facts,
    findings: &[Finding],
    incidents: &[Incident],
    s: &Settings,
) -> Proposal {
    let strong: Vec<&Incident> = incidents.iter().filter(|i| i.severity >= s.min_severity).collect();
    if strong.is_empty() {
        return Proposal::default();
    }
    let conversion_known = facts.conversion_known;
    // How much legit traffic each country has: its sends that verified (when conversion is
    // known), else its sends, from the table, less the attack's.
    let (countries, ids) = (&table.countries, &table.ids);
    let weigh = |r: &Row| if conversion_known { f64::from(u8::from(r.converted() == Some(true))) } else { 1.0 };
    let mut weight: Vec<f64> =
        (0..countries.codes.len()).map(|c| (if conversion_known { table.verified[c] } else { table.sends[c] }) as f64).collect();
    let mut attack = vec![false; store.rows.len()];
    for i in &strong {
        for &r in &i.rows {
            if !attack[r as usize] {
                attack[r as usize] = true;
                let m = &store.rows[r as usize];
                if let Some(c) = countries.get(m.country()) {
                    weight[c] -= weigh(m);
                }
            }
        }
    }
    // The legit users of the incidents' countries, for the rules' texts and the safe list.
    let mut wanted: Set<[u8; 2]> = Set::default();
    for i in &strong {
        for &r in &i.rows {
            wanted.extend(store.rows[r as usize].country());
        }
    }
    let is_wanted = |c: &crate::detect::Code| c.is_some_and(|c| wanted.contains(&c));
    // The incidents' countries' legit numbers, from their rows alone (the table's bytes find
    // them; a pass over every row on every core had been 30-35 ms at 9.7M rows). Rules are about
    // the attack's calling codes: the rows of those, for what the rules would have matched
    // (gathered in the same pass).
    let codes = crate::detect::CallingCodes::of(strong.iter().flat_map(|i| i.rows.iter()).map(|&r| store.rows[r as usize].calling_code));
    let mut users_at: Vec<Option<Users>> = countries.codes.iter().map(|c| is_wanted(c).then(Users::default)).collect();
    let mut of_codes: Vec<u32> = Vec::new();
    let want: Vec<bool> = users_at.iter().enumerate().map(|(c, u)| u.is_some() || ids.may_have(c, &codes)).collect();
    for (at, r) in ids.rows_of(rows, countries, |c| want[c]) {
        if codes.has(r) {
            of_codes.push(at as u32);
        }
        if attack[r.idx as usize] {
            continue;
        }
        let Some(u) = countries.get(r.country()).and_then(|c| users_at[c].as_mut()).filter(|_| r.nlen > 0) else { continue };
        u.legit.insert((r.calling_code, r.national));
        if r.converted() == Some(true) {
            u.verified.insert((r.calling_code, r.national));
        }
    }
    let users: Map<[u8; 2], Users> = countries.codes.iter().zip(users_at).filter_map(|(code, u)| Some(((*code)?, u?))).collect();
    let account: f64 = weight.iter().sum();
    let finding_of: Map<&str, &Finding> = findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let mut rules: Vec<Rule> = Vec::new();
    let mut declined: Vec<Declined> = Vec::new();
    for inc in &strong {
        // The incident's attack numbers by country.
        let mut by_country: BTreeMap<[u8; 2], Vec<&Row>> = BTreeMap::new();
        for &r in &inc.rows {
            let m = &store.rows[r as usize];
            if let Some(c) = m.country().filter(|_| m.nlen > 0 && m.ts_opt().is_some()) {
                by_country.entry(c).or_default().push(m);
            }
        }
        for (code, members) in &by_country {
            let country = &String::from_utf8_lossy(code).into_owned();
            let cc = members[0].calling_code;
            let here = users.get(code);
            let legit_here = countries.get(Some(*code)).map_or(0.0, |c| weight[c]);
            let mut add = |rule: Rule| push_rule(&mut rules, rule, &inc.id);
            if legit_here <= s.max_legit_share * account {
                let shared = crate::phone::regions_of(cc);
                let mut targets = vec![AWS, TWILIO_GEO, FIREBASE];
                let mut note = format!(
                    "{legit_here:.0} legit {} to {country} ({:.2}% of the account's)",
                    if conversion_known { "verified sends" } else { "sends" },
                    100.0 * legit_here / account.max(1.0)
                );
                if shared.len() <= 1 {
                    targets.push(VONAGE);
                } else {
                    note.push_str(&format!(
                        "; calling code +{cc} is shared by {} regions, so Vonage gets its ranges, not the code",
                        shared.len()
                    ));
                }
                add(rule(Scope::Country, Action::Block, country.clone(), country, cc, Vec::new(), targets, note));
                if shared.len() > 1 {
                    prefix_rules(&mut add, inc, &finding_of, country, cc, members);
                }
                if twilio::CONSOLE_ONLY.contains(&country.as_str()) {
                    declined.push(Declined {
                        target: TWILIO_GEO,
                        country: country.clone(),
                        incidents: vec![inc.id.clone()],
                        legit_numbers: here.map_or(0, |u| u.legit.len() as u64),
                        legit_verified: here.map_or(0, |u| u.verified.len() as u64),
                        reason: format!("Twilio ignores API changes to {country} (error 30649): change it in the Console"),
                    });
                }
                // The opposite lever: legit numbers that verified inside the blocked country.
                let (safe, keys) = safelist(here.map(|u| &u.verified), rows, table, &attack, *code);
                if !safe.is_empty() {
                    let note = format!("{} legit numbers verified in {country}: exempt them from the block", keys.len());
                    let what = format!("{} entries", safe.len());
                    let mut r = rule(Scope::Numbers, Action::Allow, what, country, cc, safe, vec![TWILIO_SAFELIST], note);
                    r.keys = keys;
                    add(r);
                }
            } else {
                let note = format!(
                    "{legit_here:.0} legit {} to {country} ({:.2}% of the account's, above {:.2}%): not blocked whole",
                    if conversion_known { "verified sends" } else { "sends" },
                    100.0 * legit_here / account.max(1.0),
                    100.0 * s.max_legit_share
                );
                let filter_note = format!(
                    "{note}; FILTER blocks only what AWS's risk model flags, so these figures are the most it can stop and block (MONITOR only reports)"
                );
                add(rule(Scope::Country, Action::Filter, country.clone(), country, cc, Vec::new(), vec![AWS], filter_note));
                prefix_rules(&mut add, inc, &finding_of, country, cc, members);
                let keys: Set<(u16, u64)> = members.iter().map(|r| (r.calling_code, r.national)).collect();
                let mut numbers: Vec<String> = members.iter().map(|r| e164(r)).collect::<Set<_>>().into_iter().collect();
                numbers.sort();
                let what = format!("{} numbers", numbers.len());
                let why = "the attack's numbers, each an override that beats the country rule".to_string();
                let mut r = rule(Scope::Numbers, Action::Block, what, country, cc, numbers, vec![AWS], why);
                r.keys = keys;
                add(r);
                for target in [TWILIO_GEO, FIREBASE] {
                    declined.push(Declined {
                        target,
                        country: country.clone(),
                        incidents: vec![inc.id.clone()],
                        legit_numbers: here.map_or(0, |u| u.legit.len() as u64),
                        legit_verified: here.map_or(0, |u| u.verified.len() as u64),
                        reason: format!(
                            "blocking {country} would also block {} legit numbers ({} verified): {note}",
                            here.map_or(0, |u| u.legit.len()),
                            here.map_or(0, |u| u.verified.len())
                        ),
                    });
                }
            }
        }
    }
    what_if(&mut rules, of_codes.iter().map(|&at| &rows[at as usize]), &attack);
    rules.sort_by(|a, b| {
        (first_incident(a, incidents), a.country.as_str(), a.scope, a.action, a.subject.as_str()).cmp(&(
            first_incident(b, incidents),
            b.country.as_str(),
            b.scope,
            b.action,
            b.subject.as_str(),
        ))
    });
    for (i, r) in rules.iter_mut().enumerate() {
        r.id = format!("R{}", i + 1);
    }
    declined.sort_by(|a, b| (a.country.as_str(), a.target).cmp(&(b.country.as_str(), b.target)));
    declined.dedup_by(|a, b| {
        let same = a.country == b.country && a.target == b.target;
        if same {
            b.incidents.append(&mut a.incidents);
        }
        same
    });
    Proposal { rules, declined }
}

fn first_incident(r: &Rule, incidents: &[Incident]) -> usize {
    r.incidents.iter().filter_map(|id| incidents.iter().position(|i| &i.id == id)).min().unwrap_or(usize::MAX)
}

#[allow(clippy::too_many_arguments)]
fn rule(
    scope: Scope,
    action: Action,
    subject: String,
    country: &str,
    calling_code: u16,
    numbers: Vec<String>,
    targets: Vec<&'static str>,
    note: String,
) -> Rule {
    Rule {
        id: String::new(),
        incidents: Vec::new(),
        scope,
        action,
        subject,
        country: country.to_string(),
        calling_code,
        numbers,
        keys: Set::default(),
        targets,
        stops: Impact::default(),
        legit: Impact::default(),
        note,
    }
}

/// Add `r` for `incident`, or name the incident on the same rule already proposed.
fn push_rule(rules: &mut Vec<Rule>, mut r: Rule, incident: &str) {
    if let Some(have) =
        rules.iter_mut().find(|x| x.scope == r.scope && x.action == r.action && x.subject == r.subject && x.country == r.country)
    {
        if !have.incidents.iter().any(|i| i == incident) {
            have.incidents.push(incident.to_string());
        }
        if have.scope == Scope::Numbers {
            have.keys.extend(r.keys);
            let mut all: Vec<String> = have.numbers.drain(..).chain(r.numbers).collect();
            all.sort();
            all.dedup();
            have.subject = format!("{} numbers", all.len());
            have.numbers = all;
        }
        return;
    }
    r.incidents.push(incident.to_string());
    rules.push(r);
}

/// Vonage prefix rules for the incident's pumped ranges and operator prefixes in `country`:
/// the narrowest first, each kept when it reaches at least `MIN_NEW_COVER` of the incident's
/// messages there that the narrower ones left (a pumped range inside an operator prefix is
/// enough alone when it holds the attack).
fn prefix_rules(add: &mut dyn FnMut(Rule), inc: &Incident, findings: &Map<&str, &Finding>, country: &str, cc: u16, members: &[&Row]) {
    const MIN_NEW_COVER: f64 = 0.05;
    let mut prefixes: Vec<String> = Vec::new();
    for f in inc.findings.iter().filter_map(|id| findings.get(id.as_str())) {
        if f.country.as_deref() != Some(country) || !matches!(f.subject_kind, "number_range" | "operator_prefix") {
            continue;
        }
        let digits: String = f.subject.chars().filter(char::is_ascii_digit).collect();
        if digits.len() > cc.ilog10() as usize + 1 && digits.len() <= 15 {
            prefixes.push(digits);
        }
    }
    prefixes.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    prefixes.dedup();
    let mut covered = vec![false; members.len()];
    let mut kept: Vec<String> = Vec::new();
    for p in prefixes {
        let Ok(value) = p.parse::<u64>() else { continue };
        let hits: Vec<usize> = (0..members.len()).filter(|&i| !covered[i] && has_prefix(members[i], value, p.len() as u32)).collect();
        if hits.is_empty() || (hits.len() as f64) < MIN_NEW_COVER * members.len() as f64 {
            continue;
        }
        for i in hits {
            covered[i] = true;
        }
        kept.push(p);
    }
    // A narrower prefix inside a wider one kept adds nothing.
    let kept: Vec<&String> = kept.iter().filter(|p| !kept.iter().any(|q| q != *p && p.starts_with(q.as_str()))).collect();
    for p in kept {
        let note = "numbers that start with these digits (Vonage checks the destination's leading digits)".to_string();
        add(rule(Scope::Prefix, Action::Block, format!("+{p}"), country, cc, Vec::new(), vec![VONAGE], note));
    }
}

/// The legit numbers that verified in `country`, as Global Safe List entries: a 1k prefix
/// (`+3712900012xxx`) where every number the data shows in it verified and none is the attack's
/// and there are at least two, else the number itself. Also the numbers, for matching.
fn safelist(
    verified: Option<&Set<(u16, u64)>>,
    rows: &[Row],
    table: &CountryTable,
    attack: &[bool],
    country: [u8; 2],
) -> (Vec<String>, Set<(u16, u64)>) {
    let Some(verified) = verified.filter(|v| !v.is_empty()) else { return (Vec::new(), Set::default()) };
    // Every number of the country seen in each 1k block, and whether all of them are safe. The
    // country's rows alone, found by the table's bytes.
    let mut blocks: Map<(u16, u8, u64), (Set<u64>, bool)> = Map::default();
    let in_country = |r: &&Row| r.nlen > 3 && r.country() == Some(country);
    let of_country = || table.ids.rows_of(rows, &table.countries, |c| table.countries.codes[c] == Some(country)).map(|(_, r)| r);
    for r in of_country().filter(in_country) {
        let e = blocks.entry((r.calling_code, r.nlen, r.national / 1000)).or_insert_with(|| (Set::default(), true));
        e.0.insert(r.national);
        e.1 &= !attack[r.idx as usize] && verified.contains(&(r.calling_code, r.national));
    }
    let mut out: Vec<String> = Vec::new();
    let mut listed: Set<(u16, u64)> = Set::default();
    for r in of_country().filter(in_country).filter(|r| verified.contains(&(r.calling_code, r.national))) {
        if !listed.insert((r.calling_code, r.national)) {
            continue;
        }
        match blocks.get(&(r.calling_code, r.nlen, r.national / 1000)) {
            Some((numbers, true)) if numbers.len() >= 2 => {
                let text = e164(r);
                out.push(format!("{}xxx", &text[..text.len() - 3]));
            }
            _ => out.push(e164(r)),
        }
    }
    out.sort();
    out.dedup();
    (out, listed)
}

/// What each rule would have matched in the scanned period, attack and legit apart: one pass
/// over `rows` (those of the rules' calling codes), each tried only against the rules of its
/// calling code.
fn what_if<'a>(rules: &mut [Rule], rows: impl Iterator<Item = &'a Row>, attack: &[bool]) {
    type Seen = (Impact, Set<(u16, u64)>);
    let mut by_code: Map<u16, Vec<usize>> = Map::default();
    for (i, r) in rules.iter().enumerate() {
        by_code.entry(r.calling_code).or_default().push(i);
    }
    let matchers: Vec<_> = rules
        .iter()
        .map(|r| {
            let code: Option<[u8; 2]> = <[u8; 2]>::try_from(r.country.as_bytes()).ok();
            let prefix: Option<(u64, u32)> = (r.scope == Scope::Prefix)
                .then(|| r.subject.trim_start_matches('+').parse().ok().map(|p| (p, r.subject.len() as u32 - 1)))
                .flatten();
            (r.scope, code, prefix)
        })
        .collect();
    let mut sides: Vec<(Seen, Seen)> = (0..rules.len()).map(|_| Default::default()).collect();
    let mut last_code = None;
    let mut wanted: &[usize] = &[];
    for m in rows {
        if last_code != Some(m.calling_code) {
            last_code = Some(m.calling_code);
            wanted = by_code.get(&m.calling_code).map_or(&[], Vec::as_slice);
        }
        for &i in wanted {
            let hit = match matchers[i] {
                (Scope::Country, code, _) => m.country() == code,
                (Scope::Prefix, _, prefix) => prefix.is_some_and(|(p, l)| has_prefix(m, p, l)),
                (Scope::Numbers, _, _) => rules[i].keys.contains(&(m.calling_code, m.national)),
            };
            if !hit {
                continue;
            }
            let (side, seen) = if attack[m.idx as usize] { &mut sides[i].0 } else { &mut sides[i].1 };
            side.messages += 1;
            side.cost += m.cost;
            side.verified += u64::from(m.converted() == Some(true));
            side.first = Some(side.first.map_or(m.ts, |t: i64| t.min(m.ts)));
            side.last = Some(side.last.map_or(m.ts, |t: i64| t.max(m.ts)));
            seen.insert((m.calling_code, m.national));
        }
    }
    for (r, ((mut stops, stopped), (mut legit, hit))) in rules.iter_mut().zip(sides) {
        stops.numbers = stopped.len() as u64;
        legit.numbers = hit.len() as u64;
        (r.stops, r.legit) = (stops, legit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    #[test]
    fn prefixes_match_on_the_whole_number_digits() {
        let r = row(0, 0, 998, 901_234_567, 9);
        assert_eq!(full_digits(&r), Some((998_901_234_567, 12)));
        assert!(has_prefix(&r, 99890, 5));
        assert!(has_prefix(&r, 998, 3));
        assert!(!has_prefix(&r, 99891, 5));
        assert!(!has_prefix(&r, 9989012345678, 13), "longer than the number");
        assert_eq!(e164(&row(0, 0, 39, 612_345, 7)), "+390612345", "leading zeros of the national number are kept");
    }
}
