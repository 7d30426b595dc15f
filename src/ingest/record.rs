//! What a format parser hands over for one input record: a [`Draft`] of a message, or a
//! [`Skip`] that says which field was wrong and why.

use crate::phone::{Destination, clean_destination};
use crate::schema::{SmsType, Status};
use crate::timeparse;

/// One message as a format parser read it, before cleaning and phone intelligence.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub message_id: Option<String>,
    /// When the message was sent (ms UTC).
    pub ts: Option<i64>,
    /// When this status was observed (ms UTC); decides between events of equal rank.
    pub status_ts: Option<i64>,
    pub account: Option<String>,
    pub sender: Option<String>,
    pub destination: String,
    /// The provider's own country for the destination (ISO alpha-2), used only when the number
    /// cannot say.
    pub country_hint: Option<String>,
    pub status: Status,
    pub status_raw: Option<String>,
    pub error_code: Option<String>,
    pub segments: Option<u32>,
    pub cost: Option<f64>,
    pub currency: Option<String>,
    pub sms_type: Option<SmsType>,
    pub body: Option<String>,
    pub mcc: Option<String>,
    pub mnc: Option<String>,
    pub carrier: Option<String>,
    pub converted: Option<bool>,
    /// For providers that bill one row per message part (SNS usage report): (part, total).
    pub part: Option<(u32, u32)>,
    /// Work done ahead on the reader thread ([`Draft::prepare`]).
    pub prepared: Option<Prepared>,
}

/// The cleaned destination and the body's template, worked out on the reader thread so the
/// thread that owns the store (the bottleneck) does not have to.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub destination: Destination,
    pub template: Option<String>,
}

impl Draft {
    pub fn prepare(&mut self) {
        if self.prepared.is_none() && !self.destination.trim().is_empty() {
            let template = self.body.take().map(|b| body_template(&b));
            self.prepared = Some(Prepared { destination: clean_destination(&self.destination, true), template });
        }
    }

    /// The body's template (digit runs masked), from [`Draft::prepare`] or worked out now.
    pub fn template(&self) -> Option<String> {
        match &self.prepared {
            Some(p) => p.template.clone(),
            None => self.body.as_deref().map(body_template),
        }
    }
}

/// A record that is not used, with the field at fault. `reason()` is the stable key under which
/// skips are counted; `value` is shown in errors only.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    pub field: Option<String>,
    pub what: String,
    pub value: Option<String>,
}

impl Skip {
    pub fn new(what: impl Into<String>) -> Skip {
        Skip { field: None, what: what.into(), value: None }
    }

    pub fn field(field: &str, what: impl Into<String>) -> Skip {
        Skip { field: Some(field.to_string()), what: what.into(), value: None }
    }

    pub fn with_value(mut self, v: &str) -> Skip {
        let mut shown: String = v.chars().take(60).filter(|c| !c.is_control()).collect();
        if v.chars().count() > 60 {
            shown.push('…');
        }
        self.value = Some(shown);
        self
    }

    pub fn missing(field: &str) -> Skip {
        Skip::field(field, "is missing")
    }

    /// The key skips are counted under (no values, so it stays low-cardinality).
    pub fn reason(&self) -> String {
        match &self.field {
            Some(f) => format!("{f} {}", self.what),
            None => self.what.clone(),
        }
    }

    /// The full message, with the offending value.
    pub fn message(&self) -> String {
        match &self.value {
            Some(v) => format!("{} (`{v}`)", self.reason()),
            None => self.reason(),
        }
    }
}

pub type Parsed = Result<Draft, Skip>;

/// Parse a required-or-optional timestamp field.
pub fn ts_field(field: &str, raw: Option<&str>) -> Result<Option<i64>, Skip> {
    ts_field_by(field, raw, timeparse::parse_text)
}

/// [`ts_field`] with a parser of one's own (a [`timeparse::Days`] that remembers the day).
pub fn ts_field_by(
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<i64, timeparse::TimeError>,
) -> Result<Option<i64>, Skip> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => crate::timings::time(crate::timings::Stage::Timestamps, || parse(s))
            .map(Some)
            .map_err(|e| Skip::field(field, e.to_string()).with_value(s)),
    }
}

/// Parse an epoch number field.
pub fn epoch_field(field: &str, raw: Option<f64>) -> Result<Option<i64>, Skip> {
    match raw {
        None => Ok(None),
        Some(v) => timeparse::parse_epoch(v).map(Some).map_err(|e| Skip::field(field, e.to_string()).with_value(&v.to_string())),
    }
}

