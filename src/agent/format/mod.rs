//! Which key of an agent file is which section, and which lists are matched by identity.
//!
//! A format is data, not code: one [`Format`] table per framework, one small file each (the
//! way ripgrep keeps its file types in one table), read by the parser (what to require), by
//! `change`, `merge` and `edit` (is this list keyed, by what?) and by the views (which section
//! a key belongs to). The configuration is kept as the file writes it — `instruction` stays
//! `instruction` — so snapshots, `export` and writes back to the file speak the framework's
//! own language; only the reading of it differs.
//!
//! Detection ([`detect`]) looks at the top-level keys of the agent, in the order of
//! [`FORMATS`]; the first format with a matching mark wins, and a document that matches none is
//! native (SPEC section 3). The marks are listed in each format's file and in the README.

use serde_json::{Map, Value};

use super::Section;
use crate::change::Segment;

mod adk;
mod bedrock_cfn;
mod crewai;
mod letta;
mod native;
mod promptfoo;
mod prompty;
mod semantic_kernel;

pub use bedrock_cfn::{BEDROCK_CFN, BEDROCK_CFN_290238F};
pub use crewai::CREWAI;
pub use native::{LEGACY, NATIVE};
pub use prompty::PROMPTY;

/// What a format allows `model` to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// A mapping (provider, name, temperature, …), as SPEC section 3 asks.
    Mapping,
    /// A mapping or a model name (`model: gemini-2.0-flash`).
    MappingOrString,
}

/// One clue that a document is written in a format.
#[derive(Debug, Clone, Copy)]
pub enum Mark {
    /// This top-level key is present.
    Key(&'static str),
    /// All these top-level keys are present.
    Keys(&'static [&'static str]),
    /// This top-level key holds a string.
    StringAt(&'static str),
    /// This top-level key holds a string ending with the suffix (`type: chat_completion_agent`).
    StringEndsWith(&'static str, &'static str),
    /// This top-level key holds one of these strings (`kind: Prompt`).
    StringIn(&'static str, &'static [&'static str]),
    /// This top-level key holds a mapping with one of these keys (`model: {api: chat}`).
    MappingWith(&'static str, &'static [&'static str]),
}

impl Mark {
    fn matches(self, config: &Map<String, Value>) -> bool {
        match self {
            Mark::Key(key) => config.contains_key(key),
            Mark::Keys(keys) => keys.iter().all(|key| config.contains_key(*key)),
            Mark::StringAt(key) => config.get(key).is_some_and(Value::is_string),
            Mark::StringEndsWith(key, suffix) => config
                .get(key)
                .and_then(Value::as_str)
                .is_some_and(|s| s.ends_with(suffix)),
            Mark::StringIn(key, values) => config
                .get(key)
                .and_then(Value::as_str)
                .is_some_and(|s| values.contains(&s)),
            Mark::MappingWith(key, keys) => config
                .get(key)
                .and_then(Value::as_object)
                .is_some_and(|map| keys.iter().any(|k| map.contains_key(*k))),
        }
    }

    /// The keys this mark looks at, for judging which format a refused file was closest to.
    fn keys(self) -> Vec<&'static str> {
        match self {
            Mark::Keys(keys) => keys.to_vec(),
            Mark::Key(key)
            | Mark::StringAt(key)
            | Mark::StringEndsWith(key, _)
            | Mark::StringIn(key, _)
            | Mark::MappingWith(key, _) => vec![key],
        }
    }
}

/// One file format's rules.
#[derive(Debug, Clone)]
pub struct Format {
    /// The name shown in `status` and `validate --json`: `native`, `adk`, …
    pub name: &'static str,
    /// The framework, for messages: "Google ADK".
    pub title: &'static str,
    /// Top-level keys and the section each belongs to; every other key is a setting.
    pub sections: &'static [(&'static str, Section)],
    /// The keys that identify an item of a list (at any depth), tried in this order.
    pub identity: &'static [&'static str],
    /// Top-level lists whose items must each have a unique identity (refused otherwise).
    pub keyed_lists: &'static [&'static str],
    /// Whether other lists, at any depth, are keyed when all their items are identified (SPEC
    /// 13). Only [`LEGACY`] says no: the rules stores recorded changes under before SPEC 13.
    pub keyed_at_any_depth: bool,
    /// The key holding the agent's name, if the format has one.
    pub name_key: Option<&'static str>,
    /// Whether the name must be there; without one the agent is named by its id.
    pub name_required: bool,
    /// What `model` may be.
    pub model: Model,
    /// Top-level keys whose value must be a string when present.
    pub strings: &'static [&'static str],
    /// Clues that a document is in this format; any one is enough.
    pub marks: &'static [Mark],
    /// For a refused file closest to this format: what would make it read as this format.
    pub adopt: &'static str,
    /// Whether a CloudFormation reference (`KnowledgeBaseId: !Ref X`, read as `{"Ref": "X"}`)
    /// identifies its item, as the name X ([`identifying_text`]). Only
    /// [`bedrock_cfn::BEDROCK_CFN_290238F`] says no: the rules before commit cd5ef32.
    pub references_identify: bool,
    /// What `agentctl.yaml` adds to this format's own rules (`sections:`, `identity:`), for
    /// a format value extended at run time ([`super::Overrides::extend`]); `None` in the tables.
    pub extra: Option<std::sync::Arc<super::overrides::Extra>>,
}

