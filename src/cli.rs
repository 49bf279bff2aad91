//! The command line: global options and the list of subcommands.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::commands;

/// Staging, review and publish history for AI-agent configurations.
///
/// Edit agents/<id>.yaml (staging), review with `agentctl diff`, make it live with
/// `agentctl publish`, browse history with `agentctl log`.
#[derive(Debug, Parser)]
#[command(name = "agentctl", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Run as if started in DIR
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// Use this SQLite file as the store instead of .agentctl/store.db [env: AGENTCTL_STORE]
    #[arg(long, global = true, value_name = "PATH")]
    pub store: Option<PathBuf>,

    /// When to use colour [default: auto]
    #[arg(long, global = true, value_name = "WHEN")]
    pub color: Option<ColorChoice>,

    /// Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]
    #[arg(long, global = true)]
    pub no_pager: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(commands::init::Args),
    New(commands::new::Args),
    Status(commands::status::Args),
    Validate(commands::validate::Args),
    Diff(commands::diff::Args),
    Publish(commands::publish::Args),
    Log(commands::log::Args),
    Blame(commands::blame::Args),
    Show(commands::show::Args),
    /// Preview a revert: what `revert` would do to staging, side by side, and its conflicts
    RevertPreview(commands::revert::Args),
    /// Take the changes of a past publish back out of staging (production is untouched)
    Revert(commands::revert::Args),
    Restore(commands::restore::Args),
    Undo(commands::undo::Args),
    Export(commands::export::Args),
    Schema(commands::schema::Args),
    Completions(commands::completions::Args),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
