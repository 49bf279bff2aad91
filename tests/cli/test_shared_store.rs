//! The shared PostgreSQL store (SPEC 2, 11). Every test file runs its scenarios on both stores
//! (`on_both_stores!` in common.rs); this one adds a scenario across commands, the proof that
//! reading commands print the same bytes on both, and what only a server has: concurrent and
//! killed publishers, connection errors and passwords, a server restart, `store copy`. The
//! PostgreSQL tests need the server `.ci/postgres-up` starts (`AGENTCTL_TEST_POSTGRES`); without
//! it they are skipped locally and fail under `CI=true`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{
    StoreKind, TestEnv, agent_yaml, append_version, fresh_schema, on_both_stores, test_postgres,
};

on_both_stores!(
    publish_log_show_diff_status,
    revert_restore_undo,
    blame_and_touching,
    verify_and_refs,
    store_state_sees_every_write,
);

fn publish_log_show_diff_status(env: TestEnv) {
    env.write_agent("bot", &agent_yaml("bot", 0.2));
    env.run(&["status"]).success().stdout_has("never published");
    env.run(&["diff", "--exit-code"]).code(1);
    let first = env.publish_json(&["-m", "first"]);
    assert_eq!(first["results"][0]["version"], 1);
    let again = env.publish_json(&[]);
    assert_eq!(
        again["has_changes"], false,
        "identical staging is published once"
    );
    env.write_agent("bot", &agent_yaml("bot", 0.7));
    env.run(&["diff", "--exit-code"]).code(1).stdout_has("0.7");
    let second = env.publish_json(&["--expect", "v1", "bot"]);
    assert_eq!(second["results"][0]["version"], 2);
    env.run(&["publish", "--expect", "v1", "bot"]).code(2);
    env.run(&["status"]).success().stdout_has("clean");
    let log = env.log_entries(&["bot"]);
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["parent"], log[1]["change_track_id"]);
    assert_eq!(env.log_entries(&["-n", "1"]).len(), 1);
    env.run(&["show", "bot", "v1"])
        .success()
        .stdout_has("first");
    env.run(&["show", "bot", "--json"]).success();
    env.run(&["diff", "bot", "--from", "v1", "--to", "v2", "--exit-code"])
        .code(1);
    env.run(&["export", "-o", "out"]).success();
    assert!(env.root.join("out/bot.yaml").exists());
}

fn revert_restore_undo(env: TestEnv) {
    env.write_agent("bot", &agent_yaml("bot", 0.2));
    env.run(&["publish", "-m", "one"]).success();
    env.write_agent("bot", &agent_yaml("bot", 0.9));
    env.run(&["publish", "-m", "two"]).success();
    env.run(&["revert-preview", "bot", "v2"]).success();
    env.run(&["revert", "bot", "v2"]).success();
    env.run(&["diff", "bot", "--from", "v1", "--exit-code"])
        .success();
    let published = env.publish_json(&[]);
    assert_eq!(published["results"][0]["version"], 3);
    let v3 = env.log_entries(&["bot", "-n", "1"]);
    assert_eq!(
        v3[0]["reverts"]["version"], 2,
        "the revert is named: {v3:?}"
    );
    env.write_agent("bot", &agent_yaml("bot", 0.5));
    env.run(&["restore", "bot"]).success();
    env.run(&["diff", "--exit-code"]).success();
    env.run(&["undo", "bot"]).success();
    env.run(&["diff", "--exit-code"]).code(1).stdout_has("0.5");
}

fn blame_and_touching(env: TestEnv) {
    env.write_agent("bot", &agent_yaml("bot", 0.2));
    env.run(&["publish", "-m", "one"]).success();
    env.write_agent("bot", &agent_yaml("bot", 0.4));
    env.run(&["publish", "-m", "two"]).success();
    let touching = env.log_entries(&["bot", "--touching", "model.temperature"]);
    assert_eq!(touching.len(), 2);
    let blame = env.run(&["blame", "bot", "--json"]);
    blame.success();
    assert!(blame.stdout.contains("\"version\": 2"), "{}", blame.show());
}

