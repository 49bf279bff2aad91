//! The fuzz target's invariants (`fuzz/check.rs`) run in-process on mutated agent files, so
//! `cargo test` exercises them without nightly or cargo-fuzz: a few hundred inputs by default,
//! `AGENTCTL_FUZZ_SECONDS=N` for a long run. Inputs libFuzzer found are kept as regressions in
//! `fuzz/regressions/` and replayed here.

use std::path::Path;
use std::time::{Duration, Instant};

include!("../../fuzz/check.rs");

/// xorshift64*: reproducible mutations without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1) as u64) as usize
    }
}

/// Pieces of YAML worth splicing in: structure, tricky scalars, anchors, tags.
const TOKENS: &[&str] = &[
    "\n",
    ": ",
    "- ",
    "  ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "'",
    "\"",
    "|\n",
    ">-\n",
    "#",
    "&a ",
    "*a",
    "<<: ",
    "!!str ",
    "~",
    "null",
    "1.0",
    "1e3",
    "-0",
    "0x1F",
    "true",
    "\t",
    "\u{feff}",
    "---\n",
    "name: x\n",
    "tools:\n  - name: t\n",
    "model:\n  temperature: 0.5\n",
    "é",
    "\\u0007",
    "instructions: |\n  line one\n  line two\n",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut parts: Vec<Vec<u8>> = (0..3)
        .map(|_| seeds[rng.below(seeds.len())].clone())
        .collect();
    for part in &mut parts {
        for _ in 0..rng.below(4) {
            let at = rng.below(part.len() + 1);
            match rng.below(5) {
                0 if !part.is_empty() => {
                    let end = (at + rng.below(40)).min(part.len());
                    part.drain(at.min(end)..end);
                }
                1 => {
                    let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                    part.splice(at..at, token.iter().copied());
                }
                2 if !part.is_empty() => {
                    let i = rng.below(part.len());
                    part[i] = part[i].wrapping_add(1 + rng.below(255) as u8);
                }
                3 => {
                    // A line of another seed: edits that keep the document mostly valid.
                    let other = &seeds[rng.below(seeds.len())];
                    let lines: Vec<&[u8]> = other.split_inclusive(|&b| b == b'\n').collect();
                    if !lines.is_empty() {
                        let line = lines[rng.below(lines.len())];
                        let at = part[..at]
                            .iter()
                            .rposition(|&b| b == b'\n')
                            .map_or(0, |i| i + 1);
                        part.splice(at..at, line.iter().copied());
                    }
                }
                _ => {
                    // Change a number or word in place: the usual kind of staging edit.
                    let digits: Vec<usize> = (0..part.len())
                        .filter(|&i| part[i].is_ascii_digit())
                        .collect();
                    if !digits.is_empty() {
                        let i = digits[rng.below(digits.len())];
                        part[i] = b'0' + rng.below(10) as u8;
                    }
                }
            }
        }
    }
    parts.join(&0u8)
}

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for dir in ["examples/agents", "fuzz/seeds", "tests/fixtures/review"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            // Seeds holding several files are split, so mutations combine them freely.
            seeds.extend(bytes.split(|&b| b == 0).map(<[u8]>::to_vec));
        }
    }
    seeds
}

#[test]
#[allow(clippy::print_stderr)]
fn mutated_agent_files_keep_every_pipeline_invariant() {
    let budget = std::env::var("AGENTCTL_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs);
    let seed = std::env::var("AGENTCTL_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_a9e7);
    let mut rng = Rng(seed | 1);
    let seeds = seeds();
    let start = Instant::now();
    let mut executions = 0u64;
    loop {
        let input = mutate(&mut rng, &seeds);
        let outcome = std::panic::catch_unwind(|| check(&input));
        if outcome.is_err() {
            let path = std::env::temp_dir().join(format!("agentctl-fuzz-{seed}-{executions}.bin"));
            std::fs::write(&path, &input).unwrap();
            panic!("invariant broken on input {} (seed {seed})", path.display());
        }
        executions += 1;
        let done = match budget {
            Some(budget) => start.elapsed() >= budget,
            None => executions >= 300,
        };
        if done {
            break;
        }
    }
    eprintln!(
        "in-process fuzz: {executions} executions in {:.1?} (seed {seed})",
        start.elapsed()
    );
}

#[test]
fn inputs_the_fuzzer_found_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        check(&std::fs::read(entry.unwrap().path()).unwrap());
        replayed += 1;
    }
    assert!(replayed > 0);
}
