//! Agent files as frameworks write them (SPEC 13), on the real files of tests/fixtures/formats/.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{TestEnv, on_both_stores};

on_both_stores!(
    every_single_agent_fixture_validates_and_publishes_as_written,
    an_edit_of_the_system_prompt_is_an_instructions_change,
    a_reorder_of_a_keyed_list_is_one_change_at_the_top_level_and_nested,
    a_revert_of_an_old_publish_keeps_every_untouched_byte,
    a_revert_in_a_plain_list_touches_only_its_entry_and_keeps_the_comments,
    a_mixed_edit_of_a_plain_list_keeps_its_comments_and_quotes,
    a_crewai_file_holds_one_agent_per_key_each_published_and_reverted_on_its_own,
    a_cloudformation_template_holds_one_agent_per_bedrock_resource_with_tags_as_values,
    a_file_that_fits_no_format_is_told_what_it_looks_like,
    export_round_trips_to_a_file_of_the_same_format,
    a_prompty_file_goes_through_every_command_keeping_its_front_matter_and_body,
    a_markdown_file_with_front_matter_is_an_agent_and_a_readme_is_not,
    export_writes_the_file_a_crewai_cloudformation_or_prompty_user_reads_back,
    agentctl_yaml_gives_the_format_of_files_whose_detection_should_not_decide,
    agentctl_yaml_sections_and_identity_add_to_the_format_of_every_agent,
    a_revert_writes_cloudformation_functions_in_the_short_form_the_file_used,
    a_field_of_a_knowledge_base_identified_by_its_ref_is_touched_by_the_publish_that_set_the_list,
    every_command_works_on_every_format,
    deep_paths_wrap_at_their_segments_in_every_view_at_narrow_widths,
);

/// A fixture of `tests/fixtures/formats/` (also read by the serve tests).
pub fn fixture(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The fixtures that hold one agent each: (file under tests/fixtures/formats, format).
const SINGLE: [(&str, &str); 12] = [
    ("adk/notion_mcp_root_agent.yaml", "adk"),
    ("adk/multi_agent_llm_config_root_agent.yaml", "adk"),
    ("adk/sub_agents_config_root_agent.yaml", "adk"),
    ("adk/core_callback_config_root_agent.yaml", "adk"),
    (
        "semantic_kernel/sk_foundry_agent_spec.yaml",
        "semantic_kernel",
    ),
    (
        "semantic_kernel/sk_azure_assistant_spec.yaml",
        "semantic_kernel",
    ),
    ("semantic_kernel/maf_get_weather.yaml", "semantic_kernel"),
    (
        "semantic_kernel/maf_microsoft_learn_agent.yaml",
        "semantic_kernel",
    ),
    (
        "promptfoo/getting_started_promptfooconfig.yaml",
        "promptfoo",
    ),
    ("promptfoo/claude_vs_gpt_promptfooconfig.yaml", "promptfoo"),
    ("letta/memgpt_extras.yaml", "letta"),
    ("letta/memgpt_custom.yaml", "letta"),
];

/// The agent id a fixture gets in agents/: its file stem.
fn id_of(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap();
    name.strip_suffix(".yaml").unwrap()
}

fn publish(env: &TestEnv, agent: &str, message: &str) {
    env.run(&["publish", agent, "-m", message]).success();
}

fn diff_changes(env: &TestEnv, agent: &str) -> Vec<Value> {
    let run = env.run(&["diff", agent, "--json"]);
    run.success();
    run.json()["agents"][0]["changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn every_single_agent_fixture_validates_and_publishes_as_written(env: TestEnv) {
    for (path, _) in SINGLE {
        env.write_agent(id_of(path), &fixture(path));
    }
    let run = env.run(&["validate", "--json"]);
    run.success();
    let formats: Vec<(String, Value)> = run.json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["agent"].as_str().unwrap().to_owned(), a["format"].clone()))
        .collect();
    let mut expected: Vec<(String, Value)> = SINGLE
        .iter()
        .map(|(path, format)| (id_of(path).to_owned(), json!(format)))
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(formats, expected, "{}", run.show());

    let run = env.run(&["status", "--json"]);
    run.success();
    for agent in run.json()["agents"].as_array().unwrap() {
        assert_eq!(agent["state"], "new", "{agent}");
        assert!(agent["format"].is_string(), "{agent}");
    }
    // The human views name the framework.
    env.run(&["status"]).success().stdout_has("(adk)");
    env.run(&["validate"])
        .success()
        .stderr_has("notion_mcp_root_agent (adk)");

    env.run(&["publish", "-m", "as written"]).success();
    let run = env.run(&["status", "--json"]);
    for agent in run.json()["agents"].as_array().unwrap() {
        assert_eq!(agent["state"], "clean", "{agent}");
    }
}

/// (fixture, the system prompt's key, a line of the prompt, what it becomes)
const PROMPT_EDITS: [(&str, &str, &str, &str); 4] = [
    (
        "adk/notion_mcp_root_agent.yaml",
        "instruction",
        "Ask clarifying questions when unsure.",
        "Ask clarifying questions when a request is unclear.",
    ),
    (
        "semantic_kernel/maf_get_weather.yaml",
        "instructions",
        "You answer questions using the tools provided.",
        "You answer questions with the tools provided.",
    ),
    (
        "promptfoo/getting_started_promptfooconfig.yaml",
        "prompts[1]",
        "'Translate to {{language}}: {{input}}'",
        "'Please translate to {{language}}: {{input}}'",
    ),
    (
        "letta/memgpt_docs.yaml",
        "system_prompt",
        "system_prompt: \"memgpt_doc\"",
        "system_prompt: \"memgpt_chat\"",
    ),
];

fn an_edit_of_the_system_prompt_is_an_instructions_change(env: TestEnv) {
    for (path, key, from, to) in PROMPT_EDITS {
        let agent = id_of(path);
        let text = fixture(path);
        env.write_agent(agent, &text);
        publish(&env, agent, "as written");
        assert!(text.contains(from), "{path} lacks {from}");
        env.write_agent(agent, &text.replacen(from, to, 1));
        let changes = diff_changes(&env, agent);
        assert_eq!(changes.len(), 1, "{path}: {changes:#?}");
        assert_eq!(
            changes[0]["section"], "instructions",
            "{path}: {changes:#?}"
        );
        assert_eq!(changes[0]["path"], key, "{path}: {changes:#?}");
        // The human view puts it under its title.
        env.run(&["diff", agent])
            .success()
            .stdout_has("Instructions");
    }
}

/// (fixture, the lines of two neighbouring items, the list's path)
const REORDERS: [(&str, &str, &str, &str); 4] = [
    (
        "adk/multi_agent_llm_config_root_agent.yaml",
        "  - config_path: roll_agent.yaml\n",
        "  - config_path: prime_agent.yaml\n",
        "sub_agents",
    ),
    (
        "adk/core_callback_config_root_agent.yaml",
        "  - name: core_callback_config.tools.roll_die\n",
        "  - name: core_callback_config.tools.check_prime\n",
        "tools",
    ),
    (
        "adk/sub_agents_config_root_agent.yaml",
        "  - config_path: ./work_agent.yaml\n",
        "  - code: sub_agents_config.life_agent.agent\n",
        "sub_agents",
    ),
    (
        "semantic_kernel/maf_get_weather.yaml",
        "      - name: location\n        type: string\n        description: The city and state, e.g. San Francisco, CA\n        required: true\n",
        "      - name: unit\n        type: string\n        description: The unit of temperature. Possible values are 'celsius' and 'fahrenheit'.\n        required: false\n        enum:\n          - celsius\n          - fahrenheit",
        "tools[GetWeather].parameters",
    ),
];

fn a_reorder_of_a_keyed_list_is_one_change_at_the_top_level_and_nested(env: TestEnv) {
    for (path, first, second, list) in REORDERS {
        let agent = id_of(path);
        let text = fixture(path);
        env.write_agent(agent, &text);
        publish(&env, agent, "as written");
        let pair = format!("{first}{second}");
        assert!(text.contains(&pair), "{path}: items not found");
        // The last item may end the file without a newline.
        let swapped = if second.ends_with('\n') {
            format!("{second}{first}")
        } else {
            format!("{second}\n{}", first.trim_end_matches('\n'))
        };
        env.write_agent(agent, &text.replacen(&pair, &swapped, 1));
        let changes = diff_changes(&env, agent);
        assert_eq!(changes.len(), 1, "{path}: {changes:#?}");
        assert_eq!(changes[0]["path"], list, "{path}: {changes:#?}");
        assert_eq!(changes[0]["kind"], "changed", "{path}: {changes:#?}");
        publish(&env, agent, "reorder");
        // Reverting the reorder is one change back: the file holds the first publish again.
        let run = env.run(&["revert", agent, "v2", "--json"]);
        run.success();
        assert_eq!(
            run.json()["applied"].as_array().map(Vec::len),
            Some(1),
            "{path}"
        );
        env.run(&["diff", agent, "--from", "v1", "--exit-code"])
            .success();
        // The list is written whole (entries are not moved in place): said on stderr.
        run.stderr_lacks("written afresh")
            .stderr_has(&format!("`{list}` was written whole"));
    }
}

