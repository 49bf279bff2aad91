//! `status` and `validate`: the five states, what counts as a change (formatting does not, list
//! order does), located validation errors, agent ids and `.yml` files.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Run, TestEnv, agent_yaml, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only: `validate` never opens a
// store.
on_both_stores!(
    status_new_agent_never_published,
    status_clean_after_publish_shows_production,
    status_modified_after_an_edit,
    status_missing_when_the_staging_file_is_deleted,
    status_invalid_for_bad_yaml_never_published_and_published,
    status_lists_every_state_in_name_order,
    reformatting_recommenting_requoting_and_reordering_keys_is_clean,
    integer_and_float_with_the_same_value_are_equal,
    reordering_list_items_is_a_change,
    validate_one_invalid_exits_2_with_a_located_error,
    bad_agent_file_names_are_invalid_in_status,
    yaml_and_yml_for_the_same_agent_is_an_error,
    a_yml_file_works_like_yaml,
    the_deepest_valid_nesting_can_be_published_and_read_back,
    special_files_are_refused_without_reading_them,
    status_remembers_the_files_it_parsed_and_notices_every_edit,
    a_damaged_or_unwritable_staging_index_is_not_an_error,
    an_edit_in_the_same_second_keeping_size_and_time_is_seen,
    status_takes_productions_from_the_index_only_while_the_store_file_vouches,
    status_does_not_read_the_summaries_it_does_not_show,
    odd_file_names_are_invalid_agents_with_a_location
);

/// The `status --json` entry of one agent.
#[track_caller]
fn status_of(env: &TestEnv, agent: &str) -> Value {
    let run = env.run(&["status", "--json"]);
    run.success();
    let doc = run.json();
    doc["agents"]
        .as_array()
        .unwrap_or_else(|| panic!("no `agents` list:\n{}", run.show()))
        .iter()
        .find(|a| a["agent"] == agent)
        .unwrap_or_else(|| panic!("agent {agent} not in status:\n{}", run.show()))
        .clone()
}

/// The line of human `status` output that names `agent` (as a whole word).
#[track_caller]
fn status_line(run: &Run, agent: &str) -> String {
    run.stdout
        .lines()
        .find(|line| line.split_whitespace().any(|word| word == agent))
        .unwrap_or_else(|| panic!("no status line for {agent}:\n{}", run.show()))
        .to_string()
}

/// Publish one agent and return its `change_track_id` and `published_at`.
#[track_caller]
fn publish(env: &TestEnv, agent: &str) -> (String, String) {
    let doc = env.publish_json(&[agent]);
    let result = &doc["results"][0];
    assert_eq!(result["agent"], agent, "{doc:#}");
    (
        result["change_track_id"].as_str().unwrap().to_string(),
        result["published_at"].as_str().unwrap().to_string(),
    )
}

// ---------------------------------------------------------------------------------------------
// status: each state

fn status_new_agent_never_published(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.2));
    let run = env.run(&["status"]);
    run.success();
    let line = status_line(&run, "a");
    assert!(line.contains("new"), "{}", run.show());
    assert!(
        !line.contains("clean") && !line.contains("modified"),
        "{line}"
    );

    let run = env.run(&["status", "--json"]);
    run.success();
    assert_eq!(
        run.json(),
        json!({"agents": [{"agent": "a", "state": "new", "format": "native", "production": null}]}),
        "{}",
        run.show()
    );
}

fn status_clean_after_publish_shows_production(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.2));
    let (id, published_at) = publish(&env, "a");

    let run = env.run(&["status"]);
    run.success();
    let line = status_line(&run, "a");
    assert!(line.contains("clean"), "{}", run.show());
    assert!(line.contains("v1"), "{}", run.show());
    assert!(line.contains(&id[..8]), "short id missing:\n{}", run.show());

    let run = env.run(&["status", "--json"]);
    run.success();
    assert_eq!(
        run.json(),
        json!({"agents": [{
            "agent": "a",
            "state": "clean",
            "format": "native",
            "production": {"version": 1, "change_track_id": id, "published_at": published_at},
        }]}),
        "{}",
        run.show()
    );
}

fn status_modified_after_an_edit(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.2));
    let (id, _) = publish(&env, "a");
    env.write_agent("a", &agent_yaml("A", 0.3));

    let run = env.run(&["status"]);
    run.success();
    assert!(
        status_line(&run, "a").contains("modified"),
        "{}",
        run.show()
    );

    let entry = status_of(&env, "a");
    assert_eq!(entry["state"], "modified");
    assert_eq!(entry["production"]["version"], 1);
    assert_eq!(entry["production"]["change_track_id"], id.as_str());
}

