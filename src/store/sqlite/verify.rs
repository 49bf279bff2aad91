//! `verify` on a SQLite store: SQLite's own check of the file, then every snapshot, entry and
//! recorded change read in one transaction and handed to the checks both stores share
//! ([`crate::store::verify::check`]).

use super::{Sqlite, entry_from_row};
use crate::error::Result;
use crate::store::COLUMNS;
use crate::store::verify::{Problem, ProblemKind, RecordedRow, Report, check};

impl Sqlite {
    /// Check every snapshot and every history of the store. Reads everything once, in one
    /// read transaction, so a publish running meanwhile is either wholly seen or not at all.
    pub fn verify(&mut self) -> Result<Report> {
        let tx = self.conn.transaction()?;
        let mut report = Report::default();

        let quick_check: Vec<String> = tx
            .prepare("PRAGMA quick_check")?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if quick_check != ["ok"] {
            report.problems.push(Problem {
                agent: None,
                version: None,
                kind: ProblemKind::Corrupt,
                message: format!("SQLite reports damage: {}", quick_check.join("; ")),
            });
        }

        // Damage SQLite does not see (text that is not UTF-8, a number where text belongs)
        // stops the walk; it is reported like any other problem.
        if let Err(error) = walk(&tx, &mut report) {
            report.problems.push(Problem {
                agent: None,
                version: None,
                kind: ProblemKind::Corrupt,
                message: format!("the store cannot be read to the end: {}", error.message),
            });
        }
        Ok(report)
    }
}

/// Check every snapshot and every history entry, adding what is wrong to `report`.
fn walk(tx: &rusqlite::Transaction<'_>, report: &mut Report) -> Result<()> {
    // Stored compressed, most as deltas: each is decoded through its chain (the texts
    // decoded last are reused), and a frame that does not decode is damage too.
    let recent = crate::store::snapshots::Recent::default();
    let mut stmt = tx.prepare("SELECT hash FROM snapshots")?;
    let hashes: Vec<String> = stmt
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let texts = hashes.into_iter().map(|hash| {
        let text = crate::store::snapshots::text(&**tx, &recent, &hash).map(|t| t.to_string());
        (hash, text)
    });
    let mut stmt = tx.prepare(&format!(
        "SELECT {COLUMNS} FROM history ORDER BY agent, version"
    ))?;
    let entries = stmt
        .query_map([], entry_from_row)?
        .map(|row| row.map_err(crate::error::Error::from));
    let mut stmt = tx.prepare(
        "SELECT agent, version, path, kind, old, new, lines FROM changes
         ORDER BY agent, version, path",
    )?;
    let mut lines = super::changes::LinesInOrder::default();
    let mut rows = stmt.query([])?;
    // Read row by row: the per-line versions of a row are a delta against the row before.
    let recorded = std::iter::from_fn(move || {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => return None,
            Err(e) => return Some(Err(e.into())),
        };
        let mut read = || -> Result<RecordedRow> {
            let (agent, path): (String, String) = (row.get(0)?, row.get(2)?);
            let versions = lines.decode(&agent, &path, row.get_ref(6)?)?;
            Ok(RecordedRow {
                version: row.get::<_, i64>(1)? as u64,
                kind: row.get(3)?,
                old: super::changes::decode_kept(row.get_ref(4)?)?,
                new: super::changes::decode_kept(row.get_ref(5)?)?,
                lines: versions,
                agent,
                path,
            })
        };
        Some(read())
    });
    let snapshot = |hash: &str| crate::store::snapshots::text(&**tx, &recent, hash);
    check(report, texts, snapshot, entries, recorded)
}
