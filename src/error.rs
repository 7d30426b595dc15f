//! Errors callers branch on, and how they read: `pumphound: <what>: <where>`.

use crate::ingest::source::InputPath;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be read (missing, permission, truncated gzip, I/O).
    #[error("{path}: {what}")]
    Io { path: String, what: String },

    /// No format could be recognised from the content.
    #[error("unknown input format: {path}: {what}; name it with --input-format (see `pumphound formats`)")]
    UnknownFormat { path: String, what: String },

    /// A recognised file that holds no messages (a CloudTrail log): no format reads it.
    #[error("not a message log: {path}: {what}")]
    NotMessages { path: String, what: String },

    /// A record could not be parsed where that stops the whole input, or `--strict` saw a skip.
    #[error("{format}: {path}:{location}: {what}")]
    Parse { format: String, path: String, location: String, what: String },

    /// The command line or configuration is wrong.
    #[error("{0}")]
    Usage(String),

    /// `-o FILE` exists and `--force` was not given.
    #[error("{0}: exists; use --force to overwrite")]
    OutputExists(String),

    /// Writing the report failed.
    #[error("writing output: {0}")]
    Write(std::io::Error),

    /// Nothing to scan: no message read, or none left by the filters (`--allow-empty` to accept).
    #[error("no message to scan: {0}")]
    Empty(String),

    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: &Path, e: std::io::Error) -> Error {
        Error::Io { path: path.display().to_string(), what: describe_io(&e) }
    }

    pub fn io_input(input: &InputPath, e: std::io::Error) -> Error {
        Error::Io { path: input.display(), what: describe_io(&e) }
    }
}

pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "input ends early (truncated or corrupt gzip stream?)".into(),
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => format!("corrupt input: {e}"),
        _ => e.to_string(),
    }
}

/// Process exit status: 0 clean, 1 findings at or above `--fail-on`, 2 error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Findings,
}

impl Error {
    /// A write to a closed pipe: the reader went away (`| head`), which is not an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Write(e) if crate::output::is_closed_pipe(e))
    }
}
