//! The JSON endpoints of SPEC 12. Each calls what its CLI twin calls and answers the same view
//! struct its `--json` prints; what is shared here is HTTP only: reading paths, queries and
//! bodies into the core's arguments (400, 413 and 415 on the way), entity tags, and the
//! OpenAPI document built from the handlers' annotations.

pub mod agents;
pub mod history;
pub mod publish;
pub mod rollback;
pub mod staging;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

use super::{ApiError, AppState};
use crate::error::ErrorBody;
use crate::workspace::validate_id;

/// Every route of the API as (method, path): the router is built from this table, and a test
/// holds it against the OpenAPI document.
macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        /// Every API route: (method, path as in the OpenAPI document).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        pub fn routes() -> Router<AppState> {
            Router::new()$(.route($path, $method($handler)))*
        }
    };
}

api_routes! {
    get "/healthz" => healthz,
    get "/openapi.json" => openapi_json,
    get "/api/v2/agents" => agents::list,
    get "/api/v2/agents/{agent_id}" => agents::production,
    get "/api/v2/agents/{agent_id}/staging" => staging::get_staging,
    put "/api/v2/agents/{agent_id}/staging" => staging::put_staging,
    get "/api/v2/agents/{agent_id}/diff" => agents::diff,
    post "/api/v2/agents/{agent_id}/publish" => publish::publish,
    get "/api/v2/agents/{agent_id}/history" => history::history,
    get "/api/v2/agents/{agent_id}/history/{ref}" => history::entry,
    get "/api/v2/agents/{agent_id}/blame" => history::blame,
    put "/api/v2/agents/{agent_id}/rollback" => rollback::rollback,
    post "/api/v2/agents/{agent_id}/restore" => publish::restore,
    get "/api/v2/verify" => history::verify,
}

/// The OpenAPI 3.1 document of every endpoint, generated from the handlers and view structs.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "agentctl",
        description = "Staging, review and publish history for AI-agent configurations: the JSON API of `agentctl serve` (SPEC 12). Every body is the JSON of the CLI twin's `--json`.",
        license(name = "MIT")
    ),
    paths(
        healthz,
        openapi_json,
        review_page,
        agents::list,
        agents::production,
        staging::get_staging,
        staging::put_staging,
        agents::diff,
        publish::publish,
        history::history,
        history::entry,
        history::blame,
        rollback::rollback,
        publish::restore,
        history::verify,
    ),
    components(schemas(ErrorBody, Health, staging::StagingFormat)),
    modifiers(&BearerAuth, &RequestTimeout),
    tags(
        (name = "agents", description = "Agents, their production config and staging"),
        (name = "workflow", description = "Publish, roll back, restore"),
        (name = "history", description = "Publish history, blame and integrity"),
        (name = "service", description = "The server itself"),
    )
)]
pub struct ApiDoc;

/// `Authorization: Bearer <token>` when the server has a token file.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Needed on every /api request when the server was started with --token-file or AGENTCTL_SERVE_TOKEN",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every request, whatever its endpoint, is answered 408 when it takes longer than the request
/// timeout (30 s) plus the lock timeout, a client sending its body too slowly above all: the
/// time limit is a layer over the whole router, so each operation lists it.
struct RequestTimeout;

impl utoipa::Modify for RequestTimeout {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let timeout = ResponseBuilder::new()
            .description(
                "The request took longer than 30 s plus --lock-timeout (a client too slow to send it)",
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                operation
                    .responses
                    .responses
                    .insert("408".to_owned(), timeout.clone().into());
            }
        }
    }
}

/// The document as served and checked in (`schema/openapi.json`): pretty, with a final newline.
pub fn openapi_text() -> String {
    let mut text = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub ok: bool,
}

/// Whether the server and its store answer.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses(
        (status = 200, description = "The store answers", body = Health),
        (status = 503, description = "The store does not answer", body = ErrorBody),
    ))]
async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .blocking(|ctx| {
            let workspace = ctx.workspace()?;
            ctx.open_store(&workspace)
                .map_err(|e| ApiError::from(e.kind(crate::error::ErrorKind::Busy)))?;
            Ok(Json(Health { ok: true }))
        })
        .await
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = Object, content_type = "application/json")))]
async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi_text()).into_response()
}

/// The review page (server-rendered HTML; see `page.rs`). Documented here; routed by the page.
#[utoipa::path(get, path = "/", tag = "service",
    responses(
        (status = 200, description = "The review page: agents, Production beside Staging, history, revert previews", content_type = "text/html"),
        (status = 401, description = "The server has a token file and the request carries none of its tokens", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn review_page() {}

/// Any path the server does not have.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such endpoint")
        .hint("GET /openapi.json lists every endpoint")
}

/// A method a path does not take (`Allow` says which it does).
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this endpoint does not take that method",
    )
    .hint("the Allow header lists the methods it takes; GET /openapi.json describes them")
}

/// The path's parameters, with the agent id checked against SPEC 2's rules (400 otherwise),
/// so that no request can name a file outside `agents/`.
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn agent(&self) -> Result<String, ApiError> {
        let id = self.get("agent_id")?;
        validate_id(&id)?;
        Ok(id)
    }

    pub fn get(&self, name: &str) -> Result<String, ApiError> {
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| ApiError::internal(format!("the route has no {{{name}}}")))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Params, ApiError> {
        axum::extract::Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(params)| Params(params))
            .map_err(|e| ApiError::bad_request(format!("the path is not valid: {}", e.body_text())))
    }
}

/// A query string read into `T`; anything it does not name or cannot read is 400.
pub struct Q<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Q<T>, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(value)| Q(value))
            .map_err(|e| {
                ApiError::bad_request(format!("the query is not valid: {}", e.body_text()))
                    .hint("GET /openapi.json lists each endpoint's parameters")
            })
    }
}

