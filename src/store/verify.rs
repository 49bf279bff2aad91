//! `verify`: recompute what the store's ids promise. Every snapshot must hash to its key, and
//! every history must be a chain: versions 1, 2, 3 … without gaps, each entry's `parent` the
//! id of the version before, each `change_track_id` the hash of its parent id and content.
//!
//! An edit made outside agentctl (a changed author, message, time or snapshot, a deleted
//! entry, a rewired parent) breaks at least one of these. Rewriting a whole chain from the
//! edit onwards leaves it consistent again, as with git; production ids kept elsewhere (CI
//! logs, deploy records) are what catch that.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use super::{Entry, change_track_id, decode_entry};
use crate::agent::sha256_hex;
use crate::agent::{Config, RecordedRules, canonical_json};
use crate::error::Result;

/// What kind of damage a [`Problem`] is; the names are part of the JSON contract.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// SQLite's own check of the file failed.
    Corrupt,
    /// A snapshot's content does not hash to the key it is stored under.
    SnapshotHash,
    /// A snapshot's content is not a JSON mapping.
    SnapshotUnreadable,
    /// An entry points at a snapshot that is not in the store.
    SnapshotMissing,
    /// An entry's content (author, message, time, snapshot, summary …) does not hash to its id.
    ChangeTrackId,
    /// An entry's `parent` is not the id of the version before it.
    Parent,
    /// Versions are missing: the history is not 1, 2, 3 … without gaps.
    VersionGap,
    /// An entry's recorded summary cannot be read.
    Summary,
    /// An entry's `reverts` names no earlier publish of the same agent.
    Reverts,
    /// The recorded changes (what `blame` and `log --touching` read) of an entry are not the
    /// ones its snapshot and its parent's make: a row edited, missing or added.
    RecordedChanges,
    /// An entry's recorded rules (the agentctl.yaml sections, identity or format its changes
    /// were compared under) cannot be read.
    Rules,
}

/// One thing `verify` found wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `None` for damage that belongs to no entry (the file, an unused snapshot).
    pub agent: Option<String>,
    pub version: Option<u64>,
    pub kind: ProblemKind,
    pub message: String,
}

/// What was checked, and what was wrong.
#[derive(Debug, Default)]
pub struct Report {
    pub agents: usize,
    pub entries: usize,
    pub snapshots: usize,
    pub problems: Vec<Problem>,
}

