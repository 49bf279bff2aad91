use super::Context;
use crate::agent::Config;
use crate::change::{Summary, diff_as};
use crate::error::{Error, Result};
use crate::store::{Location, NewEntry, Store, redact, short};

/// Manage stores: copy a whole history between SQLite and PostgreSQL
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: StoreCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
    /// Copy a whole history from one store to another (SQLite ↔ PostgreSQL), every
    /// change_track_id kept, then verify the copy
    ///
    /// FROM and TO are SQLite files or postgres:// URLs. A destination that already holds part
    /// of the same history is completed; one whose history disagrees is refused, unchanged.
    Copy {
        /// The store to copy from
        from: String,
        /// The store to copy to (created if missing)
        to: String,
    },
}

fn open(ctx: &Context, location: &str, must_exist: bool) -> Result<Store> {
    let location = Location::parse(location);
    if let Location::File(path) = &location
        && must_exist
        && !path.exists()
    {
        return Err(Error::new(format!(
            "the store {} does not exist",
            path.display()
        )));
    }
    Store::at(&location, ctx.lock_timeout())
}

pub fn cmd_store(ctx: &Context, args: Args) -> Result<u8> {
    let StoreCommand::Copy { from, to } = args.command;
    let (from_shown, to_shown) = (redact(&from), redact(&to));
    let source = open(ctx, &from, true)?;
    let mut target = open(ctx, &to, false)?;
    // Oldest first, so every parent and reverted entry is there before the entries naming it.
    let mut entries = source.log(None, None)?;
    entries.reverse();

    // Check the whole destination first: a disagreeing one is refused before anything is written.
    for entry in &entries {
        if let Some(there) = target.entry(&entry.agent, entry.version)?
            && there.change_track_id != entry.change_track_id
        {
            return Err(disagree(
                &to_shown,
                &entry.agent,
                entry.version,
                &there.change_track_id,
            ));
        }
    }
    for agent in target.agents()? {
        let ours = source.head(&agent)?.map_or(0, |head| head.version);
        if let Some(head) = target.head(&agent)?
            && head.version > ours
        {
            return Err(disagree(
                &to_shown,
                &agent,
                head.version,
                &head.change_track_id,
            ));
        }
    }

    let mut copied = 0;
    let mut production: std::collections::HashMap<String, Config> = Default::default();
    for entry in &entries {
        let config = source.snapshot(entry)?;
        let before = production.insert(entry.agent.clone(), config.clone());
        if target.entry(&entry.agent, entry.version)?.is_some() {
            continue;
        }
        let before = match (before, entry.version) {
            (Some(before), _) => before,
            (None, 1) => Config::new(),
            (None, _) => source.snapshot(&source.parent_of(entry)?.ok_or_else(|| {
                Error::new(format!(
                    "v{} of {} has no parent",
                    entry.version, entry.agent
                ))
            })?)?,
        };
        // Under the rules the entry was recorded by, which it keeps (they are in its id).
        let rules = entry.rules(&before, &config)?;
        let changes = diff_as(&rules, &before, &config);
        let publishing = target.publishing(false)?;
        let parent = publishing.head(&entry.agent)?;
        let summary: &Summary = &entry.summary;
        let written = publishing.append(
            parent.as_ref(),
            &NewEntry {
                agent: &entry.agent,
                author: &entry.author,
                published_at: &entry.published_at,
                message: &entry.message,
                config: &config,
                summary,
                changes: &changes,
                reverts: entry.reverts.as_deref(),
                git_commit: entry.git_commit.as_deref(),
                rules: entry.rules.as_deref(),
            },
        )?;
        if written.change_track_id != entry.change_track_id {
            return Err(Error::new(format!(
                "{} v{} would not keep its id {} in {to_shown}",
                entry.agent,
                entry.version,
                short(&entry.change_track_id)
            )));
        }
        publishing.commit()?;
        copied += 1;
    }

    let report = target.verify()?;
    if !report.problems.is_empty() {
        return Err(Error::new(format!(
            "the copy in {to_shown} does not verify: {}",
            report.problems[0].message
        ))
        .hint("run `agentctl --store TO verify` for every problem"));
    }
    ctx.ui.status(
        "Copied",
        &format!(
            "{copied} of {} entries from {from_shown} to {to_shown}; verified {} entries of {}",
            entries.len(),
            report.entries,
            match report.agents {
                1 => "1 agent".to_owned(),
                n => format!("{n} agents"),
            }
        ),
    );
    Ok(0)
}

fn disagree(to: &str, agent: &str, version: u64, id: &str) -> Error {
    Error::new(format!(
        "the store {to} disagrees with the source: its {agent} v{version} is {}",
        short(id)
    ))
    .hint("copy into an empty store, or into one holding the start of the same history")
}
