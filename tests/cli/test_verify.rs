//! `agentctl verify`: a sound store passes; each kind of edit made to the store (SQLite or
//! PostgreSQL) behind agentctl's back is named with its agent, version and what is wrong, exit 1.

use crate::common::{TestEnv, agent_yaml, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only:
// `verify_works_on_a_store_given_with_store_outside_a_workspace` is about a `--store` file.
on_both_stores!(
    a_sound_store_verifies,
    an_empty_store_verifies,
    an_edited_snapshot_is_named,
    a_missing_snapshot_is_named,
    a_broken_parent_link_is_named,
    a_deleted_entry_is_a_version_gap,
    an_edited_author_message_or_time_is_named,
    history_edits_are_refused_and_verify_still_passes,
    an_edited_missing_or_added_recorded_change_is_named,
    edited_per_line_versions_are_named,
);

/// A workspace with three publishes of `a` and one of `b`.
fn history(env: TestEnv) -> TestEnv {
    for (i, temperature) in [0.1, 0.2, 0.3].into_iter().enumerate() {
        env.write_agent("a", &agent_yaml("A", temperature));
        if i == 0 {
            env.write_agent("b", &agent_yaml("B", 0.5));
        }
        env.publish_json(&["-m", &format!("publish {i}")]);
    }
    env
}

/// `verify --json` must exit 1; its problems as (agent, version, kind).
fn problems(env: &TestEnv) -> Vec<(String, u64, String)> {
    let run = env.run(&["verify", "--json"]);
    run.code(1);
    let json = run.json();
    assert_eq!(json["ok"], false, "{}", run.show());
    json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["agent"].as_str().unwrap_or("-").to_owned(),
                p["version"].as_u64().unwrap_or(0),
                p["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn at(agent: &str, version: u64, kind: &str) -> (String, u64, String) {
    (agent.to_owned(), version, kind.to_owned())
}

fn a_sound_store_verifies(env: TestEnv) {
    let env = history(env);
    let run = env.run(&["verify"]);
    run.success()
        .stderr_has("Verified")
        .stderr_has("4 entries of 2 agents");
    assert_eq!(run.stdout, "");
    let run = env.run(&["verify", "--json"]);
    run.success();
    let json = run.json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["agents"], 2);
    assert_eq!(json["entries"], 4);
    assert_eq!(json["problems"], serde_json::json!([]));
}

fn an_empty_store_verifies(env: TestEnv) {
    env.run(&["verify"]).success().stderr_has("0 entries");
}

fn an_edited_author_message_or_time_is_named(env: TestEnv) {
    for column in ["author", "message", "published_at"] {
        let env = history(env.another());
        env.tamper(&format!(
            "UPDATE history SET {column} = 'x' WHERE agent = 'a' AND version = 2"
        ));
        assert_eq!(problems(&env), [at("a", 2, "change_track_id")], "{column}");
        let run = env.run(&["verify"]);
        run.code(1)
            .stdout_has("a v2: ")
            .stdout_has("edited")
            .stderr_has("1 problem found");
    }
}

fn an_edited_snapshot_is_named(env: TestEnv) {
    let env = history(env);
    // Either store may hold the snapshot as a delta against another.
    env.tamper(
        r#"UPDATE snapshots SET content = '{"name":"Evil"}', frame = NULL, base = NULL
           WHERE hash = (SELECT snapshot FROM history WHERE agent = 'a' AND version = 3)"#,
    );
    assert_eq!(problems(&env), [at("a", 3, "snapshot_hash")]);
    env.run(&["verify"])
        .code(1)
        .stdout_has("a v3: its snapshot")
        .stdout_has("was edited");
}

fn a_missing_snapshot_is_named(env: TestEnv) {
    let env = history(env);
    env.tamper(
        "DELETE FROM snapshots WHERE hash = (SELECT snapshot FROM history WHERE agent = 'b')",
    );
    assert_eq!(problems(&env), [at("b", 1, "snapshot_missing")]);
}

fn a_broken_parent_link_is_named(env: TestEnv) {
    let env = history(env);
    // Point v3 at v1, and recompute nothing: the parent is wrong and so is the id.
    env.tamper("UPDATE history SET parent = (SELECT change_track_id FROM history WHERE agent = 'a' AND version = 1)
         WHERE agent = 'a' AND version = 3",
    );
    assert_eq!(
        problems(&env),
        [at("a", 3, "parent"), at("a", 3, "change_track_id")]
    );
    env.run(&["verify"])
        .code(1)
        .stdout_has("a v3: its parent is");
}

fn a_deleted_entry_is_a_version_gap(env: TestEnv) {
    let env = history(env);
    env.tamper("DELETE FROM history WHERE agent = 'a' AND version = 2");
    assert_eq!(problems(&env), [at("a", 3, "version_gap")]);
    env.run(&["verify"])
        .code(1)
        .stdout_has("a v3: v2 is missing");
}

#[test]
fn verify_works_on_a_store_given_with_store_outside_a_workspace() {
    let env = history(TestEnv::new());
    let outside = env.tmp.path().join("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    let run = env.run_with(env.command().current_dir(&outside).args([
        "--store",
        env.store().to_str().unwrap(),
        "verify",
    ]));
    run.success().stderr_has("sound");
    let missing = env.tmp.path().join("missing.db");
    env.run(&["--store", missing.to_str().unwrap(), "verify"])
        .code(2)
        .stderr_has("does not exist");
    assert!(!missing.exists());
}