fn status_missing_when_the_staging_file_is_deleted(env: TestEnv) {
    let path = env.write_agent("a", &agent_yaml("A", 0.2));
    let (id, published_at) = publish(&env, "a");
    std::fs::remove_file(path).unwrap();

    let run = env.run(&["status"]);
    run.success();
    assert!(status_line(&run, "a").contains("missing"), "{}", run.show());

    let entry = status_of(&env, "a");
    assert_eq!(
        entry,
        json!({
            "agent": "a",
            "state": "missing",
            "format": null,
            "production": {"version": 1, "change_track_id": id, "published_at": published_at},
        })
    );
}

fn status_invalid_for_bad_yaml_never_published_and_published(env: TestEnv) {
    env.write_agent("fresh", "name: [unclosed\n");
    env.write_agent("live", &agent_yaml("Live", 0.2));
    let (id, _) = publish(&env, "live");
    env.write_agent("live", "name: Live\ndescription: a: b\n");

    let run = env.run(&["status"]);
    run.success();
    assert!(
        status_line(&run, "fresh").contains("invalid"),
        "{}",
        run.show()
    );
    assert!(
        status_line(&run, "live").contains("invalid"),
        "{}",
        run.show()
    );
    // The human view says where the problem is.
    assert!(
        run.stdout.contains("agents/live.yaml:2:15")
            || run.stderr.contains("agents/live.yaml:2:15"),
        "status does not locate the error:\n{}",
        run.show()
    );

    let fresh = status_of(&env, "fresh");
    assert_eq!(
        fresh,
        json!({"agent": "fresh", "state": "invalid", "format": null, "production": null})
    );
    let live = status_of(&env, "live");
    assert_eq!(live["state"], "invalid");
    assert_eq!(live["production"]["version"], 1);
    assert_eq!(live["production"]["change_track_id"], id.as_str());
}

fn status_lists_every_state_in_name_order(env: TestEnv) {
    // Created out of name order on purpose.
    env.write_agent("echo", &agent_yaml("Echo", 0.1));
    env.write_agent("delta", &agent_yaml("Delta", 0.1));
    env.write_agent("charlie", &agent_yaml("Charlie", 0.1));
    let bravo = env.write_agent("bravo", &agent_yaml("Bravo", 0.1));
    for agent in ["delta", "charlie", "bravo"] {
        publish(&env, agent);
    }
    env.write_agent("charlie", &agent_yaml("Charlie", 0.9));
    std::fs::remove_file(bravo).unwrap();
    env.write_agent("alpha", "name: A\nname: B\n");

    let run = env.run(&["status", "--json"]);
    run.success();
    let doc = run.json();
    let agents = doc["agents"].as_array().expect("agents list");
    let pairs: Vec<(&str, &str)> = agents
        .iter()
        .map(|a| (a["agent"].as_str().unwrap(), a["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("alpha", "invalid"),
            ("bravo", "missing"),
            ("charlie", "modified"),
            ("delta", "clean"),
            ("echo", "new"),
        ],
        "{}",
        run.show()
    );
    for agent in agents {
        let keys: Vec<&String> = agent.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4, "unexpected fields in {agent}");
        let production = &agent["production"];
        match agent["state"].as_str().unwrap() {
            "new" | "invalid" => assert!(production.is_null(), "{agent}"),
            _ => {
                assert_eq!(production["version"], 1, "{agent}");
                let id = production["change_track_id"].as_str().unwrap();
                assert_eq!(id.len(), 64, "{agent}");
                assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{agent}");
                assert!(production["published_at"].as_str().unwrap().ends_with('Z'));
            }
        }
    }

    // The human view: same order, one state word per agent.
    let run = env.run(&["status"]);
    run.success();
    let mut last = 0;
    for (agent, state) in pairs {
        let line = status_line(&run, agent);
        assert!(
            line.contains(state),
            "{agent} should be {state}:\n{}",
            run.show()
        );
        let at = run.stdout.find(&line).unwrap();
        assert!(at >= last, "agents not in name order:\n{}", run.show());
        last = at;
    }
}

// ---------------------------------------------------------------------------------------------
// What is (not) a change

const BASE: &str = r#"# The original
name: Support
description: Helps with tests
model:
  provider: openai
  name: gpt-4.1
  temperature: 1
  max_tokens: 100
  stop: ["</reply>", "END"]
