//! A store that cannot be written or read as it should: a full disk (simulated with a
//! file-size limit), a truncated or corrupted file, a newer schema, another program's SQLite
//! file, a workspace whose `.agentctl` disappears. Each is a clear error with exit 2, nothing is
//! half-written, and the next command works once the cause is gone.
//!
//! SQLite only: every fault here is one of the SQLite file (PostgreSQL's server faults:
//! test_shared_store).

use std::path::Path;

use crate::common::{Run, TestEnv, agent_yaml, agentctl};

/// An agent of about 400 KB, bigger than the file-size limit the tests set even compressed:
/// its lines are pseudo-random hex, which zstd cannot shrink below half.
fn big_agent() -> String {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let prompt: String = (0..8000)
        .map(|_| {
            let words: Vec<String> = (0..3)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    format!("{state:016x}")
                })
                .collect();
            format!("  {}\n", words.join(" "))
        })
        .collect();
    format!("name: Big\ninstructions: |\n{prompt}")
}

/// Run agentctl with files limited to `kib` KiB: writes beyond fail with EFBIG (SIGXFSZ is
/// ignored, as it is inherited through exec), as on a full disk.
fn run_with_file_limit(env: &TestEnv, kib: u64, args: &[&str]) -> Run {
    let mut cmd = env.std_command(Path::new("/bin/sh"));
    cmd.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {} && exec \"$0\" \"$@\"",
            kib * 2
        ))
        .arg(agentctl())
        .args(args);
    env.run_with(&mut assert_cmd::Command::from_std(cmd))
}

#[test]
fn a_full_disk_during_publish_records_nothing_and_the_next_publish_works() {
    let env = TestEnv::new();
    env.write_agent("small", &agent_yaml("Small", 0.1));
    env.publish_json(&[]);
    env.write_agent("small", &agent_yaml("Small", 0.2));
    env.write_agent("big", &big_agent());
    let run = run_with_file_limit(&env, 100, &["publish"]);
    run.code(2)
        .stderr_has("error: cannot write the publish to the store")
        .stderr_has("the disk may be full")
        .stderr_has("help: nothing was recorded");
    // All or nothing: `small` was not published alone either.
    assert_eq!(env.history_len(None), 1);
    env.run(&["verify"]).success();
    // Space is back: the same publish goes through.
    env.run(&["publish"]).success();
    assert_eq!(env.history_len(None), 3);
    env.run(&["verify"]).success();
}

