//! `log` and `show`: the history as people and scripts read it, references to one publish,
//! secrets in human views, and a reader that closes the pipe early.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::{Value, json};

use crate::common::{AUTHOR, TestEnv, agent_yaml, append_version, on_both_stores};

on_both_stores!(
    log_of_a_fresh_workspace_is_empty,
    log_of_a_never_published_agent_is_empty,
    log_of_an_unknown_agent_is_an_error,
    log_json_entries_have_exactly_the_documented_fields,
    log_is_newest_first_across_agents,
    log_max_count_limits_the_entries,
    log_oneline_has_short_id_version_and_message,
    log_human_view_shows_every_part_of_an_entry,
    log_human_view_shows_no_snapshot_values,
    log_with_a_closed_stdout_ends_quietly,
    show_defaults_to_production,
    show_v1_lists_every_field_as_added,
    show_human_view_has_message_and_changed_paths,
    show_masks_secrets_unless_asked,
    show_an_unknown_version_names_the_existing_ones,
    show_staging_is_refused,
    show_a_malformed_reference_is_refused,
    show_an_unknown_agent_is_an_error,
    show_a_never_published_agent_is_an_error,
    show_works_for_an_agent_whose_staging_file_is_gone,
    an_ambiguous_prefix_is_an_error_that_asks_for_more_digits,
    log_with_no_room_prints_nothing,
    entry_headers_and_messages_fit_narrow_widths,
    log_piped_into_head_prints_no_error,
    show_accepts_a_change_track_id_prefix,
    show_config_holds_the_published_values
);

/// The exact fields of a history entry in `log --json`.
const ENTRY_FIELDS: [&str; 10] = [
    "agent",
    "version",
    "change_track_id",
    "parent",
    "author",
    "published_at",
    "message",
    "summary",
    "reverts",
    "git_commit",
];

fn publish(env: &TestEnv, args: &[&str]) {
    let mut all = vec!["publish"];
    all.extend_from_slice(args);
    env.run(&all).success().stderr_has("Published");
}

fn show_json(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["show", "--json"];
    all.extend_from_slice(args);
    let run = env.run(&all);
    run.success();
    run.json()
}

