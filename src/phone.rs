//! Phone intelligence: destination cleaning, calling code, country, number type and validity.
//!
//! libphonenumber (the `phonenumber` crate) costs tens of microseconds a number, so it is never
//! called per row. A number is classified once per distinct *key* — (calling code, national
//! length, first K national digits) — and every other number with the same key reuses the
//! answer. K is 4, raised per calling code to the longest `leading_digits` pattern among the
//! regions that share it (so +44 7624 is the Isle of Man, +39 06698 the Vatican, +1 684 American
//! Samoa): country is exact; number type is exact wherever a range's type is fixed by its first K
//! digits, which holds for the metadata's ranges almost everywhere.

use crate::hash::Map;
use crate::schema::NumberType;
use phonenumber::metadata::DATABASE;

/// Leading national digits that decide a number's class by default.
const DEFAULT_K: usize = 4;
/// Never key on more digits than this (the cache must stay small).
const MAX_K: usize = 6;
/// ITU calling codes that libphonenumber carries no metadata for but that appear in IRSF:
/// +388 (ETNS, withdrawn) and +991 (ITPCS trial).
const EXTRA_CODES: [u16; 2] = [388, 991];

/// What the number itself says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneInfo {
    pub calling_code: Option<u16>,
    pub country: Option<[u8; 2]>,
    pub number_type: NumberType,
}

impl PhoneInfo {
    pub const INVALID: PhoneInfo = PhoneInfo { calling_code: None, country: None, number_type: NumberType::Invalid };

    pub fn country_str(&self) -> Option<&str> {
        self.country.as_ref().and_then(|c| std::str::from_utf8(c).ok())
    }
}

/// A destination after cleaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `+` and 1-15 digits.
    E164(String),
    /// Not a phone number we can read; the cleaned text is kept for the record.
    Unreadable(String),
    /// A channel address that is not SMS (`whatsapp:+...`).
    OtherChannel(String),
}

/// Clean a destination as exports write it. `bare_digits_are_international`: a number of 8+
/// digits without `+` is read as E.164 without its plus (the SNS usage report writes that).
pub fn clean_destination(raw: &str, bare_digits_are_international: bool) -> Destination {
    if let Some(t) = clean_e164(raw) {
        return Destination::E164(t.to_string());
    }
    let t = raw.trim().trim_start_matches('\u{feff}');
    if let Some(colon) = t.bytes().position(|b| b == b':') {
        let scheme = t[..colon].to_ascii_lowercase();
        if scheme != "tel" && scheme != "sms" {
            return Destination::OtherChannel(scheme);
        }
    }
    let t = t.strip_prefix("tel:").or_else(|| t.strip_prefix("sms:")).unwrap_or(t);
    let mut out = String::with_capacity(t.len() + 1);
    for c in t.chars() {
        match c {
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' | '/' => {}
            _ => out.push(c),
        }
    }
    let digits_from = if out.starts_with('+') {
        1
    } else if out.starts_with("00") && out.len() > 4 {
        2
    } else if bare_digits_are_international && out.len() >= 8 {
        0
    } else {
        return Destination::Unreadable(out);
    };
    let digits = &out[digits_from..];
    if !e164_digits(digits) {
        let shown = if digits_from == 0 || out.starts_with('+') { out.clone() } else { format!("+{digits}") };
        return Destination::Unreadable(shown);
    }
    if digits_from == 1 {
        return Destination::E164(out);
    }
    Destination::E164(format!("+{digits}"))
}

/// `raw` as [`clean_destination`] takes it, when it is written clean: `+` and 1-15 digits, the
/// first not 0, as most exports write it. Taken as it is (at 10M SNS lines the general path, a
/// char at a time and a `format!`, was 3 % of the parsing threads' samples).
pub fn clean_e164(raw: &str) -> Option<&str> {
    let t = raw.trim().trim_start_matches('\u{feff}');
    e164_digits(t.strip_prefix('+')?).then_some(t)
}

/// Whether `digits` are an E.164 number's after the `+`: 1-15 ASCII digits, the first not 0.
fn e164_digits(digits: &str) -> bool {
    !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

#[derive(Clone, Copy)]
struct CodeInfo {
    /// Leading national digits that decide the class for this code.
    k: u8,
    /// The one region when the code is not shared.
    single_region: Option<[u8; 2]>,
    non_geographic: bool,
    in_metadata: bool,
}

/// What a number's digits say: its class outright, or the key its class is cached under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Done(PhoneInfo),
    Pending(u64),
}

