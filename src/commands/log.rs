use super::Context;
use crate::change::Path;
use crate::error::{Error, Result};
use crate::render::{self, Style, json};
use crate::survey;

/// Show the publish history, newest first
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this agent's history [default: every agent]
    pub agent: Option<String>,

    /// Show at most N entries
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    pub max_count: Option<usize>,

    /// One line per entry: short id, version, message
    #[arg(long)]
    pub oneline: bool,

    /// Only the entries whose changes touch PATH (model.temperature, tools[web_search],
    /// guardrails): at it, under it, or above it holding it; needs an agent
    #[arg(long, value_name = "PATH", requires = "agent")]
    pub touching: Option<String>,

    /// Print JSON: {"entries": [{agent, version, change_track_id, parent, author, …}]}
    #[arg(long)]
    pub json: bool,
}

pub fn cmd_log(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let store = ctx.open_store(&workspace)?;
    if let Some(agent) = &args.agent {
        // An unknown agent is an error; a known one never published has an empty history.
        survey::require_known(&workspace, &store, agent)?;
    }
    let entries = match (&args.agent, &args.touching) {
        (Some(agent), Some(path)) => {
            let path = Path::parse(path).map_err(|why| {
                Error::new(why).hint(
                    "a PATH reads like model.temperature, tools[web_search] or guardrails; \
                     quote keys holding `.`, `[`, `]`, `\"` or spaces: headers.\"x.y\"",
                )
            })?;
            store.touching(agent, &path, args.max_count)?
        }
        _ => store.log(args.agent.as_deref(), args.max_count)?,
    };
    if args.json {
        let entries = entries
            .iter()
            .map(|e| json::EntryView::new(e, &store))
            .collect::<Result<_>>()?;
        return ctx.ui.json(&json::Log { entries }).map(|()| 0);
    }
    if entries.is_empty() && args.max_count != Some(0) {
        ctx.ui.note(&match (&args.agent, &args.touching) {
            (Some(agent), Some(path)) => format!("No publish of {agent} touched {path}."),
            (Some(agent), None) => format!("{agent} has never been published."),
            (None, _) => "Nothing has been published yet.".to_owned(),
        });
        return Ok(0);
    }
    // Entries hold no configuration values, so there is nothing to mask.
    let style = Style::text(ctx.ui, false, false);
    let with_agent = args.agent.is_none();
    let now = ctx.now()?;
    // Written entry by entry, so that `agentctl log | head` stops as soon as its reader does.
    let mut out = ctx.ui.paged_stdout();
    for (i, entry) in entries.iter().enumerate() {
        let text = if args.oneline {
            render::entry_oneline(entry, with_agent, style)
        } else {
            let separator = if i > 0 { "\n" } else { "" };
            format!(
                "{separator}{}",
                render::entry_text(entry, with_agent, style, now)
            )
        };
        out.write(&text)?;
    }
    out.finish()?;
    Ok(0)
}
