//! The publish history: an append-only list of entries per agent, each pointing at a snapshot
//! stored once by its content hash (mostly as a compressed delta, see `snapshots`), chained by
//! `change_track_id` like git's commits.
//!
//! Production of an agent is its newest entry. Commands reach SQLite only through [`Store`] and
//! [`Publishing`]; nothing here prints.

mod backend;
mod changes;
#[cfg(feature = "postgres")]
mod postgres;
mod schema;
mod snapshots;
mod staging;
mod verify;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::agent::{Config, canonical_config, canonical_json};
use crate::change::{Change, Summary};
use crate::error::{Error, Result};

pub use backend::{Publishing, StagingWrite, Store, is_url, redact};
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use staging::{BACKUPS_KEPT, Backup, SqliteStagingWrite};
pub use verify::{Problem, ProblemKind, Report};

/// How long a writer waits for another one before giving up.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// One publish of one agent, without its snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub agent: String,
    pub version: u64,
    pub change_track_id: String,
    pub parent: Option<String>,
    pub author: String,
    pub published_at: String,
    pub message: String,
    pub snapshot: String,
    pub summary: Summary,
    pub reverts: Option<String>,
    pub git_commit: Option<String>,
}

impl Entry {
    /// The first 8 hex digits of the id, as shown to people.
    pub fn short_id(&self) -> &str {
        short(&self.change_track_id)
    }
}

pub fn short(id: &str) -> &str {
    // `get` rather than slicing: an id edited into something odd must not panic.
    id.get(..8).unwrap_or(id)
}

/// What a publish records; the store adds the version, parent and ids.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub agent: &'a str,
    pub author: &'a str,
    pub published_at: &'a str,
    pub message: &'a str,
    pub config: &'a Config,
    pub summary: &'a Summary,
    /// The changes against the parent, as `summary` counts them: recorded by path for
    /// `log --touching` and `blame`.
    pub changes: &'a [Change],
    pub reverts: Option<&'a str>,
    pub git_commit: Option<&'a str>,
}

impl NewEntry<'_> {
    /// The entry this publish becomes after `parent`: its version, parent link, snapshot hash
    /// and `change_track_id` (the hash chain). Both stores record exactly this.
    pub fn entry_after(&self, parent: Option<&Entry>) -> Entry {
        let entry = Entry {
            agent: self.agent.to_owned(),
            version: parent.map_or(1, |p| p.version + 1),
            change_track_id: String::new(),
            parent: parent.map(|p| p.change_track_id.clone()),
            author: self.author.to_owned(),
            published_at: self.published_at.to_owned(),
            message: self.message.to_owned(),
            snapshot: snapshot_hash(self.config),
            summary: self.summary.clone(),
            reverts: self.reverts.map(str::to_owned),
            git_commit: self.git_commit.map(str::to_owned),
        };
        Entry {
            change_track_id: change_track_id(&entry),
            ..entry
        }
    }
}

pub struct Sqlite {
    conn: Connection,
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

    /// The newest entry of `agent`: its production.
    pub fn head(&self, agent: &str) -> Result<Option<Entry>> {
        head(&self.conn, agent)
    }

