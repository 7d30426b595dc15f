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
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => crate::timings::time(crate::timings::Stage::Timestamps, || timeparse::parse_text(s))
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

/// Parse a price: sign folded (Twilio writes charges as negatives), NaN and infinities refused.
pub fn cost_field(field: &str, raw: Option<&str>) -> Result<Option<f64>, Skip> {
    match raw.map(str::trim).filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("null")) {
        None => Ok(None),
        Some(s) => match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v.abs())),
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
        Some(s) => match s.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e6 => Ok(Some(v as u32)),
            _ => Err(Skip::field(field, "is not a segment count").with_value(s)),
        },
    }
}

/// Currency codes upper case (Twilio writes both `USD` and `usd`).
pub fn currency(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim).filter(|s| !s.is_empty()).map(|s| s.to_ascii_uppercase())
}

/// Mask every run of digits in a body as `#` (OTP codes, amounts, names of numbers), and cap
/// the length: the template groups messages by kind without keeping what they said.
pub fn body_template(body: &str) -> String {
    let mut out = String::with_capacity(body.len().min(160));
    body_template_into(body, &mut out);
    out
}

/// [`body_template`] into a buffer (cleared first), so a parser can reuse one.
pub fn body_template_into(body: &str, out: &mut String) {
    out.clear();
    let mut in_digits = false;
    for c in body.chars() {
        if out.len() >= 160 {
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
    fn templates_mask_digits() {
        assert_eq!(body_template("Your code is 123456. Valid 10 min"), "Your code is #. Valid # min");
        assert_eq!(body_template("G-482913 is your code"), "G-# is your code");
    }

    #[test]
    fn prices_fold_sign_and_refuse_nan() {
        assert_eq!(cost_field("Price", Some("-0.00750")), Ok(Some(0.0075)));
        assert_eq!(cost_field("Price", Some("")), Ok(None));
        assert!(cost_field("Price", Some("NaN")).is_err());
        assert!(cost_number("price", Some(f64::INFINITY)).is_err());
    }
}
