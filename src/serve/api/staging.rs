//! `GET` and `PUT /api/v2/agents/{agent_id}/staging`: the staging file, read and replaced with
//! the workspace's own reading, validation and atomic writing, under the workspace lock that
//! revert and restore take, so an `If-Match` check and the write it guards are one step.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{
    ApiError, AppState, Params, Q, Tags, body_bytes, etag, if_match_tags, is_json, listed_tags,
    media_type, not_modified, tagged_json,
};
use crate::agent::{self, sha256_hex};
use crate::change;
use crate::edit;
use crate::error::{Error, ErrorBody, ErrorKind, Location};
use crate::survey;
use crate::workspace::{Staging, Workspace};

#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StagingFormat {
    /// The configuration as a JSON value.
    #[default]
    Json,
    /// The file's own bytes.
    Yaml,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StagingQuery {
    /// `yaml`: the file's own bytes; `json` (the default): the configuration as a value
    pub format: Option<StagingFormat>,
}

/// The staging config: as a value, or (`?format=yaml`) the file's own bytes. Its ETag is the
/// SHA-256 of the file's bytes, for `If-Match` on `PUT`.
#[utoipa::path(get, path = "/api/v2/agents/{agent_id}/staging", tag = "agents",
    params(("agent_id" = String, Path, description = "The agent's id"), StagingQuery,
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer: 304 while the file is unchanged")),
    responses(
        (status = 200, description = "The staging config (`?format=yaml`: the file, as application/yaml)",
            content((Object = "application/json"), (serde_json::Value = "application/yaml")),
            headers(("ETag" = String, description = "\"<SHA-256 of the file's bytes>\""))),
        (status = 304, description = "The file is still the one If-None-Match names"),
        (status = 400, description = "An invalid agent id or format", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 404, description = "An unknown agent, or one without a staging file", body = ErrorBody),
        (status = 422, description = "The staging file does not validate (located; not for ?format=yaml)", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn get_staging(
    State(state): State<AppState>,
    params: Params,
    Q(query): Q<StagingQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let agent = params.agent()?;
    let if_none_match = listed_tags(&headers, header::IF_NONE_MATCH);
    state
        .reading(move |_ctx, workspace, store| {
            survey::require_known(workspace, store, &agent)?;
            let staging = workspace.staging(&agent)?;
            let bytes = workspace.read_bytes(&staging)?;
            let tag = sha256_hex(&bytes);
            if if_none_match
                .as_ref()
                .is_some_and(|tags: &Tags| tags.matches(Some(&tag)))
            {
                return Ok(not_modified(&tag));
            }
            match query.format.unwrap_or_default() {
                StagingFormat::Yaml => Ok((
                    StatusCode::OK,
                    [
                        (header::ETAG, etag(&tag)),
                        (
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/yaml"),
                        ),
                    ],
                    bytes,
                )
                    .into_response()),
                StagingFormat::Json => {
                    let config = workspace.parse(&staging, &bytes)?;
                    Ok(tagged_json(StatusCode::OK, &tag, &config))
                }
            }
        })
        .await
}

/// Replace (or create) the staging file with the body: YAML as it is, or JSON
/// (`Content-Type: application/json`), written as YAML. Validated before anything is
/// written; written atomically.
#[utoipa::path(put, path = "/api/v2/agents/{agent_id}/staging", tag = "agents",
    params(("agent_id" = String, Path, description = "The agent's id"),
        ("If-Match" = Option<String>, Header, description = "The staging ETag last read: 412 when the file changed since (`*`: it must exist)"),
        ("If-None-Match" = Option<String>, Header, description = "`*`: create only, 412 when the file exists")),
    request_body(description = "The agent file: YAML (application/yaml, text/yaml, or no Content-Type) or JSON (application/json)",
        content(
            (String = "application/yaml"),
            (Object = "application/json"),
        )),
    responses(
        (status = 200, description = "Replaced; the body is the new staging config", body = Object,
            headers(("ETag" = String, description = "\"<SHA-256 of the file's bytes>\""))),
        (status = 201, description = "Created: the agent is new", body = Object,
            headers(("ETag" = String, description = "\"<SHA-256 of the file's bytes>\""), ("Location" = String, description = "This staging resource"))),
        (status = 400, description = "An invalid agent id", body = ErrorBody),
        (status = 401, description = "No or a wrong token", body = ErrorBody),
        (status = 403, description = "A write from a foreign Origin", body = ErrorBody),
        (status = 405, description = "The server is read-only", body = ErrorBody),
        (status = 412, description = "The file is not the one If-Match names", body = ErrorBody),
        (status = 413, description = "A body over 16 MiB", body = ErrorBody),
        (status = 415, description = "A body neither YAML nor JSON", body = ErrorBody),
        (status = 422, description = "The body is not a valid agent file (located)", body = ErrorBody),
        (status = 503, description = "The workspace is locked by another writer", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn put_staging(
    State(state): State<AppState>,
    params: Params,
    request: Request,
) -> Result<Response, ApiError> {
    let agent = params.agent()?;
    let headers = request.headers().clone();
    let json = match media_type(&headers) {
        None => false,
        Some(media) if is_json(&media) => true,
        Some(media) if is_yaml(&media) => false,
        Some(media) => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("staging is YAML or JSON, not {media}"),
            )
            .hint("send Content-Type: application/yaml or application/json"));
        }
    };
    let body = body_bytes(request).await?;
    let if_match = if_match_tags(&headers);
    let if_none_match = listed_tags(&headers, header::IF_NONE_MATCH);
    state
        .blocking(move |ctx| {
            let workspace = ctx.workspace()?;
            // Validated first: nothing is written for a body that is not a valid agent file.
            // A YAML body's errors name the file it would become.
            let (config, mut bytes) = if json {
                let config = parse_json(&body)?;
                let text = edit::fresh(&config);
                (config, text.into_bytes())
            } else {
                let target = workspace
                    .find_staging(&agent)?
                    .unwrap_or_else(|| workspace.new_staging(&agent));
                (workspace.parse(&target, &body)?, body.to_vec())
            };

            // Whether the file exists is read under the lock: two requests creating one agent
            // at once are one create and one replace (or one 412 with If-None-Match: *), never
            // a failed create.
            let _lock = ctx.lock_workspace(&workspace)?;
            let existing = workspace.find_staging(&agent)?;
            let target = existing
                .clone()
                .unwrap_or_else(|| workspace.new_staging(&agent));
            let shown = workspace.display(&target.path);
            let current = match &existing {
                Some(staging) => Some(sha256_hex(&workspace.read_bytes(staging)?)),
                None => None,
            };
            if let Some(tags) = &if_match
                && !tags.matches(current.as_deref())
            {
                return Err(precondition(match &current {
                    Some(_) => format!(
                        "{shown} changed since the ETag If-Match names; nothing was written"
                    ),
                    None => format!("{shown} does not exist; nothing was written"),
                }));
            }
            if if_none_match == Some(Tags::Any) && current.is_some() {
                return Err(precondition(format!(
                    "{shown} exists (If-None-Match: *); nothing was written"
                )));
            }
            // A JSON body edits the existing file in place, as restore does: its comments
            // and layout stay, and for one agent of a file, the other agents' bytes.
            if json && let Some(staging) = &existing {
                bytes = json_written(&workspace, staging, &config, bytes)?;
            }
            match &existing {
                Some(staging) => workspace.write(staging, &bytes)?,
                None => workspace.create(&target, &bytes)?,
            }
            let tag = sha256_hex(&bytes);
            if existing.is_some() {
                return Ok(tagged_json(StatusCode::OK, &tag, &config));
            }
            let mut response = tagged_json(StatusCode::CREATED, &tag, &config);
            if let Ok(location) = HeaderValue::from_str(&format!("/api/v2/agents/{agent}/staging"))
            {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Ok(response)
        })
        .await
}

/// The bytes a JSON body's `config` becomes in an existing staging file: the file edited in
/// place, as restore edits it, so its comments and layout stay (and for an agent that is a
/// part of its file, every other agent's bytes). A whole file that cannot be edited so is
/// `fresh`, the body as YAML; a part of one is refused rather than written over the file.
fn json_written(
    workspace: &Workspace,
    staging: &Staging,
    config: &agent::Config,
    fresh: Vec<u8>,
) -> Result<Vec<u8>, Error> {
    let part = staging.part.as_ref();
    let current = workspace.read_bytes(staging)?;
    let from = workspace
        .parse(staging, &current)
        .ok()
        .or_else(|| part.and_then(|part| agent::unchecked_part(&current, part)));
    let shown = workspace.display(&staging.path);
    let not_in_place = |why: &str| {
        Error::new(format!(
            "cannot write {} into {shown} in place: {why}; nothing was written",
            staging.agent
        ))
        .at(Location::file(shown.clone()))
        .hint(format!(
            "fix {shown} first, or PUT the whole file as YAML (Content-Type: application/yaml)"
        ))
        .kind(ErrorKind::Invalid)
    };
    // The other agents of a file would be lost with it.
    let several = part.is_some_and(|part| !part.at.is_empty());
    let Some(from) = from else {
        if several {
            return Err(not_in_place("the file does not parse"));
        }
        return Ok(match part {
            Some(part) => edit::fresh_for(Some(part), config).into_bytes(),
            None => fresh,
        });
    };
    let text = String::from_utf8_lossy(&current);
    let rules = workspace.rules(Some(staging), &from, config)?;
    let changes = change::diff_as(&rules, &from, config);
    let identity = rules.extra_identity_keys();
    let written = match part {
        Some(part) => edit::rewrite_part(&text, part, &changes, config, &identity),
        None => edit::rewrite(&text, &changes, config, &identity),
    }
    .text
    .into_bytes();
    // Answered 200 only if the file now holds what the client sent, as revert checks.
    match workspace.parse(staging, &written) {
        Ok(holds) if holds == *config => Ok(written),
        _ if part.is_none() => Ok(fresh),
        _ => Err(not_in_place("the edited file would not hold it")),
    }
}

fn is_yaml(media: &str) -> bool {
    matches!(
        media,
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" | "text/plain"
    ) || media.ends_with("+yaml")
}

fn precondition(message: String) -> ApiError {
    ApiError::from(
        Error::new(message)
            .hint("GET the staging again for its current ETag, review, and retry")
            .kind(ErrorKind::Mismatch),
    )
}

/// A JSON body as an agent configuration: JSON's own syntax first (located in the body), then
/// every rule of an agent file (the body is YAML too, so the same parser locates those).
fn parse_json(body: &[u8]) -> Result<agent::Config, Error> {
    let located = |message: String, line: Option<usize>, column: Option<usize>| {
        Error::new(message)
            .at(Location {
                file: "request body".to_owned(),
                line,
                column,
            })
            .kind(ErrorKind::Invalid)
    };
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return Err(located(
            format!("the body is not valid JSON: {e}"),
            Some(e.line()),
            Some(e.column()),
        ));
    }
    agent::parse(body).map_err(|invalid| located(invalid.message, invalid.line, invalid.column))
}