    /// Every agent that has been published at least once, in name order.
    pub fn agents(&self) -> Result<Vec<String>> {
        // A skip-scan over the (agent, version) index: one seek per agent, however long the
        // histories are (`SELECT DISTINCT` would read every entry).
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE agents(agent) AS (
                 SELECT min(agent) FROM history
                 UNION ALL
                 SELECT (SELECT min(agent) FROM history WHERE agent > agents.agent)
                 FROM agents WHERE agents.agent IS NOT NULL
             )
             SELECT agent FROM agents WHERE agent IS NOT NULL",
        )?;
        let agents = stmt
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(agents)
    }

    /// Newest first; all agents when `agent` is `None`. Uses the indexes on (agent, version)
    /// and on the global publish order, so the first page costs the same at any history length.
    pub fn log(&self, agent: Option<&str>, limit: Option<usize>) -> Result<Vec<Entry>> {
        let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let entries = match agent {
            Some(agent) => {
                let mut stmt = self.conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM history WHERE agent = ?1 ORDER BY version DESC LIMIT ?2"
                ))?;
                stmt.query_map(params![agent, limit], entry_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            }
            None => {
                let mut stmt = self.conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM history ORDER BY seq DESC LIMIT ?1"
                ))?;
                stmt.query_map(params![limit], entry_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            }
        };
        entries.into_iter().map(decode_entry).collect()
    }

    pub fn entry(&self, agent: &str, version: u64) -> Result<Option<Entry>> {
        entry_at(&self.conn, agent, version)
    }

    pub fn by_id(&self, change_track_id: &str) -> Result<Option<Entry>> {
        by_id(&self.conn, change_track_id)
    }

    /// The snapshot an entry points at.
    pub fn snapshot(&self, entry: &Entry) -> Result<Config> {
        snapshot(&self.conn, &self.recent, &entry.snapshot)
    }

    /// Up to `limit` of `agent`'s entries whose id starts with `prefix` (lower-case hex), in
    /// id order.
    pub fn by_prefix(&self, agent: &str, prefix: &str, limit: usize) -> Result<Vec<Entry>> {
        // `+agent` keeps SQLite on the id index: a prefix range is far more selective than an
        // agent, whose history may be long.
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM history
             WHERE change_track_id >= ?1 AND change_track_id < ?1 || 'g' AND +agent = ?2
             ORDER BY change_track_id LIMIT ?3"
        ))?;
        let raw = stmt
            .query_map(params![prefix, agent, limit as i64], entry_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter().map(decode_entry).collect()
    }

    /// Start a publish: one write transaction for every agent of the call. Writers queue on
    /// the lock (up to the lock timeout) instead of failing with "database is locked".
    /// A dry run reads in a plain transaction and writes nothing, so it works on a store it
    /// may not write to.
    pub fn publishing(&mut self, dry_run: bool) -> Result<SqlitePublishing<'_>> {
        let behavior = if dry_run {
            TransactionBehavior::Deferred
        } else {
            TransactionBehavior::Immediate
        };
        let (path, waited) = (&self.path, self.lock_timeout);
        let tx = self
            .conn
            .transaction_with_behavior(behavior)
            .map_err(|e| locked_or(e, path, waited))?;
        Ok(SqlitePublishing {
            tx,
            dry_run,
            recent: &self.recent,
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

/// The error for a store another process kept locked for longer than we wait: never SQLite's
/// bare "database is locked".
pub fn busy(store: Option<&dyn std::fmt::Display>, waited: Option<Duration>) -> Error {
    let store = store.map_or("the store".to_owned(), |s| format!("the store {s}"));
    let waited = waited.map_or(String::new(), |w| {
        format!(" for more than {}", show_duration(w))
    });
    Error::new(format!(
        "{store} is busy: another agentctl has been writing to it{waited}"
    ))
    .hint("try again when the other command has finished, or wait longer with --lock-timeout")
}

/// A duration as the user would type it for --lock-timeout: `30s`, `500ms`, `1.5s`.
pub fn show_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{}ms", duration.as_millis())
    } else {
        format!("{}s", duration.as_secs_f64())
    }
}

/// An open write transaction. Dropping it without [`Publishing::commit`] records nothing.
pub struct SqlitePublishing<'s> {
    tx: rusqlite::Transaction<'s>,
    dry_run: bool,
    recent: &'s snapshots::Recent,
}

impl SqlitePublishing<'_> {
    /// Production as seen inside the transaction: the decision whether there is anything to
    /// publish is taken here, so two identical publishes racing each other record one entry.
    pub fn head(&self, agent: &str) -> Result<Option<Entry>> {
        head(&self.tx, agent)
    }

    pub fn snapshot(&self, entry: &Entry) -> Result<Config> {
        snapshot(&self.tx, self.recent, &entry.snapshot)
    }

    /// The revert the agent's staging came from, which its publish names (see `revert`).
    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        staging::pending_revert(&self.tx, agent)
    }

    /// Append the next version of an agent after `parent`, the head read in this transaction,
    /// and return the entry as stored.
    pub fn append(&self, parent: Option<&Entry>, new: &NewEntry<'_>) -> Result<Entry> {
        let entry = new.entry_after(parent);
        if self.dry_run {
            return Ok(entry);
        }
        // Stored as a delta against the snapshot of an earlier version (see `snapshots`).
        let base = match snapshots::base_version(entry.version) {
            None => None,
            Some(version) => match parent {
                Some(parent) if parent.version == version => Some(parent.snapshot.clone()),
                _ => entry_at(&self.tx, &entry.agent, version)?.map(|base| base.snapshot),
            },
        };
        snapshots::insert(
            &self.tx,
            self.recent,
            &entry.snapshot,
            &serde_json::to_string(new.config).context("cannot encode the snapshot")?,
            base.as_deref(),
        )?;
        let summary = serde_json::to_string(&entry.summary).context("cannot encode the summary")?;
        self.tx
            .prepare_cached(
                "INSERT INTO history (agent, version, change_track_id, parent, author,
                     published_at, message, snapshot, summary, reverts, git_commit)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                entry.agent,
                entry.version as i64,
                entry.change_track_id,
                entry.parent,
                entry.author,
                entry.published_at,
                entry.message,
                entry.snapshot,
                summary,
                entry.reverts,
                entry.git_commit,
            ])?;
        // Published: staging no longer "came from a revert".
        staging::set_pending_revert(&self.tx, &entry.agent, None)?;
        changes::record(&self.tx, &entry.agent, entry.version, new.changes)?;
        Ok(entry)
    }

    /// Record everything appended; a dry run ends here without writing.
    pub fn commit(self) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        self.tx.commit().map_err(|e| write_failed(e, "the publish"))
    }
}

