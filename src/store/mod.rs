//! The publish history: an append-only list of entries per agent, each pointing at a snapshot
//! stored once by its content hash (mostly as a compressed delta, see `snapshots`), chained by
//! `change_track_id` like git's commits. Production of an agent is its newest entry.
//!
//! The one interface commands reach history through is [`Store`]: SQLite (a file, one person
//! or one CI cache) or PostgreSQL (a server a team shares, SPEC 11). Both keep the same tables
//! and give the same answers; only how they lock differs. What both share sits here at the
//! top (`chain` ids and parents, `reference` the REF grammar, `snapshots`, `changes`,
//! `verify`); each backend lives beneath (`sqlite/`, `postgres/`). Nothing here prints.

mod chain;
mod changes;
mod location;
#[cfg(feature = "postgres")]
mod postgres;
mod reference;
mod snapshots;
mod sqlite;
mod summary;
mod verify;

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::agent::{Config, Format, RecordedRules, snapshot_hash};
use crate::change::Path as ConfigPath;
use crate::change::{Change, Summary};
use crate::error::{Error, ErrorKind, Result};

use changes::holds;
#[cfg(feature = "postgres")]
use postgres::{Postgres, PostgresPublishing, PostgresStagingWrite};
use reference::{check_reference, is_version};
pub use reference::{names_head, require_publish};
use sqlite::{Sqlite, SqlitePublishing, SqliteStagingWrite};

pub use chain::{change_track_id, short};
pub use location::{Location, redact};
pub use sqlite::{APPLICATION_ID, BACKUPS_KEPT, Backup, SCHEMA_VERSION};
pub use verify::{Problem, ProblemKind, Report};

/// How long a writer waits for another one before giving up.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// One publish of one agent, without its snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub agent: String,
    pub version: u64,
    pub change_track_id: String,
    pub parent: Option<String>,
    pub author: String,
    pub published_at: String,
    pub message: String,
    pub snapshot: String,
    pub summary: Summary,
    pub reverts: Option<String>,
    pub git_commit: Option<String>,
    /// The rules its changes were compared under beyond the detected format, as
    /// [`RecordedRules::encode`] writes them; `None`: the detected format's own (every entry
    /// recorded before issue 15).
    pub rules: Option<String>,
}

impl Entry {
    /// The first 8 hex digits of the id, as shown to people.
    pub fn short_id(&self) -> &str {
        short(&self.change_track_id)
    }

    /// The rules this publish was compared with its parent by (`before` its parent's
    /// configuration, `after` its own): what its recorded changes, `show` and `blame` follow.
    pub fn rules(&self, before: &Config, after: &Config) -> Result<Cow<'static, Format>> {
        Ok(self.recorded_rules()?.rules(before, after))
    }

    /// [`Self::rules`] for walking this entry's own snapshot (`blame`), where the parent is
    /// not at hand: the format is the snapshot's.
    pub fn rules_of_snapshot(&self, snapshot: &Config) -> Result<Cow<'static, Format>> {
        self.rules(&Config::new(), snapshot)
    }

    /// The recorded rules column, read; damage is an error naming the entry.
    pub fn recorded_rules(&self) -> Result<RecordedRules> {
        match self.rules.as_deref() {
            None => Ok(RecordedRules::default()),
            Some(text) => RecordedRules::decode(text).map_err(|why| {
                Error::new(format!(
                    "the recorded rules of {} v{} in the store are damaged: {why}",
                    self.agent, self.version
                ))
                .hint("`agentctl verify` checks the whole store")
            }),
        }
    }
}

/// An agent's production as a listing of every agent needs it (`status`, the agent list of
/// `serve`): its newest entry's number, id, time and snapshot, without what only the history
/// views read (author, message, summary), which 100 agents' status paid to read and decode.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Head {
    pub agent: String,
    pub version: u64,
    pub change_track_id: String,
    pub published_at: String,
    pub snapshot: String,
}

impl Head {
    /// The first 8 hex digits of the id, as shown to people.
    pub fn short_id(&self) -> &str {
        short(&self.change_track_id)
    }
}

