//! The one interface commands reach history through: SQLite (a file, one person or one CI
//! cache) or PostgreSQL (a server a team shares, SPEC 11). Both keep the same tables and give
//! the same answers; only how they lock differs.

use std::path::Path;
use std::time::Duration;

use super::changes::holds;
use super::{Backup, Entry, NewEntry, Report, Sqlite, SqlitePublishing, SqliteStagingWrite};
use super::{check_reference, is_version, short};
use crate::agent::Config;
use crate::change::Path as ConfigPath;
use crate::error::{Error, Result};

#[cfg(feature = "postgres")]
use super::postgres::{Postgres, PostgresPublishing, PostgresStagingWrite};

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

/// Whether `location` (a `--store` value) names a PostgreSQL server rather than a file.
pub fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
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
                super::redact(url)
            ))
            .hint("install agentctl with its default features: `cargo install --path .`"))
        }
    }

    /// An empty history held in memory, for reading a store that does not exist yet.
    pub fn empty() -> Result<Store> {
        Sqlite::empty().map(Store::Sqlite)
    }

    /// The newest entry of `agent`: its production.
    pub fn head(&self, agent: &str) -> Result<Option<Entry>> {
        each!(self, Store, s => s.head(agent))
    }

    /// Every agent that has been published at least once, in name order.
    pub fn agents(&self) -> Result<Vec<String>> {
        each!(self, Store, s => s.agents())
    }

    /// Newest first; all agents when `agent` is `None`.
    pub fn log(&self, agent: Option<&str>, limit: Option<usize>) -> Result<Vec<Entry>> {
        each!(self, Store, s => s.log(agent, limit))
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
            .hint("give more hex digits of the change_track_id, or use vN"));
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
        let mut versions = each!(self, Store, s => s.versions_at(agent, path, limit))?;
        for ancestor in path.ancestors() {
            let below = &path.0[ancestor.0.len()..];
            for (version, old, new) in each!(self, Store, s => s.settings_at(agent, &ancestor))? {
                if holds(old.as_deref(), below)? || holds(new.as_deref(), below)? {
                    versions.push(version);
                }
            }
        }
        versions.sort_unstable_by(|a, b| b.cmp(a));
        versions.dedup();
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
                    .hint(self.existing_publishes(agent)?),
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

/// A store's URL as shown to people: the password in it replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    // `password=` in the query is a password too.
    let tail: Vec<String> = tail
        .split('&')
        .map(|part| match part.split_once("password=") {
            Some((before, _)) => format!("{before}password=***"),
            None => part.to_owned(),
        })
        .collect();
    format!("{scheme}://{authority}{}", tail.join("&"))
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

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://bob:s3cret@db.example:5432/x?schema=t"),
            "postgres://bob:***@db.example:5432/x?schema=t"
        );
        assert_eq!(redact("postgres://bob@h/x"), "postgres://bob@h/x");
        assert_eq!(
            redact("postgresql://h/x?sslmode=require&password=pw"),
            "postgresql://h/x?sslmode=require&password=***"
        );
        assert_eq!(redact("postgres://a:b:c@h/x"), "postgres://a:***@h/x");
    }
}
