//! `diff`: changes field by field (JSON and text), `--stat`, `--exit-code`, references, errors,
//! several agents and secrets.

use serde_json::{Value, json};

use crate::common::{Run, TestEnv, agent_yaml, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only:
// `a_store_path_that_does_not_exist_is_read_as_empty_and_not_created` is about a missing
// `--store` file.
on_both_stores!(
    new_agent_diffs_every_top_level_field_as_added,
    edit_gives_exactly_the_expected_changes,
    sections_come_in_spec_order_whatever_the_file_order,
    inserting_a_tool_at_the_top_is_one_change,
    reordering_tools_is_one_change_on_the_list,
    text_view_groups_by_section_and_shows_both_values,
    stat_counts_per_section_and_paths_without_values,
    exit_code_option,
    from_and_to_references,
    format_json_is_the_same_as_json,
    unknown_agent_is_an_error,
    unknown_version_says_which_publishes_exist,
    unknown_hex_prefix_says_which_publishes_exist,
    malformed_reference_says_which_publishes_exist,
    invalid_staging_shows_the_located_error_and_no_diff,
    several_agents,
    secrets_are_masked_in_the_text_view_only,
    changed_secrets_and_secret_like_key_names_are_masked,
    without_names_agents_lacking_the_ref_are_skipped,
    without_names_a_ref_no_agent_has_is_an_error,
    control_characters_never_reach_the_terminal,
    unified_shows_the_old_value_above_the_new_one,
    colour_follows_the_flag_then_the_environment,
    a_deleted_staging_file_is_a_difference,
    a_huge_columns_value_is_capped,
    a_changed_multi_line_secret_is_shown_masked
);

/// The sections of SPEC section 3, in their order.
const SECTIONS: [&str; 5] = [
    "settings",
    "instructions",
    "knowledge_sources",
    "tools",
    "guardrails",
];

fn section_rank(section: &Value) -> usize {
    SECTIONS
        .iter()
        .position(|s| section == s)
        .unwrap_or_else(|| panic!("unknown section {section}"))
}

/// `diff ARGS --json`, exit 0, and the one agent's entry.
#[track_caller]
fn diff_json(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["diff"];
    all.extend(args);
    all.push("--json");
    let run = env.run(&all);
    run.success();
    let doc = run.json();
    let agents = doc["agents"].as_array().expect("agents list");
    assert_eq!(agents.len(), 1, "expected one agent:\n{}", run.show());
    agents[0].clone()
}

/// The changes of a diff entry, after checking sections come in SPEC order; then sorted by
/// (section, path) so that the order inside a section does not matter.
#[track_caller]
fn sorted_changes(entry: &Value) -> Vec<Value> {
    let changes = entry["changes"].as_array().expect("changes list").clone();
    let ranks: Vec<usize> = changes
        .iter()
        .map(|c| section_rank(&c["section"]))
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "sections not in SPEC order: {entry:#}"
    );
    let mut changes = changes;
    changes.sort_by_key(|c| (section_rank(&c["section"]), c["path"].to_string()));
    changes
}

fn change(section: &str, path: &str, kind: &str, old: Value, new: Value) -> Value {
    json!({"section": section, "path": path, "kind": kind, "old": old, "new": new})
}

/// Publish one agent and return its `change_track_id`.
#[track_caller]
fn publish(env: &TestEnv, agent: &str) -> String {
    let doc = env.publish_json(&[agent]);
    assert_eq!(doc["results"][0]["agent"], agent, "{doc:#}");
    doc["results"][0]["change_track_id"]
        .as_str()
        .unwrap()
        .to_string()
}

const LOOKUP_INVOICE: &str = "  - name: lookup_invoice
    description: Find an invoice
    parameters:
      type: object
      properties:
        id: {type: string}
";
const WEB_SEARCH: &str = "  - name: web_search
    description: Search the web
";
const NEW_TOOL: &str = "  - name: new_tool
    description: Brand new
";

/// `agent_yaml("Support", 0.2)` after: temperature 0.7, one instructions line edited, a tool
/// added, a tool removed, a nested field of another tool changed.
fn edited_yaml() -> String {
    let base = agent_yaml("Support", 0.7);
    assert!(base.contains(LOOKUP_INVOICE) && base.contains(WEB_SEARCH));
    base.replace("  Be brief.\n", "  Be very brief.\n")
        .replace("id: {type: string}", "id: {type: integer}")
        .replace(WEB_SEARCH, NEW_TOOL)
}

