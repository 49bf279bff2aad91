//! The shared store on a PostgreSQL server (SPEC 11): the same tables as SQLite in a schema of
//! their own (`?schema=NAME`, default `agentctl`), snapshots as zstd frames, mostly deltas, as
//! in SQLite (see `snapshots`; rows written before schema version 2 keep their plain JSON text).
//!
//! Publishing is one READ COMMITTED transaction that locks the agent's row in `heads`
//! (`SELECT … FOR UPDATE`) before reading its production, so concurrent publishers of one agent
//! queue while other agents publish in parallel; `UNIQUE (agent, version)` is the backstop.
//! Only transaction-scoped locks are taken: a killed client's locks end with its connection.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, IsolationLevel, Row, SimpleQueryMessage, Transaction};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

use super::changes::{Recorded, Setting, line_versions, lines_as_of, rows};
use super::redact;
use super::snapshots::{self, Frames, Recent, Stored};
use super::{BACKUPS_KEPT, Backup, COLUMNS, Entry, NewEntry, RawEntry, Report};
use super::{decode_entry, decode_snapshot};
use crate::agent::Config;
use crate::change::{Change, Path};
use crate::error::{Error, Result};

/// The schema's version; [`MIGRATIONS`] are applied in order, never edited once released.
const MIGRATIONS: &[&str] = &[
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
];

const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// How long a connection attempt may take before it is an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Beyond the lock wait, how long one statement may run.
const STATEMENT_SLACK: Duration = Duration::from_secs(60);

pub struct Postgres {
    client: RefCell<Client>,
    /// The store as shown to people.
    shown: Shown,
    /// Each agent's production as first read by this command, so that asking again (a survey,
    /// then REF `production`) costs no round trip; forgotten when a publish starts.
    heads: RefCell<HashMap<String, Option<Entry>>>,
    /// The snapshot texts decoded or written last.
    recent: Recent,
}

