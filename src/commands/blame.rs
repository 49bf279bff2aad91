use std::collections::{BTreeMap, btree_map};

use super::Context;
use crate::blame;
use crate::error::{Error, Result};
use crate::render::{self, Style, json};
use crate::store::{Entry, Store, require_publish};
use crate::survey;
use crate::workspace::Workspace;

/// Show which publish last changed each field of an agent: version, id, author and date
///
/// One row per keyed item (tools[x]), scalar leaf and plain list of the snapshot, and one per
/// line of each multi-line string (the instructions), like `git blame`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent to blame: its id, the name of agents/<AGENT>.yaml
    #[arg(value_name = "AGENT")]
    pub agent: String,

    /// The publish to blame: production, vN or a change_track_id prefix
    #[arg(default_value = "production", value_name = "REF")]
    pub reference: String,

    /// Print JSON: {"agent", "ref", "fields": [{path, version, …}], "lines": {"instructions": […]}}
    #[arg(long)]
    pub json: bool,

    /// Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords
    /// inside values) instead of ********
    #[arg(long)]
    pub show_secrets: bool,
}

/// A snapshot's blame, with each publish it names read once.
pub struct Blamed {
    pub entry: Entry,
    pub snapshot: crate::agent::Config,
    pub blame: blame::Blame,
    pub publishes: BTreeMap<u64, Entry>,
}

impl Blamed {
    /// The `blame --json` document; `reference` is the REF as given.
    pub fn view(&self, reference: &str) -> json::Blame {
        let publish = |version: u64| json::BlamePublish::new(&self.publishes[&version]);
        json::Blame {
            agent: self.entry.agent.clone(),
            reference: json::Side {
                reference: reference.to_owned(),
                version: Some(self.entry.version),
                change_track_id: Some(self.entry.change_track_id.clone()),
            },
            fields: self
                .blame
                .fields
                .iter()
                .map(|field| json::BlameField {
                    path: field.path.to_string(),
                    publish: publish(field.version),
                })
                .collect(),
            lines: self
                .blame
                .lines
                .iter()
                .map(|(path, lines)| {
                    let lines = lines
                        .iter()
                        .enumerate()
                        .map(|(i, line)| json::BlameLine {
                            line: i + 1,
                            text: line.text.clone(),
                            publish: publish(line.version),
                        })
                        .collect();
                    (path.to_string(), lines)
                })
                .collect(),
        }
    }
}

/// Blame the snapshot `reference` names: the one blame of the command line and of the HTTP
/// API (`GET …/blame`).
pub fn load(workspace: &Workspace, store: &Store, agent: &str, reference: &str) -> Result<Blamed> {
    survey::require_known(workspace, store, agent)?;
    require_publish(
        reference,
        "`blame` attributes the fields of history entries",
        format!("see what staging changes with `agentctl diff {agent}`"),
    )?;
    let entry = store.resolve(agent, reference)?;
    let snapshot = store.snapshot(&entry)?;
    let rules = entry.rules_of_snapshot(&snapshot)?;
    let blame = blame::blame(store, &rules, &entry.agent, entry.version, &snapshot)?;

    // Each publish named, read once.
    let mut publishes: BTreeMap<u64, Entry> = BTreeMap::new();
    let versions = blame.fields.iter().map(|f| f.version).chain(
        blame
            .lines
            .iter()
            .flat_map(|(_, lines)| lines.iter().map(|l| l.version)),
    );
    for version in versions {
        if let btree_map::Entry::Vacant(slot) = publishes.entry(version) {
            slot.insert(store.entry(&entry.agent, version)?.ok_or_else(|| {
                Error::new(format!(
                    "{} v{version} is missing from the store",
                    entry.agent
                ))
            })?);
        }
    }
    Ok(Blamed {
        entry,
        snapshot,
        blame,
        publishes,
    })
}

pub fn cmd_blame(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let store = ctx.open_store(&workspace)?;
    let blamed = load(&workspace, &store, &args.agent, &args.reference)?;
    if args.json {
        return ctx.ui.json(&blamed.view(&args.reference)).map(|()| 0);
    }
    let style = Style::text(ctx.ui, args.show_secrets, false);
    let text = render::blame::blame_text(&blamed.blame, &blamed.snapshot, &blamed.publishes, style);
    ctx.ui.page(&text)?;
    Ok(0)
}