/// A text edit: what is replaced, by what.
type TextEdit = (&'static str, &'static str);

/// (fixture, an edit a later revert takes out, an edit that stays)
const REVERTS: [(&str, TextEdit, TextEdit); 4] = [
    (
        "adk/notion_mcp_root_agent.yaml",
        ("model: gemini-2.5-flash", "model: gemini-2.5-pro"),
        ("Notion pages. Ask", "Notion pages and databases. Ask"),
    ),
    (
        "semantic_kernel/maf_get_weather.yaml",
        ("        temperature: 0.9", "        temperature: 0.2"),
        (
            "description: Helpful assistant",
            "description: A helpful assistant",
        ),
    ),
    (
        "promptfoo/claude_vs_gpt_promptfooconfig.yaml",
        ("      temperature: 0\n", "      temperature: 0.5\n"),
        ("threshold: 3000", "threshold: 5000"),
    ),
    (
        "letta/memgpt_extras.yaml",
        (
            "system_prompt: \"memgpt_chat\"",
            "system_prompt: \"memgpt_doc\"",
        ),
        (
            "  - \"http_request\"",
            "  - \"http_request\"\n  - \"web_search\"",
        ),
    ),
];

fn a_revert_of_an_old_publish_keeps_every_untouched_byte(env: TestEnv) {
    for (path, (a_from, a_to), (b_from, b_to)) in REVERTS {
        let agent = id_of(path);
        let text = fixture(path);
        assert!(text.contains(a_from) && text.contains(b_from), "{path}");
        env.write_agent(agent, &text);
        publish(&env, agent, "as written");
        let with_a = text.replacen(a_from, a_to, 1);
        env.write_agent(agent, &with_a);
        publish(&env, agent, "a");
        env.write_agent(agent, &with_a.replacen(b_from, b_to, 1));
        publish(&env, agent, "b");
        let run = env.run(&["revert", agent, "v2"]);
        run.success().stderr_lacks("written afresh");
        assert_eq!(
            std::fs::read_to_string(env.root.join(format!("agents/{agent}.yaml"))).unwrap(),
            text.replacen(b_from, b_to, 1),
            "{path}\n{}",
            run.show()
        );
    }
}

fn export_round_trips_to_a_file_of_the_same_format(env: TestEnv) {
    for (path, _) in SINGLE {
        env.write_agent(id_of(path), &fixture(path));
    }
    env.run(&["publish", "-m", "as written"]).success();
    let out = env.root.join("out");
    env.run(&["export", "-o", out.to_str().unwrap()]).success();
    for (path, format) in SINGLE {
        let agent = id_of(path);
        let exported = std::fs::read(out.join(format!("{agent}.yaml"))).unwrap();
        let (config, read_as) =
            agentctl::agent::parse_as(&exported, None).unwrap_or_else(|e| panic!("{agent}: {e:?}"));
        assert_eq!(read_as.name, format, "{agent}");
        let original = agentctl::agent::parse(fixture(path).as_bytes()).unwrap();
        assert_eq!(config, original, "{agent}");
    }
}

fn a_revert_in_a_plain_list_touches_only_its_entry_and_keeps_the_comments(env: TestEnv) {
    let path = "letta/memgpt_extras.yaml";
    let agent = id_of(path);
    let text = fixture(path);
    let entry = "  - \"append_to_text_file\"\n";
    assert!(text.contains(entry));
    env.write_agent(agent, &text);
    publish(&env, agent, "as written");
    // v2 removes one entry between comment lines; v3 changes something else.
    let without = text.replacen(entry, "", 1);
    env.write_agent(agent, &without);
    publish(&env, agent, "drop a function");
    let later = without.replacen("\"memgpt_chat\"", "\"memgpt_doc\"", 1);
    env.write_agent(agent, &later);
    publish(&env, agent, "another prompt");
    // Reverting v2 puts the entry back on a line of its own, quoted as its neighbours are;
    // every other line stays. (yaml-edit places it after the comment that heads the next
    // entry, so the lines are compared as a set.)
    env.run(&["revert", agent, "v2"])
        .success()
        .stderr_lacks("written afresh");
    let file = env.root.join(format!("agents/{agent}.yaml"));
    let expected = text.replacen("\"memgpt_chat\"", "\"memgpt_doc\"", 1);
    let lines = |text: &str| {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    let now = std::fs::read_to_string(&file).unwrap();
    assert_eq!(lines(&now), lines(&expected), "{now}");
    env.run(&["diff", agent, "--from", "v1", "--exit-code"])
        .code(1)
        .stdout_has("system_prompt");
    publish(&env, agent, "entry back");
    // Reverting that (v4, which added the entry) removes its line and nothing else.
    env.run(&["revert", agent, "v4"])
        .success()
        .stderr_lacks("written afresh");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), later);
    // A removal from the fixture as written, too: one line goes, the comments stay.
    env.write_agent(agent, &text);
    publish(&env, agent, "as written again");
    env.write_agent(agent, &text.replacen("  - \"http_request\"\n", "", 1));
    publish(&env, agent, "no internet");
    env.write_agent(agent, &text);
    publish(&env, agent, "internet again");
    env.run(&["revert", agent, "v7"]).success();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text.replacen("  - \"http_request\"\n", "", 1)
    );
}

/// Issue 15: a revert that both puts back a removed entry and changes another one of the same
/// plain list (positions shift between the two) still edits entry by entry: every comment and
/// quote stays, and nothing is written whole.
fn a_mixed_edit_of_a_plain_list_keeps_its_comments_and_quotes(env: TestEnv) {
    let path = "letta/memgpt_extras.yaml";
    let agent = id_of(path);
    let text = fixture(path);
    let file = env.root.join(format!("agents/{agent}.yaml"));
    env.write_agent(agent, &text);
    publish(&env, agent, "as written");
    // v2 drops one function and renames the last one; v3 changes the prompt.
    let mixed = text
        .replacen("  - \"append_to_text_file\"\n", "", 1)
        .replacen("\"http_request\"", "\"http_get\"", 1);
    env.write_agent(agent, &mixed);
    publish(&env, agent, "fewer functions");
    let later = mixed.replacen("\"memgpt_chat\"", "\"memgpt_doc\"", 1);
    env.write_agent(agent, &later);
    publish(&env, agent, "another prompt");
    let lines = |text: &str| {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    let run = env.run(&["revert", agent, "v2"]);
    run.success()
        .stderr_lacks("written whole")
        .stderr_lacks("written afresh");
    let now = std::fs::read_to_string(&file).unwrap();
    let expected = text.replacen("\"memgpt_chat\"", "\"memgpt_doc\"", 1);
    // Every line of the file as written is back, quoted; the comments too (yaml-edit may put
    // an entry it inserts after the comment that heads the next one, so lines are a set).
    assert_eq!(lines(&now), lines(&expected), "{now}");
    env.run(&["diff", agent, "--from", "v1", "--exit-code"])
        .code(1)
        .stdout_has("system_prompt")
        .stdout_lacks("functions");
    // And the other way: the revert of that revert takes both edits out again, quoted.
    publish(&env, agent, "functions back");
    env.run(&["revert", agent, "v4"])
        .success()
        .stderr_lacks("written whole");
    let now = std::fs::read_to_string(&file).unwrap();
    assert_eq!(lines(&now), lines(&later), "{now}");
}

fn file_of(env: &TestEnv, name: &str) -> String {
    std::fs::read_to_string(env.root.join("agents").join(name)).unwrap()
}

fn a_crewai_file_holds_one_agent_per_key_each_published_and_reverted_on_its_own(env: TestEnv) {
    let text = fixture("crewai/research_crew_agents.yaml");
    env.write_agent("research_crew_agents", &text);
    let run = env.run(&["status", "--json"]);
    run.success();
    let agents: Vec<(Value, Value)> = run.json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["agent"].clone(), a["format"].clone()))
        .collect();
    assert_eq!(
        agents,
        [
            (
                json!("research_crew_agents.reporting_analyst"),
                json!("crewai")
            ),
            (json!("research_crew_agents.researcher"), json!("crewai")),
        ],
        "{}",
        run.show()
    );
    env.run(&["publish", "-m", "as written"]).success();
    let researcher = "research_crew_agents.researcher";
    let analyst = "research_crew_agents.reporting_analyst";

    // An edit of one agent's backstory: that agent alone is modified, in Instructions.
    let edited = text.replacen("a knack for uncovering", "a talent for uncovering", 1);
    env.write_agent("research_crew_agents", &edited);
    let changes = diff_changes(&env, researcher);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["path"], "backstory");
    assert_eq!(changes[0]["section"], "instructions");
    env.run(&["diff", analyst, "--exit-code"]).success();
    env.run(&["publish", "-m", "talent"]).success();
    assert_eq!(env.history_len(Some(researcher)), 2);
    assert_eq!(env.history_len(Some(analyst)), 1);

    // The other agent changes later; reverting the first edit touches the first agent's line.
    let both = edited.replacen(
        "verbose: true\n  function_calling_llm: \"online_llm\"",
        "verbose: false\n  function_calling_llm: \"online_llm\"",
        1,
    );
    assert_ne!(both, edited);
    env.write_agent("research_crew_agents", &both);
    env.run(&["publish", "-m", "quiet analyst"]).success();
    env.run(&["revert", researcher, "v2"])
        .success()
        .stderr_lacks("written afresh");
    // The researcher holds its first publish again; the analyst's bytes are untouched. The
    // reverted folded `>` block stays folded, wrapped as it was: the researcher's bytes are
    // those of the file as written.
    env.run(&["diff", researcher, "--from", "v1", "--exit-code"])
        .success();
    let now = file_of(&env, "research_crew_agents.yaml");
    let analyst_part = |text: &str| text[text.find("\nreporting_analyst:").unwrap()..].to_owned();
    assert_eq!(analyst_part(&now), analyst_part(&both));
    let researcher_part =
        |text: &str| text[..text.find("\nreporting_analyst:").unwrap()].to_owned();
    assert_eq!(researcher_part(&now), researcher_part(&text));
    // Restore of the other agent to its first publish, then undo: the researcher's part is
    // untouched by the restore, and undo brings the whole file back.
    let before = now.clone();
    env.run(&["restore", analyst, "v1"]).success();
    let restored = file_of(&env, "research_crew_agents.yaml");
    assert_eq!(analyst_part(&restored), analyst_part(&text));
    assert_eq!(
        restored[..restored.find("\nreporting_analyst:").unwrap()],
        before[..before.find("\nreporting_analyst:").unwrap()]
    );
    env.run(&["undo", analyst]).success();
    assert_eq!(file_of(&env, "research_crew_agents.yaml"), before);
}

