//! Timestamp parsing for every export format, to UTC epoch milliseconds.
//!
//! Accepted: ISO 8601 / RFC 3339 with `T` or a space, 0-9 fractional digits, `Z`, `±HH:MM`,
//! `±HHMM` or no zone (= UTC, as SNS writes `2016-06-28 00:40:34.558`); a bare date; RFC 2822
//! (`Fri, 24 May 2019 17:44:46 +0000`, the Twilio REST API); epoch numbers in s, ms, µs or ns
//! (told apart by magnitude). Instants outside 1990-2199 are rejected: they are corrupt, and
//! letting them through would stretch every time window.

use chrono::DateTime;

/// Earliest and latest accepted instants (ms): 1990-01-01 and 2200-01-01.
const MIN_MS: i64 = 631_152_000_000;
const MAX_MS: i64 = 7_258_118_400_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    Unrecognised,
    OutOfRange,
}

impl std::fmt::Display for TimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TimeError::Unrecognised => f.write_str("is not a recognised timestamp"),
            TimeError::OutOfRange => f.write_str("is outside 1990-2199"),
        }
    }
}

/// Parse a textual timestamp.
pub fn parse_text(s: &str) -> Result<i64, TimeError> {
    let s = s.trim();
    let ms = if let Some(ms) = parse_iso(s.as_bytes()) {
        ms
    } else if let Some(ms) = rfc2822_common(s.as_bytes()) {
        ms
    } else if let Ok(dt) = DateTime::parse_from_rfc2822(s) {
        dt.timestamp_millis()
    } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let v: f64 = s.parse().map_err(|_| TimeError::Unrecognised)?;
        return parse_epoch(v);
    } else {
        return Err(TimeError::Unrecognised);
    };
    check(ms)
}

/// Parse an epoch number whose unit is told by its magnitude.
pub fn parse_epoch(v: f64) -> Result<i64, TimeError> {
    if !v.is_finite() || v < 0.0 {
        return Err(TimeError::OutOfRange);
    }
    let ms = if v >= 1e17 {
        v / 1e6
    } else if v >= 1e14 {
        v / 1e3
    } else if v >= 1e11 {
        v
    } else {
        v * 1e3
    };
    check(ms as i64)
}

fn check(ms: i64) -> Result<i64, TimeError> {
    if (MIN_MS..MAX_MS).contains(&ms) { Ok(ms) } else { Err(TimeError::OutOfRange) }
}

fn digits(b: &[u8], from: usize, n: usize) -> Option<i64> {
    let part = b.get(from..from + n)?;
    let mut v = 0i64;
    for &c in part {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// The one RFC 2822 shape exports write, `Fri, 24 May 2019 17:44:46 +0000`, read without chrono
/// (whose general parser had been a tenth of a Console export's parse). Anything else, and any
/// value chrono might judge otherwise (a weekday that does not match, 31 February, second 60),
/// is left to chrono: none means "not sure", not "invalid".
fn rfc2822_common(b: &[u8]) -> Option<i64> {
    const DAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8; 3]; 12] = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
    if b.len() != 31
        || &b[3..5] != b", "
        || b[7] != b' '
        || b[11] != b' '
        || b[16] != b' '
        || b[19] != b':'
        || b[22] != b':'
        || b[25] != b' '
    {
        return None;
    }
    let weekday = DAYS.iter().position(|d| &b[0..3] == *d)? as i64;
    let month = MONTHS.iter().position(|m| &b[8..11] == *m)? as i64 + 1;
    let (day, year) = (digits(b, 5, 2)?, digits(b, 12, 4)?);
    let (hour, minute, second) = (digits(b, 17, 2)?, digits(b, 20, 2)?, digits(b, 23, 2)?);
    let sign = match b[26] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (oh, om) = (digits(b, 27, 2)?, digits(b, 29, 2)?);
    let days_in_month = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if year < 1900 || day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 59 || oh > 23 || om > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if (days + 3).rem_euclid(7) != weekday {
        return None;
    }
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 - sign * (oh * 60 + om) * 60_000)
}

/// The day of the last RFC 2822 date read, for [`Days::parse`].
#[derive(Debug, Default, Clone)]
pub struct Days {
    /// Bytes 0..17 (`Fri, 01 Mar 2024 `) and 25..31 (` +0000`) of that date.
    key: [u8; 23],
    /// Its time less its time of day, in ms; none before the first such date.
    base: Option<i64>,
}

