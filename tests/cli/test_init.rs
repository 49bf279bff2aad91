//! `agentctl init`, and how every command finds its workspace and store (`-C`, `--store`,
//! `AGENTCTL_STORE`, the user config).

use crate::common::{TestEnv, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only: they are about SQLite files
// (not a store, missing, `init --store FILE`) or never reach a store (help, a broken user config,
// the AGENTCTL_STORE variable itself).
on_both_stores!(
    bare: init_creates_store_and_agents_folder,
    init_takes_a_folder_and_creates_it,
    commands_outside_a_workspace_name_init,
);

on_both_stores!(
    init_refuses_an_existing_workspace,
    workspace_is_found_from_a_subfolder_and_with_dash_c,
    store_option_and_environment_variable_choose_another_store
);

fn init_creates_store_and_agents_folder(env: TestEnv) {
    env.run(&["init"])
        .success()
        .stderr_has("Created")
        .stderr_has("agentctl diff");
    assert!(env.store().is_file());
    assert!(env.root.join("agents").is_dir());
    env.run(&["status", "--json"]).success();
}

fn init_takes_a_folder_and_creates_it(env: TestEnv) {
    env.run(&["init", "sub/dir"]).success();
    assert!(env.root.join("sub/dir/.agentctl/store.db").is_file());
    assert!(env.root.join("sub/dir/agents").is_dir());
}

fn init_refuses_an_existing_workspace(env: TestEnv) {
    let before = env.store_state();
    env.run(&["init"])
        .code(2)
        .stderr_has("error: ")
        .stderr_has("already an agentctl workspace");
    assert_eq!(env.store_state(), before);
}

fn commands_outside_a_workspace_name_init(env: TestEnv) {
    for args in [
        &["status"][..],
        &["validate"],
        &["diff"],
        &["publish"],
        &["log"],
        &["show", "x"],
    ] {
        env.run(args)
            .code(2)
            .stderr_has("not inside an agentctl workspace")
            .stderr_has("agentctl init");
    }
}

fn workspace_is_found_from_a_subfolder_and_with_dash_c(env: TestEnv) {
    env.write_agent("a", &crate::common::agent_yaml("A", 0.1));
    let sub = env.root.join("agents");
    let run = env.run_with(env.command().current_dir(&sub).args(["status", "--json"]));
    run.success();
    assert_eq!(run.json()["agents"][0]["agent"], "a");

    let outside = env.tmp.path();
    let run = env.run_with(env.command().current_dir(outside).args([
        "-C",
        env.root.to_str().unwrap(),
        "status",
        "--json",
    ]));
    run.success();
    assert_eq!(run.json()["agents"][0]["state"], "new");
}

fn store_option_and_environment_variable_choose_another_store(env: TestEnv) {
    env.write_agent("a", &crate::common::agent_yaml("A", 0.1));
    let other = env.tmp.path().join("ci-volume/history.db");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    env.run(&["--store", other.to_str().unwrap(), "publish"])
        .success();
    assert!(other.is_file());
    // The default store saw nothing; the other one has the entry.
    assert_eq!(env.history_len(None), 0);
    let run = env.run_with(
        env.command()
            .env("AGENTCTL_STORE", &other)
            .args(["log", "--json"]),
    );
    run.success();
    assert_eq!(run.json()["entries"].as_array().unwrap().len(), 1);
}

#[test]
fn a_file_that_is_not_a_store_is_refused_and_left_alone() {
    let env = TestEnv::new();
    let text = env.tmp.path().join("notes.txt");
    std::fs::write(
        &text,
        "just some notes, not a database, long enough to have a header",
    )
    .unwrap();
    let before = std::fs::read(&text).unwrap();
    env.run(&["--store", text.to_str().unwrap(), "log"])
        .code(2)
        .stderr_has("not an agentctl store");
    assert_eq!(std::fs::read(&text).unwrap(), before);
}

/// A team that commits `.agentctl/` commits its store, never this checkout's caches and locks.
#[test]
fn a_committed_workspace_shows_git_only_the_store() {
    let env = TestEnv::bare();
    let git = |args: &[&str]| {
        let output = env
            .std_command(std::path::Path::new("git"))
            .args(args)
            .output()
            .expect("git runs");
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    git(&["init", "-q"]);
    env.run(&["init"]).success();
    env.write_agent("bot", &crate::common::agent_yaml("bot", 0.2));
    env.run(&["publish", "-m", "first"]).success();
    env.write_agent("bot", &crate::common::agent_yaml("bot", 0.4));
    env.run(&["status"]).success();
    env.run(&["restore", "bot"]).success();
    assert!(env.root.join(".agentctl/staging-index").is_file());
    assert!(env.root.join(".agentctl/lock").is_file());
    let untracked = git(&[
        "status",
        "--porcelain",
        "--untracked-files=all",
        ".agentctl",
    ]);
    assert_eq!(
        untracked, "?? .agentctl/.gitignore\n?? .agentctl/store.db\n",
        "only the store and the ignore file are for git"
    );
}

#[test]
fn help_and_version() {
    let env = TestEnv::bare();
    env.run(&["--help"]).success().stdout_has("publish");
    env.run(&["-V"]).success().stdout_has("agentctl");
    env.run(&["no-such-command"]).code(2);
}

#[test]
fn a_missing_workspace_store_is_an_error_not_an_empty_history() {
    let env = TestEnv::new();
    env.write_agent("a", &crate::common::agent_yaml("A", 0.1));
    env.run(&["publish"]).success();
    std::fs::remove_file(env.store()).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(env.root.join(format!(".agentctl/store.db{suffix}")));
    }
    env.run(&["status"])
        .code(2)
        .stderr_has("store .agentctl/store.db is missing")
        .stderr_has("help:");
    env.run(&["publish"]).code(2);
    assert!(
        !env.store().exists(),
        "no empty store may replace the lost one"
    );
}

#[test]
fn init_with_a_bad_store_leaves_no_workspace_behind() {
    let env = TestEnv::bare();
    std::fs::write(
        env.root.join("notes.txt"),
        "these are notes, not an SQLite store at all",
    )
    .unwrap();
    env.run(&["init", "--store", "notes.txt"])
        .code(2)
        .stderr_has("not an agentctl store");
    assert!(!env.root.join(".agentctl").exists());
    assert!(!env.root.join("agents").exists());
    env.run(&["init"]).success();
}

#[test]
fn init_with_a_store_option_also_creates_the_workspace_store() {
    let env = TestEnv::bare();
    env.run(&["init", "--store", "elsewhere.db"]).success();
    assert!(env.root.join("elsewhere.db").is_file());
    assert!(env.store().is_file());
    env.run(&["status"]).success();
}

#[test]
fn the_store_variable_is_never_printed_and_may_be_empty() {
    let env = TestEnv::new();
    let run = env.run_with(
        env.command()
            .env("AGENTCTL_STORE", "/secret/hunter2.db")
            .arg("--help"),
    );
    run.success();
    assert!(!run.stdout.contains("hunter2"), "{}", run.show());
    env.run_with(env.command().env("AGENTCTL_STORE", "").arg("status"))
        .success();
}

#[test]
fn a_broken_user_config_is_a_located_error() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(env.config_dir().join("config.yaml"), "author: [unclosed\n").unwrap();
    env.run(&["status"])
        .code(2)
        .stderr_has("invalid user config")
        .stderr_has("config.yaml:");
    std::fs::write(env.config_dir().join("config.yaml"), "color: sometimes\n").unwrap();
    env.run(&["status"]).code(2).stderr_has("help:");
}
