//! Rewriting a staging file to a new value while keeping what the user wrote elsewhere.
//!
//! `revert` and `restore` decide the new value of a staging file; this module turns it into text.
//! It edits the file's lossless syntax tree (yaml-edit) only where the value changed, so comments,
//! blank lines, quoting and key order of every untouched part stay byte for byte. The result is
//! parsed again and must equal the intended value; if it does not (anchors, flow styles or other
//! layouts the editor cannot change faithfully), the file is written afresh from the value and the
//! caller says so.

use std::panic::{self, AssertUnwindSafe};
use std::str::FromStr;

use rowan::ast::AstNode;

use serde_json::Value;
use yaml_edit::{Document, Mapping, Sequence};

use crate::agent::format::{self, ANY_IDENTITY, Part};
use crate::agent::{self, Config, front_matter};
use crate::change::{self, Change, Kind, Segment};

/// The text to write, and whether it keeps the original layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub text: String,
    /// `false` when the file had to be written afresh, losing comments and layout.
    pub faithful: bool,
    /// The nodes an in-place edit had to write whole (a reordered list, a plain list with
    /// mixed edits), losing comments and layout inside them: what the caller warns about.
    pub rewritten_whole: Vec<String>,
}

/// Turn `text` into text whose value is `to`, given the `changes` that lead from the text's
/// value there (`change::diff(from, to)`, which the callers have already computed to show
/// them). A byte-order mark stays.
///
/// `identity` are the keys agentctl.yaml's `identity:` names (SPEC 13): items of a list are
/// found by them first, then by the formats' own identifying keys.
pub fn rewrite(text: &str, changes: &[Change], to: &Config, identity: &[&str]) -> Rewrite {
    rewrite_checked(text, changes, to, identity, |text| {
        agent::parse(text.as_bytes()).is_ok_and(|v| v == *to)
    })
}

/// [`rewrite`] for an agent at a [`Part`] of its file. One of several, at `part.at`: the
/// changes are made there, and every other byte of the file (the other agents, the rest of a
/// template) is left as it is. The front matter of a `.prompty`/`.md` file: the front matter
/// is edited as a YAML file is, the body replaced by the new instructions. When the file
/// cannot be edited in place it is written afresh whole (`faithful: false`), as [`rewrite`]
/// does, in the file's layout.
pub fn rewrite_part(
    text: &str,
    part: &Part,
    changes: &[Change],
    to: &Config,
    identity: &[&str],
) -> Rewrite {
    if part.front_matter {
        return rewrite_front_matter(text, changes, to, identity);
    }
    let at = part.at.as_slice();
    if at.is_empty() {
        // The whole file, in the format agentctl.yaml gives it: equal values are what counts,
        // not whether the detected format's rules accept it.
        return rewrite_checked(text, changes, to, identity, |text| {
            agent::parse_file(text.as_bytes()).is_ok_and(|v| v == *to)
        });
    }
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Ok(mut whole) = agent::parse_file(body.as_bytes()) else {
        return Rewrite {
            text: text.to_owned(),
            faithful: false,
            rewritten_whole: Vec::new(),
        };
    };
    if let Some(place) = part_mut(&mut whole, at) {
        *place = to.clone();
    }
    let prefix: Vec<Segment> = at.iter().cloned().map(Segment::Key).collect();
    let changes: Vec<Change> = changes
        .iter()
        .map(|change| {
            let mut change = change.clone();
            change.path = change::Path([prefix.clone(), change.path.0].concat());
            change
        })
        .collect();
    let mut rewrite = rewrite_checked(text, &changes, &whole, identity, |text| {
        agent::parse_file(text.as_bytes()).is_ok_and(|v| v == whole)
    });
    // Named as within the agent, the way its changes are.
    let shown_prefix = format!("{}.", change::Path(prefix));
    for path in &mut rewrite.rewritten_whole {
        if let Some(inner) = path.strip_prefix(&shown_prefix) {
            *path = inner.to_owned();
        }
    }
    rewrite
}

/// The agent of a front-matter file rewritten: the front matter edited in place (its own
/// [`rewrite`], so its comments and layout stay), the closing line kept, the body the new
/// instructions byte for byte.
fn rewrite_front_matter(text: &str, changes: &[Change], to: &Config, identity: &[&str]) -> Rewrite {
    let (bom, unmarked) = match text.strip_prefix('\u{feff}') {
        Some(unmarked) => ("\u{feff}", unmarked),
        None => ("", text),
    };
    let (matter, body) = front_matter_of(to);
    let Some(split) = front_matter::split(unmarked) else {
        return Rewrite {
            text: fresh_front_matter(to),
            faithful: false,
            rewritten_whole: Vec::new(),
        };
    };
    let in_matter: Vec<Change> = changes
        .iter()
        .filter(|change| {
            change.path.0.first() != Some(&Segment::Key(front_matter::BODY_KEY.to_owned()))
        })
        .cloned()
        .collect();
    let edited = rewrite_checked(split.matter, &in_matter, &matter, identity, |text| {
        agent::parse_file(text.as_bytes()).is_ok_and(|v| v == matter)
    });
    let head = if edited.faithful {
        edited.text
    } else {
        format!("---\n{}", fresh(&matter))
    };
    Rewrite {
        text: format!("{bom}{head}{}{body}", split.closing),
        faithful: edited.faithful,
        rewritten_whole: edited.rewritten_whole,
    }
}

