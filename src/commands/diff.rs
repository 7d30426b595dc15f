//! `pumphound diff OLD.json NEW.json`: what changed between two scan reports.

use crate::changes::{self, Changes};
use crate::cli::{DiffArgs, DiffFormat};
use crate::error::{Error, Outcome};
use crate::output::{Sink, written};

fn read(path: &str) -> Result<(changes::Report, String), Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(std::path::Path::new(path), e))?;
    let currency = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["summary"]["currency"].as_str().map(str::to_string))
        .unwrap_or_default();
    Ok((changes::parse(&text, path)?, currency))
}

pub fn write(c: &Changes, format: DiffFormat, currency: &str, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    match format {
        DiffFormat::Table => changes::table::write(c, currency, w),
        DiffFormat::Markdown => changes::markdown::write(c, currency, w),
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut *w, c)?;
            writeln!(w)
        }
    }
}

pub fn run(a: &DiffArgs) -> Result<Outcome, Error> {
    let (old, old_currency) = read(&a.old)?;
    let (new, currency) = read(&a.new)?;
    if !old_currency.is_empty() && !currency.is_empty() && old_currency != currency {
        eprintln!("pumphound: warning: {} is in {old_currency} and {} in {currency}: cost growth is left out", a.old, a.new);
    }
    let mut sink = Sink::open(a.output.output.as_deref(), a.output.force)?;
    let c = changes::compare(&old, &new, (&a.old, &a.new), a.fail_on.severity());
    written(write(&c, a.format, &currency, sink.writer()).and_then(|_| sink.finish()))?;
    Ok(if c.fails { Outcome::Findings } else { Outcome::Clean })
}
