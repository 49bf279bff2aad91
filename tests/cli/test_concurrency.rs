//! Several agentctl processes at once: publishers queue on the store's write lock (never
//! "database is locked"), give up after `--lock-timeout` with a clear message, and staging
//! rewrites (revert, restore, undo) are serialised by the workspace lock.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::common::{TestEnv, agent_yaml, agentctl, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only: the rest is about SQLite's
// write lock (held with rusqlite, shared by processes, a new file's first users); PostgreSQL's
// concurrency: test_shared_store.
on_both_stores!(staging_rewrites_give_up_after_the_lock_timeout);

fn long() -> bool {
    std::env::var_os("AGENTCTL_LONG_TESTS").is_some_and(|v| !v.is_empty() && v != "0")
}

fn spawn(env: &TestEnv, dir: &Path, args: &[&str]) -> Child {
    env.std_command(agentctl())
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait for every child; each must succeed without a word about locks.
#[track_caller]
fn all_succeed(children: Vec<Child>) {
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(
            !stderr.contains("locked") && !stderr.contains("busy"),
            "{stderr}"
        );
    }
}

#[test]
#[allow(clippy::print_stderr)]
fn rounds_of_eight_publishers_lose_nothing_and_duplicate_nothing() {
    let env = TestEnv::new();
    let store = env.tmp.path().join("shared.db");
    let store_arg = store.to_str().unwrap().to_owned();
    // One workspace where four processes publish the same staging of `same`, and four
    // workspaces that each publish their own staging of `shared`; all into one store.
    let own: Vec<PathBuf> = (0..4)
        .map(|i| {
            let dir = env.tmp.path().join(format!("ws{i}"));
            std::fs::create_dir_all(dir.join("agents")).unwrap();
            std::fs::create_dir_all(dir.join(".agentctl")).unwrap();
            dir
        })
        .collect();
    let rounds = if long() { 40 } else { 4 };
    for round in 0..rounds {
        env.write_agent("same", &agent_yaml("Same", f64::from(round) / 100.0));
        for (i, dir) in own.iter().enumerate() {
            let temperature = f64::from(round * 4 + i as u32) / 1000.0;
            std::fs::write(
                dir.join("agents/shared.yaml"),
                agent_yaml("Shared", temperature),
            )
            .unwrap();
        }
        let mut children = Vec::new();
        for dir in &own {
            children.push(spawn(
                &env,
                &env.root,
                &["--store", &store_arg, "publish", "same"],
            ));
            children.push(spawn(
                &env,
                dir,
                &["--store", &store_arg, "publish", "-m", "own"],
            ));
        }
        all_succeed(children);
    }
    let log = |agent: &str| {
        let run = env.run(&["--store", &store_arg, "log", agent, "--json"]);
        run.success();
        run.json()["entries"].as_array().unwrap().clone()
    };
    // Identical staging published four times at once: one entry per round, not four.
    assert_eq!(log("same").len(), rounds as usize);
    // Four different stagings per round: every one of them recorded.
    let shared = log("shared");
    let versions: Vec<u64> = shared
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, (1..=rounds as u64 * 4).rev().collect::<Vec<_>>());
    env.run(&["--store", &store_arg, "verify"]).success();
    eprintln!("concurrency: {rounds} rounds of 8 publishers into one store");
}

/// Hold the store's write lock from this process until the returned connection is dropped.
fn hold_write_lock(store: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(store).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn
}

