//! agentctl against git, doing the same job on the same file (SPEC section 8, issue 7).
//!
//!     cargo bench --bench versus_git
//!
//! Generates a realistic agent of about 300 KB (50 KB of instructions, 200 tools with JSON-schema
//! parameters, 500 knowledge sources, 20 guardrails) and histories of 1,000 and 100,000 publishes
//! of small edits (a tool's description, a line of the instructions, a knowledge source added or
//! removed). Each history is built twice from the same edits: through the library into an
//! agentctl store, and with `git fast-import` into a git repository holding the same YAML file.
//! Then it times whole-process runs of the release binary and of git on the same staging edit,
//! prints medians and the ratio agentctl/git, compares the store with the repository after
//! `git gc --aggressive`, measures the peak memory of `diff`, and times an agent of 1, 3 and
//! 10 MB to show that diff, publish and revert grow linearly with its size.
//!
//! `VERSUS_GIT_HISTORIES=1000` (a comma-separated list) picks other history lengths;
//! `VERSUS_GIT_RUNS` the number of runs of each command (default 15); `VERSUS_GIT_GC=0` skips
//! the (long) `git gc --aggressive`; `VERSUS_GIT_KEEP=1` keeps the workspaces for profiling;
//! `VERSUS_GIT_SIZES_ONLY=1` builds the histories and compares their sizes, and times nothing;
//! `VERSUS_GIT_WRITE_AGENT=FILE` only writes the 300 KB agent to FILE (for benches/serve.sh).
//! Not a test: figures, not assertions (beyond each command succeeding).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentctl::agent::Config;
use agentctl::change;
use agentctl::store::{DEFAULT_LOCK_TIMEOUT, Store};
use serde_json::{Value, json};

const AUTHOR: &str = "Bench <bench@example.com>";
/// 2026-01-01T00:00:00Z; each publish is a minute after the one before.
const EPOCH: i64 = 1_767_225_600;

/// A small deterministic random source (splitmix64), so every run builds the same histories.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len())]
    }

    fn words(&mut self, n: usize) -> String {
        let words: Vec<&str> = (0..n).map(|_| self.word()).collect();
        words.join(" ")
    }

    /// A sentence of `n` words, capitalised, with a full stop.
    fn sentence(&mut self, n: usize) -> String {
        let mut text = self.words(n);
        text[..1].make_ascii_uppercase();
        text.push('.');
        text
    }
}

const WORDS: &[&str] = &[
    "customer",
    "account",
    "invoice",
    "refund",
    "order",
    "shipping",
    "policy",
    "always",
    "never",
    "politely",
    "confirm",
    "before",
    "after",
    "escalate",
    "agent",
    "human",
    "ticket",
    "priority",
    "billing",
    "subscription",
    "plan",
    "upgrade",
    "cancel",
    "password",
    "reset",
    "email",
    "address",
    "verify",
    "identity",
    "request",
    "response",
    "within",
    "hours",
    "days",
    "search",
    "knowledge",
    "article",
    "summarise",
    "answer",
    "question",
    "clearly",
    "briefly",
    "language",
    "support",
    "product",
    "feature",
    "warranty",
    "return",
    "label",
    "tracking",
    "number",
    "status",
    "delivery",
    "payment",
    "method",
    "card",
    "bank",
    "transfer",
    "currency",
    "tax",
    "region",
    "europe",
    "america",
    "asia",
    "team",
    "manager",
    "the",
    "a",
    "of",
    "to",
    "and",
    "with",
    "for",
    "when",
    "if",
    "is",
    "not",
    "only",
    "each",
    "every",
    "user",
    "data",
    "record",
];

/// One list item, with its YAML as it appears in the file (`- name: …`), made once.
#[derive(Clone)]
struct Item {
    value: Value,
    yaml: String,
}

impl Item {
    fn new(value: Value) -> Item {
        let yaml = serde_yaml::to_string(&[&value]).expect("yaml");
        Item { value, yaml }
    }
}

/// The agent's state; the YAML file and the configuration are both made from it.
struct Agent {
    instructions: Vec<String>,
    knowledge_sources: Vec<Item>,
    tools: Vec<Item>,
    guardrails: Vec<Item>,
    next_source: usize,
    rng: Rng,
}

