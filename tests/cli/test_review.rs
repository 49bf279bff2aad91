//! The review views through the binary: side by side fitted to COLUMNS, unified below 80
//! columns or on request, markdown for pull requests, colour rules, secrets, the pager.
//! (The views' exact text is snapshotted in src/render/review_tests.rs.)

use std::path::Path;
use std::process::Stdio;

use unicode_width::UnicodeWidthStr;

use crate::common::{Run, TestEnv, on_both_stores};

on_both_stores!(
    diff_is_side_by_side_from_80_columns_and_fits_the_width,
    diff_is_unified_below_80_columns_or_when_asked,
    a_columns_value_that_is_not_a_number_means_100,
    show_uses_the_same_views,
    markdown_has_a_heading_per_agent_tables_and_fenced_diffs,
    secrets_are_masked_in_human_views_unless_asked,
    piped_output_has_no_escape_codes,
    color_always_colours_every_human_view,
    color_never_beats_clicolor_force,
    json_and_markdown_never_have_escape_codes,
    a_closed_pipe_after_the_first_line_is_quiet_with_exit_0,
    long_output_on_a_terminal_goes_through_the_pager,
    the_user_configs_pager_comes_after_the_environment,
    no_pager_for_short_output_with_no_pager_or_an_empty_pager,
    piped_output_never_goes_through_the_pager,
    a_pager_that_cannot_start_leaves_the_output_on_stdout,
    an_interrupt_while_paging_is_left_to_the_pager
);

const ESCAPE: &str = "\u{1b}[";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/review")
        .join(format!("{name}.yaml"));
    std::fs::read_to_string(path).unwrap()
}

/// support-bot published as tests/fixtures/review/production.yaml, staging edited to
/// staging.yaml: changes in every section.
fn review_env(env: TestEnv) -> TestEnv {
    env.write_agent("support-bot", &fixture("production"));
    env.run(&["publish", "-m", "Before the review"]).success();
    env.write_agent("support-bot", &fixture("staging"));
    env
}

fn run_at(env: &TestEnv, columns: &str, args: &[&str]) -> Run {
    env.run_with(env.command().env("COLUMNS", columns).args(args))
}

#[track_caller]
fn assert_fits(run: &Run, columns: usize) {
    for line in run.stdout.lines() {
        assert!(
            line.width() <= columns,
            "{} columns > {columns}: {line:?}\n{}",
            line.width(),
            run.show()
        );
    }
}

fn is_side_by_side(run: &Run) -> bool {
    run.stdout.lines().any(|l| l.contains(" │ "))
}

fn diff_is_side_by_side_from_80_columns_and_fits_the_width(env: TestEnv) {
    let env = review_env(env);
    for columns in [80, 100, 160] {
        let run = run_at(&env, &columns.to_string(), &["diff"]);
        run.success();
        assert!(is_side_by_side(&run), "{columns}:\n{}", run.show());
        assert_fits(&run, columns);
        run.stdout_has("Production").stdout_has("Staging");
    }
}

fn diff_is_unified_below_80_columns_or_when_asked(env: TestEnv) {
    let env = review_env(env);
    for (columns, args) in [
        ("60", &["diff"][..]),
        ("79", &["diff"]),
        ("160", &["diff", "--unified"]),
    ] {
        let run = run_at(&env, columns, args);
        run.success();
        assert!(
            !is_side_by_side(&run),
            "{columns} {args:?}:\n{}",
            run.show()
        );
        assert_fits(&run, columns.parse().unwrap());
        run.stdout_has("Production: 0.2")
            .stdout_has("Staging:    0.3");
    }
}

fn a_columns_value_that_is_not_a_number_means_100(env: TestEnv) {
    let env = review_env(env);
    let run = run_at(&env, "wide", &["diff"]);
    run.success();
    assert!(is_side_by_side(&run), "{}", run.show());
    assert_fits(&run, 100);
    assert!(run.stdout.lines().any(|l| l.width() > 90), "{}", run.show());
}

