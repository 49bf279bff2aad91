//! What the store remembers about staging files, beside the publish history: the bytes that
//! `revert` and `restore` overwrote (so `undo` can put them back exactly), and the revert each
//! agent's next publish will name.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Sqlite, locked_or};
use crate::error::Result;
use crate::store::Entry;

/// How many overwritten versions of one staging file are kept for `undo`.
pub const BACKUPS_KEPT: i64 = 20;

/// A staging file as `revert` or `restore` found it, before writing over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    pub id: i64,
    pub agent: String,
    /// `revert` or `restore`.
    pub operation: String,
    /// The file, relative to the workspace (`agents/x.yaml`).
    pub file: String,
    /// The file's bytes before; `None` when there was no file.
    pub previous: Option<Vec<u8>>,
    /// SHA-256 (hex) of the bytes written over it: `undo` refuses once the file has moved on.
    pub written: String,
    /// The agent's pending revert before the operation, put back by `undo`.
    pub pending_before: Option<String>,
    pub created_at: String,
}

impl Sqlite {
    /// The publish that the agent's staging file came from a revert of, until its next publish.
    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        pending_revert(&self.conn, agent)
    }

    /// Start recording a staging write: one write transaction, committed once the file is
    /// written, so a failed write leaves no backup behind.
    pub fn staging_write(&mut self) -> Result<SqliteStagingWrite<'_>> {
        let (path, waited) = (&self.path, self.lock_timeout);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| locked_or(e, path, waited))?;
        Ok(SqliteStagingWrite { tx })
    }
}

pub(super) fn pending_revert(conn: &rusqlite::Connection, agent: &str) -> Result<Option<Entry>> {
    let id: Option<String> = conn
        .prepare_cached("SELECT reverts FROM pending_reverts WHERE agent = ?1")?
        .query_row(params![agent], |row| row.get(0))
        .optional()?;
    match id {
        Some(id) => super::history::by_id(conn, &id),
        None => Ok(None),
    }
}

/// An open write transaction over the staging tables. Dropping it records nothing.
pub struct SqliteStagingWrite<'s> {
    tx: rusqlite::Transaction<'s>,
}

impl SqliteStagingWrite<'_> {
    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        pending_revert(&self.tx, agent)
    }

    /// Make (or with `None`, stop) the agent's next publish a revert of `reverts`.
    pub fn set_pending_revert(&self, agent: &str, reverts: Option<&str>) -> Result<()> {
        set_pending_revert(&self.tx, agent, reverts)
    }

    /// Keep `backup` and forget the oldest beyond [`BACKUPS_KEPT`]; returns it with its id.
    pub fn keep(&self, backup: &Backup) -> Result<Backup> {
        self.tx
            .prepare_cached(
                "INSERT INTO staging_backups
                     (agent, operation, file, previous, written, pending_before, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                backup.agent,
                backup.operation,
                backup.file,
                backup.previous,
                backup.written,
                backup.pending_before,
                backup.created_at,
            ])?;
        let id = self.tx.last_insert_rowid();
        self.tx
            .prepare_cached(
                "DELETE FROM staging_backups WHERE agent = ?1 AND id NOT IN
                     (SELECT id FROM staging_backups WHERE agent = ?1 ORDER BY id DESC LIMIT ?2)",
            )?
            .execute(params![backup.agent, BACKUPS_KEPT])?;
        Ok(Backup {
            id,
            ..backup.clone()
        })
    }

    /// The newest backup of `agent`, or of any agent.
    pub fn last_backup(&self, agent: Option<&str>) -> Result<Option<Backup>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, agent, operation, file, previous, written, pending_before, created_at
             FROM staging_backups WHERE ?1 IS NULL OR agent = ?1 ORDER BY id DESC LIMIT 1",
        )?;
        let backup = stmt
            .query_row(params![agent], |row| {
                Ok(Backup {
                    id: row.get(0)?,
                    agent: row.get(1)?,
                    operation: row.get(2)?,
                    file: row.get(3)?,
                    previous: row.get(4)?,
                    written: row.get(5)?,
                    pending_before: row.get(6)?,
                    created_at: row.get(7)?,
                })
            })
            .optional()?;
        Ok(backup)
    }

    /// Drop a backup once `undo` has put it back.
    pub fn forget(&self, backup: &Backup) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM staging_backups WHERE id = ?1")?
            .execute(params![backup.id])?;
        Ok(())
    }

    pub fn commit(self) -> Result<()> {
        self.tx
            .commit()
            .map_err(|e| super::write_failed(e, "the staging change"))
    }
}

pub(super) fn set_pending_revert(
    conn: &rusqlite::Connection,
    agent: &str,
    reverts: Option<&str>,
) -> Result<()> {
    match reverts {
        Some(id) => conn
            .prepare_cached(
                "INSERT OR REPLACE INTO pending_reverts (agent, reverts) VALUES (?1, ?2)",
            )?
            .execute(params![agent, id])?,
        None => conn
            .prepare_cached("DELETE FROM pending_reverts WHERE agent = ?1")?
            .execute(params![agent])?,
    };
    Ok(())
}
