//! The production head of each agent, kept between requests so that a conditional
//! `GET /api/v2/agents/{agent_id}` whose tag still matches is answered on the async side,
//! without the blocking pool or a store query.
//!
//! A kept head is trusted only while the store is provably unchanged since it was read. On
//! SQLite that proof is `PRAGMA data_version` on a connection of our own that never writes:
//! SQLite changes it whenever any other connection, in this process or another, commits (it
//! reads the WAL index in shared memory, no file I/O), together with the store file's identity
//! (device and inode) so a store replaced on disk is not mistaken for the old one. On
//! PostgreSQL there is no such counter to read without a round trip to the server, which costs
//! what the lookup itself costs, so nothing is kept and every request asks the store.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::store::Location;

/// How many agents' heads are kept; past it the table starts afresh.
const HEADS_KEPT: usize = 4096;

/// The heads, and how to tell the store has not changed since they were read.
pub struct Heads {
    /// The SQLite store file; `None` on PostgreSQL, where nothing is kept.
    file: Option<PathBuf>,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    watch: Option<Watch>,
    /// The store's state when `heads` were read: they hold only while it stays the same.
    seen: Option<Stamp>,
    /// agent → the change_track_id of its production.
    heads: HashMap<String, String>,
}

/// A read-only use of a connection opened on the store file, for its `data_version` only.
struct Watch {
    connection: rusqlite::Connection,
    file: FileId,
}

/// One state of the store: any commit by another connection changes `data_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    file: FileId,
    data_version: i64,
}

/// The identity of a file on disk.
type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(path: &std::path::Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &std::path::Path) -> Option<FileId> {
    std::fs::metadata(path).ok().map(|_| (0, 0))
}

impl Heads {
    pub fn new(location: &Location) -> Heads {
        Heads {
            file: match location {
                Location::File(path) => Some(path.clone()),
                Location::Url(_) => None,
            },
            kept: Mutex::new(Kept::default()),
        }
    }

    /// The production of `agent` if it is kept and the store has not changed since it was
    /// read; `None` sends the request to the store. Never opens anything, never waits for a
    /// lock (an `SQLITE_BUSY` is `None`), so it may run on the async side.
    pub fn production(&self, agent: &str) -> Option<String> {
        let file = self.file.as_ref()?;
        let mut kept = self.kept.lock().ok()?;
        let now = kept.stamp(file);
        if now.is_none() || now != kept.seen {
            kept.forget(now);
            return None;
        }
        kept.heads.get(agent).cloned()
    }

    /// Before reading a production from the store: the store's state now, opening the watch
    /// connection if needed (which may block, so only on the blocking pool). What is read
    /// after this call is at least this state.
    pub fn before_reading(&self) -> Option<Stamp> {
        let file = self.file.as_ref()?;
        let mut kept = self.kept.lock().ok()?;
        let id = file_id(file)?;
        if kept.watch.as_ref().is_none_or(|w| w.file != id) {
            kept.watch = Watch::open(file, id);
        }
        let now = kept.stamp(file);
        if now != kept.seen {
            kept.forget(now);
        }
        now
    }

    /// Keep `agent`'s production `change_track_id`, read after [`Heads::before_reading`]
    /// returned `stamp`, unless the store has been seen to change since.
    pub fn remember(&self, stamp: Option<Stamp>, agent: &str, change_track_id: &str) {
        let Some(stamp) = stamp else { return };
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if kept.seen != Some(stamp) {
            return;
        }
        if kept.heads.len() >= HEADS_KEPT {
            kept.heads.clear();
        }
        kept.heads
            .insert(agent.to_owned(), change_track_id.to_owned());
    }

    /// Close the watch connection (for the end of the server).
    pub fn close(&self) {
        if let Ok(mut kept) = self.kept.lock() {
            *kept = Kept::default();
        }
    }
}