/// The checks themselves, on every snapshot (hash and decoded text) and every history entry
/// in (agent, version) order, whichever store they come from.
pub(crate) fn check(
    report: &mut Report,
    snapshots: impl Iterator<Item = (String, Result<String>)>,
    snapshot: impl Fn(&str) -> Result<std::sync::Arc<str>>,
    entries: impl Iterator<Item = Result<super::RawEntry>>,
    recorded: impl Iterator<Item = Result<RecordedRow>>,
) -> Result<()> {
    let mut recorded = group_recorded(recorded)?;
    // Snapshots: the hash of each, recomputed. Bad ones are remembered so that every entry
    // using one is named too.
    let mut present = HashSet::new();
    let mut damaged: HashMap<String, (ProblemKind, String)> = HashMap::new();
    for (hash, text) in snapshots {
        let problem = match text {
            Ok(content) => check_snapshot(&hash, &content),
            Err(e) => Some((
                ProblemKind::SnapshotUnreadable,
                format!(
                    "its snapshot {} is not readable: {}",
                    super::short(&hash),
                    e.message
                ),
            )),
        };
        if let Some(problem) = problem {
            damaged.insert(hash.clone(), problem);
        }
        present.insert(hash);
    }
    report.snapshots = present.len();

    let mut used = HashSet::new();
    // The ids of the agent being walked so far, for `reverts`.
    let mut agent: Option<String> = None;
    let mut previous: Option<Entry> = None;
    // The configuration `previous` published, when its snapshot is sound.
    let mut previous_config: Option<Config> = None;
    let mut ids: HashSet<String> = HashSet::new();
    let mut replayed = Replayed::default();
    for raw in entries {
        let raw = raw?;
        report.entries += 1;
        if agent.as_deref() != Some(raw.0.agent.as_str()) {
            agent = Some(raw.0.agent.clone());
            report.agents += 1;
            previous = None;
            previous_config = Some(Config::new());
            ids.clear();
            replayed = Replayed::default();
        }
        let name = raw.0.agent.clone();
        let version = raw.0.version;
        let mut problem = |kind, message: String| {
            report.problems.push(Problem {
                agent: Some(name.clone()),
                version: Some(version),
                kind,
                message,
            });
        };
        let summary_text = raw.1.clone();
        let bare = raw.0.clone();
        let (entry, summary_read) = match decode_entry(raw) {
            Ok(entry) => (entry, true),
            Err(_) => {
                problem(
                    ProblemKind::Summary,
                    format!("its summary is not readable: {}", shorten(&summary_text)),
                );
                (bare, false)
            }
        };

        let expected_version = previous.as_ref().map_or(1, |p| p.version + 1);
        let consecutive = entry.version == expected_version;
        if !consecutive {
            // The rows of the missing versions are theirs: the gap is the problem.
            for version in expected_version..entry.version {
                recorded.remove(&(entry.agent.clone(), version));
            }
            let missing = if entry.version == expected_version + 1 {
                format!("v{expected_version} is missing")
            } else {
                format!("v{expected_version} to v{} are missing", entry.version - 1)
            };
            problem(
                ProblemKind::VersionGap,
                format!("{missing}: the history jumps to v{}", entry.version),
            );
        } else {
            let expected_parent = previous.as_ref().map(|p| p.change_track_id.as_str());
            if entry.parent.as_deref() != expected_parent {
                problem(
                    ProblemKind::Parent,
                    match expected_parent {
                        Some(id) => format!(
                            "its parent is {}, not v{} ({})",
                            entry.parent.as_deref().map_or("empty", super::short),
                            entry.version - 1,
                            super::short(id)
                        ),
                        None => "the first publish has a parent".to_owned(),
                    },
                );
            }
        }

        let recomputed = change_track_id(&entry);
        if summary_read && recomputed != entry.change_track_id {
            problem(
                ProblemKind::ChangeTrackId,
                format!(
                    "its content (author, time, message, snapshot, summary …) was edited: it \
                     hashes to {}, not to its change_track_id {}",
                    super::short(&recomputed),
                    super::short(&entry.change_track_id)
                ),
            );
        }

        if !present.contains(&entry.snapshot) {
            problem(
                ProblemKind::SnapshotMissing,
                format!("its snapshot {} is missing", super::short(&entry.snapshot)),
            );
        } else if let Some((kind, message)) = damaged.get(&entry.snapshot) {
            problem(*kind, message.clone());
        }
        used.insert(entry.snapshot.clone());

        if let Some(reverted) = &entry.reverts
            && !ids.contains(reverted)
        {
            problem(
                ProblemKind::Reverts,
                format!(
                    "it names {} as the publish it reverts, which is no earlier publish of {}",
                    super::short(reverted),
                    entry.agent
                ),
            );
        }

        // Each entry's snapshot is read again as the walk reaches it rather than kept from the
        // pass above, so memory stays that of the recent texts however long the history; a
        // damaged or missing one is already a problem of its own. After a gap the parent's
        // snapshot is not at hand: the gap is the problem there.
        let sound = present.contains(&entry.snapshot) && !damaged.contains_key(&entry.snapshot);
        let config = sound
            .then(|| snapshot(&entry.snapshot).ok())
            .flatten()
            .and_then(|text| super::decode_snapshot(&entry.snapshot, &text).ok());
        let rows = recorded
            .remove(&(entry.agent.clone(), entry.version))
            .unwrap_or_default();
        // Rules that do not read are the problem; the changes they would check are not
        // compared with a guess at them.
        let rules = match entry.rules.as_deref().map(RecordedRules::decode) {
            None => Some(None),
            Some(Ok(rules)) => Some(Some(rules)),
            Some(Err(why)) => {
                problem(
                    ProblemKind::Rules,
                    format!(
                        "its recorded rules (the agentctl.yaml sections, identity or format its \
                         changes were compared under) are not readable: {why}: {}",
                        shorten(entry.rules.as_deref().unwrap_or_default())
                    ),
                );
                None
            }
        };
        if let (true, Some(before), Some(after), Some(rules)) =
            (consecutive, &previous_config, &config, &rules)
            && let Some(message) =
                compare_recorded(&entry, rules.as_ref(), before, after, &rows, &replayed)
        {
            problem(ProblemKind::RecordedChanges, message);
        }
        replayed.add(entry.version, &rows);
        previous_config = config;

        ids.insert(entry.change_track_id.clone());
        previous = Some(entry);
    }

    // Rows for a publish the history does not have.
    let mut orphans: Vec<_> = recorded.into_keys().collect();
    orphans.sort();
    for (agent, version) in orphans {
        report.problems.push(Problem {
            agent: Some(agent),
            version: Some(version),
            kind: ProblemKind::RecordedChanges,
            message: "recorded changes (what blame and log --touching read) for a publish \
                      that is not in the history"
                .to_owned(),
        });
    }

    // Damaged snapshots no entry uses still count: the store is not what it claims.
    let mut unused: Vec<_> = damaged
        .iter()
        .filter(|(hash, _)| !used.contains(*hash))
        .collect();
    unused.sort_by(|a, b| a.0.cmp(b.0));
    for (hash, (kind, message)) in unused {
        report.problems.push(Problem {
            agent: None,
            version: None,
            kind: *kind,
            message: format!("unused snapshot {}: {message}", super::short(hash)),
        });
    }
    Ok(())
}

