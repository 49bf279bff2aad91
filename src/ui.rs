//! All output goes through [`Ui`]: data to stdout, status, warnings and errors to stderr.
//!
//! Colour is decided once, here: `--color` wins; else a non-empty `NO_COLOR` turns it off; else
//! `CLICOLOR_FORCE` (not `0`) turns it on; else the user config's `color`; else colour only
//! when the stream is a terminal.
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
        self.line(format_args!("{verb} {message}"));
    }

    /// A plain note on stderr.
    pub fn note(&self, message: &str) {
        self.line(format_args!("{message}"));
    }

    pub fn warn(&self, message: &str) {
        let label = self.paint("warning", |s| s.yellow().bold());
        self.line(format_args!("{label}: {message}"));
    }

    pub fn hint(&self, message: &str) {
        let label = self.paint("help", |s| s.cyan().bold());
        self.line(format_args!("{label}: {message}"));
    }

    /// An error, like cargo's: `error: …`, then `--> file:line:col`, then `help: …` lines.
    pub fn error(&self, error: &Error) {
        let label = self.paint("error", |s| s.red().bold());
        self.line(format_args!("{label}: {}", error.message));
        if let Some(location) = &error.location {
            let arrow = self.paint("-->", |s| s.blue().bold());
            self.line(format_args!("  {arrow} {location}"));
        }
        for hint in &error.hints {
            self.hint(hint);
        }
    }

    /// One line on stderr. A closed stderr is not worth dying for: the message is dropped.
    fn line(&self, args: std::fmt::Arguments<'_>) {
        let mut err = io::stderr().lock();
        let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
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
