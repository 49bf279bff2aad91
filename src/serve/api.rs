//! The JSON endpoints of SPEC 12. Each calls what its CLI twin calls and answers the same view.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::{ApiError, AppState};
use crate::render::json;
use crate::survey;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v2/agents", get(agents))
}

#[derive(Serialize)]
pub struct Health {
    pub ok: bool,
}

/// `GET /healthz`: 200 `{"ok": true}` when the store answers.
async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .blocking(|ctx| {
            let workspace = ctx.workspace()?;
            ctx.open_store(&workspace)?;
            Ok(Json(Health { ok: true }))
        })
        .await
}

/// `GET /api/v2/agents`: `status --json`.
async fn agents(State(state): State<AppState>) -> Result<Json<json::Status>, ApiError> {
    state
        .blocking(|ctx| {
            let workspace = ctx.workspace()?;
            let store = ctx.open_store(&workspace)?;
            let agents = survey::states(&workspace, &store)?;
            Ok(Json(crate::commands::status::view(&agents)))
        })
        .await
}
