//! `publish`: what it records, the JSON it prints, authors and messages, `--expect`, `--dry-run`,
//! all-or-nothing validation, and a store that is not ours.

use std::path::Path;

use serde_json::Value;

use crate::common::{AUTHOR, Run, TestEnv, agent_yaml, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only: they are about SQLite files
// given with `--store` (not a store, another program's database) or SQLite's write lock shared by
// processes (PostgreSQL's: test_shared_store).
on_both_stores!(
    a_store_from_a_newer_agentctl_is_refused,
    first_publish_of_the_examples_records_version_one_with_full_json,
    first_publish_human_output_names_each_agent_and_version,
    publishing_the_same_staging_twice_records_nothing_the_second_time,
    versions_are_gap_free_and_chained_by_parent,
    message_option_is_recorded,
    generated_messages_summarise_the_sections_touched,
    author_option_beats_the_environment,
    author_environment_variable_beats_the_user_config,
    author_falls_back_to_the_user_config,
    git_commit_is_recorded_in_a_git_workspace,
    git_commit_is_null_outside_git,
    git_commit_is_recorded_when_the_repository_is_above_the_workspace,
    git_commit_is_null_in_a_repository_without_commits,
    dry_run_reports_but_records_nothing,
    expect_matching_production_publishes,
    expect_mismatch_refuses_and_publishes_nothing,
    expect_needs_exactly_one_agent,
    an_invalid_agent_stops_the_whole_publish,
    an_invalid_agent_stops_a_publish_with_existing_history_too,
    publishing_an_unknown_agent_is_an_error,
    publishing_a_malformed_id_is_an_error,
    a_missing_staging_file_is_skipped_unless_named,
    publish_output_is_json_only_on_stdout,
    naming_an_agent_twice_publishes_it_once,
    a_deleted_staging_file_is_named_by_publish,
    empty_message_or_author_is_refused,
    nothing_to_publish_is_said_on_stderr_with_json_too,
    dry_run_does_not_touch_the_store,
    a_multi_line_message_keeps_oneline_to_one_line,
    floats_round_trip_through_the_store_exactly,
    author_falls_back_to_git_user_in_a_git_workspace,
    author_falls_back_to_the_login_name
);

const EXAMPLES: [&str; 3] = ["research-assistant", "sales-qualifier", "support-bot"];

/// Run `publish --json` with extra arguments, expect success, return the JSON.
fn only_result(json: &Value) -> &Value {
    let results = json["results"].as_array().expect("results is an array");
    assert_eq!(results.len(), 1, "one result expected: {json:#}");
    &results[0]
}

fn is_hex64(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

#[track_caller]
fn assert_rfc3339_utc(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    assert!(text.ends_with('Z'), "not UTC (no Z): {text}");
    assert!(text.contains('T'), "not RFC 3339: {text}");
    text.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("not RFC 3339 ({e}): {text}"));
}

/// Run git in the workspace, isolated from the machine's git configuration.
fn git(root: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .current_dir(root)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Make the workspace a git repository with a configured user (and no commit yet).
fn git_init(env: &TestEnv) {
    git(&env.root, &["init", "-q"]);
    git(&env.root, &["config", "user.name", "Git Person"]);
    git(&env.root, &["config", "user.email", "git@example.com"]);
}

/// `publish` with AGENTCTL_AUTHOR removed, returning the recorded author.
fn author_without_env(env: &TestEnv) -> String {
    let run = env.run_with(
        env.command()
            .env_remove("AGENTCTL_AUTHOR")
            .args(["publish", "--json"]),
    );
    run.success();
    only_result(&run.json())["author"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn first_publish_of_the_examples_records_version_one_with_full_json(env: TestEnv) {
    env.copy_examples();
    let json = env.publish_json(&[]);
    assert_eq!(json["has_changes"], true, "{json:#}");
    let results = json["results"].as_array().unwrap();
    let agents: Vec<&str> = results
        .iter()
        .map(|r| r["agent"].as_str().unwrap())
        .collect();
    let mut sorted = agents.clone();
    sorted.sort();
    assert_eq!(sorted, EXAMPLES, "{json:#}");

    for result in results {
        let keys: Vec<&str> = result
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for key in [
            "agent",
            "has_changes",
            "version",
            "change_track_id",
            "author",
            "published_at",
            "message",
            "summary",
        ] {
            assert!(keys.contains(&key), "result lacks {key}: {result:#}");
        }
        assert_eq!(result["has_changes"], true, "{result:#}");
        assert_eq!(result["version"], 1, "{result:#}");
        assert!(is_hex64(&result["change_track_id"]), "{result:#}");
        assert_eq!(result["author"], AUTHOR, "{result:#}");
        assert_rfc3339_utc(&result["published_at"]);
        let agent = result["agent"].as_str().unwrap();
        assert_eq!(result["message"], format!("Create {agent}"), "{result:#}");

        let summary = &result["summary"];
        let paths = summary["paths"].as_array().unwrap();
        assert!(!paths.is_empty(), "{summary:#}");
        assert_eq!(
            summary["added"],
            paths.len(),
            "every field is added: {summary:#}"
        );
        assert_eq!(summary["removed"], 0, "{summary:#}");
        assert_eq!(summary["changed"], 0, "{summary:#}");
        let sections = summary["sections"].as_array().unwrap();
        for section in ["settings", "instructions", "tools"] {
            assert!(sections.contains(&Value::from(section)), "{summary:#}");
        }
    }

    // support-bot: a new agent diffs against nothing, so every top-level field is added.
    let bot = results
        .iter()
        .find(|r| r["agent"] == "support-bot")
        .unwrap();
    let mut paths: Vec<&str> = bot["summary"]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "description",
            "guardrails",
            "instructions",
            "knowledge_sources",
            "model",
            "name",
            "tools"
        ],
        "{bot:#}"
    );

    // The ids are distinct, and log shows the same entries.
    let ids: Vec<&Value> = results.iter().map(|r| &r["change_track_id"]).collect();
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    assert_eq!(env.history_len(None), 3);
    let logged = env.log_entries(&["support-bot"]);
    assert_eq!(logged[0]["change_track_id"], bot["change_track_id"]);
    assert_eq!(logged[0]["published_at"], bot["published_at"]);
}

fn first_publish_human_output_names_each_agent_and_version(env: TestEnv) {
    env.copy_examples();
    let run = env.run(&["publish"]);
    run.success();
    for agent in EXAMPLES {
        assert!(
            run.stderr.contains(&format!("{agent} v1")),
            "stderr lacks {agent} v1:\n{}",
            run.show()
        );
    }
    assert!(
        run.stdout.is_empty(),
        "human messages go to stderr:\n{}",
        run.show()
    );
}

fn publishing_the_same_staging_twice_records_nothing_the_second_time(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    assert_eq!(env.history_len(None), 1);

    env.run(&["publish"])
        .success()
        .stderr_has("Nothing to publish");
    let json = env.publish_json(&[]);
    assert_eq!(json["has_changes"], false, "{json:#}");
    for result in json["results"].as_array().unwrap() {
        assert_eq!(result["has_changes"], false, "{json:#}");
    }

    // Named explicitly: still nothing, still exit 0.
    let run = env.run(&["publish", "a", "--json"]);
    run.success();
    let json = run.json();
    assert_eq!(json["has_changes"], false, "{json:#}");
    assert_eq!(only_result(&json)["has_changes"], false, "{json:#}");
    env.run(&["publish", "a"])
        .success()
        .stderr_has("Nothing to publish");

    // Reformatting and comments are not changes either.
    env.write_agent(
        "a",
        &format!(
            "# another comment\n{}",
            agent_yaml("A", 0.1).replace("0.1", "0.10")
        ),
    );
    let json = env.publish_json(&[]);
    assert_eq!(json["has_changes"], false, "{json:#}");

    assert_eq!(env.history_len(None), 1);
}

fn versions_are_gap_free_and_chained_by_parent(env: TestEnv) {
    let mut ids = Vec::new();
    for (i, temperature) in [0.1, 0.2, 0.3].into_iter().enumerate() {
        env.write_agent("a", &agent_yaml("A", temperature));
        let json = env.publish_json(&["a"]);
        let result = only_result(&json);
        assert_eq!(result["version"], i + 1, "{json:#}");
        ids.push(result["change_track_id"].clone());
    }

    let entries = env.log_entries(&["a"]);
    let versions: Vec<u64> = entries
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [3, 2, 1]);
    // Newest first: entry i's parent is entry i+1's id; v1 has none.
    assert_eq!(entries[0]["change_track_id"], ids[2]);
    assert_eq!(entries[0]["parent"], ids[1]);
    assert_eq!(entries[1]["change_track_id"], ids[1]);
    assert_eq!(entries[1]["parent"], ids[0]);
    assert_eq!(entries[2]["change_track_id"], ids[0]);
    assert_eq!(entries[2]["parent"], Value::Null);

    // Another agent has its own numbering, starting at 1.
    env.write_agent("b", &agent_yaml("B", 0.1));
    let json = env.publish_json(&["b"]);
    assert_eq!(only_result(&json)["version"], 1, "{json:#}");
    assert_eq!(env.log_entries(&["b"])[0]["parent"], Value::Null);
}

fn message_option_is_recorded(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    let json = env.publish_json(&["-m", "Initial import of A"]);
    assert_eq!(only_result(&json)["message"], "Initial import of A");
    env.write_agent("a", &agent_yaml("A", 0.2));
    let json = env.publish_json(&["--message", "Warmer answers"]);
    assert_eq!(only_result(&json)["message"], "Warmer answers");

    let entries = env.log_entries(&["a"]);
    assert_eq!(entries[0]["message"], "Warmer answers");
    assert_eq!(entries[1]["message"], "Initial import of A");
}

fn generated_messages_summarise_the_sections_touched(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    let json = env.publish_json(&[]);
    assert_eq!(only_result(&json)["message"], "Create a");

    // One setting.
    env.write_agent("a", &agent_yaml("A", 0.5));
    let json = env.publish_json(&[]);
    let result = only_result(&json);
    assert_eq!(result["message"], "Update settings", "{json:#}");
    assert_eq!(result["summary"]["changed"], 1, "{json:#}");
    assert_eq!(
        result["summary"]["sections"],
        serde_json::json!(["settings"])
    );
    assert_eq!(
        result["summary"]["paths"],
        serde_json::json!(["model.temperature"])
    );

    // The instructions and two tools.
    let yaml = agent_yaml("A", 0.5)
        .replace("Be brief.", "Be brief and polite.")
        .replace("Find an invoice", "Find an invoice by its id")
        .replace("Search the web", "Search the public web");
    env.write_agent("a", &yaml);
    let json = env.publish_json(&[]);
    let result = only_result(&json);
    assert_eq!(
        result["message"], "Update instructions, tools (2)",
        "{json:#}"
    );
    assert_eq!(result["summary"]["changed"], 3, "{json:#}");
    let sections = result["summary"]["sections"].as_array().unwrap();
    assert!(sections.contains(&Value::from("instructions")), "{json:#}");
    assert!(sections.contains(&Value::from("tools")), "{json:#}");
    assert!(!sections.contains(&Value::from("settings")), "{json:#}");

    let messages: Vec<Value> = env
        .log_entries(&["a"])
        .into_iter()
        .map(|e| e["message"].clone())
        .collect();
    assert_eq!(
        messages,
        [
            "Update instructions, tools (2)",
            "Update settings",
            "Create a"
        ]
    );
}

fn author_option_beats_the_environment(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    let json = env.publish_json(&["--author", "Flag Person <flag@example.com>"]);
    assert_eq!(
        only_result(&json)["author"],
        "Flag Person <flag@example.com>"
    );
    assert_eq!(
        env.log_entries(&["a"])[0]["author"],
        "Flag Person <flag@example.com>"
    );

    // Without the flag, AGENTCTL_AUTHOR (set by the harness).
    env.write_agent("a", &agent_yaml("A", 0.2));
    let json = env.publish_json(&[]);
    assert_eq!(only_result(&json)["author"], AUTHOR);
}

fn author_environment_variable_beats_the_user_config(env: TestEnv) {
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.yaml"),
        "author: Config Person\n",
    )
    .unwrap();
    env.write_agent("a", &agent_yaml("A", 0.1));
    let json = env.publish_json(&[]);
    assert_eq!(only_result(&json)["author"], AUTHOR);
}

