//! Generated files checked into the repository: shell completions and the man page
//! (`completions/`), the agent schema (`schema/agent.schema.json`) and the OpenAPI document of
//! `agentctl serve` (`schema/openapi.json`). They must equal what
//! this build generates; after a change to the command line or the agent types, refresh them:
//!
//!     SNAPSHOTS=overwrite cargo test --test cli test_generated

use std::path::Path;

use agentctl::commands::completions;
use agentctl::schema::agent_schema_json;
use clap::ValueEnum;
use clap_complete::Shell;
use serde_json::Value;

use crate::common::TestEnv;

const REFRESH: &str = "SNAPSHOTS=overwrite cargo test --test cli test_generated";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every generated file, by its path in the repository, with what it must hold.
fn generated() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Shell::value_variants()
        .iter()
        .map(|&shell| {
            (
                format!("completions/{}", completions::file_name(shell)),
                completions::completions(shell),
            )
        })
        .collect();
    for (name, page) in completions::man_pages() {
        files.push((format!("completions/{name}"), page));
    }
    files.push(("schema/agent.schema.json".into(), agent_schema_json()));
    #[cfg(feature = "serve")]
    files.push((
        "schema/openapi.json".into(),
        agentctl::serve::api::openapi_text(),
    ));
    files
}

#[test]
fn generated_files_are_up_to_date() {
    let overwrite = std::env::var("SNAPSHOTS").is_ok_and(|v| v == "overwrite");
    let mut stale = Vec::new();
    for (relative, expected) in generated() {
        let path = repo().join(&relative);
        if overwrite {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &expected).unwrap();
            continue;
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        if actual != expected {
            let line = actual
                .lines()
                .zip(expected.lines())
                .position(|(a, e)| a != e)
                .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
            stale.push(format!(
                "  {relative} (first difference at line {})",
                line + 1
            ));
        }
    }
    // A man page of a command that is gone.
    let names: Vec<String> = generated().into_iter().map(|(name, _)| name).collect();
    for entry in std::fs::read_dir(repo().join("completions")).unwrap() {
        let name = format!(
            "completions/{}",
            entry.unwrap().file_name().to_string_lossy()
        );
        if name.ends_with(".1") && !names.contains(&name) {
            if overwrite {
                std::fs::remove_file(repo().join(&name)).unwrap();
            } else {
                stale.push(format!("  {name} (no such command any more)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale or missing:\n{}\nrefresh them with:\n\n    {REFRESH}\n",
        stale.join("\n")
    );
}

#[test]
fn generated_completions_and_schema_come_from_the_binary_without_a_workspace() {
    let env = TestEnv::bare();
    for &shell in Shell::value_variants() {
        let name = shell.to_possible_value().unwrap().get_name().to_owned();
        let run = env.run(&["completions", &name]);
        run.success();
        assert_eq!(run.stdout, completions::completions(shell), "{name}");
        assert!(run.stdout.contains("agentctl"), "{name}");
        assert!(run.stderr.is_empty(), "{name}: {}", run.stderr);
    }
    let run = env.run(&["completions", "tcsh"]);
    run.code(2).stderr_has("invalid value 'tcsh'");

    let run = env.run(&["schema"]);
    run.success();
    assert_eq!(run.stdout, agent_schema_json());
    let schema = run.json();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
}

#[test]
fn generated_completions_know_every_command() {
    let bash = completions::completions(Shell::Bash);
    for command in ["new", "export", "schema", "completions", "diff", "publish"] {
        assert!(bash.contains(&format!("agentctl,{command})")), "{command}");
    }
    let pages = completions::man_pages();
    let (name, man) = &pages[0];
    assert_eq!(name, "agentctl.1");
    assert!(man.starts_with(".ie \\n(.g .ds Aq"), "roff: {}", &man[..40]);
    // agentctl.1 refers to agentctl-export(1): that page exists, and documents --ref.
    assert!(man.contains("agentctl\\-export(1)"), "{man}");
    let export = pages.iter().find(|(name, _)| name == "agentctl-export.1");
    assert!(export.is_some_and(|(_, page)| page.contains("\\-\\-ref")));
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("schema/agent.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft7::new(&schema).expect("the schema compiles as draft-07")
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

#[test]
fn generated_schema_accepts_every_example_agent() {
    let validator = validator();
    let mut seen = 0;
    for entry in std::fs::read_dir(repo().join("examples/agents")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let config = agentctl::agent::parse(&std::fs::read(&path).unwrap()).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&Value::Object(config))
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            seen += 1;
        }
    }
    assert!(seen >= 3, "the example agents were not found");
}

#[test]
fn generated_schema_rejects_a_string_tools_and_a_missing_name() {
    let validator = validator();
    assert!(validator.is_valid(&yaml("name: a\ntools: []\n")));
    assert!(!validator.is_valid(&yaml("name: a\ntools: lookup_invoice\n")));
    assert!(!validator.is_valid(&yaml("description: no name\n")));
    assert!(!validator.is_valid(&yaml("name: a\ntools:\n  - description: no name\n")));
}