fn a_cloudformation_template_holds_one_agent_per_bedrock_resource_with_tags_as_values(
    env: TestEnv,
) {
    let text = fixture("bedrock_cfn/support_agents_kb_guardrail.yaml");
    env.write_agent("support", &text);
    let run = env.run(&["validate", "--json"]);
    run.success();
    let agents: Vec<Value> = run.json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!([a["agent"], a["format"]]))
        .collect();
    assert_eq!(
        agents,
        [
            json!(["support.RefundsAgent", "bedrock_cfn"]),
            json!(["support.SupportAgent", "bedrock_cfn"]),
        ]
    );
    env.run(&["publish", "-m", "as written"]).success();
    let run = env.run(&["show", "support.SupportAgent", "--config", "--json"]);
    run.success();
    let config = &run.json()["config"];
    assert_eq!(
        config["AgentName"],
        json!({"Fn::Sub": "support-agent-${Environment}"})
    );
    assert_eq!(
        config["FoundationModel"],
        json!({"Ref": "FoundationModelId"})
    );
    assert_eq!(
        config["GuardrailConfiguration"],
        json!({
            "GuardrailIdentifier": {"Fn::GetAtt": ["SupportGuardrail", "GuardrailId"]},
            "GuardrailVersion": {"Fn::GetAtt": ["SupportGuardrailVersion", "Version"]},
        })
    );
    assert_eq!(
        config["IdleSessionTTLInSeconds"],
        json!({"Fn::If": ["IsProd", 1800, 600]})
    );
    // Sections by Bedrock's keys.
    let agent = "support.SupportAgent";
    let prompt = text.replacen(
        "look the order up before answering",
        "look the order up first",
        1,
    );
    env.write_agent("support", &prompt);
    let changes = diff_changes(&env, agent);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(
        (&changes[0]["path"], &changes[0]["section"]),
        (&json!("Instruction"), &json!("instructions"))
    );
    env.run(&["diff", "support.RefundsAgent", "--exit-code"])
        .success();
    env.run(&["publish", "-m", "first"]).success();

    // A reorder of ActionGroups (by ActionGroupName) is one change, and so is one of the
    // functions inside an action group (by Name).
    let user_input = "        - ActionGroupName: UserInput\n          ParentActionGroupSignature: AMAZON.UserInput\n          ActionGroupState: ENABLED\n";
    assert!(prompt.contains(user_input));
    let moved = prompt.replacen(user_input, "", 1);
    let orders_end = "                    Required: false\n";
    let reordered = moved.replacen(orders_end, &format!("{orders_end}{user_input}"), 1);
    env.write_agent("support", &reordered);
    let changes = diff_changes(&env, agent);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["path"], "ActionGroups");
    assert_eq!(changes[0]["section"], "tools");
    assert_eq!(changes[0]["new"], json!(["Orders", "UserInput"]));

    env.write_agent("support", &prompt);
    let get_order_at = prompt.find("              - Name: get_order").unwrap();
    let track_at = prompt.find("              - Name: track_shipment").unwrap();
    let end = prompt[track_at..].find("      Tags:").unwrap() + track_at;
    let swapped = format!(
        "{}{}{}{}",
        &prompt[..get_order_at],
        &prompt[track_at..end],
        &prompt[get_order_at..track_at],
        &prompt[end..]
    );
    env.write_agent("support", &swapped);
    let changes = diff_changes(&env, agent);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(
        changes[0]["path"],
        "ActionGroups[Orders].FunctionSchema.Functions"
    );

    // A revert of the prompt edit leaves every other byte, the other agent's included.
    env.write_agent("support", &prompt);
    let later = prompt.replacen(
        "Description: Decides refund requests within policy",
        "Description: Decides refunds",
        1,
    );
    env.write_agent("support", &later);
    env.run(&["publish", "-m", "refunds"]).success();
    env.run(&["revert", agent, "v2"])
        .success()
        .stderr_lacks("written afresh");
    assert_eq!(
        file_of(&env, "support.yaml"),
        text.replacen(
            "Description: Decides refund requests within policy",
            "Description: Decides refunds",
            1
        )
    );

    // Outside a CloudFormation template, a CloudFormation tag is still refused, located.
    env.write_agent("plain", "name: plain\ndescription: !Ref Nothing\n");
    env.run(&["validate", "plain"])
        .code(2)
        .stderr_has("agents/plain.yaml:2:")
        .stderr_has("unknown tag `!Ref`");
}

fn a_file_that_fits_no_format_is_told_what_it_looks_like(env: TestEnv) {
    env.write_agent(
        "tasks",
        &fixture("crewai/not_agents/research_crew_tasks.yaml"),
    );
    env.run(&["validate", "tasks"])
        .code(2)
        .stderr_has("missing required key `name`")
        .stderr_has("help: this looks like a CrewAI tasks.yaml");
    env.write_agent("crewish", "role: Researcher\nverbose: true\n");
    env.run(&["validate", "crewish"])
        .code(2)
        .stderr_has("help: this file looks closest to CrewAI (`crewai`)");
    // A file that looks like nothing gets no guess.
    env.write_agent("nothing", "colour: blue\n");
    env.run(&["validate", "nothing"])
        .code(2)
        .stderr_lacks("help: this file looks closest");
}

fn write_file(env: &TestEnv, name: &str, text: &str) {
    std::fs::write(env.root.join("agents").join(name), text).unwrap();
}

