//! `kill -9` at random moments of publish, revert, restore and undo. Afterwards the store
//! opens and verifies, every publish is wholly recorded or absent, versions have no gaps, and
//! the staging file holds its old bytes or its new ones, never a mix; what a revert or restore
//! overwrote can always be brought back with `undo`.
//!
//! The short variant runs in `cargo test`; `AGENTCTL_LONG_TESTS=1` runs hundreds of kills.
//! `AGENTCTL_TEST_SEED` replays a run (the seed is printed when a check fails).
//!
//! SQLite only: killing a process mid-write is about the SQLite file and its journal
//! (PostgreSQL's: `a_killed_publisher_leaves_no_lock_on_postgres` in test_shared_store).

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{TestEnv, agent_yaml, agentctl};

fn long() -> bool {
    std::env::var_os("AGENTCTL_LONG_TESTS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// xorshift64*: enough randomness for kill moments, no dependency.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("AGENTCTL_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

fn spawn(env: &TestEnv, args: &[&str]) -> Child {
    env.std_command(agentctl())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Start `args`, SIGKILL it after `delay` (if it is still running); whether it was killed.
fn kill_after(env: &TestEnv, args: &[&str], delay: Duration) -> bool {
    let mut child = spawn(env, args);
    std::thread::sleep(delay);
    let killed = child.try_wait().unwrap().is_none();
    if killed {
        child.kill().unwrap();
    }
    child.wait().unwrap();
    killed
}

/// How long `args` takes when left alone: kill moments are drawn from 0 to 1.5 times this.
fn duration_of(env: &TestEnv, args: &[&str]) -> Duration {
    let start = Instant::now();
    env.run(args).success();
    start.elapsed()
}

/// The store opens, verifies, and each agent's versions run from 1 without gaps, chained.
fn assert_history_sound(env: &TestEnv, seed: u64) -> Vec<Value> {
    let verify = env.run(&["verify"]);
    assert_eq!(verify.code, 0, "seed {seed}\n{}", verify.show());
    let entries = env.log_entries(&[]);
    let mut agents: Vec<&str> = entries
        .iter()
        .map(|e| e["agent"].as_str().unwrap())
        .collect();
    agents.sort_unstable();
    agents.dedup();
    for agent in agents {
        let history = env.log_entries(&[agent]);
        let versions: Vec<u64> = history
            .iter()
            .map(|e| e["version"].as_u64().unwrap())
            .collect();
        let expected: Vec<u64> = (1..=versions.len() as u64).rev().collect();
        assert_eq!(versions, expected, "seed {seed}: {agent} has gaps");
    }
    entries
}

#[test]
#[allow(clippy::print_stderr)]
fn publish_survives_kill_9_at_any_moment() {
    let mut rng = Rng::new();
    let seed = rng.0;
    let env = TestEnv::new();
    env.write_agent("a", &agent_yaml("A", 0.0));
    env.write_agent("b", &agent_yaml("B", 0.0));
    let typical = duration_of(&env, &["publish", "-m", "first"]);
    let rounds = if long() { 300 } else { 25 };
    let (mut killed, mut recorded) = (0, 0);
    for round in 1..=rounds {
        let temperature = f64::from(round) / 1000.0;
        env.write_agent("a", &agent_yaml("A", temperature));
        env.write_agent("b", &agent_yaml("B", temperature));
        let message = format!("round {round}");
        let delay = Duration::from_micros(rng.below(typical.as_micros() as u64 * 3 / 2));
        killed += u32::from(kill_after(
            &env,
            &["publish", "-m", &message, "a", "b"],
            delay,
        ));

        let entries = assert_history_sound(&env, seed);
        // One transaction for both agents: both recorded or neither.
        let mut with_message: Vec<&str> = entries
            .iter()
            .filter(|e| e["message"] == message.as_str())
            .map(|e| e["agent"].as_str().unwrap())
            .collect();
        with_message.sort_unstable();
        assert!(
            with_message.is_empty() || with_message == ["a", "b"],
            "seed {seed}: round {round} recorded {with_message:?}"
        );
        recorded += u32::from(!with_message.is_empty());
    }
    // A kill may leave nothing behind that stops the next publish.
    env.write_agent("a", &agent_yaml("A", 0.999));
    env.run(&["publish", "a"]).success();
    assert_history_sound(&env, seed);
    eprintln!(
        "kill -9 of publish: {rounds} rounds, {killed} killed mid-run, {recorded} recorded whole, \
         the rest absent (seed {seed})"
    );
}

/// The newest backup's `previous` bytes, straight from the store.
fn newest_backup(env: &TestEnv) -> Option<Option<Vec<u8>>> {
    let conn = rusqlite::Connection::open(env.store()).unwrap();
    conn.query_row(
        "SELECT previous FROM staging_backups ORDER BY id DESC LIMIT 1",
        [],
        |row| row.get(0),
    )
    .ok()
}

#[test]
#[allow(clippy::print_stderr)]
fn revert_restore_and_undo_survive_kill_9_without_losing_a_file() {
    let mut rng = Rng::new();
    let seed = rng.0;
    let env = TestEnv::new();
    let staging = env.root.join("agents/r.yaml");
    env.write_agent("r", &agent_yaml("R", 0.1));
    env.publish_json(&[]);
    env.write_agent("r", &agent_yaml("R", 0.2));
    env.publish_json(&[]);
    env.write_agent(
        "r",
        &agent_yaml("R", 0.2).replace("Helps with tests", "Helps more"),
    );
    env.publish_json(&[]);
    let typical = duration_of(&env, &["restore", "r", "v1"]);
    let operations: [&[&str]; 5] = [
        &["restore", "r", "v1"],
        &["restore", "r", "v3"],
        &["revert", "r", "v2"],
        &["undo", "r"],
        &["undo", "r"],
    ];
    let rounds = if long() { 200 } else { 20 };
    let mut killed = 0;
    for round in 0..rounds {
        let operation = operations[rng.below(operations.len() as u64) as usize];
        let before = std::fs::read(&staging).ok();
        let backup_before = newest_backup(&env);
        let delay = Duration::from_micros(rng.below(typical.as_micros() as u64 * 3 / 2));
        killed += u32::from(kill_after(&env, operation, delay));

        let after = std::fs::read(&staging).ok();
        let context = format!("seed {seed}, round {round}, `{}`", operation.join(" "));
        if after != before {
            // Never a torn file: whatever is there is a whole, valid agent.
            env.run(&["validate", "r"]).success();
            if operation[0] == "undo" {
                // An undo puts back exactly the bytes its backup held.
                assert_eq!(Some(after.clone()), backup_before, "{context}");
            } else {
                // What was overwritten can be brought back.
                let run = env.run(&["undo", "r"]);
                assert_eq!(run.code, 0, "{context}\n{}", run.show());
                assert_eq!(std::fs::read(&staging).ok(), before, "{context}");
            }
        }
        let verify = env.run(&["verify"]);
        assert_eq!(verify.code, 0, "{context}\n{}", verify.show());
    }
    // Whatever the kills left, undo walks back cleanly to the end of what it kept.
    loop {
        let run = env.run(&["undo", "r"]);
        if run.code != 0 {
            run.code(2).stderr_has("nothing to undo");
            break;
        }
    }
    env.run(&["validate", "r"]).success();
    // A write a kill cut short may leave its temporary file, named after the file it was for.
    for entry in std::fs::read_dir(env.root.join("agents")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name == "r.yaml" || (name.starts_with(".r.yaml.") && name.ends_with(".agentctl-tmp")),
            "{name} in agents/ (seed {seed})"
        );
    }
    eprintln!(
        "kill -9 of revert/restore/undo: {rounds} rounds, {killed} killed mid-run (seed {seed})"
    );
}

#[test]
fn undo_drops_a_backup_the_file_never_saw() {
    // What a kill between recording the backup and replacing the file leaves behind.
    let env = TestEnv::new();
    env.write_agent("r", &agent_yaml("R", 0.1));
    env.publish_json(&[]);
    let edited = agent_yaml("R", 0.5);
    env.write_agent("r", &edited);
    env.run(&["restore", "r"]).success();
    env.write_agent("r", &edited);
    let run = env.run(&["undo", "r", "--json"]);
    run.success().stderr_has("already held");
    assert_eq!(run.json()["written"], false);
    assert_eq!(
        std::fs::read_to_string(env.root.join("agents/r.yaml")).unwrap(),
        edited
    );
    env.run(&["undo", "r"])
        .code(2)
        .stderr_has("nothing to undo");
}
