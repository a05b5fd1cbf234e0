//! The request's parameters, one extractor for both ways of sending them: [`Input`] reads a
//! GET's query string and a POST's JSON body into the same parameter type, so that each
//! route has one handler for both methods.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};

use crate::MAX_BODY_BYTES;
use crate::error::ApiError;
use crate::params::{FromPairs, pairs};

/// Parameters of type `P`: from the query string of a GET (or HEAD), from the JSON body of
/// any other method.
///
/// Errors (as the handler's answer): 400 for a malformed parameter or body, or a POST
/// without `Content-Type: application/json`; 413 for a body over [`MAX_BODY_BYTES`].
#[derive(Debug, Clone)]
pub struct Input<P>(pub P);

impl<P: FromPairs + Send, S: Send + Sync> FromRequest<S> for Input<P> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            return P::from_pairs(&pairs(req.uri().query())).map(Input);
        }
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state).await.map_err(|e| body_error(e.status(), e))?;
        json_body(&headers, &body).map(Input)
    }
}

/// A body that could not be read: 413 when it is over the limit (`DefaultBodyLimit`), 400 otherwise.
pub fn body_error(status: StatusCode, e: impl std::fmt::Display) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(format!("the request body is over {MAX_BODY_BYTES} bytes"))
    } else {
        ApiError::usage(format!("the request body: {e}"))
    }
}

/// A JSON body of type `T`. Errors (400): no JSON content type, or a body that is not JSON
/// of that shape (the message says where).
fn json_body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(ApiError::usage("POST a JSON body with Content-Type: application/json (or use GET with query parameters)"));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::usage(format!("the JSON body: {e}")))
}
