//! `agentctl serve` (SPEC 12): one more front end over the same core as `src/commands/`.
//! Handlers call what the commands call and answer the same view structs `--json` prints.
//! The store is synchronous, so every store call runs in `spawn_blocking`.

pub mod api;
pub mod auth;
pub mod error;
pub mod page;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::cli::GlobalArgs;
use crate::commands::Context;
use crate::config::UserConfig;
use crate::error::{Error, Result};
use crate::ui::{ColorChoice, Ui};

pub use error::ApiError;

/// The largest request body accepted (SPEC 12: 413 above it).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// How long a client may take to send its request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What `cmd_serve` hands the server.
pub struct Config {
    pub root: PathBuf,
    pub global: GlobalArgs,
    pub user: UserConfig,
    pub tokens: Option<auth::Tokens>,
    pub read_only: bool,
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
    /// The address bound: writes come only from its origin (`http://ADDR`).
    bound: SocketAddr,
    origin: String,
    /// Commands run for requests print nothing: the answer goes back over HTTP.
    ui: Ui,
}

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
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
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
            bound,
            origin: format!("http://{bound}"),
            ui: Ui::new(Some(ColorChoice::Never), None)
                .without_pager()
                .quiet(),
        }),
    };
    ui.note(&format!("Listening on http://{bound}"));
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| Error::new(format!("the server stopped: {e}")))
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
