//! `--allow FILE`: countries, E.164 prefixes and numbers the responder knows to be legit (a
//! partner's range, employees' numbers, a market being launched). One entry a line, `#` starts
//! a comment: `GB`, `+44740012`, `+447400123456`. Messages to an allowed prefix or number leave
//! a finding's evidence; a finding left with none, or about an allowed country or range, is
//! suppressed. Suppressed findings are counted and listed in every report, never dropped.

use super::Finding;
use crate::store::Store;

#[derive(Debug, Default, Clone)]
pub struct AllowList {
    pub countries: Vec<String>,
    /// `+` and digits: a prefix, or a whole number.
    pub prefixes: Vec<String>,
}

/// Why a finding was suppressed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Suppressed {
    pub detector: &'static str,
    pub subject: String,
    pub title: String,
    pub messages: u64,
    pub reason: String,
}

impl AllowList {
    pub fn parse(text: &str) -> Result<AllowList, String> {
        let mut a = AllowList::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if line.len() == 2 && line.bytes().all(|b| b.is_ascii_alphabetic()) {
                a.countries.push(line.to_ascii_uppercase());
            } else if line.starts_with('+') && line.len() > 1 && line[1..].bytes().all(|b| b.is_ascii_digit()) {
                a.prefixes.push(line.to_string());
            } else {
                return Err(format!("line {}: `{line}` is neither a country (GB) nor an E.164 prefix or number (+44740)", i + 1));
            }
        }
        Ok(a)
    }

    pub fn is_empty(&self) -> bool {
        self.countries.is_empty() && self.prefixes.is_empty()
    }

    fn prefix_of(&self, dest: &str) -> Option<&str> {
        self.prefixes.iter().find(|p| dest.starts_with(p.as_str())).map(String::as_str)
    }

    /// Split findings into kept and suppressed. Kept findings lose the messages that go to an
    /// allowed country, prefix or number (settle them afterwards: [`super::settle`]), so an
    /// allowed number's cost is in no finding and no incident.
    pub fn apply(&self, findings: Vec<Finding>, store: &Store) -> (Vec<Finding>, Vec<Suppressed>) {
        if self.is_empty() {
            return (findings, Vec::new());
        }
        let mut kept = Vec::new();
        let mut suppressed = Vec::new();
        for mut f in findings {
            let entry = |reason: String, f: &Finding| Suppressed {
                detector: f.detector,
                subject: f.subject.clone(),
                title: f.title.clone(),
                messages: f.messages,
                reason,
            };
            if let Some(c) = f.country.as_ref().filter(|c| self.countries.contains(c)) {
                suppressed.push(entry(format!("country {c} is allowed"), &f));
                continue;
            }
            if f.subject_kind == "number_range"
                && let Some(p) = self.prefix_of(f.subject.trim_end_matches('x'))
            {
                suppressed.push(entry(format!("range inside allowed prefix {p}"), &f));
                continue;
            }
            let before = f.rows.len();
            f.rows.retain(|&r| {
                let m = &store.rows[r as usize];
                !m.country_opt().is_some_and(|c| self.countries.iter().any(|x| x == c)) && self.prefix_of(&store.destination(m)).is_none()
            });
            if before > 0 && f.rows.is_empty() {
                suppressed.push(entry("every message goes to an allowed country, prefix or number".into(), &f));
                continue;
            }
            kept.push(f);
        }
        (kept, suppressed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_entries_and_refuse_garbage() {
        let a = AllowList::parse("# partners\nGB\n+44740012  # range\n\n+447400123456\n").expect("parse");
        assert_eq!(a.countries, ["GB"]);
        assert_eq!(a.prefixes, ["+44740012", "+447400123456"]);
        assert!(AllowList::parse("Great Britain").is_err());
    }
}
