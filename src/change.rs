//! Comparing two agent configurations, field by field.
//!
//! A [`Change`] is one difference at one [`Path`]. Items of the keyed lists (`tools`,
//! `knowledge_sources`, `guardrails`) are matched by their `name`/`id`, so inserting or reordering
//! a tool never makes its neighbours look changed; other lists are aligned with a sequence diff.
//! An added or removed item is a single change; inside an item present on both sides, changes are
//! reported at the deepest differing field. [`apply`] replays a set of changes onto a document.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};
use similar::{Algorithm, DiffOp};

use crate::agent::format::{self, Format};
use crate::agent::{KEYED_LISTS, Section, canonical_json};

/// One step of a path: a mapping key, a keyed-list item (by name), or a plain-list position.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Item(String),
    Index(usize),
}

/// Where a change is: `model.temperature`, `tools[lookup_invoice].parameters`, `model.stop[1]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path(pub Vec<Segment>);

impl Path {
    pub fn child(&self, segment: Segment) -> Path {
        let mut segments = self.0.clone();
        segments.push(segment);
        Path(segments)
    }

    /// The section of the top-level key this path starts with, in a native file.
    pub fn section(&self) -> Section {
        self.section_in(&format::NATIVE)
    }

    /// The section of the top-level key this path starts with, under `format`.
    pub fn section_in(&self, format: &Format) -> Section {
        match self.0.first() {
            Some(Segment::Key(key)) => format.section_of(key),
            _ => Section::Settings,
        }
    }

    /// Parse the syntax that [`fmt::Display`] writes. Keyed-list items and plain-list indexes
    /// share the bracket syntax: a bracket holding only digits is an index unless it follows
    /// one of the native keyed lists at the top level (item names of digits are written
    /// quoted); anything else is an item name, at any depth.
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut segments = Vec::new();
        let mut chars = text.chars().peekable();
        let bad = |why: &str| format!("malformed path `{text}`: {why}");
        if text.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut expect_key = true;
        while let Some(&c) = chars.peek() {
            match c {
                '[' => {
                    chars.next();
                    let quoted = chars.peek() == Some(&'"');
                    let inner = if quoted {
                        chars.next();
                        read_quoted(&mut chars).ok_or_else(|| bad("unclosed quote"))?
                    } else {
                        let mut s = String::new();
                        while let Some(&c) = chars.peek() {
                            if c == ']' {
                                break;
                            }
                            s.push(c);
                            chars.next();
                        }
                        s
                    };
                    if chars.next() != Some(']') {
                        return Err(bad("missing `]`"));
                    }
                    if segments.is_empty() {
                        return Err(bad("it must start with a key"));
                    }
                    let keyed = segments.len() == 1
                        && matches!(&segments[0], Segment::Key(k) if KEYED_LISTS.contains(&k.as_str()));
                    if inner.is_empty() {
                        return Err(bad("empty `[]`"));
                    }
                    segments.push(match inner.parse::<usize>() {
                        Ok(i) if !keyed && !quoted => Segment::Index(i),
                        _ => Segment::Item(inner),
                    });
                    expect_key = false;
                }
                '.' => {
                    chars.next();
                    if expect_key {
                        return Err(bad("empty key"));
                    }
                    expect_key = true;
                }
                _ => {
                    if !expect_key {
                        return Err(bad("expected `.` or `[` between segments"));
                    }
                    let key = if c == '"' {
                        chars.next();
                        read_quoted(&mut chars).ok_or_else(|| bad("unclosed quote"))?
                    } else {
                        let mut s = String::new();
                        while let Some(&c) = chars.peek() {
                            if c == '.' || c == '[' {
                                break;
                            }
                            if c == ']' || c == '"' || c == ' ' {
                                return Err(bad(&format!("unexpected `{c}`; quote such keys")));
                            }
                            s.push(c);
                            chars.next();
                        }
                        s
                    };
                    segments.push(Segment::Key(key));
                    expect_key = false;
                }
            }
        }
        if expect_key {
            return Err(bad("it ends with `.`"));
        }
        Ok(Path(segments))
    }

    /// The paths strictly above this one, outermost first: `tools`, `tools[x]` for
    /// `tools[x].description`.
    pub fn ancestors(&self) -> impl Iterator<Item = Path> + '_ {
        (1..self.0.len()).map(|n| Path(self.0[..n].to_vec()))
    }
}

