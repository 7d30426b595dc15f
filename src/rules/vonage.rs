//! `vonage`: Vonage Fraud Defender traffic rules (`POST https://api.nexmo.com/v1/fraud-defender/rules`,
//! one rule a request): `product` sms, `prefix` the destination's leading digits without `+`
//! (a calling code, a range or a number; at most 15 digits), `action` block, `reason` naming the
//! incident. The more specific prefix wins, and rules are per API key.

use super::{Action, OutFile, Proposal, Scope, VONAGE, banner, for_target, incidents_of};
use serde_json::json;

const URL: &str = "https://api.nexmo.com/v1/fraud-defender/rules";

pub fn files(p: &Proposal) -> Vec<OutFile> {
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for r in for_target(p, VONAGE).filter(|r| r.action == Action::Block) {
        let prefix = match r.scope {
            Scope::Country => r.calling_code.to_string(),
            Scope::Prefix => r.subject.trim_start_matches('+').to_string(),
            Scope::Numbers => continue,
        };
        if prefix.is_empty() || prefix.len() > 15 || seen.contains(&prefix) {
            continue;
        }
        seen.push(prefix.clone());
        let what = match r.scope {
            Scope::Country => format!("SMS pumping to {} (+{prefix})", r.country),
            _ => format!("SMS pumping to the range +{prefix} ({})", r.country),
        };
        let body = json!({
            "product": "sms",
            "prefix": prefix,
            "reason": format!("pumphound {} {}: {what}", r.id, r.incidents.join("+")),
            "action": "block",
            "status": "active",
        });
        let mut text = serde_json::to_string_pretty(&body).unwrap_or_default();
        text.push('\n');
        out.push(OutFile::new(format!("vonage/rule-{prefix}.json"), text));
    }
    if out.is_empty() {
        return out;
    }
    let incidents = incidents_of(for_target(p, VONAGE));
    let mut apply = banner("Create the proposed Vonage Fraud Defender rules (rules are per API key: run it for each).", &incidents);
    apply.push_str(": \"${VONAGE_API_KEY:?set VONAGE_API_KEY}\" \"${VONAGE_API_SECRET:?set VONAGE_API_SECRET}\"\n");
    apply.push_str(&format!(
        "# A rule that conflicts with an existing one is refused (http:error:conflict) and left as it is.\n\
# Keep the ids Vonage answers with: undo is DELETE {URL}/ID.\n\
for f in rule-*.json; do\n  curl -sS -X POST {URL} -u \"$VONAGE_API_KEY:$VONAGE_API_SECRET\" \\\n    -H 'Content-Type: application/json' --data \"@$f\"\n  echo\ndone\n"
    ));
    out.push(OutFile::script("vonage/apply.sh", apply));
    out
}
