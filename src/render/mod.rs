//! Human views of changes and history entries. Commands build strings here and hand them to
//! the Ui; nothing in this module writes anywhere, and no other module formats changes.
//!
//! One set of changes has three human layouts ([`Layout`]): side by side (Production beside
//! Staging, fitted to the width), unified (old above new, for narrow terminals and logs) and
//! markdown (for pull-request comments). Multi-line strings are a line diff in all three.
//! Secret-looking values are masked in every one of them unless `--show-secrets`.

pub mod blame;
mod columns;
pub mod html;
pub mod json;
mod markdown;
#[cfg(test)]
mod review_tests;
mod secrets;
mod side_by_side;
mod text_diff;
mod unified;

use serde_json::Value;

use crate::agent::Section;
use crate::change::{Change, Kind, Path, Segment};
use crate::store::Entry;
use crate::ui::{self, Tone, Ui};

/// How a set of changes is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    SideBySide,
    Unified,
    Markdown,
}

/// Side by side needs this many columns to be worth it; below, the unified view is used.
pub const SIDE_BY_SIDE_MIN_WIDTH: usize = 80;

/// How to draw: layout, width, colour, and whether secret-looking values may be shown.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub show_secrets: bool,
    /// Display columns every line must fit in (markdown ignores it).
    pub width: usize,
    pub layout: Layout,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            color: false,
            show_secrets: false,
            width: ui::DEFAULT_WIDTH,
            layout: Layout::SideBySide,
        }
    }
}

impl Style {
    /// A human text view on this Ui: its stdout colour and width; side by side unless
    /// `unified` is asked for or the width is below [`SIDE_BY_SIDE_MIN_WIDTH`].
    pub fn text(ui: &Ui, show_secrets: bool, unified: bool) -> Style {
        let width = ui.width();
        Style {
            color: ui.color(),
            show_secrets,
            width,
            layout: if unified || width < SIDE_BY_SIDE_MIN_WIDTH {
                Layout::Unified
            } else {
                Layout::SideBySide
            },
        }
    }

    /// Markdown: never coloured.
    pub fn markdown(show_secrets: bool) -> Style {
        Style {
            color: false,
            show_secrets,
            layout: Layout::Markdown,
            ..Style::default()
        }
    }

    fn paint(&self, text: &str, tone: Tone) -> String {
        ui::paint(text, tone, self.color)
    }
}

const MASK: &str = "********";

/// One line of a multi-line text at `path`, as a human view shows it: masked whole under a
/// secret key, else its secret-shaped parts masked.
pub fn mask_line(path: &Path, line: &str) -> String {
    match mask(path, &Value::String(line.to_owned())) {
        Value::String(text) => text,
        _ => MASK.to_owned(),
    }
}

/// Whether a mapping key names a secret: it is, or ends in, api_key, token, secret, password
/// or authorization (any case, `-` counted as `_`).
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace('-', "_");
    ["api_key", "token", "secret", "password", "authorization"]
        .iter()
        .any(|secret| key.ends_with(secret))
}

/// The value with every secret-looking field replaced by `********`, and every secret-shaped
/// part of a string (`Bearer …`, `sk-…`, `user:password@`; see [`secrets`]); a value that
/// itself sits under a secret key is masked whole. The one place human views mask.
pub fn mask(path: &Path, value: &Value) -> Value {
    let under_secret = path
        .0
        .iter()
        .any(|s| matches!(s, Segment::Key(k) if is_secret_key(k)));
    if under_secret && !value.is_null() {
        return Value::String(MASK.into());
    }
    mask_inside(value)
}

fn mask_inside(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(k) && !v.is_null() {
                        Value::String(MASK.into())
                    } else {
                        mask_inside(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_inside).collect()),
        Value::String(text) => Value::String(secrets::mask_text(text).into_owned()),
        other => other.clone(),
    }
}

