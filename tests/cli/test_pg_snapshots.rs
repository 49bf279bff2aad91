//! How the PostgreSQL store keeps snapshots (schema version 2): zstd frames, mostly deltas
//! against an earlier snapshot of the same agent, as SQLite does. A long history takes a small
//! multiple of SQLite's bytes; a damaged frame or a missing base is named by `verify` and is a
//! clear error for `show`; a store from before version 2 is migrated, its plain rows read as
//! they are and new publishes framed. These need the test server (`.ci/postgres-up`).

use serde_json::{Value, json};

use crate::common::{StoreKind, TestEnv, agent_yaml, append_version};

/// A workspace on the test server; `None` (skipped) without one.
fn on_postgres() -> Option<TestEnv> {
    TestEnv::on(StoreKind::Postgres)
}

/// Version `i` of a ~30 KB agent: 300 lines of instructions in varied words (as compressible
/// as prose, not as a repeated line), one of them rewritten each time.
fn big_config(i: usize) -> agentctl::agent::Config {
    const WORDS: [&str; 16] = [
        "answer", "customer", "politely", "order", "number", "refund", "check", "before",
        "escalate", "billing", "account", "never", "promise", "delivery", "confirm", "summary",
    ];
    let mut seed = 0x2545_f491_u64;
    let mut line = |l: usize| -> String {
        let words: Vec<&str> = (0..14)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                WORDS[(seed >> 60) as usize]
            })
            .collect();
        format!("{l:03}: {}.\n", words.join(" "))
    };
    let instructions: String = (0..300)
        .map(|l| match line(l) {
            _ if l == i % 300 => format!("{l:03}: rewritten in publish {i}.\n"),
            text => text,
        })
        .collect();
    json!({"name": "big", "model": {"temperature": 0.2}, "instructions": instructions})
        .as_object()
        .cloned()
        .unwrap()
}

/// Publish `count` versions of the big agent into `store` as `publish` does: one transaction
/// each, reading production's snapshot to diff against.
fn publish_big(store: &mut agentctl::store::Store, count: usize) -> Vec<String> {
    let mut texts = Vec::new();
    for i in 0..count {
        let config = big_config(i);
        let publishing = store.publishing(false).unwrap();
        let head = publishing.head("big").unwrap();
        let before = match &head {
            Some(head) => publishing.snapshot(head).unwrap(),
            None => Default::default(),
        };
        append_version(
            &publishing,
            head.as_ref(),
            &before,
            &config,
            &format!("publish {i}"),
        );
        publishing.commit().unwrap();
        texts.push(Value::Object(config).to_string());
    }
    texts
}