const COLUMNS: &str = "agent, version, change_track_id, parent, author, published_at, message, \
                       snapshot, summary, reverts, git_commit";

/// A row as read; the summary is still JSON text.
pub(super) type RawEntry = (Entry, String);

fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok((
        Entry {
            agent: row.get(0)?,
            version: row.get::<_, i64>(1)? as u64,
            change_track_id: row.get(2)?,
            parent: row.get(3)?,
            author: row.get(4)?,
            published_at: row.get(5)?,
            message: row.get(6)?,
            snapshot: row.get(7)?,
            summary: Summary::default(),
            reverts: row.get(9)?,
            git_commit: row.get(10)?,
        },
        row.get(8)?,
    ))
}

fn decode_entry((entry, summary): RawEntry) -> Result<Entry> {
    let summary = serde_json::from_str(&summary).with_context(|| {
        format!(
            "the summary of {} v{} in the store is damaged",
            entry.agent, entry.version
        )
    })?;
    Ok(Entry { summary, ..entry })
}

fn head(conn: &Connection, agent: &str) -> Result<Option<Entry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM history WHERE agent = ?1 ORDER BY version DESC LIMIT 1"
    ))?;
    let raw = stmt.query_row(params![agent], entry_from_row).optional()?;
    raw.map(decode_entry).transpose()
}

fn by_id(conn: &Connection, change_track_id: &str) -> Result<Option<Entry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM history WHERE change_track_id = ?1"
    ))?;
    let raw = stmt
        .query_row(params![change_track_id], entry_from_row)
        .optional()?;
    raw.map(decode_entry).transpose()
}

fn entry_at(conn: &Connection, agent: &str, version: u64) -> Result<Option<Entry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM history WHERE agent = ?1 AND version = ?2"
    ))?;
    let raw = stmt
        .query_row(params![agent, version as i64], entry_from_row)
        .optional()?;
    raw.map(decode_entry).transpose()
}

fn snapshot(conn: &Connection, recent: &snapshots::Recent, hash: &str) -> Result<Config> {
    decode_snapshot(hash, &snapshots::text(conn, recent, hash)?)
}

fn decode_snapshot(hash: &str, content: &str) -> Result<Config> {
    // The parser already bounds nesting (128 levels); serde_json's own limit is one level
    // tighter and would turn a valid, published configuration into an unreadable one.
    let mut reader = serde_json::Deserializer::from_str(content);
    reader.disable_recursion_limit();
    match serde::Deserialize::deserialize(&mut reader) {
        Ok(Value::Object(config)) => Ok(config),
        Ok(_) => Err(Error::new(format!(
            "snapshot {hash} in the store is damaged: it is not a mapping"
        ))),
        Err(e) => Err(Error::new(format!(
            "snapshot {hash} in the store is damaged: {e}"
        ))),
    }
}

/// Whether `reference` has the form of a REF to a publish, before looking anything up.
pub fn check_reference(reference: &str) -> Result<()> {
    if matches!(reference, "production" | "prod")
        || is_version(reference)
        || is_id_prefix(reference)
    {
        return Ok(());
    }
    Err(
        Error::new(format!("`{reference}` is not a reference to a publish")).hint(
            "a REF is production, staging, vN (v1 is the first publish) or 4+ hex digits of a \
             change_track_id",
        ),
    )
}

fn is_version(reference: &str) -> bool {
    reference.len() > 1
        && reference.starts_with('v')
        && reference[1..].bytes().all(|b| b.is_ascii_digit())
}