impl Postgres {
    /// Connect, set the session's timeouts, and create or migrate the schema.
    pub fn connect(url: &str, lock_timeout: Duration) -> Result<Postgres> {
        let shown = Shown {
            url: redact(url),
            lock_timeout,
        };
        let (url, Own { schema, root_cert }) = own_params(url);
        let mut config = postgres::Config::from_str(&url).map_err(|e| {
            Error::new(format!(
                "{shown} is not a PostgreSQL URL agentctl can use: {e}"
            ))
            .hint("the form is postgres://USER@HOST:PORT/DATABASE?schema=NAME")
        })?;
        if config.get_password().is_none()
            && let Some(password) = std::env::var_os("PGPASSWORD")
        {
            config.password(password.as_encoded_bytes());
        }
        decide_tls(&mut config, url.contains("sslmode="), root_cert.is_some());
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30));
        let mut client = if config.get_ssl_mode() == postgres::config::SslMode::Disable {
            config.connect(postgres::NoTls)
        } else {
            config.connect(tls(root_cert.as_deref())?)
        }
        .map_err(|e| cannot_connect(&shown, &e))?;
        let millis = |d: Duration| d.as_millis().max(1);
        let session = format!(
            "SET lock_timeout = {}; SET statement_timeout = {};
             SET idle_in_transaction_session_timeout = 60000; SET search_path TO {}",
            millis(lock_timeout),
            millis(lock_timeout + STATEMENT_SLACK),
            quote(&schema),
        );
        // One round trip sets the session up and reads the schema's version, which most opens
        // find current. A missing table fails the whole batch, its SETs included (one implicit
        // transaction): the slow path then sets them again and creates or migrates the schema
        // under its lock.
        let current =
            match client.simple_query(&format!("{session}; SELECT version FROM agentctl_schema")) {
                Ok(messages) => messages.iter().any(|message| {
                    matches!(message, SimpleQueryMessage::Row(row)
                    if row.get(0).and_then(|v| v.parse().ok()) == Some(SCHEMA_VERSION))
                }),
                Err(_) => {
                    client
                        .batch_execute(&session)
                        .map_err(|e| failed(&shown, e))?;
                    false
                }
            };
        if !current {
            migrate(&mut client, &schema, &shown)?;
        }
        Ok(Postgres {
            client: RefCell::new(client),
            shown,
            heads: RefCell::default(),
            recent: Recent::default(),
        })
    }

    fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        self.client
            .borrow_mut()
            .rows(sql, params)
            .map_err(|e| failed(&self.shown, e))
    }

    pub fn head(&self, agent: &str) -> Result<Option<Entry>> {
        if let Some(entry) = self.heads.borrow().get(agent) {
            return Ok(entry.clone());
        }
        let entry =
            head(&mut *self.client.borrow_mut(), agent).map_err(|e| failed(&self.shown, e))??;
        self.heads
            .borrow_mut()
            .insert(agent.to_owned(), entry.clone());
        Ok(entry)
    }

    /// The agents, with each one's production read in the same round trip: a survey then
    /// asks [`Postgres::head`] for each without going back to the server.
    pub fn agents(&self) -> Result<Vec<String>> {
        let rows = self.query(
            &format!(
                "SELECT latest.* FROM heads CROSS JOIN LATERAL (
                     SELECT {COLUMNS} FROM history WHERE history.agent = heads.agent
                     ORDER BY version DESC LIMIT 1
                 ) AS latest
                 ORDER BY heads.agent COLLATE \"C\""
            ),
            &[],
        )?;
        let mut heads = self.heads.borrow_mut();
        Ok(rows
            .iter()
            .map(|row| {
                let agent: String = row.get(0);
                // A damaged entry is left for `head` to report, as it would without this.
                if let Ok(entry) = decode_entry(entry_from_row(row)) {
                    heads.entry(agent.clone()).or_insert(Some(entry));
                }
                agent
            })
            .collect())
    }

    pub fn log(&self, agent: Option<&str>, limit: Option<usize>) -> Result<Vec<Entry>> {
        let limit = limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let rows = match agent {
            Some(agent) => self.query(
                &format!(
                    "SELECT {COLUMNS} FROM history WHERE agent = $1 ORDER BY version DESC LIMIT $2"
                ),
                &[(&agent, Type::TEXT), (&limit, Type::INT8)],
            )?,
            None => self.query(
                &format!("SELECT {COLUMNS} FROM history ORDER BY seq DESC LIMIT $1"),
                &[(&limit, Type::INT8)],
            )?,
        };
        rows.iter()
            .map(|row| decode_entry(entry_from_row(row)))
            .collect()
    }

    pub fn entry(&self, agent: &str, version: u64) -> Result<Option<Entry>> {
        entry_at(&mut *self.client.borrow_mut(), agent, version)
            .map_err(|e| failed(&self.shown, e))?
    }

    pub fn by_id(&self, change_track_id: &str) -> Result<Option<Entry>> {
        by_id(&mut *self.client.borrow_mut(), change_track_id)
            .map_err(|e| failed(&self.shown, e))?
    }

    pub fn snapshot(&self, entry: &Entry) -> Result<Config> {
        snapshot(
            &Chains::new(&self.client, &self.shown),
            &self.recent,
            &entry.snapshot,
        )
    }

    pub fn by_prefix(&self, agent: &str, prefix: &str, limit: usize) -> Result<Vec<Entry>> {
        let rows = self.query(
            &format!(
                "SELECT {COLUMNS} FROM history WHERE change_track_id LIKE $1 || '%' AND agent = $2
                 ORDER BY change_track_id LIMIT $3"
            ),
            &[
                (&prefix, Type::TEXT),
                (&agent, Type::TEXT),
                (&(limit as i64), Type::INT8),
            ],
        )?;
        rows.iter().map(entry_from_row).map(decode_entry).collect()
    }

    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        pending_revert(&mut *self.client.borrow_mut(), agent).map_err(|e| failed(&self.shown, e))?
    }

    pub fn versions_at(&self, agent: &str, path: &Path, limit: Option<usize>) -> Result<Vec<u64>> {
        let sql_limit = limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        Ok(self
            .query(
                "SELECT version FROM changes WHERE agent = $1 AND path = $2
                 ORDER BY version DESC LIMIT $3",
                &[
                    (&agent, Type::TEXT),
                    (&path.to_string(), Type::TEXT),
                    (&sql_limit, Type::INT8),
                ],
            )?
            .iter()
            .map(|row| row.get::<_, i64>(0) as u64)
            .collect())
    }

    pub fn settings_at(&self, agent: &str, path: &Path) -> Result<Vec<Setting>> {
        Ok(self
            .query(
                "SELECT version, old, new FROM changes
                 WHERE kind IN ('added', 'removed', 'changed') AND agent = $1 AND path = $2",
                &[(&agent, Type::TEXT), (&path.to_string(), Type::TEXT)],
            )?
            .iter()
            .map(|row| (row.get::<_, i64>(0) as u64, row.get(1), row.get(2)))
            .collect())
    }

    pub fn last_touched(&self, agent: &str, path: &Path, upto: u64) -> Result<Option<u64>> {
        let rows = self.query(
            "SELECT max(version) FROM changes WHERE agent = $1 AND path = $2 AND version <= $3",
            &[
                (&agent, Type::TEXT),
                (&path.to_string(), Type::TEXT),
                (&(upto as i64), Type::INT8),
            ],
        )?;
        Ok(rows[0].get::<_, Option<i64>>(0).map(|v| v as u64))
    }

    pub fn settings(
        &self,
        agent: &str,
        path: &Path,
        upto: u64,
        limit: Option<usize>,
    ) -> Result<Vec<u64>> {
        Recorded::settings(
            &Session(&self.client, &self.shown),
            agent,
            path,
            upto,
            limit,
        )
    }

    pub fn line_versions(
        &self,
        agent: &str,
        path: &Path,
        upto: u64,
        count: usize,
    ) -> Result<Option<Vec<u64>>> {
        lines_as_of(
            &Session(&self.client, &self.shown),
            agent,
            path,
            upto,
            count,
        )
    }

    /// Every snapshot and history, read in one REPEATABLE READ snapshot of the database.
    pub fn verify(&mut self) -> Result<Report> {
        let shown = self.shown.clone();
        let client = self.client.get_mut();
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(|e| failed(&shown, e))?;
        // Every stored form at once, frames in the order they were written: a delta's base
        // comes before it, and is usually still among the texts just decoded.
        let rows = tx
            .rows(
                &format!("SELECT {STORED} FROM snapshots s {FRAME} ORDER BY s.frame NULLS FIRST"),
                &[],
            )
            .map_err(|e| failed(&shown, e))?;
        let stored = Fetched::default();
        let hashes: Vec<String> = rows.iter().map(|row| stored.add(row)).collect();
        let entries = tx
            .rows(
                &format!("SELECT {COLUMNS} FROM history ORDER BY agent, version"),
                &[],
            )
            .map_err(|e| failed(&shown, e))?;
        let mut report = Report::default();
        let recent = Recent::default();
        super::verify::check(
            &mut report,
            hashes.into_iter().map(|hash| {
                let text = snapshots::text(&stored, &recent, &hash).map(|t| t.to_string());
                (hash, text)
            }),
            entries.iter().map(|row| Ok(entry_from_row(row))),
        )?;
        Ok(report)
    }

    /// One READ COMMITTED transaction; [`PostgresPublishing::head`] locks each agent's row.
    pub fn publishing(&mut self, dry_run: bool) -> Result<PostgresPublishing<'_>> {
        let Postgres {
            client,
            shown,
            heads,
            recent,
        } = self;
        heads.get_mut().clear();
        Ok(PostgresPublishing {
            tx: RefCell::new(read_committed(client.get_mut(), shown)?),
            shown,
            recent,
            dry_run,
        })
    }

    pub fn staging_write(&mut self) -> Result<PostgresStagingWrite<'_>> {
        let Postgres { client, shown, .. } = self;
        Ok(PostgresStagingWrite {
            tx: RefCell::new(read_committed(client.get_mut(), shown)?),
            shown,
        })
    }
}

