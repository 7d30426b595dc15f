//! `pumphound simulate`: deterministic, labelled SMS traffic. Legit OTP traffic over a customer
//! base (diurnal in local time, returning users, resends, per-country conversion), legit
//! look-alikes (controls) and pumping attacks, written as any supported export with a truth file.
//! Same seed and options, same bytes.

pub mod baseline;
pub mod countries;
pub mod model;
pub mod scenarios;
pub mod world;
pub mod writers;

use model::SimMessage;
use scenarios::Spec;
use world::World;

pub const DEFAULT_COUNTRIES: &str = "US:35,GB:15,FR:10,DE:10,IN:10,BR:8,MX:7,ES:5";

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub start_ms: i64,
    pub days: u32,
    /// Legit OTP sends a day over the whole customer base.
    pub daily: f64,
    /// Customer base: (ISO country, share).
    pub countries: Vec<(String, f64)>,
    pub scenarios: Vec<Spec>,
}

pub fn parse_countries(s: &str) -> Result<Vec<(String, f64)>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (c, w) = p.split_once(':').unwrap_or((p, "1"));
            let w: f64 = w
                .trim()
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w > 0.0)
                .ok_or_else(|| format!("--countries: `{p}` is not CC:share"))?;
            Ok((c.trim().to_ascii_uppercase(), w))
        })
        .collect()
}

/// Generate all traffic, sorted by time (ties keep generation order).
pub fn generate(cfg: &SimConfig) -> Result<(World, Vec<SimMessage>), String> {
    if cfg.days == 0 {
        return Err("--days must be at least 1".into());
    }
    let mut w = World::new(cfg.seed, cfg.start_ms, cfg.days);
    let mut mix = Vec::new();
    for (iso, share) in &cfg.countries {
        mix.push((w.country(iso)?, *share));
    }
    if mix.is_empty() {
        return Err("--countries names no country".into());
    }
    let mut msgs = Vec::with_capacity((cfg.daily * f64::from(cfg.days) * 1.1) as usize);
    baseline::generate(&mut w, &mix, cfg.daily, &mut msgs);
    for (i, spec) in cfg.scenarios.iter().enumerate() {
        let instance = cfg.scenarios[..i].iter().filter(|s| s.name == spec.name).count();
        scenarios::generate(&mut w, spec, instance, &mix, cfg.daily, &mut msgs)?;
    }
    // Local-time curves spill over the period's edges: keep what falls inside it.
    let (start, end) = (w.start_ms, w.end_ms());
    msgs.retain(|m| m.ts >= start && m.ts < end);
    msgs.sort_by_key(|m| m.ts);
    Ok((w, msgs))
}