/// Classifier with its cache. Not thread-safe by design: one per ingest.
pub struct Classifier {
    cache: Map<u64, PhoneInfo>,
    /// Numbers classified (cache lookups) and libphonenumber calls made (cache misses).
    pub lookups: u64,
    pub misses: u64,
}

impl Default for Classifier {
    fn default() -> Self {
        Self::new()
    }
}

fn max_leading_len(pattern: &str) -> Option<usize> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    hir.properties().maximum_len()
}

/// The regions that share calling code `code` (+1: the US, Canada and the Caribbean; +7: Russia
/// and Kazakhstan; +44: the UK, Guernsey, Jersey and the Isle of Man), from libphonenumber.
pub fn regions_of(code: u16) -> Vec<String> {
    DATABASE.region(&code).unwrap_or_default().into_iter().map(|r| r.to_string()).collect()
}

/// What each calling code (by number) needs for keys, from libphonenumber's metadata: made once
/// a process, when first needed or by [`warm`].
static CODES: std::sync::LazyLock<Vec<Option<CodeInfo>>> = std::sync::LazyLock::new(|| {
    let mut codes: Vec<Option<CodeInfo>> = vec![None; 1000];
    for (code, slot) in codes.iter_mut().enumerate().skip(1) {
        let Some(metas) = DATABASE.by_code(&(code as u16)) else { continue };
        if metas.is_empty() {
            continue;
        }
        let lead = metas.iter().filter_map(|m| m.leading_digits().and_then(|re| max_leading_len(re.as_str()))).max().unwrap_or(0);
        let regions = DATABASE.region(&(code as u16)).unwrap_or_default();
        let single_region = match regions.as_slice() {
            [one] if one.len() == 2 => Some([one.as_bytes()[0], one.as_bytes()[1]]),
            _ => None,
        };
        *slot = Some(CodeInfo {
            k: DEFAULT_K.max(lead.min(MAX_K)) as u8,
            single_region,
            non_geographic: metas.iter().all(|m| m.id() == "001"),
            in_metadata: true,
        });
    }
    for code in EXTRA_CODES {
        codes[code as usize] = Some(CodeInfo { k: DEFAULT_K as u8, single_region: None, non_geographic: true, in_metadata: false });
    }
    // Numbers are classified in the order they come, country after country: the metadata's
    // regex cache must hold every pattern in use, not the 100 it holds by default (which
    // thrashed at 1.35 ms a number against tens of µs).
    if let Ok(mut cache) = DATABASE.cache().lock() {
        cache.set_capacity(REGEX_CACHE);
    }
    codes
});

/// Patterns libphonenumber's regex cache keeps: every pattern of every region is about 3,000.
const REGEX_CACHE: usize = 4096;

fn codes() -> &'static [Option<CodeInfo>] {
    &CODES
}

/// Load libphonenumber's metadata and the code table on a thread of their own, now: they take
/// about a tenth of a second of one core, which a run would otherwise spend before or between
/// its parallel parts. Whoever needs them first waits for that thread to finish.
pub fn warm() {
    let _ = std::thread::Builder::new().name("phone-metadata".into()).spawn(|| {
        std::sync::LazyLock::force(&CODES);
    });
}

impl Classifier {
    pub fn new() -> Classifier {
        Classifier { cache: Map::default(), lookups: 0, misses: 0 }
    }

