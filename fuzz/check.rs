// The invariants the fuzz target and the in-process driver (tests/cli/test_fuzz.rs) check, on
// up to three agent files separated by NUL bytes (which no valid YAML holds): parse never
// panics; diff then apply gives the new document back; reverting a publish on clean staging
// gives its parent; whatever a revert merges, the in-place edit of the staging text parses to
// exactly that; a freshly written file parses back to its value.

/// Check every invariant on `data`; panics (with what broke) when one does not hold.
pub fn check(data: &[u8]) {
    use agentctl::{agent, change, edit, merge};

    let parts: Vec<&[u8]> = data.split(|&b| b == 0).take(3).collect();
    let parsed: Vec<(String, agent::Config)> = parts
        .iter()
        .filter_map(|bytes| {
            let config = agent::parse(bytes).ok()?;
            Some((String::from_utf8_lossy(bytes).into_owned(), config))
        })
        .collect();
    for (_, config) in &parsed {
        assert!(change::diff(config, config).is_empty(), "a document differs from itself");
        let fresh = edit::fresh(config);
        let reparsed = agent::parse(fresh.as_bytes())
            .unwrap_or_else(|e| panic!("a fresh file does not parse: {e}\n{fresh}"));
        assert_eq!(&reparsed, config, "a fresh file parses to another value:\n{fresh}");
    }
    let [(_, parent), (_, reverted), rest @ ..] = parsed.as_slice() else {
        return;
    };
    let changes = change::diff(parent, reverted);
    let _ = change::describe(&changes);
    let _ = change::Summary::of(&changes);
    let applied = change::apply(parent, &changes)
        .unwrap_or_else(|e| panic!("apply failed: {e}\nchanges: {changes:?}"));
    assert_eq!(&applied, reverted, "diff then apply does not give the new document");

    // Reverting the newest publish on staging that still holds it gives its parent.
    let clean = merge::revert(reverted, reverted, parent);
    assert!(clean.conflicts.is_empty(), "conflicts on clean staging: {:?}", clean.conflicts);
    assert_eq!(&clean.merged, parent, "revert on clean staging is not the parent");

    let (staging_text, staging) = rest.first().unwrap_or(&parsed[1]);
    let result = merge::revert(reverted, staging, parent);
    if result.conflicts.is_empty() {
        let applied = change::diff(staging, &result.merged);
        let rewrite = edit::rewrite(staging_text, &applied, &result.merged, &[]);
        let reparsed = agent::parse(rewrite.text.as_bytes()).unwrap_or_else(|e| {
            panic!("the rewritten staging does not parse: {e}\n{}", rewrite.text)
        });
        assert_eq!(reparsed, result.merged, "the rewritten staging holds another value");
    }
}