/// A configuration as front matter and a body: the body is its `instructions` when that is
/// text (empty without), the front matter everything else.
fn front_matter_of(config: &Config) -> (Config, String) {
    let mut matter = config.clone();
    match matter.remove(front_matter::BODY_KEY) {
        Some(Value::String(body)) => (matter, body),
        None => (matter, String::new()),
        Some(other) => {
            matter.insert(front_matter::BODY_KEY.into(), other);
            (matter, String::new())
        }
    }
}

/// A clean front-matter file of `config`, for a file that cannot be edited in place.
pub fn fresh_front_matter(config: &Config) -> String {
    let (matter, body) = front_matter_of(config);
    format!("---\n{}---\n{body}", fresh(&matter))
}

/// A clean file of `config` in the layout of its staging file: front matter and a body for a
/// `.prompty`/`.md` file, YAML otherwise.
pub fn fresh_for(part: Option<&Part>, config: &Config) -> String {
    match part {
        Some(part) if part.front_matter => fresh_front_matter(config),
        _ => fresh(config),
    }
}

fn part_mut<'c>(config: &'c mut Config, at: &[String]) -> Option<&'c mut Config> {
    let (first, rest) = at.split_first()?;
    let mut value = config.get_mut(first)?;
    for key in rest {
        value = value.get_mut(key)?;
    }
    value.as_object_mut()
}

fn rewrite_checked(
    text: &str,
    changes: &[Change],
    to: &Config,
    identity: &[&str],
    holds_target: impl Fn(&str) -> bool,
) -> Rewrite {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(body) => ("\u{feff}", body),
        None => ("", text),
    };
    // The file's own forms first (short CloudFormation tags, folded `>` blocks), then the
    // plainer ones, which yaml-edit always places right, if a form does not give the value
    // back: a value never costs the whole file its layout.
    let short_tags = uses_short_tags(body);
    let mut attempts = vec![Forms {
        short_tags,
        folded: true,
        identity,
    }];
    for plainer in [
        Forms {
            short_tags,
            folded: false,
            identity,
        },
        Forms {
            short_tags: false,
            folded: false,
            identity,
        },
    ] {
        if !attempts.contains(&plainer) {
            attempts.push(plainer);
        }
    }
    for forms in attempts {
        let Some((edited, whole)) = edit_quietly(body, changes, to, forms) else {
            continue;
        };
        for candidate in [keep_blank_lines(body, &edited), edited] {
            if holds_target(&candidate) {
                return Rewrite {
                    text: format!("{bom}{candidate}"),
                    faithful: true,
                    rewritten_whole: whole.iter().map(ToString::to_string).collect(),
                };
            }
        }
    }
    Rewrite {
        text: fresh(to),
        faithful: false,
        rewritten_whole: Vec::new(),
    }
}

/// Put back blank lines the edit dropped at the end of a changed region. yaml-edit counts the
/// blank lines after a block scalar (`|`) as part of it, so replacing the scalar drops them,
/// and with them the gap before the next key or comment.
fn keep_blank_lines(original: &str, edited: &str) -> String {
    let old: Vec<&str> = original.split_inclusive('\n').collect();
    let new: Vec<&str> = edited.split_inclusive('\n').collect();
    let blank = |line: &&&str| line.trim().is_empty();
    let mut out = String::with_capacity(edited.len());
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new) {
        let new_lines = &new[op.new_range()];
        out.extend(new_lines.iter().copied());
        if matches!(
            op.tag(),
            similar::DiffTag::Delete | similar::DiffTag::Replace
        ) {
            let old_lines = &old[op.old_range()];
            let dropped = old_lines.iter().rev().take_while(blank).count();
            let kept = new_lines.iter().rev().take_while(blank).count();
            if dropped > kept {
                out.extend(
                    old_lines[old_lines.len() - (dropped - kept)..]
                        .iter()
                        .copied(),
                );
            }
        }
    }
    out
}

/// A clean YAML rendering of `config`, for a new file or when an edit is impossible.
pub fn fresh(config: &Config) -> String {
    // A map of JSON values always serialises; the fallback keeps this function total.
    serde_yaml::to_string(config).unwrap_or_default()
}

/// yaml-edit is young: a panic inside it must cost the user the layout, never the revert. The
/// panic hook is silenced meanwhile so that nothing is printed.
fn edit_quietly(
    text: &str,
    changes: &[Change],
    to: &Config,
    forms: Forms<'_>,
) -> Option<(String, Vec<change::Path>)> {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(|| edit(text, changes, to, forms)));
    panic::set_hook(hook);
    result.ok().flatten()
}