/// 200 publishes of a ~30 KB agent: on PostgreSQL the snapshots and their frames take a small
/// multiple of SQLite's snapshot pages (the same frames; PostgreSQL's pages, forks, indexes and
/// row headers cost more), and a small fraction of the same texts kept whole (the layout before
/// schema version 2, TOAST-compressed). The figures are printed for BENCHMARKS.md.
#[test]
#[allow(clippy::print_stderr)] // the figures, for BENCHMARKS.md
fn postgres_keeps_a_long_history_as_small_deltas() {
    let Some(env) = on_postgres() else {
        return;
    };
    const PUBLISHES: usize = 200;
    let mut store = env.open_store();
    let texts = publish_big(&mut store, PUBLISHES);
    let mut session = env.postgres_session().unwrap();
    let size = |session: &mut postgres::Client, tables: &str| -> i64 {
        session
            .query_one(
                &format!(
                    "SELECT sum(pg_total_relation_size(t))::BIGINT FROM unnest(ARRAY[{tables}]::regclass[]) t"
                ),
                &[],
            )
            .unwrap()
            .get(0)
    };
    let framed = size(&mut session, "'snapshots', 'snapshot_frames'");
    let (full, deltas): (i64, i64) = session
        .query_one(
            "SELECT count(*) FILTER (WHERE base IS NULL), count(base) FROM snapshots",
            &[],
        )
        .map(|row| (row.get(0), row.get(1)))
        .unwrap();
    assert_eq!((full, deltas), (1, PUBLISHES as i64 - 1));

    // The same texts kept whole, as before.
    session
        .batch_execute("CREATE TABLE plain (hash TEXT PRIMARY KEY, content TEXT NOT NULL)")
        .unwrap();
    for (i, text) in texts.iter().enumerate() {
        session
            .execute(
                "INSERT INTO plain VALUES ($1, $2)",
                &[&format!("{i:064}"), text],
            )
            .unwrap();
    }
    let plain = size(&mut session, "'plain'");

    let sqlite_env = TestEnv::new();
    let mut sqlite = sqlite_env.open_store();
    publish_big(&mut sqlite, PUBLISHES);
    drop(sqlite);
    let conn = rusqlite::Connection::open(sqlite_env.store()).unwrap();
    // The pages of SQLite's snapshot tables and index, and the frames they hold.
    let (sqlite_pages, sqlite_frames): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT sum(pgsize) FROM dbstat WHERE name IN
                        ('snapshots', 'snapshot_frames', 'sqlite_autoindex_snapshots_1')),
                    (SELECT sum(length(frame)) FROM snapshot_frames)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let pg_frames: i64 = session
        .query_one(
            "SELECT sum(octet_length(frame))::BIGINT FROM snapshot_frames",
            &[],
        )
        .unwrap()
        .get(0);

    let text_bytes: usize = texts.iter().map(String::len).sum();
    eprintln!(
        "{PUBLISHES} publishes of a {} KB agent ({} KB of text): PostgreSQL framed {} KB, \
         PostgreSQL plain {} KB, SQLite {} KB (frames {} KB, PostgreSQL's {} KB)",
        texts[0].len() / 1024,
        text_bytes / 1024,
        framed / 1024,
        plain / 1024,
        sqlite_pages / 1024,
        sqlite_frames / 1024,
        pg_frames / 1024,
    );
    // The same frames; PostgreSQL's pages, forks and indexes cost a few times SQLite's.
    assert!(
        pg_frames * 10 < sqlite_frames * 11,
        "frames: PostgreSQL {pg_frames} bytes, SQLite {sqlite_frames}"
    );
    assert!(
        framed < 4 * sqlite_pages,
        "PostgreSQL {framed} bytes, SQLite {sqlite_pages}"
    );
    assert!(
        framed * 5 < plain,
        "framed {framed} bytes, plain {plain} bytes"
    );
    // Every version reads back exactly, from a new connection (no text remembered).
    let store = env.open_store();
    for entry in store.log(Some("big"), None).unwrap() {
        let config = store.snapshot(&entry).unwrap();
        assert_eq!(
            Value::Object(config).to_string(),
            texts[entry.version as usize - 1]
        );
    }
    env.run(&["verify"]).success();
}