/// Every format, in the order detection tries them; native, which matches anything, is last.
pub const FORMATS: [&Format; 8] = [
    &bedrock_cfn::BEDROCK_CFN,
    &crewai::CREWAI,
    &letta::LETTA,
    &promptfoo::PROMPTFOO,
    &semantic_kernel::SEMANTIC_KERNEL,
    &prompty::PROMPTY,
    &adk::ADK,
    &NATIVE,
];

/// Every identifying key of every format, in the order [`identity`] tries them: what finds an
/// item by name where the format is not at hand (stored changes, paths into snapshots).
pub const ANY_IDENTITY: [&str; 10] = [
    "name",
    "id",
    "ActionGroupName",
    "KnowledgeBaseId",
    "CollaboratorName",
    "Name",
    "config_path",
    "code",
    "label",
    "category",
];

/// The format of the format named `name` (as `agentctl.yaml` and `status` write it).
pub fn by_name(name: &str) -> Option<&'static Format> {
    FORMATS.into_iter().find(|f| f.name == name)
}

/// The format a configuration is written in: the first of [`FORMATS`] with a matching mark.
pub fn detect(config: &Map<String, Value>) -> &'static Format {
    FORMATS
        .into_iter()
        .find(|format| format.marks.iter().any(|mark| mark.matches(config)))
        .unwrap_or(&NATIVE)
}

/// The format of a comparison between two versions of one agent: the newer one's, unless it
/// is empty (a removed agent).
pub fn detect_pair(old: &Map<String, Value>, new: &Map<String, Value>) -> &'static Format {
    if new.is_empty() {
        detect(old)
    } else {
        detect(new)
    }
}

/// For a document refused under the native rules: the other format whose keys it shares most,
/// if it shares any.
pub fn closest(config: &Map<String, Value>) -> Option<&'static Format> {
    FORMATS
        .into_iter()
        .filter(|format| format.name != NATIVE.name)
        .map(|format| {
            let mut keys: Vec<&str> = format.sections.iter().map(|(k, _)| *k).collect();
            keys.extend(format.marks.iter().flat_map(|m| m.keys()));
            keys.sort_unstable();
            keys.dedup();
            let shared = keys.iter().filter(|k| config.contains_key(**k)).count();
            (shared, format)
        })
        .filter(|(shared, _)| *shared > 0)
        // The first of equals wins: `max_by_key` would take the last.
        .fold(
            None,
            |best: Option<(usize, &Format)>, (shared, format)| match best {
                Some((most, _)) if most >= shared => best,
                _ => Some((shared, format)),
            },
        )
        .map(|(_, format)| format)
}

/// Where in its file an agent is, when that is not simply the whole file as YAML in the format
/// its keys say: one agent of a file holding several (its key, the id's part after the file
/// stem, and the mapping keys that lead from the file's root to its configuration), the front
/// matter of a `.prompty` or `.md` file, or a whole file whose format `agentctl.yaml` gives
/// (for these two, key and path are empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub key: String,
    pub at: Vec<String>,
    /// The format it is read in; `None`: detected from its keys.
    pub format: Option<&'static Format>,
    /// The agent is the file's YAML front matter, and its body the `instructions`.
    pub front_matter: bool,
}