fn edit(
    text: &str,
    changes: &[Change],
    to: &Config,
    forms: Forms<'_>,
) -> Option<(String, Vec<change::Path>)> {
    let document = Document::from_str(text).ok()?;
    let root = document.as_mapping()?;
    // The file's value only lines up the entries of a plain list whose whole entries changed
    // (see `as_removals_and_additions`); parsing a large file for nothing was a fifth of a
    // revert.
    let entry_changed = changes
        .iter()
        .any(|change| matches!(change.path.0.last(), Some(Segment::Index(_))));
    let from = entry_changed
        .then(|| agent::parse_file(text.as_bytes()).ok())
        .flatten();
    let changes = &as_removals_and_additions(changes, from.as_ref(), to, forms.identity);
    // Removals first, then changes, then additions in list order: an added item's position is
    // its index in the new list, which is right once everything before it is in place.
    let mut ordered: Vec<&Change> = Vec::with_capacity(changes.len());
    for kind in [Kind::Removed, Kind::Changed, Kind::Added] {
        ordered.extend(changes.iter().filter(|c| c.kind == kind));
    }
    // Entries of one plain list go from the last to the first, so that each removal leaves the
    // positions of the others as the changes give them (old positions).
    ordered.sort_by_key(|c| {
        let last_index = match (c.kind, c.path.0.last()) {
            (Kind::Removed, Some(Segment::Index(i))) => *i,
            _ => 0,
        };
        (kind_rank(c.kind), std::cmp::Reverse(last_index))
    });
    let in_place = plain_lists_edited_in_place(changes);
    let mut replaced: Vec<change::Path> = Vec::new();
    // CloudFormation calls written anew: one value in the file, not a section to warn about.
    let mut calls: Vec<change::Path> = Vec::new();
    for change in ordered {
        if replaced
            .iter()
            .chain(&calls)
            .any(|r| change.path.0.starts_with(&r.0))
        {
            continue; // already holds its new value
        }
        if let Some(call) = call_changed_inside(change, &in_place) {
            let edit = Edit {
                new: Some(value_at(to, &call, forms.identity)?),
                position: None,
                after: None,
                replace: false,
                forms,
            };
            set(&root, &call.0, &edit)?;
            calls.push(call);
            continue;
        }
        if let Some(whole) = replaced_whole(change, &in_place, forms.identity) {
            let value = value_at(to, &whole, forms.identity)?;
            let edit = Edit {
                new: Some(value),
                position: None,
                after: None,
                replace: false,
                forms,
            };
            set(&root, &whole.0, &edit)?;
            replaced.push(whole);
            continue;
        }
        let edit = Edit {
            new: (change.kind != Kind::Removed).then_some(&change.new),
            position: change.position,
            after: key_before(to, &change.path, forms.identity),
            replace: change.kind == Kind::Changed,
            forms,
        };
        set(&root, &change.path.0, &edit)?;
    }
    // The green tree prints in one pass; `Document`'s own Display walks the edited tree
    // token by token, recomputing offsets, and took a seventh of a revert's time.
    Some((document.syntax().green().to_string(), replaced))
}

/// The node to replace whole instead of editing inside it: a plain list, whose positions shift
/// as items come and go; a reordered keyed list; a keyed item whose `name`/`id` changed (items
/// are found by that field), at any depth.
fn replaced_whole(
    change: &Change,
    in_place: &[change::Path],
    identity: &[&str],
) -> Option<change::Path> {
    let segments = &change.path.0;
    if let Some(i) = segments.iter().position(|s| matches!(s, Segment::Index(_))) {
        let list = change::Path(segments[..i].to_vec());
        if !in_place.contains(&list) {
            return Some(list);
        }
    }
    if change.is_reorder() {
        return Some(change.path.clone());
    }
    segments
        .windows(2)
        .position(|pair| {
            matches!(pair, [Segment::Item(_), Segment::Key(key)]
            if ANY_IDENTITY.contains(&key.as_str()) || identity.contains(&key.as_str()))
        })
        .map(|i| change::Path(segments[..=i].to_vec()))
}

/// A change inside the argument of a CloudFormation function (`X.Fn::If[2]`, below the key
/// `Fn::If`) whose list is not edited entry by entry: the call's path, to write the function
/// and its new argument whole. yaml-edit cannot descend into a short-form tag (`X: !If [...]`);
/// the call is one value, usually on one line.
fn call_changed_inside(change: &Change, in_place: &[change::Path]) -> Option<change::Path> {
    let segments = &change.path.0;
    let first_index = segments
        .iter()
        .position(|s| matches!(s, Segment::Index(_)))
        .unwrap_or(segments.len());
    let at = segments.iter().position(|segment| {
        matches!(segment, Segment::Key(key) if agent::cloudformation_short_tag(key).is_some())
    })?;
    let call = change::Path(segments[..=at].to_vec());
    // Below an earlier plain list written whole, that list's replacement holds the call.
    let outer_list = change::Path(segments[..first_index].to_vec());
    let earlier_list_whole = first_index < at && !in_place.contains(&outer_list);
    (at + 1 < segments.len() && !earlier_list_whole).then_some(call)
}

fn kind_rank(kind: Kind) -> u8 {
    match kind {
        Kind::Removed => 0,
        Kind::Changed => 1,
        Kind::Added => 2,
    }
}

/// The plain lists whose changes can be made entry by entry, keeping the comments and quoting
/// of every other entry: a list (at a path with no other plain list above it) whose entries are
/// only removed and added, or only replaced, or only edited inside; or one where nothing is
/// added, removed or reordered at any depth. Positions mix otherwise (a removal shifts the
/// entries an edit inside addresses), and the list is written whole.
fn plain_lists_edited_in_place(changes: &[Change]) -> Vec<change::Path> {
    #[derive(Default)]
    struct Seen {
        moved: bool,
        replaced: bool,
        inside: bool,
        nested: bool,
        /// An entry added, removed or reordered somewhere in the list, at any depth.
        shifted: bool,
    }
    let mut lists: Vec<(change::Path, Seen)> = Vec::new();
    for change in changes {
        let segments = &change.path.0;
        let indexes: Vec<usize> = segments
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Segment::Index(_)))
            .map(|(i, _)| i)
            .collect();
        let Some(&first) = indexes.first() else {
            continue;
        };
        let list = change::Path(segments[..first].to_vec());
        let at = match lists.iter().position(|(p, _)| *p == list) {
            Some(at) => at,
            None => {
                lists.push((list, Seen::default()));
                lists.len() - 1
            }
        };
        let seen = &mut lists[at].1;
        seen.shifted |= change.kind != Kind::Changed || change.is_reorder();
        if indexes.len() > 1 || change.is_reorder() {
            seen.nested = true;
        } else if first + 1 < segments.len() {
            seen.inside = true;
        } else if change.kind == Kind::Changed {
            seen.replaced = true;
        } else {
            seen.moved = true;
        }
    }
    lists
        .into_iter()
        .filter(|(_, seen)| {
            // With nothing added, removed or reordered, no position moves: every edit, at
            // any depth (promptfoo's `tests[0].assert[0].value`), finds its entry.
            !seen.shifted
                || !seen.nested
                    && [seen.moved, seen.replaced, seen.inside]
                        .iter()
                        .filter(|b| **b)
                        .count()
                        == 1
        })
        .map(|(path, _)| path)
        .collect()
}

