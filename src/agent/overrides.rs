//! `agentctl.yaml` at the workspace root (SPEC 13): the format of files whose detection should
//! not decide. Only `format:` is read so far:
//!
//! ```yaml
//! format:
//!   "root_agent*.yaml": adk      # a glob over file names in agents/, then a format name
//!   "agents/legacy.yaml": native # a leading `agents/` is allowed
//! ```
//!
//! The first glob (in the file's order) that matches a file's name decides its format. Globs
//! know `*` (any characters) and `?` (one character). The module only reads text; finding and
//! reading the file is the workspace's.

use serde_json::Value;

use super::format::{self, FORMATS, Format};
use super::{Invalid, parse_file};

/// The name of the file, at the workspace root.
pub const FILE: &str = "agentctl.yaml";

/// What `agentctl.yaml` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    formats: Vec<(String, &'static Format)>,
}

impl Overrides {
    /// Read `agentctl.yaml`'s text; a bad value is refused at its line and column, with a
    /// `help` saying what is allowed.
    pub fn parse(bytes: &[u8]) -> Result<Overrides, Invalid> {
        let root = parse_file(bytes)?;
        let mut overrides = Overrides::default();
        for (key, value) in &root {
            if key != "format" {
                let (line, column) = locate(bytes, key);
                return Err(Invalid {
                    help: Some(
                        "agentctl.yaml takes `format:`, a mapping of file globs to format \
                         names; `sections:` and `identity:` are not supported yet"
                            .into(),
                    ),
                    ..Invalid::at(format!("unknown key `{key}` in {FILE}"), line, column)
                });
            }
            let Value::Object(globs) = value else {
                let (line, column) = locate(bytes, key);
                return Err(Invalid {
                    help: Some(
                        "write it as `format:` followed by indented lines `\"GLOB\": FORMAT`"
                            .into(),
                    ),
                    ..Invalid::at(
                        format!(
                            "`format` must be a mapping of file globs to format names, found {}",
                            super::describe(value)
                        ),
                        line,
                        column,
                    )
                });
            };
            for (glob, name) in globs {
                let found = name.as_str().and_then(format::by_name);
                let Some(found) = found else {
                    let (line, column) = locate(bytes, glob);
                    let shown = match name {
                        Value::String(name) => format!("`{name}`"),
                        other => super::describe(other).to_owned(),
                    };
                    return Err(Invalid {
                        help: Some(format!(
                            "the formats are {}",
                            FORMATS
                                .iter()
                                .map(|f| format!("`{}`", f.name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                        ..Invalid::at(format!("unknown format {shown} for `{glob}`"), line, column)
                    });
                };
                let glob = glob.strip_prefix("agents/").unwrap_or(glob);
                overrides.formats.push((glob.to_owned(), found));
            }
        }
        Ok(overrides)
    }

    /// The format `agentctl.yaml` gives the file `name` of agents/, if any.
    pub fn format_for(&self, name: &str) -> Option<&'static Format> {
        self.formats
            .iter()
            .find(|(glob, _)| matches(glob.as_bytes(), name.as_bytes()))
            .map(|(_, format)| *format)
    }
}

/// Whether `name` matches `glob` (`*` any run of characters, `?` one byte).
fn matches(glob: &[u8], name: &[u8]) -> bool {
    match (glob.split_first(), name.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => {
            matches(rest, name) || (!name.is_empty() && matches(glob, &name[1..]))
        }
        (Some((b'?', rest)), Some((_, name_rest))) => matches(rest, name_rest),
        (Some((g, rest)), Some((n, name_rest))) if g == n => matches(rest, name_rest),
        _ => false,
    }
}

/// The line and column of a mapping key in the text, quoted or not (1, 1 when not found).
fn locate(bytes: &[u8], key: &str) -> (usize, usize) {
    let text = String::from_utf8_lossy(bytes);
    for (index, line) in text.lines().enumerate() {
        let inner = line.trim_start();
        let unquoted = inner.strip_prefix(['"', '\'']).unwrap_or(inner);
        if let Some(rest) = unquoted.strip_prefix(key) {
            let rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
            if rest.trim_start().starts_with(':') {
                return (index + 1, line.len() - inner.len() + 1);
            }
        }
    }
    (1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names() {
        assert!(matches(b"*.yaml", b"root_agent.yaml"));
        assert!(matches(b"root_agent*.yaml", b"root_agent.yaml"));
        assert!(matches(b"a?c.yml", b"abc.yml"));
        assert!(!matches(b"*.yaml", b"a.yml"));
        assert!(!matches(b"a?c", b"ac"));
    }

    #[test]
    fn the_first_matching_glob_decides() {
        let overrides =
            Overrides::parse(b"format:\n  \"agents/special.yaml\": native\n  '*.yaml': adk\n")
                .unwrap();
        assert_eq!(overrides.format_for("special.yaml").unwrap().name, "native");
        assert_eq!(overrides.format_for("other.yaml").unwrap().name, "adk");
        assert_eq!(overrides.format_for("other.prompty"), None);
    }

    #[test]
    fn bad_values_are_located_with_help() {
        let e = Overrides::parse(b"format:\n  '*.yaml': adkk\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(3)));
        assert!(e.message.contains("unknown format `adkk`"), "{e:?}");
        assert!(e.help.unwrap().contains("`adk`"));
        let e = Overrides::parse(b"# x\nsections: {}\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert!(e.help.unwrap().contains("not supported yet"));
        let e = Overrides::parse(b"format: adk\n").unwrap_err();
        assert!(e.message.contains("found a string"), "{e:?}");
        let e = Overrides::parse(b"format:\n  x: [1\n").unwrap_err();
        assert!(e.line.is_some(), "{e:?}");
    }
}