impl Part {
    /// A whole YAML file read in `format` (`agentctl.yaml` said so).
    pub fn whole(format: &'static Format) -> Part {
        Part {
            key: String::new(),
            at: Vec::new(),
            format: Some(format),
            front_matter: false,
        }
    }

    /// The agent of a front-matter file (`file_name` ends with one of
    /// [`super::front_matter::EXTENSIONS`]): a `.prompty` file is Prompty whatever its keys
    /// (Prompty v2's `model: {id: …}` looks like other formats); a `.md` file is detected.
    pub fn front_matter(file_name: &str) -> Part {
        Part {
            key: String::new(),
            at: Vec::new(),
            format: file_name.ends_with(".prompty").then_some(&prompty::PROMPTY),
            front_matter: true,
        }
    }
}

/// The CloudFormation resource type whose `Properties` are an agent.
pub const BEDROCK_AGENT_TYPE: &str = "AWS::Bedrock::Agent";

/// The agents of a file holding several (SPEC 13), or `None` for a file holding one:
/// - a CloudFormation template (`Resources` with a resource of type `AWS::Bedrock::Agent`):
///   the `Properties` of each such resource, keyed by its logical id;
/// - a CrewAI `agents.yaml` (every top-level value a mapping that reads as a CrewAI agent):
///   each top-level key.
pub fn parts(file: &Map<String, Value>) -> Option<Vec<Part>> {
    if let Some(resources) = file.get("Resources").and_then(Value::as_object) {
        let agents: Vec<Part> = resources
            .iter()
            .filter(|(_, resource)| {
                resource.get("Type").and_then(Value::as_str) == Some(BEDROCK_AGENT_TYPE)
            })
            .map(|(id, _)| Part {
                key: id.clone(),
                at: vec!["Resources".into(), id.clone(), "Properties".into()],
                format: Some(&BEDROCK_CFN),
                front_matter: false,
            })
            .collect();
        return (!agents.is_empty()).then_some(agents);
    }
    let crew = !file.is_empty()
        && file.values().all(|agent| {
            agent
                .as_object()
                .is_some_and(|agent| *detect(agent) == crewai::CREWAI)
        });
    crew.then(|| {
        file.keys()
            .map(|key| Part {
                key: key.clone(),
                at: vec![key.clone()],
                format: Some(&crewai::CREWAI),
                front_matter: false,
            })
            .collect()
    })
}

/// Whether a file read in `format` may hold several agents: CrewAI's and CloudFormation's
/// may; a file `agentctl.yaml` gives another format is one agent whatever it looks like.
pub fn holds_several(format: &Format) -> bool {
    format.name == crewai::CREWAI.name || format.name == bedrock_cfn::BEDROCK_CFN.name
}

/// A look at a file's text that tells, without parsing it, whether it may hold several agents
/// (so that listing the agents of a workspace parses only those files).
pub fn may_hold_several(text: &str) -> bool {
    text.contains(BEDROCK_AGENT_TYPE)
        || (!text.lines().any(|line| line.starts_with("name:"))
            && text.lines().any(|line| {
                let inner = line.trim_start();
                inner.len() < line.len()
                    && ["role:", "goal:", "backstory:"]
                        .iter()
                        .any(|key| inner.starts_with(key))
            }))
}

/// The `help:` line for a document refused under the native rules: the format it looks
/// closest to and what would make it read as that format, or what it is when it is no agent.
pub fn help_for(config: &Map<String, Value>) -> Option<String> {
    let tasks = !config.is_empty()
        && config.values().all(|value| {
            value
                .as_object()
                .is_some_and(|task| task.contains_key("expected_output"))
        });
    if tasks {
        return Some(
            "this looks like a CrewAI tasks.yaml (tasks with `expected_output`), not agents; \
             keep it outside agents/ (its agents.yaml belongs there)"
                .into(),
        );
    }
    let closest = closest(config)?;
    Some(format!(
        "this file looks closest to {} (`{}`): {}; a file matching no format is read by \
         agentctl's own rules",
        closest.title, closest.name, closest.adopt
    ))
}

/// The identity of an item under any format's identifying keys.
pub fn identity(item: &Value) -> Option<&str> {
    let map = item.as_object()?;
    ANY_IDENTITY
        .iter()
        .find_map(|key| map.get(*key))
        .and_then(identifying_text)
}

