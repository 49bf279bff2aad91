//! The shared store on a PostgreSQL server (SPEC 11): the same tables as SQLite in a schema of
//! their own (`?schema=NAME`, default `agentctl`), snapshots as zstd frames, mostly deltas, as
//! in SQLite (see `snapshots`; rows written before schema version 2 keep their plain JSON text).
//!
//! Publishing is one READ COMMITTED transaction that locks the agent's row in `heads`
//! (`SELECT … FOR UPDATE`) before reading its production, so concurrent publishers of one agent
//! queue while other agents publish in parallel; `UNIQUE (agent, version)` is the backstop.
//! Only transaction-scoped locks are taken: a killed client's locks end with its connection.

mod connect;
mod history;
mod schema;
mod staging;

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
use super::location::redact;
use super::snapshots::{self, Frames, Recent, Stored};
use super::verify::RecordedRow;
use super::{BACKUPS_KEPT, Backup, COLUMNS, Entry, Head, NewEntry, RawEntry, Report};
use super::{decode_entry, decode_snapshot};
use crate::agent::Config;
use crate::change::{Change, Path};
use crate::error::{Error, Result};

use connect::*;
pub use history::PostgresPublishing;
use schema::*;
pub use staging::PostgresStagingWrite;
use staging::pending_revert;

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

    /// Every agent's production, in name order, in one round trip: the columns a listing
    /// shows, as SQLite's store reads them.
    pub fn heads(&self) -> Result<Vec<Head>> {
        let rows = self.query(
            "SELECT latest.* FROM heads CROSS JOIN LATERAL (
                 SELECT agent, version, change_track_id, published_at, snapshot FROM history
                 WHERE history.agent = heads.agent ORDER BY version DESC LIMIT 1
             ) AS latest
             ORDER BY heads.agent COLLATE \"C\"",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|row| Head {
                agent: row.get(0),
                version: row.get::<_, i64>(1) as u64,
                change_track_id: row.get(2),
                published_at: row.get(3),
                snapshot: row.get(4),
            })
            .collect())
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
        let recorded = tx
            .rows(
                "SELECT agent, version, path, kind, old, new, lines FROM changes
                 ORDER BY agent, version, path",
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
            |hash| snapshots::text(&stored, &recent, hash),
            entries.iter().map(|row| Ok(entry_from_row(row))),
            recorded.iter().map(|row| {
                let lines = row
                    .get::<_, Option<&str>>(6)
                    .map(|text| {
                        serde_json::from_str(text).map_err(|e| {
                            Error::new(format!(
                                "the per-line versions recorded in the store are damaged: {e}"
                            ))
                        })
                    })
                    .transpose()?;
                Ok(RecordedRow {
                    agent: row.get(0),
                    version: row.get::<_, i64>(1) as u64,
                    path: row.get(2),
                    kind: row.get(3),
                    old: row.get(4),
                    new: row.get(5),
                    lines,
                })
            }),
        )?;
        Ok(report)
    }

    /// Forget the productions read so far: the next reads see publishes made since.
    pub fn forget_heads(&mut self) {
        self.heads.get_mut().clear();
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
            rules: row.get(11),
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
