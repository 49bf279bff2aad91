//! The `--json` contract. These view structs are output-only and separate from the internal
//! types, so that renaming a field inside agentctl never renames a field scripts depend on.
//!
//! - `log`: `{"entries": [EntryView]}`
//! - `show`: `EntryView` plus `changes` and, with `--config`, `config`
//! - `diff`: `{"agents": [AgentDiff]}`
//! - `publish`: `{"has_changes", "results": [PublishResult]}`
//! - `status`: `{"agents": [AgentStatus]}`; `validate`: `{"agents": [AgentValidity]}`
//! - `revert`, `revert-preview`: `Revert`; `restore`: `Restore`; `undo`: `Undo`
//! - `blame`: `{"agent", "ref": Side, "fields": [BlameField], "lines": {path: [BlameLine]}}`
//! - `verify`: `{"ok", "agents", "entries", "snapshots", "problems": [VerifyProblem]}`; `ok`
//!   is false exactly when `problems` is not empty (exit 1). `agent` and `version` are null for
//!   damage that belongs to no entry; `kind` is one of `corrupt`, `snapshot_hash`,
//!   `snapshot_unreadable`, `snapshot_missing`, `change_track_id`, `parent`, `version_gap`,
//!   `summary`, `reverts`, `recorded_changes`.

use serde::Serialize;
use serde_json::Value;

use crate::agent::Config;
use crate::change::{Change, Path, Summary};
use crate::error::Result;
use crate::merge::Conflict;
use crate::store::{Entry, ProblemKind, Report, Store};

/// Another publish named by an entry (`reverts`).
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct EntryRef {
    pub version: u64,
    pub change_track_id: String,
}

