//! The line diff of a multi-line string (the instructions above all), shared by every view:
//! hunks of a few context lines, each an alternation of unchanged lines and edits, with the
//! words that differ inside edited lines marked (similar's inline diff).

use similar::{ChangeTag, TextDiff};

use super::clean;
use super::columns::{Line, Span};
use crate::ui::Tone;

/// Unchanged lines shown around each edit.
pub const CONTEXT: usize = 3;

/// One stretch of the diff. Line numbers count from 1.
#[derive(Debug)]
pub struct Hunk {
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    pub blocks: Vec<Block>,
}

impl Hunk {
    /// The header `diff -u` prints: `@@ -3,2 +3,4 @@`. An empty side is numbered by the line
    /// it follows, as in `diff -u`: text added to nothing is `@@ -0,0 +1,N @@`.
    pub fn header(&self) -> String {
        let side = |start: usize, len: usize| {
            let start = if len == 0 {
                start.saturating_sub(1)
            } else {
                start
            };
            format!("{start},{len}")
        };
        format!(
            "@@ -{} +{} @@",
            side(self.old_start, self.old_len),
            side(self.new_start, self.new_len)
        )
    }
}

#[derive(Debug)]
pub enum Block {
    /// Lines on both sides.
    Same(Vec<String>),
    /// Lines taken out and the lines put in their place (either may be empty).
    Edit {
        old: Vec<DiffLine>,
        new: Vec<DiffLine>,
    },
}

/// A changed line as pieces, each marked when it is a word that differs.
#[derive(Debug, Default)]
pub struct DiffLine {
    pub pieces: Vec<(bool, String)>,
    /// The line is the last one and has no newline (shown like git's marker).
    pub missing_newline: bool,
}

impl DiffLine {
    pub fn text(&self) -> String {
        self.pieces.iter().map(|(_, s)| s.as_str()).collect()
    }

    /// The line as spans in `tone`, the differing words in `words`.
    pub fn spans(&self, tone: Tone, words: Tone) -> Line {
        self.pieces
            .iter()
            .map(|(emphasized, text)| {
                Span::new(text.as_str(), Some(if *emphasized { words } else { tone }))
            })
            .collect()
    }
}

pub fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(old, new);
    let mut hunks = Vec::new();
    for group in diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let mut blocks: Vec<Block> = Vec::new();
        for op in &group {
            for change in diff.iter_inline_changes(op) {
                let pieces: Vec<(bool, String)> = change
                    .iter_strings_lossy()
                    .map(|(emphasized, text)| {
                        (emphasized, clean(text.trim_end_matches(['\n', '\r'])))
                    })
                    .filter(|(_, text)| !text.is_empty())
                    .collect();
                let line = DiffLine {
                    pieces,
                    missing_newline: change.missing_newline(),
                };
                match (change.tag(), blocks.last_mut()) {
                    (ChangeTag::Equal, Some(Block::Same(lines))) => lines.push(line.text()),
                    (ChangeTag::Equal, _) => blocks.push(Block::Same(vec![line.text()])),
                    (tag, Some(Block::Edit { old, new })) => {
                        if tag == ChangeTag::Delete { old } else { new }.push(line);
                    }
                    (tag, _) => {
                        let (old, new) = if tag == ChangeTag::Delete {
                            (vec![line], Vec::new())
                        } else {
                            (Vec::new(), vec![line])
                        };
                        blocks.push(Block::Edit { old, new });
                    }
                }
            }
        }
        hunks.push(Hunk {
            old_start: old_range.start + 1,
            old_len: old_range.len(),
            new_start: new_range.start + 1,
            new_len: new_range.len(),
            blocks,
        });
    }
    hunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_those_of_diff_u() {
        let added = hunks("", "a\nb\n");
        assert_eq!(added[0].header(), "@@ -0,0 +1,2 @@");
        let removed = hunks("a\nb\n", "");
        assert_eq!(removed[0].header(), "@@ -1,2 +0,0 @@");
        let changed = hunks("a\nb\n", "a\nc\n");
        assert_eq!(changed[0].header(), "@@ -1,2 +1,2 @@");
    }

    #[test]
    fn an_edited_line_is_one_edit_block_with_its_changed_word_marked() {
        let old = "a\nb\nthe quick fox\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nthe slow fox\nc\nd\ne\nf\ng\nh\n";
        let hunks = hunks(old, new);
        assert_eq!(hunks.len(), 1);
        let hunk = &hunks[0];
        assert_eq!((hunk.old_start, hunk.old_len), (1, 6));
        let Block::Edit { old, new } = &hunk.blocks[1] else {
            panic!("{hunk:?}")
        };
        assert_eq!(old[0].text(), "the quick fox");
        assert!(old[0].pieces.contains(&(true, "quick".into())), "{old:?}");
        assert!(new[0].pieces.contains(&(true, "slow".into())), "{new:?}");
        assert!(new[0].pieces.contains(&(false, "the ".into())), "{new:?}");
    }

    #[test]
    fn distant_edits_are_separate_hunks() {
        let old: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 2\n", "line two\n")
            .replace("line 25\n", "");
        let hunks = hunks(&old, &new);
        assert_eq!(hunks.len(), 2);
        assert_eq!(hunks[1].old_start, 22);
        assert_eq!(hunks[1].old_len, 7);
        assert_eq!(hunks[1].new_len, 6);
    }
}