impl Days {
    /// [`parse_text`], with the day of the common RFC 2822 shape remembered: the rows of an
    /// export come in time order, so nearly every date has the day and zone of the one before,
    /// and only its time of day needs reading. Gives exactly what [`parse_text`] gives: a date
    /// whose day and zone bytes are those of a date [`rfc2822_common`] accepted differs from it
    /// only in the time of day, which is checked here as there and enters the result linearly.
    pub fn parse(&mut self, s: &str) -> Result<i64, TimeError> {
        let b = s.trim().as_bytes();
        let shaped = b.len() == 31 && b[16] == b' ' && b[19] == b':' && b[22] == b':' && b[25] == b' ';
        let time_of_day = || {
            let (h, m, s) = (digits(b, 17, 2)?, digits(b, 20, 2)?, digits(b, 23, 2)?);
            (h <= 23 && m <= 59 && s <= 59).then_some((h * 3600 + m * 60 + s) * 1000)
        };
        if shaped
            && let Some(base) = self.base
            && b[..17] == self.key[..17]
            && b[25..] == self.key[17..]
            && let Some(t) = time_of_day()
        {
            return check(base + t);
        }
        let ms = parse_text(s)?;
        if shaped && let (Some(raw), Some(t)) = (rfc2822_common(b), time_of_day()) {
            self.key[..17].copy_from_slice(&b[..17]);
            self.key[17..].copy_from_slice(&b[25..]);
            self.base = Some(raw - t);
        }
        Ok(ms)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A UTC instant broken into calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub milli: u32,
    /// 0 = Monday.
    pub weekday: u32,
}

/// Epoch ms to calendar fields (inverse of [`days_from_civil`]), without chrono, for writers
/// that format millions of timestamps.
pub fn civil(ms: i64) -> Civil {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Civil {
        year: y,
        month: m as u32,
        day: d as u32,
        hour: (rem / 3_600_000) as u32,
        minute: (rem / 60_000 % 60) as u32,
        second: (rem / 1000 % 60) as u32,
        milli: (rem % 1000) as u32,
        weekday: (days + 3).rem_euclid(7) as u32,
    }
}

/// `Fri, 24 May 2019 17:44:46 +0000` (the Twilio REST API's dates).
pub fn rfc2822(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let c = civil(ms);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[c.weekday as usize],
        c.day,
        MONTHS[(c.month - 1) as usize],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// `2024-03-05T02:00:00Z` (seconds) or with `.mmm` when `millis`.
pub fn iso(ms: i64, millis: bool) -> String {
    let c = civil(ms);
    if millis {
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli)
    } else {
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn parse_iso(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let day_ms = days_from_civil(y, mo, d) * 86_400_000;
    if b.len() == 10 {
        return Some(day_ms);
    }
    if !(b[10] == b'T' || b[10] == b' ' || b[10] == b't') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let (h, mi) = (digits(b, 11, 2)?, digits(b, 14, 2)?);
    let mut i = 16;
    let mut sec = 0;
    if b.get(i) == Some(&b':') {
        sec = digits(b, i + 1, 2)?;
        i += 3;
    }
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut frac_ms = 0i64;
    if matches!(b.get(i), Some(b'.') | Some(b',')) {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        let take = n.min(3);
        frac_ms = digits(b, start, take)? * 10i64.pow(3 - take as u32);
    }
    let offset_min = match b.get(i) {
        None => 0,
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)?;
            let rest = &b[i + 3..];
            let om = match rest {
                [] => 0,
                [b':', ..] if rest.len() == 3 => digits(rest, 1, 2)?,
                _ if rest.len() == 2 => digits(rest, 0, 2)?,
                _ => return None,
            };
            let v = oh * 60 + om;
            if sign == b'+' { v } else { -v }
        }
        _ => return None,
    };
    Some(day_ms + ((h * 60 + mi - offset_min) * 60 + sec) * 1000 + frac_ms)
}

/// Format epoch ms as RFC 3339 UTC with millisecond precision (`2024-05-29T10:57:57.563Z`).
pub fn format_ms(ms: i64) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => ms.to_string(),
    }
}

