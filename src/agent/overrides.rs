//! `agentctl.yaml` at the workspace root (SPEC 13): what detection should not decide.
//!
//! ```yaml
//! format:                      # the format of files, by glob
//!   "root_agent*.yaml": adk    # a glob over file names in agents/, then a format name
//!   "agents/legacy.yaml": native # a leading `agents/` is allowed
//! sections:                    # extra top-level keys of a section, for every agent
//!   instructions: [persona]    # a section name, then a key or a list of keys
//!   tools: [skills]
//! identity:                    # the identifying key of the items of a list, by its path
//!   skills: skill_id
//!   "tools[].parameters": param  # `[]`: every item of the list before it
//! ```
//!
//! The first glob (in the file's order) that matches a file's name decides its format. Globs
//! know `*` (any characters) and `?` (one character). `sections:` and `identity:` add to the
//! rules of whatever format an agent is read in (its own keys stay); an `identity:` list is
//! matched by that key only. The module only reads text; finding and reading the file is the
//! workspace's.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::format::{self, FORMATS, Format};
use super::{Invalid, Section, parse_file};
use crate::change::Segment;

/// The name of the file, at the workspace root.
pub const FILE: &str = "agentctl.yaml";

/// What `agentctl.yaml` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    formats: Vec<(String, &'static Format)>,
    /// `sections:` and `identity:`; `None` when it has neither.
    extra: Option<Arc<Extra>>,
}

/// `sections:` and `identity:`: what `agentctl.yaml` adds to every format's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extra {
    /// Top-level keys and their section, before the format's own.
    sections: Vec<(String, Section)>,
    /// List paths (`[]` is any item, as [`Step::AnyItem`]) and their identifying key.
    identity: Vec<(Vec<Step>, String)>,
}

/// One step of an `identity:` path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    /// `[]`: any item of the list.
    AnyItem,
}

impl Extra {
    /// The section `sections:` gives a top-level key, if it names it.
    pub fn section_of(&self, key: &str) -> Option<Section> {
        self.sections
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, section)| *section)
    }

    /// The identifying key `identity:` gives the list at `list`, if it names that path.
    pub fn identity_at(&self, list: &[Segment]) -> Option<&str> {
        self.identity
            .iter()
            .find(|(steps, _)| {
                steps.len() == list.len()
                    && steps
                        .iter()
                        .zip(list)
                        .all(|(step, segment)| match (step, segment) {
                            (Step::Key(key), Segment::Key(k)) => key == k,
                            (Step::AnyItem, Segment::Item(_) | Segment::Index(_)) => true,
                            _ => false,
                        })
            })
            .map(|(_, key)| key.as_str())
    }

    /// Every key `identity:` names, for finding an item by its identity where the list's
    /// path is not at hand.
    pub fn identity_keys(&self) -> impl Iterator<Item = &str> {
        self.identity.iter().map(|(_, key)| key.as_str())
    }
}

/// The section names `sections:` takes, as `diff --json` writes them (`knowledge` too).
fn section_named(name: &str) -> Option<Section> {
    match name {
        "knowledge" => Some(Section::KnowledgeSources),
        _ => Section::ALL.into_iter().find(|s| s.key() == name),
    }
}

impl Overrides {
    /// Read `agentctl.yaml`'s text; a bad value is refused at its line and column, with a
    /// `help` saying what is allowed.
    pub fn parse(bytes: &[u8]) -> Result<Overrides, Invalid> {
        let root = parse_file(bytes)?;
        let mut overrides = Overrides::default();
        let mut extra = Extra::default();
        for (key, value) in &root {
            let shape = match key.as_str() {
                "format" => "`format:` followed by indented lines `\"GLOB\": FORMAT`",
                "sections" => "`sections:` followed by indented lines `SECTION: [KEY, …]`",
                "identity" => "`identity:` followed by indented lines `\"LIST.PATH\": KEY`",
                _ => {
                    return Err(at(
                        bytes,
                        key,
                        format!("unknown key `{key}` in {FILE}"),
                        "agentctl.yaml takes `format:` (file globs to format names), \
                         `sections:` (section names to extra top-level keys) and `identity:` \
                         (list paths to identifying keys)"
                            .into(),
                    ));
                }
            };
            let Value::Object(entries) = value else {
                return Err(at(
                    bytes,
                    key,
                    format!(
                        "`{key}` must be a mapping, found {}",
                        super::describe(value)
                    ),
                    format!("write it as {shape}"),
                ));
            };
            match key.as_str() {
                "format" => overrides.formats = formats(bytes, entries)?,
                "sections" => extra.sections = sections(bytes, entries)?,
                _ => extra.identity = identity(bytes, entries)?,
            }
        }
        if extra != Extra::default() {
            overrides.extra = Some(Arc::new(extra));
        }
        Ok(overrides)
    }

