//! The rules each history entry was compared under (agentctl.yaml's `sections:`/`identity:`,
//! a chosen format) are recorded with it: `log` counts, `show` lists, `blame` walks and
//! `verify` recomputes by them; old stores and stores from older agentctl still verify.

use serde_json::Value;

use crate::common::{TestEnv, on_both_stores};

on_both_stores!(
    a_publish_is_recorded_under_agentctl_yaml_identity_and_read_back_by_it,
    edited_recorded_rules_are_found_by_verify,
    a_store_from_before_the_rules_column_verifies_and_gains_it,
);

const START: &str = "name: helper\nmodel:\n  name: gpt-4o\nskills:\n  - skill_id: search\n    level: 1\n  - skill_id: write\n    level: 2\n  - skill_id: read\n    level: 3\n";
/// `write` raised and moved first: under `identity: {skills: skill_id}`, a reorder and one
/// field; by position, every item's fields.
const RAISED: &str = "name: helper\nmodel:\n  name: gpt-4o\nskills:\n  - skill_id: write\n    level: 5\n  - skill_id: search\n    level: 1\n  - skill_id: read\n    level: 3\n";
/// Only a reorder.
const REORDERED: &str = "name: helper\nmodel:\n  name: gpt-4o\nskills:\n  - skill_id: read\n    level: 3\n  - skill_id: write\n    level: 5\n  - skill_id: search\n    level: 1\n";

const IDENTITY: &str = "identity:\n  skills: skill_id\n";

fn write_overrides(env: &TestEnv, text: Option<&str>) {
    let path = env.root.join("agentctl.yaml");
    match text {
        Some(text) => std::fs::write(path, text).unwrap(),
        None => std::fs::remove_file(path).unwrap(),
    }
}

/// The number of changes `log --json` counts for each version, oldest first.
fn logged_counts(env: &TestEnv) -> Vec<u64> {
    let mut counts: Vec<u64> = env
        .log_entries(&["helper"])
        .iter()
        .map(|entry| {
            let summary = &entry["summary"];
            ["added", "removed", "changed"]
                .iter()
                .map(|kind| summary[kind].as_u64().unwrap())
                .sum()
        })
        .collect();
    counts.reverse();
    counts
}

/// The paths `show --json` lists for a version.
fn shown_paths(env: &TestEnv, version: &str) -> Vec<String> {
    let run = env.run(&["show", "helper", version, "--json"]);
    run.success();
    paths(&run.json()["changes"])
}

fn paths(changes: &Value) -> Vec<String> {
    changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_owned())
        .collect()
}

/// The version `blame --json` gives each field under `skills`.
fn blamed(env: &TestEnv) -> Vec<(String, u64)> {
    env.blamed(&["helper"])
        .into_iter()
        .filter(|(path, _)| path.starts_with("skills"))
        .collect()
}

/// v1 START (no agentctl.yaml), then under `identity: {skills: skill_id}` v2 RAISED and v3
/// REORDERED.
fn history_under_identity(env: &TestEnv) {
    env.write_agent("helper", START);
    env.run(&["publish", "-m", "first"]).success();
    write_overrides(env, Some(IDENTITY));
    env.write_agent("helper", RAISED);
    env.run(&["publish", "-m", "raise write"]).success();
    env.write_agent("helper", REORDERED);
    env.run(&["publish", "-m", "read first"]).success();
}

