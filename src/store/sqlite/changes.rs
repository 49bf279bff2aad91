//! The recorded changes in the SQLite file: the table as migrations 2 and 5, recording a
//! publish's rows (kept values as text or a zstd frame, per-line versions as deltas), and the
//! queries of `log --touching` and `blame`. What the rows hold is decided at the top, in
//! `store::changes`, for both stores.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::Value;

use super::Sqlite;
use crate::agent::Config;
use crate::change::{self, Change, Path};
use crate::error::{Error, Result};
use crate::store::changes::{
    Recorded, Row, Setting, decode_value, line_versions, lines_as_of, rows, shape,
};
use crate::store::decode_snapshot;
use crate::store::snapshots::{compress, decompress};

/// Migration 2: the table, and the index of the rows that set a value.
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE changes (
        agent   TEXT NOT NULL,
        version INTEGER NOT NULL,
        path    TEXT NOT NULL,
        -- added, removed, changed, reordered (a keyed list's order); NULL: only paths under it
        kind    TEXT CHECK (kind IN ('added', 'removed', 'changed', 'reordered')),
        -- JSON of the values before and after, kept when they are mappings or lists
        old     TEXT,
        new     TEXT,
        -- JSON array: for a multi-line string set here, the version that last changed each line
        lines   TEXT,
        PRIMARY KEY (agent, path, version),
        FOREIGN KEY (agent, version) REFERENCES history (agent, version)
    ) WITHOUT ROWID;

    CREATE INDEX changes_setting ON changes (agent, path, version)
        WHERE kind IN ('added', 'removed', 'changed');

    CREATE TRIGGER changes_update_refused BEFORE UPDATE ON changes
    BEGIN SELECT RAISE(ABORT, 'recorded changes are append-only'); END;
    CREATE TRIGGER changes_delete_refused BEFORE DELETE ON changes
    BEGIN SELECT RAISE(ABORT, 'recorded changes are append-only'); END;
"#;

/// Migration 5: the kept values of older stores are rewritten as shapes ([`reshape`]), which
/// the append-only trigger would refuse; it is put back at the end.
pub(super) const RESHAPE: &str = "DROP TRIGGER changes_update_refused;";

/// The rows that set the value at their path (a reorder only moves items), through their
/// index: without statistics SQLite would rather filter the primary key's range, which holds
/// a row for every change under the path (every tool edit, for `tools`).
const SETTING: &str = "changes INDEXED BY changes_setting
    WHERE kind IN ('added', 'removed', 'changed')";

/// A kept value as stored: its JSON text, or a zstd frame of it when that is shorter.
fn encode_kept(text: Option<String>) -> Result<Option<SqlValue>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let frame = compress(text.as_bytes(), b"", KEPT_LEVEL)
        .map_err(|e| Error::new(format!("cannot compress a recorded change: {e}")))?;
    Ok(Some(match frame.len() < text.len() {
        true => SqlValue::Blob(frame),
        false => SqlValue::Text(text),
    }))
}

/// A kept value as read back: JSON text, from a frame or as it was stored.
pub(in crate::store) fn decode_kept(value: ValueRef<'_>) -> rusqlite::Result<Option<String>> {
    let damaged = |why: String| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Blob,
            format!("a recorded change in the store is damaged: {why}").into(),
        )
    };
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Text(text) => String::from_utf8(text.to_vec())
            .map(Some)
            .map_err(|e| damaged(e.to_string())),
        ValueRef::Blob(frame) => decompress(frame, b"").map(Some).map_err(damaged),
        _ => Err(damaged("a kept value is a number".to_owned())),
    }
}

/// Kept values are written once and read by `log --touching`: worth zstd's tighter levels.
const KEPT_LEVEL: i32 = 9;

