//! The store in a SQLite file (one person, or one CI cache): one connection, writers queued
//! on SQLite's lock. The table layout is in `schema`, history reads and publishing in
//! `history`, the staging tables in `staging`.

pub(super) mod history;
mod schema;
mod staging;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::{DEFAULT_LOCK_TIMEOUT, busy, snapshots};
use crate::error::{Error, Result};

pub use history::SqlitePublishing;
pub(super) use history::entry_from_row;
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use staging::{BACKUPS_KEPT, Backup, SqliteStagingWrite};

pub struct Sqlite {
    pub(in crate::store) conn: Connection,
    path: PathBuf,
    lock_timeout: Duration,
    recent: snapshots::Recent,
}

impl Sqlite {
    /// Open the store at `path`, creating an empty one if the file does not exist.
    pub fn open(path: &Path, lock_timeout: Duration) -> Result<Sqlite> {
        let conn = schema::open(path, lock_timeout)?;
        Ok(Sqlite {
            conn,
            path: path.to_owned(),
            lock_timeout,
            recent: snapshots::Recent::default(),
        })
    }

    /// An empty history held in memory, for reading a store that does not exist yet.
    pub fn empty() -> Result<Sqlite> {
        let path = Path::new(":memory:");
        Ok(Sqlite {
            conn: schema::open(path, DEFAULT_LOCK_TIMEOUT)?,
            path: path.to_owned(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            recent: snapshots::Recent::default(),
        })
    }
}

/// A failed start of a write transaction: "busy" once the lock timeout has passed.
fn locked_or(error: rusqlite::Error, path: &Path, waited: Duration) -> Error {
    if is_busy(&error) {
        return busy(Some(&path.display()), Some(waited));
    }
    Error::from(
        anyhow::Error::from(error).context(format!("cannot write to the store {}", path.display())),
    )
}

/// Whether SQLite gave up waiting for another connection's lock.
pub fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Whether SQLite found the file damaged, or a stored value is not of the type agentctl wrote.
pub fn is_damage(error: &rusqlite::Error) -> bool {
    use rusqlite::Error as E;
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    ) || matches!(
        error,
        E::FromSqlConversionFailure(..)
            | E::Utf8Error(..)
            | E::InvalidColumnType(..)
            | E::IntegralValueOutOfRange(..)
    )
}

/// A write that failed for want of space (or a file-size limit): said plainly, with what to do.
pub(crate) fn write_failed(error: rusqlite::Error, what: &str) -> Error {
    let full = matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure)
    );
    if full {
        Error::new(format!(
            "cannot write {what} to the store: {error}; the disk may be full, or a file-size limit reached"
        ))
        .hint("nothing was recorded; free some space and run the command again")
    } else {
        Error::from(anyhow::Error::from(error).context(format!("cannot write {what} to the store")))
    }
}

/// What a SQLite error means to the user: decided here, beside the store that raises it, so
/// the error module knows nothing of SQLite.
impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Error {
        if is_busy(&error) {
            return busy(None, None);
        }
        if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            return write_failed(error, "data");
        }
        if is_damage(&error) {
            return Error::new(format!("the store is damaged: {error}")).hint(
                "restore the store from a backup; `agentctl verify` lists what no longer reads",
            );
        }
        Error::from(anyhow::Error::from(error).context("store query failed"))
    }
}