/// Text from a configuration or the history made safe for a terminal: control characters
/// other than newline and tab are shown escaped (`\u{1b}`), so a value cannot move the cursor,
/// retitle the window or fake colours.
pub fn clean(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A value as people read it: scalars inline, strings unquoted, structures as YAML.
pub fn value_text(value: &Value) -> String {
    clean(&raw_value_text(value))
}

fn raw_value_text(value: &Value) -> String {
    match value {
        // Otherwise an emptied field would look like a field that is not there.
        Value::String(s) if s.is_empty() => "\"\"".into(),
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        _ => serde_yaml::to_string(value)
            .unwrap_or_else(|_| value.to_string())
            .trim_end()
            .to_owned(),
    }
}

/// One agent's changes, grouped by section in the order of section 3, in the style's layout.
/// `titles` name the two sides: ("Production", "Staging") for `diff`, ("Staging now",
/// "Staging after revert") for `revert-preview`.
pub fn changes_text(changes: &[Change], style: Style, titles: (&str, &str)) -> String {
    match style.layout {
        Layout::SideBySide => side_by_side::changes(changes, style, titles),
        Layout::Unified => unified::changes(changes, style, titles),
        Layout::Markdown => markdown::changes(changes, style, titles),
    }
}

/// The conflicts of a revert of publish `version` (see [`unified::conflicts`]).
pub fn conflicts_text(conflicts: &[crate::merge::Conflict], version: u64, style: Style) -> String {
    unified::conflicts(conflicts, version, style)
}

/// `diff`'s human view: per agent that differs a heading (`agent: from → to`), then its
/// changes (or, with `stat`, their counts and paths).
pub fn diff_text(diffs: &[json::AgentDiff], style: Style, stat: bool) -> String {
    let mut out = String::new();
    for diff in diffs.iter().filter(|d| d.has_changes) {
        if !out.is_empty() {
            out.push('\n');
        }
        let (from, to) = (side_label(&diff.from), side_label(&diff.to));
        if style.layout == Layout::Markdown {
            out.push_str(&format!(
                "### {}\n\n{} → {}\n\n",
                markdown::text(&diff.agent),
                markdown::text(&from),
                markdown::text(&to)
            ));
        } else {
            let heading = [
                columns::Span::new(diff.agent.as_str(), Some(Tone::Header)),
                columns::Span::plain(format!(": {from} → {to}")),
            ];
            for line in columns::wrap(&heading, style.width) {
                out.push_str(&columns::draw(&line, style.color));
                out.push('\n');
            }
        }
        if stat {
            out.push_str(&stat_text(&diff.changes, style));
        } else {
            let titles = (column_title(&diff.from), column_title(&diff.to));
            out.push_str(&changes_text(&diff.changes, style, (&titles.0, &titles.1)));
        }
    }
    out
}

/// "production (v3 1a2b3c4d)", "v2 (26938922)", "staging".
fn side_label(side: &json::Side) -> String {
    match (&side.version, &side.change_track_id) {
        // A REF that is the version already is not said twice.
        (Some(version), Some(id)) if side.reference == format!("v{version}") => {
            format!("v{version} ({})", crate::store::short(id))
        }
        (Some(version), Some(id)) => {
            format!(
                "{} (v{version} {})",
                clean(&side.reference),
                crate::store::short(id)
            )
        }
        _ if matches!(side.reference.as_str(), "production" | "prod") => {
            "production (never published)".into()
        }
        _ => clean(&side.reference),
    }
}

/// The column title of a side: "Production", "Staging", or the version.
fn column_title(side: &json::Side) -> String {
    match side.reference.as_str() {
        "production" | "prod" => "Production".into(),
        "staging" => "Staging".into(),
        _ => side
            .version
            .map_or_else(|| clean(&side.reference), |v| format!("v{v}")),
    }
}

/// The sections that have changes, in order, each with its changes.
fn by_section(changes: &[Change]) -> Vec<(Section, Vec<&Change>)> {
    Section::ALL
        .iter()
        .map(|&section| {
            let of: Vec<&Change> = changes.iter().filter(|c| c.section == section).collect();
            (section, of)
        })
        .filter(|(_, of)| !of.is_empty())
        .collect()
}

/// "Tools (3)".
fn section_title(section: Section, count: usize) -> String {
    format!("{} ({count})", section.title())
}

/// The mark and tone of a change's kind: `+`, `-`, `~`.
fn kind_mark(kind: Kind) -> (&'static str, Tone) {
    match kind {
        Kind::Added => ("+", Tone::Added),
        Kind::Removed => ("-", Tone::Removed),
        Kind::Changed => ("~", Tone::Changed),
    }
}

/// The path as people read it, with " (reordered)" for a reorder of a keyed list.
fn path_text(change: &Change) -> String {
    let path = clean(&change.path.to_string());
    if change.is_reorder() {
        format!("{path} (reordered)")
    } else {
        path
    }
}

/// What a change shows: its values (absent on the side where the item does not exist), or the
/// line diff of a multi-line string.
enum Body {
    Values {
        old: Option<String>,
        new: Option<String>,
    },
    Text(Vec<text_diff::Hunk>),
}

fn body(change: &Change, style: Style) -> Body {
    let (old, new) = if style.show_secrets {
        (change.old.clone(), change.new.clone())
    } else {
        (
            mask(&change.path, &change.old),
            mask(&change.path, &change.new),
        )
    };
    // A multi-line string is a line diff, against nothing when it is new or gone; a value
    // that changes type (a number becoming text) is shown whole on both sides.
    let text = |value: &Value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some(String::new()),
        _ => None,
    };
    // A masked secret text is `********` on both sides: shown as values, not as an empty diff.
    let masked_alike = old == new;
    if let (true, false, Some(old), Some(new)) =
        (change.is_multiline(), masked_alike, text(&old), text(&new))
    {
        return Body::Text(text_diff::hunks(&old, &new));
    }
    Body::Values {
        old: (change.kind != Kind::Added).then(|| value_text(&old)),
        new: (change.kind != Kind::Removed).then(|| value_text(&new)),
    }
}

