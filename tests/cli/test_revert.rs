//! revert-preview and revert: taking a past publish's changes back out of staging.

use std::fs;

use serde_json::{Value, json};

use crate::common::{Run, TestEnv, agent_yaml, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only: the proptest runs the binary
// dozens of times for the merge's sake; its store part is the same as the scenarios'.
on_both_stores!(
    reverting_v1_is_refused_with_a_hint_to_restore,
    unknown_agent_or_ref_and_invalid_staging_are_errors_that_change_nothing,
    reverting_the_newest_publish_on_clean_staging_gives_its_parent,
    reverting_an_old_publish_keeps_later_publishes_and_staging_edits,
    a_field_changed_again_later_is_a_conflict_and_nothing_is_written,
    a_field_deleted_in_staging_is_a_conflict_that_says_so,
    a_field_already_at_the_parents_value_is_not_a_conflict,
    tools_are_reverted_by_name,
    comments_and_blank_lines_elsewhere_survive_byte_for_byte,
    preview_and_revert_agree_and_preview_never_writes,
    after_a_revert_the_change_is_pending_until_publish_which_records_it,
    an_explicit_message_wins_but_reverts_is_still_recorded,
    nothing_to_revert_writes_nothing,
    a_ref_may_be_a_change_track_id_prefix,
    secrets_are_masked_in_the_preview_unless_asked,
    a_file_that_cannot_be_edited_in_place_is_rewritten_with_a_warning,
    instructions_merge_by_paragraph,
    reverting_an_instructions_edit_of_the_example_gives_back_its_exact_bytes,
    a_plain_list_entry_reverted_out_takes_its_line_and_keeps_every_comment,
    a_list_written_whole_is_said_before_writing,
);

const AGENT: &str = "bot";

/// A workspace whose `bot` has one publish per text in `versions`, each with message `vN msg`.
fn history(env: TestEnv, versions: &[&str]) -> TestEnv {
    for (i, yaml) in versions.iter().enumerate() {
        env.write_agent(AGENT, yaml);
        let message = format!("v{} msg", i + 1);
        env.run(&["publish", AGENT, "-m", &message]).success();
    }
    env
}

fn staging(env: &TestEnv) -> String {
    fs::read_to_string(env.root.join("agents/bot.yaml")).unwrap()
}

/// Staging equals the snapshot of `reference` by value.
#[track_caller]
fn assert_staging_is(env: &TestEnv, reference: &str) {
    env.run(&["diff", AGENT, "--from", reference, "--exit-code"])
        .success();
}

fn revert_json(env: &TestEnv, command: &str, reference: &str) -> (Run, Value) {
    let run = env.run(&[command, AGENT, reference, "--json"]);
    let value = run.json();
    (run, value)
}

fn reverting_the_newest_publish_on_clean_staging_gives_its_parent(env: TestEnv) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1.replace("temperature: 0.2", "temperature: 0.7").replace(
        "  - name: web_search\n    description: Search the web\n",
        "",
    );
    let env = history(env, &[&v1, &v2]);
    env.run(&["revert", AGENT, "v2"])
        .success()
        .stderr_has("Reverted v2 of bot in agents/bot.yaml")
        .stderr_has("Production is unchanged (still v2)")
        .stderr_has("agentctl diff bot")
        .stderr_has("agentctl publish bot");
    assert_staging_is(&env, "v1");
}

fn reverting_an_old_publish_keeps_later_publishes_and_staging_edits(env: TestEnv) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1.replace("temperature: 0.2", "temperature: 0.5"); // reverted
    let v3 = v2.replace("description: Helps with tests", "description: Later"); // kept
    let env = history(env, &[&v1, &v2, &v3]);
    // An unpublished staging edit, kept too.
    env.write_agent(AGENT, &v3.replace("Be brief.", "Be brief and kind."));

    let (run, value) = revert_json(&env, "revert", "v2");
    run.success();
    assert_eq!(value["written"], json!(true));
    assert_eq!(
        value["applied"],
        json!([{"section": "settings", "path": "model.temperature", "kind": "changed", "old": 0.5, "new": 0.2}])
    );
    assert_eq!(
        staging(&env),
        v3.replace("Be brief.", "Be brief and kind.")
            .replace("temperature: 0.5", "temperature: 0.2"),
        "only the reverted line changes"
    );
}