fn read_committed<'c>(client: &'c mut Client, shown: &Shown) -> Result<Transaction<'c>> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .map_err(|e| failed(shown, e))
}

/// A statement's parameters, each with its type: the statement then goes to the server
/// unprepared, with its values, in one round trip (a prepared one costs two).
type Params<'a> = &'a [(&'a (dyn ToSql + Sync), Type)];

/// The store's connection, or a transaction on it, for the queries both run.
trait Query {
    fn rows(&mut self, sql: &str, params: Params<'_>) -> Pg<Vec<Row>>;
}

impl Query for Client {
    fn rows(&mut self, sql: &str, params: Params<'_>) -> Pg<Vec<Row>> {
        self.query_typed(sql, params)
    }
}

impl Query for Transaction<'_> {
    fn rows(&mut self, sql: &str, params: Params<'_>) -> Pg<Vec<Row>> {
        self.query_typed(sql, params)
    }
}

type Pg<T> = std::result::Result<T, postgres::Error>;

/// The history entry `condition` selects (at most one row), decoded.
fn entry_where(
    db: &mut impl Query,
    condition: &str,
    params: Params<'_>,
) -> Pg<Result<Option<Entry>>> {
    let rows = db.rows(
        &format!("SELECT {COLUMNS} FROM history WHERE {condition}"),
        params,
    )?;
    Ok(rows
        .first()
        .map(|row| decode_entry(entry_from_row(row)))
        .transpose())
}

fn head(db: &mut impl Query, agent: &str) -> Pg<Result<Option<Entry>>> {
    entry_where(
        db,
        "agent = $1 ORDER BY version DESC LIMIT 1",
        &[(&agent, Type::TEXT)],
    )
}

fn entry_at(db: &mut impl Query, agent: &str, version: u64) -> Pg<Result<Option<Entry>>> {
    entry_where(
        db,
        "agent = $1 AND version = $2",
        &[(&agent, Type::TEXT), (&(version as i64), Type::INT8)],
    )
}

fn by_id(db: &mut impl Query, change_track_id: &str) -> Pg<Result<Option<Entry>>> {
    entry_where(
        db,
        "change_track_id = $1",
        &[(&change_track_id, Type::TEXT)],
    )
}

fn snapshot<D: Query>(chains: &Chains<'_, D>, recent: &Recent, hash: &str) -> Result<Config> {
    decode_snapshot(hash, &snapshots::text(chains, recent, hash)?)
}

/// The columns [`Fetched::add`] reads, from `snapshots s` [`FRAME`].
const STORED: &str = "s.hash, s.content, s.frame IS NOT NULL, f.frame, s.base";
const FRAME: &str = "LEFT JOIN snapshot_frames f ON f.id = s.frame";

/// Stored forms of snapshots read from the server, by hash (`None`: the row's frame is gone).
#[derive(Default)]
struct Fetched(RefCell<HashMap<String, Option<Stored>>>);

impl Fetched {
    /// Keep the stored form in a row of [`STORED`]; its hash.
    fn add(&self, row: &Row) -> String {
        let hash: String = row.get(0);
        let stored = match (row.get::<_, bool>(2), row.get::<_, Option<Vec<u8>>>(3)) {
            (true, Some(frame)) => Some(Stored::Frame(frame, row.get(4))),
            (true, None) => None,
            (false, _) => Some(Stored::Plain(row.get(1))),
        };
        self.0.borrow_mut().insert(hash.clone(), stored);
        hash
    }

    fn has(&self, hash: &str) -> bool {
        self.0.borrow().contains_key(hash)
    }
}

impl Frames for Fetched {
    fn stored(&self, hash: &str) -> Result<Option<Stored>> {
        match self.0.borrow().get(hash) {
            None => Ok(None),
            Some(None) => Err(snapshots::damaged(hash, "its frame is missing")),
            Some(Some(stored)) => Ok(Some(stored.clone())),
        }
    }
}

/// Snapshots read from the server a chain at a time: asked for one it has not fetched, it
/// fetches that snapshot and its bases back to a full copy in one round trip.
struct Chains<'a, D> {
    db: &'a RefCell<D>,
    shown: &'a Shown,
    fetched: Fetched,
}

impl<'a, D: Query> Chains<'a, D> {
    fn new(db: &'a RefCell<D>, shown: &'a Shown) -> Self {
        Chains {
            db,
            shown,
            fetched: Fetched::default(),
        }
    }

    /// Fetch the chain of the snapshot `seed` selects (a query giving one hash); its hash.
    fn fetch(&self, seed: &str, params: Params<'_>) -> Result<Option<String>> {
        // A damaged store may hold a cycle: the depth bounds the walk as the decoder does.
        let rows = self
            .db
            .borrow_mut()
            .rows(
                &format!(
                    "WITH RECURSIVE chain (hash, depth) AS (
                         SELECT hash, 0 FROM snapshots WHERE hash = ({seed})
                         UNION ALL
                         SELECT s.base, c.depth + 1 FROM chain c JOIN snapshots s ON s.hash = c.hash
                         WHERE s.base IS NOT NULL AND c.depth < {}
                     )
                     SELECT {STORED} FROM chain c JOIN snapshots s ON s.hash = c.hash {FRAME}
                     ORDER BY c.depth",
                    snapshots::MAX_CHAIN
                ),
                params,
            )
            .map_err(|e| failed(self.shown, e))?;
        let hashes: Vec<String> = rows.iter().map(|row| self.fetched.add(row)).collect();
        Ok(hashes.into_iter().next())
    }

    /// The hash of `agent`'s snapshot at `version`, with its chain fetched.
    fn fetch_at(&self, agent: &str, version: u64) -> Result<Option<String>> {
        self.fetch(
            "SELECT snapshot FROM history WHERE agent = $1 AND version = $2",
            &[(&agent, Type::TEXT), (&(version as i64), Type::INT8)],
        )
    }
}

