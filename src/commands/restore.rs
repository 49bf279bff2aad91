use super::Context;
use crate::agent::Config;
use crate::change;
use crate::edit;
use crate::error::Result;
use crate::overwrite::{Overwrite, overwrite_staging};
use crate::render::{self, Style, json};
use crate::store::require_publish;
use crate::survey;

/// Set staging to a publish's snapshot (default production), discarding staging edits
///
/// The file is edited in place where it parses, so comments survive in the parts that do not
/// change; `agentctl undo` puts the previous file back.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub agent: String,

    /// The publish to restore: production, vN or a change_track_id prefix
    #[arg(default_value = "production", value_name = "REF")]
    pub reference: String,

    /// Print JSON: `agent`, `restored`, `applied`, `written`
    #[arg(long)]
    pub json: bool,

    /// Show values of keys that look like secrets (api_key, token, …) instead of ********
    #[arg(long)]
    pub show_secrets: bool,

    /// Stack the values (old above new) instead of side by side
    #[arg(long)]
    pub unified: bool,
}

pub fn cmd_restore(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let mut store = ctx.open_store(&workspace)?;
    survey::require_known(&workspace, &store, &args.agent)?;
    require_publish(
        &args.reference,
        "restore sets staging to a publish",
        format!("`agentctl log {}` lists them", args.agent),
    )?;
    let entry = store.resolve(&args.agent, &args.reference)?;
    let target = store.snapshot(&entry)?;

    let _lock = ctx.lock_workspace(&workspace)?;
    // A staging file that is gone or does not parse is replaced whole: discarding it is the
    // point of restore, and undo brings it back.
    let (staging, previous, current) = match workspace.find_staging(&args.agent)? {
        Some(staging) => {
            let bytes = workspace.read_bytes(&staging)?;
            let current = workspace.parse(&staging, &bytes).ok();
            (staging, Some(bytes), current)
        }
        None => (workspace.new_staging(&args.agent), None, None),
    };
    let applied = change::diff(current.as_ref().unwrap_or(&Config::new()), &target);
    let unchanged = current.as_ref() == Some(&target);
    let shown_file = workspace.display(&staging.path);
    if !unchanged {
        let text = match (&previous, &current) {
            (Some(bytes), Some(_)) => {
                let rewrite = edit::rewrite(&String::from_utf8_lossy(bytes), &applied, &target);
                if !rewrite.faithful {
                    ctx.ui.warn(&format!(
                        "{shown_file} could not be edited in place; it was written afresh, without its comments and layout"
                    ));
                }
                rewrite.text
            }
            _ => edit::fresh(&target),
        };
        overwrite_staging(
            &workspace,
            &mut store,
            Overwrite {
                operation: "restore",
                staging: &staging,
                previous: previous.as_deref(),
                new: text.as_bytes(),
                pending_revert: None,
                created_at: ctx.now_recorded()?,
            },
        )?;
    }

    if args.json {
        ctx.ui.json(&json::Restore {
            agent: args.agent.clone(),
            restored: json::EntryRef::from(&entry),
            applied,
            written: !unchanged,
        })?;
    } else if current.is_some() && !applied.is_empty() {
        let style = Style::text(ctx.ui, args.show_secrets, args.unified);
        ctx.ui.page(&render::changes_text(
            &applied,
            style,
            ("Staging was", &format!("v{}", entry.version)),
        ))?;
    }
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