/// A workspace with agent `a` published from `agent_yaml("Support", 0.2)`, then edited.
fn published_then_edited(env: TestEnv) -> TestEnv {
    env.write_agent("a", &agent_yaml("Support", 0.2));
    publish(&env, "a");
    env.write_agent("a", &edited_yaml());
    env
}

#[track_caller]
fn assert_no_ansi(run: &Run) {
    assert!(
        !run.stdout.contains("\x1b[") && !run.stderr.contains("\x1b["),
        "colour codes in piped output:\n{}",
        run.show()
    );
}

// ---------------------------------------------------------------------------------------------
// JSON

fn new_agent_diffs_every_top_level_field_as_added(env: TestEnv) {
    env.write_agent("a", &agent_yaml("Support", 0.2));
    let entry = diff_json(&env, &["a"]);
    assert_eq!(entry["agent"], "a");
    assert_eq!(entry["from"], json!({"ref": "production"}), "{entry:#}");
    assert_eq!(entry["to"], json!({"ref": "staging"}), "{entry:#}");
    assert_eq!(entry["has_changes"], true);

    let expected = vec![
        change(
            "settings",
            "description",
            "added",
            Value::Null,
            json!("Helps with tests"),
        ),
        change(
            "settings",
            "model",
            "added",
            Value::Null,
            json!({"provider": "openai", "name": "gpt-4.1", "temperature": 0.2}),
        ),
        change("settings", "name", "added", Value::Null, json!("Support")),
        change(
            "instructions",
            "instructions",
            "added",
            Value::Null,
            json!("You are a helpful agent.\nBe brief.\n"),
        ),
        change(
            "tools",
            "tools",
            "added",
            Value::Null,
            json!([
                {"name": "lookup_invoice", "description": "Find an invoice",
                 "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}},
                {"name": "web_search", "description": "Search the web"},
            ]),
        ),
        change(
            "guardrails",
            "guardrails",
            "added",
            Value::Null,
            json!([{"name": "pii", "action": "redact"}]),
        ),
    ];
    assert_eq!(sorted_changes(&entry), expected, "{entry:#}");

    // Without naming it, too: a new agent differs.
    let run = env.run(&["diff", "--json"]);
    run.success();
    assert_eq!(run.json()["agents"][0]["agent"], "a");
}

fn edit_gives_exactly_the_expected_changes(env: TestEnv) {
    let env = published_then_edited(env);
    let entry = diff_json(&env, &["a"]);
    assert_eq!(entry["has_changes"], true);
    assert_eq!(entry["from"]["ref"], "production");
    assert_eq!(entry["from"]["version"], 1);
    assert_eq!(entry["to"], json!({"ref": "staging"}));

    let expected = vec![
        change(
            "settings",
            "model.temperature",
            "changed",
            json!(0.2),
            json!(0.7),
        ),
        change(
            "instructions",
            "instructions",
            "changed",
            json!("You are a helpful agent.\nBe brief.\n"),
            json!("You are a helpful agent.\nBe very brief.\n"),
        ),
        change(
            "tools",
            "tools[lookup_invoice].parameters.properties.id.type",
            "changed",
            json!("string"),
            json!("integer"),
        ),
        change(
            "tools",
            "tools[new_tool]",
            "added",
            Value::Null,
            json!({"name": "new_tool", "description": "Brand new"}),
        ),
        change(
            "tools",
            "tools[web_search]",
            "removed",
            json!({"name": "web_search", "description": "Search the web"}),
            Value::Null,
        ),
    ];
    assert_eq!(sorted_changes(&entry), expected, "{entry:#}");
}

fn sections_come_in_spec_order_whatever_the_file_order(env: TestEnv) {
    let before = "guardrails:\n  - {name: pii, action: redact}\n\
                  tools:\n  - {name: t, description: old}\n\
                  knowledge_sources:\n  - {name: kb, url: 'https://a'}\n\
                  instructions: |\n  Old.\n\
                  name: A\n";
    env.write_agent("a", before);
    publish(&env, "a");
    let after = "guardrails:\n  - {name: pii, action: block}\n\
                 tools:\n  - {name: t, description: new}\n\
                 knowledge_sources:\n  - {name: kb, url: 'https://b'}\n\
                 instructions: |\n  New.\n\
                 name: B\n";
    env.write_agent("a", after);

    let entry = diff_json(&env, &["a"]);
    let got: Vec<(String, String)> = entry["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["section"].as_str().unwrap().to_string(),
                c["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("settings", "name"),
        ("instructions", "instructions"),
        ("knowledge_sources", "knowledge_sources[kb].url"),
        ("tools", "tools[t].description"),
        ("guardrails", "guardrails[pii].action"),
    ]
    .iter()
    .map(|(s, p)| (s.to_string(), p.to_string()))
    .collect();
    assert_eq!(got, expected, "{entry:#}");

    // The text view uses the same order and the section titles.
    let run = env.run(&["diff", "a"]);
    run.success();
    let titles = [
        "Agent settings",
        "Instructions",
        "Knowledge sources",
        "Tools",
        "Guardrails",
    ];
    let positions: Vec<usize> = titles
        .iter()
        .map(|t| {
            run.stdout
                .find(t)
                .unwrap_or_else(|| panic!("no {t:?}:\n{}", run.show()))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "sections out of order:\n{}",
        run.show()
    );
}

fn inserting_a_tool_at_the_top_is_one_change(env: TestEnv) {
    let base = agent_yaml("Support", 0.2);
    env.write_agent("a", &base);
    publish(&env, "a");
    env.write_agent(
        "a",
        &base.replace(
            "tools:\n",
            "tools:\n  - name: first\n    description: Now on top\n",
        ),
    );

    let entry = diff_json(&env, &["a"]);
    assert_eq!(
        entry["changes"],
        json!([change(
            "tools",
            "tools[first]",
            "added",
            Value::Null,
            json!({"name": "first", "description": "Now on top"}),
        )]),
        "{entry:#}"
    );
}

fn reordering_tools_is_one_change_on_the_list(env: TestEnv) {
    let base = agent_yaml("Support", 0.2);
    env.write_agent("a", &base);
    publish(&env, "a");
    let swapped = base.replace(
        &format!("{LOOKUP_INVOICE}{WEB_SEARCH}"),
        &format!("{WEB_SEARCH}{LOOKUP_INVOICE}"),
    );
    assert_ne!(swapped, base);
    env.write_agent("a", &swapped);

    let entry = diff_json(&env, &["a"]);
    let changes = entry["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{entry:#}");
    assert_eq!(changes[0]["section"], "tools");
    assert_eq!(changes[0]["path"], "tools");
    assert_eq!(changes[0]["kind"], "changed");
    assert_ne!(changes[0]["old"], changes[0]["new"]);
}

// ---------------------------------------------------------------------------------------------
// Text view

fn text_view_groups_by_section_and_shows_both_values(env: TestEnv) {
    let env = published_then_edited(env);
    let run = env.run(&["diff", "a"]);
    run.success();
    assert_no_ansi(&run);
    run.stdout_has("Agent settings")
        .stdout_has("Instructions")
        .stdout_has("Tools")
        .stdout_has("model.temperature")
        .stdout_has("0.2")
        .stdout_has("0.7")
        .stdout_has("tools[lookup_invoice].parameters.properties.id.type")
        .stdout_has("string")
        .stdout_has("integer")
        .stdout_has("tools[new_tool]")
        .stdout_has("Brand new")
        .stdout_has("tools[web_search]")
        .stdout_has("Search the web");
    // Nothing equal appears, and untouched sections have no title.
    run.stdout_lacks("Guardrails")
        .stdout_lacks("Knowledge sources")
        .stdout_lacks("redact")
        .stdout_lacks("gpt-4.1")
        .stdout_lacks("Helps with tests")
        .stdout_lacks("Find an invoice");

    let at = |needle: &str| run.stdout.find(needle).unwrap();
    assert!(at("Agent settings") < at("Instructions") && at("Instructions") < at("Tools"));
    assert!(at("Agent settings") < at("model.temperature"));
    assert!(at("Tools") < at("tools[new_tool]"));

    // Side by side, the instructions change is a line diff: the old line beside the new one.
    assert!(
        run.stdout.lines().any(|l| {
            let l: Vec<&str> = l.split('│').map(str::trim).collect();
            l == ["- Be brief.", "+ Be very brief."]
        }),
        "no row with the old instructions line beside the new one:\n{}",
        run.show()
    );

    // Stacked, the changed lines are marked and the text is not there twice.
    let run = env.run(&["diff", "a", "--unified"]);
    let lines: Vec<&str> = run.stdout.lines().map(str::trim_start).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with('-') && l.contains("Be brief.")),
        "no `-` line for the old instructions line:\n{}",
        run.show()
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with('+') && l.contains("Be very brief.")),
        "no `+` line for the new instructions line:\n{}",
        run.show()
    );
    assert!(
        run.stdout.matches("You are a helpful agent.").count() <= 1,
        "unchanged instructions line shown twice:\n{}",
        run.show()
    );
    assert!(
        !lines
            .iter()
            .any(|l| (l.starts_with('-') || l.starts_with('+'))
                && l.contains("You are a helpful agent.")),
        "unchanged instructions line marked as changed:\n{}",
        run.show()
    );
}