impl From<Entry> for Head {
    fn from(entry: Entry) -> Head {
        Head {
            agent: entry.agent,
            version: entry.version,
            change_track_id: entry.change_track_id,
            published_at: entry.published_at,
            snapshot: entry.snapshot,
        }
    }
}

/// What a publish records; the store adds the version, parent and ids.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub agent: &'a str,
    pub author: &'a str,
    pub published_at: &'a str,
    pub message: &'a str,
    pub config: &'a Config,
    pub summary: &'a Summary,
    /// The changes against the parent, as `summary` counts them: recorded by path for
    /// `log --touching` and `blame`.
    pub changes: &'a [Change],
    pub reverts: Option<&'a str>,
    pub git_commit: Option<&'a str>,
    /// The rules `changes` were computed by beyond the detected format
    /// ([`RecordedRules::encode`]); `None` for the detected format's own.
    pub rules: Option<&'a str>,
}

impl NewEntry<'_> {
    /// The entry this publish becomes after `parent`: its version, parent link, snapshot hash
    /// and `change_track_id` (the hash chain). Both stores record exactly this.
    pub fn entry_after(&self, parent: Option<&Entry>) -> Entry {
        let entry = Entry {
            agent: self.agent.to_owned(),
            version: parent.map_or(1, |p| p.version + 1),
            change_track_id: String::new(),
            parent: parent.map(|p| p.change_track_id.clone()),
            author: self.author.to_owned(),
            published_at: self.published_at.to_owned(),
            message: self.message.to_owned(),
            snapshot: snapshot_hash(self.config),
            summary: self.summary.clone(),
            reverts: self.reverts.map(str::to_owned),
            git_commit: self.git_commit.map(str::to_owned),
            rules: self.rules.map(str::to_owned),
        };
        Entry {
            change_track_id: change_track_id(&entry),
            ..entry
        }
    }
}

/// The error for a store another process kept locked for longer than we wait: never SQLite's
/// bare "database is locked".
pub fn busy(store: Option<&dyn std::fmt::Display>, waited: Option<Duration>) -> Error {
    let store = store.map_or("the store".to_owned(), |s| format!("the store {s}"));
    let waited = waited.map_or(String::new(), |w| {
        format!(" for more than {}", show_duration(w))
    });
    Error::new(format!(
        "{store} is busy: another agentctl has been writing to it{waited}"
    ))
    .hint("try again when the other command has finished, or wait longer with --lock-timeout")
    .kind(ErrorKind::Busy)
}

/// A duration as the user would type it for --lock-timeout: `30s`, `500ms`, `1.5s`.
pub fn show_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{}ms", duration.as_millis())
    } else {
        format!("{}s", duration.as_secs_f64())
    }
}

/// The columns of an entry, in the order both stores read them.
pub(crate) const COLUMNS: &str = "agent, version, change_track_id, parent, author, published_at, \
                       message, snapshot, summary, reverts, git_commit, rules";

/// A row as read; the summary is still JSON text.
pub(crate) type RawEntry = (Entry, String);

/// A row's entry with its summary decoded: the same on both stores.
pub(crate) fn decode_entry((entry, summary): RawEntry) -> Result<Entry> {
    let summary = summary::decode(&summary).map_err(|why| {
        Error::new(format!(
            "the summary of {} v{} in the store is damaged: {why}",
            entry.agent, entry.version
        ))
    })?;
    Ok(Entry { summary, ..entry })
}

pub(crate) fn decode_snapshot(hash: &str, content: &str) -> Result<Config> {
    // The parser already bounds nesting (128 levels); serde_json's own limit is one level
    // tighter and would turn a valid, published configuration into an unreadable one.
    let mut reader = serde_json::Deserializer::from_str(content);
    reader.disable_recursion_limit();
    match serde::Deserialize::deserialize(&mut reader) {
        Ok(Value::Object(config)) => Ok(config),
        Ok(_) => Err(Error::new(format!(
            "snapshot {hash} in the store is damaged: it is not a mapping"
        ))),
        Err(e) => Err(Error::new(format!(
            "snapshot {hash} in the store is damaged: {e}"
        ))),
    }
}

/// A store: the publish history and production of every agent.
pub enum Store {
    Sqlite(Sqlite),
    #[cfg(feature = "postgres")]
    Postgres(Box<Postgres>),
}

