//! `firebase`: the Firebase Authentication / Identity Platform SMS region policy
//! (`PATCH .../admin/v2/projects/PROJECT/config?updateMask=smsRegionConfig`). The API replaces the
//! whole list, so the proposed regions are merged with the project's current policy when
//! `--current` gives it: a deny list gains the regions, an allow list loses them.

use super::{Action, FIREBASE, Options, OutFile, Proposal, Scope, banner, for_target, incidents_of};
use serde_json::{Value, json};

/// The first line of the output when the current policy is not known.
pub const NO_CURRENT: &str = "firebase: without --current the file holds only the proposed regions, and the API replaces the whole list: fetch the config first (see apply.sh) and run again with --current";

/// The current `smsRegionConfig` of a fetched config, in either casing the API speaks.
fn current_policy(v: &Value) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let config = v.get("smsRegionConfig").or_else(|| v.get("sms_region_config")).unwrap_or(v);
    let list = |outer: [&str; 2], inner: [&str; 2]| -> Option<Vec<String>> {
        let o = outer.iter().find_map(|k| config.get(*k))?;
        let l = inner.iter().find_map(|k| o.get(*k)).and_then(Value::as_array).cloned().unwrap_or_default();
        Some(l.iter().filter_map(Value::as_str).map(str::to_ascii_uppercase).collect())
    };
    (
        list(["allowByDefault", "allow_by_default"], ["disallowedRegions", "disallowed_regions"]),
        list(["allowlistOnly", "allowlist_only"], ["allowedRegions", "allowed_regions"]),
    )
}

/// Whether `--current` holds a config this module can merge with (an error message if not).
pub fn check_current(v: &Value) -> Result<(), String> {
    match current_policy(v) {
        (Some(_), Some(_)) => Err("it holds both allowByDefault and allowlistOnly, which the API refuses".into()),
        _ if !v.is_object() => Err("expected the JSON object GET .../config returns".into()),
        _ => Ok(()),
    }
}

pub fn files(p: &Proposal, o: &Options) -> Vec<OutFile> {
    let mut regions: Vec<String> = for_target(p, FIREBASE)
        .filter(|r| r.scope == Scope::Country && r.action == Action::Block)
        .map(|r| r.country.to_ascii_uppercase())
        .collect();
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        return Vec::new();
    }
    let body = match o.firebase_current.as_ref().map(current_policy) {
        Some((_, Some(allowed))) => {
            let kept: Vec<String> = allowed.into_iter().filter(|r| !regions.contains(r)).collect();
            json!({ "smsRegionConfig": { "allowlistOnly": { "allowedRegions": kept } } })
        }
        current => {
            let mut all: Vec<String> = current.and_then(|c| c.0).unwrap_or_default();
            all.extend(regions.iter().cloned());
            all.sort();
            all.dedup();
            json!({ "smsRegionConfig": { "allowByDefault": { "disallowedRegions": all } } })
        }
    };
    let mut text = serde_json::to_string_pretty(&body).unwrap_or_default();
    text.push('\n');
    let incidents = incidents_of(for_target(p, FIREBASE));
    let mut apply = banner("Set the Firebase / Identity Platform SMS region policy (it replaces the whole list).", &incidents);
    if o.firebase_current.is_none() {
        apply.insert_str(apply.find('\n').map_or(0, |i| i + 1), &format!("# {NO_CURRENT}\n"));
    }
    apply.push_str(
        ": \"${PROJECT_ID:?set PROJECT_ID}\"\nTOKEN=\"$(gcloud auth print-access-token)\"\n\
# The policy as it is now, to keep for undo (and for --current):\n\
curl -sS -H \"Authorization: Bearer $TOKEN\" \"https://identitytoolkit.googleapis.com/admin/v2/projects/$PROJECT_ID/config\" > config-before.json\n\
curl -sS -X PATCH -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n  \
--data @sms-region-config.json \\\n  \
\"https://identitytoolkit.googleapis.com/admin/v2/projects/$PROJECT_ID/config?updateMask=smsRegionConfig\"\n\
# Tenants have their own policy: PATCH .../v2/projects/$PROJECT_ID/tenants/TENANT?updateMask=smsRegionConfig\n",
    );
    vec![OutFile::new("firebase/sms-region-config.json", text), OutFile::script("firebase/apply.sh", apply)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_policy_is_read_in_either_casing() {
        let camel = json!({"smsRegionConfig": {"allowByDefault": {"disallowedRegions": ["uz"]}}});
        assert_eq!(current_policy(&camel), (Some(vec!["UZ".to_string()]), None));
        let snake = json!({"sms_region_config": {"allowlist_only": {"allowed_regions": ["US", "GB"]}}});
        assert_eq!(current_policy(&snake), (None, Some(vec!["US".to_string(), "GB".to_string()])));
        let both = json!({"smsRegionConfig": {"allowByDefault": {}, "allowlistOnly": {}}});
        assert!(check_current(&both).is_err());
        assert!(check_current(&json!([1])).is_err());
    }
}