/// What an edit did.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Edit {
    ToolDescription,
    InstructionLine,
    SourceAdded,
    SourceRemoved,
}

impl Agent {
    /// About 300 KB at `scale` 1; everything but the guardrails grows with it (the instructions
    /// up to 800 KB, below the 1 MiB limit of a single string).
    fn new(scale: f64, seed: u64) -> Agent {
        let mut rng = Rng(seed);
        let count = |n: f64| (n * scale).round() as usize;
        let instructions = (0..count(620.0).min(10_000))
            .map(|line| instruction_line(&mut rng, line))
            .collect();
        let tools = (0..count(200.0)).map(|i| tool(&mut rng, i)).collect();
        let knowledge_sources = (0..count(500.0)).map(|i| source(&mut rng, i)).collect();
        let guardrails = (0..20).map(|i| guardrail(&mut rng, i)).collect();
        Agent {
            instructions,
            knowledge_sources,
            tools,
            guardrails,
            next_source: count(500.0),
            rng,
        }
    }

    fn yaml(&self) -> String {
        let mut out = String::with_capacity(self.size_hint());
        out.push_str(
            "# Customer support agent for the web shop.\nname: support-bot\n\
             description: Answers customer questions about orders, billing and accounts.\n\
             model:\n  provider: openai\n  name: gpt-4.1\n  temperature: 0.2\n  max_tokens: 4096\n\
             instructions: |\n",
        );
        for line in &self.instructions {
            if !line.is_empty() {
                out.push_str("  ");
                out.push_str(line);
            }
            out.push('\n');
        }
        for (key, items) in [
            ("knowledge_sources", &self.knowledge_sources),
            ("tools", &self.tools),
            ("guardrails", &self.guardrails),
        ] {
            out.push_str(key);
            out.push_str(":\n");
            for item in items {
                out.push_str(&item.yaml);
            }
        }
        out
    }

    fn size_hint(&self) -> usize {
        let items = |items: &[Item]| items.iter().map(|i| i.yaml.len()).sum::<usize>();
        self.instructions.len() * 84
            + items(&self.knowledge_sources)
            + items(&self.tools)
            + items(&self.guardrails)
            + 512
    }

    fn config(&self) -> Config {
        let values = |items: &[Item]| Value::Array(items.iter().map(|i| i.value.clone()).collect());
        let mut instructions = self.instructions.join("\n");
        instructions.push('\n');
        let config = json!({
            "name": "support-bot",
            "description": "Answers customer questions about orders, billing and accounts.",
            "model": {"provider": "openai", "name": "gpt-4.1", "temperature": 0.2, "max_tokens": 4096},
            "instructions": instructions,
            "knowledge_sources": values(&self.knowledge_sources),
            "tools": values(&self.tools),
            "guardrails": values(&self.guardrails),
        });
        config.as_object().cloned().expect("a mapping")
    }

    /// One small realistic edit.
    fn edit(&mut self) -> Edit {
        let roll = self.rng.below(100);
        if roll < 40 {
            let i = self.rng.below(self.tools.len());
            let mut value = self.tools[i].value.clone();
            value["description"] = Value::from(self.rng.sentence(22));
            self.tools[i] = Item::new(value);
            Edit::ToolDescription
        } else if roll < 70 {
            let line = loop {
                let line = self.rng.below(self.instructions.len());
                if !self.instructions[line].is_empty() && !self.instructions[line].starts_with('#')
                {
                    break line;
                }
            };
            self.instructions[line] = self.rng.sentence(13);
            Edit::InstructionLine
        } else if roll < 85 || self.knowledge_sources.len() < 2 {
            let at = self.rng.below(self.knowledge_sources.len() + 1);
            let item = source(&mut self.rng, self.next_source);
            self.next_source += 1;
            self.knowledge_sources.insert(at, item);
            Edit::SourceAdded
        } else {
            let at = self.rng.below(self.knowledge_sources.len());
            self.knowledge_sources.remove(at);
            Edit::SourceRemoved
        }
    }
}

fn instruction_line(rng: &mut Rng, line: usize) -> String {
    if line.is_multiple_of(40) {
        format!("## Part {}: {}", line / 40 + 1, rng.words(3))
    } else if line % 8 == 7 {
        String::new()
    } else {
        rng.sentence(13)
    }
}

