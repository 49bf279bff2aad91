//! `agentctl serve` (SPEC 12): one more front end over the same core as `src/commands/`.
//! Handlers call what the commands call and answer the same view structs `--json` prints.
//! The store is synchronous, so every store call runs in `spawn_blocking`.

pub mod api;
pub mod auth;
pub mod error;
pub mod heads;
pub mod page;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::cli::GlobalArgs;
use crate::commands::Context;
use crate::config::UserConfig;
use crate::error::{Error, Result};
use crate::store::{Location, Store};
use crate::ui::{ColorChoice, Ui};
use crate::workspace::Workspace;

pub use error::ApiError;

/// The largest request body accepted (SPEC 12: 413 above it).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// How long a request may take, its body included, beyond waiting for a lock (408 after). A
/// request waiting for the store or the workspace lock gets the lock timeout on top, so a busy
/// store answers 503 first: a 408 must never be sent for work that still goes on and records.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// For tests only, not a user's setting: milliseconds that replace [`REQUEST_TIMEOUT`], so a
/// test can see a 408, and that a lock wait still answers 503 first, without waiting 30 s.
pub const REQUEST_TIMEOUT_FOR_TESTS: &str = "AGENTCTL_SERVE_TEST_REQUEST_TIMEOUT_MS";
/// How long a client may take to send a request's headers, or keep an idle connection.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the requests in flight at SIGINT/SIGTERM may take to finish.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What `cmd_serve` hands the server.
pub struct Config {
    pub root: PathBuf,
    pub global: GlobalArgs,
    pub user: UserConfig,
    pub tokens: Option<auth::Tokens>,
    pub read_only: bool,
    /// Where the store is (for the kept production heads, [`heads::Heads`]).
    pub store: Location,
    /// [`REQUEST_TIMEOUT`], unless a test set [`REQUEST_TIMEOUT_FOR_TESTS`].
    pub request_timeout: Duration,
}

/// [`REQUEST_TIMEOUT`], or the test's [`REQUEST_TIMEOUT_FOR_TESTS`].
pub fn request_timeout() -> Result<Duration> {
    match std::env::var(REQUEST_TIMEOUT_FOR_TESTS) {
        Err(_) => Ok(REQUEST_TIMEOUT),
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| {
                Error::new(format!(
                    "{REQUEST_TIMEOUT_FOR_TESTS}={text} is not a number of milliseconds"
                ))
                .hint(format!(
                    "unset {REQUEST_TIMEOUT_FOR_TESTS}: it is for agentctl's tests"
                ))
            }),
    }
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    global: GlobalArgs,
    user: UserConfig,
    tokens: Option<auth::Tokens>,
    read_only: bool,
    request_timeout: Duration,
    /// The address bound: writes come only from its origin (`http://ADDR`).
    bound: SocketAddr,
    origin: String,
    /// Commands run for requests print nothing: the answer goes back over HTTP.
    ui: Ui,
    /// Stores kept open between read-only requests (see [`AppState::reading`]).
    stores: Mutex<Vec<Store>>,
    /// As many read-only requests at once as stores are kept: more would each open a store.
    readers: tokio::sync::Semaphore,
    /// Production configs as `export --format json` renders them, by change_track_id: a
    /// snapshot never changes, so neither does its rendering.
    rendered: Mutex<HashMap<String, axum::body::Bytes>>,
    /// Each agent's production, while the store is unchanged.
    heads: heads::Heads,
}

/// How many open stores are kept for reading, and so how many read-only requests run at once
/// (on a machine of a few cores, more would only queue for them).
const STORES_KEPT: usize = 16;
/// How many rendered snapshots are kept.
const RENDERED_KEPT: usize = 64;

impl AppState {
    pub fn root(&self) -> &std::path::Path {
        &self.inner.root
    }
    pub fn tokens(&self) -> Option<&auth::Tokens> {
        self.inner.tokens.as_ref()
    }
    pub fn read_only(&self) -> bool {
        self.inner.read_only
    }
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }
    pub fn bound(&self) -> SocketAddr {
        self.inner.bound
    }
    pub fn heads(&self) -> &heads::Heads {
        &self.inner.heads
    }

    /// Run `work` on the blocking pool with a command `Context` of its own (no colour, no
    /// pager, nothing printed): the same entry to the workspace and store as the CLI's.
    pub async fn blocking<T, F>(&self, work: F) -> std::result::Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Context) -> std::result::Result<T, ApiError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let ctx = Context {
                global: state.inner.global.clone(),
                ui: &state.inner.ui,
                user: state.inner.user.clone(),
            };
            work(&ctx)
        })
        .await
        .map_err(|e| ApiError::internal(format!("the request's worker stopped: {e}")))?
    }
}

