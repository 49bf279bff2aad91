//! The agent file as a JSON Schema (draft-07, what YAML language servers understand), for
//! editors: completion, hover text and squiggles while a staging file is being written.
//!
//! The types below are the typed form of the rules [`crate::agent`] enforces while it parses
//! (which it does over YAML events, to keep `line:column` for every complaint). schemars turns
//! them into the schema, each field's doc comment becoming its description. A test runs a set
//! of valid and invalid documents through both the validator and the schema and requires the
//! same verdict, so the two cannot drift apart. What a schema cannot say is left to the
//! validator alone: unique item names, duplicate keys, YAML tags, NaN, the size limits.

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value};

/// The schema as `agentctl schema` prints it and `schema/agent.schema.json` holds it.
pub fn agent_schema() -> Schema {
    let mut settings = SchemaSettings::draft07();
    // An absent key and a `null` are different things to the validator: `description: ~` is
    // refused. Optional fields are therefore optional, not nullable.
    settings
        .transforms
        .push(Box::new(RecursiveTransform(not_nullable)));
    // One self-contained tree reads better in an editor's hover than `$ref`s.
    settings.inline_subschemas = true;
    settings
        .into_generator()
        .into_root_schema_for::<AgentFile>()
}

/// The schema as text: pretty JSON ending with a newline.
pub fn agent_schema_json() -> String {
    let mut text =
        serde_json::to_string_pretty(&agent_schema()).expect("a schema always serialises");
    text.push('\n');
    text
}

/// An agentctl agent file: the staging copy of one agent (agents/<id>.yaml). Only `name` is
/// required; keys not listed here are allowed and belong to the agent's settings.
#[derive(JsonSchema)]
#[schemars(title = "agentctl agent file")]
#[allow(dead_code)] // read by schemars only
pub struct AgentFile {
    /// The agent's display name. Required; a non-empty string.
    #[schemars(regex(pattern = NOT_BLANK))]
    name: String,

    /// What the agent is for, in a sentence or two.
    description: Option<String>,

    /// The model and its parameters (provider, name, temperature, max_tokens, stop, …). Any
    /// key the provider takes is allowed.
    model: Option<Model>,

    /// The system prompt: what the agent is told before every conversation. Usually a `|`
    /// block; edits to it are reviewed as a line diff.
    instructions: Option<String>,

    /// Documents, sites and feeds the agent draws on. Each item is a mapping with a unique
    /// `name` (or `id`); diffs address items by it (knowledge_sources[NAME]), never by
    /// position.
    knowledge_sources: Option<Vec<Item>>,

    /// Functions the agent may call, usually with a description and JSON Schema `parameters`.
    /// Each item is a mapping with a unique `name` (or `id`); diffs address items by it
    /// (tools[NAME]), never by position.
    tools: Option<Vec<Item>>,

    /// Rules the agent must follow or checks run on its replies. Each item is a mapping with a
    /// unique `name` (or `id`); diffs address items by it (guardrails[NAME]), never by
    /// position.
    guardrails: Option<Vec<Item>>,

    /// Any other key is allowed, with any value, and belongs to the agent's settings.
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// The model and its parameters. Any key the provider takes is allowed; agentctl only requires
/// a mapping.
#[derive(JsonSchema)]
#[allow(dead_code)] // read by schemars only
struct Model {
    /// Who serves the model, e.g. anthropic, openai, azure, a local server.
    provider: Option<Value>,

    /// The model's name at that provider.
    name: Option<Value>,

    /// Sampling temperature: usually a number from 0 (consistent) to 1 or 2 (varied).
    temperature: Option<Value>,

    /// The longest reply, in tokens.
    max_tokens: Option<Value>,

    /// Any other model parameter (top_p, stop, …).
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// An item of knowledge_sources, tools or guardrails: a mapping identified by its `name`, or
/// by its `id` when it has no `name`. Other keys are free.
#[derive(JsonSchema)]
#[schemars(transform = name_or_id)]
#[allow(dead_code)] // read by schemars only
struct Item {
    /// The item's name, unique within its list: a non-empty string without control
    /// characters. Diffs, `log --touching` and `blame` address the item by it.
    #[schemars(regex(pattern = ITEM_KEY))]
    name: Option<String>,

    /// The item's identity when it has no `name`: a non-empty string without control
    /// characters, unique within its list.
    #[schemars(regex(pattern = ITEM_KEY))]
    id: Option<String>,

