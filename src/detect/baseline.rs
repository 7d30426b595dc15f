//! What the detectors learn from a known-clean period (`--baseline`): learned once, from the
//! period's rows or from a file `pumphound baseline build` saved, so a nightly job does not read
//! weeks of exports again on every run. Both paths go through [`Baseline::learn`]; the file is
//! its serialisation, and a saved baseline gives the findings the raw exports give.
//!
//! What is kept, per detector:
//! - `pumped-range`: the occupancy of the numbering plans' blocks (occupied blocks and their
//!   90th-percentile occupancy per plan and level), the account's conversion, and the numbers;
//! - `new-numbers`: the numbers and the countries;
//! - `spend-anomaly`: per country, the (median, σ) of its spend per hour and per day;
//! - `low-conversion`: the account's conversion;
//! - `excess-unverified`: the conversion of the sends it judges, for the account, per country
//!   and per operator prefix, and the days it spans.
//!
//! Numbers are kept as a set of 64-bit XXH3 hashes of (calling code, national number), sorted,
//! delta-coded as LEB128 varints and base64-encoded: 6-9 bytes a number. A hash is not
//! anonymisation (a country's numbering plan can be enumerated): treat the file as the exports.

use super::low_conversion::daily_baseline;
use super::occupancy::{Level, Occupancy, Plan};
use super::{Code, Row};
use crate::hash::{Map, Set};
use crate::schema::Status;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// What a saved baseline's `pumphound_baseline` says: the layout of the file.
pub const FORMAT: u32 = 1;
/// The seed of the number hashes (a constant: two files of one account must agree).
const SEED: u64 = 0x7075_6d70_686f_756e;

/// A country's name in the file: its ISO code, `??` when unknown (as [`Row::country_str`]).
pub fn country_name(c: Code) -> String {
    c.map(|c| String::from_utf8_lossy(&c).into_owned()).unwrap_or_else(|| "??".into())
}

pub fn country_code(name: &str) -> Code {
    match name.as_bytes() {
        [a, b] if name != "??" => Some([*a, *b]),
        _ => None,
    }
}

/// The numbers of the period, as hashes.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Known(Set<u64>);

impl Known {
    pub fn hash(cc: u16, national: u64) -> u64 {
        xxhash_rust::xxh3::xxh3_64_with_seed(&(u64::from(cc) << 50 | national).to_le_bytes(), SEED)
    }

    /// The set of these (calling code, national number) pairs.
    pub fn of(numbers: impl Iterator<Item = (u16, u64)>) -> Known {
        Known(numbers.map(|(cc, n)| Known::hash(cc, n)).collect())
    }

    pub fn extend(&mut self, numbers: impl Iterator<Item = (u16, u64)>) {
        self.0.extend(numbers.map(|(cc, n)| Known::hash(cc, n)));
    }

    pub fn contains(&self, cc: u16, national: u64) -> bool {
        !self.0.is_empty() && self.0.contains(&Known::hash(cc, national))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorted hashes, each the difference from the one before as a LEB128 varint, in base64.
    fn encode(&self) -> String {
        let mut v: Vec<u64> = self.0.iter().copied().collect();
        v.sort_unstable();
        let mut out = Vec::with_capacity(v.len() * 7);
        let mut prev = 0u64;
        for h in v {
            let mut d = h - prev;
            prev = h;
            loop {
                let byte = (d & 0x7f) as u8;
                d >>= 7;
                if d == 0 {
                    out.push(byte);
                    break;
                }
                out.push(byte | 0x80);
            }
        }
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    fn decode(text: &str, count: usize) -> Result<Known, String> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(text).map_err(|e| format!("numbers: not base64 ({e})"))?;
        let mut set: Set<u64> = Set::with_capacity_and_hasher(count.min(bytes.len()), Default::default());
        let (mut prev, mut d, mut shift) = (0u64, 0u64, 0u32);
        for b in bytes {
            if shift > 63 {
                return Err("numbers: a varint longer than 64 bits".into());
            }
            d |= u64::from(b & 0x7f) << shift;
            if b & 0x80 != 0 {
                shift += 7;
                continue;
            }
            prev = prev.checked_add(d).ok_or("numbers: hashes out of order")?;
            if !set.insert(prev) {
                return Err("numbers: a hash twice".into());
            }
            (d, shift) = (0, 0);
        }
        if shift != 0 {
            return Err("numbers: cut inside a varint".into());
        }
        if set.len() != count {
            return Err(format!("numbers: {} hashes where the file says {count}", set.len()));
        }
        Ok(Known(set))
    }
}

/// Conversion of the sends `excess-unverified` judges (known conversion, not failed).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judged {
    /// The account's usual conversion ([`daily_baseline`]).
    pub account: Option<f64>,
    /// Days with a judged send.
    pub days: u64,
    /// Per country: (sends, verified).
    pub countries: BTreeMap<String, (f64, f64)>,
    /// Per country and operator slice (0: the whole country): the slice's own usual conversion,
    /// for slices with at least three days of 20 sends.
    pub slices: BTreeMap<String, BTreeMap<u32, f64>>,
}

