//! Which key of an agent file is which section, and which lists are matched by identity.
//!
//! A format is data, not code: a [`Format`] table per framework (one small file each, like
//! ripgrep's file-type table), read by the parser (what to require), by `change` and `merge`
//! (is this list keyed, by what?) and by the views (which section a key belongs to).

use serde_json::Value;

use super::Section;

mod native;

pub use native::NATIVE;

/// One file format's rules.
#[derive(Debug)]
pub struct Format {
    /// The name shown in `status` and `validate --json`: `native`, `adk`, …
    pub name: &'static str,
    /// Top-level keys and the section each belongs to; every other key is a setting.
    pub sections: &'static [(&'static str, Section)],
    /// The keys that identify an item of a list, tried in this order.
    pub identity: &'static [&'static str],
    /// Top-level lists whose items must each have a unique identity (refused otherwise), and
    /// which are matched by identity.
    pub keyed_lists: &'static [&'static str],
}

impl Format {
    /// The section a top-level key belongs to; unknown keys are settings.
    pub fn section_of(&self, key: &str) -> Section {
        self.sections
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(Section::Settings, |(_, section)| *section)
    }

    /// The identity of a list item: the first identifying key it holds, as a string.
    pub fn identity_of<'v>(&self, item: &'v Value) -> Option<&'v str> {
        let map = item.as_object()?;
        self.identity
            .iter()
            .find_map(|key| map.get(*key))
            .and_then(Value::as_str)
    }

    /// Whether the list under the top-level key `key` is matched item by item by identity
    /// rather than aligned by position: it is one of the keyed lists, and in every version given
    /// each item has an identity and no identity repeats. Diff and revert both ask this one
    /// question, so they can never disagree on how a list is matched.
    pub fn is_keyed_list(&self, key: &str, versions: &[&[Value]]) -> bool {
        self.keyed_lists.contains(&key)
            && versions.iter().all(|items| {
                let mut seen = std::collections::HashSet::new();
                items
                    .iter()
                    .all(|item| self.identity_of(item).is_some_and(|id| seen.insert(id)))
            })
    }
}

/// The three lists of the native format whose items are identified by their `name` (or `id`).
pub const KEYED_LISTS: [&str; 3] = ["knowledge_sources", "tools", "guardrails"];

/// The identity of an item of a keyed list: its `name`, else its `id`.
pub fn item_identity(item: &Value) -> Option<&str> {
    NATIVE.identity_of(item)
}

/// [`Format::is_keyed_list`] of the native format.
pub fn is_keyed_list(key: &str, versions: &[&[Value]]) -> bool {
    NATIVE.is_keyed_list(key, versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_keyed_only_when_every_version_names_each_item_once() {
        let named = [
            serde_json::json!({"name": "a"}),
            serde_json::json!({"id": "b"}),
        ];
        let repeated = [
            serde_json::json!({"name": "a"}),
            serde_json::json!({"id": "a"}),
        ];
        let unnamed = [
            serde_json::json!({"name": "a"}),
            serde_json::json!({"kind": "b"}),
        ];
        assert!(is_keyed_list("tools", &[&named, &named]));
        assert!(!is_keyed_list("tools", &[&named, &repeated]));
        assert!(!is_keyed_list("guardrails", &[&unnamed]));
        assert!(!is_keyed_list("plugins", &[&named]));
    }
}