/// One recorded change as stored, decoded from its stored form: the kept old and new values
/// as JSON text, the per-line versions of a multi-line string it set.
pub(crate) struct RecordedRow {
    pub agent: String,
    pub version: u64,
    pub path: String,
    pub kind: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub lines: Option<Vec<u64>>,
}

/// One recorded change as compared: kind, kept old and new values, per-line versions.
struct RecordedChange {
    kind: Option<String>,
    old: Option<Value>,
    new: Option<Value>,
    lines: Option<Vec<u64>>,
}

/// One entry's recorded changes, by path.
type Recorded = BTreeMap<String, RecordedChange>;

/// What one agent's earlier recorded changes say, as publish read them to record the next:
/// the newest version that set each path, and the per-line versions it recorded there. The
/// per-line versions of each entry are recomputed from this, exactly as publish does.
#[derive(Default)]
struct Replayed {
    settings: HashMap<String, u64>,
    lines: HashMap<String, (u64, Vec<u64>)>,
}

impl Replayed {
    /// Take in the recorded changes of the entry just checked.
    fn add(&mut self, version: u64, recorded: &Recorded) {
        for (path, change) in recorded {
            if matches!(
                change.kind.as_deref(),
                Some("added" | "removed" | "changed")
            ) {
                self.settings.insert(path.clone(), version);
            }
            if let Some(lines) = &change.lines {
                self.lines.insert(path.clone(), (version, lines.clone()));
            }
        }
    }
}

impl super::changes::Recorded for Replayed {
    fn settings(
        &self,
        _agent: &str,
        path: &crate::change::Path,
        upto: u64,
        _limit: Option<usize>,
    ) -> Result<Vec<u64>> {
        // Only the agent's entries before the one being checked are in: the newest is the answer.
        let newest = self.settings.get(&path.to_string()).copied();
        Ok(newest.filter(|v| *v <= upto).into_iter().collect())
    }

    fn recorded_lines(&self, _agent: &str, path: &str, version: u64) -> Result<Option<Vec<u64>>> {
        Ok(self
            .lines
            .get(path)
            .filter(|(v, _)| *v == version)
            .map(|(_, lines)| lines.clone()))
    }
}

/// The recorded changes of the whole store, by (agent, version).
fn group_recorded(
    rows: impl Iterator<Item = Result<RecordedRow>>,
) -> Result<HashMap<(String, u64), Recorded>> {
    let mut grouped: HashMap<(String, u64), Recorded> = HashMap::new();
    for row in rows {
        let row = row?;
        grouped.entry((row.agent, row.version)).or_default().insert(
            row.path,
            RecordedChange {
                kind: row.kind,
                old: row.old.as_deref().map(kept),
                new: row.new.as_deref().map(kept),
                lines: row.lines,
            },
        );
    }
    Ok(grouped)
}

