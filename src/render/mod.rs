//! Human views of changes and history entries. Commands build strings here and hand them to
//! the Ui; nothing in this module writes anywhere.
//!
//! This is the plain stacked view: each change's path, then the Production value above the
//! Staging value, multi-line strings as a line diff.

pub mod blame;
pub mod json;

use colored::Colorize;
use serde_json::Value;
use similar::TextDiff;

use crate::agent::Section;
use crate::change::{Change, Kind, Path, Segment};
use crate::store::Entry;

/// How to draw: colour or not, and whether secret-looking values may be shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    pub show_secrets: bool,
}

impl Style {
    fn paint(&self, text: &str, kind: Paint) -> String {
        if !self.color {
            return text.to_owned();
        }
        match kind {
            Paint::Added => text.green().to_string(),
            Paint::Removed => text.red().to_string(),
            Paint::Changed => text.yellow().to_string(),
            Paint::Path => text.bold().to_string(),
            Paint::Header => text.bold().underline().to_string(),
            Paint::Dim => text.dimmed().to_string(),
        }
    }
}

#[derive(Clone, Copy)]
enum Paint {
    Added,
    Removed,
    Changed,
    Path,
    Header,
    Dim,
}

const MASK: &str = "********";

/// Whether a mapping key names a secret: it is, or ends in, api_key, token, secret, password
/// or authorization (any case, `-` counted as `_`).
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace('-', "_");
    ["api_key", "token", "secret", "password", "authorization"]
        .iter()
        .any(|secret| key.ends_with(secret))
}

/// The value with every secret-looking field replaced by `********`; a value that itself sits
/// under a secret key is masked whole.
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
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        _ => serde_yaml::to_string(value)
            .unwrap_or_else(|_| value.to_string())
            .trim_end()
            .to_owned(),
    }
}

/// The changes of one agent, grouped by section, each with Production above Staging.
pub fn changes_text(changes: &[Change], style: Style, labels: (&str, &str)) -> String {
    let mut out = String::new();
    for section in Section::ALL {
        let in_section: Vec<&Change> = changes.iter().filter(|c| c.section == section).collect();
        if in_section.is_empty() {
            continue;
        }
        let header = format!("{} ({})", section.title(), in_section.len());
        out.push_str(&format!("  {}\n", style.paint(&header, Paint::Header)));
        for change in in_section {
            out.push_str(&change_text(change, style, labels));
        }
    }
    out
}

fn change_text(change: &Change, style: Style, (from, to): (&str, &str)) -> String {
    let (old, new) = if style.show_secrets {
        (change.old.clone(), change.new.clone())
    } else {
        (
            mask(&change.path, &change.old),
            mask(&change.path, &change.new),
        )
    };
    let (sign, paint) = match change.kind {
        Kind::Added => ("+", Paint::Added),
        Kind::Removed => ("-", Paint::Removed),
        Kind::Changed => ("~", Paint::Changed),
    };
    let what = if change.is_reorder() {
        " (reordered)"
    } else {
        ""
    };
    let mut out = format!(
        "    {} {}{}\n",
        style.paint(sign, paint),
        style.paint(&clean(&change.path.to_string()), Paint::Path),
        what
    );
    // A line diff needs text on both sides; otherwise both values are shown whole.
    if change.kind == Kind::Changed && old.is_string() && new.is_string() && change.is_multiline() {
        out.push_str(&text_diff(
            old.as_str().unwrap_or_default(),
            new.as_str().unwrap_or_default(),
            style,
        ));
        return out;
    }
    let width = from.len().max(to.len()) + 1;
    if change.kind != Kind::Added {
        let label = format!("{:<width$}", format!("{from}:"));
        out.push_str(&side(&label, &value_text(&old), style, Paint::Removed));
    }
    if change.kind != Kind::Removed {
        let label = format!("{:<width$}", format!("{to}:"));
        out.push_str(&side(&label, &value_text(&new), style, Paint::Added));
    }
    out
}