impl<D: Query> Frames for Chains<'_, D> {
    fn stored(&self, hash: &str) -> Result<Option<Stored>> {
        if !self.fetched.has(hash) {
            self.fetch("SELECT $1::TEXT", &[(&hash, Type::TEXT)])?;
        }
        self.fetched.stored(hash)
    }
}

fn pending_revert(db: &mut impl Query, agent: &str) -> Pg<Result<Option<Entry>>> {
    let rows = db.rows(
        "SELECT reverts FROM pending_reverts WHERE agent = $1",
        &[(&agent, Type::TEXT)],
    )?;
    match rows.first() {
        Some(row) => by_id(db, row.get(0)),
        None => Ok(Ok(None)),
    }
}

fn entry_from_row(row: &Row) -> RawEntry {
    (
        Entry {
            agent: row.get(0),
            version: row.get::<_, i64>(1) as u64,
            change_track_id: row.get(2),
            parent: row.get(3),
            author: row.get(4),
            published_at: row.get(5),
            message: row.get(6),
            snapshot: row.get(7),
            summary: Default::default(),
            reverts: row.get(9),
            git_commit: row.get(10),
        },
        row.get(8),
    )
}

/// The connection (or a transaction) as the changes module asks it about earlier records.
struct Session<'a, D>(&'a RefCell<D>, &'a Shown);

