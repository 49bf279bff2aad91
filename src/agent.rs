//! The agent document: one YAML file per agent, parsed into a plain JSON-compatible value.
//!
//! Four concerns, one module each: [`parse`](parse()) turns bytes into a positioned, limited
//! value (`parse.rs`, with `prescan.rs` for what is refused from the source text); `validate.rs`
//! holds the rules a document must follow; `format/` says which key is which section and which
//! lists are keyed by what; `canonical.rs` is the encoding content hashes are computed over. The
//! resulting [`Config`] is what snapshots hold and what the change model compares.

use std::fmt;

use serde_json::{Map, Value};

mod canonical;
pub mod format;
pub mod front_matter;
mod overrides;
mod parse;
mod prescan;
mod validate;

pub use canonical::{canonical_config, canonical_json, sha256_hex, snapshot_hash};
pub use format::{Format, KEYED_LISTS, NATIVE, is_keyed_list, item_identity};
pub use overrides::{FILE as OVERRIDES_FILE, Overrides, RecordedRules};
pub use validate::describe;

/// A parsed, validated and normalised agent configuration: always a JSON object.
pub type Config = Map<String, Value>;

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// A single string longer than this is refused.
pub const MAX_STRING_BYTES: usize = 1024 * 1024;
/// Nesting deeper than this is refused: by yaml_serde itself ("recursion limit exceeded"), and
/// for flow collections by a scan before parsing (see `prescan`).
pub const MAX_DEPTH: usize = 128;

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

    /// The section a top-level key of a native file belongs to; unknown keys are settings.
    pub fn of_key(key: &str) -> Section {
        format::NATIVE.section_of(key)
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

/// Why a document was refused, and where (1-based; `None` when the problem has no position,
/// such as a second document or an empty file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// What to change, when the file looks like another format than the one it was read as.
    pub help: Option<String>,
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
            help: None,
        }
    }

    fn nowhere(message: impl Into<String>) -> Invalid {
        Invalid {
            message: message.into(),
            line: None,
            column: None,
            help: None,
        }
    }
}

/// Parse and validate the bytes of an agent file, in the format it is detected to be in.
pub fn parse(bytes: &[u8]) -> Result<Config, Invalid> {
    parse_as(bytes, None).map(|(config, _)| config)
}

/// Parse and validate the bytes of an agent file under `format`, or the format detected from
/// its keys ([`format::detect`]) when `None`; returns the format used.
///
/// The document is read once without a format's rules, its format found, then checked; only a
/// document the format refuses is read again under the format's rules, which locates the
/// complaint at its node (SPEC 3's `file:line:column`). A refused native document gets a
/// `help` naming the format it looks closest to.
pub fn parse_as(
    bytes: &[u8],
    format: Option<&'static Format>,
) -> Result<(Config, &'static Format), Invalid> {
    let loose = parse::parse(
        bytes,
        parse::Rules {
            format: None,
            cloudformation_tags: true,
        },
    );
    let loose = match loose {
        Ok(loose) => loose,
        // The first complaint in the file wins, as in a single pass: a bad list item before a
        // syntax error further down is the one reported.
        Err(invalid) => {
            return Err(parse::parse(
                bytes,
                parse::Rules {
                    format: Some(format.unwrap_or(&NATIVE)),
                    cloudformation_tags: true,
                },
            )
            .err()
            .unwrap_or(invalid));
        }
    };
    let format = format.unwrap_or_else(|| format::detect(&loose.config));
    let cloudformation = *format == format::BEDROCK_CFN;
    let checked = if loose.cloudformation_tags && !cloudformation {
        Err(String::new())
    } else {
        validate::check_mapping(format, &loose.config)
    };
    let Err(problem) = checked else {
        return Ok((loose.config, format));
    };
    let strict = parse::parse(
        bytes,
        parse::Rules {
            format: Some(format),
            cloudformation_tags: cloudformation,
        },
    );
    let mut invalid = match strict {
        Err(invalid) => invalid,
        // Both reads apply the same checks; this only keeps a disagreement from passing.
        Ok(_) => Invalid::nowhere(problem),
    };
    if *format == NATIVE {
        invalid.help = format::help_for(&loose.config);
    }
    Err(invalid)
}

/// Read a whole file as YAML with the limits of SPEC 3 but no format's rules, CloudFormation's
/// short-form tags read as values: the container of several agents, and what a write into one
/// of them must leave equal.
pub fn parse_file(bytes: &[u8]) -> Result<Config, Invalid> {
    parse::parse(
        bytes,
        parse::Rules {
            format: None,
            cloudformation_tags: true,
        },
    )
    .map(|parsed| parsed.config)
}

/// The CloudFormation function a short-form tag names: `Ref` → `Ref`, `Sub` → `Fn::Sub`.
pub fn cloudformation_function(tag: &str) -> Option<&'static str> {
    parse::cloudformation_function(tag)
}

/// The short-form tag of a CloudFormation function, if it has one: `Fn::Sub` → `Sub`.
pub fn cloudformation_short_tag(function: &str) -> Option<&str> {
    let tag = function.strip_prefix("Fn::").unwrap_or(function);
    (parse::cloudformation_function(tag) == Some(function)).then_some(tag)
}

