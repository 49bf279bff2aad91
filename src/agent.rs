//! The agent document: one YAML file per agent, parsed into a plain JSON-compatible value.
//!
//! Parsing and validation happen in a single pass over the YAML events (yaml_serde drives our
//! visitors), so every complaint carries the `line:column` of the node it is about. Anchors,
//! aliases and merge keys are resolved; numbers are normalised so that `1` and `1.0` are the same
//! value. The resulting [`Config`] is what snapshots hold and what the change model compares.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

mod prescan;

/// A parsed, validated and normalised agent configuration: always a JSON object.
pub type Config = Map<String, Value>;

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// A single string longer than this is refused.
pub const MAX_STRING_BYTES: usize = 1024 * 1024;
/// Alias expansion may build at most this many times the size of the document.
const EXPANSION_FACTOR: usize = 100;
/// Nesting deeper than this is refused: by yaml_serde itself ("recursion limit exceeded"), and
/// for flow collections by a scan before parsing (see `prescan`).
pub const MAX_DEPTH: usize = 128;

/// The three lists whose items are identified by their `name` (or `id`), never by position.
pub const KEYED_LISTS: [&str; 3] = ["knowledge_sources", "tools", "guardrails"];

/// The part of the agent a top-level key belongs to, in the order diffs present them.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Settings,
    Instructions,
    KnowledgeSources,
    Tools,
    Guardrails,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Settings,
        Section::Instructions,
        Section::KnowledgeSources,
        Section::Tools,
        Section::Guardrails,
    ];

    /// The section a top-level key belongs to; unknown keys are settings.
    pub fn of_key(key: &str) -> Section {
        match key {
            "instructions" => Section::Instructions,
            "knowledge_sources" => Section::KnowledgeSources,
            "tools" => Section::Tools,
            "guardrails" => Section::Guardrails,
            _ => Section::Settings,
        }
    }

    /// Title for human output.
    pub fn title(self) -> &'static str {
        match self {
            Section::Settings => "Agent settings",
            Section::Instructions => "Instructions",
            Section::KnowledgeSources => "Knowledge sources",
            Section::Tools => "Tools",
            Section::Guardrails => "Guardrails",
        }
    }

    /// The name used in JSON and generated messages.
    pub fn key(self) -> &'static str {
        match self {
            Section::Settings => "settings",
            Section::Instructions => "instructions",
            Section::KnowledgeSources => "knowledge_sources",
            Section::Tools => "tools",
            Section::Guardrails => "guardrails",
        }
    }
}

/// The identity of an item of a keyed list: its `name`, else its `id`.
pub fn item_identity(item: &Value) -> Option<&str> {
    let map = item.as_object()?;
    map.get("name")
        .or_else(|| map.get("id"))
        .and_then(Value::as_str)
}

/// Whether the list under the top-level key `key` is matched item by item by identity rather
/// than aligned by position: it is one of the keyed lists, and in every version given each item
/// has an identity and no identity repeats. Diff and revert both ask this one question, so they
/// can never disagree on how a list is matched.
pub fn is_keyed_list(key: &str, versions: &[&[Value]]) -> bool {
    KEYED_LISTS.contains(&key)
        && versions.iter().all(|items| {
            let mut seen = std::collections::HashSet::new();
            items
                .iter()
                .all(|item| item_identity(item).is_some_and(|id| seen.insert(id)))
        })
}

/// Why a document was refused, and where (1-based; `None` when the problem has no position,
/// such as a second document or an empty file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Invalid {}

impl Invalid {
    fn at(message: impl Into<String>, line: usize, column: usize) -> Invalid {
        Invalid {
            message: message.into(),
            line: Some(line),
            column: Some(column),
        }
    }