/// The text shown where a line ends without a newline, as git does.
const NO_NEWLINE: &str = "\\ no newline at the end";

/// `--stat`: counts per section and the paths, no values.
pub fn stat_text(changes: &[Change], style: Style) -> String {
    let mut out = String::new();
    for (section, of) in by_section(changes) {
        let count = |kind| of.iter().filter(|c| c.kind == kind).count();
        let counts = format!(
            "{} added, {} removed, {} changed",
            count(Kind::Added),
            count(Kind::Removed),
            count(Kind::Changed)
        );
        if style.layout == Layout::Markdown {
            out.push_str(&format!("- **{}**: {counts}\n", section.title()));
        } else {
            // Padded before painting: escape codes have no width.
            let title = format!("{:<18}", section.title());
            out.push_str(&format!(
                "  {} {counts}\n",
                style.paint(&title, Tone::Header)
            ));
        }
        for change in of {
            let (mark, tone) = kind_mark(change.kind);
            let path = clean(&change.path.to_string());
            if style.layout == Layout::Markdown {
                out.push_str(&format!("  - {mark} {}\n", markdown::code(&path)));
            } else {
                out.push_str(&format!("    {} {path}\n", style.paint(mark, tone)));
            }
        }
    }
    out
}

/// "2 added, 1 changed in tools, instructions".
pub fn summary_line(entry: &Entry) -> String {
    summary_text(&entry.summary)
}

/// A summary as `log` says it (the history entry's and the review page's words).
pub fn summary_text(s: &crate::change::Summary) -> String {
    let mut counts = Vec::new();
    for (n, word) in [
        (s.added, "added"),
        (s.removed, "removed"),
        (s.changed, "changed"),
    ] {
        if n > 0 {
            counts.push(format!("{n} {word}"));
        }
    }
    if counts.is_empty() {
        return "no changes".into();
    }
    let sections: Vec<String> = s.sections.iter().map(|s| s.replace('_', " ")).collect();
    format!("{} in {}", counts.join(", "), sections.join(", "))
}

