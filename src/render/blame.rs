//! The text view of `blame`, like `git blame`: per section a header, then one row per field,
//! and per line of each multi-line string, with the publish that last set it, the metadata
//! columns first and then the whole path and value:
//!
//! ```text
//! Agent settings
//! v3  9a8b7c6d  Bob          2026-01-03  model.temperature  0.7
//!
//! Instructions
//! v1  3f2a9c1d  Alice        2026-01-01  instructions       (2 lines)
//! v1  3f2a9c1d  Alice        2026-01-01    1                You are a helpful agent that
//!                                                           ↪ answers in full sentences.
//! ```
//!
//! Nothing is cut: a path or value wider than its column wraps inside it (value continuation
//! lines marked `↪`, tabs expanded as `diff` does), so the text attributed is all there and
//! sibling paths stay distinguishable. Secrets are masked unless `--show-secrets`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::columns::{Line, Span};
use super::{Style, clean, columns, mask, mask_line, value_text};
use crate::agent::Config;
use crate::agent::Section;
use crate::blame::Blame;
use crate::change::{Segment, is_multiline, value_at};
use crate::store::Entry;
use crate::ui::Tone;

/// One row before it is fitted: the publish's columns, then what was set and its value.
struct Row<'a> {
    section: Section,
    publish: &'a Entry,
    what: String,
    value: String,
}

pub fn blame_text(
    blame: &Blame,
    snapshot: &Config,
    publishes: &BTreeMap<u64, Entry>,
    style: Style,
) -> String {
    let width = style.width;
    let root = Value::Object(snapshot.clone());
    let format = crate::agent::format::detect(snapshot);
    let mut lines = blame.lines.iter().peekable();
    let mut rows = Vec::new();
    for field in &blame.fields {
        let value = value_at(&root, &field.path.0).unwrap_or(&Value::Null);
        let shown = if style.show_secrets {
            value.clone()
        } else {
            mask(&field.path, value)
        };
        let is_item = matches!(field.path.0.last(), Some(Segment::Item(_)));
        let text = match &shown {
            _ if is_item => String::new(),
            Value::String(s) if is_multiline(s) => format!("({} lines)", s.lines().count()),
            Value::Array(_) | Value::Object(_) => clean(&shown.to_string()),
            _ => value_text(&shown),
        };
        let section = field.path.section_in(format);
        rows.push(Row {
            section,
            publish: &publishes[&field.version],
            what: clean(&field.path.to_string()),
            value: text,
        });
        if let Some((_, field_lines)) = lines.next_if(|(path, _)| *path == field.path) {
            let number_width = field_lines.len().to_string().len();
            for (i, line) in field_lines.iter().enumerate() {
                rows.push(Row {
                    section,
                    publish: &publishes[&line.version],
                    what: format!("  {:>number_width$}", i + 1),
                    value: if style.show_secrets {
                        clean(&line.text)
                    } else {
                        clean(&mask_line(&field.path, &line.text))
                    },
                });
            }
        }
    }
    fit(&rows, style, width)
}

