//! `low-conversion`: wherever conversion is known (Verify attempts, EUM feedback,
//! `--conversions`), conversion per country and per range (number minus its last four digits)
//! per day against the account's baseline (the median of its daily conversion), judged on the
//! Wilson interval so a handful of sends proves nothing.
//! The Authgear rule is a named preset (`--set low-conversion.authgear=1`, off by default):
//! unverified OTPs to a country in a day above max(20, 0.2 × the 14-day max of daily verified,
//! 0.2 × verified that day). Off by default because, measured on legit traffic converting at
//! 80 %, unverified OTPs are 25 % of verified ones, so it fires on most country-days above ~100
//! sends.
//! Conversion is never the only signal (attackers fake verifications): alone it is `low`.

use super::{Detector, Finding, Param, Params, Row, Severity};
use crate::hash::Map;
use std::collections::BTreeMap;

pub const DETECTOR: Detector = Detector {
    id: "low-conversion",
    title: "Low conversion",
    flags: "countries and ranges whose OTP conversion in a day is far below the account's (Wilson upper bound); the Authgear unverified-per-country rule as a preset",
    params: &[
        Param { name: "min_sends", default: 30.0, about: "sends with known conversion a country-day needs" },
        Param { name: "ratio", default: 0.5, about: "the Wilson upper bound must be below this share of the baseline" },
        Param { name: "z", default: 1.96, about: "Wilson interval z (1.96 = 95 %)" },
        Param {
            name: "authgear",
            default: 0.0,
            about: "1 = also apply the Authgear unverified-per-country rule (noisy on legit traffic; see README)",
        },
    ],
};

const DAY: i64 = 86_400_000;

/// Wilson score interval for k successes in n trials.
pub fn wilson(k: f64, n: f64, z: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let p = k / n;
    let d = 1.0 + z * z / n;
    let c = p + z * z / (2.0 * n);
    let h = z * ((p * (1.0 - p) / n) + z * z / (4.0 * n * n)).sqrt();
    (((c - h) / d).max(0.0), ((c + h) / d).min(1.0))
}

/// The account's usual conversion, from rows with known conversion: the median daily rate over
/// days with at least 20 sends when there are three such days or more; with fewer (a one-day
/// export, whose one day may be the attack's), the lower quartile of the rates of the countries
/// with at least 20 sends when there are three or more (one pumped country cannot move it, and
/// legit countries convert 65-90 %: a country is not held to the best ones); else the median
/// daily rate, else the pooled rate. None without any known send.
pub fn daily_baseline<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Option<f64> {
    let (daily, countries) = day_and_country_counts(rows);
    let by_country: Vec<(f64, f64)> = countries.into_iter().map(|(_, c)| c).collect();
    of_days(&daily, &by_country)
}

/// [`daily_baseline`] of the rows whose conversion is known, counted on every core (a pass on
/// one core had been 0.09 s of the time before detection at 9.7M sends with `--conversions`).
/// The counts are whole numbers, so the parts' sums are one pass's.
pub fn daily_baseline_of(rows: &[Row]) -> Option<f64> {
    let parts =
        crate::parts::in_parts(rows, |_, part| day_and_country_counts(crate::memory::ahead(part).filter(|r| r.converted().is_some())));
    let (mut daily, mut countries) = (BTreeMap::new(), super::Countries::default());
    let mut by_country: Vec<(f64, f64)> = Vec::new();
    for (days, codes) in parts {
        for (d, (n, k)) in days {
            let e: &mut (f64, f64) = daily.entry(d).or_default();
            e.0 += n;
            e.1 += k;
        }
        for (code, (n, k)) in codes {
            let c = countries.id(code);
            if c == by_country.len() {
                by_country.push((0.0, 0.0));
            }
            by_country[c].0 += n;
            by_country[c].1 += k;
        }
    }
    of_days(&daily, &by_country)
}

/// Sends and conversions per day, and per country (in the order first met).
#[allow(clippy::type_complexity)]
fn day_and_country_counts<'a>(rows: impl IntoIterator<Item = &'a Row>) -> (BTreeMap<i64, (f64, f64)>, Vec<(super::Code, (f64, f64))>) {
    // Sends and conversions per day and per country: the day's sums kept until the day changes
    // (rows come mostly in time order), countries in a dense table (a map entry a row had been
    // most of the cost).
    let mut daily: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    let mut ids = super::Countries::default();
    let mut by_country: Vec<(f64, f64)> = Vec::new();
    let mut today: Option<(i64, f64, f64)> = None;
    for r in rows {
        let v = f64::from(u8::from(r.converted() == Some(true)));
        let day = r.ts.div_euclid(DAY);
        match &mut today {
            Some((d, n, k)) if *d == day => {
                *n += 1.0;
                *k += v;
            }
            slot => {
                if let Some((d, n, k)) = slot.replace((day, 1.0, v)) {
                    let e = daily.entry(d).or_default();
                    e.0 += n;
                    e.1 += k;
                }
            }
        }
        let c = ids.id(r.country());
        if c == by_country.len() {
            by_country.push((0.0, 0.0));
        }
        by_country[c].0 += 1.0;
        by_country[c].1 += v;
    }
    if let Some((d, n, k)) = today {
        let e = daily.entry(d).or_default();
        e.0 += n;
        e.1 += k;
    }
    (daily, ids.codes.iter().copied().zip(by_country).collect())
}