fn author_falls_back_to_the_user_config(env: TestEnv) {
    git_init(&env);
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.yaml"),
        "author: Config Person\n",
    )
    .unwrap();
    env.write_agent("a", &agent_yaml("A", 0.1));
    // The user config wins over git's user.
    assert_eq!(author_without_env(&env), "Config Person");
    assert_eq!(env.log_entries(&["a"])[0]["author"], "Config Person");
}

fn author_falls_back_to_git_user_in_a_git_workspace(env: TestEnv) {
    git_init(&env);
    env.write_agent("a", &agent_yaml("A", 0.1));
    assert_eq!(author_without_env(&env), "Git Person <git@example.com>");
}

fn author_falls_back_to_the_login_name(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    assert_eq!(author_without_env(&env), "login-user");
}

fn git_commit_is_recorded_in_a_git_workspace(env: TestEnv) {
    git_init(&env);
    env.write_agent("a", &agent_yaml("A", 0.1));
    git(&env.root, &["add", "agents"]);
    git(&env.root, &["commit", "-q", "-m", "add agent a"]);
    let head = git(&env.root, &["rev-parse", "HEAD"]);
    assert_eq!(head.len(), 40, "{head}");

    env.publish_json(&[]);
    let entry = &env.log_entries(&["a"])[0];
    assert_eq!(entry["git_commit"], head.as_str(), "{entry:#}");
}