/// The three Prompty fixtures, as written, through status, validate, publish, diff, log,
/// blame, show, revert, restore, undo and export (SPEC 13: front matter is the agent, the body
/// its instructions; writes keep the front matter / body layout).
fn a_prompty_file_goes_through_every_command_keeping_its_front_matter_and_body(env: TestEnv) {
    let files = [
        "tools_web_search.prompty",
        "chat_history.prompty",
        "custom_tools_v2.prompty",
    ];
    for name in files {
        write_file(&env, name, &fixture(&format!("prompty/{name}")));
    }
    let run = env.run(&["validate", "--json"]);
    run.success();
    let found: Vec<Value> = run.json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!([a["agent"], a["format"]]))
        .collect();
    assert_eq!(
        found,
        [
            json!(["chat_history", "prompty"]),
            json!(["custom_tools_v2", "prompty"]),
            json!(["tools_web_search", "prompty"]),
        ],
        "{}",
        run.show()
    );
    env.run(&["status"])
        .success()
        .stdout_has("custom_tools_v2")
        .stdout_has("(prompty)");
    env.run(&["publish", "-m", "as written"]).success();

    // The body is the instructions, byte for byte (the fixture has no final newline).
    let agent = "tools_web_search";
    let text = fixture("prompty/tools_web_search.prompty");
    let run = env.run(&["show", agent, "--config", "--json"]);
    run.success();
    let config = &run.json()["config"];
    let body = &text[text.find("---\nsystem[name=").unwrap() + 4..];
    assert_eq!(config["instructions"], json!(body));
    assert_eq!(config["name"], "Basic Prompt");
    assert_eq!(config["tools"][0]["id"], "bing");

    // An edit of the body is an Instructions change; one of the front matter a setting.
    let prompt = text.replacen("briefly, succinctly", "briefly", 1);
    write_file(&env, "tools_web_search.prompty", &prompt);
    let changes = diff_changes(&env, agent);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(
        (&changes[0]["path"], &changes[0]["section"]),
        (&json!("instructions"), &json!("instructions"))
    );
    env.run(&["diff", agent])
        .success()
        .stdout_has("Instructions");
    env.run(&["publish", "-m", "brief"]).success();
    let later = prompt.replacen("lastName: Doe", "lastName: Roe", 1);
    write_file(&env, "tools_web_search.prompty", &later);
    let changes = diff_changes(&env, agent);
    assert_eq!(changes[0]["path"], "inputs.lastName", "{changes:#?}");
    assert_eq!(changes[0]["section"], "settings");
    env.run(&["publish", "-m", "roe"]).success();
    env.run(&["log", agent])
        .success()
        .stdout_has("brief")
        .stdout_has("roe");
    env.run(&["log", "--touching", "instructions", agent])
        .success()
        .stdout_has("brief")
        .stdout_lacks("roe");
    env.run(&["blame", agent])
        .success()
        .stdout_has("inputs.lastName")
        .stdout_has("Roe");
    env.run(&["show", agent, "v2"])
        .success()
        .stdout_has("Instructions");

    // A revert of the body edit: the front matter's bytes stay, the body is v1's again.
    env.run(&["revert", agent, "v2"])
        .success()
        .stderr_lacks("written afresh")
        .stderr_lacks("written whole");
    assert_eq!(
        file_of(&env, "tools_web_search.prompty"),
        later.replacen("briefly", "briefly, succinctly", 1)
    );
    env.run(&["publish", "-m", "revert brief"]).success();
    // A revert of the front-matter edit: the body (and the blank lines, the trailing space
    // and the missing final newline) stay.
    env.run(&["revert", agent, "v3"])
        .success()
        .stderr_lacks("written afresh");
    assert_eq!(file_of(&env, "tools_web_search.prompty"), text);
    env.run(&["publish", "-m", "as written again"]).success();

    // Restore of another agent to an older publish, then undo.
    let chat = fixture("prompty/chat_history.prompty");
    let edited = chat
        .replacen(
            "azure_deployment: gpt-35-turbo",
            "azure_deployment: gpt-4o",
            1,
        )
        .replacen("Use their name", "Use their first name", 1);
    write_file(&env, "chat_history.prompty", &edited);
    env.run(&["publish", "-m", "gpt-4o"]).success();
    env.run(&["restore", "chat_history", "v1"])
        .success()
        .stderr_lacks("written afresh");
    assert_eq!(file_of(&env, "chat_history.prompty"), chat);
    env.run(&["undo", "chat_history"]).success();
    assert_eq!(file_of(&env, "chat_history.prompty"), edited);
    // A file that no longer reads as front matter is restored in its layout, not as YAML.
    write_file(&env, "chat_history.prompty", "not front matter\n");
    env.run(&["validate", "chat_history"])
        .code(2)
        .stderr_has("agents/chat_history.prompty:1:1")
        .stderr_has("expected YAML front matter")
        .stderr_has("help:");
    env.run(&["restore", "chat_history", "v2"]).success();
    let restored = file_of(&env, "chat_history.prompty");
    assert!(restored.starts_with("---\n"), "{restored}");
    env.run(&["diff", "chat_history", "--exit-code"]).success();
}

fn a_markdown_file_with_front_matter_is_an_agent_and_a_readme_is_not(env: TestEnv) {
    write_file(&env, "README.md", "# Our agents\n\nOne file each.\n");
    let text = "---\n# The helper.\nname: helper\nmodel:\n  provider: openai\n  name: gpt-4o  # pinned\n---\nYou help.\n\nBe brief.\n";
    write_file(&env, "helper.md", text);
    let run = env.run(&["status", "--json"]);
    run.success();
    let agents = run.json()["agents"].clone();
    assert_eq!(agents.as_array().unwrap().len(), 1, "{agents}");
    assert_eq!(agents[0]["agent"], "helper");
    assert_eq!(agents[0]["format"], "native");
    env.run(&["publish", "-m", "first"]).success();
    let edited = text.replacen("Be brief.", "Be brief and kind.", 1);
    write_file(&env, "helper.md", &edited);
    let changes = diff_changes(&env, "helper");
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["section"], "instructions");
    env.run(&["publish", "-m", "kind"]).success();
    let later = edited.replacen("gpt-4o  # pinned", "gpt-4.1  # pinned", 1);
    write_file(&env, "helper.md", &later);
    env.run(&["publish", "-m", "newer model"]).success();
    env.run(&["revert", "helper", "v2"])
        .success()
        .stderr_lacks("written afresh");
    assert_eq!(
        file_of(&env, "helper.md"),
        later.replacen("Be brief and kind.", "Be brief.", 1)
    );

    // Two files for one agent, `instructions` in the front matter, an unclosed front matter:
    // each refused, located, with what to do.
    write_file(&env, "helper.yaml", "name: helper\n");
    env.run(&["validate", "helper"])
        .code(2)
        .stderr_has("two staging files")
        .stderr_has("agents/helper.yaml")
        .stderr_has("agents/helper.md");
    // status finds both in its listing of agents/ and says the same.
    env.run(&["status"])
        .success()
        .stdout_has("two staging files: agents/helper.md and agents/helper.yaml");
    std::fs::remove_file(env.root.join("agents/helper.yaml")).unwrap();
    write_file(
        &env,
        "twice.md",
        "---\nname: twice\ninstructions: here\n---\nand here\n",
    );
    env.run(&["validate", "twice"])
        .code(2)
        .stderr_has("agents/twice.md:3:1")
        .stderr_has("help: move the text of `instructions` below the closing `---` line");
    write_file(&env, "open.md", "---\nname: open\n");
    env.run(&["validate", "open"])
        .code(2)
        .stderr_has("agents/open.md:1:1")
        .stderr_has("no closing `---` line");
    write_file(&env, "typo.md", "---\nname: typo\nmodel: [x\n---\nbody\n");
    env.run(&["validate", "typo"])
        .code(2)
        .stderr_has("agents/typo.md:4:");
}

/// SPEC 13 / issue 15 step 7: export writes the framework's own file shape (a CrewAI
/// agents.yaml keyed by name, a CloudFormation template with the agents' resources, Prompty
/// front matter and body), and reading it back gives the same agents.
fn export_writes_the_file_a_crewai_cloudformation_or_prompty_user_reads_back(env: TestEnv) {
    use agentctl::agent::{self, format};
    env.write_agent("crew", &fixture("crewai/research_crew_agents.yaml"));
    env.write_agent(
        "support",
        &fixture("bedrock_cfn/support_agents_kb_guardrail.yaml"),
    );
    write_file(
        &env,
        "custom_tools_v2.prompty",
        &fixture("prompty/custom_tools_v2.prompty"),
    );
    env.run(&["publish", "-m", "as written"]).success();
    let snapshot = |agent: &str| {
        let run = env.run(&["show", agent, "--config", "--json"]);
        run.success();
        run.json()["config"].as_object().unwrap().clone()
    };
    let out = env.root.join("out");
    env.run(&["export", "-o", out.to_str().unwrap()])
        .success()
        .stderr_has("crew.researcher v1")
        .stderr_has("out/crew.yaml");
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        ["crew.yaml", "custom_tools_v2.prompty", "support.yaml"]
    );

    // CrewAI: one agents.yaml, each agent under its key, read back as the same agents.
    let crew = std::fs::read(out.join("crew.yaml")).unwrap();
    let file = agent::parse_file(&crew).unwrap();
    let parts = format::parts(&file).expect("a CrewAI agents.yaml");
    let keys: Vec<&str> = parts.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["reporting_analyst", "researcher"]);
    for part in &parts {
        let (config, read_as) = agent::parse_part(&crew, part).unwrap();
        assert_eq!(read_as.name, "crewai");
        assert_eq!(
            config,
            snapshot(&format!("crew.{}", part.key)),
            "{}",
            part.key
        );
    }

    // CloudFormation: a template whose Resources are the agents, typed AWS::Bedrock::Agent.
    let template = std::fs::read(out.join("support.yaml")).unwrap();
    let file = agent::parse_file(&template).unwrap();
    assert_eq!(file["AWSTemplateFormatVersion"], "2010-09-09");
    assert_eq!(
        file["Resources"]["SupportAgent"]["Type"],
        "AWS::Bedrock::Agent"
    );
    let parts = format::parts(&file).expect("a template with Bedrock agents");
    assert_eq!(parts.len(), 2);
    for part in &parts {
        let (config, read_as) = agent::parse_part(&template, part).unwrap();
        assert_eq!(read_as.name, "bedrock_cfn");
        assert_eq!(
            config,
            snapshot(&format!("support.{}", part.key)),
            "{}",
            part.key
        );
    }

    // Prompty: front matter and the instructions as body.
    let prompty = std::fs::read(out.join("custom_tools_v2.prompty")).unwrap();
    assert!(prompty.starts_with(b"---\nname: custom-tools\n"));
    assert!(prompty.ends_with(b"---\nsystem:\nYou have custom tools.\n\nuser:\n{{question}}\n"));
    let part = format::Part::front_matter("custom_tools_v2.prompty");
    let (config, _) = agent::parse_part(&prompty, &part).unwrap();
    assert_eq!(config, snapshot("custom_tools_v2"));

    // Without -o, one agent's file alone: the CrewAI agent under its key.
    let run = env.run(&["export", "crew.researcher"]);
    run.success();
    let file = agent::parse_file(run.stdout.as_bytes()).unwrap();
    assert_eq!(file.keys().collect::<Vec<_>>(), ["researcher"]);
    // JSON stays the bare snapshot, for integrations.
    let run = env.run(&["export", "support.SupportAgent", "--format", "json"]);
    run.success();
    assert_eq!(
        serde_json::from_str::<Value>(&run.stdout).unwrap(),
        Value::Object(snapshot("support.SupportAgent"))
    );
}