instructions: |
  You are a helpful agent.
  Be brief.
tools:
  - name: lookup_invoice
    description: Find an invoice
    parameters:
      type: object
      properties:
        id: {type: string}
  - name: web_search
    description: Search the web
guardrails:
  - name: pii
    action: redact
"#;

/// BASE with other indentation, flow style, other comments and quoting, keys reordered — the
/// same values.
const BASE_REFORMATTED: &str = r#"# Entirely different comments
guardrails: [{action: 'redact', name: "pii"}]   # flow style
tools:
    -   description: "Find an invoice"
        name: 'lookup_invoice'     # quoted differently
        parameters: {properties: {id: {type: "string"}}, type: object}
    -   {name: web_search, description: 'Search the web'}
model:
        stop:
            - '</reply>'
            - END
        temperature: 1.0
        name: "gpt-4.1"
        max_tokens: 100
        provider: openai
instructions: "You are a helpful agent.\nBe brief.\n"
description: 'Helps with tests'
name: "Support"
"#;

fn reformatting_recommenting_requoting_and_reordering_keys_is_clean(env: TestEnv) {
    env.write_agent("a", BASE);
    publish(&env, "a");
    env.write_agent("a", BASE_REFORMATTED);

    assert_eq!(status_of(&env, "a")["state"], "clean");
    env.run(&["diff", "a", "--exit-code"]).success();

    let before = env.history_len(Some("a"));
    let run = env.run(&["publish", "--json"]);
    run.success();
    assert_eq!(run.json()["has_changes"], false, "{}", run.show());
    let run = env.run(&["publish", "a"]);
    run.success().stderr_has("othing to publish");
    assert_eq!(env.history_len(Some("a")), before);
    assert_eq!(before, 1);
}

fn integer_and_float_with_the_same_value_are_equal(env: TestEnv) {
    env.write_agent("a", BASE);
    publish(&env, "a");
    env.write_agent("a", &BASE.replace("temperature: 1\n", "temperature: 1.0\n"));
    assert_eq!(status_of(&env, "a")["state"], "clean");
    let run = env.run(&["publish", "a", "--json"]);
    run.success();
    assert_eq!(run.json()["has_changes"], false, "{}", run.show());
    assert_eq!(env.history_len(Some("a")), 1);

    // A different value is a change.
    env.write_agent("a", &BASE.replace("temperature: 1\n", "temperature: 1.5\n"));
    assert_eq!(status_of(&env, "a")["state"], "modified");
}

fn reordering_list_items_is_a_change(env: TestEnv) {
    env.write_agent("a", BASE);
    publish(&env, "a");

    // Two tools swapped.
    let swapped = BASE.replace(
        "  - name: lookup_invoice\n    description: Find an invoice\n    parameters:\n      type: object\n      properties:\n        id: {type: string}\n  - name: web_search\n    description: Search the web\n",
        "  - name: web_search\n    description: Search the web\n  - name: lookup_invoice\n    description: Find an invoice\n    parameters:\n      type: object\n      properties:\n        id: {type: string}\n",
    );
    assert_ne!(swapped, BASE);
    env.write_agent("a", &swapped);
    assert_eq!(status_of(&env, "a")["state"], "modified");
    let run = env.run(&["status"]);
    run.success();
    assert!(
        status_line(&run, "a").contains("modified"),
        "{}",
        run.show()
    );

    // Items of a plain list swapped.
    let stop = BASE.replace(
        r#"stop: ["</reply>", "END"]"#,
        r#"stop: ["END", "</reply>"]"#,
    );
    assert_ne!(stop, BASE);
    env.write_agent("a", &stop);
    assert_eq!(status_of(&env, "a")["state"], "modified");
}

// ---------------------------------------------------------------------------------------------
// validate

