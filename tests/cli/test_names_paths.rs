//! Names and paths that try to leave `agents/`: ids like `../x`, absolute paths, control
//! characters, and staging files that are links to somewhere outside the workspace. All are
//! refused (exit 2) and nothing is read or written outside the workspace.

use std::os::unix::fs::symlink;

use crate::common::{TestEnv, agent_yaml, on_both_stores};

on_both_stores!(
    ids_that_are_paths_or_hold_control_characters_are_refused,
    a_file_whose_name_is_not_an_id_is_reported_not_published,
    a_staging_link_to_outside_the_workspace_is_not_read,
    revert_restore_and_undo_never_write_through_a_link_to_outside,
    an_agents_folder_linked_outside_is_refused_for_writes_too,
    a_link_inside_the_workspace_is_followed_and_kept
);

fn ids_that_are_paths_or_hold_control_characters_are_refused(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    let before = env.store_state();
    for id in [
        "../x",
        "../../etc/passwd",
        "/etc/passwd",
        "a/b",
        "a\u{7}b",
        "a\u{1b}[31m",
        "a\nb",
        "..",
    ] {
        for args in [
            vec!["diff", id],
            vec!["publish", id],
            vec!["validate", id],
            vec!["show", id],
            vec!["log", id],
            vec!["revert", id, "v1"],
            vec!["restore", id],
            vec!["undo", id],
        ] {
            let run = env.run(&args);
            run.code(2).stderr_has("is not a valid agent id");
            assert!(
                !run.stderr.contains('\u{1b}'),
                "raw escape echoed: {}",
                run.show()
            );
        }
    }
    assert_eq!(env.store_state(), before);
    assert!(!env.tmp.path().join("x.yaml").exists());
    assert!(!env.root.join("x.yaml").exists());
}

fn a_file_whose_name_is_not_an_id_is_reported_not_published(env: TestEnv) {
    env.write_agent("good", &agent_yaml("Good", 0.1));
    std::fs::write(
        env.root.join("agents/bad\u{7}name.yaml"),
        agent_yaml("B", 0.1),
    )
    .unwrap();
    std::fs::write(
        env.root.join("agents/with space.yaml"),
        agent_yaml("C", 0.1),
    )
    .unwrap();
    let states = env.states();
    assert!(
        states.contains(&("bad\u{7}name".into(), "invalid".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("with space".into(), "invalid".into())),
        "{states:?}"
    );
    env.run(&["publish"])
        .code(2)
        .stderr_has("not a valid agent id");
    assert_eq!(env.history_len(None), 0);
}

/// A valid agent file outside the workspace, and a staging link to it.
fn outside_link(env: &TestEnv, id: &str) -> std::path::PathBuf {
    let outside = env.tmp.path().join("outside.yaml");
    std::fs::write(&outside, agent_yaml("Outside", 0.9)).unwrap();
    let link = env.root.join("agents").join(format!("{id}.yaml"));
    let _ = std::fs::remove_file(&link);
    symlink(&outside, &link).unwrap();
    outside
}

fn a_staging_link_to_outside_the_workspace_is_not_read(env: TestEnv) {
    outside_link(&env, "evil");
    for args in [
        vec!["validate", "evil"],
        vec!["diff", "evil"],
        vec!["publish", "evil"],
        vec!["publish"],
    ] {
        env.run(&args)
            .code(2)
            .stderr_has("agents/evil.yaml")
            .stderr_has("outside the workspace");
    }
    let run = env.run(&["status", "--json"]);
    run.success();
    assert_eq!(
        run.json()["agents"][0]["state"],
        "invalid",
        "{}",
        run.show()
    );
    assert_eq!(env.history_len(None), 0);
}

fn revert_restore_and_undo_never_write_through_a_link_to_outside(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    env.write_agent("a", &agent_yaml("A", 0.2));
    env.publish_json(&[]);
    env.write_agent("a", &agent_yaml("A", 0.3));
    env.run(&["restore", "a"]).success();

    let outside = outside_link(&env, "a");
    let outside_bytes = std::fs::read(&outside).unwrap();
    let store = env.store_state();
    env.run(&["restore", "a", "v1"])
        .code(2)
        .stderr_has("outside the workspace");
    env.run(&["revert", "a", "v2"])
        .code(2)
        .stderr_has("outside the workspace");
    env.run(&["undo", "a"]).code(2);
    assert_eq!(std::fs::read(&outside).unwrap(), outside_bytes);
    assert!(env.root.join("agents/a.yaml").is_symlink());
    assert_eq!(env.store_state(), store);

    // A dangling link is followed to where a write would land, and refused just the same.
    let target = env.tmp.path().join("planted.yaml");
    std::fs::remove_file(env.root.join("agents/a.yaml")).unwrap();
    symlink(&target, env.root.join("agents/a.yaml")).unwrap();
    env.run(&["restore", "a"])
        .code(2)
        .stderr_has("outside the workspace");
    assert!(!target.exists());
}

fn an_agents_folder_linked_outside_is_refused_for_writes_too(env: TestEnv) {
    env.write_agent("a", &agent_yaml("A", 0.1));
    env.publish_json(&[]);
    let elsewhere = env.tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::remove_dir_all(env.root.join("agents")).unwrap();
    symlink(&elsewhere, env.root.join("agents")).unwrap();
    // No staging file: restore would create one, in the linked folder.
    env.run(&["restore", "a"])
        .code(2)
        .stderr_has("outside the workspace");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

fn a_link_inside_the_workspace_is_followed_and_kept(env: TestEnv) {
    let shared = env.root.join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(shared.join("a.yaml"), agent_yaml("A", 0.1)).unwrap();
    symlink("../shared/a.yaml", env.root.join("agents/a.yaml")).unwrap();
    env.publish_json(&[]);
    std::fs::write(shared.join("a.yaml"), agent_yaml("A", 0.2)).unwrap();
    env.run(&["restore", "a"]).success();
    assert!(
        env.root.join("agents/a.yaml").is_symlink(),
        "the link stays"
    );
    assert!(
        std::fs::read_to_string(shared.join("a.yaml"))
            .unwrap()
            .contains("temperature: 0.1")
    );
    env.run(&["undo", "a"]).success();
    assert!(env.root.join("agents/a.yaml").is_symlink());
    assert_eq!(
        std::fs::read_to_string(shared.join("a.yaml")).unwrap(),
        agent_yaml("A", 0.2)
    );
}
