//! Which publish last set each field of a snapshot, worked out from the changes recorded by
//! path (see `store::changes`), never from old snapshots.
//!
//! A field's publish is the newest one, up to the snapshot's version, with a change at the
//! field, under it, or above it setting a value that holds it (the publish that added a tool
//! set every field of that tool). Fields are the keyed items, the scalar leaves, the plain lists
//! (whole) and empty mappings; multi-line strings are also followed line by line, like
//! `git blame`, through the versions of that one field.

use serde_json::Value;

use crate::agent::{Config, KEYED_LISTS, Section, item_identity};
use crate::change::{Path, Segment, value_at};
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

/// Blame `snapshot`, the configuration of `agent` at `version`.
pub fn blame(store: &Store, agent: &str, version: u64, snapshot: &Config) -> Result<Blame> {
    let walk = Walk {
        store,
        agent,
        upto: version,
    };
    let mut blame = Blame::default();
    let mut keys: Vec<&String> = snapshot.keys().collect();
    keys.sort_by_key(|key| Section::of_key(key));
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
}

impl Walk<'_> {
    /// Blame the node `value` at `path`; `above` is the newest version that set a value above
    /// it (and so set it too).
    fn node(&self, path: &Path, value: &Value, above: Option<u64>, out: &mut Blame) -> Result<()> {
        let keyed_list = path.0.len() == 1
            && KEYED_LISTS
                .iter()
                .any(|k| path.0[0] == Segment::Key((*k).into()));
        let is_item = matches!(path.0.last(), Some(Segment::Item(_)));
        let children: Vec<(Segment, &Value)> = match value {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (Segment::Key(k.clone()), v))
                .collect(),
            Value::Array(items) if keyed_list => items
                .iter()
                .filter_map(|item| Some((Segment::Item(item_identity(item)?.to_owned()), item)))
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

    /// Each line of the string `text` at `path` with the version that last changed it: walk
    /// back through the versions that set this field (or a value above it), diffing each
    /// version's text with the one before, until every line has found its version.
    fn lines(&self, path: &Path, text: &str, newest: u64) -> Result<Vec<Line>> {
        let mut setters: Vec<(u64, Path)> = Vec::new();
        for setter in path.ancestors().chain([path.clone()]) {
            for version in self.store.settings(self.agent, &setter, self.upto, None)? {
                setters.push((version, setter.clone()));
            }
        }
        setters.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
        setters.dedup_by_key(|(version, _)| *version);

        let lines: Vec<&str> = text.lines().collect();
        let mut versions = vec![newest; lines.len()];
        // The lines not yet attributed: (index in `lines`, index in `current`), where
        // `current` is the text as `version` set it.
        let mut open: Vec<(usize, usize)> = (0..lines.len()).map(|i| (i, i)).collect();
        let mut current: Vec<String> = lines.iter().map(|&l| l.to_owned()).collect();
        let mut setters = setters.into_iter();
        let mut version = setters.next().map_or(newest, |(v, _)| v);
        while !open.is_empty() {
            let before = match setters.next() {
                Some((older, setter)) => {
                    let value = self.store.value_set(self.agent, &setter, older)?;
                    let text = value
                        .as_ref()
                        .and_then(|v| value_at(v, &path.0[setter.0.len()..]))
                        .and_then(Value::as_str);
                    text.map(|t| (older, t.lines().map(str::to_owned).collect::<Vec<_>>()))
                }
                None => None,
            };
            let Some((older, before)) = before else {
                // The field did not exist, or was not text, before `version`: it wrote the rest.
                for (line, _) in open.drain(..) {
                    versions[line] = version;
                }
                break;
            };
            let kept = unchanged_lines(&before, &current);
            open.retain_mut(|(line, at)| match kept[*at] {
                Some(old_at) => {
                    *at = old_at;
                    true
                }
                None => {
                    versions[*line] = version;
                    false
                }
            });
            current = before;
            version = older;
        }
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

/// Whether a string is shown and blamed as several lines.
pub fn is_multiline(text: &str) -> bool {
    text.trim_end().contains('\n')
}

/// For each line of `new`, its position in `old` when the line diff keeps it.
fn unchanged_lines(old: &[String], new: &[String]) -> Vec<Option<usize>> {
    let mut kept = vec![None; new.len()];
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, old, new) {
        if let similar::DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for i in 0..len {
                kept[new_index + i] = Some(old_index + i);
            }
        }
    }
    kept
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
        let blame = blame(&store, "a", head.version, &snapshot).unwrap();
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

    #[test]
    fn unchanged_lines_follow_the_diff() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let kept = unchanged_lines(&s(&["a", "b", "c"]), &s(&["a", "x", "b", "c", "d"]));
        assert_eq!(kept, [Some(0), None, Some(1), Some(2), None]);
    }
}