fn stat_counts_per_section_and_paths_without_values(env: TestEnv) {
    let env = published_then_edited(env);
    let run = env.run(&["diff", "a", "--stat"]);
    run.success();
    assert_no_ansi(&run);
    run.stdout_has("model.temperature")
        .stdout_has("instructions")
        .stdout_has("tools[lookup_invoice].parameters.properties.id.type")
        .stdout_has("tools[new_tool]")
        .stdout_has("tools[web_search]");
    run.stdout_lacks("0.7")
        .stdout_lacks("0.2")
        .stdout_lacks("Be very brief")
        .stdout_lacks("integer")
        .stdout_lacks("Brand new")
        .stdout_lacks("Search the web")
        .stdout_lacks("Guardrails");

    let section_line = |title: &str| {
        run.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(title))
            .unwrap_or_else(|| panic!("no {title:?} line:\n{}", run.show()))
    };
    let tools = section_line("Tools");
    for count in ["1 added", "1 removed", "1 changed"] {
        assert!(tools.contains(count), "Tools line lacks {count:?}: {tools}");
    }
    let settings = section_line("Agent settings");
    assert!(settings.contains("1 changed"), "{settings}");
    assert!(!settings.contains("1 added"), "{settings}");
}

// ---------------------------------------------------------------------------------------------
// Exit codes

