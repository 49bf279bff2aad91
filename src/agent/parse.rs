//! Bytes to a plain JSON-compatible value, with the limits and the located complaints of
//! SPEC section 3.
//!
//! Parsing and validation happen in a single pass over the YAML events (yaml_serde drives our
//! visitors), so every complaint carries the `line:column` of the node it is about: the format's
//! rules ([`super::validate`]) are applied to each node as it is finished. Anchors, aliases and
//! merge keys are resolved; numbers are normalised so that `1` and `1.0` are the same value.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_json::{Map, Number, Value};

use super::format::Format;
use super::validate::{check_item, check_root, check_top_level, describe};
use super::{Config, Invalid, MAX_DEPTH, MAX_FILE_BYTES, MAX_STRING_BYTES, prescan};

/// Alias expansion may build at most this many times the size of the document.
const EXPANSION_FACTOR: usize = 100;

/// What a parse applies beyond YAML and the limits.
#[derive(Clone, Copy)]
pub(super) struct Rules {
    /// The format whose rules each node is checked against; `None` checks only that the
    /// document is a mapping (for detecting its format first).
    pub format: Option<&'static Format>,
    /// Whether CloudFormation's short-form intrinsic functions (`!Ref x`) are values
    /// (`{"Ref": "x"}`) rather than refused tags.
    pub cloudformation_tags: bool,
}

/// A parsed document, and whether it used a CloudFormation tag.
pub(super) struct Parsed {
    pub config: Config,
    pub cloudformation_tags: bool,
}

/// Parse and check the bytes of an agent file under `rules`.
pub(super) fn parse(bytes: &[u8], rules: Rules) -> Result<Parsed, Invalid> {
    let bytes = precheck(bytes)?;
    let ctx = Ctx {
        input: bytes,
        failure: RefCell::new(None),
        budget: Cell::new(EXPANSION_FACTOR.saturating_mul(bytes.len().max(1024))),
        large_floats: RefCell::new(Vec::new()),
        rules,
        tags_seen: Cell::new(false),
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
            Ok(Parsed {
                config,
                cloudformation_tags: ctx.tags_seen.get(),
            })
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
pub(super) fn strip_positions(text: &str) -> String {
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
    rules: Rules,
    /// Whether a CloudFormation tag was read as a value.
    tags_seen: Cell<bool>,
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
        let format = self.ctx.rules.format;
        let problem = match (self.at, format) {
            (At::Root, _) => check_root(format, &value),
            (At::TopLevel(key), Some(format)) => check_top_level(format, key, &value),
            (At::KeyedItem(seen), Some(format)) => check_item(format, &value).and_then(|()| {
                let id = format.identity_of(&value).unwrap_or_default().to_owned();
                if seen.borrow_mut().insert(id.clone()) {
                    Ok(())
                } else {
                    Err(format!(
                        "duplicate item name `{id}`; names in a list must be unique"
                    ))
                }
            }),
            _ => Ok(()),
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
            At::TopLevel(key)
                if self
                    .ctx
                    .rules
                    .format
                    .is_some_and(|format| format.keyed_lists.contains(&key)) =>
            {
                At::KeyedItem(&seen)
            }
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
        let (tag, rest): (String, _) = data.variant()?;
        if self.ctx.rules.cloudformation_tags
            && let Some(function) = cloudformation_function(&tag)
        {
            let argument = rest.newtype_variant_seed(NodeSeed {
                ctx: self.ctx,
                at: At::Other,
            })?;
            // `!GetAtt Resource.Attribute` is the short form of `[Resource, Attribute]`.
            let argument = match (function, argument) {
                ("Fn::GetAtt", Value::String(text)) if text.contains('.') => {
                    let (resource, attribute) = text.split_once('.').unwrap_or_default();
                    Value::Array(vec![resource.into(), attribute.into()])
                }
                (_, argument) => argument,
            };
            self.ctx.tags_seen.set(true);
            let mut call = Map::new();
            call.insert(function.to_owned(), argument);
            return self.finish(Value::Object(call));
        }
        Err(self.ctx.fail(format!(
            "unknown tag `!{tag}`; only YAML's core tags (!!str, !!int, !!float, !!bool, !!null, \
             !!map, !!seq) are allowed"
        )))
    }
}

/// The full name of a CloudFormation short-form tag: `Ref` → `Ref`, `Sub` → `Fn::Sub`.
pub(super) fn cloudformation_function(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "Ref" => "Ref",
        "Condition" => "Condition",
        "GetAtt" => "Fn::GetAtt",
        "Sub" => "Fn::Sub",
        "Join" => "Fn::Join",
        "If" => "Fn::If",
        "Not" => "Fn::Not",
        "Equals" => "Fn::Equals",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "FindInMap" => "Fn::FindInMap",
        "ImportValue" => "Fn::ImportValue",
        "Base64" => "Fn::Base64",
        "Cidr" => "Fn::Cidr",
        "GetAZs" => "Fn::GetAZs",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        _ => return None,
    })
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
pub(super) fn looks_like_number(s: &str) -> bool {
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
pub(super) fn normalise_float(v: f64) -> Result<Number, &'static str> {
    if !v.is_finite() {
        return Err("NaN and infinite numbers are not allowed; expected a finite number");
    }
    if v.fract() == 0.0 && v.abs() < INTEGER_LIMIT {
        return Ok(Number::from(v as i64));
    }
    Number::from_f64(v).ok_or("expected a finite number")
}
