//! The side-by-side view: for each change its path, then the old side's column beside the new
//! side's, both wrapped to fit the width.
//!
//! ```text
//!   Agent settings (1)
//!       Production                 │ Staging
//!     ~ model.temperature
//!       0.2                        │ 0.7
//! ```
//!
//! Every line fits in `style.width` display columns: the columns share what is left after the
//! indent and the separator, and each cell wraps inside its column.

use super::columns::{self, Line, Span};
use super::text_diff::{Block, DiffLine, Hunk};
use super::{Body, NO_NEWLINE, Style, body, by_section, kind_mark, path_text, section_title};
use crate::change::Change;
use crate::ui::Tone;

const SECTION_INDENT: &str = "  ";
const PATH_INDENT: &str = "    ";
const CELL_INDENT: &str = "      ";
const SEPARATOR: &str = " │ ";

/// Where things go on a line of this width.
#[derive(Clone, Copy)]
struct Grid {
    width: usize,
    left: usize,
    right: usize,
}

impl Grid {
    fn new(width: usize) -> Grid {
        let cells = width.saturating_sub(CELL_INDENT.len() + columns::width(SEPARATOR));
        let left = (cells / 2).max(1);
        Grid {
            width,
            left,
            right: cells.saturating_sub(left).max(1),
        }
    }
}

pub fn changes(changes: &[Change], style: Style, (from, to): (&str, &str)) -> String {
    let grid = Grid::new(style.width);
    let mut out = String::new();
    for (section, of) in by_section(changes) {
        if !out.is_empty() {
            out.push('\n');
        }
        let title = section_title(section, of.len());
        indented(
            &mut out,
            SECTION_INDENT,
            &[Span::new(title, Some(Tone::Header))],
            grid,
            style,
        );
        let title = |t: &str| Cell::plain(vec![Span::new(t, Some(Tone::Dim))]);
        row(&mut out, &title(from), &title(to), grid, style);
        for change in of {
            let (mark, tone) = kind_mark(change.kind);
            // Wrapped before its segments, the continuation lines marked `↪` where the mark is.
            let room = grid.width.saturating_sub(PATH_INDENT.len() + 2);
            let path = columns::wrap_path(&path_text(change), room, Some(Tone::Path));
            for (i, line) in path.into_iter().enumerate() {
                let lead = match i {
                    0 => Span::new(mark, Some(tone)),
                    _ => Span::new(columns::CONTINUED, Some(Tone::Dim)),
                };
                let spans = [vec![lead, Span::plain(" ")], line].concat();
                out.push_str(&format!(
                    "{PATH_INDENT}{}\n",
                    columns::draw(&spans, style.color)
                ));
            }
            match body(change, style) {
                Body::Values { old, new } => values(&mut out, old, new, grid, style),
                Body::Text(hunks) => {
                    for hunk in &hunks {
                        text_hunk(&mut out, hunk, grid, style);
                    }
                }
            }
        }
    }
    out
}

/// A line of its own (a title, a path) after `indent`, wrapped to the width; continuation
/// lines are indented two more.
fn indented(out: &mut String, indent: &str, spans: &[Span], grid: Grid, style: Style) {
    let room = grid.width.saturating_sub(indent.len() + 2);
    for (i, line) in columns::wrap(spans, room).iter().enumerate() {
        let indent = if i == 0 {
            indent.to_owned()
        } else {
            format!("{indent}  ")
        };
        out.push_str(&format!("{indent}{}\n", columns::draw(line, style.color)));
    }
}

/// Whole values, line by line: the old value's lines beside the new value's.
fn values(out: &mut String, old: Option<String>, new: Option<String>, grid: Grid, style: Style) {
    let lines = |text: &Option<String>, tone| -> Vec<Line> {
        text.iter()
            .flat_map(|t| t.lines().map(move |l| vec![Span::new(l, Some(tone))]))
            .collect()
    };
    let old = lines(&old, Tone::Removed);
    let new = lines(&new, Tone::Added);
    for i in 0..old.len().max(new.len()) {
        let cell = |side: &[Line]| Cell::plain(side.get(i).cloned().unwrap_or_default());
        row(out, &cell(&old), &cell(&new), grid, style);
    }
}

