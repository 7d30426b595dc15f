//! Scenarios layered on the baseline: pumping attacks, and legit traffic that naive detectors
//! mistake for pumping (DETECTION.md). `--scenario NAME[:key=value,...]`; every parameter has a
//! default drawn from the published ranges with the scenario's own random stream.

use super::countries::HIGH_COST;
use super::model::{Kind, SimMessage};
use super::world::{DAY_MS, Session, World, rng_for};
use crate::schema::Status;
use crate::timeparse;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

pub struct ScenarioDef {
    pub name: &'static str,
    pub kind: &'static str,
    pub about: &'static str,
    pub params: &'static str,
}

pub const SCENARIOS: &[ScenarioDef] = &[
    ScenarioDef {
        name: "burst",
        kind: "attack",
        about: "2.5-6.5k SMS in 2-4 h into 1-3 ranges of 1-3 high-cost countries, mostly sequential numbers, conversion ~2%",
        params: "countries=LV+LT ranges=N messages=N start=ISO hours=H sequential=0..1 conversion=0..1",
    },
    ScenarioDef {
        name: "low-and-slow",
        kind: "attack",
        about: "a few hundred a day for the whole period across many ranges of 2-3 high-cost countries; round the clock, or in the attacker's 8-10 working hours (work_hours=1)",
        params: "countries= ranges=N per_day=N days=N conversion= work_hours=0..1",
    },
    ScenarioDef {
        name: "rotation",
        kind: "attack",
        about: "switches country every hour to stay under per-country thresholds",
        params: "countries= hours=H per_hour=N start=ISO conversion=",
    },
    ScenarioDef {
        name: "hidden",
        kind: "attack",
        about: "pumping into one narrow range of a country with real customers",
        params: "country=CC messages=N start=ISO hours=H conversion=",
    },
    ScenarioDef {
        name: "faked-conversion",
        kind: "attack",
        about: "a burst whose conversion looks normal (the attacker completes verifications)",
        params: "countries= ranges=N messages=N start=ISO hours=H sequential=0..1 conversion=",
    },
    ScenarioDef {
        name: "operator-spread",
        kind: "attack",
        about: "random valid numbers under one operator prefix of a (served) country, no dense block, mostly unverified",
        params: "country=CC messages=N start=ISO hours=H prefix_digits=N conversion=",
    },
    ScenarioDef {
        name: "unverified-spread",
        kind: "attack",
        about: "Authgear's scenarios: unverified OTPs to fresh numbers over a served country's whole plan, on a quiet or a spike day",
        params: "country=CC unverified=N ratio=X day=N peak=0..1 legit=X",
    },
    ScenarioDef {
        name: "marketing-blast",
        kind: "control",
        about: "a promotional message from another sender to existing customers, many ranges, no conversion data",
        params: "messages=N start=ISO hours=H",
    },
    ScenarioDef {
        name: "launch-spike",
        kind: "control",
        about: "a launch or press day: 2-3x volume with normal conversion",
        params: "day=N factor=X",
    },
    ScenarioDef {
        name: "new-market",
        kind: "control",
        about: "a country never served before, growing day by day, normal conversion",
        params: "country=CC day=N start_per_day=N end_per_day=N",
    },
    ScenarioDef {
        name: "carrier-outage",
        kind: "control",
        about: "a carrier fails for hours: failures (30008, 30003) and resends to ordinary numbers",
        params: "country=CC start=ISO hours=H failure=0..1",
    },
    ScenarioDef {
        name: "business-block",
        kind: "control",
        about: "a business customer's staff in one block (company plan, call centre): the same numbers on working days, converting well",
        params: "country=CC block=N staff=N per_day=X conversion=0..1",
    },
    ScenarioDef {
        name: "tv-surge",
        kind: "control",
        about: "a TV spot or press mention: thousands of new users of a served country in a few hours, whole plan, normal conversion",
        params: "country=CC messages=N start=ISO hours=H",
    },
    ScenarioDef {
        name: "small-country",
        kind: "control",
        about: "a handful of messages to a small country",
        params: "country=CC messages=N day=N",
    },
];