fn show_uses_the_same_views(env: TestEnv) {
    let env = review_env(env);
    env.run(&["publish", "-m", "Review done"]).success();
    let run = run_at(&env, "120", &["show", "support-bot"]);
    run.success()
        .stdout_has("support-bot v2")
        .stdout_has("Review done")
        .stdout_has("(just now)")
        .stdout_has("2 added, 1 removed, 8 changed");
    assert!(is_side_by_side(&run), "{}", run.show());
    assert_fits(&run, 120);
    let run = run_at(&env, "120", &["show", "support-bot", "--unified"]);
    run.success().stdout_has("v1: 0.2").stdout_has("v2: 0.3");
    assert!(!is_side_by_side(&run), "{}", run.show());
    let run = env.run(&["show", "support-bot", "--format", "markdown"]);
    run.success()
        .stdout_has("### support-bot v2")
        .stdout_has("| Path | v1 | v2 |")
        .stdout_has("```diff");
    assert_eq!(
        env.run(&["show", "support-bot", "--format", "json"]).json(),
        env.run(&["show", "support-bot", "--json"]).json()
    );
}

fn markdown_has_a_heading_per_agent_tables_and_fenced_diffs(env: TestEnv) {
    let env = review_env(env);
    env.write_agent("other", "name: Other\n");
    let run = env.run(&["diff", "--format", "markdown"]);
    run.success()
        .stdout_has("### support-bot\n")
        .stdout_has("### other\n")
        .stdout_has("#### Tools (5)")
        .stdout_has("| Path | Production | Staging |")
        .stdout_has("| `model.temperature` | `0.2` | `0.3` |")
        .stdout_has("```diff\n@@ -1,5 +1,5 @@")
        .stdout_has("+billing, account access, order status, refunds");
    let stat = env.run(&["diff", "--format", "markdown", "--stat"]);
    stat.success()
        .stdout_has("- **Tools**: 1 added, 1 removed, 3 changed")
        .stdout_has("  - + `tools[refund_status]`");
}

fn secrets_are_masked_in_human_views_unless_asked(env: TestEnv) {
    let env = review_env(env);
    let secret = "zd-live-7f3a9c2e41b84d6f";
    for args in [
        &["diff"][..],
        &["diff", "--unified"],
        &["diff", "--format", "markdown"],
    ] {
        env.run(args)
            .success()
            .stdout_has("********")
            .stdout_lacks(secret);
        let mut shown = args.to_vec();
        shown.push("--show-secrets");
        env.run(&shown).success().stdout_has(secret);
    }
    env.run(&["diff", "--json"]).success().stdout_has(secret);
    env.run(&["publish"]).success();
    for args in [
        &["show", "support-bot"][..],
        &["show", "support-bot", "--format", "markdown"],
    ] {
        env.run(args).success().stdout_lacks(secret);
        let mut shown = args.to_vec();
        shown.push("--show-secrets");
        env.run(&shown).success().stdout_has(secret);
    }
}

// ---------------------------------------------------------------------------------------------
// Colour

/// Every human view of the review, and their JSON.
const HUMAN: [&[&str]; 5] = [
    &["diff"],
    &["diff", "--unified"],
    &["diff", "--stat"],
    &["show", "support-bot", "v1"],
    &["log"],
];
const JSON: [&[&str]; 3] = [
    &["diff", "--json"],
    &["show", "support-bot", "--json"],
    &["log", "--json"],
];

fn piped_output_has_no_escape_codes(env: TestEnv) {
    let env = review_env(env);
    for args in HUMAN.iter().chain(&JSON) {
        env.run(args).success().stdout_lacks(ESCAPE);
    }
}

fn color_always_colours_every_human_view(env: TestEnv) {
    let env = review_env(env);
    for args in HUMAN {
        let mut all = vec!["--color", "always"];
        all.extend_from_slice(args);
        env.run(&all).success().stdout_has(ESCAPE);
    }
    let forced = env.run_with(env.command().env("CLICOLOR_FORCE", "1").arg("diff"));
    forced.success().stdout_has(ESCAPE);
}

fn color_never_beats_clicolor_force(env: TestEnv) {
    let env = review_env(env);
    for args in HUMAN {
        let run = env.run_with(
            env.command()
                .env("CLICOLOR_FORCE", "1")
                .args(["--color", "never"])
                .args(args),
        );
        run.success().stdout_lacks(ESCAPE);
    }
}

fn json_and_markdown_never_have_escape_codes(env: TestEnv) {
    let env = review_env(env);
    let markdown: [&[&str]; 2] = [
        &["diff", "--format", "markdown"],
        &["show", "support-bot", "--format", "markdown"],
    ];
    for args in JSON.iter().chain(&markdown) {
        let run = env.run_with(
            env.command()
                .env("CLICOLOR_FORCE", "1")
                .args(["--color", "always"])
                .args(*args),
        );
        run.success().stdout_lacks(ESCAPE);
    }
}

