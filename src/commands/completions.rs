//! Shell completions and the man pages, generated from the clap definition. The copies checked
//! in under `completions/` are kept equal to these by a test.

use clap::CommandFactory;
use clap_complete::{Generator, Shell};

use super::Context;
use crate::cli::Cli;
use crate::error::Result;

/// Print shell completions (bash, zsh, fish, powershell, elvish)
///
/// Needs no workspace. Save the output where your shell looks for completions, e.g.
/// `agentctl completions bash > ~/.local/share/bash-completion/completions/agentctl`. The same
/// files, and the man page, are in the repository's completions/ folder. It reads no store:
/// --store and --lock-timeout are refused here.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

pub fn cmd_completions(ctx: &Context, args: Args) -> Result<u8> {
    ctx.ui.stdout(&completions(args.shell))?;
    Ok(0)
}

/// The completion script for `shell`, as `completions/` holds it.
pub fn completions(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The file `completions/` keeps the script for `shell` in (`agentctl.bash`, `_agentctl`, …).
pub fn file_name(shell: Shell) -> String {
    shell.file_name(BIN)
}

/// The man pages, as (file name, roff text): `agentctl.1` and one per subcommand, as git has
/// them (`agentctl-export.1`), which `agentctl.1` refers to.
pub fn man_pages() -> Vec<(String, String)> {
    fn add(cmd: clap::Command, pages: &mut Vec<(String, String)>) {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut out = Vec::new();
        man.render(&mut out)
            .expect("rendering into memory cannot fail");
        pages.push((
            man.get_filename(),
            String::from_utf8_lossy(&out).into_owned(),
        ));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            add(sub.clone(), pages);
        }
    }
    // Built once from the top, so that subcommands are named `agentctl-export`.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    add(cmd, &mut pages);
    pages
}

const BIN: &str = "agentctl";
