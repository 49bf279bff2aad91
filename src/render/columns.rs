//! Text measured in display columns and wrapped to a width: what makes a column of the
//! side-by-side view (or a line of the stacked one) fit without cutting anything off.
//!
//! Widths are those of a terminal (`unicode-width`): wide CJK characters and most emoji take
//! two columns, combining marks none. Text is broken at spaces; a word wider than its column
//! is broken between characters, never dropped.

use unicode_width::UnicodeWidthStr;

use crate::ui::{Tone, paint};

/// Columns a tab stands for inside a column; a tab's own width depends on where it falls.
const TAB: &str = "    ";

/// A piece of text and what it means (`None`: plain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub tone: Option<Tone>,
}

impl Span {
    pub fn new(text: impl Into<String>, tone: Option<Tone>) -> Span {
        Span {
            text: text.into(),
            tone,
        }
    }

    pub fn plain(text: impl Into<String>) -> Span {
        Span::new(text, None)
    }
}

/// One line of a view, as spans.
pub type Line = Vec<Span>;

/// Display columns of `text`.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

pub fn line_width(line: &[Span]) -> usize {
    width(&plain(line))
}

fn plain(line: &[Span]) -> String {
    line.iter().map(|s| s.text.as_str()).collect()
}

/// The line as terminal text, painted when `color`.
pub fn draw(line: &[Span], color: bool) -> String {
    line.iter()
        .map(|span| match span.tone {
            Some(tone) => paint(&span.text, tone, color),
            None => span.text.clone(),
        })
        .collect()
}

/// The line drawn and padded with spaces to `columns` display columns.
pub fn draw_padded(line: &[Span], columns: usize, color: bool) -> String {
    let pad = columns.saturating_sub(line_width(line));
    format!("{}{}", draw(line, color), " ".repeat(pad))
}

/// `spans` (one line of text, no newlines) broken into lines of at most `columns` display
/// columns. Spaces at a break are dropped; everything else is kept, in order. Always at least
/// one line.
pub fn wrap(spans: &[Span], columns: usize) -> Vec<Line> {
    let columns = columns.max(1);
    // Most lines fit: they come back as they are, without being split into words and
    // measured word by word (which `log` and the diff views paid on every line).
    if spans.iter().all(|s| !s.text.contains('\t')) && line_width(spans) <= columns {
        let mut line: Line = Vec::with_capacity(spans.len());
        for span in spans.iter().filter(|s| !s.text.is_empty()) {
            match line.last_mut() {
                Some(last) if last.tone == span.tone => last.text.push_str(&span.text),
                _ => line.push(span.clone()),
            }
        }
        return vec![line];
    }
    wrap_words(spans, columns)
}

/// [`wrap`] word by word.
fn wrap_words(spans: &[Span], columns: usize) -> Vec<Line> {
    let mut out = Wrapped {
        lines: vec![Vec::new()],
        current: String::new(),
    };
    for (is_space, word) in words(spans) {
        let text = plain(&word);
        if out.fits(&text, columns) {
            out.push(&word);
        } else if is_space {
            // The break falls here; the spaces go with it.
            out.break_line();
        } else {
            if !out.current.is_empty() {
                out.break_line();
            }
            if width(&text) <= columns {
                out.push(&word);
            } else {
                out.push_broken(&word, columns);
            }
        }
    }
    out.lines
}

/// Marks the lines that continue a wrapped diff line, so they do not pass for lines of their
/// own.
pub const CONTINUED: &str = "↪";

/// A path wrapped to `width` columns before its segments (`.key`, `[item]`) where it can,
/// between characters only where one segment alone is too wide: siblings deep in a file
/// (`…Functions[set_value_for_key].Parameters.key`) stay whole and distinguishable.
pub fn wrap_path(path: &str, columns: usize, tone: Option<Tone>) -> Vec<Line> {
    let mut lines: Vec<String> = vec![String::new()];
    let mut segment_start = 0;
    let mut segments = Vec::new();
    for (i, c) in path.char_indices() {
        if i > 0 && (c == '.' || c == '[') && !path[..i].ends_with(['.', '[']) {
            segments.push(&path[segment_start..i]);
            segment_start = i;
        }
    }
    segments.push(&path[segment_start..]);
    for segment in segments {
        let last = lines.last_mut().expect("at least one line");
        if width(last) + width(segment) <= columns {
            last.push_str(segment);
        } else if width(segment) <= columns {
            lines.push(segment.to_owned());
        } else {
            for piece in wrap(&[Span::plain(segment)], columns) {
                let piece: String = piece.iter().map(|s| s.text.as_str()).collect();
                let last = lines.last_mut().expect("at least one line");
                if last.is_empty() {
                    last.push_str(&piece);
                } else {
                    lines.push(piece);
                }
            }
        }
    }
    lines
        .into_iter()
        .map(|l| vec![Span::new(l, tone)])
        .collect()
}

