//! All output goes through [`Ui`]: data to stdout, status, warnings and errors to stderr.
//!
//! Colour is decided once, here: `--color` wins; else a non-empty `NO_COLOR` turns it off; else
//! `CLICOLOR_FORCE` (not `0`) turns it on; else the user config's `color`; else colour only
//! when the stream is a terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, IsTerminal, Write};

use colored::{ColoredString, Colorize};

use crate::cli::ColorChoice;
use crate::error::Error;

pub struct Ui {
    stdout_color: bool,
    stderr_color: bool,
}

impl Ui {
    pub fn new(flag: Option<ColorChoice>, configured: Option<ColorChoice>) -> Ui {
        let decide = |is_terminal: bool| match flag {
            Some(ColorChoice::Always) => true,
            Some(ColorChoice::Never) => false,
            Some(ColorChoice::Auto) => env_says().unwrap_or(is_terminal),
            None => env_says().unwrap_or(match configured {
                Some(ColorChoice::Always) => true,
                Some(ColorChoice::Never) => false,
                Some(ColorChoice::Auto) | None => is_terminal,
            }),
        };
        // We decide per stream ourselves; `colored` must not second-guess it.
        colored::control::set_override(true);
        Ui {
            stdout_color: decide(io::stdout().is_terminal()),
            stderr_color: decide(io::stderr().is_terminal()),
        }
    }

    /// A Ui that never colours, for tests and machine output.
    pub fn plain() -> Ui {
        Ui {
            stdout_color: false,
            stderr_color: false,
        }
    }

    /// Whether data written to stdout may carry colour.
    pub fn color(&self) -> bool {
        self.stdout_color
    }

    /// Data for the reader of stdout. A closed pipe comes back as an error that `main` ends
    /// quietly.
    pub fn stdout(&self, text: &str) -> Result<(), Error> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    }

    /// One JSON document on stdout.
    pub fn json<T: serde::Serialize>(&self, value: &T) -> Result<(), Error> {
        let mut text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::new(format!("cannot encode JSON output: {e}")))?;
        text.push('\n');
        self.stdout(&text)
    }

    /// A cargo-style confirmation on stderr: a right-aligned verb, then the message.
    pub fn status(&self, verb: &str, message: &str) {
        let verb = format!("{verb:>12}");
        let verb = self.paint(verb.as_str(), |s| s.green().bold());
        eprintln!("{verb} {message}");
    }

    /// A plain note on stderr.
    pub fn note(&self, message: &str) {
        eprintln!("{message}");
    }

    pub fn warn(&self, message: &str) {
        let label = self.paint("warning", |s| s.yellow().bold());
        eprintln!("{label}: {message}");
    }

    pub fn hint(&self, message: &str) {
        let label = self.paint("help", |s| s.cyan().bold());
        eprintln!("{label}: {message}");
    }

    /// An error, like cargo's: `error: …`, then `--> file:line:col`, then `help: …` lines.
    pub fn error(&self, error: &Error) {
        let label = self.paint("error", |s| s.red().bold());
        eprintln!("{label}: {}", error.message);
        if let Some(location) = &error.location {
            let arrow = self.paint("-->", |s| s.blue().bold());
            eprintln!("  {arrow} {location}");
        }
        for hint in &error.hints {
            self.hint(hint);
        }
    }

    fn paint(&self, text: &str, style: impl Fn(&str) -> ColoredString) -> String {
        if self.stderr_color {
            style(text).to_string()
        } else {
            text.to_owned()
        }
    }
}

/// What the environment says about colour, if anything.
fn env_says() -> Option<bool> {
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return Some(false);
    }
    match std::env::var_os("CLICOLOR_FORCE") {
        Some(v) if !v.is_empty() && v != "0" => Some(true),
        _ => None,
    }
}
