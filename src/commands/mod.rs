//! One module per subcommand; this file only dispatches. What every command needs (the global
//! options, the Ui, the user config, the clock, the way to the workspace and the store) is the
//! [`Context`] in `context.rs`.

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
pub mod show;
pub mod status;
pub mod store;
pub mod undo;
pub mod validate;
pub mod verify;

mod context;

use crate::cli::{Cli, Command};
use crate::config::UserConfig;
use crate::error::{Error, Result};
use crate::ui::Ui;

pub use context::Context;

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
    }
}
