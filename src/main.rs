use clap::Parser;
use pumphound::cli::Cli;
use pumphound::error::Outcome;
use std::process::ExitCode;

/// `mi_option_purge_delay` in mimalloc v2's `mi_option_e` (mimalloc.h); libmimalloc-sys names
/// the options around it but not this one.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc's purge delay before [`pumphound::memory::release`] sets it to 0, for
/// [`pumphound::memory::retain`] to set back.
static PURGE_DELAY: std::sync::OnceLock<std::ffi::c_long> = std::sync::OnceLock::new();

fn main() -> ExitCode {
    no_huge_pages();
    // SAFETY: reads one of the allocator's options; no other thread runs yet.
    let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
    let _ = PURGE_DELAY.set(delay);
    pumphound::memory::set_fault_in_huge(fault_in_huge);
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
    pumphound::memory::set_retain(|| {
        let delay = PURGE_DELAY.get().copied().unwrap_or(10);
        // SAFETY: as for the release above: called where no other thread of pumphound runs;
        // it sets one of the allocator's options back to the value it had at start.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay) }
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

/// No transparent huge pages for this process. A huge page needs a free 2 MiB block, and free
/// blocks that large are what a VM's balloon reports back to the host, which must then back the
/// memory anew on first touch (slowly: 400 MB/s here); 4 KiB pages mostly come from memory the
/// host still backs. At 10M rows the kernel's time fell from 2.3-2.7 s to 0.8-1.1 s and peak RSS
/// from 709 to 667 MiB (a huge page is committed whole). On a machine without that cost huge
/// pages fault in faster, by about 0.2 s at 10M rows. (mimalloc's own `allow_thp` option comes
/// too late: its first arena is reserved, and advised, before `main`.) The one exception is the
/// id index, read and written at random ([`fault_in_huge`]).
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments only and changes one flag
    // of this process's memory; it cannot touch memory the program sees. A kernel without it
    // returns an error, which leaves things as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Fault in `len` bytes at `addr` (a buffer just allocated and zeroed) at once, in huge pages:
/// huge pages are allowed for the moment it takes. Another thread faulting memory in meanwhile
/// may get huge pages too, which costs it nothing but the host's backing.
fn fault_in_huge(addr: usize, len: usize) {
    let (start, end) = ((addr + 4095) & !4095, (addr + len) & !4095);
    if end <= start {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: prctl and madvise take integer arguments and a range inside a live allocation
    // (rounded inwards to pages). MADV_HUGEPAGE only marks the range; MADV_POPULATE_WRITE
    // (Linux 5.14) faults in pages that are not yet there, as zero pages, and leaves pages that
    // are there as they are, so the buffer's contents (zeros) do not change. Errors (an older
    // kernel) leave the memory to be faulted in as it is touched.
    unsafe {
        let p = start as *mut libc::c_void;
        libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0);
        libc::madvise(p, end - start, libc::MADV_HUGEPAGE);
        libc::madvise(p, end - start, libc::MADV_POPULATE_WRITE);
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

// mimalloc: rows are parsed on one thread and stored on another; glibc's malloc made those
// cross-thread frees the bottleneck (1M rows: parse 0.9 s on one thread, 3.5 s piped).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
