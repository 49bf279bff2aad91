//! The changes of every publish, kept queryable by path: what `log --touching` and `blame` read
//! instead of old snapshots.
//!
//! A change at `tools[x].description` is recorded as a row at that path with its kind, plus a
//! row without a kind at each path above it (`tools[x]`, `tools`): "something under here
//! changed". So the publishes that touched a path or anything under it are one range of the
//! (agent, path, version) key, however long the history; the rows with a kind that set a value
//! (added, removed, changed) have their own index, for the questions about paths above.
//!
//! Values are kept only where a later question needs them: mappings and lists that a change
//! set (does an added `tools[x]` hold a `description`?). That question is about the value's
//! shape, so only its shape is kept: the same keys, items and identities (`name`, `id`), with
//! every other scalar replaced by `null` (see [`shape`]). A kept shape that zstd makes smaller
//! (the whole `tools` list of a first publish) is stored as a zstd BLOB, the others as JSON text.
//! A multi-line string set by a change gets the version that
//! last changed each of its lines, carried over from the text before through a line diff, so
//! per-line blame reads one row however often the text was edited.
//!
//! Those per-line versions are as long as the text (a 50 KB prompt has hundreds of lines), and
//! most edits change one line: so every [`LINES_CHAIN`]th row at a path keeps them as JSON
//! text, and the rows between as a zstd delta (a BLOB) against the row before at the same path.
//! Reading one decodes at most that many small deltas.

use std::collections::BTreeMap;

use anyhow::Context;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::Value;

use super::decode_snapshot;
use super::snapshots::{compress, decompress};
use super::sqlite::Sqlite;
use crate::agent::Config;
use crate::change::{self, Change, Kind, Path, is_multiline, value_at};
use crate::error::{Error, Result};

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

/// A change that set the value at a path: its version and the old and new values it kept
/// (JSON, for mappings and lists only).
pub type Setting = (u64, Option<String>, Option<String>);

/// Whether a kept value (JSON text) holds something at `below`.
pub(super) fn holds(kept: Option<&str>, below: &[change::Segment]) -> Result<bool> {
    match kept {
        Some(text) => Ok(value_at(&decode_value(text)?, below).is_some()),
        None => Ok(false),
    }
}

/// One row to record: the change at this path, if any, and the values kept.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Row {
    pub(super) kind: Option<&'static str>,
    pub(super) old: Option<String>,
    pub(super) new: Option<String>,
    pub(super) lines: Option<SqlValue>,
}

/// The rows a publish's changes make, by path.
pub(super) fn rows(changes: &[Change]) -> BTreeMap<String, Row> {
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for change in changes {
        for ancestor in change.path.ancestors() {
            rows.entry(ancestor.to_string()).or_default();
        }
        let kind = if change.is_reorder() {
            "reordered"
        } else {
            change.kind.as_str()
        };
        // A reorder's values (lists of names) answer no question: only settings are read.
        let keep = |value: &Value| {
            (kind != "reordered" && is_container(value)).then(|| shape(value).to_string())
        };
        let (kept_old, kept_new) = (keep(&change.old), keep(&change.new));
        let row = rows.entry(change.path.to_string()).or_default();
        if row.kind.is_none() {
            *row = Row {
                kind: Some(kind),
                old: kept_old,
                new: kept_new,
                lines: None,
            };
        } else {
            // A plain list can lose an entry at one position and gain another at the same
            // number: together, that position changed.
            row.kind = Some(Kind::Changed.as_str());
            row.old = row.old.take().or(kept_old);
            row.new = row.new.take().or(kept_new);
        }
    }
    rows
}

fn is_container(value: &Value) -> bool {
    value.is_object() || value.is_array()
}