impl<D: Query> Recorded for Session<'_, D> {
    fn settings(
        &self,
        agent: &str,
        path: &Path,
        upto: u64,
        limit: Option<usize>,
    ) -> Result<Vec<u64>> {
        let limit = limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let rows = self
            .0
            .borrow_mut()
            .rows(
                "SELECT version FROM changes WHERE kind IN ('added', 'removed', 'changed')
                 AND agent = $1 AND path = $2 AND version <= $3 ORDER BY version DESC LIMIT $4",
                &[
                    (&agent, Type::TEXT),
                    (&path.to_string(), Type::TEXT),
                    (&(upto as i64), Type::INT8),
                    (&limit, Type::INT8),
                ],
            )
            .map_err(|e| failed(self.1, e))?;
        Ok(rows.iter().map(|row| row.get::<_, i64>(0) as u64).collect())
    }

    fn recorded_lines(&self, agent: &str, path: &str, version: u64) -> Result<Option<Vec<u64>>> {
        let rows = self
            .0
            .borrow_mut()
            .rows(
                "SELECT lines FROM changes WHERE agent = $1 AND path = $2 AND version = $3
                 AND lines IS NOT NULL",
                &[
                    (&agent, Type::TEXT),
                    (&path, Type::TEXT),
                    (&(version as i64), Type::INT8),
                ],
            )
            .map_err(|e| failed(self.1, e))?;
        rows.first()
            .map(|row| {
                serde_json::from_str(row.get(0)).map_err(|e| {
                    Error::new(format!("a recorded change in the store is damaged: {e}"))
                })
            })
            .transpose()
    }
}

/// An open publish transaction on the server.
pub struct PostgresPublishing<'s> {
    tx: RefCell<Transaction<'s>>,
    shown: &'s Shown,
    recent: &'s Recent,
    dry_run: bool,
}

impl PostgresPublishing<'_> {
    /// Lock the agent's row (made on its first publish) and read its production: a publisher
    /// of the same agent waits here until this transaction ends, then sees what it recorded.
    pub fn head(&self, agent: &str) -> Result<Option<Entry>> {
        let shown = self.shown;
        let mut tx = self.tx.borrow_mut();
        if !self.dry_run {
            // The agent's row, locked: a publisher holding it is waited for. The agent's first
            // publish makes the row (a concurrent first publisher's insert is waited for by
            // ours, which then does nothing) and locks it then.
            let lock = |tx: &mut Transaction<'_>| {
                tx.rows(
                    "SELECT agent FROM heads WHERE agent = $1 FOR UPDATE",
                    &[(&agent, Type::TEXT)],
                )
                .map(|rows| !rows.is_empty())
                .map_err(|e| failed(shown, e))
            };
            if !lock(&mut tx)? {
                tx.rows(
                    "INSERT INTO heads (agent) VALUES ($1) ON CONFLICT DO NOTHING",
                    &[(&agent, Type::TEXT)],
                )
                .map_err(|e| failed(shown, e))?;
                lock(&mut tx)?;
            }
        }
        head(&mut *tx, agent).map_err(|e| failed(shown, e))?
    }

    pub fn snapshot(&self, entry: &Entry) -> Result<Config> {
        snapshot(
            &Chains::new(&self.tx, self.shown),
            self.recent,
            &entry.snapshot,
        )
    }

    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        pending_revert(&mut *self.tx.borrow_mut(), agent).map_err(|e| failed(self.shown, e))?
    }

    pub fn append(&self, parent: Option<&Entry>, new: &NewEntry<'_>) -> Result<Entry> {
        let entry = new.entry_after(parent);
        if self.dry_run {
            return Ok(entry);
        }
        let lines = self.lines(&entry, new.changes)?;
        let content = Value::Object(new.config.clone()).to_string();
        // A delta against the snapshot of an earlier version, as in SQLite (see `snapshots`):
        // usually the parent's, whose text the publish has just read.
        let chains = Chains::new(&self.tx, self.shown);
        let base = match snapshots::base_version(entry.version) {
            None => None,
            Some(version) => match parent {
                Some(parent) if parent.version == version => Some(parent.snapshot.clone()),
                _ => chains.fetch_at(&entry.agent, version)?,
            },
        };
        let frame = snapshots::encode(&chains, self.recent, &content, base.as_deref())?;
        let summary = serde_json::to_string(&entry.summary)
            .map_err(|e| Error::new(format!("cannot encode the summary: {e}")))?;
        let version = entry.version as i64;
        // The recorded changes go as parallel arrays, one element per path.
        let mut paths = Vec::new();
        let mut kinds = Vec::new();
        let mut olds = Vec::new();
        let mut news = Vec::new();
        let mut kept = Vec::new();
        for (path, row) in rows(new.changes) {
            kept.push(
                lines
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, l)| l.clone()),
            );
            paths.push(path);
            kinds.push(row.kind);
            olds.push(row.old);
            news.push(row.new);
        }
        // One statement, one round trip: foreign keys are checked at its end, when the
        // snapshot and history rows it inserts are there.
        self.tx
            .borrow_mut()
            .rows(
                "WITH snapshot AS (
                     INSERT INTO snapshots (hash, content, frame, base)
                     VALUES ($8, '', nextval('snapshot_frames_id_seq'), $18)
                     ON CONFLICT DO NOTHING RETURNING frame
                 ), frame AS (
                     INSERT INTO snapshot_frames (id, frame) SELECT frame, $12 FROM snapshot
                 ), entry AS (
                     INSERT INTO history (agent, version, change_track_id, parent, author,
                         published_at, message, snapshot, summary, reverts, git_commit)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ), pending AS (
                     DELETE FROM pending_reverts WHERE agent = $1
                 )
                 INSERT INTO changes (agent, version, path, kind, old, new, lines)
                 SELECT $1, $2, path, kind, old, new, lines
                 FROM unnest($13::TEXT[], $14::TEXT[], $15::TEXT[], $16::TEXT[], $17::TEXT[])
                     AS c (path, kind, old, new, lines)",
                &[
                    (&entry.agent, Type::TEXT),
                    (&version, Type::INT8),
                    (&entry.change_track_id, Type::TEXT),
                    (&entry.parent, Type::TEXT),
                    (&entry.author, Type::TEXT),
                    (&entry.published_at, Type::TEXT),
                    (&entry.message, Type::TEXT),
                    (&entry.snapshot, Type::TEXT),
                    (&summary, Type::TEXT),
                    (&entry.reverts, Type::TEXT),
                    (&entry.git_commit, Type::TEXT),
                    (&frame, Type::BYTEA),
                    (&paths, Type::TEXT_ARRAY),
                    (&kinds, Type::TEXT_ARRAY),
                    (&olds, Type::TEXT_ARRAY),
                    (&news, Type::TEXT_ARRAY),
                    (&kept, Type::TEXT_ARRAY),
                    (&base, Type::TEXT),
                ],
            )
            .map_err(|e| failed(self.shown, e))?;
        self.recent.put(&entry.snapshot, content.into());
        Ok(entry)
    }

    /// The per-line versions of every multi-line string the publish sets, as JSON, by path.
    fn lines(&self, entry: &Entry, changes: &[Change]) -> Result<Vec<(String, String)>> {
        let session = Session(&self.tx, self.shown);
        let mut lines = Vec::new();
        for change in changes {
            if let Some(versions) = line_versions(&session, &entry.agent, entry.version, change)? {
                lines.push((change.path.to_string(), Value::from(versions).to_string()));
            }
        }
        Ok(lines)
    }

    pub fn commit(self) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        self.tx
            .into_inner()
            .commit()
            .map_err(|e| failed(self.shown, e))
    }
}

