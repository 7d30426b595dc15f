//! The progress bar: bytes read over all inputs, on stderr only. indicatif draws nothing when
//! stderr is not a terminal; `-q` and `--no-progress` hide it too.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub fn bar(total_bytes: u64, enabled: bool) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} reading {bytes}/{total_bytes} [{bar:30}] {bytes_per_sec} {eta}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
