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

/// What kind of failure an error is, for front ends that answer with more than an exit code
/// (the HTTP API's status codes, SPEC 12). The command line exits 2 for every kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorKind {
    /// Something failed on agentctl's side: I/O, a damaged store.
    #[default]
    Failure,
    /// The request itself is wrong: a malformed REF, agent id or PATH, a bad option value.
    Usage,
    /// An unknown agent, or a REF that matches no publish.
    NotFound,
    /// An agent file that does not parse or validate (located).
    Invalid,
    /// The state of the agent forbids it: no staging file to publish or revert in.
    Conflict,
    /// `--expect` (If-Match) names a production that is no longer the newest.
    Mismatch,
    /// Another writer held the store or the workspace for longer than the lock timeout, or
    /// the store did not answer (a lost or overloaded PostgreSQL server).
    Busy,
}

#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub location: Option<Location>,
    pub hints: Vec<String>,
    pub kind: ErrorKind,
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
            kind: ErrorKind::Failure,
            source: None,
        }
    }

    /// Say what kind of failure this is (see [`ErrorKind`]).
    pub fn kind(mut self, kind: ErrorKind) -> Error {
        self.kind = kind;
        self
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

/// An error as one JSON document, `{"error": {"code", "message", "hint"?, …}}` (SPEC 12's shape):
/// what every `--json` command prints on stdout when it fails, and what the HTTP API answers.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, serde::Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, serde::Serialize)]
pub struct ErrorDetail {
    /// The exit code on the command line; the HTTP status in the API.
    pub code: u16,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Error {
    /// This error as the JSON document `--json` commands print, with `code`.
    pub fn body(&self, code: u16) -> ErrorBody {
        let hint = (!self.hints.is_empty()).then(|| self.hints.join("; "));
        ErrorBody {
            error: ErrorDetail {
                code,
                message: self.message.clone(),
                hint,
                file: self.location.as_ref().map(|l| l.file.clone()),
                line: self.location.as_ref().and_then(|l| l.line),
                column: self.location.as_ref().and_then(|l| l.column),
            },
        }
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
            kind: ErrorKind::Failure,
            source: Some(error),
        }
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Error {
        anyhow::Error::from(error).into()
    }
}