/// A plain decimal (`-0.08160`, `1`): digits with an optional sign and point, parsed
/// without the general float parser. Exact: a mantissa below 2^53 over a power of ten up to
/// 10^22 are both exact doubles, and their quotient is rounded once, as `str::parse` rounds.
/// None for any other shape (exponents, `inf`, long digit strings): the caller parses those.
pub fn plain_decimal(s: &str) -> Option<f64> {
    const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let (neg, digits) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    let (mut m, mut n, mut scale, mut point) = (0u64, 0usize, 0usize, false);
    for &b in digits {
        match b {
            b'0'..=b'9' if n < 19 => {
                m = m * 10 + u64::from(b - b'0');
                n += 1;
                scale += usize::from(point);
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    // "", "-", "." and "-." are not numbers; `str::parse` says so.
    if n == 0 || m >= 1 << 53 || scale >= POW10.len() {
        return None;
    }
    let v = m as f64 / POW10[scale];
    Some(if neg { -v } else { v })
}

/// A number field: the plain decimal fast path, else the general parser.
fn number(s: &str) -> Option<f64> {
    plain_decimal(s).or_else(|| s.parse::<f64>().ok())
}

/// Parse a price: sign folded (Twilio writes charges as negatives), NaN and infinities refused.
pub fn cost_field(field: &str, raw: Option<&str>) -> Result<Option<f64>, Skip> {
    match raw.map(str::trim).filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("null")) {
        None => Ok(None),
        Some(s) => match number(s) {
            Some(v) if v.is_finite() => Ok(Some(v.abs())),
            _ => Err(Skip::field(field, "is not a price").with_value(s)),
        },
    }
}

/// Parse a positive price given as a number.
pub fn cost_number(field: &str, raw: Option<f64>) -> Result<Option<f64>, Skip> {
    match raw {
        None => Ok(None),
        Some(v) if v.is_finite() => Ok(Some(v.abs())),
        Some(v) => Err(Skip::field(field, "is not a price").with_value(&v.to_string())),
    }
}

/// Segment counts: a positive integer, given as a number or a string.
pub fn segments_field(field: &str, raw: Option<&str>) -> Result<Option<u32>, Skip> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => match number(s) {
            Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e6 => Ok(Some(v as u32)),
            _ => Err(Skip::field(field, "is not a segment count").with_value(s)),
        },
    }
}

/// Currency codes upper case (Twilio writes both `USD` and `usd`); as written when they are
/// (a copy a record had been a tenth of the allocations of reading SNS and EUM lines).
pub fn currency(raw: Option<&str>) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    let s = raw.map(str::trim).filter(|s| !s.is_empty())?;
    Some(if s.bytes().any(|b| b.is_ascii_lowercase()) { Cow::Owned(s.to_ascii_uppercase()) } else { Cow::Borrowed(s) })
}

/// Mask every run of digits in a body as `#` (OTP codes, amounts, names of numbers), and cap
/// the length: the template groups messages by kind without keeping what they said.
pub fn body_template(body: &str) -> String {
    let mut out = String::with_capacity(body.len().min(160));
    body_template_into(body, &mut out);
    out
}

/// [`body_template`] into a buffer (cleared first), so a parser can reuse one. ASCII byte by byte
/// (a run of other bytes copied at once); from the first non-ASCII byte on, character by
/// character as [`template_chars`] (at 9.7M Console rows the character loop alone had been 5 %
/// of `export`'s CPU time).
pub fn body_template_into(body: &str, out: &mut String) {
    out.clear();
    let bytes = body.as_bytes();
    let mut in_digits = false;
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii() {
        if out.len() >= TEMPLATE_CAP {
            out.push('…');
            return;
        }
        let b = bytes[i];
        if b.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
            i += 1;
        } else if b.is_ascii_control() {
            out.push(' ');
            in_digits = false;
            i += 1;
        } else {
            // A run of printable ASCII that is not a digit, cut where the cap is reached.
            let run = bytes[i..]
                .iter()
                .take(TEMPLATE_CAP - out.len())
                .take_while(|b| b.is_ascii_graphic() && !b.is_ascii_digit() || **b == b' ')
                .count();
            out.push_str(&body[i..i + run]);
            in_digits = false;
            i += run;
        }
    }
    template_chars(&body[i..], in_digits, out);
}

/// Whether two bodies have the same template for a reason quick to check: the same length, and
/// at each byte the same byte or two ASCII digits (then their digit runs are in the same places
/// and everything else is the same bytes). At 9.7M Console rows, templating every body had been
/// 3 % of `export`'s CPU time.
pub fn same_but_digits(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y || x.is_ascii_digit() && y.is_ascii_digit())
}

