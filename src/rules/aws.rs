//! `aws-protect`: AWS End User Messaging SMS protect configurations (`aws pinpoint-sms-voice-v2`).
//! Country rules go into `UpdateProtectConfigurationCountryRuleSet` `--cli-input-json` files
//! (ISO alpha-2 upper case, at most 300 countries a file, `NumberCapability` SMS); each attack
//! number into its own `PutProtectConfigurationRuleSetNumberOverride` file (`Action` BLOCK,
//! `ExpirationTimestamp` in epoch seconds). `apply.sh` runs them at one request a second (the
//! service's default control-plane quota); `undo.sh` puts the countries back to ALLOW and
//! deletes the overrides.

use super::{AWS, Action, Options, OutFile, Proposal, Scope, banner, for_target, incidents_of};
use serde_json::json;
use std::collections::BTreeMap;

/// Written where no `--protect-configuration-id` was given; it matches the service's pattern
/// (so the files validate), and the scripts refuse to run with it.
pub const PLACEHOLDER: &str = "REPLACE-WITH-PROTECT-CONFIGURATION-ID";
/// Countries an `UpdateProtectConfigurationCountryRuleSet` call takes at most.
pub const MAX_COUNTRIES: usize = 300;

const SNS_NOTE: &str = "# Set as the account default protect configuration, these rules also cover messages sent\n\
# through Amazon SNS and Amazon Cognito (SetAccountDefaultProtectConfiguration); otherwise only\n\
# sends that name the configuration or its configuration set. Protect configurations are per\n\
# Region: apply the files in every Region that sends (AWS_REGION or --region).\n";

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

pub fn files(p: &Proposal, o: &Options) -> Vec<OutFile> {
    let id = o.protect_configuration_id.as_deref().unwrap_or(PLACEHOLDER);
    let mut countries: BTreeMap<String, Action> = BTreeMap::new();
    let mut numbers: BTreeMap<String, ()> = BTreeMap::new();
    for r in for_target(p, AWS) {
        match r.scope {
            // A block wins over a filter proposed for the same country by another incident.
            Scope::Country => {
                let a = countries.entry(r.country.to_ascii_uppercase()).or_insert(r.action);
                if r.action == Action::Block {
                    *a = Action::Block;
                }
            }
            Scope::Numbers if r.action == Action::Block => numbers.extend(r.numbers.iter().map(|n| (n.clone(), ()))),
            _ => {}
        }
    }
    if countries.is_empty() && numbers.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let list: Vec<(&String, &Action)> = countries.iter().collect();
    for (i, chunk) in list.chunks(MAX_COUNTRIES).enumerate() {
        let map: serde_json::Map<String, serde_json::Value> =
            chunk.iter().map(|(c, a)| ((*c).clone(), json!({ "ProtectStatus": a.as_str() }))).collect();
        let body = json!({ "ProtectConfigurationId": id, "NumberCapability": "SMS", "CountryRuleSetUpdates": map });
        out.push(OutFile::new(format!("aws-protect/country-rules-{}.json", i + 1), pretty(&body)));
    }
    for n in numbers.keys() {
        let body = json!({
            "ProtectConfigurationId": id,
            "DestinationPhoneNumber": n,
            "Action": "BLOCK",
            "ExpirationTimestamp": o.expires,
        });
        out.push(OutFile::new(format!("aws-protect/overrides/{}.json", n.trim_start_matches('+')), pretty(&body)));
    }
    let incidents = incidents_of(for_target(p, AWS));
    let guard = format!(
        "if grep -q {PLACEHOLDER} country-rules-*.json overrides/*.json 2>/dev/null; then\n  echo \"pumphound: the files carry no protect configuration id: run pumphound block again with --protect-configuration-id\" >&2\n  exit 2\nfi\n"
    );
    let mut apply = banner("Apply the proposed AWS End User Messaging protect rules, one request a second.", &incidents);
    apply.push_str(SNS_NOTE);
    apply.push_str(&guard);
    apply.push_str("for f in country-rules-*.json; do\n  [ -e \"$f\" ] || continue\n  aws pinpoint-sms-voice-v2 update-protect-configuration-country-rule-set --cli-input-json \"file://$f\"\n  sleep 1\ndone\n");
    apply.push_str("for f in overrides/*.json; do\n  [ -e \"$f\" ] || continue\n  aws pinpoint-sms-voice-v2 put-protect-configuration-rule-set-number-override --cli-input-json \"file://$f\"\n  sleep 1\ndone\n");
    out.push(OutFile::script("aws-protect/apply.sh", apply));
    let mut undo = banner(
        "Undo apply.sh: the countries back to ALLOW (the service default; set any that were not ALLOW before by hand) and the number overrides deleted.",
        &incidents,
    );
    undo.push_str(&guard);
    if !countries.is_empty() {
        let updates: Vec<String> = countries.keys().map(|c| format!("{c}={{ProtectStatus=ALLOW}}")).collect();
        for chunk in updates.chunks(MAX_COUNTRIES) {
            undo.push_str(&format!(
                "aws pinpoint-sms-voice-v2 update-protect-configuration-country-rule-set --protect-configuration-id '{id}' --number-capability SMS --country-rule-set-updates '{}'\nsleep 1\n",
                chunk.join(",")
            ));
        }
    }
    for n in numbers.keys() {
        undo.push_str(&format!(
            "aws pinpoint-sms-voice-v2 delete-protect-configuration-rule-set-number-override --protect-configuration-id '{id}' --destination-phone-number '{n}'\nsleep 1\n"
        ));
    }
    out.push(OutFile::script("aws-protect/undo.sh", undo));
    out
}
