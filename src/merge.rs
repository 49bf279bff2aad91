//! The three-way merge behind `revert`: take one publish's changes back out of staging.
//!
//! Reverting publish N is a merge with N's snapshot as the common ancestor (`base`), the current
//! staging file as `ours`, and N's parent as `theirs`: whatever N changed and staging still holds
//! goes back to the parent's value, and every other staging edit stays. The merge works per field
//! and per keyed item (`name`/`id`), never over the file's lines, so edits on neighbouring lines
//! never conflict; only multi-line strings are merged line by line, as git merges text.

use std::collections::HashMap;

use serde_json::{Map, Value};
use similar::TextMerge;

use crate::agent::format::{self, Format};
use crate::change::{Path, Segment};

/// A field where staging holds neither N's value nor the parent's, so the revert cannot decide.
/// `None` where the field is absent (the JSON view writes it as `null`; the human one says
/// "deleted", so an explicit `null` and a deleted field read differently).
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub path: Path,
    /// What the reverted publish set there.
    pub reverted_value: Option<Value>,
    /// What staging holds now.
    pub staging_value: Option<Value>,
    /// What the revert would set: the value before the reverted publish.
    pub would_set: Option<Value>,
}

/// The outcome of a merge: the new document, and the conflicts (where `merged` keeps staging's
/// value). Callers write `merged` only when there are no conflicts.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    pub merged: Map<String, Value>,
    pub conflicts: Vec<Conflict>,
}

/// Take the changes from `parent` to `reverted` out of `staging`.
pub fn revert(
    reverted: &Map<String, Value>,
    staging: &Map<String, Value>,
    parent: &Map<String, Value>,
) -> Merge {
    merge3(reverted, staging, parent)
}

/// [`revert`] under `format`'s rules (agentctl.yaml's `sections:` and `identity:` included).
pub fn revert_as(
    format: &Format,
    reverted: &Map<String, Value>,
    staging: &Map<String, Value>,
    parent: &Map<String, Value>,
) -> Merge {
    merge3_as(format, reverted, staging, parent)
}

/// Three-way merge of mappings: `base` is the common ancestor of `ours` and `theirs`.
/// The format (which lists are keyed, by what) is the one detected from staging.
pub fn merge3(
    base: &Map<String, Value>,
    ours: &Map<String, Value>,
    theirs: &Map<String, Value>,
) -> Merge {
    merge3_as(format::detect_pair(theirs, ours), base, ours, theirs)
}

/// [`merge3`] under `format`'s keyed lists.
pub fn merge3_as(
    format: &Format,
    base: &Map<String, Value>,
    ours: &Map<String, Value>,
    theirs: &Map<String, Value>,
) -> Merge {
    let mut conflicts = Vec::new();
    let merged = merge_maps(format, &Path::default(), base, ours, theirs, &mut conflicts);
    Merge { merged, conflicts }
}

/// Merge one node. `None` is "absent" (a missing key or item), which differs from `null`.
fn merge_value(
    f: &Format,
    path: &Path,
    base: Option<&Value>,
    ours: Option<&Value>,
    theirs: Option<&Value>,
    conflicts: &mut Vec<Conflict>,
) -> Option<Value> {
    if ours == base {
        return theirs.cloned();
    }
    if ours == theirs || theirs == base {
        return ours.cloned();
    }
    // All three differ: look inside when they are the same kind of container or text.
    if let (Some(base), Some(ours), Some(theirs)) = (base, ours, theirs) {
        match (base, ours, theirs) {
            (Value::Object(b), Value::Object(o), Value::Object(t)) => {
                return Some(Value::Object(merge_maps(f, path, b, o, t, conflicts)));
            }
            (Value::Array(b), Value::Array(o), Value::Array(t))
                if f.is_keyed_at(&path.0, &[b, o, t]) =>
            {
                return Some(Value::Array(merge_keyed(f, path, b, o, t, conflicts)));
            }
            (Value::String(b), Value::String(o), Value::String(t))
                if [b, o, t].iter().any(|s| s.contains('\n')) =>
            {
                let merge = TextMerge::from_lines(b.as_str(), o.as_str(), t.as_str());
                if !merge.is_conflicted() {
                    return Some(Value::String(merge.to_string()));
                }
            }
            _ => {}
        }
    }
    conflicts.push(Conflict {
        path: path.clone(),
        reverted_value: base.cloned(),
        staging_value: ours.cloned(),
        would_set: theirs.cloned(),
    });
    ours.cloned()
}

