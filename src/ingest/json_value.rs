//! What the format parsers read of a JSON value, through [`Json`], from either of two readers:
//! `serde_json::Value` for whole documents and envelopes, and simd-json's tape for records read
//! line by line ([`with_tape`]): a flat list of nodes whose strings point into the line, with no
//! tree built or dropped. Reading a line into a tree (`Value`, or a borrowed tree of our own) had
//! been most of the CPU of reading SNS and EUM exports; measured on 500,000 EUM lines (253 MB,
//! one thread, bench/README.md): serde_json into a borrowed tree 416-430 MB/s, sonic-rs through
//! serde into the same tree 455-584 MB/s, sonic-rs `get_many` 310-366 MB/s, simd-json's tape
//! with three fields read 896-917 MB/s. Both readers give the format parsers the same drafts:
//! simd-json is held to serde_json's nesting limit, `-0` is read as serde_json reads it, and
//! serde_json rounds floats correctly (its `float_roundtrip`), as simd-json does (tested below
//! on every bundled export, on lines at those edges and on mutated lines).

use serde_json::{Number, Value};
use simd_json::prelude::*;
use simd_json::tape::Value as Tape;
use std::cell::RefCell;

/// A JSON value as the format parsers read it: a cheap handle (a reference, or a place on a
/// tape) that lives as long as the strings it hands out.
pub trait Json<'a>: Copy + 'a {
    /// An object's member (the last, if the key repeats: as `Value`, which keeps the last).
    fn get(self, key: &str) -> Option<Self>;
    fn is_object(self) -> bool;
    fn is_null(self) -> bool;
    fn as_str(self) -> Option<&'a str>;
    fn as_bool(self) -> Option<bool>;
    fn as_number(self) -> Option<Number>;
    /// An array's items.
    fn items(self) -> Option<Vec<Self>>;
}

impl<'a> Json<'a> for &'a Value {
    fn get(self, key: &str) -> Option<Self> {
        self.as_object().and_then(|o| o.get(key))
    }
    fn is_object(self) -> bool {
        Value::is_object(self)
    }
    fn is_null(self) -> bool {
        Value::is_null(self)
    }
    fn as_str(self) -> Option<&'a str> {
        Value::as_str(self)
    }
    fn as_bool(self) -> Option<bool> {
        Value::as_bool(self)
    }
    fn as_number(self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(n.clone()),
            _ => None,
        }
    }
    fn items(self) -> Option<Vec<Self>> {
        self.as_array().map(|a| a.iter().collect())
    }
}

/// A value on a line's tape, with the members of the line's objects listed once ([`Line`]): a
/// member is found by a look through its object's few keys (the last of a repeated key, as
/// `Value` keeps), not by walking the tape again for every field asked (that walk had made
/// reading EUM events slower than a tree).
#[derive(Clone, Copy)]
pub struct Rec<'a, 'i> {
    value: Tape<'a, 'i>,
    /// The value's members in the line's list, when it is an object listed there.
    members: Option<(u32, u32)>,
    line: &'a Line<'a, 'i>,
}

/// An object's member on the tape.
struct Member<'a, 'i> {
    key: &'i str,
    value: Tape<'a, 'i>,
    /// Its own members' place in [`Line::members`], when it is an object.
    members: Option<(u32, u32)>,
}

/// The members of a line's objects, each object's together, found in one walk of the tape
/// (objects inside arrays are left to the tape: only Verify lists attempts in arrays).
pub struct Line<'a, 'i> {
    value: Tape<'a, 'i>,
    members: Vec<Member<'a, 'i>>,
    top: Option<(u32, u32)>,
}

impl<'a, 'i: 'a> Line<'a, 'i> {
    /// The line's members listed into `members` (emptied first): a list kept from line to line
    /// ([`Scratch`]), not one allocated and freed a line.
    fn into<T>(value: Tape<'a, 'i>, members: Vec<T>) -> Line<'a, 'i> {
        let mut line = Line { value, members: recycle(members), top: None };
        line.top = line.list(value);
        line
    }

    fn list(&mut self, v: Tape<'a, 'i>) -> Option<(u32, u32)> {
        let o = v.as_object()?;
        let start = self.members.len();
        self.members.extend(o.iter().map(|(key, value)| Member { key, value, members: None }));
        let end = self.members.len();
        for i in start..end {
            let value = self.members[i].value;
            if value.is_object() {
                self.members[i].members = self.list(value);
            }
        }
        Some((start as u32, end as u32))
    }

    /// The line's value.
    pub fn rec(&'a self) -> Rec<'a, 'i> {
        Rec { value: self.value, members: self.top, line: self }
    }
}