/// Run one statement on the store as a plain client would (no trigger dropped, no replication
/// role): the error text when the store refuses it.
fn direct(env: &TestEnv, sql: &str) -> Result<(), String> {
    if let Some(mut session) = env.postgres_session() {
        return session.batch_execute(sql).map_err(|e| {
            e.as_db_error()
                .map_or_else(|| e.to_string(), |db| db.message().to_owned())
        });
    }
    let conn = rusqlite::Connection::open(env.store()).unwrap();
    conn.execute_batch(sql).map_err(|e| e.to_string())
}

/// Both stores are append-only beneath agentctl: a direct UPDATE or DELETE of an entry or a
/// recorded change (and on PostgreSQL of a snapshot) is refused by the store itself, and
/// leaves it as it was, so `verify` still passes.
fn history_edits_are_refused_and_verify_still_passes(env: TestEnv) {
    let env = history(env);
    let before = env.store_state();
    let mut edits = vec![
        (
            "publish history is",
            "UPDATE history SET author = 'mallory' WHERE version = 2",
        ),
        (
            "publish history is",
            "DELETE FROM history WHERE agent = 'b'",
        ),
        (
            "recorded changes are",
            "UPDATE changes SET version = version + 1",
        ),
        ("recorded changes are", "DELETE FROM changes"),
    ];
    if env.postgres_session().is_some() {
        edits.extend([
            ("snapshots are", "UPDATE snapshots SET content = 'x'"),
            ("snapshots are", "DELETE FROM snapshots"),
            ("snapshots are", "UPDATE snapshot_frames SET frame = 'x'"),
            ("snapshots are", "DELETE FROM snapshot_frames"),
        ]);
    }
    for (what, sql) in edits {
        let refused = direct(&env, sql).expect_err(sql);
        assert!(
            refused.contains(&format!("{what} append-only")),
            "{sql}: {refused}"
        );
    }
    assert!(
        env.store_state() == before,
        "a refused edit changed the store"
    );
    let run = env.run(&["verify", "--json"]);
    run.success();
    assert_eq!(run.json()["ok"], true, "{}", run.show());
}

/// Issue 14, item 8: the recorded changes that `blame` and `log --touching` answer from are
/// recomputed from the snapshots; an edited, deleted or added row is named.
fn an_edited_missing_or_added_recorded_change_is_named(env: TestEnv) {
    let env = history(env);
    env.tamper(
        "UPDATE changes SET kind = 'added'
         WHERE agent = 'a' AND version = 2 AND path = 'model.temperature'",
    );
    assert_eq!(problems(&env), [at("a", 2, "recorded_changes")]);
    let run = env.run(&["verify"]);
    run.code(1).stdout_has("a v2: its recorded changes");
    run.stdout_has("`model.temperature` was edited");

    env.tamper(
        "DELETE FROM changes WHERE agent = 'a' AND version = 3 AND path = 'model.temperature';
         INSERT INTO changes (agent, version, path, kind) VALUES ('b', 1, 'forged', 'added');",
    );
    assert_eq!(
        problems(&env),
        [
            at("a", 2, "recorded_changes"),
            at("a", 3, "recorded_changes"),
            at("b", 1, "recorded_changes"),
        ]
    );
}

/// Issue 14, item 8: the per-line versions per-line blame reads are recomputed too, from the
/// agent's earlier records as publish carried them over.
fn edited_per_line_versions_are_named(env: TestEnv) {
    let text =
        |b: &str, c: &str| format!("name: M\ninstructions: |\n  line a\n  line {b}\n  line {c}\n");
    for (b, c) in [("b", "c"), ("B", "c"), ("B", "C")] {
        env.write_agent("m", &text(b, c));
        env.run(&["publish", "m"]).success();
    }
    let lines = env.run(&["blame", "m", "--json"]).json()["lines"]["instructions"].clone();
    let versions: Vec<_> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["version"].clone())
        .collect();
    assert_eq!(versions, [1, 2, 3], "{lines}");
    env.run(&["verify"]).success();

    // Line C said to come from v1: blame would give v1 the credit.
    env.tamper(
        "UPDATE changes SET lines = '[1,2,1]'
         WHERE agent = 'm' AND version = 3 AND path = 'instructions'",
    );
    assert_eq!(problems(&env), [at("m", 3, "recorded_changes")]);
    env.run(&["verify"])
        .code(1)
        .stdout_has("the per-line versions of `instructions` were edited");
}