/// SPEC 13 step 5: `agentctl.yaml` at the root overrides detection by glob; bad values are
/// refused at their line and column with a `help:`, and nothing is written.
fn agentctl_yaml_gives_the_format_of_files_whose_detection_should_not_decide(env: TestEnv) {
    // Its `instruction` key makes this file ADK by detection; agentctl.yaml can say native.
    let text = "name: helper\ninstruction: |\n  Help.\nmodel:\n  name: gpt-4o  # pinned\n";
    env.write_agent("helper", text);
    let format_of = |env: &TestEnv| {
        let run = env.run(&["validate", "--json"]);
        run.json()["agents"][0]["format"].clone()
    };
    env.run(&["status"]).success();
    assert_eq!(format_of(&env), "adk");
    let overrides = env.root.join("agentctl.yaml");
    std::fs::write(
        &overrides,
        "# Our own files are native.\nformat:\n  \"agents/help*.yaml\": native\n  '*.yaml': adk\n",
    )
    .unwrap();
    // The status cache knows the override changed: the same bytes are read again.
    let run = env.run(&["status", "--json"]);
    run.success();
    assert_eq!(
        run.json()["agents"][0]["format"],
        "native",
        "{}",
        run.show()
    );
    assert_eq!(format_of(&env), "native");
    // Under the format it is given, the file's own rules apply: a `.prompty` file told to be
    // native needs a `name`.
    write_file(
        &env,
        "nameless.prompty",
        "---\nmodel: {api: chat}\n---\nHi.\n",
    );
    env.run(&["validate", "nameless"]).success();
    std::fs::write(
        &overrides,
        "format:\n  \"help*.yaml\": native\n  '*.prompty': native\n",
    )
    .unwrap();
    env.run(&["validate", "nameless"])
        .code(2)
        .stderr_has("agents/nameless.prompty")
        .stderr_has("missing required key `name`");
    std::fs::remove_file(env.root.join("agents/nameless.prompty")).unwrap();

    // Publish, edit, revert under the override: the file keeps its bytes.
    env.run(&["publish", "-m", "first"]).success();
    let edited = text.replacen("Help.", "Help kindly.", 1);
    env.write_agent("helper", &edited);
    // Compared by the format it is given: natively `instruction` is a setting (ADK's
    // detection would call it the system prompt).
    let section_of_edit = |env: &TestEnv| {
        let run = env.run(&["diff", "helper", "--json"]);
        run.success();
        run.json()["agents"][0]["changes"][0]["section"].clone()
    };
    assert_eq!(section_of_edit(&env), "settings");
    std::fs::write(
        &overrides,
        "format:
  '*.prompty': native
",
    )
    .unwrap();
    assert_eq!(section_of_edit(&env), "instructions");
    std::fs::write(
        &overrides,
        "format:
  \"help*.yaml\": native
  '*.prompty': native
",
    )
    .unwrap();
    env.run(&["publish", "-m", "kindly"]).success();
    env.run(&["revert", "helper", "v2"])
        .success()
        .stderr_lacks("written afresh");
    assert_eq!(file_of(&env, "helper.yaml"), text);

    // Bad values: located in agentctl.yaml, with what is allowed; staging untouched.
    let before = file_of(&env, "helper.yaml");
    for (bad, at, message, help) in [
        (
            "format:\n  '*.yaml': adkk\n",
            "agentctl.yaml:2:3",
            "unknown format `adkk` for `*.yaml`",
            "help: the formats are `bedrock_cfn`, `crewai`",
        ),
        (
            "format: adk\n",
            "agentctl.yaml:1:1",
            "`format` must be a mapping",
            "help: write it as `format:`",
        ),
        (
            "# x\nsection:\n  prompt: instructions\n",
            "agentctl.yaml:2:1",
            "unknown key `section`",
            "help: agentctl.yaml takes `format:`",
        ),
        (
            "sections:\n  instruction: [persona]\n",
            "agentctl.yaml:2:3",
            "unknown section `instruction` in `sections`",
            "help: the sections are `settings`, `instructions`",
        ),
        (
            "identity:\n  \"skills[0]\": skill_id\n",
            "agentctl.yaml:2:3",
            "bad list path `skills[0]` in `identity`",
            "help: a list path is",
        ),
        ("format:\n  '*.yaml': [adk\n", "agentctl.yaml:", "", ""),
    ] {
        std::fs::write(&overrides, bad).unwrap();
        for command in [&["status"][..], &["validate"], &["revert", "helper", "v2"]] {
            env.run(command)
                .code(2)
                .stderr_has(at)
                .stderr_has(message)
                .stderr_has(help);
        }
        assert_eq!(file_of(&env, "helper.yaml"), before);
    }
}

