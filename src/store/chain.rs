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
pub fn change_track_id(entry: &Entry) -> String {
    let content = serde_json::json!({
        "agent": entry.agent,
        "version": entry.version,
        "author": entry.author,
        "published_at": entry.published_at,
        "message": entry.message,
        "snapshot": entry.snapshot,
        "summary": entry.summary,
        "reverts": entry.reverts,
        "git_commit": entry.git_commit,
    });
    let mut hashed = entry.parent.clone().unwrap_or_default();
    hashed.push('\n');
    hashed.push_str(&canonical_json(&content));
    sha256_hex(hashed.as_bytes())
}
