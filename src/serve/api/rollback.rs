//! `PUT …/rollback` (the seed's endpoint): `revert --json`, or with `dry_run`
//! `revert-preview --json`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ApiError, AppState, JsonBody, Params};
use crate::commands::revert::{self, Mode};
use crate::error::ErrorBody;
use crate::render::json;
use crate::serve::error::status_of;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// The publish whose changes to take out of staging: its change_track_id or a unique
    /// prefix of 4+ hex digits (vN works too)
    pub change_track_id: String,
    /// Only say what the rollback would do (`revert-preview`); nothing is written
    #[serde(default)]
    pub dry_run: bool,
}

/// What a 409 of rollback holds, and what the handler sends with it: the conflicts, or (no
/// staging file to revert in) the error.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Conflicted {
    Conflicts(json::Revert),
    Error(ErrorBody),
}

/// Take the changes of a past publish out of Staging, keeping every other staging edit;
/// Production is untouched until the next publish. With conflicts nothing is written (409,
/// the same document, `conflicts` non-empty); `dry_run` answers 200 even with conflicts.
#[utoipa::path(put, path = "/api/v2/agents/{agent_id}/rollback", tag = "workflow",
    params(("agent_id" = String, Path, description = "The agent's id")),
    request_body(content = RollbackBody, content_type = "application/json"),
    responses(
        (status = 200, description = "`revert --json` (`dry_run`: `revert-preview --json`)", body = json::Revert),
        (status = 409, description = "Conflicts: nothing was written; `revert --json` with the three values of each (or, when the staging file is gone, the error document)", body = Conflicted),
        (status = 400, description = "An invalid agent id, body or REF, or v1 (which created the agent)", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 403, description = "A write from a foreign Origin", body = ErrorBody),
        (status = 404, description = "An unknown agent or a change_track_id that matches no publish", body = ErrorBody),
        (status = 405, description = "The server is read-only", body = ErrorBody),
        (status = 413, description = "A body over 16 MiB", body = ErrorBody),
        (status = 415, description = "A body that is not JSON", body = ErrorBody),
        (status = 422, description = "The staging file does not validate (located)", body = ErrorBody),
        (status = 503, description = "The store or the workspace is busy past --lock-timeout", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn rollback(
    State(state): State<AppState>,
    params: Params,
    JsonBody(body): JsonBody<RollbackBody>,
) -> Result<Response, ApiError> {
    let agent = params.agent()?;
    let mode = if body.dry_run {
        Mode::Preview
    } else {
        Mode::Write
    };
    state
        .blocking(move |ctx| {
            let workspace = ctx.workspace()?;
            let mut store = ctx.open_store(&workspace)?;
            let reverted = match revert::revert(
                ctx,
                &workspace,
                &mut store,
                &agent,
                &body.change_track_id,
                mode,
            ) {
                Ok(reverted) => reverted,
                Err(error) if status_of(error.kind) == StatusCode::CONFLICT => {
                    let body = error.body(StatusCode::CONFLICT.as_u16());
                    return Ok(conflicted(Conflicted::Error(body)));
                }
                Err(error) => return Err(error.into()),
            };
            let view: json::Revert = reverted.view();
            if mode == Mode::Write && !view.conflicts.is_empty() {
                return Ok(conflicted(Conflicted::Conflicts(view)));
            }
            Ok((StatusCode::OK, Json(view)).into_response())
        })
        .await
}

fn conflicted(body: Conflicted) -> Response {
    (StatusCode::CONFLICT, Json(body)).into_response()
}