fn a_publish_is_recorded_under_agentctl_yaml_identity_and_read_back_by_it(env: TestEnv) {
    history_under_identity(&env);
    // `log` counts what `show` lists: the reorder and the one field; the pure reorder is one.
    assert_eq!(logged_counts(&env), [3, 2, 1]);
    assert_eq!(shown_paths(&env, "v2"), ["skills", "skills[write].level"]);
    assert_eq!(shown_paths(&env, "v3"), ["skills"]);
    // By position the same publishes are other changes (what would have been recorded
    // before issue 15): items by number, the pure reorder as several.
    write_overrides(&env, None);
    let positional = |from: &str, to: &str| {
        let run = env.run(&["diff", "helper", "--from", from, "--to", to, "--json"]);
        run.success();
        paths(&run.json()["agents"][0]["changes"])
    };
    let by_position = positional("v1", "v2");
    assert_eq!(by_position, ["skills[0]", "skills[1]"]);
    assert!(
        positional("v2", "v3").len() > 1,
        "{:?}",
        positional("v2", "v3")
    );
    write_overrides(&env, Some(IDENTITY));

    // `blame` names items by their skill_id, as the publishes recorded them.
    let fields = blamed(&env);
    assert!(
        fields.contains(&("skills[write].level".into(), 2)),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("skills[search].level".into(), 1)),
        "{fields:?}"
    );
    let versions = env.log_versions(&["helper", "--touching", "skills[write].level"]);
    // v1 was recorded by position (no agentctl.yaml then): found through what it set above.
    assert_eq!(versions, [2]);
    // An agent published under the identity from its first version: that first publish set
    // the whole list, and its kept shape finds `write` by skill_id.
    env.write_agent("other", &START.replace("helper", "other"));
    env.run(&["publish", "other", "-m", "first"]).success();
    env.write_agent("other", &RAISED.replace("helper", "other"));
    env.run(&["publish", "other", "-m", "raise write"])
        .success();
    let touching = |path: &str| env.log_versions(&["other", "--touching", path]);
    assert_eq!(touching("skills[write].level"), [2, 1]);
    assert_eq!(touching("skills[search].level"), [1]);
    assert_eq!(touching("skills[nobody]"), Vec::<u64>::new());
    env.run(&["verify"]).success();

    // agentctl.yaml changes later: the history still reads as it was recorded.
    write_overrides(&env, Some("sections:\n  tools: [skills]\n"));
    env.run(&["verify"]).success();
    assert_eq!(shown_paths(&env, "v2"), ["skills", "skills[write].level"]);
    assert_eq!(logged_counts(&env), [3, 2, 1]);
    assert_eq!(blamed(&env), fields);
    write_overrides(&env, None);
    env.run(&["verify"]).success();
    assert_eq!(shown_paths(&env, "v2"), ["skills", "skills[write].level"]);
    assert_eq!(shown_paths(&env, "v3"), ["skills"]);
    assert_eq!(blamed(&env), fields);
    // `diff` compares versions now, by today's agentctl.yaml (none): by position.
    assert_eq!(positional("v1", "v2"), by_position);

    // A publish without agentctl.yaml records no rules, and verifies as before.
    env.write_agent("helper", START);
    env.run(&["publish", "-m", "back"]).success();
    env.run(&["verify"]).success();
    assert_eq!(logged_counts(&env)[3], shown_paths(&env, "v4").len() as u64);

    // `store copy` keeps the rules (they are in the ids) and the copy verifies.
    let copy = env.tmp.path().join("copy.db");
    let from = env
        .postgres
        .clone()
        .unwrap_or_else(|| env.store().to_str().unwrap().to_owned());
    env.run(&["store", "copy", &from, copy.to_str().unwrap()])
        .success();
    let run = env.run(&[
        "--store",
        copy.to_str().unwrap(),
        "show",
        "helper",
        "v2",
        "--json",
    ]);
    run.success();
    assert_eq!(
        paths(&run.json()["changes"]),
        ["skills", "skills[write].level"]
    );
}