    /// Any other key describing the item (description, parameters, url, …).
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// A string holding something other than whitespace (`str::trim` is not empty). The class is
/// Unicode's White_Space, spelled out so that every regex engine reads it alike.
const NOT_BLANK: &str =
    "[^\\t-\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

/// Not blank, and no control characters (`char::is_control`: U+0000–U+001F, U+007F–U+009F).
const ITEM_KEY: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*\
     [^\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]\
     [^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// `"type": ["string", "null"]` (schemars' way with `Option`) becomes `"type": "string"`.
fn not_nullable(schema: &mut Schema) {
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            schema.insert("type".into(), only);
        }
    }
}

/// An item is identified by `name`, else by `id`: `id` is checked only when there is no
/// `name` (as the validator does), so its rule moves into the second branch of an `anyOf`.
fn name_or_id(schema: &mut Schema) {
    let id = schema
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .and_then(|properties| properties.remove("id"))
        .unwrap_or(Value::Bool(true));
    schema.insert(
        "anyOf".into(),
        serde_json::json!([
            { "required": ["name"] },
            { "required": ["id"], "properties": { "id": id } },
        ]),
    );
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::agent_schema;
    use crate::agent::{self, KEYED_LISTS, Section};

    fn schema_value() -> Value {
        serde_json::to_value(agent_schema()).unwrap()
    }

    fn schema_accepts(doc: &Value) -> bool {
        jsonschema::draft7::new(&schema_value())
            .expect("the schema compiles")
            .is_valid(doc)
    }

    /// JSON is YAML: the same document goes to the validator as text. The schema describes
    /// the native format, so the document is read under its rules (a string `model` alone
    /// would make it a Google ADK file).
    fn validator_accepts(doc: &Value) -> bool {
        agent::parse_as(
            serde_json::to_string(doc).unwrap().as_bytes(),
            Some(&agent::NATIVE),
        )
        .is_ok()
    }

    fn with_list(list: &str, items: Value) -> Value {
        json!({ "name": "a", list: items })
    }

    #[test]
    fn validator_and_schema_agree() {
        let mut valid = vec![
            json!({ "name": "a" }),
            json!({ "name": " a b " }),
            json!({ "name": "ü", "description": "", "instructions": "line\nline\n" }),
            json!({ "name": "a", "model": {} }),
            // The validator checks that `model` is a mapping, nothing inside it.
            json!({ "name": "a", "model": { "provider": 3, "temperature": "hot", "x": [null] } }),
            json!({ "name": "a", "custom": { "k": null }, "n": [1, 2.5], "flag": true, "z": null }),
        ];
        let mut invalid = vec![
            json!({}),
            json!({ "description": "no name" }),
            json!([]),
            json!("name"),
            json!({ "name": "" }),
            json!({ "name": " \t\n" }),
            json!({ "name": "\u{3000}" }),
            json!({ "name": 3 }),
            json!({ "name": null }),
            json!({ "name": ["a"] }),
            json!({ "name": "a", "description": 3 }),
            json!({ "name": "a", "description": null }),
            json!({ "name": "a", "instructions": ["x"] }),
            json!({ "name": "a", "instructions": { "text": "x" } }),
            json!({ "name": "a", "model": "gpt" }),
            json!({ "name": "a", "model": [] }),
            json!({ "name": "a", "model": null }),
        ];
        for list in KEYED_LISTS {
            valid.extend([
                with_list(list, json!([])),
                with_list(
                    list,
                    json!([{ "name": "x" }, { "name": "y", "extra": [1] }]),
                ),
                with_list(list, json!([{ "id": "x" }, { "id": "y z" }])),
                // `id` is not looked at when there is a `name`.
                with_list(list, json!([{ "name": "x", "id": 3 }])),
                with_list(list, json!([{ "name": "ü ok" }])),
            ]);
            invalid.extend([
                with_list(list, json!("x")),
                with_list(list, json!({ "name": "x" })),
                with_list(list, json!(null)),
                with_list(list, json!([3])),
                with_list(list, json!([["x"]])),
                with_list(list, json!([{}])),
                with_list(list, json!([{ "description": "no name" }])),
                with_list(list, json!([{ "name": "" }])),
                with_list(list, json!([{ "name": "  " }])),
                with_list(list, json!([{ "name": 3 }])),
                with_list(list, json!([{ "name": null, "id": "x" }])),
                with_list(list, json!([{ "id": "" }])),
                with_list(list, json!([{ "id": 7 }])),
                with_list(list, json!([{ "name": "a\u{7}b" }])),
                with_list(list, json!([{ "name": "a\u{9f}" }])),
                with_list(list, json!([{ "id": "\t" }])),
            ]);
        }
        for doc in &valid {
            assert!(validator_accepts(doc), "the validator refuses {doc}");
            assert!(schema_accepts(doc), "the schema refuses {doc}");
        }
        for doc in &invalid {
            assert!(!validator_accepts(doc), "the validator accepts {doc}");
            assert!(!schema_accepts(doc), "the schema accepts {doc}");
        }
    }

    /// What no JSON Schema can say (unique names across items) is the validator's alone.
    #[test]
    fn unique_names_are_the_validators_alone() {
        for items in [
            json!([{ "name": "x" }, { "name": "x" }]),
            json!([{ "name": "x" }, { "id": "x" }]),
        ] {
            let doc = with_list("tools", items);
            assert!(!validator_accepts(&doc), "{doc}");
            assert!(schema_accepts(&doc), "{doc}");
        }
    }

    #[test]
    fn the_schema_knows_the_validators_keys_and_describes_every_field() {
        let schema = schema_value();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["required"], json!(["name"]));
        let properties = schema["properties"].as_object().unwrap();
        let mut keys: Vec<&str> = properties.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected = vec!["name", "description", "model", "instructions"];
        expected.extend(KEYED_LISTS);
        expected.sort_unstable();
        assert_eq!(keys, expected);
        // Every section of a diff has a key here.
        for section in Section::ALL {
            assert!(
                properties.keys().any(|k| Section::of_key(k) == section),
                "{section:?}"
            );
        }
        let mut described = 0;
        let mut check = |path: String, field: &Value| {
            let text = field["description"].as_str().unwrap_or_default();
            assert!(!text.trim().is_empty(), "{path} has no description");
            described += 1;
        };
        for (key, field) in properties {
            check(key.clone(), field);
            for (inner, field) in field["properties"].as_object().into_iter().flatten() {
                check(format!("{key}.{inner}"), field);
            }
            for (inner, field) in field["items"]["properties"]
                .as_object()
                .into_iter()
                .flatten()
            {
                check(format!("{key}[].{inner}"), field);
            }
            if let Some(id) = field["items"]["anyOf"].get(1) {
                check(format!("{key}[].id"), &id["properties"]["id"]);
            }
        }
        // 7 keys, 4 model fields, name and id of each of the 3 lists.
        assert_eq!(described, 7 + 4 + 3 * 2);
    }
}
