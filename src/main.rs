use std::process::ExitCode;

use clap::Parser;

use agentctl::cli::Cli;
use agentctl::error::EXIT_ERROR;
use agentctl::ui::Ui;
use agentctl::{commands, config};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let user = config::load();
    let mut ui = Ui::new(cli.global.color, user.as_ref().ok().and_then(|u| u.color))
        .with_configured_pager(user.as_ref().ok().and_then(|u| u.pager.clone()));
    if cli.global.no_pager {
        ui = ui.without_pager();
    }
    let result = user.and_then(|user| commands::run(cli, &ui, user));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            ui.error(&error);
            ExitCode::from(EXIT_ERROR)
        }
    }
}