/// One hunk of a multi-line string's line diff: where it starts, unchanged lines on both
/// sides, and each edit's removed lines beside its added ones.
fn text_hunk(out: &mut String, hunk: &Hunk, grid: Grid, style: Style) {
    // A side with no lines in the hunk (a text added or emptied) has no line to start at.
    let holds = |side: fn(&Block) -> bool| hunk.blocks.iter().any(side);
    let start = |line, held: bool| match held {
        true => Cell::plain(vec![Span::new(format!("⋯ line {line}"), Some(Tone::Dim))]),
        false => Cell::default(),
    };
    let old_held = holds(|b| match b {
        Block::Same(lines) => !lines.is_empty(),
        Block::Edit { old, .. } => !old.is_empty(),
    });
    let new_held = holds(|b| match b {
        Block::Same(lines) => !lines.is_empty(),
        Block::Edit { new, .. } => !new.is_empty(),
    });
    row(
        out,
        &start(hunk.old_start, old_held),
        &start(hunk.new_start, new_held),
        grid,
        style,
    );
    for block in &hunk.blocks {
        match block {
            Block::Same(lines) => {
                for line in lines {
                    let cell = Cell::marked(" ", None, vec![Span::plain(line.as_str())]);
                    row(out, &cell, &cell, grid, style);
                }
            }
            Block::Edit { old, new } => {
                let cell = |lines: &[DiffLine], i: usize, mark, tone, words| -> Cell {
                    lines.get(i).map_or_else(Cell::default, |line| {
                        Cell::marked(mark, Some(tone), line.spans(tone, words))
                    })
                };
                for i in 0..old.len().max(new.len()) {
                    row(
                        out,
                        &cell(old, i, "-", Tone::Removed, Tone::RemovedWords),
                        &cell(new, i, "+", Tone::Added, Tone::AddedWords),
                        grid,
                        style,
                    );
                }
                let no_newline =
                    |lines: &[DiffLine]| lines.last().is_some_and(|l| l.missing_newline);
                if no_newline(old) || no_newline(new) {
                    let cell = |missing| {
                        Cell::plain(if missing {
                            vec![Span::new(NO_NEWLINE, Some(Tone::Dim))]
                        } else {
                            Vec::new()
                        })
                    };
                    row(
                        out,
                        &cell(no_newline(old)),
                        &cell(no_newline(new)),
                        grid,
                        style,
                    );
                }
            }
        }
    }
}

/// What one side of a row holds: text, or a diff line (a mark, then text that wraps under
/// itself).
#[derive(Default)]
struct Cell {
    mark: Option<Span>,
    text: Line,
}

impl Cell {
    fn plain(text: Line) -> Cell {
        Cell { mark: None, text }
    }

    fn marked(mark: &str, tone: Option<Tone>, text: Line) -> Cell {
        Cell {
            mark: Some(Span::new(mark, tone)),
            text,
        }
    }

    fn lines(&self, columns: usize) -> Vec<Line> {
        columns::wrap_hanging(self.mark.clone(), &self.text, columns)
    }
}

/// One row: a left cell beside a right cell, each wrapped in its column.
fn row(out: &mut String, left: &Cell, right: &Cell, grid: Grid, style: Style) {
    let left = left.lines(grid.left);
    let right = right.lines(grid.right);
    let separator = style.paint(SEPARATOR.trim(), Tone::Dim);
    for i in 0..left.len().max(right.len()) {
        let l = left.get(i).map_or(&[][..], Vec::as_slice);
        let r = right.get(i).map_or(&[][..], Vec::as_slice);
        out.push_str(CELL_INDENT);
        out.push_str(&columns::draw_padded(l, grid.left, style.color));
        out.push(' ');
        out.push_str(&separator);
        // No trailing space after an empty right cell.
        if columns::line_width(r) > 0 {
            out.push(' ');
            out.push_str(&columns::draw(r, style.color));
        }
        out.push('\n');
    }
}
