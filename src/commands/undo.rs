use std::fs;

use super::Context;
use crate::agent::sha256_hex;
use crate::error::{Error, Result};
use crate::render::json;
use crate::workspace::{self, AGENTS_DIR, Staging};

/// Put back a staging file as it was before the last `revert` or `restore`
///
/// Refuses when the file was edited after that command, so no edit is ever lost; each undo
/// steps one overwrite further back.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent whose staging file to put back [default: the last one overwritten]
    pub agent: Option<String>,

    /// Print JSON: `agent`, `undone`, `file`, `written`
    #[arg(long)]
    pub json: bool,
}

pub fn cmd_undo(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    if let Some(agent) = &args.agent {
        workspace::validate_id(agent)?;
    }
    let mut store = ctx.open_store(&workspace)?;
    let _lock = ctx.lock_workspace(&workspace)?;
    let tx = store.staging_write()?;
    let Some(backup) = tx.last_backup(args.agent.as_deref())? else {
        let whose = args
            .agent
            .as_ref()
            .map_or(String::new(), |a| format!(" of {a}"));
        return Err(Error::new(format!(
            "nothing to undo: no staging file{whose} was overwritten by `revert` or `restore`"
        )));
    };
    let agent = backup.agent.clone();
    // The store says which file; it must still be this agent's staging file in agents/.
    let expected = [
        format!("{AGENTS_DIR}/{agent}.yaml"),
        format!("{AGENTS_DIR}/{agent}.yml"),
    ];
    // An agent of a file holding several: that file.
    let container = workspace
        .find_staging(&agent)
        .ok()
        .flatten()
        .filter(|staging| staging.part.is_some())
        .map(|staging| workspace.display(&staging.path));
    if workspace::validate_id(&agent).is_err()
        || !(expected.contains(&backup.file) || container.as_ref() == Some(&backup.file))
    {
        return Err(Error::new(format!(
            "the store names `{}` as the file to put back, which is not a staging file",
            backup.file
        )));
    }
    let staging = Staging {
        agent: agent.clone(),
        path: workspace.root.join(&backup.file),
        part: None,
    };
    let now = match fs::read(&staging.path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(Error::new(format!("cannot read {}: {e}", backup.file)));
        }
    };
    // The file already holds what the backup would put back: the overwrite never reached it
    // (the process died in between), or an earlier undo did and died before forgetting the
    // backup. Either way there is nothing to write; the backup is dropped.
    if now == backup.previous {
        tx.forget(&backup)?;
        tx.set_pending_revert(&agent, backup.pending_before.as_deref())?;
        tx.commit()?;
        if args.json {
            ctx.ui.json(&json::Undo {
                agent: agent.clone(),
                undone: backup.operation.clone(),
                file: backup.file.clone(),
                written: false,
            })?;
        }
        ctx.ui.status(
            "Undone",
            &format!(
                "the `{}` of {agent}: {} already held the bytes from before it",
                backup.operation, backup.file
            ),
        );
        return Ok(0);
    }
    if now.as_deref().map(sha256_hex).as_deref() != Some(backup.written.as_str()) {
        return Err(Error::new(format!(
            "{} changed after the `{}` of {} ({}); undo would lose those edits",
            backup.file, backup.operation, backup.created_at, agent
        ))
        .hint(format!(
            "nothing was changed; to discard staging edits use `agentctl restore {agent}`"
        )));
    }
    match &backup.previous {
        Some(bytes) => workspace.write(&staging, bytes)?,
        None => workspace.remove(&staging)?,
    }
    tx.forget(&backup)?;
    tx.set_pending_revert(&agent, backup.pending_before.as_deref())?;
    if let Err(error) = tx.commit() {
        // Put the file back as it was, so the store and the file still agree.
        if let Some(bytes) = &now {
            let _ = workspace.write(&staging, bytes);
        }
        return Err(error);
    }

    if args.json {
        ctx.ui.json(&json::Undo {
            agent: agent.clone(),
            undone: backup.operation.clone(),
            file: backup.file.clone(),
            written: true,
        })?;
    }
    let what = if backup.previous.is_some() {
        "put back"
    } else {
        "deleted (there was none before)"
    };
    ctx.ui.status(
        "Undone",
        &format!(
            "the `{}` of {agent}: {} {what}",
            backup.operation, backup.file
        ),
    );
    // Undoing an overwrite that has since been published leaves staging apart from
    // production by exactly what was undone; said here, or a later `diff` looks like a stray
    // edit. (A check that cannot be made says nothing: the undo itself is done.)
    if let Some(version) = published_since(&workspace, &store, &staging, &backup, now.as_deref()) {
        ctx.ui.warn(&format!(
            "the `{}` you undid was published: production (v{version}) still holds it, so staging now differs from production",
            backup.operation
        ));
        ctx.ui.hint(&format!(
            "`agentctl diff {agent}` shows the difference; the next publish makes it live"
        ));
    }
    Ok(0)
}

/// The version of production, when it was published after the overwrite being undone and
/// holds exactly the file that overwrite wrote. (A `restore` to production writes what
/// production already held: undoing it, before any publish, is no cause for a warning.) Times
/// are whole seconds; a publish in the overwrite's own second is not counted as after it.
fn published_since(
    workspace: &workspace::Workspace,
    store: &crate::store::Store,
    staging: &Staging,
    backup: &crate::store::Backup,
    undone: Option<&[u8]>,
) -> Option<u64> {
    let head = store.head(&staging.agent).ok()??;
    if head.published_at <= backup.created_at {
        return None;
    }
    let undone = workspace.parse(staging, undone?).ok()?;
    (store.snapshot(&head).ok()? == undone).then_some(head.version)
}
