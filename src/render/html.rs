//! The review page's HTML (`agentctl serve`, `/`): pure functions from the same view structs
//! `--json` prints to markup, so the page shows exactly what `diff`, `log` and `revert-preview`
//! show. Values go through the same [`body`] as the terminal views: masked secrets, the line
//! diff of multi-line strings with the differing words marked. maud escapes every string, so a
//! value cannot inject markup; the page needs no JavaScript.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::json::{AgentDiff, AgentStatus, ConflictView, EntryView, Revert};
use super::text_diff::{Block, DiffLine, Hunk};
use super::{Body, NO_NEWLINE, Style, body, by_section, kind_mark, mask, path_text, value_text};
use crate::change::{Change, Kind};
use crate::error::Error;

/// The page's one stylesheet, embedded so the binary serves the page on its own.
pub const CSS: &str = include_str!("review.css");

/// A whole page: `title` in the tab and the header, `content` below.
pub fn document(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · agentctl" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header.top {
                    a.brand href="/" { "agentctl" }
                    span.crumb { (title) }
                }
                main { (content) }
            }
        }
    }
}

/// The agents and their states, each a link to its review.
pub fn agents(agents: &[AgentStatus]) -> Markup {
    html! {
        div.agent-head {
            h1 { "Agents" }
            span.muted { "staging is " code { "agents/*.yaml" } ", production its last publish" }
        }
        @if agents.is_empty() {
            p.empty { "No agents yet: add a file under " code { "agents/" } "." }
        } @else {
            table.agents {
                thead { tr { th { "Agent" } th { "State" } th { "Production" } } }
                tbody {
                    @for agent in agents {
                        tr {
                            td { a href={ "/agents/" (agent.agent) } { (agent.agent) } }
                            td { (state_badge(agent.state)) }
                            td.muted {
                                @match &agent.production {
                                    Some(p) => { "v" (p.version) " · " code { (crate::store::short(&p.change_track_id)) } },
                                    None => { "never published" },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One agent's differences (`diff`'s view): "No differences" or its changes side by side.
pub fn diff(diff: &AgentDiff) -> Markup {
    html! {
        @if diff.has_changes {
            (changes(&diff.changes, ("Production", "Staging")))
        } @else {
            p.empty { "Staging is the same as Production: nothing to publish." }
        }
    }
}

/// Changes grouped by section, each with its path and the two sides beside each other.
/// `titles` name the sides, as in [`super::changes_text`].
pub fn changes(changes: &[Change], (from, to): (&str, &str)) -> Markup {
    let style = Style::default();
    html! {
        @for (section, of) in by_section(changes) {
            section.changes {
                h3 { (section.title()) span.count { (of.len()) } }
                div.sides.heading { div { (from) } div { (to) } }
                @for change in of {
                    (one_change(change, style))
                }
            }
        }
    }
}

fn one_change(change: &Change, style: Style) -> Markup {
    let (mark, _) = kind_mark(change.kind);
    html! {
        div class={ "change " (kind_class(change.kind)) } {
            div.path { span.mark { (mark) } " " code { (path_text(change)) } }
            @match body(change, style) {
                Body::Values { old, new } => {
                    div.sides {
                        (value_cell(old.as_deref(), "old"))
                        (value_cell(new.as_deref(), "new"))
                    }
                }
                Body::Text(hunks) => {
                    @for hunk in &hunks { (text_hunk(hunk)) }
                }
            }
        }
    }
}

fn kind_class(kind: Kind) -> &'static str {
    match kind {
        Kind::Added => "added",
        Kind::Removed => "removed",
        Kind::Changed => "changed",
    }
}

fn value_cell(value: Option<&str>, side: &str) -> Markup {
    html! {
        @match value {
            Some(text) => pre class={ "cell " (side) } { (text) },
            None => div class="cell absent" { "(absent)" },
        }
    }
}

/// A hunk of a multi-line string: where it starts, unchanged lines across both sides, each
/// edit's removed lines beside its added lines with the changed words marked.
fn text_hunk(hunk: &Hunk) -> Markup {
    html! {
        div.hunk {
            div.sides.where { div { "⋯ line " (hunk.old_start) } div { "⋯ line " (hunk.new_start) } }
            @for block in &hunk.blocks {
                @match block {
                    Block::Same(lines) => {
                        @for line in lines {
                            div.sides.same { pre.cell { (line) } pre.cell { (line) } }
                        }
                    }
                    Block::Edit { old, new } => {
                        div.sides.edit {
                            div.cell.old { @for line in old { (diff_line(line, "del")) } }
                            div.cell.new { @for line in new { (diff_line(line, "ins")) } }
                        }
                    }
                }
            }
        }
    }
}

fn diff_line(line: &DiffLine, tag: &str) -> Markup {
    html! {
        pre.line {
            @for (emphasized, text) in &line.pieces {
                @if *emphasized {
                    @if tag == "del" { del { (text) } } @else { ins { (text) } }
                } @else {
                    (text)
                }
            }
            @if line.missing_newline { span.muted { " " (NO_NEWLINE) } }
        }
    }
}

/// The publish form: a message, posted to `action`. A plain form, so it works without
/// JavaScript; the browser sends the page's own Origin, which the server's check accepts.
/// `expect` is the production the page showed: the server refuses the publish when another
/// one came in between, as `publish --expect` does.
pub fn publish_form(action: &str, expect: Option<&str>) -> Markup {
    html! {
        form.publish method="post" action=(action) {
            @if let Some(expect) = expect {
                input type="hidden" name="expect" value=(expect);
            }
            label for="message" { "Message" }
            input #message type="text" name="message" placeholder="What changes, and why" maxlength="2000";
            button type="submit" { "Publish" }
        }
    }
}

/// The history, newest first: version, who, when, summary and message, and a link to each
/// entry's revert preview at `{preview}/{change_track_id}` (not for the first publish, which
/// cannot be reverted).
pub fn history(entries: &[EntryView], preview: &str, now: jiff::Timestamp) -> Markup {
    html! {
        @if entries.is_empty() {
            p.empty { "Never published." }
        } @else {
            ol.history {
                @for entry in entries {
                    li {
                        div.entry-head {
                            span.version { "v" (entry.version) }
                            code.id { (crate::store::short(&entry.change_track_id)) }
                            span.who { (entry.author) }
                            time datetime=(entry.published_at) title=(entry.published_at) {
                                (super::relative_time(&entry.published_at, now))
                            }
                        }
                        @if !entry.message.is_empty() {
                            div.message { (super::clean(&entry.message)) }
                        }
                        div.entry-foot {
                            span.summary { (super::summary_text(&entry.summary)) }
                            @if let Some(reverted) = &entry.reverts {
                                span.muted { " · reverts v" (reverted.version) }
                            }
                            @if entry.parent.is_some() {
                                " "
                                a.preview href={ (preview) "/" (entry.change_track_id) } { "Preview revert" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A revert preview (`revert-preview`'s view): what the revert does to staging, side by side,
/// its conflicts, and the revert button (only when there is something to do and nothing
/// conflicts: the server would refuse it anyway).
pub fn revert_preview(preview: &Revert, version: u64, action: &str, writable: bool) -> Markup {
    html! {
        @if !preview.conflicts.is_empty() {
            (conflicts(&preview.conflicts, version))
        }
        @if preview.applied.is_empty() && preview.conflicts.is_empty() {
            p.empty { "Reverting v" (version) " changes nothing in staging: it already holds none of its changes." }
        } @else if !preview.applied.is_empty() {
            (changes(&preview.applied, ("Staging now", "Staging after revert")))
        }
        @if preview.conflicts.is_empty() && !preview.applied.is_empty() && writable {
            form.revert method="post" action=(action) {
                input type="hidden" name="change_track_id" value=(preview.reverted.change_track_id);
                button type="submit" { "Revert v" (version) " in staging" }
            }
        } @else if !preview.conflicts.is_empty() {
            p.hint { "Resolve the conflicts in the staging file, then preview again." }
        }
    }
}

/// The revert preview page of one publish: which publish, what reverting it does to staging,
/// its conflicts and (when it can go ahead) the revert button.
pub fn revert_page(preview: &Revert, message: &str, writable: bool) -> Markup {
    let agent = &preview.agent;
    let version = preview.reverted.version;
    html! {
        div.agent-head {
            h1 { "Revert v" (version) " of " a href={ "/agents/" (agent) } { (agent) } }
            code.muted { (crate::store::short(&preview.reverted.change_track_id)) }
        }
        @if !message.is_empty() {
            p.message { (super::clean(message)) }
        }
        p.muted { "What reverting v" (version) " does to the staging file. Production is unchanged until you publish." }
        (revert_preview(preview, version, &format!("/agents/{agent}/revert"), writable))
        p { a href={ "/agents/" (agent) } { "Back to " (agent) } }
    }
}

/// The conflicts of a revert: for each path, what the reverted publish set, what staging holds
/// and what the revert would set (masked as in every human view).
pub fn conflicts(conflicts: &[ConflictView], version: u64) -> Markup {
    let shown = |c: &ConflictView, v| value_text(&mask(&c.path, v));
    html! {
        section.conflicts {
            h3 { "Conflicts" span.count { (conflicts.len()) } }
            @for conflict in conflicts {
                div.conflict {
                    div.path { span.mark { "!" } " " code { (super::clean(&conflict.path.to_string())) } }
                    dl {
                        dt { "v" (version) " set" } dd { pre { (shown(conflict, &conflict.reverted_value)) } }
                        dt { "staging holds" } dd { pre { (shown(conflict, &conflict.staging_value)) } }
                        dt { "revert would set" } dd { pre { (shown(conflict, &conflict.would_set)) } }
                    }
                }
            }
        }
    }
}

/// What the review page of one agent shows; see [`review`].
pub struct Review<'a> {
    /// The agent's row of `status --json`.
    pub agent: &'a AgentStatus,
    /// Production against staging (`diff`'s view), or why staging cannot be compared.
    pub diff: std::result::Result<&'a AgentDiff, &'a Error>,
    /// The newest entries of `log --json`, and whether older ones were left out.
    pub history: &'a [EntryView],
    pub more_history: bool,
    /// What the last form did (after its redirect), as one sentence.
    pub notice: Option<&'a str>,
    /// Whether this page may write (no `--read-only`, no token required): the forms are shown.
    pub writable: bool,
    pub now: jiff::Timestamp,
}

/// One agent's review: its state, Production beside Staging, the publish form and the history.
pub fn review(review: &Review) -> Markup {
    let agent = review.agent;
    let id = &agent.agent;
    html! {
        div.agent-head {
            h1 { (id) }
            (state_badge(agent.state))
            span.muted {
                @match &agent.production {
                    Some(p) => { "production v" (p.version) " · " code { (crate::store::short(&p.change_track_id)) } " · " (p.published_at) },
                    None => { "never published" },
                }
            }
        }
        @if let Some(notice) = review.notice {
            p.notice role="status" { (notice) }
        }
        h2 { "Production → Staging" }
        @match review.diff {
            Ok(d) => {
                @if agent.state == "missing" {
                    p.hint { "agents/" (id) ".yaml is missing: staging is empty, so every field shows as removed. Publishing it is not supported; restore the file to go on." }
                }
                (diff(d))
                @if d.has_changes && review.writable && agent.state != "missing" {
                    (publish_form(&format!("/agents/{id}/publish"), agent.production.as_ref().map(|p| p.change_track_id.as_str())))
                }
            }
            Err(error) => { (error_box(error)) }
        }
        h2 { "History" }
        (history(review.history, &format!("/agents/{id}/revert"), review.now))
        @if review.more_history {
            p.muted { "Older entries: " code { "agentctl log " (id) } }
        }
    }
}

fn state_badge(state: &str) -> Markup {
    html! { span class={ "state state-" (state) } { (state.replace('_', " ")) } }
}

/// A core error as people read it on the terminal: where, what, and what to do.
pub fn error_box(error: &Error) -> Markup {
    html! {
        div.error role="alert" {
            @if let Some(location) = &error.location {
                div { code { (super::clean(&location.to_string())) } }
            }
            div.error-message { (super::clean(&error.message)) }
            @for hint in &error.hints {
                div.hint { "hint: " (super::clean(hint)) }
            }
        }
    }
}

/// A whole error page: the status line as its title and the error below.
pub fn error_page(status: &str, error: &Error) -> Markup {
    document(
        status,
        html! {
            h1 { (status) }
            (error_box(error))
            p { a href="/" { "All agents" } }
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::change;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test documents are objects"),
        }
    }

    #[test]
    fn a_changed_word_in_instructions_is_marked_on_both_sides() {
        let old = map(json!({"instructions": "Be brief.\nAnswer in English.\n"}));
        let new = map(json!({"instructions": "Be brief.\nAnswer in French.\n"}));
        let html = changes(&change::diff(&old, &new), ("Production", "Staging")).into_string();
        assert!(html.contains("<del>English.</del>"), "{html}");
        assert!(html.contains("<ins>French.</ins>"), "{html}");
        assert!(html.contains("Instructions"), "{html}");
    }

    #[test]
    fn secrets_are_masked_and_values_escaped() {
        let old = map(json!({"model": {"api_key": "sk-old", "name": "a"}}));
        let new = map(json!({"model": {"api_key": "sk-new", "name": "<script>x</script>"}}));
        let html = changes(&change::diff(&old, &new), ("Production", "Staging")).into_string();
        assert!(
            !html.contains("sk-old") && !html.contains("sk-new"),
            "{html}"
        );
        assert!(html.contains("********"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn conflicts_show_three_masked_values() {
        let conflict = ConflictView {
            path: change::Path::parse("model.temperature").expect("a valid path"),
            reverted_value: json!(0.7),
            staging_value: json!(0.9),
            would_set: json!(0.2),
        };
        let html = conflicts(&[conflict], 3).into_string();
        for text in ["v3 set", "0.7", "0.9", "0.2", "model.temperature"] {
            assert!(html.contains(text), "{text} in {html}");
        }
        let secret = ConflictView {
            path: change::Path::parse("model.api_key").expect("a valid path"),
            reverted_value: json!("sk-1"),
            staging_value: json!("sk-2"),
            would_set: json!("sk-0"),
        };
        let html = conflicts(&[secret], 3).into_string();
        assert!(!html.contains("sk-"), "{html}");
    }

    fn status(state: &'static str) -> AgentStatus {
        AgentStatus {
            agent: "support-bot".to_owned(),
            state,
            format: Some("native"),
            production: None,
        }
    }

    fn entry(version: u64, parent: Option<&str>, message: &str) -> EntryView {
        EntryView {
            agent: "support-bot".to_owned(),
            version,
            change_track_id: format!("{version:0>64}"),
            parent: parent.map(str::to_owned),
            author: "Ann <ann@example.com>".to_owned(),
            published_at: "2026-01-15T09:00:00Z".to_owned(),
            message: message.to_owned(),
            summary: change::Summary::default(),
            reverts: None,
            git_commit: None,
            git_dirty: None,
        }
    }

    fn now() -> jiff::Timestamp {
        "2026-01-15T10:00:00Z".parse().expect("a time")
    }

    #[test]
    fn the_review_shows_the_publish_form_only_when_it_may_write() {
        let old = map(json!({"model": {"temperature": 0.2}}));
        let new = map(json!({"model": {"temperature": 0.7}}));
        let agent_diff = AgentDiff {
            agent: "support-bot".to_owned(),
            from: super::super::json::Side {
                reference: "production".to_owned(),
                version: None,
                change_track_id: None,
            },
            to: super::super::json::Side {
                reference: "staging".to_owned(),
                version: None,
                change_track_id: None,
            },
            has_changes: true,
            changes: change::diff(&old, &new),
        };
        let row = status("modified");
        let history = [entry(2, Some("1"), "warmer <b>"), entry(1, None, "first")];
        let mut page = Review {
            agent: &row,
            diff: Ok(&agent_diff),
            history: &history,
            more_history: false,
            notice: Some("Published v2."),
            writable: true,
            now: now(),
        };
        let html = review(&page).into_string();
        assert!(
            html.contains(r#"action="/agents/support-bot/publish""#),
            "{html}"
        );
        assert!(html.contains("Published v2."), "{html}");
        assert!(html.contains("warmer &lt;b&gt;"), "{html}");
        assert!(html.contains("1 hour ago"), "{html}");
        // v2 can be reverted, v1 (which created the agent) cannot.
        assert!(
            html.contains(&format!("/agents/support-bot/revert/{:0>64}", 2)),
            "{html}"
        );
        assert!(
            !html.contains(&format!("/agents/support-bot/revert/{:0>64}", 1)),
            "{html}"
        );
        page.writable = false;
        let html = review(&page).into_string();
        assert!(!html.contains("<form"), "{html}");
    }

    #[test]
    fn an_invalid_staging_file_shows_its_located_error_and_no_form() {
        let error = Error::new("expected a mapping")
            .at(crate::error::Location {
                file: "agents/support-bot.yaml".to_owned(),
                line: Some(3),
                column: Some(7),
            })
            .hint("fix <it>");
        let row = status("invalid");
        let html = review(&Review {
            agent: &row,
            diff: Err(&error),
            history: &[],
            more_history: true,
            notice: None,
            writable: true,
            now: now(),
        })
        .into_string();
        assert!(html.contains("agents/support-bot.yaml:3:7"), "{html}");
        assert!(html.contains("hint: fix &lt;it&gt;"), "{html}");
        assert!(html.contains("Never published."), "{html}");
        assert!(html.contains("agentctl log support-bot"), "{html}");
        assert!(!html.contains("<form"), "{html}");
    }

    #[test]
    fn the_error_page_names_its_status_and_escapes_the_message() {
        let html = error_page("404 Not Found", &Error::new("unknown agent `<x>`")).into_string();
        assert!(
            html.contains("<title>404 Not Found · agentctl</title>"),
            "{html}"
        );
        assert!(html.contains("unknown agent `&lt;x&gt;`"), "{html}");
    }
}
