//! `pumphound baseline build`, and `--baseline` for `scan` and `block`: exports of a known-clean
//! period to learn from, or one baseline saved by `baseline build` (what was learned, so a
//! nightly job does not read weeks of exports again).

use crate::cli::{BaselineBuildArgs, DisplayArgs, InputArgs};
use crate::detect::baseline::{Baseline, BaselineInput, File, is_saved};
use crate::error::{Error, Outcome};
use crate::output::Sink;
use crate::report::scan::InputOut;
use crate::store::Message;
use sha2::Digest;
use std::io::Read;

/// `--country` values, upper-cased and checked.
pub fn countries(list: &[String]) -> Result<Vec<String>, Error> {
    let countries: Vec<String> = list.iter().map(|c| c.trim().to_ascii_uppercase()).collect();
    if let Some(c) = countries.iter().find(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic())) {
        return Err(Error::Usage(format!("--country `{c}`: expected an ISO 3166 alpha-2 code such as GB")));
    }
    Ok(countries)
}

/// Whether the message is to one of `countries` (all when empty).
pub fn in_countries(countries: &[String], m: &Message) -> bool {
    countries.is_empty() || m.country_opt().is_some_and(|c| countries.iter().any(|x| x == c))
}

pub fn build(a: &BaselineBuildArgs) -> Result<Outcome, Error> {
    let countries = countries(&a.country)?;
    let (since, until) = (super::scan::time_opt("--since", &a.since)?, super::scan::time_opt("--until", &a.until)?);
    // Refuse an existing output before the (possibly long) load.
    let mut sink = Sink::open(Some(&a.output), a.force)?;
    let loaded = super::load_with(&a.input, &a.display, |o| o.ingest.skip_templates = true)?;
    let spinner = crate::progress::stage("learning", !(a.display.quiet || a.display.no_progress));
    let t = std::time::Instant::now();
    let in_window = |m: &Message| m.ts_opt().is_none_or(|t| since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u));
    let (rows, no_ts) = crate::detect::rows(&loaded.store, |m| in_countries(&countries, m) && in_window(m));
    if rows.is_empty() {
        spinner.finish_and_clear();
        let mut filter = String::new();
        for (flag, v) in [("--since", &a.since), ("--until", &a.until)] {
            if let Some(v) = v {
                filter.push_str(&format!(" {flag} {v}"));
            }
        }
        if !countries.is_empty() {
            filter.push_str(&format!(" --country {}", countries.join(",")));
        }
        let filter = if filter.is_empty() { filter } else { format!(" left by{filter}") };
        return Err(Error::Empty(format!("{}: no message with a send time{filter} to learn from", a.input.inputs.join(" "))));
    }
    let baseline = Baseline::learn(&rows);
    let inputs = loaded
        .inputs
        .iter()
        .map(|s| BaselineInput {
            path: s.path.clone(),
            format: s.format.map(|f| f.name().to_string()),
            sha256: s.sha256.clone(),
            rows_read: s.rows_read,
            rows_used: s.rows_used,
        })
        .collect();
    let file = baseline.to_file(inputs, countries, no_ts);
    spinner.finish_and_clear();
    crate::timings::add(crate::timings::Stage::Detect, t.elapsed());
    let w = sink.writer();
    serde_json::to_writer_pretty(&mut *w, &file)
        .map_err(std::io::Error::other)
        .and_then(|_| w.write_all(b"\n"))
        .and_then(|_| sink.finish())
        .map_err(Error::Write)?;
    if !a.display.quiet {
        eprintln!(
            "pumphound: baseline of {} messages ({}), {} numbers, {} countries: {}",
            baseline.rows,
            file.period.as_ref().map(|[a, b]| format!("{a} to {b}")).unwrap_or_default(),
            baseline.numbers.len(),
            baseline.spend.len(),
            if a.output == "-" { "stdout" } else { &a.output }
        );
    }
    Ok(Outcome::Clean)
}

/// What `--baseline` gives `scan` and `block`: the learned baseline and the inputs it came from
/// (for the report). `input`: the scan's input options (the format flags apply to baseline
/// exports too; `--conversions` does not).
pub fn for_scan(
    paths: &[String],
    input: &InputArgs,
    g: &DisplayArgs,
    countries: &[String],
) -> Result<Option<(Baseline, Vec<InputOut>)>, Error> {
    if paths.is_empty() {
        return Ok(None);
    }
    if let Some(saved) = paths.iter().find(|p| head_is_saved(p)) {
        if paths.len() > 1 {
            return Err(Error::Usage(format!(
                "--baseline {saved}: a saved baseline is used alone; build one from all the exports with `pumphound baseline build`"
            )));
        }
        return read_saved(saved, countries, g).map(Some);
    }
    let mut base_args = InputArgs { inputs: paths.to_vec(), ..input.clone() };
    base_args.conversions = None;
    let quiet = DisplayArgs { no_progress: true, ..g.clone() };
    let loaded = super::load_with(&base_args, &quiet, |o| o.ingest.skip_templates = true)?;
    let (rows, _) = crate::detect::rows(&loaded.store, |m| in_countries(countries, m));
    let inputs = loaded.inputs.iter().map(|s| super::scan::input_out(s, "baseline")).collect();
    Ok(Some((Baseline::learn(&rows), inputs)))
}

/// Whether `path` is a regular file that starts as a saved baseline does.
fn head_is_saved(path: &str) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else { return false };
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = Vec::with_capacity(256);
    (&mut f).take(256).read_to_end(&mut head).is_ok() && is_saved(&head)
}

fn read_saved(path: &str, countries: &[String], g: &DisplayArgs) -> Result<(Baseline, Vec<InputOut>), Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(std::path::Path::new(path), e))?;
    let bad = |what: String| Error::Usage(format!("--baseline {path}: {what}"));
    let file: File = serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a baseline this pumphound reads ({e})")))?;
    if file.countries != countries && !g.quiet {
        let list = |c: &[String]| if c.is_empty() { "every country".to_string() } else { c.join(",") };
        eprintln!(
            "pumphound: warning: --baseline {path}: learned from {}, this scan is of {}: build it with the scan's --country",
            list(&file.countries),
            list(countries)
        );
    }
    let rows = file.rows;
    let baseline = Baseline::from_file(file).map_err(bad)?;
    let input = InputOut {
        path: path.to_string(),
        role: "baseline",
        format: Some("pumphound-baseline".into()),
        rows_read: rows,
        rows_used: rows,
        rows_skipped: 0,
        skipped: Default::default(),
        sha256: Some(sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()),
    };
    Ok((baseline, vec![input]))
}
