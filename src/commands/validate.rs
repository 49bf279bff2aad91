use super::Context;
use crate::error::{EXIT_ERROR, Error, Result};
use crate::render::json;
use crate::workspace::Workspace;

/// Check staging files: YAML syntax, types, required fields, unique names
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Agents to check [default: every staging file]
    pub agents: Vec<String>,

    /// Print JSON: {"agents": [{agent, valid, format, errors: [{message, file, line, column}]}]}
    #[arg(long)]
    pub json: bool,
}

pub fn cmd_validate(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let results = check(&workspace, &args.agents)?;
    let invalid = results.iter().filter(|(_, r)| r.is_err()).count();
    if args.json {
        let view = json::Validate {
            agents: results
                .iter()
                .map(|(agent, result)| json::AgentValidity {
                    agent: agent.clone(),
                    valid: result.is_ok(),
                    format: result.as_ref().ok().copied(),
                    errors: result
                        .as_ref()
                        .err()
                        .map(|e| vec![validation_error(e)])
                        .unwrap_or_default(),
                })
                .collect(),
        };
        ctx.ui.json(&view)?;
    } else {
        for (agent, result) in &results {
            match result {
                Ok(format) if *format == crate::agent::NATIVE.name => ctx.ui.status("Valid", agent),
                Ok(format) => ctx.ui.status("Valid", &format!("{agent} ({format})")),
                Err(error) => ctx.ui.error(error),
            }
        }
        if results.is_empty() {
            ctx.ui.note("No staging files to check in agents/.");
        } else if invalid > 0 {
            ctx.ui.note(&format!(
                "{invalid} of {} agent{} invalid",
                results.len(),
                if results.len() == 1 { " is" } else { "s are" }
            ));
        }
    }
    Ok(if invalid > 0 { EXIT_ERROR } else { 0 })
}

/// Validate the named agents, or every staging file: the format each valid one is read in.
fn check(workspace: &Workspace, agents: &[String]) -> Result<Vec<(String, Result<&'static str>)>> {
    let files = if agents.is_empty() {
        workspace.staging_files()?
    } else {
        super::unique(agents)
            .into_iter()
            .map(|id| (id.clone(), workspace.staging(id)))
            .collect()
    };
    Ok(files
        .into_iter()
        .map(|(agent, staging)| {
            let result = staging.and_then(|s| {
                let bytes = workspace.read_bytes(&s)?;
                workspace
                    .parse_with_format(&s, &bytes)
                    .map(|(_, format)| format.name)
            });
            (agent, result)
        })
        .collect())
}

fn validation_error(error: &Error) -> json::ValidationError {
    json::ValidationError {
        message: error.message.clone(),
        file: error.location.as_ref().map(|l| l.file.clone()),
        line: error.location.as_ref().and_then(|l| l.line),
        column: error.location.as_ref().and_then(|l| l.column),
    }
}