/// `changes` with the entries of mixed plain lists of scalars (some entries replaced, others
/// added or removed: positions shift between them) turned into removals and additions only,
/// aligned on the entries themselves: a list that [`plain_lists_edited_in_place`] then edits
/// entry by entry, keeping the comments and quotes of every other entry.
fn as_removals_and_additions(
    changes: &[Change],
    from: Option<&Config>,
    to: &Config,
    identity: &[&str],
) -> Vec<Change> {
    let Some(from) = from else {
        return changes.to_vec();
    };
    // The list of a change to one whole entry (`list[i]`, no deeper), if it is one.
    let entry_list = |change: &Change| match change.path.0.split_last() {
        Some((Segment::Index(_), list))
            if !list.iter().any(|s| matches!(s, Segment::Index(_))) && !change.is_reorder() =>
        {
            Some(change::Path(list.to_vec()))
        }
        _ => None,
    };
    let scalars = |value: Option<&Value>| -> Option<Vec<Value>> {
        let items = value?.as_array()?;
        items
            .iter()
            .all(|item| !item.is_array() && !item.is_object())
            .then(|| items.clone())
    };
    let mut lists: Vec<change::Path> = Vec::new();
    for change in changes {
        if let Some(list) = entry_list(change)
            && !lists.contains(&list)
        {
            lists.push(list);
        }
    }
    let mut out: Vec<Change> = changes.to_vec();
    for list in lists {
        let of_list: Vec<&Change> = changes
            .iter()
            .filter(|c| c.path.0.starts_with(&list.0) && c.path.0.len() > list.0.len())
            .collect();
        let whole_entries = of_list
            .iter()
            .all(|c| entry_list(c).as_ref() == Some(&list));
        let replaced = of_list.iter().any(|c| c.kind == Kind::Changed);
        let moved = of_list.iter().any(|c| c.kind != Kind::Changed);
        if !(whole_entries && replaced && moved) {
            continue;
        }
        let (Some(old), Some(new)) = (
            scalars(value_at(from, &list, identity)),
            scalars(value_at(to, &list, identity)),
        ) else {
            continue;
        };
        let section = of_list[0].section;
        let keys = |items: &[Value]| items.iter().map(agent::canonical_json).collect::<Vec<_>>();
        let (old_keys, new_keys) = (keys(&old), keys(&new));
        let entry = |index: usize, kind: Kind, old: Value, new: Value| Change {
            section,
            path: list.child(Segment::Index(index)),
            kind,
            old,
            new,
            position: None,
        };
        let mut split = Vec::new();
        for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old_keys, &new_keys) {
            if op.tag() == similar::DiffTag::Equal {
                continue;
            }
            for i in op.old_range() {
                split.push(entry(i, Kind::Removed, old[i].clone(), Value::Null));
            }
            for j in op.new_range() {
                split.push(entry(j, Kind::Added, Value::Null, new[j].clone()));
            }
        }
        out.retain(|c| !(c.path.0.starts_with(&list.0) && c.path.0.len() > list.0.len()));
        out.extend(split);
    }
    out
}

/// The key before the last one of `path` in its mapping in `config`: where an added key goes.
fn key_before<'c>(config: &'c Config, path: &change::Path, identity: &[&str]) -> Option<&'c str> {
    let (Segment::Key(key), parent) = path.0.split_last()? else {
        return None;
    };
    let siblings = if parent.is_empty() {
        config
    } else {
        value_at(config, &change::Path(parent.to_vec()), identity)?.as_object()?
    };
    let at = siblings.keys().position(|k| k == key)?;
    siblings.keys().nth(at.checked_sub(1)?).map(String::as_str)
}

/// The value at `path` in `config`.
fn value_at<'v>(config: &'v Config, path: &change::Path, identity: &[&str]) -> Option<&'v Value> {
    let (first, rest) = path.0.split_first()?;
    let Segment::Key(key) = first else {
        return None;
    };
    let mut value = config.get(key)?;
    for segment in rest {
        value = match segment {
            Segment::Key(key) => value.get(key)?,
            Segment::Item(name) => {
                let items = value.as_array()?;
                let by = |key: &&str| {
                    items.iter().find(|item| {
                        item.get(*key).and_then(format::identifying_text) == Some(name.as_str())
                    })
                };
                match identity.iter().find_map(by) {
                    Some(item) => item,
                    None => items
                        .iter()
                        .find(|item| format::identity(item) == Some(name.as_str()))?,
                }
            }
            Segment::Index(i) => value.get(i)?,
        };
    }
    Some(value)
}

