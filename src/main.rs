use clap::Parser;
use pumphound::cli::Cli;
use pumphound::error::Outcome;
use std::process::ExitCode;

/// `mi_option_purge_delay` in mimalloc v2's `mi_option_e` (mimalloc.h); libmimalloc-sys names
/// the options around it but not this one.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // mimalloc keeps its default purge delay while loading; when loading ends, free memory goes
    // back and the delay drops to 0 (why: pumphound::memory).
    pumphound::memory::set_release(|| {
        // SAFETY: called at the end of loading, where no other thread runs (all are scoped and
        // joined), as mimalloc's options and collection ask; both touch only the allocator's
        // own state.
        unsafe {
            libmimalloc_sys::mi_collect(true);
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        }
    });
    let cli = Cli::parse();
    match pumphound::app::run(&cli) {
        Ok(Outcome::Clean) => ExitCode::from(0),
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(e) if e.is_broken_pipe() => ExitCode::from(0),
        Err(e) => {
            eprintln!("pumphound: {e}");
            ExitCode::from(2)
        }
    }
}

// mimalloc: rows are parsed on one thread and stored on another; glibc's malloc made those
// cross-thread frees the bottleneck (1M rows: parse 0.9 s on one thread, 3.5 s piped).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
