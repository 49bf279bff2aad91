//! `log --touching` and `blame`: who changed a field, an item or a section, and when; on a
//! new store and on one made before the changes were recorded by path.

use std::path::Path;

use serde_json::Value;

use crate::common::{AUTHOR, TestEnv, agent_yaml, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only:
// `a_store_from_before_is_migrated_and_answers_the_same` and
// `a_store_keeping_whole_values_is_migrated_and_answers_the_same` build old SQLite store
// files and migrate them; PostgreSQL stores never had those older schemas.
on_both_stores!(
    touching_lists_the_publishes_that_changed_a_field_an_item_or_a_section,
    touching_a_path_nothing_touched_is_an_empty_history,
    touching_needs_an_agent_and_a_well_formed_path,
    blame_names_the_publish_that_last_set_each_field_and_line,
    blame_of_an_older_publish_stops_at_it,
    blame_text_is_aligned_fitted_and_masks_secrets,
    blame_errors,
    blame_rows_fit_narrow_widths_and_wide_characters
);

/// The agent of these tests; each publish varies one part of it.
struct Agent {
    temperature: f64,
    web_search: Option<&'static str>,
    guardrails: &'static [(&'static str, &'static str)],
    instructions: &'static str,
}

const START: Agent = Agent {
    temperature: 0.1,
    web_search: None,
    guardrails: &[("pii", "redact")],
    instructions: "You are a helpful agent.\nBe brief.\nNever guess.\n",
};

impl Agent {
    fn yaml(&self) -> String {
        let mut yaml = format!(
            "name: Support\nmodel:\n  provider: openai\n  temperature: {}\n  stop: [\"END\"]\n\
             auth:\n  api_key: sk-live-123\ninstructions: |\n",
            self.temperature
        );
        for line in self.instructions.lines() {
            yaml.push_str(&format!("  {line}\n"));
        }
        yaml.push_str("tools:\n  - name: lookup_invoice\n    description: Find an invoice\n");
        if let Some(description) = self.web_search {
            yaml.push_str(&format!(
                "  - name: web_search\n    description: {description}\n"
            ));
        }
        yaml.push_str("guardrails:\n");
        for (name, action) in self.guardrails {
            yaml.push_str(&format!("  - name: {name}\n    action: {action}\n"));
        }
        yaml
    }
}

/// Seven publishes of `bot` by three authors:
/// v1 Alice creates it; v2 Bob: temperature; v3 Carol: adds web_search; v4 Alice: the pii
/// guardrail; v5 Bob: web_search's description; v6 Carol: temperature and a new guardrail;
/// v7 Alice: one line of the instructions and the guardrail removed again.
fn audited_history(env: &TestEnv) {
    let steps = [
        ("Alice <alice@example.com>", START),
        (
            "Bob <bob@example.com>",
            Agent {
                temperature: 0.2,
                ..START
            },
        ),
        (
            "Carol <carol@example.com>",
            Agent {
                temperature: 0.2,
                web_search: Some("Search the web"),
                ..START
            },
        ),
        (
            "Alice <alice@example.com>",
            Agent {
                temperature: 0.2,
                web_search: Some("Search the web"),
                guardrails: &[("pii", "block")],
                ..START
            },
        ),
        (
            "Bob <bob@example.com>",
            Agent {
                temperature: 0.2,
                web_search: Some("Search the public web"),
                guardrails: &[("pii", "block")],
                ..START
            },
        ),
        (
            "Carol <carol@example.com>",
            Agent {
                temperature: 0.4,
                web_search: Some("Search the public web"),
                guardrails: &[("pii", "block"), ("toxicity", "block")],
                ..START
            },
        ),
        (
            "Alice <alice@example.com>",
            Agent {
                temperature: 0.4,
                web_search: Some("Search the public web"),
                guardrails: &[("pii", "block")],
                instructions: "You are a helpful agent.\nBe brief and polite.\nNever guess.\n",
            },
        ),
    ];
    for (author, agent) in steps {
        env.write_agent("bot", &agent.yaml());
        env.publish_json(&["bot", "--author", author]);
    }
}

fn versions(entries: &[Value]) -> Vec<u64> {
    entries
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect()
}

fn authors(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["author"].as_str().unwrap().split(' ').next().unwrap())
        .collect()
}

