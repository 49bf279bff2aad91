//! The snapshots in the SQLite file: the frames table (migration 4), reading and writing a
//! snapshot's stored form, and re-encoding the plain texts of older stores. How frames are
//! chained and decoded is decided at the top, in `store::snapshots`, for both stores.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::Result;
use crate::store::snapshots::{Frames, Recent, Stored, base_version, damaged, encode};

/// Migration 4: the frames, and for each snapshot its frame and the base that frame was
/// compressed against (NULL: a full copy).
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE snapshot_frames (
        id    INTEGER PRIMARY KEY,
        frame BLOB NOT NULL
    );
    ALTER TABLE snapshots ADD COLUMN frame INTEGER REFERENCES snapshot_frames (id);
    ALTER TABLE snapshots ADD COLUMN base TEXT REFERENCES snapshots (hash);
"#;

impl Frames for Connection {
    fn stored(&self, hash: &str) -> Result<Option<Stored>> {
        read(self, hash)
    }
}

fn read(conn: &Connection, hash: &str) -> Result<Option<Stored>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.content, s.frame IS NOT NULL, f.frame, s.base
         FROM snapshots s LEFT JOIN snapshot_frames f ON f.id = s.frame
         WHERE s.hash = ?1",
    )?;
    let stored = stmt
        .query_row(params![hash], |row| {
            let framed: bool = row.get(1)?;
            let base: Option<String> = row.get(3)?;
            Ok(match (framed, row.get_ref(2)?, row.get_ref(0)?) {
                (true, ValueRef::Blob(frame), _) => Some(Stored::Frame(frame.to_vec(), base)),
                (false, _, ValueRef::Text(text)) => {
                    Some(Stored::Plain(String::from_utf8_lossy(text).into_owned()))
                }
                _ => None,
            })
        })
        .optional()?;
    match stored {
        None => Ok(None),
        Some(None) => Err(damaged(hash, "its frame is missing")),
        Some(Some(stored)) => Ok(Some(stored)),
    }
}

/// Append `frame` and point the snapshot `hash` at it (a new row, or one from before v4).
fn write(conn: &Connection, hash: &str, frame: &[u8], base: Option<&str>) -> Result<()> {
    conn.prepare_cached("INSERT INTO snapshot_frames (frame) VALUES (?1)")?
        .execute(params![frame])?;
    conn.prepare_cached(
        "INSERT INTO snapshots (hash, content, frame, base) VALUES (?1, '', ?2, ?3)
         ON CONFLICT (hash) DO UPDATE SET content = '', frame = ?2, base = ?3",
    )?
    .execute(params![hash, conn.last_insert_rowid(), base])?;
    Ok(())
}

/// Store the snapshot `hash` with `text`, as a delta against `base` (a stored snapshot's hash)
/// when given. A snapshot already stored is left as it is.
pub(super) fn insert(
    conn: &Connection,
    recent: &Recent,
    hash: &str,
    text: &str,
    base: Option<&str>,
) -> Result<()> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM snapshots WHERE hash = ?1")?
        .exists(params![hash])?;
    if !exists {
        let frame = encode(conn, recent, text, base)?;
        write(conn, hash, &frame, base)?;
    }
    recent.put(hash, text.into());
    Ok(())
}

/// Migration 4: re-encode the plain texts of older stores, in the order of each agent's
/// history, with the bases a publish would have chosen.
pub(super) fn reencode(tx: &Transaction<'_>) -> anyhow::Result<()> {
    let recent = Recent::default();
    let mut select =
        tx.prepare("SELECT agent, version, snapshot FROM history ORDER BY agent, version")?;
    let mut rows = select.query([])?;
    let mut agent = String::new();
    let mut hashes: Vec<String> = Vec::new();
    while let Some(row) = rows.next()? {
        let (name, version, hash): (String, i64, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        if name != agent {
            agent = name;
            hashes.clear();
        }
        hashes.push(hash.clone());
        let Some(Stored::Plain(plain)) = read(tx, &hash).map_err(|e| anyhow::anyhow!(e.message))?
        else {
            continue; // shared with an entry re-encoded before
        };
        let base = base_version(version as u64)
            .and_then(|base| hashes.get(base as usize - 1))
            .filter(|base| **base != hash);
        let frame = encode(&**tx, &recent, &plain, base.map(String::as_str))
            .map_err(|e| anyhow::anyhow!(e.message))?;
        write(tx, &hash, &frame, base.map(String::as_str))
            .map_err(|e| anyhow::anyhow!(e.message))?;
        recent.put(&hash, plain.into());
    }
    Ok(())
}