/// [`daily_baseline`] from the sends and conversions per day and per country.
pub fn of_days(daily: &BTreeMap<i64, (f64, f64)>, countries: &[(f64, f64)]) -> Option<f64> {
    if daily.is_empty() {
        return None;
    }
    let rates_of = |cells: &mut dyn Iterator<Item = &(f64, f64)>| -> Vec<f64> {
        let mut rates: Vec<f64> = cells.filter(|(n, _)| *n >= 20.0).map(|(n, k)| k / n).collect();
        rates.sort_by(f64::total_cmp);
        rates
    };
    let (by_day, by_country) = (rates_of(&mut daily.values()), rates_of(&mut countries.iter()));
    if by_day.len() < 3 && by_country.len() >= 3 {
        return Some(by_country[by_country.len() / 4]);
    }
    let rates = by_day;
    Some(if rates.is_empty() {
        let (n, k) = daily.values().fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        k / n.max(1.0)
    } else {
        rates[rates.len() / 2]
    })
}

pub fn detect(rows: &[Row], facts: &super::facts::Facts, base: &super::baseline::Baseline, p: &Params) -> Vec<Finding> {
    let id = DETECTOR.id;
    if !facts.conversion_known {
        return Vec::new();
    }
    // (kind, subject, day) → (sends, converted); kind "country" or "number_range" (the national
    // number minus its last four digits, as Fraud Guard and most published rules define a range).
    // Counted by compact keys on every core ((is range, country bytes or packed range, day)),
    // named after: a formatted name a row, and then a list of rows a cell, had been most of this
    // detector's cost. Only the flagged cells' rows are gathered, in a second pass.
    let counts =
        super::tally::tally(rows, |r| r.converted().is_some().then(|| keys(r)).into_iter().flatten(), |r| r.converted() == Some(true));
    if counts.is_empty() {
        return Vec::new();
    }
    let (min_sends, authgear) = (p.get(id, "min_sends"), p.get(id, "authgear") >= 1.0);
    let mut cells: BTreeMap<Name, (u64, u64, Vec<Key>)> = BTreeMap::new();
    for (key, c) in counts {
        let (is_range, _, day) = key;
        // A range's cell of fewer sends than a judgement needs is never flagged (the Authgear
        // rule is the countries'): most of a busy account's millions of range-days, which had
        // each been named, put in an ordered map and looked back on 14 days (0.58 s at 9.7M
        // sends). A range's name is its key's alone, so no other key's cell is changed. (With
        // the Authgear preset a flagged range's text names its limit, from its earlier days:
        // they stay.)
        if is_range && !authgear && f64::from(c.n) < min_sends {
            continue;
        }
        let r = &rows[c.first as usize];
        let name = if is_range {
            ("number_range", format!("+{}{:0w$}xxxx", r.calling_code, r.national / 10_000, w = usize::from(r.nlen) - 4), day)
        } else {
            ("country", r.country_str(), day)
        };
        let cell = cells.entry(name).or_default();
        cell.0 += u64::from(c.n);
        cell.1 += u64::from(c.marked);
        cell.2.push(key);
    }
    let Some(baseline) = base.conversion.or(facts.account_conversion) else { return Vec::new() };
    let (ratio, z) = (p.get(id, "ratio"), p.get(id, "z"));
    let mut out = Vec::new();
    // The flagged cells' compact keys, to the finding they are in.
    let mut flagged: Map<Key, usize> = Map::default();
    for ((kind, subject, day), (sends, conv, cell_keys)) in &cells {
        let is_country = *kind == "country";
        let n = *sends as f64;
        let k = *conv as f64;
        let (lo, hi) = wilson(k, n, z);
        let low = n >= min_sends && hi < baseline * ratio;
        // Authgear: unverified today vs the country's verified history (looked back on only
        // with the preset on, the one time the limit is used or shown).
        let prev_max = || (day - 14..*day).filter_map(|d| cells.get(&(*kind, subject.clone(), d))).map(|c| c.1 as f64).fold(0.0, f64::max);
        let unverified = n - k;
        let authgear_limit = if authgear { 20f64.max(0.2 * prev_max()).max(0.2 * k) } else { 0.0 };
        let authgear_hit = authgear && is_country && unverified > authgear_limit;
        if !(low || authgear_hit) {
            continue;
        }
        for key in cell_keys {
            flagged.insert(*key, out.len());
        }
        let mut metrics = BTreeMap::new();
        metrics.insert("sends", n);
        metrics.insert("converted", k);
        metrics.insert("conversion", k / n);
        metrics.insert("wilson_low", lo);
        metrics.insert("wilson_high", hi);
        metrics.insert("baseline_conversion", baseline);
        metrics.insert("unverified", unverified);
        let rule = match (low, authgear_hit) {
            (true, true) => "conversion and Authgear unverified rule",
            (true, false) => "conversion",
            _ => "Authgear unverified rule",
        };
        out.push(Finding {
            severity: Severity::Low,
            title: format!(
                "{subject}: {:.0}% of {n} OTPs verified on {} ({rule})",
                100.0 * k / n,
                &crate::timeparse::format_ms(day * DAY)[..10]
            ),
            start: day * DAY,
            end: (day + 1) * DAY,
            signal: format!("OTP conversion per {} and day ({rule})", if is_country { "country" } else { "range" }),
            threshold: if authgear {
                format!("Wilson upper bound < {ratio} × baseline with ≥ {min_sends} sends; or unverified > {authgear_limit:.0} (Authgear)")
            } else {
                format!("Wilson upper bound < {ratio} × baseline with ≥ {min_sends} sends")
            },
            baseline: format!("median daily conversion {:.1}%", baseline * 100.0),
            metrics,
            ..Finding::over(DETECTOR.id, kind, subject.clone(), &[])
        });
    }
    if flagged.is_empty() {
        return out;
    }
    // Each flagged cell's rows, in row order: the finding's members, its evidence the unverified.
    let mut members: Vec<Vec<&Row>> = vec![Vec::new(); out.len()];
    // Only a row of a flagged country, or of the calling code of a flagged range, can be in a
    // flagged cell: a table says which before its two keys are hashed and looked up (two
    // lookups a row had been 0.2 s at 9.7M sends).
    let (mut country_slot, mut range_code) = (vec![false; (1 << 16) + 1], vec![false; 1 << 16]);
    for &(is_range, v, _) in flagged.keys() {
        if is_range {
            range_code[(v >> 48) as usize & 0xffff] = true;
        } else {
            country_slot[if v == 0 { 1 << 16 } else { (v & 0xffff) as usize }] = true;
        }
    }
    let may_be_in = |r: &Row| country_slot[super::Countries::at(r.country())] || range_code[usize::from(r.calling_code)];
    for r in crate::memory::ahead(rows).filter(|r| r.converted().is_some() && may_be_in(r)) {
        for key in keys(r) {
            if let Some(&i) = flagged.get(&key) {
                members[i].push(r);
            }
        }
    }
    for (f, members) in out.iter_mut().zip(members) {
        // The window stays the cell's day; the rest is the members'.
        let over = Finding::over(DETECTOR.id, f.subject_kind, String::new(), &members);
        (f.country, f.peak, f.messages, f.destinations, f.cost) = (over.country, over.peak, over.messages, over.destinations, over.cost);
        f.rows = members.iter().filter(|r| r.converted() == Some(false)).map(|r| r.idx).collect();
    }
    out
}