/// Call `$apply` with `$value` as something yaml-edit can write: scalars as themselves (so a
/// multi-line string becomes a `|` block), collections as a parsed YAML fragment.
macro_rules! with_yaml {
    ($edit:expr, $value:expr, |$v:ident| $apply:expr) => {
        with_yaml!($edit, $value, None, |$v| $apply)
    };
    ($edit:expr, $value:expr, $like:expr, |$v:ident| $apply:expr) => {{
        let like: Option<yaml_edit::YamlNode> = $like;
        let width = like.as_ref().and_then(line_width);
        let style = style_like(like);
        match $value {
            // A one-line string takes the quotes of the scalar it replaces (or sits beside).
            Value::String(s)
                if !s.contains('\n')
                    && matches!(
                        style,
                        Some(
                            yaml_edit::ScalarStyle::DoubleQuoted
                                | yaml_edit::ScalarStyle::SingleQuoted
                        )
                    ) =>
            {
                let $v = yaml_edit::ScalarValue::with_style(
                    s.as_str(),
                    style.unwrap_or(yaml_edit::ScalarStyle::Plain),
                );
                $apply
            }
            // A block replacing a folded one (`>`) stays folded.
            Value::String(s)
                if $edit.forms.folded && style == Some(yaml_edit::ScalarStyle::Folded) =>
            {
                let folded = folded_text(s, width);
                match folded
                    .as_deref()
                    .and_then(|text| Document::from_str(text).ok())
                {
                    Some(fragment) if fragment.as_scalar().is_some() => {
                        let $v = fragment.as_scalar()?;
                        $apply
                    }
                    _ => {
                        let $v = yaml_edit::ScalarValue::with_style(
                            s.as_str(),
                            yaml_edit::ScalarStyle::Folded,
                        );
                        $apply
                    }
                }
            }
            Value::String(s) => {
                let $v = s.as_str();
                $apply
            }
            Value::Bool(b) => {
                let $v = *b;
                $apply
            }
            Value::Number(n) if n.is_i64() => {
                let $v = n.as_i64()?;
                $apply
            }
            Value::Number(n) if n.is_u64() => {
                let $v = n.as_u64()?;
                $apply
            }
            Value::Number(n) => {
                let $v = n.as_f64()?;
                $apply
            }
            Value::Null => {
                let $v: Option<i64> = None;
                $apply
            }
            Value::Array(_) => {
                let fragment =
                    Document::from_str(&yaml_text($value, $edit.forms.short_tags)?).ok()?;
                let $v = fragment.as_sequence()?;
                $apply
            }
            Value::Object(_) => {
                let fragment =
                    Document::from_str(&yaml_text($value, $edit.forms.short_tags)?).ok()?;
                match fragment.as_tagged() {
                    Some($v) => $apply,
                    None => {
                        let $v = fragment.as_mapping()?;
                        $apply
                    }
                }
            }
        }
    }};
}

/// The style of a scalar node when it is quoted or folded: what a string written in its
/// place keeps.
fn style_like(node: Option<yaml_edit::YamlNode>) -> Option<yaml_edit::ScalarStyle> {
    let text = node?.as_scalar()?.value();
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        Some(yaml_edit::ScalarStyle::DoubleQuoted)
    } else if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') {
        Some(yaml_edit::ScalarStyle::SingleQuoted)
    } else if text.starts_with('>') {
        Some(yaml_edit::ScalarStyle::Folded)
    } else {
        None
    }
}

/// The longest content line of a block scalar node: the width its text was wrapped at.
fn line_width(node: &yaml_edit::YamlNode) -> Option<usize> {
    let text = node.as_scalar()?.value();
    text.lines()
        .skip(1)
        .map(|line| line.trim().chars().count())
        .max()
}

/// A folded block (`>`) of `value`, its paragraphs wrapped at spaces to `width` characters as
/// the block it replaces was (folding joins the lines with spaces again); `None` where the
/// text has what folding would not give back (spaces at line ends or doubled, a line starting
/// with a space, a leading line break), which yaml-edit then writes unwrapped.
fn folded_text(value: &str, width: Option<usize>) -> Option<String> {
    let width = width?.max(20);
    let body = value.trim_end_matches('\n');
    let trailing = value.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    if body.is_empty() || body.starts_with('\n') {
        return None;
    }
    let mut out = format!(">{chomp}\n");
    let mut blank_run = 0;
    let mut first = true;
    for paragraph in body.split('\n') {
        if paragraph.is_empty() {
            blank_run += 1;
            continue;
        }
        if paragraph.starts_with([' ', '\t'])
            || paragraph.ends_with([' ', '\t'])
            || paragraph.contains("  ")
            || paragraph.contains('\t')
        {
            return None;
        }
        if !first {
            // k line breaks in the value are k empty lines between folded paragraphs.
            out.push_str(&"\n".repeat(blank_run + 2));
        }
        first = false;
        blank_run = 0;
        let mut line = String::new();
        for word in paragraph.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push_str(&format!("  {line}\n"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&format!("  {line}"));
    }
    out.push('\n');
    out.push_str(&"\n".repeat(trailing.saturating_sub(1)));
    Some(out)
}

/// The forms an edit writes values in, beyond what yaml-edit chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Forms<'k> {
    /// CloudFormation functions as short-form tags (`!Ref x`), the file's form.
    short_tags: bool,
    /// A block that replaces a folded one (`>`) folded too.
    folded: bool,
    /// agentctl.yaml's identifying keys, tried before the formats' own to find an item.
    identity: &'k [&'k str],
}

/// What to do at the end of a path: set `new` (or with `None`, remove the node); `position`
/// places an added keyed-list item, `after` an added mapping key.
struct Edit<'a> {
    new: Option<&'a Value>,
    position: Option<usize>,
    after: Option<&'a str>,
    /// A plain-list entry at this position is replaced (a `changed` entry), not inserted.
    replace: bool,
    forms: Forms<'a>,
}

