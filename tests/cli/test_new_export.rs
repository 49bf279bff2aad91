//! `new` (a staging file from the template) and `export` (published configs for deployment).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::common::{TestEnv, agent_yaml, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only: `new` outside a workspace
// fails before any store is opened.
on_both_stores!(
    new_then_validate_in_a_fresh_workspace,
    new_names_that_yaml_would_read_as_numbers_stay_text,
    new_refuses_ids_that_are_not_ids_and_writes_nothing,
    new_refuses_to_overwrite,
    new_refuses_an_agent_that_is_published_and_points_at_restore,
    new_refreshes_a_stale_schema,
    export_gives_production_not_staging_byte_for_byte_the_same_every_time,
    export_a_past_publish_with_ref,
    export_writes_every_published_agent_with_o_and_skips_unpublished_ones,
    export_of_several_agents_needs_o,
    export_errors_write_nothing
);

/// Every file under `dir` with its bytes, to prove a command wrote nothing.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                files.insert(path.display().to_string(), bytes);
            }
        }
    }
    files
}

fn schema_validator(env: &TestEnv) -> jsonschema::Validator {
    let text = std::fs::read_to_string(env.root.join(".agentctl/agent.schema.json")).unwrap();
    jsonschema::draft7::new(&serde_json::from_str::<Value>(&text).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// new

fn new_then_validate_in_a_fresh_workspace(env: TestEnv) {
    env.run(&["new", "x"])
        .success()
        .stderr_has("Created agents/x.yaml")
        .stderr_has("agentctl validate x");
    env.run(&["validate", "x"]).success();
    let text = std::fs::read_to_string(env.root.join("agents/x.yaml")).unwrap();
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "# yaml-language-server: $schema=../.agentctl/agent.schema.json"
    );
    // The line points at a file that exists and holds this agentctl's schema.
    let schema = env.root.join("agents/../.agentctl/agent.schema.json");
    assert_eq!(
        std::fs::read_to_string(schema).unwrap(),
        env.run(&["schema"]).stdout
    );
    let config = agentctl::agent::parse(text.as_bytes()).unwrap();
    assert!(schema_validator(&env).is_valid(&Value::Object(config.clone())));
    for key in [
        "name",
        "description",
        "model",
        "instructions",
        "knowledge_sources",
        "tools",
        "guardrails",
    ] {
        assert!(config.contains_key(key), "{key}");
    }
    assert_eq!(config["name"], "x");
    // A new agent: nothing published yet, and it publishes as it is.
    let status = env.run(&["status", "--json"]);
    assert_eq!(status.json()["agents"][0]["state"], "new");
    env.run(&["publish", "x"]).success();
}

fn new_names_that_yaml_would_read_as_numbers_stay_text(env: TestEnv) {
    for id in ["1.0", "null", "true", "0x1F"] {
        env.run(&["new", id]).success();
        env.run(&["validate", id]).success();
        let config = agentctl::agent::parse(
            &std::fs::read(env.root.join(format!("agents/{id}.yaml"))).unwrap(),
        )
        .unwrap();
        assert_eq!(config["name"], id);
    }
}

fn new_refuses_ids_that_are_not_ids_and_writes_nothing(env: TestEnv) {
    let before = tree(env.tmp.path());
    for id in [
        "../x", "../../x", "/tmp/x", "a/b", ".hidden", "-x", "", "a b",
    ] {
        env.run(&["new", "--", id])
            .code(2)
            .stderr_has("is not a valid agent id");
    }
    assert_eq!(tree(env.tmp.path()), before);
}

fn new_refuses_to_overwrite(env: TestEnv) {
    let path = env.write_agent("x", &agent_yaml("x", 0.5));
    let before = tree(env.tmp.path());
    env.run(&["new", "x"])
        .code(2)
        .stderr_has("agents/x.yaml already exists");
    std::fs::write(env.root.join("agents/y.yml"), agent_yaml("y", 0.5)).unwrap();
    let before_yml = tree(env.tmp.path());
    env.run(&["new", "y"])
        .code(2)
        .stderr_has("agents/y.yml already exists");
    assert_eq!(tree(env.tmp.path()), before_yml);
    assert_eq!(
        before[&path.display().to_string()],
        agent_yaml("x", 0.5).as_bytes()
    );
}

fn new_refuses_an_agent_that_is_published_and_points_at_restore(env: TestEnv) {
    env.write_agent("x", &agent_yaml("x", 0.5));
    env.publish_json(&["x"]);
    std::fs::remove_file(env.root.join("agents/x.yaml")).unwrap();
    env.run(&["new", "x"])
        .code(2)
        .stderr_has("x is published")
        .stderr_has("agentctl restore x");
    assert!(!env.root.join("agents/x.yaml").exists());
}

#[test]
fn new_outside_a_workspace_names_init() {
    let env = TestEnv::bare();
    env.run(&["new", "x"]).code(2).stderr_has("agentctl init");
    assert!(tree(env.tmp.path()).is_empty());
}

fn new_refreshes_a_stale_schema(env: TestEnv) {
    let schema = env.root.join(".agentctl/agent.schema.json");
    std::fs::write(&schema, "{}").unwrap();
    env.run(&["new", "x"]).success();
    assert_eq!(
        std::fs::read_to_string(&schema).unwrap(),
        env.run(&["schema"]).stdout
    );
}

// ---------------------------------------------------------------------------------------------
// export

/// A workspace where `bot` has v1 (temperature 0.1) and v2 (0.2, with a secret), and staging
/// holds an unpublished edit (0.9).
fn exported_env(env: TestEnv) -> TestEnv {
    env.write_agent("bot", &agent_yaml("bot", 0.1));
    env.publish_json(&["bot"]);
    let v2 = agent_yaml("bot", 0.2) + "api_key: sk-live-123\n";
    env.write_agent("bot", &v2);
    env.publish_json(&["bot"]);
    env.write_agent("bot", &agent_yaml("bot", 0.9));
    env
}

fn production_config(env: &TestEnv, agent: &str, reference: &str) -> Value {
    let run = env.run(&["show", agent, reference, "--config", "--json"]);
    run.success();
    run.json()["config"].clone()
}

fn export_gives_production_not_staging_byte_for_byte_the_same_every_time(env: TestEnv) {
    let env = exported_env(env);
    let production = production_config(&env, "bot", "production");
    assert_eq!(production["model"]["temperature"], 0.2);

    let first = env.run(&["export", "bot"]);
    first.success().stdout_has("api_key: sk-live-123");
    assert!(first.stderr.is_empty(), "{}", first.show());
    let yaml: Value = serde_yaml::from_str(&first.stdout).unwrap();
    assert_eq!(yaml, production);
    assert_eq!(env.run(&["export", "bot"]).stdout, first.stdout);

    let json = env.run(&["export", "bot", "--format", "json"]);
    json.success();
    assert_eq!(json.json(), production);
    assert_eq!(
        env.run(&["export", "bot", "--format", "json"]).stdout,
        json.stdout
    );

    // -o: the same bytes in a file, twice; nothing else left in the folder.
    env.run(&["export", "-o", "dist"])
        .success()
        .stderr_has("Exported bot v2");
    let file = env.root.join("dist/bot.yaml");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), first.stdout);
    env.run(&["export", "bot", "-o", "dist"]).success();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), first.stdout);
    env.run(&["export", "bot", "-o", "dist", "--format", "json"])
        .success();
    let names: Vec<String> = std::fs::read_dir(env.root.join("dist"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(names, ["bot.json", "bot.yaml"]);
    assert_eq!(
        std::fs::read_to_string(env.root.join("dist/bot.json")).unwrap(),
        json.stdout
    );
}

fn export_a_past_publish_with_ref(env: TestEnv) {
    let env = exported_env(env);
    let run = env.run(&["export", "bot", "--ref", "v1", "--format", "json"]);
    run.success();
    assert_eq!(run.json(), production_config(&env, "bot", "v1"));
    assert_eq!(run.json()["model"]["temperature"], 0.1);
}

fn export_writes_every_published_agent_with_o_and_skips_unpublished_ones(env: TestEnv) {
    let env = exported_env(env);
    env.write_agent("other", &agent_yaml("other", 0.3));
    env.publish_json(&["other"]);
    env.write_agent("draft", &agent_yaml("draft", 0.3));
    env.run(&["export", "-o", "out/deploy", "--format", "json"])
        .success();
    let dir = env.root.join("out/deploy");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["bot.json", "other.json"]);
}