/// How long ago an RFC 3339 instant was, for people: "3 minutes ago".
pub fn relative_time(published_at: &str, now: jiff::Timestamp) -> String {
    let Ok(then) = published_at.parse::<jiff::Timestamp>() else {
        return String::new();
    };
    let seconds = now.as_second() - then.as_second();
    if seconds < 0 {
        return "in the future".into();
    }
    let (n, unit) = match seconds {
        0..=59 => return "just now".into(),
        60..=3599 => (seconds / 60, "minute"),
        3600..=86_399 => (seconds / 3600, "hour"),
        86_400..=2_591_999 => (seconds / 86_400, "day"),
        2_592_000..=31_535_999 => (seconds / 2_592_000, "month"),
        _ => (seconds / 31_536_000, "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// One history entry as `log` shows it.
pub fn entry_text(entry: &Entry, with_agent: bool, style: Style, now: jiff::Timestamp) -> String {
    let title = if with_agent {
        format!("{} v{}", entry.agent, entry.version)
    } else {
        format!("v{}", entry.version)
    };
    let mut out = format!(
        "{} {}\n",
        style.paint(&title, Tone::Changed),
        style.paint(entry.short_id(), Tone::Dim)
    );
    let published = format!(
        "{} ({})",
        entry.published_at,
        relative_time(&entry.published_at, now)
    );
    let mut fields = vec![
        ("Author:    ", clean(&entry.author)),
        ("Published: ", published),
    ];
    if let Some(reverted) = &entry.reverts {
        fields.push(("Reverts:   ", crate::store::short(reverted).to_owned()));
    }
    if let Some(commit) = &entry.git_commit {
        fields.push(("Commit:    ", short_commit(commit)));
    }
    for (label, value) in fields {
        out.push_str(&wrapped(label, &value, style.width));
    }
    out.push('\n');
    for line in entry.message.lines() {
        let line = clean(line);
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str(&wrapped("    ", &line, style.width));
        }
    }
    for line in wrapped("    ", &summary_line(entry), style.width).lines() {
        out.push_str(&format!("{}\n", style.paint(line, Tone::Dim)));
    }
    out
}

/// `text` after `lead`, wrapped to `width` with continuation lines indented under it.
fn wrapped(lead: &str, text: &str, width: usize) -> String {
    let indent = columns::width(lead);
    let mut out = String::new();
    for (i, line) in columns::wrap(&[columns::Span::plain(text)], width.saturating_sub(indent))
        .iter()
        .enumerate()
    {
        let lead = if i == 0 {
            lead.to_owned()
        } else {
            " ".repeat(indent)
        };
        out.push_str(&format!("{lead}{}\n", columns::draw(line, false)));
    }
    out
}

/// `show`: the entry, its changes against the publish before it ("before" for v1), and with
/// `config` the whole snapshot.
pub fn show_text(
    entry: &Entry,
    changes: &[Change],
    config: Option<crate::agent::Config>,
    style: Style,
    stat: bool,
    now: jiff::Timestamp,
) -> String {
    let markdown = style.layout == Layout::Markdown;
    let mut out = if markdown {
        entry_markdown(entry)
    } else {
        entry_text(entry, true, style, now)
    };
    if !changes.is_empty() {
        out.push('\n');
        let before = match entry.version {
            1 => "before".to_owned(),
            version => format!("v{}", version - 1),
        };
        let after = format!("v{}", entry.version);
        if stat {
            out.push_str(&stat_text(changes, style));
        } else {
            out.push_str(&changes_text(changes, style, (&before, &after)));
        }
    }
    if let Some(config) = config {
        let config = Value::Object(config);
        let shown = if style.show_secrets {
            config
        } else {
            mask(&Path::default(), &config)
        };
        let yaml = value_text(&shown);
        if markdown {
            let fence = "`".repeat(markdown::longest_run(&yaml, '`').max(2) + 1);
            out.push_str(&format!("\n{fence}yaml\n{yaml}\n{fence}\n"));
        } else {
            out.push_str(&format!("\n{yaml}\n"));
        }
    }
    out
}

/// An RFC 3339 instant as UTC to the second: `2026-01-09 23:57:00 UTC`; as stored when it
/// does not parse.
fn utc_time(published_at: &str) -> String {
    match published_at.parse::<jiff::Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => published_at.to_owned(),
    }
}

/// One history entry in markdown, for `show --format markdown`.
fn entry_markdown(entry: &Entry) -> String {
    let mut out = format!(
        "### {} v{} {}\n\n",
        markdown::text(&entry.agent),
        entry.version,
        markdown::code(entry.short_id())
    );
    out.push_str(&format!(
        "- Author: {}\n",
        markdown::text(&clean(&entry.author))
    ));
    // A pull-request comment is read long after it is posted: an absolute UTC time, never
    // "2 minutes ago".
    out.push_str(&format!(
        "- Published: {}\n",
        markdown::text(&utc_time(&entry.published_at))
    ));
    if let Some(commit) = &entry.git_commit {
        out.push_str(&format!(
            "- Commit: {}\n",
            markdown::code(&short_commit(commit))
        ));
    }
    out.push('\n');
    for line in entry.message.lines() {
        let line = markdown::text(&clean(line));
        out.push_str(format!("> {line}").trim_end());
        out.push('\n');
    }
    out.push_str(&format!("\n{}\n", summary_line(entry)));
    out
}

/// One history entry on one line, for `log --oneline`.
pub fn entry_oneline(entry: &Entry, with_agent: bool, style: Style) -> String {
    let agent = if with_agent {
        format!("{} ", entry.agent)
    } else {
        String::new()
    };
    format!(
        "{} {}{} {}\n",
        style.paint(entry.short_id(), Tone::Dim),
        agent,
        style.paint(&format!("v{}", entry.version), Tone::Changed),
        clean(entry.message.lines().next().unwrap_or_default())
    )
}

/// A recorded git commit, short, with `-dirty` when the agent file was not committed as
/// published.
fn short_commit(recorded: &str) -> String {
    let (commit, dirty) = crate::git::split_commit(recorded);
    let dirty = if dirty { crate::git::DIRTY } else { "" };
    format!("{}{dirty}", crate::store::short(commit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_recognised() {
        for key in [
            "api_key",
            "API-KEY",
            "github_token",
            "Authorization",
            "db_password",
            "client-secret",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["name", "tokens_used", "max_tokens", "description"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn masking_reaches_nested_values() {
        let path = Path::parse("tools[x]").unwrap();
        let masked = mask(
            &path,
            &json!({"name": "x", "auth": {"api_key": "abc", "user": "u"}}),
        );
        assert_eq!(
            masked,
            json!({"name": "x", "auth": {"api_key": MASK, "user": "u"}})
        );
        let path = Path::parse("tools[x].auth.api_key").unwrap();
        assert_eq!(mask(&path, &json!("abc")), json!(MASK));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            clean("a\u{1b}]0;x\u{7}b\nc\td"),
            "a\\u{1b}]0;x\\u{7}b\nc\td"
        );
        assert_eq!(value_text(&json!("\u{1b}[31mred")), "\\u{1b}[31mred");
    }

    #[test]
    fn a_number_that_becomes_text_shows_both_values() {
        let changes = crate::change::diff(
            json!({"notes": 12345}).as_object().unwrap(),
            json!({"notes": "line one\nline two\n"})
                .as_object()
                .unwrap(),
        );
        let out = changes_text(&changes, Style::default(), ("Production", "Staging"));
        assert!(out.contains("12345") && out.contains("line two"), "{out}");
    }

    /// The view of a change of the instructions from `old` to `new`, in each text layout.
    fn instructions_views(old: &str, new: &str) -> Vec<String> {
        let changes = crate::change::diff(
            json!({"instructions": old}).as_object().unwrap(),
            json!({"instructions": new}).as_object().unwrap(),
        );
        [Layout::SideBySide, Layout::Unified, Layout::Markdown]
            .into_iter()
            .map(|layout| {
                let style = Style {
                    layout,
                    ..Style::default()
                };
                changes_text(&changes, style, ("Production", "Staging"))
            })
            .collect()
    }

    #[test]
    fn a_change_of_the_final_newline_is_visible() {
        for out in instructions_views("a\nb\n", "a\nb") {
            assert!(out.to_lowercase().contains("no newline at"), "{out}");
        }
    }

    #[test]
    fn relative_times() {
        let now: jiff::Timestamp = "2026-01-10T00:00:00Z".parse().unwrap();
        assert_eq!(relative_time("2026-01-09T23:59:30Z", now), "just now");
        assert_eq!(relative_time("2026-01-09T23:57:00Z", now), "3 minutes ago");
        assert_eq!(relative_time("2026-01-09T00:00:00Z", now), "1 day ago");
    }

    #[test]
    fn text_diff_shows_only_changed_lines_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\n";
        for out in instructions_views(old, new) {
            assert!(out.contains("- e") || out.contains("-e"), "{out}");
            assert!(out.contains("+ E") || out.contains("+E"), "{out}");
            assert!(!out.contains(" a\n"), "{out}");
        }
    }

    #[test]
    fn new_instructions_are_a_line_diff_against_nothing() {
        let changes = crate::change::diff(
            json!({}).as_object().unwrap(),
            json!({"instructions": "first line\nsecond line\n"})
                .as_object()
                .unwrap(),
        );
        for layout in [Layout::SideBySide, Layout::Unified, Layout::Markdown] {
            let style = Style {
                layout,
                ..Style::default()
            };
            let out = changes_text(&changes, style, ("Production", "Staging"));
            assert!(
                out.contains("+ second line") || out.contains("+second line"),
                "{out}"
            );
        }
    }

    #[test]
    fn an_emptied_string_is_shown_as_empty_quotes() {
        assert_eq!(value_text(&json!("")), "\"\"");
    }
}