/// Five publishes of `a`: v1 a full copy, each later one a delta against the one before.
fn five_publishes(env: &TestEnv) -> Vec<String> {
    for i in 1..=5 {
        env.write_agent("a", &agent_yaml("A", f64::from(i) / 10.0));
        env.publish_json(&["-m", &format!("publish {i}")]);
    }
    let mut session = env.postgres_session().unwrap();
    session
        .query(
            "SELECT snapshot FROM history WHERE agent = 'a' ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Remove the workspace's parse cache, as a fresh checkout of the same store has none.
fn forget_parse_cache(env: &TestEnv) {
    std::fs::remove_dir_all(env.root.join(".agentctl/cache")).unwrap();
}

/// `verify --json`: exit 1, its problems as (version, kind, message).
fn problems(env: &TestEnv) -> Vec<(u64, String, String)> {
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
                p["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A frame replaced by bytes that do not decode: `verify` names the snapshot and every version
/// whose chain runs through it (exit 1); `show` of it is a clear error (exit 2); the versions
/// before it still read.
#[test]
fn a_damaged_frame_on_postgres_is_named() {
    let Some(env) = on_postgres() else {
        return;
    };
    let hashes = five_publishes(&env);
    let mut session = env.postgres_session().unwrap();
    // Triggers off, as an attacker's session would have them (the store refuses edits).
    session
        .batch_execute("SET session_replication_role = replica")
        .unwrap();
    session
        .execute(
            "UPDATE snapshot_frames SET frame = '\\x28b52ffd0067617262616765'::BYTEA
             WHERE id = (SELECT frame FROM snapshots WHERE hash = $1)",
            &[&hashes[2]],
        )
        .unwrap();
    let before = env.store_state();
    let found = problems(&env);
    let versions: Vec<u64> = found.iter().map(|p| p.0).collect();
    assert_eq!(versions, [3, 4, 5], "{found:?}");
    assert!(
        found.iter().all(|p| p.1 == "snapshot_unreadable"),
        "{found:?}"
    );
    assert!(
        found[0].2.contains(&hashes[2][..12]) && found[0].2.contains("damaged"),
        "{found:?}"
    );
    // Later versions name the damaged snapshot their chain runs through.
    assert!(found[2].2.contains(&hashes[2]), "{found:?}");
    env.run(&["verify"])
        .code(1)
        .stdout_has("a v3: its snapshot")
        .stdout_has("damaged");
    // This checkout's parse cache keeps v3 as the store decoded it when it was sound (content-
    // addressed, so it is still v3); a checkout without it reads the store and is told.
    env.run(&["show", "a", "v3"]).success().stdout_has("0.3");
    forget_parse_cache(&env);
    env.run(&["show", "a", "v3"])
        .code(2)
        .stderr_has(&format!("snapshot {} in the store is damaged", hashes[2]))
        .stderr_has("agentctl verify");
    env.run(&["show", "a", "v2"]).success();
    assert_eq!(env.store_state(), before, "reading wrote to the store");
}

/// A delta whose base is gone (deleted behind agentctl's back): the missing base is named.
#[test]
fn a_missing_base_on_postgres_is_named() {
    let Some(env) = on_postgres() else {
        return;
    };
    let hashes = five_publishes(&env);
    let mut session = env.postgres_session().unwrap();
    // Foreign keys not enforced, as an attacker's session would.
    session
        .batch_execute(&format!(
            "SET session_replication_role = replica;
             DELETE FROM snapshots WHERE hash = '{}'",
            hashes[1]
        ))
        .unwrap();
    let found = problems(&env);
    assert!(
        found.iter().any(|p| p.0 == 2 && p.1 == "snapshot_missing"),
        "{found:?}"
    );
    let v3 = found.iter().find(|p| p.0 == 3).expect("v3 named");
    assert!(
        v3.2.contains(&format!("its base {} is missing from the store", hashes[1])),
        "{found:?}"
    );
    forget_parse_cache(&env);
    env.run(&["show", "a", "v3"])
        .code(2)
        .stderr_has(&format!("its base {} is missing", hashes[1]));
}

/// A store created at schema version 1 (snapshots as plain JSON text) is migrated by the
/// first command: its rows read as they are, verify passes, and new publishes are framed
/// (the first one a delta against the plain row before it).
#[test]
fn an_old_postgres_store_is_migrated_and_keeps_its_plain_rows() {
    let Some(env) = on_postgres() else {
        return;
    };
    let hashes = five_publishes(&env);
    let shown: Vec<String> = (1..=5)
        .map(|v| {
            env.run(&["show", "a", &format!("v{v}"), "--json"])
                .stdout
                .clone()
        })
        .collect();
    // Back to version 1's layout: each snapshot's text in `content`, no frames.
    let store = env.open_store();
    let texts: Vec<String> = store
        .log(Some("a"), None)
        .unwrap()
        .iter()
        .rev()
        .map(|entry| Value::Object(store.snapshot(entry).unwrap()).to_string())
        .collect();
    drop(store);
    let mut session = env.postgres_session().unwrap();
    // Triggers off: history is append-only since schema version 3, and this rewrites it.
    session
        .batch_execute("SET session_replication_role = replica")
        .unwrap();
    for (hash, text) in hashes.iter().zip(&texts) {
        session
            .execute(
                "UPDATE snapshots SET content = $2, frame = NULL, base = NULL WHERE hash = $1",
                &[hash, text],
            )
            .unwrap();
    }
    session
        .batch_execute(
            "ALTER TABLE snapshots DROP COLUMN frame, DROP COLUMN base;
             DROP TABLE snapshot_frames;
             UPDATE agentctl_schema SET version = 1;",
        )
        .unwrap();

    for (v, before) in (1..=5).zip(&shown) {
        let run = env.run(&["show", "a", &format!("v{v}"), "--json"]);
        run.success();
        assert_eq!(&run.stdout, before, "v{v}");
    }
    let version: i32 = session
        .query_one("SELECT version FROM agentctl_schema", &[])
        .unwrap()
        .get(0);
    // Migrated to the newest version (3: history append-only; 4: entries' recorded rules).
    assert_eq!(version, 4);
    env.write_agent("a", &agent_yaml("A", 0.9));
    env.publish_json(&["-m", "after the migration"]);
    env.run(&["verify"]).success();
    let rows: Vec<(i64, bool, Option<String>, String)> = session
        .query(
            "SELECT h.version, s.frame IS NOT NULL, s.base, s.content
             FROM history h JOIN snapshots s ON s.hash = h.snapshot ORDER BY h.version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect();
    for (version, framed, base, content) in &rows[..5] {
        assert!(!framed && base.is_none(), "v{version} was re-encoded");
        assert_eq!(content, &texts[*version as usize - 1]);
    }
    let (_, framed, base, content) = &rows[5];
    assert!(*framed && content.is_empty(), "{:?}", rows[5]);
    assert_eq!(base.as_deref(), Some(hashes[4].as_str()));
    env.run(&["show", "a", "v6"]).success().stdout_has("0.9");
}