    /// The format `agentctl.yaml` gives the file `name` of agents/, if any.
    pub fn format_for(&self, name: &str) -> Option<&'static Format> {
        self.formats
            .iter()
            .find(|(glob, _)| matches(glob.as_bytes(), name.as_bytes()))
            .map(|(_, format)| *format)
    }

    /// `format` with `sections:` and `identity:` added: the table itself when agentctl.yaml
    /// has neither, else a copy sharing them (no allocation per use beyond the copy).
    pub fn extend(&self, format: &'static Format) -> Cow<'static, Format> {
        match &self.extra {
            None => Cow::Borrowed(format),
            Some(extra) => Cow::Owned(Format {
                extra: Some(Arc::clone(extra)),
                ..format.clone()
            }),
        }
    }

    /// `sections:` and `identity:`, if agentctl.yaml has either.
    pub fn extra(&self) -> Option<&Extra> {
        self.extra.as_deref()
    }
}

/// The rules a history entry's changes were compared under, beyond the format detected from
/// its snapshots (issue 15): the format its staging file was read in when that was another
/// (`agentctl.yaml`'s `format:`, a `.prompty` file), and `agentctl.yaml`'s `sections:` and
/// `identity:`. Recorded with the entry as canonical JSON, so that `verify`, `show` and
/// `blame` read the history as `publish` compared it, whatever `agentctl.yaml` says later.
/// Nothing to record (the detected format's own rules, the common case) is `None`:
///
/// ```json
/// {"format":"adk","identity":{"skills":"skill_id","tools[].parameters":"param"},"sections":{"persona":"instructions"}}
/// ```
///
/// `sections` maps each key to the section it takes (the first `agentctl.yaml` gave it, which
/// is the one that applies), so the JSON's key order cannot change the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedRules {
    /// The format versions were compared in, when it is not the one detected from them.
    format: Option<&'static Format>,
    extra: Option<Arc<Extra>>,
}

impl RecordedRules {
    /// What `rules`, the rules `old` and `new` were compared by, add to the format detected
    /// from them.
    pub fn of(rules: &Format, old: &Map<String, Value>, new: &Map<String, Value>) -> Self {
        let detected = format::detect_pair(old, new);
        RecordedRules {
            format: (rules.name != detected.name)
                .then(|| format::by_name(rules.name))
                .flatten(),
            extra: rules.extra.clone(),
        }
    }

