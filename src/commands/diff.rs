use clap::ValueEnum;

use super::Context;
use super::view::ViewArgs;
use crate::agent::Config;
use crate::change;
use crate::error::{EXIT_ERROR, EXIT_FOUND, Error, Result};
use crate::render::{self, Style, json};
use crate::store::Store;
use crate::survey::{self, Agent, AgentState};
use crate::workspace::Workspace;

/// Show what differs between production and staging, field by field
///
/// Only differences are shown, grouped by section: agent settings, instructions, knowledge
/// sources, tools, guardrails. Without AGENT, every agent whose staging differs is shown.
#[derive(Debug, clap::Args)]
#[command(mut_arg("json", |a| a.help(
    r#"Same as --format json: {"agents": [{agent, from, to, has_changes, changes}]}"#
)))]
pub struct Args {
    /// Agents to compare [default: every agent that differs]
    pub agents: Vec<String>,

    /// The old side: production, staging, vN or a change_track_id prefix
    #[arg(long, value_name = "REF", default_value = "production")]
    pub from: String,

    /// The new side: production, staging, vN or a change_track_id prefix
    #[arg(long, value_name = "REF", default_value = "staging")]
    pub to: String,

    /// Only count changes per section and list their paths, without values
    #[arg(long)]
    pub stat: bool,

    /// Exit with 1 when there are differences, 0 when there are none
    #[arg(long)]
    pub exit_code: bool,

    /// Output format: side-by-side text, JSON, or markdown for a pull-request comment
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: Format,

    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// What to compare: the command line's arguments, or the API's query.
#[derive(Debug)]
pub struct Request<'a> {
    /// The agents to compare; none: every agent that differs.
    pub agents: &'a [String],
    pub from: &'a str,
    pub to: &'a str,
}

/// What a comparison found.
pub enum Outcome {
    /// The `diff --json` document.
    Done(json::Diff),
    /// Staging files that do not validate: nothing was compared.
    Invalid(Vec<Error>),
}

/// `--json` with `--format markdown` asks for two documents: refused, not one silently chosen.
pub fn one_format(json: bool, format: Format) -> Result<()> {
    if json && format == Format::Markdown {
        return Err(Error::new("--json and --format markdown ask for two different outputs")
            .hint("give one of them: --json (or --format json) for scripts, --format markdown for a comment")
            .kind(crate::error::ErrorKind::Usage));
    }
    Ok(())
}

pub fn cmd_diff(ctx: &Context, args: Args) -> Result<u8> {
    one_format(args.view.json, args.format)?;
    let workspace = ctx.workspace()?;
    let store = ctx.open_store(&workspace)?;
    let request = Request {
        agents: &args.agents,
        from: &args.from,
        to: &args.to,
    };
    let json = args.view.json || args.format == Format::Json;
    let view = match diff(ctx, &workspace, &store, &request)? {
        Outcome::Done(view) => view,
        Outcome::Invalid(errors) => {
            for error in &errors {
                ctx.ui.error(error);
            }
            if json {
                ctx.ui
                    .json(&invalid_error(errors.len()).body(u16::from(EXIT_ERROR)))?;
            }
            return Ok(EXIT_ERROR);
        }
    };
    let differs = view.agents.iter().any(|d| d.has_changes);
    if json {
        ctx.ui.json(&view)?;
    } else if !differs {
        ctx.ui.note(&format!(
            "No differences: {} matches {}.",
            args.to, args.from
        ));
    } else {
        let style = if args.format == Format::Markdown {
            Style::markdown(args.view.show_secrets)
        } else {
            args.view.text_style(ctx.ui)
        };
        ctx.ui
            .page(&render::diff_text(&view.agents, style, args.stat))?;
    }
    Ok(if args.exit_code && differs {
        EXIT_FOUND
    } else {
        0
    })
}

/// The one error a comparison of invalid staging files ends with.
pub fn invalid_error(invalid: usize) -> Error {
    Error::new(format!(
        "{} not valid; nothing was compared",
        super::agents_count(invalid)
    ))
    .hint("`agentctl validate` shows each error with its file:line:column")
    .kind(crate::error::ErrorKind::Invalid)
}

