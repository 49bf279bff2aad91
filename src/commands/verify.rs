use super::Context;
use crate::error::{EXIT_FOUND, Error, Result};
use crate::render::{self, json};
use crate::store::{Location, Store};

/// Check the store's integrity: every snapshot hash and the hash chain of every history
///
/// Recomputes each snapshot's SHA-256 and each entry's change_track_id, and checks that every
/// history runs v1, v2, v3 … with each entry's parent the one before. Exit 0 when the store is
/// sound, 1 naming each agent, version and what is wrong.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON: {"ok", "agents", "entries", "snapshots", "problems": [{agent, version, kind, message}]}
    #[arg(long)]
    pub json: bool,
}

/// The store to verify, and how to name it: a store given with --store is verified without a
/// workspace (a CI volume); a store that does not exist is an error here, not an empty history.
/// Shared with the HTTP API (`GET /api/v2/verify`), which answers `json::Verify` of its report.
pub fn open(ctx: &Context) -> Result<(Store, String)> {
    Ok(match ctx.explicit_store() {
        Some(Location::File(path)) if !path.exists() => {
            return Err(Error::new(format!(
                "the store {} does not exist",
                path.display()
            )));
        }
        Some(location) => (Store::at(&location, ctx.lock_timeout())?, location.shown()),
        None => {
            let workspace = ctx.workspace()?;
            let store = ctx.open_store(&workspace)?;
            let shown = match ctx.store_location(&workspace) {
                Location::File(path) => workspace.display(&path),
                location => location.shown(),
            };
            (store, shown)
        }
    })
}

pub fn cmd_verify(ctx: &Context, args: Args) -> Result<u8> {
    let (mut store, shown) = open(ctx)?;
    let report = store.verify()?;

    if args.json {
        ctx.ui.json(&json::Verify::from(&report))?;
    } else {
        let mut out = String::new();
        for problem in &report.problems {
            let place = match (&problem.agent, problem.version) {
                (Some(agent), Some(version)) => format!("{} v{version}", render::clean(agent)),
                (Some(agent), None) => render::clean(agent),
                _ => "store".to_owned(),
            };
            out.push_str(&format!("{place}: {}\n", render::clean(&problem.message)));
        }
        ctx.ui.stdout(&out)?;
    }
    let checked = format!(
        "{} {} of {} {} and {} {} in {shown}",
        report.entries,
        plural(report.entries, "entry", "entries"),
        report.agents,
        plural(report.agents, "agent", "agents"),
        report.snapshots,
        plural(report.snapshots, "snapshot", "snapshots"),
    );
    if report.problems.is_empty() {
        ctx.ui
            .status("Verified", &format!("{checked}: the store is sound"));
        return Ok(0);
    }
    let count = report.problems.len();
    ctx.ui.note(&format!(
        "Checked {checked}: {count} {} found; the store was changed outside agentctl or damaged.",
        plural(count, "problem", "problems")
    ));
    ctx.ui.hint(
        "restore the store from a backup; the entries named above are the ones that no longer \
         match their ids",
    );
    Ok(EXIT_FOUND)
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