fn git_commit_is_null_outside_git(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    let entries = env.log_entries(&["a"]);
    assert_eq!(entries.len(), 1);
    let entry = entries[0].as_object().unwrap();
    assert!(entry.contains_key("git_commit"), "{entry:#?}");
    assert_eq!(entry["git_commit"], Value::Null);
}

fn git_commit_is_recorded_when_the_repository_is_above_the_workspace(env: TestEnv) {
    let repo = env.tmp.path();
    git(repo, &["init", "-q"]);
    git(repo, &["config", "user.name", "Git Person"]);
    git(repo, &["config", "user.email", "git@example.com"]);
    env.write_agent("a", &agent_yaml("A", 0.1));
    git(repo, &["add", "ws/agents"]);
    git(repo, &["commit", "-q", "-m", "add agent a"]);
    let head = git(repo, &["rev-parse", "HEAD"]);

    env.publish_json(&[]);
    assert_eq!(env.log_entries(&["a"])[0]["git_commit"], head.as_str());
}

fn git_commit_is_null_in_a_repository_without_commits(env: TestEnv) {
    git_init(&env);
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    assert_eq!(env.log_entries(&["a"])[0]["git_commit"], Value::Null);
}

fn dry_run_reports_but_records_nothing(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));

    let run = env.run(&["publish", "--dry-run"]);
    run.success().stderr_has("a v1");
    assert_eq!(env.history_len(None), 0);

    let run = env.run(&["publish", "--dry-run", "--json"]);
    run.success();
    let json = run.json();
    assert_eq!(json["has_changes"], true, "{json:#}");
    let result = only_result(&json);
    assert_eq!(result["agent"], "a");
    assert_eq!(result["version"], 1);
    assert_eq!(env.history_len(None), 0);
    env.run(&["status", "--json"]).success();
    let status = env.run(&["status", "--json"]).json();
    assert_eq!(status["agents"][0]["state"], "new", "{status:#}");

    // After a real publish, a dry run of a change still records nothing.
    env.publish_json(&[]);
    env.write_agent("a", &agent_yaml("A", 0.7));
    let json = env.publish_json(&["--dry-run", "a"]);
    assert_eq!(only_result(&json)["version"], 2, "{json:#}");
    assert_eq!(env.history_len(Some("a")), 1);
    // And the real publish afterwards gets that same version.
    let json = env.publish_json(&["a"]);
    assert_eq!(only_result(&json)["version"], 2, "{json:#}");
}

