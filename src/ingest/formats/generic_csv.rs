//! Any CSV (app-side send logs), with the columns named by `--map field=column,...`.
//! `destination` is required; every other field is optional.

use crate::ingest::csv_reader::{Header, Row};
use crate::ingest::record::{Draft, Parsed, Skip, cost_field, segments_field, ts_field};
use crate::schema::SmsType;
use crate::status;

/// Canonical fields a column can be mapped to.
pub const FIELDS: &[&str] = &[
    "message_id",
    "ts",
    "destination",
    "sender",
    "account",
    "status",
    "error_code",
    "segments",
    "cost",
    "currency",
    "body",
    "country",
    "mcc",
    "mnc",
    "carrier",
    "converted",
    "sms_type",
];

/// Parsed `--map` value: (field, column name) pairs.
pub fn parse_map(spec: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, column) = pair.split_once('=').ok_or_else(|| format!("--map: `{pair}` is not field=column"))?;
        let field = field.trim().to_ascii_lowercase();
        if !FIELDS.contains(&field.as_str()) {
            return Err(format!("--map: unknown field `{field}` (fields: {})", FIELDS.join(", ")));
        }
        out.push((field, column.trim().to_string()));
    }
    if !out.iter().any(|(f, _)| f == "destination") {
        return Err("--map must name the destination column, e.g. --map destination=phone,ts=created_at".into());
    }
    Ok(out)
}

pub struct Columns {
    idx: Vec<(String, usize)>,
}

pub fn columns(h: &Header, map: &[(String, String)]) -> Result<Columns, String> {
    let mut idx = Vec::new();
    for (field, column) in map {
        let i = h.find(&[column.as_str()]).ok_or_else(|| format!("--map {field}={column}: no column `{column}` in the header"))?;
        idx.push((field.clone(), i));
    }
    Ok(Columns { idx })
}

pub fn parse(c: &Columns, r: &Row) -> Parsed {
    let get = |f: &str| c.idx.iter().find(|(name, _)| name == f).and_then(|(_, i)| r.get(Some(*i)));
    let destination = get("destination").ok_or_else(|| Skip::missing("destination"))?;
    let status_raw = get("status");
    let error_code = get("error_code");
    let converted = match get("converted") {
        None => None,
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "y" | "converted" | "verified" | "approved" => Some(true),
            "false" | "0" | "no" | "n" | "unconverted" | "unverified" => Some(false),
            _ => return Err(Skip::field("converted", "is not a boolean").with_value(&v)),
        },
    };
    Ok(Draft {
        message_id: get("message_id"),
        ts: ts_field("ts", get("ts").as_deref())?,
        account: get("account"),
        sender: get("sender"),
        destination,
        country_hint: get("country"),
        status: status_raw.as_deref().map(|s| status::generic(s, error_code.as_deref())).unwrap_or_default(),
        status_raw,
        error_code,
        segments: segments_field("segments", get("segments").as_deref())?,
        cost: cost_field("cost", get("cost").as_deref())?,
        currency: get("currency"),
        sms_type: get("sms_type").as_deref().and_then(SmsType::parse),
        body: get("body"),
        mcc: get("mcc"),
        mnc: get("mnc"),
        carrier: get("carrier"),
        converted,
        ..Draft::default()
    })
}
