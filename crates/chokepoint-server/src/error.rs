//! The API's error: an HTTP status and a JSON body `{"error": "...", "kind": "..."}`, with
//! `file`, `line` and `field` for a scenario file that does not check.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use chokepoint_metrics::dependency::DependencyError;
use chokepoint_scenario::ScenarioError;

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
    /// 422: a scenario file (TOML) that does not parse or names what the store lacks; the
    /// body has the `line` and `field`.
    InvalidScenario,
    /// 500: the query engine failed (the message says how).
    Internal,
}

/// The body of every 4xx/5xx answer of `/api/*`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong and, where it applies, what to write instead.
    pub error: String,
    pub kind: ErrorKind,
    /// Scenario errors: the file (`scenarios/NAME.toml`, or `request body`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Scenario errors: the 1-based line of the TOML (0 when the parser gives none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Scenario errors: the dotted field, e.g. `shock.fraction`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error answer: status and body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    fn new(status: StatusCode, kind: ErrorKind, msg: impl Into<String>) -> ApiError {
        ApiError { status, body: ErrorBody { error: msg.into(), kind, file: None, line: None, field: None } }
    }

    /// 400 `usage`.
    pub fn usage(msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorKind::Usage, msg)
    }

    /// 404 `not_found`.
    pub fn not_found(msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorKind::NotFound, msg)
    }

    /// 413 `too_large`.
    pub fn too_large(msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorKind::TooLarge, msg)
    }

    /// 500 `internal`.
    pub fn internal(msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Internal, msg)
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

/// A scenario file's error ([`ScenarioError::File`]) → 422 `invalid_scenario` with file,
/// line and field; other usage errors → 400, no trade → 404, query errors → 500.
impl From<ScenarioError> for ApiError {
    fn from(e: ScenarioError) -> ApiError {
        match e {
            ScenarioError::File { ref file, line, ref field, .. } => {
                let mut a = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorKind::InvalidScenario, e.to_string());
                a.body.file = Some(file.clone());
                a.body.line = Some(line);
                a.body.field = Some(field.clone());
                a
            }
            ScenarioError::Data(d) => d.into(),
            other if other.is_usage() => ApiError::usage(other.to_string()),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