/// The bytes of a template before its `…`.
const TEMPLATE_CAP: usize = 160;

/// [`body_template_into`] character by character, from a state (`in_digits`) and onto `out`.
fn template_chars(body: &str, mut in_digits: bool, out: &mut String) {
    for c in body.chars() {
        if out.len() >= TEMPLATE_CAP {
            out.push('…');
            break;
        }
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(if c.is_control() { ' ' } else { c });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_parse_to_the_same_bits_as_the_float_parser() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let alphabet = b"0123456789.-+e";
        let mut fast = 0;
        for _ in 0..200_000 {
            let len = 1 + rng.random::<u64>() % 22;
            let s: String = (0..len).map(|_| char::from(alphabet[(rng.random::<u64>() % 14) as usize])).collect();
            if let Some(v) = plain_decimal(&s) {
                fast += 1;
                assert_eq!(Ok(v.to_bits()), s.parse::<f64>().map(f64::to_bits), "{s}");
            }
        }
        for s in ["-0.08160", "0.0079", "1", "+.5", "5.", "-0", "999999999999999", "0.000000000000001", "9007199254740991"] {
            assert_eq!(plain_decimal(s).map(f64::to_bits), s.parse::<f64>().ok().map(f64::to_bits), "{s}");
        }
        for s in ["", "-", ".", "1e3", "1.2.3", "9007199254740993", "0.0000000000000001", "inf"] {
            assert_eq!(plain_decimal(s), None, "{s}");
        }
        assert!(fast > 10_000, "the random strings reached the fast path {fast} times");
    }

    #[test]
    fn templates_mask_digits() {
        assert_eq!(body_template("Your code is 123456. Valid 10 min"), "Your code is #. Valid # min");
        assert_eq!(body_template("G-482913 is your code"), "G-# is your code");
    }

    #[test]
    fn templates_byte_by_byte_are_templates_char_by_char() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let alphabet = ['a', 'Z', ' ', '7', '0', '.', '\t', '\n', '\u{7f}', 'é', '€', '😀', '\u{85}', '٣', '-'];
        let mut buf = String::new();
        for _ in 0..20_000 {
            let len = rng.random_range(0..200);
            let s: String = (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect();
            // Long ASCII runs too, to reach the cap inside one.
            let s = if rng.random_range(0..4) == 0 { format!("{}{s}", "x".repeat(rng.random_range(150..170))) } else { s };
            let mut want = String::new();
            template_chars(&s, false, &mut want);
            body_template_into(&s, &mut buf);
            assert_eq!(buf, want, "{s:?}");
        }
    }

    #[test]
    fn bodies_the_same_but_digits_have_the_same_template() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let alphabet = ['a', ' ', '7', '0', '.', '\t', 'é', '€', '٣', '-', '#'];
        let (mut same, mut differ) = (0, 0);
        for _ in 0..20_000 {
            let len = rng.random_range(0..40);
            let a: String = (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect();
            // Both past the template's cap, or not; then `b` is `a` with its digits changed, or
            // with characters changed.
            let a = if rng.random_range(0..3) == 0 { format!("{}{a}", "x".repeat(rng.random_range(140..170))) } else { a };
            let b: String = if rng.random_range(0..2) == 0 {
                a.chars().map(|c| if c.is_ascii_digit() { char::from(b'0' + rng.random_range(0..10u8)) } else { c }).collect()
            } else {
                a.chars().map(|c| if rng.random_range(0..8) == 0 { alphabet[rng.random_range(0..alphabet.len())] } else { c }).collect()
            };
            if same_but_digits(a.as_bytes(), b.as_bytes()) {
                assert_eq!(body_template(&a), body_template(&b), "{a:?} {b:?}");
                same += 1;
            } else {
                differ += 1;
            }
        }
        assert!(same > 5_000 && differ > 2_000, "{same} pairs the same but digits, {differ} not");
        assert!(same_but_digits(b"code 123456", b"code 000001"));
        assert!(!same_but_digits(b"code 123456", b"code 12345"));
        assert!(!same_but_digits(b"code 1", b"code x"));
    }

    #[test]
    fn prices_fold_sign_and_refuse_nan() {
        assert_eq!(cost_field("Price", Some("-0.00750")), Ok(Some(0.0075)));
        assert_eq!(cost_field("Price", Some("")), Ok(None));
        assert!(cost_field("Price", Some("NaN")).is_err());
        assert!(cost_number("price", Some(f64::INFINITY)).is_err());
    }
}