/// Whether `excess-unverified` judges the send.
pub fn judged(r: &Row) -> bool {
    r.converted().is_some() && !matches!(r.status, Status::Failed | Status::Undelivered | Status::Blocked)
}

/// The operator slice of `excess-unverified`: 100 + the national number's first two digits.
pub fn operator(r: &Row) -> u32 {
    if r.nlen >= 4 { 100 + super::occupancy::prefix(r.national, u32::from(r.nlen) - 2) as u32 } else { 0 }
}

impl Judged {
    /// From the judged rows of a period.
    pub fn learn<'a>(rows: impl Iterator<Item = &'a Row>) -> Judged {
        let mut days: Map<(Code, u32, i64), (u32, u32)> = Map::default();
        for r in rows.filter(|r| judged(r)) {
            let e = days.entry((r.country(), operator(r), r.ts.div_euclid(DAY))).or_default();
            e.0 += 1;
            e.1 += u32::from(r.converted() == Some(true));
        }
        Judged::of_days(days.into_iter().map(|((c, op, day), (n, k))| (c, op, day, n, k)))
    }

    /// From the judged sends and their verified ones per country, operator (0: a number too
    /// short for one) and day: (country, operator, day, sends, verified), in any order.
    pub fn of_days(cells: impl Iterator<Item = (Code, u32, i64, u32, u32)>) -> Judged {
        // Per slice (operator 0: the whole country), its days.
        let mut slices: BTreeMap<(Code, u32), BTreeMap<i64, (f64, f64)>> = BTreeMap::new();
        for (c, op, day, n, k) in cells {
            for slice in std::iter::once((c, 0)).chain((op != 0).then_some((c, op))) {
                let e = slices.entry(slice).or_default().entry(day).or_default();
                e.0 += f64::from(n);
                e.1 += f64::from(k);
            }
        }
        let mut all_days: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
        let mut countries: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        let mut own: BTreeMap<String, BTreeMap<u32, f64>> = BTreeMap::new();
        for (&(c, op), days) in &slices {
            if op == 0 {
                let total = countries.entry(country_name(c)).or_default();
                for (&day, &(n, k)) in days {
                    let e = all_days.entry(day).or_default();
                    e.0 += n;
                    e.1 += k;
                    total.0 += n;
                    total.1 += k;
                }
            }
            // A slice judged on its own history needs a few days of it, each with enough sends
            // for a rate (else a small country's one busy day, the attack's, would be its
            // baseline).
            if days.values().filter(|d| d.0 >= 20.0).count() >= 3 {
                let total = days.values().fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
                if let Some(rate) = super::low_conversion::of_days(days, &[total]) {
                    own.entry(country_name(c)).or_default().insert(op, rate);
                }
            }
        }
        let by_country: Vec<(f64, f64)> = countries.values().copied().collect();
        Judged { account: super::low_conversion::of_days(&all_days, &by_country), days: all_days.len() as u64, countries, slices: own }
    }

    /// The slice's own usual conversion, when it has one.
    pub fn slice(&self, country: Code, op: u32) -> Option<f64> {
        self.slices.get(&country_name(country)).and_then(|m| m.get(&op)).copied()
    }
}

