//! `POST …/publish` (`publish --json`) and `POST …/restore` (`restore --json`).

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::agents::one_error;
use super::{ApiError, AppState, JsonBody, Params, Tags, etag, listed_tags};
use crate::commands::{publish as publish_command, restore as restore_command};
use crate::error::ErrorBody;
use crate::render::json;
use crate::serve::auth::Caller;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// The message recorded with the publish [default: a summary of the changes]
    pub message: Option<String>,
    /// Who publishes [default: the token's name, else the user running the server]
    pub author: Option<String>,
    /// Publish only if production is still this REF (vN or change_track_id): 412 otherwise
    pub expect: Option<String>,
    /// Say what would be published without recording anything
    #[serde(default)]
    pub dry_run: bool,
}

/// Make staging live: record a new production version when staging differs from it. Nothing
/// to publish is 200 with `has_changes: false` and no history entry.
#[utoipa::path(post, path = "/api/v2/agents/{agent_id}/publish", tag = "workflow",
    params(("agent_id" = String, Path, description = "The agent's id"),
        ("If-Match" = Option<String>, Header, description = "\"<change_track_id>\" of the production reviewed (the same as `expect`): 412 when production moved since")),
    request_body(content = PublishBody, content_type = "application/json", description = "Every field optional; an empty body is {}"),
    responses(
        (status = 200, description = "`publish --json`: published, or `has_changes: false`", body = json::Publish,
            headers(("ETag" = String, description = "\"<change_track_id>\" of production after the call"))),
        (status = 400, description = "An invalid agent id or body", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 403, description = "A write from a foreign Origin", body = ErrorBody),
        (status = 404, description = "An unknown agent", body = ErrorBody),
        (status = 405, description = "The server is read-only", body = ErrorBody),
        (status = 409, description = "The agent has no staging file to publish", body = ErrorBody),
        (status = 412, description = "Production is not what If-Match / expect names", body = ErrorBody),
        (status = 413, description = "A body over 16 MiB", body = ErrorBody),
        (status = 415, description = "A body that is not JSON", body = ErrorBody),
        (status = 422, description = "The staging file does not validate (located)", body = ErrorBody),
        (status = 503, description = "The store is busy past --lock-timeout", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    params: Params,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PublishBody>,
) -> Result<Response, ApiError> {
    let agent = params.agent()?;
    let expect = match (listed_tags(&headers, header::IF_MATCH), body.expect) {
        (None, expect) => expect,
        (Some(Tags::Any), None) => Some("production".to_owned()),
        (Some(Tags::List(mut tags)), None) if tags.len() == 1 => tags.pop(),
        (Some(Tags::List(tags)), Some(expect)) if tags == [expect.clone()] => Some(expect),
        (Some(_), _) => {
            return Err(ApiError::bad_request(
                "If-Match must name one change_track_id, and the same one as `expect` when both are given",
            ));
        }
    };
    let author = body.author.or(caller.0);
    state
        .blocking(move |ctx| {
            let workspace = ctx.workspace()?;
            let mut store = ctx.open_store_for_writing(&workspace)?;
            let agents = [agent];
            let request = publish_command::Request {
                agents: &agents,
                message: body.message.as_deref(),
                author: author.as_deref(),
                expect: expect.as_deref(),
                dry_run: body.dry_run,
            };
            match publish_command::publish(ctx, &workspace, &mut store, &request)? {
                publish_command::Outcome::Done(view) => {
                    let production = view.results.first().and_then(|r| r.change_track_id.clone());
                    let mut response = (StatusCode::OK, Json(view)).into_response();
                    if let Some(id) = production {
                        response.headers_mut().insert(header::ETAG, etag(&id));
                    }
                    Ok(response)
                }
                publish_command::Outcome::Invalid { errors, .. } => {
                    Err(one_error(errors, || publish_command::invalid_error(1)))
                }
            }
        })
        .await
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    /// The publish to restore: production, vN or a change_track_id prefix [default: production]
    #[serde(rename = "ref")]
    #[schema(rename = "ref")]
    pub reference: Option<String>,
}

/// Set staging to a publish's snapshot (default production), discarding staging edits;
/// `agentctl undo` puts the previous file back.
#[utoipa::path(post, path = "/api/v2/agents/{agent_id}/restore", tag = "workflow",
    params(("agent_id" = String, Path, description = "The agent's id")),
    request_body(content = RestoreBody, content_type = "application/json", description = "An empty body is {}: production"),
    responses(
        (status = 200, description = "`restore --json`", body = json::Restore),
        (status = 400, description = "An invalid agent id, body or REF", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 403, description = "A write from a foreign Origin", body = ErrorBody),
        (status = 404, description = "An unknown agent or a REF that matches no publish", body = ErrorBody),
        (status = 405, description = "The server is read-only", body = ErrorBody),
        (status = 413, description = "A body over 16 MiB", body = ErrorBody),
        (status = 415, description = "A body that is not JSON", body = ErrorBody),
        (status = 503, description = "The store or the workspace is busy past --lock-timeout", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn restore(
    State(state): State<AppState>,
    params: Params,
    JsonBody(body): JsonBody<RestoreBody>,
) -> Result<Json<json::Restore>, ApiError> {
    let agent = params.agent()?;
    let reference = body.reference.unwrap_or_else(|| "production".to_owned());
    state
        .blocking(move |ctx| {
            let workspace = ctx.workspace()?;
            let mut store = ctx.open_store(&workspace)?;
            let restored =
                restore_command::restore(ctx, &workspace, &mut store, &agent, &reference)?;
            Ok(Json(restored.view()))
        })
        .await
}
