//! A borrowed JSON value for records read line by line: strings point into the line (copied
//! only when they hold escapes), objects are short lists of pairs, numbers are serde_json's
//! own `Number`. `serde_json::Value` builds a `BTreeMap` and a `String` for every key and string
//! of every record, and frees them again: about 40 % of the CPU of reading SNS delivery logs
//! (perf, 3.0M lines). The format parsers read either through [`Json`], so they give the same
//! drafts from both (tested below on every bundled export and on mutated ones).

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::fmt;

/// What the format parsers read of a JSON value.
pub trait Json: Sized {
    /// An object's member (the last, if the key repeats: as `Value`, which keeps the last).
    fn get(&self, key: &str) -> Option<&Self>;
    fn is_object(&self) -> bool;
    fn is_null(&self) -> bool;
    fn as_str(&self) -> Option<&str>;
    fn as_bool(&self) -> Option<bool>;
    fn as_number(&self) -> Option<&Number>;
    fn as_slice(&self) -> Option<&[Self]>;
}

impl Json for Value {
    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object().and_then(|o| o.get(key))
    }
    fn is_object(&self) -> bool {
        Value::is_object(self)
    }
    fn is_null(&self) -> bool {
        Value::is_null(self)
    }
    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }
    fn as_bool(&self) -> Option<bool> {
        Value::as_bool(self)
    }
    fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
    fn as_slice(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }
}

/// A JSON value borrowing its strings from the bytes it was read from.
#[derive(Debug, Clone, PartialEq)]
pub enum Lite<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Lite<'a>>),
    Object(Vec<(Cow<'a, str>, Lite<'a>)>),
}