/// A kept value as JSON; text that is not JSON stays text, so that it compares unequal.
fn kept(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// Whether an entry's recorded changes are the ones its parent's configuration and its own
/// make, recomputed as publish records them (per-line versions from the agent's earlier
/// records, as publish carried them over); `Some(what is wrong)` when not.
///
/// An entry with recorded rules was compared by them (issue 15): only they count. One
/// without was compared in the format detected from its configurations, by the rules of the
/// agentctl that recorded it: today's, else those before SPEC 13 (keyed lists only at the
/// top level, shapes keeping only `name` and `id`), else (Bedrock) those before cd5ef32.
/// Either kind was recorded with shapes that kept an identity only as a string up to commit
/// bceae13 (`KnowledgeBaseId: !Ref X` kept as `{"Ref": null}`): those are accepted too.
fn compare_recorded(
    entry: &Entry,
    rules: Option<&RecordedRules>,
    before: &Config,
    after: &Config,
    recorded: &Recorded,
    replayed: &Replayed,
) -> Option<String> {
    // No recorded rules: the detected format's own, as `RecordedRules::default()` gives.
    let recorded_rules = rules.cloned().unwrap_or_default();
    let changes = crate::change::diff_as(&recorded_rules.rules(before, after), before, after);
    let identity = recorded_rules.identity_keys();
    let today = lines(entry, &changes, replayed);
    let expected = super::changes::rows(&changes, &identity);
    let problem = compare_rows(&expected, &today, recorded)?;
    // Recorded by agentctl at bceae13 or before, whose shapes kept only string identities.
    let expected = super::changes::rows_bceae13(&changes, &identity);
    compare_rows(&expected, &today, recorded)?;
    // Recorded rules came after the rules below: an entry with some was compared by them.
    if rules.is_some() {
        return Some(problem);
    }
    let legacy = crate::change::diff_as(&crate::agent::format::LEGACY, before, after);
    let expected = super::changes::legacy_rows(&legacy);
    compare_rows(&expected, &lines(entry, &legacy, replayed), recorded)?;
    // Bedrock agents recorded before commit cd5ef32, whose `KnowledgeBaseId: !Ref X` did not
    // identify items yet.
    let format = crate::agent::format::detect_pair(before, after);
    if *format == crate::agent::format::BEDROCK_CFN {
        let old = crate::change::diff_as(&crate::agent::format::BEDROCK_CFN_290238F, before, after);
        // Its shapes, too, kept only string identities.
        let expected = super::changes::rows_bceae13(&old, &[]);
        compare_rows(&expected, &lines(entry, &old, replayed), recorded)?;
    }
    Some(problem)
}

/// The per-line versions publish records for `changes`, by path.
fn lines(
    entry: &Entry,
    changes: &[crate::change::Change],
    replayed: &Replayed,
) -> HashMap<String, Vec<u64>> {
    let mut lines = HashMap::new();
    for change in changes {
        // `Replayed` answers from memory: it cannot fail.
        let versions = super::changes::line_versions(replayed, &entry.agent, entry.version, change);
        if let Ok(Some(versions)) = versions {
            lines.insert(change.path.to_string(), versions);
        }
    }
    lines
}

fn compare_rows(
    expected: &BTreeMap<String, super::changes::Row>,
    expected_lines: &HashMap<String, Vec<u64>>,
    recorded: &Recorded,
) -> Option<String> {
    let mut wrong = Vec::new();
    for (path, row) in expected {
        match recorded.get(path) {
            None => wrong.push(format!("`{path}` is missing")),
            Some(change) => {
                let same = change.kind.as_deref() == row.kind
                    && change.old == row.old.as_deref().map(kept)
                    && change.new == row.new.as_deref().map(kept);
                if !same {
                    wrong.push(format!("`{path}` was edited"));
                } else if change.lines.as_ref() != expected_lines.get(path) {
                    wrong.push(format!("the per-line versions of `{path}` were edited"));
                }
            }
        }
    }
    for path in recorded.keys().filter(|path| !expected.contains_key(*path)) {
        wrong.push(format!("`{path}` was added"));
    }
    if wrong.is_empty() {
        return None;
    }
    let more = match wrong.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    wrong.truncate(3);
    Some(format!(
        "its recorded changes (what blame and log --touching read) are not the ones its \
         snapshots make: {}{more}",
        wrong.join(", ")
    ))
}

/// Whether a snapshot's content is a mapping whose canonical JSON hashes to `hash`.
fn check_snapshot(hash: &str, content: &str) -> Option<(ProblemKind, String)> {
    let mut reader = serde_json::Deserializer::from_str(content);
    reader.disable_recursion_limit();
    let value: Value = match serde::Deserialize::deserialize(&mut reader) {
        Ok(value @ Value::Object(_)) => value,
        Ok(_) => {
            return Some((
                ProblemKind::SnapshotUnreadable,
                format!("its snapshot {} is not a mapping", super::short(hash)),
            ));
        }
        Err(e) => {
            return Some((
                ProblemKind::SnapshotUnreadable,
                format!("its snapshot {} is not readable: {e}", super::short(hash)),
            ));
        }
    };
    let actual = sha256_hex(canonical_json(&value).as_bytes());
    (actual != hash).then(|| {
        (
            ProblemKind::SnapshotHash,
            format!(
                "its snapshot {} was edited: the content hashes to {}",
                super::short(hash),
                super::short(&actual)
            ),
        )
    })
}

/// At most 60 characters of a damaged value, for a message.
fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out.escape_debug().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DEFAULT_LOCK_TIMEOUT;
    use crate::store::Store;
    use crate::store::sqlite::history::tests::publish;

    fn damage(store: &Store, sql: &str) {
        store
            .conn
            .execute_batch(&format!(
                "DROP TRIGGER IF EXISTS history_update_refused;
                 DROP TRIGGER IF EXISTS history_delete_refused;
                 PRAGMA foreign_keys = OFF;
                 {sql}"
            ))
            .unwrap();
    }

    fn kinds(store: &mut Store) -> Vec<(Option<String>, Option<u64>, ProblemKind)> {
        store
            .verify()
            .unwrap()
            .problems
            .into_iter()
            .map(|p| (p.agent, p.version, p.kind))
            .collect()
    }

    fn store_with_history() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), DEFAULT_LOCK_TIMEOUT).unwrap();
        for name in ["one", "two", "three"] {
            publish(&mut store, "a", name);
        }
        publish(&mut store, "b", "one");
        (dir, store)
    }

    fn at(version: u64, kind: ProblemKind) -> (Option<String>, Option<u64>, ProblemKind) {
        (Some("a".into()), Some(version), kind)
    }

    #[test]
    fn a_sound_store_has_no_problems() {
        let (_dir, mut store) = store_with_history();
        let report = store.verify().unwrap();
        assert_eq!(report.problems, []);
        assert_eq!((report.agents, report.entries, report.snapshots), (2, 4, 3));
    }

    #[test]
    fn an_edited_field_breaks_the_id() {
        let (_dir, mut store) = store_with_history();
        damage(
            &store,
            "UPDATE history SET author = 'mallory' WHERE agent = 'a' AND version = 2",
        );
        assert_eq!(kinds(&mut store), [at(2, ProblemKind::ChangeTrackId)]);
    }

    #[test]
    fn an_edited_snapshot_is_named_by_every_entry_using_it() {
        let (_dir, mut store) = store_with_history();
        damage(
            &store,
            r#"UPDATE snapshots SET content = '{"name":"evil"}', frame = NULL, base = NULL
               WHERE hash = (SELECT snapshot FROM history WHERE agent = 'a' AND version = 1)"#,
        );
        // v2 and v3 are stored as deltas against v1's text, so the edit damages them too.
        assert_eq!(
            kinds(&mut store),
            [
                at(1, ProblemKind::SnapshotHash),
                at(2, ProblemKind::SnapshotUnreadable),
                at(3, ProblemKind::SnapshotUnreadable),
                (Some("b".into()), Some(1), ProblemKind::SnapshotHash)
            ]
        );
    }

    #[test]
    fn a_deleted_entry_is_a_gap() {
        let (_dir, mut store) = store_with_history();
        damage(
            &store,
            "DELETE FROM history WHERE agent = 'a' AND version = 2",
        );
        assert_eq!(kinds(&mut store), [at(3, ProblemKind::VersionGap)]);
    }

    #[test]
    fn a_rewired_parent_and_a_missing_snapshot_are_found() {
        let (_dir, mut store) = store_with_history();
        damage(
            &store,
            "UPDATE history SET parent = NULL WHERE agent = 'a' AND version = 3;
             DELETE FROM snapshots WHERE hash = (SELECT snapshot FROM history WHERE agent = 'a' AND version = 2);",
        );
        assert_eq!(
            kinds(&mut store),
            // v3's snapshot is a delta against v2's: without it, v3's cannot be read either.
            [
                at(2, ProblemKind::SnapshotMissing),
                at(3, ProblemKind::Parent),
                at(3, ProblemKind::ChangeTrackId),
                at(3, ProblemKind::SnapshotUnreadable)
            ]
        );
    }

    #[test]
    fn damaged_summary_snapshot_and_reverts_are_found() {
        let (_dir, mut store) = store_with_history();
        damage(
            &store,
            r#"UPDATE history SET summary = 'not json' WHERE agent = 'b';
               UPDATE history SET reverts = 'ffff' WHERE agent = 'a' AND version = 3;
               INSERT INTO snapshots (hash, content) VALUES ('abcd', '[1]');"#,
        );
        let found = kinds(&mut store);
        assert!(found.contains(&at(3, ProblemKind::Reverts)), "{found:?}");
        assert!(
            found.contains(&(Some("b".into()), Some(1), ProblemKind::Summary)),
            "{found:?}"
        );
        assert!(
            found.contains(&(None, None, ProblemKind::SnapshotUnreadable)),
            "{found:?}"
        );
    }
}
