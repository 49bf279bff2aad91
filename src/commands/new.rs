use super::Context;
use crate::agent;
use crate::error::{Error, Result};
use crate::workspace::{self, AGENTS_DIR, Replace, STATE_DIR, Workspace, validate_id};

/// Create agents/AGENT.yaml from a commented template holding every section
///
/// The file is valid as written and starts with a `# yaml-language-server: $schema=…` line
/// pointing at .agentctl/agent.schema.json, which `new` writes (or refreshes) from this
/// agentctl, so editors complete and check the file. Refuses to overwrite a file, or to create
/// one for an agent that is published but has no staging file (`agentctl restore` brings that
/// back).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new agent's id: letters, digits, `-`, `_`, `.`; it names the file
    #[arg(value_name = "AGENT")]
    pub agent: String,
}

/// Where `new` keeps the schema, relative to the workspace root, and how a staging file in
/// `agents/` reaches it.
const SCHEMA_FILE: &str = "agent.schema.json";
const SCHEMA_FROM_AGENTS: &str = "../.agentctl/agent.schema.json";

pub fn cmd_new(ctx: &Context, args: Args) -> Result<u8> {
    let agent = args.agent.as_str();
    validate_id(agent)?;
    let workspace = ctx.workspace()?;
    if let Some(existing) = workspace.find_staging(agent)? {
        return Err(Error::new(format!(
            "{} already exists; `new` does not overwrite",
            workspace.display(&existing.path)
        ))
        .hint("edit that file, or pick another id"));
    }
    let store = ctx.open_store(&workspace)?;
    if let Some(head) = store.head(agent)? {
        return Err(Error::new(format!(
            "{agent} is published (production is v{}) but has no staging file",
            head.version
        ))
        .hint(format!(
            "`agentctl restore {agent}` writes {AGENTS_DIR}/{agent}.yaml from production"
        )));
    }
    // The schema first: if it cannot be written, neither is the agent.
    refresh_schema(&workspace)?;
    let staging = workspace.new_staging(agent);
    workspace.create(&staging, template(agent).as_bytes())?;
    ctx.ui.status("Created", &workspace.display(&staging.path));
    ctx.ui.hint(&format!(
        "edit it, check it with `agentctl validate {agent}`, review with `agentctl diff {agent}`, \
         then `agentctl publish {agent}`"
    ));
    Ok(0)
}

/// Write the schema the template points at, unless it already holds this agentctl's schema.
fn refresh_schema(workspace: &Workspace) -> Result<()> {
    let path = workspace.root.join(STATE_DIR).join(SCHEMA_FILE);
    let schema = crate::schema::agent_schema_json();
    if std::fs::read(&path).is_ok_and(|old| old == schema.as_bytes()) {
        return Ok(());
    }
    workspace::write_atomically(&path, schema.as_bytes(), Replace::Yes)
        .map_err(|e| Error::new(format!("cannot write {}: {e}", workspace.display(&path))))
}

/// The new staging file. The id is quoted as the name: `1.0` or `null` would not be text.
pub fn template(agent: &str) -> String {
    let text = TEMPLATE
        .replace("{schema}", SCHEMA_FROM_AGENTS)
        .replace("{agent}", agent);
    debug_assert!(agent::parse(text.as_bytes()).is_ok(), "{text}");
    text
}

const TEMPLATE: &str = r#"# yaml-language-server: $schema={schema}
#
# Agent "{agent}": this file is its staging copy. Edit it freely; nothing is live until
# `agentctl publish {agent}`. Check it with `agentctl validate {agent}` and review it with
# `agentctl diff {agent}`. Comments, key order and formatting are never changes.

# --- Agent settings -----------------------------------------------------------
# The display name (required, a non-empty string).
name: "{agent}"
# What the agent is for, in a sentence or two.
description: "TODO: what {agent} does"
# The model and its parameters; any key the provider takes is allowed here.
model:
  # provider: anthropic        # who serves the model
  # name: claude-sonnet-4-5    # the model's name there
  temperature: 0.2
  max_tokens: 1024
# Any other top-level key is allowed too, and belongs to the agent settings.

# --- Instructions (the system prompt) -----------------------------------------
# A `|` block keeps the lines as written; edits are reviewed as a line diff.
instructions: |
  You are {agent}. TODO: say who you serve, what you help with, the tone to use,
  and when to hand over to a human.

# --- Knowledge sources --------------------------------------------------------
# A list of mappings, each with a unique `name` (or `id`); diffs address items by it,
# as knowledge_sources[NAME]. Replace [] with items such as:
#   - name: help-center
#     type: website
#     url: https://help.example.com/
knowledge_sources: []

# --- Tools --------------------------------------------------------------------
# A list of mappings, each with a unique `name` (or `id`), as tools[NAME] in diffs.
# `parameters` is usually a JSON Schema object. Replace [] with items such as:
#   - name: lookup_order
#     description: Find an order by its number.
#     parameters:
#       type: object
#       properties:
#         order_id: {type: string}
#       required: [order_id]
tools: []

# --- Guardrails ---------------------------------------------------------------
# A list of mappings, each with a unique `name` (or `id`), as guardrails[NAME] in diffs.
# Replace [] with items such as:
#   - name: no-card-numbers
#     description: Never ask for or repeat a full card number.
guardrails: []
"#;

#[cfg(test)]
mod tests {
    use crate::agent::{self, Section};

    #[test]
    fn the_template_is_valid_and_holds_every_section() {
        for id in ["x", "support-bot", "1.0", "null", "true", "0x10", "a_b.c-d"] {
            let text = super::template(id);
            assert!(text.starts_with("# yaml-language-server: $schema="));
            let config = agent::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(config["name"], id);
            for section in Section::ALL {
                assert!(
                    config.keys().any(|k| Section::of_key(k) == section),
                    "{section:?} missing"
                );
            }
        }
    }
}
