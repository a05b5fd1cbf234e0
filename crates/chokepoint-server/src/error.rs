//! The API's error: an HTTP status and a JSON body `{"error": "...", "kind": "..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use chokepoint_metrics::dependency::DependencyError;

/// What went wrong, for clients that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 400: a parameter is malformed, over a limit, or contradicted by the data (unknown
    /// ISO3 code, material or HS6 code, year outside the data).
    Usage,
    /// 404: the request is valid but no trade matches it; or no such route.
    NotFound,
    /// 413: the request body is larger than [`crate::MAX_BODY_BYTES`].
    TooLarge,
    /// 500: the query engine failed (the message says how).
    Internal,
}

/// The body of every 4xx/5xx answer of `/api/*`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong and, where it applies, what to write instead.
    pub error: String,
    pub kind: ErrorKind,
}

/// An error answer: status and body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    /// 400 `usage`.
    pub fn usage(msg: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, body: ErrorBody { error: msg.into(), kind: ErrorKind::Usage } }
    }

    /// 404 `not_found`.
    pub fn not_found(msg: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::NOT_FOUND, body: ErrorBody { error: msg.into(), kind: ErrorKind::NotFound } }
    }

    /// 413 `too_large`.
    pub fn too_large(msg: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::PAYLOAD_TOO_LARGE, body: ErrorBody { error: msg.into(), kind: ErrorKind::TooLarge } }
    }

    /// 500 `internal`.
    pub fn internal(msg: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, body: ErrorBody { error: msg.into(), kind: ErrorKind::Internal } }
    }
}

/// `Usage` → 400, `Empty` → 404, query-engine errors → 500 (as the CLI's exit codes 2 and 1).
impl From<DependencyError> for ApiError {
    fn from(e: DependencyError) -> ApiError {
        match e {
            DependencyError::Usage(m) => ApiError::usage(m),
            DependencyError::Empty(m) => ApiError::not_found(m),
            other => {
                tracing::error!("query failed: {other}");
                ApiError::internal(format!("the query failed: {other}"))
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
