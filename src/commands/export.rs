use std::path::PathBuf;

use clap::ValueEnum;

use super::Context;
use crate::agent::Config;
use crate::edit;
use crate::error::{Error, Result};
use crate::store::{Entry, Store, require_publish};
use crate::survey;
use crate::workspace::{self, Replace, Workspace};

/// Write production configs (or those of --ref) for deployment and integrations
///
/// The stored snapshot as plain YAML or JSON: no comments, secrets as they are (never masked),
/// and the same snapshot always gives the same bytes. Staging edits not yet published are not
/// exported. With -o, one file per agent (DIR/AGENT.yaml or .json), each written atomically;
/// without -o, name exactly one agent and its config goes to stdout.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Agents to export [default: every published agent; needs -o]
    pub agents: Vec<String>,

    /// The publish to export: production, vN or a change_track_id prefix
    #[arg(long = "ref", value_name = "REF", default_value = "production")]
    pub reference: String,

    /// Output format
    #[arg(long, value_name = "FORMAT", default_value = "yaml")]
    pub format: ExportFormat,

    /// Write DIR/AGENT.yaml (or .json) for each agent, creating DIR if missing
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Yaml,
    Json,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Yaml => "yaml",
            ExportFormat::Json => "json",
        }
    }

    /// The bytes of an export: a function of the snapshot alone, keys in the order of the
    /// file that was published.
    pub fn render(self, config: &Config) -> Result<String> {
        Ok(match self {
            ExportFormat::Yaml => edit::fresh(config),
            ExportFormat::Json => {
                let mut text = serde_json::to_string_pretty(config)
                    .map_err(|e| Error::new(format!("cannot encode JSON: {e}")))?;
                text.push('\n');
                text
            }
        })
    }
}

/// The publish of `agent` that `reference` names, to export: the one lookup of `export` and
/// of the HTTP API's production endpoint (`GET /api/v2/agents/{agent_id}`), which answers
/// `ExportFormat::Json.render` of its snapshot.
pub fn entry(workspace: &Workspace, store: &Store, agent: &str, reference: &str) -> Result<Entry> {
    require_publish(
        reference,
        "`export` writes published configs",
        "the staging file itself is agents/<agent>.yaml; publish it to export it",
    )?;
    survey::require_known(workspace, store, agent)?;
    store.resolve(agent, reference)
}

pub fn cmd_export(ctx: &Context, args: Args) -> Result<u8> {
    if args.output.is_none() && args.agents.len() != 1 {
        return Err(Error::new(
            "without -o, export writes one agent to stdout; name exactly one agent",
        )
        .hint("give -o DIR to write a file per agent, e.g. `agentctl export -o dist`"));
    }
    require_publish(
        &args.reference,
        "`export` writes published configs",
        "the staging file itself is agents/<agent>.yaml; publish it to export it",
    )?;
    let workspace = ctx.workspace()?;
    let store = ctx.open_store(&workspace)?;
    let agents: Vec<String> = if args.agents.is_empty() {
        store.agents()?
    } else {
        super::unique(&args.agents).into_iter().cloned().collect()
    };
    // Everything is looked up and rendered before anything is written.
    let mut exports: Vec<(Entry, String)> = Vec::with_capacity(agents.len());
    for agent in &agents {
        let entry = entry(&workspace, &store, agent, &args.reference)?;
        let text = args.format.render(&store.snapshot(&entry)?)?;
        exports.push((entry, text));
    }

    let Some(dir) = args.output else {
        // One agent, checked above.
        for (_, text) in &exports {
            ctx.ui.stdout(text)?;
        }
        return Ok(0);
    };
    if exports.is_empty() {
        ctx.ui
            .note("nothing to export: no agent has been published yet");
        return Ok(0);
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::new(format!("cannot create {}: {e}", dir.display())))?;
    for (entry, text) in &exports {
        let path = dir.join(format!("{}.{}", entry.agent, args.format.extension()));
        workspace::write_atomically(&path, text.as_bytes(), Replace::Yes)
            .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))?;
        ctx.ui.status(
            "Exported",
            &format!(
                "{} v{} ({}) to {}",
                entry.agent,
                entry.version,
                entry.short_id(),
                path.display()
            ),
        );
    }
    Ok(0)
}
