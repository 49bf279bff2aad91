//! Secrets inside values (an MCP server's `env` and headers, keys pasted into a URL or a
//! prompt) are masked in every human view, as secret-named keys are; `--json` and `export`
//! keep them, and `--show-secrets` shows them.

use crate::common::TestEnv;

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.x9f8";
const OPENAI: &str = "sk-proj-4f9a8b7c6d5e4f3a2b1c";
const GITHUB: &str = "ghp_1234567890abcdefghijABCDEFGHIJ";
const SLACK: &str = "xoxb-1234567890-abcdefghij";
const AWS: &str = "AKIAIOSFODNN7EXAMPLE";
const PASSWORD: &str = "hunter2hunter2";

fn yaml(model: &str) -> String {
    format!(
        "name: Support\nmodel:\n  provider: openai\n  name: {model}\n\
         mcp_servers:\n  - name: crm\n    url: https://app:{PASSWORD}@crm.internal/mcp\n\
         \x20   headers:\n      - \"Authorization: Bearer {TOKEN}\"\n\
         \x20   env:\n      OPENAI: {OPENAI}\n      GH: {GITHUB}\n      SLACK: {SLACK}\n      AWS: {AWS}\n\
         instructions: |\n  Be brief.\n  Call the CRM with Bearer {TOKEN} when asked.\n\
         \x20 Never promise refunds.\n"
    )
}

const SECRETS: [&str; 6] = [TOKEN, OPENAI, GITHUB, SLACK, AWS, PASSWORD];

fn published_twice() -> TestEnv {
    let env = TestEnv::new();
    env.write_agent("bot", &yaml("gpt-4.1"));
    env.run(&["publish", "-m", "first"]).success();
    env.write_agent(
        "bot",
        &yaml("gpt-4.1-mini").replace("Be brief.", "Be short."),
    );
    env
}

fn assert_masked(env: &TestEnv, args: &[&str]) {
    let run = env.run(args);
    run.success();
    for secret in SECRETS {
        assert!(
            !run.stdout.contains(secret),
            "{args:?} shows {secret}:\n{}",
            run.show()
        );
    }
    assert!(run.stdout.contains("********"), "{args:?}:\n{}", run.show());
}

#[test]
fn secrets_inside_values_are_masked_in_every_human_view() {
    // An agent never published: its diff shows every value as added.
    let env = TestEnv::new();
    env.write_agent("bot", &yaml("gpt-4.1"));
    for args in [
        &["diff"][..],
        &["diff", "--unified"][..],
        &["diff", "--format", "markdown"][..],
    ] {
        assert_masked(&env, args);
    }
    let env = published_twice();
    for args in [&["diff"][..], &["diff", "--format", "markdown"][..]] {
        let run = env.run(args);
        run.success();
        for secret in SECRETS {
            assert!(!run.stdout.contains(secret), "{args:?}:\n{}", run.show());
        }
    }
    for format in [&["--unified"][..], &["--format", "markdown"][..], &[][..]] {
        let mut args = vec!["show", "bot", "v1", "--config"];
        args.extend_from_slice(format);
        assert_masked(&env, &args);
    }
    env.run(&["publish", "-m", "second"]).success();
    assert_masked(&env, &["blame", "bot"]);
    // The parts that name what was masked stay readable.
    let run = env.run_with(env.command().env("COLUMNS", "300").args(["blame", "bot"]));
    run.stdout_has("Bearer ********")
        .stdout_has("https://app:********@crm.internal/mcp")
        .stdout_has("Never promise refunds.");
}

#[test]
fn json_export_and_show_secrets_keep_them() {
    let env = published_twice();
    env.run(&["publish", "-m", "second"]).success();
    for args in [
        &["show", "bot", "--config", "--show-secrets"][..],
        &["blame", "bot", "--show-secrets"][..],
        &["show", "bot", "v1", "--json"][..],
        &["show", "bot", "--config", "--json"][..],
        &["export", "bot"][..],
    ] {
        // Wide, so that no value wraps through a secret.
        let run = env.run_with(env.command().env("COLUMNS", "300").args(args));
        run.success();
        for secret in SECRETS {
            assert!(
                run.stdout.contains(secret),
                "{args:?} hides {secret}:\n{}",
                run.show()
            );
        }
    }
}

#[test]
fn markdown_for_pull_requests_shows_absolute_utc_times() {
    let env = published_twice();
    let run = env.run(&["show", "bot", "v1", "--format", "markdown"]);
    run.success().stdout_lacks(" ago").stdout_lacks("just now");
    let published = run
        .stdout
        .lines()
        .find(|l| l.starts_with("- Published: "))
        .unwrap_or_else(|| panic!("no Published line:\n{}", run.show()));
    assert!(published.ends_with(" UTC"), "{published}");
}