/// What `value` holds at `segments` below it, if anything: mapping keys, keyed-list items by
/// their identity (`name`, `id` or a format's own key), plain-list entries by position. `value_at(tool, [description])` is the
/// tool's description.
pub fn value_at<'v>(value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    value_at_with(value, segments, &[])
}

/// [`value_at`], finding items by `identity` (agentctl.yaml's identifying keys) first.
pub fn value_at_with<'v>(
    value: &'v Value,
    segments: &[Segment],
    identity: &[&str],
) -> Option<&'v Value> {
    segments
        .iter()
        .try_fold(value, |value, segment| match (segment, value) {
            (Segment::Key(key), Value::Object(map)) => map.get(key),
            (Segment::Item(name), Value::Array(items)) => {
                let named = |item: &&Value| {
                    identity.iter().any(|key| {
                        item.get(*key).and_then(format::identifying_text) == Some(name.as_str())
                    })
                };
                items.iter().find(named).or_else(|| {
                    items
                        .iter()
                        .find(|item| format::identity(item) == Some(name.as_str()))
                })
            }
            (Segment::Index(index), Value::Array(items)) => items.get(*index),
            _ => None,
        })
}

fn read_quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut s = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(s),
            '\\' => s.push(chars.next()?),
            c => s.push(c),
        }
    }
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.chars()
            .any(|c| matches!(c, '.' | '[' | ']' | '"' | '\\') || c.is_whitespace())
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if needs_quotes(key) {
                        write_quoted(f, key)?;
                    } else {
                        f.write_str(key)?;
                    }
                }
                Segment::Item(name) => {
                    f.write_str("[")?;
                    // A name of digits only would read back as an index; quote it.
                    if needs_quotes(name) || name.bytes().all(|b| b.is_ascii_digit()) {
                        write_quoted(f, name)?;
                    } else {
                        f.write_str(name)?;
                    }
                    f.write_str("]")?;
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for Path {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Added,
    Removed,
    Changed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Changed => "changed",
        }
    }
}

/// One difference between two configurations. `old` is null for an addition, `new` for a removal.
///
/// Positions: a removed list entry is addressed by its index in the old list, an added or changed
/// one by its index in the new list. A reorder of a keyed list is a `changed` entry on the list's
/// own path whose values are the item names in old and new order.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub section: Section,
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub path: Path,
    pub kind: Kind,
    pub old: Value,
    pub new: Value,
    /// Where an added keyed item sits in the new list; needed to replay the change, not shown.
    #[serde(skip)]
    pub position: Option<usize>,
}

impl Change {
    fn new(format: &Format, path: Path, kind: Kind, old: Value, new: Value) -> Change {
        Change {
            section: path.section_in(format),
            path,
            kind,
            old,
            new,
            position: None,
        }
    }

    /// Whether this change is a reorder of a keyed list (at any depth): [`diff`] compares two
    /// lists item by item, so a `changed` between two lists is only ever a reorder.
    pub fn is_reorder(&self) -> bool {
        self.kind == Kind::Changed
            && !self.path.0.is_empty()
            && self.old.is_array()
            && self.new.is_array()
    }

    /// Whether either side is a string of several lines (shown as a line diff).
    pub fn is_multiline(&self) -> bool {
        let multi = |v: &Value| v.as_str().is_some_and(is_multiline);
        multi(&self.old) || multi(&self.new)
    }
}

/// Whether a string is text of several lines (shown as a line diff, blamed line by line).
pub fn is_multiline(text: &str) -> bool {
    text.trim_end().contains('\n')
}

