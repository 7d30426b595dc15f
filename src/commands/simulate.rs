use crate::cli::SimulateArgs;
use crate::error::{Error, Outcome};
use crate::output::Sink;
use crate::simulate::scenarios::{SCENARIOS, Spec};
use crate::simulate::world::mix;
use crate::simulate::writers::{self, View};
use crate::simulate::{SimConfig, generate, parse_countries};
use std::io::Write;

pub fn run(a: &SimulateArgs) -> Result<Outcome, Error> {
    if a.list_scenarios {
        let mut out = std::io::stdout().lock();
        for d in SCENARIOS {
            writeln!(out, "{:<17} {:<8} {}\n{:<26} {}", d.name, d.kind, d.about, "", d.params).map_err(Error::Write)?;
        }
        return Ok(Outcome::Clean);
    }
    let start_ms = crate::timeparse::parse_text(&a.start).map_err(|e| Error::Usage(format!("--start `{}` {e}", a.start)))?;
    if !(a.daily.is_finite() && a.daily >= 0.0) {
        return Err(Error::Usage("--daily must be a non-negative number".into()));
    }
    let cfg = SimConfig {
        seed: a.seed,
        start_ms,
        days: a.days,
        daily: a.daily,
        countries: parse_countries(&a.countries).map_err(Error::Usage)?,
        scenarios: a.scenario.iter().map(|s| Spec::parse(s)).collect::<Result<_, _>>().map_err(Error::Usage)?,
    };
    // Refuse existing outputs before the work.
    let mut main = Sink::open(a.output.output.as_deref(), a.output.force)?;
    let mut truth = a.truth.as_deref().map(|p| Sink::open(Some(p), a.output.force)).transpose()?;
    let mut verif = a.verifications.as_deref().map(|p| Sink::open(Some(p), a.output.force)).transpose()?;
    let (world, msgs) = generate(&cfg).map_err(Error::Usage)?;
    let view = View { world: &world, seed: a.seed, account: format!("AC{:016x}{:016x}", mix(a.seed, "account"), mix(a.seed, "account-2")) };
    writers::write(a.format, &view, &msgs, main.writer()).and_then(|_| main.finish()).map_err(Error::Write)?;
    if let Some(mut t) = truth.take() {
        writers::write_truth(a.format, &view, &msgs, t.writer()).and_then(|_| t.finish()).map_err(Error::Write)?;
    }
    if let Some(mut v) = verif.take() {
        writers::write_verifications(&view, &msgs, v.writer()).and_then(|_| v.finish()).map_err(Error::Write)?;
    }
    Ok(Outcome::Clean)
}