fn a_field_changed_again_later_is_a_conflict_and_nothing_is_written(env: TestEnv) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1.replace("temperature: 0.2", "temperature: 0.5");
    let v3 = v2.replace("temperature: 0.5", "temperature: 0.9");
    let env = history(env, &[&v1, &v2, &v3]);
    let before = staging(&env);
    let store_before = env.store_state();

    for command in ["revert-preview", "revert"] {
        let (run, value) = revert_json(&env, command, "v2");
        run.code(1).stderr_has("1 field changed again since v2");
        assert_eq!(
            value["conflicts"],
            json!([{"path": "model.temperature", "reverted_value": 0.5, "staging_value": 0.9, "would_set": 0.2}])
        );
        assert_eq!(value["written"], json!(false));
        assert_eq!(value["reverted"]["version"], json!(2));
    }
    assert_eq!(
        staging(&env),
        before,
        "the staging file is byte-for-byte unchanged"
    );
    assert_eq!(env.store_state(), store_before, "the store is unchanged");

    // The human view lists the three values.
    env.run(&["revert", AGENT, "v2"])
        .code(1)
        .stdout_has("Conflicts (1)")
        .stdout_has("model.temperature")
        .stdout_has("v2 set:           0.5")
        .stdout_has("staging holds:    0.9")
        .stdout_has("revert would set: 0.2")
        .stderr_has("Nothing was written")
        // v3 changed it again: reverting v3 first is a way out.
        .stderr_has("revert the later publishes that changed them first");
}

// Issue 14, item 13: the note names the real reason, not "changed again".
fn a_field_deleted_in_staging_is_a_conflict_that_says_so(env: TestEnv) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1.replace("temperature: 0.2", "temperature: 0.5");
    let env = history(env, &[&v1, &v2]);
    env.write_agent(AGENT, &v2.replace("  temperature: 0.5\n", ""));
    for command in ["revert-preview", "revert"] {
        env.run(&[command, AGENT, "v2"])
            .code(1)
            .stderr_has("1 field deleted in staging since v2")
            // No later publish touched it: reverting one would not help.
            .stderr_has("they changed in staging only")
            .stderr_lacks("revert the later publishes")
            .stderr_lacks("changed again")
            // The three values say the field is gone in words; JSON keeps `null`.
            .stdout_has("staging holds:    (deleted)")
            .stdout_lacks("null");
    }
    let json = env.run(&["revert-preview", AGENT, "v2", "--json"]).json();
    assert_eq!(
        json["conflicts"][0]["staging_value"],
        serde_json::Value::Null
    );
    // Both reasons at once are both named.
    let v3 = v2
        .replace("temperature: 0.5", "temperature: 0.7")
        .replace("description: Helps with tests", "description: Helps");
    env.write_agent(AGENT, &v3);
    env.run(&["publish", AGENT]).success();
    env.write_agent(
        AGENT,
        &v3.replace("  temperature: 0.7\n", "")
            .replace("description: Helps", "description: Other"),
    );
    env.run(&["revert", AGENT, "v3"])
        .code(1)
        .stderr_has("2 fields conflict since v3: 1 changed again, 1 deleted in staging");
}

