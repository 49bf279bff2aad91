use super::Context;
use crate::agent::Config;
use crate::change;
use crate::error::{Error, Result};
use crate::render::{self, Style, json};
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

    /// Print JSON: the log entry plus `changes` (and `config` with --config)
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
    if args.reference == "staging" {
        return Err(
            Error::new("staging is not a publish; `show` shows history entries").hint(format!(
                "compare staging with `agentctl diff {}`",
                args.agent
            )),
        );
    }
    let entry = store.resolve(&args.agent, &args.reference)?;
    let snapshot = store.snapshot(&entry)?;
    let parent = match store.parent_of(&entry)? {
        Some(parent) => store.snapshot(&parent)?,
        None => Config::new(),
    };
    let changes = change::diff(&parent, &snapshot);

    if args.json {
        let view = json::Show {
            entry: json::EntryView::new(&entry, &store)?,
            changes,
            config: args.config.then_some(snapshot),
        };
        return ctx.ui.json(&view).map(|()| 0);
    }
    let style = Style {
        color: ctx.ui.color(),
        show_secrets: args.show_secrets,
    };
    let mut out = render::entry_text(&entry, true, style, jiff::Timestamp::now());
    if !changes.is_empty() {
        out.push('\n');
        let before = if entry.version == 1 {
            "before".to_owned()
        } else {
            format!("v{}", entry.version - 1)
        };
        out.push_str(&render::changes_text(
            &changes,
            style,
            (&before, &format!("v{}", entry.version)),
        ));
    }
    if args.config {
        let shown = if args.show_secrets {
            serde_json::Value::Object(snapshot)
        } else {
            render::mask(
                &change::Path::default(),
                &serde_json::Value::Object(snapshot),
            )
        };
        out.push_str(&format!("\n{}\n", render::value_text(&shown)));
    }
    ctx.ui.stdout(&out)?;
    Ok(0)
}