fn tool(rng: &mut Rng, i: usize) -> Item {
    let types = ["string", "integer", "boolean", "string"];
    let mut properties = serde_json::Map::new();
    let count = 3 + rng.below(3);
    for p in 0..count {
        let kind = types[rng.below(types.len())];
        let mut property = json!({"type": kind, "description": rng.sentence(7)});
        if kind == "string" && p % 2 == 0 {
            property["enum"] = json!([rng.word(), rng.word(), "other"]);
        }
        if kind == "integer" {
            property["minimum"] = json!(0);
            property["maximum"] = json!(1000);
        }
        properties.insert(format!("{}_{p}", rng.word()), property);
    }
    let required: Vec<String> = properties.keys().take(2).cloned().collect();
    Item::new(json!({
        "name": format!("{}_{}_{i}", rng.word(), rng.word()),
        "description": rng.sentence(22),
        "parameters": {"type": "object", "properties": properties, "required": required},
    }))
}

fn source(rng: &mut Rng, i: usize) -> Item {
    let kinds = ["url", "file", "notion"];
    Item::new(json!({
        "name": format!("kb_{}_{i}", rng.word()),
        "type": kinds[rng.below(kinds.len())],
        "url": format!("https://docs.example.com/{}/{}-{i}", rng.word(), rng.word()),
        "description": rng.sentence(10),
        "refresh": if i.is_multiple_of(3) { "daily" } else { "weekly" },
    }))
}

fn guardrail(rng: &mut Rng, i: usize) -> Item {
    let patterns: Vec<String> = (0..5).map(|_| rng.words(3)).collect();
    Item::new(json!({
        "name": format!("guard_{i}_{}", rng.word()),
        "description": rng.sentence(20),
        "action": if i.is_multiple_of(4) { "warn" } else { "block" },
        "patterns": patterns,
    }))
}

/// Everything one benchmark history needs: an agentctl workspace and a git repository holding
/// the same file, with the same history.
struct Histories {
    agentctl: PathBuf,
    git: PathBuf,
    agent: Agent,
}

fn build(root: &Path, publishes: usize) -> Histories {
    let agentctl = root.join("agentctl");
    let git = root.join("git");
    std::fs::create_dir_all(agentctl.join(".agentctl")).unwrap();
    std::fs::create_dir_all(agentctl.join("agents")).unwrap();
    std::fs::create_dir_all(&git).unwrap();
    run_git(&git, &["init", "-q", "-b", "main"]);
    let mut import = Command::new("git")
        .current_dir(&git)
        .args(["fast-import", "--quiet", "--done"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    let mut stream = std::io::BufWriter::with_capacity(1 << 20, import.stdin.take().unwrap());

    let mut store =
        Store::open(&agentctl.join(".agentctl/store.db"), DEFAULT_LOCK_TIMEOUT).expect("store");
    let mut agent = Agent::new(1.0, 7);
    let mut before = Config::new();
    let mut head = None;
    let started = Instant::now();
    // One transaction per 1,000 publishes: a long history is built in minutes, not hours.
    for chunk in 0..publishes.div_ceil(1000) {
        let publishing = store.publishing(false).expect("transaction");
        for i in chunk * 1000..publishes.min((chunk + 1) * 1000) {
            if i > 0 {
                agent.edit();
            }
            let config = agent.config();
            let changes = change::diff(&before, &config);
            let message = if i == 0 {
                "Create support-bot".to_owned()
            } else {
                change::describe(&changes)
            };
            let seconds = EPOCH + i as i64 * 60;
            let published_at = jiff::Timestamp::from_second(seconds).unwrap().to_string();
            let entry = support::append(
                &publishing,
                head.as_ref(),
                "support-bot",
                &config,
                &changes,
                (AUTHOR, &published_at, &message),
            );
            head = Some(entry);
            before = config;

            let yaml = agent.yaml();
            write!(
                stream,
                "commit refs/heads/main\ncommitter {AUTHOR} {seconds} +0000\ndata {}\n{message}\n\
                 M 100644 inline agents/support-bot.yaml\ndata {}\n",
                message.len() + 1,
                yaml.len()
            )
            .unwrap();
            stream.write_all(yaml.as_bytes()).unwrap();
            stream.write_all(b"\n").unwrap();
        }
        publishing.commit().expect("commit");
        if chunk % 10 == 9 {
            eprintln!(
                "  {} publishes in {:.0?}",
                (chunk + 1) * 1000,
                started.elapsed()
            );
        }
    }
    stream.write_all(b"done\n").unwrap();
    drop(stream);
    assert!(import.wait().unwrap().success(), "git fast-import failed");
    run_git(&git, &["reset", "-q", "--hard", "main"]);
    std::fs::write(agentctl.join("agents/support-bot.yaml"), agent.yaml()).unwrap();
    Histories {
        agentctl,
        git,
        agent,
    }
}

fn run_agentctl(dir: &Path, args: &[&str]) {
    let output = agentctl(dir, args).output().expect("agentctl runs");
    assert!(
        output.status.success(),
        "agentctl {args:?} failed: {output:?}"
    );
}

fn run_git(dir: &Path, args: &[&str]) {
    let output = git(dir, args).output().expect("git runs");
    assert!(output.status.success(), "git {args:?} failed: {output:?}");
}

/// git with the identity and settings of the benchmark, whatever the user's are.
fn git(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PAGER", "cat")
        .env("HOME", dir);
    command
}

fn agentctl(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentctl"));
    command
        .current_dir(dir)
        .args(args)
        .env("AGENTCTL_AUTHOR", AUTHOR)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".config"));
    command
}

