//! The simulated account: countries it sends to, its users, the labels of what was generated,
//! and the legit OTP session every scenario builds on.

use super::countries::{self, Country};
use super::model::{Kind, Label, SimMessage};
use crate::phone::Classifier;
use crate::schema::Status;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Relative OTP demand per local hour (people sign up and log in by day).
const DIURNAL: [f64; 24] =
    [1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.0, 5.0, 5.5, 5.5, 5.5, 5.5, 5.2, 5.0, 5.0, 5.2, 5.5, 5.5, 5.0, 4.0, 3.0, 2.0];
/// Ranges drawn per country: legit customers spread over many.
const RANGES_PER_COUNTRY: usize = 400;
pub const DAY_MS: i64 = 86_400_000;

pub struct World {
    pub seed: u64,
    pub start_ms: i64,
    pub days: u32,
    pub countries: Vec<Country>,
    /// Users per country: (number, first time seen).
    pub users: Vec<Vec<(u64, i64)>>,
    pub labels: Vec<Label>,
    classifier: Classifier,
}

/// A stable 64-bit mix of a seed and a name (FNV-1a then SplitMix64 finaliser).
pub fn mix(seed: u64, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

pub fn rng_for(seed: u64, name: &str) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(seed, name))
}

/// Outcome knobs of one OTP session.
#[derive(Clone, Copy)]
pub struct Session {
    pub conversion: f64,
    /// Probability a send fails to deliver.
    pub failure: f64,
}

impl World {
    pub fn new(seed: u64, start_ms: i64, days: u32) -> World {
        World { seed, start_ms, days, countries: Vec::new(), users: Vec::new(), labels: Vec::new(), classifier: Classifier::new() }
    }

    pub fn end_ms(&self) -> i64 {
        self.start_ms + i64::from(self.days) * DAY_MS
    }

    /// The index of a country, building its profile on first use (its own random stream, so a
    /// country's ranges do not depend on which other countries a run has).
    pub fn country(&mut self, iso: &str) -> Result<u16, String> {
        let iso = iso.trim().to_ascii_uppercase();
        if let Some(i) = self.countries.iter().position(|c| c.iso == iso) {
            return Ok(i as u16);
        }
        let mut rng = rng_for(self.seed, &format!("country:{iso}"));
        let c = countries::build(&iso, RANGES_PER_COUNTRY, &mut rng, &mut self.classifier)
            .ok_or_else(|| format!("no simulator profile for country `{iso}` (known: {})", known_countries()))?;
        self.countries.push(c);
        self.users.push(Vec::new());
        Ok((self.countries.len() - 1) as u16)
    }

    pub fn label(&mut self, label: &str, scenario: &str) -> u16 {
        let l = Label { label: label.to_string(), scenario: scenario.to_string() };
        if let Some(i) = self.labels.iter().position(|x| *x == l) {
            return i as u16;
        }
        self.labels.push(l);
        (self.labels.len() - 1) as u16
    }

    /// A send time on `day` (0-based) drawn from the diurnal curve in the country's local time.
    pub fn diurnal_ts(&self, rng: &mut ChaCha8Rng, country: u16, day: i64) -> i64 {
        let total: f64 = DIURNAL.iter().sum();
        let mut x = rng.random_range(0.0..total);
        let mut hour = 0;
        while hour < 23 && x >= DIURNAL[hour] {
            x -= DIURNAL[hour];
            hour += 1;
        }
        let local_ms = hour as i64 * 3_600_000 + rng.random_range(0..3_600_000);
        let offset = i64::from(self.countries[country as usize].offset_min) * 60_000;
        self.start_ms + day * DAY_MS + local_ms - offset
    }

    /// A user of `country`: a returning one with probability `returning` (among those seen
    /// before `ts`), else a new number in one of the country's ranges.
    pub fn user(&mut self, rng: &mut ChaCha8Rng, country: u16, ts: i64, returning: f64) -> u64 {
        let pool = &self.users[country as usize];
        if !pool.is_empty() && rng.random_bool(returning) {
            let (n, first) = pool[rng.random_range(0..pool.len())];
            if first <= ts {
                return n;
            }
        }
        let c = &self.countries[country as usize];
        let n = c.number(rng.random_range(0..c.ranges.len()), rng.random_range(0..10_000));
        self.users[country as usize].push((n, ts));
        n
    }

    /// One legit OTP session: a send, and after a failed delivery often a resend a minute or
    /// two later; the user verifies (converts) with the country's rate when a code arrives.
    pub fn otp_session(&mut self, rng: &mut ChaCha8Rng, country: u16, ts: i64, label: u16, s: Session, out: &mut Vec<SimMessage>) {
        let to = self.user(rng, country, ts, 0.3);
        let mut t = ts;
        for attempt in 0..3 {
            let failed = rng.random_bool(s.failure.clamp(0.0, 1.0));
            let (status, error) = if failed {
                if rng.random_bool(0.65) {
                    (Status::Undelivered, [30003u16, 30005, 30006, 30008][rng.random_range(0..4)])
                } else {
                    (Status::Failed, 30008)
                }
            } else {
                (Status::Delivered, 0)
            };
            let converted = !failed && rng.random_bool(s.conversion.clamp(0.0, 1.0));
            out.push(SimMessage { ts: t, to, country, kind: Kind::Otp, status, error, segments: 1, converted, label });
            if !failed || attempt == 2 || !rng.random_bool(0.7) {
                break;
            }
            t += rng.random_range(30_000..180_000);
        }
    }

    /// Whether E.164 digits `n` are a valid mobile number of `country`, by libphonenumber.
    pub fn valid_mobile(&mut self, country: u16, n: u64) -> bool {
        let info = self.classifier.classify(&format!("+{n}"));
        matches!(info.number_type, crate::schema::NumberType::Mobile | crate::schema::NumberType::FixedOrMobile)
            && info.country_str() == Some(self.countries[country as usize].iso)
    }

    /// Legit conversion rate of a country.
    pub fn conversion(&self, country: u16) -> f64 {
        self.countries[country as usize].conversion
    }
}

pub fn known_countries() -> String {
    countries::PROFILES.iter().map(|p| p.0).collect::<Vec<_>>().join(" ")
}
