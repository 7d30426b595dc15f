//! Dispatch a parsed command line to its subcommand.

use crate::cli::{Cli, Command};
use crate::commands;
use crate::error::{Error, Outcome};

pub fn run(cli: &Cli) -> Result<Outcome, Error> {
    let timings = cli.display().is_some_and(|d| d.timings);
    if timings {
        crate::timings::enable();
    }
    let start = std::time::Instant::now();
    let outcome = dispatch(cli);
    if timings {
        crate::timings::print(start.elapsed());
    }
    outcome
}

fn dispatch(cli: &Cli) -> Result<Outcome, Error> {
    match &cli.command {
        Command::Scan(a) => commands::scan::run(a),
        Command::Block(a) => commands::block::run(a),
        Command::Diff(a) => commands::diff::run(a),
        Command::Export(a) => commands::export::run(a),
        Command::Baseline(crate::cli::BaselineCommand::Build(a)) => commands::baseline::build(a),
        Command::Detectors(a) => commands::detectors::run(a),
        Command::Inspect(a) => commands::inspect::run(a),
        Command::Formats(a) => commands::formats::run(a),
        Command::Simulate(a) => commands::simulate::run(a),
        Command::Generate(a) => commands::generate::run(a),
    }
}
