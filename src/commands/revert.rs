use super::Context;
use super::view::ViewArgs;
use crate::agent::Config;
use crate::change::{self, Change};
use crate::edit;
use crate::error::{EXIT_FOUND, Error, ErrorKind, Result};
use crate::merge::{self, Merge};
use crate::overwrite::{Overwrite, overwrite_staging};
use crate::render::{self, Style, json};
use crate::store::require_publish;
use crate::store::{Entry, Store};
use crate::survey;
use crate::workspace::Workspace;

/// Take the changes of a past publish back out of staging
///
/// Every field that publish changed and staging still holds goes back to its value before that
/// publish; every other staging edit stays. Production is untouched until the next publish.
/// With conflicts nothing is written and the exit code is 1.
#[derive(Debug, clap::Args)]
#[command(mut_arg("json", |a| a.help(
    "Print JSON: `agent`, `reverted`, `applied`, `conflicts`, `written`"
)))]
pub struct Args {
    /// The agent whose staging file to revert in: its id, the name of agents/<AGENT>.yaml
    #[arg(value_name = "AGENT")]
    pub agent: String,

    /// The publish to revert: vN, a change_track_id prefix, or production
    #[arg(value_name = "REF")]
    pub reference: String,

    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `revert-preview`: compute and show, never write.
    Preview,
    Write,
}

/// What a revert did to staging (or, previewed, would do).
pub struct Reverted {
    pub agent: String,
    /// The publish whose changes are taken out.
    pub reverted: Entry,
    /// Staging before the revert.
    pub current: Config,
    /// Staging now → staging after the revert.
    pub applied: Vec<Change>,
    pub conflicts: Vec<merge::Conflict>,
    pub written: bool,
    /// The staging file, as shown to people.
    pub file: String,
    /// The identifying keys agentctl.yaml adds (`identity:`), which name items in the paths.
    pub identity: Vec<String>,
}

impl Reverted {
    /// The `revert --json` (and `revert-preview --json`) document.
    pub fn view(&self) -> json::Revert {
        json::Revert {
            agent: self.agent.clone(),
            reverted: json::EntryRef::from(&self.reverted),
            applied: self.applied.clone(),
            conflicts: self
                .conflicts
                .iter()
                .map(json::ConflictView::from)
                .collect(),
            written: self.written,
        }
    }
}