/// SPEC 13: `sections:` puts extra top-level keys in a section, `identity:` matches a list of
/// mappings by a key of its items (a reorder is one change, a revert finds items by it); an
/// edit of agentctl.yaml shows at once, though the agent's parse is cached.
fn agentctl_yaml_sections_and_identity_add_to_the_format_of_every_agent(env: TestEnv) {
    let text = "name: helper\nmodel:\n  name: gpt-4o\npersona: Be kind.\nskills:\n  - skill_id: search  # first\n    level: 1\n  - skill_id: write\n    level: 2\n";
    env.write_agent("helper", text);
    publish(&env, "helper", "first");
    let persona = text.replacen("Be kind.", "Be brief.", 1);
    let reordered = persona.replacen(
        "  - skill_id: search  # first\n    level: 1\n  - skill_id: write\n    level: 2\n",
        "  - skill_id: write\n    level: 2\n  - skill_id: search  # first\n    level: 1\n",
        1,
    );
    env.write_agent("helper", &reordered);
    let section_of = |changes: &[Value], path: &str| {
        changes
            .iter()
            .find(|c| c["path"] == path)
            .map(|c| c["section"].clone())
    };
    // Without agentctl.yaml: `persona` is a setting, the reorder is item by item.
    let changes = diff_changes(&env, "helper");
    assert_eq!(section_of(&changes, "persona"), Some("settings".into()));
    assert!(changes.len() > 2, "{changes:?}");
    env.run(&["diff", "helper"]).stdout_lacks("Instructions");
    let overrides = env.root.join("agentctl.yaml");
    std::fs::write(
        &overrides,
        "sections:\n  instructions: [persona]\nidentity:\n  skills: skill_id\n",
    )
    .unwrap();
    let changes = diff_changes(&env, "helper");
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(section_of(&changes, "persona"), Some("instructions".into()));
    assert_eq!(
        (section_of(&changes, "skills"), &changes[0]["old"]),
        (
            Some("settings".into()),
            &serde_json::json!(["search", "write"])
        ),
        "{changes:?}"
    );
    env.run(&["diff", "helper"])
        .success()
        .stdout_has("Instructions");
    // Revert by identity: v2 raises `write`; staging reorders; the revert lowers `write`
    // where it now is, and every other byte (the new order, the comment) stays.
    env.write_agent("helper", &text.replacen("level: 2", "level: 3", 1));
    publish(&env, "helper", "raise write");
    let staged = reordered.replacen("level: 2", "level: 3", 1);
    env.write_agent("helper", &staged);
    env.run(&["revert", "helper", "v2"])
        .success()
        .stdout_has("skills[write].level")
        .stderr_lacks("written afresh")
        .stderr_lacks("written whole");
    assert_eq!(file_of(&env, "helper.yaml"), reordered);
    // Against production (v2): the order, `write` lowered, the persona; nothing else.
    let changes = diff_changes(&env, "helper");
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert_eq!(changes[1]["path"], "skills[write].level", "{changes:?}");
    // `show` compares a publish's versions as `diff` does.
    publish(&env, "helper", "reorder");
    let run = env.run(&["show", "helper", "v3", "--json"]);
    run.success();
    let shown = run.json()["changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(shown.len(), 3, "{}", run.show());
    assert_eq!(section_of(&shown, "persona"), Some("instructions".into()));
    // The recorded history stays what `verify` recomputes from the snapshots.
    env.run(&["verify"]).success();
    // Restore puts v2's order back: a reordered list is written whole (as any keyed list),
    // the rest of the file in place.
    env.run(&["restore", "helper", "v2"])
        .success()
        .stderr_lacks("written afresh")
        .stderr_has("`skills` was written whole");
    assert_eq!(
        file_of(&env, "helper.yaml"),
        text.replacen("level: 2", "level: 3", 1)
            .replacen("  # first", "", 1)
    );
    // A path through a list: `tools[].parameters`, the parameters of every tool.
    let tools = "name: tooled\nmodel:\n  name: gpt-4o\ntools:\n  - name: lookup\n    parameters:\n      - param: id\n        type: string\n      - param: limit\n        type: integer\n";
    env.write_agent("tooled", tools);
    publish(&env, "tooled", "first");
    let swapped = tools.replacen(
        "      - param: id\n        type: string\n      - param: limit\n        type: integer\n",
        "      - param: limit\n        type: integer\n      - param: id\n        type: string\n",
        1,
    );
    env.write_agent("tooled", &swapped);
    assert!(diff_changes(&env, "tooled").len() > 1);
    std::fs::write(&overrides, "identity:\n  \"tools[].parameters\": param\n").unwrap();
    let changes = diff_changes(&env, "tooled");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        changes[0]["path"], "tools[lookup].parameters",
        "{changes:?}"
    );
}

/// Issue 15 step 4: a revert writes `!Sub`, `!Ref`, `!If [...]`, `!GetAtt [...]` back as the
/// file wrote them (not `Fn::Sub:` mappings), and `KnowledgeBaseId: !Ref X` identifies a
/// knowledge base.
fn a_revert_writes_cloudformation_functions_in_the_short_form_the_file_used(env: TestEnv) {
    let text = fixture("bedrock_cfn/support_agents_kb_guardrail.yaml");
    env.write_agent("support", &text);
    env.run(&["publish", "-m", "as written"]).success();
    let agent = "support.SupportAgent";
    let edits = [
        (
            "AgentName: !Sub \"support-agent-${Environment}\"",
            "AgentName: !Sub \"help-agent-${Environment}\"",
        ),
        (
            "FoundationModel: !Ref FoundationModelId",
            "FoundationModel: !Ref OtherModelId",
        ),
        (
            "KnowledgeBaseState: !If [IsProd, ENABLED, DISABLED]",
            "KnowledgeBaseState: !If [IsProd, ENABLED, ENABLED]",
        ),
        (
            "GuardrailIdentifier: !GetAtt [SupportGuardrail, GuardrailId]",
            "GuardrailIdentifier: !GetAtt [OtherGuardrail, GuardrailId]",
        ),
        (
            "Description: Refund, shipping and warranty policies\n          KnowledgeBaseState: !If",
            "Description: Refunds and shipping\n          KnowledgeBaseState: !If",
        ),
    ];
    let mut edited = text.clone();
    for (from, to) in edits {
        assert!(edited.contains(from), "{from}");
        edited = edited.replacen(from, to, 1);
    }
    env.write_agent("support", &edited);
    let paths: Vec<Value> = diff_changes(&env, agent)
        .iter()
        .map(|c| c["path"].clone())
        .collect();
    assert_eq!(
        paths,
        [
            json!("AgentName.Fn::Sub"),
            json!("FoundationModel.Ref"),
            json!("KnowledgeBases[PolicyKnowledgeBaseId].Description"),
            json!("KnowledgeBases[PolicyKnowledgeBaseId].KnowledgeBaseState.Fn::If[2]"),
            json!("GuardrailConfiguration.GuardrailIdentifier.Fn::GetAtt[0]"),
        ]
    );
    env.run(&["publish", "-m", "edits"]).success();
    env.run(&["revert", agent, "v2"])
        .success()
        .stderr_lacks("written afresh")
        .stderr_lacks("written whole");
    assert_eq!(file_of(&env, "support.yaml"), text);
    env.run(&["publish", "-m", "back"]).success();

    // The knowledge bases, identified by the `!Ref` of their id: a swap is one change, and
    // its revert keeps the short forms.
    let docs = "        - KnowledgeBaseId: !Ref ProductDocsKnowledgeBaseId\n          Description: Product manuals and care guides\n          KnowledgeBaseState: ENABLED\n";
    let policy = "        - KnowledgeBaseId: !Ref PolicyKnowledgeBaseId\n          Description: Refund, shipping and warranty policies\n          KnowledgeBaseState: !If [IsProd, ENABLED, DISABLED]\n";
    let swapped = text.replacen(&format!("{docs}{policy}"), &format!("{policy}{docs}"), 1);
    assert_ne!(swapped, text);
    env.write_agent("support", &swapped);
    let changes = diff_changes(&env, agent);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["path"], "KnowledgeBases");
    assert_eq!(
        changes[0]["new"],
        json!(["PolicyKnowledgeBaseId", "ProductDocsKnowledgeBaseId"])
    );
    env.run(&["publish", "-m", "swap"]).success();
    env.run(&["revert", agent, "v4"])
        .success()
        .stderr_lacks("written afresh");
    let now = file_of(&env, "support.yaml");
    assert!(!now.contains("Fn::"), "{now}");
    assert!(!now.contains("Ref:"), "{now}");
    assert!(
        now.contains("- KnowledgeBaseId: !Ref ProductDocsKnowledgeBaseId\n"),
        "{now}"
    );
    assert!(now.contains("KnowledgeBaseState: !If"), "{now}");
    env.run(&["diff", agent, "--from", "v3", "--exit-code"])
        .success();
}

/// Issue 15: the first publish of a template sets each agent's `KnowledgeBases` whole, and its
/// items are identified by `KnowledgeBaseId: !Ref X` (`KnowledgeBases[X]`): `log --touching`
/// and `blame` of a field inside one find that publish, through the shape it recorded.
fn a_field_of_a_knowledge_base_identified_by_its_ref_is_touched_by_the_publish_that_set_the_list(
    env: TestEnv,
) {
    let text = fixture("bedrock_cfn/support_agents_kb_guardrail.yaml");
    env.write_agent("support", &text);
    env.run(&["publish", "-m", "as written"]).success();
    let policy =
        "Description: Refund, shipping and warranty policies\n          KnowledgeBaseState: !If";
    assert!(text.contains(policy));
    env.write_agent(
        "support",
        &text.replacen(
            policy,
            "Description: Refunds and shipping\n          KnowledgeBaseState: !If",
            1,
        ),
    );
    env.run(&["publish", "-m", "policy text"]).success();

    let touching = |agent: &str, path: &str| env.log_versions(&[agent, "--touching", path]);
    let support = "support.SupportAgent";
    let docs = "KnowledgeBases[ProductDocsKnowledgeBaseId]";
    let policies = "KnowledgeBases[PolicyKnowledgeBaseId]";
    assert_eq!(touching(support, &format!("{docs}.Description")), [1]);
    assert_eq!(
        touching(support, &format!("{docs}.KnowledgeBaseState")),
        [1]
    );
    assert_eq!(touching(support, docs), [1]);
    assert_eq!(
        touching(support, &format!("{policies}.Description")),
        [2, 1]
    );
    assert_eq!(touching(support, policies), [2, 1]);
    // Inside the tag mapping itself, and under an argument of another function.
    assert_eq!(
        touching(support, &format!("{policies}.KnowledgeBaseId.Ref")),
        [1]
    );
    assert_eq!(
        touching(support, &format!("{policies}.KnowledgeBaseState.Fn::If[2]")),
        [1]
    );
    assert_eq!(
        touching("support.RefundsAgent", &format!("{policies}.Description")),
        [1]
    );
    // What no publish held stays untouched.
    assert_eq!(
        touching(support, &format!("{docs}.Missing")),
        Vec::<u64>::new()
    );
    assert_eq!(
        touching(support, "KnowledgeBases[NoSuchKnowledgeBaseId].Description"),
        Vec::<u64>::new()
    );
    assert_eq!(
        touching("support.RefundsAgent", &format!("{docs}.Description")),
        Vec::<u64>::new()
    );

    let blamed: Vec<(String, u64)> = env
        .blamed(&[support])
        .into_iter()
        .filter(|(path, _)| path.starts_with("KnowledgeBases"))
        .collect();
    for (field, version) in [
        (docs.to_owned(), 1),
        (format!("{docs}.Description"), 1),
        (policies.to_owned(), 2),
        (format!("{policies}.Description"), 2),
        (format!("{policies}.KnowledgeBaseState.Fn::If"), 1),
    ] {
        assert!(
            blamed.contains(&(field.clone(), version)),
            "{field}: {blamed:?}"
        );
    }
    env.run(&["verify"]).success();
}

