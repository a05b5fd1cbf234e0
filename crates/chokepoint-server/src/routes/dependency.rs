//! `/api/dependency`: the dependency table of `chokepoint dependency`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use chokepoint_metrics::dependency::{DependencyRow, Provenance, UnitTotal, dependency as run_dependency};

use crate::input::Input;
use crate::params::DependencyParams;
use crate::{ApiError, AppState, ErrorBody};

/// `/api/dependency`: the result of `chokepoint dependency --format json` with totals,
/// provenance and notices.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DependencyResponse {
    /// One per importing unit × material (or HS6) × year, ranked per importer and year by HHI:
    /// `chokepoint_metrics::dependency::DependencyRow` (shares 0–1, values in USD, quantities
    /// in tonnes; fields as in `docs/methods.md` §1).
    pub rows: Vec<DependencyRow>,
    /// Per importer and year: all non-energy codes together (`UnitTotal`).
    pub totals: Vec<UnitTotal>,
    /// Method version, basis, thresholds, members per year, group and hub file versions,
    /// store sources with sha256, rules in words.
    pub provenance: Provenance,
    /// Materials left out, units without imports, other things to know.
    pub notices: Vec<String>,
}

/// The dependency table (as `chokepoint dependency`): GET with the parameters in the query
/// string, or POST with them as a JSON body (`material` an array).
#[utoipa::path(
    method(get, post),
    path = "/api/dependency",
    params(DependencyParams),
    request_body(content = DependencyParams, description = "POST: the parameters as JSON", content_type = "application/json"),
    responses(
        (status = 200, body = DependencyResponse),
        (status = 400, description = "malformed parameter, over a limit, unknown country, material, HS6 code or year", body = ErrorBody),
        (status = 404, description = "no trade matches", body = ErrorBody),
        (status = 413, description = "body over 16 KiB", body = ErrorBody),
        (status = 500, description = "the query failed", body = ErrorBody),
    )
)]
pub async fn dependency(State(s): State<Arc<AppState>>, Input(p): Input<DependencyParams>) -> Result<Json<DependencyResponse>, ApiError> {
    let req = p.request(&s.groups, &s.hubs)?;
    let ctx = s.session().await?;
    let r = run_dependency(&ctx, s.manifest(), &req).await?;
    Ok(Json(DependencyResponse { rows: r.rows, totals: r.totals, provenance: r.provenance, notices: r.notices }))
}