fn exit_code_option(env: TestEnv) {
    let env = published_then_edited(env);
    // Differences, but no --exit-code: 0.
    env.run(&["diff"]).success().stdout_has("model.temperature");
    env.run(&["diff", "a", "--json"]).success();
    // --exit-code: 1 with differences, output still printed.
    env.run(&["diff", "--exit-code"])
        .code(1)
        .stdout_has("model.temperature");
    let run = env.run(&["diff", "a", "--exit-code", "--json"]);
    run.code(1);
    assert_eq!(run.json()["agents"][0]["has_changes"], true);
    env.run(&["diff", "--exit-code", "--stat"]).code(1);

    // None: 0.
    publish(&env, "a");
    env.run(&["diff", "--exit-code"]).success();
    let run = env.run(&["diff", "a", "--exit-code", "--json"]);
    run.success();
    assert_eq!(run.json()["agents"][0]["has_changes"], false);
}

// ---------------------------------------------------------------------------------------------
// References

/// v1 at temperature 0.2, v2 at 0.5, staging at 0.9. Returns the two change_track_ids.
fn three_temperatures(env: &TestEnv) -> (String, String) {
    env.write_agent("a", &agent_yaml("Support", 0.2));
    let v1 = publish(env, "a");
    env.write_agent("a", &agent_yaml("Support", 0.5));
    let v2 = publish(env, "a");
    env.write_agent("a", &agent_yaml("Support", 0.9));
    (v1, v2)
}

fn from_and_to_references(env: TestEnv) {
    let (v1, v2) = three_temperatures(&env);
    let temperature = |old: f64, new: f64| {
        json!([change(
            "settings",
            "model.temperature",
            "changed",
            json!(old),
            json!(new)
        )])
    };

    let entry = diff_json(&env, &["a", "--from", "v1", "--to", "v2"]);
    assert_eq!(
        entry["from"],
        json!({"ref": "v1", "version": 1, "change_track_id": v1})
    );
    assert_eq!(
        entry["to"],
        json!({"ref": "v2", "version": 2, "change_track_id": v2})
    );
    assert_eq!(entry["changes"], temperature(0.2, 0.5), "{entry:#}");

    let entry = diff_json(&env, &["a", "--from", "v2", "--to", "staging"]);
    assert_eq!(entry["from"]["version"], 2);
    assert_eq!(entry["to"], json!({"ref": "staging"}));
    assert_eq!(entry["changes"], temperature(0.5, 0.9), "{entry:#}");

    // The default is production (v2) to staging.
    let entry = diff_json(&env, &["a"]);
    assert_eq!(
        entry["from"],
        json!({"ref": "production", "version": 2, "change_track_id": v2})
    );
    assert_eq!(entry["changes"], temperature(0.5, 0.9));

    // A prefix of a change_track_id.
    let prefix = &v1[..6];
    let entry = diff_json(&env, &["a", "--from", prefix]);
    assert_eq!(entry["from"]["version"], 1, "{entry:#}");
    assert_eq!(entry["from"]["change_track_id"], v1.as_str());
    assert_eq!(entry["changes"], temperature(0.2, 0.9), "{entry:#}");

    // Backwards works too.
    let entry = diff_json(&env, &["a", "--from", "v2", "--to", "v1"]);
    assert_eq!(entry["changes"], temperature(0.5, 0.2), "{entry:#}");

    // The text view names both sides.
    env.run(&["diff", "a", "--from", "v1", "--to", "v2"])
        .success()
        .stdout_has("a: v1 (")
        .stdout_has(") → v2 (")
        // A version REF is not said twice, `v1 (v1 …)`.
        .stdout_lacks("(v1 ")
        .stdout_has("0.2")
        .stdout_has("0.5")
        .stdout_lacks("0.9");
}