/// A line of YAML or text wrapped so that its shape survives: continuation lines keep the
/// line's indentation and are marked [`CONTINUED`], so a wrapped `description:` does not pass
/// for a key at another level. With a `mark` (a diff line's `+`, `-` or space), the mark
/// column holds `↪` on continuation lines; without, `↪ ` follows the indentation.
pub fn wrap_hanging(mark: Option<Span>, text: &[Span], columns: usize) -> Vec<Line> {
    let columns = columns.max(1);
    let plain_text = plain(text);
    let indent = (plain_text.len() - plain_text.trim_start_matches(' ').len()).min(columns / 2);
    let mut rest: Line = Vec::new();
    let mut skip = indent;
    for span in text {
        let kept = span.text.len() - span.text[..skip.min(span.text.len())].len();
        let taken = span.text.len() - kept;
        skip -= taken;
        if kept > 0 {
            rest.push(Span::new(&span.text[taken..], span.tone));
        }
    }
    let pad = Span::plain(" ".repeat(indent));
    let continued = Span::new(CONTINUED, Some(Tone::Dim));
    let mark_width = mark.as_ref().map_or(0, |m| width(&m.text) + 1);
    let room = columns.saturating_sub(mark_width + indent).max(1);
    let mut lines = wrap(&rest, room);
    if lines.len() > 1 && mark.is_none() {
        // Room for the `↪ ` after the indentation.
        lines = wrap(&rest, room.saturating_sub(2).max(1));
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, mut line)| {
            let prefix = match (&mark, i) {
                (Some(mark), 0) => vec![mark.clone(), Span::plain(" "), pad.clone()],
                (Some(_), _) => vec![continued.clone(), Span::plain(" "), pad.clone()],
                (None, 0) => vec![pad.clone()],
                (None, _) => vec![pad.clone(), continued.clone(), Span::plain(" ")],
            };
            line.splice(0..0, prefix.into_iter().filter(|s| !s.text.is_empty()));
            trim_end(&mut line);
            line
        })
        .collect()
}

/// Drop the spaces a line ends with.
pub fn trim_end(line: &mut Line) {
    while let Some(last) = line.last_mut() {
        let kept = last.text.trim_end_matches(' ').len();
        last.text.truncate(kept);
        if !last.text.is_empty() {
            break;
        }
        line.pop();
    }
}

struct Wrapped {
    lines: Vec<Line>,
    /// The plain text of the last line, to measure it.
    current: String,
}

impl Wrapped {
    fn fits(&self, text: &str, columns: usize) -> bool {
        width(&format!("{}{text}", self.current)) <= columns
    }

    fn push(&mut self, spans: &[Span]) {
        for span in spans {
            self.push_str(&span.text, span.tone);
        }
    }

    fn push_str(&mut self, text: &str, tone: Option<Tone>) {
        self.current.push_str(text);
        let line = self.lines.last_mut().expect("always a line");
        match line.last_mut() {
            Some(last) if last.tone == tone => last.text.push_str(text),
            _ => line.push(Span::new(text, tone)),
        }
    }

    /// A word wider than the column, character by character. A character that cannot fit even
    /// alone (a wide one in a one-column space) takes a line of its own.
    fn push_broken(&mut self, word: &[Span], columns: usize) {
        for span in word {
            for c in span.text.chars() {
                let mut buf = [0; 4];
                let c = c.encode_utf8(&mut buf);
                if !self.current.is_empty() && !self.fits(c, columns) {
                    self.break_line();
                }
                self.push_str(c, span.tone);
            }
        }
    }

    fn break_line(&mut self) {
        // Trailing spaces before a break are invisible; dropping them keeps widths honest.
        trim_end(self.lines.last_mut().expect("always a line"));
        self.lines.push(Vec::new());
        self.current.clear();
    }
}