fn expect_matching_production_publishes(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    let v1_id = env.log_entries(&["a"])[0]["change_track_id"]
        .as_str()
        .unwrap()
        .to_owned();

    env.write_agent("a", &agent_yaml("A", 0.2));
    let json = env.publish_json(&["a", "--expect", "v1"]);
    assert_eq!(only_result(&json)["version"], 2, "{json:#}");

    // A change_track_id prefix works too.
    env.write_agent("a", &agent_yaml("A", 0.3));
    let v2_id = env.log_entries(&["a"])[0]["change_track_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(v1_id, v2_id);
    let json = env.publish_json(&["a", "--expect", &v2_id[..8]]);
    assert_eq!(only_result(&json)["version"], 3, "{json:#}");
}

fn expect_mismatch_refuses_and_publishes_nothing(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    env.write_agent("a", &agent_yaml("A", 0.2));
    env.publish_json(&[]);
    env.write_agent("a", &agent_yaml("A", 0.3));
    let before = env.history_len(None);

    env.run(&["publish", "a", "--expect", "v1"])
        .code(2)
        .stderr_has("error: ")
        .stderr_has("v2");
    assert_eq!(env.history_len(None), before);
    let run = env.run(&["publish", "a", "--expect", "v1", "--json"]);
    run.code(2);
    assert!(
        run.stdout.trim().is_empty(),
        "no JSON on error:\n{}",
        run.show()
    );
    assert_eq!(env.history_len(None), before);

    // An agent never published cannot match an expectation.
    env.write_agent("b", &agent_yaml("B", 0.1));
    env.run(&["publish", "b", "--expect", "v1"]).code(2);
    assert_eq!(env.history_len(Some("b")), 0);

    // Staging is still publishable as usual.
    let json = env.publish_json(&["a", "--expect", "v2"]);
    assert_eq!(only_result(&json)["version"], 3, "{json:#}");
}

fn expect_needs_exactly_one_agent(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.write_agent("b", &agent_yaml("B", 0.1));
    env.publish_json(&[]);
    env.write_agent("a", &agent_yaml("A", 0.2));
    env.write_agent("b", &agent_yaml("B", 0.2));

    env.run(&["publish", "--expect", "v1"])
        .code(2)
        .stderr_has("--expect")
        .stderr_has("one agent");
    env.run(&["publish", "a", "b", "--expect", "v1"])
        .code(2)
        .stderr_has("--expect")
        .stderr_has("one agent");
    assert_eq!(env.history_len(None), 2);
}

fn an_invalid_agent_stops_the_whole_publish(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.write_agent("b", "name: B\nmodel: [unclosed\n");

    for args in [
        &["publish"][..],
        &["publish", "a", "b"],
        &["publish", "--json"],
    ] {
        let run = env.run(args);
        run.code(2)
            .stderr_has("error: ")
            .stderr_has("b.yaml:")
            .stderr_has("-->");
        assert!(
            !run.stderr.contains("a.yaml"),
            "the valid agent is not reported as an error:\n{}",
            run.show()
        );
        assert_eq!(env.history_len(None), 0, "after {args:?}");
    }

    // The valid agent alone is fine.
    let json = env.publish_json(&["a"]);
    assert_eq!(only_result(&json)["agent"], "a");
    assert_eq!(only_result(&json)["version"], 1);
    assert_eq!(env.history_len(Some("a")), 1);
}

fn an_invalid_agent_stops_a_publish_with_existing_history_too(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.write_agent("b", &agent_yaml("B", 0.1));
    env.publish_json(&[]);
    env.write_agent("a", &agent_yaml("A", 0.2));
    // A duplicate tool name is a validation error, not a syntax error.
    env.write_agent(
        "b",
        &agent_yaml("B", 0.2).replace("name: web_search", "name: lookup_invoice"),
    );
    env.run(&["publish"]).code(2).stderr_has("b.yaml");
    assert_eq!(env.history_len(Some("a")), 1);
    assert_eq!(env.history_len(Some("b")), 1);
}

fn publishing_an_unknown_agent_is_an_error(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish", "nosuch"])
        .code(2)
        .stderr_has("unknown agent");
    // Together with a valid one: nothing is published.
    env.run(&["publish", "a", "nosuch"])
        .code(2)
        .stderr_has("unknown agent");
    assert_eq!(env.history_len(None), 0);
}

fn publishing_a_malformed_id_is_an_error(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    for id in ["../x", "-x", ".hidden", "a/b"] {
        let run = env.run(&["publish", "--", id]);
        run.code(2).stderr_has("error: ");
        assert!(!run.stderr.contains("panicked"), "{}", run.show());
    }
    assert_eq!(env.history_len(None), 0);
    assert!(!env.tmp.path().join("x.yaml").exists());
}

fn a_missing_staging_file_is_skipped_unless_named(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.write_agent("b", &agent_yaml("B", 0.1));
    env.publish_json(&[]);
    std::fs::remove_file(env.root.join("agents/a.yaml")).unwrap();

    // Plain publish skips it (and the unchanged b).
    let json = env.publish_json(&[]);
    assert_eq!(json["has_changes"], false, "{json:#}");
    env.run(&["publish"]).success();

    // With b changed, plain publish publishes b only.
    env.write_agent("b", &agent_yaml("B", 0.2));
    let json = env.publish_json(&[]);
    assert_eq!(json["has_changes"], true, "{json:#}");
    assert_eq!(only_result(&json)["agent"], "b", "{json:#}");

    // Named, it is an error and nothing is recorded.
    let before = env.history_len(None);
    env.run(&["publish", "a"]).code(2).stderr_has("a");
    env.write_agent("b", &agent_yaml("B", 0.3));
    env.run(&["publish", "a", "b"]).code(2);
    assert_eq!(env.history_len(None), before);
    assert_eq!(env.history_len(Some("a")), 1);
}

#[test]
fn a_file_that_is_not_a_store_is_refused_and_left_alone() {
    let env = TestEnv::new();
    env.write_agent("a", &agent_yaml("A", 0.1));
    let garbage = env.tmp.path().join("garbage.db");
    let content: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 13) as u8).collect();
    std::fs::write(&garbage, &content).unwrap();

    let run = env.run(&["--store", garbage.to_str().unwrap(), "publish"]);
    run.code(2)
        .stderr_has("error: ")
        .stderr_has("not an agentctl store");
    assert_eq!(std::fs::read(&garbage).unwrap(), content);
    assert!(!env.tmp.path().join("garbage.db-wal").exists());
    assert!(!env.tmp.path().join("garbage.db-journal").exists());
    // The workspace's own store saw nothing either.
    assert_eq!(env.history_len(None), 0);
}

