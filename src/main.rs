use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use agentctl::cli::{self, Cli};
use agentctl::error::EXIT_ERROR;
use agentctl::ui::{ColorChoice, Ui};
use agentctl::{commands, config};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Parsed as `Cli::try_parse_from` would, but clap's tree of every subcommand and argument
    // is not dropped: freeing it was a tenth of the start-up of every command, and the
    // process ends soon after (issue 17).
    let mut command = Cli::command();
    let parsed = command
        .try_get_matches_from_mut(&args)
        .and_then(|mut matches| {
            Cli::from_arg_matches_mut(&mut matches).map_err(|refusal| refusal.format(&mut command))
        });
    std::mem::forget(command);
    let cli = match parsed {
        Ok(cli) => cli,
        Err(refusal) => {
            if refusal.use_stderr() && cli::asks_for_json(&args) {
                let body = cli::usage_error(&refusal).body(u16::from(EXIT_ERROR));
                let _ = Ui::new(Some(ColorChoice::Never), None).json(&body);
            }
            refusal.exit()
        }
    };
    let user = config::load();
    let mut ui = Ui::new(cli.global.color, user.as_ref().ok().and_then(|u| u.color))
        .with_configured_pager(user.as_ref().ok().and_then(|u| u.pager.clone()));
    if cli.global.no_pager {
        ui = ui.without_pager();
    }
    let json = cli.command.wants_json();
    let result = user.and_then(|user| commands::run(cli, &ui, user));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            ui.error(&error);
            // SPEC 6: one JSON document on stdout on every exit path of a --json command.
            if json {
                let _ = ui.json(&error.body(u16::from(EXIT_ERROR)));
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}