#[test]
fn validate_all_valid_exits_0() {
    let env = TestEnv::new();
    env.copy_examples();
    env.write_agent("a", BASE);
    env.run(&["validate"]).success();

    let run = env.run(&["validate", "--json"]);
    run.success();
    let doc = run.json();
    let agents = doc["agents"].as_array().expect("agents list");
    let names: Vec<&str> = agents
        .iter()
        .map(|a| a["agent"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["a", "research-assistant", "sales-qualifier", "support-bot"],
        "{}",
        run.show()
    );
    for agent in agents {
        assert_eq!(agent["valid"], true, "{agent}");
        assert_eq!(agent["errors"], json!([]), "{agent}");
    }
}

fn validate_one_invalid_exits_2_with_a_located_error(env: TestEnv) {
    env.write_agent("good", BASE);
    env.write_agent("bad", "name: Bad\ndescription: x\nname: Again\n");
    let before = env.store_state();

    env.run(&["validate"])
        .code(2)
        .stderr_has("error:")
        .stderr_has("--> agents/bad.yaml:3:1");

    let run = env.run(&["validate", "--json"]);
    run.code(2);
    let doc = run.json();
    assert_eq!(doc["agents"][0]["agent"], "bad", "{}", run.show());
    assert_eq!(doc["agents"][0]["valid"], false);
    let errors = doc["agents"][0]["errors"].as_array().expect("errors list");
    assert_eq!(errors.len(), 1, "{}", run.show());
    let error = &errors[0];
    assert_eq!(error["file"], "agents/bad.yaml");
    assert_eq!(error["line"], 3);
    assert_eq!(error["column"], 1);
    assert!(
        error["message"].as_str().unwrap().contains("duplicate"),
        "{error}"
    );
    let keys: Vec<&String> = error.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "unexpected error fields: {error}");
    assert_eq!(
        doc["agents"][1],
        json!({"agent": "good", "valid": true, "format": "native", "errors": []})
    );
    // validate writes nothing.
    assert_eq!(env.store_state(), before);
}

/// One invalid file: its expected location(s) and a word the message must hold.
struct Case {
    what: &'static str,
    yaml: &'static str,
    /// Acceptable (line, column) pairs, 1-based.
    at: &'static [(u64, u64)],
    message_has: &'static str,
}

const CASES: &[Case] = &[
    Case {
        what: "duplicate key",
        yaml: "name: A\ndescription: x\nname: B\n",
        at: &[(3, 1)],
        message_has: "duplicate",
    },
    Case {
        what: "tool without name",
        yaml: "name: A\ntools:\n  - name: t1\n  - description: no name\n",
        at: &[(4, 5)],
        message_has: "name",
    },
    Case {
        what: "duplicate tool names",
        yaml: "name: A\ntools:\n  - name: t1\n  - name: t2\n  - name: t1\n",
        // The second item, or its name.
        at: &[(5, 5), (5, 11)],
        message_has: "t1",
    },
    Case {
        what: "tools is a string",
        yaml: "name: A\ntools: \"a string\"\n",
        at: &[(2, 8)],
        message_has: "tools",
    },
    Case {
        what: "syntax error",
        yaml: "name: A\ndescription: a: b\n",
        at: &[(2, 15)],
        message_has: "",
    },
    Case {
        what: "name is a number",
        yaml: "description: d\nname: 42\n",
        at: &[(2, 7)],
        message_has: "name",
    },
    Case {
        what: "unknown tag",
        yaml: "name: A\nmodel: !foo bar\n",
        at: &[(2, 8)],
        message_has: "!foo",
    },
    Case {
        what: "NaN",
        yaml: "name: A\nmodel:\n  x: .nan\n",
        at: &[(3, 6)],
        message_has: "nan",
    },
    Case {
        what: "non-string key",
        yaml: "name: A\nmodel:\n  1: x\n",
        at: &[(3, 3)],
        message_has: "key",
    },
];

const TWO_DOCUMENTS: Case = Case {
    what: "two documents",
    yaml: "name: A\n---\nname: B\n",
    // The second document's `---`, or its first node.
    at: &[(2, 1), (3, 1)],
    message_has: "document",
};

/// Run `validate x` (human and JSON) on one case; a description of what went wrong, if anything.
fn check_case(env: &TestEnv, case: &Case) -> Option<String> {
    env.write_agent("x", case.yaml);

    let human = env.run(&["validate", "x"]);
    let located = case.at.iter().any(|(l, c)| {
        human
            .stderr
            .contains(&format!("--> agents/x.yaml:{l}:{c}\n"))
    });
    if human.code != 2 || !human.stderr.contains("error:") || !located {
        return Some(format!(
            "{}: expected exit 2, `error:` and `--> agents/x.yaml:LINE:COL` with one of {:?}\n{}",
            case.what,
            case.at,
            human.show()
        ));
    }

    let run = env.run(&["validate", "x", "--json"]);
    let doc: Option<Value> = serde_json::from_str(&run.stdout).ok();
    let error = doc.as_ref().map(|d| d["agents"][0]["errors"][0].clone());
    let ok = run.code == 2
        && doc.as_ref().is_some_and(|d| {
            d["agents"].as_array().is_some_and(|a| a.len() == 1)
                && d["agents"][0]["agent"] == "x"
                && d["agents"][0]["valid"] == false
        })
        && error.as_ref().is_some_and(|e| {
            e["file"] == "agents/x.yaml"
                && case
                    .at
                    .iter()
                    .any(|(l, c)| e["line"] == *l && e["column"] == *c)
                && e["message"].as_str().is_some_and(|m| {
                    !m.is_empty() && m.to_lowercase().contains(&case.message_has.to_lowercase())
                })
        });
    (!ok).then(|| {
        format!(
            "{}: validate --json should give exit 2 and one located error at one of {:?} \
             whose message mentions {:?}\n{}",
            case.what,
            case.at,
            case.message_has,
            run.show()
        )
    })
}