fn format_json_is_the_same_as_json(env: TestEnv) {
    let env = published_then_edited(env);
    let a = env.run(&["diff", "--json"]);
    a.success();
    let b = env.run(&["diff", "--format", "json"]);
    b.success();
    assert_eq!(a.json(), b.json());
    assert_eq!(a.json()["agents"][0]["agent"], "a");
    let text = env.run(&["diff", "--format", "text"]);
    text.success();
    assert_eq!(text.stdout, env.run(&["diff"]).stdout);
    assert!(serde_json::from_str::<Value>(&text.stdout).is_err());
}

// ---------------------------------------------------------------------------------------------
// Errors

fn unknown_agent_is_an_error(env: TestEnv) {
    env.write_agent("a", &agent_yaml("Support", 0.2));
    let run = env.run(&["diff", "nope"]);
    run.code(2).stderr_has("error:").stderr_has("nope");
    assert_eq!(run.stdout, "");
    let run = env.run(&["diff", "nope", "--json"]);
    run.code(2).stderr_has("nope");
}

fn unknown_version_says_which_publishes_exist(env: TestEnv) {
    three_temperatures(&env);
    for args in [
        &["diff", "a", "--from", "v9"][..],
        &["diff", "a", "--to", "v9"],
        &["diff", "a", "--from", "v9", "--json"],
    ] {
        let run = env.run(args);
        run.code(2)
            .stderr_has("error:")
            .stderr_has("v9")
            .stderr_has("v1")
            // The newest publish is named: the message lists what exists, not just the syntax.
            .stderr_has("v2");
        run.no_output_but_a_json_error(args.contains(&"--json"));
    }
}

fn unknown_hex_prefix_says_which_publishes_exist(env: TestEnv) {
    let (v1, v2) = three_temperatures(&env);
    // Four hex digits that start neither id.
    let prefix = ["abcd", "1234", "ef01"]
        .into_iter()
        .find(|p| !v1.starts_with(p) && !v2.starts_with(p))
        .unwrap();
    let run = env.run(&["diff", "a", "--from", prefix]);
    run.code(2)
        .stderr_has("error:")
        .stderr_has(prefix)
        .stderr_has("v1")
        // The newest publish is named: the message lists what exists, not just the syntax.
        .stderr_has("v2");
    assert_eq!(run.stdout, "");
}

fn malformed_reference_says_which_publishes_exist(env: TestEnv) {
    three_temperatures(&env);
    let run = env.run(&["diff", "a", "--from", "zzzz"]);
    run.code(2)
        .stderr_has("error:")
        .stderr_has("zzzz")
        .stderr_has("v1")
        // The newest publish is named: the message lists what exists, not just the syntax.
        .stderr_has("v2");
    assert_eq!(run.stdout, "");
}

fn invalid_staging_shows_the_located_error_and_no_diff(env: TestEnv) {
    env.write_agent("a", &agent_yaml("Support", 0.2));
    publish(&env, "a");
    env.write_agent("a", "name: Support\nmodel:\n  temperature: .nan\n");

    for args in [&["diff", "a"][..], &["diff"], &["diff", "a", "--json"]] {
        let run = env.run(args);
        run.code(2)
            .stderr_has("error:")
            .stderr_has("--> agents/a.yaml:3:16");
        run.no_output_but_a_json_error(args.contains(&"--json"));
    }
    // Comparing two publishes does not need the staging file.
    env.run(&["diff", "a", "--from", "v1", "--to", "production", "--json"])
        .success();
}

// ---------------------------------------------------------------------------------------------
// Several agents