/// The numbers of `rows` that the app verified a day or more before the rows' first send:
/// known users. (Not within the day before: an attack with faked verifications that began
/// shortly before the period would make its own numbers known.) A verifications export of
/// the scanned period has few or none, and the rows are then not looked at.
pub fn verified_before(rows: &[Row], verified: &crate::ingest::conversions::Verified) -> Vec<(u16, u64)> {
    let start = rows.iter().map(|r| r.ts).min().unwrap_or(i64::MIN).saturating_sub(DAY);
    let early = verified.first_before(start);
    if early.is_empty() {
        return Vec::new();
    }
    rows.iter()
        .filter(|r| r.nlen > 0 && crate::store::Store::dest_digits(r).is_some_and(|d| early.contains(&d)))
        .map(|r| (r.calling_code, r.national))
        .collect()
}

/// What the detectors learned from the baseline period; empty without `--baseline`.
#[derive(Debug, Default)]
pub struct Baseline {
    /// Rows of the period.
    pub rows: u64,
    /// (first, last) message time.
    pub period: Option<(i64, i64)>,
    pub occupancy: Occupancy,
    /// The account's usual conversion over sends with known conversion.
    pub conversion: Option<f64>,
    /// For `excess-unverified`: None when no send's conversion is known.
    pub judged: Option<Judged>,
    /// Per country: (median, σ) of its spend per hour and per day.
    pub spend: BTreeMap<String, [(f64, f64); 2]>,
    pub numbers: Known,
}

impl Baseline {
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Learn from the rows of a known-clean period.
    pub fn learn(rows: &[Row]) -> Baseline {
        if rows.is_empty() {
            return Baseline::default();
        }
        let (occupancy, numbers) = std::thread::scope(|s| {
            let numbers = s.spawn(|| Known::of(rows.iter().filter(|r| r.nlen > 0).map(|r| (r.calling_code, r.national))));
            let occupancy = Occupancy::of(rows, f64::INFINITY);
            (occupancy, numbers.join().unwrap_or_default())
        });
        let known: Vec<&Row> = rows.iter().filter(|r| r.converted().is_some()).collect();
        let spend = super::by_country(rows.iter())
            .into_iter()
            .map(|(name, rows)| {
                let learned = |w| super::spend_anomaly::learned(&rows, w).unwrap_or((0.0, 0.0));
                (name, [learned(HOUR), learned(DAY)])
            })
            .collect();
        Baseline {
            rows: rows.len() as u64,
            period: rows.iter().fold(None, |p, r| Some(p.map_or((r.ts, r.ts), |(a, b): (i64, i64)| (a.min(r.ts), b.max(r.ts))))),
            occupancy,
            conversion: daily_baseline(known.iter().copied()),
            judged: (!known.is_empty()).then(|| Judged::learn(known.iter().copied())),
            spend,
            numbers,
        }
    }

    /// Whether the period had traffic to the country.
    pub fn has_country(&self, c: Code) -> bool {
        self.spend.contains_key(&country_name(c))
    }

