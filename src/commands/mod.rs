//! One module per subcommand.

pub mod baseline;
pub mod block;
pub mod detectors;
pub mod diff;
pub mod export;
pub mod formats;
pub mod generate;
pub mod inspect;
pub mod scan;
pub mod simulate;

use crate::cli::{ColorChoice, DisplayArgs, InputArgs};
use crate::error::Error;
use crate::ingest::{IngestOptions, LoadOptions, Loaded, formats::generic_csv, source};
use std::io::IsTerminal;

/// Resolve the input flags once into load options.
pub fn load_options(a: &InputArgs) -> Result<LoadOptions, Error> {
    let map = a.map.as_deref().map(generic_csv::parse_map).transpose().map_err(Error::Usage)?;
    if map.is_some() && a.input_format.is_none() {
        return Err(Error::Usage("--map applies to generic CSV: add --input-format generic-csv".into()));
    }
    let window = crate::timeparse::parse_duration(&a.conversion_window).map_err(|e| Error::Usage(format!("--conversion-window: {e}")))?;
    let cur = a.default_currency.trim().to_ascii_uppercase();
    if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Error::Usage(format!("--default-currency: `{cur}` is not an ISO 4217 code like USD")));
    }
    Ok(LoadOptions {
        input_format: a.input_format,
        map,
        ingest: IngestOptions { strict: a.strict, default_currency: Some(cur), skip_templates: false },
        conversions: a.conversions.clone(),
        conversion_window_ms: window,
        no_digest: false,
    })
}

/// Expand, open and load every input, with the progress bar on stderr.
pub fn load(a: &InputArgs, g: &DisplayArgs) -> Result<Loaded, Error> {
    load_with(a, g, |_| {})
}

/// [`load`], with the options adjusted by the command (what it does not need left out).
pub fn load_with(a: &InputArgs, g: &DisplayArgs, adjust: impl FnOnce(&mut LoadOptions)) -> Result<Loaded, Error> {
    let mut opts = load_options(a)?;
    adjust(&mut opts);
    let inputs = source::expand(&a.inputs)?;
    let bar = crate::progress::bar(crate::ingest::total_bytes(&inputs), !(g.quiet || g.no_progress));
    let loaded = crate::ingest::load(&inputs, &opts, &bar);
    bar.finish_and_clear();
    let loaded = loaded?;
    if !g.quiet {
        for s in loaded.inputs.iter().filter(|s| s.unrecognised.is_some()) {
            eprintln!("pumphound: warning: {}: not in a known format, left out", s.path);
        }
        if loaded.store.conflicts > 0 {
            eprintln!(
                "pumphound: warning: {} records reuse a message id with another destination (the first is kept)",
                loaded.store.conflicts
            );
        }
        let skipped: u64 = loaded.inputs.iter().map(|s| s.rows_skipped()).sum();
        if skipped > 0 {
            eprintln!("pumphound: warning: {skipped} rows skipped (reasons in the report; --strict makes this an error)");
        }
    }
    Ok(loaded)
}

/// The width table output is laid out for: the terminal's on a terminal (`COLUMNS` when the
/// terminal does not say), 80 columns anywhere else, so piped output is the same at every width.
pub fn width(tty: bool) -> usize {
    const PIPED: usize = 80;
    if !tty {
        return PIPED;
    }
    terminal_columns()
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse().ok()))
        .filter(|&w: &usize| w >= 20)
        .unwrap_or(PIPED)
}

fn terminal_columns() -> Option<usize> {
    #[cfg(unix)]
    {
        // SAFETY: TIOCGWINSZ writes a `winsize` into the struct we own; on error nothing is
        // written and the zeroed value is ignored.
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
        if ok && ws.ws_col > 0 {
            return Some(usize::from(ws.ws_col));
        }
    }
    None
}

/// Whether a report written to stdout goes to a terminal.
pub fn stdout_is_tty(to_file: bool) -> bool {
    !to_file && std::io::stdout().is_terminal()
}

/// Colour on: `always`, or `auto` on a terminal without NO_COLOR and with a capable TERM.
pub fn use_color(choice: ColorChoice, tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::env::var("TERM").map(|t| t != "dumb").unwrap_or(true)
        }
    }
}
