//! The review page (SPEC 12): server-rendered HTML over the same core as the commands, read
//! afresh on every request so that edits to the files show without a restart. Pages that only
//! read take one of the stores the server keeps open (as the API's reads do); the revert
//! preview and the forms' posts open their own, as the commands they are do.
//!
//! - `GET /`: the agents and their states (`status`)
//! - `GET /agents/{agent}`: Production beside Staging (`diff`), the publish form, the history
//!   (`log`)
//! - `POST /agents/{agent}/publish`: `publish` with the form's message, then back to the agent
//! - `GET /agents/{agent}/revert/{ref}`: the revert preview of one publish (`revert-preview`)
//! - `POST /agents/{agent}/revert`: `revert` of the form's `change_track_id`
//!
//! Forms are plain HTML forms: the browser sends the page's own `Origin`, which the server's
//! guard accepts, and every post answers with a redirect (POST-redirect-GET), so reloading the
//! page never publishes twice. A server that needs a token for its API shows the page without
//! its forms and refuses the page's posts: a browser has no bearer token to send.

mod error;

use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use crate::commands::{Context, diff, log, publish, revert, status};
use crate::error::{Error, ErrorKind};
use crate::render::html;
use crate::store::Store;
use crate::survey;
use crate::workspace::Workspace;
pub use error::{PageError, PageResult};

/// How many history entries the agent page lists; older ones are for `agentctl log`.
pub const HISTORY: usize = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/agents/{agent}", get(agent))
        .route("/agents/{agent}/publish", post(publish))
        .route("/agents/{agent}/revert", post(revert))
        .route("/agents/{agent}/revert/{reference}", get(revert_preview))
}

/// Run `work` on the blocking pool (the store is synchronous), for a page that writes: it
/// opens the store it needs, as every command does.
async fn on_pool<T, F>(state: &AppState, work: F) -> PageResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Context) -> PageResult<T> + Send + 'static,
{
    state.blocking(move |ctx| Ok(work(ctx))).await?
}

/// Run `work` on the blocking pool with one of the stores kept open for reading (as the API's
/// reads do), for a page that only reads. The store is asked afresh, so the page still
/// reflects every publish and every edit of the files.
async fn reading<T, F>(state: &AppState, work: F) -> PageResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Context, &Workspace, &Store) -> PageResult<T> + Send + 'static,
{
    state.reading(work).await
}

/// Whether the page may write: not `--read-only` (whose guard answers 405 anyway) and no token
/// required.
fn writable(state: &AppState) -> bool {
    !state.read_only() && state.tokens().is_none()
}

fn page(title: &str, content: maud::Markup) -> Html<String> {
    Html(html::document(title, content).into_string())
}

/// A path segment that did not decode is the client's mistake.
fn segments<T>(path: Result<Path<T>, PathRejection>) -> PageResult<T> {
    path.map(|Path(value)| value)
        .map_err(|e| PageError::core(Error::new(format!("bad path: {e}")).kind(ErrorKind::Usage)))
}

/// `GET /`: every agent and its state.
async fn index(State(state): State<AppState>) -> PageResult<Html<String>> {
    reading(&state, |_ctx, workspace, store| {
        let agents = survey::survey(workspace, store)?;
        Ok(page("Agents", html::agents(&status::view(&agents).agents)))
    })
    .await
}

/// What the last form did, carried by the redirect's query: only versions, never free text,
/// so a link cannot put words on the page.
#[derive(Debug, Default, Deserialize)]
struct Notice {
    published: Option<String>,
    unchanged: Option<String>,
    reverted: Option<String>,
    nothing_reverted: Option<String>,
}

fn version_of(text: Option<&String>) -> Option<u64> {
    text?.strip_prefix('v')?.parse().ok()
}

impl Notice {
    fn sentence(&self) -> Option<String> {
        if let Some(v) = version_of(self.published.as_ref()) {
            return Some(format!("Published v{v}."));
        }
        if self.unchanged.is_some() {
            return Some("Nothing to publish: staging matches production.".to_owned());
        }
        if let Some(v) = version_of(self.reverted.as_ref()) {
            return Some(format!(
                "Reverted v{v} in staging. Production is unchanged until you publish."
            ));
        }
        if let Some(v) = version_of(self.nothing_reverted.as_ref()) {
            return Some(format!(
                "Nothing to revert: staging already holds none of v{v}'s changes."
            ));
        }
        None
    }
}

/// `GET /agents/{agent}`: the review of one agent. A staging file that is not valid is shown
/// with its error, as 422.
async fn agent(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    notice: Result<Query<Notice>, QueryRejection>,
) -> PageResult<(StatusCode, Html<String>)> {
    let id = segments(path)?;
    let notice = notice.map(|Query(n)| n).unwrap_or_default().sentence();
    let writable = writable(&state);
    reading(&state, move |ctx, workspace, store| {
        // A bad id is 400 (so no path leaves agents/), an unknown agent 404.
        let agent = survey::agent(workspace, store, &id)?;
        let row = status::view(std::slice::from_ref(&agent))
            .agents
            .pop()
            .ok_or_else(|| Error::new("the agent's state went missing"))?;
        drop(agent);
        let agents = [id.clone()];
        let request = diff::Request {
            agents: &agents,
            from: "production",
            to: "staging",
        };
        let diff = match diff::diff(ctx, workspace, store, &request)? {
            diff::Outcome::Done(mut view) => Ok(view
                .agents
                .pop()
                .ok_or_else(|| Error::new("diff named the agent but compared nothing"))?),
            diff::Outcome::Invalid(mut errors) => {
                Err(errors.pop().unwrap_or_else(|| diff::invalid_error(1)))
            }
        };
        let entries = log::entries(
            workspace,
            store,
            &log::Request {
                agent: Some(&id),
                limit: Some(HISTORY + 1),
                ..log::Request::default()
            },
        )?;
        let more_history = entries.len() > HISTORY;
        let history = log::view(store, &entries[..entries.len().min(HISTORY)])?.entries;
        let content = html::review(&html::Review {
            agent: &row,
            diff: diff.as_ref(),
            history: &history,
            more_history,
            notice: notice.as_deref(),
            writable,
            now: ctx.now()?,
        });
        let status = if diff.is_err() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        Ok((status, page(&id, content)))
    })
    .await
}

