//! restore and undo, and the workspace lock that keeps staging writers apart.

use std::fs;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::json;

use crate::common::{TestEnv, agent_yaml, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only: the proptest runs the binary
// dozens of times for the merge's sake; its store part is the same as the scenarios'.
on_both_stores!(
    restore_discards_staging_edits_and_undo_brings_them_back,
    restore_to_an_older_publish_keeps_comments_and_can_recreate_a_missing_file,
    restore_replaces_an_invalid_staging_file,
    restore_when_staging_already_matches_writes_nothing,
    restore_errors_change_nothing,
    undo_refuses_when_the_file_was_edited_since,
    undo_of_a_revert_forgets_the_pending_revert,
    a_restore_that_changes_nothing_still_ends_a_pending_revert,
    undo_steps_back_one_overwrite_at_a_time_and_names_the_agent,
    a_staging_link_leading_outside_the_workspace_is_not_replaced,
    a_staging_writer_waits_for_the_workspace_lock
);

const AGENT: &str = "bot";

fn two_publishes(env: TestEnv) -> (TestEnv, String, String) {
    let v1 = agent_yaml("Bot", 0.2);
    let v2 = v1.replace("temperature: 0.2", "temperature: 0.6");
    for yaml in [&v1, &v2] {
        env.write_agent(AGENT, yaml);
        env.run(&["publish", AGENT]).success();
    }
    (env, v1, v2)
}

fn staging_path(env: &TestEnv) -> std::path::PathBuf {
    env.root.join("agents/bot.yaml")
}

fn staging(env: &TestEnv) -> Vec<u8> {
    fs::read(staging_path(env)).unwrap()
}

fn restore_discards_staging_edits_and_undo_brings_them_back(env: TestEnv) {
    let (env, _, v2) = two_publishes(env);
    let edited = format!(
        "{}# my note\nextra: true\n",
        v2.replace("Be brief.", "Be long.")
    );
    env.write_agent(AGENT, &edited);

    let run = env.run(&["restore", AGENT, "--json"]);
    run.success();
    let value = run.json();
    assert_eq!(value["restored"]["version"], json!(2));
    assert_eq!(value["written"], json!(true));
    assert_eq!(value["applied"].as_array().unwrap().len(), 2);
    env.run(&["diff", AGENT, "--exit-code"]).success();
    assert_eq!(
        env.run(&["status", "--json"]).json()["agents"][0]["state"],
        json!("clean")
    );

    env.run(&["undo"])
        .success()
        .stderr_has("Undone the `restore` of bot");
    assert_eq!(staging(&env), edited.as_bytes(), "the exact bytes are back");

    // The human view names the agent and the publish first, as revert's does.
    let run = env.run(&["restore", AGENT]);
    run.success();
    assert!(
        run.stdout.starts_with("bot: restore v2 ("),
        "{}",
        run.show()
    );
}

fn restore_to_an_older_publish_keeps_comments_and_can_recreate_a_missing_file(env: TestEnv) {
    let (env, v1, _) = two_publishes(env);
    env.run(&["restore", AGENT, "v1"])
        .success()
        .stdout_has("model.temperature")
        .stderr_has("Restored agents/bot.yaml to v1 of bot");
    assert_eq!(
        staging(&env),
        v1.as_bytes(),
        "comments kept: only the value changed"
    );

    // Rewrites keep the file's permissions; a file made anew is readable by all, as an
    // editor would make it.
    use std::os::unix::fs::PermissionsExt;
    let mode = |env: &TestEnv| {
        fs::metadata(staging_path(env))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    fs::set_permissions(staging_path(&env), fs::Permissions::from_mode(0o640)).unwrap();
    env.run(&["restore", AGENT]).success();
    assert_eq!(mode(&env), 0o640);

    fs::remove_file(staging_path(&env)).unwrap();
    env.run(&["restore", AGENT]).success();
    env.run(&["diff", AGENT, "--exit-code"]).success();
    assert_eq!(mode(&env), 0o644);
    // Undo of a restore that created the file deletes it again.
    env.run(&["undo", AGENT])
        .success()
        .stderr_has("deleted (there was none before)");
    assert!(!staging_path(&env).exists());
}

fn restore_replaces_an_invalid_staging_file(env: TestEnv) {
    let (env, _, _) = two_publishes(env);
    let broken = "name: Bot\nmodel: [\n";
    env.write_agent(AGENT, broken);
    env.run(&["restore", AGENT]).success();
    env.run(&["diff", AGENT, "--exit-code"]).success();
    env.run(&["undo"]).success();
    assert_eq!(staging(&env), broken.as_bytes());
}

fn restore_when_staging_already_matches_writes_nothing(env: TestEnv) {
    let (env, _, _) = two_publishes(env);
    let before = staging(&env);
    let run = env.run(&["restore", AGENT, "--json"]);
    run.success().stderr_has("Nothing to restore");
    assert_eq!(run.json()["written"], json!(false));
    assert_eq!(staging(&env), before);
    env.run(&["undo"]).code(2).stderr_has("nothing to undo");
}

fn restore_errors_change_nothing(env: TestEnv) {
    let (env, _, _) = two_publishes(env);
    let before = staging(&env);
    let store_before = env.store_state();
    env.run(&["restore", AGENT, "v9"])
        .code(2)
        .stderr_has("bot has v1 to v2");
    env.run(&["restore", "ghost"])
        .code(2)
        .stderr_has("unknown agent `ghost`");
    env.run(&["restore", AGENT, "staging"])
        .code(2)
        .stderr_has("staging is not a publish");
    assert_eq!(staging(&env), before);
    assert_eq!(env.store_state(), store_before);
}

fn undo_refuses_when_the_file_was_edited_since(env: TestEnv) {
    let (env, _, _) = two_publishes(env);
    env.run(&["revert", AGENT, "v2"]).success();
    let later = b"name: Bot\n# edited after the revert\n";
    fs::write(staging_path(&env), later).unwrap();
    env.run(&["undo", AGENT])
        .code(2)
        .stderr_has("changed after the `revert`")
        .stderr_has("agentctl restore bot");
    assert_eq!(staging(&env), later, "the later edit is kept");
}

fn undo_of_a_revert_forgets_the_pending_revert(env: TestEnv) {
    let (env, _, v2) = two_publishes(env);
    env.write_agent(AGENT, &v2.replace("Be brief.", "Be terse."));
    env.run(&["revert", AGENT, "v2"]).success();
    env.run(&["undo", AGENT]).success();
    let published = env.publish_json(&[]);
    assert_eq!(
        published["results"][0]["message"],
        json!("Update instructions")
    );
    assert_eq!(
        env.log_entries(&[AGENT, "-n", "1"])[0]["reverts"],
        json!(null)
    );
}

// SPEC 6: a restore ends the "came from a revert" state, even one that finds nothing to write
// (issue 14, item 3).
fn a_restore_that_changes_nothing_still_ends_a_pending_revert(env: TestEnv) {
    let (env, _, _) = two_publishes(env);
    env.run(&["revert", AGENT, "v2"]).success();
    env.run(&["restore", AGENT, "v1"])
        .success()
        .stderr_has("Nothing to restore");
    let published = env.publish_json(&[]);
    assert_eq!(published["results"][0]["version"], json!(3));
    let message = published["results"][0]["message"].as_str().unwrap();
    assert!(!message.starts_with("Revert"), "{published}");
    assert_eq!(
        env.log_entries(&[AGENT, "-n", "1"])[0]["reverts"],
        json!(null)
    );
}

fn undo_steps_back_one_overwrite_at_a_time_and_names_the_agent(env: TestEnv) {
    let (env, _, v2) = two_publishes(env);
    let original = staging(&env);
    env.run(&["revert", AGENT, "v2"]).success();
    let after_revert = staging(&env);
    env.run(&["restore", AGENT]).success();
    let run = env.run(&["undo", "--json"]);
    run.success();
    assert_eq!(
        run.json(),
        json!({"agent": "bot", "undone": "restore", "file": "agents/bot.yaml", "written": true})
    );
    assert_eq!(staging(&env), after_revert);
    env.run(&["undo"]).success().stderr_has("`revert` of bot");
    assert_eq!(staging(&env), original);
    assert_eq!(original, v2.as_bytes());
    env.run(&["undo"]).code(2).stderr_has("nothing to undo");
    env.run(&["undo", "other"])
        .code(2)
        .stderr_has("nothing to undo");
    env.run(&["undo", "../x"])
        .code(2)
        .stderr_has("not a valid agent id");
}

fn a_staging_writer_waits_for_the_workspace_lock(env: TestEnv) {
    let (env, _, _) = two_publishes(env);
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.root.join(".agentctl/lock"))
        .unwrap();
    lock.lock().unwrap();
    let mut child = env
        .std_command(crate::common::agentctl())
        .args(["revert", AGENT, "v2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "revert must wait while another process holds the lock"
    );
    lock.unlock().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "revert never finished"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    env.run(&["diff", AGENT, "--from", "v1", "--exit-code"])
        .success();
}

proptest! {
    // Each case runs the binary a few times; a handful of cases covers the shapes.
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// revert then undo gives the original bytes, whatever staging held.
    #[test]
    fn revert_then_undo_gives_the_original_bytes(
        temperature in 1u8..9,
        note in "[a-z ]{0,12}",
        edit_instructions in any::<bool>(),
    ) {
        let (env, _, v2) = two_publishes(TestEnv::new());
        let mut text = v2.replace("# A test agent", &format!("# {note}"));
        if edit_instructions {
            text = text.replace("Be brief.", "Be brief, really.");
        }
        text = text.replace("name: web_search", &format!("name: web_search\n    timeout: {temperature}"));
        env.write_agent(AGENT, &text);
        env.run(&["revert", AGENT, "v2"]).success();
        prop_assert_ne!(staging(&env), text.as_bytes().to_vec());
        env.run(&["undo"]).success();
        prop_assert_eq!(staging(&env), text.as_bytes().to_vec());
    }
}

fn a_staging_link_leading_outside_the_workspace_is_not_replaced(env: TestEnv) {
    let (env, _, v2) = two_publishes(env);
    let real = env.tmp.path().join("elsewhere.yaml");
    fs::write(&real, &v2).unwrap();
    fs::remove_file(staging_path(&env)).unwrap();
    std::os::unix::fs::symlink(&real, staging_path(&env)).unwrap();
    let store_before = env.store_state();
    for command in [&["revert", AGENT, "v2"][..], &["restore", AGENT, "v1"]] {
        env.run(command)
            .code(2)
            .stderr_has("leads outside the workspace");
        assert!(
            fs::symlink_metadata(staging_path(&env))
                .unwrap()
                .file_type()
                .is_symlink(),
            "the link stays a link"
        );
        assert_eq!(
            fs::read_to_string(&real).unwrap(),
            v2,
            "its target is untouched"
        );
    }
    assert_eq!(env.store_state(), store_before, "no backup was recorded");
}