#[test]
fn validate_locates_each_kind_of_error() {
    let env = TestEnv::new();
    env.write_agent("ok", BASE);
    let failures: Vec<String> = CASES.iter().filter_map(|c| check_case(&env, c)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn validate_locates_a_second_document() {
    let env = TestEnv::new();
    if let Some(failure) = check_case(&env, &TWO_DOCUMENTS) {
        panic!("{failure}");
    }
}

#[test]
fn validate_named_agents_only() {
    let env = TestEnv::new();
    env.write_agent("good", BASE);
    env.write_agent("bad", "name: 42\n");

    env.run(&["validate", "good"]).success();
    let run = env.run(&["validate", "good", "--json"]);
    run.success();
    assert_eq!(
        run.json(),
        json!({"agents": [{"agent": "good", "valid": true, "format": "native", "errors": []}]})
    );

    env.run(&["validate", "bad"])
        .code(2)
        .stderr_has("error:")
        .stderr_has("--> agents/bad.yaml:1:7");
    env.run(&["validate", "good", "bad"]).code(2);
}

#[test]
fn validate_unknown_agent_exits_2() {
    let env = TestEnv::new();
    env.write_agent("good", BASE);
    env.run(&["validate", "nope"])
        .code(2)
        .stderr_has("error:")
        .stderr_has("nope");
}

// ---------------------------------------------------------------------------------------------
// Agent ids and file names

fn bad_agent_file_names_are_invalid_in_status(env: TestEnv) {
    env.write_agent("-bad", BASE);
    env.write_agent("has space", BASE);
    env.write_agent("ok", BASE);

    let states = env.states();
    let has = |agent: &str, state: &str| states.contains(&(agent.into(), state.into()));
    assert!(has("-bad", "invalid"), "{states:?}");
    assert!(has("has space", "invalid"), "{states:?}");
    assert!(has("ok", "new"), "{states:?}");

    let run = env.run(&["status"]);
    run.success();
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("not a valid agent id"), "{}", run.show());
    assert!(all.contains("-bad"), "{}", run.show());
    assert!(all.contains("has space"), "{}", run.show());

    env.run(&["validate"])
        .code(2)
        .stderr_has("not a valid agent id");
}

#[test]
fn validate_refuses_a_path_as_agent_id() {
    let env = TestEnv::new();
    env.write_agent("ok", BASE);
    env.run(&["validate", "../x"])
        .code(2)
        .stderr_has("error:")
        .stderr_has("not a valid agent id");
}

fn yaml_and_yml_for_the_same_agent_is_an_error(env: TestEnv) {
    env.write_agent("x", BASE);
    std::fs::write(env.root.join("agents/x.yml"), BASE).unwrap();

    assert_eq!(status_of(&env, "x")["state"], "invalid");
    let run = env.run(&["status", "--json"]);
    let count = run.json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["agent"] == "x")
        .count();
    assert_eq!(count, 1, "agent listed twice:\n{}", run.show());

    env.run(&["validate", "x"])
        .code(2)
        .stderr_has("error:")
        .stderr_has("x.yaml")
        .stderr_has("x.yml");
    // Publishing is refused too: which file would be the staging copy?
    env.run(&["publish", "x"]).code(2);
    assert_eq!(env.history_len(None), 0);
}

