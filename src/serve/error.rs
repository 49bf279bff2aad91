//! The API's one error document: `{"error": {"code", "message", "hint"?}}` (SPEC 12).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::Error;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

#[derive(Serialize)]
struct Document<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> ApiError {
        self.hint = Some(hint.into());
        self
    }

    /// Something went wrong on the server's side, never because of what a client sent.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// A core error with the status the caller knows it means.
    pub fn from_core(status: StatusCode, code: &'static str, error: Error) -> ApiError {
        let message = match &error.location {
            Some(location) => format!("{location}: {}", error.message),
            None => error.message.clone(),
        };
        ApiError {
            status,
            code,
            message,
            hint: error.hints.first().cloned(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        ApiError::from_core(StatusCode::INTERNAL_SERVER_ERROR, "internal", error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let document = Document {
            error: Body {
                code: self.code,
                message: &self.message,
                hint: self.hint.as_deref(),
            },
        };
        (self.status, Json(document)).into_response()
    }
}
