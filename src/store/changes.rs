//! The changes of every publish, kept queryable by path: what `log --touching` and `blame` read
//! instead of old snapshots.
//!
//! A change at `tools[x].description` is recorded as a row at that path with its kind, plus a
//! row without a kind at each path above it (`tools[x]`, `tools`): "something under here
//! changed". So the publishes that touched a path or anything under it are one range of the
//! (agent, path, version) key, however long the history; the rows with a kind that set a value
//! (added, removed, changed) have their own index, for the questions about paths above.
//!
//! Values are kept only where a later question needs them: mappings and lists that a change
//! set (does an added `tools[x]` hold a `description`?). That question is about the value's
//! shape, so only its shape is kept: the same keys, items and identities (`name`, `id`), with
//! every other scalar replaced by `null` (see [`shape`]). A kept shape that zstd makes smaller
//! (the whole `tools` list of a first publish) is stored as a zstd BLOB, the others as JSON text.
//! A multi-line string set by a change gets the version that
//! last changed each of its lines, carried over from the text before through a line diff, so
//! per-line blame reads one row however often the text was edited.
//!
//! Those per-line versions are as long as the text (a 50 KB prompt has hundreds of lines), and
//! most edits change one line: so every `LINES_CHAIN`th row (in `sqlite::changes`; PostgreSQL keeps all as text) at a path keeps them as JSON
//! text, and the rows between as a zstd delta (a BLOB) against the row before at the same path.
//! Reading one decodes at most that many small deltas.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::change::{self, Change, Kind, Path, is_multiline, value_at_with};
use crate::error::{Error, Result};

/// A change that set the value at a path: its version and the old and new values it kept
/// (JSON, for mappings and lists only).
pub type Setting = (u64, Option<String>, Option<String>);

/// Whether a kept value (JSON text) holds something at `below`, finding items by `identity`
/// (the recording entry's agentctl.yaml identifying keys) as well as by every format's own.
pub(super) fn holds(
    kept: Option<&str>,
    below: &[change::Segment],
    identity: &[String],
) -> Result<bool> {
    let identity: Vec<&str> = identity.iter().map(String::as_str).collect();
    match kept {
        Some(text) => Ok(value_at_with(&decode_value(text)?, below, &identity).is_some()),
        None => Ok(false),
    }
}

/// One row to record: the change at this path, if any, and the values kept.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Row {
    pub(super) kind: Option<&'static str>,
    pub(super) old: Option<String>,
    pub(super) new: Option<String>,
}

/// The rows a publish's changes make, by path; `identity` are the identifying keys its
/// recorded rules add (agentctl.yaml's `identity:`), kept in shapes with every format's own.
pub(super) fn rows(changes: &[Change], identity: &[String]) -> BTreeMap<String, Row> {
    rows_keeping(changes, &identity_keys(identity), identifies)
}

/// The rows as agentctl made them up to commit bceae13, whose shapes kept an identity only
/// when it was a string (`KnowledgeBaseId: !Ref X` became `{"Ref": null}`): what `verify`
/// compares entries recorded then with.
pub(super) fn rows_bceae13(changes: &[Change], identity: &[String]) -> BTreeMap<String, Row> {
    rows_keeping(changes, &identity_keys(identity), Value::is_string)
}

/// Every format's identifying keys, and `identity`'s.
fn identity_keys(identity: &[String]) -> Vec<&str> {
    let mut keys = crate::agent::format::ANY_IDENTITY.to_vec();
    keys.extend(identity.iter().map(String::as_str));
    keys
}

/// The rows as stores made them before SPEC 13, whose shapes kept only `name` and `id` (and
/// only as strings): what `verify` compares older entries with.
pub(super) fn legacy_rows(changes: &[Change]) -> BTreeMap<String, Row> {
    rows_keeping(changes, &["name", "id"], Value::is_string)
}

/// Whether a value at an identifying key names its item, so a shape keeps it whole: what
/// finds the item by that name ([`value_at_with`]) accepts, a reference such as
/// `{"Ref": "X"}` included.
fn identifies(value: &Value) -> bool {
    crate::agent::format::identifying_text(value).is_some()
}