    /// The rules to compare `old` and `new` by: the recorded format (else the one detected
    /// from them) with the recorded sections and identity.
    pub fn rules(
        &self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) -> Cow<'static, Format> {
        let format = self.format.unwrap_or_else(|| format::detect_pair(old, new));
        Overrides {
            formats: Vec::new(),
            extra: self.extra.clone(),
        }
        .extend(format)
    }

    /// The identifying keys `identity:` named: what kept shapes of this entry's changes keep
    /// besides every format's own (so `log --touching skills[write]` finds the item in a
    /// whole `skills` list that a publish set).
    pub fn identity_keys(&self) -> Vec<String> {
        self.extra
            .as_ref()
            .map(|extra| extra.identity_keys().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The canonical JSON text to record; `None` when there is nothing beyond detection.
    pub fn encode(&self) -> Option<String> {
        let mut out = Map::new();
        if let Some(format) = self.format {
            out.insert("format".into(), format.name.into());
        }
        if let Some(extra) = &self.extra {
            let mut sections = Map::new();
            for (key, section) in &extra.sections {
                if !sections.contains_key(key) {
                    sections.insert(key.clone(), section.key().into());
                }
            }
            if !sections.is_empty() {
                out.insert("sections".into(), Value::Object(sections));
            }
            let identity: Map<String, Value> = extra
                .identity
                .iter()
                .map(|(steps, key)| (path_text(steps), Value::String(key.clone())))
                .collect();
            if !identity.is_empty() {
                out.insert("identity".into(), Value::Object(identity));
            }
        }
        (!out.is_empty()).then(|| super::canonical_json(&Value::Object(out)))
    }

    /// Read recorded rules back; what does not read is said in a few words.
    pub fn decode(text: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("it is not JSON ({e})"))?;
        let Value::Object(map) = value else {
            return Err("it is not a JSON object".into());
        };
        let mut rules = RecordedRules::default();
        let mut extra = Extra::default();
        for (key, value) in &map {
            match (key.as_str(), value) {
                ("format", Value::String(name)) => {
                    rules.format = Some(
                        format::by_name(name)
                            .ok_or_else(|| format!("no format is named `{name}`"))?,
                    );
                }
                ("sections", Value::Object(keys)) => {
                    for (key, section) in keys {
                        let section = section
                            .as_str()
                            .and_then(section_named)
                            .ok_or_else(|| format!("`{key}` is given no section"))?;
                        extra.sections.push((key.clone(), section));
                    }
                }
                ("identity", Value::Object(paths)) => {
                    for (path, key) in paths {
                        let steps =
                            steps(path).map_err(|why| format!("bad list path `{path}`: {why}"))?;
                        let key = key
                            .as_str()
                            .filter(|key| !key.is_empty())
                            .ok_or_else(|| format!("`{path}` is given no identifying key"))?;
                        extra.identity.push((steps, key.to_owned()));
                    }
                }
                _ => return Err(format!("`{key}` is not one of format, sections, identity")),
            }
        }
        if extra != Extra::default() {
            rules.extra = Some(Arc::new(extra));
        }
        Ok(rules)
    }
}

/// An `identity:` path as agentctl.yaml writes it: `tools[].parameters`.
fn path_text(steps: &[Step]) -> String {
    let mut text = String::new();
    for step in steps {
        match step {
            Step::Key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Step::AnyItem => text.push_str("[]"),
        }
    }
    text
}

fn at(bytes: &[u8], key: &str, message: String, help: String) -> Invalid {
    let (line, column) = locate(bytes, key);
    Invalid {
        help: Some(help),
        ..Invalid::at(message, line, column)
    }
}

