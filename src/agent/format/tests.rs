use serde_json::json;

use super::*;

fn config(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

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
fn detection_follows_the_documented_marks() {
    let cases = [
        (
            json!({"name": "a", "instructions": "x", "model": {"name": "m"}}),
            "native",
        ),
        (
            json!({"name": "a", "model": "gemini-2.0-flash", "instruction": "x"}),
            "adk",
        ),
        (
            json!({"name": "a", "sub_agents": [{"config_path": "b.yaml"}]}),
            "adk",
        ),
        (json!({"name": "a", "model": "gpt-4o"}), "adk"),
        (
            json!({"type": "chat_completion_agent", "instructions": "x"}),
            "semantic_kernel",
        ),
        (
            json!({"kind": "Prompt", "name": "a", "instructions": "x"}),
            "semantic_kernel",
        ),
        (
            json!({"template": "x", "template_format": "handlebars"}),
            "semantic_kernel",
        ),
        (
            json!({"role": "r", "goal": "g", "backstory": "b"}),
            "crewai",
        ),
        (
            json!({"name": "p", "model": {"api": "chat"}, "instructions": "x"}),
            "prompty",
        ),
        (
            json!({"prompts": ["x"], "providers": ["openai:gpt-4o"]}),
            "promptfoo",
        ),
        (
            json!({"system_prompt": "memgpt_chat", "functions": ["send_message"]}),
            "letta",
        ),
        (json!({"AgentName": "a", "Instruction": "x"}), "bedrock_cfn"),
    ];
    for (value, expected) in cases {
        assert_eq!(detect(&config(value.clone())).name, expected, "{value}");
    }
}

#[test]
fn every_format_has_a_table_that_reads_well() {
    let mut names = std::collections::HashSet::new();
    for format in FORMATS {
        assert!(names.insert(format.name), "{} twice", format.name);
        assert_eq!(by_name(format.name).map(|f| f.name), Some(format.name));
        // Every format but native says how it is recognised and what makes a file read as it.
        assert_eq!(
            format.marks.is_empty(),
            format.name == "native",
            "{}",
            format.name
        );
        assert_eq!(
            format.adopt.is_empty(),
            format.name == "native",
            "{}",
            format.name
        );
        // Each format's system prompt has a key, and its identifying keys are known to the
        // lookups that work without a format (stored changes, paths).
        assert!(
            format
                .sections
                .iter()
                .any(|(_, section)| *section == Section::Instructions),
            "{}",
            format.name
        );
        for key in format.identity {
            assert!(ANY_IDENTITY.contains(key), "{}: {key}", format.name);
        }
    }
    assert_eq!(FORMATS.last().map(|f| f.name), Some("native"));
}

#[test]
fn sections_come_from_the_format() {
    assert_eq!(adk().section_of("instruction"), Section::Instructions);
    assert_eq!(NATIVE.section_of("instruction"), Section::Settings);
    assert_eq!(BEDROCK_CFN.section_of("ActionGroups"), Section::Tools);
    assert_eq!(
        BEDROCK_CFN.section_of("KnowledgeBases"),
        Section::KnowledgeSources
    );
    assert_eq!(
        BEDROCK_CFN.section_of("GuardrailConfiguration"),
        Section::Guardrails
    );
    assert_eq!(
        by_name("crewai").map(|f| f.section_of("backstory")),
        Some(Section::Instructions)
    );
}

fn adk() -> &'static Format {
    by_name("adk").unwrap()
}

#[test]
fn lists_at_any_depth_are_keyed_when_every_item_is_identified_once() {
    let params = [json!({"name": "q"}), json!({"name": "n"})];
    let plain = [json!("a"), json!("b")];
    let repeated = [json!({"name": "q"}), json!({"name": "q"})];
    assert!(NATIVE.is_keyed(None, &[&params, &params]));
    assert!(!NATIVE.is_keyed(None, &[&plain]));
    assert!(!NATIVE.is_keyed(None, &[&params, &repeated]));
    // An empty list on every side is no evidence; a native keyed list may be empty.
    assert!(!NATIVE.is_keyed(None, &[&[], &[]]));
    assert!(NATIVE.is_keyed(Some("tools"), &[&[], &[]]));
    let groups = [
        json!({"ActionGroupName": "UserInput"}),
        json!({"ActionGroupName": "Orders"}),
    ];
    assert!(BEDROCK_CFN.is_keyed(Some("ActionGroups"), &[&groups]));
    assert!(!NATIVE.is_keyed(Some("ActionGroups"), &[&groups]));
    assert_eq!(identity(&groups[1]), Some("Orders"));
}

#[test]
fn a_refused_file_is_told_its_closest_format() {
    let crew_like = config(json!({"role": "r", "verbose": true}));
    assert_eq!(closest(&crew_like).map(|f| f.name), Some("crewai"));
    assert!(closest(&config(json!({"colour": "blue"}))).is_none());
}
