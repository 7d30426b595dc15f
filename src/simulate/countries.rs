//! Country profiles for the simulator: calling code, local time offset, an illustrative price per
//! SMS segment and a legit OTP conversion rate, and number ranges that libphonenumber says are
//! valid mobile ranges. Prices are synthetic round figures in the range public price lists show
//! (USD per outbound segment), not quotes; the high-cost set is the one DETECTION.md lists as
//! frequent pumping targets.

use crate::phone::Classifier;
use crate::schema::NumberType;
use phonenumber::metadata::DATABASE;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// (ISO alpha-2, UTC offset in minutes, price per segment USD, legit conversion rate)
pub const PROFILES: &[(&str, i32, f64, f64)] = &[
    ("US", -300, 0.0083, 0.86),
    ("CA", -300, 0.0083, 0.85),
    ("GB", 0, 0.0463, 0.84),
    ("FR", 60, 0.0816, 0.82),
    ("DE", 60, 0.0954, 0.83),
    ("ES", 60, 0.0867, 0.80),
    ("IT", 60, 0.0894, 0.79),
    ("NL", 60, 0.1048, 0.84),
    ("PL", 60, 0.0415, 0.78),
    ("IN", 330, 0.0831, 0.70),
    ("BR", -180, 0.0543, 0.72),
    ("MX", -360, 0.0584, 0.74),
    ("CO", -300, 0.0520, 0.71),
    ("AU", 600, 0.0515, 0.85),
    ("JP", 540, 0.0868, 0.83),
    ("ZA", 120, 0.0398, 0.73),
    ("IS", 0, 0.0868, 0.88),
    ("LU", 60, 0.0890, 0.86),
    ("LV", 120, 0.0917, 0.80),
    ("LT", 120, 0.0764, 0.80),
    ("EE", 120, 0.0833, 0.81),
    ("CU", -300, 0.1137, 0.68),
    ("SO", 180, 0.2264, 0.66),
    ("GN", 0, 0.2106, 0.66),
    ("GM", 0, 0.1874, 0.67),
    ("MV", 300, 0.1297, 0.70),
    ("ZW", 120, 0.1422, 0.68),
    ("TN", 60, 0.2585, 0.69),
    ("NG", 60, 0.1797, 0.67),
    ("PK", 300, 0.1944, 0.68),
    ("BD", 360, 0.2451, 0.66),
    ("AZ", 240, 0.3101, 0.67),
    ("UZ", 300, 0.2837, 0.66),
    ("TJ", 300, 0.2680, 0.65),
];

/// Countries published lists name as frequent pumping targets (DETECTION.md).
pub const HIGH_COST: &[&str] = &["LV", "LT", "EE", "CU", "SO", "GN", "GM", "MV", "ZW", "TN", "NG", "PK", "BD", "AZ", "UZ", "TJ"];

pub struct Country {
    pub iso: &'static str,
    pub code: u16,
    pub offset_min: i32,
    pub price: f64,
    pub conversion: f64,
    /// Valid mobile ranges: E.164 digits with the last four digits zero (`prefix * 10_000`).
    pub ranges: Vec<u64>,
}

impl Country {
    /// A number in range `r` with the given 4-digit suffix.
    pub fn number(&self, range: usize, suffix: u64) -> u64 {
        self.ranges[range % self.ranges.len()] + suffix % 10_000
    }
}

/// Build the profile of `iso` with `n` valid mobile ranges drawn around libphonenumber's
/// example mobile number (its first two national digits kept, the rest drawn).
pub fn build(iso: &str, n: usize, rng: &mut ChaCha8Rng, classifier: &mut Classifier) -> Option<Country> {
    let &(iso, offset_min, price, conversion) = PROFILES.iter().find(|p| p.0 == iso)?;
    let meta = DATABASE.by_id(iso)?;
    let code = meta.country_code();
    let example = meta.descriptors().mobile().and_then(|d| d.example())?.to_string();
    if example.len() < 7 {
        return None;
    }
    let keep = 2;
    let mut ranges = Vec::with_capacity(n);
    let mut tries = 0;
    while ranges.len() < n && tries < n * 40 {
        tries += 1;
        let mut national = example[..keep].to_string();
        for _ in keep..example.len() - 4 {
            national.push(char::from(b'0' + rng.random_range(0..10u8)));
        }
        national.push_str("0000");
        let e164 = format!("+{code}{national}");
        let info = classifier.classify(&e164);
        let mid = format!("+{code}{}5555", &national[..national.len() - 4]);
        let ok = |t: NumberType| matches!(t, NumberType::Mobile | NumberType::FixedOrMobile);
        if ok(info.number_type) && ok(classifier.classify(&mid).number_type) && info.country_str() == Some(iso) {
            let v: u64 = format!("{code}{national}").parse().ok()?;
            if !ranges.contains(&v) {
                ranges.push(v);
            }
        }
    }
    if ranges.is_empty() {
        return None;
    }
    Some(Country { iso, code, offset_min, price, conversion, ranges })
}