    fn nowhere(message: impl Into<String>) -> Invalid {
        Invalid {
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

/// Parse and validate the bytes of an agent file.
pub fn parse(bytes: &[u8]) -> Result<Config, Invalid> {
    let bytes = precheck(bytes)?;
    let ctx = Ctx {
        input: bytes,
        failure: RefCell::new(None),
        budget: Cell::new(EXPANSION_FACTOR.saturating_mul(bytes.len().max(1024))),
        large_floats: RefCell::new(Vec::new()),
    };
    let result = NodeSeed {
        ctx: &ctx,
        at: At::Root,
    }
    .deserialize(serde_yaml::Deserializer::from_slice(bytes));
    match result {
        Ok(Value::Object(config)) => {
            for value in ctx.large_floats.take() {
                if let Some((line, column)) = find_long_integer(bytes, value) {
                    return Err(Invalid::at(
                        "integer is outside the 64-bit range; quote it to keep it as text",
                        line,
                        column,
                    ));
                }
            }
            Ok(config)
        }
        // The root's own check refuses anything but a mapping; this only keeps us panic-free.
        Ok(other) => Err(Invalid::nowhere(format!(
            "expected a mapping of agent settings, found {}",
            describe(&other)
        ))),
        Err(err) => {
            let message = match ctx.failure.into_inner() {
                Some(message) => message,
                None => yaml_message(&err),
            };
            match err.location() {
                Some(loc) => Err(Invalid::at(message, loc.line(), loc.column())),
                // yaml_serde knows no position for a second document; find its `---` ourselves.
                None if message.contains("more than one YAML document") => {
                    Err(match second_document_line(bytes) {
                        Some(line) => Invalid::at(message, line, 1),
                        None => Invalid::nowhere(message),
                    })
                }
                None => Err(Invalid::nowhere(message)),
            }
        }
    }
}

/// What is refused before YAML parsing starts: size, emptiness, encoding, non-core tags.
/// Returns the bytes without a byte-order mark (editors on Windows write one; yaml_serde would
/// take what follows it for a second document).
fn precheck(bytes: &[u8]) -> Result<&[u8], Invalid> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        // Only the limit and one byte more were read: the true size is not known here.
        return Err(Invalid::nowhere(format!(
            "the file is larger than {} MiB, the limit for agent files",
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) || only_comments(bytes) {
        return Err(Invalid::nowhere(
            "the file holds no YAML document; expected a mapping with at least `name`",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let (line, column) = position_of(bytes, e.valid_up_to());
            return Err(Invalid::at(
                "the file is not valid UTF-8 text",
                line,
                column,
            ));
        }
    };
    // YAML allows no raw control characters (libyaml's own message has no line).
    if let Some((offset, c)) = text
        .char_indices()
        .find(|&(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{85}'))
    {
        let (line, column) = position_of(bytes, offset);
        return Err(Invalid::at(
            format!(
                "the control character U+{:04X} is not allowed in YAML; write it as an escape \
                 (such as \\u{:04X}) inside a double-quoted string",
                u32::from(c),
                u32::from(c)
            ),
            line,
            column,
        ));
    }
    if let Some((line, column, message)) = prescan::refused(text) {
        return Err(Invalid::at(message, line, column));
    }
    Ok(bytes)
}

/// The 1-based line and column of a byte offset (columns count characters).
fn position_of(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The line of the marker that starts a second document: a `---` or `...` line after content.
fn second_document_line(bytes: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(bytes);
    let mut seen_content = false;
    for (index, line) in text.lines().enumerate() {
        let is_marker = |marker: &str| {
            line.strip_prefix(marker)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        };
        if seen_content && (is_marker("---") || is_marker("...")) {
            return Some(index + 1);
        }
        let trimmed = line.trim();
        if !trimmed.is_empty()
            && !trimmed.starts_with('#')
            && !line.starts_with('%')
            && !is_marker("---")
        {
            seen_content = true;
        }
    }
    None
}

fn only_comments(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    text.trim_start_matches('\u{feff}').lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    })
}

/// yaml_serde's own messages, without the position (we print that separately).
fn yaml_message(err: &serde_yaml::Error) -> String {
    let text = err.to_string();
    let mut message = strip_positions(&text);
    if message.contains("more than one document") {
        message =
            "the file holds more than one YAML document; an agent file holds exactly one".into();
    } else if message.contains("recursion limit exceeded") {
        message = format!("nesting is deeper than {MAX_DEPTH} levels");
    } else if message.contains("repetition limit exceeded") {
        message = "aliases expand to more than 100 times the size of the file".into();
    }
    message
}

/// Remove " at line N column M" fragments from a message.
fn strip_positions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + " at line ".len()..];
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let n = digits(tail);
        if n > 0 && tail[n..].starts_with(" column ") {
            let after = &tail[n + " column ".len()..];
            rest = &after[digits(after)..];
        } else {
            out.push_str(" at line ");
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Shared state of one parse.
struct Ctx<'a> {
    input: &'a [u8],
    /// Our own message for the error being raised; yaml_serde adds the position.
    failure: RefCell<Option<String>>,
    /// What is left of the expansion budget (bytes of strings plus one per node).
    budget: Cell<usize>,
    /// Float values of 2^63 and beyond, to tell `1e300` from a 300-digit integer.
    large_floats: RefCell<Vec<f64>>,
}

impl Ctx<'_> {
    fn fail<E: de::Error>(&self, message: impl Into<String>) -> E {
        let message = message.into();
        let mut failure = self.failure.borrow_mut();
        // The innermost complaint wins: it is the one whose position yaml_serde records.
        if failure.is_none() {
            *failure = Some(message.clone());
        }
        E::custom(message)
    }

    fn spend<E: de::Error>(&self, cost: usize) -> Result<(), E> {
        match self.budget.get().checked_sub(cost.saturating_add(1)) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(self.fail("aliases expand to more than 100 times the size of the file")),
        }
    }

    /// Whether a string borrowed from the input was written as a plain (unquoted) scalar
    /// without a tag: `!!str 123` is text by request, not a number out of range.
    fn is_plain(&self, s: &str) -> bool {
        let start = self.input.as_ptr() as usize;
        let at = s.as_ptr() as usize;
        if at <= start || at > start + self.input.len() {
            return false;
        }
        let before = &self.input[..at - start];
        if matches!(before.last(), Some(b'"' | b'\'')) {
            return false;
        }
        // The token before the scalar, if any: a tag starts with `!`; a verbatim one
        // (`!<tag:yaml.org,2002:str>`) may hold commas.
        let before = before.trim_ascii_end();
        let word = &before[before
            .iter()
            .rposition(u8::is_ascii_whitespace)
            .map_or(0, |i| i + 1)..];
        let node = &word[word
            .iter()
            .rposition(|b| b"[{,".contains(b))
            .map_or(0, |i| i + 1)..];
        let verbatim = word.ends_with(b">") && word.windows(2).any(|w| w == b"!<");
        !verbatim && node.first() != Some(&b'!')
    }
}

/// Where in the document a node sits; decides which rules apply to it.
#[derive(Clone, Copy)]
enum At<'k> {
    Root,
    TopLevel(&'k str),
    KeyedItem(&'k RefCell<HashSet<String>>),
    Other,
}

struct NodeSeed<'c, 'a, 'k> {
    ctx: &'c Ctx<'a>,
    at: At<'k>,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, '_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl NodeSeed<'_, '_, '_> {
    /// Apply the rules of this position to a finished node. Called inside the visitor so that
    /// yaml_serde attaches the node's position to the error.
    fn finish<E: de::Error>(&self, value: Value) -> Result<Value, E> {
        let problem = match self.at {
            At::Root => check_root(&value),
            At::TopLevel(key) => check_top_level(key, &value),
            At::KeyedItem(seen) => check_item(&value).and_then(|()| {
                let id = item_identity(&value).unwrap_or_default().to_owned();
                if seen.borrow_mut().insert(id.clone()) {
                    Ok(())
                } else {
                    Err(format!(
                        "duplicate item name `{id}`; names in a list must be unique"
                    ))
                }
            }),
            At::Other => Ok(()),
        };
        match problem {
            Ok(()) => Ok(value),
            Err(message) => Err(self.ctx.fail(message)),
        }
    }

    fn scalar<E: de::Error>(&self, value: Value, cost: usize) -> Result<Value, E> {
        self.ctx.spend(cost)?;
        self.finish(value)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_, '_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.scalar(Value::Bool(v), 0)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.scalar(Value::Number(v.into()), 0)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.scalar(Value::Number(v.into()), 0)
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        match i64::try_from(v) {
            Ok(v) => self.visit_i64(v),
            Err(_) => Err(self.ctx.fail(format!(
                "integer {v} is outside the 64-bit range; quote it to keep it as text"
            ))),
        }
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(self.ctx.fail(format!(
                "integer {v} is outside the 64-bit range; quote it to keep it as text"
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        if v.abs() >= INTEGER_LIMIT {
            // Perhaps a long integer turned float by yaml_serde; checked once parsing is done.
            self.ctx.large_floats.borrow_mut().push(v);
        }
        match normalise_float(v) {
            Ok(number) => self.scalar(Value::Number(number), 0),
            Err(problem) => Err(self.ctx.fail(problem)),
        }
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Value, E> {
        // yaml_serde hands a plain number it cannot hold (beyond 128-bit integers or the
        // float range, like `1e400`) over as a string.
        if self.ctx.is_plain(v) && looks_like_number(v) {
            return Err(self.ctx.fail(format!(
                "number {} is out of range: integers must fit in 64 bits, floats must be \
                 finite; quote it to keep it as text",
                abbreviate(v)
            )));
        }
        self.visit_str(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        if v.len() > MAX_STRING_BYTES {
            return Err(self.ctx.fail(format!(
                "string of {} bytes is over the limit of {} MiB",
                v.len(),
                MAX_STRING_BYTES / 1024 / 1024
            )));
        }
        self.scalar(Value::String(v.to_owned()), v.len())
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Value, E> {
        Err(self.ctx.fail("binary data is not allowed; expected text"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.scalar(Value::Null, 0)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.ctx.spend(0)?;
        let seen = RefCell::new(HashSet::new());
        let item_at = match self.at {
            At::TopLevel(key) if KEYED_LISTS.contains(&key) => At::KeyedItem(&seen),
            _ => At::Other,
        };
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed {
            ctx: self.ctx,
            at: item_at,
        })? {
            items.push(item);
        }
        self.finish(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.ctx.spend(0)?;
        let mut entries = Map::new();
        let mut merged = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed {
            ctx: self.ctx,
            seen: &entries,
        })? {
            let key = match key {
                Key::Name(name) => name,
                Key::Merge => {
                    let source = map.next_value_seed(NodeSeed {
                        ctx: self.ctx,
                        at: At::Other,
                    })?;
                    merged.push(source);
                    continue;
                }
            };
            let at = match self.at {
                At::Root => At::TopLevel(&key),
                _ => At::Other,
            };
            let value = map.next_value_seed(NodeSeed { ctx: self.ctx, at })?;
            entries.insert(key, value);
        }
        for source in merged {
            merge_into(&mut entries, source).map_err(|m| self.ctx.fail::<A::Error>(m))?;
        }
        self.finish(Value::Object(entries))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, _rest): (String, _) = data.variant()?;
        Err(self.ctx.fail(format!(
            "unknown tag `!{tag}`; only YAML's core tags (!!str, !!int, !!float, !!bool, !!null, \
             !!map, !!seq) are allowed"
        )))
    }
}

/// YAML merge keys: the explicit keys of the mapping win, then earlier sources over later ones.
fn merge_into(entries: &mut Map<String, Value>, source: Value) -> Result<(), String> {
    let sources = match source {
        Value::Object(map) => vec![map],
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(map) => Ok(map),
                other => Err(format!(
                    "a merge key (`<<`) takes mappings, found {}",
                    describe(&other)
                )),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "a merge key (`<<`) takes a mapping or a list of mappings, found {}",
                describe(&other)
            ));
        }
    };
    for map in sources {
        for (key, value) in map {
            entries.entry(key).or_insert(value);
        }
    }
    Ok(())
}

/// Mapping keys: strings only, each once.
/// A mapping key: a name, or YAML's merge key (a plain `<<`; a quoted one is just a name).
enum Key {
    Name(String),
    Merge,
}

struct KeySeed<'c, 'a, 's> {
    ctx: &'c Ctx<'a>,
    /// The mapping's keys so far (merged keys come in only after the last one).
    seen: &'s Map<String, Value>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_, '_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl KeySeed<'_, '_, '_> {
    fn non_string<E: de::Error>(&self, found: &str) -> E {
        self.ctx.fail(format!(
            "mapping keys must be strings, found {found}; quote the key to make it text"
        ))
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_, '_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key, E> {
        if v == "<<" && self.ctx.is_plain(v) {
            return Ok(Key::Merge);
        }
        self.visit_str(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        if v.len() > MAX_STRING_BYTES {
            return Err(self.ctx.fail("mapping key is over the 1 MiB limit"));
        }
        self.ctx.spend(v.len())?;
        if self.seen.contains_key(v) {
            return Err(self.ctx.fail(format!(
                "duplicate key `{v}`; each key may appear once in a mapping"
            )));
        }
        Ok(Key::Name(v.to_owned()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
        Err(self.non_string(&format!("the boolean {v}")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
        Err(self.non_string(&format!("the integer {v}")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
        Err(self.non_string(&format!("the integer {v}")))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Key, E> {
        Err(self.non_string(&format!("the integer {v}")))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Key, E> {
        Err(self.non_string(&format!("the integer {v}")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
        Err(self.non_string(&format!("the number {v}")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
        Err(self.non_string("null"))
    }

    fn visit_none<E: de::Error>(self) -> Result<Key, E> {
        self.visit_unit()
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Key, E> {
        Err(self.non_string("binary data"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Key, A::Error> {
        Err(self.non_string("a list"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Key, A::Error> {
        Err(self.non_string("a mapping"))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, _: A) -> Result<Key, A::Error> {
        Err(self.non_string("a tagged value"))
    }
}

/// YAML 1.2's number syntax (decimal), less what it reads as text: digits with a leading zero.
fn looks_like_number(s: &str) -> bool {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let leading_zero_text =
        fraction.is_none() && exponent.is_none() && whole.len() > 1 && whole.starts_with('0');
    digits(whole)
        && fraction.is_none_or(digits)
        && !(whole.is_empty() && fraction.is_none_or(str::is_empty))
        && exponent.is_none_or(|e| {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits(e)
        })
        && !leading_zero_text
}

/// A long token shortened for a message: its start and its length.
fn abbreviate(token: &str) -> String {
    match token.char_indices().nth(20) {
        Some((at, _)) if token.len() > 40 => {
            format!("{}… ({} characters)", &token[..at], token.len())
        }
        _ => token.to_owned(),
    }
}

/// Where a plain integer of at least 20 digits whose value is `value` is written, if anywhere.
/// yaml_serde turns integers of 40 to 309 digits into floats without a word; we find them by
/// their value in the source.
fn find_long_integer(input: &[u8], value: f64) -> Option<(usize, usize)> {
    let text = String::from_utf8_lossy(input);
    for (index, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            if matches!(bytes[i], b'-' | b'+') {
                i += 1;
            }
            let digits_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let before_ok = start == 0 || b" \t[{,:".contains(&bytes[start - 1]);
            let after_ok = i == bytes.len() || b" \t,]}#".contains(&bytes[i]);
            if i - digits_start >= 20
                && before_ok
                && after_ok
                && line[start..i].parse::<f64>().ok() == Some(value)
            {
                return Some((index + 1, line[..start].chars().count() + 1));
            }
            i = i.max(start + 1);
        }
    }
    None
}

/// 2^63: integral floats below it are integers, so that `1.0` equals `1` and `1e16` equals
/// `10000000000000000`. Every integral float below it converts to i64 exactly.
const INTEGER_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// Finite floats only; an integral float within the 64-bit range becomes an integer.
fn normalise_float(v: f64) -> Result<Number, &'static str> {
    if !v.is_finite() {
        return Err("NaN and infinite numbers are not allowed; expected a finite number");
    }
    if v.fract() == 0.0 && v.abs() < INTEGER_LIMIT {
        return Ok(Number::from(v as i64));
    }
    Number::from_f64(v).ok_or("expected a finite number")
}

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

fn check_root(value: &Value) -> Result<(), String> {
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

fn check_top_level(key: &str, value: &Value) -> Result<(), String> {
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

fn check_item(item: &Value) -> Result<(), String> {
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

/// The canonical encoding used for content hashes: JSON with mapping keys sorted, so that key
/// order (which is not a change) never changes a hash.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    into_text(out)
}

/// The hash a snapshot of `config` is stored under: SHA-256 of its canonical JSON. Two
/// configurations are equal exactly when their hashes are.
pub fn snapshot_hash(config: &Config) -> String {
    sha256_hex(canonical_config(config).as_bytes())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    hex
}

/// [`canonical_json`] of a whole configuration, without copying it into a [`Value`].
pub fn canonical_config(config: &Config) -> String {
    let mut out = Vec::new();
    write_canonical_map(config, &mut out);
    into_text(out)
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => write_canonical_map(map, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_json(scalar, out),
    }
}

fn write_canonical_map(map: &Config, out: &mut Vec<u8>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push(b'{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json(key, out);
        out.push(b':');
        write_canonical(value, out);
    }
    out.push(b'}');
}

/// A scalar or a key, exactly as serde_json writes it.
fn write_json<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing strings and numbers into memory cannot fail.
    serde_json::to_writer(out, value).expect("a scalar serialises");
}

fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("serde_json writes UTF-8")
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

    #[test]
    fn canonical_json_sorts_keys_and_writes_as_serde_json_does() {
        let value =
            serde_json::json!({"b": 1, "a": [1.5, "x\n\u{1b}é", null, {"d": true, "c": -2}]});
        let expected = r#"{"a":[1.5,"x\n\u001bé",null,{"c":-2,"d":true}],"b":1}"#;
        assert_eq!(canonical_json(&value), expected);
        assert_eq!(canonical_config(value.as_object().unwrap()), expected);
    }

    fn err(yaml: &str) -> Invalid {
        parse(yaml.as_bytes()).expect_err("should be refused")
    }

    #[test]
    fn parses_and_normalises() {
        let config = parse(b"name: a\nmodel: {temperature: 1.0, top_p: 0.5}\n").unwrap();
        assert_eq!(config["model"]["temperature"], serde_json::json!(1));
        assert_eq!(config["model"]["top_p"], serde_json::json!(0.5));
    }

    #[test]
    fn key_order_and_comments_do_not_matter() {
        let a = parse(b"name: a\n# hi\nmodel: {x: 1, y: 2}\n").unwrap();
        let b = parse(b"model:\n  y: 2\n  x: 1\nname: 'a'\n").unwrap();
        assert_eq!(a, b);
        assert_eq!(
            canonical_json(&Value::Object(a)),
            canonical_json(&Value::Object(b))
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = parse(b"name: x\ndescription: \xc3\x28\n").unwrap_err();
        assert!(e.message.contains("UTF-8"), "{e:?}");
        assert_eq!((e.line, e.column), (Some(2), Some(14)));
    }

    #[test]
    fn byte_order_mark_is_allowed() {
        let config = parse(b"\xef\xbb\xbfname: a\ndescription: x\n").unwrap();
        assert_eq!(config["description"], "x");
    }

    #[test]
    fn numbers_compare_by_value_and_keep_their_digits() {
        let a = parse(b"name: a\nx: 10000000000000000\n").unwrap();
        let b = parse(b"name: a\nx: 1.0e16\n").unwrap();
        assert_eq!(a, b);
        let e = err("name: a\nx: 12345678901234567890123456789012345678901234567890\n");
        assert!(e.message.contains("64-bit"), "{e:?}");
        assert_eq!((e.line, e.column), (Some(2), Some(4)));
        let e = err("name: a\nx: [1, 1e400]\n");
        assert!(e.message.contains("out of range"), "{e:?}");
        // Large floats are numbers; a leading zero makes digits text, as YAML 1.2 says.
        let config = parse(b"name: a\nx: 1.5e300\ny: 1e19\nz: 0123\nw: '1e400'\n").unwrap();
        assert_eq!(config["x"], serde_json::json!(1.5e300));
        assert_eq!(config["y"], serde_json::json!(1e19));
        assert_eq!(config["z"], "0123");
        assert!(looks_like_number("-1.5e+3") && looks_like_number(".5") && looks_like_number("5."));
        assert!(
            !looks_like_number("007") && !looks_like_number("1.2.3") && !looks_like_number("e5")
        );
        assert!(!looks_like_number(".") && !looks_like_number("1e") && !looks_like_number("inf"));
    }

    #[test]
    fn quoted_merge_key_is_an_ordinary_key() {
        let config = parse(b"name: a\nx: {'<<': {b: 1}}\n").unwrap();
        assert_eq!(config["x"], serde_json::json!({"<<": {"b": 1}}));
    }

    #[test]
    fn resolves_anchors_and_merge_keys() {
        let config = parse(
            b"name: a\ndefaults: &d {timeout: 5, retries: 2}\ntools:\n  - <<: *d\n    name: t\n    retries: 3\n",
        )
        .unwrap();
        assert_eq!(
            config["tools"][0],
            serde_json::json!({"name": "t", "retries": 3, "timeout": 5})
        );
    }

    #[test]
    fn duplicate_key_is_located_at_the_key() {
        let e = err("name: a\nmodel:\n  x: 1\n  x: 2\n");
        assert!(e.message.contains("duplicate key `x`"), "{e:?}");
        assert_eq!((e.line, e.column), (Some(4), Some(3)));
    }

    #[test]
    fn item_problems_are_located_at_the_item() {
        let e = err("name: a\ntools:\n  - name: x\n  - description: no name\n");
        assert!(e.message.contains("no `name`"), "{e:?}");
        assert_eq!(e.line, Some(4));
        let e = err("name: a\ntools:\n  - name: x\n  - name: x\n");
        assert!(e.message.contains("duplicate item name `x`"), "{e:?}");
        assert_eq!(e.line, Some(4));
    }

    #[test]
    fn wrong_types_say_what_was_expected_and_found() {
        let e = err("name: a\ntools: hello\n");
        assert!(e.message.contains("`tools` must be a list"), "{e:?}");
        assert!(e.message.contains("found a string"), "{e:?}");
        assert_eq!((e.line, e.column), (Some(2), Some(8)));
        let e = err("name: 3\n");
        assert!(e.message.contains("found an integer"), "{e:?}");
        let e = err("description: x\n");
        assert!(e.message.contains("missing required key `name`"), "{e:?}");
        let e = err("- a\n- b\n");
        assert!(e.message.contains("expected a mapping"), "{e:?}");
    }

    #[test]
    fn refuses_what_json_cannot_hold() {
        assert!(err("name: a\nx: .nan\n").message.contains("NaN"));
        assert!(err("name: a\nx: -.inf\n").message.contains("infinite"));
        assert!(
            err("name: a\n1: x\n")
                .message
                .contains("keys must be strings")
        );
        assert!(
            err("name: a\nx: 123456789012345678901234\n")
                .message
                .contains("64-bit")
        );
        let huge = format!("name: a\nx: {}\n", "9".repeat(400));
        assert!(err(&huge).message.contains("out of range"));
        // Quoted, the same digits are text.
        let quoted = format!("name: a\nx: \"{}\"\n", "9".repeat(400));
        assert!(parse(quoted.as_bytes()).is_ok());
    }

    #[test]
    fn refuses_tags_documents_and_empty_files() {
        assert!(
            err("name: a\nx: !custom 3\n")
                .message
                .contains("unknown tag")
        );
        assert!(parse(b"name: !!str a\nx: !!int 3\n").is_ok());
        let e = err("name: a\nlogo: !!binary aGVsbG8=\n");
        assert!(e.message.contains("`!!binary` is not supported"), "{e:?}");
        assert_eq!((e.line, e.column), (Some(2), Some(7)));
        assert!(err("name: a\nx: !!set {a, b}\n").message.contains("!!set"));
        // In prose (a plain, quoted or block scalar) `!!binary` is text, not a tag.
        assert!(parse(b"name: a\ninstructions: say !!binary loudly\n").is_ok());
        assert!(parse(b"name: a\ninstructions: |\n  !!binary\n").is_ok());
        // Tags yaml_serde would drop without a word: Python objects, verbatim URIs, %TAG.
        assert!(
            err("name: a\nx: !!python/object:os.system [ls]\n")
                .message
                .contains("not supported")
        );
        assert!(
            err("name: a\nx: !<tag:example.com,2024:x> 1\n")
                .message
                .contains("not supported")
        );
        assert!(
            err("%TAG !e! tag:example.com,2024:\n---\nname: a\n")
                .message
                .contains("%TAG")
        );
        // A core tag makes digits text, however many there are.
        let text =
            parse(b"name: !!str 5\nx: !!str 1e400\ny: !<tag:yaml.org,2002:str> 12\n").unwrap();
        assert_eq!(text["name"], "5");
        assert_eq!(text["x"], "1e400");
        assert_eq!(text["y"], "12");
        assert!(parse(b"name: a\ninstructions: 'wow!!binary'\n").is_ok());
        assert!(
            err("name: a\n---\nname: b\n")
                .message
                .contains("more than one")
        );
        assert!(err("").message.contains("no YAML document"));
        assert!(
            err("# only a comment\n")
                .message
                .contains("no YAML document")
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = err("name: a\nmodel: {x: 1\n");
        assert!(e.line.is_some(), "{e:?}");
        assert!(!e.message.contains(" at line "), "{e:?}");
    }

    #[test]
    fn limits_hold() {
        let deep = format!("name: a\nx: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert!(err(&deep).message.contains("128"));
        let mut bomb = String::from("name: a\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        assert!(err(&bomb).message.contains("100 times"));
        let long = format!("name: a\nx: {}\n", "y".repeat(MAX_STRING_BYTES + 1));
        assert!(err(&long).message.contains("over the limit"));
    }

    #[test]
    fn strips_positions_from_messages() {
        assert_eq!(
            strip_positions(
                "did not find key at line 3 column 1, while parsing at line 2 column 5"
            ),
            "did not find key, while parsing"
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1.0e6f64..1.0e6).prop_map(|f| Value::Number(normalise_float(f).unwrap())),
            "[^\\p{Cc}!]{0,12}".prop_map(Value::from),
            "([a-z ]{0,8}\n){1,4}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[^\\p{Cc}!]{1,6}", inner, 0..5).prop_map(|m| {
                    Value::Object(m.into_iter().filter(|(k, _)| k != "<<").collect())
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever layout a YAML or JSON writer chooses, the values read back are the same.
        #[test]
        fn formatting_is_not_a_change(extra in value(), name in "[a-z]{1,8}") {
            let mut doc = Map::new();
            doc.insert("name".into(), Value::from(name));
            doc.insert("extra".into(), extra);
            let doc = Value::Object(doc);
            let yaml = serde_yaml::to_string(&doc).unwrap();
            prop_assert_eq!(parse(yaml.as_bytes()).map(Value::Object), Ok(doc.clone()), "{}", yaml);
            // JSON is YAML too: flow style, every string quoted.
            let json = serde_json::to_string_pretty(&doc).unwrap();
            prop_assert_eq!(parse(json.as_bytes()).map(Value::Object), Ok(doc), "{}", json);
        }
    }
}
