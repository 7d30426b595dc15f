//! One format for amounts and times in every output: currency amounts with two decimals (four
//! where a nonzero amount is under 0.01, an SMS price) and never `-0`; times in RFC 3339 UTC
//! with seconds (`2024-03-08T02:51:25Z`), or in the zone `--tz` names in tables.

/// Decimals an amount is written with.
fn decimals(v: f64) -> i32 {
    if v != 0.0 && v.abs() < 0.01 { 4 } else { 2 }
}

/// An amount as every output writes it: rounded to its decimals, `-0` made `0`.
pub fn amount(v: f64) -> f64 {
    if !v.is_finite() {
        return 0.0;
    }
    let scale = 10f64.powi(decimals(v));
    (v * scale).round() / scale + 0.0
}

/// An amount as text, without its currency.
pub fn number(v: f64) -> String {
    let a = amount(v);
    format!("{a:.*}", decimals(a) as usize)
}

/// An amount with its currency (`1278.92 USD`); without one, the number alone.
pub fn money(v: f64, currency: &str) -> String {
    if currency.is_empty() { number(v) } else { format!("{} {currency}", number(v)) }
}

/// A metric (a share, a score, a count) for machine output: six decimals, never `-0`.
pub fn metric(v: f64) -> f64 {
    if !v.is_finite() {
        return 0.0;
    }
    (v * 1e6).round() / 1e6 + 0.0
}

/// RFC 3339 UTC with seconds.
pub fn time(ms: i64) -> String {
    crate::timeparse::format_ms(ms)
}

/// The zone table times are shown in (`--tz`): machine outputs are always UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    #[default]
    Utc,
    /// The machine's local time (the `TZ` variable, else /etc/localtime).
    Local,
    /// A fixed offset east of UTC, in seconds.
    Fixed(i32),
}

impl Zone {
    /// `UTC`, `local`, or an offset `+02:00` / `-0530` / `+2`.
    pub fn parse(s: &str) -> Result<Zone, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" {
            return Ok(Zone::Utc);
        }
        if t.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        let bad = || format!("`{s}` is not a zone: use UTC, local or an offset such as +02:00");
        let (sign, rest) = match t.as_bytes().first() {
            Some(b'+') => (1, &t[1..]),
            Some(b'-') => (-1, &t[1..]),
            _ => return Err(bad()),
        };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let (h, m) = if digits.len() <= 2 { (&digits[..], "0") } else { digits.split_at(digits.len() - 2) };
        let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 14 || m > 59 {
            return Err(bad());
        }
        Ok(Zone::Fixed(sign * (h * 3600 + m * 60)))
    }

    fn offset_at(self, ms: i64) -> i32 {
        match self {
            Zone::Utc => 0,
            Zone::Fixed(s) => s,
            Zone::Local => local_offset(ms.div_euclid(1000)),
        }
    }

    /// RFC 3339 with seconds in this zone (`Z` for UTC, else the offset).
    pub fn time(self, ms: i64) -> String {
        let off = self.offset_at(ms);
        if off == 0 && self == Zone::Utc {
            return time(ms);
        }
        match chrono::FixedOffset::east_opt(off).zip(chrono::DateTime::from_timestamp_millis(ms)) {
            Some((tz, dt)) => dt.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            None => time(ms),
        }
    }
}

/// The local zone's offset at `secs` (seconds since the epoch), from the C library.
fn local_offset(secs: i64) -> i32 {
    #[cfg(unix)]
    {
        let t = secs as libc::time_t;
        // SAFETY: localtime_r writes only into the `tm` we own; both pointers are valid for the
        // call. A zero `tm` is a valid value of the plain C struct.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
        if ok {
            return tm.tm_gmtoff as i32;
        }
    }
    let _ = secs;
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_one_format_and_no_negative_zero() {
        assert_eq!(number(-0.0), "0.00");
        assert_eq!(number(-0.000_01), "0.00");
        assert_eq!(number(73.2676), "73.27");
        assert_eq!(number(0.0075), "0.0075");
        assert_eq!(number(0.0049), "0.0049");
        assert_eq!(number(0.005), "0.0050");
        assert_eq!(number(0.009_999), "0.01");
        assert_eq!(money(1278.92, "USD"), "1278.92 USD");
        assert_eq!(amount(-0.0).to_string(), "0");
        assert_eq!(amount(73.2676), 73.27);
        assert_eq!(amount(0.00751), 0.0075);
        assert_eq!(metric(-1e-9).to_string(), "0");
        assert_eq!(amount(f64::NAN), 0.0);
    }

    #[test]
    fn zones_parse_and_print() {
        assert_eq!(Zone::parse("UTC"), Ok(Zone::Utc));
        assert_eq!(Zone::parse("local"), Ok(Zone::Local));
        assert_eq!(Zone::parse("+02:00"), Ok(Zone::Fixed(7200)));
        assert_eq!(Zone::parse("-0530"), Ok(Zone::Fixed(-19800)));
        assert_eq!(Zone::parse("+2"), Ok(Zone::Fixed(7200)));
        assert!(Zone::parse("Europe/Riga").is_err());
        assert!(Zone::parse("+25:00").is_err());
        let t = crate::timeparse::parse_text("2024-03-08T02:51:25.250Z").expect("time");
        assert_eq!(Zone::Utc.time(t), "2024-03-08T02:51:25Z");
        assert_eq!(Zone::Fixed(7200).time(t), "2024-03-08T04:51:25+02:00");
        assert_eq!(Zone::Fixed(-19800).time(t), "2024-03-07T21:21:25-05:30");
    }
}