/// The same call on whichever store it is.
macro_rules! each {
    ($value:expr, $enum:ident, $s:ident => $body:expr) => {
        match $value {
            $enum::Sqlite($s) => $body,
            #[cfg(feature = "postgres")]
            $enum::Postgres($s) => $body,
        }
    };
}

impl Store {
    /// Open the SQLite store at `path`, creating an empty one if the file does not exist.
    pub fn open(path: &Path, lock_timeout: Duration) -> Result<Store> {
        Sqlite::open(path, lock_timeout).map(Store::Sqlite)
    }

    /// Open the PostgreSQL store at `url`, creating its schema if missing.
    pub fn connect(url: &str, lock_timeout: Duration) -> Result<Store> {
        #[cfg(feature = "postgres")]
        return Postgres::connect(url, lock_timeout).map(|s| Store::Postgres(Box::new(s)));
        #[cfg(not(feature = "postgres"))]
        {
            let _ = lock_timeout;
            Err(Error::new(format!(
                "{} is a PostgreSQL store, and this agentctl was built without PostgreSQL",
                redact(url)
            ))
            .hint("install agentctl with its default features: `cargo install --path .`"))
        }
    }

    /// Open the store at `location`: the SQLite file (created if missing) or the PostgreSQL
    /// server (its schema created if missing).
    pub fn at(location: &Location, lock_timeout: Duration) -> Result<Store> {
        match location {
            Location::File(path) => Store::open(path, lock_timeout),
            Location::Url(url) => Store::connect(url, lock_timeout),
        }
    }

    /// An empty history held in memory, for reading a store that does not exist yet.
    pub fn empty() -> Result<Store> {
        Sqlite::empty().map(Store::Sqlite)
    }

    /// Start afresh for another request, as a store just opened: what this store remembered
    /// of productions is forgotten (snapshot texts are kept: a snapshot never changes). For a
    /// store kept open between requests (`agentctl serve`).
    pub fn refresh(&mut self) {
        match self {
            Store::Sqlite(_) => {}
            #[cfg(feature = "postgres")]
            Store::Postgres(s) => s.forget_heads(),
        }
    }

    /// The newest entry of `agent`: its production.
    pub fn head(&self, agent: &str) -> Result<Option<Entry>> {
        each!(self, Store, s => s.head(agent))
    }

    /// Every agent that has been published at least once, in name order.
    pub fn agents(&self) -> Result<Vec<String>> {
        each!(self, Store, s => s.agents())
    }

    /// Every agent's production (its newest entry), in name order, in one query.
    pub fn heads(&self) -> Result<Vec<Head>> {
        each!(self, Store, s => s.heads())
    }

    /// Newest first; all agents when `agent` is `None`.
    pub fn log(&self, agent: Option<&str>, limit: Option<usize>) -> Result<Vec<Entry>> {
        each!(self, Store, s => s.log(agent, limit))
    }

    /// `agent`'s entries older than version `before`, newest first, at most `limit` of them:
    /// the API's history cursor. Versions run 1, 2, 3 … without gaps, so each entry is one
    /// lookup by key, however long the history.
    pub fn log_before(&self, agent: &str, before: u64, limit: Option<usize>) -> Result<Vec<Entry>> {
        let Some(head) = self.head(agent)? else {
            return Ok(Vec::new());
        };
        let newest = head.version.min(before.saturating_sub(1));
        let count = limit.map_or(newest, |n| newest.min(u64::try_from(n).unwrap_or(u64::MAX)));
        (0..count)
            .map(|i| {
                let version = newest - i;
                self.entry(agent, version)?.ok_or_else(|| {
                    Error::new(format!("{agent} v{version} is missing from the store"))
                })
            })
            .collect()
    }

    pub fn entry(&self, agent: &str, version: u64) -> Result<Option<Entry>> {
        each!(self, Store, s => s.entry(agent, version))
    }

    pub fn by_id(&self, change_track_id: &str) -> Result<Option<Entry>> {
        each!(self, Store, s => s.by_id(change_track_id))
    }

    /// The snapshot an entry points at.
    pub fn snapshot(&self, entry: &Entry) -> Result<Config> {
        each!(self, Store, s => s.snapshot(entry))
    }

