//! Errors people can act on: what went wrong, where, and what to do next.
//!
//! Every error a user can cause ends the command with exit code 2 ([`EXIT_ERROR`]); the
//! answers "yes, there is something" (differences, conflicts) are not errors and use exit 1.

use std::fmt;
use std::io;

/// Differences (`diff --exit-code`), conflicts, integrity problems.
pub const EXIT_FOUND: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A place in a file, shown as `--> file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    /// A whole file, without a line.
    pub fn file(file: impl Into<String>) -> Location {
        Location {
            file: file.into(),
            line: None,
            column: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub location: Option<Location>,
    pub hints: Vec<String>,
    /// The underlying cause, kept so that a closed stdout can be recognised.
    source: Option<anyhow::Error>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            location: None,
            hints: Vec::new(),
            source: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hints.push(hint.into());
        self
    }

    pub fn at(mut self, location: Location) -> Error {
        self.location = Some(location);
        self
    }

    /// Whether this error is only stdout having been closed by its reader (`agentctl log | head`).
    pub fn is_broken_pipe(&self) -> bool {
        self.source.as_ref().is_some_and(|source| {
            source.chain().any(|cause| {
                cause
                    .downcast_ref::<io::Error>()
                    .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            })
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<anyhow::Error> for Error {
    fn from(error: anyhow::Error) -> Error {
        Error {
            message: format!("{error:#}"),
            location: None,
            hints: Vec::new(),
            source: Some(error),
        }
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Error {
        anyhow::Error::from(error).into()
    }
}