    /// The class of a number when the number alone says it (`Done`), else its key (`Pending`),
    /// whether classified yet or not. Reads nothing but the code table: any thread may call it.
    pub fn key_digits(&self, n: u64, len: u8) -> Lookup {
        use crate::store::pow10;
        let len = u32::from(len);
        // The number's first three digits (fewer when short), cut once: the calling code is one
        // of their prefixes. Two divisions by a power of ten known only at run time per number
        // (slow hardware divides; there had been five), the rest by constants.
        let t = 3u32.min(len.saturating_sub(1));
        if t == 0 {
            return Lookup::Done(PhoneInfo::INVALID);
        }
        let lead = n / pow10(len - t);
        let mut found = None;
        for cl in 1..=t {
            let code = match t - cl {
                0 => lead,
                1 => lead / 10,
                _ => lead / 100,
            };
            if let Some(Some(info)) = codes().get(code as usize) {
                found = Some((code as u16, cl, *info));
                break;
            }
        }
        let Some((code, cl, info)) = found else {
            return Lookup::Done(PhoneInfo::INVALID);
        };
        if !info.in_metadata {
            return Lookup::Done(PhoneInfo { calling_code: Some(code), country: None, number_type: NumberType::NonGeographic });
        }
        let nlen = len - cl;
        let k = u32::from(info.k).min(nlen);
        // n = code·10^nlen + national, so the first k national digits are n's first cl + k
        // digits less the code's.
        let prefix = n / pow10(nlen - k) - u64::from(code) * pow10(k);
        Lookup::Pending((u64::from(code) << 48) | (u64::from(nlen) << 40) | (u64::from(k) << 36) | prefix)
    }

    /// Classify a number now (`len` digits, no leading zero): its key's class, from the cache or
    /// worked out at once from this number, the first of its key.
    pub fn classify_digits(&mut self, n: u64, len: u8) -> PhoneInfo {
        self.lookups += 1;
        match self.key_digits(n, len) {
            Lookup::Done(info) => info,
            Lookup::Pending(key) => {
                if let Some(&hit) = self.cache.get(&key) {
                    return hit;
                }
                let code = (key >> 48) as u16;
                let info = match codes()[code as usize] {
                    Some(ci) => {
                        self.misses += 1;
                        crate::timings::time(crate::timings::Stage::Phone, || classify_uncached(code, &format!("+{n}"), ci))
                    }
                    None => PhoneInfo::INVALID,
                };
                self.cache.insert(key, info);
                info
            }
        }
    }

    /// Classify one number written `+` and digits.
    pub fn classify(&mut self, e164: &str) -> PhoneInfo {
        let digits = e164.strip_prefix('+').unwrap_or(e164);
        match digits.parse::<u64>() {
            Ok(n) if !digits.is_empty() && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0') => {
                self.classify_digits(n, digits.len() as u8)
            }
            _ => {
                self.lookups += 1;
                PhoneInfo::INVALID
            }
        }
    }

    /// Distinct keys classified so far.
    pub fn cache_size(&self) -> usize {
        self.cache.len()
    }
}