/// Lay the rows out in columns fitted to `width`: the author and the path give way first to
/// the value, down to a floor; every cell wider than its column wraps inside it.
fn fit(rows: &[Row<'_>], style: Style, width: usize) -> String {
    let widest = |cell: &dyn Fn(&Row<'_>) -> usize| rows.iter().map(cell).max().unwrap_or(0);
    let version_width = widest(&|r| format!("v{}", r.publish.version).len());
    let author_width = widest(&|r| columns::width(&author_name(r.publish))).min(20);
    let what_width = widest(&|r| columns::width(&r.what));
    const ID: usize = 8;
    const DATE: usize = 10;
    const GAPS: usize = 2 * 5;
    const VALUE_FLOOR: usize = 24;
    let room = width.saturating_sub(version_width + ID + DATE + GAPS);
    // The value keeps at least VALUE_FLOOR where it can, the path at least 16.
    let widest_what = what_width;
    let what_width = widest_what.min(room.saturating_sub(author_width + VALUE_FLOOR).max(16));
    // On a narrow terminal the floors give way too: a row never runs past the width.
    let (author_width, what_width) = if author_width + what_width + VALUE_FLOOR > room {
        let author = author_width.min(room / 6).max(1);
        (author, widest_what.min(room / 2).max(1))
    } else {
        (author_width, what_width)
    };
    let value_width = room.saturating_sub(author_width + what_width).max(2);

    let mut out = String::new();
    let mut section = None;
    for row in rows {
        if section != Some(row.section) {
            if section.is_some() {
                out.push('\n');
            }
            section = Some(row.section);
            out.push_str(&style.paint(row.section.title(), Tone::Header));
            out.push('\n');
        }
        let version = format!("{:<version_width$}", format!("v{}", row.publish.version));
        let id = format!("{:<ID$}", row.publish.short_id());
        let date = row
            .publish
            .published_at
            .get(..DATE)
            .unwrap_or(&row.publish.published_at);
        let authors = columns::wrap(&[Span::plain(author_name(row.publish))], author_width);
        let whats = columns::wrap_path(&row.what, what_width, None);
        let values = wrap_value(&row.value, value_width);
        let height = authors.len().max(whats.len()).max(values.len());
        let cell = |lines: &[Line], i: usize, width: usize| match lines.get(i) {
            Some(line) => columns::draw_padded(line, width, false),
            None => " ".repeat(width),
        };
        for i in 0..height {
            let line = if i == 0 {
                format!(
                    "{}  {}  {}  {date:<DATE$}  {}  {}",
                    style.paint(&version, Tone::Changed),
                    style.paint(&id, Tone::Dim),
                    cell(&authors, i, author_width),
                    cell(&whats, i, what_width),
                    cell(&values, i, value_width),
                )
            } else {
                format!(
                    "{:blank$}  {}  {:DATE$}  {}  {}",
                    "",
                    cell(&authors, i, author_width),
                    "",
                    cell(&whats, i, what_width),
                    values
                        .get(i)
                        .map(|l| columns::draw(l, style.color))
                        .unwrap_or_default(),
                    blank = version_width + 2 + ID,
                )
            };
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// A value wrapped to `width` columns, its continuation lines marked `↪` so they do not pass
/// for rows of their own (every line is wrapped two columns short to leave room for the mark).
fn wrap_value(value: &str, width: usize) -> Vec<Line> {
    let continued = Span::new(columns::CONTINUED, Some(Tone::Dim));
    columns::wrap(&[Span::plain(value)], width.saturating_sub(2))
        .into_iter()
        .enumerate()
        .map(|(i, mut line)| {
            if i > 0 {
                line.splice(0..0, [continued.clone(), Span::plain(" ")]);
            }
            line
        })
        .collect()
}

/// The author without the e-mail address, as `git blame` shows it: "Alice" for
/// "Alice <alice@example.com>".
fn author_name(publish: &Entry) -> String {
    let author = &publish.author;
    let name = match author.find(" <") {
        Some(end) if author.ends_with('>') && end > 0 => &author[..end],
        _ => author,
    };
    clean(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.iter().map(|s| s.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn paths_wrap_at_their_segments() {
        assert_eq!(
            texts(&columns::wrap_path("model.temperature", 40, None)),
            ["model.temperature"]
        );
        assert_eq!(
            texts(&columns::wrap_path(
                "tools[lookup_invoice].description",
                22,
                None
            )),
            ["tools[lookup_invoice]", ".description"]
        );
        let lines = texts(&columns::wrap_path(
            "tools[a_very_long_tool_name].x",
            10,
            None,
        ));
        assert!(lines.iter().all(|l| columns::width(l) <= 10), "{lines:?}");
        assert_eq!(lines.concat(), "tools[a_very_long_tool_name].x");
        // A path with a space in a key is not changed either.
        assert_eq!(
            texts(&columns::wrap_path("a b.c", 3, None))
                .concat()
                .replace(' ', ""),
            "ab.c"
        );
    }

    #[test]
    fn values_wrap_with_marked_continuations_and_lose_nothing() {
        assert_eq!(texts(&wrap_value("short", 10)), ["short"]);
        let lines = texts(&wrap_value("Never promise refunds or credits.", 12));
        assert_eq!(lines[0], "Never");
        // A word wider than the column is broken, not cut.
        let lines = texts(&wrap_value("stdio_server_params.command", 12));
        assert_eq!(
            lines.concat().replace("↪ ", ""),
            "stdio_server_params.command"
        );
        let lines = texts(&wrap_value("Never promise refunds or credits.", 12));
        assert!(lines[1..].iter().all(|l| l.starts_with("↪ ")), "{lines:?}");
        assert!(lines.iter().all(|l| columns::width(l) <= 12), "{lines:?}");
        let rejoined: Vec<String> = lines
            .iter()
            .flat_map(|l| l.trim_start_matches("↪ ").split(' '))
            .map(str::to_owned)
            .collect();
        assert_eq!(rejoined.join(" "), "Never promise refunds or credits.");
        // A tab is expanded as diff expands it.
        assert_eq!(texts(&wrap_value("a\tb", 20)), ["a    b"]);
    }
}