fn touching_lists_the_publishes_that_changed_a_field_an_item_or_a_section(env: TestEnv) {
    audited_history(&env);

    let temperature = env.log_entries(&["bot", "--touching", "model.temperature"]);
    assert_eq!(versions(&temperature), [6, 2, 1]);
    assert_eq!(authors(&temperature), ["Carol", "Bob", "Alice"]);
    // The usual log entries.
    assert_eq!(temperature[0], env.log_entries(&["bot", "-n", "2"])[1]);

    let tool = env.log_entries(&["bot", "--touching", "tools[web_search]"]);
    assert_eq!(versions(&tool), [5, 3], "added in v3, described anew in v5");
    let description = env.log_entries(&["bot", "--touching", "tools[web_search].description"]);
    assert_eq!(
        versions(&description),
        [5, 3],
        "v3 added the tool with its description"
    );

    let guardrails = env.log_entries(&["bot", "--touching", "guardrails"]);
    assert_eq!(versions(&guardrails), [7, 6, 4, 1]);
    let toxicity = env.log_entries(&["bot", "--touching", "guardrails[toxicity].action"]);
    assert_eq!(versions(&toxicity), [7, 6], "added, then removed");

    // -n counts matching entries.
    let newest = env.log_entries(&["bot", "--touching", "model.temperature", "-n", "2"]);
    assert_eq!(versions(&newest), [6, 2]);

    let run = env.run(&["log", "bot", "--touching", "model.temperature"]);
    run.success()
        .stdout_has("v6")
        .stdout_has("Author:    Carol <carol@example.com>")
        .stdout_has("Author:    Bob <bob@example.com>")
        .stdout_lacks("v5");
    let run = env.run(&["log", "bot", "--touching", "guardrails", "--oneline"]);
    assert_eq!(run.success().stdout.lines().count(), 4, "{}", run.show());
}

fn touching_a_path_nothing_touched_is_an_empty_history(env: TestEnv) {
    audited_history(&env);
    for path in [
        "knowledge_sources",
        "tools[gone]",
        "model.max_tokens",
        "headers.\"x.y\"",
    ] {
        assert_eq!(
            env.log_entries(&["bot", "--touching", path]),
            Vec::<Value>::new()
        );
    }
    let run = env.run(&["log", "bot", "--touching", "tools[gone]"]);
    run.success()
        .stderr_has("No publish of bot touched tools[gone]");
    assert_eq!(run.stdout, "");

    // An agent never published has an empty history, as in plain `log`.
    env.write_agent("new-bot", &START.yaml());
    assert!(
        env.log_entries(&["new-bot", "--touching", "name"])
            .is_empty()
    );
}

fn touching_needs_an_agent_and_a_well_formed_path(env: TestEnv) {
    audited_history(&env);
    let before = env.store_state();
    env.run(&["log", "--touching", "model.temperature"])
        .code(2)
        .stderr_has("<AGENT>");
    for bad in [
        "tools[web_search",
        "model..temperature",
        "model.",
        "[x]",
        "model[x",
        "",
    ] {
        env.run(&["log", "bot", "--touching", bad])
            .code(2)
            .stderr_has("malformed path")
            .stderr_has("help: a PATH reads like model.temperature");
    }
    env.run(&["log", "ghost", "--touching", "name"]).code(2);
    assert!(env.store_state() == before, "nothing written");
}

/// `blame --json` of `bot` at REF (default production).
fn blame_json(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["blame", "bot", "--json"];
    all.extend_from_slice(args);
    let run = env.run(&all);
    run.success();
    run.json()
}