    /// Like [`Store::resolve`], but a well-formed REF that matches nothing is `None`.
    pub fn find(&self, agent: &str, reference: &str) -> Result<Option<Entry>> {
        check_reference(reference)?;
        if matches!(reference, "production" | "prod") {
            return self.head(agent);
        }
        if is_version(reference) {
            return match reference[1..].parse::<u64>() {
                Ok(version) => self.entry(agent, version),
                Err(_) => Ok(None),
            };
        }
        let prefix = reference.to_ascii_lowercase();
        let mut matches = each!(self, Store, s => s.by_prefix(agent, &prefix, 6))?;
        if matches.len() > 1 {
            let mut listed: Vec<String> = matches
                .iter()
                .take(5)
                .map(|e| format!("v{} ({})", e.version, short(&e.change_track_id)))
                .collect();
            if matches.len() > 5 {
                listed.push("…".into());
            }
            return Err(Error::new(format!(
                "`{reference}` is ambiguous: it starts the ids of {}",
                listed.join(", ")
            ))
            .hint("give more hex digits of the change_track_id, or use vN")
            .kind(ErrorKind::Usage));
        }
        Ok(matches.pop())
    }

    /// The publish that the agent's staging file came from a revert of, until its next publish.
    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        each!(self, Store, s => s.pending_revert(agent))
    }

    /// `agent`'s entries whose changes touch `path`, newest first, at most `limit` of them.
    /// A change touches a path when it is at it, under it, or above it with an old or new
    /// value that holds something at it (an added `tools[x]` touches `tools[x].description`
    /// when the tool came with a description).
    pub fn touching(
        &self,
        agent: &str,
        path: &ConfigPath,
        limit: Option<usize>,
    ) -> Result<Vec<Entry>> {
        self.touching_before(agent, path, None, limit)
    }

    /// Like [`Store::touching`], keeping only the entries older than version `before` (the
    /// API's cursor) when it is given.
    pub fn touching_before(
        &self,
        agent: &str,
        path: &ConfigPath,
        before: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Vec<Entry>> {
        // With a cursor the newest matches may all be past it: the limit is applied after.
        let first = if before.is_some() { None } else { limit };
        let mut versions = each!(self, Store, s => s.versions_at(agent, path, first))?;
        for ancestor in path.ancestors() {
            let below = &path.0[ancestor.0.len()..];
            for (version, old, new) in each!(self, Store, s => s.settings_at(agent, &ancestor))? {
                if holds(old.as_deref(), below, &[])? || holds(new.as_deref(), below, &[])? {
                    versions.push(version);
                    continue;
                }
                // An entry recorded under agentctl.yaml's `identity:` kept its items' keys:
                // found by them (read only where the plain question said no).
                if old.is_none() && new.is_none() {
                    continue;
                }
                let identity = match self.entry(agent, version)? {
                    Some(entry) => entry.recorded_rules()?.identity_keys(),
                    None => Vec::new(),
                };
                if !identity.is_empty()
                    && (holds(old.as_deref(), below, &identity)?
                        || holds(new.as_deref(), below, &identity)?)
                {
                    versions.push(version);
                }
            }
        }
        versions.sort_unstable_by(|a, b| b.cmp(a));
        versions.dedup();
        if let Some(before) = before {
            versions.retain(|&version| version < before);
        }
        versions.truncate(limit.unwrap_or(usize::MAX));
        versions
            .into_iter()
            .map(|version| {
                self.entry(agent, version)?.ok_or_else(|| {
                    Error::new(format!("{agent} v{version} is missing from the store"))
                })
            })
            .collect()
    }

    /// The newest version up to `upto` with a change at `path` or under it.
    pub fn last_touched(&self, agent: &str, path: &ConfigPath, upto: u64) -> Result<Option<u64>> {
        each!(self, Store, s => s.last_touched(agent, path, upto))
    }

    /// The versions up to `upto` that set the value at exactly `path`, newest first.
    pub fn settings(
        &self,
        agent: &str,
        path: &ConfigPath,
        upto: u64,
        limit: Option<usize>,
    ) -> Result<Vec<u64>> {
        each!(self, Store, s => s.settings(agent, path, upto, limit))
    }

    /// The version that last changed each of the `count` lines of the string at `path`.
    pub fn line_versions(
        &self,
        agent: &str,
        path: &ConfigPath,
        upto: u64,
        count: usize,
    ) -> Result<Option<Vec<u64>>> {
        each!(self, Store, s => s.line_versions(agent, path, upto, count))
    }

    /// Check every snapshot and every history of the store.
    pub fn verify(&mut self) -> Result<Report> {
        each!(self, Store, s => s.verify())
    }

    /// Start a publish: one write transaction for every agent of the call (see SPEC 9, 11).
    pub fn publishing(&mut self, dry_run: bool) -> Result<Publishing<'_>> {
        Ok(match self {
            Store::Sqlite(s) => Publishing::Sqlite(s.publishing(dry_run)?),
            #[cfg(feature = "postgres")]
            Store::Postgres(s) => Publishing::Postgres(s.publishing(dry_run)?),
        })
    }

    /// Start recording a staging write, committed once the file is written.
    pub fn staging_write(&mut self) -> Result<StagingWrite<'_>> {
        Ok(match self {
            Store::Sqlite(s) => StagingWrite::Sqlite(s.staging_write()?),
            #[cfg(feature = "postgres")]
            Store::Postgres(s) => StagingWrite::Postgres(s.staging_write()?),
        })
    }

    /// The publish before `entry`, or `None` for v1.
    pub fn parent_of(&self, entry: &Entry) -> Result<Option<Entry>> {
        if entry.version == 1 {
            return Ok(None);
        }
        match self.entry(&entry.agent, entry.version - 1)? {
            Some(parent) => Ok(Some(parent)),
            None => Err(Error::new(format!(
                "v{} of {} is missing from the store",
                entry.version - 1,
                entry.agent
            ))),
        }
    }

    /// The entry a REF names: `production`/`prod`, `vN`, or a unique prefix of at least 4 hex
    /// digits of a `change_track_id`. (`staging` is not in the store; callers handle it.)
    /// A well-formed REF that matches nothing is an error naming the publishes that exist.
    pub fn resolve(&self, agent: &str, reference: &str) -> Result<Entry> {
        match self.find(agent, reference) {
            Ok(Some(entry)) => Ok(entry),
            Ok(None) => Err(
                Error::new(format!("no publish of {agent} matches `{reference}`"))
                    .hint(self.existing_publishes(agent)?)
                    .kind(ErrorKind::NotFound),
            ),
            Err(error) if check_reference(reference).is_err() => {
                Err(error.hint(self.existing_publishes(agent)?))
            }
            Err(error) => Err(error),
        }
    }

    /// Which publishes an agent has, for error messages about REFs.
    fn existing_publishes(&self, agent: &str) -> Result<String> {
        Ok(match self.head(agent)? {
            None => format!(
                "{agent} has never been published; publish it first: `agentctl publish {agent}`"
            ),
            Some(head) => {
                let range = if head.version == 1 {
                    "v1".to_owned()
                } else {
                    format!("v1 to v{}", head.version)
                };
                format!(
                    "{agent} has {range} (production is v{} {}); `agentctl log {agent}` lists them",
                    head.version,
                    short(&head.change_track_id)
                )
            }
        })
    }
}

