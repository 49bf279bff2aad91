//! One module per subcommand; this file only dispatches and holds what every command needs:
//! the global options, the Ui, the user config, and the way to the workspace and the store.

pub mod blame;
pub mod completions;
pub mod diff;
pub mod export;
pub mod init;
pub mod log;
pub mod new;
pub mod publish;
pub mod restore;
pub mod revert;
pub mod schema;
#[cfg(feature = "serve")]
pub mod serve;
pub mod show;
pub mod status;
pub mod store;
pub mod undo;
pub mod validate;
pub mod verify;

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::UserConfig;
use crate::error::{Error, Result};
use crate::store::{Backup, DEFAULT_LOCK_TIMEOUT, Store, sha256_hex};
use crate::ui::Ui;
use crate::workspace::{Staging, Workspace};

pub struct Context<'a> {
    pub global: GlobalArgs,
    pub ui: &'a Ui,
    pub user: UserConfig,
}

impl Context<'_> {
    pub fn workspace(&self) -> Result<Workspace> {
        Workspace::find(&PathBuf::from("."))
    }

    /// `--lock-timeout`: how long to wait for another writer (store or workspace lock).
    pub fn lock_timeout(&self) -> Duration {
        self.global.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT)
    }

    /// Take the workspace lock (revert, restore, undo), waiting at most the lock timeout.
    pub fn lock_workspace(&self, workspace: &Workspace) -> Result<std::fs::File> {
        workspace.lock(self.lock_timeout())
    }

    /// `--store`, else a non-empty `AGENTCTL_STORE`.
    pub fn explicit_store(&self) -> Option<PathBuf> {
        self.global.store.clone().or_else(|| {
            std::env::var_os("AGENTCTL_STORE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
    }

    /// The explicit store when it is a PostgreSQL URL (SPEC 11) rather than a file.
    pub fn store_url(&self) -> Option<String> {
        let store = self.explicit_store()?;
        let store = store.to_str()?;
        crate::store::is_url(store).then(|| store.to_owned())
    }

    /// The store as shown to people: a file's path, or a URL without its password.
    pub fn store_shown(&self, workspace: &Workspace) -> String {
        match self.store_url() {
            Some(url) => crate::store::redact(&url),
            None => self.store_path(workspace).display().to_string(),
        }
    }

    pub fn store_path(&self, workspace: &Workspace) -> PathBuf {
        self.explicit_store()
            .unwrap_or_else(|| workspace.default_store())
    }

    /// Open the store to read it. The workspace's own store is made by `init`, so its absence
    /// means lost history and must not be papered over. A `--store` file that does not exist
    /// yet is read as an empty history, with a warning, and not created: a typo must not
    /// leave files behind, and CI's first `diff` before any publish must still work.
    pub fn open_store(&self, workspace: &Workspace) -> Result<Store> {
        if let Some(url) = self.store_url() {
            return Store::connect(&url, self.lock_timeout());
        }
        let path = self.store_path(workspace);
        if path.exists() {
            return Store::open(&path, self.lock_timeout());
        }
        if self.explicit_store().is_none() {
            return Err(missing_workspace_store(workspace, &path));
        }
        self.ui.warn(&format!(
            "the store {} does not exist yet; reading it as an empty history (the first publish creates it)",
            path.display()
        ));
        Store::empty()
    }

    /// Open the store to publish to it: a `--store` file that does not exist yet is created
    /// (a CI cache's first run).
    pub fn open_store_for_writing(&self, workspace: &Workspace) -> Result<Store> {
        if let Some(url) = self.store_url() {
            return Store::connect(&url, self.lock_timeout());
        }
        let path = self.store_path(workspace);
        if self.explicit_store().is_none() && !path.exists() {
            return Err(missing_workspace_store(workspace, &path));
        }
        Store::open(&path, self.lock_timeout())
    }
}

fn missing_workspace_store(workspace: &Workspace, path: &std::path::Path) -> Error {
    Error::new(format!(
        "the workspace's store {} is missing",
        workspace.display(path)
    ))
    .hint("restore it from a backup, or point --store (AGENTCTL_STORE) at the store to use")
}

/// Now, as history and backups record it: RFC 3339, UTC, whole seconds.
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

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
        created_at: now(),
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

/// Agent names as given, each once: `publish a a` means `publish a`.
pub fn unique(agents: &[String]) -> Vec<&String> {
    let mut seen = std::collections::HashSet::new();
    agents.iter().filter(|a| seen.insert(*a)).collect()
}

/// Run a parsed command line; the result is the exit code.
pub fn run(cli: Cli, ui: &Ui, user: UserConfig) -> Result<u8> {
    if let Some(dir) = &cli.global.directory {
        // `-C DIR` behaves like git's: as if agentctl had been started in DIR, so relative
        // paths given with other options are relative to DIR too.
        std::env::set_current_dir(dir).map_err(|e| {
            Error::new(format!(
                "cannot change to the folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    let ctx = Context {
        global: cli.global,
        ui,
        user,
    };
    match cli.command {
        Command::Init(args) => init::cmd_init(&ctx, args),
        Command::New(args) => new::cmd_new(&ctx, args),
        Command::Status(args) => status::cmd_status(&ctx, args),
        Command::Validate(args) => validate::cmd_validate(&ctx, args),
        Command::Diff(args) => diff::cmd_diff(&ctx, args),
        Command::Publish(args) => publish::cmd_publish(&ctx, args),
        Command::Log(args) => log::cmd_log(&ctx, args),
        Command::Show(args) => show::cmd_show(&ctx, args),
        Command::RevertPreview(args) => revert::cmd_revert(&ctx, args, revert::Mode::Preview),
        Command::Revert(args) => revert::cmd_revert(&ctx, args, revert::Mode::Write),
        Command::Restore(args) => restore::cmd_restore(&ctx, args),
        Command::Undo(args) => undo::cmd_undo(&ctx, args),
        Command::Blame(args) => blame::cmd_blame(&ctx, args),
        Command::Export(args) => export::cmd_export(&ctx, args),
        Command::Schema(args) => schema::cmd_schema(&ctx, args),
        Command::Completions(args) => completions::cmd_completions(&ctx, args),
        Command::Verify(args) => verify::cmd_verify(&ctx, args),
        Command::Store(args) => store::cmd_store(&ctx, args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::cmd_serve(&ctx, args),
    }
}
