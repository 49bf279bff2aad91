//! The markdown view, for pull-request comments: per section a table (path | old | new) of the
//! changes to values, and each multi-line string's line diff in a fenced `diff` block.
//!
//! Tables must stay tables on a GitHub-like viewer whatever the values hold: every value is a
//! code span per line (lines joined by `<br>`), pipes are escaped, code spans and fences are
//! longer than any run of backticks inside them, and indentation is kept with no-break spaces.

use super::text_diff::{Block, Hunk};
use super::{Body, Style, body, by_section, clean, section_title};
use crate::change::Change;

pub fn changes(changes: &[Change], style: Style, (from, to): (&str, &str)) -> String {
    let mut out = String::new();
    for (section, of) in by_section(changes) {
        out.push_str(&format!("#### {}\n\n", section_title(section, of.len())));
        let mut rows = Vec::new();
        let mut texts = Vec::new();
        for change in of {
            match body(change, style) {
                Body::Values { old, new } => rows.push(format!(
                    "| {} | {} | {} |\n",
                    cell_path(change),
                    cell(old.as_deref()),
                    cell(new.as_deref())
                )),
                Body::Text(hunks) => texts.push((change, hunks)),
            }
        }
        if !rows.is_empty() {
            out.push_str(&format!("| Path | {} | {} |\n", text(from), text(to)));
            out.push_str("| --- | --- | --- |\n");
            out.extend(rows);
            out.push('\n');
        }
        for (change, hunks) in texts {
            out.push_str(&format!("{}\n\n", cell_path(change)));
            out.push_str(&fenced_diff(&hunks));
            out.push('\n');
        }
    }
    out
}

fn cell_path(change: &Change) -> String {
    let path = code(&clean(&change.path.to_string()));
    if change.is_reorder() {
        format!("{path} (reordered)")
    } else {
        path
    }
}

/// A value in a table cell: one code span per line; nothing for an absent side.
fn cell(value: Option<&str>) -> String {
    value
        .map(|v| v.lines().map(code).collect::<Vec<_>>().join("<br>"))
        .unwrap_or_default()
}

/// `text` as an inline code span that a table cell can hold.
pub fn code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    // Leading spaces would be trimmed or collapsed; no-break spaces keep YAML indentation.
    let indent = text.len() - text.trim_start_matches(' ').len();
    let text = format!("{}{}", "\u{a0}".repeat(indent), &text[indent..]);
    let ticks = "`".repeat(longest_run(&text, '`') + 1);
    // A span that starts or ends with a backtick or a space needs a space inside its fence
    // (CommonMark strips exactly one on each side).
    let pad = if text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{}{pad}{ticks}", text.replace('|', "\\|"))
}

/// Plain text in markdown: the characters that could end a table cell or start a link,
/// emphasis, code or HTML are backslash-escaped.
pub fn text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if "\\`*_[]<>|#!~&".contains(c) {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub fn longest_run(text: &str, c: char) -> usize {
    text.split(|x| x != c).map(str::len).max().unwrap_or(0)
}

/// The hunks as a unified diff in a fenced `diff` block (which viewers colour).
fn fenced_diff(hunks: &[Hunk]) -> String {
    let mut body = String::new();
    for hunk in hunks {
        body.push_str(&format!("{}\n", hunk.header()));
        for block in &hunk.blocks {
            match block {
                Block::Same(lines) => {
                    for line in lines {
                        body.push_str(&format!(" {line}\n"));
                    }
                }
                Block::Edit { old, new } => {
                    for (mark, lines) in [('-', old), ('+', new)] {
                        for line in lines {
                            body.push_str(&format!("{mark}{}\n", line.text()));
                            if line.missing_newline {
                                body.push_str("\\ No newline at end of file\n");
                            }
                        }
                    }
                }
            }
        }
    }
    let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
    format!("{fence}diff\n{body}{fence}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_pipes_and_indentation() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("use `x`"), "`` use `x` ``");
        assert_eq!(code("``"), "``` `` ```");
        assert_eq!(code("  key: v"), "`\u{a0}\u{a0}key: v`");
        assert_eq!(code(""), "");
    }

    #[test]
    fn fences_are_longer_than_any_backtick_run_inside() {
        let hunks = super::super::text_diff::hunks("a\n```\nb\n", "a\n````\nb\n");
        let block = fenced_diff(&hunks);
        assert!(block.starts_with("`````diff\n"), "{block}");
        assert!(block.ends_with("\n`````\n"), "{block}");
    }
}
