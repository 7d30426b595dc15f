use clap::Parser;
use pumphound::cli::Cli;
use pumphound::error::Outcome;
use std::process::ExitCode;

/// `mi_option_purge_delay` in mimalloc v2's `mi_option_e` (mimalloc.h); libmimalloc-sys names
/// the options around it but not this one.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // While loading, mimalloc keeps freed pages for its default few milliseconds, so pages freed
    // and taken again (block buffers, chunk tables, a parser's small vectors) are reused rather
    // than zeroed again by the kernel: returned at once, 4 GB had gone back and forth at 10M
    // rows. When loading ends, all free memory goes back (the id index and the parse buffers),
    // and from then on memory goes back as soon as it is freed, so detection's temporaries,
    // freed and allocated on two threads, do not stack in the peak (see pumphound::memory).
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