/// path → version of each field.
fn field_versions(blame: &Value) -> Vec<(String, u64)> {
    blame["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["version"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn blame_names_the_publish_that_last_set_each_field_and_line(env: TestEnv) {
    audited_history(&env);
    let blame = blame_json(&env, &[]);
    let fields: Vec<(String, u64)> = field_versions(&blame);
    let expected: Vec<(String, u64)> = [
        ("name", 1),
        ("model.provider", 1),
        ("model.temperature", 6),
        ("model.stop", 1),
        ("auth.api_key", 1),
        ("instructions", 7),
        ("tools[lookup_invoice]", 1),
        ("tools[lookup_invoice].name", 1),
        ("tools[lookup_invoice].description", 1),
        ("tools[web_search]", 5),
        ("tools[web_search].name", 3),
        ("tools[web_search].description", 5),
        ("guardrails[pii]", 4),
        ("guardrails[pii].name", 1),
        ("guardrails[pii].action", 4),
    ]
    .iter()
    .map(|(p, v)| (p.to_string(), *v))
    .collect();
    assert_eq!(fields, expected);

    // Exactly SPEC's fields, with the publish's id, author and time.
    let log = env.log_entries(&["bot"]);
    let v6 = &log[1];
    let temperature = &blame["fields"][2];
    let mut keys: Vec<&str> = temperature
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "author",
            "change_track_id",
            "path",
            "published_at",
            "version"
        ]
    );
    assert_eq!(temperature["change_track_id"], v6["change_track_id"]);
    assert_eq!(temperature["author"], "Carol <carol@example.com>");
    assert_eq!(temperature["published_at"], v6["published_at"]);
    assert_eq!(blame["agent"], "bot");
    assert_eq!(blame["ref"]["ref"], "production");
    assert_eq!(blame["ref"]["version"], 7);
    assert_eq!(blame["ref"]["change_track_id"], log[0]["change_track_id"]);

    // Per line, like git blame: only the line v7 rewrote is v7's.
    let lines = blame["lines"]["instructions"].as_array().unwrap();
    let by_line: Vec<(u64, &str, u64, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["text"].as_str().unwrap(),
                l["version"].as_u64().unwrap(),
                l["author"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_line,
        [
            (
                1,
                "You are a helpful agent.",
                1,
                "Alice <alice@example.com>"
            ),
            (2, "Be brief and polite.", 7, "Alice <alice@example.com>"),
            (3, "Never guess.", 1, "Alice <alice@example.com>"),
        ]
    );
    assert_eq!(lines[1]["change_track_id"], log[0]["change_track_id"]);
    assert_eq!(blame["lines"].as_object().unwrap().len(), 1);
    // JSON is for machines: never masked.
    assert!(blame.to_string().contains("auth.api_key"));
}

fn blame_of_an_older_publish_stops_at_it(env: TestEnv) {
    audited_history(&env);
    let v3 = blame_json(&env, &["v3"]);
    assert_eq!(v3["ref"]["ref"], "v3");
    assert_eq!(v3["ref"]["version"], 3);
    let fields = field_versions(&v3);
    assert!(
        fields.contains(&("model.temperature".into(), 2)),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("tools[web_search].description".into(), 3)),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("guardrails[pii].action".into(), 1)),
        "{fields:?}"
    );
    let lines = v3["lines"]["instructions"].as_array().unwrap();
    assert!(lines.iter().all(|l| l["version"] == 1), "{lines:?}");
    // An id prefix names the same publish.
    let id = env.log_entries(&["bot"])[4]["change_track_id"]
        .as_str()
        .unwrap()[..8]
        .to_owned();
    assert_eq!(blame_json(&env, &[&id])["fields"], v3["fields"]);
}

