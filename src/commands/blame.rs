use std::collections::{BTreeMap, btree_map};

use super::Context;
use crate::blame;
use crate::error::{Error, Result};
use crate::render::{self, Style, json};
use crate::store::Entry;
use crate::store::require_publish;
use crate::survey;

/// Show which publish last changed each field of an agent: version, id, author and date
///
/// One row per keyed item (tools[x]), scalar leaf and plain list of the snapshot, and one per
/// line of each multi-line string (the instructions), like `git blame`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub agent: String,

    /// The publish to blame: production, vN or a change_track_id prefix
    #[arg(default_value = "production", value_name = "REF")]
    pub reference: String,

    /// Print JSON: {"agent", "ref", "fields": [{path, version, …}], "lines": {"instructions": […]}}
    #[arg(long)]
    pub json: bool,

    /// Show values of keys that look like secrets (api_key, token, …) instead of ********
    #[arg(long)]
    pub show_secrets: bool,
}

pub fn cmd_blame(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let store = ctx.open_store(&workspace)?;
    survey::require_known(&workspace, &store, &args.agent)?;
    require_publish(
        &args.reference,
        "`blame` attributes the fields of history entries",
        format!(
            "see what staging changes with `agentctl diff {}`",
            args.agent
        ),
    )?;
    let entry = store.resolve(&args.agent, &args.reference)?;
    let snapshot = store.snapshot(&entry)?;
    let blame = blame::blame(&store, &entry.agent, entry.version, &snapshot)?;

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

    if args.json {
        let publish = |version: u64| json::BlamePublish::new(&publishes[&version]);
        let view = json::Blame {
            agent: entry.agent.clone(),
            reference: json::Side {
                reference: args.reference.clone(),
                version: Some(entry.version),
                change_track_id: Some(entry.change_track_id.clone()),
            },
            fields: blame
                .fields
                .iter()
                .map(|field| json::BlameField {
                    path: field.path.to_string(),
                    publish: publish(field.version),
                })
                .collect(),
            lines: blame
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
        };
        return ctx.ui.json(&view).map(|()| 0);
    }
    let style = Style::text(ctx.ui, args.show_secrets, false);
    let text = render::blame::blame_text(&blame, &snapshot, &publishes, style);
    ctx.ui.page(&text)?;
    Ok(0)
}