fn a_field_already_at_the_parents_value_is_not_a_conflict(env: TestEnv) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1
        .replace("temperature: 0.2", "temperature: 0.5")
        .replace("description: Helps with tests", "description: New");
    let env = history(env, &[&v1, &v2]);
    // Someone already put the temperature back by hand.
    env.write_agent(AGENT, &v2.replace("temperature: 0.5", "temperature: 0.2"));
    let (run, value) = revert_json(&env, "revert", "v2");
    run.success();
    assert_eq!(value["conflicts"], json!([]));
    assert_eq!(value["applied"][0]["path"], json!("description"));
    assert_staging_is(&env, "v1");
}

fn instructions_merge_by_paragraph(env: TestEnv) {
    let v1 = "name: Bot\ninstructions: |\n  First paragraph.\n\n  Second paragraph.\n\n  Third paragraph.\n";
    let v2 = v1.replace("Second paragraph.", "Second paragraph, edited.");
    let v3 = v2.replace("Third paragraph.", "Third paragraph, edited later.");
    let first = history(env.another(), &[v1, &v2, &v3]);
    first.run(&["revert", AGENT, "v2"]).success();
    assert_eq!(
        staging(&first),
        v3.replace("Second paragraph, edited.", "Second paragraph.")
    );

    // An edit overlapping the reverted one conflicts.
    let env = history(env, &[v1, &v2]);
    env.write_agent(
        AGENT,
        &v2.replace(
            "Second paragraph, edited.",
            "Second paragraph, edited twice.",
        ),
    );
    let (run, value) = revert_json(&env, "revert", "v2");
    run.code(1);
    assert_eq!(value["conflicts"][0]["path"], json!("instructions"));
}

fn tools_are_reverted_by_name(env: TestEnv) {
    let v1 = "\
name: Bot
tools:
  - name: kept
    description: Kept tool
  - name: removed_by_v2
    description: Goes away in v2
    parameters:
      type: object
      properties:
        id: {type: string}
  - name: modified_by_v2
    description: Old description
    timeout: 10
";
    let v2 = "\
name: Bot
tools:
  - name: kept
    description: Kept tool
  - name: modified_by_v2
    description: New description
    timeout: 30
  - name: added_by_v2
    description: Comes with v2
";
    let v3 = v2.replace(
        "description: Kept tool",
        "description: Kept tool, changed in v3",
    );
    let env = history(env, &[v1, v2, &v3]);
    let (run, value) = revert_json(&env, "revert", "v2");
    run.success();
    let kinds: Vec<(String, String)> = value["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().into(),
                c["path"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("removed".into(), "tools[added_by_v2]".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("added".into(), "tools[removed_by_v2]".into())),
        "{kinds:?}"
    );

    // By value, staging is v1 plus v3's change: the removed tool is back with all its fields,
    // the modified one has its old fields, the tool changed later keeps that change.
    let staged =
        env.run(&["diff", AGENT, "--from", "v1", "--json"]).json()["agents"][0]["changes"].clone();
    assert_eq!(
        staged,
        json!([{"section": "tools", "path": "tools[kept].description", "kind": "changed",
                "old": "Kept tool", "new": "Kept tool, changed in v3"}]),
        "against v1, only v3's change remains"
    );
}

fn comments_and_blank_lines_elsewhere_survive_byte_for_byte(env: TestEnv) {
    let v1 = "\
# Billing bot. Owner: payments team.
name: Bot

# Tuned in March; ask before changing.
model:
  provider: openai   # the only one we pay for
  temperature: 0.2

tools:
  # Looks invoices up by number.
  - name: lookup_invoice
    description: Find an invoice

# Guardrails last, on purpose.
guardrails:
  - name: pii
    action: redact
";
    let v2 = v1.replace("temperature: 0.2", "temperature: 0.8").replace(
        "    description: Find an invoice\n",
        "    description: Find an invoice\n  - name: refund\n    description: Refund it\n",
    );
    let env = history(env, &[v1, &v2]);
    env.run(&["revert", AGENT, "v2"]).success();
    assert_eq!(staging(&env), v1);
}

fn preview_and_revert_agree_and_preview_never_writes(env: TestEnv) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1
        .replace("temperature: 0.2", "temperature: 0.6")
        .replace("action: redact", "action: block");
    let env = history(env, &[&v1, &v2]);
    let before = staging(&env);
    let store_before = env.store_state();

    let (run, mut preview) = revert_json(&env, "revert-preview", "v2");
    run.success();
    assert_eq!(preview["written"], json!(false));
    assert_eq!(staging(&env), before);
    assert_eq!(env.store_state(), store_before);

    env.run(&["revert-preview", AGENT, "v2"])
        .success()
        .stdout_has("Staging now")
        .stdout_has("Staging after revert")
        .stderr_has("nothing was written");
    assert_eq!(staging(&env), before);

    let (run, mut reverted) = revert_json(&env, "revert", "v2");
    run.success();
    assert_eq!(reverted["written"], json!(true));
    preview["written"] = json!(null);
    reverted["written"] = json!(null);
    assert_eq!(preview, reverted);
}