/// All differences from `old` to `new`, grouped by section in the order of [`Section::ALL`],
/// each group in document order.
/// The format is the one detected from the configurations ([`format::detect_pair`]).
pub fn diff(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<Change> {
    diff_as(format::detect_pair(old, new), old, new)
}

/// [`diff`] under `format`'s rules: its sections and its keyed lists.
pub fn diff_as(format: &Format, old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<Change> {
    let mut changes = Vec::new();
    diff_maps(format, &Path::default(), old, new, &mut changes);
    // A stable sort keeps document order inside each section.
    changes.sort_by_key(|c| c.section);
    changes
}

fn diff_values(f: &Format, path: &Path, old: &Value, new: &Value, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => diff_maps(f, path, a, b, out),
        (Value::Array(a), Value::Array(b)) if f.is_keyed_at(&path.0, &[a, b]) => {
            diff_keyed(f, path, a, b, out)
        }
        (Value::Array(a), Value::Array(b)) => diff_plain_list(f, path, a, b, out),
        _ if old == new => {}
        _ => out.push(Change::new(
            f,
            path.clone(),
            Kind::Changed,
            old.clone(),
            new.clone(),
        )),
    }
}

fn diff_maps(
    f: &Format,
    path: &Path,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    out: &mut Vec<Change>,
) {
    for (key, new_value) in new {
        let child = path.child(Segment::Key(key.clone()));
        match old.get(key) {
            Some(old_value) => diff_values(f, &child, old_value, new_value, out),
            None => out.push(Change::new(
                f,
                child,
                Kind::Added,
                Value::Null,
                new_value.clone(),
            )),
        }
    }
    for (key, old_value) in old {
        if !new.contains_key(key) {
            let child = path.child(Segment::Key(key.clone()));
            out.push(Change::new(
                f,
                child,
                Kind::Removed,
                old_value.clone(),
                Value::Null,
            ));
        }
    }
}

fn identities<'v>(f: &Format, path: &Path, items: &'v [Value]) -> Vec<&'v str> {
    items
        .iter()
        .filter_map(|item| f.identity_at(&path.0, item))
        .collect()
}

fn diff_keyed(f: &Format, path: &Path, old: &[Value], new: &[Value], out: &mut Vec<Change>) {
    let old_by_id: HashMap<&str, &Value> = old
        .iter()
        .filter_map(|i| Some((f.identity_at(&path.0, i)?, i)))
        .collect();
    let new_ids: BTreeSet<&str> = identities(f, path, new).into_iter().collect();

    // Kept items in old order against kept items in new order: a difference is a reorder.
    let old_kept: Vec<&str> = identities(f, path, old)
        .into_iter()
        .filter(|id| new_ids.contains(id))
        .collect();
    let new_kept: Vec<&str> = identities(f, path, new)
        .into_iter()
        .filter(|id| old_by_id.contains_key(id))
        .collect();
    if old_kept != new_kept {
        let names = |items: &[Value]| {
            Value::Array(
                identities(f, path, items)
                    .into_iter()
                    .map(Value::from)
                    .collect(),
            )
        };
        out.push(Change::new(
            f,
            path.clone(),
            Kind::Changed,
            names(old),
            names(new),
        ));
    }

    for (position, item) in new.iter().enumerate() {
        let id = f.identity_at(&path.0, item).unwrap_or_default();
        let child = path.child(Segment::Item(id.to_owned()));
        match old_by_id.get(id) {
            Some(old_item) => diff_values(f, &child, old_item, item, out),
            None => {
                let mut change = Change::new(f, child, Kind::Added, Value::Null, item.clone());
                change.position = Some(position);
                out.push(change);
            }
        }
    }
    for item in old {
        let id = f.identity_at(&path.0, item).unwrap_or_default();
        if !new_ids.contains(id) {
            let child = path.child(Segment::Item(id.to_owned()));
            out.push(Change::new(
                f,
                child,
                Kind::Removed,
                item.clone(),
                Value::Null,
            ));
        }
    }
}

