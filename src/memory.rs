//! Giving freed memory back to the system at the one moment it matters.
//!
//! The binary's allocator (mimalloc, see main.rs) keeps a freed page for a few milliseconds
//! before returning it, so pages freed and allocated again while loading (block buffers, chunk
//! tables, a parser's small vectors) are reused as they are. Returned at once, each had come
//! back as fresh memory, zeroed by the kernel on first touch, which is slow on these VMs: at 10M
//! rows 4 GB went back and forth in 3,300 calls. When loading ends, though, the id index and the
//! parse buffers have just been freed and detection is about to allocate its own; [`release`]
//! then returns what is free, and the allocator returns memory as soon as it is freed from then
//! on (detection frees and allocates large temporaries on two threads at once), so nothing
//! stacks in the peak. Called only where no other thread runs.

use std::sync::OnceLock;

static RELEASE: OnceLock<fn()> = OnceLock::new();

/// How to return free memory to the system: the allocator's call, set once by the binary (a
/// library user with another allocator sets nothing, and [`release`] does nothing).
pub fn set_release(f: fn()) {
    let _ = RELEASE.set(f);
}

/// Return the memory that is free now to the system, and from now on as soon as it is freed.
/// Only where no other thread runs (the allocator's settings are not thread-safe).
pub fn release() {
    if let Some(f) = RELEASE.get() {
        f();
    }
}
