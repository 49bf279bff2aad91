//! PostgreSQL against SQLite on the same history (issue 9: `publish`, `log -n 20` and `diff`
//! within 2× of SQLite on a local server).
//!
//!     cargo bench --bench shared_store
//!
//! Builds a history of 1,000 publishes of a mid-size agent (about 25 KB of YAML: 150 lines of
//! instructions, 25 tools with parameters, 60 knowledge sources, 8 guardrails; small edits to a
//! tool's description or a line of the instructions) through the library into a SQLite store,
//! copies it to PostgreSQL with `agentctl store copy`, then times whole-process runs of the
//! release binary in two workspaces holding the same staging file, one per store. Runs
//! alternate between the stores so both see the same machine load. `publish` is a real publish
//! of a fresh edit each run (the edit is written before the run, untimed). Also timed: process
//! start-up (`--version`) and, in this process, where the PostgreSQL time of `log -n 20` goes:
//! the bare connection (TCP connect, start-up, authentication, the server starting a backend),
//! a first `SELECT 1`, agentctl's open (session settings and schema check), and the query.
//!
//! The server is a throwaway cluster started with `.ci/postgres-up` (and stopped at the end),
//! with `fsync=on` as SQLite syncs every publish (the test cluster otherwise runs without);
//! `SHARED_STORE_POSTGRES=URL` uses another server instead (its fsync setting is printed).
//! `SHARED_STORE_HISTORY` sets the history length (default 1000), `SHARED_STORE_RUNS` the runs
//! per command and store (default 21), `SHARED_STORE_BIN` another agentctl binary to time (an
//! earlier build, to compare).
//! Not a test: figures, not assertions (beyond each command succeeding).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use agentctl::agent::Config;
use agentctl::change;
use agentctl::store::{DEFAULT_LOCK_TIMEOUT, Store};
use serde_json::{Value, json};

const AUTHOR: &str = "Bench <bench@example.com>";
const SCHEMA: &str = "bench_shared_store";
const WORDS: &[&str] = &[
    "customer", "invoice", "refund", "account", "order", "billing", "support", "policy",
    "escalate", "verify", "identity", "plan", "upgrade", "cancel", "answer", "polite", "never",
    "always", "check", "status", "shipping", "address", "warranty", "product", "human",
];

const REFRESH: [&str; 3] = ["daily", "weekly", "hourly"];

/// The agent after `edits`: the same skeleton, where edit `n` gives tool `n % 25` a new
/// description (even `n`) or rewrites line `n % 150` of the instructions (odd `n`).
fn agent(edits: &[usize]) -> Config {
    let word = |i: usize| WORDS[(i * 7 + i / 3) % WORDS.len()];
    let mut lines: Vec<String> = (0..150)
        .map(|l| {
            let words: Vec<&str> = (0..10).map(|w| word(l * 10 + w)).collect();
            format!("Rule {l}: {}.", words.join(" "))
        })
        .collect();
    let mut descriptions: Vec<String> = (0..25)
        .map(|t| format!("Looks up the {} of a {} by its id.", word(t), word(t + 5)))
        .collect();
    for &n in edits {
        if n % 2 == 0 {
            descriptions[n % 25] = format!("Looks up a record (revision {n}).");
        } else {
            lines[n % 150] = format!("Rule {}: revised in edit {n}.", n % 150);
        }
    }
    let tools: Vec<Value> = descriptions
        .iter()
        .enumerate()
        .map(|(t, description)| {
            json!({
                "name": format!("tool_{t}"),
                "description": description,
                "parameters": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "description": format!("The {} id.", word(t))},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 100 + t},
                        "mode": {"type": "string", "enum": ["fast", "full", word(t)]},
                    },
                    "required": ["id"],
                },
            })
        })
        .collect();
    let sources: Vec<Value> = (0..60)
        .map(|s| {
            json!({
                "name": format!("source_{s}"),
                "url": format!("https://docs.example.com/{}/{}/{s}", word(s), word(s + 2)),
                "refresh": REFRESH[s % 3],
            })
        })
        .collect();
    let guardrails: Vec<Value> = (0..8)
        .map(|g| json!({"name": format!("guard_{g}"), "action": "block", "pattern": word(g)}))
        .collect();
    json!({
        "name": "support-bot",
        "description": "Answers customer questions about orders and billing.",
        "model": {"provider": "anthropic", "name": "claude-sonnet-4-5", "temperature": 0.2},
        "instructions": lines.join("\n") + "\n",
        "tools": tools,
        "knowledge_sources": sources,
        "guardrails": guardrails,
    })
    .as_object()
    .cloned()
    .expect("an object")
}