fn classify_uncached(code: u16, e164: &str, info: CodeInfo) -> PhoneInfo {
    let mut out = PhoneInfo { calling_code: Some(code), country: info.single_region, number_type: NumberType::Invalid };
    let Ok(number) = phonenumber::parse(None, e164) else {
        return out;
    };
    let t = number.number_type(&DATABASE);
    if let Some(id) = number.country().id() {
        let s: &str = id.as_ref();
        let b = s.as_bytes();
        if b.len() == 2 {
            out.country = Some([b[0], b[1]]);
        }
    }
    use phonenumber::Type as T;
    out.number_type = match t {
        T::Unknown => NumberType::Invalid,
        _ if info.non_geographic => NumberType::NonGeographic,
        T::FixedLine => NumberType::FixedLine,
        T::Mobile => NumberType::Mobile,
        T::FixedLineOrMobile => NumberType::FixedOrMobile,
        T::TollFree => NumberType::TollFree,
        T::PremiumRate => NumberType::PremiumRate,
        T::SharedCost => NumberType::SharedCost,
        T::PersonalNumber => NumberType::Personal,
        T::Voip => NumberType::Voip,
        T::Pager => NumberType::Pager,
        T::Uan => NumberType::Uan,
        T::Voicemail => NumberType::Voicemail,
        _ => NumberType::Unknown,
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(n: &str) -> PhoneInfo {
        Classifier::new().classify(n)
    }

    #[test]
    fn shared_codes_resolve_to_the_right_country() {
        assert_eq!(info("+447624123456").country_str(), Some("IM"));
        assert_eq!(info("+447400123456").country_str(), Some("GB"));
        assert_eq!(info("+14165550123").country_str(), Some("CA"));
        assert_eq!(info("+12015550123").country_str(), Some("US"));
        assert_eq!(info("+77012345678").country_str(), Some("KZ"));
        assert_eq!(info("+79123456789").country_str(), Some("RU"));
    }

    #[test]
    fn number_types() {
        assert_eq!(info("+447400123456").number_type, NumberType::Mobile);
        assert_eq!(info("+12015550123").number_type, NumberType::FixedOrMobile);
        assert_eq!(info("+33612345678").number_type, NumberType::Mobile);
        assert_eq!(info("+33891234567").number_type, NumberType::PremiumRate);
        assert_eq!(info("+88213200000").number_type, NumberType::NonGeographic);
        assert_eq!(info("+882345678901").calling_code, Some(882));
        assert_eq!(info("+38812345678").calling_code, Some(388));
        assert_eq!(info("+33012").number_type, NumberType::Invalid);
        // single-region codes still say their country when the number is invalid
        assert_eq!(info("+33012").country_str(), Some("FR"));
    }

    #[test]
    fn cache_is_per_key_not_per_number() {
        let mut c = Classifier::new();
        for i in 0..1000 {
            c.classify(&format!("+4477009{i:05}"));
        }
        assert_eq!(c.lookups, 1000);
        assert_eq!(c.misses, 1);
    }

    #[test]
    fn keys_are_the_code_the_length_and_the_first_national_digits() {
        use rand::{RngExt, SeedableRng};
        let c = Classifier::new();
        // The key as first written: the code and the national digits cut out one division each.
        let reference = |n: u64, len: u32| -> Lookup {
            let p = |e: u32| 10u64.pow(e);
            let Some((code, cl)) = (1..=3u32.min(len.saturating_sub(1)))
                .map(|cl| (n / p(len - cl), cl))
                .find(|&(code, _)| codes().get(code as usize).is_some_and(|i| i.is_some()))
            else {
                return Lookup::Done(PhoneInfo::INVALID);
            };
            let info = codes()[code as usize].expect("found above");
            if !info.in_metadata {
                return Lookup::Done(PhoneInfo { calling_code: Some(code as u16), country: None, number_type: NumberType::NonGeographic });
            }
            let nlen = len - cl;
            let k = u32::from(info.k).min(nlen);
            Lookup::Pending((code << 48) | (u64::from(nlen) << 40) | (u64::from(k) << 36) | ((n % p(nlen)) / p(nlen - k)))
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for _ in 0..200_000 {
            let len = rng.random_range(1..=17u32);
            let n = rng.random_range(10u64.pow(len - 1)..10u64.pow(len));
            assert_eq!(c.key_digits(n, len as u8), reference(n, len), "{n}");
        }
        for n in [1u64, 12, 123, 1234, 3_388_123, 99_112_345_678, 883_123_456_789] {
            let len = crate::store::digits(n);
            assert_eq!(c.key_digits(n, len), reference(n, u32::from(len)), "{n}");
        }
    }

    #[test]
    fn cleaning() {
        assert_eq!(clean_destination("+1 (201) 555-0123", false), Destination::E164("+12015550123".into()));
        assert_eq!(clean_destination("12015550123", true), Destination::E164("+12015550123".into()));
        assert_eq!(clean_destination("0033612345678", false), Destination::E164("+33612345678".into()));
        assert_eq!(clean_destination("+1XXX5550100", true), Destination::Unreadable("+1XXX5550100".into()));
        assert_eq!(clean_destination("1XXX5550100", true), Destination::Unreadable("1XXX5550100".into()));
        assert_eq!(clean_destination("whatsapp:+14155550100", false), Destination::OtherChannel("whatsapp".into()));
        assert!(matches!(clean_destination("+1234567890123456789", false), Destination::Unreadable(_)));
        // The clean form as it is, and its edges, which the general path judges.
        let e164 = |s: &str| Destination::E164(s.into());
        let unreadable = |s: &str| Destination::Unreadable(s.into());
        for (raw, want) in [
            (" +447400100200 ", e164("+447400100200")),
            ("+123456789012345", e164("+123456789012345")),
            ("+1234567890123456", unreadable("+1234567890123456")),
            ("+0447400100200", unreadable("+0447400100200")),
            ("+", unreadable("+")),
            ("\u{feff}+447400100200", e164("+447400100200")),
            ("tel:+447400100200", e164("+447400100200")),
            ("+44 7400 100200", e164("+447400100200")),
            ("+٤٤٧٤", unreadable("+٤٤٧٤")),
        ] {
            assert_eq!(clean_destination(raw, false), want, "{raw:?}");
        }
    }
}
