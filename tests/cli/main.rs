//! One test binary for the whole command line (faster to build than one per file).

mod common;

mod test_audit;
mod test_ci_recipes;
mod test_concurrency;
mod test_corpus;
mod test_diff;
mod test_formats;
mod test_fuzz;
mod test_generated;
mod test_help;
mod test_init;
mod test_kill;
mod test_log_show;
mod test_names_paths;
mod test_new_export;
mod test_pg_snapshots;
mod test_publish;
mod test_recorded_rules;
mod test_restore_undo;
mod test_revert;
mod test_review;
mod test_secrets;
#[cfg(feature = "serve")]
mod test_serve;
#[cfg(feature = "serve")]
mod test_serve_page;
mod test_shared_store;
mod test_status_validate;
mod test_store_faults;
mod test_verify;

/// Every test file in this folder is compiled: a forgotten `mod` would silently skip it.
#[test]
fn no_test_file_is_forgotten() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(module) = name.strip_suffix(".rs")
            && module != "main"
        {
            assert!(
                main.contains(&format!("mod {module};")),
                "tests/cli/{name} is not declared in tests/cli/main.rs"
            );
        }
    }
}

/// Every test file says what it tests in a `//!` line at its top, so a command's tests are
/// found by reading the first line of each file.
#[test]
fn every_test_file_says_what_it_tests() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with("//! "),
                "{} does not start with a `//!` line saying what it tests",
                path.display()
            );
        }
    }
}
