//! Twilio: `twilio-geo`, the Messaging Geo Permissions API (`PATCH
//! https://accounts.twilio.com/v1/Messaging/GeoPermissions`, form-encoded, one `Permissions` JSON
//! string a country), which only turns whole countries on and off; and `twilio-safelist`, the
//! Global Safe List (`POST https://accounts.twilio.com/v1/SafeList/Numbers`, one number or 1k
//! prefix a request, 500 requests a minute), the opposite lever: legit numbers kept flowing
//! through a country block.

use super::{Action, OutFile, Proposal, Scope, TWILIO_GEO, TWILIO_SAFELIST, banner, for_target, incidents_of};

/// Countries whose geo permission Twilio changes only in the Console (error 30649: API
/// attempts are ignored).
pub const CONSOLE_ONLY: [&str; 11] = ["BD", "IL", "NG", "PK", "PS", "LK", "AZ", "TJ", "OM", "TN", "DZ"];

const GEO_URL: &str = "https://accounts.twilio.com/v1/Messaging/GeoPermissions";
const SAFE_URL: &str = "https://accounts.twilio.com/v1/SafeList/Numbers";

/// A `Permissions` element: a JSON string per country.
fn permission(country: &str, enabled: bool) -> String {
    serde_json::json!({ "country_code": country, "type": "country", "enabled": enabled }).to_string()
}

/// Percent-encoding for `application/x-www-form-urlencoded` (what curl's --data-urlencode does).
fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn geo_files(p: &Proposal) -> Vec<OutFile> {
    let mut countries: Vec<String> = for_target(p, TWILIO_GEO)
        .filter(|r| r.scope == Scope::Country && r.action == Action::Block)
        .map(|r| r.country.to_ascii_uppercase())
        .collect();
    countries.sort();
    countries.dedup();
    let declined: Vec<&super::Declined> = p.declined.iter().filter(|d| d.target == TWILIO_GEO).collect();
    if countries.is_empty() && declined.is_empty() {
        return Vec::new();
    }
    let (console, api): (Vec<&String>, Vec<&String>) = countries.iter().partition(|c| CONSOLE_ONLY.contains(&c.as_str()));
    let incidents = incidents_of(for_target(p, TWILIO_GEO));
    let mut out = Vec::new();
    if !api.is_empty() {
        let body: Vec<String> = api.iter().map(|c| format!("Permissions={}", form_encode(&permission(c, false)))).collect();
        out.push(OutFile::new("twilio-geo/body.form", body.join("&") + "\n"));
        let mut apply = banner("Turn off SMS to the proposed countries (Twilio Messaging Geo Permissions).", &incidents);
        apply.push_str(": \"${TWILIO_ACCOUNT_SID:?set TWILIO_ACCOUNT_SID}\" \"${TWILIO_AUTH_TOKEN:?set TWILIO_AUTH_TOKEN}\"\n");
        apply.push_str("# Twilio answers per country: check each error_code in the response (0 is done).\n");
        apply.push_str(&format!("curl -sS -X PATCH {GEO_URL} \\\n  -u \"$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN\" \\\n"));
        let lines: Vec<String> = api.iter().map(|c| format!("  --data-urlencode 'Permissions={}'", permission(c, false))).collect();
        apply.push_str(&lines.join(" \\\n"));
        apply.push('\n');
        out.push(OutFile::script("twilio-geo/apply.sh", apply));
        let mut undo = banner("Undo apply.sh: SMS to the countries turned on again.", &incidents);
        undo.push_str(": \"${TWILIO_ACCOUNT_SID:?set TWILIO_ACCOUNT_SID}\" \"${TWILIO_AUTH_TOKEN:?set TWILIO_AUTH_TOKEN}\"\n");
        undo.push_str(&format!("curl -sS -X PATCH {GEO_URL} \\\n  -u \"$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN\" \\\n"));
        let lines: Vec<String> = api.iter().map(|c| format!("  --data-urlencode 'Permissions={}'", permission(c, true))).collect();
        undo.push_str(&lines.join(" \\\n"));
        undo.push('\n');
        out.push(OutFile::script("twilio-geo/undo.sh", undo));
    }
    let mut notes = String::new();
    for c in &console {
        notes.push_str(&format!(
            "{c}\tchange in the Console (Messaging > Settings > Geo permissions): Twilio ignores API changes to it (error 30649)\n"
        ));
    }
    for d in &declined {
        notes.push_str(&format!("{}\tnot blocked: {}\n", d.country, d.reason));
    }
    if !notes.is_empty() {
        out.push(OutFile::new("twilio-geo/not-applied.txt", notes));
    }
    out
}

pub fn safelist_files(p: &Proposal) -> Vec<OutFile> {
    let mut entries: Vec<String> = for_target(p, TWILIO_SAFELIST).flat_map(|r| r.numbers.iter().cloned()).collect();
    entries.sort();
    entries.dedup();
    if entries.is_empty() {
        return Vec::new();
    }
    let incidents = incidents_of(for_target(p, TWILIO_SAFELIST));
    let mut apply =
        banner("Add legit numbers that verified inside a blocked country to the Twilio Global Safe List (500 requests/min).", &incidents);
    apply.push_str(": \"${TWILIO_ACCOUNT_SID:?set TWILIO_ACCOUNT_SID}\" \"${TWILIO_AUTH_TOKEN:?set TWILIO_AUTH_TOKEN}\"\n");
    apply.push_str(&format!(
        "# An entry already listed answers HTTP 400 (error 60411) and is skipped.\nwhile read -r n; do\n  curl -sS -X POST {SAFE_URL} -u \"$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN\" --data-urlencode \"PhoneNumber=$n\" || true\n  echo\n  sleep 0.15\ndone < numbers.txt\n"
    ));
    let mut undo = banner("Undo apply.sh: the entries removed from the Global Safe List.", &incidents);
    undo.push_str(": \"${TWILIO_ACCOUNT_SID:?set TWILIO_ACCOUNT_SID}\" \"${TWILIO_AUTH_TOKEN:?set TWILIO_AUTH_TOKEN}\"\n");
    undo.push_str(&format!(
        "while read -r n; do\n  curl -sS -G -X DELETE {SAFE_URL} -u \"$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN\" --data-urlencode \"PhoneNumber=$n\"\n  sleep 0.15\ndone < numbers.txt\n"
    ));
    vec![
        OutFile::new("twilio-safelist/numbers.txt", entries.join("\n") + "\n"),
        OutFile::script("twilio-safelist/apply.sh", apply),
        OutFile::script("twilio-safelist/undo.sh", undo),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_form_encoded_json_strings() {
        assert_eq!(permission("UZ", false), r#"{"country_code":"UZ","enabled":false,"type":"country"}"#);
        assert_eq!(form_encode(r#"{"a":1}"#), "%7B%22a%22%3A1%7D");
    }
}