/// Record the changes of `agent`'s `version`, inside the caller's transaction.
pub(super) fn record(
    conn: &Connection,
    agent: &str,
    version: u64,
    changes: &[Change],
    identity: &[String],
) -> Result<()> {
    let rows = rows(changes, identity);
    // The per-line versions of the multi-line strings set here, by path.
    let mut lines: BTreeMap<String, SqlValue> = BTreeMap::new();
    for change in changes {
        let path = change.path.to_string();
        if let Some(versions) = line_versions(conn, agent, version, change)?
            && rows.contains_key(&path)
        {
            let encoded = encode_lines(conn, agent, &path, version, &versions)?;
            lines.insert(path, encoded);
        }
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO changes (agent, version, path, kind, old, new, lines)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (path, row) in rows {
        let Row { kind, old, new } = row;
        let lines = lines.remove(&path);
        let (old, new) = (encode_kept(old)?, encode_kept(new)?);
        insert.execute(params![agent, version as i64, path, kind, old, new, lines])?;
    }
    Ok(())
}

impl Recorded for Connection {
    fn settings(
        &self,
        agent: &str,
        path: &Path,
        upto: u64,
        limit: Option<usize>,
    ) -> Result<Vec<u64>> {
        settings(self, agent, path, upto, limit)
    }

    fn recorded_lines(&self, agent: &str, path: &str, version: u64) -> Result<Option<Vec<u64>>> {
        recorded_lines(self, agent, path, version)
    }
}

/// How many deltas may follow a row of per-line versions kept as text.
const LINES_CHAIN: usize = 32;

/// The per-line versions recorded at `path` by `version`, for the row being written: JSON text,
/// or a zstd delta against the newest row before it at the same path.
fn encode_lines(
    conn: &Connection,
    agent: &str,
    path: &str,
    version: u64,
    lines: &[u64],
) -> Result<SqlValue> {
    let text = Value::from(lines).to_string();
    let before = lines_chain(conn, agent, path, version.saturating_sub(1))?;
    Ok(match before {
        Some((base, deltas)) if deltas < LINES_CHAIN => SqlValue::Blob(
            compress(text.as_bytes(), base.as_bytes(), 3)
                .map_err(|e| Error::new(format!("cannot compress per-line versions: {e}")))?,
        ),
        _ => SqlValue::Text(text),
    })
}

/// The per-line versions recorded at `path` by `version` exactly, if that row holds them.
fn recorded_lines(
    conn: &Connection,
    agent: &str,
    path: &str,
    version: u64,
) -> Result<Option<Vec<u64>>> {
    let held = conn
        .prepare_cached(
            "SELECT lines IS NOT NULL FROM changes WHERE agent = ?1 AND path = ?2 AND version = ?3",
        )?
        .query_row(params![agent, path, version as i64], |row| row.get(0))
        .optional()?;
    if held != Some(true) {
        return Ok(None);
    }
    let Some((text, _)) = lines_chain(conn, agent, path, version)? else {
        return Ok(None);
    };
    let versions = serde_json::from_str(&text)
        .map_err(|e| Error::new(format!("a recorded change in the store is damaged: {e}")))?;
    Ok(Some(versions))
}

/// Per-line versions read row by row in (agent, version) order, as `verify` reads them: each
/// delta is against the row before it at the same path, which such a walk has just read.
#[derive(Default)]
pub(in crate::store) struct LinesInOrder(HashMap<(String, String), String>);

impl LinesInOrder {
    pub(in crate::store) fn decode(
        &mut self,
        agent: &str,
        path: &str,
        stored: ValueRef<'_>,
    ) -> Result<Option<Vec<u64>>> {
        let damaged = |why: &str| {
            Error::new(format!(
                "the per-line versions of {agent}'s {path} recorded in the store are damaged: {why}"
            ))
        };
        let key = (agent.to_owned(), path.to_owned());
        let text = match stored {
            ValueRef::Null => return Ok(None),
            ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned(),
            ValueRef::Blob(delta) => {
                let base = self
                    .0
                    .get(&key)
                    .ok_or_else(|| damaged("a delta has nothing before it"))?;
                decompress(delta, base.as_bytes()).map_err(|e| damaged(&e))?
            }
            _ => return Err(damaged("neither text nor a delta")),
        };
        let versions = serde_json::from_str(&text).map_err(|e| damaged(&e.to_string()))?;
        self.0.insert(key, text);
        Ok(Some(versions))
    }
}

/// The JSON text of the newest per-line versions at `path` up to version `upto`, and how
/// many deltas were decoded to get it.
fn lines_chain(
    conn: &Connection,
    agent: &str,
    path: &str,
    upto: u64,
) -> Result<Option<(String, usize)>> {
    let mut select = conn.prepare_cached(
        "SELECT lines FROM changes
         WHERE agent = ?1 AND path = ?2 AND version <= ?3 AND lines IS NOT NULL
         ORDER BY version DESC",
    )?;
    let mut rows = select.query(params![agent, path, upto as i64])?;
    let mut deltas: Vec<Vec<u8>> = Vec::new();
    let damaged = |why: &str| {
        Error::new(format!(
            "the per-line versions of {path} recorded in the store are damaged: {why}"
        ))
    };
    let mut text = loop {
        let Some(row) = rows.next()? else {
            return match deltas.is_empty() {
                true => Ok(None),
                false => Err(damaged("a delta has nothing before it")),
            };
        };
        match row.get_ref(0)? {
            ValueRef::Text(text) => break String::from_utf8_lossy(text).into_owned(),
            ValueRef::Blob(delta) if deltas.len() < LINES_CHAIN => deltas.push(delta.to_vec()),
            _ => return Err(damaged("the chain of deltas is too long")),
        }
    };
    let count = deltas.len();
    for delta in deltas.iter().rev() {
        text = decompress(delta, text.as_bytes()).map_err(|e| damaged(&e))?;
    }
    Ok(Some((text, count)))
}

/// The versions up to `upto` that set the value at exactly `path` (added, removed or changed
/// it whole), newest first, at most `limit` of them.
fn settings(
    conn: &Connection,
    agent: &str,
    path: &Path,
    upto: u64,
    limit: Option<usize>,
) -> Result<Vec<u64>> {
    let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let versions = conn
        .prepare_cached(&format!(
            "SELECT version FROM {SETTING}
             AND agent = ?1 AND path = ?2 AND version <= ?3
             ORDER BY version DESC LIMIT ?4"
        ))?
        .query_map(
            params![agent, path.to_string(), upto as i64, limit],
            |row| row.get::<_, i64>(0),
        )?
        .map(|version| version.map(|v| v as u64))
        .collect::<rusqlite::Result<_>>()?;
    Ok(versions)
}

/// Fill the table for a store made before it existed: each entry against its parent, as a
/// publish would have recorded it. Runs inside the migration's transaction.
pub(super) fn backfill(tx: &Transaction<'_>) -> anyhow::Result<()> {
    let mut select = tx.prepare(
        "SELECT h.agent, h.version, h.snapshot, s.content
         FROM history h JOIN snapshots s ON s.hash = h.snapshot
         ORDER BY h.agent, h.version",
    )?;
    let mut entries = select.query([])?;
    let mut parent: Option<(String, Config)> = None;
    while let Some(row) = entries.next()? {
        let (agent, version, hash, content): (String, i64, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let config = decode_snapshot(&hash, &content).map_err(|e| anyhow::anyhow!(e.message))?;
        let empty = Config::new();
        let before = match &parent {
            Some((previous, config)) if *previous == agent && version > 1 => config,
            _ => &empty,
        };
        let changes = change::diff(before, &config);
        record(tx, &agent, version as u64, &changes, &[])
            .map_err(|e| anyhow::anyhow!(e.message))
            .with_context(|| format!("cannot record the changes of {agent} v{version}"))?;
        parent = Some((agent, config));
    }
    Ok(())
}

/// Migration 5: the values kept by older stores, whole, become shapes (compressed when that is
/// shorter), and a reorder's are dropped; then the append-only trigger is put back.
pub(super) fn reshape(tx: &Transaction<'_>) -> anyhow::Result<()> {
    // The keys first: the rows are rewritten in place, not while a scan is walking them.
    let keys: Vec<(String, String, i64)> = tx
        .prepare(
            "SELECT agent, path, version FROM changes WHERE old IS NOT NULL OR new IS NOT NULL",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut select = tx.prepare(
        "SELECT kind, old, new FROM changes WHERE agent = ?1 AND path = ?2 AND version = ?3",
    )?;
    let mut update = tx.prepare(
        "UPDATE changes SET old = ?4, new = ?5 WHERE agent = ?1 AND path = ?2 AND version = ?3",
    )?;
    let reshaped = |kind: Option<String>, kept: Option<String>| -> Result<Option<SqlValue>> {
        match kept {
            Some(text) if kind.as_deref() != Some("reordered") => {
                encode_kept(Some(shape(&decode_value(&text)?).to_string()))
            }
            _ => Ok(None),
        }
    };
    for (agent, path, version) in keys {
        let (kind, old, new) = select.query_row(params![agent, path, version], |row| {
            Ok((
                row.get::<_, Option<String>>(0)?,
                decode_kept(row.get_ref(1)?),
                decode_kept(row.get_ref(2)?),
            ))
        })?;
        // A value that does not read is left as it was: it costs `log --touching` at this
        // path what it cost before, where failing here would close the whole store.
        let reshape = |kept: rusqlite::Result<Option<String>>| match kept {
            Ok(kept) => reshaped(kind.clone(), kept).ok(),
            Err(_) => None,
        };
        let (Some(old), Some(new)) = (reshape(old), reshape(new)) else {
            continue;
        };
        update
            .execute(params![agent, path, version, old, new])
            .with_context(|| {
                format!("cannot rewrite the change of {agent} v{version} at {path}")
            })?;
    }
    tx.execute_batch(
        "CREATE TRIGGER changes_update_refused BEFORE UPDATE ON changes
         BEGIN SELECT RAISE(ABORT, 'recorded changes are append-only'); END;",
    )?;
    Ok(())
}

impl Sqlite {
    /// The versions with a change at `path` or under it, newest first (see `Store::touching`).
    pub fn versions_at(&self, agent: &str, path: &Path, limit: Option<usize>) -> Result<Vec<u64>> {
        let sql_limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let versions = self
            .conn
            .prepare_cached(
                "SELECT version FROM changes WHERE agent = ?1 AND path = ?2
                 ORDER BY version DESC LIMIT ?3",
            )?
            .query_map(params![agent, path.to_string(), sql_limit], |row| {
                row.get::<_, i64>(0)
            })?
            .map(|version| version.map(|v| v as u64))
            .collect::<rusqlite::Result<_>>()?;
        Ok(versions)
    }

    /// The changes that set the value at exactly `path`, with the values they kept.
    pub fn settings_at(&self, agent: &str, path: &Path) -> Result<Vec<Setting>> {
        let mut select = self.conn.prepare_cached(&format!(
            "SELECT version, old, new FROM {SETTING} AND agent = ?1 AND path = ?2"
        ))?;
        let settings = select
            .query_map(params![agent, path.to_string()], |row| {
                Ok((
                    row.get::<_, i64>(0)? as u64,
                    decode_kept(row.get_ref(1)?)?,
                    decode_kept(row.get_ref(2)?)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(settings)
    }

    /// The newest version up to `upto` with a change at `path` or under it.
    pub fn last_touched(&self, agent: &str, path: &Path, upto: u64) -> Result<Option<u64>> {
        let version = self
            .conn
            .prepare_cached(
                "SELECT version FROM changes WHERE agent = ?1 AND path = ?2 AND version <= ?3
                 ORDER BY version DESC LIMIT 1",
            )?
            .query_row(params![agent, path.to_string(), upto as i64], |row| {
                row.get::<_, i64>(0)
            })
            .optional()?;
        Ok(version.map(|v| v as u64))
    }

    /// The versions up to `upto` that set the value at exactly `path` (added, removed or
    /// changed it whole), newest first, at most `limit` of them.
    pub fn settings(
        &self,
        agent: &str,
        path: &Path,
        upto: u64,
        limit: Option<usize>,
    ) -> Result<Vec<u64>> {
        settings(&self.conn, agent, path, upto, limit)
    }

    /// The version that last changed each of the `count` lines of the multi-line string at
    /// `path` as of version `upto`; `None` when no recorded change set it.
    pub fn line_versions(
        &self,
        agent: &str,
        path: &Path,
        upto: u64,
        count: usize,
    ) -> Result<Option<Vec<u64>>> {
        lines_as_of(&self.conn, agent, path, upto, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kept_values_are_compressed_only_when_that_is_shorter() {
        let small = r#"[null]"#.to_owned();
        let large = Value::Array(vec![json!({"name": "a", "b": null}); 100]).to_string();
        for text in [small.clone(), large.clone()] {
            let stored = encode_kept(Some(text.clone())).unwrap().unwrap();
            match &stored {
                SqlValue::Text(kept) => assert_eq!(*kept, small),
                SqlValue::Blob(frame) => assert!(text == large && frame.len() < 100),
                other => panic!("{other:?}"),
            }
            let read = decode_kept(rusqlite::types::ValueRef::from(&stored)).unwrap();
            assert_eq!(read, Some(text));
        }
        assert_eq!(encode_kept(None).unwrap(), None);
        assert!(decode_kept(ValueRef::Blob(b"not zstd")).is_err());
    }
}