impl<'a, 'i> Rec<'a, 'i> {
    /// The value's members, when it is an object listed in its line.
    fn members(&self) -> Option<&'a [Member<'a, 'i>]> {
        self.members.map(|(s, e)| &self.line.members[s as usize..e as usize])
    }
}

impl Member<'_, '_> {
    /// Whether the member's key is `key`: lengths, then the first and last bytes compared in
    /// place, and only keys that agree there compared whole. (Comparing as strings calls
    /// `memcmp` for every key of the asked length: with the search around it, a fifth of the
    /// parsing threads' samples on SNS delivery logs, whose `destination` and `dwellTimeMs`
    /// are both 11 bytes long.)
    #[inline]
    fn is(&self, key: &[u8]) -> bool {
        let k = self.key.as_bytes();
        k.len() == key.len() && (k.is_empty() || (k[0] == key[0] && k[k.len() - 1] == key[k.len() - 1] && k == key))
    }
}

impl<'a, 'i: 'a> Json<'a> for Rec<'a, 'i> {
    fn get(self, key: &str) -> Option<Self> {
        let line = self.line;
        let Some(members) = self.members() else {
            // Not listed (inside an array): the last member of that key on the tape.
            let v = self.value.as_object()?.iter().filter(|(k, _)| *k == key).last().map(|(_, v)| v)?;
            return Some(Rec { value: v, members: None, line });
        };
        members.iter().rev().find(|m| m.is(key.as_bytes())).map(|m| Rec { value: m.value, members: m.members, line })
    }
    fn is_object(self) -> bool {
        self.value.is_object()
    }
    fn is_null(self) -> bool {
        self.value.value_type() == ValueType::Null
    }
    fn as_str(self) -> Option<&'a str> {
        self.value.into_string()
    }
    fn as_bool(self) -> Option<bool> {
        ValueAsScalar::as_bool(&self.value)
    }
    fn as_number(self) -> Option<Number> {
        // As serde_json reads numbers: integers as such, a float JSON cannot hold as null, and
        // `-0` as the float -0.0 (the tape holds it as the integer 0; `0` is unsigned there).
        let v = self.value;
        match v.value_type() {
            ValueType::I64 if v.as_i64() == Some(0) => Number::from_f64(-0.0),
            ValueType::I64 => v.as_i64().map(Number::from),
            ValueType::U64 => v.as_u64().map(Number::from),
            ValueType::F64 => v.as_f64().and_then(Number::from_f64),
            _ => None,
        }
    }
    fn items(self) -> Option<Vec<Self>> {
        let line = self.line;
        self.value.as_array().map(|a| a.iter().map(|value| Rec { value, members: None, line }).collect())
    }
}

/// The top-level keys an envelope or a list page has: such a line is walked as a `Value`
/// (`json_reader::Walker`), which removes them.
const WRAPPING_KEYS: [&str; 9] = ["messages", "attempts", "usage_records", "days", "types", "events", "logEvents", "Type", "detail-type"];

/// Whether a line's value is an envelope or a list page: an array, or an object with one of
/// [`WRAPPING_KEYS`] (its members looked at once).
pub fn is_wrapped(v: Rec<'_, '_>) -> bool {
    // A key of no wrapping key's length (most of a record's) is passed over at one test.
    const LENGTHS: u64 = {
        let (mut mask, mut i) = (0u64, 0);
        while i < WRAPPING_KEYS.len() {
            mask |= 1 << WRAPPING_KEYS[i].len();
            i += 1;
        }
        mask
    };
    let wrapping = |m: &Member| m.key.len() < 64 && LENGTHS & (1 << m.key.len()) != 0 && WRAPPING_KEYS.iter().any(|k| m.is(k.as_bytes()));
    v.value.is_array() || v.members().is_some_and(|m| m.iter().any(wrapping))
}

/// `v` emptied, as a list of another type of the same size (a member list of one line's tape
/// kept for the next's): its allocation kept, as a collect in place keeps it.
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// A line's scratch: its copy (simd-json unescapes strings in place), simd-json's buffers, the
/// tape and the member list, kept from line to line on each thread.
struct Scratch {
    bytes: Vec<u8>,
    buffers: simd_json::Buffers,
    tape: Option<simd_json::Tape<'static>>,
    members: Vec<Member<'static, 'static>>,
}

/// serde_json's nesting limit (128 levels remaining at the start, an error at 0): a line nested
/// deeper is malformed for both readers.
const MAX_DEPTH: usize = 127;