/// An open write transaction over the staging tables on the server.
pub struct PostgresStagingWrite<'s> {
    tx: RefCell<Transaction<'s>>,
    shown: &'s Shown,
}

impl PostgresStagingWrite<'_> {
    fn rows(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        self.tx
            .borrow_mut()
            .rows(sql, params)
            .map_err(|e| failed(self.shown, e))
    }

    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        pending_revert(&mut *self.tx.borrow_mut(), agent).map_err(|e| failed(self.shown, e))?
    }

    pub fn set_pending_revert(&self, agent: &str, reverts: Option<&str>) -> Result<()> {
        match reverts {
            Some(id) => self.rows(
                "INSERT INTO pending_reverts (agent, reverts) VALUES ($1, $2)
                 ON CONFLICT (agent) DO UPDATE SET reverts = excluded.reverts",
                &[(&agent, Type::TEXT), (&id, Type::TEXT)],
            )?,
            None => self.rows(
                "DELETE FROM pending_reverts WHERE agent = $1",
                &[(&agent, Type::TEXT)],
            )?,
        };
        Ok(())
    }

    pub fn keep(&self, backup: &Backup) -> Result<Backup> {
        let rows = self.rows(
            "INSERT INTO staging_backups
                 (agent, operation, file, previous, written, pending_before, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                (&backup.agent, Type::TEXT),
                (&backup.operation, Type::TEXT),
                (&backup.file, Type::TEXT),
                (&backup.previous, Type::BYTEA),
                (&backup.written, Type::TEXT),
                (&backup.pending_before, Type::TEXT),
                (&backup.created_at, Type::TEXT),
            ],
        )?;
        let id: i64 = rows[0].get(0);
        self.rows(
            "DELETE FROM staging_backups WHERE agent = $1 AND id NOT IN
                 (SELECT id FROM staging_backups WHERE agent = $1 ORDER BY id DESC LIMIT $2)",
            &[(&backup.agent, Type::TEXT), (&BACKUPS_KEPT, Type::INT8)],
        )?;
        Ok(Backup {
            id,
            ..backup.clone()
        })
    }

    pub fn last_backup(&self, agent: Option<&str>) -> Result<Option<Backup>> {
        let rows = self.rows(
            "SELECT id, agent, operation, file, previous, written, pending_before, created_at
             FROM staging_backups WHERE $1::TEXT IS NULL OR agent = $1 ORDER BY id DESC LIMIT 1",
            &[(&agent, Type::TEXT)],
        )?;
        Ok(rows.first().map(|row| Backup {
            id: row.get(0),
            agent: row.get(1),
            operation: row.get(2),
            file: row.get(3),
            previous: row.get(4),
            written: row.get(5),
            pending_before: row.get(6),
            created_at: row.get(7),
        }))
    }

    pub fn forget(&self, backup: &Backup) -> Result<()> {
        self.rows(
            "DELETE FROM staging_backups WHERE id = $1",
            &[(&backup.id, Type::INT8)],
        )?;
        Ok(())
    }

    pub fn commit(self) -> Result<()> {
        self.tx
            .into_inner()
            .commit()
            .map_err(|e| failed(self.shown, e))
    }
}

