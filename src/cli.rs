//! The command line: global options and the list of subcommands.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::commands;
use crate::ui::ColorChoice;

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

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Run as if started in DIR
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for
    /// a shared store [env: AGENTCTL_STORE]
    #[arg(long, global = true, value_name = "FILE|URL")]
    pub store: Option<PathBuf>,

    /// When to use colour [default: auto]
    #[arg(long, global = true, value_name = "WHEN")]
    pub color: Option<ColorChoice>,

    /// Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]
    #[arg(long, global = true)]
    pub no_pager: bool,

    /// How long to wait for another agentctl writing to the store or rewriting staging files
    /// before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]
    #[arg(long, global = true, value_name = "TIME", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
}

/// `30s`, `500ms`, `2m`, or a plain number of seconds (`1.5`).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" | "min" => 60.0,
        other => return Err(format!("unknown unit `{other}`; use ms, s or m (e.g. 30s)")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| "expected a time such as 30s, 500ms or 2m".to_owned())?;
    Duration::try_from_secs_f64(value * scale)
        .map_err(|_| "the time is out of range; use at most a few hours".to_owned())
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
    Verify(commands::verify::Args),
    Store(commands::store::Args),
    #[cfg(feature = "serve")]
    Serve(commands::serve::Args),
}

impl Command {
    /// Whether the command was asked for JSON (`--json`, `--format json`): then every exit
    /// path prints one JSON document on stdout, errors included.
    pub fn wants_json(&self) -> bool {
        match self {
            Command::Status(a) => a.json,
            Command::Validate(a) => a.json,
            Command::Diff(a) => a.view.json || a.format == commands::diff::Format::Json,
            Command::Publish(a) => a.json,
            Command::Log(a) => a.json,
            Command::Blame(a) => a.json,
            Command::Show(a) => a.view.json || a.format == commands::diff::Format::Json,
            Command::RevertPreview(a) | Command::Revert(a) => a.view.json,
            Command::Restore(a) => a.view.json,
            Command::Undo(a) => a.json,
            Command::Verify(a) => a.json,
            Command::Init(_)
            | Command::New(_)
            | Command::Export(_)
            | Command::Schema(_)
            | Command::Completions(_)
            | Command::Store(_) => false,
            #[cfg(feature = "serve")]
            Command::Serve(_) => false,
        }
    }
}

/// Whether a command line clap refused asked for JSON (`--json`, `--format json`): then the
/// refusal is printed as one JSON document on stdout too (SPEC 6: on every exit path).
pub fn asks_for_json(args: &[std::ffi::OsString]) -> bool {
    let args: Vec<&str> = args
        .iter()
        .skip(1)
        .map(|a| a.to_str().unwrap_or_default())
        .take_while(|a| *a != "--")
        .collect();
    args.iter().enumerate().any(|(i, arg)| {
        *arg == "--json"
            || *arg == "--format=json"
            || (*arg == "--format" && args.get(i + 1) == Some(&"json"))
    })
}

/// clap's refusal as an [`Error`](crate::error::Error): its first paragraph the message (with
/// the lines that name what is missing, `<AGENT>`), its `tip:` lines the hint.
pub fn usage_error(refusal: &clap::Error) -> crate::error::Error {
    let text = refusal.render().to_string();
    let mut paragraphs = text.split("\n\n").map(str::trim).filter(|p| !p.is_empty());
    let first = paragraphs.next().unwrap_or("invalid command line");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let message = first.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let mut error = crate::error::Error::new(message);
    for tip in paragraphs.filter_map(|p| p.strip_prefix("tip: ")) {
        error = error.hint(tip);
    }
    error
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn a_refused_command_line_asks_for_json_by_its_options_before_a_double_dash() {
        let asks = |line: &str| {
            let args: Vec<std::ffi::OsString> = line.split(' ').map(Into::into).collect();
            super::asks_for_json(&args)
        };
        assert!(asks("agentctl log --json --bogus"));
        assert!(asks("agentctl diff --format json --from"));
        assert!(asks("agentctl diff --format=json --bogus"));
        assert!(!asks("agentctl diff --format markdown --bogus"));
        assert!(!asks("agentctl new -- --json"));
        // The program's own name is not an option.
        assert!(!asks("--json log"));
    }

    #[test]
    fn lock_timeouts() {
        use std::time::Duration;
        let parse = super::parse_duration;
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        for bad in ["", "s", "-1s", "3h", "1e400", "1.2.3s"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
