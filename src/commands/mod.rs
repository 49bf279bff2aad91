//! One module per subcommand; this file only dispatches and holds what every command needs:
//! the global options, the Ui, the user config, and the way to the workspace and the store.

pub mod blame;
pub mod diff;
pub mod init;
pub mod log;
pub mod publish;
pub mod show;
pub mod status;
pub mod validate;

use std::path::PathBuf;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::UserConfig;
use crate::error::{Error, Result};
use crate::store::{DEFAULT_LOCK_TIMEOUT, Store};
use crate::ui::Ui;
use crate::workspace::Workspace;

pub struct Context<'a> {
    pub global: GlobalArgs,
    pub ui: &'a Ui,
    pub user: UserConfig,
}

impl Context<'_> {
    pub fn workspace(&self) -> Result<Workspace> {
        Workspace::find(&PathBuf::from("."))
    }

    /// `--store`, else a non-empty `AGENTCTL_STORE`.
    pub fn explicit_store(&self) -> Option<PathBuf> {
        self.global.store.clone().or_else(|| {
            std::env::var_os("AGENTCTL_STORE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
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
        let path = self.store_path(workspace);
        if path.exists() {
            return Store::open(&path, DEFAULT_LOCK_TIMEOUT);
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
        let path = self.store_path(workspace);
        if self.explicit_store().is_none() && !path.exists() {
            return Err(missing_workspace_store(workspace, &path));
        }
        Store::open(&path, DEFAULT_LOCK_TIMEOUT)
    }
}

fn missing_workspace_store(workspace: &Workspace, path: &std::path::Path) -> Error {
    Error::new(format!(
        "the workspace's store {} is missing",
        workspace.display(path)
    ))
    .hint("restore it from a backup, or point --store (AGENTCTL_STORE) at the store to use")
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
        Command::Status(args) => status::cmd_status(&ctx, args),
        Command::Validate(args) => validate::cmd_validate(&ctx, args),
        Command::Diff(args) => diff::cmd_diff(&ctx, args),
        Command::Publish(args) => publish::cmd_publish(&ctx, args),
        Command::Log(args) => log::cmd_log(&ctx, args),
        Command::Show(args) => show::cmd_show(&ctx, args),
        Command::Blame(args) => blame::cmd_blame(&ctx, args),
    }
}
