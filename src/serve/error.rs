//! The API's one error document (SPEC 12): `{"error": {"code", "message", "hint"?, "file"?,
//! "line"?, "column"?}}`, the same [`ErrorBody`] every failing `--json` command prints, with the
//! HTTP status as `code`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{Error, ErrorBody, ErrorKind};

/// A failed request: its status and the error it reports.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: results carrying it stay small.
    pub error: Box<Error>,
}

/// The status each kind of core failure answers (SPEC 12).
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Usage => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Mismatch => StatusCode::PRECONDITION_FAILED,
        ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Failure => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error: Box::new(Error::new(message)),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> ApiError {
        self.error = Box::new(self.error.hint(hint));
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// Something went wrong on the server's side, never because of what a client sent.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        ApiError {
            status: status_of(error.kind),
            error: Box::new(error),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body: ErrorBody = self.error.body(self.status.as_u16());
        (self.status, Json(body)).into_response()
    }
}
