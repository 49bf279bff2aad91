//! Reading history from the SQLite file and appending to it.

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{Sqlite, locked_or, staging, write_failed};
use super::{changes, snapshots};
use crate::agent::Config;
use crate::change::Summary;
use crate::error::Result;
use crate::store::snapshots::{Recent, base_version, text};
use crate::store::{COLUMNS, Entry, Head, NewEntry, RawEntry, decode_entry, decode_snapshot};

impl Sqlite {
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

    /// Every agent's production, in name order, in one query: the skip-scan of
    /// [`Self::agents`], each agent's newest entry found by the (agent, version) index.
    pub fn heads(&self) -> Result<Vec<Head>> {
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE agents(name) AS (
                 SELECT min(agent) FROM history
                 UNION ALL
                 SELECT (SELECT min(agent) FROM history WHERE agent > agents.name)
                 FROM agents WHERE agents.name IS NOT NULL
             )
             SELECT agent, version, change_track_id, published_at, snapshot
             FROM history WHERE seq IN (
                 SELECT (SELECT seq FROM history WHERE agent = agents.name
                         ORDER BY version DESC LIMIT 1)
                 FROM agents WHERE agents.name IS NOT NULL
             )
             ORDER BY agent",
        )?;
        let heads = stmt
            .query_map([], |row| {
                Ok(Head {
                    agent: row.get(0)?,
                    version: row.get::<_, i64>(1)? as u64,
                    change_track_id: row.get(2)?,
                    published_at: row.get(3)?,
                    snapshot: row.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(heads)
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
/// An open write transaction. Dropping it without [`Publishing::commit`] records nothing.
pub struct SqlitePublishing<'s> {
    tx: rusqlite::Transaction<'s>,
    dry_run: bool,
    recent: &'s Recent,
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
        let base = match base_version(entry.version) {
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
        let summary =
            crate::store::summary::encode(&entry.summary).context("cannot encode the summary")?;
        self.tx
            .prepare_cached(
                "INSERT INTO history (agent, version, change_track_id, parent, author,
                     published_at, message, snapshot, summary, reverts, git_commit, rules)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
                entry.rules,
            ])?;
        // Published: staging no longer "came from a revert".
        staging::set_pending_revert(&self.tx, &entry.agent, None)?;
        let identity = entry.recorded_rules()?.identity_keys();
        changes::record(
            &self.tx,
            &entry.agent,
            entry.version,
            new.changes,
            &identity,
        )?;
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
pub(crate) fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<RawEntry> {
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
            rules: row.get(11)?,
        },
        row.get(8)?,
    ))
}

fn head(conn: &Connection, agent: &str) -> Result<Option<Entry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM history WHERE agent = ?1 ORDER BY version DESC LIMIT 1"
    ))?;
    let raw = stmt.query_row(params![agent], entry_from_row).optional()?;
    raw.map(decode_entry).transpose()
}

pub(super) fn by_id(conn: &Connection, change_track_id: &str) -> Result<Option<Entry>> {
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

fn snapshot(conn: &Connection, recent: &Recent, hash: &str) -> Result<Config> {
    decode_snapshot(hash, &text(conn, recent, hash)?)
}
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::{DEFAULT_LOCK_TIMEOUT, Store, change_track_id};

    fn config(name: &str) -> Config {
        serde_json::json!({"name": name})
            .as_object()
            .cloned()
            .unwrap()
    }

    pub(crate) fn publish(store: &mut Store, agent: &str, name: &str) -> Entry {
        let config = config(name);
        let summary = Summary::default();
        let publishing = store.publishing(false).unwrap();
        let head = publishing.head(agent).unwrap();
        // The changes a real publish records, so that `verify` finds them sound.
        let production = match &head {
            Some(head) => publishing.snapshot(head).unwrap(),
            None => crate::agent::Config::new(),
        };
        let changes = crate::change::diff(&production, &config);
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
                    changes: &changes,
                    reverts: None,
                    git_commit: None,
                    rules: None,
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
