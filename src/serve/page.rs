//! The review page at `/` (SPEC 12). A minimal list of agents so the router is whole; the
//! review page proper is built on top of it.

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

use super::{ApiError, AppState};
use crate::survey;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(index))
}

async fn index(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    state
        .blocking(|ctx| {
            let workspace = ctx.workspace()?;
            let store = ctx.open_store(&workspace)?;
            let agents = survey::states(&workspace, &store)?;
            let mut rows = String::new();
            for agent in &agents {
                rows.push_str(&format!(
                    "<li>{} — {}</li>\n",
                    escape(&agent.agent),
                    agent.state.as_str()
                ));
            }
            Ok(Html(format!(
                "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>agentctl</title></head>\n<body><h1>Agents</h1>\n<ul>\n{rows}</ul></body></html>\n"
            )))
        })
        .await
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