#[test]
fn a_full_disk_during_restore_leaves_the_staging_file_and_no_backup() {
    let env = TestEnv::new();
    env.write_agent("big", &big_agent());
    env.publish_json(&[]);
    // A small staging file, so its backup fits in the store; the big restored one does not.
    let edited = agent_yaml("Small now", 0.1);
    let staging = env.write_agent("big", &edited);
    let run = run_with_file_limit(&env, 300, &["restore", "big"]);
    run.code(2).stderr_has("cannot write agents/big.yaml");
    assert_eq!(std::fs::read_to_string(&staging).unwrap(), edited);
    env.run(&["undo", "big"])
        .code(2)
        .stderr_has("nothing to undo");
    let leftovers: Vec<_> = std::fs::read_dir(env.root.join("agents"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "temporary files left behind: {leftovers:?}"
    );
    env.run(&["restore", "big"]).success();
    env.run(&["undo", "big"]).success();
    assert_eq!(std::fs::read_to_string(&staging).unwrap(), edited);
}

/// A workspace with history, its store checkpointed into the one file, and a copy of it.
fn with_history() -> (TestEnv, Vec<u8>) {
    let env = TestEnv::new();
    env.copy_examples();
    env.publish_json(&[]);
    let conn = rusqlite::Connection::open(env.store()).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(conn);
    let good = std::fs::read(env.store()).unwrap();
    (env, good)
}

fn assert_damage_reported(env: &TestEnv) {
    let damaged = std::fs::read(env.store()).unwrap();
    for args in [&["log"][..], &["status"], &["publish"], &["diff"]] {
        let run = env.run(args);
        run.code(2)
            .stderr_has("error: the store")
            .stderr_has("damaged");
        assert!(!run.stderr.contains("panicked"), "{}", run.show());
    }
    let verify = env.run(&["verify"]);
    assert!(matches!(verify.code, 1 | 2), "{}", verify.show());
    assert!(
        verify.stderr.contains("damaged") || !verify.stdout.is_empty(),
        "{}",
        verify.show()
    );
    assert_eq!(
        std::fs::read(env.store()).unwrap(),
        damaged,
        "the damaged store was written to"
    );
}

#[test]
fn a_truncated_store_is_reported_and_left_alone() {
    let (env, good) = with_history();
    std::fs::write(env.store(), &good[..good.len() / 2]).unwrap();
    assert_damage_reported(&env);
    std::fs::write(env.store(), &good).unwrap();
    env.run(&["verify"]).success();
    env.run(&["log"]).success();
}

#[test]
fn a_corrupted_store_is_reported_and_left_alone() {
    let (env, good) = with_history();
    let mut bad = good.clone();
    // Leave page 1 (the header) alone and scramble the rest.
    for i in (4096 + 100..bad.len()).step_by(97) {
        bad[i] = bad[i].wrapping_mul(7).wrapping_add(3);
    }
    std::fs::write(env.store(), &bad).unwrap();
    assert_damage_reported(&env);
    std::fs::write(env.store(), &good).unwrap();
    env.run(&["publish"]).success();
}

#[test]
fn a_newer_store_is_refused_until_agentctl_catches_up() {
    let (env, _) = with_history();
    let conn = rusqlite::Connection::open(env.store()).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    conn.pragma_update(None, "user_version", version + 1)
        .unwrap();
    let before = env.store_state();
    for args in [
        &["log"][..],
        &["publish"],
        &["verify"],
        &["restore", "support-bot"],
    ] {
        env.run(args).code(2).stderr_has("newer than this agentctl");
    }
    assert_eq!(env.store_state(), before);
    conn.pragma_update(None, "user_version", version).unwrap();
    env.run(&["verify"]).success();
}

#[test]
fn another_programs_sqlite_file_is_refused_and_left_alone() {
    let env = TestEnv::new();
    env.copy_examples();
    let foreign = env.tmp.path().join("app.db");
    let conn = rusqlite::Connection::open(&foreign).unwrap();
    // Another application's mark, even on tables named like ours.
    conn.execute_batch(
        "PRAGMA application_id = 42; CREATE TABLE history (x); INSERT INTO history VALUES (1);",
    )
    .unwrap();
    drop(conn);
    let before = std::fs::read(&foreign).unwrap();
    let store = foreign.to_str().unwrap();
    for args in [
        &["--store", store, "publish"][..],
        &["--store", store, "verify"],
        &["--store", store, "log"],
    ] {
        env.run(args)
            .code(2)
            .stderr_has("is not an agentctl store")
            .stderr_has("belongs to another program");
    }
    assert_eq!(std::fs::read(&foreign).unwrap(), before);
    assert!(!env.tmp.path().join("app.db-wal").exists());
}

#[test]
fn a_workspace_whose_state_folder_disappears_says_so_and_recovers() {
    let (env, _) = with_history();
    let state = env.root.join(".agentctl");
    let aside = env.tmp.path().join("agentctl-aside");
    std::fs::rename(&state, &aside).unwrap();
    for args in [
        &["status"][..],
        &["publish"],
        &["restore", "support-bot"],
        &["verify"],
    ] {
        env.run(args)
            .code(2)
            .stderr_has("not inside an agentctl workspace")
            .stderr_has("agentctl init");
    }
    // The folder is back but its store is not: that is lost history, not a fresh start.
    std::fs::create_dir(&state).unwrap();
    for args in [&["status"][..], &["publish"], &["log"]] {
        env.run(args)
            .code(2)
            .stderr_has("store .agentctl/store.db is missing");
    }
    assert!(
        !state.join("store.db").exists(),
        "an empty store was made in its place"
    );
    std::fs::remove_dir(&state).unwrap();
    std::fs::rename(&aside, &state).unwrap();
    env.run(&["verify"]).success();
    env.run(&["status"]).success();
}
