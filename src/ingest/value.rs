//! Small accessors over `serde_json::Value` that accept what exports really write: numbers as
//! strings ("1"), strings as numbers (310), nulls and missing keys alike.

use serde_json::Value;

/// Follow a dotted path of object keys.
pub fn path<'a>(v: &'a Value, p: &str) -> Option<&'a Value> {
    p.split('.').try_fold(v, |cur, key| cur.get(key)).filter(|v| !v.is_null())
}

/// A scalar as text (strings as they are, numbers and booleans printed); empty strings are none.
pub fn text(v: &Value, p: &str) -> Option<String> {
    match path(v, p)? {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Why a field could not be read as a number.
#[derive(Debug)]
pub struct BadNumber;

/// A number or a numeric string; `Ok(None)` when absent or null.
pub fn number(v: &Value, p: &str) -> Result<Option<f64>, BadNumber> {
    match path(v, p) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or(BadNumber),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse::<f64>().map(Some).map_err(|_| BadNumber),
        Some(_) => Err(BadNumber),
    }
}

pub fn boolean(v: &Value, p: &str) -> Option<bool> {
    match path(v, p)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}