/// Plain lists are aligned with a sequence diff, so one inserted entry is one change.
fn diff_plain_list(f: &Format, path: &Path, old: &[Value], new: &[Value], out: &mut Vec<Change>) {
    let old_keys: Vec<String> = old.iter().map(canonical_json).collect();
    let new_keys: Vec<String> = new.iter().map(canonical_json).collect();
    let ops = similar::capture_diff_slices(Algorithm::Myers, &old_keys, &new_keys);
    let mut removed = Vec::new();
    for op in ops {
        if let DiffOp::Equal { .. } = op {
            continue;
        }
        // Entries replaced one for one are compared in depth; the rest are added or removed.
        let (old_range, new_range) = (op.old_range(), op.new_range());
        let paired = old_range.len().min(new_range.len());
        for (i, j) in old_range.clone().zip(new_range.clone()) {
            diff_values(f, &path.child(Segment::Index(j)), &old[i], &new[j], out);
        }
        for (j, item) in new
            .iter()
            .enumerate()
            .take(new_range.end)
            .skip(new_range.start + paired)
        {
            let child = path.child(Segment::Index(j));
            out.push(Change::new(
                f,
                child,
                Kind::Added,
                Value::Null,
                item.clone(),
            ));
        }
        removed.extend(old_range.start + paired..old_range.end);
    }
    for i in removed {
        out.push(Change::new(
            f,
            path.child(Segment::Index(i)),
            Kind::Removed,
            old[i].clone(),
            Value::Null,
        ));
    }
}

/// Why a set of changes could not be replayed onto a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError(pub String);

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ApplyError {}

/// Replay `changes` (as computed by [`diff`] from `base`) onto `base`.
pub fn apply(
    base: &Map<String, Value>,
    changes: &[Change],
) -> Result<Map<String, Value>, ApplyError> {
    let refs: Vec<&Change> = changes.iter().collect();
    match apply_at(Value::Object(base.clone()), 0, &refs)? {
        Value::Object(map) => Ok(map),
        other => Err(ApplyError(format!(
            "the document became {other}, not a mapping"
        ))),
    }
}

/// Apply the changes whose paths all start with the node at `depth` (the node is `value`).
fn apply_at(value: Value, depth: usize, changes: &[&Change]) -> Result<Value, ApplyError> {
    // A change at this very node replaces it (reorders are handled by the list below).
    if let Some(own) = changes
        .iter()
        .find(|c| c.path.0.len() == depth && !c.is_reorder())
    {
        return Ok(own.new.clone());
    }
    let below: Vec<&Change> = changes
        .iter()
        .copied()
        .filter(|c| c.path.0.len() > depth)
        .collect();
    if below.is_empty() && !changes.iter().any(|c| c.is_reorder()) {
        return Ok(value);
    }
    let segment_of = |c: &Change| c.path.0[depth].clone();
    match value {
        Value::Object(mut map) => {
            let mut groups: Vec<(String, Vec<&Change>)> = Vec::new();
            for change in below {
                let Segment::Key(key) = segment_of(change) else {
                    return Err(ApplyError(format!(
                        "{} does not address a mapping key",
                        change.path
                    )));
                };
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, group)) => group.push(change),
                    None => groups.push((key, vec![change])),
                }
            }
            for (key, group) in groups {
                let at_key = group.iter().find(|c| c.path.0.len() == depth + 1);
                match at_key.map(|c| c.kind) {
                    Some(Kind::Removed) => {
                        map.shift_remove(&key);
                    }
                    Some(Kind::Added) if !group.iter().any(|c| c.is_reorder()) => {
                        map.insert(key, at_key.map(|c| c.new.clone()).unwrap_or_default());
                    }
                    _ => {
                        let current = map.get(&key).cloned().unwrap_or(Value::Null);
                        let updated = apply_at(current, depth + 1, &group)?;
                        map.insert(key, updated);
                    }
                }
            }
            Ok(Value::Object(map))
        }
        Value::Array(items) => {
            let reorder = changes
                .iter()
                .find(|c| c.path.0.len() == depth && c.is_reorder());
            if reorder.is_some()
                || below
                    .iter()
                    .any(|c| matches!(segment_of(c), Segment::Item(_)))
            {
                apply_keyed(items, depth, reorder.copied(), &below)
            } else {
                apply_plain(items, depth, &below)
            }
        }
        other => Err(ApplyError(format!(
            "cannot apply {} below a scalar ({other})",
            below
                .first()
                .map(|c| c.path.to_string())
                .unwrap_or_default()
        ))),
    }
}