fn set(mapping: &Mapping, path: &[Segment], edit: &Edit) -> Option<()> {
    let (Segment::Key(key), rest) = path.split_first()? else {
        return None;
    };
    if rest.is_empty() {
        match edit.new {
            // A key that comes back goes where it was, not to the end of the file.
            Some(value) => match edit.after {
                Some(after)
                    if !mapping.contains_key(key.as_str()) && mapping.contains_key(after) =>
                {
                    with_yaml!(edit, value, |v| mapping.insert_after(
                        after,
                        key.as_str(),
                        v
                    ))
                    .then_some(())?;
                }
                _ => with_yaml!(edit, value, mapping.get(key.as_str()), |v| mapping
                    .set(key.as_str(), v)),
            },
            None => {
                mapping.remove(key.as_str())?;
            }
        }
        return Some(());
    }
    let child = mapping.get(key.as_str())?;
    if let Some(call) = call_in_tag(&child, rest, edit) {
        mapping.set(key.as_str(), call);
        return Some(());
    }
    descend(&child, rest, edit)
}

/// A change of the argument of a CloudFormation function written as a short-form tag
/// (`AgentName: !Sub x`, changed at `AgentName.Fn::Sub`): the node to replace the tagged one
/// with (yaml-edit cannot descend into a tag), the function with its new argument, a one-line
/// string argument quoted as the old one was.
fn call_in_tag(
    node: &yaml_edit::YamlNode,
    rest: &[Segment],
    edit: &Edit,
) -> Option<yaml_edit::YamlNode> {
    let tagged = node.as_tagged()?;
    let tag = tagged.tag()?;
    let function = agent::cloudformation_function(tag.strip_prefix('!')?)?;
    let [Segment::Key(key)] = rest else {
        return None;
    };
    let argument = edit.new.filter(|_| key == function)?;
    let old = tagged
        .value()
        .map(|scalar| scalar.value())
        .unwrap_or_default();
    let text = match argument {
        Value::Array(_) | Value::Object(_) if edit.forms.short_tags => {
            format!("{tag} {}", flow_text(argument)?)
        }
        Value::String(s) if edit.forms.short_tags && !s.contains('\n') && old.starts_with('"') => {
            format!("{tag} {}", serde_json::to_string(s).ok()?)
        }
        Value::String(s) if edit.forms.short_tags && !s.contains('\n') && old.starts_with('\'') => {
            format!("{tag} '{}'", s.replace('\'', "''"))
        }
        _ => {
            let call = serde_json::Map::from_iter([(function.to_owned(), argument.clone())]);
            yaml_text(&Value::Object(call), edit.forms.short_tags)?
        }
    };
    let fragment = Document::from_str(&text).ok()?;
    fragment
        .as_tagged()
        .map(yaml_edit::YamlNode::TaggedNode)
        .or_else(|| fragment.as_mapping().map(yaml_edit::YamlNode::Mapping))
}

/// A value in YAML's flow style on one line, as the arguments of short-form tags are written
/// (`!If [IsProd, 1800, 600]`): simple names plain, other text JSON-quoted (JSON is YAML), a
/// nested CloudFormation function as its tag.
fn flow_text(value: &Value) -> Option<String> {
    Some(match value {
        Value::String(s) => {
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
                && serde_yaml::to_string(s).ok()?.trim_end() == s;
            if plain {
                s.clone()
            } else {
                serde_json::to_string(s).ok()?
            }
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(flow_text)
                .collect::<Option<Vec<_>>>()?
                .join(", ")
        ),
        Value::Object(map) => {
            if map.len() == 1
                && let Some((function, argument)) = map.iter().next()
                && let Some(tag) = agent::cloudformation_short_tag(function)
            {
                return Some(format!("!{tag} {}", flow_text(argument)?));
            }
            let entries = map
                .iter()
                .map(|(key, value)| {
                    Some(format!(
                        "{}: {}",
                        flow_text(&Value::String(key.clone()))?,
                        flow_text(value)?
                    ))
                })
                .collect::<Option<Vec<_>>>()?;
            format!("{{{}}}", entries.join(", "))
        }
        scalar => serde_json::to_string(scalar).ok()?,
    })
}