/// Keys keep staging's order; a key that comes back is placed after the key that precedes it
/// in `theirs`, so a restored field lands where it used to be.
fn merge_maps(
    f: &Format,
    path: &Path,
    base: &Map<String, Value>,
    ours: &Map<String, Value>,
    theirs: &Map<String, Value>,
    conflicts: &mut Vec<Conflict>,
) -> Map<String, Value> {
    let mut merged = Map::new();
    for (key, value) in ours {
        let child = path.child(Segment::Key(key.clone()));
        if let Some(value) = merge_value(
            f,
            &child,
            base.get(key),
            Some(value),
            theirs.get(key),
            conflicts,
        ) {
            merged.insert(key.clone(), value);
        }
    }
    let mut previous: Option<&String> = None;
    for (key, value) in theirs {
        if !ours.contains_key(key) {
            let child = path.child(Segment::Key(key.clone()));
            if let Some(value) = merge_value(f, &child, base.get(key), None, Some(value), conflicts)
            {
                let at = previous
                    .and_then(|p| merged.keys().position(|k| k == p))
                    .map_or(0, |i| i + 1);
                merged.shift_insert(at, key.clone(), value);
            }
        }
        if merged.contains_key(key) {
            previous = Some(key);
        }
    }
    merged
}

/// Whether `path` is one of the keyed lists and every item on every side has a name, so items
/// can be matched by name (staging was validated, but snapshots from old stores may not be).
/// Merge a keyed list item by item. Staging's order is kept, restored items go back after the
/// item they followed in `theirs`, and a reorder made by the reverted publish is undone when
/// staging still has that order.
fn merge_keyed(
    f: &Format,
    path: &Path,
    base: &[Value],
    ours: &[Value],
    theirs: &[Value],
    conflicts: &mut Vec<Conflict>,
) -> Vec<Value> {
    let by_name = |items: &'_ [Value]| -> Vec<(String, Value)> {
        items
            .iter()
            .map(|item| {
                (
                    f.identity_at(&path.0, item).unwrap_or_default().to_owned(),
                    item.clone(),
                )
            })
            .collect()
    };
    let (base, ours, theirs) = (by_name(base), by_name(ours), by_name(theirs));
    let find = |items: &[(String, Value)], name: &str| -> Option<Value> {
        items
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };

    let mut merged: Vec<(String, Value)> = Vec::new();
    for (name, item) in &ours {
        let child = path.child(Segment::Item(name.clone()));
        let result = merge_value(
            f,
            &child,
            find(&base, name).as_ref(),
            Some(item),
            find(&theirs, name).as_ref(),
            conflicts,
        );
        if let Some(item) = result {
            merged.push((name.clone(), item));
        }
    }
    let mut previous: Option<&str> = None;
    for (name, item) in &theirs {
        if find(&ours, name).is_none() {
            let child = path.child(Segment::Item(name.clone()));
            let result = merge_value(
                f,
                &child,
                find(&base, name).as_ref(),
                None,
                Some(item),
                conflicts,
            );
            if let Some(item) = result {
                let at = previous
                    .and_then(|p| merged.iter().position(|(n, _)| n == p))
                    .map_or(0, |i| i + 1);
                merged.insert(at, (name.clone(), item));
            }
        }
        if merged.iter().any(|(n, _)| n == name) {
            previous = Some(name);
        }
    }

    // Order: compare the relative order of the items all three sides share.
    let shared = |items: &[(String, Value)]| -> Vec<String> {
        items
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| {
                [&base, &ours, &theirs]
                    .iter()
                    .all(|side| side.iter().any(|(m, _)| m == n))
            })
            .collect()
    };
    let (base_order, ours_order, theirs_order) = (shared(&base), shared(&ours), shared(&theirs));
    if base_order != theirs_order && ours_order != theirs_order {
        if ours_order == base_order {
            let rank: HashMap<&str, usize> = theirs_order
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), i))
                .collect();
            // Refill the slots the shared items occupy, in the parent's order.
            let slots: Vec<usize> = (0..merged.len())
                .filter(|&i| rank.contains_key(merged[i].0.as_str()))
                .collect();
            let mut moved: Vec<(String, Value)> =
                slots.iter().map(|&i| merged[i].clone()).collect();
            moved.sort_by_key(|(n, _)| rank[n.as_str()]);
            for (slot, item) in slots.into_iter().zip(moved) {
                merged[slot] = item;
            }
        } else {
            let names = |order: &[String]| Some(Value::from(order.to_vec()));
            conflicts.push(Conflict {
                path: path.clone(),
                reverted_value: names(&base_order),
                staging_value: names(&ours_order),
                would_set: names(&theirs_order),
            });
        }
    }
    merged.into_iter().map(|(_, item)| item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    /// Revert the change `before → after` out of `staging`.
    fn revert_of(before: Value, after: Value, staging: Value) -> Merge {
        revert(&map(after), &map(staging), &map(before))
    }

    fn conflict_paths(merge: &Merge) -> Vec<String> {
        merge.conflicts.iter().map(|c| c.path.to_string()).collect()
    }

    #[test]
    fn clean_staging_goes_back_to_the_parent() {
        let before = json!({"name": "a", "model": {"temperature": 0.2}, "tools": [{"name": "x"}]});
        let after = json!({"name": "a", "model": {"temperature": 0.5}, "tools": []});
        let merge = revert_of(before.clone(), after.clone(), after);
        assert!(merge.conflicts.is_empty());
        assert_eq!(Value::Object(merge.merged), before);
    }

    #[test]
    fn later_edits_elsewhere_are_kept() {
        let before = json!({"name": "a", "model": {"temperature": 0.2, "max_tokens": 100}});
        let after = json!({"name": "a", "model": {"temperature": 0.5, "max_tokens": 100}});
        let staging = json!({"name": "b", "model": {"temperature": 0.5, "max_tokens": 200}});
        let merge = revert_of(before, after, staging);
        assert!(merge.conflicts.is_empty());
        assert_eq!(
            Value::Object(merge.merged),
            json!({"name": "b", "model": {"temperature": 0.2, "max_tokens": 200}})
        );
    }

    #[test]
    fn a_field_changed_again_later_conflicts_with_its_three_values() {
        let before = json!({"name": "a", "model": {"temperature": 0.2}});
        let after = json!({"name": "a", "model": {"temperature": 0.5}});
        let staging = json!({"name": "a", "model": {"temperature": 0.9}});
        let merge = revert_of(before, after, staging.clone());
        assert_eq!(
            merge.conflicts,
            vec![Conflict {
                path: Path::parse("model.temperature").unwrap(),
                reverted_value: Some(json!(0.5)),
                staging_value: Some(json!(0.9)),
                would_set: Some(json!(0.2)),
            }]
        );
        assert_eq!(
            Value::Object(merge.merged),
            staging,
            "staging's value is kept"
        );
    }

    #[test]
    fn staging_already_at_the_parents_value_is_not_a_conflict() {
        let before = json!({"name": "a", "model": {"temperature": 0.2}});
        let after = json!({"name": "a", "model": {"temperature": 0.5}});
        let merge = revert_of(before.clone(), after, before.clone());
        assert!(merge.conflicts.is_empty());
        assert_eq!(Value::Object(merge.merged), before);
    }

    #[test]
    fn added_key_is_removed_and_removed_key_comes_back_in_place() {
        let before = json!({"name": "a", "description": "d", "model": {}});
        let after = json!({"name": "a", "model": {}, "extra": 1});
        let staging = json!({"name": "a", "model": {"x": 1}, "extra": 1});
        let merge = revert_of(before, after, staging);
        assert!(merge.conflicts.is_empty());
        let keys: Vec<&String> = merge.merged.keys().collect();
        assert_eq!(keys, ["name", "description", "model"]);
        assert_eq!(merge.merged["model"], json!({"x": 1}));
    }

    #[test]
    fn tools_added_removed_and_modified_are_reverted_by_name() {
        let before = json!({"name": "a", "tools": [
            {"name": "keep", "description": "k"},
            {"name": "gone", "description": "g", "parameters": {"p": 1}},
            {"name": "edited", "description": "old"},
        ]});
        let after = json!({"name": "a", "tools": [
            {"name": "keep", "description": "k"},
            {"name": "edited", "description": "new"},
            {"name": "fresh", "description": "f"},
        ]});
        // Later, another tool changed and a tool was added.
        let staging = json!({"name": "a", "tools": [
            {"name": "keep", "description": "k2"},
            {"name": "edited", "description": "new"},
            {"name": "fresh", "description": "f"},
            {"name": "later", "description": "l"},
        ]});
        let merge = revert_of(before, after, staging);
        assert!(merge.conflicts.is_empty());
        assert_eq!(
            Value::Object(merge.merged),
            json!({"name": "a", "tools": [
                {"name": "keep", "description": "k2"},
                {"name": "gone", "description": "g", "parameters": {"p": 1}},
                {"name": "edited", "description": "old"},
                {"name": "later", "description": "l"},
            ]})
        );
    }

    #[test]
    fn an_added_tool_edited_later_conflicts() {
        let before = json!({"name": "a", "tools": []});
        let after = json!({"name": "a", "tools": [{"name": "t", "description": "1"}]});
        let staging = json!({"name": "a", "tools": [{"name": "t", "description": "2"}]});
        let merge = revert_of(before, after, staging);
        assert_eq!(conflict_paths(&merge), ["tools[t]"]);
        assert_eq!(merge.conflicts[0].would_set, None);
    }

    #[test]
    fn a_reorder_is_undone_when_staging_kept_it() {
        let before = json!({"name": "a", "tools": [{"name": "x"}, {"name": "y"}, {"name": "z"}]});
        let after = json!({"name": "a", "tools": [{"name": "z"}, {"name": "x"}, {"name": "y"}]});
        let staging = json!({"name": "a", "tools": [
            {"name": "z"}, {"name": "new"}, {"name": "x", "d": 1}, {"name": "y"}
        ]});
        let merge = revert_of(before, after, staging);
        assert!(merge.conflicts.is_empty());
        let names: Vec<&str> = merge.merged["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| crate::agent::item_identity(t).unwrap())
            .collect();
        assert_eq!(names, ["x", "new", "y", "z"]);
    }

    #[test]
    fn a_reorder_changed_again_later_conflicts() {
        let before = json!({"name": "a", "tools": [{"name": "x"}, {"name": "y"}, {"name": "z"}]});
        let after = json!({"name": "a", "tools": [{"name": "z"}, {"name": "x"}, {"name": "y"}]});
        let staging = json!({"name": "a", "tools": [{"name": "y"}, {"name": "z"}, {"name": "x"}]});
        let merge = revert_of(before, after, staging);
        assert_eq!(conflict_paths(&merge), ["tools"]);
    }

    #[test]
    fn text_edits_to_other_paragraphs_merge_and_overlapping_ones_conflict() {
        let before = json!({"name": "a", "instructions": "One.\n\nTwo.\n\nThree.\n"});
        let after = json!({"name": "a", "instructions": "One.\n\nTwo, edited.\n\nThree.\n"});
        let elsewhere =
            json!({"name": "a", "instructions": "One, later.\n\nTwo, edited.\n\nThree.\n"});
        let merge = revert_of(before.clone(), after.clone(), elsewhere);
        assert!(merge.conflicts.is_empty());
        assert_eq!(
            merge.merged["instructions"],
            json!("One, later.\n\nTwo.\n\nThree.\n")
        );

        let overlapping =
            json!({"name": "a", "instructions": "One.\n\nTwo, edited twice.\n\nThree.\n"});
        let merge = revert_of(before, after, overlapping);
        assert_eq!(conflict_paths(&merge), ["instructions"]);
    }

    #[test]
    fn a_plain_list_changed_again_conflicts_as_one_field() {
        let before = json!({"name": "a", "model": {"stop": ["a"]}});
        let after = json!({"name": "a", "model": {"stop": ["a", "b"]}});
        let staging = json!({"name": "a", "model": {"stop": ["a", "b", "c"]}});
        let merge = revert_of(before, after, staging);
        assert_eq!(conflict_paths(&merge), ["model.stop"]);
    }

    #[test]
    fn a_list_with_a_repeated_name_is_a_plain_list_for_revert_as_for_diff() {
        // An old snapshot may hold a list whose names repeat. Matched by name, its two `x` items
        // would collapse into one and an item would be lost without a word; diff aligns such a
        // list by position, so revert must treat it as one plain field too.
        let before = json!({"name": "a", "tools": [{"name": "x", "v": 1}, {"name": "x", "v": 2}]});
        let after = json!({"name": "a", "tools": [{"name": "x", "v": 1}]});
        let staging = json!({"name": "a", "tools": [{"name": "x", "v": 1}, {"name": "y"}]});
        let diff = crate::change::diff(&map(after.clone()), &map(before.clone()));
        assert!(
            diff.iter()
                .all(|c| !c.path.to_string().starts_with("tools[x]"))
        );
        let merge = revert_of(before, after, staging);
        assert_eq!(conflict_paths(&merge), ["tools"]);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::agent::{KEYED_LISTS, canonical_json};
    use crate::change::properties::{document, value};
    use proptest::prelude::*;

    /// Maps compare without order; keyed lists must also come back in order.
    fn same(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
        a == b
            && KEYED_LISTS
                .iter()
                .all(|k| a.get(*k).map(canonical_json) == b.get(*k).map(canonical_json))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn reverting_the_newest_publish_on_clean_staging_gives_its_parent(
            parent in document(),
            reverted in document(),
        ) {
            let merge = revert(&reverted, &reverted, &parent);
            prop_assert!(merge.conflicts.is_empty());
            prop_assert!(same(&merge.merged, &parent), "{:#?}", merge.merged);
        }

        /// Staging edits to fields the reverted publish left alone survive the revert, and
        /// every field it changed (and staging did not) goes back to the parent's value.
        #[test]
        fn a_revert_never_loses_an_unrelated_staging_edit(
            parent in document(),
            reverted in document(),
            edits in prop::collection::vec((0usize..6, prop::option::of(value())), 0..4),
        ) {
            const KEYS: [&str; 6] = ["name", "model", "instructions", "tools", "guardrails", "extra"];
            let mut staging = reverted.clone();
            let mut edited = Vec::new();
            for (key, new) in edits {
                let key = KEYS[key];
                if parent.get(key) != reverted.get(key) || edited.contains(&key) {
                    continue; // touched by the reverted publish: not unrelated
                }
                match new {
                    Some(v) => staging.insert(key.into(), v),
                    None => staging.shift_remove(key),
                };
                edited.push(key);
            }
            let merge = revert(&reverted, &staging, &parent);
            prop_assert!(merge.conflicts.is_empty(), "{:#?}", merge.conflicts);
            for key in KEYS {
                let expected = if edited.contains(&key) { staging.get(key) } else { parent.get(key) };
                prop_assert_eq!(merge.merged.get(key), expected, "at {}", key);
            }
        }

        /// Whatever staging holds, a field the reverted publish did not change keeps
        /// staging's value (or absence).
        #[test]
        fn fields_the_reverted_publish_left_alone_keep_staging_s_value(
            parent in document(),
            reverted in document(),
            staging in document(),
        ) {
            let merge = revert(&reverted, &staging, &parent);
            let keys: Vec<&String> = parent.keys().chain(reverted.keys()).chain(staging.keys()).collect();
            for key in keys {
                if reverted.get(key) == parent.get(key) {
                    prop_assert_eq!(merge.merged.get(key), staging.get(key), "at {}", key);
                }
            }
        }
    }
}