    /// The codes of the period's countries.
    pub fn countries(&self) -> impl Iterator<Item = Code> + '_ {
        self.spend.keys().map(|k| country_code(k))
    }

    /// The saved form.
    /// `countries`: the `--country` filter it was learned with; `no_ts`: messages left out for
    /// having no send time.
    pub fn to_file(&self, inputs: Vec<BaselineInput>, countries: Vec<String>, no_ts: u64) -> File {
        let mut plans: BTreeMap<String, PlanOut> = BTreeMap::new();
        for (&(cc, nlen), &distinct) in &self.occupancy.per_plan {
            let levels = self
                .occupancy
                .levels
                .iter()
                .map(|l| LevelOut { blocks: l.blocks.get(&(cc, nlen)).copied().unwrap_or(0), typical: l.typical.get(&(cc, nlen)).copied() })
                .collect();
            plans.insert(format!("{cc}/{nlen}"), PlanOut { distinct, levels });
        }
        File {
            pumphound_baseline: FORMAT,
            tool: format!("pumphound {}", env!("CARGO_PKG_VERSION")),
            inputs,
            countries,
            rows: self.rows,
            messages_without_timestamp: no_ts,
            period: self.period.map(|(a, b)| [crate::units::time(a), crate::units::time(b)]),
            period_ms: self.period.map(|(a, b)| [a, b]),
            plans,
            conversion: self.conversion,
            judged: self.judged.clone(),
            spend: self.spend.iter().map(|(k, v)| (k.clone(), SpendOut { hour: v[0], day: v[1] })).collect(),
            numbers: NumbersOut {
                count: self.numbers.len() as u64,
                hash: "xxh3-64, seed 0x7075_6d70_686f_756e, of (calling code << 50 | national number) as 8 bytes LE".into(),
                encoding: "sorted, delta-coded LEB128 varints, base64".into(),
                data: self.numbers.encode(),
            },
        }
    }

    /// From the saved form.
    pub fn from_file(f: File) -> Result<Baseline, String> {
        if f.pumphound_baseline != FORMAT {
            return Err(format!(
                "a baseline of format {} (this pumphound reads {FORMAT}): build it again with `pumphound baseline build`",
                f.pumphound_baseline
            ));
        }
        let mut occupancy =
            Occupancy { levels: (0..super::occupancy::MAX_LEVEL).map(|_| Level::default()).collect(), ..Occupancy::default() };
        for (key, p) in f.plans {
            let plan: Plan = key
                .split_once('/')
                .and_then(|(cc, n)| Some((cc.parse().ok()?, n.parse().ok()?)))
                .ok_or_else(|| format!("plans: `{key}` is not CALLING_CODE/LENGTH"))?;
            if p.levels.len() != occupancy.levels.len() {
                return Err(format!("plans: {key}: {} levels where {} are expected", p.levels.len(), occupancy.levels.len()));
            }
            occupancy.per_plan.insert(plan, p.distinct);
            for (into, l) in occupancy.levels.iter_mut().zip(p.levels) {
                if l.blocks > 0 {
                    into.blocks.insert(plan, l.blocks);
                }
                if let Some(t) = l.typical {
                    into.typical.insert(plan, t);
                }
            }
        }
        let numbers = Known::decode(&f.numbers.data, f.numbers.count as usize)?;
        Ok(Baseline {
            rows: f.rows,
            period: f.period_ms.map(|[a, b]| (a, b)),
            occupancy,
            conversion: f.conversion,
            judged: f.judged,
            spend: f.spend.into_iter().map(|(k, v)| (k, [v.hour, v.day])).collect(),
            numbers,
        })
    }
}

