//! The one REF grammar (SPEC): `production`/`prod`, `staging`, `vN`, or 4+ hex digits of a
//! `change_track_id`. Resolving a REF against a store is [`super::Store::resolve`]; this module
//! decides only what a REF says.

use super::Entry;
use crate::error::{Error, ErrorKind, Result};

/// Whether `reference` has the form of a REF to a publish, before looking anything up.
pub fn check_reference(reference: &str) -> Result<()> {
    if matches!(reference, "production" | "prod")
        || is_version(reference)
        || is_id_prefix(reference)
    {
        return Ok(());
    }
    Err(
        Error::new(format!("`{reference}` is not a reference to a publish"))
            .hint(
                "a REF is production, staging, vN (v1 is the first publish) or 4+ hex digits of a \
             change_track_id",
            )
            .kind(ErrorKind::Usage),
    )
}

pub(super) fn is_version(reference: &str) -> bool {
    reference.len() > 1
        && reference.starts_with('v')
        && reference[1..].bytes().all(|b| b.is_ascii_digit())
}

fn is_id_prefix(reference: &str) -> bool {
    (4..=64).contains(&reference.len()) && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `reference` names `entry`, the agent's production, without a lookup: what
/// `publish --expect REF` checks. A REF of another form names nothing.
pub fn names_head(reference: &str, head: &Entry) -> bool {
    if matches!(reference, "production" | "prod") {
        return true;
    }
    if is_version(reference) {
        return reference[1..].parse() == Ok(head.version);
    }
    is_id_prefix(reference)
        && head
            .change_track_id
            .starts_with(&reference.to_ascii_lowercase())
}

/// `staging` is a REF, but not a publish: commands that read history entries refuse it,
/// saying what they `need` a publish for and what to do instead (`hint`).
pub fn require_publish(reference: &str, need: &str, hint: impl Into<String>) -> Result<()> {
    if reference == "staging" {
        return Err(Error::new(format!("staging is not a publish; {need}"))
            .hint(hint)
            .kind(ErrorKind::Usage));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(version: u64, id: &str) -> Entry {
        Entry {
            agent: "a".into(),
            version,
            change_track_id: id.into(),
            parent: None,
            author: "me".into(),
            published_at: "2026-01-01T00:00:00Z".into(),
            message: "m".into(),
            snapshot: String::new(),
            summary: Default::default(),
            reverts: None,
            git_commit: None,
            rules: None,
        }
    }

    #[test]
    fn the_head_is_named_by_production_its_version_and_its_id() {
        let head = head(3, "abcdef0123");
        for named in ["production", "prod", "v3", "abcd", "ABCDEF"] {
            assert!(names_head(named, &head), "{named}");
        }
        for other in ["v2", "v", "vx", "abce", "abc", "staging", "zzzz"] {
            assert!(!names_head(other, &head), "{other}");
        }
    }

    #[test]
    fn staging_is_refused_where_a_publish_is_needed() {
        let error = require_publish("staging", "`x` reads publishes", "do y").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("staging is not a publish; `x` reads publishes")
        );
        assert!(require_publish("v1", "", "").is_ok());
        assert!(require_publish("production", "", "").is_ok());
    }
}