fn side(label: &str, text: &str, style: Style, paint: Paint) -> String {
    let label = style.paint(label, Paint::Dim);
    if text.contains('\n') {
        let mut out = format!("        {label}\n");
        for line in text.lines() {
            out.push_str(&format!("          {}\n", style.paint(line, paint)));
        }
        out
    } else {
        format!("        {label} {}\n", style.paint(text, paint))
    }
}

/// A line diff of two multi-line strings with three lines of context.
pub fn text_diff(old: &str, new: &str, style: Style) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            out.push_str(&format!("        {}\n", style.paint("…", Paint::Dim)));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let line = clean(change.value().trim_end_matches('\n'));
                let rendered = match change.tag() {
                    similar::ChangeTag::Delete => style.paint(&format!("- {line}"), Paint::Removed),
                    similar::ChangeTag::Insert => style.paint(&format!("+ {line}"), Paint::Added),
                    similar::ChangeTag::Equal => format!("  {line}"),
                };
                out.push_str(&format!("        {rendered}\n"));
                // Like git: otherwise a change of only the final newline looks like none.
                if change.missing_newline() {
                    let marker = style.paint("\\ no newline at the end", Paint::Dim);
                    out.push_str(&format!("        {marker}\n"));
                }
            }
        }
    }
    out
}

/// `--stat`: counts per section and the paths, no values.
pub fn stat_text(changes: &[Change], style: Style) -> String {
    let mut out = String::new();
    for section in Section::ALL {
        let in_section: Vec<&Change> = changes.iter().filter(|c| c.section == section).collect();
        if in_section.is_empty() {
            continue;
        }
        let count = |kind| in_section.iter().filter(|c| c.kind == kind).count();
        out.push_str(&format!(
            "  {:<18} {} added, {} removed, {} changed\n",
            style.paint(section.title(), Paint::Header),
            count(Kind::Added),
            count(Kind::Removed),
            count(Kind::Changed)
        ));
        for change in in_section {
            let sign = match change.kind {
                Kind::Added => style.paint("+", Paint::Added),
                Kind::Removed => style.paint("-", Paint::Removed),
                Kind::Changed => style.paint("~", Paint::Changed),
            };
            out.push_str(&format!("    {sign} {}\n", clean(&change.path.to_string())));
        }
    }
    out
}

/// "2 added, 1 changed in tools, instructions".
pub fn summary_line(entry: &Entry) -> String {
    let s = &entry.summary;
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
        style.paint(&title, Paint::Changed),
        style.paint(entry.short_id(), Paint::Dim)
    );
    out.push_str(&format!("Author:    {}\n", clean(&entry.author)));
    out.push_str(&format!(
        "Published: {} ({})\n",
        entry.published_at,
        relative_time(&entry.published_at, now)
    ));
    if let Some(commit) = &entry.git_commit {
        out.push_str(&format!("Commit:    {}\n", crate::store::short(commit)));
    }
    out.push('\n');
    for line in entry.message.lines() {
        out.push_str(&format!("    {}\n", clean(line)));
    }
    out.push_str(&format!(
        "    {}\n",
        style.paint(&summary_line(entry), Paint::Dim)
    ));
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
        style.paint(entry.short_id(), Paint::Dim),
        agent,
        style.paint(&format!("v{}", entry.version), Paint::Changed),
        clean(entry.message.lines().next().unwrap_or_default())
    )
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

    #[test]
    fn a_change_of_the_final_newline_is_visible() {
        let out = text_diff("a\nb\n", "a\nb", Style::default());
        assert!(out.contains("no newline at the end"), "{out}");
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
        let out = text_diff(old, new, Style::default());
        assert!(out.contains("- e") && out.contains("+ E"), "{out}");
        assert!(!out.contains("  a\n"), "{out}");
    }
}
