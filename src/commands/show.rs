use super::Context;
use crate::agent::Config;
use crate::change;
use crate::commands::diff::Format;
use crate::error::Result;
use crate::render::{self, Style, json};
use crate::store::require_publish;
use crate::survey;

/// Show one publish: who, when, its message, and its changes against the publish before it
#[derive(Debug, clap::Args)]
pub struct Args {
    pub agent: String,

    /// The publish: production, vN or a change_track_id prefix
    #[arg(default_value = "production", value_name = "REF")]
    pub reference: String,

    /// Also print the whole snapshot
    #[arg(long)]
    pub config: bool,

    /// Stacked view of the changes: the old value above the new one (the default below 80
    /// columns)
    #[arg(long)]
    pub unified: bool,

    /// Output format: side-by-side text, JSON, or markdown for a pull-request comment
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: Format,

    /// Same as --format json: the log entry plus `changes` (and `config` with --config)
    #[arg(long)]
    pub json: bool,

    /// Show values of keys that look like secrets (api_key, token, …) instead of ********
    #[arg(long)]
    pub show_secrets: bool,
}

pub fn cmd_show(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let store = ctx.open_store(&workspace)?;
    survey::require_known(&workspace, &store, &args.agent)?;
    require_publish(
        &args.reference,
        "`show` shows history entries",
        format!("compare staging with `agentctl diff {}`", args.agent),
    )?;
    let entry = store.resolve(&args.agent, &args.reference)?;
    let snapshot = store.snapshot(&entry)?;
    let parent = match store.parent_of(&entry)? {
        Some(parent) => store.snapshot(&parent)?,
        None => Config::new(),
    };
    let changes = change::diff(&parent, &snapshot);

    if args.json || args.format == Format::Json {
        let view = json::Show {
            entry: json::EntryView::new(&entry, &store)?,
            changes,
            config: args.config.then_some(snapshot),
        };
        return ctx.ui.json(&view).map(|()| 0);
    }
    let style = if args.format == Format::Markdown {
        Style::markdown(args.show_secrets)
    } else {
        Style::text(ctx.ui, args.show_secrets, args.unified)
    };
    let config = args.config.then_some(snapshot);
    let text = render::show_text(&entry, &changes, config, style, ctx.now()?);
    ctx.ui.page(&text)?;
    Ok(0)
}
