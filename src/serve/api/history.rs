//! The publish history: `GET …/history` (`log --json`), `GET …/history/{ref}` (`show --json`),
//! `GET …/blame` (`blame --json`) and `GET /api/v2/verify` (`verify --json`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ApiError, AppState, Params, Q};
use crate::commands::{blame as blame_command, log, show, verify as verify_command};
use crate::error::{Error, ErrorBody, ErrorKind};
use crate::render::json;

/// A page of history when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// At most this many entries [default: 100]
    pub limit: Option<usize>,
    /// Only entries older than this publish (`vN`, or any REF): the cursor of the next page
    pub before: Option<String>,
    /// Only entries whose changes touch this PATH (`model.temperature`, `tools[web_search]`)
    pub touching: Option<String>,
}

/// The agent's publish history, newest first, a page at a time: `Link: <…>; rel="next"` names
/// the next page while there may be one.
#[utoipa::path(get, path = "/api/v2/agents/{agent_id}/history", tag = "history",
    params(("agent_id" = String, Path, description = "The agent's id"), HistoryQuery),
    responses(
        (status = 200, description = "`log --json` of this agent", body = json::Log,
            headers(("Link" = String, description = "The next page, when this one is full"))),
        (status = 400, description = "An invalid agent id, limit, cursor or PATH", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "An unknown agent, or a cursor that matches no publish", body = ErrorBody),
        (status = 503, description = "The store is busy or does not answer", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    params: Params,
    Q(query): Q<HistoryQuery>,
) -> Result<Response, ApiError> {
    let agent = params.agent()?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    state
        .reading(move |_ctx, workspace, store| {
            crate::survey::require_known(workspace, store, &agent)?;
            let before = match &query.before {
                None => None,
                Some(cursor) => Some(cursor_version(store, &agent, cursor)?),
            };
            let entries = log::entries(
                workspace,
                store,
                &log::Request {
                    agent: Some(&agent),
                    touching: query.touching.as_deref(),
                    limit: Some(limit),
                    before,
                },
            )?;
            let next = match entries.last() {
                Some(last) if entries.len() == limit && last.version > 1 => {
                    let mut link = format!(
                        "</api/v2/agents/{agent}/history?limit={limit}&before=v{}",
                        last.version
                    );
                    if let Some(path) = &query.touching {
                        link.push_str("&touching=");
                        link.push_str(&percent_encode(path));
                    }
                    link.push_str(">; rel=\"next\"");
                    HeaderValue::from_str(&link).ok()
                }
                _ => None,
            };
            let mut response = Json(log::view(store, &entries)?).into_response();
            if let Some(next) = next {
                response.headers_mut().insert(header::LINK, next);
            }
            Ok(response)
        })
        .await
}

/// The version a `before` cursor names: `vN` as it is (even past the newest), any other REF
/// by looking it up.
fn cursor_version(store: &crate::store::Store, agent: &str, cursor: &str) -> Result<u64, Error> {
    if let Some(number) = cursor.strip_prefix('v')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
    {
        return number.parse().map_err(|_| {
            Error::new(format!("`{cursor}` is not a version"))
                .hint("give before=vN, N a whole number")
                .kind(ErrorKind::Usage)
        });
    }
    crate::store::require_publish(cursor, "`before` names a publish", "give before=vN")?;
    Ok(store.resolve(agent, cursor)?.version)
}

/// A query value, percent-encoded (for the `Link` header).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntryQuery {
    /// Also the whole snapshot, as `config`
    pub config: Option<bool>,
}

/// One history entry with its changes against the publish before it.
#[utoipa::path(get, path = "/api/v2/agents/{agent_id}/history/{ref}", tag = "history",
    params(("agent_id" = String, Path, description = "The agent's id"),
        ("ref" = String, Path, description = "production, vN or 4+ hex digits of a change_track_id"),
        EntryQuery),
    responses(
        (status = 200, description = "`show --json` (with `?config=true`, `show --json --config`)", body = json::Show),
        (status = 400, description = "An invalid agent id or REF (staging is not a publish)", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "An unknown agent or a REF that matches no publish", body = ErrorBody),
        (status = 503, description = "The store is busy or does not answer", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn entry(
    State(state): State<AppState>,
    params: Params,
    Q(query): Q<EntryQuery>,
) -> Result<Json<json::Show>, ApiError> {
    let agent = params.agent()?;
    let reference = params.get("ref")?;
    state
        .reading(move |_ctx, workspace, store| {
            let shown = show::load(workspace, store, &agent, &reference)?;
            Ok(Json(shown.view(store, query.config.unwrap_or(false))?))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BlameQuery {
    /// The publish to blame: production, vN or a change_track_id prefix [default: production]
    #[serde(rename = "ref")]
    #[param(rename = "ref")]
    pub reference: Option<String>,
}

/// For each field and item of a snapshot, the publish that last set it.
#[utoipa::path(get, path = "/api/v2/agents/{agent_id}/blame", tag = "history",
    params(("agent_id" = String, Path, description = "The agent's id"), BlameQuery),
    responses(
        (status = 200, description = "`blame --json`", body = json::Blame),
        (status = 400, description = "An invalid agent id or REF", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "An unknown agent, one never published, or a REF that matches no publish", body = ErrorBody),
        (status = 503, description = "The store is busy or does not answer", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn blame(
    State(state): State<AppState>,
    params: Params,
    Q(query): Q<BlameQuery>,
) -> Result<Json<json::Blame>, ApiError> {
    let agent = params.agent()?;
    let reference = query.reference.unwrap_or_else(|| "production".to_owned());
    state
        .reading(move |_ctx, workspace, store| {
            let blamed = blame_command::load(workspace, store, &agent, &reference)?;
            Ok(Json(blamed.view(&reference)))
        })
        .await
}

/// The store's integrity: every snapshot hash and the hash chain of every history. A damaged
/// store is still 200, with `ok: false` and the problems.
#[utoipa::path(get, path = "/api/v2/verify", tag = "history",
    responses(
        (status = 200, description = "`verify --json`", body = json::Verify),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 503, description = "The store is busy or does not answer", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn verify(State(state): State<AppState>) -> Result<Json<json::Verify>, ApiError> {
    state
        .blocking(|ctx| {
            let (mut store, _shown) = verify_command::open(ctx)?;
            let report = store.verify()?;
            Ok(Json(json::Verify::from(&report)))
        })
        .await
}