/// An input of the period, as the file records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineInput {
    pub path: String,
    pub format: Option<String>,
    pub sha256: Option<String>,
    pub rows_read: u64,
    pub rows_used: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PlanOut {
    pub distinct: u64,
    /// Levels 1 (blocks of 10) to 6 (blocks of 10^6).
    pub levels: Vec<LevelOut>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LevelOut {
    pub blocks: u64,
    pub typical: Option<f64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SpendOut {
    /// (median, σ) per hour.
    pub hour: (f64, f64),
    pub day: (f64, f64),
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NumbersOut {
    pub count: u64,
    pub hash: String,
    pub encoding: String,
    pub data: String,
}

/// A saved baseline (`pumphound baseline build`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// The file's layout ([`FORMAT`]); also how a saved baseline is told from an export.
    pub pumphound_baseline: u32,
    /// The pumphound that wrote it.
    pub tool: String,
    pub inputs: Vec<BaselineInput>,
    /// `--country` (empty: every country).
    pub countries: Vec<String>,
    /// Messages learned from.
    pub rows: u64,
    /// Messages left out for having no send time.
    pub messages_without_timestamp: u64,
    /// The period, UTC, for people.
    pub period: Option<[String; 2]>,
    pub period_ms: Option<[i64; 2]>,
    /// Per numbering plan (`CALLING_CODE/NATIONAL_LENGTH`): distinct numbers and, per level,
    /// occupied blocks and the 90th percentile of their occupancy.
    pub plans: BTreeMap<String, PlanOut>,
    pub conversion: Option<f64>,
    pub judged: Option<Judged>,
    /// Per country: (median, σ) of its spend per hour and per day.
    pub spend: BTreeMap<String, SpendOut>,
    pub numbers: NumbersOut,
}

/// Whether the file at the head of `bytes` is a saved baseline.
pub fn is_saved(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.strip_prefix('{').is_some_and(|rest| rest.trim_start().starts_with("\"pumphound_baseline\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    #[test]
    fn numbers_the_app_verified_a_day_before_the_period_are_known() {
        const HOUR: i64 = 3_600_000;
        // The period starts at 10 days; three numbers of it verified 25 h, 23 h and never before.
        let rows: Vec<Row> = (0..3).map(|i| row(i, 10 * DAY + i64::from(i) * HOUR, 44, 7_700_000_000 + u64::from(i), 10)).collect();
        // Each number's first verification counts (later ones, in any order, do not).
        let first = crate::ingest::conversions::Verified::of(vec![
            (447_700_000_001, 10 * DAY + HOUR),
            (447_700_000_000, 10 * DAY - 25 * HOUR),
            (447_700_000_001, 10 * DAY - 23 * HOUR),
            (447_700_000_000, 10 * DAY),
            // A number verified long before, not in the period: not one of its numbers.
            (447_700_000_009, 0),
        ]);
        let known: Vec<(u16, u64)> = verified_before(&rows, &first).into_iter().collect();
        assert_eq!(known, vec![(44, 7_700_000_000)]);
        assert!(verified_before(&rows, &Default::default()).is_empty());
    }

    #[test]
    fn numbers_round_trip_and_bad_data_is_refused() {
        let mut set: Set<u64> = Set::default();
        for i in 0..5000u64 {
            set.insert(Known::hash(44, 7_700_000_000 + i * 13));
        }
        set.insert(0);
        set.insert(u64::MAX);
        let k = Known(set);
        let text = k.encode();
        assert_eq!(Known::decode(&text, k.len()).unwrap(), k);
        assert!(Known::decode(&text, k.len() + 1).is_err(), "count checked");
        assert!(Known::decode("!!", 0).is_err());
        // the last varint cut: its continuation bit set
        let cut = base64::engine::general_purpose::STANDARD.encode([0x81u8]);
        assert!(Known::decode(&cut, 1).unwrap_err().contains("cut"));
        let long = base64::engine::general_purpose::STANDARD.encode([0xffu8; 11]);
        assert!(Known::decode(&long, 1).is_err());
        assert_eq!(Known::decode("", 0).unwrap(), Known::default());
    }

    #[test]
    fn saved_and_learned_agree() {
        let mut rows: Vec<Row> = (0..400).map(|i| row(i, i64::from(i) * 3_600_000, 44, 7_700_000_000 + u64::from(i) * 7919, 10)).collect();
        for (i, r) in rows.iter_mut().enumerate() {
            r.set_converted(Some(i % 5 != 0));
            r.cost = 0.05 * (1 + i % 3) as f64;
        }
        let b = Baseline::learn(&rows);
        let text = serde_json::to_string(&b.to_file(Vec::new(), Vec::new(), 0)).unwrap();
        let back = Baseline::from_file(serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back.rows, 400);
        assert_eq!(back.numbers, b.numbers);
        assert_eq!(back.spend, b.spend);
        assert_eq!(back.judged, b.judged);
        assert_eq!(back.conversion, b.conversion);
        assert_eq!(back.occupancy.per_plan, b.occupancy.per_plan);
        for (x, y) in back.occupancy.levels.iter().zip(&b.occupancy.levels) {
            assert_eq!((&x.blocks, &x.typical), (&y.blocks, &y.typical));
        }
        assert!(b.numbers.contains(44, 7_700_000_000) && !b.numbers.contains(44, 7_700_000_001));
        assert!(b.has_country(rows[0].country()));
        assert_eq!(b.judged.as_ref().unwrap().days, 17);
        assert!(is_saved(text.as_bytes()) && is_saved(b"\xef\xbb\xbf  {\n \"pumphound_baseline\": 1"));
        assert!(!is_saved(b"{\"messages\": []}"));
    }

    #[test]
    fn another_format_is_refused() {
        let mut f = Baseline::learn(&[row(0, 0, 44, 7_700_000_000, 10)]).to_file(Vec::new(), Vec::new(), 0);
        f.pumphound_baseline = 2;
        assert!(Baseline::from_file(f).unwrap_err().contains("build it again"));
    }
}
