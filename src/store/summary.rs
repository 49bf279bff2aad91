//! The summary as history keeps it: a stored, versioned encoding, apart from the JSON view.
//!
//! An entry's summary is a database column and an input of the hash chain (`chain`), and
//! `--json` shows one too. Those are three readers; only the first two are bound by stores in
//! the field. So the column and the chain read [`Stored`], whose fields are fixed here, and the
//! view is built from [`Summary`] (`change.rs`), which may be renamed or reshaped freely:
//! changing the view cannot change an id, so it cannot break `verify`.
//!
//! Encoding 1 (every store so far) is the JSON object of [`Stored`] with no marker. A later
//! encoding adds a field `"encoding": N` and a decoder for it here; rows of encoding 1 stay
//! readable as they are, and keep hashing as they did.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::change::Summary;

/// The encoding new entries are written in.
pub const ENCODING: u64 = 1;

/// Encoding 1: the fields, and their names, as history has stored and hashed them since v1.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    /// The marker a later encoding carries; present, even as `null`, the text is not encoding
    /// 1's. Read only, so the stored and hashed text stays what it was.
    #[serde(default, deserialize_with = "present", skip_serializing)]
    encoding: Option<Value>,
    added: usize,
    removed: usize,
    changed: usize,
    sections: Vec<String>,
    paths: Vec<String>,
}

impl From<&Summary> for Stored {
    fn from(summary: &Summary) -> Stored {
        Stored {
            encoding: None,
            added: summary.added,
            removed: summary.removed,
            changed: summary.changed,
            sections: summary.sections.clone(),
            paths: summary.paths.clone(),
        }
    }
}

impl From<Stored> for Summary {
    fn from(stored: Stored) -> Summary {
        Summary {
            added: stored.added,
            removed: stored.removed,
            changed: stored.changed,
            sections: stored.sections,
            paths: stored.paths,
        }
    }
}

/// The summary as the hash chain reads it.
pub fn value(summary: &Summary) -> Value {
    serde_json::to_value(Stored::from(summary)).unwrap_or(Value::Null)
}

/// The column's text for a new entry.
pub fn encode(summary: &Summary) -> serde_json::Result<String> {
    serde_json::to_string(&Stored::from(summary))
}

fn present<'de, D: serde::Deserializer<'de>>(field: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(field).map(Some)
}

/// A stored summary, of any encoding this agentctl knows.
pub fn decode(text: &str) -> std::result::Result<Summary, String> {
    let newer = |encoding: Option<u64>| {
        format!(
            "summary encoding {} is newer than this agentctl understands ({ENCODING})",
            encoding.map_or("?".to_owned(), |n| n.to_string())
        )
    };
    // Straight from the text: every listing (`log`) decodes one per entry, and a detour
    // through a JSON value cost several times the decode.
    match serde_json::from_str::<Stored>(text) {
        Ok(Stored {
            encoding: Some(encoding),
            ..
        }) => Err(newer(encoding.as_u64())),
        Ok(stored) => Ok(Summary::from(stored)),
        // Not encoding 1's fields: a newer encoding says so, anything else is damage.
        Err(e) => {
            let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
            match value.get("encoding") {
                Some(encoding) => Err(newer(encoding.as_u64())),
                None => Err(e.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Summary {
        Summary {
            added: 1,
            removed: 2,
            changed: 3,
            sections: vec!["tools".into()],
            paths: vec!["tools[x]".into()],
        }
    }

    /// The stored text is fixed: it is what every store in the field holds and hashes.
    #[test]
    fn encoding_one_is_fixed_text() {
        assert_eq!(
            encode(&summary()).unwrap(),
            r#"{"added":1,"removed":2,"changed":3,"sections":["tools"],"paths":["tools[x]"]}"#
        );
        assert_eq!(decode(&encode(&summary()).unwrap()).unwrap(), summary());
    }

    /// The JSON view may differ from the stored form (here: a view with other field names);
    /// the chain input is the stored form alone, so it stays the same.
    #[test]
    fn the_view_is_not_the_chain_input() {
        let view = serde_json::json!({"adds": 1, "removes": 2});
        assert_ne!(value(&summary()), view);
        assert_eq!(
            value(&summary()),
            serde_json::json!({"added": 1, "removed": 2, "changed": 3,
                               "sections": ["tools"], "paths": ["tools[x]"]})
        );
    }

    /// A newer encoding is refused even when it also holds every field of encoding 1.
    #[test]
    fn a_newer_encoding_with_the_old_fields_is_refused() {
        let text = r#"{"encoding":2,"added":1,"removed":2,"changed":3,"sections":[],"paths":[]}"#;
        assert!(
            decode(text)
                .unwrap_err()
                .contains("summary encoding 2 is newer")
        );
        assert!(
            decode(r#"{"added":1}"#)
                .unwrap_err()
                .contains("missing field")
        );
    }

    #[test]
    fn an_unknown_encoding_is_refused_plainly() {
        let error = decode(r#"{"encoding": 2, "counts": []}"#).unwrap_err();
        assert!(error.contains("summary encoding 2 is newer"), "{error}");
    }
}