fn after_a_revert_the_change_is_pending_until_publish_which_records_it(env: TestEnv) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1.replace("temperature: 0.2", "temperature: 0.6");
    let env = history(env, &[&v1, &v2]);
    env.run(&["revert", AGENT, "v2"]).success();

    let diff = env.run(&["diff", AGENT, "--json"]);
    assert_eq!(
        diff.json()["agents"][0]["changes"],
        json!([{"section": "settings", "path": "model.temperature", "kind": "changed", "old": 0.6, "new": 0.2}])
    );
    let status = env.run(&["status", "--json"]);
    assert_eq!(status.json()["agents"][0]["state"], json!("modified"));
    assert_eq!(
        status.json()["agents"][0]["production"]["version"],
        json!(2)
    );

    let published = env.publish_json(&[]);
    let result = &published["results"][0];
    assert_eq!(result["version"], json!(3));
    assert_eq!(result["message"], json!("Revert v2: v2 msg"));
    let entry = &env.log_entries(&[AGENT, "-n", "1"])[0];
    let v2_id = env.log_entries(&[AGENT])[1]["change_track_id"].clone();
    assert_eq!(
        entry["reverts"],
        json!({"version": 2, "change_track_id": v2_id})
    );

    env.run(&["log", AGENT, "-n", "1"])
        .success()
        .stdout_has(&format!("Reverts:   {}", &v2_id.as_str().unwrap()[..8]));

    // The next publish is an ordinary one again.
    env.write_agent(AGENT, &v1.replace("Be brief.", "Be terse."));
    let published = env.publish_json(&[]);
    assert_eq!(
        published["results"][0]["message"],
        json!("Update instructions")
    );
    assert_eq!(
        env.log_entries(&[AGENT, "-n", "1"])[0]["reverts"],
        Value::Null
    );
}

fn an_explicit_message_wins_but_reverts_is_still_recorded(env: TestEnv) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1.replace("temperature: 0.2", "temperature: 0.6");
    let env = history(env, &[&v1, &v2]);
    env.run(&["revert", AGENT, "v2"]).success();
    let published = env.publish_json(&["-m", "Back to 0.2"]);
    assert_eq!(published["results"][0]["message"], json!("Back to 0.2"));
    assert_eq!(
        env.log_entries(&[AGENT, "-n", "1"])[0]["reverts"]["version"],
        json!(2)
    );
}

fn reverting_v1_is_refused_with_a_hint_to_restore(env: TestEnv) {
    let env = history(env, &[&agent_yaml("Bot", 0.2), &agent_yaml("Bot", 0.3)]);
    let before = staging(&env);
    for command in ["revert", "revert-preview"] {
        env.run(&[command, AGENT, "v1"])
            .code(2)
            .stderr_has("v1 created bot")
            .stderr_has("agentctl restore bot");
    }
    assert_eq!(staging(&env), before);
}

