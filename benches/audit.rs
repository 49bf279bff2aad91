//! Do `log --touching` and `blame` cost the same on a long history as on a short one? Builds
//! histories of 100 and 10,000 publishes of one agent (20 tools with parameters, 80 lines of
//! instructions, 5 guardrails) through the library, then times the real binary on each
//! (fastest and median of whole-process runs), and the migration that backfills the changes of a store
//! made before they were recorded.
//!
//!     cargo bench --bench audit
//!
//! Each publish changes one thing: one line of the instructions (every 10th), a tool's
//! parameter, or the temperature; `tools[web_search]` is changed only 3 times, whatever the
//! length.
//! Prints one line per command and history length. Not a test: figures, not assertions.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use agentctl::agent::Config;
use agentctl::change;
use agentctl::store::{DEFAULT_LOCK_TIMEOUT, Store};
use serde_json::{Value, json};

const RUNS: usize = 15;
const TOOLS: usize = 20;
const LINES: usize = 80;

/// What the agent looks like after some publishes; each publish changes one part of it.
struct State {
    temperature: usize,
    tool_revisions: [usize; TOOLS],
    lines: Vec<String>,
    web_search: usize,
}

impl State {
    fn config(&self) -> Config {
        let tools: Vec<Value> = (0..TOOLS)
            .map(|t| {
                json!({
                    "name": format!("tool_{t}"),
                    "description": format!("Tool number {t}, which looks things up."),
                    "parameters": {"type": "object", "properties": {
                        "query": {"type": "string", "description": format!("What to find ({})", self.tool_revisions[t])},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                    }},
                })
            })
            .chain([json!({"name": "web_search", "description": format!("Search the web, take {}", self.web_search)})])
            .collect();
        let guardrails: Vec<Value> = (0..5)
            .map(|g| json!({"name": format!("rule_{g}"), "action": "block"}))
            .collect();
        json!({
            "name": "support-bot",
            "model": {"provider": "openai", "name": "gpt-4.1", "temperature": (self.temperature % 97) as f64 / 100.0, "max_tokens": 800},
            "instructions": self.lines.concat(),
            "tools": tools,
            "guardrails": guardrails,
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    /// Publish `i` (after the first): one line of the instructions every 10th, a tool's
    /// parameter every 3rd of the rest, else the temperature; and `web_search` on `special`.
    fn step(&mut self, i: usize, special: bool) {
        if special {
            self.web_search += 1;
        } else if i.is_multiple_of(10) {
            let line = i * 7 % LINES;
            self.lines[line] = format!("Line {line} rewritten in publish {i}.\n");
        } else if i % 3 == 1 {
            self.tool_revisions[i % TOOLS] = i;
        } else {
            self.temperature += 1;
        }
    }
}

fn seed(path: &Path, publishes: usize) {
    let mut store = Store::open(path, DEFAULT_LOCK_TIMEOUT).expect("store");
    let publishing = store.publishing(false).expect("transaction");
    let mut state = State {
        temperature: 0,
        tool_revisions: [0; TOOLS],
        lines: (0..LINES)
            .map(|l| format!("Line {l} of the instructions: be helpful, precise and kind.\n"))
            .collect(),
        web_search: 0,
    };
    let web_search_changes = [publishes / 4, publishes / 2, publishes * 3 / 4];
    let mut before = Config::new();
    let mut head = None;
    for i in 0..publishes {
        if i > 0 {
            state.step(i, web_search_changes.contains(&i));
        }
        let config = state.config();
        let changes = change::diff(&before, &config);
        let entry = support::append(
            &publishing,
            head.as_ref(),
            "support-bot",
            &config,
            &changes,
            ("Bench <bench@example.com>", "2026-01-01T00:00:00Z", "Tune"),
        );
        head = Some(entry);
        before = config;
    }
    publishing.commit().expect("commit");
}

/// The fastest and the median of RUNS runs: on a machine shared with other work, the fastest
/// is the steadier measure of the command's own cost.
fn timings(root: &Path, args: &[&str]) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run(root, args)).collect();
    times.sort();
    (times[0], times[RUNS / 2])
}

fn run(root: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_agentctl"))
        .current_dir(root)
        .args(args)
        .output()
        .expect("agentctl runs");
    assert!(output.status.success(), "{args:?} failed: {output:?}");
    start.elapsed()
}

/// A copy of the store as it was before migration 2: no recorded changes, snapshots as plain
/// JSON texts, schema version 1.
fn as_version_1(store: &Path, copy: &Path) {
    let conn = rusqlite::Connection::open(store).expect("store");
    conn.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .expect("copy");
    let texts: Vec<(String, String)> = {
        let store = Store::open(store, DEFAULT_LOCK_TIMEOUT).expect("store");
        let entries = store.log(None, None).expect("log");
        entries
            .iter()
            .map(|e| {
                let text = Value::Object(store.snapshot(e).expect("snapshot")).to_string();
                (e.snapshot.clone(), text)
            })
            .collect()
    };
    let mut copy = rusqlite::Connection::open(copy).expect("copy");
    // The history's snapshots keep their hashes; only the table under them is replaced.
    copy.pragma_update(None, "foreign_keys", "OFF")
        .expect("pragma");
    let tx = copy.transaction().expect("transaction");
    tx.execute_batch(
        "DROP TABLE changes; DROP TABLE staging_backups; DROP TABLE pending_reverts;
         CREATE TABLE plain (hash TEXT PRIMARY KEY, content TEXT NOT NULL) WITHOUT ROWID;",
    )
    .expect("downgrade");
    for (hash, text) in texts {
        tx.execute("INSERT OR IGNORE INTO plain VALUES (?1, ?2)", [hash, text])
            .expect("plain text");
    }
    tx.execute_batch(
        "DROP TABLE snapshots; DROP TABLE snapshot_frames; ALTER TABLE plain RENAME TO snapshots;
         PRAGMA user_version = 1;",
    )
    .expect("downgrade");
    tx.commit().expect("commit");
}

fn main() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    println!(
        "{:<62} {:>7} {:>10} {:>10}",
        "command", "entries", "fastest", "median"
    );
    for publishes in [100, 10_000] {
        let root = tmp.path().join(format!("ws-{publishes}"));
        std::fs::create_dir_all(root.join(".agentctl")).unwrap();
        std::fs::create_dir_all(root.join("agents")).unwrap();
        let store = root.join(".agentctl/store.db");
        let started = Instant::now();
        seed(&store, publishes);
        eprintln!("seeded {publishes} publishes in {:.1?}", started.elapsed());
        for command in [
            "log support-bot -n 20 --json",
            "log support-bot --touching tools[web_search] --json",
            "log support-bot --touching tools[web_search].description --json",
            "log support-bot --touching model.temperature -n 20 --json",
            "log support-bot --touching guardrails --json",
            "blame support-bot --json",
            "blame support-bot",
            "blame support-bot v50 --json",
        ] {
            let args: Vec<&str> = command.split(' ').collect();
            let (fastest, median) = timings(&root, &args);
            println!(
                "{command:<62} {publishes:>7} {:>7.2} ms {:>7.2} ms",
                fastest.as_secs_f64() * 1e3,
                median.as_secs_f64() * 1e3
            );
        }
        let old = tmp.path().join(format!("old-{publishes}.db"));
        as_version_1(&store, &old);
        let time = run(&root, &["--store", old.to_str().unwrap(), "log", "-n", "1"]);
        println!(
            "{:<62} {publishes:>7} {:>7.0} ms (one run)",
            "migrate a schema-1 store (backfill), then log -n 1",
            time.as_secs_f64() * 1e3
        );
    }
}
