//! All output goes through [`Ui`]: data to stdout, status, warnings and errors to stderr.
//!
//! Colour is decided once, here: `--color` wins; else a non-empty `NO_COLOR` turns it off; else
//! `CLICOLOR_FORCE` (not `0`) turns it on; else the user config's `color`; else colour only
//! when the stream is a terminal. How each meaning ([`Tone`]) looks is decided here too.
//!
//! Long human output on a terminal goes through a pager ([`Ui::page`], [`Ui::paged_stdout`]):
//! `AGENTCTL_PAGER`, else `PAGER`, else the user config's `pager`, else `less -FRX`; never with
//! `--no-pager`, never when stdout is not a terminal, and only when the output is taller than
//! the screen. While the pager runs, Ctrl-C is the pager's.
use std::io::{self, IsTerminal, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use colored::{ColoredString, Colorize};

use crate::error::Error;

/// `--color` and the user config's `color:`: one type for both, so they cannot drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)
    Auto,
    Always,
    Never,
}

/// The width of human output when neither `COLUMNS` nor the terminal says.
pub const DEFAULT_WIDTH: usize = 100;
/// Narrower than this, nothing sensible fits; views are laid out for this width instead.
pub const MIN_WIDTH: usize = 20;
/// Wider than this, views are laid out for this width: `COLUMNS` is user input, and a huge
/// value must not make agentctl pad lines with gigabytes of spaces.
pub const MAX_WIDTH: usize = 1000;

/// What a piece of human output means. Views say what a piece is; this module alone decides
/// how it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Added,
    Removed,
    Changed,
    /// The words that differ inside an added line.
    AddedWords,
    /// The words that differ inside a removed line.
    RemovedWords,
    Path,
    Header,
    /// Frames, column titles, hunk separators: what helps reading but is not data.
    Dim,
}

/// `text` in the look of `tone`, or as it is when colour is off.
pub fn paint(text: &str, tone: Tone, color: bool) -> String {
    if !color || text.is_empty() {
        return text.to_owned();
    }
    colour_is_ours();
    let styled = match tone {
        Tone::Added => text.green(),
        Tone::Removed => text.red(),
        Tone::Changed => text.yellow(),
        Tone::AddedWords => text.green().reversed(),
        Tone::RemovedWords => text.red().reversed(),
        Tone::Path => text.bold(),
        Tone::Header => text.bold().underline(),
        Tone::Dim => text.dimmed(),
    };
    styled.to_string()
}

pub struct Ui {
    stdout_color: bool,
    stderr_color: bool,
    stdout_terminal: bool,
    pager: bool,
    /// The user config's `pager`, below the environment's.
    configured_pager: Option<String>,
    width: usize,
    /// Nothing on stderr: the server's commands answer over HTTP, not on its terminal.
    quiet: bool,
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
        colour_is_ours();
        let stdout_terminal = io::stdout().is_terminal();
        Ui {
            stdout_color: decide(stdout_terminal),
            stderr_color: decide(io::stderr().is_terminal()),
            stdout_terminal,
            pager: true,
            configured_pager: None,
            width: env_number("COLUMNS")
                .or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
                .filter(|&w| w > 0)
                .unwrap_or(DEFAULT_WIDTH)
                .clamp(MIN_WIDTH, MAX_WIDTH),
            quiet: false,
        }
    }

    /// Drop every message meant for stderr (notes, warnings, errors): for `agentctl serve`,
    /// whose requests run the commands' code and answer in the HTTP response instead.
    pub fn quiet(mut self) -> Ui {
        self.quiet = true;
        self
    }

    /// `--no-pager`: write straight to stdout even on a terminal.
    pub fn without_pager(mut self) -> Ui {
        self.pager = false;
        self
    }

    /// The user config's `pager`, used when neither `AGENTCTL_PAGER` nor `PAGER` is set.
    pub fn with_configured_pager(mut self, pager: Option<String>) -> Ui {
        self.configured_pager = pager;
        self
    }

    /// Whether data written to stdout may carry colour.
    pub fn color(&self) -> bool {
        self.stdout_color
    }

    /// The width human views are fitted to: `COLUMNS`, else the terminal's, else 100.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Data for the reader of stdout. A closed pipe comes back as an error that `main` ends
    /// quietly.
    pub fn stdout(&self, text: &str) -> Result<(), Error> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    }

    /// A whole human view: through the pager when it is taller than the terminal.
    pub fn page(&self, text: &str) -> Result<(), Error> {
        let mut out = self.paged_stdout();
        out.write(text)?;
        out.finish()
    }

    /// Human output written piece by piece (`log`): held back until it is known to be taller
    /// than the terminal, then handed to the pager; when stdout is not a terminal or paging is
    /// off, each piece goes straight out, so `agentctl log | head` stops early.
    pub fn paged_stdout(&self) -> Paged<'_> {
        let rows = (self.pager && self.stdout_terminal)
            .then(|| pager_command(self.configured_pager.as_deref()))
            .flatten()
            .map(|command| (command, screen_rows()));
        Paged {
            ui: self,
            state: match rows {
                Some((command, rows)) => State::Holding {
                    command,
                    rows,
                    held: String::new(),
                    lines: 0,
                },
                None => State::Direct,
            },
        }
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
        if self.quiet {
            return;
        }
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