fn unknown_agent_or_ref_and_invalid_staging_are_errors_that_change_nothing(env: TestEnv) {
    let env = history(env, &[&agent_yaml("Bot", 0.2), &agent_yaml("Bot", 0.3)]);
    let store_before = env.store_state();
    env.run(&["revert", "nobody", "v2"])
        .code(2)
        .stderr_has("unknown agent `nobody`");
    env.run(&["revert", AGENT, "v7"])
        .code(2)
        .stderr_has("bot has v1 to v2");
    env.run(&["revert", AGENT, "staging"])
        .code(2)
        .stderr_has("staging is not a publish");
    env.run(&["revert", AGENT]).code(2).stderr_has("REF");

    let broken = "name: Bot\nmodel: {temperature: [\n";
    env.write_agent(AGENT, broken);
    env.run(&["revert", AGENT, "v2"])
        .code(2)
        .stderr_has("--> agents/bot.yaml:");
    assert_eq!(staging(&env), broken);

    fs::remove_file(env.root.join("agents/bot.yaml")).unwrap();
    env.run(&["revert", AGENT, "v2"])
        .code(2)
        .stderr_has("agentctl restore bot");
    assert_eq!(env.store_state(), store_before);
}

fn nothing_to_revert_writes_nothing(env: TestEnv) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1.replace("temperature: 0.2", "temperature: 0.6");
    let env = history(env, &[&v1, &v2]);
    env.write_agent(AGENT, &v1);
    let (run, value) = revert_json(&env, "revert", "v2");
    run.success().stderr_has("Nothing to revert");
    assert_eq!(value["written"], json!(false));
    assert_eq!(value["applied"], json!([]));
    env.run(&["undo"]).code(2).stderr_has("nothing to undo");
}

fn a_ref_may_be_a_change_track_id_prefix(env: TestEnv) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1.replace("temperature: 0.2", "temperature: 0.6");
    let v3 = v2.replace("Be brief.", "Be terse.");
    let env = history(env, &[&v1, &v2, &v3]);
    let id = env.log_entries(&[AGENT])[1]["change_track_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (run, value) = revert_json(&env, "revert", &id[..10]);
    run.success();
    assert_eq!(value["reverted"]["version"], json!(2));
}

fn secrets_are_masked_in_the_preview_unless_asked(env: TestEnv) {
    let v1 = "name: Bot\nauth:\n  api_key: sk-old\n";
    let v2 = "name: Bot\nauth:\n  api_key: sk-new\n";
    let env = history(env, &[v1, v2]);
    env.run(&["revert-preview", AGENT, "v2"])
        .success()
        .stdout_has("********")
        .stdout_lacks("sk-old")
        .stdout_lacks("sk-new");
    env.run(&["revert-preview", AGENT, "v2", "--show-secrets"])
        .success()
        .stdout_has("sk-old");
    let (_, value) = revert_json(&env, "revert-preview", "v2");
    assert_eq!(
        value["applied"][0]["new"],
        json!("sk-old"),
        "JSON never masks"
    );
}

proptest::proptest! {
    // Each case runs the binary a few times; the merge's own properties run thousands.
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(10))]

    /// For random histories, reverting the newest publish on clean staging gives its parent,
    /// through the whole path: store, merge, in-place edit, atomic write.
    #[test]
    fn reverting_the_newest_publish_of_a_random_history_gives_its_parent(
        steps in proptest::collection::vec((0u8..10, proptest::bool::ANY, proptest::bool::ANY), 2..5)
    ) {
        let mut yaml = agent_yaml("Bot", 0.1);
        let mut versions = vec![yaml.clone()];
        for (temperature, drop_tool, edit_text) in steps {
            yaml = agent_yaml("Bot", f64::from(temperature) / 10.0 + 0.05);
            if drop_tool {
                yaml = yaml.replace("  - name: web_search\n    description: Search the web\n", "");
            }
            if edit_text {
                yaml = yaml.replace("Be brief.", &format!("Be brief ({temperature})."));
            }
            versions.push(yaml.clone());
        }
        let texts: Vec<&str> = versions.iter().map(String::as_str).collect();
        let env = history(TestEnv::new(), &texts);
        let newest = env.log_entries(&[AGENT, "-n", "1"])[0]["version"].as_u64().unwrap();
        proptest::prop_assume!(newest >= 2);
        env.run(&["revert", AGENT, "production"]).success();
        let parent = format!("v{}", newest - 1);
        env.run(&["diff", AGENT, "--from", &parent, "--exit-code"]).success();
    }
}

