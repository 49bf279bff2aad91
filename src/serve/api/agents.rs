//! `GET /api/v2/agents` (`status --json`), `GET /api/v2/agents/{agent_id}` (production, as
//! `export --format json`) and `GET /api/v2/agents/{agent_id}/diff` (`diff --json`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ApiError, AppState, Params, Q, Tags, etag, listed_tags, not_modified};
use crate::commands::export::{self, ExportFormat};
use crate::commands::{diff as diff_command, status};
use crate::error::ErrorBody;
use crate::render::json;
use crate::survey;

/// Every agent and its state, in name order.
#[utoipa::path(get, path = "/api/v2/agents", tag = "agents",
    responses(
        (status = 200, description = "Every agent and its state (`status --json`)", body = json::Status),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 503, description = "The store is busy or does not answer", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn list(State(state): State<AppState>) -> Result<Json<json::Status>, ApiError> {
    state
        .reading(move |_ctx, workspace, store| {
            let agents = survey::survey(workspace, store)?;
            Ok(Json(status::view(&agents)))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductionQuery {
    /// A past publish: `vN` or 4+ hex digits of its change_track_id [default: production]
    #[serde(rename = "ref")]
    #[param(rename = "ref")]
    pub reference: Option<String>,
}

/// The production config of an agent, for integrations: the snapshot exactly as
/// `agentctl export --format json` writes it, tagged with its change_track_id.
#[utoipa::path(get, path = "/api/v2/agents/{agent_id}", tag = "agents",
    params(("agent_id" = String, Path, description = "The agent's id (its file name without .yaml)"), ProductionQuery,
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer: 304 while it is still production")),
    responses(
        (status = 200, description = "The snapshot (`export --format json`)", body = Object,
            headers(("ETag" = String, description = "\"<change_track_id>\""))),
        (status = 304, description = "Still the publish If-None-Match names",
            headers(("ETag" = String, description = "\"<change_track_id>\""))),
        (status = 400, description = "An invalid agent id or REF", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "An unknown agent, one never published, or a REF that matches no publish", body = ErrorBody),
        (status = 503, description = "The store is busy or does not answer", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn production(
    State(state): State<AppState>,
    params: Params,
    Q(query): Q<ProductionQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let agent = params.agent()?;
    let if_none_match = listed_tags(&headers, header::IF_NONE_MATCH);
    // Production while the store is unchanged since it was last read: answered here, on the
    // async side, without the blocking pool (see `heads.rs`).
    let latest = query.reference.is_none();
    if latest && let Some(id) = state.heads().production(&agent) {
        if unchanged(if_none_match.as_ref(), &id) {
            return Ok(not_modified(&id));
        }
        if let Some(body) = state.kept_rendering(&id) {
            return Ok(config(&id, body));
        }
    }
    let reference = query.reference.unwrap_or_else(|| "production".to_owned());
    let cache = state.clone();
    state
        .reading(move |_ctx, workspace, store| {
            let stamp = latest.then(|| cache.heads().before_reading()).flatten();
            let entry = export::entry(workspace, store, &agent, &reference)?;
            let id = entry.change_track_id.as_str();
            if latest {
                cache.heads().remember(stamp, &agent, id);
            }
            if unchanged(if_none_match.as_ref(), id) {
                return Ok(not_modified(id));
            }
            let body = cache.rendered(id, || {
                Ok(ExportFormat::Json.render(&store.snapshot(&entry)?)?)
            })?;
            Ok(config(id, body))
        })
        .await
}

/// Whether `If-None-Match` lists the production tagged `id`.
fn unchanged(if_none_match: Option<&Tags>, id: &str) -> bool {
    if_none_match.is_some_and(|tags| tags.matches(Some(id)))
}

/// 200 with the rendered config tagged `id`.
fn config(id: &str, body: axum::body::Bytes) -> Response {
    (
        StatusCode::OK,
        [
            (header::ETAG, etag(id)),
            (
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The old side: production, staging, vN or a change_track_id prefix [default: production]
    pub from: Option<String>,
    /// The new side: production, staging, vN or a change_track_id prefix [default: staging]
    pub to: Option<String>,
}

/// Production against Staging (or any two REFs), only differences, by section.
#[utoipa::path(get, path = "/api/v2/agents/{agent_id}/diff", tag = "agents",
    params(("agent_id" = String, Path, description = "The agent's id"), DiffQuery),
    responses(
        (status = 200, description = "`diff --json` of this agent", body = json::Diff),
        (status = 400, description = "An invalid agent id or REF", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "An unknown agent or a REF that matches no publish", body = ErrorBody),
        (status = 422, description = "The staging file does not validate (located)", body = ErrorBody),
        (status = 503, description = "The store is busy or does not answer", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn diff(
    State(state): State<AppState>,
    params: Params,
    Q(query): Q<DiffQuery>,
) -> Result<Json<json::Diff>, ApiError> {
    let agent = params.agent()?;
    let from = query.from.unwrap_or_else(|| "production".to_owned());
    let to = query.to.unwrap_or_else(|| "staging".to_owned());
    state
        .reading(move |ctx, workspace, store| {
            let agents = [agent];
            let request = diff_command::Request {
                agents: &agents,
                from: &from,
                to: &to,
            };
            match diff_command::diff(ctx, workspace, store, &request)? {
                diff_command::Outcome::Done(view) => Ok(Json(view)),
                diff_command::Outcome::Invalid(errors) => {
                    Err(one_error(errors, || diff_command::invalid_error(1)))
                }
            }
        })
        .await
}

/// The error of a request about one agent that failed validation: its own located error.
pub fn one_error(
    mut errors: Vec<crate::error::Error>,
    summary: impl FnOnce() -> crate::error::Error,
) -> ApiError {
    match errors.len() {
        1 => ApiError::from(errors.remove(0)),
        _ => ApiError::from(summary()),
    }
}