/// An open publish transaction. Dropping it without [`Publishing::commit`] records nothing.
pub enum Publishing<'s> {
    Sqlite(SqlitePublishing<'s>),
    #[cfg(feature = "postgres")]
    Postgres(PostgresPublishing<'s>),
}

impl Publishing<'_> {
    /// Production as seen inside the transaction (and, on PostgreSQL, locked until commit):
    /// whether there is anything to publish is decided here.
    pub fn head(&self, agent: &str) -> Result<Option<Entry>> {
        each!(self, Publishing, p => p.head(agent))
    }

    pub fn snapshot(&self, entry: &Entry) -> Result<Config> {
        each!(self, Publishing, p => p.snapshot(entry))
    }

    /// The revert the agent's staging came from, which its publish names.
    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        each!(self, Publishing, p => p.pending_revert(agent))
    }

    /// Append the next version of an agent after `parent`, the head read in this transaction.
    pub fn append(&self, parent: Option<&Entry>, new: &NewEntry<'_>) -> Result<Entry> {
        each!(self, Publishing, p => p.append(parent, new))
    }

    /// Record everything appended; a dry run ends here without writing.
    pub fn commit(self) -> Result<()> {
        each!(self, Publishing, p => p.commit())
    }
}

/// An open write transaction over the staging tables. Dropping it records nothing.
pub enum StagingWrite<'s> {
    Sqlite(SqliteStagingWrite<'s>),
    #[cfg(feature = "postgres")]
    Postgres(PostgresStagingWrite<'s>),
}

impl StagingWrite<'_> {
    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        each!(self, StagingWrite, w => w.pending_revert(agent))
    }

    /// Make (or with `None`, stop) the agent's next publish a revert of `reverts`.
    pub fn set_pending_revert(&self, agent: &str, reverts: Option<&str>) -> Result<()> {
        each!(self, StagingWrite, w => w.set_pending_revert(agent, reverts))
    }

    /// Keep `backup` and forget the oldest beyond the limit; returns it with its id.
    pub fn keep(&self, backup: &Backup) -> Result<Backup> {
        each!(self, StagingWrite, w => w.keep(backup))
    }

    /// The newest backup of `agent`, or of any agent.
    pub fn last_backup(&self, agent: Option<&str>) -> Result<Option<Backup>> {
        each!(self, StagingWrite, w => w.last_backup(agent))
    }

    /// Drop a backup once `undo` has put it back.
    pub fn forget(&self, backup: &Backup) -> Result<()> {
        each!(self, StagingWrite, w => w.forget(backup))
    }

    pub fn commit(self) -> Result<()> {
        each!(self, StagingWrite, w => w.commit())
    }
}