impl AppState {
    /// Like [`AppState::blocking`] for a request that only reads: the store comes from a few
    /// kept open between requests (opening one costs more than most reads), and goes back
    /// after a success or a client's error. Writes open their own, as every command does.
    /// `E` is the API's error or the page's.
    pub async fn reading<T, E, F>(&self, work: F) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: Failure,
        F: FnOnce(&Context, &Workspace, &Store) -> std::result::Result<T, E> + Send + 'static,
    {
        let _permit = self
            .inner
            .readers
            .acquire()
            .await
            .map_err(|e| ApiError::internal(format!("the server is stopping: {e}")))?;
        let state = self.clone();
        self.blocking(move |ctx| Ok(state.with_kept_store(ctx, work)))
            .await?
    }

    /// `work` on a kept store (or a new one), which is kept afterwards if still sound.
    fn with_kept_store<T, E, F>(&self, ctx: &Context, work: F) -> std::result::Result<T, E>
    where
        E: Failure,
        F: FnOnce(&Context, &Workspace, &Store) -> std::result::Result<T, E>,
    {
        let workspace = ctx.workspace()?;
        let kept = self.inner.stores.lock().ok().and_then(|mut s| s.pop());
        let store = match kept {
            Some(mut store) => {
                store.refresh();
                store
            }
            None => ctx.open_store(&workspace)?,
        };
        let result = work(ctx, &workspace, &store);
        let sound = match &result {
            Ok(_) => true,
            Err(error) => error.status().is_client_error(),
        };
        // A --store file that does not exist yet is read as an empty store in memory: the
        // first publish creates the file, so that one is never kept.
        let real = match ctx.store_location(&workspace) {
            Location::File(path) => path.exists(),
            Location::Url(_) => true,
        };
        if sound
            && real
            && let Ok(mut stores) = self.inner.stores.lock()
            && stores.len() < STORES_KEPT
        {
            stores.push(store);
        }
        result
    }

    /// The rendering of a snapshot if it was made already.
    pub fn kept_rendering(&self, change_track_id: &str) -> Option<axum::body::Bytes> {
        self.inner
            .rendered
            .lock()
            .ok()
            .and_then(|cache| cache.get(change_track_id).cloned())
    }

    /// The rendering of a snapshot, made once by `render`.
    pub fn rendered(
        &self,
        change_track_id: &str,
        render: impl FnOnce() -> std::result::Result<String, ApiError>,
    ) -> std::result::Result<axum::body::Bytes, ApiError> {
        if let Some(bytes) = self.kept_rendering(change_track_id) {
            return Ok(bytes);
        }
        let bytes = axum::body::Bytes::from(render()?);
        if let Ok(mut cache) = self.inner.rendered.lock() {
            if cache.len() >= RENDERED_KEPT {
                cache.clear();
            }
            cache.insert(change_track_id.to_owned(), bytes.clone());
        }
        Ok(bytes)
    }
}

/// A request's failure, the API's or the page's: its status says whether the store it
/// happened on may be kept (a client's error) or not.
pub trait Failure: From<ApiError> + From<Error> + Send + 'static {
    fn status(&self) -> axum::http::StatusCode;
}

impl Failure for ApiError {
    fn status(&self) -> axum::http::StatusCode {
        self.status
    }
}

impl Failure for page::PageError {
    fn status(&self) -> axum::http::StatusCode {
        self.status
    }
}

/// The whole service: `/api`, `/openapi.json`, `/healthz` and the page.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(page::routes())
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer({
            let limit = state.inner.request_timeout
                + state
                    .inner
                    .global
                    .lock_timeout
                    .unwrap_or(crate::store::DEFAULT_LOCK_TIMEOUT);
            axum::middleware::from_fn(move |request, next| time_limit(limit, request, next))
        })
        // The request log: one line per request on stderr, at info, with the method, the path
        // (without the query), the status and how long it took. Never a header, so never the
        // token, and never a body. Outermost, so the guard's and the limits' answers are
        // logged too.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<axum::body::Body>| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                    )
                })
                .on_request(())
                .on_response(
                    |response: &axum::http::Response<axum::body::Body>,
                     latency: Duration,
                     _: &tracing::Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            latency = %format!("{:.2}ms", latency.as_secs_f64() * 1000.0),
                            "answered"
                        );
                    },
                )
                .on_body_chunk(())
                .on_eos(())
                // A 5xx is already on its line; no second one.
                .on_failure(()),
        )
        .with_state(state)
}

