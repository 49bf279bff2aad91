//! The unified (stacked) view: for each change its path, then the old value above the new one;
//! for narrow terminals and logs. Every line fits in `style.width` display columns.
//!
//! ```text
//!   Agent settings (1)
//!     ~ model.temperature
//!         Production: 0.2
//!         Staging:    0.7
//! ```

use super::columns::{self, Line, Span};
use super::text_diff::{Block, DiffLine, Hunk};
use super::{
    Body, NO_NEWLINE, Style, body, by_section, clean, kind_mark, mask, path_text, section_title,
    value_text,
};
use crate::change::Change;
use crate::merge::Conflict;
use crate::ui::Tone;

const SECTION_INDENT: usize = 2;
const PATH_INDENT: usize = 4;
const VALUE_INDENT: usize = 8;
/// Where the lines of a value too tall or too wide to sit beside its label go.
const BLOCK_INDENT: usize = 10;
/// A value beside its label needs at least this much room; else it goes below.
const MIN_INLINE: usize = 12;

pub fn changes(changes: &[Change], style: Style, (from, to): (&str, &str)) -> String {
    let mut out = Out {
        text: String::new(),
        style,
    };
    let label_width = columns::width(from).max(columns::width(to)) + 1;
    for (section, of) in by_section(changes) {
        if !out.text.is_empty() {
            out.text.push('\n');
        }
        let title = section_title(section, of.len());
        out.lines(SECTION_INDENT, &[Span::new(title, Some(Tone::Header))]);
        for change in of {
            let (mark, tone) = kind_mark(change.kind);
            out.path(PATH_INDENT, Span::new(mark, Some(tone)), &path_text(change));
            match body(change, style) {
                Body::Values { old, new } => {
                    if let Some(old) = old {
                        out.value(from, label_width, &old, Tone::Removed);
                    }
                    if let Some(new) = new {
                        out.value(to, label_width, &new, Tone::Added);
                    }
                }
                Body::Text(hunks) => {
                    for hunk in &hunks {
                        out.hunk(hunk);
                    }
                }
            }
        }
    }
    out.text
}

/// The conflicts of reverting publish `version`: each path with what that publish set, what
/// staging holds, and what the revert would set. Always stacked: three values do not fit
/// side by side.
pub fn conflicts(conflicts: &[Conflict], version: u64, style: Style) -> String {
    let mut out = Out {
        text: String::new(),
        style,
    };
    let title = format!("Conflicts ({})", conflicts.len());
    out.lines(SECTION_INDENT, &[Span::new(title, Some(Tone::Header))]);
    let labels = [
        format!("v{version} set"),
        "staging holds".to_owned(),
        "revert would set".to_owned(),
    ];
    let label_width = labels.iter().map(|l| columns::width(l)).max().unwrap_or(0) + 1;
    for conflict in conflicts {
        let path = [Span::new(
            clean(&conflict.path.to_string()),
            Some(Tone::Path),
        )];
        out.marked(PATH_INDENT, Span::new("!", Some(Tone::Changed)), &path);
        // An absent field is said in words: `null` would read as a value someone set.
        let values = [
            (&conflict.reverted_value, Tone::Removed, "(removed it)"),
            (&conflict.staging_value, Tone::Changed, "(deleted)"),
            (&conflict.would_set, Tone::Added, "(removes it)"),
        ];
        for (label, (value, tone, absent)) in labels.iter().zip(values) {
            let text = match value {
                None => absent.to_owned(),
                Some(value) if style.show_secrets => value_text(value),
                Some(value) => value_text(&mask(&conflict.path, value)),
            };
            out.value(label, label_width, &text, tone);
        }
    }
    out.text
}

struct Out {
    text: String,
    style: Style,
}

impl Out {
    fn push(&mut self, indent: usize, line: &[Span]) {
        // A blank line stays blank: no indent to trail.
        if columns::line_width(line) > 0 {
            self.text.push_str(&" ".repeat(indent));
        }
        self.text.push_str(&columns::draw(line, self.style.color));
        self.text.push('\n');
    }