fn apply_plain(items: Vec<Value>, depth: usize, below: &[&Change]) -> Result<Value, ApplyError> {
    let index = |c: &Change| match c.path.0[depth] {
        Segment::Index(i) => Ok(i),
        _ => Err(ApplyError(format!(
            "{} does not address a list position",
            c.path
        ))),
    };
    let mut removed = BTreeSet::new();
    let mut added: HashMap<usize, Value> = HashMap::new();
    let mut inner: HashMap<usize, Vec<&Change>> = HashMap::new();
    for &change in below {
        let i = index(change)?;
        match (change.kind, change.path.0.len() == depth + 1) {
            (Kind::Removed, true) => {
                removed.insert(i);
            }
            (Kind::Added, true) => {
                added.insert(i, change.new.clone());
            }
            _ => inner.entry(i).or_default().push(change),
        }
    }
    let kept: Vec<Value> = items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !removed.contains(i))
        .map(|(_, v)| v)
        .collect();
    let len = kept.len() + added.len();
    let mut kept = kept.into_iter();
    let mut result = Vec::with_capacity(len);
    for j in 0..len {
        let item = match added.remove(&j) {
            Some(item) => item,
            None => kept
                .next()
                .ok_or_else(|| ApplyError(format!("list position {j} is out of range")))?,
        };
        let item = match inner.remove(&j) {
            Some(group) => apply_at(item, depth + 1, &group)?,
            None => item,
        };
        result.push(item);
    }
    if !inner.is_empty() || !added.is_empty() {
        return Err(ApplyError(
            "changes address list positions that do not exist".into(),
        ));
    }
    Ok(Value::Array(result))
}

fn apply_keyed(
    items: Vec<Value>,
    depth: usize,
    reorder: Option<&Change>,
    below: &[&Change],
) -> Result<Value, ApplyError> {
    let mut removed = BTreeSet::new();
    let mut added: Vec<(usize, Value)> = Vec::new();
    let mut inner: HashMap<String, Vec<&Change>> = HashMap::new();
    for &change in below {
        let Segment::Item(name) = &change.path.0[depth] else {
            return Err(ApplyError(format!(
                "{} does not address a list item",
                change.path
            )));
        };
        match (change.kind, change.path.0.len() == depth + 1) {
            (Kind::Removed, true) => {
                removed.insert(name.clone());
            }
            (Kind::Added, true) => {
                added.push((change.position.unwrap_or(usize::MAX), change.new.clone()));
            }
            _ => inner.entry(name.clone()).or_default().push(change),
        }
    }
    let mut result = Vec::with_capacity(items.len() + added.len());
    for item in items {
        let id = format::identity(&item).unwrap_or_default().to_owned();
        if removed.contains(&id) {
            continue;
        }
        let item = match inner.remove(&id) {
            Some(group) => apply_at(item, depth + 1, &group)?,
            None => item,
        };
        result.push(item);
    }
    if let Some(name) = inner.keys().next() {
        return Err(ApplyError(format!("no item named `{name}` to change")));
    }
    if let Some(order) = reorder.and_then(|c| c.new.as_array()) {
        let rank: HashMap<&str, usize> = order
            .iter()
            .filter_map(Value::as_str)
            .enumerate()
            .map(|(i, n)| (n, i))
            .collect();
        result.sort_by_key(|item| {
            format::identity(item)
                .and_then(|id| rank.get(id))
                .copied()
                .unwrap_or(usize::MAX)
        });
    }
    added.sort_by_key(|(position, _)| *position);
    for (position, item) in added {
        result.insert(position.min(result.len()), item);
    }
    Ok(Value::Array(result))
}

/// Counts and places of a set of changes: what a history entry records and a log line shows.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Summary {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub sections: Vec<String>,
    pub paths: Vec<String>,
}

