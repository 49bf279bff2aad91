//! What every command needs: the global options, the Ui, the user config, the clock, and the
//! way to the workspace and the store.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::GlobalArgs;
use crate::config::UserConfig;
use crate::error::{Error, Result};
use crate::store::{DEFAULT_LOCK_TIMEOUT, Location, Store};
use crate::ui::Ui;
use crate::workspace::Workspace;

pub struct Context<'a> {
    pub global: GlobalArgs,
    pub ui: &'a Ui,
    pub user: UserConfig,
}

impl Context<'_> {
    /// Now: the one clock of every command. `AGENTCTL_NOW` (an RFC 3339 time) pins it, as
    /// jj's `JJ_TIMESTAMP` does, so tests see the same times on every run.
    pub fn now(&self) -> Result<jiff::Timestamp> {
        match std::env::var("AGENTCTL_NOW") {
            Ok(pinned) if !pinned.is_empty() => pinned.parse().map_err(|e| {
                Error::new(format!("AGENTCTL_NOW=`{pinned}` is not a time: {e}"))
                    .hint("give an RFC 3339 time such as 2026-01-01T00:00:00Z, or unset it")
            }),
            _ => Ok(jiff::Timestamp::now()),
        }
    }

    /// Now, as history and backups record it: RFC 3339, UTC, whole seconds.
    pub fn now_recorded(&self) -> Result<String> {
        Ok(self.now()?.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    }

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

    /// `--store`, else a non-empty `AGENTCTL_STORE`, parsed once into file or URL.
    pub fn explicit_store(&self) -> Option<Location> {
        self.global
            .store
            .clone()
            .or_else(|| {
                std::env::var_os("AGENTCTL_STORE")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .map(|store| Location::from_path(&store))
    }

    /// The store this command uses: the explicit one, else the workspace's own file.
    pub fn store_location(&self, workspace: &Workspace) -> Location {
        self.explicit_store()
            .unwrap_or_else(|| Location::File(workspace.default_store()))
    }

    /// Open the store to read it. The workspace's own store is made by `init`, so its absence
    /// means lost history and must not be papered over. A `--store` file that does not exist
    /// yet is read as an empty history, with a warning, and not created: a typo must not
    /// leave files behind, and CI's first `diff` before any publish must still work.
    pub fn open_store(&self, workspace: &Workspace) -> Result<Store> {
        let explicit = self.explicit_store().is_some();
        match self.store_location(workspace) {
            Location::File(path) if !path.exists() => {
                if !explicit {
                    return Err(missing_workspace_store(workspace, &path));
                }
                self.ui.warn(&format!(
                    "the store {} does not exist yet; reading it as an empty history (the first publish creates it)",
                    path.display()
                ));
                Store::empty()
            }
            location => Store::at(&location, self.lock_timeout()),
        }
    }

    /// Open the store to publish to it: a `--store` file that does not exist yet is created
    /// (a CI cache's first run).
    pub fn open_store_for_writing(&self, workspace: &Workspace) -> Result<Store> {
        let explicit = self.explicit_store().is_some();
        match self.store_location(workspace) {
            Location::File(path) if !explicit && !path.exists() => {
                Err(missing_workspace_store(workspace, &path))
            }
            location => Store::at(&location, self.lock_timeout()),
        }
    }
}

fn missing_workspace_store(workspace: &Workspace, path: &std::path::Path) -> Error {
    Error::new(format!(
        "the workspace's store {} is missing",
        workspace.display(path)
    ))
    .hint("restore it from a backup, or point --store (AGENTCTL_STORE) at the store to use")
}
