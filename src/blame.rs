//! Which publish last set each field of a snapshot, worked out from the changes recorded by
//! path (see `store::changes`), never from old snapshots.
//!
//! A field's publish is the newest one, up to the snapshot's version, with a change at the
//! field, under it, or above it setting a value that holds it (the publish that added a tool
//! set every field of that tool). Fields are the keyed items, the scalar leaves, the plain lists
//! (whole) and empty mappings; multi-line strings are also blamed line by line, like
//! `git blame`, from the line versions recorded with the publish that last set them.

use serde_json::Value;

use crate::agent::Config;
use crate::agent::format::Format;
use crate::change::{Path, Segment, is_multiline};
use crate::error::{Error, Result};
use crate::store::Store;

/// One field and the version that last set it.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub path: Path,
    pub version: u64,
}

/// One line of a multi-line string and the version that last changed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    pub version: u64,
}

#[derive(Debug, Default, PartialEq)]
pub struct Blame {
    /// Grouped by section in the order of [`Section::ALL`], each in document order.
    pub fields: Vec<Field>,
    /// Each multi-line string field, in the order of `fields`, with its lines.
    pub lines: Vec<(Path, Vec<Line>)>,
}

/// Blame `snapshot`, the configuration of `agent` at `version`, whose changes were recorded
/// by `rules` (its format, with the sections and identity `agentctl.yaml` gave then): the walk
/// names fields by the paths those rules give, which are the paths its publishes recorded.
pub fn blame(
    store: &Store,
    rules: &Format,
    agent: &str,
    version: u64,
    snapshot: &Config,
) -> Result<Blame> {
    let walk = Walk {
        store,
        agent,
        upto: version,
        format: rules,
    };
    let mut blame = Blame::default();
    let mut keys: Vec<&String> = snapshot.keys().collect();
    keys.sort_by_key(|key| walk.format.section_of(key));
    for key in keys {
        let path = Path(vec![Segment::Key(key.clone())]);
        walk.node(&path, &snapshot[key.as_str()], None, &mut blame)?;
    }
    Ok(blame)
}

struct Walk<'a> {
    store: &'a Store,
    agent: &'a str,
    upto: u64,
    /// Which lists are keyed (their items are fields of their own).
    format: &'a Format,
}

