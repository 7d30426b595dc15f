use crate::cli::{InspectArgs, InspectFormat};
use crate::error::{Error, Outcome};
use crate::output::Sink;
use crate::report::inspect;

pub fn run(a: &InspectArgs) -> Result<Outcome, Error> {
    // Refuse an existing output before the (possibly long) load.
    let mut sink = Sink::open(a.output.output.as_deref(), a.output.force)?;
    let loaded = super::load(&a.input, &a.display)?;
    let agg = crate::frame::inspect_aggregates(&loaded.store).map_err(|e| Error::Other(format!("aggregation failed: {e}")))?;
    let report = inspect::build(&loaded, &agg, a.top);
    let tty = super::stdout_is_tty(a.output.output.as_deref().is_some_and(|o| o != "-"));
    let w = sink.writer();
    match a.format {
        InspectFormat::Json => inspect::write_json(&report, w),
        InspectFormat::Table => inspect::write_table(&report, w, super::width(tty)),
    }
    .and_then(|_| sink.finish())
    .map_err(Error::Write)?;
    Ok(Outcome::Clean)
}