fn formats(
    bytes: &[u8],
    globs: &Map<String, Value>,
) -> Result<Vec<(String, &'static Format)>, Invalid> {
    let mut formats = Vec::new();
    for (glob, name) in globs {
        let Some(found) = name.as_str().and_then(format::by_name) else {
            let shown = match name {
                Value::String(name) => format!("`{name}`"),
                other => super::describe(other).to_owned(),
            };
            return Err(at(
                bytes,
                glob,
                format!("unknown format {shown} for `{glob}`"),
                format!(
                    "the formats are {}",
                    FORMATS
                        .iter()
                        .map(|f| format!("`{}`", f.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let glob = glob.strip_prefix("agents/").unwrap_or(glob);
        formats.push((glob.to_owned(), found));
    }
    Ok(formats)
}

fn sections(bytes: &[u8], entries: &Map<String, Value>) -> Result<Vec<(String, Section)>, Invalid> {
    let names = || {
        Section::ALL
            .iter()
            .map(|s| format!("`{}`", s.key()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut sections = Vec::new();
    for (name, keys) in entries {
        let Some(section) = section_named(name) else {
            return Err(at(
                bytes,
                name,
                format!("unknown section `{name}` in `sections`"),
                format!("the sections are {}", names()),
            ));
        };
        let keys: Vec<&Value> = match keys {
            Value::Array(keys) => keys.iter().collect(),
            key => vec![key],
        };
        for key in keys {
            match key.as_str() {
                Some(key) if !key.is_empty() => sections.push((key.to_owned(), section)),
                _ => {
                    return Err(at(
                        bytes,
                        name,
                        format!(
                            "`sections.{name}` must list top-level keys, found {}",
                            super::describe(key)
                        ),
                        format!("write it as `{name}: [KEY, …]`, the agent's own key names"),
                    ));
                }
            }
        }
    }
    Ok(sections)
}

fn identity(
    bytes: &[u8],
    entries: &Map<String, Value>,
) -> Result<Vec<(Vec<Step>, String)>, Invalid> {
    let mut identity = Vec::new();
    for (path, key) in entries {
        let steps = steps(path).map_err(|why| {
            at(
                bytes,
                path,
                format!("bad list path `{path}` in `identity`: {why}"),
                "a list path is top-level keys and mapping keys joined by `.`, with `[]` for \
                 every item of a list: `skills`, `tools[].parameters`"
                    .into(),
            )
        })?;
        let Some(key) = key.as_str().filter(|key| !key.is_empty()) else {
            return Err(at(
                bytes,
                path,
                format!(
                    "the identifying key of `{path}` must be a key name, found {}",
                    super::describe(key)
                ),
                format!("write it as `\"{path}\": KEY`, the key each item of the list holds"),
            ));
        };
        identity.push((steps, key.to_owned()));
    }
    Ok(identity)
}

/// The steps of an `identity:` path: `tools[].parameters` is `tools`, any item, `parameters`.
fn steps(path: &str) -> Result<Vec<Step>, &'static str> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return Err("a step has no key name");
        }
        steps.push(Step::Key(key.to_owned()));
        while !rest.is_empty() {
            rest = rest
                .strip_prefix("[]")
                .ok_or("only `[]` (every item) may follow a key")?;
            steps.push(Step::AnyItem);
        }
    }
    if steps.last() == Some(&Step::AnyItem) {
        return Err("it ends inside an item, not at a list");
    }
    Ok(steps)
}

/// Whether `name` matches `glob` (`*` any run of characters, `?` one byte).
fn matches(glob: &[u8], name: &[u8]) -> bool {
    match (glob.split_first(), name.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => {
            matches(rest, name) || (!name.is_empty() && matches(glob, &name[1..]))
        }
        (Some((b'?', rest)), Some((_, name_rest))) => matches(rest, name_rest),
        (Some((g, rest)), Some((n, name_rest))) if g == n => matches(rest, name_rest),
        _ => false,
    }
}

/// The line and column of a mapping key in the text, quoted or not (1, 1 when not found).
fn locate(bytes: &[u8], key: &str) -> (usize, usize) {
    let text = String::from_utf8_lossy(bytes);
    for (index, line) in text.lines().enumerate() {
        let inner = line.trim_start();
        let unquoted = inner.strip_prefix(['"', '\'']).unwrap_or(inner);
        if let Some(rest) = unquoted.strip_prefix(key) {
            let rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
            if rest.trim_start().starts_with(':') {
                return (index + 1, line.len() - inner.len() + 1);
            }
        }
    }
    (1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names() {
        assert!(matches(b"*.yaml", b"root_agent.yaml"));
        assert!(matches(b"root_agent*.yaml", b"root_agent.yaml"));
        assert!(matches(b"a?c.yml", b"abc.yml"));
        assert!(!matches(b"*.yaml", b"a.yml"));
        assert!(!matches(b"a?c", b"ac"));
    }

    #[test]
    fn the_first_matching_glob_decides() {
        let overrides =
            Overrides::parse(b"format:\n  \"agents/special.yaml\": native\n  '*.yaml': adk\n")
                .unwrap();
        assert_eq!(overrides.format_for("special.yaml").unwrap().name, "native");
        assert_eq!(overrides.format_for("other.yaml").unwrap().name, "adk");
        assert_eq!(overrides.format_for("other.prompty"), None);
    }

    #[test]
    fn bad_values_are_located_with_help() {
        let e = Overrides::parse(b"format:\n  '*.yaml': adkk\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(3)));
        assert!(e.message.contains("unknown format `adkk`"), "{e:?}");
        assert!(e.help.unwrap().contains("`adk`"));
        let e = Overrides::parse(b"# x\nsection: {}\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert!(e.help.unwrap().contains("`identity:`"));
        let e = Overrides::parse(b"format: adk\n").unwrap_err();
        assert!(e.message.contains("found a string"), "{e:?}");
        let e = Overrides::parse(b"sections:\n  instruction: [persona]\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(3)));
        assert!(e.message.contains("unknown section `instruction`"), "{e:?}");
        assert!(e.help.unwrap().contains("`instructions`"));
        let e = Overrides::parse(b"sections:\n  tools: [1]\n").unwrap_err();
        assert!(e.message.contains("found an integer"), "{e:?}");
        let e = Overrides::parse(b"identity:\n  \"tools[0]\": id\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(3)));
        assert!(e.message.contains("bad list path `tools[0]`"), "{e:?}");
        assert!(e.help.unwrap().contains("tools[].parameters"));
        for bad in ["identity:\n  \"a..b\": id\n", "identity:\n  \"a[]\": id\n"] {
            assert!(Overrides::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let e = Overrides::parse(b"identity:\n  skills: [a]\n").unwrap_err();
        assert!(e.message.contains("must be a key name"), "{e:?}");
        let e = Overrides::parse(b"format:\n  x: [1\n").unwrap_err();
        assert!(e.line.is_some(), "{e:?}");
    }

    #[test]
    fn recorded_rules_are_canonical_and_read_back() {
        let overrides = Overrides::parse(
            b"format:\n  '*.yaml': adk\nidentity:\n  \"tools[].parameters\": param\n  skills: skill_id\n\
              sections:\n  tools: [skills]\n  instructions: persona\n  settings: [skills]\n",
        )
        .unwrap();
        let (old, new) = (
            Map::new(),
            crate::store::testing::config(serde_json::json!({"name": "x"})),
        );
        let rules = overrides.extend(overrides.format_for("a.yaml").unwrap());
        let recorded = RecordedRules::of(&rules, &old, &new);
        let text = recorded.encode().unwrap();
        // Keys sorted; a key two sections name takes the first, as agentctl.yaml applies it.
        assert_eq!(
            text,
            r#"{"format":"adk","identity":{"skills":"skill_id","tools[].parameters":"param"},"sections":{"persona":"instructions","skills":"tools"}}"#
        );
        let read = RecordedRules::decode(&text).unwrap();
        assert_eq!(read.encode().unwrap(), text);
        let back = read.rules(&old, &new);
        assert_eq!(back.name, "adk");
        assert_eq!(back.section_of("skills"), Section::Tools);
        assert_eq!(back.section_of("persona"), Section::Instructions);
        // Detection's own format and no sections or identity: nothing to record.
        let native = Overrides::default().extend(format::detect(&new));
        assert_eq!(RecordedRules::of(&native, &old, &new).encode(), None);
        for bad in [
            "x",
            "[]",
            r#"{"format":"nope"}"#,
            r#"{"sections":{"a":"nowhere"}}"#,
            r#"{"identity":{"a[0]":"id"}}"#,
            r#"{"identity":{"a":""}}"#,
            r#"{"other":1}"#,
        ] {
            assert!(RecordedRules::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sections_and_identity_extend_every_format() {
        let overrides = Overrides::parse(
            b"sections:\n  instructions: [persona]\n  knowledge: docs\n  settings: [tools]\n\
              identity:\n  skills: skill_id\n  \"tools[].parameters\": param\n",
        )
        .unwrap();
        let native = overrides.extend(&format::NATIVE);
        assert_eq!(native.section_of("persona"), Section::Instructions);
        assert_eq!(native.section_of("docs"), Section::KnowledgeSources);
        assert_eq!(native.section_of("tools"), Section::Settings);
        assert_eq!(native.section_of("guardrails"), Section::Guardrails);
        assert_eq!(native.name, "native");
        let key = |path: &[Segment]| overrides.extra().unwrap().identity_at(path);
        assert_eq!(key(&[Segment::Key("skills".into())]), Some("skill_id"));
        let params = [
            Segment::Key("tools".into()),
            Segment::Item("lookup".into()),
            Segment::Key("parameters".into()),
        ];
        assert_eq!(key(&params), Some("param"));
        assert_eq!(key(&[Segment::Key("tools".into())]), None);
        let skills = [
            serde_json::json!({"skill_id": "a"}),
            serde_json::json!({"skill_id": "b"}),
        ];
        assert!(native.is_keyed_at(&[Segment::Key("skills".into())], &[&skills]));
        assert!(!format::NATIVE.is_keyed_at(&[Segment::Key("skills".into())], &[&skills]));
        // Without sections or identity, the table itself.
        let plain = Overrides::parse(b"format: {}\n").unwrap();
        assert!(matches!(plain.extend(&format::NATIVE), Cow::Borrowed(_)));
    }
}
