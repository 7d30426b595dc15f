//! Where reports go: stdout, or a file written whole (temporary file in the same directory,
//! renamed into place at the end) so a crash never leaves half a report for a CI job to read.

use crate::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File { tmp: PathBuf, dest: PathBuf, w: BufWriter<File> },
}

impl Sink {
    /// `None` or `-`: stdout. A file that exists is refused unless `force`.
    pub fn open(path: Option<&str>, force: bool) -> Result<Sink, Error> {
        let Some(p) = path.filter(|p| *p != "-") else {
            return Ok(Sink::Stdout(BufWriter::new(io::stdout())));
        };
        let dest = PathBuf::from(p);
        if dest.exists() && !force {
            return Err(Error::OutputExists(p.to_string()));
        }
        let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
        let tmp = dir.join(format!(".{name}.pumphound-{}.tmp", std::process::id()));
        let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(Sink::File { tmp, dest, w: BufWriter::new(f) })
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Stdout(w) => w,
            Sink::File { w, .. } => w,
        }
    }

    /// Flush and, for a file, move it into place.
    pub fn finish(mut self) -> io::Result<()> {
        match &mut self {
            Sink::Stdout(w) => w.flush(),
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