fn blame_text_is_aligned_fitted_and_masks_secrets(env: TestEnv) {
    audited_history(&env);
    // The tests' COLUMNS is 100, agentctl's default too.
    let run = env.run(&["blame", "bot"]);
    run.success();
    let out = &run.stdout;
    assert!(
        out.lines().all(|l| l.chars().count() <= 100),
        "{}",
        run.show()
    );
    // One row per field and per line of the instructions, grouped by section under headers.
    let rows = out.lines().filter(|l| l.starts_with('v')).count();
    assert_eq!(rows, 15 + 3, "{}", run.show());
    for header in [
        "Agent settings\n",
        "\nInstructions\n",
        "\nTools\n",
        "\nGuardrails\n",
    ] {
        assert!(out.contains(header), "no {header:?}:\n{out}");
    }
    let row = |needle: &str| {
        out.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no row with {needle}:\n{out}"))
    };
    let temperature = row("model.temperature");
    assert!(temperature.starts_with("v6  "), "{temperature}");
    assert!(
        temperature.contains("  Carol  ") && temperature.ends_with("0.4"),
        "{temperature}"
    );
    assert!(
        !out.contains("@example.com"),
        "names only, as git blame:\n{out}"
    );
    assert!(row("Be brief and polite.").starts_with("v7"), "{out}");
    assert!(row("Never guess.").starts_with("v1"), "{out}");
    // Columns line up: every value starts at the same place.
    let value_at = |line: &str, value: &str| line.find(value).unwrap();
    assert_eq!(
        value_at(temperature, "0.4"),
        value_at(row("guardrails[pii].action"), "block")
    );
    assert_eq!(
        value_at(temperature, "Carol"),
        value_at(row(".action"), "Alice")
    );
    assert!(row("auth.api_key").ends_with("********"), "{out}");
    assert!(!out.contains("sk-live-123"));

    let shown = env.run(&["blame", "bot", "--show-secrets"]);
    assert!(shown.success().stdout.contains("sk-live-123"));

    // Narrow: long cells wrap inside their column, marked `↪`, rather than being cut or
    // pushing the row wider; the whole value and the whole path are still there.
    let run = env.run_with(env.command().env("COLUMNS", "72").args(["blame", "bot"]));
    run.success();
    assert!(
        run.stdout.lines().all(|l| l.chars().count() <= 72),
        "{}",
        run.show()
    );
    assert!(!run.stdout.contains('…'), "{}", run.show());
    assert!(run.stdout.contains("↪ "), "{}", run.show());
    // "Search the public web", wrapped in the value column.
    assert!(run.stdout.contains("  Search the\n"), "{}", run.show());
    assert!(run.stdout.contains("  ↪ public web\n"), "{}", run.show());
    // Paths wrap at their segments, so siblings stay whole and distinguishable.
    for segment in ["tools[lookup_invoice]", "tools[web_search]", ".description"] {
        assert!(run.stdout.contains(segment), "{segment}:\n{}", run.show());
    }
}

fn blame_errors(env: TestEnv) {
    audited_history(&env);
    env.run(&["blame", "bot", "staging"])
        .code(2)
        .stderr_has("staging is not a publish");
    env.run(&["blame", "bot", "v9"])
        .code(2)
        .stderr_has("v1 to v7");
    env.run(&["blame", "ghost"]).code(2);
    env.write_agent("new-bot", &START.yaml());
    env.run(&["blame", "new-bot"])
        .code(2)
        .stderr_has("never been published");
}

