use std::path::PathBuf;

use super::Context;
use crate::error::Result;
use crate::store::Store;
use crate::workspace::{AGENTS_DIR, Workspace};

/// Create a workspace: .agentctl/ holding an empty store, and agents/ for staging files
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to create the workspace in (created if missing) [default: the current folder]
    pub dir: Option<PathBuf>,
}

pub fn cmd_init(ctx: &Context, args: Args) -> Result<u8> {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
    // A --store is checked (or created) first, so that a bad one leaves no workspace behind.
    if let Some(location) = ctx.explicit_store() {
        Store::at(&location, ctx.lock_timeout())?;
    }
    let workspace = Workspace::init(&dir, |path| Store::open(path, ctx.lock_timeout()).map(drop))?;
    ctx.ui.status(
        "Created",
        &format!(
            "agentctl workspace in {} (store: {})",
            workspace.root.display(),
            ctx.store_location(&workspace).shown()
        ),
    );
    ctx.ui.hint(&format!(
        "add {AGENTS_DIR}/<agent>.yaml files, review them with `agentctl diff`, then `agentctl publish`"
    ));
    Ok(0)
}