/// Stdout for a human view that may need the pager; see [`Ui::paged_stdout`]. Call
/// [`Paged::finish`] at the end, to see its errors.
pub struct Paged<'a> {
    ui: &'a Ui,
    state: State,
}

enum State {
    Direct,
    Holding {
        command: String,
        rows: usize,
        held: String,
        lines: usize,
    },
    Pager(Pager),
    Done,
}

/// A running pager, with everything handed to it: if it turns out it never started (the
/// shell's 126/127, or it died at once), that text goes to stdout instead of being lost.
struct Pager {
    command: String,
    child: Child,
    stdin: Option<ChildStdin>,
    started: std::time::Instant,
    sent: String,
}

/// A pager that failed within this long of starting is taken as one that never started.
const PAGER_STARTUP: std::time::Duration = std::time::Duration::from_secs(1);

impl Pager {
    /// Close its input and wait for it. `Some(why)` when it never really ran: the shell could
    /// not find or run it (126, 127), or it failed at once.
    fn close(&mut self) -> Option<String> {
        drop(self.stdin.take());
        match self.child.wait() {
            Ok(status) => {
                failed_to_start(&status, self.started.elapsed()).then(|| match status.code() {
                    Some(code) => format!("it exited with status {code}"),
                    None => "it was killed at once".to_owned(),
                })
            }
            Err(e) => Some(e.to_string()),
        }
    }
}

/// Whether a pager's exit says it never ran: `sh -c` answers 126 (not executable) or 127 (not
/// found); any other failure counts only when it came at once (a reader who quits late with a
/// failing status has seen the output).
fn failed_to_start(status: &std::process::ExitStatus, after: std::time::Duration) -> bool {
    !status.success() && (matches!(status.code(), Some(126 | 127)) || after < PAGER_STARTUP)
}

