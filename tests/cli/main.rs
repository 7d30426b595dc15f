//! One integration-test binary (ripgrep's layout): library-level loads with asserted values,
//! and runs of the real binary with a hermetic environment.

mod bad_input;
mod cli;
mod fixtures;
mod fuzz_regressions;
mod hostile;
mod samples;
mod scan;
mod simulate;
mod util;
