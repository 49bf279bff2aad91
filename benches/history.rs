//! Does the first page of `log`, and resolving a REF, cost the same on a long history as on a
//! short one? Builds stores of 10 and 100,000 publishes through the library, then times the
//! real binary on each (median of whole-process runs).
//!
//!     cargo bench --bench history
//!
//! Prints one line per command and history length. Not a test: figures, not assertions.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use agentctl::change;
use agentctl::store::{DEFAULT_LOCK_TIMEOUT, Store};
use serde_json::json;

const RUNS: usize = 30;

fn seed(path: &Path, publishes: usize) -> String {
    let mut store = Store::open(path, DEFAULT_LOCK_TIMEOUT).expect("store");
    let publishing = store.publishing(false).expect("transaction");
    let mut previous = agentctl::agent::Config::new();
    let mut heads = std::collections::HashMap::new();
    let mut middle = String::new();
    for i in 0..publishes {
        // Three agents take turns, so per-agent queries cannot rely on global order.
        let agent = ["support-bot", "research", "sales"][i % 3];
        let config = json!({
            "name": agent,
            "model": {"temperature": (i % 100) as f64 / 100.0 + 0.001, "max_tokens": i},
            "instructions": format!("You are agent {agent}.\nRevision {i}.\n"),
        });
        let config = config.as_object().cloned().unwrap();
        let changes = change::diff(&previous, &config);
        let entry = support::append(
            &publishing,
            heads.get(agent),
            agent,
            &config,
            &changes,
            (
                "Bench <bench@example.com>",
                "2026-01-01T00:00:00Z",
                "Tune temperature",
            ),
        );
        if agent == "support-bot" && middle.is_empty() && i >= publishes / 2 {
            middle = entry.change_track_id[..8].to_owned();
        }
        heads.insert(agent, entry);
        previous = config;
    }
    publishing.commit().expect("commit");
    middle
}

fn median(root: &Path, args: &[&str]) -> Duration {
    let binary = env!("CARGO_BIN_EXE_agentctl");
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let output = Command::new(binary)
                .current_dir(root)
                .args(args)
                .output()
                .expect("agentctl runs");
            assert!(output.status.success(), "{args:?} failed: {output:?}");
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn main() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    println!("{:<50} {:>10} {:>12}", "command", "entries", "median");
    for publishes in [10, 100_000] {
        let root = tmp.path().join(format!("ws-{publishes}"));
        std::fs::create_dir_all(root.join(".agentctl")).unwrap();
        std::fs::create_dir_all(root.join("agents")).unwrap();
        let started = Instant::now();
        let middle = seed(&root.join(".agentctl/store.db"), publishes);
        eprintln!("seeded {publishes} publishes in {:.1?}", started.elapsed());
        let show_middle = format!("show support-bot {middle} --json");
        for command in [
            "status --json",
            "log -n 20",
            "log support-bot -n 20 --json",
            "show support-bot v2 --json",
            show_middle.as_str(),
            "diff support-bot --from v1 --to production --json",
        ] {
            let args: Vec<&str> = command.split(' ').collect();
            let time = median(&root, &args);
            println!(
                "{command:<50} {publishes:>10} {:>9.2} ms",
                time.as_secs_f64() * 1e3
            );
        }
    }
}
