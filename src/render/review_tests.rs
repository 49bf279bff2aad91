//! Every human view of one realistic review, snapshotted (insta) at 60, 100 and 160 columns:
//! tests/fixtures/review holds a support agent before and after an edit touching every section
//! — a 40-line instructions edit, an added, a removed and a modified tool, a reorder, a nested
//! parameter change, a wide-character value and a secret.

use serde_json::json;

use super::columns::width;
use super::*;
use crate::change::Summary;

const WIDTHS: [usize; 3] = [60, 100, 160];
const DIFF_TITLES: (&str, &str) = ("Production", "Staging");

fn fixture(name: &str) -> crate::agent::Config {
    let path = format!(
        "{}/tests/fixtures/review/{name}.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    crate::agent::parse(&std::fs::read(&path).unwrap()).unwrap()
}

fn review() -> Vec<Change> {
    crate::change::diff(&fixture("production"), &fixture("staging"))
}

fn style(layout: Layout, width: usize) -> Style {
    Style {
        layout,
        width,
        ..Style::default()
    }
}

/// The text with colour escape codes taken out.
fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_fixture_has_a_change_of_every_kind_in_every_section() {
    let changes = review();
    let paths: Vec<String> = changes.iter().map(|c| c.path.to_string()).collect();
    for section in Section::ALL {
        assert!(changes.iter().any(|c| c.section == section), "{section:?}");
    }
    for path in [
        "instructions",
        "tools[refund_status]",
        "tools[search_help_center]",
        "tools[lookup_order].description",
        "guardrails",
        "tools[lookup_invoice].parameters.properties.include_line_items.default",
        "welcome_message",
        "tools[create_ticket].auth.api_key",
    ] {
        assert!(paths.contains(&path.to_owned()), "{path} in {paths:?}");
    }
    let instructions = changes
        .iter()
        .find(|c| c.path.to_string() == "instructions");
    let lines = instructions
        .and_then(|c| c.old.as_str())
        .map(|s| s.lines().count());
    assert_eq!(lines, Some(40));
}

#[test]
fn side_by_side_snapshots() {
    for width in WIDTHS {
        let out = changes_text(&review(), style(Layout::SideBySide, width), DIFF_TITLES);
        insta::assert_snapshot!(format!("side_by_side_{width}"), out);
    }
}

#[test]
fn unified_snapshots() {
    for width in WIDTHS {
        let out = changes_text(&review(), style(Layout::Unified, width), DIFF_TITLES);
        insta::assert_snapshot!(format!("unified_{width}"), out);
    }
}

#[test]
fn markdown_snapshot_is_the_same_at_every_width() {
    let views: Vec<String> = WIDTHS
        .iter()
        .map(|&width| changes_text(&review(), style(Layout::Markdown, width), DIFF_TITLES))
        .collect();
    assert!(views.iter().all(|v| *v == views[0]));
    insta::assert_snapshot!("markdown", views[0]);
}

#[test]
fn no_line_of_a_text_view_is_wider_than_the_width() {
    let changes = review();
    for layout in [Layout::SideBySide, Layout::Unified] {
        for max in WIDTHS.into_iter().chain([20, 33, 80, 81, 119]) {
            for color in [false, true] {
                let style = Style {
                    color,
                    ..style(layout, max)
                };
                let out = changes_text(&changes, style, ("Staging now", "Staging after revert"));
                for line in strip_escapes(&out).lines() {
                    assert!(
                        width(line) <= max,
                        "{layout:?} at {max}: {} columns: {line:?}",
                        width(line)
                    );
                }
            }
        }
    }
}

#[test]
fn side_by_side_columns_line_up() {
    // Every row's separator sits in the same display column, whatever the characters before
    // it (the wide-character value above all).
    for max in WIDTHS {
        let out = changes_text(&review(), style(Layout::SideBySide, max), DIFF_TITLES);
        let at: Vec<usize> = out
            .lines()
            .filter_map(|line| line.find('│').map(|i| width(&line[..i])))
            .collect();
        assert!(at.len() > 50, "{out}");
        assert!(at.iter().all(|&a| a == at[0]), "{max}: {at:?}\n{out}");
    }
}

#[test]
fn every_markdown_table_row_has_the_same_number_of_cells() {
    // Values full of what breaks tables: pipes, backticks, newlines, HTML.
    let mut changes = review();
    changes.extend(crate::change::diff(
        json!({"note": "a | b", "code": "use `x` | y", "html": "<b>x</b>"})
            .as_object()
            .unwrap(),
        json!({"note": "a || b\nsecond | line", "code": "``", "html": "<br>|"})
            .as_object()
            .unwrap(),
    ));
    let out = changes_text(&changes, Style::markdown(false), DIFF_TITLES);
    let mut tables = 0;
    let mut cells = None;
    for line in out.lines() {
        if !line.starts_with('|') {
            cells = None;
            continue;
        }
        let count = unescaped_pipes(line) - 1;
        match cells {
            None => {
                tables += 1;
                cells = Some(count);
            }
            Some(expected) => assert_eq!(count, expected, "{line}\n{out}"),
        }
        assert!(line.ends_with('|'), "{line}");
    }
    assert_eq!(
        tables, 4,
        "one table per section with value changes:\n{out}"
    );
}

/// Pipes that a GitHub-like viewer splits a table row at: those not escaped by a backslash.
fn unescaped_pipes(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' => escaped = !escaped,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    count
}

#[test]
fn secrets_are_masked_in_every_view_unless_asked() {
    for layout in [Layout::SideBySide, Layout::Unified, Layout::Markdown] {
        let masked = changes_text(&review(), style(layout, 100), DIFF_TITLES);
        assert!(masked.contains(MASK), "{layout:?}");
        assert!(!masked.contains("zd-live-7f3a9c2e41b84d6f"), "{layout:?}");
        let shown = Style {
            show_secrets: true,
            ..style(layout, 100)
        };
        let shown = changes_text(&review(), shown, DIFF_TITLES);
        assert!(shown.contains("zd-live-7f3a9c2e41b84d6f"), "{layout:?}");
        assert!(shown.contains("${ZENDESK_API_KEY}"), "{layout:?}");
    }
}

#[test]
fn changed_words_are_highlighted_inside_changed_lines() {
    for layout in [Layout::SideBySide, Layout::Unified] {
        let style = Style {
            color: true,
            ..style(layout, 160)
        };
        let out = changes_text(&review(), style, DIFF_TITLES);
        let words = |tone| ui::paint("friendly", tone, true);
        assert!(out.contains(&words(Tone::AddedWords)), "{layout:?}\n{out}");
        // The unchanged words of that line are not highlighted.
        assert!(!out.contains(&ui::paint("Keep", Tone::AddedWords, true)));
    }
}

#[test]
fn revert_preview_titles_head_the_columns() {
    let titles = ("Staging now", "Staging after revert");
    let out = changes_text(&review(), style(Layout::SideBySide, 100), titles);
    let header = out.lines().nth(1).unwrap();
    assert!(header.contains("Staging now") && header.contains("│ Staging after revert"));
    let out = changes_text(&review(), style(Layout::Unified, 100), titles);
    assert!(out.contains("Staging now:          0.2"), "{out}");
    assert!(out.contains("Staging after revert: 0.3"), "{out}");
}

fn entry() -> Entry {
    let changes = review();
    Entry {
        agent: "support-bot".into(),
        version: 4,
        change_track_id: "3f9a2c71d0e84b6a9c5e1f2d3b4a5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b".into(),
        parent: Some("77aa".into()),
        author: "Dana Reviewer <dana@example.com>".into(),
        published_at: "2026-11-25T09:30:00Z".into(),
        message: "Refunds, status page and friendlier replies\n\nAsked for by support leads."
            .into(),
        snapshot: String::new(),
        summary: Summary::of(&changes),
        reverts: None,
        git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        rules: None,
    }
}

fn now() -> jiff::Timestamp {
    "2026-11-28T09:30:00Z".parse().unwrap()
}

#[test]
fn log_and_show_snapshots() {
    let entry = entry();
    insta::assert_snapshot!(
        "log_entry",
        entry_text(&entry, true, Style::default(), now())
    );
    insta::assert_snapshot!("log_oneline", entry_oneline(&entry, true, Style::default()));
    for width in WIDTHS {
        let layout = if width < SIDE_BY_SIDE_MIN_WIDTH {
            Layout::Unified
        } else {
            Layout::SideBySide
        };
        let out = show_text(&entry, &review(), None, style(layout, width), false, now());
        insta::assert_snapshot!(format!("show_{width}"), out);
    }
    let out = show_text(
        &entry,
        &review(),
        Some(fixture("staging")),
        Style::markdown(false),
        false,
        now(),
    );
    insta::assert_snapshot!("show_markdown", out);
}