impl Paged<'_> {
    pub fn write(&mut self, text: &str) -> Result<(), Error> {
        match &mut self.state {
            State::Direct => self.ui.stdout(text),
            State::Pager(pager) => {
                pager.sent.push_str(text);
                let written = match pager.stdin.as_mut() {
                    Some(stdin) => stdin.write_all(text.as_bytes()),
                    None => Ok(()),
                };
                match written {
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                        // Gone: quit by its reader (quietly, as a closed pipe), or never ran.
                        match pager.close() {
                            Some(why) => self.fall_back(&why),
                            None => Err(e.into()),
                        }
                    }
                    other => Ok(other?),
                }
            }
            State::Holding {
                command,
                rows,
                held,
                lines,
            } => {
                held.push_str(text);
                *lines += text.matches('\n').count();
                // A screen's last row is the prompt's.
                if *lines < *rows {
                    return Ok(());
                }
                let held = std::mem::take(held);
                self.state = match spawn_pager(command) {
                    Ok((child, stdin)) => {
                        leave_keyboard_signals_to_the_pager();
                        State::Pager(Pager {
                            command: command.clone(),
                            child,
                            stdin: Some(stdin),
                            started: std::time::Instant::now(),
                            sent: String::new(),
                        })
                    }
                    Err(e) => {
                        self.ui
                            .warn(&format!("cannot start the pager `{command}`: {e}"));
                        State::Direct
                    }
                };
                self.write(&held)
            }
            State::Done => Ok(()),
        }
    }

    /// Everything written: print what was held back, or close the pager and wait for the
    /// reader to leave it.
    pub fn finish(mut self) -> Result<(), Error> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Holding { held, .. } => self.ui.stdout(&held),
            State::Pager(mut pager) => match pager.close() {
                Some(why) => {
                    self.state = State::Pager(pager);
                    self.fall_back(&why)
                }
                None => Ok(()),
            },
            State::Direct | State::Done => Ok(()),
        }
    }

    /// The pager never ran: say so, and print everything it was given to stdout, as if there
    /// had been no pager (README: "print to stdout with a warning").
    fn fall_back(&mut self, why: &str) -> Result<(), Error> {
        let State::Pager(pager) = std::mem::replace(&mut self.state, State::Direct) else {
            return Ok(());
        };
        self.ui.warn(&format!(
            "cannot start the pager `{}`: {why}; printing here instead",
            pager.command
        ));
        self.ui.stdout(&pager.sent)
    }
}

impl Drop for Paged<'_> {
    /// An early end (an error) still shows what was written, and waits for the pager so that
    /// the error comes after it.
    fn drop(&mut self) {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Holding { held, .. } => {
                let _ = self.ui.stdout(&held);
            }
            State::Pager(mut pager) => {
                if let Some(why) = pager.close() {
                    self.state = State::Pager(pager);
                    let _ = self.fall_back(&why);
                }
            }
            State::Direct | State::Done => {}
        }
    }
}

/// The pager to use, if any: `AGENTCTL_PAGER`, else `PAGER`, else the user config's, else
/// `less -FRX`. An empty value means no pager, as with git.
fn pager_command(configured: Option<&str>) -> Option<String> {
    let chosen = ["AGENTCTL_PAGER", "PAGER"]
        .iter()
        .find_map(|name| std::env::var(name).ok())
        .or_else(|| configured.map(str::to_owned))
        .unwrap_or_else(|| "less -FRX".to_owned());
    let chosen = chosen.trim();
    (!chosen.is_empty()).then(|| chosen.to_owned())
}

/// The rows of the screen: `LINES`, else the terminal's; unknown means "always page" and
/// leaves it to the pager (less -F) to get out of the way.
fn screen_rows() -> usize {
    env_number("LINES")
        .or_else(|| terminal_size::terminal_size().map(|(_, h)| usize::from(h.0)))
        .filter(|&rows| rows > 0)
        .unwrap_or(1)
}

/// Ctrl-C and Ctrl-\ on the terminal reach every process on it, the pager included, which
/// handles them (less stops a search). From here on agentctl ignores them, as git does, and
/// keeps waiting for the pager: dying under it would hand the terminal back to the shell while
/// the pager still draws on it.
fn leave_keyboard_signals_to_the_pager() {
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGQUIT] {
        // The flag is never read: registering only replaces the default action, termination.
        // A failure leaves that default, which is how it was before.
        let _ = signal_hook::flag::register(signal, Default::default());
    }
}

/// The pager as the shell would run it (it may carry options), with less told to pass colours
/// through when the user has not configured it, as git does.
fn spawn_pager(command: &str) -> io::Result<(Child, ChildStdin)> {
    let mut cmd = if cfg!(windows) {
        let mut words = command.split_whitespace();
        let mut cmd = Command::new(words.next().unwrap_or("more"));
        cmd.args(words);
        cmd
    } else {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(command);
        cmd
    };
    if std::env::var_os("LESS").is_none() {
        cmd.env("LESS", "FRX");
    }
    let mut child = cmd.stdin(Stdio::piped()).spawn()?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| io::Error::other("the pager has no input"))?;
    Ok((child, stdin))
}

/// A positive whole number from the environment (`COLUMNS`, `LINES`).
fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// We decide colour per stream ourselves; `colored` must not second-guess it from the
/// environment.
fn colour_is_ours() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| colored::control::set_override(true));
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
