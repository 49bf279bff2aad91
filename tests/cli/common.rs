//! A hermetic environment for running the real `agentctl` binary: a temporary workspace, a
//! temporary HOME and config folder, a fixed author, no colour, no inherited store or git
//! identity. Every assertion can show stdout, stderr and the exit code together.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

pub const AUTHOR: &str = "Test Author <test@example.com>";

/// What a command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout, stderr and the exit code, for assertion messages.
    pub fn show(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}[exit status: {}]",
            self.stdout, self.stderr, self.code
        )
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.show()))
    }

    /// Assert the exit code, showing everything when it is wrong.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.code,
            expected,
            "unexpected exit code:\n{}",
            self.show()
        );
        self
    }

    #[track_caller]
    pub fn success(&self) -> &Run {
        self.code(0)
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.show()
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.show()
        );
        self
    }

    /// A failed command's stdout: nothing, or with `--json` one JSON error document (SPEC 6).
    #[track_caller]
    pub fn no_output_but_a_json_error(&self, json: bool) -> &Run {
        if json {
            assert_eq!(self.json()["error"]["code"], 2, "{}", self.show());
        } else {
            assert_eq!(self.stdout, "", "{}", self.show());
        }
        self
    }

    #[track_caller]
    pub fn stderr_lacks(&self, needle: &str) -> &Run {
        assert!(
            !self.stderr.contains(needle),
            "stderr has {needle:?}:\n{}",
            self.show()
        );
        self
    }

    #[track_caller]
    pub fn stdout_lacks(&self, needle: &str) -> &Run {
        assert!(
            !self.stdout.contains(needle),
            "stdout has {needle:?}:\n{}",
            self.show()
        );
        self
    }
}

pub struct TestEnv {
    /// Holds HOME, the config folder and the workspace.
    pub tmp: TempDir,
    /// The workspace root.
    pub root: PathBuf,
    /// A PostgreSQL store (`AGENTCTL_STORE`) in a schema of its own, instead of the
    /// workspace's SQLite file.
    pub postgres: Option<String>,
}

/// Which store a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

/// The test server (`.ci/postgres-up` exports `AGENTCTL_TEST_POSTGRES`). Unset: `None` with a
/// message, so a local run without a server skips; under `CI=true` a missing server fails.
#[allow(clippy::print_stderr)] // a skipped test says so
pub fn test_postgres() -> Option<String> {
    match std::env::var("AGENTCTL_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but AGENTCTL_TEST_POSTGRES is unset: .ci/run starts the server")
        }
        _ => {
            eprintln!("skipped: AGENTCTL_TEST_POSTGRES is unset (see .ci/postgres-up)");
            None
        }
    }
}

/// A URL of the test server with a fresh schema, unique to this test.
pub fn fresh_schema(url: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}schema=t_{}_{n}_{nanos}", std::process::id())
}

impl TestEnv {
    /// A new, initialised workspace.
    pub fn new() -> TestEnv {
        let env = TestEnv::bare();
        env.run(&["init"]).success();
        env
    }

    /// An empty folder, not yet a workspace.
    pub fn bare() -> TestEnv {
        let tmp = TempDir::new().expect("temporary folder");
        let root = tmp.path().join("ws");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(tmp.path().join("home/.config")).unwrap();
        let root = root.canonicalize().unwrap();
        TestEnv {
            tmp,
            root,
            postgres: None,
        }
    }

    /// A new, initialised workspace whose store is `kind`; `None` when that store is
    /// PostgreSQL and no test server is there (the test is skipped).
    pub fn on(kind: StoreKind) -> Option<TestEnv> {
        let env = TestEnv::bare_on(kind)?;
        env.run(&["init"]).success();
        Some(env)
    }

    /// An empty folder, not yet a workspace, whose commands use the store `kind`; `None` as
    /// for `on`.
    pub fn bare_on(kind: StoreKind) -> Option<TestEnv> {
        let mut env = TestEnv::bare();
        if kind == StoreKind::Postgres {
            env.postgres = Some(fresh_schema(&test_postgres()?));
        }
        Some(env)
    }

    /// The store this workspace uses.
    pub fn kind(&self) -> StoreKind {
        match self.postgres {
            Some(_) => StoreKind::Postgres,
            None => StoreKind::Sqlite,
        }
    }

    /// Another new, initialised workspace on the same kind of store (a schema of its own).
    pub fn another(&self) -> TestEnv {
        TestEnv::on(self.kind()).expect("the test server is still there")
    }

    /// The store as agentctl opens it, through the library.
    pub fn open_store(&self) -> agentctl::store::Store {
        use agentctl::store::{DEFAULT_LOCK_TIMEOUT, Store};
        match &self.postgres {
            Some(url) => Store::connect(url, DEFAULT_LOCK_TIMEOUT),
            None => Store::open(&self.store(), DEFAULT_LOCK_TIMEOUT),
        }
        .expect("the store opens")
    }