fn rows_keeping(
    changes: &[Change],
    identities: &[&str],
    kept: fn(&Value) -> bool,
) -> BTreeMap<String, Row> {
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for change in changes {
        for ancestor in change.path.ancestors() {
            rows.entry(ancestor.to_string()).or_default();
        }
        let kind = if change.is_reorder() {
            "reordered"
        } else {
            change.kind.as_str()
        };
        // A reorder's values (lists of names) answer no question: only settings are read.
        let keep = |value: &Value| {
            (kind != "reordered" && is_container(value))
                .then(|| shape_keeping(value, identities, kept).to_string())
        };
        let (kept_old, kept_new) = (keep(&change.old), keep(&change.new));
        let row = rows.entry(change.path.to_string()).or_default();
        if row.kind.is_none() {
            *row = Row {
                kind: Some(kind),
                old: kept_old,
                new: kept_new,
            };
        } else {
            // A plain list can lose an entry at one position and gain another at the same
            // number: together, that position changed.
            row.kind = Some(Kind::Changed.as_str());
            row.old = row.old.take().or(kept_old);
            row.new = row.new.take().or(kept_new);
        }
    }
    rows
}

fn is_container(value: &Value) -> bool {
    value.is_object() || value.is_array()
}

/// What a kept value must answer, [`holds`]: whether something is at a path below it. So its
/// keys, its items and their identities (`name`, `id` or a format's own key, see
/// `format::ANY_IDENTITY`, as a string or a reference such as `KnowledgeBaseId: !Ref X`) are
/// kept, and every other scalar becomes `null`, which is still something there.
pub(super) fn shape(value: &Value) -> Value {
    shape_keeping(value, &crate::agent::format::ANY_IDENTITY, identifies)
}

/// [`shape`], keeping the values at the keys `identities` that `kept` accepts.
fn shape_keeping(value: &Value, identities: &[&str], kept: fn(&Value) -> bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let shaped = if identities.contains(&key.as_str()) && kept(value) {
                        value.clone()
                    } else {
                        shape_keeping(value, identities, kept)
                    };
                    (key.clone(), shaped)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| shape_keeping(item, identities, kept))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// For a change that sets a multi-line string: the version that last changed each of its
/// lines. A line that the line diff keeps from the text before keeps that line's version;
/// every other line is this change's.
pub(super) fn line_versions(
    conn: &impl Recorded,
    agent: &str,
    version: u64,
    change: &Change,
) -> Result<Option<Vec<u64>>> {
    let Some(new) = change.new.as_str().filter(|text| is_multiline(text)) else {
        return Ok(None);
    };
    let new: Vec<&str> = new.lines().collect();
    let mut versions = vec![version; new.len()];
    if let (Kind::Changed, Some(old)) = (change.kind, change.old.as_str()) {
        let old: Vec<&str> = old.lines().collect();
        // A store whose older changes were never recorded gives this version to every line.
        if let Some(before) = lines_as_of(
            conn,
            agent,
            &change.path,
            version.saturating_sub(1),
            old.len(),
        )? {
            for (line, kept) in unchanged_lines(&old, &new).into_iter().enumerate() {
                if let Some(kept) = kept {
                    versions[line] = before[kept];
                }
            }
        }
    }
    Ok(Some(versions))
}

/// The version that last changed each of the `count` lines of the text at `path` as of
/// version `upto`: as recorded with the change that set the text, or, when a value above it
/// set it (or it was a single line), that change's version for every line. `None` when no
/// recorded change set it.
pub(super) fn lines_as_of(
    conn: &impl Recorded,
    agent: &str,
    path: &Path,
    upto: u64,
    count: usize,
) -> Result<Option<Vec<u64>>> {
    let mut newest: Option<(u64, Path)> = None;
    for setter in path.ancestors().chain([path.clone()]) {
        if let Some(&version) = conn.settings(agent, &setter, upto, Some(1))?.first()
            && newest.as_ref().is_none_or(|(n, _)| version > *n)
        {
            newest = Some((version, setter));
        }
    }
    let Some((version, setter)) = newest else {
        return Ok(None);
    };
    if setter == *path
        && let Some(versions) = conn.recorded_lines(agent, &path.to_string(), version)?
        && versions.len() == count
    {
        return Ok(Some(versions));
    }
    Ok(Some(vec![version; count]))
}

