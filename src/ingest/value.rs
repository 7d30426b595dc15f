//! Small accessors over a JSON value (`serde_json::Value` or a line's tape: [`Json`]) that accept
//! what exports really write: numbers as strings ("1"), strings as numbers (310), nulls and
//! missing keys alike.

use super::json_value::Json;
use std::borrow::Cow;

/// Follow a dotted path of object keys. (Split by bytes: `str::split('.')`'s char searcher was
/// 4 % of reading SNS delivery logs, a dozen paths a record.) Inlined where it is called, so
/// that a path written in the parser is split when compiling, not at every record.
#[inline(always)]
pub fn path<'a, J: Json<'a>>(v: J, p: &str) -> Option<J> {
    let (mut cur, mut rest) = (v, p);
    loop {
        match rest.bytes().position(|b| b == b'.') {
            Some(i) => {
                cur = cur.get(&rest[..i])?;
                rest = &rest[i + 1..];
            }
            None => {
                cur = cur.get(rest)?;
                return (!cur.is_null()).then_some(cur);
            }
        }
    }
}

/// A scalar as text (strings as they are, numbers and booleans printed); empty strings are none.
#[inline(always)]
pub fn text<'a, J: Json<'a>>(v: J, p: &str) -> Option<String> {
    text_ref(v, p).map(Cow::into_owned)
}

/// [`text`] without a copy of a string: for a field only looked at, not kept. (Inlined, as
/// [`path`] is, for the path to be split when compiling; the value is read out of line.)
#[inline(always)]
pub fn text_ref<'a, J: Json<'a>>(v: J, p: &str) -> Option<Cow<'a, str>> {
    scalar_text(path(v, p)?)
}

/// A scalar as [`text`] reads it.
fn scalar_text<'a, J: Json<'a>>(v: J) -> Option<Cow<'a, str>> {
    if let Some(s) = v.as_str() {
        let t = trim(s);
        return (!t.is_empty()).then_some(Cow::Borrowed(t));
    }
    if let Some(n) = v.as_number() {
        // Integers (segment counts, MCCs) printed by `itoa` as `Number` prints them, without
        // the formatting machinery a `to_string` goes through.
        return Some(Cow::Owned(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => itoa::Buffer::new().format(u).to_string(),
            (None, Some(i)) => itoa::Buffer::new().format(i).to_string(),
            _ => n.to_string(),
        }));
    }
    v.as_bool().map(|b| Cow::Owned(b.to_string()))
}

/// `str::trim`, with a string that starts and ends with a printable ASCII byte (every field of
/// an export, nearly) given back at two tests: `trim` decodes the chars at both ends
/// (1.3 % of reading SNS delivery logs).
#[inline]
fn trim(s: &str) -> &str {
    let printable = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    let b = s.as_bytes();
    if printable(b.first()) && printable(b.last()) { s } else { s.trim() }
}

/// Why a field could not be read as a number.
#[derive(Debug)]
pub struct BadNumber;

/// A number or a numeric string; `Ok(None)` when absent or null.
#[inline(always)]
pub fn number<'a, J: Json<'a>>(v: J, p: &str) -> Result<Option<f64>, BadNumber> {
    match path(v, p) {
        Some(v) => scalar_number(v),
        None => Ok(None),
    }
}

/// A scalar as [`number`] reads it.
fn scalar_number<'a, J: Json<'a>>(v: J) -> Result<Option<f64>, BadNumber> {
    if let Some(n) = v.as_number() {
        return n.as_f64().map(Some).ok_or(BadNumber);
    }
    match v.as_str() {
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s.trim().parse::<f64>().map(Some).map_err(|_| BadNumber),
        None => Err(BadNumber),
    }
}

pub fn boolean<'a, J: Json<'a>>(v: J, p: &str) -> Option<bool> {
    let v = path(v, p)?;
    if let Some(b) = v.as_bool() {
        return Some(b);
    }
    match v.as_str()?.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_of_one_and_several_keys_and_their_edges() {
        let v = json!({"a": {"b": {"c": " x "}}, "n": null, "": {"": 1}, "d": 2});
        assert_eq!(text(&v, "a.b.c").as_deref(), Some("x"));
        assert_eq!(text(&v, "d").as_deref(), Some("2"));
        assert!(path(&v, "a.b").is_some() && path(&v, "a.x").is_none() && path(&v, "a.b.c.d").is_none());
        assert!(path(&v, "n").is_none(), "null is missing");
        // Empty keys, as `split('.')` gave them.
        assert_eq!(number(&v, ".").ok().flatten(), Some(1.0));
        assert!(path(&v, "a.").is_none() && path(&v, ".a").is_none());
    }

    #[test]
    fn trim_is_str_trim() {
        let ends = [
            "", " ", "\t", "\n", "\u{b}", "\u{c}", "\r", "\u{1}", "\u{1f}", "\u{7f}", "\u{85}", "\u{a0}", "\u{3000}", "\u{feff}", "a", "~",
            "é", "中",
        ];
        for a in ends {
            for b in ends {
                for mid in ["", "x", " x ", "\u{3000}"] {
                    let s = format!("{a}{mid}{b}");
                    assert_eq!(trim(&s), s.trim(), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn numbers_read_as_text_as_json_prints_them() {
        for raw in ["0", "-5", "310", "18446744073709551615", "-9223372036854775808", "1.5", "-0.0", "1e21", "2.0"] {
            let v: serde_json::Value = serde_json::from_str(&format!(r#"{{"n":{raw}}}"#)).expect("json");
            let printed = v["n"].as_number().map(ToString::to_string);
            assert_eq!(text(&v, "n"), printed, "{raw}");
        }
    }
}
