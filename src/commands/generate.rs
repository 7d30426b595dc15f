//! `pumphound generate man | completions SHELL`: the man page is clap's definition plus the
//! hand-written sections below; `man/pumphound.1` is this output, checked by a test.

use crate::cli::{Cli, GenerateArgs, GenerateWhat};
use crate::error::{Error, Outcome};
use crate::ingest::InputFormat;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};
use std::io::Write;

pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = Cli::command();
    let man = Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    man.render_subcommands_section(&mut buf)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut roff = Roff::new();
        roff.control("SH", [format!("PUMPHOUND {}", sub.get_name().to_uppercase()).as_str()]);
        roff.text([roman(sub.get_about().map(|a| a.to_string()).unwrap_or_default())]);
        roff.to_writer(&mut buf)?;
        let sub_man = Man::new(sub.clone().name(leak(format!("pumphound-{}", sub.get_name()))));
        sub_man.render_synopsis_section(&mut buf)?;
        sub_man.render_options_section(&mut buf)?;
    }
    let mut roff = Roff::new();
    roff.control("SH", ["INPUT FORMATS"]);
    for f in InputFormat::ALL {
        roff.control("TP", []);
        roff.text([bold(f.name())]);
        roff.text([roman(format!("{}. Detected by: {}.", f.description(), f.detected_by()))]);
    }
    roff.control("SH", ["DETECTORS"]);
    roff.text([roman("Parameters are set with --set DETECTOR.PARAM=VALUE or a --config TOML file ([detector] tables).")]);
    for d in crate::detect::REGISTRY {
        roff.control("TP", []);
        roff.text([bold(d.id)]);
        roff.text([roman(format!("{}: {}.", d.title, d.flags))]);
        for p in d.params {
            roff.control("br", []);
            roff.text([roman(format!("{} = {}: {}", p.name, p.default, p.about))]);
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, what) in [
        ("0", "The run completed (for scan: no finding at or above --fail-on). A closed output pipe also ends with 0."),
        ("1", "scan: at least one finding or incident at or above --fail-on (default medium)."),
        ("2", "Error: usage, unreadable or unrecognised input, --strict and a skipped row, output file exists without --force."),
    ] {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(what)]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    roff.control("TP", []);
    roff.text([bold("NO_COLOR")]);
    roff.text([roman("When set and not empty, --color auto never colours.")]);
    roff.control("TP", []);
    roff.text([bold("TERM")]);
    roff.text([roman("dumb turns colour off under --color auto.")]);
    roff.to_writer(&mut buf)?;
    man.render_version_section(&mut buf)?;
    Ok(buf)
}

pub fn run(a: &GenerateArgs) -> Result<Outcome, Error> {
    let mut out = std::io::stdout().lock();
    match &a.what {
        GenerateWhat::Man => out.write_all(&man_page().map_err(Error::Write)?).map_err(Error::Write)?,
        GenerateWhat::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "pumphound", &mut out);
        }
    }
    out.flush().map_err(Error::Write)?;
    Ok(Outcome::Clean)
}

/// clap names are `&'static str` without its `string` feature; the man page is generated once
/// per process, so the few bytes leaked here are bounded.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