#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub params: BTreeMap<String, String>,
}

impl Spec {
    pub fn parse(s: &str) -> Result<Spec, String> {
        let (name, rest) = s.split_once(':').unwrap_or((s, ""));
        let name = name.trim().to_string();
        let def = SCENARIOS.iter().find(|d| d.name == name).ok_or_else(|| {
            format!("unknown scenario `{name}` (scenarios: {})", SCENARIOS.iter().map(|d| d.name).collect::<Vec<_>>().join(", "))
        })?;
        let mut params = BTreeMap::new();
        for kv in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = kv.split_once('=').ok_or_else(|| format!("scenario {name}: `{kv}` is not key=value"))?;
            let k = k.trim().to_string();
            if !def.params.split_whitespace().any(|p| p.split('=').next() == Some(k.as_str())) {
                return Err(format!("scenario {name}: unknown parameter `{k}` (parameters: {})", def.params));
            }
            params.insert(k, v.trim().to_string());
        }
        Ok(Spec { name, params })
    }

    fn num(&self, k: &str, default: f64) -> Result<f64, String> {
        match self.params.get(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| format!("scenario {}: {k}=`{v}` is not a number", self.name)),
        }
    }

    fn time(&self, k: &str, default: i64) -> Result<i64, String> {
        match self.params.get(k) {
            None => Ok(default),
            Some(v) => timeparse::parse_text(v).map_err(|e| format!("scenario {}: {k}=`{v}` {e}", self.name)),
        }
    }

    fn list(&self, k: &str) -> Option<Vec<String>> {
        self.params.get(k).map(|v| v.split('+').map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()).collect())
    }
}

/// Countries for an attack: given, or `n` drawn from the high-cost list (not served ones).
fn attack_countries(w: &mut World, spec: &Spec, rng: &mut ChaCha8Rng, n: usize, served: &[u16]) -> Result<Vec<u16>, String> {
    let isos = match spec.list("countries").or_else(|| spec.list("country")) {
        Some(l) => l,
        None => {
            let served_iso: Vec<&str> = served.iter().map(|&c| w.countries[c as usize].iso).collect();
            let mut pool: Vec<&str> = HIGH_COST.iter().copied().filter(|c| !served_iso.contains(c)).collect();
            let mut picked = Vec::new();
            while picked.len() < n && !pool.is_empty() {
                picked.push(pool.swap_remove(rng.random_range(0..pool.len())).to_string());
            }
            picked
        }
    };
    isos.iter().map(|c| w.country(c)).collect()
}

fn sorted_times(rng: &mut ChaCha8Rng, start: i64, end: i64, n: usize) -> Vec<i64> {
    let mut t: Vec<i64> = (0..n).map(|_| rng.random_range(start..end.max(start + 1))).collect();
    t.sort_unstable();
    t
}

/// Pumped sends: each goes to one of `targets` (country, range); a share `sequential` walks
/// the range number by number, the rest land anywhere in it. Pumped numbers are the attacker's,
/// so most "deliver"; late in an attack the provider's pumping protection starts blocking.
/// How pumped traffic looks: share of sequential numbers, conversion, and its label.
#[derive(Clone, Copy)]
struct Shape {
    sequential: f64,
    conversion: f64,
    label: u16,
}