/// Parse a duration such as `15m`, `90s`, `2h`, `1d` into milliseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| format!("`{s}` is not a duration like 15m, 90s, 2h or 1d"))?;
    let mult = match unit {
        "ms" => 1,
        "" => return Err(format!("`{s}` needs a unit: {s}s, {s}m, {s}h or {s}d")),
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use s, m, h or d)")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("`{s}` is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_days_read_as_the_full_parser_reads() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut days = Days::default();
        let (mut hits, mut valid) = (0, 0);
        let mut last = String::from("Fri, 01 Mar 2024 00:00:02 +0000");
        for _ in 0..200_000 {
            // Mostly the last date with one byte changed (the time, the day, the zone, the
            // weekday, or a byte anywhere), so the memo is hit and missed in every way.
            let mut b = last.clone().into_bytes();
            let i = match rng.random_range(0..10u8) {
                0..=4 => rng.random_range(17..25usize),
                5 => rng.random_range(5..7usize),
                6 => rng.random_range(26..31usize),
                7 => rng.random_range(0..3usize),
                _ => rng.random_range(0..b.len()),
            };
            b[i] = *b"0123456789+-: ,FriSatMar".get(rng.random_range(0..24usize)).unwrap_or(&b'0');
            let s = String::from_utf8(b).unwrap_or_default();
            let before = days.base.is_some() && s.as_bytes().get(..17) == Some(&days.key[..17]);
            let got = days.parse(&s);
            assert_eq!(got, parse_text(&s), "{s:?}");
            hits += usize::from(before && got.is_ok());
            if got.is_ok() {
                valid += 1;
                last = s;
            }
        }
        assert!(hits > 10_000 && valid > 20_000, "{hits} hits, {valid} valid dates");
        // A wrong weekday is never remembered; its day is left to chrono.
        let mut days = Days::default();
        assert_eq!(days.parse("Sat, 01 Mar 2024 00:00:02 +0000"), parse_text("Sat, 01 Mar 2024 00:00:02 +0000"));
        assert!(days.base.is_none());
    }

    #[test]
    fn common_rfc2822_agrees_with_chrono() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x2545_f491_4f6c_dd1du64);
        let mut next = || rng.random::<u64>();
        let (mut fast, mut total) = (0, 0);
        for _ in 0..200_000 {
            // Around valid dates, with fields pushed out of range now and then.
            let ms = (next() % 4_000_000_000_000) as i64;
            let c = civil(ms);
            let mut text = rfc2822(ms).into_bytes();
            match next() % 8 {
                0 => text[5..7].copy_from_slice(format!("{:02}", next() % 40).as_bytes()),
                1 => text[0..3].copy_from_slice(b"Sun"),
                2 => text[23..25].copy_from_slice(format!("{:02}", 55 + next() % 10).as_bytes()),
                3 => text[26..31].copy_from_slice(format!("{}{:04}", if next() % 2 == 0 { '+' } else { '-' }, next() % 2500).as_bytes()),
                4 => text[8..11].copy_from_slice(b"Feb"),
                _ => {}
            }
            let s = String::from_utf8(text).expect("ascii");
            let chrono = DateTime::parse_from_rfc2822(&s).ok().map(|d| d.timestamp_millis());
            let ours = rfc2822_common(s.as_bytes());
            total += 1;
            if let Some(v) = ours {
                fast += 1;
                assert_eq!(Some(v), chrono, "{s} ({c:?})");
            }
        }
        assert!(fast * 2 > total, "the fast path takes most real dates ({fast} of {total})");
    }

    #[test]
    fn iso_variants_agree() {
        let want = 1_467_074_434_558; // 2016-06-28T00:40:34.558Z
        assert_eq!(parse_text("2016-06-28 00:40:34.558"), Ok(want));
        assert_eq!(parse_text("2016-06-28T00:40:34.558Z"), Ok(want));
        assert_eq!(parse_text("2016-06-28T02:40:34.558+02:00"), Ok(want));
        assert_eq!(parse_text("2016-06-27T19:40:34.558-0500"), Ok(want));
        assert_eq!(parse_text("2016-06-28T00:40:34.558123456Z"), Ok(want));
        assert_eq!(parse_text("2022-03-08 19:09:37.3"), Ok(parse_text("2022-03-08T19:09:37.300Z").unwrap()));
        assert_eq!(parse_text("2016-06-28"), Ok(1_467_072_000_000));
    }

    #[test]
    fn rfc2822_and_epochs() {
        assert_eq!(parse_text("Fri, 24 May 2019 17:44:46 +0000"), parse_text("2019-05-24T17:44:46Z"));
        assert_eq!(parse_epoch(1_712_944_268_877.0), Ok(1_712_944_268_877));
        assert_eq!(parse_epoch(1_467_074_434.0), Ok(1_467_074_434_000));
        assert_eq!(parse_text("1467074434"), Ok(1_467_074_434_000));
    }

    #[test]
    fn rejects_garbage_and_out_of_range() {
        assert_eq!(parse_text("yesterday"), Err(TimeError::Unrecognised));
        assert_eq!(parse_text("2016-02-30T00:00:00Z"), Err(TimeError::Unrecognised));
        assert_eq!(parse_text("99999-01-01T00:00:00Z"), Err(TimeError::Unrecognised));
        assert_eq!(parse_text("1969-12-31T00:00:00Z"), Err(TimeError::OutOfRange));
        assert_eq!(parse_epoch(f64::NAN), Err(TimeError::OutOfRange));
    }

    #[test]
    fn civil_round_trips() {
        for ms in [951_782_400_000i64, 1_467_074_434_558, 1_709_251_199_999, 4_102_444_800_000] {
            assert_eq!(parse_text(&iso(ms, true)), Ok(ms));
            assert_eq!(parse_text(&rfc2822(ms)), Ok(ms - ms % 1000));
        }
        assert_eq!(rfc2822(1_558_719_886_000), "Fri, 24 May 2019 17:44:46 +0000");
        assert_eq!(civil(1_558_719_886_000).weekday, 4);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m"), Ok(900_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000));
        assert!(parse_duration("5 parsecs").is_err());
        assert_eq!(parse_duration("900s"), Ok(900_000));
        assert!(parse_duration("15").unwrap_err().contains("needs a unit"), "a bare number is not a duration");
    }
}