/// One agent of each format through the whole workflow (issue 15: every command on every
/// format): (file in agents/, its text, the agent, an edit, the change's path and section).
struct Case {
    file: &'static str,
    text: String,
    agent: &'static str,
    edit: TextEdit,
    path: &'static str,
    section: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            file: "bot.yaml",
            text: "# The bot.\nname: bot\nmodel:\n  provider: openai\n  name: gpt-4o  # pinned\ninstructions: |\n  Help.\ntools:\n  - name: search  # the web\n    description: 'Search'\n".into(),
            agent: "bot",
            edit: ("description: 'Search'", "description: 'Search the web'"),
            path: "tools[search].description",
            section: "tools",
        },
        Case {
            file: "notion_mcp_root_agent.yaml",
            text: fixture("adk/notion_mcp_root_agent.yaml"),
            agent: "notion_mcp_root_agent",
            edit: ("model: gemini-2.5-flash", "model: gemini-2.5-pro"),
            path: "model",
            section: "settings",
        },
        Case {
            file: "maf_persistent_agent.yaml",
            text: fixture("semantic_kernel/maf_persistent_agent.yaml"),
            agent: "maf_persistent_agent",
            edit: ("temperature: 0.9", "temperature: 0.5"),
            path: "model.options.temperature",
            section: "settings",
        },
        Case {
            file: "content_crew_agents.yaml",
            text: fixture("crewai/content_crew_agents.yaml"),
            agent: "content_crew_agents.writer",
            // (A folded block written back is wrapped at the width of the block it replaces:
            // this edit keeps the widest line.)
            edit: (
                "    based on the provided outline",
                "    based on the outline",
            ),
            path: "goal",
            section: "instructions",
        },
        Case {
            file: "custom_tools_v2.prompty",
            text: fixture("prompty/custom_tools_v2.prompty"),
            agent: "custom_tools_v2",
            edit: (
                "endpoint: https://custom.example.com",
                "endpoint: https://tools.example.com",
            ),
            path: "tools[my_custom_tool].connection.endpoint",
            section: "tools",
        },
        Case {
            file: "getting_started_promptfooconfig.yaml",
            text: fixture("promptfoo/getting_started_promptfooconfig.yaml"),
            agent: "getting_started_promptfooconfig",
            edit: (
                "value: 'Bonjour le monde'",
                "value: 'Bonjour tout le monde'",
            ),
            path: "tests[0].assert[0].value",
            section: "guardrails",
        },
        Case {
            file: "memgpt_custom.yaml",
            text: fixture("letta/memgpt_custom.yaml"),
            agent: "memgpt_custom",
            edit: (
                "core_memory_type: \"custom\"",
                "core_memory_type: \"default\"",
            ),
            path: "core_memory_type",
            section: "settings",
        },
        Case {
            file: "startup_advisor_agents.yaml",
            text: fixture("bedrock_cfn/startup_advisor_agents.yaml"),
            agent: "startup_advisor_agents.ContentWriter",
            edit: (
                "Description: Content Writer for creating compelling content",
                "Description: Content Writer for compelling content",
            ),
            path: "Description",
            section: "settings",
        },
    ]
}

/// An exported file read back the way its framework's file is read: the agent `key` of a
/// CrewAI file or template, the front matter of a `.prompty` file, or the whole file.
fn read_back(bytes: &[u8], key: &str, front_matter: bool) -> (Value, String) {
    use agentctl::agent::{self, format};
    let (config, read_as) = if front_matter {
        agent::parse_part(bytes, &format::Part::front_matter("x.prompty")).unwrap()
    } else {
        let file = agent::parse_file(bytes).unwrap();
        match format::parts(&file) {
            Some(parts) => {
                let part = parts
                    .iter()
                    .find(|p| p.key == key)
                    .expect("the agent's part");
                agent::parse_part(bytes, part).unwrap()
            }
            None => agent::parse_as(bytes, None).unwrap(),
        }
    };
    (Value::Object(config), read_as.name.to_owned())
}

