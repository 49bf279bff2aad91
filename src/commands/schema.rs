use super::Context;
use crate::error::Result;

/// Print the JSON Schema (draft-07) of the agent file, for editors' YAML language servers
///
/// Needs no workspace. `agentctl new` also writes it to .agentctl/agent.schema.json and points
/// the new file's `# yaml-language-server: $schema=…` line at it. It reads no store: --store
/// and --lock-timeout are refused here.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn cmd_schema(ctx: &Context, _args: Args) -> Result<u8> {
    ctx.ui.stdout(&crate::schema::agent_schema_json())?;
    Ok(0)
}