/// A request not answered within `limit` (a client too slow to send its body) is 408 with the
/// error document every other failure has, and the connection is closed after it: the rest of
/// the body may still be on its way. So is the connection after any refusal of a request
/// with a body.
async fn time_limit(
    limit: Duration,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    let has_body = request.headers().contains_key(header::TRANSFER_ENCODING)
        || request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length != "0");
    let mut response = match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => axum::response::IntoResponse::into_response(
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request took longer than {} (waiting for a lock included)",
                    crate::store::show_duration(limit)
                ),
            )
            .hint("send the whole request at once; a busy store answers 503 first"),
        ),
    };
    // An answer that refuses a request may leave its body unread (the guard, the body limit,
    // a handler refusing before it reads): the connection is closed after it, so a client
    // reusing it does not send its next request into those bytes or find it cut off.
    let status = response.status();
    if status == StatusCode::REQUEST_TIMEOUT
        || (has_body && (status.is_client_error() || status.is_server_error()))
    {
        response.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// `AGENTCTL_SERVE_LOG`: how much the server logs on stderr, `info` (one line per request,
/// the default) or `off`, `error`, `warn`, `debug`, `trace`.
pub const LOG: &str = "AGENTCTL_SERVE_LOG";

/// Send the server's log (the request log) to stderr at the level `AGENTCTL_SERVE_LOG` names.
pub fn start_log() -> Result<()> {
    let level = match std::env::var(LOG) {
        Err(_) => tracing_subscriber::filter::LevelFilter::INFO,
        Ok(text) => text.trim().parse().map_err(|_| {
            Error::new(format!("{LOG}={text} is not a log level"))
                .hint("give off, error, warn, info (the default), debug or trace")
        })?,
    };
    // Only this process's first server sets it; a second call (tests) keeps the first.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false)
        .compact()
        .try_init();
    Ok(())
}

/// Bind, say where on stderr, serve until SIGINT/SIGTERM, then finish the requests in flight.
pub async fn run(config: Config, listen: SocketAddr, ui: &Ui) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        Error::new(format!("cannot listen on {listen}: {e}"))
            .hint("pick another address with --listen, or port 0 for a free one")
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::new(format!("cannot read the address bound: {e}")))?;
    let state = AppState {
        inner: Arc::new(Inner {
            root: config.root,
            global: config.global,
            user: config.user,
            tokens: config.tokens,
            read_only: config.read_only,
            request_timeout: config.request_timeout,
            bound,
            origin: format!("http://{bound}"),
            ui: Ui::new(Some(ColorChoice::Never), None)
                .without_pager()
                .quiet(),
            stores: Mutex::new(Vec::new()),
            readers: tokio::sync::Semaphore::new(STORES_KEPT),
            rendered: Mutex::new(HashMap::new()),
            heads: heads::Heads::new(&config.store),
        }),
    };
    ui.note(&format!("Listening on http://{bound}"));
    serve(listener, router(state.clone())).await;
    // The stores kept for reading are closed off the runtime: the `postgres` crate's client
    // runs a runtime of its own to close, which must not start inside this one.
    let stores = state
        .inner
        .stores
        .lock()
        .map(|mut stores| std::mem::take(&mut *stores))
        .unwrap_or_default();
    let heads = state.clone();
    let _ = tokio::task::spawn_blocking(move || {
        drop(stores);
        heads.heads().close();
    })
    .await;
    Ok(())
}

/// Accept connections until SIGINT/SIGTERM, then stop accepting and let the requests in
/// flight finish (for at most [`DRAIN_TIMEOUT`]). Each connection is HTTP/1.1 with a timeout
/// on reading a request's headers, so a client that connects and says nothing, or sends its
/// headers a byte at a time, is cut off rather than holding a connection for ever.
async fn serve(listener: tokio::net::TcpListener, app: Router) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    // Out of file descriptors and the like: wait, rather than spin.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
}

/// SIGINT or SIGTERM.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
