use super::Context;
use super::view::ViewArgs;
use crate::agent::Config;
use crate::change::{self, Change};
use crate::commands::diff::Format;
use crate::error::Result;
use crate::render::{self, Style, json};
use crate::store::{Entry, Store, require_publish};
use crate::survey;
use crate::workspace::Workspace;

/// Show one publish: who, when, its message, and its changes against the publish before it
#[derive(Debug, clap::Args)]
#[command(mut_arg("json", |a| a.help(
    "Same as --format json: the log entry plus `changes` (and `config` with --config)"
)))]
pub struct Args {
    /// The agent whose publish to show: its id, the name of agents/<AGENT>.yaml
    #[arg(value_name = "AGENT")]
    pub agent: String,

    /// The publish: production, vN or a change_track_id prefix
    #[arg(default_value = "production", value_name = "REF")]
    pub reference: String,

    /// Also print the whole snapshot
    #[arg(long)]
    pub config: bool,

    /// Only count the changes per section and list their paths, without values (as diff --stat)
    #[arg(long)]
    pub stat: bool,

    /// Output format: side-by-side text, JSON, or markdown for a pull-request comment
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: Format,

    #[command(flatten)]
    pub view: ViewArgs,
}

/// One history entry, its snapshot, and its changes against its parent.
pub struct Shown {
    pub entry: Entry,
    pub snapshot: Config,
    pub changes: Vec<Change>,
}

impl Shown {
    /// The `show --json` document; `config` adds the snapshot (`--config`).
    pub fn view(self, store: &Store, config: bool) -> Result<json::Show> {
        Ok(json::Show {
            entry: json::EntryView::new(&self.entry, store)?,
            changes: self.changes,
            config: config.then_some(self.snapshot),
        })
    }
}

/// The publish `reference` names, with its changes: the one lookup of `show` and of the HTTP
/// API (`GET …/history/{ref}`).
pub fn load(workspace: &Workspace, store: &Store, agent: &str, reference: &str) -> Result<Shown> {
    survey::require_known(workspace, store, agent)?;
    require_publish(
        reference,
        "`show` shows history entries",
        format!("compare staging with `agentctl diff {agent}`"),
    )?;
    let entry = store.resolve(agent, reference)?;
    let snapshot = survey::snapshot(workspace, store, &entry)?;
    let parent = match store.parent_of(&entry)? {
        Some(parent) => survey::snapshot(workspace, store, &parent)?,
        None => Config::new(),
    };
    // By the rules the publish was compared under and recorded by (agentctl.yaml's sections
    // and identity as they were then), so `show` lists exactly what `log` counts.
    let rules = entry.rules(&parent, &snapshot)?;
    let changes = change::diff_as(&rules, &parent, &snapshot);
    Ok(Shown {
        entry,
        snapshot,
        changes,
    })
}

pub fn cmd_show(ctx: &Context, args: Args) -> Result<u8> {
    super::diff::one_format(args.view.json, args.format)?;
    let workspace = ctx.workspace()?;
    let store = ctx.open_store(&workspace)?;
    let shown = load(&workspace, &store, &args.agent, &args.reference)?;

    if args.view.json || args.format == Format::Json {
        let view = shown.view(&store, args.config)?;
        return ctx.ui.json(&view).map(|()| 0);
    }
    let style = if args.format == Format::Markdown {
        Style::markdown(args.view.show_secrets)
    } else {
        args.view.text_style(ctx.ui)
    };
    let Shown {
        entry,
        snapshot,
        changes,
    } = shown;
    let config = args.config.then_some(snapshot);
    let text = render::show_text(&entry, &changes, config, style, args.stat, ctx.now()?);
    ctx.ui.page(&text)?;
    Ok(0)
}