/// A cell's compact key: (is a range, the country's bytes or the packed range, day).
type Key = (bool, u64, i64);

/// A cell's name: ("country" or "number_range", the country or range as shown, day).
type Name = (&'static str, String, i64);

/// The cells of a send: its country's day and, for a number of more than four digits, its
/// range's day.
fn keys(r: &Row) -> impl Iterator<Item = Key> + use<> {
    let day = r.ts.div_euclid(DAY);
    let country = r.country().map_or(0, |c| 1 << 16 | u64::from(c[0]) << 8 | u64::from(c[1]));
    let range = (r.nlen > 4).then(|| (true, (u64::from(r.calling_code) << 48) | (u64::from(r.nlen) << 40) | (r.national / 10_000), day));
    std::iter::once((false, country, day)).chain(range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::row;

    fn day_of(day: i64, n: u64, conv: u64, cc_country: &[u8; 2]) -> Vec<Row> {
        (0..n)
            .map(|i| {
                let mut r = row(i as u32, day * DAY + i as i64 * 1000, 371, 20_000_000 + day as u64 * 1000 + i, 8);
                r.set_country(Some(*cc_country));
                r.set_converted(Some(i < conv));
                r
            })
            .collect()
    }

    #[test]
    fn the_usual_conversion_of_one_day_comes_from_its_countries() {
        // One day: four countries converting 90, 80, 70 and 5 % (the last pumped).
        let mut rows = Vec::new();
        for (c, (region, rate)) in [(*b"GB", 0.9), (*b"FR", 0.8), (*b"DE", 0.7), (*b"PK", 0.05)].into_iter().enumerate() {
            for i in 0..100u32 {
                let mut r = crate::detect::tests::row(
                    rows.len() as u32,
                    i64::from(i) * 60_000,
                    44,
                    7_000_000_000 + u64::from(i) + c as u64 * 1000,
                    10,
                );
                r.region = region;
                r.set_converted(Some((f64::from(i) + 0.5) / 100.0 < rate));
                rows.push(r);
            }
        }
        let refs: Vec<&Row> = rows.iter().collect();
        // The lower quartile of the countries' rates: 70 %, not the pooled 61 % the pumped
        // country drags the day to.
        assert_eq!(daily_baseline(refs.iter().copied()), Some(0.7));
        // Three days or more: the median day (here three days at 61 %).
        let more: Vec<Row> = (0..3).flat_map(|d| rows.iter().map(move |r| Row { ts: r.ts + d * DAY, ..*r })).collect();
        let refs: Vec<&Row> = more.iter().collect();
        assert!((daily_baseline(refs.iter().copied()).unwrap() - 0.6125).abs() < 1e-9);
    }

    #[test]
    fn authgear_preset_fires_on_unverified_volume() {
        let mut p = Params::default();
        let rows = day_of(0, 100, 70, b"GB");
        assert!(
            detect(&rows, &crate::detect::facts::Facts::of(&rows), &Default::default(), &p).is_empty(),
            "70% conversion is not low against itself"
        );
        p.set("low-conversion.authgear", 1.0).expect("param");
        let f: Vec<Finding> = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Default::default(), &p)
            .into_iter()
            .filter(|f| f.subject_kind == "country")
            .collect();
        assert_eq!(f.len(), 1, "30 unverified > max(20, 0.2 x 70)");
        assert!(f[0].signal.contains("Authgear"));
    }

    #[test]
    fn the_usual_conversion_counted_on_every_core_is_one_pass_s() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        // Enough rows for a part a core; 1 or 9 days (the countries' quartile, or the days'
        // median); countries converting differently; some rows of unknown conversion.
        for days in [1, 9] {
            let rows: Vec<Row> = (0..150_000u32)
                .map(|i| {
                    let c = rng.random_range(0..6u8);
                    let mut r = row(i, i64::from(i) * (days * DAY / 150_000), 371, 20_000_000 + u64::from(i), 8);
                    r.set_country(Some([b'A', b'A' + c]));
                    if i % 7 != 0 {
                        r.set_converted(Some(rng.random_range(0..100u8) < 40 + 10 * c));
                    }
                    r
                })
                .collect();
            let one = daily_baseline(rows.iter().filter(|r| r.converted().is_some()));
            assert!(one.is_some());
            assert_eq!(daily_baseline_of(&rows), one, "{days} days");
        }
        assert_eq!(daily_baseline_of(&[]), None);
    }

    #[test]
    fn wilson_interval() {
        let (lo, hi) = wilson(0.0, 30.0, 1.96);
        assert!(lo == 0.0 && (hi - 0.1135).abs() < 0.001, "{hi}");
    }

    #[test]
    fn low_conversion_day_found_at_the_edge() {
        let p = Params::default();
        let mut rows = Vec::new();
        for d in 0..6 {
            rows.extend(day_of(d, 100, 80, b"GB"));
        }
        rows.extend(day_of(6, 30, 1, b"LV"));
        let f = detect(&rows, &crate::detect::facts::Facts::of(&rows), &Default::default(), &p);
        assert_eq!(f.len(), 2, "the country-day and its range: {f:?}");
        assert_eq!(f[0].subject, "LV");
        assert_eq!(f[1].subject, "+3712000xxxx");
        assert_eq!(f[1].subject_kind, "number_range");
        // 29 sends are below min_sends
        let mut rows: Vec<Row> = rows.into_iter().filter(|r| !(r.country() == Some(*b"LV") && r.idx == 29)).collect();
        rows.retain(|r| r.ts < 6 * DAY || r.idx < 29);
        assert!(detect(&rows, &crate::detect::facts::Facts::of(&rows), &Default::default(), &p).is_empty());
    }
}