/// Create or migrate the schema under a transaction-scoped advisory lock keyed by its name,
/// so two first commands of a team do not both create it; a newer schema is refused.
fn migrate(client: &mut Client, schema: &str, shown: &Shown) -> Result<()> {
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

/// The URL's parameters that agentctl handles itself rather than the driver.
#[derive(Debug, PartialEq)]
struct Own {
    /// `schema=NAME`, default `agentctl`.
    schema: String,
    /// `sslrootcert=PATH`: a PEM file of the certificate authorities to trust instead of the
    /// Mozilla roots.
    root_cert: Option<PathBuf>,
}

/// The URL for the driver, and agentctl's own parameters taken out of it. libpq's
/// `sslmode=verify-ca` and `verify-full` become `require`, which verifies the certificate and
/// the host name it was issued for (as `verify-full` does).
fn own_params(url: &str) -> (String, Own) {
    let mut own = Own {
        schema: "agentctl".to_owned(),
        root_cert: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), own);
    };
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "schema" => own.schema = percent_decoded(value),
            "sslrootcert" => own.root_cert = Some(PathBuf::from(percent_decoded(value))),
            "sslmode" if matches!(value, "verify-ca" | "verify-full") => {
                kept.push("sslmode=require")
            }
            _ => kept.push(pair),
        }
    }
    if kept.is_empty() {
        (base.to_owned(), own)
    } else {
        (format!("{base}?{}", kept.join("&")), own)
    }
}