/// (agent, version) of each entry, in order.
fn agent_versions(entries: &[Value]) -> Vec<(String, u64)> {
    entries
        .iter()
        .map(|e| {
            (
                e["agent"].as_str().unwrap().to_owned(),
                e["version"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn sorted_keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// Agent `a` published twice (temperature 0.1, then 0.2 with a message); returns the ids of
/// v1 and v2.
fn two_publishes(env: &TestEnv) -> (String, String) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    publish(env, &["a"]);
    env.write_agent("a", &agent_yaml("A", 0.2));
    publish(env, &["a", "-m", "Warmer answers"]);
    let entries = env.log_entries(&["a"]);
    let id = |i: usize| entries[i]["change_track_id"].as_str().unwrap().to_owned();
    (id(1), id(0))
}

/// The agent with a secret: `auth: {api_key: sk-123}`.
fn secret_agent_yaml(temperature: f64) -> String {
    format!(
        "{}auth:\n  api_key: sk-123\n  user: svc-bot\n",
        agent_yaml("A", temperature)
    )
}

/// A history whose `log` output is far larger than a pipe's buffer (64 KiB): 40 agents
/// published in one call with a 3 KB message each.
fn long_history(env: &TestEnv) {
    for i in 0..40 {
        env.write_agent(&format!("agent-{i:02}"), &agent_yaml("A", 0.1));
    }
    let message = "A long message that makes every log entry big. ".repeat(64);
    publish(env, &["-m", &message]);
    assert_eq!(env.history_len(None), 40);
}

// ---------------------------------------------------------------------------------------------
// log

fn log_of_a_fresh_workspace_is_empty(env: TestEnv) {
    let run = env.run(&["log"]);
    run.success();
    assert!(run.stdout.is_empty(), "{}", run.show());
    assert!(!run.stderr.contains("error"), "{}", run.show());

    let run = env.run(&["log", "--json"]);
    run.success();
    assert_eq!(run.json(), json!({"entries": []}));

    let run = env.run(&["log", "--oneline"]);
    run.success();
    assert!(run.stdout.is_empty(), "{}", run.show());
}

fn log_of_a_never_published_agent_is_empty(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.write_agent("b", &agent_yaml("B", 0.1));
    publish(&env, &["b"]);

    let run = env.run(&["log", "a", "--json"]);
    run.success();
    assert_eq!(run.json(), json!({"entries": []}));
    let run = env.run(&["log", "a"]);
    run.success();
    assert!(run.stdout.is_empty(), "{}", run.show());
    assert!(!run.stderr.contains("error"), "{}", run.show());
}

fn log_of_an_unknown_agent_is_an_error(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    publish(&env, &[]);
    for args in [&["log", "nosuch"][..], &["log", "nosuch", "--json"]] {
        let run = env.run(args);
        run.code(2)
            .stderr_has("error: ")
            .stderr_has("unknown agent");
        assert!(run.stdout.is_empty(), "{}", run.show());
    }
    env.run(&["log", "../x"]).code(2).stderr_has("error: ");
}

fn log_json_entries_have_exactly_the_documented_fields(env: TestEnv) {
    let (v1, v2) = two_publishes(&env);
    let entries = env.log_entries(&[]);
    assert_eq!(entries.len(), 2);
    let mut expected: Vec<String> = ENTRY_FIELDS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    for entry in &entries {
        assert_eq!(sorted_keys(entry), expected, "{entry:#}");
        assert!(entry.get("snapshot").is_none() && entry.get("config").is_none());
        assert_eq!(entry["reverts"], Value::Null, "{entry:#}");
        assert_eq!(entry["git_commit"], Value::Null, "{entry:#}");
        assert_eq!(entry["author"], AUTHOR, "{entry:#}");
        assert_eq!(entry["agent"], "a", "{entry:#}");
        let at = entry["published_at"].as_str().unwrap();
        assert!(at.ends_with('Z'), "{at}");
        at.parse::<jiff::Timestamp>().expect("RFC 3339");
        for key in ["added", "removed", "changed", "sections", "paths"] {
            assert!(
                entry["summary"].get(key).is_some(),
                "summary lacks {key}: {entry:#}"
            );
        }
    }
    assert_eq!(entries[0]["version"], 2);
    assert_eq!(entries[0]["change_track_id"], v2.as_str());
    assert_eq!(entries[0]["parent"], v1.as_str());
    assert_eq!(entries[0]["message"], "Warmer answers");
    assert_eq!(entries[0]["summary"]["paths"], json!(["model.temperature"]));
    assert_eq!(entries[1]["version"], 1);
    assert_eq!(entries[1]["parent"], Value::Null);
    assert_eq!(entries[1]["message"], "Create a");
}

fn log_is_newest_first_across_agents(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    publish(&env, &["a"]);
    env.write_agent("b", &agent_yaml("B", 0.1));
    publish(&env, &["b"]);
    env.write_agent("a", &agent_yaml("A", 0.2));
    publish(&env, &["a"]);

    let entries = env.log_entries(&[]);
    assert_eq!(
        agent_versions(&entries),
        [("a".into(), 2), ("b".into(), 1), ("a".into(), 1)]
    );
    // One agent's history only.
    assert_eq!(
        agent_versions(&env.log_entries(&["a"])),
        [("a".into(), 2), ("a".into(), 1)]
    );
    assert_eq!(agent_versions(&env.log_entries(&["b"])), [("b".into(), 1)]);

    // The human view names the agents in the same order.
    let run = env.run(&["log"]);
    run.success();
    let a2 = run.stdout.find("a v2").expect("a v2 shown");
    let b1 = run.stdout.find("b v1").expect("b v1 shown");
    let a1 = run.stdout.find("a v1").expect("a v1 shown");
    assert!(a2 < b1 && b1 < a1, "{}", run.show());
}

fn log_max_count_limits_the_entries(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    publish(&env, &[]);
    env.write_agent("b", &agent_yaml("B", 0.1));
    publish(&env, &[]);
    env.write_agent("a", &agent_yaml("A", 0.2));
    publish(&env, &[]);

    assert_eq!(
        agent_versions(&env.log_entries(&["-n", "1"])),
        [("a".into(), 2)]
    );
    assert_eq!(
        agent_versions(&env.log_entries(&["--max-count", "2"])),
        [("a".into(), 2), ("b".into(), 1)]
    );
    assert_eq!(
        agent_versions(&env.log_entries(&["a", "-n", "1"])),
        [("a".into(), 2)]
    );
    assert_eq!(env.log_entries(&["-n", "10"]).len(), 3);

    let run = env.run(&["log", "--oneline", "-n", "2"]);
    run.success();
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.show());

    env.run(&["log", "-n", "lots"]).code(2);
}

fn log_oneline_has_short_id_version_and_message(env: TestEnv) {
    let (v1, v2) = two_publishes(&env);
    let run = env.run(&["log", "--oneline"]);
    run.success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.show());
    for (line, id, version, message) in [
        (lines[0], &v2, "v2", "Warmer answers"),
        (lines[1], &v1, "v1", "Create a"),
    ] {
        assert!(line.contains(&id[..8]), "{line:?} lacks {}", &id[..8]);
        assert!(line.contains(version), "{line:?}");
        assert!(line.contains(message), "{line:?}");
    }

    // For one agent too.
    let run = env.run(&["log", "a", "--oneline"]);
    run.success();
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.show());
    assert!(run.stdout.lines().next().unwrap().contains(&v2[..8]));
}

fn log_human_view_shows_every_part_of_an_entry(env: TestEnv) {
    let (v1, v2) = two_publishes(&env);
    let entries = env.log_entries(&[]);
    let run = env.run(&["log"]);
    run.success()
        .stdout_has("v2")
        .stdout_has(&v2[..8])
        .stdout_has("v1")
        .stdout_has(&v1[..8])
        .stdout_has(AUTHOR)
        .stdout_has(entries[0]["published_at"].as_str().unwrap())
        .stdout_has("Warmer answers")
        .stdout_has("Create a")
        // The summary lines: v2 changed one setting; v1 added every field.
        .stdout_has("1 changed")
        .stdout_has("settings")
        .stdout_has("added");
    assert!(
        run.stdout.find(&v2[..8]) < run.stdout.find(&v1[..8]),
        "newest first:\n{}",
        run.show()
    );
}

fn log_human_view_shows_no_snapshot_values(env: TestEnv) {
    env.write_agent("a", &secret_agent_yaml(0.1));
    publish(&env, &[]);
    let run = env.run(&["log"]);
    run.success()
        .stdout_lacks("sk-123")
        .stdout_lacks("You are a helpful agent");
}

fn log_with_a_closed_stdout_ends_quietly(env: TestEnv) {
    long_history(&env);
    let bin = assert_cmd::cargo::cargo_bin!("agentctl");

    for args in [&["log"][..], &["log", "--oneline"], &["log", "--json"]] {
        // Read one line, then close the pipe: the rest cannot fit in the pipe's buffer.
        let mut child = env
            .std_command(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("agentctl starts");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        assert!(!first.trim().is_empty(), "{args:?}: first line is empty");
        drop(reader);
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: exit status on a closed pipe; stderr:\n{stderr}"
        );
        assert!(
            stderr.is_empty(),
            "{args:?}: stderr on a closed pipe:\n{stderr}"
        );
    }

    // Closed before anything was written.
    let mut child = env
        .std_command(bin)
        .arg("log")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("agentctl starts");
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(stderr.is_empty(), "stderr on a closed pipe:\n{stderr}");
}

fn log_piped_into_head_prints_no_error(env: TestEnv) {
    long_history(&env);
    let bin = assert_cmd::cargo::cargo_bin!("agentctl");
    let script = format!("'{}' log | head -1", bin.display());
    let output = env
        .std_command(std::path::Path::new("sh"))
        .args(["-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("sh runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr:\n{stderr}");
    assert!(stderr.is_empty(), "stderr of `log | head -1`:\n{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("v1"), "{stdout}");
}

// ---------------------------------------------------------------------------------------------
// show

fn show_defaults_to_production(env: TestEnv) {
    let (v1, v2) = two_publishes(&env);
    let shown = show_json(&env, &["a"]);
    let prod = show_json(&env, &["a", "production"]);
    assert_eq!(shown, prod);
    let prod_short = show_json(&env, &["a", "prod"]);
    assert_eq!(shown, prod_short);

    assert_eq!(shown["version"], 2, "{shown:#}");
    assert_eq!(shown["change_track_id"], v2.as_str());
    assert_eq!(shown["parent"], v1.as_str());
    assert_eq!(shown["message"], "Warmer answers");
    assert!(
        shown.get("config").is_none(),
        "config only with --config: {shown:#}"
    );

    // The log fields, plus changes.
    let mut expected: Vec<String> = ENTRY_FIELDS.iter().map(|s| s.to_string()).collect();
    expected.push("changes".into());
    expected.sort();
    assert_eq!(sorted_keys(&shown), expected, "{shown:#}");
    let logged = &env.log_entries(&["a"])[0];
    for field in ENTRY_FIELDS {
        assert_eq!(shown[field], logged[field], "{field}");
    }

    // Its changes against its parent: only the temperature.
    assert_eq!(
        shown["changes"],
        json!([{
            "section": "settings",
            "path": "model.temperature",
            "kind": "changed",
            "old": 0.1,
            "new": 0.2
        }]),
        "{shown:#}"
    );
}

fn show_v1_lists_every_field_as_added(env: TestEnv) {
    let (v1, _) = two_publishes(&env);
    let shown = show_json(&env, &["a", "v1"]);
    assert_eq!(shown["version"], 1, "{shown:#}");
    assert_eq!(shown["change_track_id"], v1.as_str());
    assert_eq!(shown["parent"], Value::Null);
    assert_eq!(shown["message"], "Create a");
    let changes = shown["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "{shown:#}");
    for change in changes {
        assert_eq!(change["kind"], "added", "{change:#}");
        assert_eq!(change["old"], Value::Null, "{change:#}");
    }
    let mut paths: Vec<&str> = changes
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "description",
            "guardrails",
            "instructions",
            "model",
            "name",
            "tools"
        ]
    );
    let model = changes.iter().find(|c| c["path"] == "model").unwrap();
    assert_eq!(model["new"]["temperature"], 0.1, "{model:#}");
}

fn show_accepts_a_change_track_id_prefix(env: TestEnv) {
    let (v1, v2) = two_publishes(&env);
    let by_prefix = show_json(&env, &["a", &v1[..6]]);
    assert_eq!(by_prefix["version"], 1, "{by_prefix:#}");
    assert_eq!(by_prefix["change_track_id"], v1.as_str());
    let by_full_id = show_json(&env, &["a", &v2]);
    assert_eq!(by_full_id["version"], 2, "{by_full_id:#}");
    let upper = v2[..8].to_ascii_uppercase();
    let by_upper = show_json(&env, &["a", &upper]);
    assert_eq!(by_upper["version"], 2, "{by_upper:#}");
}

fn show_config_holds_the_published_values(env: TestEnv) {
    two_publishes(&env);
    // Staging has moved on: show still reports what was published.
    env.write_agent("a", &agent_yaml("A", 0.9));

    let shown = show_json(&env, &["a", "--config"]);
    let config = &shown["config"];
    assert_eq!(config["model"]["temperature"], 0.2, "{shown:#}");
    assert_eq!(config["name"], "A");
    assert_eq!(config["tools"][0]["name"], "lookup_invoice");
    assert_eq!(
        config["instructions"],
        "You are a helpful agent.\nBe brief.\n"
    );

    let shown = show_json(&env, &["a", "v1", "--config"]);
    assert_eq!(shown["config"]["model"]["temperature"], 0.1, "{shown:#}");
}

fn show_human_view_has_message_and_changed_paths(env: TestEnv) {
    let (_, v2) = two_publishes(&env);
    let run = env.run(&["show", "a"]);
    run.success()
        .stdout_has("v2")
        .stdout_has(&v2[..8])
        .stdout_has(AUTHOR)
        .stdout_has("Warmer answers")
        .stdout_has("model.temperature")
        .stdout_has("0.1")
        .stdout_has("0.2")
        // Only differences: the unchanged instructions are not shown.
        .stdout_lacks("You are a helpful agent");

    let run = env.run(&["show", "a", "v1"]);
    run.success()
        .stdout_has("Create a")
        .stdout_has("tools")
        .stdout_has("instructions");
}

fn show_masks_secrets_unless_asked(env: TestEnv) {
    env.write_agent("a", &secret_agent_yaml(0.1));
    publish(&env, &[]);

    // The whole snapshot as YAML, with the secret masked.
    let run = env.run(&["show", "a", "--config"]);
    run.success()
        .stdout_has("********")
        .stdout_lacks("sk-123")
        .stdout_has("api_key")
        .stdout_has("svc-bot")
        .stdout_has("temperature: 0.1")
        .stdout_has("lookup_invoice");

    // Its changes (v1 adds `auth`) are masked too.
    let run = env.run(&["show", "a"]);
    run.success().stdout_has("auth").stdout_lacks("sk-123");

    let run = env.run(&["show", "a", "--config", "--show-secrets"]);
    run.success().stdout_has("sk-123").stdout_lacks("********");

    // JSON never masks.
    let shown = show_json(&env, &["a", "--config"]);
    assert_eq!(shown["config"]["auth"]["api_key"], "sk-123", "{shown:#}");
}

fn show_an_unknown_version_names_the_existing_ones(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    publish(&env, &[]);
    let run = env.run(&["show", "a", "v9"]);
    run.code(2)
        .stderr_has("error: ")
        .stderr_has("v9")
        .stderr_has("v1");
    assert!(run.stdout.is_empty(), "{}", run.show());
    env.run(&["show", "a", "v0"]).code(2).stderr_has("v1");
    // A well-formed id prefix that matches nothing: v1's own first digits, one changed.
    let id = env.log_entries(&["a"])[0]["change_track_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = if id.starts_with('0') { "1" } else { "0" };
    let prefix = format!("{other}{}", &id[1..8]);
    env.run(&["show", "a", &prefix]).code(2).stderr_has("v1");
}

fn show_staging_is_refused(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    publish(&env, &[]);
    let run = env.run(&["show", "a", "staging"]);
    run.code(2).stderr_has("error: ").stderr_has("staging");
    assert!(run.stdout.is_empty(), "{}", run.show());
}

fn show_a_malformed_reference_is_refused(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    publish(&env, &[]);
    for reference in ["zz", "abc", "v", "v1x", "-1"] {
        let run = env.run(&["show", "a", "--", reference]);
        run.code(2).stderr_has("error: ");
        assert!(run.stdout.is_empty(), "{}", run.show());
        assert!(!run.stderr.contains("panicked"), "{}", run.show());
    }
}

fn show_an_unknown_agent_is_an_error(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    publish(&env, &[]);
    env.run(&["show", "nosuch"])
        .code(2)
        .stderr_has("error: ")
        .stderr_has("unknown agent");
    env.run(&["show", "nosuch", "--json"])
        .code(2)
        .stderr_has("unknown agent");
}

fn show_a_never_published_agent_is_an_error(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    let run = env.run(&["show", "a"]);
    run.code(2)
        .stderr_has("error: ")
        .stderr_has("never been published");
    assert!(run.stdout.is_empty(), "{}", run.show());
    env.run(&["show", "a", "v1", "--json"])
        .code(2)
        .stderr_has("never been published");
}

fn show_works_for_an_agent_whose_staging_file_is_gone(env: TestEnv) {
    two_publishes(&env);
    std::fs::remove_file(env.root.join("agents/a.yaml")).unwrap();
    let shown = show_json(&env, &["a", "--config"]);
    assert_eq!(shown["version"], 2, "{shown:#}");
    assert_eq!(shown["config"]["model"]["temperature"], 0.2);
    assert_eq!(env.log_entries(&["a"]).len(), 2);
}

/// Publishes of one agent until two ids share their first four hex digits, made through the
/// library (hundreds of binary runs would be slow); returns that shared prefix.
fn history_with_a_shared_prefix(env: &TestEnv) -> String {
    let mut store = env.open_store();
    let mut seen = std::collections::HashSet::new();
    let mut before = agentctl::agent::Config::new();
    for i in 0.. {
        let config = json!({"name": "a", "model": {"max_tokens": i}})
            .as_object()
            .cloned()
            .unwrap();
        let publishing = store.publishing(false).unwrap();
        let head = publishing.head("a").unwrap();
        let entry = append_version(&publishing, head.as_ref(), &before, &config, "m");
        publishing.commit().unwrap();
        before = config;
        let prefix = entry.change_track_id[..4].to_owned();
        if !seen.insert(prefix.clone()) {
            return prefix;
        }
    }
    unreachable!()
}

fn an_ambiguous_prefix_is_an_error_that_asks_for_more_digits(env: TestEnv) {
    let prefix = history_with_a_shared_prefix(&env);
    let run = env.run(&["show", "a", &prefix]);
    run.code(2)
        .stderr_has("ambiguous")
        .stderr_has("more hex digits");
    // It names the publishes the prefix could mean.
    assert!(
        run.stderr.matches(&format!("({prefix}")).count() >= 2,
        "{}",
        run.show()
    );
    env.run(&["diff", "a", "--from", &prefix, "--to", "production"])
        .code(2)
        .stderr_has("ambiguous");
}

fn log_with_no_room_prints_nothing(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish"]).success();
    let run = env.run(&["log", "a", "-n", "0"]);
    run.success();
    assert!(
        run.stdout.is_empty() && run.stderr.is_empty(),
        "{}",
        run.show()
    );
}

/// The entry header and message are fitted to narrow widths too, not only the changes.
fn entry_headers_and_messages_fit_narrow_widths(env: TestEnv) {
    env.write_agent("bot", &agent_yaml("Bot", 0.2));
    let message = "A long message that explains at length why this publish changes the bot";
    env.run(&["publish", "bot", "-m", message]).success();
    for args in [&["show", "bot"][..], &["log", "bot"]] {
        let run = env.run_with(env.command().env("COLUMNS", "40").args(args));
        run.success().stdout_has("why this publish");
        for line in run.stdout.lines() {
            assert!(line.chars().count() <= 40, "{args:?}: {line:?}");
        }
    }
}

/// Two publishes of one agent, with the clock pinned (`AGENTCTL_NOW`): every id and time in
/// the output is the same on every run, so whole outputs can be compared.
fn pinned_history() -> TestEnv {
    let env = TestEnv::new();
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish", "-m", "first"]).success();
    env.write_agent("a", &agent_yaml("A", 0.7));
    env.run(&["publish", "-m", "warmer"]).success();
    env
}

/// `log`'s whole human view, so a change of its layout (not just of a word) is seen.
#[test]
fn log_output_as_a_whole() {
    let env = pinned_history();
    let run = env.run(&["log", "a"]);
    run.success();
    insta::assert_snapshot!("log_two_publishes", run.stdout);
}

/// `show`'s whole human view of a publish with its changes.
#[test]
fn show_output_as_a_whole() {
    let env = pinned_history();
    let run = env.run(&["show", "a", "v2"]);
    run.success();
    insta::assert_snapshot!("show_v2", run.stdout);
}
