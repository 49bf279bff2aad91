//! `--help` as a new user reads it: the command's own options apart from the global ones,
//! every argument described, and no option listed that does nothing.

use crate::common::TestEnv;

/// The `--help` of `command`, which must succeed.
fn help(env: &TestEnv, command: &str) -> String {
    let run = env.run(&[command, "--help"]);
    run.success();
    run.stdout.clone()
}

const COMMANDS: [&str; 18] = [
    "init",
    "new",
    "status",
    "validate",
    "diff",
    "publish",
    "log",
    "blame",
    "show",
    "revert-preview",
    "revert",
    "restore",
    "undo",
    "export",
    "schema",
    "completions",
    "verify",
    "store",
];

#[test]
fn global_options_have_their_own_heading_in_every_command() {
    let env = TestEnv::bare();
    for command in COMMANDS {
        let text = help(&env, command);
        let (own, global) = text
            .split_once("\nGlobal options:\n")
            .unwrap_or_else(|| panic!("{command}: no Global options heading:\n{text}"));
        for option in [
            "--store",
            "--color",
            "--no-pager",
            "--lock-timeout",
            "-C <DIR>",
        ] {
            let listed = |part: &str| part.lines().any(|l| l.trim_start().starts_with(option));
            assert!(!listed(own), "{command}: {option} among its own options");
            assert!(
                listed(global),
                "{command}: {option} not under Global options"
            );
        }
    }
}

#[test]
fn every_agent_argument_is_described() {
    let env = TestEnv::bare();
    for command in COMMANDS {
        let text = help(&env, command);
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.starts_with("<AGENT") || trimmed.starts_with("[AGENT") {
                let next = text.lines().nth(i + 1).unwrap_or_default();
                let described = trimmed.len() > "[AGENT]...".len() || !next.trim().is_empty();
                assert!(
                    described,
                    "{command}: {trimmed} has no description:\n{text}"
                );
            }
        }
    }
}

#[test]
fn store_option_says_it_takes_a_file_or_a_url() {
    let env = TestEnv::bare();
    let text = help(&env, "log");
    assert!(text.contains("--store <FILE|URL>"), "{text}");
    assert!(text.contains("postgres://"), "{text}");
}

#[test]
fn schema_and_completions_refuse_the_store_options_that_do_nothing_there() {
    let env = TestEnv::bare();
    for command in [&["schema"][..], &["completions", "bash"][..]] {
        for option in [&["--store", "x.db"][..], &["--lock-timeout", "5s"][..]] {
            let mut args = command.to_vec();
            args.extend_from_slice(option);
            let run = env.run(&args);
            run.code(2)
                .stderr_has(&format!("{} does nothing", option[0]))
                .stderr_has("leave");
            assert!(run.stdout.is_empty(), "{}", run.show());
        }
        env.run(command).success();
        assert!(!env.root.join("x.db").exists());
    }
}

#[test]
fn show_has_the_stat_view_of_diff() {
    let env = TestEnv::new();
    env.write_agent("bot", "name: Bot\nmodel:\n  temperature: 0.2\n");
    env.run(&["publish", "-m", "one"]).success();
    env.write_agent("bot", "name: Bot\nmodel:\n  temperature: 0.7\n");
    env.run(&["publish", "-m", "two"]).success();
    let run = env.run(&["show", "bot", "--stat"]);
    run.success()
        .stdout_has("0 added, 0 removed, 1 changed")
        .stdout_has("model.temperature")
        .stdout_lacks("0.7");
}