#[test]
fn a_foreign_sqlite_database_is_refused_and_left_alone() {
    let env = TestEnv::new();
    env.write_agent("a", &agent_yaml("A", 0.1));
    let foreign = env.tmp.path().join("foreign.db");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);")
            .unwrap();
    }
    let before = std::fs::read(&foreign).unwrap();
    env.run(&["--store", foreign.to_str().unwrap(), "publish"])
        .code(2)
        .stderr_has("not an agentctl store");
    assert_eq!(std::fs::read(&foreign).unwrap(), before);
}

fn a_store_from_a_newer_agentctl_is_refused(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    env.write_agent("a", &agent_yaml("A", 0.2));
    if let Some(mut session) = env.postgres_session() {
        session
            .batch_execute("UPDATE agentctl_schema SET version = version + 100")
            .unwrap();
    } else {
        let conn = rusqlite::Connection::open(env.store()).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert!(version > 0, "the store carries a schema version");
        conn.pragma_update(None, "user_version", version + 100)
            .unwrap();
    }
    let before = env.store_state();
    env.run(&["publish"])
        .code(2)
        .stderr_has("error: ")
        .stderr_has("newer");
    env.run(&["log"]).code(2).stderr_has("newer");
    assert_eq!(env.store_state(), before);
}

fn publish_output_is_json_only_on_stdout(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    let run: Run = env.run(&["publish", "--json"]);
    run.success();
    // The whole of stdout is one JSON document.
    let json: Value = serde_json::from_str(run.stdout.trim()).expect("stdout is JSON");
    assert!(json.is_object());
    assert!(!run.stdout.contains("Published"), "{}", run.show());
}