fn pump(rng: &mut ChaCha8Rng, w: &World, targets: &[(u16, usize)], times: &[i64], shape: Shape, out: &mut Vec<SimMessage>) {
    if targets.is_empty() {
        return;
    }
    let mut cursors: Vec<u64> = targets.iter().map(|_| rng.random_range(0..9_000)).collect();
    let n = times.len().max(1);
    for (i, &ts) in times.iter().enumerate() {
        let t = rng.random_range(0..targets.len());
        let (country, range) = targets[t];
        let suffix = if rng.random_bool(shape.sequential.clamp(0.0, 1.0)) {
            cursors[t] = (cursors[t] + rng.random_range(1..3)) % 10_000;
            cursors[t]
        } else {
            rng.random_range(0..10_000)
        };
        let to = w.countries[country as usize].number(range, suffix);
        let late = i * 3 > n * 2;
        let r: f64 = rng.random_range(0.0..1.0);
        let (status, error) = if late && r < 0.08 {
            (Status::Blocked, 30450)
        } else if r < 0.72 {
            (Status::Delivered, 0)
        } else if r < 0.94 {
            (Status::Undelivered, if rng.random_bool(0.5) { 30003 } else { 30005 })
        } else {
            (Status::Failed, 30008)
        };
        let converted = status == Status::Delivered && rng.random_bool(shape.conversion.clamp(0.0, 1.0));
        out.push(SimMessage { ts, to, country, kind: Kind::Otp, status, error, segments: 1, converted, label: shape.label });
    }
}

fn ranges_for(rng: &mut ChaCha8Rng, w: &World, countries: &[u16], total: usize) -> Vec<(u16, usize)> {
    (0..total.max(countries.len()))
        .map(|i| {
            let c = countries[i % countries.len()];
            (c, rng.random_range(0..w.countries[c as usize].ranges.len()))
        })
        .collect()
}