fn verify_and_refs(env: TestEnv) {
    env.copy_examples();
    env.run(&["publish"]).success();
    let run = env.run(&["verify", "--json"]);
    run.success();
    assert_eq!(run.json()["entries"], 3);
    env.run(&["show", "support-bot", "v9"])
        .code(2)
        .stderr_has("no publish of support-bot matches");
    let id = env.log_entries(&["support-bot"])[0]["change_track_id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.run(&["show", "support-bot", &id[..6]]).success();
}

/// `store_state`, the "the store is unchanged" check of every test file, sees each kind of
/// write (a publish, a revert's backup and pending revert) and nothing after reading commands.
fn store_state_sees_every_write(env: TestEnv) {
    env.write_agent("bot", &agent_yaml("bot", 0.2));
    let empty = env.store_state();
    env.run(&["publish"]).success();
    let published = env.store_state();
    assert_ne!(published, empty, "a publish");
    env.write_agent("bot", &agent_yaml("bot", 0.4));
    env.run(&["publish"]).success();
    let before = env.store_state();
    for args in [
        &["status"][..],
        &["diff"],
        &["log"],
        &["show", "bot"],
        &["blame", "bot"],
        &["verify"],
        &["revert-preview", "bot", "v2"],
        &["publish", "--dry-run"],
    ] {
        env.run(args).success();
        assert_eq!(env.store_state(), before, "{args:?} changed the store");
    }
    env.run(&["revert", "bot", "v2"]).success();
    assert_ne!(env.store_state(), before, "a revert's backup");
}

/// One history on both stores (`store copy` keeps every id and time): every reading command
/// prints the same bytes and exits the same on each, errors included.
#[test]
fn reading_commands_print_the_same_on_both_stores() {
    let Some(server) = test_postgres() else {
        return;
    };
    let env = TestEnv::new();
    env.copy_examples();
    env.run(&["publish", "-m", "first"]).success();
    for temperature in [0.3, 0.6] {
        env.write_agent("bot", &agent_yaml("bot", temperature));
        env.run(&["publish", "-m", "Summary\n\nand detail"])
            .success();
    }
    env.run(&["revert", "bot", "v2"]).success();
    env.run(&["publish"]).success();
    env.write_agent("bot", &agent_yaml("bot", 0.9));
    let sqlite = env.store().display().to_string();
    let url = fresh_schema(&server);
    env.run(&["store", "copy", &sqlite, &url]).success();
    let id = env.log_entries(&["bot"])[1]["change_track_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // (exit code, arguments): successes, a conflict and errors.
    let commands: &[(i32, &[&str])] = &[
        (0, &["status"]),
        (0, &["status", "--json"]),
        (0, &["diff"]),
        (0, &["diff", "--json"]),
        (
            0,
            &["diff", "bot", "--from", "v1", "--to", &id[..7], "--stat"],
        ),
        (0, &["log"]),
        (0, &["log", "--json"]),
        (0, &["log", "--oneline", "-n", "3"]),
        (
            0,
            &["log", "bot", "--touching", "model.temperature", "--json"],
        ),
        (0, &["show", "bot"]),
        (0, &["show", "bot", "v2", "--json", "--config"]),
        (0, &["show", "support-bot", "--show-secrets"]),
        (0, &["blame", "bot"]),
        (0, &["blame", "bot", "v3", "--json"]),
        (1, &["revert-preview", "bot", "v3", "--json"]),
        (0, &["publish", "--dry-run", "--json"]),
        (0, &["export", "bot", "--ref", "v1"]),
        (0, &["verify", "--json"]),
        (2, &["show", "bot", "v9"]),
        (2, &["show", "nobody"]),
        (2, &["log", "bot", "--touching", "no..path"]),
        (2, &["publish", "bot", "--expect", "v1"]),
    ];
    for (code, args) in commands {
        let on = |store: &str| {
            let mut all = vec!["--store", store];
            all.extend_from_slice(args);
            let run = env.run(&all);
            (run.code, run.stdout, run.stderr.replace(store, "STORE"))
        };
        let sqlite_run = on(&sqlite);
        assert_eq!(sqlite_run.0, *code, "{args:?}: {}", sqlite_run.2);
        assert_eq!(on(&url), sqlite_run, "{args:?}");
    }
}

/// 20 processes publish one agent at once: first all with the same staging (one entry), then
/// each from its own workspace with its own (versions 2 to 21, no gaps, chain intact).
#[test]
fn twenty_concurrent_publishers_on_postgres() {
    let Some(server) = test_postgres() else {
        return;
    };
    let url = fresh_schema(&server);
    let mut envs: Vec<TestEnv> = (0..20)
        .map(|_| {
            let mut env = TestEnv::bare();
            env.postgres = Some(url.clone());
            env.run(&["init"]).success();
            env
        })
        .collect();
    for env in &envs {
        env.write_agent("bot", &agent_yaml("bot", 0.5));
    }
    let publish_all = |envs: &mut Vec<TestEnv>| {
        let children: Vec<_> = envs
            .iter()
            .map(|env| {
                env.std_command(crate::common::agentctl())
                    .args(["publish", "bot", "-m", "race"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    publish_all(&mut envs);
    assert_eq!(
        envs[0].log_entries(&["bot"]).len(),
        1,
        "identical staging recorded once"
    );
    for (i, env) in envs.iter().enumerate() {
        env.write_agent("bot", &agent_yaml("bot", 0.01 * (i + 1) as f64));
    }
    publish_all(&mut envs);
    let log = envs[0].log_entries(&["bot"]);
    let versions: Vec<u64> = log.iter().map(|e| e["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, (1..=21).rev().collect::<Vec<_>>());
    envs[0].run(&["verify"]).success();
}

/// Eight processes open a schema nobody has made yet, at once: the advisory lock lets one
/// create it while the others wait, and every one of them then publishes. Another schema on
/// the same server (another team) keeps a history of its own.
#[test]
fn a_new_schema_is_made_once_by_concurrent_first_users_and_teams_stay_apart() {
    let Some(server) = test_postgres() else {
        return;
    };
    let team_a = fresh_schema(&server);
    let envs: Vec<TestEnv> = (0..8)
        .map(|i| {
            let mut env = TestEnv::bare();
            env.postgres = Some(team_a.clone());
            env.write_agent(&format!("bot-{i}"), &agent_yaml(&format!("bot-{i}"), 0.5));
            env
        })
        .collect();
    let all = |args: &[&str]| {
        let children: Vec<_> = envs
            .iter()
            .map(|env| {
                env.std_command(crate::common::agentctl())
                    .args(args)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    all(&["init"]);
    all(&["publish", "-m", "first"]);
    assert_eq!(envs[0].log_entries(&[]).len(), 8);

    let mut team_b = TestEnv::bare();
    team_b.postgres = Some(fresh_schema(&server));
    team_b.run(&["init"]).success();
    team_b.write_agent("bot-0", &agent_yaml("bot-0", 0.9));
    team_b.run(&["publish", "-m", "b"]).success();
    assert_eq!(team_b.log_entries(&[]).len(), 1, "team B sees only its own");
    assert_eq!(envs[0].log_entries(&[]).len(), 8, "team A is untouched");
    envs[0].run(&["verify"]).success();
}

/// A publisher kept waiting for the agent's row longer than `--lock-timeout` gives up with
/// the message SQLite's store gives, and records nothing.
#[test]
fn a_publisher_gives_up_after_the_lock_timeout_on_postgres() {
    let Some(env) = TestEnv::on(StoreKind::Postgres) else {
        return;
    };
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.run(&["publish"]).success();
    env.write_agent("a", &agent_yaml("A", 0.2));
    let mut holder = env.postgres_session().unwrap();
    let mut lock = holder.transaction().unwrap();
    lock.query("SELECT agent FROM heads WHERE agent = 'a' FOR UPDATE", &[])
        .unwrap();
    env.run(&["--lock-timeout", "700ms", "publish"])
        .code(2)
        .stderr_has("is busy: another agentctl has been writing to it for more than 700ms")
        .stderr_has("--lock-timeout");
    lock.rollback().unwrap();
    assert_eq!(env.log_entries(&["a"]).len(), 1);
    env.run(&["publish"]).success();
}

/// Publishers killed with SIGKILL at moments spread over their run (inside the transaction
/// among them) leave no lock: the next publish, with a short lock timeout, proceeds.
#[test]
fn a_killed_publisher_leaves_no_lock_on_postgres() {
    let Some(env) = TestEnv::on(StoreKind::Postgres) else {
        return;
    };
    for (i, delay) in [5u64, 15, 30, 50, 80, 120].into_iter().enumerate() {
        env.write_agent("bot", &agent_yaml("bot", 0.1 * (i + 1) as f64));
        let mut child = env
            .std_command(crate::common::agentctl())
            .args(["publish", "bot"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        child.wait().unwrap();
        let started = Instant::now();
        env.run(&["--lock-timeout", "2s", "publish", "bot"])
            .success();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the next publish waited"
        );
    }
    env.run(&["verify"]).success();
}

/// A refused connection names the store without its password, and exits 2.
#[test]
fn a_refused_connection_shows_no_password() {
    let mut env = TestEnv::bare();
    env.postgres = Some("postgres://bob:hunter2@127.0.0.1:1/db?schema=x".into());
    let run = env.run(&["init"]);
    run.code(2)
        .stderr_has("cannot connect to the store postgres://bob:***@127.0.0.1:1/db");
    assert!(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"));
    assert!(!env.root.join(".agentctl").exists(), "nothing was created");
}

/// `store copy` SQLite → PostgreSQL → SQLite keeps every id (`log --json` identical at each
/// step, verified), completes a partial copy, and refuses a destination that disagrees.
#[test]
fn store_copy_round_trips_and_refuses_a_disagreeing_destination() {
    let Some(server) = test_postgres() else {
        return;
    };
    let env = TestEnv::on(StoreKind::Sqlite).unwrap();
    for i in 0..30 {
        env.write_agent("bot", &agent_yaml("bot", 0.01 * f64::from(i + 1)));
        env.write_agent("other", &agent_yaml("other", 0.02 * f64::from(i % 7 + 1)));
        env.run(&["publish"]).success();
    }
    env.run(&["revert", "bot", "v30"]).success();
    env.run(&["publish", "bot"]).success();
    let log = |store: &str| {
        let run = env.run(&["--store", store, "log", "--json"]);
        run.success();
        run.json()
    };
    let sqlite = env.store().display().to_string();
    let original = log(&sqlite);
    let url = fresh_schema(&server);
    env.run(&["store", "copy", &sqlite, &url])
        .success()
        .stderr_has("Copied");
    assert_eq!(log(&url), original);
    env.run(&["--store", &url, "verify"]).success();
    let back = env.root.join("back.db").display().to_string();
    env.run(&["store", "copy", &url, &back]).success();
    assert_eq!(log(&back), original);
    env.run(&["--store", &back, "verify"]).success();
    // The changes recorded by path (kept values: shapes) answer the same in every copy.
    for query in [
        &[
            "log",
            "bot",
            "--json",
            "--touching",
            "tools[lookup_invoice].parameters.properties.id",
        ][..],
        &["blame", "bot", "--json"],
    ] {
        let answer = |store: &str| {
            let run = env.run(&[&["--store", store][..], query].concat());
            run.success();
            run.stdout.clone()
        };
        let expected = answer(&sqlite);
        assert!(expected.contains("\"version\": 1"), "{expected}");
        assert_eq!(answer(&url), expected, "{query:?}");
        assert_eq!(answer(&back), expected, "{query:?}");
    }
    // Again: nothing left to copy, nothing changed.
    env.run(&["store", "copy", &sqlite, &url])
        .success()
        .stderr_has("Copied 0 of");

    let other = TestEnv::on(StoreKind::Sqlite).unwrap();
    other.write_agent("bot", &agent_yaml("bot", 0.99));
    other.run(&["publish", "-m", "elsewhere"]).success();
    let run = env.run(&["store", "copy", &other.store().display().to_string(), &url]);
    run.code(2).stderr_has("disagrees with the source");
    assert_eq!(log(&url), original, "the refused destination is unchanged");
}

/// A wrong password (in the URL or in PGPASSWORD) is a clear error that never shows it; the
/// right one from PGPASSWORD works. The test server makes `agentctl_pw` check its password.
#[test]
fn a_wrong_password_is_refused_without_showing_it() {
    let Some(server) = test_postgres() else {
        return;
    };
    let with_user = |password: &str| {
        server.replacen(
            "postgres://postgres@",
            &format!("postgres://agentctl_pw{password}@"),
            1,
        )
    };
    let env = TestEnv::new();
    let url = format!("{}?schema=pw_test", with_user(":wrong-password-42"));
    let run = env.run(&["--store", &url, "log", "--json"]);
    run.code(2).stderr_has("cannot connect to the store");
    for output in [&run.stdout, &run.stderr] {
        assert!(!output.contains("wrong-password-42"), "{}", run.show());
    }

    let url = format!("{}?schema=pw_test", with_user(""));
    let run = env.run_with(
        env.command()
            .env("PGPASSWORD", "wrong-password-42")
            .args(["--store", &url, "log", "--json"]),
    );
    run.code(2);
    assert!(!run.stderr.contains("wrong-password-42"), "{}", run.show());

    let run = env.run_with(
        env.command()
            .env("PGPASSWORD", "right-password")
            .args(["--store", &url, "log", "--json"]),
    );
    run.success();
    assert_eq!(run.json()["entries"], serde_json::json!([]));
}

/// A cluster of its own for a test that stops the server: `.ci/postgres-up`, removed on drop.
struct OwnServer {
    dir: tempfile::TempDir,
    url: String,
}

impl OwnServer {
    fn start() -> OwnServer {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(ci_script("postgres-up"))
            .arg(dir.path().join("pg"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let exports = String::from_utf8(out.stdout).unwrap();
        let url = exports
            .lines()
            .find_map(|line| line.strip_prefix("export AGENTCTL_TEST_POSTGRES="))
            .expect("postgres-up prints the URL")
            .to_owned();
        OwnServer { dir, url }
    }

    fn ctl(&self, action: &str) {
        let status = std::process::Command::new(ci_script("postgres-ctl"))
            .arg(self.dir.path().join("pg"))
            .arg(action)
            .status()
            .unwrap();
        assert!(status.success(), "postgres-ctl {action}");
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new(ci_script("postgres-down"))
            .arg(self.dir.path().join("pg"))
            .status();
    }
}

fn ci_script(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".ci")
        .join(name)
}

/// A server that goes away mid-session: exit 2 with a clear message, nothing recorded and
/// nothing written; once it is back, the same command succeeds.
#[test]
fn a_server_stopped_mid_session_is_a_clear_error_and_the_command_works_after_a_restart() {
    if test_postgres().is_none() {
        return;
    }
    let server = OwnServer::start();
    let url = format!("{}?schema=restart", server.url);
    let env = TestEnv::new();
    env.write_agent("bot", &agent_yaml("Bot", 0.2));
    env.run(&["--store", &url, "publish"]).success();
    env.write_agent("bot", &agent_yaml("Bot", 0.4));

    server.ctl("stop");
    let run = env.run(&["--store", &url, "publish", "--json"]);
    run.code(2)
        .stderr_has("cannot connect to the store")
        .no_output_but_a_json_error(true);

    server.ctl("start");
    let published = env.run(&["--store", &url, "publish", "--json"]);
    published.success();
    assert_eq!(
        published.json()["results"][0]["version"],
        serde_json::json!(2)
    );
    env.run(&["--store", &url, "verify"]).success();
}

/// A history of 1,000 publishes (built through the library, with per-agent changes as publish
/// records them) goes SQLite → PostgreSQL → SQLite with every id kept and verified each step.
#[test]
fn store_copy_round_trips_a_thousand_entry_history() {
    use agentctl::store::{DEFAULT_LOCK_TIMEOUT, Store};

    let Some(server) = test_postgres() else {
        return;
    };
    let env = TestEnv::new();
    let source = env.root.join("history.db");
    {
        let mut store = Store::open(&source, DEFAULT_LOCK_TIMEOUT).unwrap();
        let publishing = store.publishing(false).unwrap();
        let mut heads = std::collections::HashMap::new();
        let mut configs = std::collections::HashMap::new();
        for i in 0..1000u32 {
            let agent = ["bot", "helper", "scout"][i as usize % 3];
            let config = serde_json::json!({
                "name": agent,
                "model": {"temperature": f64::from(i % 90) / 100.0 + 0.01},
                "instructions": format!("You are {agent}.\nRevision {i}.\n"),
            })
            .as_object()
            .cloned()
            .unwrap();
            let before = configs.remove(agent).unwrap_or_default();
            let entry = append_version(
                &publishing,
                heads.get(agent),
                &before,
                &config,
                &format!("publish {i}"),
            );
            heads.insert(agent, entry);
            configs.insert(agent, config);
        }
        publishing.commit().unwrap();
    }
    let log = |store: &str| {
        let run = env.run(&["--store", store, "log", "--json"]);
        run.success();
        run.json()
    };
    let source = source.display().to_string();
    let original = log(&source);
    assert_eq!(original["entries"].as_array().unwrap().len(), 1000);
    let url = fresh_schema(&server);
    env.run(&["store", "copy", &source, &url]).success();
    assert_eq!(log(&url), original);
    env.run(&["--store", &url, "verify"]).success();
    let back = env.root.join("back.db").display().to_string();
    env.run(&["store", "copy", &url, &back]).success();
    assert_eq!(log(&back), original);
    env.run(&["--store", &back, "verify"]).success();
}

/// The test server's URL as the role that may only connect over TLS (`.ci/postgres-up` makes
/// `agentctl_tls` and refuses it without TLS, so a connection that works was encrypted), and
/// the test CA's PEM file; `None` with a message when the server runs without TLS.
#[allow(clippy::print_stderr)] // a skipped test says so
fn tls_server() -> Option<(String, String)> {
    let server = test_postgres()?;
    let Ok(ca) = std::env::var("AGENTCTL_TEST_POSTGRES_CA") else {
        eprintln!("skipped: AGENTCTL_TEST_POSTGRES_CA is unset (the test server has no TLS)");
        return None;
    };
    let url = server.replacen("postgres://postgres@", "postgres://agentctl_tls@", 1);
    Some((url, ca))
}

/// With the server's CA, `sslmode=require` (or libpq's `verify-full`, or no sslmode at all)
/// connects over TLS, the certificate and its host name verified; the same URL without TLS is
/// refused by the server, which shows the working connections were encrypted.
#[test]
fn tls_with_the_servers_ca_connects_encrypted() {
    let Some((url, ca)) = tls_server() else {
        return;
    };
    let env = TestEnv::new();
    env.write_agent("bot", &agent_yaml("bot", 0.3));
    let store = fresh_schema(&format!("{url}?sslmode=require&sslrootcert={ca}"));
    env.run(&["--store", &store, "publish", "-m", "over TLS"])
        .success();
    // By host name (checked against the certificate's), connecting to the address given.
    let by_name = url.replacen("@127.0.0.1:", "@localhost:", 1);
    let schema = store.split("schema=").nth(1).unwrap();
    for query in [
        format!("sslmode=verify-full&sslrootcert={ca}&hostaddr=127.0.0.1&schema={schema}"),
        format!("sslrootcert={ca}&hostaddr=127.0.0.1&schema={schema}"),
    ] {
        let run = env.run(&["--store", &format!("{by_name}?{query}"), "log", "--json"]);
        run.success();
        assert_eq!(run.json()["entries"][0]["message"], "over TLS");
    }
    let clear = format!("{url}?sslmode=disable&schema={schema}");
    env.run(&["--store", &clear, "log"])
        .code(2)
        .stderr_has("no encryption");
}

/// Without the CA the server's certificate is not trusted: exit 2, a message that says what
/// to give, and no password shown.
#[test]
fn tls_without_the_ca_is_refused_clearly() {
    let Some((url, _)) = tls_server() else {
        return;
    };
    let env = TestEnv::new();
    let with_password = url.replacen("agentctl_tls@", "agentctl_tls:hunter2@", 1);
    let run = env.run(&[
        "--store",
        &format!("{with_password}?sslmode=require&schema=tls_x"),
        "log",
    ]);
    run.code(2)
        .stderr_has("cannot connect to the store postgres://agentctl_tls:***@")
        .stderr_has("not signed by an authority agentctl trusts")
        .stderr_has("sslrootcert=PATH");
    assert!(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"));
}

/// A certificate for another host name is refused even when its CA is trusted; an sslrootcert
/// that cannot be read or holds no certificate is a clear error.
#[test]
fn tls_with_a_certificate_for_another_host_is_refused() {
    let Some((url, ca)) = tls_server() else {
        return;
    };
    let env = TestEnv::new();
    let elsewhere = url.replacen("@127.0.0.1:", "@db.wrong-host.invalid:", 1);
    env.run(&[
        "--store",
        &format!("{elsewhere}?hostaddr=127.0.0.1&sslmode=require&sslrootcert={ca}&schema=tls_y"),
        "log",
    ])
    .code(2)
    .stderr_has("not for the host in the URL")
    .stderr_has("db.wrong-host.invalid");
    env.write_agent("not-a-ca", "name: x\n");
    let not_a_ca = env.root.join("agents/not-a-ca.yaml");
    for (path, says) in [
        (env.root.join("missing.pem"), "cannot use sslrootcert"),
        (not_a_ca, "it holds no certificate"),
    ] {
        let store = format!("{url}?sslrootcert={}&schema=tls_z", path.display());
        env.run(&["--store", &store, "log"])
            .code(2)
            .stderr_has(says);
    }
}
