//! The PostgreSQL table layout: migrations in order, each run once inside the schema's
//! advisory lock. Never remove or edit an entry of [`MIGRATIONS`]: stores in the field were
//! built by them.

#[allow(unused_imports)]
use super::*;

/// The schema's version; [`MIGRATIONS`] are applied in order, never edited once released.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE agentctl_schema (version INTEGER NOT NULL);
    INSERT INTO agentctl_schema VALUES (0);
    CREATE TABLE heads (agent TEXT PRIMARY KEY);
    CREATE TABLE snapshots (hash TEXT PRIMARY KEY, content TEXT NOT NULL);
    CREATE TABLE history (
        seq             BIGSERIAL PRIMARY KEY,
        agent           TEXT NOT NULL REFERENCES heads (agent),
        version         BIGINT NOT NULL CHECK (version >= 1),
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
    CREATE INDEX history_by_id ON history (change_track_id text_pattern_ops);
    CREATE TABLE changes (
        agent   TEXT NOT NULL,
        version BIGINT NOT NULL,
        path    TEXT NOT NULL,
        kind    TEXT CHECK (kind IN ('added', 'removed', 'changed', 'reordered')),
        old     TEXT,
        new     TEXT,
        lines   TEXT,
        PRIMARY KEY (agent, path, version),
        FOREIGN KEY (agent, version) REFERENCES history (agent, version)
    );
    CREATE INDEX changes_setting ON changes (agent, path, version)
        WHERE kind IN ('added', 'removed', 'changed');
    CREATE TABLE staging_backups (
        id             BIGSERIAL PRIMARY KEY,
        agent          TEXT NOT NULL,
        operation      TEXT NOT NULL,
        file           TEXT NOT NULL,
        previous       BYTEA,
        written        TEXT NOT NULL,
        pending_before TEXT REFERENCES history (change_track_id),
        created_at     TEXT NOT NULL
    );
    CREATE INDEX staging_backups_by_agent ON staging_backups (agent, id);
    CREATE TABLE pending_reverts (
        agent   TEXT PRIMARY KEY,
        reverts TEXT NOT NULL REFERENCES history (change_track_id)
    );
"#,
    r#"
    CREATE TABLE snapshot_frames (id BIGSERIAL PRIMARY KEY, frame BYTEA NOT NULL);
    -- zstd frames do not compress further: no point in TOAST trying.
    ALTER TABLE snapshot_frames ALTER COLUMN frame SET STORAGE EXTERNAL;
    ALTER TABLE snapshots
        ADD COLUMN frame BIGINT REFERENCES snapshot_frames (id),
        ADD COLUMN base TEXT REFERENCES snapshots (hash);
"#,
    // 3: history is append-only, as SQLite's triggers make it: an UPDATE or DELETE of an
    // entry, a snapshot (or its frame) or a recorded change is refused. (Dropped first: a
    // store rolled back to an older version number re-runs this.)
    r#"
    CREATE OR REPLACE FUNCTION agentctl_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
    END
    $$;
    DROP TRIGGER IF EXISTS history_append_only ON history;
    CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
        FOR EACH ROW EXECUTE FUNCTION agentctl_append_only('publish history is append-only');
    DROP TRIGGER IF EXISTS snapshots_append_only ON snapshots;
    CREATE TRIGGER snapshots_append_only BEFORE UPDATE OR DELETE ON snapshots
        FOR EACH ROW EXECUTE FUNCTION agentctl_append_only('snapshots are append-only');
    DROP TRIGGER IF EXISTS snapshot_frames_append_only ON snapshot_frames;
    CREATE TRIGGER snapshot_frames_append_only BEFORE UPDATE OR DELETE ON snapshot_frames
        FOR EACH ROW EXECUTE FUNCTION agentctl_append_only('snapshots are append-only');
    DROP TRIGGER IF EXISTS changes_append_only ON changes;
    CREATE TRIGGER changes_append_only BEFORE UPDATE OR DELETE ON changes
        FOR EACH ROW EXECUTE FUNCTION agentctl_append_only('recorded changes are append-only');
"#,
    // 4: the rules each entry's changes were compared under beyond the detected format
    // (agentctl.yaml's sections:, identity:, a chosen format), as canonical JSON; NULL for
    // the detected format's own, as every entry before this was compared. (IF NOT EXISTS: a
    // store rolled back to an older version number re-runs this.)
    r#"
    ALTER TABLE history ADD COLUMN IF NOT EXISTS rules TEXT;
"#,
];

pub(super) const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Create or migrate the schema under a transaction-scoped advisory lock keyed by its name,
/// so two first commands of a team do not both create it; a newer schema is refused.
pub(super) fn migrate(client: &mut Client, schema: &str, shown: &Shown) -> Result<()> {
    let run = |client: &mut Client| -> Pg<std::result::Result<(), Error>> {
        let mut tx = client.transaction()?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('agentctl:' || $1, 0))",
            &[&schema],
        )?;
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", quote(schema)))?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('agentctl_schema') IS NOT NULL", &[])?
            .get(0);
        let version: i32 = if exists {
            tx.query_one("SELECT version FROM agentctl_schema", &[])?
                .get(0)
        } else {
            0
        };
        if version > SCHEMA_VERSION {
            return Ok(Err(Error::new(format!(
                "the store {shown} has schema version {version}, newer than this agentctl understands ({SCHEMA_VERSION})"
            ))
            .hint("upgrade agentctl (`cargo install agentctl`) to use this store")));
        }
        for migration in &MIGRATIONS[version as usize..] {
            tx.batch_execute(migration)?;
        }
        if version < SCHEMA_VERSION {
            tx.execute(
                "UPDATE agentctl_schema SET version = $1",
                &[&SCHEMA_VERSION],
            )?;
        }
        tx.commit()?;
        Ok(Ok(()))
    };
    run(client).map_err(|e| failed(shown, e))?
}

/// A PostgreSQL identifier, quoted.
pub(super) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