fn several_agents(env: TestEnv) {
    for agent in ["a", "b", "c"] {
        env.write_agent(agent, &agent_yaml(agent, 0.2));
        publish(&env, agent);
    }
    env.write_agent("a", &agent_yaml("a", 0.3));
    env.write_agent("b", &agent_yaml("b", 0.4));

    // Named: both shown.
    let run = env.run(&["diff", "a", "b"]);
    run.success().stdout_has("0.3").stdout_has("0.4");
    let run = env.run(&["diff", "a", "b", "--json"]);
    run.success();
    let doc = run.json();
    let names: Vec<&str> = doc["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"], "{}", run.show());
    assert_eq!(doc["agents"][1]["changes"][0]["new"], 0.4);

    // Not named: only the agents that differ; clean `c` is absent.
    let run = env.run(&["diff", "--json"]);
    run.success();
    let doc = run.json();
    let names: Vec<&str> = doc["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"], "{}", run.show());
    for agent in doc["agents"].as_array().unwrap() {
        assert_eq!(agent["has_changes"], true, "{agent}");
    }

    // A clean agent named: has_changes false, no changes.
    let entry = diff_json(&env, &["c"]);
    assert_eq!(entry["agent"], "c");
    assert_eq!(entry["has_changes"], false);
    assert_eq!(entry["changes"], json!([]));
    env.run(&["diff", "c", "--exit-code"]).success();

    // Nothing differs at all: an empty list, exit 0.
    publish(&env, "a");
    publish(&env, "b");
    let run = env.run(&["diff", "--json"]);
    run.success();
    assert_eq!(run.json(), json!({"agents": []}), "{}", run.show());
}

// ---------------------------------------------------------------------------------------------
// Secrets

fn secrets_are_masked_in_the_text_view_only(env: TestEnv) {
    let base = agent_yaml("Support", 0.2);
    env.write_agent("a", &base);
    publish(&env, "a");
    env.write_agent(
        "a",
        &base.replace(
            WEB_SEARCH,
            &format!(
                "{WEB_SEARCH}  - name: crm\n    description: The CRM\n    auth: {{api_key: \"sk-123\"}}\n"
            ),
        ),
    );

    let run = env.run(&["diff", "a"]);
    run.success()
        .stdout_has("tools[crm]")
        .stdout_has("api_key")
        .stdout_has("********")
        .stdout_lacks("sk-123");
    env.run(&["diff", "a", "--stat"])
        .success()
        .stdout_lacks("sk-123");

    env.run(&["diff", "a", "--show-secrets"])
        .success()
        .stdout_has("sk-123");

    for args in [
        &["diff", "a", "--json"][..],
        &["diff", "a", "--format", "json"],
    ] {
        let run = env.run(args);
        run.success().stdout_lacks("********");
        assert_eq!(
            run.json()["agents"][0]["changes"][0]["new"]["auth"]["api_key"],
            "sk-123",
            "{}",
            run.show()
        );
    }
}