impl From<&Entry> for EntryRef {
    fn from(entry: &Entry) -> EntryRef {
        EntryRef {
            version: entry.version,
            change_track_id: entry.change_track_id.clone(),
        }
    }
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct EntryView {
    pub agent: String,
    pub version: u64,
    pub change_track_id: String,
    pub parent: Option<String>,
    pub author: String,
    pub published_at: String,
    pub message: String,
    pub summary: Summary,
    pub reverts: Option<EntryRef>,
    pub git_commit: Option<String>,
    /// The agent file was not committed as published (`git_commit` does not hold it); `null`
    /// without a commit.
    pub git_dirty: Option<bool>,
}

impl EntryView {
    pub fn new(entry: &Entry, store: &Store) -> Result<EntryView> {
        let reverts = match &entry.reverts {
            Some(id) => store.by_id(id)?.as_ref().map(EntryRef::from),
            None => None,
        };
        Ok(EntryView {
            agent: entry.agent.clone(),
            version: entry.version,
            change_track_id: entry.change_track_id.clone(),
            parent: entry.parent.clone(),
            author: entry.author.clone(),
            published_at: entry.published_at.clone(),
            message: entry.message.clone(),
            summary: entry.summary.clone(),
            reverts,
            git_commit: entry
                .git_commit
                .as_deref()
                .map(|c| crate::git::split_commit(c).0.to_owned()),
            git_dirty: entry
                .git_commit
                .as_deref()
                .map(|c| crate::git::split_commit(c).1),
        })
    }
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Log {
    pub entries: Vec<EntryView>,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Show {
    #[serde(flatten)]
    pub entry: EntryView,
    pub changes: Vec<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "serve", schema(value_type = Option<Object>))]
    pub config: Option<Config>,
}

/// One side of a comparison: `{"ref": "production", "version": 3, "change_track_id": "…"}`.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_track_id: Option<String>,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct AgentDiff {
    pub agent: String,
    pub from: Side,
    pub to: Side,
    pub has_changes: bool,
    pub changes: Vec<Change>,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Diff {
    pub agents: Vec<AgentDiff>,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct PublishResult {
    pub agent: String,
    pub has_changes: bool,
    pub version: Option<u64>,
    pub change_track_id: Option<String>,
    /// Who published; `null` for an agent left alone (nobody published anything).
    pub author: Option<String>,
    pub published_at: Option<String>,
    pub message: Option<String>,
    pub summary: Summary,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Publish {
    pub has_changes: bool,
    pub dry_run: bool,
    pub results: Vec<PublishResult>,
}

/// `revert` and `revert-preview`.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Revert {
    pub agent: String,
    pub reverted: EntryRef,
    /// What the revert does to staging: staging now → staging after the revert.
    pub applied: Vec<Change>,
    pub conflicts: Vec<ConflictView>,
    pub written: bool,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct ConflictView {
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub path: Path,
    pub reverted_value: Value,
    pub staging_value: Value,
    pub would_set: Value,
}

impl From<&Conflict> for ConflictView {
    fn from(conflict: &Conflict) -> ConflictView {
        ConflictView {
            path: conflict.path.clone(),
            reverted_value: conflict.reverted_value.clone().unwrap_or(Value::Null),
            staging_value: conflict.staging_value.clone().unwrap_or(Value::Null),
            would_set: conflict.would_set.clone().unwrap_or(Value::Null),
        }
    }
}

/// `restore`.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Restore {
    pub agent: String,
    pub restored: EntryRef,
    /// What the restore does to staging: staging before → the snapshot.
    pub applied: Vec<Change>,
    pub written: bool,
}

/// `undo`.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Undo {
    pub agent: String,
    /// The command undone: `revert` or `restore`.
    pub undone: String,
    pub file: String,
    pub written: bool,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Production {
    pub version: u64,
    pub change_track_id: String,
    pub published_at: String,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct AgentStatus {
    pub agent: String,
    /// `clean`, `modified`, `new`, `missing` or `invalid`.
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub state: &'static str,
    /// The staging file's format (`native`, `adk`, …; SPEC 13); null without a valid file.
    pub format: Option<&'static str>,
    pub production: Option<Production>,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Status {
    pub agents: Vec<AgentStatus>,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct ValidationError {
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct AgentValidity {
    pub agent: String,
    pub valid: bool,
    /// The format the file was read in; null when it is invalid.
    pub format: Option<&'static str>,
    pub errors: Vec<ValidationError>,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Validate {
    pub agents: Vec<AgentValidity>,
}

/// The publish that last set a field or line: who and when.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct BlamePublish {
    pub version: u64,
    pub change_track_id: String,
    pub author: String,
    pub published_at: String,
}

impl BlamePublish {
    pub fn new(entry: &Entry) -> BlamePublish {
        BlamePublish {
            version: entry.version,
            change_track_id: entry.change_track_id.clone(),
            author: entry.author.clone(),
            published_at: entry.published_at.clone(),
        }
    }
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct BlameField {
    pub path: String,
    #[serde(flatten)]
    pub publish: BlamePublish,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct BlameLine {
    /// 1-based, like an editor's.
    pub line: usize,
    pub text: String,
    #[serde(flatten)]
    pub publish: BlamePublish,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Blame {
    pub agent: String,
    #[serde(rename = "ref")]
    pub reference: Side,
    pub fields: Vec<BlameField>,
    /// Each multi-line string field by path, in the order of `fields`.
    #[serde(serialize_with = "as_map")]
    #[cfg_attr(feature = "serve", schema(value_type = std::collections::BTreeMap<String, Vec<BlameLine>>))]
    pub lines: Vec<(String, Vec<BlameLine>)>,
}

fn as_map<S: serde::Serializer>(
    pairs: &[(String, Vec<BlameLine>)],
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(key, value)| (key, value)))
}
/// `verify`: what was checked and what is wrong.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct Verify {
    pub ok: bool,
    pub agents: usize,
    pub entries: usize,
    pub snapshots: usize,
    pub problems: Vec<VerifyProblem>,
}

#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
pub struct VerifyProblem {
    pub agent: Option<String>,
    pub version: Option<u64>,
    pub kind: ProblemKind,
    pub message: String,
}

impl From<&Report> for Verify {
    fn from(report: &Report) -> Verify {
        Verify {
            ok: report.problems.is_empty(),
            agents: report.agents,
            entries: report.entries,
            snapshots: report.snapshots,
            problems: report
                .problems
                .iter()
                .map(|p| VerifyProblem {
                    agent: p.agent.clone(),
                    version: p.version,
                    kind: p.kind,
                    message: p.message.clone(),
                })
                .collect(),
        }
    }
}