/// The request body, at most [`super::BODY_LIMIT`] bytes (413 beyond).
/// A `Content-Length` over the limit is refused before a byte of the body is read.
pub async fn body_bytes(request: Request) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is over {} MiB",
                super::BODY_LIMIT / (1024 * 1024)
            ),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > super::BODY_LIMIT as u64) {
        return Err(too_large());
    }
    Bytes::from_request(request, &()).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request(format!("cannot read the request body: {}", e.body_text()))
        }
    })
}

/// The media type of a request, lower case and without parameters; `None` when not given.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    Some(
        text.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

pub fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.ends_with("+json")
}

/// A JSON request body read into `T`: `Content-Type: application/json` (415 otherwise), valid
/// JSON with only the fields `T` has (400 otherwise). An empty body is `{}`, for endpoints
/// whose fields are all optional.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<JsonBody<T>, ApiError> {
        let media = media_type(request.headers());
        let bytes = body_bytes(request).await?;
        let empty = bytes.iter().all(u8::is_ascii_whitespace);
        match &media {
            Some(media) if is_json(media) => {}
            None if empty => {}
            Some(media) => {
                return Err(unsupported(&format!(
                    "this endpoint takes application/json, not {media}"
                )));
            }
            None => {
                return Err(unsupported(
                    "this endpoint takes application/json; the request has no Content-Type",
                ));
            }
        }
        let text: &[u8] = if empty { b"{}" } else { &bytes };
        serde_json::from_slice(text).map(JsonBody).map_err(|e| {
            ApiError::bad_request(format!(
                "the request body is not what this endpoint takes: {e}"
            ))
            .hint("GET /openapi.json describes each endpoint's body")
        })
    }
}

pub fn unsupported(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
        .hint("send Content-Type: application/json")
}

/// An entity tag as a header value: `"<tag>"`.
pub fn etag(tag: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{tag}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

/// The entity tags a conditional header lists (`"a", W/"b"`), without quotes or weakness;
/// `Some(vec![])` for `*`; `None` when the header is absent. For `If-None-Match` (weak
/// comparison, RFC 9110 13.1.2).
pub fn listed_tags(headers: &HeaderMap, name: header::HeaderName) -> Option<Tags> {
    tags(headers, name, true)
}

/// The strong entity tags `If-Match` lists: a weak tag never matches there (RFC 9110 13.1.1
/// uses the strong comparison), so it is left out and matches nothing.
pub fn if_match_tags(headers: &HeaderMap) -> Option<Tags> {
    tags(headers, header::IF_MATCH, false)
}

fn tags(headers: &HeaderMap, name: header::HeaderName, weak_too: bool) -> Option<Tags> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    if values.is_empty() {
        return None;
    }
    let mut tags = Vec::new();
    for value in &values {
        for tag in value.split(',') {
            let tag = tag.trim();
            if tag == "*" {
                return Some(Tags::Any);
            }
            let tag = match tag.strip_prefix("W/") {
                Some(_) if !weak_too => continue,
                Some(weak) => weak,
                None => tag,
            };
            let tag = tag
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(tag);
            if !tag.is_empty() {
                tags.push(tag.to_owned());
            }
        }
    }
    Some(Tags::List(tags))
}

/// What an `If-Match` or `If-None-Match` header lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tags {
    /// `*`: any current representation.
    Any,
    List(Vec<String>),
}

impl Tags {
    /// Whether the current representation, tagged `current` (`None`: there is none), matches.
    pub fn matches(&self, current: Option<&str>) -> bool {
        match (self, current) {
            (_, None) => false,
            (Tags::Any, Some(_)) => true,
            (Tags::List(tags), Some(current)) => tags.iter().any(|t| t == current),
        }
    }
}

/// 304 with the tag, for an `If-None-Match` that holds it.
pub fn not_modified(tag: &str) -> Response {
    (StatusCode::NOT_MODIFIED, [(header::ETAG, etag(tag))]).into_response()
}

/// A JSON body with an entity tag.
pub fn tagged_json<T: Serialize>(status: StatusCode, tag: &str, value: &T) -> Response {
    (status, [(header::ETAG, etag(tag))], Json(value)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_openapi_document_and_nothing_else() {
        let document = ApiDoc::openapi();
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in &document.paths.paths {
            let methods = [
                ("get", item.get.is_some()),
                ("put", item.put.is_some()),
                ("post", item.post.is_some()),
                ("delete", item.delete.is_some()),
                ("patch", item.patch.is_some()),
            ];
            for (method, present) in methods {
                if present {
                    documented.push((method.to_owned(), path.clone()));
                }
            }
        }
        let mut routed: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        // The page's own route, served by `page::routes()`.
        routed.push(("get".to_owned(), "/".to_owned()));
        documented.sort();
        routed.sort();
        assert_eq!(documented, routed);
    }

    #[test]
    fn conditional_headers_are_read_as_rfc_9110_says() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        let tags = listed_tags(&headers, header::IF_NONE_MATCH).unwrap();
        assert!(tags.matches(Some("a")) && tags.matches(Some("b")));
        assert!(!tags.matches(Some("c")) && !tags.matches(None));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert_eq!(listed_tags(&headers, header::IF_MATCH), Some(Tags::Any));
        assert_eq!(listed_tags(&HeaderMap::new(), header::IF_MATCH), None);
        // If-Match compares strongly: a weak tag matches nothing.
        headers.insert(header::IF_MATCH, HeaderValue::from_static("W/\"a\""));
        let strong = if_match_tags(&headers).unwrap();
        assert!(!strong.matches(Some("a")), "{strong:?}");
    }
}