fn changed_secrets_and_secret_like_key_names_are_masked(env: TestEnv) {
    let tool = |key: &str, token: &str, secret: &str, password: &str, auth: &str| {
        format!(
            "name: S\ntools:\n  - name: crm\n    auth:\n      api_key: {key}\n      X-Auth-Token: {token}\n      \
             client_secret: {secret}\n      Password: {password}\n      authorization: {auth}\n      \
             username: visible-user-1\n"
        )
    };
    env.write_agent(
        "s",
        &tool("key-old", "tok-old", "sec-old", "pw-old", "auth-old"),
    );
    publish(&env, "s");
    env.write_agent(
        "s",
        &tool("key-new", "tok-new", "sec-new", "pw-new", "auth-new"),
    );

    let entry = diff_json(&env, &["s"]);
    let paths: Vec<&str> = entry["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"tools[crm].auth.api_key"), "{entry:#}");
    assert_eq!(paths.len(), 5, "{entry:#}");

    let run = env.run(&["diff", "s"]);
    run.success()
        .stdout_has("tools[crm].auth.api_key")
        .stdout_has("********");
    for word in ["key-", "tok-", "sec-", "pw-", "auth-old", "auth-new"] {
        run.stdout_lacks(word);
    }

    let run = env.run(&["diff", "s", "--show-secrets"]);
    run.success();
    for word in [
        "key-old", "key-new", "tok-new", "sec-new", "pw-new", "auth-new",
    ] {
        run.stdout_has(word);
    }
}

fn without_names_agents_lacking_the_ref_are_skipped(env: TestEnv) {
    env.write_agent("old", &agent_yaml("Old", 0.1));
    env.run(&["publish"]).success();
    env.write_agent("old", &agent_yaml("Old", 0.2));
    env.run(&["publish"]).success();
    env.write_agent("newbie", &agent_yaml("Newbie", 0.1));
    let run = env.run(&["diff", "--from", "v1", "--to", "production", "--json"]);
    // The warning names the REF that is missing, not both.
    run.success()
        .stderr_has("newbie skipped: it has no publish matching v1\n");
    let agents = run.json()["agents"].as_array().unwrap().clone();
    assert_eq!(agents.len(), 1, "{}", run.show());
    assert_eq!(agents[0]["agent"], "old");
    // The same REF on both sides is named once.
    env.run(&["diff", "--from", "v2", "--to", "v2"])
        .success()
        .stderr_has("newbie skipped: it has no publish matching v2\n");
    // A malformed REF is still an error, not "everything skipped".
    env.run(&["diff", "--from", "nonsense"])
        .code(2)
        .stderr_has("not a reference to a publish");
}

// Issue 14, item 2: "skipped" must not turn into "no differences", exit 0.
fn without_names_a_ref_no_agent_has_is_an_error(env: TestEnv) {
    for temperature in [0.1, 0.2, 0.3] {
        env.write_agent("a", &agent_yaml("A", temperature));
        env.run(&["publish"]).success();
    }
    env.run(&["diff", "--from", "v1", "--to", "v9", "--exit-code"])
        .code(2)
        .stderr_has("no agent has a publish matching `v9`")
        .stderr_lacks("No differences");
    let run = env.run(&["diff", "--from", "v9", "--json"]);
    run.code(2).stderr_has("`v9`");
    assert!(!run.stdout.contains("\"agents\""), "{}", run.show());
    // Each REF held by some agent, but never both by one: still nothing was compared.
    env.write_agent("b", &agent_yaml("B", 0.1));
    env.run(&["publish", "b"]).success();
    let id = |agent: &str| {
        env.log_entries(&[agent, "-n", "1"])[0]["change_track_id"]
            .as_str()
            .unwrap()[..12]
            .to_owned()
    };
    let (a3, b1) = (id("a"), id("b"));
    env.run(&["diff", "--from", &a3, "--to", &b1])
        .code(2)
        .stderr_has("no agent has publishes matching both");
    // A REF some agent has still compares those agents.
    env.run(&["diff", "--from", "v1", "--to", "v3", "--exit-code"])
        .code(1)
        .stderr_has("b skipped: it has no publish matching v3");
}

fn control_characters_never_reach_the_terminal(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish"]).success();
    let yaml = agent_yaml("A", 0.1).replace(
        "description: Helps with tests",
        "description: \"\\e]0;pwned\\a\\e[31mred\"",
    );
    env.write_agent("a", &yaml);
    let run = env.run(&["diff", "--color", "always"]);
    run.success().stdout_has("\\u{1b}]0;pwned");
    assert!(!run.stdout.contains("\u{7}"), "{}", run.show());
    assert!(!run.stdout.contains("\u{1b}]0"), "{}", run.show());
}

fn unified_shows_the_old_value_above_the_new_one(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish"]).success();
    env.write_agent("a", &agent_yaml("A", 0.7));
    let run = env.run(&["diff", "--unified"]);
    run.success();
    let old = run.stdout.find("0.1").expect("old value shown");
    let new = run.stdout.find("0.7").expect("new value shown");
    assert!(old < new, "{}", run.show());
}

fn colour_follows_the_flag_then_the_environment(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    let escape = "\u{1b}[";
    // Piped: no colour by default.
    assert!(!env.run(&["diff"]).stdout.contains(escape));
    assert!(
        env.run(&["diff", "--color", "always"])
            .stdout
            .contains(escape)
    );
    let forced = env.run_with(env.command().env("CLICOLOR_FORCE", "1").arg("diff"));
    assert!(forced.stdout.contains(escape), "{}", forced.show());
    let never = env.run_with(
        env.command()
            .env("CLICOLOR_FORCE", "1")
            .args(["diff", "--color", "never"]),
    );
    assert!(!never.stdout.contains(escape), "{}", never.show());
    let no_color = env.run_with(
        env.command()
            .env("NO_COLOR", "1")
            .env("CLICOLOR_FORCE", "1")
            .arg("diff"),
    );
    assert!(!no_color.stdout.contains(escape), "{}", no_color.show());
    // The user config's colour applies when neither flag nor environment says anything.
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(env.config_dir().join("config.yaml"), "color: always\n").unwrap();
    assert!(env.run(&["diff"]).stdout.contains(escape));
    // JSON never carries colour.
    assert!(
        !env.run(&["diff", "--json", "--color", "always"])
            .stdout
            .contains(escape)
    );
}

fn a_deleted_staging_file_is_a_difference(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish"]).success();
    std::fs::remove_file(env.root.join("agents/a.yaml")).unwrap();
    let run = env.run(&["diff", "--exit-code", "--json"]);
    run.code(1).stderr_has("no staging file");
    let changes = run.json()["agents"][0]["changes"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!changes.is_empty(), "{}", run.show());
    assert!(
        changes.iter().all(|c| c["kind"] == "removed"),
        "{}",
        run.show()
    );
    env.run(&["diff", "a"]).success().stdout_has("- name");
}

#[test]
fn a_store_path_that_does_not_exist_is_read_as_empty_and_not_created() {
    let env = TestEnv::new();
    env.write_agent("a", &agent_yaml("A", 0.1));
    let typo = env.tmp.path().join("typo.db");
    let run = env.run(&["--store", typo.to_str().unwrap(), "diff", "--json"]);
    run.success().stderr_has("does not exist yet");
    assert_eq!(run.json()["agents"][0]["from"]["ref"], "production");
    assert!(!typo.exists(), "reading must not create the store");
    env.run(&["--store", typo.to_str().unwrap(), "publish"])
        .success();
    assert!(typo.exists(), "the first publish creates it");
}

/// `COLUMNS` is user input: a huge value is capped, never a gigantic allocation.
fn a_huge_columns_value_is_capped(env: TestEnv) {
    env.write_agent("bot", &agent_yaml("Bot", 0.2));
    env.run(&["publish", "bot"]).success();
    env.write_agent("bot", &agent_yaml("Bot", 0.7));
    for columns in ["99999999999999", "4294967296", "5000000"] {
        let run = env.run_with(env.command().env("COLUMNS", columns).args(["diff", "bot"]));
        run.success();
        let widest = run
            .stdout
            .lines()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        assert!(widest <= 1000, "{columns}: a line of {widest} columns");
    }
}

/// A multi-line secret that changed shows as masked on both sides, not as an empty diff.
fn a_changed_multi_line_secret_is_shown_masked(env: TestEnv) {
    env.write_agent(
        "bot",
        "name: Bot\nauth:\n  client_secret: |\n    line one\n    line two\n",
    );
    env.run(&["publish", "bot"]).success();
    env.write_agent(
        "bot",
        "name: Bot\nauth:\n  client_secret: |\n    line one\n    line 2\n",
    );
    for view in [
        &["diff", "bot"][..],
        &["diff", "bot", "--unified"],
        &["diff", "bot", "--format", "markdown"],
    ] {
        env.run(view)
            .success()
            .stdout_has("auth.client_secret")
            .stdout_has("********")
            .stdout_lacks("line one")
            .stdout_lacks("line 2");
    }
}

/// A multi-line string added where there was none: the hunk header `diff -u` prints,
/// `@@ -0,0 +1,N @@`, never `@@ -1,0`.
#[test]
fn an_added_text_has_the_hunk_header_of_diff_u() {
    let env = TestEnv::new();
    env.write_agent("bot", "name: Bot\n");
    env.run(&["publish", "-m", "one"]).success();
    env.write_agent(
        "bot",
        "name: Bot\ninstructions: |\n  Be brief.\n  Be kind.\n",
    );
    for args in [
        &["diff", "--format", "markdown"][..],
        &["diff", "--unified"][..],
    ] {
        let run = env.run(args);
        run.success()
            .stdout_has("@@ -0,0 +1,2 @@")
            .stdout_lacks("@@ -1,0");
    }
}

/// An added multi-line text: Production has no lines, so no "⋯ line 1" on its side.
#[test]
fn an_added_text_starts_a_line_only_on_the_side_that_has_lines() {
    let env = TestEnv::new();
    env.write_agent("a", "name: A\n");
    env.run(&["publish"]).success();
    env.write_agent("a", "name: A\ninstructions: |\n  one\n  two\n");
    let run = env.run_with(env.command().env("COLUMNS", "100").args(["diff", "a"]));
    run.success().stdout_has("+ one");
    let starts: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains("⋯ line"))
        .collect();
    assert_eq!(starts.len(), 1, "{}", run.show());
    let (production, staging) = starts[0].split_once('│').expect("side by side");
    assert!(production.trim().is_empty(), "{}", run.show());
    assert!(staging.contains("⋯ line 1"), "{}", run.show());
}

/// `--json` and `--format markdown` ask for two outputs: refused (exit 2, the JSON error),
/// never one of them silently.
#[test]
fn json_and_markdown_at_once_are_refused() {
    let env = TestEnv::new();
    env.write_agent("a", "name: A\n");
    env.run(&["publish"]).success();
    for command in [&["diff"][..], &["show", "a", "v1"]] {
        let mut args = command.to_vec();
        args.extend(["--json", "--format", "markdown"]);
        let run = env.run(&args);
        run.code(2).stderr_has("two different outputs");
        assert_eq!(run.json()["error"]["code"], 2, "{}", run.show());
    }
}
