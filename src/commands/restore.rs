use super::Context;
use super::view::ViewArgs;
use crate::change::{self, Change};
use crate::edit;
use crate::error::Result;
use crate::overwrite::{Overwrite, overwrite_staging};
use crate::render::{self, json};
use crate::store::{Entry, Store, require_publish};
use crate::survey;
use crate::workspace::Workspace;

/// Set staging to a publish's snapshot (default production), discarding staging edits
///
/// The file is edited in place where it parses, so comments survive in the parts that do not
/// change; `agentctl undo` puts the previous file back.
#[derive(Debug, clap::Args)]
#[command(mut_arg("json", |a| a.help("Print JSON: `agent`, `restored`, `applied`, `written`")))]
pub struct Args {
    /// The agent whose staging file to restore: its id, the name of agents/<AGENT>.yaml
    #[arg(value_name = "AGENT")]
    pub agent: String,

    /// The publish to restore: production, vN or a change_track_id prefix
    #[arg(default_value = "production", value_name = "REF")]
    pub reference: String,

    #[command(flatten)]
    pub view: ViewArgs,
}

/// What a restore did to staging.
pub struct Restored {
    pub agent: String,
    /// The publish staging was set to.
    pub entry: Entry,
    /// Staging before → the snapshot.
    pub applied: Vec<Change>,
    pub written: bool,
    /// Whether the staging file parsed before (a human view of `applied` makes sense).
    pub parsed: bool,
    /// The staging file, as shown to people.
    pub file: String,
}

impl Restored {
    /// The `restore --json` document.
    pub fn view(&self) -> json::Restore {
        json::Restore {
            agent: self.agent.clone(),
            restored: json::EntryRef::from(&self.entry),
            applied: self.applied.clone(),
            written: self.written,
        }
    }
}

/// Set `agent`'s staging file to the snapshot `reference` names: the one restore of the
/// command line and of the HTTP API (`POST …/restore`).
pub fn restore(
    ctx: &Context,
    workspace: &Workspace,
    store: &mut Store,
    agent: &str,
    reference: &str,
) -> Result<Restored> {
    survey::require_known(workspace, store, agent)?;
    require_publish(
        reference,
        "restore sets staging to a publish",
        format!("`agentctl log {agent}` lists them"),
    )?;
    let entry = store.resolve(agent, reference)?;
    let target = store.snapshot(&entry)?;

    let _lock = ctx.lock_workspace(workspace)?;
    // A staging file that is gone or does not parse is replaced whole: discarding it is the
    // point of restore, and undo brings it back.
    let (staging, previous, current) = match workspace.find_staging(agent)? {
        Some(staging) => {
            let bytes = workspace.read_bytes(&staging)?;
            let mut current = workspace.parse(&staging, &bytes).ok();
            // One agent of a file holding several is never replaced whole with the file: what
            // it holds, valid or not, is what the edit starts from.
            if let (None, Some(part)) = (&current, &staging.part) {
                current = crate::agent::unchecked_part(&bytes, part);
            }
            (staging, Some(bytes), current)
        }
        None => (workspace.new_staging(agent), None, None),
    };
    let from = current.clone().unwrap_or_default();
    let rules = workspace.rules(Some(&staging), &from, &target)?;
    let applied = change::diff_as(&rules, &from, &target);
    let identity = rules.extra_identity_keys();
    let unchanged = current.as_ref() == Some(&target);
    let file = workspace.display(&staging.path);
    if !unchanged {
        let text = match (&previous, &current) {
            (Some(bytes), Some(_)) => {
                let text = String::from_utf8_lossy(bytes);
                let rewrite = match &staging.part {
                    Some(part) => edit::rewrite_part(&text, part, &applied, &target, &identity),
                    None => edit::rewrite(&text, &applied, &target, &identity),
                };
                if !rewrite.faithful {
                    ctx.ui.warn(&format!(
                        "{file} could not be edited in place; it was written afresh, without its comments and layout"
                    ));
                }
                for path in &rewrite.rewritten_whole {
                    ctx.ui.warn(&format!(
                        "{file}: `{path}` was written whole, without the comments and layout inside it"
                    ));
                }
                rewrite.text
            }
            _ => edit::fresh_for(staging.part.as_ref(), &target),
        };
        overwrite_staging(
            workspace,
            store,
            Overwrite {
                operation: "restore",
                staging: &staging,
                previous: previous.as_deref(),
                new: text.as_bytes(),
                pending_revert: None,
                created_at: ctx.now_recorded()?,
            },
        )?;
    } else {
        end_pending_revert(store, agent)?;
    }
    Ok(Restored {
        agent: agent.to_owned(),
        entry,
        applied,
        written: !unchanged,
        parsed: current.is_some(),
        file,
    })
}

pub fn cmd_restore(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let mut store = ctx.open_store(&workspace)?;
    let restored = restore(ctx, &workspace, &mut store, &args.agent, &args.reference)?;
    if args.view.json {
        ctx.ui.json(&restored.view())?;
    } else if restored.parsed && !restored.applied.is_empty() {
        let style = args.view.text_style(ctx.ui);
        let entry = &restored.entry;
        // Headed like revert's report: which agent, and which publish staging goes back to.
        let mut text = format!(
            "{}: restore v{} ({}) \"{}\"\n",
            entry.agent,
            entry.version,
            entry.short_id(),
            render::clean(entry.message.lines().next().unwrap_or_default())
        );
        text.push_str(&render::changes_text(
            &restored.applied,
            style,
            ("Staging was", &format!("v{}", entry.version)),
        ));
        ctx.ui.page(&text)?;
    }
    let (entry, shown_file, unchanged) = (&restored.entry, &restored.file, !restored.written);
    let agent = &args.agent;
    if unchanged {
        ctx.ui.note(&format!(
            "Nothing to restore: {shown_file} already holds v{}.",
            entry.version
        ));
    } else {
        ctx.ui.status(
            "Restored",
            &format!("{shown_file} to v{} of {agent}", entry.version),
        );
        ctx.ui.hint(&format!(
            "`agentctl undo {agent}` puts the previous file back"
        ));
    }
    Ok(0)
}

/// SPEC 6: a restore ends the "came from a revert" state even when it writes nothing, so the
/// next publish is not recorded as the revert. (A restore that writes does so in
/// `overwrite_staging`.)
fn end_pending_revert(store: &mut crate::store::Store, agent: &str) -> Result<()> {
    let tx = store.staging_write()?;
    if tx.pending_revert(agent)?.is_some() {
        tx.set_pending_revert(agent, None)?;
    }
    tx.commit()
}
