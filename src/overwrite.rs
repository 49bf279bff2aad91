//! Overwriting a staging file so that nothing is lost whenever the process dies (`revert`,
//! `restore`): backup first, then an atomic write, then the pending revert.

use crate::agent::sha256_hex;
use crate::error::Result;
use crate::store::{Backup, Store};
use crate::workspace::{Staging, Workspace};

/// A staging file about to be overwritten by `revert` or `restore`.
pub struct Overwrite<'a> {
    /// `revert` or `restore`, as `undo` names it.
    pub operation: &'static str,
    pub staging: &'a Staging,
    /// The bytes being replaced; `None` when there is no file yet.
    pub previous: Option<&'a [u8]>,
    pub new: &'a [u8],
    /// The publish the agent's next publish will revert, if any, from now on.
    pub pending_revert: Option<&'a str>,
    /// When, as history records times (the command's clock).
    pub created_at: String,
}

/// Overwrite a staging file so that nothing is lost whenever the process dies: the old bytes
/// are committed to the store first, then the file is replaced atomically, then the agent's
/// pending revert is recorded. Killed before the file is replaced, the store holds a backup
/// the file never saw, which `undo` recognises and drops; killed after it, the next publish
/// just gets a generated message instead of "Revert vN". The caller holds the workspace lock.
pub fn overwrite_staging(
    workspace: &Workspace,
    store: &mut Store,
    overwrite: Overwrite,
) -> Result<()> {
    let agent = &overwrite.staging.agent;
    let tx = store.staging_write()?;
    let pending_before = tx.pending_revert(agent)?.map(|entry| entry.change_track_id);
    let backup = tx.keep(&Backup {
        id: 0,
        agent: agent.clone(),
        operation: overwrite.operation.to_owned(),
        file: workspace.display(&overwrite.staging.path),
        previous: overwrite.previous.map(<[u8]>::to_vec),
        written: sha256_hex(overwrite.new),
        pending_before,
        created_at: overwrite.created_at.clone(),
    })?;
    tx.commit()?;
    if let Err(error) = workspace.write(overwrite.staging, overwrite.new) {
        // Not written: the backup would only confuse `undo`.
        if let Ok(tx) = store.staging_write() {
            let _ = tx.forget(&backup).and_then(|()| tx.commit());
        }
        return Err(error);
    }
    let tx = store.staging_write()?;
    tx.set_pending_revert(agent, overwrite.pending_revert)?;
    tx.commit()
}
