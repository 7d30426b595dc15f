//! One integration-test binary (ripgrep's layout): library-level loads with asserted values,
//! and runs of the real binary with a hermetic environment.

mod bad_input;
mod baseline;
mod block;
mod changes;
mod cli;
mod detection;
mod exit_status;
mod export;
mod fixtures;
mod fresh_clone;
mod fuzz_regressions;
mod hostile;
mod html;
mod incident_model;
mod listings;
mod output_files;
mod samples;
mod scan;
mod simulate;
mod sql;
mod terminal;
mod util;