    /// A session on the test server whose `search_path` is this workspace's PostgreSQL
    /// schema, to read or tamper with the store behind agentctl's back; `None` on SQLite.
    pub fn postgres_session(&self) -> Option<postgres::Client> {
        let url = self.postgres.as_ref()?;
        let (server, schema) = url
            .rsplit_once("schema=")
            .expect("a test URL names its schema");
        let server = server.trim_end_matches(['?', '&']);
        let mut client = postgres::Client::connect(server, postgres::NoTls).expect("test server");
        client
            .batch_execute(&format!("SET search_path TO \"{schema}\""))
            .unwrap();
        Some(client)
    }

    pub fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    /// The user config folder agentctl reads (`$XDG_CONFIG_HOME/agentctl`).
    pub fn config_dir(&self) -> PathBuf {
        self.home().join(".config").join("agentctl")
    }

    pub fn store(&self) -> PathBuf {
        self.root.join(".agentctl/store.db")
    }

    /// Run SQL on the store as an attacker would: SQLite's append-only triggers dropped
    /// first, foreign keys not enforced on either store.
    pub fn tamper(&self, sql: &str) {
        if let Some(mut session) = self.postgres_session() {
            session
                .batch_execute(&format!("SET session_replication_role = replica; {sql}"))
                .unwrap();
            return;
        }
        let conn = rusqlite::Connection::open(self.store()).unwrap();
        conn.execute_batch(&format!(
            "DROP TRIGGER IF EXISTS history_update_refused;
             DROP TRIGGER IF EXISTS history_delete_refused;
             DROP TRIGGER IF EXISTS changes_update_refused;
             DROP TRIGGER IF EXISTS changes_delete_refused;
             PRAGMA foreign_keys = OFF;
             {sql}"
        ))
        .unwrap();
    }

    /// `program` with the hermetic environment, run in the workspace: a clean environment,
    /// the pinned HOME, config folder and author, no git identity.
    pub fn std_command(&self, program: &Path) -> std::process::Command {
        let mut cmd = std::process::Command::new(program);
        cmd.current_dir(&self.root)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("AGENTCTL_AUTHOR", AUTHOR)
            // One clock for every run (`Context::now`), so times in output never differ.
            .env("AGENTCTL_NOW", NOW)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("USER", "login-user")
            .env("COLUMNS", "100");
        if let Some(url) = &self.postgres {
            cmd.env("AGENTCTL_STORE", url);
        }
        cmd
    }

    /// `agentctl` with the hermetic environment, run in the workspace.
    pub fn command(&self) -> Command {
        Command::from_std(self.std_command(agentctl()))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(self.command().args(args))
    }

