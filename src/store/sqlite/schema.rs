//! Opening the SQLite file: recognising it as ours, and migrating it forward.
//!
//! The schema version lives in `PRAGMA user_version` and our mark in `PRAGMA application_id`.
//! Migrations run in order inside one `BEGIN IMMEDIATE` transaction. Never remove or edit an
//! entry of [`MIGRATIONS`]: stores in the field were built by them.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

/// "AGCT": tells our stores apart from every other SQLite file.
pub const APPLICATION_ID: i32 = 0x4147_4354;

/// One step of the schema: SQL, then (for data SQL cannot compute) Rust in the same transaction.
enum Migration {
    Sql(&'static str),
    SqlThen(&'static str, fn(&Transaction<'_>) -> anyhow::Result<()>),
}

const MIGRATIONS: &[Migration] = &[
    // 1: snapshots by content hash, and the append-only publish history.
    Migration::Sql(
        r#"
    CREATE TABLE snapshots (
        hash    TEXT PRIMARY KEY,
        content TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE history (
        seq             INTEGER PRIMARY KEY,
        agent           TEXT NOT NULL,
        version         INTEGER NOT NULL CHECK (version >= 1),
        change_track_id TEXT NOT NULL UNIQUE,
        parent          TEXT REFERENCES history (change_track_id),
        author          TEXT NOT NULL,
        published_at    TEXT NOT NULL,
        message         TEXT NOT NULL,
        snapshot        TEXT NOT NULL REFERENCES snapshots (hash),
        summary         TEXT NOT NULL,
        reverts         TEXT REFERENCES history (change_track_id),
        git_commit      TEXT,
        UNIQUE (agent, version)
    );

    CREATE TRIGGER history_update_refused BEFORE UPDATE ON history
    BEGIN SELECT RAISE(ABORT, 'publish history is append-only'); END;
    CREATE TRIGGER history_delete_refused BEFORE DELETE ON history
    BEGIN SELECT RAISE(ABORT, 'publish history is append-only'); END;
    "#,
    ),
    // 2: the changes of every publish by path (`log --touching`, `blame`), filled in from the
    // history already there.
    Migration::SqlThen(super::changes::MIGRATION, super::changes::backfill),
    // 3: staging files as revert/restore found them (for undo), and reverts waiting for the
    // agent's next publish.
    Migration::Sql(
        r#"
    CREATE TABLE staging_backups (
        id             INTEGER PRIMARY KEY,
        agent          TEXT NOT NULL,
        operation      TEXT NOT NULL,
        file           TEXT NOT NULL,
        previous       BLOB,
        written        TEXT NOT NULL,
        pending_before TEXT REFERENCES history (change_track_id),
        created_at     TEXT NOT NULL
    );
    CREATE INDEX staging_backups_by_agent ON staging_backups (agent, id);

    CREATE TABLE pending_reverts (
        agent   TEXT PRIMARY KEY,
        reverts TEXT NOT NULL REFERENCES history (change_track_id)
    ) WITHOUT ROWID;
    "#,
    ),
    // 4: snapshots compressed, most as deltas against an earlier snapshot of the same agent,
    // their frames in a table of their own; the plain texts of older stores are re-encoded.
    Migration::SqlThen(super::snapshots::MIGRATION, super::snapshots::reencode),
    // 5: the values kept with recorded changes shrink to their shapes, compressed when large.
    Migration::SqlThen(super::changes::RESHAPE, super::changes::reshape),
    // 6: the rules each entry's changes were compared under beyond the detected format
    // (agentctl.yaml's sections:, identity:, a chosen format), as canonical JSON; NULL for
    // the detected format's own, as every entry before this was compared.
    Migration::SqlThen("", add_rules_column),
];

/// Migration 6. SQLite has no `ADD COLUMN IF NOT EXISTS`: a store whose version number was
/// set back (as PostgreSQL's migration allows for) already has the column.
fn add_rules_column(tx: &Transaction<'_>) -> anyhow::Result<()> {
    let has: bool = tx.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('history') WHERE name = 'rules'",
        [],
        |r| r.get(0),
    )?;
    if !has {
        tx.execute_batch("ALTER TABLE history ADD COLUMN rules TEXT;")?;
    }
    Ok(())
}

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Open (creating if missing) and migrate the store at `path`.
pub fn open(path: &Path, busy_timeout: Duration) -> Result<Connection> {
    let shown = path.display();
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open the store {shown}"))?;
    conn.busy_timeout(busy_timeout)
        .context("cannot set the busy timeout")?;

    // Read before writing anything, so that a foreign file is left exactly as it was.
    let (application_id, version, has_tables) = match read_marks(&mut conn) {
        Ok(marks) => marks,
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(not_ours(path, "it is not an SQLite database"));
        }
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::DatabaseCorrupt =>
        {
            return Err(Error::new(format!(
                "the store {shown} is damaged: SQLite reports it as corrupt"
            ))
            .hint("restore the store from a backup; it was left as it is"));
        }
        Err(e) if super::is_busy(&e) => {
            return Err(crate::store::busy(
                Some(&path.display()),
                Some(busy_timeout),
            ));
        }
        Err(e) => {
            return Err(Error::from(
                anyhow::Error::from(e).context(format!("cannot read the store {shown}")),
            ));
        }
    };
    // Ours, or brand new (no mark, no version, no tables); anything else is another program's.
    let fresh = application_id == 0 && version == 0 && !has_tables;
    if application_id != APPLICATION_ID && !fresh {
        return Err(not_ours(
            path,
            "it is an SQLite database that belongs to another program",
        ));
    }
    if version > SCHEMA_VERSION {
        return Err(Error::new(format!(
            "the store {shown} has schema version {version}, newer than this agentctl understands ({SCHEMA_VERSION})"
        ))
        .hint("upgrade agentctl (`cargo install agentctl`) to use this store"));
    }

    match switch_to_wal(&conn, busy_timeout) {
        Err(e) if super::is_busy(&e) => {
            return Err(crate::store::busy(
                Some(&path.display()),
                Some(busy_timeout),
            ));
        }
        other => other.with_context(|| format!("cannot switch the store {shown} to WAL mode"))?,
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .context("cannot set synchronous=FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .context("cannot enable foreign keys")?;
    if version < SCHEMA_VERSION {
        match migrate(&mut conn) {
            Err(e) if e.downcast_ref().is_some_and(super::is_busy) => {
                return Err(crate::store::busy(
                    Some(&path.display()),
                    Some(busy_timeout),
                ));
            }
            other => other.with_context(|| format!("cannot migrate the store {shown}"))?,
        }
    }
    Ok(conn)
}

/// Switch to WAL, waiting up to `timeout` for other connections. SQLite does not call the busy
/// handler for a journal-mode change: while another agentctl is creating the same new store,
/// the switch fails at once with SQLITE_BUSY, so it is retried here until the deadline.
fn switch_to_wal(conn: &Connection, timeout: Duration) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(e) if super::is_busy(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// `application_id`, `user_version` and whether any table exists, read in one transaction:
/// another agentctl creating the same new store commits its tables and marks together, and
/// reading them apart could see the tables without the marks.
fn read_marks(conn: &mut Connection) -> rusqlite::Result<(i32, i64, bool)> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let application_id = tx.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let has_tables = tx.query_row("SELECT count(*) > 0 FROM sqlite_master", [], |r| r.get(0))?;
    tx.commit()?;
    Ok((application_id, version, has_tables))
}

fn not_ours(path: &Path, why: &str) -> Error {
    Error::new(format!(
        "{} is not an agentctl store: {why}",
        path.display()
    ))
    .hint("point --store (or AGENTCTL_STORE) at an agentctl store, or at a new file to create one")
}

/// Apply the missing migrations. Another process may have migrated between our check and the
/// lock, so the version is read again inside the transaction.
fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let (sql, then) = match migration {
            Migration::Sql(sql) => (sql, None),
            Migration::SqlThen(sql, then) => (sql, Some(then)),
        };
        tx.execute_batch(sql)
            .with_context(|| format!("migration {} failed", index + 1))?;
        if let Some(then) = then {
            then(&tx).with_context(|| format!("migration {} failed", index + 1))?;
        }
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_harmless() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        drop(open(&path, Duration::from_secs(1)).unwrap());
        let mut conn = open(&path, Duration::from_secs(1)).unwrap();
        let (app, version, _) = read_marks(&mut conn).unwrap();
        assert_eq!((app, version), (APPLICATION_ID, SCHEMA_VERSION));
    }

    #[test]
    fn durability_settings_are_on() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("s.db"), Duration::from_secs(1)).unwrap();
        let pragma = |name: &str| -> String {
            conn.pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| format!("{v:?}"))
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma("synchronous"), "Integer(2)"); // FULL
        assert_eq!(pragma("foreign_keys"), "Integer(1)");
        assert_eq!(
            pragma("application_id"),
            format!("Integer({APPLICATION_ID})")
        );
    }

    #[test]
    fn refuses_foreign_and_newer_files() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(
            &text,
            "hello, this is not a database at all, just some text",
        )
        .unwrap();
        let err = open(&text, Duration::from_secs(1)).unwrap_err();
        assert!(err.message.contains("not an SQLite database"), "{err:?}");
        assert_eq!(
            std::fs::read(&text).unwrap(),
            b"hello, this is not a database at all, just some text"
        );

        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x);")
            .unwrap();
        let err = open(&other, Duration::from_secs(1)).unwrap_err();
        assert!(err.message.contains("another program"), "{err:?}");

        let newer = dir.path().join("newer.db");
        drop(open(&newer, Duration::from_secs(1)).unwrap());
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = open(&newer, Duration::from_secs(1)).unwrap_err();
        assert!(err.message.contains("newer"), "{err:?}");
    }

    /// Copy the history of `fresh` (attached) into a store from before schema version 6,
    /// whose entries had no `rules` column.
    const HISTORY_BEFORE_6: &str =
        "INSERT INTO history SELECT seq, agent, version, change_track_id,
             parent, author, published_at, message, snapshot, summary, reverts, git_commit
         FROM fresh.history ORDER BY seq;";

    /// A store at schema version 1 holding the history of `fresh` (a store made by this
    /// version), as if it had been written before the changes table existed.
    fn version_1_copy(fresh: &Path, old: &Path) {
        let conn = Connection::open(old).unwrap();
        let Migration::Sql(sql) = MIGRATIONS[0] else {
            panic!("migration 1 is plain SQL")
        };
        conn.execute_batch(sql).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute("ATTACH ?1 AS fresh", [fresh.to_str().unwrap()])
            .unwrap();
        // Snapshots were plain JSON texts then.
        for (hash, text) in crate::store::testing::plain_snapshots(fresh) {
            conn.execute("INSERT INTO snapshots VALUES (?1, ?2)", [hash, text])
                .unwrap();
        }
        conn.execute_batch(HISTORY_BEFORE_6).unwrap();
    }

    fn recorded_changes(path: &Path) -> Vec<Vec<rusqlite::types::Value>> {
        let conn = open(path, Duration::from_secs(1)).unwrap();
        let mut stmt = conn
            .prepare("SELECT * FROM changes ORDER BY agent, version, path")
            .unwrap();
        stmt.query_map([], |row| {
            (0..6)
                .map(|i| row.get(i))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    }

    #[test]
    fn migrating_a_version_1_store_records_the_changes_a_publish_would_have() {
        use serde_json::json;
        // Two agents taking turns: each entry is compared with its own agent's parent.
        let (dir, store) = crate::store::testing::history_of(&[
            (
                "a",
                json!({"name": "a", "instructions": "x\ny\n", "tools": [{"name": "t"}]}),
            ),
            ("b", json!({"name": "b"})),
            (
                "a",
                json!({"name": "a", "instructions": "x\nz\n", "tools": [{"name": "u"}, {"name": "t", "d": 1}]}),
            ),
            (
                "a",
                json!({"name": "a", "instructions": "x\nz\n", "tools": [{"name": "t", "d": 1}, {"name": "u"}]}),
            ),
            ("b", json!({"name": "b", "model": {"stop": ["s"]}})),
        ]);
        drop(store);
        let fresh = dir.path().join("s.db");
        let old = dir.path().join("old.db");
        version_1_copy(&fresh, &old);
        let recorded = recorded_changes(&fresh);
        assert!(recorded.len() > 10, "{recorded:?}");
        assert_eq!(recorded_changes(&old), recorded);
    }

    #[test]
    fn migrating_a_version_3_store_encodes_its_snapshots_as_a_publish_would_have() {
        use serde_json::json;
        // Two agents, 40 publishes each, and an agent going back to an earlier snapshot.
        let mut steps = Vec::new();
        for i in 0..40 {
            let text = format!(
                "{}\n",
                (0..30)
                    .map(|l| format!("line {l} of {}", i * (l % 3)))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            steps.push(("a", json!({"name": "a", "instructions": text, "n": i % 7})));
            steps.push(("b", json!({"name": "b", "n": i % 5})));
        }
        let (dir, store) = crate::store::testing::history_of(&steps);
        drop(store);
        let fresh = dir.path().join("s.db");
        let old = dir.path().join("old.db");
        {
            let conn = Connection::open(&old).unwrap();
            for migration in &MIGRATIONS[..3] {
                let (Migration::Sql(sql) | Migration::SqlThen(sql, _)) = migration;
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            conn.pragma_update(None, "user_version", 3).unwrap();
            for (hash, text) in crate::store::testing::plain_snapshots(&fresh) {
                conn.execute("INSERT INTO snapshots VALUES (?1, ?2)", [hash, text])
                    .unwrap();
            }
            conn.execute("ATTACH ?1 AS fresh", [fresh.to_str().unwrap()])
                .unwrap();
            conn.execute_batch(&format!(
                "{HISTORY_BEFORE_6} INSERT INTO changes SELECT * FROM fresh.changes;"
            ))
            .unwrap();
        }
        let encoding = |path: &Path| -> Vec<(String, Option<String>, String)> {
            let conn = open(path, Duration::from_secs(1)).unwrap();
            let mut stmt = conn
                .prepare(
                    "SELECT hash, base, CASE WHEN frame IS NULL THEN content ELSE 'framed' END
                     FROM snapshots ORDER BY hash",
                )
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let migrated = encoding(&old);
        assert_eq!(migrated, encoding(&fresh));
        assert!(migrated.iter().all(|(_, _, kind)| kind == "framed"));
        assert!(
            migrated
                .iter()
                .filter(|(_, base, _)| base.is_some())
                .count()
                > 40
        );
        assert_eq!(
            crate::store::testing::plain_snapshots(&old),
            crate::store::testing::plain_snapshots(&fresh)
        );
    }

    #[test]
    fn history_is_append_only() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("s.db"), Duration::from_secs(1)).unwrap();
        conn.execute_batch(
            "INSERT INTO snapshots (hash, content) VALUES ('h', '{}');
             INSERT INTO history (agent, version, change_track_id, author, published_at, message, snapshot, summary)
             VALUES ('a', 1, 'c', 'me', 't', 'm', 'h', '{}');",
        )
        .unwrap();
        assert!(conn.execute("UPDATE history SET author = 'x'", []).is_err());
        assert!(conn.execute("DELETE FROM history", []).is_err());
    }
}