/// What per-line versions are carried over from: the changes recorded before, in either store.
pub(super) trait Recorded {
    /// The versions up to `upto` that set the value at exactly `path`, newest first.
    fn settings(
        &self,
        agent: &str,
        path: &Path,
        upto: u64,
        limit: Option<usize>,
    ) -> Result<Vec<u64>>;
    /// The per-line versions recorded at `path` by `version` exactly, if that row holds them.
    fn recorded_lines(&self, agent: &str, path: &str, version: u64) -> Result<Option<Vec<u64>>>;
}

/// For each line of `new`, its position in `old` when the line diff keeps it.
fn unchanged_lines(old: &[&str], new: &[&str]) -> Vec<Option<usize>> {
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

pub(super) fn decode_value(text: &str) -> Result<Value> {
    // Values nest as deep as the configurations they come from; see `decode_snapshot`.
    let mut reader = serde_json::Deserializer::from_str(text);
    reader.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut reader)
        .map_err(|e| Error::new(format!("a recorded change in the store is damaged: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::value_at;
    use crate::store::Store;
    use crate::store::testing::{config, history};
    use serde_json::json;

    fn touching(store: &Store, path: &str) -> Vec<u64> {
        let path = Path::parse(path).unwrap();
        store
            .touching("a", &path, None)
            .unwrap()
            .iter()
            .map(|e| e.version)
            .collect()
    }

    #[test]
    fn a_change_is_recorded_at_its_path_and_above() {
        let changes = change::diff(
            &config(json!({"tools": [{"name": "t", "p": {"q": 1}}], "model": {"t": 1}})),
            &config(
                json!({"tools": [{"name": "t", "p": {"q": 2}}], "model": {"t": 1, "s": ["x"]}}),
            ),
        );
        let rows = rows(&changes, &[]);
        let kinds: Vec<(&str, Option<&str>)> =
            rows.iter().map(|(p, r)| (p.as_str(), r.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("model", None),
                ("model.s", Some("added")),
                ("tools", None),
                ("tools[t]", None),
                ("tools[t].p", None),
                ("tools[t].p.q", Some("changed")),
            ]
        );
        // The shapes of lists and mappings are kept (for questions below them); scalars are not.
        assert_eq!(rows["model.s"].new.as_deref(), Some("[null]"));
        assert_eq!(
            rows["tools[t].p.q"],
            Row {
                kind: Some("changed"),
                ..Row::default()
            }
        );
    }

    #[test]
    fn a_shape_holds_what_its_value_holds() {
        let value = json!([
            {"name": "web", "description": "d", "parameters": {"q": {"type": "string", "enum": ["a", "b"]}}},
            {"id": "by_id", "n": 0, "name_like": "kept as null"},
            {"name": 7, "id": "shadowed"},
            "plain",
            [1, {"name": "inner"}],
            null,
            {"KnowledgeBaseId": {"Ref": "DocsId"}, "Description": "d"},
            {"KnowledgeBaseId": {"Fn::GetAtt": ["Kb", "Id"]}, "Description": "d"},
            {"KnowledgeBaseId": {"Ref": "TwoKeys", "Other": 1}}
        ]);
        let shape = shape(&value);
        assert_eq!(
            shape,
            json!([
                {"name": "web", "description": null, "parameters": {"q": {"type": null, "enum": [null, null]}}},
                {"id": "by_id", "n": null, "name_like": null},
                {"name": null, "id": "shadowed"},
                null,
                [null, {"name": "inner"}],
                null,
                // A reference names its item (`format::identifying_text`): kept whole.
                {"KnowledgeBaseId": {"Ref": "DocsId"}, "Description": null},
                // Other calls do not: shaped like any mapping.
                {"KnowledgeBaseId": {"Fn::GetAtt": [null, null]}, "Description": null},
                {"KnowledgeBaseId": {"Ref": null, "Other": null}}
            ])
        );
        for path in [
            "tools[web]",
            "tools[web].description",
            "tools[web].parameters.q.enum[1]",
            "tools[web].parameters.q.enum[2]",
            "tools[web].parameters.q.type.deeper",
            "tools[web].missing",
            "tools[by_id].n",
            "tools[by_id].name_like",
            "tools[shadowed]",
            "tools[7]",
            "tools[3]",
            "tools[3].below_a_string",
            "tools[4][1]",
            "tools[5]",
            "tools[6]",
            "tools[gone]",
            "tools[DocsId]",
            "tools[DocsId].Description",
            "tools[DocsId].KnowledgeBaseId.Ref",
            "tools[DocsId].Missing",
            "tools[Kb]",
            "tools[7].KnowledgeBaseId.Fn::GetAtt[1]",
            "tools[TwoKeys]",
        ] {
            let below = &Path::parse(path).unwrap().0[1..];
            assert_eq!(
                value_at(&shape, below).is_some(),
                value_at(&value, below).is_some(),
                "{path}"
            );
        }
    }

    #[test]
    fn rows_as_recorded_up_to_bceae13_keep_only_string_identities() {
        let changes = change::diff(
            &config(json!({"name": "x"})),
            &config(json!({"name": "x", "KnowledgeBases": [
                {"KnowledgeBaseId": {"Ref": "DocsId"}, "Description": "d"},
                {"KnowledgeBaseId": "literal", "Description": "e"}
            ]})),
        );
        let now = rows(&changes, &[]);
        let then = rows_bceae13(&changes, &[]);
        let kept = |rows: &BTreeMap<String, Row>| -> Value {
            decode_value(rows["KnowledgeBases"].new.as_deref().unwrap()).unwrap()
        };
        assert_eq!(
            kept(&now),
            json!([
                {"KnowledgeBaseId": {"Ref": "DocsId"}, "Description": null},
                {"KnowledgeBaseId": "literal", "Description": null}
            ])
        );
        assert_eq!(
            kept(&then),
            json!([
                {"KnowledgeBaseId": {"Ref": null}, "Description": null},
                {"KnowledgeBaseId": "literal", "Description": null}
            ])
        );
        let below = &Path::parse("KnowledgeBases[DocsId].Description").unwrap().0[1..];
        assert!(holds(now["KnowledgeBases"].new.as_deref(), below, &[]).unwrap());
        assert!(!holds(then["KnowledgeBases"].new.as_deref(), below, &[]).unwrap());
    }

    /// Version `v` (1-based) rewrites line `v % 50` of a 50-line text.
    fn edited_text(upto: usize) -> Value {
        let mut lines: Vec<String> = (0..50).map(|l| format!("line {l}\n")).collect();
        for v in 2..=upto {
            lines[v % 50] = format!("line {} as of v{v}\n", v % 50);
        }
        json!({"name": "x", "instructions": lines.concat()})
    }

    #[test]
    fn per_line_versions_are_kept_as_deltas_and_read_back_exactly() {
        let configs: Vec<Value> = (1..=80).map(edited_text).collect();
        let (dir, store) = history(&configs);
        let path = Path::parse("instructions").unwrap();
        for upto in [1, 2, 33, 34, 35, 50, 80] {
            let expected: Vec<u64> = (0..50u64)
                .map(|line| (2..=upto).filter(|v| v % 50 == line).max().unwrap_or(1))
                .collect();
            let got = store.line_versions("a", &path, upto, 50).unwrap();
            assert_eq!(got, Some(expected), "as of v{upto}");
        }
        let kinds: Vec<String> = store
            .conn
            .prepare(
                "SELECT typeof(lines) FROM changes WHERE path = 'instructions' ORDER BY version",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let texts: Vec<usize> = (0..kinds.len()).filter(|&i| kinds[i] == "text").collect();
        assert_eq!(texts, [0, 33, 66]);

        // A damaged delta is an error that says what is damaged, not a panic.
        let conn = rusqlite::Connection::open(dir.path().join("s.db")).unwrap();
        conn.execute_batch(
            "DROP TRIGGER changes_update_refused;
             UPDATE changes SET lines = x'28b52ffd00' WHERE path = 'instructions' AND version = 40;",
        )
        .unwrap();
        let err = store.line_versions("a", &path, 45, 50).unwrap_err();
        assert!(
            err.message.contains("per-line versions of instructions"),
            "{err:?}"
        );
        assert!(err.message.contains("damaged"), "{err:?}");
        assert!(store.line_versions("a", &path, 39, 50).unwrap().is_some());
    }

    #[test]
    fn unchanged_lines_follow_the_diff() {
        let kept = unchanged_lines(&["a", "b", "c"], &["a", "x", "b", "c", "d"]);
        assert_eq!(kept, [Some(0), None, Some(1), Some(2), None]);
    }

    #[test]
    fn a_reorder_is_recorded_as_such() {
        let changes = change::diff(
            &config(json!({"tools": [{"name": "a"}, {"name": "b"}]})),
            &config(json!({"tools": [{"name": "b"}, {"name": "a"}]})),
        );
        assert_eq!(rows(&changes, &[])["tools"].kind, Some("reordered"));
    }

    #[test]
    fn touching_at_under_and_above() {
        let (_dir, store) = history(&[
            // v1: the tool arrives with no description.
            json!({"name": "x", "tools": [{"name": "w"}], "model": {"temperature": 0.1}}),
            // v2: its description is set.
            json!({"name": "x", "tools": [{"name": "w", "description": "d"}], "model": {"temperature": 0.1}}),
            // v3: temperature.
            json!({"name": "x", "tools": [{"name": "w", "description": "d"}], "model": {"temperature": 0.2}}),
            // v4: the tool is removed, description and all.
            json!({"name": "x", "tools": [], "model": {"temperature": 0.2}}),
            // v5: another tool, then v6 a reorder.
            json!({"name": "x", "tools": [{"name": "v"}, {"name": "w", "description": "e"}], "model": {"temperature": 0.2}}),
            json!({"name": "x", "tools": [{"name": "w", "description": "e"}, {"name": "v"}], "model": {"temperature": 0.2}}),
        ]);
        assert_eq!(touching(&store, "model.temperature"), [3, 1]);
        assert_eq!(touching(&store, "model"), [3, 1]);
        assert_eq!(touching(&store, "tools[w]"), [5, 4, 2, 1]);
        // v1 added the tool without a description: it does not touch it.
        assert_eq!(touching(&store, "tools[w].description"), [5, 4, 2]);
        assert_eq!(touching(&store, "tools"), [6, 5, 4, 2, 1]);
        // A reorder is a change of the list, not of an item in it.
        assert_eq!(touching(&store, "tools[v]"), [5]);
        assert_eq!(touching(&store, "tools[w].parameters"), Vec::<u64>::new());
        assert_eq!(touching(&store, "guardrails"), Vec::<u64>::new());
        let newest = store
            .touching("a", &Path::parse("tools[w]").unwrap(), Some(2))
            .unwrap();
        assert_eq!(newest.iter().map(|e| e.version).collect::<Vec<_>>(), [5, 4]);
    }

    #[test]
    fn a_type_change_above_holds_what_it_sets() {
        let (_dir, store) = history(&[
            json!({"name": "x", "model": "gpt"}),
            json!({"name": "x", "model": {"temperature": 0.1, "stop": ["a", "b"]}}),
            json!({"name": "x", "model": {"temperature": 0.1, "stop": ["a", "c"]}}),
        ]);
        assert_eq!(touching(&store, "model.temperature"), [2]);
        assert_eq!(touching(&store, "model.stop[1]"), [3, 2]);
        assert_eq!(touching(&store, "model.stop[0]"), [2]);
        assert_eq!(touching(&store, "model"), [3, 2, 1]);
    }
}