/// The configuration at `at` in a file's value, not yet validated.
pub fn part_of<'f>(file: &'f Config, at: &[String]) -> Option<&'f Config> {
    let (first, rest) = at.split_first()?;
    rest.iter()
        .try_fold(file.get(first)?, |value, key| value.get(key))?
        .as_object()
}

/// Parse one agent of a file in the place [`format::Part`] says (one of several, or the front
/// matter of a `.prompty`/`.md` file) and validate it under its format; returns the format
/// used. The complaints about one of several agents are placed at the agent's key: the rules
/// of these formats check few types, and a syntax error is located in the whole file as usual.
pub fn parse_part(bytes: &[u8], part: &format::Part) -> Result<(Config, &'static Format), Invalid> {
    if part.front_matter {
        return parse_front_matter(bytes, part.format);
    }
    if part.at.is_empty() {
        return parse_as(bytes, part.format);
    }
    let file = parse_file(bytes)?;
    let config = part_of(&file, &part.at)
        .cloned()
        .ok_or_else(|| Invalid::nowhere(format!("`{}` is not a mapping", part.at.join("."))))?;
    let format = part.format.unwrap_or_else(|| format::detect(&config));
    match validate::check_mapping(format, &config) {
        Ok(()) => Ok((config, format)),
        Err(message) => {
            let (line, column) = key_position(bytes, &part.key);
            Err(Invalid {
                message: format!("in `{}`: {message}", part.key),
                line,
                column,
                help: None,
            })
        }
    }
}

/// The configuration an agent's place in its file holds, read as YAML but not validated (what
/// a restore edits when the agent does not validate); `None` when even that cannot be read.
pub fn unchecked_part(bytes: &[u8], part: &format::Part) -> Option<Config> {
    if part.front_matter {
        let text = std::str::from_utf8(bytes).ok()?;
        let split = front_matter::split(text.strip_prefix('\u{feff}').unwrap_or(text))?;
        let mut config = parse_file(split.matter.as_bytes()).ok()?;
        if !split.body.is_empty() {
            config.insert(front_matter::BODY_KEY.into(), split.body.into());
        }
        return Some(config);
    }
    let file = parse_file(bytes).ok()?;
    if part.at.is_empty() {
        return Some(file);
    }
    part_of(&file, &part.at).cloned()
}

/// A `.prompty` or `.md` agent: the front matter parsed and validated as an agent file (its
/// lines are the file's lines, so complaints are located as usual), the body its `instructions`.
fn parse_front_matter(
    bytes: &[u8],
    format: Option<&'static Format>,
) -> Result<(Config, &'static Format), Invalid> {
    let unmarked = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(unmarked) else {
        // The whole-file read locates the bad byte.
        return parse_as(bytes, format);
    };
    let Some(split) = front_matter::split(text) else {
        let message = if front_matter::starts_with_marker(text) {
            "the front matter has no closing `---` line"
        } else {
            "expected YAML front matter: a first line `---`, the agent's settings, a closing \
             `---` line, then the instructions"
        };
        return Err(Invalid {
            help: Some(
                "a .prompty or .md agent file is its settings as YAML between two `---` lines, \
                 followed by its instructions"
                    .into(),
            ),
            ..Invalid::at(message, 1, 1)
        });
    };
    let (mut config, format) = parse_as(split.matter.as_bytes(), format)?;
    if config.contains_key(front_matter::BODY_KEY) {
        let (line, column) = key_position(split.matter.as_bytes(), front_matter::BODY_KEY);
        return Err(Invalid {
            message: format!(
                "`{}` is set in the front matter, but in a .prompty or .md file the instructions \
                 are the text after the closing `---`",
                front_matter::BODY_KEY
            ),
            line,
            column,
            help: Some(format!(
                "move the text of `{}` below the closing `---` line",
                front_matter::BODY_KEY
            )),
        });
    }
    if split.body.len() > MAX_STRING_BYTES {
        let line = split.matter.lines().count() + 2;
        return Err(Invalid::at(
            format!(
                "the instructions (the text after the front matter) are {} bytes, over the \
                 limit of {} MiB",
                split.body.len(),
                MAX_STRING_BYTES / 1024 / 1024
            ),
            line,
            1,
        ));
    }
    if !split.body.is_empty() {
        config.insert(front_matter::BODY_KEY.into(), split.body.into());
    }
    Ok((config, format))
}

/// Where a mapping key is first written in a file (its line and column), if it can be found.
fn key_position(bytes: &[u8], key: &str) -> (Option<usize>, Option<usize>) {
    let text = String::from_utf8_lossy(bytes);
    for (index, line) in text.lines().enumerate() {
        let inner = line.trim_start();
        if inner
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
        {
            return (Some(index + 1), Some(line.len() - inner.len() + 1));
        }
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::parse::{looks_like_number, strip_positions};
    use super::*;

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
    use super::parse::normalise_float;
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