/// Generate one scenario. `mix` is the served customer base (country, share); `daily` its
/// daily OTP volume. `instance` tells repeated scenarios apart.
pub fn generate(
    w: &mut World,
    spec: &Spec,
    instance: usize,
    mix: &[(u16, f64)],
    daily: f64,
    out: &mut Vec<SimMessage>,
) -> Result<(), String> {
    let def = SCENARIOS.iter().find(|d| d.name == spec.name).ok_or("unknown scenario")?;
    let scenario = if instance == 0 { spec.name.clone() } else { format!("{}#{}", spec.name, instance + 1) };
    let label = w.label(&format!("{}:{}", def.kind, spec.name), &scenario);
    let mut rng = rng_for(w.seed, &format!("scenario:{scenario}"));
    let served: Vec<u16> = mix.iter().map(|m| m.0).collect();
    let days = i64::from(w.days);
    // Default start: somewhere in the second half, so detectors have history before it.
    let default_start = w.start_ms + rng.random_range(days * DAY_MS / 2..(days * DAY_MS - 6 * 3_600_000).max(days * DAY_MS / 2 + 1));
    let default_day = (days / 2 + rng.random_range(0..(days / 2).max(1))).min(days - 1);
    match spec.name.as_str() {
        "burst" | "faked-conversion" => {
            let faked = spec.name == "faked-conversion";
            let n_countries = if faked { 1 } else { rng.random_range(1..4) };
            let countries = attack_countries(w, spec, &mut rng, n_countries, &served)?;
            let n_ranges = spec.num("ranges", rng.random_range(countries.len()..4) as f64)? as usize;
            let messages = spec.num("messages", rng.random_range(2500..6500) as f64)? as usize;
            let hours = spec.num("hours", rng.random_range(2.0..4.0))?;
            let start = spec.time("start", default_start)?;
            let conversion = spec.num("conversion", if faked { 0.75 } else { 0.02 })?;
            let sequential = spec.num("sequential", 0.7)?;
            let targets = ranges_for(&mut rng, w, &countries, n_ranges);
            let times = sorted_times(&mut rng, start, start + (hours * 3_600_000.0) as i64, messages);
            pump(&mut rng, w, &targets, &times, Shape { sequential, conversion, label }, out);
        }
        "low-and-slow" => {
            let n_countries = rng.random_range(2..4);
            let countries = attack_countries(w, spec, &mut rng, n_countries, &served)?;
            let n_ranges = spec.num("ranges", rng.random_range(15..40) as f64)? as usize;
            let per_day = spec.num("per_day", rng.random_range(150..400) as f64)?;
            let run_days = spec.num("days", days as f64)?.min(days as f64) as i64;
            let conversion = spec.num("conversion", 0.03)?;
            // The attacker's working day (UTC): when it starts and how long it is.
            let work =
                (spec.num("work_hours", 0.0)? >= 0.5).then(|| (rng.random_range(0..24) * 3_600_000, rng.random_range(8..11) * 3_600_000));
            let targets = ranges_for(&mut rng, w, &countries, n_ranges);
            for day in days - run_days..days {
                let start = w.start_ms + day * DAY_MS;
                let n = (per_day * rng.random_range(0.8..1.2)).round() as usize;
                let times = match work {
                    None => sorted_times(&mut rng, start, start + DAY_MS, n),
                    Some((from, len)) => {
                        let mut t: Vec<i64> = (0..n).map(|_| start + (from + rng.random_range(0..len)) % DAY_MS).collect();
                        t.sort_unstable();
                        t
                    }
                };
                pump(&mut rng, w, &targets, &times, Shape { sequential: 0.3, conversion, label }, out);
            }
        }
        "rotation" => {
            let hours = spec.num("hours", rng.random_range(6..11) as f64)? as usize;
            let countries = attack_countries(w, spec, &mut rng, hours.min(HIGH_COST.len()), &served)?;
            let per_hour = spec.num("per_hour", rng.random_range(150..350) as f64)?;
            let start = spec.time("start", default_start)?;
            let conversion = spec.num("conversion", 0.02)?;
            for h in 0..hours.max(1) {
                let c = countries[h % countries.len()];
                let targets = ranges_for(&mut rng, w, &[c], 1);
                let s = start + h as i64 * 3_600_000;
                let n = (per_hour * rng.random_range(0.8..1.2)).round() as usize;
                let times = sorted_times(&mut rng, s, s + 3_600_000, n);
                pump(&mut rng, w, &targets, &times, Shape { sequential: 0.6, conversion, label }, out);
            }
        }
        "hidden" => {
            let country = match spec.list("country") {
                Some(l) if !l.is_empty() => w.country(&l[0])?,
                _ => *served.get(1).or(served.first()).ok_or("hidden needs a served country")?,
            };
            let messages = spec.num("messages", rng.random_range(600..1500) as f64)? as usize;
            let hours = spec.num("hours", rng.random_range(4.0..8.0))?;
            let start = spec.time("start", default_start)?;
            let conversion = spec.num("conversion", 0.02)?;
            let targets = ranges_for(&mut rng, w, &[country], 1);
            let times = sorted_times(&mut rng, start, start + (hours * 3_600_000.0) as i64, messages);
            pump(&mut rng, w, &targets, &times, Shape { sequential: 0.8, conversion, label }, out);
        }
        "marketing-blast" => {
            let messages = spec.num("messages", (daily * rng.random_range(2.0..3.0)).round())? as usize;
            let hours = spec.num("hours", 2.0)?;
            let start = spec.time("start", default_start)?;
            let times = sorted_times(&mut rng, start, start + (hours * 3_600_000.0) as i64, messages);
            let known: Vec<(u16, u64)> =
                served.iter().flat_map(|&c| w.users[c as usize].iter().filter(|u| u.1 < start).map(move |u| (c, u.0))).collect();
            if known.is_empty() {
                return Err("marketing-blast needs customers seen before it: start it later".into());
            }
            for ts in times {
                let (country, to) = known[rng.random_range(0..known.len())];
                let ok = rng.random_bool(0.97);
                let (status, error) = if ok { (Status::Delivered, 0) } else { (Status::Undelivered, 30003) };
                out.push(SimMessage { ts, to, country, kind: Kind::Marketing, status, error, segments: 2, converted: false, label });
            }
        }
        "launch-spike" => {
            let day = spec.num("day", default_day as f64)? as i64;
            let factor = spec.num("factor", rng.random_range(2.0..3.0))?;
            let total: f64 = mix.iter().map(|m| m.1).sum::<f64>().max(f64::MIN_POSITIVE);
            for &(country, share) in mix {
                let n = (daily * share / total * (factor - 1.0)).round() as usize;
                let s = Session { conversion: w.conversion(country), failure: 0.05 };
                for _ in 0..n {
                    let ts = w.diurnal_ts(&mut rng, country, day.min(days - 1));
                    w.otp_session(&mut rng, country, ts, label, s, out);
                }
            }
        }
        "new-market" => {
            let iso = spec.list("country").and_then(|l| l.into_iter().next()).unwrap_or_else(|| {
                let served_iso: Vec<&str> = served.iter().map(|&c| w.countries[c as usize].iso).collect();
                ["NL", "PL", "JP", "AU", "ZA", "CO", "IT"].iter().find(|c| !served_iso.contains(c)).unwrap_or(&"NL").to_string()
            });
            let country = w.country(&iso)?;
            let first = spec.num("day", default_day.min(days - 3).max(0) as f64)? as i64;
            let a = spec.num("start_per_day", 20.0)?;
            let b = spec.num("end_per_day", (daily * 0.1).max(60.0))?;
            let span = (days - first).max(1);
            let s = Session { conversion: w.conversion(country), failure: 0.05 };
            for day in first..days {
                let n = (a + (b - a) * (day - first) as f64 / span as f64).round() as usize;
                for _ in 0..n {
                    let ts = w.diurnal_ts(&mut rng, country, day);
                    w.otp_session(&mut rng, country, ts, label, s, out);
                }
            }
        }
        "carrier-outage" => {
            let country = match spec.list("country") {
                Some(l) if !l.is_empty() => w.country(&l[0])?,
                _ => *served.first().ok_or("carrier-outage needs a served country")?,
            };
            let start = spec.time("start", default_start)?;
            let hours = spec.num("hours", 3.0)?;
            let failure = spec.num("failure", 0.6)?;
            let share = mix.iter().find(|m| m.0 == country).map(|m| m.1).unwrap_or(0.1)
                / mix.iter().map(|m| m.1).sum::<f64>().max(f64::MIN_POSITIVE);
            // The outage hits the country's ordinary traffic: sessions in the window fail often
            // and are retried (these sessions come on top of the baseline's).
            let n = (daily * share * hours / 24.0 * 1.5).round() as usize;
            let s = Session { conversion: w.conversion(country), failure };
            for ts in sorted_times(&mut rng, start, start + (hours * 3_600_000.0) as i64, n) {
                w.otp_session(&mut rng, country, ts, label, s, out);
            }
        }
        "operator-spread" => {
            let country = match spec.list("country") {
                Some(l) if !l.is_empty() => w.country(&l[0])?,
                _ => *served.first().ok_or("operator-spread needs a country")?,
            };
            let messages = spec.num("messages", rng.random_range(300..6000) as f64)? as usize;
            let hours = spec.num("hours", rng.random_range(1.0..48.0))?;
            let start = spec.time("start", default_start)?;
            let conversion = spec.num("conversion", 0.03)?;
            let k = spec.num("prefix_digits", 3.0)?.clamp(1.0, 4.0) as u32;
            let c = &w.countries[country as usize];
            let r = c.ranges[rng.random_range(0..c.ranges.len())];
            let total_digits = r.checked_ilog10().unwrap_or(0) + 1;
            let code_digits = u32::from(c.code).checked_ilog10().unwrap_or(0) + 1;
            let free = total_digits.saturating_sub(code_digits + k).max(1);
            let operator = r / 10u64.pow(free);
            let times = sorted_times(&mut rng, start, start + (hours * 3_600_000.0) as i64, messages);
            for ts in times {
                // Random valid numbers anywhere under the operator's prefix: no dense block.
                let mut to = r + rng.random_range(0..10_000);
                for _ in 0..50 {
                    let n = operator * 10u64.pow(free) + rng.random_range(0..10u64.pow(free));
                    if w.valid_mobile(country, n) {
                        to = n;
                        break;
                    }
                }
                let r: f64 = rng.random_range(0.0..1.0);
                let (status, error) = if r < 0.8 { (Status::Delivered, 0) } else { (Status::Undelivered, 30003) };
                let converted = status == Status::Delivered && rng.random_bool(conversion.clamp(0.0, 1.0));
                out.push(SimMessage { ts, to, country, kind: Kind::Otp, status, error, segments: 1, converted, label });
            }
        }
        "unverified-spread" => {
            let country = match spec.list("country") {
                Some(l) if !l.is_empty() => w.country(&l[0])?,
                _ => *served.first().ok_or("unverified-spread needs a country")?,
            };
            let day = (spec.num("day", default_day as f64)? as i64).min(days - 1);
            let peak = spec.num("peak", 0.2)?.clamp(0.0, 1.0);
            // The day's legit traffic to the country: 0.5 a quiet day, 2 a spike day.
            let legit = spec.num("legit", 0.5)?;
            let share = mix.iter().find(|m| m.0 == country).map(|m| m.1).unwrap_or(0.0)
                / mix.iter().map(|m| m.1).sum::<f64>().max(f64::MIN_POSITIVE);
            // `unverified` sends, and at least `ratio` times the unverified sends the day's legit
            // traffic makes (about daily x share x legit x (1 - conversion)); Authgear's three
            // are 4x to 35x.
            let ratio = spec.num("ratio", 0.0)?.max(0.0);
            let unverified = (spec.num("unverified", if ratio > 0.0 { 1.0 } else { 300.0 })?)
                .max(ratio * daily * share * legit * (1.0 - w.conversion(country)))
                .round() as usize;
            let (from, to) = (w.start_ms + day * DAY_MS, w.start_ms + (day + 1) * DAY_MS);
            let in_day = |m: &SimMessage| m.country == country && m.ts >= from && m.ts < to && !w.labels[m.label as usize].is_attack();
            if legit < 1.0 {
                let mut keep = rng_for(w.seed, &format!("quiet:{scenario}"));
                out.retain(|m| !in_day(m) || keep.random_bool(legit.max(0.0)));
            } else if legit > 1.0 {
                let legit_label = w.label("legit", "baseline");
                let s = Session { conversion: w.conversion(country), failure: 0.05 };
                for _ in 0..(daily * share * (legit - 1.0)).round() as usize {
                    let ts = w.diurnal_ts(&mut rng, country, day);
                    w.otp_session(&mut rng, country, ts, legit_label, s, out);
                }
            }
            // A share `peak` in one hour, the rest over the day; every number fresh.
            let peak_start = from + rng.random_range(6..20) * 3_600_000;
            let n_peak = (unverified as f64 * peak).round() as usize;
            let mut times = sorted_times(&mut rng, peak_start, peak_start + 3_600_000, n_peak);
            times.extend(sorted_times(&mut rng, from, to, unverified - n_peak.min(unverified)));
            for ts in times {
                let c = &w.countries[country as usize];
                let to = c.number(rng.random_range(0..c.ranges.len()), rng.random_range(0..10_000));
                out.push(SimMessage {
                    ts,
                    to,
                    country,
                    kind: Kind::Otp,
                    status: Status::Delivered,
                    error: 0,
                    segments: 1,
                    converted: false,
                    label,
                });
            }
        }
        "business-block" => {
            let country = match spec.list("country") {
                Some(l) if !l.is_empty() => w.country(&l[0])?,
                _ => *served.first().ok_or("business-block needs a served country")?,
            };
            let block = spec.num("block", [100.0, 1000.0, 10000.0][rng.random_range(0..3)])?.clamp(10.0, 10_000.0) as u64;
            let staff = (spec.num("staff", rng.random_range(50..500) as f64)? as u64).clamp(1, block * 4 / 5);
            let per_day = spec.num("per_day", rng.random_range(0.5..2.0))?;
            let conversion = spec.num("conversion", rng.random_range(0.93..0.97))?;
            let c = &w.countries[country as usize];
            let base = c.ranges[rng.random_range(0..c.ranges.len())] + rng.random_range(0..10_000 / block) * block;
            let mut numbers: Vec<u64> = Vec::new();
            while (numbers.len() as u64) < staff {
                let n = base + rng.random_range(0..block);
                if !numbers.contains(&n) {
                    numbers.push(n);
                }
            }
            let offset = i64::from(c.offset_min) * 60_000;
            for day in 0..days {
                // Working days, by the country's local calendar (2024-03-01 was a Friday).
                let weekday = (w.start_ms + day * DAY_MS + offset).div_euclid(DAY_MS).rem_euclid(7);
                if weekday == 2 || weekday == 3 {
                    continue;
                }
                for &to in &numbers {
                    let n = (per_day + rng.random_range(-0.5..0.5)).round().max(0.0) as usize;
                    for _ in 0..n {
                        let local = rng.random_range(8 * 3_600_000..18 * 3_600_000);
                        let ts = w.start_ms + day * DAY_MS + local - offset;
                        let delivered = rng.random_bool(0.98);
                        let (status, error) = if delivered { (Status::Delivered, 0) } else { (Status::Undelivered, 30003) };
                        let converted = delivered && rng.random_bool(conversion.clamp(0.0, 1.0));
                        out.push(SimMessage { ts, to, country, kind: Kind::Otp, status, error, segments: 1, converted, label });
                    }
                }
            }
        }
        "tv-surge" => {
            let country = match spec.list("country") {
                Some(l) if !l.is_empty() => w.country(&l[0])?,
                _ => *served.first().ok_or("tv-surge needs a served country")?,
            };
            let messages = spec.num("messages", rng.random_range(1500..5000) as f64)? as usize;
            let hours = spec.num("hours", rng.random_range(2.0..5.0))?;
            let start = spec.time("start", default_start)?;
            let s = Session { conversion: w.conversion(country), failure: 0.05 };
            for ts in sorted_times(&mut rng, start, start + (hours * 3_600_000.0) as i64, messages) {
                // New users only: nobody returns in a surge of first-time sign-ups.
                let c = &w.countries[country as usize];
                let to = c.number(rng.random_range(0..c.ranges.len()), rng.random_range(0..10_000));
                w.users[country as usize].push((to, ts));
                let delivered = !rng.random_bool(s.failure);
                let (status, error) = if delivered { (Status::Delivered, 0) } else { (Status::Undelivered, 30003) };
                let converted = delivered && rng.random_bool(s.conversion);
                out.push(SimMessage { ts, to, country, kind: Kind::Otp, status, error, segments: 1, converted, label });
            }
        }
        "small-country" => {
            let iso = spec.list("country").and_then(|l| l.into_iter().next()).unwrap_or_else(|| "IS".into());
            let country = w.country(&iso)?;
            let n = spec.num("messages", rng.random_range(3..12) as f64)? as usize;
            let day = spec.num("day", default_day as f64)? as i64;
            let s = Session { conversion: w.conversion(country), failure: 0.05 };
            for _ in 0..n {
                let ts = w.diurnal_ts(&mut rng, country, day.min(days - 1));
                w.otp_session(&mut rng, country, ts, label, s, out);
            }
        }
        other => return Err(format!("scenario `{other}` has no generator")),
    }
    Ok(())
}