/// The text an identifying value names its item by: a string, or the name a CloudFormation
/// reference points at (`KnowledgeBaseId: !Ref DocsKnowledgeBaseId`, read as
/// `{"Ref": "DocsKnowledgeBaseId"}`), which identifies the item as well as a literal id would.
pub fn identifying_text(value: &Value) -> Option<&str> {
    match value {
        Value::String(text) => Some(text),
        Value::Object(call) if call.len() == 1 => call.get("Ref")?.as_str(),
        _ => None,
    }
}

/// Formats are the same when their names are.
impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.name == other.name
    }
}

impl Eq for Format {}

impl Format {
    /// The section a top-level key belongs to; unknown keys are settings.
    pub fn section_of(&self, key: &str) -> Section {
        if let Some(section) = self.extra.as_ref().and_then(|extra| extra.section_of(key)) {
            return section;
        }
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
            .and_then(|value| self.identifying_text(value))
    }

    /// [`identifying_text`] under this format's rules: a reference only where it identifies.
    fn identifying_text<'v>(&self, value: &'v Value) -> Option<&'v str> {
        match value {
            Value::Object(_) if !self.references_identify => None,
            _ => identifying_text(value),
        }
    }

    /// Whether the list under the top-level key `key` is matched item by item by identity
    /// rather than aligned by position: it is one of the keyed lists, and in every version given
    /// each item has an identity and no identity repeats. Diff and revert both ask this one
    /// question, so they can never disagree on how a list is matched.
    pub fn is_keyed_list(&self, key: &str, versions: &[&[Value]]) -> bool {
        self.keyed_lists.contains(&key) && self.all_identified(versions)
    }

    /// Whether the list at a path is matched by identity: `top_level` is its key when it is a
    /// top-level list. Top-level keyed lists as in [`Self::is_keyed_list`]; any other list (at
    /// any depth) when it holds items and in every version each item is a mapping with an
    /// identity that no other item repeats — tool parameters, `sub_agents`, `ActionGroups`.
    pub fn is_keyed(&self, top_level: Option<&str>, versions: &[&[Value]]) -> bool {
        if top_level.is_some_and(|key| self.keyed_lists.contains(&key)) {
            return self.all_identified(versions);
        }
        self.keyed_at_any_depth
            && versions.iter().any(|items| !items.is_empty())
            && self.all_identified(versions)
    }

    fn all_identified(&self, versions: &[&[Value]]) -> bool {
        Self::identified_by(versions, |item| self.identity_of(item))
    }

    fn identified_by<'v>(
        versions: &[&'v [Value]],
        identity: impl Fn(&'v Value) -> Option<&'v str>,
    ) -> bool {
        versions.iter().all(|items| {
            let mut seen = std::collections::HashSet::new();
            items
                .iter()
                .all(|item| identity(item).is_some_and(|id| seen.insert(id)))
        })
    }

    /// Every key `agentctl.yaml`'s `identity:` names: what writes find items by first.
    pub fn extra_identity_keys(&self) -> Vec<&str> {
        self.extra
            .as_ref()
            .map(|extra| extra.identity_keys().collect())
            .unwrap_or_default()
    }

    /// The key `agentctl.yaml`'s `identity:` gives the list at `list`, if any.
    fn identity_key_at(&self, list: &[Segment]) -> Option<&str> {
        self.extra.as_ref()?.identity_at(list)
    }

    /// The identity of an item of the list at `list`: by the key `agentctl.yaml` gives that
    /// list, else as [`Self::identity_of`].
    pub fn identity_at<'v>(&self, list: &[Segment], item: &'v Value) -> Option<&'v str> {
        match self.identity_key_at(list) {
            Some(key) => item
                .as_object()?
                .get(key)
                .and_then(|value| self.identifying_text(value)),
            None => self.identity_of(item),
        }
    }

    /// Whether the list at `list` is matched by identity: a list `agentctl.yaml` gives a key
    /// is when every item of every version has a distinct value there; any other as
    /// [`Self::is_keyed`].
    pub fn is_keyed_at(&self, list: &[Segment], versions: &[&[Value]]) -> bool {
        if self.identity_key_at(list).is_some() {
            return Self::identified_by(versions, |item| self.identity_at(list, item));
        }
        let top_level = match list {
            [Segment::Key(key)] => Some(key.as_str()),
            _ => None,
        };
        self.is_keyed(top_level, versions)
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
mod tests;
