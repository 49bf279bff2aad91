//! The rules a parsed document must follow beyond being YAML: the agent is a mapping, `name`
//! is a non-empty string, the keyed lists hold mappings with unique identities, and the known
//! keys have their types (SPEC section 3). Each check returns the message only; the parser calls
//! them as it finishes a node, which gives the message its position.

use std::collections::HashSet;

use serde_json::Value;

use super::{KEYED_LISTS, item_identity};

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

pub(super) fn check_root(value: &Value) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Err(format!(
            "expected a mapping of agent settings (`name:`, `instructions:`, …), found {}",
            describe(value)
        ));
    };
    let Some(_) = map.get("name") else {
        return Err("missing required key `name`; every agent needs a non-empty `name`".into());
    };
    // Keys that arrived through a top-level merge key were not checked where they were read.
    for (key, value) in map {
        check_top_level(key, value)?;
    }
    Ok(())
}

pub(super) fn check_top_level(key: &str, value: &Value) -> Result<(), String> {
    let expect_string = |what: &str| match value {
        Value::String(_) => Ok(()),
        other => Err(format!("`{key}` must be {what}, found {}", describe(other))),
    };
    match key {
        "name" => match value {
            Value::String(s) if !s.trim().is_empty() => Ok(()),
            Value::String(_) => Err("`name` must be a non-empty string, found an empty one".into()),
            other => Err(format!(
                "`name` must be a non-empty string, found {}",
                describe(other)
            )),
        },
        "description" => expect_string("a string"),
        "instructions" => expect_string("a string (usually a `|` block)"),
        "model" => match value {
            Value::Object(_) => Ok(()),
            other => Err(format!(
                "`model` must be a mapping (provider, name, temperature, …), found {}",
                describe(other)
            )),
        },
        _ if KEYED_LISTS.contains(&key) => match value {
            Value::Array(items) => {
                let mut seen = HashSet::new();
                for item in items {
                    check_item(item)?;
                    let id = item_identity(item).unwrap_or_default();
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
        },
        _ => Ok(()),
    }
}

pub(super) fn check_item(item: &Value) -> Result<(), String> {
    let Value::Object(map) = item else {
        return Err(format!(
            "expected a mapping with a `name`, found {}",
            describe(item)
        ));
    };
    let (field, id) = match (map.get("name"), map.get("id")) {
        (Some(name), _) => ("name", name),
        (None, Some(id)) => ("id", id),
        (None, None) => return Err("list item has no `name` (or `id`); add one".into()),
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