/// The staging file after a history of `history` publishes, with one more edit if given.
fn yaml(history: usize, extra: Option<usize>) -> String {
    let mut edits: Vec<usize> = (1..history).collect();
    edits.extend(extra);
    serde_yaml::to_string(&agent(&edits)).expect("YAML")
}

fn build(store_path: &Path, history: usize) {
    let mut store = Store::open(store_path, DEFAULT_LOCK_TIMEOUT).expect("store");
    let publishing = store.publishing(false).expect("transaction");
    let mut before = Config::new();
    let mut head = None;
    let mut edits = Vec::new();
    for i in 0..history {
        if i > 0 {
            edits.push(i);
        }
        let config = agent(&edits);
        let changes = change::diff(&before, &config);
        let message = change::describe(&changes);
        let published_at = jiff::Timestamp::from_second(1_767_225_600 + i as i64 * 60)
            .expect("a time")
            .to_string();
        head = Some(support::append(
            &publishing,
            head.as_ref(),
            "support-bot",
            &config,
            &changes,
            (AUTHOR, &published_at, &message),
        ));
        before = config;
    }
    publishing.commit().expect("commit");
}

fn agentctl(dir: &Path, store: Option<&str>, args: &[&str]) -> Command {
    let binary = std::env::var_os("SHARED_STORE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_agentctl")));
    let mut command = Command::new(binary);
    command
        .current_dir(dir)
        .args(args)
        .env("AGENTCTL_AUTHOR", AUTHOR)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".config"))
        .env_remove("AGENTCTL_STORE");
    if let Some(url) = store {
        command.env("AGENTCTL_STORE", url);
    }
    command
}