fn is_id_prefix(reference: &str) -> bool {
    (4..=64).contains(&reference.len()) && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The hash a snapshot of `config` is stored under: SHA-256 of its canonical JSON. Two
/// configurations are equal exactly when their hashes are.
pub fn snapshot_hash(config: &Config) -> String {
    sha256_hex(canonical_config(config).as_bytes())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    hex
}

/// SHA-256 over the parent's id and the entry's content: changing any stored field of any
/// entry changes every id after it, which is what `verify` checks.
pub fn change_track_id(entry: &Entry) -> String {
    let content = serde_json::json!({
        "agent": entry.agent,
        "version": entry.version,
        "author": entry.author,
        "published_at": entry.published_at,
        "message": entry.message,
        "snapshot": entry.snapshot,
        "summary": entry.summary,
        "reverts": entry.reverts,
        "git_commit": entry.git_commit,
    });
    let mut hashed = entry.parent.clone().unwrap_or_default();
    hashed.push('\n');
    hashed.push_str(&canonical_json(&content));
    sha256_hex(hashed.as_bytes())
}

/// Histories for the tests of the modules that read them.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::change;

    pub fn config(value: Value) -> Config {
        value.as_object().cloned().unwrap()
    }

    /// Every snapshot of the store at `path` as the plain JSON text stores kept before
    /// schema version 4, by hash.
    pub fn plain_snapshots(path: &std::path::Path) -> Vec<(String, String)> {
        let store = Store::open(path, DEFAULT_LOCK_TIMEOUT).unwrap();
        let mut texts: Vec<(String, String)> = store
            .log(None, None)
            .unwrap()
            .iter()
            .map(|entry| {
                let config = store.snapshot(entry).unwrap();
                (entry.snapshot.clone(), Value::Object(config).to_string())
            })
            .collect();
        texts.sort();
        texts.dedup();
        texts
    }

    /// A store where agent `a` published each configuration in turn (v1, v2, …).
    pub fn history(configs: &[Value]) -> (tempfile::TempDir, Store) {
        let steps: Vec<(&str, Value)> = configs.iter().map(|c| ("a", c.clone())).collect();
        history_of(&steps)
    }

    /// A store (`s.db` in the folder returned) where each agent published each of its
    /// configurations in the order given.
    pub fn history_of(steps: &[(&str, Value)]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), DEFAULT_LOCK_TIMEOUT).unwrap();
        let mut production = std::collections::HashMap::new();
        for (agent, value) in steps {
            let after = config(value.clone());
            let changes = change::diff(production.get(agent).unwrap_or(&Config::new()), &after);
            let publishing = store.publishing(false).unwrap();
            let head = publishing.head(agent).unwrap();
            let new = NewEntry {
                agent,
                author: "me",
                published_at: "2026-01-01T00:00:00Z",
                message: "m",
                config: &after,
                summary: &Summary::of(&changes),
                changes: &changes,
                reverts: None,
                git_commit: None,
            };
            publishing.append(head.as_ref(), &new).unwrap();
            publishing.commit().unwrap();
            production.insert(*agent, after);
        }
        (dir, store)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn config(name: &str) -> Config {
        serde_json::json!({"name": name})
            .as_object()
            .cloned()
            .unwrap()
    }

    pub(super) fn publish(store: &mut Store, agent: &str, name: &str) -> Entry {
        let config = config(name);
        let summary = Summary::default();
        let publishing = store.publishing(false).unwrap();
        let head = publishing.head(agent).unwrap();
        let entry = publishing
            .append(
                head.as_ref(),
                &NewEntry {
                    agent,
                    author: "me",
                    published_at: "2026-01-01T00:00:00Z",
                    message: "m",
                    config: &config,
                    summary: &summary,
                    changes: &[],
                    reverts: None,
                    git_commit: None,
                },
            )
            .unwrap();
        publishing.commit().unwrap();
        entry
    }

    #[test]
    fn versions_chain_and_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), DEFAULT_LOCK_TIMEOUT).unwrap();
        let v1 = publish(&mut store, "a", "one");
        let v2 = publish(&mut store, "a", "two");
        publish(&mut store, "b", "one");
        assert_eq!((v1.version, v2.version), (1, 2));
        assert_eq!(v2.parent.as_deref(), Some(v1.change_track_id.as_str()));
        assert_eq!(change_track_id(&v2), v2.change_track_id);
        assert_eq!(store.resolve("a", "production").unwrap(), v2);
        assert_eq!(store.resolve("a", "v1").unwrap(), v1);
        assert_eq!(store.resolve("a", &v1.change_track_id[..6]).unwrap(), v1);
        assert!(store.resolve("a", "v3").is_err());
        assert!(store.resolve("a", "zzzz").is_err());
        assert!(store.resolve("c", "production").is_err());
        assert_eq!(store.snapshot(&v1).unwrap(), config("one"));
        assert_eq!(store.agents().unwrap(), ["a", "b"]);
        let log = store.log(None, Some(2)).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].agent, "b");
    }

    #[test]
    fn identical_snapshots_are_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), DEFAULT_LOCK_TIMEOUT).unwrap();
        let v1 = publish(&mut store, "a", "same");
        let v2 = publish(&mut store, "b", "same");
        assert_eq!(v1.snapshot, v2.snapshot);
        let count: i64 = store
            .conn
            .query_row("SELECT count(*) FROM snapshots", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 1);
    }
}
