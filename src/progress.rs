//! Progress on stderr only: bytes read over all inputs (with a total and a bar when every size
//! is known; bytes and rate alone for stdin and pipes), then a spinner while detection runs.
//! indicatif draws nothing when stderr is not a terminal; `-q` and `--no-progress` hide it too.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

pub fn bar(total_bytes: Option<u64>, enabled: bool) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let (bar, template) = match total_bytes {
        Some(total) => (
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
            "{spinner} reading {bytes}/{total_bytes} [{bar:30}] {bytes_per_sec} {eta}",
        ),
        // No total to show a share of: what was read, and how fast.
        None => (ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()), "{spinner} reading {bytes} {bytes_per_sec}"),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A spinner for a stage without a measure of its own (`detecting`), ticking by itself.
pub fn stage(what: &'static str, enabled: bool) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let s = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        s.set_style(style);
    }
    s.set_message(what);
    s.enable_steady_tick(Duration::from_millis(120));
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn stdin_has_no_total_and_files_have_theirs() {
        let b = super::bar(None, true);
        b.inc(10);
        assert_eq!((b.length(), b.position()), (None, 10), "no total: bytes alone, never a full bar");
        assert_eq!(super::bar(Some(5), true).length(), Some(5));
    }
}