/// Compare two sides of each agent: the one diff of the command line, the HTTP API
/// (`GET …/diff`) and the review page.
pub fn diff(
    ctx: &Context,
    workspace: &Workspace,
    store: &Store,
    request: &Request,
) -> Result<Outcome> {
    let named = !request.agents.is_empty();
    let agents = if named {
        super::unique(request.agents)
            .into_iter()
            .map(|id| survey::agent(workspace, store, id))
            .collect::<Result<Vec<_>>>()?
    } else {
        survey::survey(workspace, store)?
    };

    // Every staging file involved must be valid before anything is compared.
    let uses_staging = request.from == "staging" || request.to == "staging";
    let mut agents_ok = Vec::with_capacity(agents.len());
    let mut invalid = Vec::new();
    for agent in agents {
        match agent.state {
            AgentState::Invalid(error) if uses_staging => invalid.push(error),
            _ => agents_ok.push(agent),
        }
    }
    if !invalid.is_empty() {
        return Ok(Outcome::Invalid(invalid));
    }
    let agents = agents_ok;

    let surveyed = agents.len();
    let mut diffs = Vec::new();
    // Without names, an agent that lacks a REF (a newer agent has no v5) is skipped; a REF
    // that no agent has is an error, not "no differences" (issue 14, item 2).
    let mut skipped: Vec<(String, Vec<&str>)> = Vec::new();
    let (mut from_found, mut to_found) = (false, false);
    let production_to_staging =
        matches!(request.from, "production" | "prod") && request.to == "staging";
    // agentctl.yaml's sections and identity, read once for every agent compared.
    let overrides = workspace.overrides()?;
    for mut agent in agents {
        // Equal snapshot hashes: no differences, and nothing to read.
        if production_to_staging && !named && matches!(agent.state, AgentState::Clean) {
            continue;
        }
        if matches!(agent.state, AgentState::Missing) && uses_staging {
            ctx.ui.warn(&format!(
                "{} has no staging file: staging is empty, so every field shows as removed",
                agent.agent
            ));
        }
        let from = side(workspace, store, &mut agent, request.from, named)?;
        let to = side(workspace, store, &mut agent, request.to, named)?;
        from_found |= from.is_some();
        to_found |= to.is_some();
        let ((from, old), (to, new)) = match (from, to) {
            (Some(from), Some(to)) => (from, to),
            (from, to) => {
                let mut missing: Vec<&str> =
                    [(from.is_none(), request.from), (to.is_none(), request.to)]
                        .into_iter()
                        .filter_map(|(missing, reference)| missing.then_some(reference))
                        .collect();
                // `--from v1 --to v1`: one REF, named once.
                missing.dedup();
                skipped.push((agent.agent.clone(), missing));
                continue;
            }
        };
        let rules = overrides.extend(crate::workspace::read_as(
            agent.staging.as_ref(),
            &old,
            &new,
        ));
        let changes = change::diff_as(&rules, &old, &new);
        if changes.is_empty() && !named {
            continue;
        }
        diffs.push(json::AgentDiff {
            agent: agent.agent.clone(),
            from,
            to,
            has_changes: !changes.is_empty(),
            changes,
        });
    }
    if !skipped.is_empty() {
        let nowhere: Vec<&str> = [(from_found, request.from), (to_found, request.to)]
            .into_iter()
            .filter_map(|(found, reference)| (!found).then_some(reference))
            .collect();
        if let Some(reference) = nowhere.first() {
            return Err(
                Error::new(format!("no agent has a publish matching `{reference}`"))
                    .hint("`agentctl log` lists every agent's publishes")
                    .kind(crate::error::ErrorKind::NotFound),
            );
        }
        if skipped.len() == surveyed {
            return Err(Error::new(format!(
                "no agent has publishes matching both `{}` and `{}`",
                request.from, request.to
            ))
            .hint("name the agent, or pick REFs of one agent: `agentctl log AGENT` lists them")
            .kind(crate::error::ErrorKind::NotFound));
        }
        for (agent, missing) in &skipped {
            ctx.ui.warn(&format!(
                "{agent} skipped: it has no publish matching {}",
                missing.join(" or ")
            ));
        }
    }
    Ok(Outcome::Done(json::Diff { agents: diffs }))
}

/// The configuration a REF names for one agent. Production of a never-published agent is the
/// empty configuration, so that a new agent diffs as all-added. `None` when the REF matches no
/// publish and `required` is false.
fn side(
    workspace: &Workspace,
    store: &Store,
    agent: &mut Agent,
    reference: &str,
    required: bool,
) -> Result<Option<(json::Side, Config)>> {
    let mut side = json::Side {
        reference: reference.to_owned(),
        version: None,
        change_track_id: None,
    };
    if reference == "staging" {
        // A deleted staging file: staging holds nothing.
        return Ok(Some((side, survey::config(workspace, agent)?)));
    }
    if matches!(reference, "production" | "prod") && agent.production.is_none() {
        return Ok(Some((side, Config::new())));
    }
    let entry = if required {
        store.resolve(&agent.agent, reference)?
    } else {
        match store.find(&agent.agent, reference)? {
            Some(entry) => entry,
            None => return Ok(None),
        }
    };
    let config = survey::snapshot(workspace, store, &entry)?;
    side.version = Some(entry.version);
    side.change_track_id = Some(entry.change_track_id);
    Ok(Some((side, config)))
}