impl Json for Lite<'_> {
    fn get(&self, key: &str) -> Option<&Self> {
        match self {
            Lite::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn is_object(&self) -> bool {
        matches!(self, Lite::Object(_))
    }
    fn is_null(&self) -> bool {
        matches!(self, Lite::Null)
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Lite::String(s) => Some(s),
            _ => None,
        }
    }
    fn as_bool(&self) -> Option<bool> {
        match self {
            Lite::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn as_number(&self) -> Option<&Number> {
        match self {
            Lite::Number(n) => Some(n),
            _ => None,
        }
    }
    fn as_slice(&self) -> Option<&[Self]> {
        match self {
            Lite::Array(a) => Some(a),
            _ => None,
        }
    }
}

impl Lite<'_> {
    /// The top-level keys an envelope or a list page has: such a line is walked as a
    /// `Value` (`json_reader::Walker`), which removes them.
    pub fn is_wrapped(&self) -> bool {
        const KEYS: [&str; 9] = ["messages", "attempts", "usage_records", "days", "types", "events", "logEvents", "Type", "detail-type"];
        match self {
            Lite::Array(_) => true,
            Lite::Object(members) => members.iter().any(|(k, _)| KEYS.contains(&k.as_ref())),
            _ => false,
        }
    }
}

struct LiteVisitor;

impl<'de> Visitor<'de> for LiteVisitor {
    type Value = Lite<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Lite<'de>, E> {
        Ok(Lite::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Lite<'de>, E> {
        Ok(Lite::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Lite<'de>, E> {
        Ok(Lite::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Lite<'de>, E> {
        // As `Value` does: a float JSON cannot hold is null.
        Ok(Number::from_f64(v).map_or(Lite::Null, Lite::Number))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Lite<'de>, E> {
        Ok(Lite::String(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Lite<'de>, E> {
        Ok(Lite::String(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Lite<'de>, E> {
        Ok(Lite::String(Cow::Owned(v)))
    }
    fn visit_none<E>(self) -> Result<Lite<'de>, E> {
        Ok(Lite::Null)
    }
    fn visit_unit<E>(self) -> Result<Lite<'de>, E> {
        Ok(Lite::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Lite<'de>, D::Error> {
        Deserialize::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lite<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Lite::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lite<'de>, A::Error> {
        let mut members = Vec::with_capacity(8);
        while let Some((k, v)) = map.next_entry::<Key<'de>, Lite<'de>>()? {
            members.push((k.0, v));
        }
        Ok(Lite::Object(members))
    }
}

impl<'de> Deserialize<'de> for Lite<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LiteVisitor)
    }
}

/// An object key, borrowed when it holds no escape.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::InputFormat;
    use crate::ingest::json_reader::dispatch;
    use rand::{RngExt, SeedableRng};

    /// Every JSON format's parser gives the same drafts and skips from `line` read as a `Value`
    /// and read borrowed; whether it parses at all, and whether it is wrapped, agree too.
    fn same(line: &[u8]) {
        let value = serde_json::from_slice::<Value>(line);
        let lite = serde_json::from_slice::<Lite>(line);
        assert_eq!(value.is_ok(), lite.is_ok(), "{}", String::from_utf8_lossy(line));
        let (Ok(value), Ok(lite)) = (value, lite) else { return };
        for format in InputFormat::ALL.into_iter().filter(|f| !f.is_csv()) {
            assert_eq!(
                format!("{:?}", dispatch(format, &value)),
                format!("{:?}", dispatch(format, &lite)),
                "{format:?}: {}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn every_parser_reads_a_borrowed_record_as_a_value() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for name in [
            "formats/eum-events.ndjson",
            "formats/pinpoint-events.ndjson",
            "formats/sns-delivery-logs.ndjson",
            "formats/twilio-messages.ndjson",
            "formats/twilio-event-streams.json",
            "formats/twilio-verify-attempts.json",
            "formats/twilio-messages-pages.json",
            "bad/malformed-lines.ndjson",
            "bad/duplicate-conflicting.ndjson",
            "bad/changes-format.ndjson",
            "bad/wrong-shape.json",
        ] {
            let bytes = std::fs::read(root.join(name)).expect("a bundled file");
            // Whole documents, and each of their lines.
            lines.push(bytes.clone());
            lines.extend(bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec));
            // The records inside pages and arrays, as lines of their own.
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                for list in ["messages", "attempts"] {
                    for item in v.get(list).and_then(Value::as_array).into_iter().flatten() {
                        lines.push(item.to_string().into_bytes());
                    }
                }
                for item in v.as_array().into_iter().flatten() {
                    lines.push(item.to_string().into_bytes());
                }
            }
        }
        // Odd values: numbers as strings and strings as numbers, big and negative numbers,
        // floats JSON writes oddly, escapes, repeated keys, nulls, nesting.
        lines.extend(
            [
                r#"{"notification":{"messageId":"a","timestamp":"2024-03-01 00:00:00"},"delivery":{"destination":"+447400100200","priceInUSD":"0.05","numberOfMessageParts":"2","mcc":234,"mnc":"0"},"status":"SUCCESS"}"#,
                r#"{"notification":{"messageId":"a\u00e9\"b","timestamp":1709251200000},"delivery":{"destination":" +44 7400 100200 ","priceInUSD":1e21,"numberOfMessageParts":1.0},"status":"FAILURE"}"#,
                r#"{"notification":{},"delivery":{"destination":"+447400100200","priceInUSD":-18446744073709551615,"mcc":18446744073709551615},"status":null}"#,
                r#"{"eventType":"TEXT_DELIVERED","eventType":"TEXT_BLOCKED","destinationPhoneNumber":"+447400100200","eventTimestamp":"1700000000000","totalMessagePrice":0.1e-3,"messageFeedbackStatus":"received"}"#,
                r#"{"sid":"SM1","to":"+447400100200","price":"-0.05","status":"delivered","date_sent":"Fri, 01 Mar 2024 00:00:02 +0000","num_segments":true}"#,
                r#"{"sid":"VE1","to":"+447400100200","channel":"sms","status":"approved","send_code_attempts":[{"attempt_sid":"VL1","time":"2024-03-01T00:00:00Z","channel":"SMS"},{"attempt_sid":"VL2","channel":"call"}]}"#,
                r#"{"type":"com.twilio.accountsecurity.verify.verification.approved","data":{"to":"+447400100200","send_code_attempts":{"attempts":[{"attempt_sid":"VL1"}]}}}"#,
                r#"{"channel_data":{"to":"+447400100200","message_status":"delivered"},"price":{"value":"0.05","currency":"usd"},"conversion_status":"converted"}"#,
            ]
            .map(|s| s.as_bytes().to_vec()),
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let base = lines.clone();
        for line in &base {
            same(line);
            // Mutations: a byte flipped, removed or added where JSON cares most.
            for _ in 0..20 {
                let mut m = line.clone();
                let at = rng.random_range(0..m.len().max(1));
                let b = [b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'0', b'-', b'e', b'.', b'n'][rng.random_range(0..13)];
                match rng.random_range(0..3) {
                    0 => m.insert(at.min(m.len()), b),
                    1 if !m.is_empty() => m[at] = b,
                    _ if !m.is_empty() => {
                        m.remove(at);
                    }
                    _ => {}
                }
                same(&m);
            }
        }
    }

    #[test]
    fn wrapped_lines_are_left_to_the_walker() {
        for (line, wrapped) in [
            (r#"[{"sid":"SM1"}]"#, true),
            (r#"{"messages":[]}"#, true),
            (r#"{"Type":"Notification","Message":"{}"}"#, true),
            (r#"{"detail-type":"x","detail":{}}"#, true),
            (r#"{"logEvents":[]}"#, true),
            (r#"{"sid":"SM1","to":"+1"}"#, false),
            (r#""text""#, false),
        ] {
            let v: Lite = serde_json::from_str(line).expect("JSON");
            assert_eq!(v.is_wrapped(), wrapped, "{line}");
        }
        // Strings without escapes are borrowed; with them, owned.
        let v: Lite = serde_json::from_str(r#"{"a":"plain","b":"esc\"aped"}"#).expect("JSON");
        assert!(matches!(v.get("a"), Some(Lite::String(Cow::Borrowed("plain")))));
        assert!(matches!(v.get("b"), Some(Lite::String(Cow::Owned(s))) if s == "esc\"aped"));
    }
}
