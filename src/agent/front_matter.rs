//! Agent files that are YAML front matter and a body (SPEC 13): a `.prompty` file, or a `.md`
//! file that starts with a `---` line. The front matter is the agent; the body, everything after
//! the closing `---` line byte for byte, is its `instructions`.

/// The file extensions whose agents are front matter and a body.
pub const EXTENSIONS: [&str; 2] = ["prompty", "md"];

/// The key the body is read into.
pub const BODY_KEY: &str = "instructions";

/// A front-matter file cut at its two `---` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'t> {
    /// From the opening `---` line (kept: YAML reads it as the start of the document, and the
    /// line numbers of the file stay those of the front matter) up to the closing line.
    pub matter: &'t str,
    /// The closing `---` line, with its line break.
    pub closing: &'t str,
    /// Everything after it.
    pub body: &'t str,
}

/// Whether `line` (with or without its line break) is a `---` marker line.
fn is_marker(line: &str) -> bool {
    line.trim_end_matches(['\n', '\r'])
        .trim_end_matches([' ', '\t'])
        == "---"
}

/// Whether a text starts as front matter does: its first line is `---`.
pub fn starts_with_marker(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split_inclusive('\n').next().is_some_and(is_marker)
}

/// Cut a text (without a byte-order mark) into front matter, closing line and body; `None`
/// when it does not start with a `---` line or has no closing one.
pub fn split(text: &str) -> Option<Split<'_>> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next()?;
    if !is_marker(first) || !first.ends_with('\n') {
        return None;
    }
    let mut at = first.len();
    for line in lines {
        if is_marker(line) {
            return Some(Split {
                matter: &text[..at],
                closing: &text[at..at + line.len()],
                body: &text[at + line.len()..],
            });
        }
        at += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_first_two_marker_lines_keeping_every_byte() {
        let text = "---\nname: a\n---  \r\nbody\n---\nmore";
        let parts = split(text).unwrap();
        assert_eq!(parts.matter, "---\nname: a\n");
        assert_eq!(parts.closing, "---  \r\n");
        assert_eq!(parts.body, "body\n---\nmore");
        assert_eq!(
            format!("{}{}{}", parts.matter, parts.closing, parts.body),
            text
        );
        assert_eq!(split("---\nname: a\n---").unwrap().body, "");
    }

    #[test]
    fn no_front_matter_without_both_markers() {
        assert_eq!(split("name: a\n---\nbody\n"), None);
        assert_eq!(split("---\nname: a\n"), None);
        assert_eq!(split("----\nname: a\n---\n"), None);
        assert!(starts_with_marker("\u{feff}---\r\nx: 1\n"));
        assert!(!starts_with_marker("# Title\n---\n"));
    }
}