fn a_yml_file_works_like_yaml(env: TestEnv) {
    let path = env.root.join("agents/y.yml");
    std::fs::write(&path, agent_yaml("Y", 0.2)).unwrap();

    assert_eq!(status_of(&env, "y")["state"], "new");
    env.run(&["validate", "y"]).success();
    publish(&env, "y");
    assert_eq!(status_of(&env, "y")["state"], "clean");

    std::fs::write(&path, agent_yaml("Y", 0.4)).unwrap();
    assert_eq!(status_of(&env, "y")["state"], "modified");
    let run = env.run(&["diff", "y", "--json"]);
    run.success();
    assert_eq!(
        run.json()["agents"][0]["changes"][0]["path"],
        "model.temperature"
    );

    std::fs::write(&path, "name: Y\nname: Z\n").unwrap();
    assert_eq!(status_of(&env, "y")["state"], "invalid");
    env.run(&["validate", "y"])
        .code(2)
        .stderr_has("--> agents/y.yml:2:1");

    std::fs::remove_file(&path).unwrap();
    assert_eq!(status_of(&env, "y")["state"], "missing");
}

fn the_deepest_valid_nesting_can_be_published_and_read_back(env: TestEnv) {
    // The root mapping plus 127 lists: 128 levels, the most the parser accepts.
    let deep = format!("name: deep\nx: {}{}\n", "[".repeat(127), "]".repeat(127));
    env.write_agent("deep", &deep);
    env.run(&["publish"]).success();
    let run = env.run(&["status", "--json"]);
    run.success();
    assert_eq!(run.json()["agents"][0]["state"], "clean", "{}", run.show());
    env.run(&["show", "deep", "--config", "--json"]).success();
    let too_deep = format!("name: deep\nx: {}{}\n", "[".repeat(128), "]".repeat(128));
    env.write_agent("deep", &too_deep);
    env.run(&["validate", "deep"])
        .code(2)
        .stderr_has("deeper than 128");
}

fn special_files_are_refused_without_reading_them(env: TestEnv) {
    env.write_agent("ok", &agent_yaml("Ok", 0.1));
    std::os::unix::fs::symlink("/dev/zero", env.root.join("agents/zero.yaml")).unwrap();
    let fifo = env.root.join("agents/pipe.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let states = env.states();
    let has = |agent: &str, state: &str| states.contains(&(agent.into(), state.into()));
    assert!(has("zero", "invalid"), "{states:?}");
    assert!(has("ok", "new"), "{states:?}");
    if made.is_ok_and(|s| s.success()) {
        assert!(has("pipe", "invalid"), "{states:?}");
    }
    // A link to a device is refused before it is opened: it leads outside the workspace.
    env.run(&["validate", "zero"])
        .code(2)
        .stderr_has("outside the workspace");
}

#[test]
fn a_closed_stderr_does_not_crash_validate() {
    use std::io::Read;
    use std::process::Stdio;
    let env = TestEnv::new();
    for i in 0..300 {
        env.write_agent(&format!("bad{i}"), "name: [\n");
    }
    let mut child = env
        .std_command(crate::common::agentctl())
        .arg("validate")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut first = [0u8; 16];
    stderr.read_exact(&mut first).unwrap();
    drop(stderr);
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(2),
        "a closed stderr must not turn into a panic"
    );
}