#[test]
fn a_writer_gives_up_after_the_lock_timeout_with_a_clear_message() {
    let env = TestEnv::new();
    env.write_agent("a", &agent_yaml("A", 0.1));
    let lock = hold_write_lock(&env.store());
    let start = Instant::now();
    let run = env.run(&["--lock-timeout", "700ms", "publish"]);
    let waited = start.elapsed();
    run.code(2)
        .stderr_has("is busy: another agentctl has been writing to it for more than 700ms")
        .stderr_has("--lock-timeout");
    assert!(!run.stderr.contains("database is locked"), "{}", run.show());
    assert!(waited >= Duration::from_millis(700), "{waited:?}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    drop(lock);
    assert_eq!(env.history_len(None), 0);
    env.run(&["publish"]).success();
}

#[test]
fn a_writer_waits_for_a_lock_released_within_the_timeout() {
    let env = TestEnv::new();
    env.write_agent("a", &agent_yaml("A", 0.1));
    let lock = hold_write_lock(&env.store());
    let child = spawn(&env, &env.root, &["--lock-timeout", "30s", "publish"]);
    std::thread::sleep(Duration::from_millis(500));
    drop(lock);
    all_succeed(vec![child]);
    assert_eq!(env.history_len(Some("a")), 1);
}

#[test]
fn a_bad_lock_timeout_is_refused() {
    let env = TestEnv::new();
    env.run(&["--lock-timeout", "soon", "publish"])
        .code(2)
        .stderr_has("--lock-timeout");
}

fn staging_rewrites_give_up_after_the_lock_timeout(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    env.write_agent("a", &agent_yaml("A", 0.2));
    env.publish_json(&[]);
    let before = std::fs::read(env.root.join("agents/a.yaml")).unwrap();
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(env.root.join(".agentctl/lock"))
        .or_else(|_| std::fs::File::create(env.root.join(".agentctl/lock")))
        .unwrap();
    lock.lock().unwrap();
    for args in [
        &["restore", "a", "v1"][..],
        &["revert", "a", "v2"],
        &["undo", "a"],
    ] {
        let mut all = vec!["--lock-timeout", "300ms"];
        all.extend_from_slice(args);
        env.run(&all)
            .code(2)
            .stderr_has("the workspace is locked")
            .stderr_has("--lock-timeout");
    }
    assert_eq!(
        std::fs::read(env.root.join("agents/a.yaml")).unwrap(),
        before
    );
    drop(lock);
    env.run(&["restore", "a", "v1"]).success();
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn concurrent_restores_and_reverts_of_one_file_are_serialised() {
    let env = TestEnv::new();
    let staging = env.root.join("agents/a.yaml");
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    env.write_agent("a", &agent_yaml("A", 0.2));
    env.publish_json(&[]);
    env.write_agent(
        "a",
        &agent_yaml("A", 0.2).replace("Helps with tests", "Helps more"),
    );
    env.publish_json(&[]);
    let original = b"# hand edited\n"
        .iter()
        .chain(agent_yaml("A", 0.7).as_bytes())
        .copied()
        .collect::<Vec<u8>>();
    std::fs::write(&staging, &original).unwrap();

    let operations: [&[&str]; 4] = [
        &["restore", "a", "v1"],
        &["restore", "a", "v3"],
        &["revert", "a", "v3"],
        &["restore", "a", "v2"],
    ];
    let children: Vec<Child> = (0..8)
        .map(|i| spawn(&env, &env.root, operations[i % operations.len()]))
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        // A revert may conflict with what an earlier restore left (exit 1); nothing else.
        assert!(matches!(output.status.code(), Some(0 | 1)), "{stderr}");
        assert!(
            !stderr.contains("locked") && !stderr.contains("busy"),
            "{stderr}"
        );
    }
    // Serialised: each rewrite found exactly the file the one before it wrote.
    let conn = rusqlite::Connection::open(env.store()).unwrap();
    let backups: Vec<(Vec<u8>, String)> = conn
        .prepare("SELECT previous, written FROM staging_backups ORDER BY id")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(!backups.is_empty());
    assert_eq!(backups[0].0, original);
    for pair in backups.windows(2) {
        assert_eq!(
            sha256(&pair[1].0),
            pair[0].1,
            "a rewrite did not see the one before it"
        );
    }
    assert_eq!(
        sha256(&std::fs::read(&staging).unwrap()),
        backups.last().unwrap().1
    );
    // And undo walks all the way back to the hand-edited file.
    for _ in &backups {
        env.run(&["undo", "a"]).success();
    }
    assert_eq!(std::fs::read(&staging).unwrap(), original);
}

/// Eight publishers meeting a store file that does not exist yet: one creates it, the others
/// wait for it. SQLite does not wait by itself while another connection is switching a new
/// file to WAL, so without a retry some of them failed at once with "busy".
#[test]
fn eight_first_publishers_of_a_new_store_all_succeed() {
    let env = TestEnv::new();
    let dirs: Vec<PathBuf> = (0..8)
        .map(|i| {
            let dir = env.tmp.path().join(format!("first{i}"));
            env.run_with(env.command().args(["init", dir.to_str().unwrap()]))
                .success();
            dir
        })
        .collect();
    for round in 0..10 {
        let store = env.tmp.path().join(format!("new-{round}.db"));
        let store_arg = store.display().to_string();
        let children = dirs
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                std::fs::write(
                    dir.join("agents/bot.yaml"),
                    agent_yaml("Bot", f64::from(i as u32) / 10.0),
                )
                .unwrap();
                spawn(
                    &env,
                    dir,
                    &["--store", &store_arg, "publish", "-m", "first"],
                )
            })
            .collect();
        all_succeed(children);
        let run = env.run(&["--store", &store_arg, "log", "bot", "--json"]);
        run.success();
        assert_eq!(
            run.json()["entries"].as_array().unwrap().len(),
            8,
            "round {round}"
        );
    }
}