fn export_of_several_agents_needs_o(env: TestEnv) {
    let env = exported_env(env);
    env.write_agent("other", &agent_yaml("other", 0.3));
    env.publish_json(&["other"]);
    for args in [&["export"][..], &["export", "bot", "other"]] {
        let run = env.run(args);
        run.code(2)
            .stderr_has("name exactly one agent")
            .stderr_has("-o DIR");
        assert!(run.stdout.is_empty());
    }
}

fn export_errors_write_nothing(env: TestEnv) {
    let env = exported_env(env);
    env.write_agent("draft", &agent_yaml("draft", 0.3));
    let before = tree(env.tmp.path());
    for (args, says) in [
        (&["export", "nobody"][..], "unknown agent `nobody`"),
        (&["export", "draft"], "agentctl publish draft"),
        (
            &["export", "bot", "--ref", "v7"],
            "no publish of bot matches `v7`",
        ),
        (
            &["export", "bot", "--ref", "later"],
            "not a reference to a publish",
        ),
        (
            &["export", "bot", "--ref", "staging"],
            "staging is not a publish",
        ),
        (
            &["export", "bot", "--format", "toml"],
            "invalid value 'toml'",
        ),
        (&["export", "../x"], "not a valid agent id"),
        // One bad agent: the good one is not written either.
        (&["export", "bot", "nobody", "-o", "dist"], "unknown agent"),
        (
            &["export", "bot", "draft", "-o", "dist"],
            "has never been published",
        ),
    ] {
        let run = env.run(args);
        run.code(2).stderr_has(says);
        assert!(run.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(tree(env.tmp.path()), before);
}