/// A URL parameter's value with its `%XX` escapes decoded.
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// A PostgreSQL identifier, quoted.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// rustls, trusting the Mozilla roots or the authorities in `root_cert`: the server's
/// certificate and the host name it names are verified, and no OpenSSL is needed.
fn tls(root_cert: Option<&std::path::Path>) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let shown = path.display();
            let unusable = |why: String| {
                Error::new(format!("cannot use sslrootcert {shown}: {why}")).hint(
                    "sslrootcert=PATH names a PEM file holding the certificate of the authority \
                     that signed the server's certificate",
                )
            };
            let pem = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
            let certificates = CertificateDer::pem_slice_iter(&pem)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| unusable(format!("not a PEM file ({e})")))?;
            let (added, _) = roots.add_parsable_certificates(certificates);
            if added == 0 {
                return Err(unusable("it holds no certificate".to_owned()));
            }
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::new(format!("cannot set up TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A failed connection, said plainly: a certificate agentctl does not trust, or one for
/// another host, each with what to do; else the driver's or server's reason.
fn cannot_connect(shown: &Shown, error: &postgres::Error) -> Error {
    use rustls::CertificateError::{NotValidForName, NotValidForNameContext, UnknownIssuer};
    let failed = format!("cannot connect to the store {shown}");
    match tls_error(error) {
        Some(rustls::Error::InvalidCertificate(UnknownIssuer)) => Error::new(format!(
            "{failed}: the server's TLS certificate is not signed by an authority agentctl trusts"
        ))
        .hint("give the authority's certificate (PEM) with sslrootcert=PATH in the URL"),
        Some(tls @ rustls::Error::InvalidCertificate(NotValidForName | NotValidForNameContext { .. })) => {
            Error::new(format!(
                "{failed}: the server's TLS certificate is not for the host in the URL ({tls})"
            ))
            .hint("connect with a host name the certificate names (hostaddr=IP can give the address to connect to)")
        }
        Some(tls) => Error::new(format!("{failed}: TLS failed: {tls}"))
            .hint("check sslmode and sslrootcert in the URL, and the server's certificate"),
        None if error.to_string().contains("does not support TLS") => {
            Error::new(format!("{failed}: the server does not offer TLS")).hint(
                "enable TLS on the server; sslmode=disable sends everything, the password included, in clear",
            )
        }
        None => Error::new(format!("{failed}: {}", reason(error))).hint(
            "check the server is running, and the user, password (or PGPASSWORD) and database in the URL",
        ),
    }
}

/// Loopback and local sockets need no TLS, unless the URL names a CA to verify the server
/// with; anything else must not go in clear: only an explicit `sslmode=disable` does, and
/// `prefer` (TLS if the server offers it) means `require` there.
fn decide_tls(config: &mut postgres::Config, explicit: bool, root_cert: bool) {
    use postgres::config::{Host, SslMode};
    let local = config.get_hosts().iter().all(|host| match host {
        Host::Tcp(name) => {
            name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        Host::Unix(_) => true,
    }) && config.get_hostaddrs().iter().all(|ip| ip.is_loopback());
    if !explicit {
        config.ssl_mode(if local && !root_cert {
            SslMode::Disable
        } else {
            SslMode::Require
        });
    } else if !local && config.get_ssl_mode() == SslMode::Prefer {
        config.ssl_mode(SslMode::Require);
    }
}

/// The TLS library's own error inside a driver error, if the failure was TLS's.
fn tls_error(error: &postgres::Error) -> Option<&rustls::Error> {
    let mut source = std::error::Error::source(error);
    while let Some(error) = source {
        let inner = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map_or(error, |inner| inner as &(dyn std::error::Error + 'static));
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        source = error.source();
    }
    None
}

/// A server error's own message, or the client's (which names no password).
fn reason(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => match std::error::Error::source(error) {
            Some(source) => format!("{error}: {source}"),
            None => error.to_string(),
        },
    }
}

/// The store as errors name it: its URL without the password, and how long its locks are
/// waited for (`--lock-timeout`), for the message when that ran out.
#[derive(Clone)]
struct Shown {
    url: String,
    lock_timeout: Duration,
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

/// A failed statement, said plainly: a lock waited for too long, a lost server, or the error.
fn failed(shown: &Shown, error: postgres::Error) -> Error {
    match error.code() {
        Some(code) if *code == SqlState::LOCK_NOT_AVAILABLE => {
            return super::busy(Some(shown), Some(shown.lock_timeout));
        }
        Some(code) if *code == SqlState::QUERY_CANCELED => {
            return Error::new(format!(
                "the store {shown} did not answer in time: {}",
                reason(&error)
            ))
            .hint("nothing was recorded; check the server's load and run the command again");
        }
        _ => {}
    }
    if error.is_closed() || error.as_db_error().is_none() {
        return Error::new(format!("lost the connection to the store {shown}: {}", reason(&error)))
            .hint("check the server is running and reachable, then run the command again (a publish that did commit is found to have nothing left to publish)");
    }
    Error::new(format!("the store {shown} failed: {}", reason(&error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_is_required_off_loopback_unless_disabled() {
        use postgres::config::SslMode::{Disable, Prefer, Require};
        let decided = |url: &str, root_cert: bool| {
            let mut config = postgres::Config::from_str(url).unwrap();
            decide_tls(&mut config, url.contains("sslmode="), root_cert);
            config.get_ssl_mode()
        };
        for (url, root_cert, mode) in [
            ("postgres://u@127.0.0.1/db", false, Disable),
            ("postgres://u@localhost/db", true, Require),
            ("postgres://u@localhost/db?sslmode=prefer", false, Prefer),
            ("postgres://u@db.example.com/db", false, Require),
            (
                "postgres://u@db.example.com/db?sslmode=prefer",
                false,
                Require,
            ),
            (
                "postgres://u@db.example.com/db?hostaddr=127.0.0.1",
                false,
                Require,
            ),
            (
                "postgres://u@db.example.com/db?sslmode=disable",
                false,
                Disable,
            ),
        ] {
            assert_eq!(decided(url, root_cert), mode, "{url}");
        }
    }

    #[test]
    fn own_parameters_are_taken_out_of_the_url() {
        let (url, own) = own_params(
            "postgres://u@h/db?schema=team%20a&sslmode=verify-full&sslrootcert=/etc/ca%20dir/ca.pem&application_name=x",
        );
        assert_eq!(url, "postgres://u@h/db?sslmode=require&application_name=x");
        assert_eq!(
            own,
            Own {
                schema: "team a".into(),
                root_cert: Some(PathBuf::from("/etc/ca dir/ca.pem")),
            }
        );
        let (url, own) = own_params("postgres://u@h/db?sslmode=verify-ca");
        assert_eq!(url, "postgres://u@h/db?sslmode=require");
        assert_eq!(own.schema, "agentctl");
        assert_eq!(
            own_params("postgres://u@h/db?schema=s").0,
            "postgres://u@h/db"
        );
        assert_eq!(own_params("postgres://u@h/db").0, "postgres://u@h/db");
        assert_eq!(percent_decoded("100%"), "100%");
        assert_eq!(percent_decoded("%zz%41"), "%zzA");
    }
}