/// Take the changes of publish `reference` out of `agent`'s staging file (`Mode::Write`, and
/// only without conflicts), or work out what that would do (`Mode::Preview`): the one revert
/// of the command line and of the HTTP API (`PUT …/rollback`).
pub fn revert(
    ctx: &Context,
    workspace: &Workspace,
    store: &mut Store,
    agent: &str,
    reference: &str,
    mode: Mode,
) -> Result<Reverted> {
    survey::require_known(workspace, store, agent)?;
    let reverted = reverted_entry(store, agent, reference)?;
    let parent = store
        .parent_of(&reverted)?
        .ok_or_else(|| reverting_the_first(agent, &reverted))?;

    // Held from reading staging to writing it, so no other revert slips in between.
    let _lock = match mode {
        Mode::Write => Some(ctx.lock_workspace(workspace)?),
        Mode::Preview => None,
    };
    let staging = workspace.find_staging(agent)?.ok_or_else(|| {
        Error::new(format!("agent `{agent}` has no staging file to revert in"))
            .hint(format!(
                "bring it back with `agentctl restore {agent}` first"
            ))
            .kind(ErrorKind::Conflict)
    })?;
    let bytes = workspace.read_bytes(&staging)?;
    let current = workspace.parse(&staging, &bytes)?;
    let (published, parent) = (
        survey::snapshot(workspace, store, &reverted)?,
        survey::snapshot(workspace, store, &parent)?,
    );
    let rules = workspace.rules(Some(&staging), &parent, &current)?;
    let Merge { merged, conflicts } = merge::revert_as(&rules, &published, &current, &parent);
    let applied = change::diff_as(&rules, &current, &merged);
    let identity = rules.extra_identity_keys();
    let identity_keys: Vec<String> = identity.iter().map(|key| (*key).to_owned()).collect();
    let nothing_to_do = applied.is_empty();

    let file = workspace.display(&staging.path);
    let mut written = false;
    if mode == Mode::Write && conflicts.is_empty() && !nothing_to_do {
        let text = String::from_utf8_lossy(&bytes);
        let rewrite = match &staging.part {
            Some(part) => edit::rewrite_part(&text, part, &applied, &merged, &identity),
            None => edit::rewrite(&text, &applied, &merged, &identity),
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
        overwrite_staging(
            workspace,
            store,
            Overwrite {
                operation: "revert",
                staging: &staging,
                previous: Some(&bytes),
                new: rewrite.text.as_bytes(),
                pending_revert: Some(&reverted.change_track_id),
                created_at: ctx.now_recorded()?,
            },
        )?;
        written = true;
    }
    Ok(Reverted {
        agent: agent.to_owned(),
        reverted,
        current,
        applied,
        conflicts,
        written,
        file,
        identity: identity_keys,
    })
}

pub fn cmd_revert(ctx: &Context, args: Args, mode: Mode) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let mut store = ctx.open_store(&workspace)?;
    let result = revert(
        ctx,
        &workspace,
        &mut store,
        &args.agent,
        &args.reference,
        mode,
    )?;
    if args.view.json {
        ctx.ui.json(&result.view())?;
    } else {
        let style = args.view.text_style(ctx.ui);
        ctx.ui.page(&report(
            &result.reverted,
            &result.applied,
            &result.conflicts,
            style,
        ))?;
    }
    let Reverted {
        reverted,
        current,
        applied,
        conflicts,
        file: shown_file,
        identity,
        ..
    } = result;
    let identity: Vec<&str> = identity.iter().map(String::as_str).collect();
    let nothing_to_do = applied.is_empty();

    let production = store.head(&args.agent)?;
    let still = production
        .as_ref()
        .map_or(String::new(), |p| format!(" (still v{})", p.version));
    let agent = &args.agent;
    let version = reverted.version;
    if !conflicts.is_empty() {
        let outcome = match mode {
            Mode::Preview => "The revert would conflict",
            Mode::Write => "Nothing was written",
        };
        ctx.ui.note(&format!(
            "{outcome}: {}.",
            conflict_reasons(&conflicts, &current, version, &identity)
        ));
        // Reverting later publishes first helps only where a later publish changed the field;
        // a field changed in staging alone is the user's own edit to settle.
        let published_later = match &production {
            Some(head) if head.version > version => {
                let production =
                    serde_json::Value::Object(survey::snapshot(&workspace, &store, head)?);
                conflicts.iter().any(|c| {
                    change::value_at_with(&production, &c.path.0, &identity)
                        != c.reverted_value.as_ref()
                })
            }
            _ => false,
        };
        ctx.ui.hint(&if published_later {
            format!(
                "edit those fields in {shown_file} by hand, or revert the later publishes that changed them first"
            )
        } else {
            format!("edit those fields in {shown_file} by hand: they changed in staging only, since the last publish")
        });
        return Ok(EXIT_FOUND);
    }
    if nothing_to_do {
        ctx.ui.note(&format!(
            "Nothing to revert: staging already holds none of v{version}'s changes."
        ));
        return Ok(0);
    }
    match mode {
        Mode::Preview => {
            ctx.ui.note("This is a preview; nothing was written.");
            ctx.ui.hint(&format!(
                "apply it with `agentctl revert {agent} v{version}`"
            ));
        }
        Mode::Write => {
            ctx.ui.status(
                "Reverted",
                &format!("v{version} of {agent} in {shown_file}"),
            );
            ctx.ui.note(&format!(
                "Production is unchanged{still} until you publish."
            ));
            ctx.ui.hint(&format!(
                "review with `agentctl diff {agent}`, then `agentctl publish {agent}`; `agentctl undo {agent}` takes the revert back"
            ));
        }
    }
    Ok(0)
}

fn reverted_entry(store: &Store, agent: &str, reference: &str) -> Result<Entry> {
    require_publish(
        reference,
        "only publishes can be reverted",
        format!("`agentctl log {agent}` lists them"),
    )?;
    store.resolve(agent, reference)
}

fn reverting_the_first(agent: &str, entry: &Entry) -> Error {
    Error::new(format!(
        "v{} created {agent}; reverting it would leave nothing",
        entry.version
    ))
    .hint(format!(
        "to discard staging edits use `agentctl restore {agent} [REF]`; to stop using the agent, delete agents/{agent}.yaml"
    ))
    .kind(ErrorKind::Usage)
}

/// The human view: staging now beside staging after the revert, then the conflicts.
fn report(
    reverted: &Entry,
    applied: &[Change],
    conflicts: &[merge::Conflict],
    style: Style,
) -> String {
    let mut out = format!(
        "{}: revert v{} ({}) \"{}\"\n",
        reverted.agent,
        reverted.version,
        reverted.short_id(),
        render::clean(&reverted.message)
    );
    out.push_str(&render::changes_text(
        applied,
        style,
        ("Staging now", "Staging after revert"),
    ));
    if !conflicts.is_empty() {
        out.push_str(&render::conflicts_text(conflicts, reverted.version, style));
    }
    out
}

/// Why the revert conflicts, by the real reason: a field staging deleted is not one that
/// "changed again" (issue 14, item 13).
fn conflict_reasons(
    conflicts: &[merge::Conflict],
    staging: &Config,
    version: u64,
    identity: &[&str],
) -> String {
    let staging = serde_json::Value::Object(staging.clone());
    let deleted = conflicts
        .iter()
        .filter(|c| change::value_at_with(&staging, &c.path.0, identity).is_none())
        .count();
    let changed = conflicts.len() - deleted;
    let fields = |n: usize| match n {
        1 => "1 field".to_owned(),
        n => format!("{n} fields"),
    };
    match (changed, deleted) {
        (_, 0) => format!("{} changed again since v{version}", fields(changed)),
        (0, _) => format!("{} deleted in staging since v{version}", fields(deleted)),
        _ => format!(
            "{} conflict since v{version}: {changed} changed again, {deleted} deleted in staging",
            fields(conflicts.len())
        ),
    }
}