fn run(mut command: Command) -> Duration {
    let start = Instant::now();
    let output = command.output().expect("agentctl runs");
    let elapsed = start.elapsed();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

/// Median and fastest.
fn summary(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[0])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A throwaway server, stopped when dropped.
struct Server {
    url: String,
    dir: Option<PathBuf>,
}

impl Server {
    fn start() -> Server {
        if let Ok(url) = std::env::var("SHARED_STORE_POSTGRES") {
            return Server { url, dir: None };
        }
        let dir = std::env::temp_dir().join(format!("agentctl-bench-pg-{}", std::process::id()));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres-up");
        let output = Command::new(script)
            .arg(&dir)
            .env("AGENTCTL_TEST_POSTGRES_FSYNC", "on")
            .output()
            .expect(".ci/postgres-up runs");
        assert!(
            output.status.success(),
            "the throwaway PostgreSQL did not start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let exports = String::from_utf8_lossy(&output.stdout);
        let url = exports
            .lines()
            .find_map(|line| line.strip_prefix("export AGENTCTL_TEST_POSTGRES="))
            .expect("postgres-up prints the URL")
            .to_owned();
        Server {
            url,
            dir: Some(dir),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres-down");
            let _ = Command::new(script).arg(dir).status();
        }
    }
}

fn main() {
    let history: usize = std::env::var("SHARED_STORE_HISTORY")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let runs: usize = std::env::var("SHARED_STORE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(21);
    let server = Server::start();
    let mut admin = postgres::Client::connect(&server.url, postgres::NoTls).expect("connect");
    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        .expect("drop the bench schema");
    let url = format!("{}?schema={SCHEMA}", server.url);
    let fsync = postgres::Client::connect(&server.url, postgres::NoTls)
        .and_then(|mut client| client.query_one("SHOW fsync", &[]))
        .map(|row| row.get::<_, String>(0))
        .unwrap_or_default();

    let tmp = tempfile::tempdir().expect("temporary folder");
    let sqlite = tmp.path().join("sqlite");
    let pg = tmp.path().join("postgres");
    for dir in [&sqlite, &pg] {
        std::fs::create_dir_all(dir.join(".agentctl")).unwrap();
        std::fs::create_dir_all(dir.join("agents")).unwrap();
    }
    let started = Instant::now();
    build(&sqlite.join(".agentctl/store.db"), history);
    run(agentctl(
        &sqlite,
        None,
        &["store", "copy", ".agentctl/store.db", &url],
    ));
    let staging = yaml(history, Some(1_000_001));
    eprintln!(
        "{history} publishes of a {:.0} KB agent, copied to PostgreSQL, in {:.1?}",
        staging.len() as f64 / 1024.0,
        started.elapsed()
    );
    let workspaces = [(&sqlite, None), (&pg, Some(url.as_str()))];
    for (dir, _) in workspaces {
        std::fs::write(dir.join("agents/support-bot.yaml"), &staging).unwrap();
    }

    println!(
        "history {history}, {runs} runs each, server fsync={fsync}; median (fastest)\n{:<14} {:>18} {:>18} {:>14}",
        "command", "SQLite", "PostgreSQL", "ratio"
    );
    let print = |what: &str, sqlite: (Duration, Duration), pg: (Duration, Duration)| {
        println!(
            "{what:<14} {:>8.2} ({:>5.2}) ms {:>8.2} ({:>5.2}) ms {:>6.2} ({:.2})",
            ms(sqlite.0),
            ms(sqlite.1),
            ms(pg.0),
            ms(pg.1),
            ms(pg.0) / ms(sqlite.0),
            ms(pg.1) / ms(sqlite.1),
        );
    };

    let version: Vec<Duration> = (0..runs)
        .map(|_| run(agentctl(&sqlite, None, &["--version"])))
        .collect();
    // In this process, where the PostgreSQL time of `log -n 20` goes: the connection (TCP,
    // start-up, authentication, the server starting a backend), the first statement on the
    // fresh backend, and agentctl's open (connection, session settings, schema check).
    let mut phases = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..runs {
        let start = Instant::now();
        let mut client = postgres::Client::connect(&server.url, postgres::NoTls).unwrap();
        phases[0].push(start.elapsed());
        client.simple_query("SELECT 1").unwrap();
        phases[1].push(start.elapsed());
        drop(client);
        let start = Instant::now();
        let store = Store::connect(&url, DEFAULT_LOCK_TIMEOUT).unwrap();
        phases[2].push(start.elapsed());
        store.log(None, Some(20)).unwrap();
        phases[3].push(start.elapsed());
    }
    let version = summary(version);
    println!(
        "start-up (--version) {:.2} ({:.2}) ms",
        ms(version.0),
        ms(version.1)
    );
    for (what, times) in [
        "connect",
        "connect, SELECT 1",
        "agentctl's open",
        "open, log -n 20",
    ]
    .iter()
    .zip(phases)
    {
        let (median, fastest) = summary(times);
        println!(
            "in process: {what:<18} {:.2} ({:.2}) ms",
            ms(median),
            ms(fastest)
        );
    }

    for (what, args) in [("log -n 20", &["log", "-n", "20"][..]), ("diff", &["diff"])] {
        let mut times = [Vec::new(), Vec::new()];
        for _ in 0..runs {
            for (i, (dir, store)) in workspaces.iter().enumerate() {
                times[i].push(run(agentctl(dir, *store, args)));
            }
        }
        let [s, p] = times;
        print(what, summary(s), summary(p));
    }

    let mut times = [Vec::new(), Vec::new()];
    for n in 0..runs {
        let edited = yaml(history, Some(2_000_000 + n));
        for (i, (dir, store)) in workspaces.iter().enumerate() {
            std::fs::write(dir.join("agents/support-bot.yaml"), &edited).unwrap();
            times[i].push(run(agentctl(dir, *store, &["publish", "-m", "Bench edit"])));
        }
    }
    let [s, p] = times;
    print("publish", summary(s), summary(p));
    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        .expect("drop the bench schema");
}
