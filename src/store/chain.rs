//! The hash chain: how an entry's id follows from its parent's id and its content, and how a
//! snapshot is named by its content. `verify` recomputes exactly these.

use super::Entry;
use crate::agent::{canonical_json, sha256_hex};

/// The first 8 hex digits of an id, as shown to people.
pub fn short(id: &str) -> &str {
    // `get` rather than slicing: an id edited into something odd must not panic.
    id.get(..8).unwrap_or(id)
}

/// SHA-256 over the parent's id and the entry's content: changing any stored field of any
/// entry changes every id after it, which is what `verify` checks.
///
/// The recorded rules (issue 15) are content too, but hashed only when there are some: the
/// ids of entries without them, every entry of a store from before, stay what they were.
pub fn change_track_id(entry: &Entry) -> String {
    let mut content = serde_json::json!({
        "agent": entry.agent,
        "version": entry.version,
        "author": entry.author,
        "published_at": entry.published_at,
        "message": entry.message,
        "snapshot": entry.snapshot,
        "summary": super::summary::value(&entry.summary),
        "reverts": entry.reverts,
        "git_commit": entry.git_commit,
    });
    if let Some(rules) = &entry.rules {
        content["rules"] = rules.as_str().into();
    }
    let mut hashed = entry.parent.clone().unwrap_or_default();
    hashed.push('\n');
    hashed.push_str(&canonical_json(&content));
    sha256_hex(hashed.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::Summary;

    /// The id of a fixed entry is fixed: it reads the stored encoding of the summary
    /// (`summary.rs`), not the JSON view, so reshaping the view cannot move any id and break
    /// `verify` on stores in the field.
    #[test]
    fn the_chain_input_is_fixed() {
        let entry = Entry {
            agent: "a".into(),
            version: 2,
            change_track_id: String::new(),
            parent: Some("ab".repeat(32)),
            author: "me".into(),
            published_at: "2026-01-01T00:00:00Z".into(),
            message: "m".into(),
            snapshot: "cd".repeat(32),
            summary: Summary {
                added: 1,
                removed: 0,
                changed: 2,
                sections: vec!["tools".into()],
                paths: vec!["tools[x]".into(), "name".into()],
            },
            reverts: None,
            git_commit: None,
            rules: None,
        };
        assert_eq!(
            change_track_id(&entry),
            "56c2f89ee4dda6e7284ad13705b89abe211d8d91e1125e4b412e8ff0530e4b8a"
        );
        // Recorded rules are hashed: an edit of them breaks the id.
        let ruled = Entry {
            rules: Some(r#"{"identity":{"skills":"skill_id"}}"#.into()),
            ..entry.clone()
        };
        assert_ne!(change_track_id(&ruled), change_track_id(&entry));
    }
}