fn a_closed_pipe_after_the_first_line_is_quiet_with_exit_0(env: TestEnv) {
    let env = review_env(env);
    let bin = assert_cmd::cargo::cargo_bin!("agentctl")
        .display()
        .to_string();
    for command in ["log", "diff", "show support-bot", "log --color always"] {
        // pipefail: the exit status is agentctl's, not head's.
        let script = format!("set -o pipefail; '{bin}' {command} | head -1");
        let output = env
            .std_command(Path::new("bash"))
            .args(["-c", &script])
            .stdin(Stdio::null())
            .output()
            .expect("bash runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{command}: {stderr}");
        assert!(stderr.is_empty(), "{command}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);
    }
}

// ---------------------------------------------------------------------------------------------
// Pager

/// A pager that writes what it is given to `paged.txt` in the workspace.
fn recording_pager(env: &TestEnv) -> String {
    format!("cat > '{}'", env.root.join("paged.txt").display())
}

/// `agentctl ARGS` with stdout on a terminal (util-linux `script` gives it one) and `vars` set.
/// Returns what reached the terminal and what reached the recording pager (None: it never
/// ran).
fn on_a_terminal(env: &TestEnv, args: &str, vars: &[(&str, &str)]) -> (String, Option<String>) {
    let bin = assert_cmd::cargo::cargo_bin!("agentctl")
        .display()
        .to_string();
    let paged = env.root.join("paged.txt");
    let _ = std::fs::remove_file(&paged);
    let mut cmd = env.std_command(Path::new("script"));
    cmd.args(["-qec", &format!("'{bin}' {args}"), "/dev/null"])
        .stdin(Stdio::null());
    for (name, value) in vars {
        cmd.env(name, value);
    }
    let output = cmd
        .output()
        .expect("util-linux `script` runs: it gives agentctl a terminal");
    let terminal = String::from_utf8_lossy(&output.stdout).into_owned();
    (terminal, std::fs::read_to_string(&paged).ok())
}

fn long_output_on_a_terminal_goes_through_the_pager(env: TestEnv) {
    let env = review_env(env);
    let pager = recording_pager(&env);
    for args in ["diff", "show support-bot v1", "log"] {
        let vars = [("LINES", "3"), ("AGENTCTL_PAGER", pager.as_str())];
        let (terminal, paged) = on_a_terminal(&env, args, &vars);
        let paged = paged.unwrap_or_else(|| panic!("{args}: not paged; terminal:\n{terminal}"));
        assert!(paged.contains("support-bot"), "{args}: {paged}");
        assert!(
            paged.contains(ESCAPE),
            "a terminal's pager gets colour: {paged}"
        );
        assert!(!terminal.contains("support-bot"), "{args}: {terminal}");
    }
    // PAGER when AGENTCTL_PAGER is not set.
    let vars = [("LINES", "3"), ("PAGER", pager.as_str())];
    let (_, paged) = on_a_terminal(&env, "diff", &vars);
    assert!(paged.is_some_and(|p| p.contains("support-bot")));
}

/// Flags > environment > user config > default: the config's `pager` is used only when
/// neither AGENTCTL_PAGER nor PAGER is set, and never with --no-pager.
fn the_user_configs_pager_comes_after_the_environment(env: TestEnv) {
    let env = review_env(env);
    std::fs::create_dir_all(env.config_dir()).unwrap();
    let config = format!("pager: \"{}\"\n", recording_pager(&env));
    std::fs::write(env.config_dir().join("config.yaml"), config).unwrap();
    let (_, paged) = on_a_terminal(&env, "diff", &[("LINES", "3")]);
    assert!(paged.is_some_and(|p| p.contains("support-bot")));
    for (args, vars) in [
        ("diff", [("LINES", "3"), ("PAGER", "")]),
        ("diff", [("LINES", "3"), ("AGENTCTL_PAGER", "cat")]),
        ("--no-pager diff", [("LINES", "3"), ("COLUMNS", "100")]),
    ] {
        let (terminal, paged) = on_a_terminal(&env, args, &vars);
        assert!(paged.is_none(), "{args} {vars:?}");
        assert!(terminal.contains("support-bot"), "{args} {vars:?}");
    }
    std::fs::write(env.config_dir().join("config.yaml"), "pager: ''\n").unwrap();
    let (terminal, paged) = on_a_terminal(&env, "diff", &[("LINES", "3")]);
    assert!(paged.is_none() && terminal.contains("support-bot"));
}

fn no_pager_for_short_output_with_no_pager_or_an_empty_pager(env: TestEnv) {
    let env = review_env(env);
    let pager = recording_pager(&env);
    for (args, vars) in [
        // Shorter than the screen.
        (
            "diff",
            [("LINES", "1000"), ("AGENTCTL_PAGER", pager.as_str())],
        ),
        (
            "--no-pager diff",
            [("LINES", "3"), ("AGENTCTL_PAGER", pager.as_str())],
        ),
        // An empty AGENTCTL_PAGER turns paging off, as an empty GIT_PAGER does.
        ("diff", [("LINES", "3"), ("AGENTCTL_PAGER", "")]),
    ] {
        let (terminal, paged) = on_a_terminal(&env, args, &vars);
        assert!(paged.is_none(), "{args} {vars:?}");
        assert!(
            terminal.contains("support-bot"),
            "{args} {vars:?}: {terminal}"
        );
    }
}

/// Issue 14, item 1: a pager that is not found (the shell's 127), not executable (126) or that
/// dies at once does not swallow the output: it is printed here, with a warning.
fn a_pager_that_cannot_start_leaves_the_output_on_stdout(env: TestEnv) {
    let env = review_env(env);
    let not_executable = env.root.join("not-executable");
    std::fs::write(&not_executable, "#!/bin/sh\ncat\n").unwrap();
    for pager in [
        "nonexistent-pager-xyz".to_owned(),
        format!("'{}'", not_executable.display()),
        "exit 3".to_owned(),
    ] {
        for args in ["diff", "log"] {
            let vars = [("LINES", "3"), ("AGENTCTL_PAGER", pager.as_str())];
            let (terminal, _) = on_a_terminal(&env, args, &vars);
            assert!(
                terminal.contains("support-bot"),
                "{pager} {args}: {terminal}"
            );
            assert!(
                terminal.contains("cannot start the pager"),
                "{pager} {args}: {terminal}"
            );
        }
    }
}

fn piped_output_never_goes_through_the_pager(env: TestEnv) {
    let env = review_env(env);
    let run = env.run_with(
        env.command()
            .env("LINES", "3")
            .env("AGENTCTL_PAGER", recording_pager(&env))
            .arg("diff"),
    );
    run.success().stdout_has("support-bot");
    assert!(!env.root.join("paged.txt").exists());
}

/// Ctrl-C on the terminal while the pager runs is the pager's: agentctl, which gets it too, keeps
/// waiting for the pager and ends normally, as git does, instead of dying under it.
fn an_interrupt_while_paging_is_left_to_the_pager(env: TestEnv) {
    let env = review_env(env);
    let paged = env.root.join("paged.txt");
    // The pager, once running, interrupts agentctl (its parent) as the terminal would, then
    // reads everything.
    let pager = format!(
        "sleep 0.2; kill -INT $PPID; sleep 0.2; cat > '{}'",
        paged.display()
    );
    let bin = assert_cmd::cargo::cargo_bin!("agentctl")
        .display()
        .to_string();
    let output = env
        .std_command(Path::new("script"))
        .args([
            "-qec",
            &format!("'{bin}' diff; echo \"exit=$?\""),
            "/dev/null",
        ])
        .env("LINES", "3")
        .env("AGENTCTL_PAGER", &pager)
        .stdin(Stdio::null())
        .output()
        .expect("util-linux `script` runs: it gives agentctl a terminal");
    let terminal = String::from_utf8_lossy(&output.stdout);
    assert!(
        terminal.contains("exit=0"),
        "agentctl did not end normally:\n{terminal}"
    );
    let paged = std::fs::read_to_string(&paged).unwrap_or_default();
    assert!(paged.contains("support-bot"), "the pager got: {paged:?}");
}

/// Without a pager, Ctrl-C still ends agentctl at once: here a restore waiting for the
/// workspace lock, which another process holds.
#[test]
fn an_interrupt_without_a_pager_still_ends_agentctl() {
    use std::os::unix::process::ExitStatusExt;
    let env = TestEnv::new();
    env.write_agent("bot", &crate::common::agent_yaml("bot", 0.2));
    env.run(&["publish", "-m", "first"]).success();
    let mut holder = std::process::Command::new("flock")
        .arg(env.root.join(".agentctl/lock"))
        .args(["sleep", "10"])
        .spawn()
        .expect("util-linux `flock` runs");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut restore = env
        .std_command(assert_cmd::cargo::cargo_bin!("agentctl"))
        .args(["restore", "bot", "--lock-timeout", "10s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    std::process::Command::new("kill")
        .args(["-INT", &restore.id().to_string()])
        .status()
        .unwrap();
    let status = restore.wait().unwrap();
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(status.signal(), Some(2), "{status:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}
