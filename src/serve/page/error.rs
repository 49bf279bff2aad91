//! The page's errors: an HTML page with the status the error's kind means, never a 500 for
//! what a client sent (SPEC 12): the core says which errors are the client's (a bad id or REF,
//! an unknown agent, an invalid file) and which are the server's own.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::super::ApiError;
use super::super::error::status_of;
use crate::error::Error;
use crate::render::html;

#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    /// Boxed, as is the page: results stay small on the happy path.
    pub error: Box<Error>,
    /// A whole page (title, content) to show instead of the bare error, e.g. a revert preview
    /// whose conflicts refused the revert.
    pub page: Option<Box<(String, maud::Markup)>>,
}

pub type PageResult<T> = std::result::Result<T, PageError>;

impl PageError {
    pub fn new(status: StatusCode, error: Error) -> PageError {
        PageError {
            status,
            error: Box::new(error),
            page: None,
        }
    }

    /// `content` under `title`, with `status`; `error` is what it is about.
    pub fn page(
        status: StatusCode,
        error: Error,
        title: String,
        content: maud::Markup,
    ) -> PageError {
        PageError {
            status,
            error: Box::new(error),
            page: Some(Box::new((title, content))),
        }
    }

    /// A core error, with the status its kind means (as the JSON API answers it).
    pub fn core(error: Error) -> PageError {
        PageError::new(status_of(error.kind), error)
    }
}

impl From<Error> for PageError {
    fn from(error: Error) -> PageError {
        PageError::core(error)
    }
}

/// The blocking pool's own failure (a worker that stopped).
impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        PageError {
            status: error.status,
            error: error.error,
            page: None,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = format!(
            "{} {}",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or("Error")
        );
        let page = match self.page.map(|page| *page) {
            Some((title, content)) => html::document(&title, content),
            None => html::error_page(&status, &self.error),
        };
        (self.status, Html(page.into_string())).into_response()
    }
}
