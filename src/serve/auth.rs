//! Who may call the API (SPEC 12): bearer tokens compared in constant time, `--read-only`,
//! and writes only from the server's own origin (no CORS).

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};
use crate::error::{Error, Result};

/// One accepted token: `NAME:SECRET` in the token file names its holder (the author of an API
/// publish); a line without `:` is an unnamed secret.
#[derive(Debug, Clone)]
pub struct Token {
    pub name: Option<String>,
    digest: [u8; 32],
}

#[derive(Debug, Clone)]
pub struct Tokens(Vec<Token>);

/// The holder of the request's token, for handlers (the author of a publish).
#[derive(Debug, Clone)]
pub struct Caller(pub Option<String>);

impl Tokens {
    /// `--token-file`, else `AGENTCTL_SERVE_TOKEN`; `None` when neither is given.
    pub fn load(file: Option<&Path>) -> Result<Option<Tokens>> {
        let text = match file {
            Some(path) => std::fs::read_to_string(path).map_err(|e| {
                Error::new(format!(
                    "cannot read the token file {}: {e}",
                    path.display()
                ))
                .hint("give a readable file with one NAME:SECRET per line")
            })?,
            None => match std::env::var("AGENTCTL_SERVE_TOKEN") {
                Ok(value) if !value.trim().is_empty() => value,
                _ => return Ok(None),
            },
        };
        let tokens: Vec<Token> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| match line.split_once(':') {
                Some((name, secret)) if !name.trim().is_empty() && !secret.is_empty() => Token {
                    name: Some(name.trim().to_owned()),
                    digest: digest(secret),
                },
                _ => Token {
                    name: None,
                    digest: digest(line),
                },
            })
            .collect();
        if tokens.is_empty() {
            let place = file.map_or("AGENTCTL_SERVE_TOKEN".to_owned(), |p| {
                p.display().to_string()
            });
            return Err(Error::new(format!("{place} holds no token"))
                .hint("write one NAME:SECRET per line"));
        }
        Ok(Some(Tokens(tokens)))
    }

    /// The token matching `presented`, comparing every token's digest in full so the time
    /// taken says nothing about how much of a secret was right.
    fn check(&self, presented: &str) -> Option<&Token> {
        let presented = digest(presented);
        let mut found = None;
        for token in &self.0 {
            let difference = token
                .digest
                .iter()
                .zip(presented.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if difference == 0 {
                found = Some(token);
            }
        }
        found
    }
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Authentication, `--read-only` and the origin check, before any handler runs. The token is
/// checked first, so that nobody without one learns anything, not even that a server is
/// read-only. With a token, the review page needs it too (it shows every agent's changes and
/// history); only `/healthz` and `/openapi.json` stay open, for probes and client generators.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let mut caller = Caller(None);
    if let Some(tokens) = state.tokens()
        && !matches!(request.uri().path(), "/healthz" | "/openapi.json")
    {
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer);
        match presented.and_then(|p| tokens.check(p)) {
            Some(token) => caller = Caller(token.name.clone()),
            None => {
                let mut response = ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    match presented {
                        Some(_) => "the token is not one this server accepts",
                        None => "this server needs a token",
                    },
                )
                .hint(
                    "send Authorization: Bearer <token> with a token from the server's token file",
                )
                .into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"agentctl\""),
                );
                return response;
            }
        }
    }
    let write = is_write(request.method());
    if write
        && let Some(origin) = request.headers().get(header::ORIGIN)
        && !own_origin(&state, &request, origin.as_bytes())
    {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "a write from the origin {} is refused; only {} may write",
                String::from_utf8_lossy(origin.as_bytes()),
                state.origin()
            ),
        )
        .hint("call the API from a program, or use the review page this server serves")
        .into_response();
    }
    if write && state.read_only() {
        let mut response = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "this server is read-only (--read-only): it answers no writes",
        )
        .hint("start `agentctl serve` without --read-only to publish, roll back or edit staging")
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Whether a browser's `Origin` is this server: the address it is bound to, `localhost` with
/// its port on a loopback address, or the `Host` the request was sent to when that is an IP
/// address (a DNS name could be rebound to this machine by a page elsewhere).
fn own_origin(state: &AppState, request: &Request, origin: &[u8]) -> bool {
    let Some(origin) = std::str::from_utf8(origin)
        .ok()
        .and_then(|o| o.strip_prefix("http://"))
    else {
        return false;
    };
    let bound = state.bound();
    if origin == bound.to_string()
        || (bound.ip().is_loopback() && origin == format!("localhost:{}", bound.port()))
    {
        return true;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    host == origin && host.parse::<std::net::SocketAddr>().is_ok()
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 7235).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