/// Migration 1's SQL, as agentctl created stores before it recorded changes by path.
const SCHEMA_1: &str = r#"
    CREATE TABLE snapshots (
        hash    TEXT PRIMARY KEY,
        content TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE history (
        seq             INTEGER PRIMARY KEY,
        agent           TEXT NOT NULL,
        version         INTEGER NOT NULL CHECK (version >= 1),
        change_track_id TEXT NOT NULL UNIQUE,
        parent          TEXT REFERENCES history (change_track_id),
        author          TEXT NOT NULL,
        published_at    TEXT NOT NULL,
        message         TEXT NOT NULL,
        snapshot        TEXT NOT NULL REFERENCES snapshots (hash),
        summary         TEXT NOT NULL,
        reverts         TEXT REFERENCES history (change_track_id),
        git_commit      TEXT,
        UNIQUE (agent, version)
    );

    CREATE TRIGGER history_update_refused BEFORE UPDATE ON history
    BEGIN SELECT RAISE(ABORT, 'publish history is append-only'); END;
    CREATE TRIGGER history_delete_refused BEFORE DELETE ON history
    BEGIN SELECT RAISE(ABORT, 'publish history is append-only'); END;

    PRAGMA application_id = 1095189332;
    PRAGMA user_version = 1;
"#;

/// A store at schema version 1 holding the history of the store `from`.
fn old_store(from: &Path, to: &Path) {
    let conn = rusqlite::Connection::open(to).unwrap();
    conn.execute_batch(SCHEMA_1).unwrap();
    conn.execute("ATTACH ?1 AS new", [from.to_str().unwrap()])
        .unwrap();
    // Snapshots were plain JSON texts then (schema version 4 compresses them).
    let store = agentctl::store::Store::open(from, agentctl::store::DEFAULT_LOCK_TIMEOUT).unwrap();
    for entry in store.log(None, None).unwrap() {
        let text = serde_json::Value::Object(store.snapshot(&entry).unwrap()).to_string();
        conn.execute(
            "INSERT OR IGNORE INTO snapshots VALUES (?1, ?2)",
            [&entry.snapshot, &text],
        )
        .unwrap();
    }
    // Entries had no `rules` column before schema version 6.
    conn.execute_batch(
        "INSERT INTO history SELECT seq, agent, version, change_track_id, parent, author,
             published_at, message, snapshot, summary, reverts, git_commit
         FROM new.history ORDER BY seq;",
    )
    .unwrap();
}

#[test]
fn a_store_from_before_is_migrated_and_answers_the_same() {
    let env = TestEnv::new();
    audited_history(&env);
    let old = env.tmp.path().join("old.db");
    old_store(&env.store(), &old);
    let old = old.to_str().unwrap();
    let tables = |path: &str| -> Vec<String> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(tables(old), ["history", "snapshots"]);

    let queries: [&[&str]; 7] = [
        &["blame", "bot", "--json"],
        &["blame", "bot", "v4", "--json"],
        &["blame", "bot"],
        &["log", "bot", "--json", "--touching", "model.temperature"],
        &[
            "log",
            "bot",
            "--json",
            "--touching",
            "tools[web_search].description",
        ],
        &["log", "bot", "--json", "--touching", "guardrails"],
        &[
            "log",
            "bot",
            "--oneline",
            "--touching",
            "guardrails[toxicity]",
        ],
    ];
    for query in queries {
        let fresh = env.run(query);
        fresh.success();
        let mut with_old = vec!["--store", old];
        with_old.extend_from_slice(query);
        let migrated = env.run(&with_old);
        migrated.success();
        assert_eq!(migrated.stdout, fresh.stdout, "{query:?}");
        assert!(!fresh.stdout.is_empty(), "{query:?}");
    }
    assert!(tables(old).contains(&"changes".to_owned()));
    let conn = rusqlite::Connection::open(old).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert!(version >= 2, "{version}");

    // Publishing to the migrated store records as a new one does.
    let mut publish = vec!["--store", old];
    publish.extend_from_slice(&["publish", "bot", "--author", AUTHOR]);
    env.write_agent(
        "bot",
        &Agent {
            temperature: 0.9,
            web_search: Some("Search the public web"),
            guardrails: &[("pii", "block")],
            ..START
        }
        .yaml(),
    );
    env.run(&publish).success();
    let entries = env.log_entries(&["--store", old, "bot", "--touching", "model.temperature"]);
    assert_eq!(versions(&entries), [8, 6, 2, 1]);
}

/// The recorded changes of the store at `path`, every column with its SQLite type.
fn recorded_changes(path: &Path) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT agent, version, path, kind, typeof(old), quote(old), typeof(new), quote(new),
                    quote(lines)
             FROM changes ORDER BY agent, path, version",
        )
        .unwrap();
    stmt.query_map([], |row| {
        (0..9)
            .map(|i| Ok(format!("{:?}", row.get::<_, rusqlite::types::Value>(i)?)))
            .collect()
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// A store at schema version 4 kept the values a change set whole (and a reorder's names):
/// migrated, it keeps what a new store keeps, and answers every question the same.
/// A kept value that no longer reads (a damaged row of an old store) is left as it was by
/// migration 5: the store stays usable, where failing the migration would close it to every
/// command.
#[test]
fn a_damaged_kept_value_does_not_stop_the_migration() {
    let env = TestEnv::new();
    env.write_agent("bot", &agent_yaml("bot", 0.2));
    env.publish_json(&["-m", "first"]);
    env.write_agent("bot", &agent_yaml("bot", 0.5));
    env.publish_json(&["-m", "second"]);
    let conn = rusqlite::Connection::open(env.store()).unwrap();
    conn.execute_batch(
        "PRAGMA user_version = 4; DROP TRIGGER changes_update_refused;
         UPDATE changes SET new = 'not json' WHERE version = 1 AND path = 'tools';
         UPDATE changes SET new = '{\"provider\":\"openai\",\"name\":\"gpt-4.1\",\"temperature\":0.2}'
             WHERE version = 1 AND path = 'model';
         CREATE TRIGGER changes_update_refused BEFORE UPDATE ON changes
         BEGIN SELECT RAISE(ABORT, 'recorded changes are append-only'); END;",
    )
    .unwrap();
    drop(conn);

    env.run(&["status"]).success().stdout_has("clean");
    assert_eq!(env.log_entries(&["bot"]).len(), 2);
    env.run(&["log", "bot", "--touching", "model.temperature"])
        .success()
        .stdout_has("second");
    // Under the damaged row, the question still cannot be answered, as before the migration.
    env.run(&["log", "bot", "--touching", "tools[web_search].description"])
        .code(2)
        .stderr_has("damaged");
    let conn = rusqlite::Connection::open(env.store()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, agentctl::store::SCHEMA_VERSION);
    let damaged: String = conn
        .query_row(
            "SELECT new FROM changes WHERE version = 1 AND path = 'tools'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(damaged, "not json", "a damaged value is left as it was");
    let reshaped: i64 = conn
        .query_row(
            "SELECT count(*) FROM changes WHERE version = 1 AND path = 'model' AND new = '{\"provider\":null,\"name\":\"gpt-4.1\",\"temperature\":null}'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reshaped, 1, "the other values are reshaped");
}

#[test]
fn a_store_keeping_whole_values_is_migrated_and_answers_the_same() {
    use agentctl::store::{DEFAULT_LOCK_TIMEOUT, SCHEMA_VERSION, Store};
    let env = TestEnv::new();
    audited_history(&env);
    // v8 puts web_search first: a reorder.
    let v7 = Agent {
        temperature: 0.4,
        web_search: Some("Search the public web"),
        guardrails: &[("pii", "block")],
        instructions: "You are a helpful agent.\nBe brief and polite.\nNever guess.\n",
    }
    .yaml();
    let lookup = "  - name: lookup_invoice\n    description: Find an invoice\n";
    let web = "  - name: web_search\n    description: Search the public web\n";
    env.write_agent(
        "bot",
        &v7.replace(&format!("{lookup}{web}"), &format!("{web}{lookup}")),
    );
    env.publish_json(&["bot", "--author", AUTHOR]);

    // The same history as version 4 kept it: each container a change set, whole.
    let old = env.tmp.path().join("old.db");
    std::fs::copy(env.store(), &old).unwrap();
    let conn = rusqlite::Connection::open(&old).unwrap();
    conn.execute_batch("PRAGMA user_version = 4; DROP TRIGGER changes_update_refused;")
        .unwrap();
    let store = Store::open(&env.store(), DEFAULT_LOCK_TIMEOUT).unwrap();
    let mut before = agentctl::agent::Config::new();
    for entry in store.log(Some("bot"), None).unwrap().iter().rev() {
        let after = store.snapshot(entry).unwrap();
        for change in agentctl::change::diff(&before, &after) {
            let whole =
                |value: &Value| (value.is_object() || value.is_array()).then(|| value.to_string());
            let updated = conn
                .execute(
                    "UPDATE changes SET old = ?1, new = ?2 WHERE agent = 'bot' AND version = ?3 AND path = ?4",
                    rusqlite::params![whole(&change.old), whole(&change.new), entry.version as i64, change.path.to_string()],
                )
                .unwrap();
            assert_eq!(updated, 1);
        }
        before = after;
    }
    drop(store);
    conn.execute_batch(
        "CREATE TRIGGER changes_update_refused BEFORE UPDATE ON changes
         BEGIN SELECT RAISE(ABORT, 'recorded changes are append-only'); END;",
    )
    .unwrap();
    let whole: String = conn
        .query_row(
            "SELECT new FROM changes WHERE version = 1 AND path = 'tools'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(whole.contains("Find an invoice"), "{whole}");
    let names: String = conn
        .query_row(
            "SELECT new FROM changes WHERE version = 8 AND kind = 'reordered'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(names, r#"["web_search","lookup_invoice"]"#);
    drop(conn);

    let old = old.to_str().unwrap();
    let queries: [&[&str]; 11] = [
        &["blame", "bot", "--json"],
        &["blame", "bot", "v4", "--json"],
        &["blame", "bot"],
        &["log", "bot", "--json", "--touching", "model.temperature"],
        &[
            "log",
            "bot",
            "--json",
            "--touching",
            "tools[web_search].description",
        ],
        &[
            "log",
            "bot",
            "--json",
            "--touching",
            "tools[lookup_invoice].description",
        ],
        &["log", "bot", "--json", "--touching", "tools"],
        &[
            "log",
            "bot",
            "--json",
            "--touching",
            "guardrails[toxicity].action",
        ],
        &["show", "bot", "v1", "--json"],
        &["show", "bot", "--json"],
        &["verify", "--json"],
    ];
    for query in queries {
        let fresh = env.run(query);
        fresh.success();
        let mut with_old = vec!["--store", old];
        with_old.extend_from_slice(query);
        let migrated = env.run(&with_old);
        migrated.success();
        let store = env.store();
        let fresh = fresh.stdout.replace(store.to_str().unwrap(), old);
        assert_eq!(migrated.stdout, fresh, "{query:?}");
        assert!(!fresh.is_empty(), "{query:?}");
    }
    let conn = rusqlite::Connection::open(old).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    // Kept as a new store keeps them: shapes, the large ones compressed; no reorder's names.
    let migrated = recorded_changes(Path::new(old));
    assert_eq!(migrated, recorded_changes(&env.store()));
    // And still append-only.
    assert!(
        conn.execute("UPDATE changes SET old = NULL", []).is_err(),
        "the trigger is back"
    );
}

/// Every blame row fits the width, wide characters counted as two columns.
fn blame_rows_fit_narrow_widths_and_wide_characters(env: TestEnv) {
    env.write_agent(
        "bot",
        "name: 日本語のエージェント名前はとても長いです\ndescription: 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀\nmodel:\n  temperature: 0.2\n",
    );
    env.run(&["publish", "bot"]).success();
    for columns in ["40", "60", "100"] {
        let run = env.run_with(env.command().env("COLUMNS", columns).args(["blame", "bot"]));
        run.success();
        let limit: usize = columns.parse().unwrap();
        for line in run.stdout.lines() {
            let width = unicode_width::UnicodeWidthStr::width(line);
            assert!(width <= limit, "{width} > {limit}: {line}");
        }
    }
}