fn runs() -> usize {
    std::env::var("VERSUS_GIT_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(15)
}

/// Run `command` (made fresh each time by `make`) `runs()` times, with `before` (not timed)
/// ahead of each run; the median and the fastest run.
fn time(
    mut make: impl FnMut() -> Command,
    mut before: impl FnMut(usize),
    ok: &[i32],
) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs())
        .map(|run| {
            before(run);
            let mut command = make();
            let start = Instant::now();
            let output = command.output().expect("command runs");
            let elapsed = start.elapsed();
            let code = output.status.code().unwrap_or(-1);
            assert!(ok.contains(&code), "{command:?} failed: {output:?}");
            elapsed
        })
        .collect();
    times.sort();
    (times[times.len() / 2], times[0])
}

struct Row {
    what: String,
    entries: usize,
    agentctl: (Duration, Duration),
    git: (Duration, Duration),
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_row(row: &Row) {
    println!(
        "{:<34} {:>8} {:>9.2} ms {:>9.2} ms {:>6.2} {:>9.2} ms {:>9.2} ms",
        row.what,
        row.entries,
        ms(row.agentctl.0),
        ms(row.git.0),
        row.agentctl.0.as_secs_f64() / row.git.0.as_secs_f64(),
        ms(row.agentctl.1),
        ms(row.git.1),
    );
}

fn compare(histories: &mut Histories, entries: usize) -> Vec<Row> {
    let (a, g) = (histories.agentctl.clone(), histories.git.clone());
    let file = "agents/support-bot.yaml";
    let mut rows = Vec::new();
    let mut row = |what: &str, agentctl: (Duration, Duration), git: (Duration, Duration)| {
        let row = Row {
            what: what.to_owned(),
            entries,
            agentctl,
            git,
        };
        print_row(&row);
        rows.push(row);
    };

    row(
        "--version (start-up)",
        time(|| agentctl(&a, &["--version"]), |_| {}, &[0]),
        time(|| git(&g, &["--version"]), |_| {}, &[0]),
    );

    // One staging edit, the same in both: a tool's description.
    let clean = histories.agent.yaml();
    let mut edited = histories.agent.yaml();
    let tool = &histories.agent.tools[17];
    let description = tool.value["description"].as_str().unwrap();
    let at = edited.find(description).unwrap();
    edited.replace_range(
        at..at + description.len(),
        "Looks up an order by its number.",
    );
    std::fs::write(a.join(file), &edited).unwrap();
    std::fs::write(g.join(file), &edited).unwrap();

    row(
        "status",
        time(|| agentctl(&a, &["status"]), |_| {}, &[0]),
        time(|| git(&g, &["status"]), |_| {}, &[0]),
    );
    row(
        "diff (300 KB agent, one edit)",
        time(|| agentctl(&a, &["diff"]), |_| {}, &[0]),
        time(|| git(&g, &["diff"]), |_| {}, &[0]),
    );

    // Each run publishes (commits) the other of two versions of the file.
    let versions = [&edited, &clean];
    row(
        "publish (commit -a)",
        time(
            || agentctl(&a, &["publish", "-m", "Bench edit"]),
            |run| std::fs::write(a.join(file), versions[run % 2]).unwrap(),
            &[0],
        ),
        time(
            || git(&g, &["commit", "-q", "-a", "-m", "Bench edit"]),
            |run| std::fs::write(g.join(file), versions[run % 2]).unwrap(),
            &[0],
        ),
    );
    // A publish is durable when it returns (SQLite, synchronous=FULL: the WAL and, at the
    // checkpoint on close, the store file are fsynced); `git commit` by default fsyncs none of
    // its loose objects or refs. The same publish against git made as durable; its first run
    // writes the version the row above did not publish last.
    let after = runs() % 2;
    row(
        "publish (commit -a, core.fsync=committed)",
        time(
            || agentctl(&a, &["publish", "-m", "Bench edit"]),
            |run| std::fs::write(a.join(file), versions[(run + after) % 2]).unwrap(),
            &[0],
        ),
        time(
            || {
                git(
                    &g,
                    &[
                        "-c",
                        "core.fsync=committed",
                        "commit",
                        "-q",
                        "-a",
                        "-m",
                        "Bench edit",
                    ],
                )
            },
            |run| std::fs::write(g.join(file), versions[(run + after) % 2]).unwrap(),
            &[0],
        ),
    );
    // Clean staging for the reverts, whichever version the last run published.
    std::fs::write(a.join(file), &clean).unwrap();
    std::fs::write(g.join(file), &clean).unwrap();
    run_agentctl(&a, &["publish", "-m", "Clean"]);
    // Nothing to commit when the last run already committed the clean file.
    git(&g, &["commit", "-q", "-a", "-m", "Clean"])
        .output()
        .unwrap();

    row(
        "log -n 20",
        time(|| agentctl(&a, &["log", "-n", "20"]), |_| {}, &[0]),
        time(|| git(&g, &["log", "-n", "20"]), |_| {}, &[0]),
    );
    row(
        "show (production / HEAD)",
        time(|| agentctl(&a, &["show", "support-bot"]), |_| {}, &[0]),
        time(|| git(&g, &["show", "HEAD"]), |_| {}, &[0]),
    );

    // A publish about 500 back whose revert applies cleanly for both tools.
    let head = head_version(&a);
    let target = (500..head - 1)
        .map(|back| head - back)
        .find(|&version| {
            let agentctl_ok = agentctl(
                &a,
                &["revert-preview", "support-bot", &format!("v{version}")],
            )
            .output()
            .unwrap()
            .status
            .success();
            agentctl_ok && git_revert_applies(&g, head - version)
        })
        .expect("a publish 500 back that reverts cleanly");
    let reference = format!("v{target}");
    let commit = format!("HEAD~{}", head - target);
    row(
        &format!("revert-preview ({} back)", head - target),
        time(
            || agentctl(&a, &["revert-preview", "support-bot", &reference]),
            |_| {},
            &[0],
        ),
        time(
            || git(&g, &["revert", "--no-commit", &commit]),
            |_| run_git(&g, &["reset", "-q", "--hard", "HEAD"]),
            &[0],
        ),
    );
    row(
        &format!("revert ({} back)", head - target),
        time(
            || agentctl(&a, &["revert", "support-bot", &reference]),
            |_| std::fs::write(a.join(file), &clean).unwrap(),
            &[0],
        ),
        time(
            || git(&g, &["revert", "--no-commit", &commit]),
            |_| run_git(&g, &["reset", "-q", "--hard", "HEAD"]),
            &[0],
        ),
    );
    run_git(&g, &["reset", "-q", "--hard", "HEAD"]);
    std::fs::write(a.join(file), &clean).unwrap();
    rows
}

fn head_version(workspace: &Path) -> usize {
    let output = agentctl(workspace, &["log", "support-bot", "-n", "1", "--json"])
        .output()
        .unwrap();
    let log: Value = serde_json::from_slice(&output.stdout).expect("log --json");
    log["entries"][0]["version"].as_u64().unwrap() as usize
}

fn git_revert_applies(repo: &Path, back: usize) -> bool {
    let ok = git(repo, &["revert", "--no-commit", &format!("HEAD~{back}")])
        .output()
        .unwrap()
        .status
        .success();
    run_git(repo, &["reset", "-q", "--hard", "HEAD"]);
    ok
}

fn size_of(path: &Path) -> u64 {
    if path.is_file() {
        return path.metadata().map(|m| m.len()).unwrap_or(0);
    }
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| size_of(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

/// Whether to `git gc --aggressive` each repository: on 100,000 publishes of a 300 KB file it
/// takes the better part of an hour on two cores. `VERSUS_GIT_GC=0` skips it, for runs that
/// only want the times (the repository is the same in every run).
fn aggressive_gc() -> bool {
    std::env::var("VERSUS_GIT_GC").map_or(true, |v| v != "0")
}

/// The store (the SQLite file; agentctl leaves no WAL behind) against the repository's
/// `.git` after `git gc --aggressive`.
fn sizes(histories: &Histories) -> (u64, u64, Duration) {
    let started = Instant::now();
    if aggressive_gc() {
        run_git(&histories.git, &["gc", "-q", "--aggressive", "--prune=now"]);
    }
    let gc = started.elapsed();
    // The store file alone: `.agentctl/cache/` and the staging index are this checkout's
    // caches (like git's index, not counted on git's side either), rebuilt when lost.
    let store = size_of(&histories.agentctl.join(".agentctl/store.db"));
    let conn = rusqlite::Connection::open(histories.agentctl.join(".agentctl/store.db")).unwrap();
    let payload = |sql: &str| -> f64 {
        conn.query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
            .unwrap()
            .unwrap_or(0) as f64
            / 1e6
    };
    eprintln!(
        "  store payload: snapshots {:.1} MB ({} full copies), history {:.1} MB, changes {:.1} MB (of which per-line versions {:.1} MB)",
        payload("SELECT sum(length(frame)) FROM snapshot_frames"),
        payload("SELECT count(*) FROM snapshots WHERE base IS NULL") * 1e6,
        payload(
            "SELECT sum(length(change_track_id) + ifnull(length(parent), 0) + length(snapshot) \
             + length(author) + length(published_at) + length(message) + length(summary) + length(agent)) FROM history"
        ),
        payload(
            "SELECT sum(length(agent) + length(path) + ifnull(length(old), 0) + ifnull(length(new), 0) \
             + ifnull(length(lines), 0)) FROM changes"
        ),
        payload("SELECT sum(length(lines)) FROM changes"),
    );
    let repo = size_of(&histories.git.join(".git"));
    (store, repo, gc)
}

/// Peak resident memory of one run, in KB, from GNU time.
fn peak_memory_kb(command: Command) -> Option<u64> {
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
    let dir = command.get_current_dir().map(Path::to_path_buf);
    let envs: Vec<_> = command
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let mut timed = Command::new("/usr/bin/time");
    timed.arg("-f").arg("%M").arg(program).args(args).envs(envs);
    if let Some(dir) = dir {
        timed.current_dir(dir);
    }
    let output = timed.output().ok()?;
    let text = String::from_utf8_lossy(&output.stderr);
    text.lines().last()?.trim().parse().ok()
}

/// diff, publish and revert of agents of growing size: time should grow with the size.
fn scaling(root: &Path) {
    println!();
    println!(
        "{:<8} {:>9} {:>12} {:>12} {:>12} {:>12}",
        "agent", "size", "diff", "publish", "revert", "diff memory"
    );
    for (scale, seed) in [(3.3, 11), (10.0, 13), (33.0, 17)] {
        let dir = root.join(format!("scale-{scale}"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agents/support-bot.yaml");
        let mut agent = Agent::new(scale, seed);
        let first = agent.yaml();
        run_agentctl(&dir, &["init", "."]);
        std::fs::write(&file, &first).unwrap();
        run_agentctl(&dir, &["publish"]);
        // v2: a tool's description; staging then gets a line of the instructions.
        while agent.edit() != Edit::ToolDescription {}
        let second = agent.yaml();
        std::fs::write(&file, &second).unwrap();
        run_agentctl(&dir, &["publish"]);
        while agent.edit() != Edit::InstructionLine {}
        let staged = agent.yaml();
        std::fs::write(&file, &staged).unwrap();

        let diff = time(|| agentctl(&dir, &["diff"]), |_| {}, &[0]);
        let publish = time(
            || agentctl(&dir, &["publish", "-m", "Bench"]),
            |run| std::fs::write(&file, [&staged, &second][run % 2]).unwrap(),
            &[0],
        );
        std::fs::write(&file, &second).unwrap();
        // Production is `second` again (nothing to publish when the last run left it so).
        run_agentctl(&dir, &["publish", "-m", "Bench"]);
        let revert = time(
            || agentctl(&dir, &["revert", "support-bot", "v2"]),
            |_| std::fs::write(&file, &second).unwrap(),
            &[0],
        );
        std::fs::write(&file, &staged).unwrap();
        let memory = peak_memory_kb(agentctl(&dir, &["diff"]));
        println!(
            "x{scale:<7} {:>6.1} MB {:>9.1} ms {:>9.1} ms {:>9.1} ms {:>9} KB",
            staged.len() as f64 / 1e6,
            ms(diff.0),
            ms(publish.0),
            ms(revert.0),
            memory.map_or("?".to_owned(), |m| m.to_string()),
        );
    }
}

fn main() {
    // VERSUS_GIT_WRITE_AGENT=FILE writes the 300 KB agent (the one every history starts from)
    // to FILE and stops: benches/serve.sh serves it.
    if let Some(file) = std::env::var_os("VERSUS_GIT_WRITE_AGENT") {
        std::fs::write(&file, Agent::new(1.0, 7).yaml()).expect("the agent file is written");
        return;
    }
    let histories: Vec<usize> = std::env::var("VERSUS_GIT_HISTORIES")
        .ok()
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![1000, 100_000]);
    let tmp = tempfile::tempdir().expect("temporary folder");
    // VERSUS_GIT_KEEP=1 leaves the workspaces behind, for profiling.
    let tmp_path = match std::env::var_os("VERSUS_GIT_KEEP") {
        Some(_) => tmp.keep(),
        None => tmp.path().to_owned(),
    };
    if !sizes_only() {
        println!(
            "{:<34} {:>8} {:>12} {:>12} {:>6} {:>12} {:>12}",
            "command", "entries", "agentctl", "git", "ratio", "agentctl min", "git min"
        );
    }
    let mut summaries = Vec::new();
    for publishes in histories {
        let root = tmp_path.join(format!("h-{publishes}"));
        let started = Instant::now();
        let mut built = build(&root, publishes);
        eprintln!(
            "built {publishes} publishes ({} KB agent) in {:.1?}",
            built.agent.yaml().len() / 1024,
            started.elapsed()
        );
        let memory = peak_memory_kb({
            let file = built.agentctl.join("agents/support-bot.yaml");
            let mut text = built.agent.yaml();
            let at = text.find("## Part 3").unwrap();
            text.insert_str(at, "Never promise a refund before checking the order.\n  ");
            std::fs::write(&file, text).unwrap();
            agentctl(&built.agentctl, &["diff"])
        });
        std::fs::write(
            built.agentctl.join("agents/support-bot.yaml"),
            built.agent.yaml(),
        )
        .unwrap();
        // Sizes first: the timed reverts below add undo backups of the staging file.
        let (store, repo, gc) = sizes(&built);
        if !sizes_only() {
            compare(&mut built, publishes);
        }
        summaries.push((publishes, store, repo, gc, memory));
    }
    println!();
    let git_state = match aggressive_gc() {
        true => "after gc --aggressive",
        false => "as fast-import left it (VERSUS_GIT_GC=0)",
    };
    for (publishes, store, repo, gc, memory) in summaries {
        println!(
            "{publishes:>7} publishes: store {:.1} MB, git {git_state} {:.1} MB (gc took {:.0?}), ratio {:.2}; peak memory of diff {} KB",
            store as f64 / 1e6,
            repo as f64 / 1e6,
            gc,
            store as f64 / repo as f64,
            memory.map_or("?".to_owned(), |m| m.to_string()),
        );
    }
    eprintln!("workspaces in {}", tmp_path.display());
    if !sizes_only() {
        many_agents(&tmp_path);
        scaling(&tmp_path);
    }
}

/// How many agents the workspace of [`many_agents`] holds.
const MANY: usize = 100;

/// `status` and `diff` over a workspace of 100 agents of 300 KB each (issue 17), against git
/// on the same 100 files: right after a publish (which must leave the staging index current),
/// again with nothing changed, and with one agent edited.
fn many_agents(root: &Path) {
    let a = root.join("many/agentctl");
    let g = root.join("many/git");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&g).unwrap();
    run_agentctl(&a, &["init", "."]);
    run_git(&g, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(g.join("agents")).unwrap();
    let mut agents: Vec<Agent> = (0..MANY).map(|i| Agent::new(1.0, 100 + i as u64)).collect();
    let file = |i: usize| format!("agents/agent-{i:03}.yaml");
    for (i, agent) in agents.iter().enumerate() {
        std::fs::write(a.join(file(i)), agent.yaml()).unwrap();
        std::fs::write(g.join(file(i)), agent.yaml()).unwrap();
    }
    run_agentctl(&a, &["publish", "-m", "First"]);
    run_git(&g, &["add", "."]);
    run_git(&g, &["commit", "-q", "-m", "First"]);
    println!();
    println!("{MANY} agents of {} KB each", agents[0].yaml().len() / 1024);
    let mut rows = Vec::new();
    let mut row = |what: &str, agentctl: (Duration, Duration), git: (Duration, Duration)| {
        let row = Row {
            what: what.to_owned(),
            entries: MANY,
            agentctl,
            git,
        };
        print_row(&row);
        rows.push(row);
    };
    // Before each timed run, one agent is edited and published (committed), untimed; git
    // commits the same edits.
    let mut yamls: Vec<String> = Vec::new();
    let status_after_publish = {
        let agents = &mut agents;
        time(
            || agentctl(&a, &["status"]),
            |run| {
                let agent = &mut agents[run % MANY];
                agent.edit();
                let yaml = agent.yaml();
                std::fs::write(a.join(file(run % MANY)), &yaml).unwrap();
                run_agentctl(&a, &["publish", "-m", "Edit"]);
                yamls.push(yaml);
            },
            &[0],
        )
    };
    let git_status_after_commit = time(
        || git(&g, &["status"]),
        |run| {
            std::fs::write(g.join(file(run % MANY)), &yamls[run]).unwrap();
            run_git(&g, &["commit", "-q", "-a", "-m", "Edit"]);
        },
        &[0],
    );
    row(
        "status, first after a publish",
        status_after_publish,
        git_status_after_commit,
    );
    // Settled: past the racy window of the last publish and edit, after which agentctl takes
    // each production from the staging index without opening the store, as git's status
    // trusts its index once the files are older than it.
    std::thread::sleep(agentctl::staging_index::RACY_WINDOW + Duration::from_millis(200));
    row(
        "status",
        time(|| agentctl(&a, &["status"]), |_| {}, &[0]),
        time(|| git(&g, &["status"]), |_| {}, &[0]),
    );
    // One agent edited (a line of its tools), the other 99 as published.
    let last = MANY - 1;
    agents[last].edit();
    std::fs::write(a.join(file(last)), agents[last].yaml()).unwrap();
    std::fs::write(g.join(file(last)), agents[last].yaml()).unwrap();
    row(
        "status, one agent edited",
        time(|| agentctl(&a, &["status"]), |_| {}, &[0]),
        time(|| git(&g, &["status"]), |_| {}, &[0]),
    );
    row(
        "diff, one agent edited",
        time(|| agentctl(&a, &["diff"]), |_| {}, &[0]),
        time(|| git(&g, &["diff"]), |_| {}, &[0]),
    );
}

/// `VERSUS_GIT_SIZES_ONLY=1`: the stores and repositories are compared, nothing is timed.
fn sizes_only() -> bool {
    std::env::var("VERSUS_GIT_SIZES_ONLY").is_ok_and(|v| v != "0")
}
