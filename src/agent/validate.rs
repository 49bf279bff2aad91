//! The rules a parsed document must follow beyond being YAML, as its [`Format`] sets them: the
//! agent is a mapping, its name (where the format requires one) is a non-empty string, keyed
//! lists hold mappings with unique identities, and the known keys have their types (SPEC
//! section 3 for the native format). Each check returns the message only; the parser calls
//! them as it finishes a node, which gives the message its position.

use std::collections::HashSet;

use serde_json::Value;

use super::format::{Format, Model};

/// "a string", "a list", … for messages.
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The whole document: a mapping (under any format), with the format's required name, and
/// every top-level key checked (keys that arrived through a merge key were not checked where
/// they were read).
pub(super) fn check_root(format: Option<&Format>, value: &Value) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Err(format!(
            "expected a mapping of agent settings (`name:`, `instructions:`, …), found {}",
            describe(value)
        ));
    };
    match format {
        Some(format) => check_mapping(format, map),
        None => Ok(()),
    }
}

/// [`check_root`] of a document already known to be a mapping (no copy of it made to ask).
pub(super) fn check_mapping(
    format: &Format,
    map: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    if let Some(name) = format.name_key.filter(|_| format.name_required)
        && !map.contains_key(name)
    {
        return Err(format!(
            "missing required key `{name}`; every agent needs a non-empty `{name}`"
        ));
    }
    for (key, value) in map {
        check_top_level(format, key, value)?;
    }
    Ok(())
}

pub(super) fn check_top_level(format: &Format, key: &str, value: &Value) -> Result<(), String> {
    let expect_string = |what: &str| match value {
        Value::String(_) => Ok(()),
        other => Err(format!("`{key}` must be {what}, found {}", describe(other))),
    };
    if format.strings.is_empty() {
        // A format naming no string keys checks no types: CloudFormation's values may be
        // expressions (`AgentName: !Sub "agent-${Env}"`).
        return Ok(());
    }
    if format.name_key == Some(key) {
        return match value {
            Value::String(s) if !s.trim().is_empty() => Ok(()),
            Value::String(_) => Err(format!(
                "`{key}` must be a non-empty string, found an empty one"
            )),
            other => Err(format!(
                "`{key}` must be a non-empty string, found {}",
                describe(other)
            )),
        };
    }
    if key == "model" {
        return match (value, format.model) {
            (Value::Object(_), _) | (Value::String(_), Model::MappingOrString) => Ok(()),
            (other, Model::Mapping) => Err(format!(
                "`model` must be a mapping (provider, name, temperature, …), found {}",
                describe(other)
            )),
            (other, Model::MappingOrString) => Err(format!(
                "`model` must be a model name or a mapping, found {}",
                describe(other)
            )),
        };
    }
    if format.strings.contains(&key) {
        let section = format.section_of(key);
        return if section == super::Section::Instructions {
            expect_string("a string (usually a `|` block)")
        } else {
            expect_string("a string")
        };
    }
    if format.keyed_lists.contains(&key) {
        return match value {
            Value::Array(items) => {
                let mut seen = HashSet::new();
                for item in items {
                    check_item(format, item)?;
                    let id = format.identity_of(item).unwrap_or_default();
                    if !seen.insert(id) {
                        return Err(format!(
                            "duplicate item name `{id}` in `{key}`; names in a list must be unique"
                        ));
                    }
                }
                Ok(())
            }
            other => Err(format!(
                "`{key}` must be a list of mappings, each with a `name`, found {}",
                describe(other)
            )),
        };
    }
    Ok(())
}

/// An item of a keyed list: a mapping identified by its `name` (or `id`, or the format's own
/// key), a non-empty string without control characters.
pub(super) fn check_item(format: &Format, item: &Value) -> Result<(), String> {
    let Value::Object(map) = item else {
        return Err(format!(
            "expected a mapping with a `name`, found {}",
            describe(item)
        ));
    };
    let Some((field, id)) = format
        .identity
        .iter()
        .find_map(|key| map.get(*key).map(|value| (*key, value)))
    else {
        return Err("list item has no `name` (or `id`); add one".into());
    };
    match id {
        Value::String(s) if s.trim().is_empty() => Err(format!(
            "`{field}` of a list item must be a non-empty string, found an empty one"
        )),
        Value::String(s) if s.chars().any(char::is_control) => Err(format!(
            "`{field}` of a list item must not contain control characters"
        )),
        Value::String(_) => Ok(()),
        other => Err(format!(
            "`{field}` of a list item must be a non-empty string, found {}",
            describe(other)
        )),
    }
}
