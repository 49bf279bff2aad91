//! The text view of `blame`: one row per field, and per line of each multi-line string, with
//! the publish that last set it, in aligned columns fitted to the width:
//!
//! ```text
//! v3  9a8b7c6d  Bob          2026-01-03  model.temperature  0.7
//! v1  3f2a9c1d  Alice        2026-01-01  instructions       (2 lines)
//! v1  3f2a9c1d  Alice        2026-01-01       1             You are a helpful agent.
//! ```
//!
//! A cell too long for its column ends in `…`; secrets are masked unless `--show-secrets`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{MASK, Style, clean, mask, value_text};
use crate::agent::Config;
use crate::blame::Blame;
use crate::change::{Segment, is_multiline, value_at};
use crate::store::Entry;
use crate::ui::Tone;

/// One row before it is fitted: the publish's columns, then what was set and its value.
struct Row<'a> {
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
        rows.push(Row {
            publish: &publishes[&field.version],
            what: clean(&field.path.to_string()),
            value: text,
        });
        if let Some((_, field_lines)) = lines.next_if(|(path, _)| *path == field.path) {
            // A masked text is masked line by line too.
            let masked = shown != *value;
            let number_width = field_lines.len().to_string().len();
            for (i, line) in field_lines.iter().enumerate() {
                rows.push(Row {
                    publish: &publishes[&line.version],
                    what: format!("  {:>number_width$}", i + 1),
                    value: if masked {
                        MASK.to_owned()
                    } else {
                        clean(&line.text)
                    },
                });
            }
        }
    }
    fit(&rows, style, width)
}

/// Lay the rows out in columns whose widths fit `width` where they can: the author and the
/// path give way first to the value, down to a floor below which the row is left longer.
fn fit(rows: &[Row<'_>], style: Style, width: usize) -> String {
    let widest = |cell: &dyn Fn(&Row<'_>) -> usize| rows.iter().map(cell).max().unwrap_or(0);
    let version_width = widest(&|r| format!("v{}", r.publish.version).len());
    let author_width = widest(&|r| author_name(r.publish).chars().count()).min(20);
    let what_width = widest(&|r| r.what.chars().count());
    const ID: usize = 8;
    const DATE: usize = 10;
    const GAPS: usize = 2 * 5;
    const VALUE_FLOOR: usize = 16;
    let room = width.saturating_sub(version_width + ID + DATE + GAPS);
    // The value keeps at least VALUE_FLOOR; the path at least 16, the author at least 8.
    let what_width = what_width.min(
        room.saturating_sub(author_width.min(8) + VALUE_FLOOR)
            .max(16),
    );
    let author_width = author_width.min(room.saturating_sub(what_width + VALUE_FLOOR).max(8));
    let value_width = room
        .saturating_sub(author_width + what_width)
        .max(VALUE_FLOOR);

    let mut out = String::new();
    for row in rows {
        let version = format!("{:<version_width$}", format!("v{}", row.publish.version));
        let id = format!("{:<ID$}", row.publish.short_id());
        let date = row
            .publish
            .published_at
            .get(..DATE)
            .unwrap_or(&row.publish.published_at);
        let (version, id) = (
            style.paint(&version, Tone::Changed),
            style.paint(&id, Tone::Dim),
        );
        let line = format!(
            "{version}  {id}  {:<author_width$}  {date:<DATE$}  {:<what_width$}  {}",
            cut(&author_name(row.publish), author_width),
            cut(&row.what, what_width),
            cut(&row.value, value_width),
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
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

/// `text` in at most `width` characters, ending in `…` when it had to be shortened.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_marks_what_it_shortens() {
        assert_eq!(cut("abcdef", 6), "abcdef");
        assert_eq!(cut("abcdefg", 6), "abcde…");
        assert_eq!(cut("ééééé", 3), "éé…");
    }
}
