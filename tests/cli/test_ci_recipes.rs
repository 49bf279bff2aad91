//! The CI recipes in `examples/ci/`: the YAML files parse, every `agentctl` command line in
//! them parses with our clap definition (so the commands and flags they call exist), and the
//! pre-commit hook and the jq report run for real against a workspace.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use agentctl::cli::Cli;
use clap::Parser;

use crate::common::{TestEnv, agent_yaml, agentctl, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only: the recipe-parsing tests run
// no command, and the pre-commit hook only runs `validate`, which never opens a store.
on_both_stores!(ci_jq_report_runs_against_real_json_output);

fn recipes() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci")
}

/// Each recipe, and command lines it must contain (prefixes of what it runs).
const RECIPES: [(&str, &[&str]); 5] = [
    (
        "github-actions.yml",
        &[
            "agentctl validate",
            "agentctl diff --exit-code --format markdown",
            "agentctl publish --author",
            "agentctl export -o dist --format json",
        ],
    ),
    (
        "gitlab-ci.yml",
        &[
            "agentctl validate",
            "agentctl diff --exit-code --format markdown",
            "agentctl publish --author",
            "agentctl export -o dist --format json",
        ],
    ),
    ("pre-commit", &["agentctl -C $tmp validate"]),
    ("pre-commit-config.yaml", &["agentctl validate"]),
    (
        "agents-report.sh",
        &[
            "agentctl status --json",
            "agentctl diff --json",
            "agentctl log -n 5 --json",
        ],
    ),
];

/// The simple commands of one shell line, as words: quotes removed, `$VAR` kept as written,
/// comments dropped; `|`, `;`, `&`, `(`, `)`, `` ` ``, `>` and `<` end a command (`2>` too).
fn shell_commands(line: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => word.extend(chars.next()),
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                word.extend(chars.next());
                in_word = true;
            }
            (None, '#') if !in_word => break,
            (None, ' ' | '\t') => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, '|' | ';' | '&' | '(' | ')' | '`' | '>' | '<') => {
                // `2>` redirects; `$(` opens a substitution: neither is a word.
                let redirect = matches!(c, '>' | '<') && word.bytes().all(|b| b.is_ascii_digit());
                if in_word && !redirect && word != "$" {
                    words.push(std::mem::take(&mut word));
                }
                word.clear();
                in_word = false;
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

/// The `agentctl …` command lines of a shell text: commands whose first word (after
/// `VAR=value` assignments and keywords such as `if` or `exec`) is `agentctl`.
fn agentctl_commands(text: &str) -> Vec<Vec<String>> {
    let joined = text.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        for words in shell_commands(line) {
            let before_command = |w: &String| {
                let assignment = w.contains('=') && !w.starts_with('-');
                let keyword = matches!(
                    w.as_str(),
                    "if" | "then" | "else" | "elif" | "do" | "!" | "exec" | "time"
                );
                assignment || keyword
            };
            let start = words
                .iter()
                .position(|w| !before_command(w))
                .unwrap_or(words.len());
            if words.get(start).is_some_and(|w| w == "agentctl") {
                found.push(words[start..].to_vec());
            }
        }
    }
    found
}

/// Every string value of a YAML document (the shell a CI file runs lives in them).
fn yaml_strings(value: &serde_yaml::Value, out: &mut Vec<String>) {
    match value {
        serde_yaml::Value::String(s) => out.push(s.clone()),
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|v| yaml_strings(v, out)),
        serde_yaml::Value::Mapping(map) => map.values().for_each(|v| yaml_strings(v, out)),
        serde_yaml::Value::Tagged(tagged) => yaml_strings(&tagged.value, out),
        _ => {}
    }
}

#[test]
fn ci_recipes_parse_and_call_commands_that_exist() {
    let mut listed: Vec<String> = std::fs::read_dir(recipes())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    let mut known: Vec<String> = RECIPES.iter().map(|(f, _)| (*f).to_owned()).collect();
    known.sort();
    assert_eq!(
        listed, known,
        "every recipe in examples/ci/ is checked here"
    );

    for (file, expected) in RECIPES {
        let text = std::fs::read_to_string(recipes().join(file)).unwrap();
        let shell = if file.ends_with(".yml") || file.ends_with(".yaml") {
            let document: serde_yaml::Value = serde_yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("{file} is not valid YAML: {e}"));
            let mut strings = Vec::new();
            yaml_strings(&document, &mut strings);
            strings.join("\n")
        } else {
            text.clone()
        };
        let commands = agentctl_commands(&shell);
        for words in &commands {
            if let Err(e) = Cli::try_parse_from(words) {
                panic!("{file}: `{}` does not parse:\n{e}", words.join(" "));
            }
        }
        let lines: Vec<String> = commands.iter().map(|w| w.join(" ")).collect();
        for prefix in expected {
            assert!(
                lines.iter().any(|l| l.starts_with(prefix)),
                "{file} lacks `{prefix}`; it runs {lines:#?}"
            );
        }
        if file.contains("ci.") || file.contains("actions") {
            assert!(text.contains("AGENTCTL_STORE"), "{file} keeps the store");
        }
    }
}