fn naming_an_agent_twice_publishes_it_once(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    let run = env.run(&["publish", "a", "a", "--json"]);
    run.success();
    let results = run.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 1, "{}", run.show());
    assert!(!run.stderr.contains("Nothing to publish"), "{}", run.show());
    assert_eq!(env.history_len(Some("a")), 1);
}

#[test]
fn concurrent_publishers_are_serialised() {
    let env = TestEnv::new();
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.write_agent("b", &agent_yaml("B", 0.1));
    // Eight processes at once, all publishing the same staging: the decision "is there
    // anything to publish" is taken inside the write transaction, so exactly one entry per
    // agent is recorded and nobody sees "database is locked".
    let children: Vec<_> = (0..8)
        .map(|i| {
            let agents: &[&str] = if i % 2 == 0 { &["a", "b"] } else { &["b"] };
            env.std_command(crate::common::agentctl())
                .arg("publish")
                .args(agents)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("locked"), "{stderr}");
    }
    assert_eq!(env.history_len(Some("a")), 1);
    assert_eq!(env.history_len(Some("b")), 1);

    // Then eight workspaces sharing one store, each with its own staging of the same agent,
    // publishing at once: every publish lands, versions are unique and gap-free.
    let shared = env.tmp.path().join("shared.db");
    let children: Vec<_> = (0..8)
        .map(|i| {
            let workspace = env.tmp.path().join(format!("ws{i}"));
            std::fs::create_dir_all(workspace.join("agents")).unwrap();
            std::fs::create_dir_all(workspace.join(".agentctl")).unwrap();
            std::fs::write(
                workspace.join("agents/shared.yaml"),
                agent_yaml("Shared", f64::from(i) / 10.0),
            )
            .unwrap();
            env.std_command(crate::common::agentctl())
                .arg("-C")
                .arg(&workspace)
                .arg("--store")
                .arg(&shared)
                .args(["publish", "-m", &format!("from ws{i}")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
    }
    let run = env.run(&[
        "--store",
        shared.to_str().unwrap(),
        "log",
        "shared",
        "--json",
    ]);
    run.success();
    let entries = run.json()["entries"].as_array().unwrap().clone();
    let versions: Vec<u64> = entries
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(
        versions,
        (1..=8).rev().collect::<Vec<_>>(),
        "{}",
        run.show()
    );
    for pair in entries.windows(2) {
        assert_eq!(
            pair[0]["parent"],
            pair[1]["change_track_id"],
            "{}",
            run.show()
        );
    }
}

fn a_deleted_staging_file_is_named_by_publish(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish"]).success();
    std::fs::remove_file(env.root.join("agents/a.yaml")).unwrap();
    env.run(&["publish"])
        .success()
        .stderr_has("a has no staging file")
        .stderr_has("not supported");
    assert_eq!(env.history_len(Some("a")), 1);
}

fn empty_message_or_author_is_refused(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish", "-m", ""])
        .code(2)
        .stderr_has("message is empty");
    env.run(&["publish", "--author", " "])
        .code(2)
        .stderr_has("--author is empty");
    assert_eq!(env.history_len(None), 0);
}

fn nothing_to_publish_is_said_on_stderr_with_json_too(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish"]).success();
    let run = env.run(&["publish", "--json"]);
    run.success().stderr_has("Nothing to publish");
    assert_eq!(run.json()["has_changes"], false);
    // Without names the unchanged agent is listed too, as with a name.
    assert_eq!(run.json()["results"][0]["agent"], "a", "{}", run.show());
    assert_eq!(run.json()["results"][0]["has_changes"], false);
}

fn dry_run_does_not_touch_the_store(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish"]).success();
    env.write_agent("a", &agent_yaml("A", 0.2));
    env.run(&["status"]).success();
    let before = env.store_state();
    let run = env.run(&["publish", "--dry-run", "--json"]);
    run.success();
    assert_eq!(run.json()["results"][0]["version"], 2, "{}", run.show());
    assert_eq!(env.store_state(), before, "a dry run wrote to the store");
}

fn a_multi_line_message_keeps_oneline_to_one_line(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish", "-m", "Summary line\n\nMore detail"])
        .success();
    let run = env.run(&["log", "--oneline"]);
    run.success();
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.show());
    assert!(run.stdout.contains("Summary line"), "{}", run.show());
    let full = env.run(&["log"]);
    full.success().stdout_has("    More detail");
    let json = env.run(&["log", "--json"]);
    assert_eq!(
        json.json()["entries"][0]["message"],
        "Summary line\n\nMore detail"
    );
}

/// A float needing all 17 significant digits survives the store exactly: reading snapshots
/// back must not round it (serde_json's `float_roundtrip`), or a publish would never be clean.
fn floats_round_trip_through_the_store_exactly(env: TestEnv) {
    env.write_agent("f", "name: F\nmodel:\n  temperature: 0.9500000000000001\n");
    env.run(&["publish", "f"]).success();
    env.run(&["diff", "f", "--exit-code"]).success();
    let shown = env.run(&["show", "f", "--config", "--json"]);
    assert_eq!(
        shown.json()["config"]["model"]["temperature"].as_f64(),
        Some(0.9500000000000001)
    );
}

/// The clock is pinned by `AGENTCTL_NOW` (as jj's `JJ_TIMESTAMP`): a publish records that time,
/// and a time that does not parse is an error naming the variable, recording nothing.
#[test]
fn agentctl_now_pins_the_clock() {
    let env = TestEnv::new();
    env.write_agent("a", &agent_yaml("A", 0.1));
    let published = env.publish_json(&["-m", "pinned"]);
    assert_eq!(published["results"][0]["published_at"], crate::common::NOW);
    assert_eq!(
        env.log_entries(&["a"])[0]["published_at"],
        crate::common::NOW
    );

    env.write_agent("a", &agent_yaml("A", 0.2));
    let before = env.store_state();
    env.run_with(
        env.command()
            .env("AGENTCTL_NOW", "yesterday")
            .args(["publish", "-m", "x"]),
    )
    .code(2)
    .stderr_has("AGENTCTL_NOW=`yesterday` is not a time");
    assert!(
        env.store_state() == before,
        "a bad clock recorded something"
    );
}