/// Runs of spaces and runs of other characters, each as the spans it covers: a word may be
/// painted in parts (a highlighted suffix) and still wraps as one word. Tabs become spaces.
fn words(spans: &[Span]) -> Vec<(bool, Line)> {
    let mut out: Vec<(bool, Line)> = Vec::new();
    for span in spans {
        let text = span.text.replace('\t', TAB);
        let mut start = 0;
        while start < text.len() {
            let is_space = text[start..].starts_with(' ');
            let end = text[start..]
                .find(|c: char| (c == ' ') != is_space)
                .map_or(text.len(), |i| start + i);
            let piece = Span::new(&text[start..end], span.tone);
            match out.last_mut() {
                Some((space, word)) if *space == is_space => word.push(piece),
                _ => out.push((is_space, vec![piece])),
            }
            start = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| plain(l)).collect()
    }

    #[test]
    fn wrapped_yaml_keeps_its_indentation_and_marks_continuations() {
        let text = [Span::plain(
            "    description: Search the public web for news",
        )];
        assert_eq!(
            texts(&wrap_hanging(None, &text, 24)),
            [
                "    description:",
                "    ↪ Search the public",
                "    ↪ web for news"
            ]
        );
        assert_eq!(
            texts(&wrap_hanging(Some(Span::plain("+")), &text, 24)),
            [
                "+     description:",
                "↪     Search the public",
                "↪     web for news"
            ]
        );
        // What fits is left alone.
        assert_eq!(texts(&wrap_hanging(None, &text, 80)), [plain(&text)]);
        assert_eq!(
            texts(&wrap_hanging(
                Some(Span::plain(" ")),
                &[Span::plain("  a: 1")],
                80
            )),
            ["    a: 1"]
        );
    }

    #[test]
    fn widths_are_display_columns() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("日本"), 4);
        assert_eq!(width("e\u{301}"), 1, "a combining mark takes no column");
        assert_eq!(width("🙂"), 2);
    }

    #[test]
    fn wraps_at_spaces() {
        let lines = wrap(&[Span::plain("the quick brown fox jumps")], 10);
        assert_eq!(texts(&lines), ["the quick", "brown fox", "jumps"]);
    }

    #[test]
    fn breaks_a_word_only_when_it_is_wider_than_the_column() {
        let lines = wrap(&[Span::plain("a abcdefghij b")], 4);
        assert_eq!(texts(&lines), ["a", "abcd", "efgh", "ij b"]);
    }

    #[test]
    fn wide_characters_count_twice() {
        let lines = wrap(&[Span::plain("日本語のテキスト")], 5);
        assert_eq!(texts(&lines), ["日本", "語の", "テキ", "スト"]);
    }

    #[test]
    fn keeps_indentation_and_painted_parts() {
        let spans = [
            Span::plain("  key: val"),
            Span::new("ue", Some(Tone::Added)),
            Span::plain(" more"),
        ];
        let lines = wrap(&spans, 12);
        assert_eq!(texts(&lines), ["  key: value", "more"]);
        assert_eq!(lines[0][1], Span::new("ue", Some(Tone::Added)));
    }

    #[test]
    fn empty_text_is_one_empty_line() {
        assert_eq!(wrap(&[], 10), vec![Vec::<Span>::new()]);
        assert_eq!(texts(&wrap(&[Span::plain("")], 10)), [""]);
    }

    proptest! {
        /// A line that fits comes back as the word-by-word wrap would give it.
        #[test]
        fn a_line_that_fits_is_the_word_by_word_wrap(
            parts in proptest::collection::vec(("[a-z 日é\u{301}]{0,12}", 0u8..3), 0..6),
            columns in 1usize..120,
        ) {
            let tones = [None, Some(Tone::Added), Some(Tone::Removed)];
            let spans: Vec<Span> = parts
                .into_iter()
                .map(|(text, tone)| Span::new(text, tones[usize::from(tone)]))
                .collect();
            prop_assert_eq!(wrap(&spans, columns), wrap_words(&spans, columns.max(1)));
        }

        /// No line is wider than the column, and nothing but spaces at breaks is lost.
        #[test]
        fn wrapping_fits_and_loses_nothing(
            text in "[a-z 日本🙂é\u{301}\t]{0,80}",
            columns in 2usize..30,
        ) {
            let lines = wrap(&[Span::plain(text.clone())], columns);
            for line in texts(&lines) {
                prop_assert!(width(&line) <= columns, "{:?} is wider than {}", line, columns);
            }
            let kept: String = texts(&lines).concat().replace(' ', "");
            prop_assert_eq!(kept, text.replace(['\t', ' '], ""));
        }
    }
}