fn a_file_that_cannot_be_edited_in_place_is_rewritten_with_a_warning(env: TestEnv) {
    // v2 brought `m.x` in through a merge key: there is no `x:` line to take out.
    let v1 = "name: A\nbase: &b {x: 1}\nm: {y: 2}\n";
    let v2 = "# comment\nname: A\nbase: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n";
    let env = history(env, &[v1, v2]);
    env.run(&["revert", AGENT, "v2"])
        .success()
        .stderr_has("could not be edited in place")
        .stderr_has("without its comments");
    assert_staging_is(&env, "v1");
    assert!(!staging(&env).contains("# comment"));
}

fn reverting_an_instructions_edit_of_the_example_gives_back_its_exact_bytes(env: TestEnv) {
    let example = fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agents/support-bot.yaml"),
    )
    .unwrap();
    let edited = example.replace(
        "You are the support assistant",
        "You are the friendly support assistant",
    );
    assert_ne!(edited, example);
    for (name, yaml) in [("support-bot", &example), ("support-bot", &edited)] {
        env.write_agent(name, yaml);
        env.run(&["publish", name]).success();
    }
    env.run(&["revert", "support-bot", "v2"]).success();
    let reverted = fs::read_to_string(env.root.join("agents/support-bot.yaml")).unwrap();
    assert_eq!(
        reverted, example,
        "blank lines after the instructions block stay"
    );
}

/// Issue 15 / SPEC 13 writes: reverting the publish that added one entry of a plain list
/// removes that entry's line, and every comment and quote around it stays.
fn a_plain_list_entry_reverted_out_takes_its_line_and_keeps_every_comment(env: TestEnv) {
    let v1 = "name: Bot\nfunctions:\n  - send_message\n  - 'pause_heartbeats'\n";
    let v2 =
        "name: Bot\nfunctions:\n  - send_message\n  - core_memory_append\n  - 'pause_heartbeats'\n";
    let env = history(env, &[v1, v2]);
    // Staging gains comments after the publish; the revert must not take them.
    let edited = "name: Bot\nfunctions:\n  # talking\n  - send_message\n  - core_memory_append  # memory\n  - 'pause_heartbeats'   # quoted\n";
    env.write_agent(AGENT, edited);
    env.run(&["revert", AGENT, "v2"])
        .success()
        .stderr_lacks("written whole")
        .stderr_lacks("afresh");
    assert_eq!(
        std::fs::read_to_string(env.root.join("agents/bot.yaml")).unwrap(),
        edited.replace("  - core_memory_append  # memory\n", "")
    );
}

/// Where a list must be written whole (a reorder of named items), the command says so on
/// stderr before writing.
fn a_list_written_whole_is_said_before_writing(env: TestEnv) {
    let v1 = "name: Bot\ntools:\n  - name: a\n  - name: b\n";
    let v2 = "name: Bot\ntools:\n  - name: b\n  - name: a\n";
    let env = history(env, &[v1, v2]);
    env.write_agent(
        AGENT,
        "name: Bot\ntools:\n  # second\n  - name: b\n  - name: a\n",
    );
    env.run(&["revert", AGENT, "v2"])
        .success()
        .stderr_has("`tools` was written whole, without the comments and layout inside it");
}
