//! What a mapped input leaves in the page cache when it cannot all stay there.
//!
//! A file larger than the memory the run leaves free (a 21 GB export at 100M rows, a 6 GB store
//! beside it, 24 GB of memory) cannot stay cached whole. Left to itself the kernel then makes
//! room for the store, and for the file's own pages as they are read, by evicting pages it has
//! not used for longest: pages of this very file, anywhere in it, the ones a later run (or this
//! run, further on) is about to read among them. Measured on that export: 8 to 15 GB read from
//! disk a run, with a third to a half of the middle of the file not cached afterwards.
//!
//! So when file and store do not fit beside each other in the memory available, the file's
//! first bytes, as many as the shortfall, are dropped from the cache once they are read and
//! merged ([`DropHead`]): the memory they free is what the store takes, and the rest of the file
//! stays cached for the next run, which then reads only that head from disk. A file that fits
//! (every size up to a few GB on this machine) is left as it is.

use std::fs::File;

/// Bytes of the store a reserved row takes at the peak, detection included: 6,025 MiB for 96.4M
/// rows (108M reserved: the estimate reserves an eighth more) at 100M.
pub const PEAK_BYTES_PER_RESERVED_ROW: u64 = 58;

/// Room left beyond the estimate: the kernel keeps its watermarks free, the run's other
/// allocations (parse buffers, detector tables) come and go.
const MARGIN: u64 = 512 << 20;

/// How far behind the reading position pages are dropped: past the blocks still in flight
/// (those are mapped, and a mapped page is not dropped anyway, only made the first to go).
const LAG: u64 = 128 << 20;

/// Pages are dropped this many bytes at a time (each call has a fixed cost).
const STEP: u64 = 32 << 20;

/// The head of a file to drop from the page cache as reading passes it.
pub struct DropHead {
    file: File,
    /// Drop up to here ...
    upto: u64,
    /// ... dropped up to here so far.
    done: u64,
}

impl DropHead {
    /// The head to drop of `file` (`len` bytes) when `needed` more bytes of memory are to be
    /// allocated while it is read: the shortfall of the memory available (free, and cache the
    /// kernel can evict) against the file and `needed`. None when both fit.
    pub fn plan(file: File, len: u64, needed: u64) -> Option<DropHead> {
        let upto = shortfall(len, needed, mem_available()?);
        (upto > 0).then_some(DropHead { file, upto, done: 0 })
    }

    /// Reading has come to `pos`: drop what lies far enough behind it.
    pub fn passed(&mut self, pos: u64) {
        let to = pos.saturating_sub(LAG).min(self.upto);
        if to >= self.done + STEP || (to == self.upto && to > self.done) {
            drop_cached(&self.file, self.done, to - self.done);
            self.done = to;
        }
    }
}

/// Bytes of a file of `len` bytes to drop from the cache when `needed` more bytes are to be
/// allocated and `available` are (see [`DropHead::plan`]).
fn shortfall(len: u64, needed: u64, available: u64) -> u64 {
    len.saturating_add(needed).saturating_add(MARGIN).saturating_sub(available).min(len)
}

/// The system's available memory (`MemAvailable`, bytes), where it says.
fn mem_available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Ask the kernel to drop `file`'s cached pages in `len` bytes from `offset`. Advice only:
/// pages mapped by some process (this one's blocks in flight) stay, and an error changes
/// nothing but what stays cached.
fn drop_cached(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else { return };
        // SAFETY: posix_fadvise takes a descriptor this File owns (open for the call) and
        // integers; it changes what the kernel caches, never the file or this process's memory.
        unsafe {
            libc::posix_fadvise(file.as_raw_fd(), offset, len, libc::POSIX_FADV_DONTNEED);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_dropped_is_the_shortfall_and_never_more_than_the_file() {
        const GB: u64 = 1 << 30;
        // The measured case: a 21 GB export, a 6 GB store, 23 GB available.
        assert_eq!(shortfall(21 * GB, 6 * GB, 23 * GB), 4 * GB + MARGIN);
        assert_eq!(shortfall(2 * GB, GB, 23 * GB), 0, "a file that fits is left cached");
        assert_eq!(shortfall(GB, 40 * GB, 23 * GB), GB);
        assert_eq!(shortfall(u64::MAX, u64::MAX, 0), u64::MAX);
    }

    #[test]
    fn available_memory_is_read_where_the_system_says() {
        if cfg!(target_os = "linux") {
            assert!(mem_available().is_some_and(|m| m > 0));
        }
    }

    #[test]
    fn a_mapped_file_reads_the_same_after_its_pages_are_dropped() {
        use std::io::Write;
        let bytes: Vec<u8> = (0..3u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&bytes).unwrap();
        f.sync_all().unwrap();
        // SAFETY: a private temporary file nothing else writes.
        let map = unsafe { memmap2::Mmap::map(&f) }.unwrap();
        assert_eq!(&map[..], &bytes[..]);
        let mut d = DropHead { file: f.try_clone().unwrap(), upto: bytes.len() as u64, done: 0 };
        d.passed(u64::MAX);
        assert_eq!(d.done, bytes.len() as u64);
        // Pages still mapped stay; pages let go are read again from the file.
        // SAFETY: the mapping is read-only and private; dropping its pages loses nothing.
        let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        d.done = 0;
        d.passed(u64::MAX);
        assert_eq!(&map[..], &bytes[..]);
    }

    #[test]
    fn pages_are_dropped_in_steps_behind_the_reading_position() {
        let f = tempfile::tempfile().unwrap();
        let mut d = DropHead { file: f, upto: 1 << 30, done: 0 };
        d.passed(LAG + STEP - 1);
        assert_eq!(d.done, 0);
        d.passed(LAG + STEP);
        assert_eq!(d.done, STEP);
        d.passed(u64::MAX);
        assert_eq!(d.done, 1 << 30);
        d.passed(u64::MAX);
        assert_eq!(d.done, 1 << 30);
    }
}