/// The check above would notice a misspelt flag or command, and does not mistake other
/// programs' arguments for agentctl commands.
#[test]
fn ci_recipe_command_extraction_is_not_vacuous() {
    let found = agentctl_commands(
        "cargo install --git https://x/agentctl agentctl\n\
         echo \"run agentctl diff\"\n\
         test -d .agentctl || agentctl init .\n\
         out=$(agentctl status --json) # agentctl nothing\n\
         code=0; agentctl diff --exit-code > d.md 2>/dev/null || code=$?\n\
         agentctl log \\\n  -n 5\n",
    );
    let lines: Vec<String> = found.iter().map(|w| w.join(" ")).collect();
    assert_eq!(
        lines,
        [
            "agentctl init .",
            "agentctl status --json",
            "agentctl diff --exit-code",
            "agentctl log -n 5",
        ]
    );
    for bad in [
        "agentctl diff --formatt markdown",
        "agentctl publsh",
        "agentctl export --ref",
    ] {
        let words = &agentctl_commands(bad)[0];
        assert!(Cli::try_parse_from(words).is_err(), "{bad}");
    }
}

/// `sh`/`bash` running a recipe with the agentctl under test first on PATH.
fn recipe_command(env: &TestEnv, shell: &str, recipe: &str) -> std::process::Command {
    let bin_dir = agentctl().parent().unwrap().to_owned();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let mut cmd = env.std_command(Path::new(shell));
    cmd.arg(recipes().join(recipe))
        .env("PATH", path)
        .stdin(Stdio::null());
    cmd
}

fn git(env: &TestEnv, args: &[&str]) {
    let output = env
        .std_command(Path::new("git"))
        .args(args)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {output:?}");
}

#[test]
fn ci_pre_commit_hook_validates_what_is_staged() {
    let env = TestEnv::new();
    git(&env, &["init", "-q"]);
    let hook = |env: &TestEnv| recipe_command(env, "sh", "pre-commit").output().unwrap();

    // Nothing staged under agents/: nothing to check.
    let output = hook(&env);
    assert!(output.status.success(), "{output:?}");

    env.write_agent("x", &agent_yaml("x", 0.5));
    git(&env, &["add", "agents/x.yaml"]);
    let output = hook(&env);
    assert!(output.status.success(), "{output:?}");

    // Staged: a broken file; working tree: fixed again. The commit would hold the broken one.
    env.write_agent("x", "name: x\ntools: hello\n");
    git(&env, &["add", "agents/x.yaml"]);
    env.write_agent("x", &agent_yaml("x", 0.5));
    let output = hook(&env);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("agents/x.yaml:2:8"), "{stderr}");
    assert!(stderr.contains("`tools` must be a list"), "{stderr}");
}

#[allow(clippy::print_stderr)] // a skipped run says so
fn ci_jq_report_runs_against_real_json_output(env: TestEnv) {
    if std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("note: jq is not installed; examples/ci/agents-report.sh was not run");
        return;
    }
    env.copy_examples();
    env.publish_json(&[]);
    let path = env.root.join("agents/support-bot.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("temperature: 0.2", "temperature: 0.3")).unwrap();
    env.write_agent("draft", &agent_yaml("draft", 0.5));

    let report = |env: &TestEnv| {
        let output = recipe_command(env, "bash", "agents-report.sh")
            .arg(&env.root)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = report(&env);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("draft\tnew\tnever published"), "{stdout}");
    assert!(
        stdout.contains("research-assistant\tclean\tv1 "),
        "{stdout}"
    );
    assert!(stdout.contains("support-bot\tmodified\tv1 "), "{stdout}");
    assert!(
        stdout.contains("support-bot: 1 change(s) in settings"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" sales-qualifier v1  Test Author"),
        "{stdout}"
    );

    env.write_agent("broken", "name: [\n");
    let (code, _, stderr) = report(&env);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("invalid: broken"), "{stderr}");
}