/// A page post on a server whose API needs a token: refused, a browser has none to send.
fn refuse_without_token(state: &AppState) -> PageResult<()> {
    if state.tokens().is_some() {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            Error::new("this server needs a token to write, which a page cannot send")
                .hint("publish and revert with the API (Authorization: Bearer) or the CLI"),
        ));
    }
    Ok(())
}

fn form<T>(form: Result<Form<T>, FormRejection>) -> PageResult<T> {
    form.map(|Form(value)| value).map_err(|e| {
        PageError::new(
            e.status(),
            Error::new(format!("the form could not be read: {}", e.body_text())),
        )
    })
}

#[derive(Debug, Deserialize)]
struct PublishForm {
    #[serde(default)]
    message: Option<String>,
    /// The production the page showed (its `change_track_id`).
    #[serde(default)]
    expect: Option<String>,
}

/// `POST /agents/{agent}/publish`: `publish AGENT -m MESSAGE --expect SHOWN`, then back to
/// the agent's page. An empty message gets the generated one, as `publish` without `-m`; a
/// production newer than the page showed is 412 and nothing is published.
async fn publish(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Form<PublishForm>, FormRejection>,
) -> PageResult<Redirect> {
    refuse_without_token(&state)?;
    let id = segments(path)?;
    let PublishForm { message, expect } = form(body)?;
    on_pool(&state, move |ctx| {
        let workspace = ctx.workspace()?;
        let mut store = ctx.open_store_for_writing(&workspace)?;
        let agents = [id.clone()];
        let request = publish::Request {
            agents: &agents,
            message: message.as_deref().filter(|m| !m.trim().is_empty()),
            author: None,
            expect: expect.as_deref().filter(|e| !e.is_empty()),
            dry_run: false,
        };
        let view = match publish::publish(ctx, &workspace, &mut store, &request) {
            Ok(publish::Outcome::Done(view)) => view,
            Ok(publish::Outcome::Invalid { mut errors, .. }) => {
                let error = errors.pop().unwrap_or_else(|| publish::invalid_error(1));
                return Err(PageError::core(error));
            }
            Err(error) if error.kind == ErrorKind::Mismatch => {
                return Err(PageError::core(error.hint(
                    "reload the page to review the production that is there now",
                )));
            }
            Err(error) => return Err(PageError::core(error)),
        };
        let published = view
            .results
            .iter()
            .find(|r| r.agent == id && r.has_changes)
            .and_then(|r| r.version);
        let to = match published {
            Some(version) => format!("/agents/{id}?published=v{version}"),
            None => format!("/agents/{id}?unchanged=1"),
        };
        Ok(Redirect::to(&to))
    })
    .await
}

/// `revert` or `revert-preview` of `agent`'s publish `reference`: a bad REF is 400, one that
/// matches nothing 404, a missing staging file 409 (the core's kinds).
fn reverted(
    ctx: &Context,
    id: &str,
    reference: &str,
    mode: revert::Mode,
) -> PageResult<revert::Reverted> {
    let workspace = ctx.workspace()?;
    let mut store = ctx.open_store(&workspace)?;
    Ok(revert::revert(
        ctx, &workspace, &mut store, id, reference, mode,
    )?)
}

/// `GET /agents/{agent}/revert/{ref}`: `revert-preview AGENT REF`, with the revert button.
async fn revert_preview(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> PageResult<Html<String>> {
    let (id, reference) = segments(path)?;
    let writable = writable(&state);
    on_pool(&state, move |ctx| {
        let outcome = reverted(ctx, &id, &reference, revert::Mode::Preview)?;
        let title = format!("Revert v{} of {id}", outcome.reverted.version);
        Ok(page(
            &title,
            html::revert_page(&outcome.view(), &outcome.reverted.message, writable),
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct RevertForm {
    change_track_id: String,
}

/// `POST /agents/{agent}/revert`: `revert AGENT ID`, then back to the agent's page; with
/// conflicts nothing is written and the preview is shown again, as 409.
async fn revert(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Form<RevertForm>, FormRejection>,
) -> PageResult<Redirect> {
    refuse_without_token(&state)?;
    let id = segments(path)?;
    let RevertForm { change_track_id } = form(body)?;
    on_pool(&state, move |ctx| {
        let outcome = reverted(ctx, &id, &change_track_id, revert::Mode::Write)?;
        let version = outcome.reverted.version;
        if !outcome.conflicts.is_empty() {
            return Err(PageError::page(
                StatusCode::CONFLICT,
                Error::new(format!(
                    "reverting v{version} conflicts; nothing was written"
                ))
                .kind(ErrorKind::Conflict),
                format!("Revert v{version} of {id}"),
                html::revert_page(&outcome.view(), &outcome.reverted.message, true),
            ));
        }
        let to = if outcome.written {
            format!("/agents/{id}?reverted=v{version}")
        } else {
            format!("/agents/{id}?nothing_reverted=v{version}")
        };
        Ok(Redirect::to(&to))
    })
    .await
}