impl Walk<'_> {
    /// Blame the node `value` at `path`; `above` is the newest version that set a value above
    /// it (and so set it too).
    fn node(&self, path: &Path, value: &Value, above: Option<u64>, out: &mut Blame) -> Result<()> {
        let keyed_list = value
            .as_array()
            .is_some_and(|items| self.format.is_keyed_at(&path.0, &[items]));
        let is_item = matches!(path.0.last(), Some(Segment::Item(_)));
        let children: Vec<(Segment, &Value)> = match value {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (Segment::Key(k.clone()), v))
                .collect(),
            Value::Array(items) if keyed_list => items
                .iter()
                .filter_map(|item| {
                    Some((
                        Segment::Item(self.format.identity_at(&path.0, item)?.to_owned()),
                        item,
                    ))
                })
                .collect(),
            _ => Vec::new(),
        };
        if is_item || children.is_empty() {
            let version = self.field(path, above)?;
            out.fields.push(Field {
                path: path.clone(),
                version,
            });
            if let Some(text) = value.as_str().filter(|s| is_multiline(s)) {
                let lines = self.lines(path, text, version)?;
                out.lines.push((path.clone(), lines));
            }
        }
        if !children.is_empty() {
            let set_here = self.store.settings(self.agent, path, self.upto, Some(1))?;
            let set_here = set_here.first().copied();
            let above = above.max(set_here);
            for (segment, child) in children {
                self.node(&path.child(segment), child, above, out)?;
            }
        }
        Ok(())
    }

    /// The newest version that changed the field itself or anything under it, or set a value
    /// above it.
    fn field(&self, path: &Path, above: Option<u64>) -> Result<u64> {
        let touched = self.store.last_touched(self.agent, path, self.upto)?;
        touched.max(above).ok_or_else(|| {
            Error::new(format!(
                "the store records no change that set {path} of {}",
                self.agent
            ))
            .hint("the changes recorded in the store are incomplete")
        })
    }

    /// Each line of the string `text` at `path` with the version that last changed it, as
    /// recorded with the publish that set the text.
    fn lines(&self, path: &Path, text: &str, version: u64) -> Result<Vec<Line>> {
        let lines: Vec<&str> = text.lines().collect();
        let versions = self
            .store
            .line_versions(self.agent, path, self.upto, lines.len())?
            .unwrap_or_else(|| vec![version; lines.len()]);
        Ok(lines
            .into_iter()
            .zip(versions)
            .map(|(text, version)| Line {
                text: text.to_owned(),
                version,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::history;
    use serde_json::json;

    /// (path, version) of each field, and the version of each line of each text.
    fn blame_of(configs: &[Value]) -> (Vec<String>, Vec<(String, Vec<u64>)>) {
        let (_dir, store) = history(configs);
        let head = store.head("a").unwrap().unwrap();
        let snapshot = store.snapshot(&head).unwrap();
        let rules = crate::agent::format::detect(&snapshot);
        let blame = blame(&store, rules, "a", head.version, &snapshot).unwrap();
        let fields = blame
            .fields
            .iter()
            .map(|f| format!("{} v{}", f.path, f.version))
            .collect();
        let lines = blame
            .lines
            .iter()
            .map(|(p, lines)| (p.to_string(), lines.iter().map(|l| l.version).collect()))
            .collect();
        (fields, lines)
    }

    #[test]
    fn fields_name_the_publish_that_last_set_them() {
        let (fields, _) = blame_of(&[
            json!({"name": "x", "model": {"t": 1, "stop": ["a"]}, "tools": [{"name": "w", "p": {"q": 1}}]}),
            json!({"name": "x", "model": {"t": 2, "stop": ["a"]}, "tools": [{"name": "w", "p": {"q": 1}}]}),
            // A field of the tool changes, then one is removed: the tool counts both.
            json!({"name": "x", "model": {"t": 2, "stop": ["a", "b"]}, "tools": [{"name": "w", "p": {"q": 2, "r": 0}}]}),
            json!({"name": "x", "model": {"t": 2, "stop": ["a", "b"]}, "tools": [{"name": "w", "p": {"q": 2}}], "extra": {}}),
        ]);
        assert_eq!(
            fields,
            [
                "name v1",
                "model.t v2",
                "model.stop v3",
                "extra v4",
                "tools[w] v4",
                "tools[w].name v1",
                "tools[w].p.q v3",
            ]
        );
    }

    #[test]
    fn a_value_set_above_sets_the_fields_inside_it() {
        let (fields, _) = blame_of(&[
            json!({"name": "x", "model": "gpt", "tools": [{"name": "a"}]}),
            json!({"name": "x", "model": {"t": 1}, "tools": [{"name": "a"}, {"name": "w", "d": 1}]}),
            // A reorder moves items; it sets nothing inside them.
            json!({"name": "x", "model": {"t": 1}, "tools": [{"name": "w", "d": 1}, {"name": "a"}]}),
        ]);
        assert_eq!(
            fields,
            [
                "name v1",
                "model.t v2",
                "tools[w] v2",
                "tools[w].name v2",
                "tools[w].d v2",
                "tools[a] v1",
                "tools[a].name v1",
            ]
        );
    }

    #[test]
    fn lines_name_the_publish_that_last_changed_them() {
        let (_, lines) = blame_of(&[
            json!({"name": "x", "instructions": "one"}),
            json!({"name": "x", "instructions": "one\ntwo\nthree\n"}),
            json!({"name": "x", "instructions": "one\n2\nthree\n", "model": {"t": 1}}),
            json!({"name": "x", "instructions": "zero\none\n2\nthree\n", "model": {"t": 2}}),
        ]);
        assert_eq!(lines, [("instructions".to_owned(), vec![4, 1, 3, 2])]);
    }

    #[test]
    fn lines_of_an_item_start_where_the_item_was_last_added() {
        let (_, lines) = blame_of(&[
            json!({"name": "x", "tools": [{"name": "w", "d": "a\nb\n"}]}),
            json!({"name": "x", "tools": [{"name": "w", "d": "a\nc\n"}]}),
            json!({"name": "x", "tools": []}),
            json!({"name": "x", "tools": [{"name": "w", "d": "a\nc\nd\n"}]}),
            json!({"name": "x", "tools": [{"name": "w", "d": "a\nc\ne\n"}]}),
        ]);
        // Removed in v3 and added back in v4: nothing before v4 counts.
        assert_eq!(lines, [("tools[w].d".to_owned(), vec![4, 4, 5])]);
    }
}