impl Summary {
    pub fn of(changes: &[Change]) -> Summary {
        let mut summary = Summary::default();
        for change in changes {
            match change.kind {
                Kind::Added => summary.added += 1,
                Kind::Removed => summary.removed += 1,
                Kind::Changed => summary.changed += 1,
            }
            let section = change.section.key().to_owned();
            if !summary.sections.contains(&section) {
                summary.sections.push(section);
            }
            summary.paths.push(change.path.to_string());
        }
        summary
    }
}

/// A one-line description of what changed, used as a publish's default message:
/// "Update instructions, tools (2)".
pub fn describe(changes: &[Change]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for section in Section::ALL {
        let count = changes.iter().filter(|c| c.section == section).count();
        match count {
            0 => {}
            1 => parts.push(section.key().replace('_', " ")),
            n => parts.push(format!("{} ({n})", section.key().replace('_', " "))),
        }
    }
    format!("Update {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn paths(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| format!("{} {}", c.kind.as_str(), c.path))
            .collect()
    }

    fn roundtrip(a: &Value, b: &Value) -> Vec<Change> {
        let (a, b) = (map(a.clone()), map(b.clone()));
        let changes = diff(&a, &b);
        assert_eq!(
            apply(&a, &changes).unwrap(),
            b,
            "apply(diff) for {changes:#?}"
        );
        changes
    }

    #[test]
    fn equal_documents_have_no_changes() {
        let a = json!({"name": "x", "tools": [{"name": "t", "p": [1, 2]}]});
        assert!(diff(&map(a.clone()), &map(a)).is_empty());
    }

    #[test]
    fn keyed_items_are_matched_by_name() {
        let a = json!({"name": "x", "tools": [{"name": "a", "d": 1}, {"name": "b", "d": 2}]});
        let b = json!({"name": "x", "tools": [{"name": "new", "d": 0}, {"name": "a", "d": 1}, {"name": "b", "d": 3}]});
        let changes = roundtrip(&a, &b);
        assert_eq!(paths(&changes), ["added tools[new]", "changed tools[b].d"]);
        assert_eq!(changes[0].section, Section::Tools);
    }

    #[test]
    fn removed_item_is_one_change_and_reorder_is_reported_once() {
        let a = json!({"name": "x", "guardrails": [{"name": "a"}, {"name": "b"}, {"name": "c"}]});
        let b = json!({"name": "x", "guardrails": [{"name": "c"}, {"name": "a"}]});
        let changes = roundtrip(&a, &b);
        assert_eq!(
            paths(&changes),
            ["changed guardrails", "removed guardrails[b]"]
        );
        assert_eq!(changes[0].new, json!(["c", "a"]));
    }

    #[test]
    fn items_by_id_and_deepest_field() {
        let a = json!({"name": "x", "knowledge_sources": [{"id": "k", "cfg": {"url": "a", "depth": 1}}]});
        let b = json!({"name": "x", "knowledge_sources": [{"id": "k", "cfg": {"url": "b", "depth": 1}}]});
        assert_eq!(
            paths(&roundtrip(&a, &b)),
            ["changed knowledge_sources[k].cfg.url"]
        );
    }

    #[test]
    fn plain_lists_are_aligned() {
        let a = json!({"name": "x", "model": {"stop": ["a", "b", "c"]}});
        let b = json!({"name": "x", "model": {"stop": ["z", "a", "b", "c"]}});
        assert_eq!(paths(&roundtrip(&a, &b)), ["added model.stop[0]"]);
        let c = json!({"name": "x", "model": {"stop": ["a", "c"]}});
        assert_eq!(paths(&roundtrip(&a, &c)), ["removed model.stop[1]"]);
        let d = json!({"name": "x", "model": {"stop": ["a", "B", "c", "d"]}});
        assert_eq!(
            paths(&roundtrip(&a, &d)),
            ["changed model.stop[1]", "added model.stop[3]"]
        );
    }

    #[test]
    fn changes_are_grouped_by_section() {
        let a = json!({"tools": [], "name": "x", "instructions": "a\nb\n"});
        let b = json!({"tools": [{"name": "t"}], "name": "y", "instructions": "a\nc\n"});
        let changes = roundtrip(&a, &b);
        assert_eq!(
            paths(&changes),
            ["changed name", "changed instructions", "added tools[t]"]
        );
        assert!(changes[1].is_multiline());
        assert_eq!(describe(&changes), "Update settings, instructions, tools");
    }

    #[test]
    fn numbers_by_value_and_type_changes() {
        let a = json!({"name": "x", "model": {"t": 1}});
        let b = json!({"name": "x", "model": "gpt"});
        assert_eq!(paths(&roundtrip(&a, &b)), ["changed model"]);
    }

    #[test]
    fn path_display_and_parse_round_trip() {
        let cases = [
            "name",
            "model.temperature",
            "tools[lookup_invoice].parameters.properties.id.type",
            "model.stop[1]",
            "headers.\"x.y\"",
            "tools[\"a b\"].x",
            "tools[\"42\"]",
        ];
        for case in cases {
            let path = Path::parse(case).unwrap();
            assert_eq!(path.to_string(), case);
        }
        assert_eq!(
            Path::parse("tools[web_search]").unwrap().0,
            vec![
                Segment::Key("tools".into()),
                Segment::Item("web_search".into())
            ]
        );
        // Items are named at any depth: `ActionGroups[Orders].FunctionSchema`.
        assert_eq!(
            Path::parse("model[x]").unwrap().0,
            vec![Segment::Key("model".into()), Segment::Item("x".into())]
        );
        for bad in ["", "a..b", "a.", "[x]", "a[", "a[]", "a b"] {
            assert!(Path::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn ancestors_and_values_below() {
        let path = Path::parse("tools[web_search].parameters.q").unwrap();
        let ancestors: Vec<String> = path.ancestors().map(|p| p.to_string()).collect();
        assert_eq!(
            ancestors,
            ["tools", "tools[web_search]", "tools[web_search].parameters"]
        );
        assert_eq!(Path::parse("name").unwrap().ancestors().count(), 0);

        let tools = json!([{"name": "a"}, {"name": "web_search", "parameters": {"q": 1}}]);
        let below = |text: &str| value_at(&tools, &Path::parse(text).unwrap().0[1..]).cloned();
        assert_eq!(below("tools[web_search].parameters.q"), Some(json!(1)));
        assert_eq!(below("tools[web_search].description"), None);
        assert_eq!(below("tools[gone]"), None);
        let stop = json!(["a", "b"]);
        let path = Path::parse("model.stop[1]").unwrap();
        assert_eq!(value_at(&stop, &path.0[2..]), Some(&json!("b")));
        // A scalar holds nothing below it; a name list (a reorder's value) holds no items.
        assert_eq!(value_at(&json!("x"), &path.0[2..]), None);
        assert_eq!(
            value_at(
                &json!(["web_search"]),
                &[Segment::Item("web_search".into())]
            ),
            None
        );
    }

    #[test]
    fn summary_counts() {
        let a = json!({"name": "x", "tools": [{"name": "a"}]});
        let b = json!({"name": "y", "tools": [{"name": "b"}]});
        let s = Summary::of(&diff(&map(a), &map(b)));
        assert_eq!((s.added, s.removed, s.changed), (1, 1, 1));
        assert_eq!(s.sections, ["settings", "tools"]);
    }
}

#[cfg(test)]
pub(crate) mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Small vocabularies, so that two random documents share many keys and items and the
    /// interesting cases (deep changes, moves, inserts) come up often.
    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-2i64..3).prop_map(Value::from),
            (0u8..4).prop_map(|n| Value::from(f64::from(n) + 0.5)),
            "[ab]{0,2}".prop_map(Value::from),
            "([ab]{1,2}\n){1,4}".prop_map(Value::from),
        ]
    }

    pub(crate) fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[abc.]{1,2}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A keyed list: items with unique names (or ids) and a few fields.
    fn keyed_list() -> impl Strategy<Value = Value> {
        prop::collection::vec(
            (
                "[a-e]",
                any::<bool>(),
                prop::collection::btree_map("[pq]", value(), 0..3),
            ),
            0..5,
        )
        .prop_map(|items| {
            let mut seen = BTreeSet::new();
            let items = items
                .into_iter()
                .filter(|(name, _, _)| seen.insert(name.clone()))
                .map(|(name, by_id, fields)| {
                    let mut item: Map<String, Value> = fields.into_iter().collect();
                    item.insert(if by_id { "id" } else { "name" }.into(), Value::from(name));
                    Value::Object(item)
                });
            Value::Array(items.collect())
        })
    }

    /// Random agent-like documents, shared with the merge properties.
    pub(crate) fn document() -> impl Strategy<Value = Map<String, Value>> {
        (
            "[ab]",
            prop::option::of(value()),
            prop::option::of("([ab]{1,2}\n){0,5}"),
            prop::option::of(keyed_list()),
            prop::option::of(keyed_list()),
            prop::option::of(value()),
        )
            .prop_map(|(name, model, instructions, tools, guardrails, extra)| {
                let mut doc = Map::new();
                doc.insert("name".into(), Value::from(name));
                let optional = [
                    ("model", model),
                    ("instructions", instructions.map(Value::from)),
                    ("tools", tools),
                    ("guardrails", guardrails),
                    ("extra", extra),
                ];
                for (key, value) in optional {
                    if let Some(value) = value {
                        doc.insert(key.into(), value);
                    }
                }
                doc
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn applying_the_diff_gives_the_target(a in document(), b in document()) {
            let changes = diff(&a, &b);
            let applied = apply(&a, &changes).map_err(|e| TestCaseError::fail(e.0))?;
            prop_assert_eq!(&applied, &b, "changes: {:#?}", changes);
            // Keyed lists come back in the target's order too (map equality ignores order).
            for key in KEYED_LISTS {
                prop_assert_eq!(applied.get(key).map(canonical_json), b.get(key).map(canonical_json));
            }
        }

        /// SPEC 13: a reorder of a keyed list is one change whatever its depth, and replaying
        /// it gives the new order back.
        #[test]
        fn a_reorder_at_any_depth_is_one_change(items in keyed_list(), turn in 1usize..4) {
            let Value::Array(list) = items else {
                return Err(TestCaseError::fail("a keyed list is a list"));
            };
            prop_assume!(list.len() >= 2);
            let mut moved = list.clone();
            moved.rotate_left(turn % list.len());
            prop_assume!(moved != list);
            let place = |params: &[Value]| {
                serde_json::json!({
                    "name": "a",
                    "tools": [{"name": "t", "parameters": params}],
                    "extra": {"deep": [{"id": "x", "params": params}]},
                })
            };
            let as_map = |v: Value| v.as_object().cloned().unwrap_or_default();
            for (path, b) in [
                (
                    "tools[t].parameters",
                    serde_json::json!({
                        "name": "a",
                        "tools": [{"name": "t", "parameters": moved}],
                        "extra": {"deep": [{"id": "x", "params": list}]},
                    }),
                ),
                (
                    "extra.deep[x].params",
                    serde_json::json!({
                        "name": "a",
                        "tools": [{"name": "t", "parameters": list}],
                        "extra": {"deep": [{"id": "x", "params": moved}]},
                    }),
                ),
            ] {
                let (a, b) = (as_map(place(&list)), as_map(b));
                let changes = diff(&a, &b);
                prop_assert_eq!(changes.len(), 1, "{:#?}", changes);
                prop_assert_eq!(changes[0].path.to_string(), path);
                prop_assert!(changes[0].is_reorder());
                let applied = apply(&a, &changes).map_err(|e| TestCaseError::fail(e.0))?;
                prop_assert_eq!(
                    canonical_json(&Value::Object(applied)),
                    canonical_json(&Value::Object(b))
                );
            }
        }

        #[test]
        fn a_document_has_no_changes_against_itself(a in document()) {
            prop_assert!(diff(&a, &a).is_empty());
        }

        #[test]
        fn only_differences_are_reported(a in document(), b in document()) {
            for change in diff(&a, &b) {
                if change.kind == Kind::Changed {
                    prop_assert_ne!(&change.old, &change.new, "{:?}", change);
                }
                let reparsed = Path::parse(&change.path.to_string());
                prop_assert_eq!(reparsed.as_ref(), Ok(&change.path));
            }
        }
    }
}
