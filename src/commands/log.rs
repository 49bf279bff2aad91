use super::Context;
use crate::change::Path;
use crate::error::{Error, ErrorKind, Result};
use crate::render::{self, Style, json};
use crate::store::{Entry, Store};
use crate::survey;
use crate::workspace::Workspace;

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

/// Which entries of a history: the command line's options, or the API's query.
#[derive(Debug, Default)]
pub struct Request<'a> {
    pub agent: Option<&'a str>,
    /// Only entries whose changes touch this PATH (needs an agent).
    pub touching: Option<&'a str>,
    pub limit: Option<usize>,
    /// Only entries older than this version (the API's `before=vN` cursor; needs an agent).
    pub before: Option<u64>,
}

/// The entries of a history, newest first: the one lookup of `log` and of the HTTP API
/// (`GET …/history`).
pub fn entries(workspace: &Workspace, store: &Store, request: &Request) -> Result<Vec<Entry>> {
    if let Some(agent) = request.agent {
        // An unknown agent is an error; a known one never published has an empty history.
        survey::require_known(workspace, store, agent)?;
    }
    let path = match request.touching {
        Some(path) => Some(Path::parse(path).map_err(|why| {
            Error::new(why)
                .hint(
                    "a PATH reads like model.temperature, tools[web_search] or guardrails; \
                     quote keys holding `.`, `[`, `]`, `\"` or spaces: headers.\"x.y\"",
                )
                .kind(ErrorKind::Usage)
        })?),
        None => None,
    };
    match (request.agent, path, request.before) {
        (Some(agent), Some(path), before) => {
            store.touching_before(agent, &path, before, request.limit)
        }
        (Some(agent), None, Some(before)) => store.log_before(agent, before, request.limit),
        (agent, _, _) => store.log(agent, request.limit),
    }
}

/// The `log --json` document of some entries.
pub fn view(store: &Store, entries: &[Entry]) -> Result<json::Log> {
    let entries = entries
        .iter()
        .map(|e| json::EntryView::new(e, store))
        .collect::<Result<_>>()?;
    Ok(json::Log { entries })
}

pub fn cmd_log(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let store = ctx.open_store(&workspace)?;
    let entries = entries(
        &workspace,
        &store,
        &Request {
            agent: args.agent.as_deref(),
            touching: args.touching.as_deref(),
            limit: args.max_count,
            before: None,
        },
    )?;
    if args.json {
        return ctx.ui.json(&view(&store, &entries)?).map(|()| 0);
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