/// Whether a file writes a CloudFormation function as a short-form tag (`!Ref x`) anywhere:
/// then what is written into it does too, in the file's own form (SPEC 13).
fn uses_short_tags(text: &str) -> bool {
    text.match_indices('!').any(|(at, _)| {
        let name: String = text[at + 1..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        agent::cloudformation_function(&name).is_some()
    })
}

/// YAML text of a value; with `short_tags`, a CloudFormation function (a mapping of one key,
/// `{"Fn::Sub": …}`) as its short-form tag (`!Sub …`), and `Fn::GetAtt` of two names as
/// `!GetAtt A.B`.
fn yaml_text(value: &Value, short_tags: bool) -> Option<String> {
    fn convert(value: &Value, short_tags: bool) -> Option<serde_yaml::Value> {
        Some(match value {
            Value::Object(map) => {
                if short_tags
                    && map.len() == 1
                    && let Some((function, argument)) = map.iter().next()
                    && let Some(tag) = agent::cloudformation_short_tag(function)
                {
                    let argument = match (function.as_str(), argument) {
                        ("Fn::GetAtt", Value::Array(names))
                            if names.len() == 2
                                && names.iter().all(Value::is_string)
                                && !names[0].as_str().unwrap_or_default().contains('.') =>
                        {
                            Value::String(format!(
                                "{}.{}",
                                names[0].as_str().unwrap_or_default(),
                                names[1].as_str().unwrap_or_default()
                            ))
                        }
                        _ => argument.clone(),
                    };
                    return Some(serde_yaml::Value::Tagged(Box::new(
                        serde_yaml::value::TaggedValue {
                            tag: serde_yaml::value::Tag::new(tag),
                            value: convert(&argument, short_tags)?,
                        },
                    )));
                }
                let mut mapping = serde_yaml::Mapping::new();
                for (key, value) in map {
                    mapping.insert(key.clone().into(), convert(value, short_tags)?);
                }
                serde_yaml::Value::Mapping(mapping)
            }
            Value::Array(items) => serde_yaml::Value::Sequence(
                items
                    .iter()
                    .map(|item| convert(item, short_tags))
                    .collect::<Option<_>>()?,
            ),
            scalar => serde_yaml::to_value(scalar).ok()?,
        })
    }
    serde_yaml::to_string(&convert(value, short_tags)?).ok()
}

fn descend(node: &yaml_edit::YamlNode, path: &[Segment], edit: &Edit) -> Option<()> {
    match path.first()? {
        Segment::Key(_) => set(node.as_mapping()?, path, edit),
        Segment::Item(name) => {
            let sequence = node.as_sequence()?;
            let rest = &path[1..];
            let index = find_item(sequence, name, edit.forms.identity);
            match (index, rest.is_empty(), edit.new) {
                (Some(i), true, None) => {
                    sequence.remove(i)?;
                    Some(())
                }
                (Some(i), true, Some(value)) => {
                    with_yaml!(edit, value, |v| sequence.set(i, v)).then_some(())
                }
                (None, true, Some(value)) => {
                    let at = edit.position.unwrap_or(usize::MAX).min(sequence.len());
                    with_yaml!(edit, value, |v| sequence.insert(at, v));
                    Some(())
                }
                (Some(i), false, _) => {
                    let item = sequence.get(i)?;
                    if let Some(call) = call_in_tag(&item, rest, edit) {
                        return sequence.set(i, call).then_some(());
                    }
                    descend(&item, rest, edit)
                }
                _ => None,
            }
        }
        Segment::Index(i) => {
            let sequence = node.as_sequence()?;
            let rest = &path[1..];
            match (rest.is_empty(), edit.new) {
                (true, None) => {
                    sequence.remove(*i)?;
                    Some(())
                }
                (true, Some(value)) if *i < sequence.len() && edit.replace => {
                    with_yaml!(edit, value, sequence.get(*i), |v| sequence.set(*i, v)).then_some(())
                }
                (true, Some(value)) => {
                    // An entry put back is quoted as its neighbours are.
                    let like = sequence.get(*i).or_else(|| sequence.get(i.checked_sub(1)?));
                    with_yaml!(edit, value, like, |v| sequence.insert(*i, v));
                    Some(())
                }
                (false, _) => {
                    let item = sequence.get(*i)?;
                    if let Some(call) = call_in_tag(&item, rest, edit) {
                        return sequence.set(*i, call).then_some(());
                    }
                    descend(&item, rest, edit)
                }
            }
        }
    }
}

/// The position of the keyed-list item named `name`: the first identifying key an item holds
/// is its identity, as in [`format::identity`].
fn find_item(sequence: &Sequence, name: &str, identity: &[&str]) -> Option<usize> {
    let by = |key: &&str| {
        sequence.values().position(|item| {
            item.as_mapping()
                .and_then(|mapping| mapping.get(*key))
                .and_then(|v| node_identity(&v))
                .is_some_and(|v| v == name)
        })
    };
    if let Some(found) = identity.iter().find_map(by) {
        return Some(found);
    }
    sequence.values().position(|item| {
        let Some(mapping) = item.as_mapping() else {
            return false;
        };
        ANY_IDENTITY
            .iter()
            .find_map(|key| mapping.get(*key))
            .and_then(|v| node_identity(&v))
            .is_some_and(|v| v == name)
    })
}

/// The text an identifying node names its item by, as [`format::identifying_text`] reads
/// its value: a scalar, or the name a `!Ref` (or a long-form `Ref:`) points at.
fn node_identity(node: &yaml_edit::YamlNode) -> Option<String> {
    if let Some(scalar) = node.as_scalar() {
        return Some(scalar.as_string());
    }
    if let Some(tagged) = node.as_tagged() {
        return (tagged.tag()? == "!Ref")
            .then(|| tagged.as_string())
            .flatten();
    }
    let call = node.as_mapping()?;
    (call.len() == 1)
        .then(|| call.get("Ref")?.as_scalar().map(|s| s.as_string()))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Config {
        agent::parse(text.as_bytes()).unwrap()
    }

    fn rewrite_to(text: &str, target: &str) -> Rewrite {
        rewrite_from(text, &parse(text), &parse(target))
    }

    fn rewrite_from(text: &str, from: &Config, to: &Config) -> Rewrite {
        rewrite(text, &change::diff(from, to), to, &[])
    }

    const COMMENTED: &str = "\
# Support bot: answers billing questions.
name: support-bot

# Model settings, tuned in March.
model:
  provider: openai   # the only one we pay for
  name: gpt-4o
  temperature: 0.2

instructions: |
  You are a support agent.

  Be brief.

tools:
  # Looks invoices up by number.
  - name: lookup_invoice
    description: Find an invoice
  - name: refund
    description: Refund a payment
    parameters:
      amount: {type: number}

# Guardrails last.
guardrails:
  - name: no_pii
    action: block
";

    #[test]
    fn a_changed_scalar_keeps_every_other_byte() {
        let target = COMMENTED.replace("temperature: 0.2", "temperature: 0.5");
        let result = rewrite_to(COMMENTED, &target);
        assert!(result.faithful);
        assert_eq!(result.text, target);
    }

    #[test]
    fn removing_and_adding_items_keeps_comments_elsewhere() {
        let target = COMMENTED.replace(
            "  - name: refund\n    description: Refund a payment\n    parameters:\n      amount: {type: number}\n",
            "",
        );
        let result = rewrite_to(COMMENTED, &target);
        assert!(result.faithful);
        assert_eq!(result.text, target, "only the item's lines go");
        for kept in [
            "# Support bot",
            "# the only one we pay for",
            "# Guardrails last.",
            "# Looks invoices up",
        ] {
            assert!(result.text.contains(kept), "{kept} lost:\n{}", result.text);
        }

        // And back: the tool comes back in its place with all its fields.
        let back = rewrite_from(&result.text, &parse(&result.text), &parse(COMMENTED));
        assert!(back.faithful);
        assert_eq!(parse(&back.text), parse(COMMENTED));
        assert!(back.text.contains("# Guardrails last."));
    }

    #[test]
    fn instructions_stay_a_block() {
        let target = COMMENTED.replace("Be brief.", "Be brief and kind.");
        let result = rewrite_to(COMMENTED, &target);
        assert!(result.faithful);
        assert!(result.text.contains("instructions: |"), "{}", result.text);
        assert_eq!(parse(&result.text), parse(&target));
    }

    #[test]
    fn blank_lines_after_a_changed_block_scalar_stay() {
        for (block, gap) in [("|", "\n"), ("|-", "\n\n"), (">-", "\n")] {
            let text = format!(
                "name: a\ninstructions: {block}\n  One.\n  Two.\n{gap}# Next section\ntools: []\n"
            );
            let target = text.replace("Two.", "Two, edited.");
            let result = rewrite_to(&text, &target);
            assert!(result.faithful);
            let rest = format!("Two, edited.\n{gap}# Next section\ntools: []\n");
            assert!(result.text.ends_with(&rest), "{block}:\n{}", result.text);
            if block.starts_with('|') {
                assert_eq!(result.text, target, "{block}");
            }
        }
        let crlf = "name: a\r\ninstructions: |\r\n  One.\r\n\r\n# Next\r\ntools: []\r\n";
        let target = crlf.replace("One.", "Uno.");
        assert_eq!(rewrite_to(crlf, &target).text, target);
    }

    #[test]
    fn a_folded_block_stays_folded_and_wrapped_as_it_was() {
        let text = "name: a\ndescription: >\n  One two three four five six\n  seven eight.\n\n  Six.\nx: 1\n";
        let target = text.replace("eight.", "nine.");
        let target = target.as_str();
        let result = rewrite_to(text, target);
        assert!(result.faithful);
        assert_eq!(result.text, target);
        // What folding would not give back is written unwrapped, still folded.
        assert_eq!(folded_text("a  b", Some(40)), None);
        assert_eq!(folded_text(" a", Some(40)), None);
        assert_eq!(
            folded_text("one two three four five six\nseven\n\n", Some(9)).as_deref(),
            Some(">+\n  one two three four\n  five six\n\n  seven\n\n")
        );
        let strip = "name: a\nd: >-\n  x y\n";
        let result = rewrite_to(strip, "name: a\nd: >-\n  x z\n");
        assert_eq!(result.text, "name: a\nd: >-\n  x z\n");
    }

    #[test]
    fn a_key_that_comes_back_goes_where_it_was() {
        let target = "# top\nname: a\ndescription: back  # again\nmodel: {x: 1}\n# end\n";
        let text = "# top\nname: a\nmodel: {x: 1}\n# end\n";
        let result = rewrite_to(text, target);
        assert!(result.faithful);
        assert_eq!(
            result.text,
            "# top\nname: a\ndescription: back\nmodel: {x: 1}\n# end\n"
        );
    }

    #[test]
    fn plain_lists_and_reorders_are_replaced_whole() {
        let text = "name: a\nmodel:\n  stop: [x, y]\ntools:\n  - name: t1\n  - name: t2\n";
        let target = "name: a\nmodel:\n  stop: [y, z, w]\ntools:\n  - name: t2\n  - name: t1\n";
        let result = rewrite_to(text, target);
        assert!(result.faithful);
        assert_eq!(parse(&result.text), parse(target));
    }

    #[test]
    fn merge_keys_are_overridden_not_edited() {
        let text = "base: &b {x: 1}\nname: a\nother:\n  <<: *b\n  y: 2\n";
        let target = "name: a\nother: {x: 3, y: 2}\nbase: {x: 1}\n";
        let result = rewrite_to(text, target);
        assert_eq!(parse(&result.text), parse(target));
        assert!(result.text.contains("<<: *b"), "{}", result.text);
    }

    #[test]
    fn a_byte_order_mark_stays() {
        let result = rewrite_to("\u{feff}name: a\n", "name: b\n");
        assert!(result.faithful);
        assert_eq!(result.text, "\u{feff}name: b\n");
    }

    #[test]
    fn text_the_editor_cannot_read_is_written_afresh() {
        // A value the file does not hold (an inconsistent `from`) makes the edit fail.
        let text = "name: a\n";
        let result = rewrite_from(
            text,
            &parse("name: a\ntools: [{name: t}]\n"),
            &parse("name: b\n"),
        );
        assert!(!result.faithful);
        assert_eq!(parse(&result.text), parse("name: b\n"));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::change::properties::document;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_rewrite_always_holds_the_target_value(a in document(), b in document()) {
            // Only valid agents are ever written (the generator also makes invalid ones).
            let valid = |doc: &Config| agent::parse(fresh(doc).as_bytes()).is_ok();
            prop_assume!(valid(&a) && valid(&b));
            let result = rewrite(&fresh(&a), &change::diff(&a, &b), &b, &[]);
            prop_assert_eq!(agent::parse(result.text.as_bytes()).ok(), Some(b.clone()));
            prop_assert!(result.faithful, "{}", result.text);
        }
    }
}
