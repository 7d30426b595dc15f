//! Where reports go. stdout; a regular file, written whole (a temporary file in the same
//! directory, renamed into place at the end) so a crash never leaves half a report for a CI job
//! to read; or anything that is not a regular file (a FIFO, a character device such as
//! /dev/null, /dev/stdout), written in place and never replaced. A symlink is followed: its
//! target is written, the link stays.

use crate::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub enum Sink {
    Stdout(BufWriter<io::Stdout>),
    /// A regular file, moved into place by `finish`.
    File {
        tmp: PathBuf,
        dest: PathBuf,
        w: BufWriter<File>,
    },
    /// A FIFO, device or other non-regular file, written as it is.
    InPlace(BufWriter<File>),
}

/// Names of this process's standard output.
const STDOUT_NAMES: &[&str] = &["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"];

/// Where a symlink finally points (relative targets resolved against the link's directory),
/// whether or not the target exists yet.
fn follow(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(target) => {
                p = if target.is_absolute() { target } else { p.parent().unwrap_or(Path::new(".")).join(target) };
            }
            Err(_) => break,
        }
    }
    p
}

impl Sink {
    /// `None`, `-` or /dev/stdout: stdout. An existing regular file is refused unless `force`;
    /// a non-regular file is written in place.
    pub fn open(path: Option<&str>, force: u8) -> Result<Sink, Error> {
        let Some(p) = path.filter(|p| *p != "-" && !STDOUT_NAMES.contains(p)) else {
            return Ok(Sink::Stdout(BufWriter::new(io::stdout())));
        };
        let dest = follow(Path::new(p));
        match std::fs::metadata(&dest) {
            Ok(meta) if meta.is_dir() => {
                Err(Error::Io { path: p.to_string(), what: "is a directory; name a file to write the report to".into() })
            }
            Ok(meta) if !meta.is_file() => {
                let f = std::fs::OpenOptions::new().write(true).open(&dest).map_err(|e| Error::io(Path::new(p), e))?;
                Ok(Sink::InPlace(BufWriter::new(f)))
            }
            Ok(_) if force == 0 => Err(Error::OutputExists(p.to_string())),
            _ => {
                let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
                let tmp = dir.join(format!(".{name}.pumphound-{}.tmp", std::process::id()));
                let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
                Ok(Sink::File { tmp, dest, w: BufWriter::new(f) })
            }
        }
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Stdout(w) => w,
            Sink::File { w, .. } => w,
            Sink::InPlace(w) => w,
        }
    }

    /// Flush and, for a regular file, move it into place.
    pub fn finish(mut self) -> io::Result<()> {
        match &mut self {
            Sink::Stdout(w) => w.flush(),
            Sink::InPlace(w) => w.flush(),
            Sink::File { tmp, dest, w } => {
                w.flush()?;
                w.get_ref().sync_all()?;
                std::fs::rename(&*tmp, &*dest)?;
                *tmp = PathBuf::new();
                Ok(())
            }
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // A file sink dropped without `finish` (an error on the way) leaves nothing behind.
        if let Sink::File { tmp, .. } = self
            && !tmp.as_os_str().is_empty()
        {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// A write error that only says the reader went away (`| head`): not an error of the run.
/// Writers that wrap the I/O error (the csv crate's) are looked through.
pub fn is_closed_pipe(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return true;
    }
    let mut inner: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|x| x as &(dyn std::error::Error + 'static));
    while let Some(x) = inner {
        if x.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe) {
            return true;
        }
        if let Some(c) = x.downcast_ref::<csv::Error>()
            && let csv::ErrorKind::Io(io) = c.kind()
            && io.kind() == io::ErrorKind::BrokenPipe
        {
            return true;
        }
        inner = x.source();
    }
    false
}

/// The result of writing a report: a closed pipe is not an error (the run's outcome stands).
pub fn written(r: io::Result<()>) -> Result<(), Error> {
    match r {
        Err(e) if !is_closed_pipe(&e) => Err(Error::Write(e)),
        _ => Ok(()),
    }
}
