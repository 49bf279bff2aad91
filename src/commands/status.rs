use super::Context;
use crate::error::Result;
use crate::render::json;
use crate::store::Location;
use crate::survey::{self, AgentState};

/// Show each agent's state: clean, modified, new, missing or invalid
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON: {"agents": [{agent, state, format, production}]}
    #[arg(long)]
    pub json: bool,
}

/// The `status --json` view, shared with `GET /api/v2/agents`.
pub fn view(agents: &[crate::survey::Agent]) -> json::Status {
    json::Status {
        agents: agents
            .iter()
            .map(|a| json::AgentStatus {
                agent: a.agent.clone(),
                state: a.state.as_str(),
                format: a.format,
                production: a.production.as_ref().map(|p| json::Production {
                    version: p.version,
                    change_track_id: p.change_track_id.clone(),
                    published_at: p.published_at.clone(),
                }),
            })
            .collect(),
    }
}

pub fn cmd_status(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let store_file = match ctx.store_location(&workspace) {
        Location::File(path) => Some(path),
        Location::Url(_) => None,
    };
    let agents = survey::status(&workspace, store_file.as_deref(), || {
        ctx.open_store(&workspace)
    })?;
    if args.json {
        return ctx.ui.json(&view(&agents)).map(|()| 0);
    }
    if agents.is_empty() {
        ctx.ui
            .note("No agents yet: add agents/<agent>.yaml files to this workspace.");
        return Ok(0);
    }
    let width = agents.iter().map(|a| a.agent.len()).max().unwrap_or(0);
    let mut out = String::new();
    for agent in &agents {
        let mut production = match &agent.production {
            Some(p) => format!("production v{} {}", p.version, p.short_id()),
            None => "never published".to_owned(),
        };
        // Only a framework's format is worth a word; native files are the norm.
        if let Some(format) = agent.format.filter(|f| *f != crate::agent::NATIVE.name) {
            production.push_str(&format!("  ({format})"));
        }
        out.push_str(&format!(
            "{:<9} {:<width$}  {production}\n",
            agent.state.as_str(),
            agent.agent
        ));
        if let AgentState::Invalid(error) = &agent.state {
            let place = error
                .location
                .as_ref()
                .map(|l| format!("{l}: "))
                .unwrap_or_default();
            out.push_str(&format!("          {place}{}\n", error.message));
        }
    }
    ctx.ui.stdout(&out)?;
    Ok(0)
}
