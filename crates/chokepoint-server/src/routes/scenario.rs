//! `/api/scenarios` and `/api/scenario`: the disruption scenarios of `chokepoint scenario
//! list|run` ([`chokepoint_scenario`]), the shipped examples by name or a TOML file as body.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use serde::Serialize;
use utoipa::ToSchema;

use chokepoint_scenario::examples::{self, EXAMPLES};
use chokepoint_scenario::{Scenario, ScenarioParams, ScenarioRequest, ScenarioResult, run_scenario};

use crate::input::body_error;
use crate::params::{ScenarioQuery, pairs};
use crate::{ApiError, AppState, ErrorBody};

/// A shipped scenario (`scenarios/NAME.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ScenarioSummary {
    /// The name to give to `/api/scenario?name=`.
    pub name: String,
    pub title: String,
    /// `historical` or `hypothetical`.
    pub kind: String,
    /// The measure it models (regulation, announcement) or its assumption.
    pub source: String,
    pub description: Option<String>,
}

/// The example scenarios shipped with chokepoint (`chokepoint scenario list`).
#[utoipa::path(get, path = "/api/scenarios", responses((status = 200, body = Vec<ScenarioSummary>), (status = 500, body = ErrorBody)))]
pub async fn scenarios() -> Result<Json<Vec<ScenarioSummary>>, ApiError> {
    let mut out = Vec::new();
    for (name, _) in EXAMPLES {
        let s = examples::example(name).expect("a shipped name")?;
        out.push(ScenarioSummary { name: (*name).to_owned(), title: s.title, kind: s.kind, source: s.source, description: s.description });
    }
    Ok(Json(out))
}

/// Run a shipped scenario by `name` (as `chokepoint scenario run NAME --format json`: an
/// array of one result).
#[utoipa::path(
    get,
    path = "/api/scenario",
    params(ScenarioQuery),
    responses(
        (status = 200, description = "as `chokepoint scenario run NAME --format json`", body = Vec<ScenarioResult>),
        (status = 400, description = "no name, malformed parameter, unknown importer, draws over 10,000", body = ErrorBody),
        (status = 404, description = "no shipped scenario of that name; no trade matches", body = ErrorBody),
        (status = 500, body = ErrorBody),
    )
)]
pub async fn scenario_get(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<Vec<ScenarioResult>>, ApiError> {
    let q = ScenarioQuery::from_pairs(&pairs(q.as_deref()))?;
    let Some(name) = q.name.as_deref() else {
        return Err(ApiError::usage(format!("name: which scenario? One of {} (/api/scenarios)", examples::names())));
    };
    let Some(scenario) = examples::example(name) else {
        return Err(ApiError::not_found(format!("no shipped scenario {name:?}; the shipped ones: {}", examples::names())));
    };
    run(&s, scenario?, &q).await
}

/// Run the scenario file of the body (TOML, the shape of `scenarios/*.toml`; at most
/// 16 KiB); `importer`, `draws` and `seed` in the query string.
#[utoipa::path(
    post,
    path = "/api/scenario",
    params(ScenarioQuery),
    request_body(content = String, description = "a scenario file (TOML), as in scenarios/", content_type = "application/toml"),
    responses(
        (status = 200, description = "as `chokepoint scenario run FILE --format json`", body = Vec<ScenarioResult>),
        (status = 400, description = "malformed parameter, body not UTF-8, unknown importer, draws over 10,000", body = ErrorBody),
        (status = 404, description = "no trade matches", body = ErrorBody),
        (status = 413, description = "body over 16 KiB", body = ErrorBody),
        (status = 422, description = "the file does not parse or check: `line` and `field` say where", body = ErrorBody),
        (status = 500, body = ErrorBody),
    )
)]
pub async fn scenario_post(
    State(s): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Vec<ScenarioResult>>, ApiError> {
    let q = ScenarioQuery::from_pairs(&pairs(q.as_deref()))?;
    if q.name.is_some() {
        return Err(ApiError::usage("name runs a shipped scenario with GET; POST sends the scenario file as the body"));
    }
    let body = body.map_err(|e| body_error(e.status(), e))?;
    let text = std::str::from_utf8(&body).map_err(|e| ApiError::usage(format!("the request body is not UTF-8 text: {e}")))?;
    run(&s, Scenario::parse(text, "request body")?, &q).await
}

/// Run `scenario` with the query's importers and Monte Carlo settings and the shipped
/// parameters (`params/scenario.toml`).
async fn run(s: &AppState, scenario: Scenario, q: &ScenarioQuery) -> Result<Json<Vec<ScenarioResult>>, ApiError> {
    q.check_draws(if scenario.probability.enabled { scenario.probability.draws } else { None })?;
    let importers = q.importers(&s.groups)?;
    let params = ScenarioParams::builtin();
    let monte_carlo = ScenarioRequest::monte_carlo_options(&scenario, &params, q.draws, q.seed, false);
    let req = ScenarioRequest { scenario, monte_carlo, importers, groups: s.groups.clone(), params };
    let ctx = s.session().await?;
    let result = run_scenario(&ctx, s.manifest(), &req).await?;
    Ok(Json(vec![result]))
}
