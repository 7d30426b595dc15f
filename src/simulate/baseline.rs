//! Legit OTP traffic over the customer base: per-country share of a daily volume, weekends a
//! little quieter, every send a session (returning users, resends, conversion).

use super::model::SimMessage;
use super::world::{DAY_MS, Session, World, rng_for};
use rand::RngExt;

pub fn generate(world: &mut World, mix: &[(u16, f64)], daily: f64, out: &mut Vec<SimMessage>) {
    let label = world.label("legit", "baseline");
    let mut rng = rng_for(world.seed, "baseline");
    let total: f64 = mix.iter().map(|(_, s)| s).sum::<f64>().max(f64::MIN_POSITIVE);
    for day in 0..i64::from(world.days) {
        // 1970-01-01 was a Thursday: day index 2 and 3 of the week (Sat, Sun) are quieter.
        let weekday = ((world.start_ms + day * DAY_MS) / DAY_MS + 3).rem_euclid(7);
        let factor = if weekday >= 5 { 0.8 } else { 1.0 };
        for &(country, share) in mix {
            let mean = daily * share / total * factor;
            let n = (mean * rng.random_range(0.9..1.1)).round() as usize;
            let s = Session { conversion: world.conversion(country), failure: 0.05 };
            for _ in 0..n {
                let ts = world.diurnal_ts(&mut rng, country, day);
                world.otp_session(&mut rng, country, ts, label, s, out);
            }
        }
    }
}