fn odd_file_names_are_invalid_agents_with_a_location(env: TestEnv) {
    use std::os::unix::ffi::OsStrExt;
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9.yaml");
    std::fs::write(env.root.join("agents").join(odd), agent_yaml("A", 0.1)).unwrap();
    env.write_agent("my agent", &agent_yaml("B", 0.1));
    let run = env.run(&["status", "--json"]);
    run.success();
    let states: Vec<String> = run.json()["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(states, ["invalid", "invalid"], "{}", run.show());
    env.run(&["validate"])
        .code(2)
        .stderr_has("--> agents/my agent.yaml")
        .stderr_has("not a valid agent id");
}

// ---------------------------------------------------------------------------------------------
// status: the staging index

fn staging_index(env: &TestEnv) -> String {
    std::fs::read_to_string(env.root.join(".agentctl/staging-index")).unwrap_or_default()
}

fn status_remembers_the_files_it_parsed_and_notices_every_edit(env: TestEnv) {
    let file = env.write_agent("a", BASE);
    publish(&env, "a");
    assert_eq!(status_of(&env, "a")["state"], "clean");
    let digest = agentctl::agent::sha256_hex(&std::fs::read(&file).unwrap());
    let index = staging_index(&env);
    assert!(index.starts_with("agentctl staging index "), "{index}");
    assert!(
        index.contains(&format!("\"digest\":\"{digest}\"")),
        "{index}"
    );

    env.write_agent("a", &BASE.replace("temperature: 1\n", "temperature: 1.5\n"));
    assert_eq!(status_of(&env, "a")["state"], "modified");
    env.write_agent("a", BASE_REFORMATTED);
    assert_eq!(status_of(&env, "a")["state"], "clean");
    assert_eq!(status_of(&env, "a")["state"], "clean");
    env.write_agent("a", "name: [unclosed\n");
    assert_eq!(status_of(&env, "a")["state"], "invalid");
    env.write_agent("a", BASE);
    assert_eq!(status_of(&env, "a")["state"], "clean");

    // Once the file's stat data are older than the racy window, the index is what status
    // reads: made to lie, status believes it (so the file was not read)...
    std::thread::sleep(agentctl::staging_index::RACY_WINDOW + Duration::from_millis(100));
    env.write_agent("a", BASE);
    std::thread::sleep(agentctl::staging_index::RACY_WINDOW + Duration::from_millis(100));
    assert_eq!(status_of(&env, "a")["state"], "clean");
    let snapshot =
        agentctl::agent::snapshot_hash(&agentctl::agent::parse(BASE.as_bytes()).unwrap());
    // (The first mention is the file's; the productions status remembers come after.)
    let lie = staging_index(&env).replacen(&snapshot, &"0".repeat(64), 1);
    assert_ne!(lie, staging_index(&env), "the index names the snapshot");
    std::fs::write(env.root.join(".agentctl/staging-index"), &lie).unwrap();
    assert_eq!(status_of(&env, "a")["state"], "modified");
    // ...but not a command that names the agent, which reads the file.
    env.run(&["diff", "a", "--exit-code"]).success();
    // An index written by another version is not trusted.
    let header = lie.lines().next().unwrap().to_owned();
    let other = lie.replace(&header, "agentctl staging index 0.0.0-other v2");
    std::fs::write(env.root.join(".agentctl/staging-index"), other).unwrap();
    assert_eq!(status_of(&env, "a")["state"], "clean");
}

/// Issue 17: the stat data of a file edited within the same second, keeping its size and
/// its modification time, cannot vouch for it; status, diff and publish all see the edit.
fn an_edit_in_the_same_second_keeping_size_and_time_is_seen(env: TestEnv) {
    let file = env.write_agent("a", BASE);
    publish(&env, "a");
    assert_eq!(status_of(&env, "a")["state"], "clean");
    let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
    let edited = BASE.replace("temperature: 1\n", "temperature: 2\n");
    assert_eq!(edited.len(), BASE.len());
    std::fs::write(&file, &edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(status_of(&env, "a")["state"], "modified");
    let diff = env.run(&["diff", "--exit-code"]);
    assert_eq!(diff.code, 1, "{}", diff.show());
    assert!(diff.stdout.contains("temperature"), "{}", diff.show());
    let run = env.run(&["publish", "-m", "edit", "--json"]);
    run.success();
    assert_eq!(run.json()["has_changes"], true, "{}", run.show());
    assert_eq!(status_of(&env, "a")["state"], "clean");
}

fn a_damaged_or_unwritable_staging_index_is_not_an_error(env: TestEnv) {
    env.write_agent("a", BASE);
    publish(&env, "a");
    let index = env.root.join(".agentctl/staging-index");
    std::fs::write(&index, "\u{0}garbage\nmore").unwrap();
    assert_eq!(status_of(&env, "a")["state"], "clean");
    // A folder where the index should be: it cannot be written, and status still answers.
    std::fs::remove_file(&index).unwrap();
    std::fs::create_dir(&index).unwrap();
    env.write_agent("a", &BASE.replace("temperature: 1\n", "temperature: 1.5\n"));
    let run = env.run(&["status"]);
    run.success();
    assert!(
        status_line(&run, "a").starts_with("modified"),
        "{}",
        run.show()
    );
    assert_eq!(run.stderr, "", "{}", run.show());
}

/// `status`'s whole human view over every state at once, so its layout is checked whole.
#[test]
fn status_output_as_a_whole() {
    let env = TestEnv::new();
    env.write_agent("clean", &crate::common::agent_yaml("Clean", 0.1));
    env.write_agent("edited", &crate::common::agent_yaml("Edited", 0.1));
    env.run(&["publish", "-m", "first"]).success();
    env.write_agent("edited", &crate::common::agent_yaml("Edited", 0.9));
    env.write_agent("fresh", &crate::common::agent_yaml("Fresh", 0.5));
    let run = env.run(&["status"]);
    run.success();
    insta::assert_snapshot!("status_three_states", run.stdout);
}

/// Issue 17: `status` of a SQLite store whose file has not changed (and has no WAL beside it)
/// takes each agent's production from the staging index without opening the store; any
/// publish, a WAL present or a store within the racy window makes it read the store again.
/// PostgreSQL is always asked.
fn status_takes_productions_from_the_index_only_while_the_store_file_vouches(env: TestEnv) {
    let settle =
        || std::thread::sleep(agentctl::staging_index::RACY_WINDOW + Duration::from_millis(100));
    let version = |env: &TestEnv| status_of(env, "a")["production"]["version"].clone();
    env.write_agent("a", BASE);
    publish(&env, "a");
    // Right after a publish the store's stat data cannot vouch: nothing is remembered.
    assert_eq!(version(&env), 1);
    assert!(!staging_index(&env).contains("\"productions\":{"));
    settle();
    assert_eq!(version(&env), 1);
    let remembered = staging_index(&env);
    if env.postgres.is_some() {
        assert!(!remembered.contains("\"productions\":{"), "{remembered}");
        return;
    }
    assert!(remembered.contains("\"productions\":{"), "{remembered}");
    // Made to lie, status believes the index: the store was not read...
    let lie = remembered.replace("\"version\":1,", "\"version\":7,");
    assert_ne!(lie, remembered, "the index holds the production's version");
    let index = env.root.join(".agentctl/staging-index");
    std::fs::write(&index, &lie).unwrap();
    assert_eq!(version(&env), 7);
    // ...but not while a WAL beside the store may hold commits the file does not have.
    let wal = env.root.join(".agentctl/store.db-wal");
    std::fs::write(&wal, "").unwrap();
    assert_eq!(version(&env), 1);
    assert!(!wal.exists(), "the store's last connection removes its WAL");
    // A publish changes the store file: the next status reads it, at once.
    std::fs::write(&index, &lie).unwrap();
    env.write_agent("a", &BASE.replace("temperature: 1\n", "temperature: 1.5\n"));
    publish(&env, "a");
    assert_eq!(version(&env), 2);
    settle();
    assert_eq!(version(&env), 2);
    assert_eq!(status_of(&env, "a")["state"], "clean");
}

/// A store reached through a symbolic link keeps its WAL beside the file the link names:
/// while another connection holds a publish there, unchecked into the file, status must see
/// that WAL and read the store.
#[test]
fn status_of_a_linked_store_sees_the_wal_beside_its_file() {
    let env = TestEnv::new();
    let elsewhere = env.tmp.path().join("volume");
    std::fs::create_dir(&elsewhere).unwrap();
    env.write_agent("a", BASE);
    publish(&env, "a");
    std::fs::rename(env.store(), elsewhere.join("store.db")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("store.db"), env.store()).unwrap();
    std::thread::sleep(agentctl::staging_index::RACY_WINDOW + Duration::from_millis(100));
    let version = |env: &TestEnv| status_of(env, "a")["production"]["version"].clone();
    assert_eq!(version(&env), 1);
    assert!(staging_index(&env).contains("\"productions\":{"));
    // Another connection (as `serve` keeps one) stops the publish's checkpoint into the file.
    let other = rusqlite::Connection::open(elsewhere.join("store.db")).unwrap();
    let _: i64 = other
        .query_row("SELECT count(*) FROM history", [], |r| r.get(0))
        .unwrap();
    env.write_agent("a", &BASE.replace("temperature: 1\n", "temperature: 1.5\n"));
    publish(&env, "a");
    assert!(elsewhere.join("store.db-wal").exists());
    std::thread::sleep(agentctl::staging_index::RACY_WINDOW + Duration::from_millis(100));
    assert_eq!(version(&env), 2);
    assert_eq!(status_of(&env, "a")["state"], "clean");
    drop(other);
}

/// status shows no summary, so a damaged one does not stop it (on either store); `log`,
/// which shows it, names the damage.
fn status_does_not_read_the_summaries_it_does_not_show(env: TestEnv) {
    env.write_agent("a", BASE);
    publish(&env, "a");
    env.tamper("UPDATE history SET summary = 'garbage' WHERE agent = 'a'");
    assert_eq!(status_of(&env, "a")["state"], "clean");
    env.run(&["log", "a"])
        .code(2)
        .stderr_has("the summary of a v1 in the store is damaged");
}