/// Scratch grown past this by a long line is dropped after it (a 64 MiB line would otherwise
/// keep a gigabyte of tape and buffers on its thread until the input ends).
const KEEP_SCRATCH: usize = 4 << 20;

/// Likewise a member list grown past this many members (a line of a few small objects has tens).
const KEEP_MEMBERS: usize = 1 << 12;

impl Scratch {
    fn new() -> Scratch {
        Scratch { bytes: Vec::new(), buffers: simd_json::Buffers::with_max_depth(4096, MAX_DEPTH), tape: None, members: Vec::new() }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

/// `f` of `line` read onto a tape, or of `None` when simd-json does not read it (then
/// `serde_json` is asked: [`super::json_reader::Walker::line`]).
pub fn with_tape<R>(line: &[u8], f: impl FnOnce(Option<Rec<'_, '_>>) -> R) -> R {
    SCRATCH.with(|cell| {
        let Ok(mut s) = cell.try_borrow_mut() else {
            // Only a line read while another is (never, today): serde_json reads it.
            return f(None);
        };
        let Scratch { bytes, buffers, tape, members } = &mut *s;
        bytes.clear();
        bytes.extend_from_slice(line);
        let mut t = tape.take().unwrap_or_else(simd_json::Tape::null).reset();
        let r = match simd_json::fill_tape(bytes, buffers, &mut t) {
            Ok(()) => {
                let line = Line::into(t.as_value(), std::mem::take(members));
                let r = f(Some(line.rec()));
                *members = recycle(line.members);
                r
            }
            Err(_) => f(None),
        };
        *tape = Some(t.reset());
        if bytes.capacity() > KEEP_SCRATCH || members.capacity() > KEEP_MEMBERS {
            *s = Scratch::new();
        }
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::InputFormat;
    use crate::ingest::json_reader::dispatched as dispatch;
    use rand::{RngExt, SeedableRng};

    /// Every JSON format's parser gives the same drafts and skips from `line` read as a `Value`
    /// and read onto a tape. A line simd-json reads is JSON to serde_json too (a line it does
    /// not read goes to serde_json: `Walker::line`).
    fn same(line: &[u8]) {
        let value = serde_json::from_slice::<Value>(line);
        with_tape(line, |tape| {
            let Some(tape) = tape else { return };
            let Ok(value) = &value else { panic!("simd-json reads what serde_json does not: {}", String::from_utf8_lossy(line)) };
            for format in InputFormat::ALL.into_iter().filter(|f| !f.is_csv()) {
                assert_eq!(
                    format!("{:?}", dispatch(format, value)),
                    format!("{:?}", dispatch(format, tape)),
                    "{format:?}: {}",
                    String::from_utf8_lossy(line)
                );
            }
        });
    }

    #[test]
    fn every_parser_reads_a_record_on_a_tape_as_a_value() {
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
        // Where the two readers could part: nesting at serde_json's limit, -0, floats that a
        // reader rounding twice gets wrong, the largest double and past it.
        let sns = |extra: &str| {
            format!(r#"{{"notification":{{"messageId":"a","timestamp":"2024-03-01 00:00:00"}},"delivery":{{"destination":"+447400100200","mcc":-0,"mnc":-0.0{extra}}},"status":"SUCCESS"}}"#).into_bytes()
        };
        for depth in [125, 126, 127, 128, 129] {
            lines.push(sns(&format!(r#","x":{}{}"#, "[".repeat(depth), "]".repeat(depth))));
        }
        for price in [
            "51.248178375505404",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "0e99999999999",
            "1e-400",
            "-0",
            "123456789012345678901234567890",
        ] {
            lines.push(sns(&format!(r#","priceInUSD":{price}"#)));
        }
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
            assert_eq!(with_tape(line.as_bytes(), |v| v.map(is_wrapped)), Some(wrapped), "{line}");
        }
        // Strings come unescaped; a repeated key gives its last value, as `Value` does.
        with_tape(br#"{"a":"plain","b":"esc\"aped","a":"again"}"#, |v| {
            let v = v.expect("JSON");
            assert_eq!((v.get("a").and_then(Json::as_str), v.get("b").and_then(Json::as_str)), (Some("again"), Some("esc\"aped")));
        });
        // Numbers as serde_json reads them.
        with_tape(br#"[1, -2, 18446744073709551615, 1.5, 1e2]"#, |v| {
            let got: Vec<String> =
                v.and_then(Json::items).expect("an array").into_iter().filter_map(Json::as_number).map(|n| n.to_string()).collect();
            assert_eq!(got, ["1", "-2", "18446744073709551615", "1.5", "100.0"]);
        });
    }
}