/// What a kept value must answer, [`holds`]: whether something is at a path below it. So its
/// keys, its items and their identities (`name` or `id`, see `item_identity`) are kept, and
/// every other scalar becomes `null`, which is still something there.
pub(super) fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let kept = match (key.as_str(), value) {
                        ("name" | "id", Value::String(_)) => value.clone(),
                        _ => shape(value),
                    };
                    (key.clone(), kept)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        _ => Value::Null,
    }
}

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
fn decode_kept(value: ValueRef<'_>) -> rusqlite::Result<Option<String>> {
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
) -> Result<()> {
    let mut rows = rows(changes);
    for change in changes {
        if let Some(lines) = line_versions(conn, agent, version, change)?
            && let Some(row) = rows.get_mut(&change.path.to_string())
        {
            let path = change.path.to_string();
            row.lines = Some(encode_lines(conn, agent, &path, version, &lines)?);
        }
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO changes (agent, version, path, kind, old, new, lines)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (path, row) in rows {
        let Row {
            kind,
            old,
            new,
            lines,
        } = row;
        let (old, new) = (encode_kept(old)?, encode_kept(new)?);
        insert.execute(params![agent, version as i64, path, kind, old, new, lines])?;
    }
    Ok(())
}

/// For a change that sets a multi-line string: the version that last changed each of its
/// lines. A line that the line diff keeps from the text before keeps that line's version;
/// every other line is this change's.
pub(super) fn line_versions(
    conn: &impl Recorded,
    agent: &str,
    version: u64,
    change: &Change,
) -> Result<Option<Vec<u64>>> {
    let Some(new) = change.new.as_str().filter(|text| is_multiline(text)) else {
        return Ok(None);
    };
    let new: Vec<&str> = new.lines().collect();
    let mut versions = vec![version; new.len()];
    if let (Kind::Changed, Some(old)) = (change.kind, change.old.as_str()) {
        let old: Vec<&str> = old.lines().collect();
        // A store whose older changes were never recorded gives this version to every line.
        if let Some(before) = lines_as_of(
            conn,
            agent,
            &change.path,
            version.saturating_sub(1),
            old.len(),
        )? {
            for (line, kept) in unchanged_lines(&old, &new).into_iter().enumerate() {
                if let Some(kept) = kept {
                    versions[line] = before[kept];
                }
            }
        }
    }
    Ok(Some(versions))
}

/// The version that last changed each of the `count` lines of the text at `path` as of
/// version `upto`: as recorded with the change that set the text, or, when a value above it
/// set it (or it was a single line), that change's version for every line. `None` when no
/// recorded change set it.
pub(super) fn lines_as_of(
    conn: &impl Recorded,
    agent: &str,
    path: &Path,
    upto: u64,
    count: usize,
) -> Result<Option<Vec<u64>>> {
    let mut newest: Option<(u64, Path)> = None;
    for setter in path.ancestors().chain([path.clone()]) {
        if let Some(&version) = conn.settings(agent, &setter, upto, Some(1))?.first()
            && newest.as_ref().is_none_or(|(n, _)| version > *n)
        {
            newest = Some((version, setter));
        }
    }
    let Some((version, setter)) = newest else {
        return Ok(None);
    };
    if setter == *path
        && let Some(versions) = conn.recorded_lines(agent, &path.to_string(), version)?
        && versions.len() == count
    {
        return Ok(Some(versions));
    }
    Ok(Some(vec![version; count]))
}

/// What per-line versions are carried over from: the changes recorded before, in either store.
pub(super) trait Recorded {
    /// The versions up to `upto` that set the value at exactly `path`, newest first.
    fn settings(
        &self,
        agent: &str,
        path: &Path,
        upto: u64,
        limit: Option<usize>,
    ) -> Result<Vec<u64>>;
    /// The per-line versions recorded at `path` by `version` exactly, if that row holds them.
    fn recorded_lines(&self, agent: &str, path: &str, version: u64) -> Result<Option<Vec<u64>>>;
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

/// For each line of `new`, its position in `old` when the line diff keeps it.
fn unchanged_lines(old: &[&str], new: &[&str]) -> Vec<Option<usize>> {
    let mut kept = vec![None; new.len()];
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, old, new) {
        if let similar::DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for i in 0..len {
                kept[new_index + i] = Some(old_index + i);
            }
        }
    }
    kept
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
        record(tx, &agent, version as u64, &changes)
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

pub(super) fn decode_value(text: &str) -> Result<Value> {
    // Values nest as deep as the configurations they come from; see `decode_snapshot`.
    let mut reader = serde_json::Deserializer::from_str(text);
    reader.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut reader)
        .map_err(|e| Error::new(format!("a recorded change in the store is damaged: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::testing::{config, history};
    use serde_json::json;

    fn touching(store: &Store, path: &str) -> Vec<u64> {
        let path = Path::parse(path).unwrap();
        store
            .touching("a", &path, None)
            .unwrap()
            .iter()
            .map(|e| e.version)
            .collect()
    }

    #[test]
    fn a_change_is_recorded_at_its_path_and_above() {
        let changes = change::diff(
            &config(json!({"tools": [{"name": "t", "p": {"q": 1}}], "model": {"t": 1}})),
            &config(
                json!({"tools": [{"name": "t", "p": {"q": 2}}], "model": {"t": 1, "s": ["x"]}}),
            ),
        );
        let rows = rows(&changes);
        let kinds: Vec<(&str, Option<&str>)> =
            rows.iter().map(|(p, r)| (p.as_str(), r.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("model", None),
                ("model.s", Some("added")),
                ("tools", None),
                ("tools[t]", None),
                ("tools[t].p", None),
                ("tools[t].p.q", Some("changed")),
            ]
        );
        // The shapes of lists and mappings are kept (for questions below them); scalars are not.
        assert_eq!(rows["model.s"].new.as_deref(), Some("[null]"));
        assert_eq!(
            rows["tools[t].p.q"],
            Row {
                kind: Some("changed"),
                ..Row::default()
            }
        );
    }

    #[test]
    fn a_shape_holds_what_its_value_holds() {
        let value = json!([
            {"name": "web", "description": "d", "parameters": {"q": {"type": "string", "enum": ["a", "b"]}}},
            {"id": "by_id", "n": 0, "name_like": "kept as null"},
            {"name": 7, "id": "shadowed"},
            "plain",
            [1, {"name": "inner"}],
            null
        ]);
        let shape = shape(&value);
        assert_eq!(
            shape,
            json!([
                {"name": "web", "description": null, "parameters": {"q": {"type": null, "enum": [null, null]}}},
                {"id": "by_id", "n": null, "name_like": null},
                {"name": null, "id": "shadowed"},
                null,
                [null, {"name": "inner"}],
                null
            ])
        );
        for path in [
            "tools[web]",
            "tools[web].description",
            "tools[web].parameters.q.enum[1]",
            "tools[web].parameters.q.enum[2]",
            "tools[web].parameters.q.type.deeper",
            "tools[web].missing",
            "tools[by_id].n",
            "tools[by_id].name_like",
            "tools[shadowed]",
            "tools[7]",
            "tools[3]",
            "tools[3].below_a_string",
            "tools[4][1]",
            "tools[5]",
            "tools[6]",
            "tools[gone]",
        ] {
            let below = &Path::parse(path).unwrap().0[1..];
            assert_eq!(
                value_at(&shape, below).is_some(),
                value_at(&value, below).is_some(),
                "{path}"
            );
        }
    }

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

    /// Version `v` (1-based) rewrites line `v % 50` of a 50-line text.
    fn edited_text(upto: usize) -> Value {
        let mut lines: Vec<String> = (0..50).map(|l| format!("line {l}\n")).collect();
        for v in 2..=upto {
            lines[v % 50] = format!("line {} as of v{v}\n", v % 50);
        }
        json!({"name": "x", "instructions": lines.concat()})
    }

    #[test]
    fn per_line_versions_are_kept_as_deltas_and_read_back_exactly() {
        let configs: Vec<Value> = (1..=80).map(edited_text).collect();
        let (dir, store) = history(&configs);
        let path = Path::parse("instructions").unwrap();
        for upto in [1, 2, 33, 34, 35, 50, 80] {
            let expected: Vec<u64> = (0..50u64)
                .map(|line| (2..=upto).filter(|v| v % 50 == line).max().unwrap_or(1))
                .collect();
            let got = store.line_versions("a", &path, upto, 50).unwrap();
            assert_eq!(got, Some(expected), "as of v{upto}");
        }
        let kinds: Vec<String> = store
            .conn
            .prepare(
                "SELECT typeof(lines) FROM changes WHERE path = 'instructions' ORDER BY version",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let texts: Vec<usize> = (0..kinds.len()).filter(|&i| kinds[i] == "text").collect();
        assert_eq!(texts, [0, 33, 66]);

        // A damaged delta is an error that says what is damaged, not a panic.
        let conn = rusqlite::Connection::open(dir.path().join("s.db")).unwrap();
        conn.execute_batch(
            "DROP TRIGGER changes_update_refused;
             UPDATE changes SET lines = x'28b52ffd00' WHERE path = 'instructions' AND version = 40;",
        )
        .unwrap();
        let err = store.line_versions("a", &path, 45, 50).unwrap_err();
        assert!(
            err.message.contains("per-line versions of instructions"),
            "{err:?}"
        );
        assert!(err.message.contains("damaged"), "{err:?}");
        assert!(store.line_versions("a", &path, 39, 50).unwrap().is_some());
    }

    #[test]
    fn unchanged_lines_follow_the_diff() {
        let kept = unchanged_lines(&["a", "b", "c"], &["a", "x", "b", "c", "d"]);
        assert_eq!(kept, [Some(0), None, Some(1), Some(2), None]);
    }

    #[test]
    fn a_reorder_is_recorded_as_such() {
        let changes = change::diff(
            &config(json!({"tools": [{"name": "a"}, {"name": "b"}]})),
            &config(json!({"tools": [{"name": "b"}, {"name": "a"}]})),
        );
        assert_eq!(rows(&changes)["tools"].kind, Some("reordered"));
    }

    #[test]
    fn touching_at_under_and_above() {
        let (_dir, store) = history(&[
            // v1: the tool arrives with no description.
            json!({"name": "x", "tools": [{"name": "w"}], "model": {"temperature": 0.1}}),
            // v2: its description is set.
            json!({"name": "x", "tools": [{"name": "w", "description": "d"}], "model": {"temperature": 0.1}}),
            // v3: temperature.
            json!({"name": "x", "tools": [{"name": "w", "description": "d"}], "model": {"temperature": 0.2}}),
            // v4: the tool is removed, description and all.
            json!({"name": "x", "tools": [], "model": {"temperature": 0.2}}),
            // v5: another tool, then v6 a reorder.
            json!({"name": "x", "tools": [{"name": "v"}, {"name": "w", "description": "e"}], "model": {"temperature": 0.2}}),
            json!({"name": "x", "tools": [{"name": "w", "description": "e"}, {"name": "v"}], "model": {"temperature": 0.2}}),
        ]);
        assert_eq!(touching(&store, "model.temperature"), [3, 1]);
        assert_eq!(touching(&store, "model"), [3, 1]);
        assert_eq!(touching(&store, "tools[w]"), [5, 4, 2, 1]);
        // v1 added the tool without a description: it does not touch it.
        assert_eq!(touching(&store, "tools[w].description"), [5, 4, 2]);
        assert_eq!(touching(&store, "tools"), [6, 5, 4, 2, 1]);
        // A reorder is a change of the list, not of an item in it.
        assert_eq!(touching(&store, "tools[v]"), [5]);
        assert_eq!(touching(&store, "tools[w].parameters"), Vec::<u64>::new());
        assert_eq!(touching(&store, "guardrails"), Vec::<u64>::new());
        let newest = store
            .touching("a", &Path::parse("tools[w]").unwrap(), Some(2))
            .unwrap();
        assert_eq!(newest.iter().map(|e| e.version).collect::<Vec<_>>(), [5, 4]);
    }

    #[test]
    fn a_type_change_above_holds_what_it_sets() {
        let (_dir, store) = history(&[
            json!({"name": "x", "model": "gpt"}),
            json!({"name": "x", "model": {"temperature": 0.1, "stop": ["a", "b"]}}),
            json!({"name": "x", "model": {"temperature": 0.1, "stop": ["a", "c"]}}),
        ]);
        assert_eq!(touching(&store, "model.temperature"), [2]);
        assert_eq!(touching(&store, "model.stop[1]"), [3, 2]);
        assert_eq!(touching(&store, "model.stop[0]"), [2]);
        assert_eq!(touching(&store, "model"), [3, 2, 1]);
    }
}