    pub fn run_with(&self, cmd: &mut Command) -> Run {
        let output = cmd.output().expect("agentctl runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Write (or overwrite) `agents/<id>.yaml`.
    pub fn write_agent(&self, id: &str, yaml: &str) -> PathBuf {
        let path = self.root.join("agents").join(format!("{id}.yaml"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, yaml).unwrap();
        path
    }

    /// Copy the bundled example agents into the workspace.
    pub fn copy_examples(&self) {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agents");
        for entry in std::fs::read_dir(examples).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                std::fs::copy(
                    &path,
                    self.root.join("agents").join(path.file_name().unwrap()),
                )
                .unwrap();
            }
        }
    }

    /// Everything the store holds, to prove a command changed nothing: the SQLite file's bytes
    /// (plus its WAL), or on PostgreSQL every row of every table of the test's schema.
    pub fn store_state(&self) -> Vec<u8> {
        if let Some(mut client) = self.postgres_session() {
            return postgres_state(&mut client);
        }
        let mut bytes = std::fs::read(self.store()).unwrap_or_default();
        bytes.extend(std::fs::read(self.root.join(".agentctl/store.db-wal")).unwrap_or_default());
        bytes
    }

    /// `status --json`, which must succeed: each agent with its state, in its order.
    pub fn states(&self) -> Vec<(String, String)> {
        let run = self.run(&["status", "--json"]);
        run.success();
        run.json()["agents"]
            .as_array()
            .unwrap_or_else(|| panic!("no agents array:\n{}", run.show()))
            .iter()
            .map(|a| {
                let field = |name: &str| a[name].as_str().unwrap_or_default().to_owned();
                (field("agent"), field("state"))
            })
            .collect()
    }

    /// `publish --json ARGS`, which must succeed; the JSON document it printed.
    pub fn publish_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["publish", "--json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        run.success();
        run.json()
    }

    /// The entries of `log --json ARGS`, newest first; the command must succeed.
    pub fn log_entries(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["log", "--json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        run.success();
        run.json()["entries"]
            .as_array()
            .unwrap_or_else(|| panic!("no entries array:\n{}", run.show()))
            .clone()
    }

    /// The versions `log --json ARGS` lists, newest first (`ARGS` may hold `--touching PATH`).
    pub fn log_versions(&self, args: &[&str]) -> Vec<u64> {
        self.log_entries(args)
            .iter()
            .map(|e| e["version"].as_u64().expect("an entry has a version"))
            .collect()
    }

    /// `blame --json ARGS`: each field's path and the version that set it.
    pub fn blamed(&self, args: &[&str]) -> Vec<(String, u64)> {
        let mut all = vec!["blame", "--json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        run.success();
        run.json()["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("no fields array:\n{}", run.show()))
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().expect("a field has a path").to_owned(),
                    f["version"].as_u64().expect("a field has a version"),
                )
            })
            .collect()
    }

    /// Number of history entries, of one agent or of all.
    pub fn history_len(&self, agent: Option<&str>) -> usize {
        self.log_entries(agent.as_slice()).len()
    }
}

/// Each scenario `fn name(env: TestEnv)` as one test per store: `mod name { fn sqlite();
/// fn postgres() }`, each given a new initialised workspace on that store (`TestEnv::on`). The
/// PostgreSQL half skips when `AGENTCTL_TEST_POSTGRES` is unset, and fails under `CI=true`.
/// `bare:` first: the workspace is not initialised yet (`TestEnv::bare_on`), for `init` itself.
/// The scenarios stay plain functions, so rustfmt formats them.
macro_rules! on_both_stores {
    (bare: $($scenario:ident),* $(,)?) => {
        $crate::common::on_both_stores!(@with bare_on; $($scenario),*);
    };
    ($($scenario:ident),* $(,)?) => {
        $crate::common::on_both_stores!(@with on; $($scenario),*);
    };
    (@with $make:ident; $($scenario:ident),*) => {$(
        mod $scenario {
            use $crate::common::{StoreKind, TestEnv};
            #[test]
            fn sqlite() {
                super::$scenario(TestEnv::$make(StoreKind::Sqlite).unwrap());
            }
            #[test]
            fn postgres() {
                if let Some(env) = TestEnv::$make(StoreKind::Postgres) {
                    super::$scenario(env);
                }
            }
        }
    )*};
}
pub(crate) use on_both_stores;

/// A canonical dump of the session's schema: each table's name, then its rows as JSON, sorted.
fn postgres_state(client: &mut postgres::Client) -> Vec<u8> {
    let tables = client
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() ORDER BY 1",
            &[],
        )
        .unwrap();
    let mut state = String::new();
    for table in tables {
        let table: String = table.get(0);
        let rows: String = client
            .query_one(
                &format!(
                    "SELECT coalesce(string_agg(r, E'\\n' ORDER BY r), '') \
                     FROM (SELECT to_jsonb(t)::text AS r FROM \"{table}\" t) rows"
                ),
                &[],
            )
            .unwrap()
            .get(0);
        state.push_str(&format!("== {table}\n{rows}\n"));
    }
    state.into_bytes()
}

/// Record `config` as `agent`'s next version after `head` in `publishing`, through the library
/// (hundreds of binary runs would be slow), with the changes against `before` that a
/// `publish -m MESSAGE` would record.
pub fn append_version(
    publishing: &agentctl::store::Publishing<'_>,
    head: Option<&agentctl::store::Entry>,
    before: &agentctl::agent::Config,
    config: &agentctl::agent::Config,
    message: &str,
) -> agentctl::store::Entry {
    use agentctl::change::{Summary, diff};
    let changes = diff(before, config);
    publishing
        .append(
            head,
            &agentctl::store::NewEntry {
                agent: config["name"].as_str().expect("the config names its agent"),
                author: "Library <library@example.com>",
                published_at: "2026-11-28T12:00:00Z",
                message,
                config,
                summary: &Summary::of(&changes),
                changes: &changes,
                reverts: None,
                git_commit: None,
                rules: None,
            },
        )
        .expect("the version is appended")
}

/// The time every test run of agentctl sees (`AGENTCTL_NOW`).
pub const NOW: &str = "2026-01-15T10:00:00Z";

/// The binary under test.
pub fn agentctl() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("agentctl")
}

/// A small valid agent whose fields tests can vary.
pub fn agent_yaml(name: &str, temperature: f64) -> String {
    format!(
        r#"# A test agent
name: {name}
description: Helps with tests
model:
  provider: openai
  name: gpt-4.1
  temperature: {temperature}
instructions: |
  You are a helpful agent.
  Be brief.
tools:
  - name: lookup_invoice
    description: Find an invoice
    parameters:
      type: object
      properties:
        id: {{type: string}}
  - name: web_search
    description: Search the web
guardrails:
  - name: pii
    action: redact
"#
    )
}