fn every_command_works_on_every_format(env: TestEnv) {
    let cases = cases();
    for case in &cases {
        write_file(&env, case.file, &case.text);
    }
    // The other fixtures not read elsewhere validate and publish as written too.
    for (file, path) in [
        ("memgpt_docs.yaml", "letta/memgpt_docs.yaml"),
        (
            "cost_explorer.yaml",
            "bedrock_cfn/cost_explorer_agent_template.yaml",
        ),
        ("urgent.yaml", "crewai/urgent_crew_agents.yaml"),
    ] {
        write_file(&env, file, &fixture(path));
    }
    let run = env.run(&["validate", "--json"]);
    run.success();
    let formats: Vec<(String, String)> = run.json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["agent"].as_str().unwrap().into(),
                a["format"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (agent, format) in [
        ("bot", "native"),
        ("notion_mcp_root_agent", "adk"),
        ("maf_persistent_agent", "semantic_kernel"),
        ("content_crew_agents.writer", "crewai"),
        ("content_crew_agents.planner", "crewai"),
        ("custom_tools_v2", "prompty"),
        ("getting_started_promptfooconfig", "promptfoo"),
        ("memgpt_custom", "letta"),
        ("memgpt_docs", "letta"),
        ("startup_advisor_agents.ContentWriter", "bedrock_cfn"),
        ("startup_advisor_agents.StartupAdvisor", "bedrock_cfn"),
        ("cost_explorer.BillingAgent", "bedrock_cfn"),
        ("urgent.urgent_handler", "crewai"),
    ] {
        assert!(
            formats.contains(&(agent.into(), format.into())),
            "{agent} ({format}) not in {formats:?}"
        );
    }
    assert_eq!(formats.len(), 18, "{formats:?}");
    let run = env.run(&["status", "--json"]);
    for agent in run.json()["agents"].as_array().unwrap() {
        assert_eq!(agent["state"], "new", "{agent}");
    }
    env.run(&["publish", "-m", "as written"]).success();

    for case in &cases {
        let Case {
            file,
            text,
            agent,
            edit: (from, to),
            path,
            section,
        } = case;
        let agent = *agent;
        let at = format!("{agent} ({file})");
        assert!(text.contains(from), "{at}: no {from}");
        let edited = text.replacen(from, to, 1);
        write_file(&env, file, &edited);
        env.run(&["status"]).success().stdout_has(agent);
        // diff, every view: JSON, side by side, stacked, markdown.
        let changes = diff_changes(&env, agent);
        assert_eq!(changes.len(), 1, "{at}: {changes:#?}");
        assert_eq!(
            (changes[0]["path"].as_str(), changes[0]["section"].as_str()),
            (Some(*path), Some(*section)),
            "{at}"
        );
        let side = env.run(&["diff", agent]);
        side.success().stdout_has(" │ ");
        let last = path.rsplit(['.', ']']).find(|s| !s.is_empty()).unwrap();
        side.stdout_has(last);
        env.run(&["diff", agent, "--unified"])
            .success()
            .stdout_has("Staging:");
        env.run(&["diff", agent, "--format", "markdown"])
            .success()
            .stdout_has(&format!("`{path}`"));
        // Only this agent of its file changed.
        let run = env.run(&["status", "--json"]);
        let modified: Vec<Value> = run.json()["agents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["state"] == "modified")
            .map(|a| a["agent"].clone())
            .collect();
        assert_eq!(modified, [json!(agent)], "{at}");
        publish(&env, agent, &format!("edit {agent}"));

        // History: log, log --touching, blame, show.
        env.run(&["log", agent])
            .success()
            .stdout_has(&format!("edit {agent}"));
        env.run(&["log", agent, "--touching", path])
            .success()
            .stdout_has(&format!("edit {agent}"));
        let blamed = env.blamed(&[agent]);
        // The field, or the plain list holding it (blame's leaves: promptfoo's `tests`).
        let holds = |field: &str| {
            *path == field
                || path.starts_with(&format!("{field}."))
                || path.starts_with(&format!("{field}["))
        };
        assert!(
            blamed.iter().any(|(field, v)| holds(field) && *v == 2),
            "{at}: {blamed:?}"
        );
        assert!(blamed.iter().any(|(_, v)| *v == 1), "{at}: {blamed:?}");
        env.run(&["blame", agent]).success().stdout_has("v2");
        env.run(&["show", agent, "v2"])
            .success()
            .stdout_has(&format!("edit {agent}"))
            .stdout_has(last);

        // revert-preview writes nothing; revert takes the edit out, every other byte kept.
        let run = env.run(&["revert-preview", agent, "v2"]);
        run.success().stdout_has(last);
        assert_eq!(file_of(&env, file), edited, "{at}");
        env.run(&["revert", agent, "v2"])
            .success()
            .stderr_lacks("written afresh")
            .stderr_lacks("written whole");
        assert_eq!(file_of(&env, file), *text, "{at}");
        // undo puts the edit back; restore sets it to v1 again, keeping the file's bytes.
        env.run(&["undo", agent]).success();
        assert_eq!(file_of(&env, file), edited, "{at}");
        env.run(&["restore", agent, "v1"])
            .success()
            .stderr_lacks("written afresh")
            .stderr_lacks("written whole");
        assert_eq!(file_of(&env, file), *text, "{at}");
        env.run(&["undo", agent]).success();
        assert_eq!(file_of(&env, file), edited, "{at}");

        // export: the framework's own file, read back as the same agent in the same format.
        let run = env.run(&["export", agent]);
        run.success();
        let key = agent.rsplit('.').next().unwrap();
        let (config, read_as) = read_back(run.stdout.as_bytes(), key, file.ends_with(".prompty"));
        let shown = env.run(&["show", agent, "--config", "--json"]);
        assert_eq!(config, shown.json()["config"], "{at}");
        let format = &formats.iter().find(|(a, _)| a == agent).unwrap().1;
        assert_eq!(&read_as, format, "{at}");
    }
}

/// Issue 15: on deep nesting (a Bedrock function's parameters, five levels down) the
/// side-by-side view, the stacked view, `show`, `blame` and the markdown view keep every path
/// whole at a narrow COLUMNS: wrapped before a segment (`.Parameters`, `[set_value_for_key]`),
/// never cut, so two siblings stay distinguishable.
fn deep_paths_wrap_at_their_segments_in_every_view_at_narrow_widths(env: TestEnv) {
    let text = fixture("bedrock_cfn/startup_advisor_agents.yaml");
    env.write_agent("advisor", &text);
    env.run(&["publish", "-m", "as written"]).success();
    let agent = "advisor.StartupAdvisor";
    // Two siblings: the descriptions of the `key` and `value` parameters of one function.
    let key = "                    Description: \"The name of the key to store the value under\"";
    let value = "                    Description: \"The value to store for that key name\"";
    assert!(text.contains(key) && text.contains(value));
    let edited = text
        .replacen(key, &key.replace("under", "under, once"), 1)
        .replacen(value, &value.replace("name", "name, once"), 1);
    env.write_agent("advisor", &edited);
    let prefix =
        "ActionGroups[WorkingMemoryTools].FunctionSchema.Functions[set_value_for_key].Parameters";
    let paths: Vec<Value> = diff_changes(&env, agent)
        .iter()
        .map(|c| c["path"].clone())
        .collect();
    assert_eq!(
        paths,
        [
            json!(format!("{prefix}.key.Description")),
            json!(format!("{prefix}.value.Description")),
        ]
    );
    env.run(&["publish", "-m", "once"]).success();
    let at = |columns: &str, args: &[&str]| {
        let run = env.run_with(env.command().env("COLUMNS", columns).args(args));
        run.success();
        run
    };
    // A path's lines, joined again: every path is there, whole, and the lines fit.
    let paths_in = |out: &str, columns: usize| -> String {
        for line in out.lines() {
            assert!(
                line.chars().count() <= columns,
                "{line:?} is wider than {columns}:\n{out}"
            );
        }
        assert!(!out.contains('…'), "cut:\n{out}");
        out.lines()
            .map(|l| l.trim_start().trim_start_matches(['~', '↪']).trim())
            .collect::<Vec<_>>()
            .join("")
    };
    for (columns, args) in [
        ("80", &["diff", agent, "--from", "v1", "--to", "v2"][..]),
        ("50", &["diff", agent, "--from", "v1", "--to", "v2"]),
        ("50", &["show", agent, "v2"]),
        ("80", &["revert-preview", agent, "v2"]),
    ] {
        let run = at(columns, args);
        let out = &run.stdout;
        let joined = paths_in(out, columns.parse().unwrap());
        for sibling in ["key", "value"] {
            let whole = format!("{prefix}.{sibling}.Description");
            assert!(
                joined.contains(&whole),
                "{args:?} at {columns}: no {whole}:\n{out}"
            );
        }
        // Wrapped before segments: each continuation line of a path (under the change's
        // mark, `↪`) starts a segment, so no name is cut in two.
        let continued: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("    ↪ "))
            .collect();
        assert!(
            !continued.is_empty(),
            "{args:?} at {columns}: not wrapped:\n{out}"
        );
        for line in continued {
            assert!(
                line.starts_with(['.', '[']),
                "{args:?} at {columns}: {line:?} does not start a segment:\n{out}"
            );
        }
    }
    // blame: the path column wraps at segments, each sibling's last segments on a line.
    let run = at("72", &["blame", agent]);
    let out = &run.stdout;
    for line in out.lines() {
        assert!(line.chars().count() <= 72, "{line:?}:\n{out}");
    }
    assert!(!out.contains('…'), "{out}");
    for sibling in [".Parameters.key", ".Parameters.value"] {
        assert!(out.contains(sibling), "{sibling}:\n{out}");
    }
    // markdown: a table cell holds the whole path (the reader's browser wraps it).
    let run = at(
        "40",
        &[
            "diff", agent, "--from", "v1", "--to", "v2", "--format", "markdown",
        ],
    );
    for sibling in ["key", "value"] {
        run.stdout_has(&format!("| `{prefix}.{sibling}.Description` |"));
    }
}

/// `agentctl.yaml` giving a file a single-agent format makes it one agent, named after the
/// file, even when its keys read as CrewAI's several; a glob for another file changes nothing.
#[test]
fn agentctl_yaml_can_make_a_file_of_several_agents_one_agent() {
    let env = TestEnv::new();
    env.write_agent("crew", &fixture("crewai/research_crew_agents.yaml"));
    let ids = |env: &TestEnv| -> Vec<Value> {
        let run = env.run(&["status", "--json"]);
        run.success();
        run.json()["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["agent"].clone())
            .collect()
    };
    assert_eq!(ids(&env), ["crew.reporting_analyst", "crew.researcher"]);
    let overrides = env.root.join("agentctl.yaml");
    std::fs::write(&overrides, "format:\n  \"other.yaml\": native\n").unwrap();
    assert_eq!(ids(&env), ["crew.reporting_analyst", "crew.researcher"]);
    std::fs::write(&overrides, "format:\n  \"crew.yaml\": promptfoo\n").unwrap();
    assert_eq!(ids(&env), ["crew"]);
    env.run(&["validate", "crew"]).success();
    // Its former parts are no agents now.
    env.run(&["validate", "crew.researcher"])
        .code(2)
        .stderr_has("no staging file for agent `crew.researcher`");
}

/// A revert that conflicts inside a list identified by agentctl.yaml's `identity:` says why by
/// the real reason: the field changed in staging only (not "deleted", not a later publish).
#[test]
fn a_revert_conflict_in_an_identity_list_names_the_real_reason() {
    let env = TestEnv::new();
    std::fs::write(
        env.root.join("agentctl.yaml"),
        "identity:\n  skills: skill_id\n",
    )
    .unwrap();
    let agent = |level: u32, temperature: f64| {
        format!(
            "name: bot\nmodel:\n  temperature: {temperature}\nskills:\n  - skill_id: a\n    level: {level}\n  - skill_id: b\n    level: 1\n"
        )
    };
    env.write_agent("bot", &agent(1, 0.1));
    env.run(&["publish", "-m", "v1"]).success();
    env.write_agent("bot", &agent(2, 0.1));
    env.run(&["publish", "-m", "v2"]).success();
    env.write_agent("bot", &agent(2, 0.2));
    env.run(&["publish", "-m", "v3"]).success();
    // Staging alone changes the level v2 set.
    env.write_agent("bot", &agent(5, 0.2));
    env.run(&["revert", "bot", "v2"])
        .code(1)
        .stderr_has("1 field changed again since v2")
        .stderr_has("they changed in staging only");
}