/// The store modules' own tests reach into the SQLite connection they built.
#[cfg(test)]
impl std::ops::Deref for Store {
    type Target = Sqlite;

    fn deref(&self) -> &Sqlite {
        match self {
            Store::Sqlite(s) => s,
            #[cfg(feature = "postgres")]
            Store::Postgres(_) => unreachable!("a test store is SQLite"),
        }
    }
}

/// Histories for the tests of the modules that read them.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::change;

    pub fn config(value: Value) -> Config {
        value.as_object().cloned().unwrap()
    }

    /// Every snapshot of the store at `path` as the plain JSON text stores kept before
    /// schema version 4, by hash.
    pub fn plain_snapshots(path: &std::path::Path) -> Vec<(String, String)> {
        let store = Store::open(path, DEFAULT_LOCK_TIMEOUT).unwrap();
        let mut texts: Vec<(String, String)> = store
            .log(None, None)
            .unwrap()
            .iter()
            .map(|entry| {
                let config = store.snapshot(entry).unwrap();
                (entry.snapshot.clone(), Value::Object(config).to_string())
            })
            .collect();
        texts.sort();
        texts.dedup();
        texts
    }

    /// A store where agent `a` published each configuration in turn (v1, v2, …).
    pub fn history(configs: &[Value]) -> (tempfile::TempDir, Store) {
        let steps: Vec<(&str, Value)> = configs.iter().map(|c| ("a", c.clone())).collect();
        history_of(&steps)
    }

    /// A store (`s.db` in the folder returned) where each agent published each of its
    /// configurations in the order given.
    pub fn history_of(steps: &[(&str, Value)]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), DEFAULT_LOCK_TIMEOUT).unwrap();
        let mut production = std::collections::HashMap::new();
        for (agent, value) in steps {
            let after = config(value.clone());
            let changes = change::diff(production.get(agent).unwrap_or(&Config::new()), &after);
            let publishing = store.publishing(false).unwrap();
            let head = publishing.head(agent).unwrap();
            let new = NewEntry {
                agent,
                author: "me",
                published_at: "2026-01-01T00:00:00Z",
                message: "m",
                config: &after,
                summary: &Summary::of(&changes),
                changes: &changes,
                reverts: None,
                git_commit: None,
                rules: None,
            };
            publishing.append(head.as_ref(), &new).unwrap();
            publishing.commit().unwrap();
            production.insert(*agent, after);
        }
        (dir, store)
    }
}