    /// Text after `indent`, wrapped to the width, keeping its own indentation (`↪` on
    /// continuation lines).
    fn lines(&mut self, indent: usize, spans: &[Span]) {
        let room = self.style.width.saturating_sub(indent);
        for line in columns::wrap_hanging(None, spans, room) {
            self.push(indent, &line);
        }
    }

    /// A mark, then a path wrapped before its segments (`.key`, `[item]`), the continuation
    /// lines marked `↪` where the mark is: deep siblings stay whole and distinguishable.
    fn path(&mut self, indent: usize, mark: Span, path: &str) {
        let room = self.style.width.saturating_sub(indent + 2);
        for (i, line) in columns::wrap_path(path, room, Some(Tone::Path))
            .into_iter()
            .enumerate()
        {
            let lead = match i {
                0 => mark.clone(),
                _ => Span::new(columns::CONTINUED, Some(Tone::Dim)),
            };
            self.push(indent, &[vec![lead, Span::plain(" ")], line].concat());
        }
    }

    /// A mark, then text that wraps under itself.
    fn marked(&mut self, indent: usize, mark: Span, spans: &[Span]) {
        let room = self.style.width.saturating_sub(indent);
        for line in columns::wrap_hanging(Some(mark), spans, room) {
            self.push(indent, &line);
        }
    }

    /// `Label: value`, the value's continuation lines under its start; a value of several
    /// lines, or one with no room beside its label, goes below the label.
    fn value(&mut self, label: &str, label_width: usize, value: &str, tone: Tone) {
        let label_text = format!("{label}:");
        let pad = " ".repeat(label_width.saturating_sub(columns::width(&label_text)));
        let label = Span::new(label_text, Some(Tone::Dim));
        let room = self
            .style
            .width
            .saturating_sub(VALUE_INDENT + label_width + 1);
        if value.contains('\n') || room < MIN_INLINE {
            self.lines(VALUE_INDENT, &[label]);
            for line in value.lines() {
                self.lines(BLOCK_INDENT, &[Span::new(line, Some(tone))]);
            }
            return;
        }
        for (i, line) in columns::wrap(&[Span::new(value, Some(tone))], room)
            .into_iter()
            .enumerate()
        {
            let mut full: Line = if i == 0 {
                vec![label.clone(), Span::plain(format!("{pad} "))]
            } else {
                vec![Span::plain(" ".repeat(label_width + 1))]
            };
            full.extend(line);
            self.push(VALUE_INDENT, &full);
        }
    }

    /// A hunk of a line diff: `@@ -old +new @@`, then unchanged lines, and each edit's removed
    /// lines above its added ones.
    fn hunk(&mut self, hunk: &Hunk) {
        let header = hunk.header();
        self.lines(VALUE_INDENT, &[Span::new(header, Some(Tone::Dim))]);
        for block in &hunk.blocks {
            match block {
                Block::Same(lines) => {
                    for line in lines {
                        self.marked(
                            VALUE_INDENT,
                            Span::plain(" "),
                            &[Span::plain(line.as_str())],
                        );
                    }
                }
                Block::Edit { old, new } => {
                    self.edited(old, "-", Tone::Removed, Tone::RemovedWords);
                    self.edited(new, "+", Tone::Added, Tone::AddedWords);
                }
            }
        }
    }

    fn edited(&mut self, lines: &[DiffLine], mark: &str, tone: Tone, words: Tone) {
        for line in lines {
            self.marked(
                VALUE_INDENT,
                Span::new(mark, Some(tone)),
                &line.spans(tone, words),
            );
            if line.missing_newline {
                self.lines(VALUE_INDENT, &[Span::new(NO_NEWLINE, Some(Tone::Dim))]);
            }
        }
    }
}