/// The `rules` column of the store's history rows `sql` selects, on either store.
fn rules_column(env: &TestEnv, sql: &str) -> Vec<Option<String>> {
    match env.postgres_session() {
        Some(mut session) => session
            .query(sql, &[])
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect(),
        None => {
            let conn = rusqlite::Connection::open(env.store()).unwrap();
            let mut stmt = conn.prepare(sql).unwrap();
            stmt.query_map([], |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        }
    }
}

/// `verify --json` exits 1: its problems as (version, kind).
fn problems(env: &TestEnv) -> Vec<(u64, String)> {
    let run = env.run(&["verify", "--json"]);
    run.code(1);
    run.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["version"].as_u64().unwrap_or(0),
                p["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn edited_recorded_rules_are_found_by_verify(env: TestEnv) {
    history_under_identity(&env);
    let rules = |env: &TestEnv| {
        rules_column(
            env,
            "SELECT rules FROM history WHERE agent = 'helper' ORDER BY version",
        )
    };
    let recorded = r#"{"identity":{"skills":"skill_id"}}"#;
    assert_eq!(
        rules(&env),
        [None, Some(recorded.to_owned()), Some(recorded.to_owned())]
    );

    // Rules that do not read: named as such, exit 1; `show` says what is damaged.
    env.tamper("UPDATE history SET rules = 'not json' WHERE agent = 'helper' AND version = 2");
    let found = problems(&env);
    assert!(found.contains(&(2, "rules".into())), "{found:?}");
    assert!(found.contains(&(2, "change_track_id".into())), "{found:?}");
    env.run(&["show", "helper", "v2"])
        .code(2)
        .stderr_has("recorded rules of helper v2");
    env.run(&["blame", "helper", "v2"])
        .code(2)
        .stderr_has("recorded rules of helper v2");
    let run = env.run(&["verify"]);
    run.code(1).stdout_has("recorded rules");

    // Rules taken away: the id and the recorded changes both say so.
    env.tamper("UPDATE history SET rules = NULL WHERE agent = 'helper' AND version = 2");
    let found = problems(&env);
    assert!(found.contains(&(2, "change_track_id".into())), "{found:?}");
    assert!(found.contains(&(2, "recorded_changes".into())), "{found:?}");
    assert!(!found.contains(&(2, "rules".into())), "{found:?}");

    // Other rules that read: the id breaks, and the changes no longer follow from them.
    env.tamper(r#"UPDATE history SET rules = '{"sections":{"skills":"tools"}}' WHERE agent = 'helper' AND version = 2"#,
    );
    let found = problems(&env);
    assert!(found.contains(&(2, "change_track_id".into())), "{found:?}");
    assert!(found.contains(&(2, "recorded_changes".into())), "{found:?}");
}

fn a_store_from_before_the_rules_column_verifies_and_gains_it(env: TestEnv) {
    env.write_agent("helper", START);
    env.run(&["publish", "-m", "first"]).success();
    env.write_agent("helper", RAISED);
    env.run(&["publish", "-m", "raise write"]).success();
    let before = env.log_entries(&["helper"]);
    // Back to the layout before the column: SQLite schema 5, PostgreSQL schema 3.
    let column = |env: &TestEnv| rules_column(env, "SELECT rules FROM history ORDER BY version");
    match env.postgres_session() {
        Some(mut session) => session
            .batch_execute(
                "ALTER TABLE history DROP COLUMN rules; UPDATE agentctl_schema SET version = 3;",
            )
            .unwrap(),
        None => {
            let conn = rusqlite::Connection::open(env.store()).unwrap();
            conn.execute_batch("ALTER TABLE history DROP COLUMN rules; PRAGMA user_version = 5;")
                .unwrap();
            let has = conn
                .prepare("SELECT rules FROM history")
                .map(|_| ())
                .is_ok();
            assert!(!has, "the column is gone");
        }
    }

    env.run(&["verify"]).success();
    assert_eq!(column(&env), [None, None]);
    assert_eq!(env.log_entries(&["helper"]), before);
    let version = match env.postgres_session() {
        Some(mut session) => i64::from(
            session
                .query_one("SELECT version FROM agentctl_schema", &[])
                .unwrap()
                .get::<_, i32>(0),
        ),
        None => rusqlite::Connection::open(env.store())
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap(),
    };
    let expected = match env.postgres {
        Some(_) => 4,
        None => agentctl::store::SCHEMA_VERSION,
    };
    assert_eq!(version, expected);

    // Publishing under agentctl.yaml to the migrated store records its rules.
    write_overrides(&env, Some(IDENTITY));
    env.write_agent("helper", REORDERED);
    env.run(&["publish", "-m", "read first"]).success();
    assert_eq!(
        column(&env)[2].as_deref(),
        Some(r#"{"identity":{"skills":"skill_id"}}"#)
    );
    env.run(&["verify"]).success();
}

/// A store recorded by agentctl at commit 290238f (tests/fixtures/stores/README.md), before
/// cd5ef32 made `KnowledgeBaseId: !Ref X` identify Bedrock's knowledge bases: its positional
/// records of those lists are accepted by today's `verify`, and `log` and `blame` read it.
#[test]
fn a_bedrock_store_recorded_before_references_identified_items_verifies() {
    let env = TestEnv::new();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stores");
    let store = env.tmp.path().join("old.db");
    std::fs::copy(fixtures.join("bedrock_290238f.db"), &store).unwrap();
    std::fs::copy(
        fixtures.join("bedrock_290238f.yaml"),
        env.root.join("agents/support.yaml"),
    )
    .unwrap();
    let store = store.to_str().unwrap();
    let run = env.run(&["--store", store, "verify", "--json"]);
    run.success();
    assert_eq!(run.json()["entries"], 6, "{}", run.show());
    env.run(&["--store", store, "status"])
        .success()
        .stdout_has("clean");
    let run = env.run(&["--store", store, "log", "--json"]);
    run.success();
    assert_eq!(run.json()["entries"].as_array().unwrap().len(), 6);
    for agent in ["support.SupportAgent", "support.RefundsAgent"] {
        let run = env.run(&["--store", store, "blame", agent, "--json"]);
        run.success();
        assert!(!run.json()["fields"].as_array().unwrap().is_empty());
    }
    let versions = touching_on(
        &env,
        store,
        "support.SupportAgent",
        "ActionGroups[Orders].FunctionSchema.Functions[track_shipment].Description",
    );
    assert_eq!(versions, [3, 1]);
    // Migrated on the way: the entries gained the rules column, empty.
    let conn = rusqlite::Connection::open(store).unwrap();
    let with_rules: i64 = conn
        .query_row(
            "SELECT count(*) FROM history WHERE rules IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(with_rules, 6);
    // A publish on it now records today's rules and verifies too.
    let text = std::fs::read_to_string(env.root.join("agents/support.yaml")).unwrap();
    std::fs::write(
        env.root.join("agents/support.yaml"),
        text.replacen(
            "IdleSessionTTLInSeconds: 900",
            "IdleSessionTTLInSeconds: 1200",
            1,
        ),
    )
    .unwrap();
    env.run(&["--store", store, "publish", "-m", "longer sessions"])
        .success();
    env.run(&["--store", store, "verify"]).success();
}

/// The `log --touching` answers of `agent` for `path` on `store`, newest first.
fn touching_on(env: &TestEnv, store: &str, agent: &str, path: &str) -> Vec<u64> {
    env.log_versions(&[agent, "--touching", path, "--store", store])
}

/// A store recorded by agentctl at commit bceae13 (tests/fixtures/stores/README.md), whose
/// shapes kept an identity only as a string (`KnowledgeBaseId: !Ref X` as `{"Ref": null}`):
/// today's `verify` accepts its entries, with and without recorded rules, still names an
/// edited row, and a publish on it records shapes that keep the reference.
#[test]
fn a_store_recorded_with_string_only_identities_in_its_shapes_verifies() {
    let env = TestEnv::new();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stores");
    let path = env.tmp.path().join("old.db");
    std::fs::copy(fixtures.join("bedrock_bceae13.db"), &path).unwrap();
    let file = env.root.join("agents/support.yaml");
    std::fs::copy(fixtures.join("bedrock_bceae13.yaml"), &file).unwrap();
    let store = path.to_str().unwrap();
    let run = env.run(&["--store", store, "verify", "--json"]);
    run.success();
    assert_eq!(run.json()["entries"], 5, "{}", run.show());
    env.run(&["--store", store, "status"])
        .success()
        .stdout_has("clean");
    let (support, refunds) = ("support.SupportAgent", "support.RefundsAgent");
    for agent in [support, refunds] {
        let run = env.run(&["--store", store, "blame", agent, "--json"]);
        run.success();
        assert!(!run.json()["fields"].as_array().unwrap().is_empty());
    }
    // What those entries recorded answers as it did: an added item held its fields…
    let faq = "KnowledgeBases[FaqKnowledgeBaseId].Description";
    assert_eq!(touching_on(&env, store, support, faq), [2]);
    let docs = "KnowledgeBases[ProductDocsKnowledgeBaseId].Description";
    assert_eq!(touching_on(&env, store, refunds, docs), [2]);
    // …but v1's shape of the whole list lost the references, so it is not found by them (what
    // was not recorded cannot be read back).
    let policy = "KnowledgeBases[PolicyKnowledgeBaseId].Description";
    assert_eq!(touching_on(&env, store, support, policy), [2]);

    // A publish on it now: a third agent, its KnowledgeBases set whole and found by `!Ref`.
    let text = std::fs::read_to_string(&file).unwrap();
    let (start, end) = (
        text.find("  RefundsAgent:\n").unwrap(),
        text.find("  SupportAgentAlias:").unwrap(),
    );
    let audit = text[start..end]
        .replace("RefundsAgent:", "AuditAgent:")
        .replace("refunds-agent", "audit-agent");
    std::fs::write(
        &file,
        text.replacen(
            "  SupportAgentAlias:",
            &format!("{audit}  SupportAgentAlias:"),
            1,
        ),
    )
    .unwrap();
    env.run(&["--store", store, "publish", "-m", "audit agent"])
        .success();
    env.run(&["--store", store, "verify"]).success();
    let audit = "support.AuditAgent";
    assert_eq!(touching_on(&env, store, audit, policy), [1]);

    // An edited row is still named, whichever agentctl recorded it. The trigger off, the row
    // written back as text exactly as bceae13 shaped it verifies; with a reference it never had,
    // or another in today's row, it does not.
    let conn = rusqlite::Connection::open(store).unwrap();
    conn.execute_batch("DROP TRIGGER changes_update_refused;")
        .unwrap();
    let set = |agent: &str, kept: &str| {
        conn.execute(
            "UPDATE changes SET new = ?2 WHERE agent = ?1 AND version = 1 AND path = 'KnowledgeBases'",
            [agent, kept],
        )
        .unwrap();
    };
    let shaped = |reference: &str| {
        format!(
            r#"[{{"KnowledgeBaseId":{{"Ref":{reference}}},"Description":null,"KnowledgeBaseState":null}}]"#
        )
    };
    set(refunds, &shaped("null"));
    env.run(&["--store", store, "verify"]).success();
    set(refunds, &shaped(r#""Forged""#));
    let found = |env: &TestEnv| -> Vec<(String, u64, String)> {
        let run = env.run(&["--store", store, "verify", "--json"]);
        run.code(1);
        run.json()["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["agent"].as_str().unwrap().to_owned(),
                    p["version"].as_u64().unwrap(),
                    p["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        found(&env),
        [(refunds.to_owned(), 1, "recorded_changes".to_owned())]
    );
    set(refunds, &shaped("null"));
    set(audit, &shaped(r#""ProductDocsKnowledgeBaseId""#));
    assert_eq!(
        found(&env),
        [(audit.to_owned(), 1, "recorded_changes".to_owned())]
    );
    env.run(&["--store", store, "verify"])
        .code(1)
        .stdout_has("`KnowledgeBases` was edited");
}
