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
#[cfg(feature = "serve")]
pub mod serve;
pub mod show;
pub mod status;
pub mod store;
pub mod undo;
pub mod validate;
pub mod verify;
pub mod view;

mod context;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::UserConfig;
use crate::error::{Error, Result};
use crate::ui::Ui;

pub use context::Context;

/// Agent names as given, each once: `publish a a` means `publish a`.
pub fn unique(agents: &[String]) -> Vec<&String> {
    let mut seen = std::collections::HashSet::new();
    agents.iter().filter(|a| seen.insert(*a)).collect()
}

/// `schema` and `completions` need no workspace, no store and print no colour: `-C`,
/// `--store`, `--lock-timeout` and `--color` would do nothing there, so they are refused rather
/// than silently ignored. (`--no-pager` is kept: their output is paged on a terminal.)
fn refuse_options_that_do_nothing(global: &GlobalArgs, command: &Command) -> Result<()> {
    let name = match command {
        Command::Schema(_) => "schema",
        _ => "completions",
    };
    let given = [
        ("-C", global.directory.is_some(), "it reads no workspace"),
        ("--store", global.store.is_some(), "it reads no store"),
        (
            "--lock-timeout",
            global.lock_timeout.is_some(),
            "it reads no store",
        ),
        (
            "--color",
            global.color.is_some(),
            "its output has no colour",
        ),
    ];
    match given.iter().find(|(_, given, _)| *given) {
        Some((option, _, why)) => Err(Error::new(format!(
            "{option} does nothing for `agentctl {name}`: {why}"
        ))
        .hint(format!("leave {option} out"))),
        None => Ok(()),
    }
}

/// Run a parsed command line; the result is the exit code.
pub fn run(cli: Cli, ui: &Ui, user: UserConfig) -> Result<u8> {
    if let Command::Schema(_) | Command::Completions(_) = &cli.command {
        refuse_options_that_do_nothing(&cli.global, &cli.command)?;
    }
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

/// "1 agent is", "3 agents are": for messages about several agents.
pub(crate) fn agents_count(n: usize) -> String {
    match n {
        1 => "1 agent is".to_owned(),
        n => format!("{n} agents are"),
    }
}