impl Kept {
    /// The store's state now; `None` when it cannot be told (no watch yet, the file replaced
    /// or gone, the store busy).
    fn stamp(&self, file: &std::path::Path) -> Option<Stamp> {
        let watch = self.watch.as_ref()?;
        if file_id(file)? != watch.file {
            return None;
        }
        // Prepared once and kept: preparing costs more than running it.
        let data_version = watch
            .connection
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut statement| statement.query_row([], |row| row.get::<_, i64>(0)))
            .ok()?;
        Some(Stamp {
            file: watch.file,
            data_version,
        })
    }

    fn forget(&mut self, now: Option<Stamp>) {
        self.heads.clear();
        self.seen = now;
    }
}

impl Watch {
    fn open(file: &std::path::Path, id: FileId) -> Option<Watch> {
        use rusqlite::OpenFlags;
        // Read-write without create: a read-only connection cannot read a WAL store whose
        // shared-memory file it may not create. It never writes; no busy timeout, so a
        // locked store is a miss, never a wait on the async side.
        let connection = rusqlite::Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        // Opened after `id` was read: the file it opened must still be that one.
        if file_id(file)? != id {
            return None;
        }
        Some(Watch {
            connection,
            file: id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store file in `journal_mode` (the store's own is WAL) and a connection writing to it.
    fn store(journal_mode: &str) -> (tempfile::TempDir, PathBuf, rusqlite::Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let writer = rusqlite::Connection::open(&path).unwrap();
        writer
            .execute_batch(&format!(
                "PRAGMA journal_mode={journal_mode}; CREATE TABLE t (x INTEGER);"
            ))
            .unwrap();
        (dir, path, writer)
    }

    #[test]
    fn a_head_is_kept_until_any_other_connection_commits() {
        let (_dir, path, writer) = store("WAL");
        let heads = Heads::new(&Location::File(path.clone()));
        assert_eq!(heads.production("bot"), None);
        let stamp = heads.before_reading();
        assert!(stamp.is_some());
        heads.remember(stamp, "bot", "aaaa");
        assert_eq!(heads.production("bot").as_deref(), Some("aaaa"));
        assert_eq!(heads.production("other"), None);
        // A commit by another connection, about any agent, forgets every head.
        writer.execute("INSERT INTO t VALUES (1)", []).unwrap();
        assert_eq!(heads.production("bot"), None);
        // A head read before a commit is not kept after it.
        let stale = heads.before_reading();
        writer.execute("INSERT INTO t VALUES (2)", []).unwrap();
        assert_eq!(heads.production("bot"), None);
        heads.remember(stale, "bot", "aaaa");
        assert_eq!(heads.production("bot"), None);
    }

    #[test]
    fn a_store_replaced_on_disk_forgets_the_heads() {
        // Rollback journal: a WAL file would outlive the file it belonged to.
        let (dir, path, writer) = store("DELETE");
        let heads = Heads::new(&Location::File(path.clone()));
        heads.remember(heads.before_reading(), "bot", "aaaa");
        assert_eq!(heads.production("bot").as_deref(), Some("aaaa"));
        drop(writer);
        let other = dir.path().join("other.db");
        rusqlite::Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER);")
            .unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(heads.production("bot"), None);
        heads.remember(heads.before_reading(), "bot", "bbbb");
        assert_eq!(heads.production("bot").as_deref(), Some("bbbb"));
    }

    #[test]
    fn nothing_is_kept_on_postgresql_or_before_the_store_exists() {
        let heads = Heads::new(&Location::Url("postgres://localhost/x".to_owned()));
        heads.remember(heads.before_reading(), "bot", "aaaa");
        assert_eq!(heads.production("bot"), None);
        let dir = tempfile::tempdir().unwrap();
        let heads = Heads::new(&Location::File(dir.path().join("none.db")));
        heads.remember(heads.before_reading(), "bot", "aaaa");
        assert_eq!(heads.production("bot"), None);
        assert!(!dir.path().join("none.db").exists());
    }
}
