//! Giving freed memory back to the system at the one moment it matters.
//!
//! The binary's allocator (mimalloc, see main.rs) keeps a freed page for a few milliseconds
//! before returning it, so pages freed and allocated again while loading (block buffers, chunk
//! tables, a parser's small vectors) are reused as they are. Returned at once, each had come
//! back as fresh memory, zeroed by the kernel on first touch, which is slow on these VMs: at 10M
//! rows 4 GB went back and forth in 3,300 calls. When loading ends, though, the parse buffers
//! have just been freed and detection is about to allocate its own; [`release`] then returns
//! what is free, and the allocator returns memory as soon as it is freed from then on (detection
//! frees and allocates large temporaries on three threads at once), so nothing stacks in the
//! peak. Called only where no other thread runs.
//!
//! Memory returned there and allocated again at once costs the kernel's zeroing only: what is
//! slow on these VMs is memory the host must back anew, and the host takes back free memory
//! only seconds after it is freed. So the peak, not what goes back and forth, is what costs.
//! Detection's largest temporary (every destination, to sort) is kept for its next use
//! ([`hand_on`], [`take_spare`]).

use std::sync::{Mutex, OnceLock};

static RELEASE: OnceLock<fn()> = OnceLock::new();

/// How to make the allocator keep freed pages for reuse again (see [`retain`]).
static RETAIN: OnceLock<fn()> = OnceLock::new();

/// How to fault memory in at once in huge pages (see [`fault_in_huge`]).
static HUGE: OnceLock<fn(usize, usize)> = OnceLock::new();

/// A large buffer one stage is done with, kept for the next stage to fill instead of having
/// fresh memory zeroed for it (see [`hand_on`]).
static SPARE: Mutex<Vec<u64>> = Mutex::new(Vec::new());

/// Keep `buf` (its contents do not matter) for a later [`take_spare`], in place of any buffer
/// kept before.
pub fn hand_on(buf: Vec<u64>) {
    if let Ok(mut spare) = SPARE.lock() {
        *spare = buf;
    }
}

/// The buffer handed on, emptied (with its capacity), when it can hold `n` values; otherwise
/// a new one with room for `n`.
pub fn take_spare(n: usize) -> Vec<u64> {
    let mut buf = SPARE.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default();
    buf.clear();
    if buf.capacity() < n {
        buf = Vec::with_capacity(n);
    }
    buf
}

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

/// How to make the allocator keep freed memory a while again: the allocator's call, set once by
/// the binary (see [`retain`]).
pub fn set_retain(f: fn()) {
    let _ = RETAIN.set(f);
}

/// From now on keep freed memory a while for reuse, as while loading: for a stage after loading
/// that frees and allocates large buffers over and over (`export`'s batches and the Parquet
/// writer's pages). Returned at once, every batch's memory came back as fresh pages: at 9.7M
/// rows 1.45M page faults and 4.7-7.7 s of kernel time in a 13-15 s export. Only where no
/// other thread runs.
pub fn retain() {
    if let Some(f) = RETAIN.get() {
        f();
    }
}

/// How to fault a buffer (address, bytes) in at once in huge pages where the system allows:
/// set once by the binary, which keeps huge pages off otherwise (see main.rs); a library user
/// sets nothing and [`fault_in_huge`] does nothing.
pub fn set_fault_in_huge(f: fn(usize, usize)) {
    let _ = HUGE.set(f);
}

/// Fault `buf` (just allocated, zeroed) in now, in huge pages where allowed: for a large table
/// read and written at random, where 4 KiB pages make nearly every access miss the TLB.
pub fn fault_in_huge<T>(buf: &mut [T]) {
    if let Some(f) = HUGE.get() {
        f(buf.as_mut_ptr() as usize, std::mem::size_of_val(buf));
    }
}

/// Ask for the cache line of `items[at]` ahead of its use (nothing past the end). The
/// processor's own prefetch stops at each 4 KiB page, so a pass that is the first to read a
/// buffer (a Console block mapped from the page cache, the rows table after loading) waits at
/// each page's first line unless it asks a page ahead.
#[inline]
pub fn prefetch<T>(items: &[T], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = items.get(at) {
        // SAFETY: a prefetch reads nothing the program sees and never faults; the pointer is to
        // an element of `items`. SSE, which it needs, is part of every x86-64 CPU.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(std::ptr::from_ref(x).cast()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (items, at);
}

/// `items` in order, each asked for a page ahead ([`prefetch`]). Passes over the 390 MB rows
/// table at 10M rows had waited at each page's first row: on these VMs a page's first touch
/// also walks the host's page tables. spend-anomaly's pass took 0.149-0.156 s before, 0.074-0.080
/// s after.
pub fn ahead<T>(items: &[T]) -> impl Iterator<Item = &T> {
    let step = per_page::<T>();
    items.iter().enumerate().map(move |(j, x)| {
        prefetch(items, j + step);
        x
    })
}

/// How many `T`s a 4 KiB page holds (at least one): how far [`ahead`] asks.
pub const fn per_page<T>() -> usize {
    let size = if std::mem::size_of::<T>() == 0 { 1 } else { std::mem::size_of::<T>() };
    if size >= 4096 { 1 } else { 4096 / size }
}
