//! `chokepoint serve`: an HTTP JSON API over the same library calls as the CLI.
//!
//! | route | answers |
//! |---|---|
//! | `GET /api/health` | the store: path, creation time, sources (release, sha256), trade years, table row counts |
//! | `GET /api/countries` | ISO3 code and name of every country of the store (`countries` table) |
//! | `GET /api/groups` | country groups usable as importers (EU27, G7) and their members ([`dashboard::groups`]) |
//! | `GET /api/materials` | name, symbol, category, stage and HS6 codes of every material (`materials` table) |
//! | `GET/POST /api/dependency` | [`chokepoint_metrics::dependency::dependency`]: rows, totals, provenance, notices |
//! | `GET/POST /api/risk` | a risk method's rows (GeoPolRisk: [`chokepoint_metrics::geopolrisk::geopolrisk`]), notices, method info |
//! | `GET /api/history` | supplier shares per year of importers × materials, as the charts draw them ([`history`]) |
//! | `GET /api/openapi.json` | the OpenAPI 3.1 document, derived from the handlers and parameter types ([`ApiDoc`]) |
//! | `GET /`, `GET /assets/…` | the dashboard: the report's charts and the table for chosen importers, material, years ([`dashboard`]) |
//!
//! Errors are JSON `{"error": "...", "kind": "usage" | "not_found" | "too_large" | "internal"}`
//! with 400, 404, 413 and 500 ([`error::ApiError`]). Limits: [`params::MAX_IMPORTERS`],
//! [`params::MAX_ITEMS`], [`params::MAX_YEARS`], [`params::MAX_WATCH`], [`MAX_BODY_BYTES`].
//!
//! The store is opened once; every request gets its own DataFusion `SessionContext` over
//! the same table providers ([`AppState::session`]: the dependency queries register small
//! in-memory tables by name, which concurrent requests must not share). The query work runs
//! on the tokio runtime that serves the requests. A store swapped in by a later ingest is
//! seen after a restart.

pub mod dashboard;
pub mod error;
pub mod history;
pub mod params;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use datafusion::prelude::SessionContext;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use chokepoint_data::{Manifest, Store, session};
use chokepoint_metrics::dependency::query::text_rows;
use chokepoint_metrics::dependency::{DependencyRow, Provenance, UnitTotal, dependency};
use chokepoint_metrics::explain::Explanation;
use chokepoint_metrics::geopolrisk::{GeoPolRiskRow, geopolrisk};
use chokepoint_metrics::method::MethodInfo;
use chokepoint_model::hubs::HubList;
use chokepoint_model::importer::CountryGroups;

pub use error::{ApiError, ErrorBody, ErrorKind};
use params::{DependencyParams, RiskMethod, RiskParams};

/// Largest request body accepted (POST JSON), bytes; larger → 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// What every request shares: the store, a session with its tables registered, and the
/// reference lists read once at start.
pub struct AppState {
    store: Store,
    base: SessionContext,
    groups: CountryGroups,
    hubs: HubList,
    countries: Vec<Country>,
    materials: Vec<Material>,
    web: Arc<dashboard::WebFiles>,
}

impl AppState {
    /// Open the store of `data_dir` and read the country and material lists; the
    /// dashboard's web assets from `$CHOKEPOINT_WEB_ASSETS` or `~/.cache/chokepoint-web`.
    ///
    /// Errors: no store (run `chokepoint data setup`), unreadable tables.
    pub async fn open(data_dir: &Path) -> Result<Arc<AppState>, Box<dyn std::error::Error + Send + Sync>> {
        Self::open_with_web_assets(data_dir, None).await
    }

    /// As [`AppState::open`], with the web assets of `web_assets` when given
    /// ([`dashboard::WebFiles::load`]: missing assets are logged, not an error).
    pub async fn open_with_web_assets(
        data_dir: &Path,
        web_assets: Option<&Path>,
    ) -> Result<Arc<AppState>, Box<dyn std::error::Error + Send + Sync>> {
        let store = Store::open(data_dir)?;
        let base = session(&store).await?;
        let countries = text_rows(&base, "SELECT iso3, min(name) FROM countries GROUP BY iso3 ORDER BY iso3")
            .await?
            .into_iter()
            .map(|r| Country { iso3: r[0].clone().unwrap_or_default(), name: r[1].clone().unwrap_or_default() })
            .collect();
        let materials = text_rows(
            &base,
            "SELECT material, symbol, category, stage, array_to_string(hs6_main, ','), array_to_string(hs6_complementary, ',') \
             FROM materials ORDER BY material",
        )
        .await?
        .into_iter()
        .map(|r| {
            let codes = |i: usize| -> Vec<String> {
                r[i].as_deref().unwrap_or("").split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect()
            };
            Material {
                name: r[0].clone().unwrap_or_default(),
                symbol: r[1].clone(),
                category: r[2].clone(),
                stage: r[3].clone().filter(|s| !s.is_empty()),
                hs6_main: codes(4),
                hs6_complementary: codes(5),
            }
        })
        .collect();
        let web = Arc::new(dashboard::WebFiles::load(web_assets));
        Ok(Arc::new(AppState { store, base, groups: CountryGroups::builtin(), hubs: HubList::builtin(), countries, materials, web }))
    }

    /// A session of its own for one request, over the same table providers, configuration
    /// and runtime (file-metadata caches) as the base session: registering a table costs
    /// an `Arc` clone, no file is read.
    pub async fn session(&self) -> Result<SessionContext, ApiError> {
        let ctx = SessionContext::new_with_config_rt(self.base.copied_config(), self.base.runtime_env());
        let schema = self.base.catalog("datafusion").and_then(|c| c.schema("public"));
        let Some(schema) = schema else { return Err(ApiError::internal("the store's session has no public schema")) };
        for name in schema.table_names() {
            let table = schema.table(&name).await.map_err(|e| ApiError::internal(e.to_string()))?;
            if let Some(t) = table {
                ctx.register_table(name.as_str(), t).map_err(|e| ApiError::internal(e.to_string()))?;
            }
        }
        Ok(ctx)
    }

    pub fn manifest(&self) -> &Manifest {
        self.store.manifest()
    }
}

/// A country of the store.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Country {
    /// ISO 3166-1 alpha-3 (BACI's `S19` is `TWN`).
    pub iso3: String,
    /// Name as in BACI's country list.
    pub name: String,
}

/// A material of the store (World Mining Data `HS Code Map`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Material {
    pub name: String,
    pub symbol: Option<String>,
    pub category: Option<String>,
    /// Supply-chain stage of its HS6 codes (`Extraction`, `Processing`).
    pub stage: Option<String>,
    /// Main HS6 codes (HS92).
    pub hs6_main: Vec<String>,
    /// Complementary HS6 codes, summed with the main ones.
    pub hs6_complementary: Vec<String>,
}

/// A source of the store.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SourceSummary {
    pub id: String,
    pub name: String,
    pub release: String,
    pub sha256: String,
}

/// `/api/health`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The store directory read (resolved at start).
    pub store: String,
    /// When the store was written (manifest `created`).
    pub created: String,
    pub sources: Vec<SourceSummary>,
    /// First and last trade year.
    pub trade_years: Option<(i32, i32)>,
    /// Rows per table.
    pub tables: std::collections::BTreeMap<String, u64>,
    pub countries: usize,
    pub materials: usize,
}

/// `/api/dependency`: the result of `chokepoint dependency --format json` with totals,
/// provenance and notices.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DependencyResponse {
    /// One per importing unit × material (or HS6) × year, ranked per importer and year by HHI:
    /// `chokepoint_metrics::dependency::DependencyRow` (shares 0–1, values in USD, quantities
    /// in tonnes; fields as in `docs/methods.md` §1).
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<DependencyRow>,
    /// Per importer and year: all non-energy codes together (`UnitTotal`).
    #[schema(value_type = Vec<Object>)]
    pub totals: Vec<UnitTotal>,
    /// Method version, basis, thresholds, members per year, group and hub file versions,
    /// store sources with sha256, rules in words.
    #[schema(value_type = Object)]
    pub provenance: Provenance,
    /// Materials left out, units without imports, other things to know.
    pub notices: Vec<String>,
}

/// `/api/risk`: one method's rows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RiskResponse {
    pub method: RiskMethod,
    /// GeoPolRisk: `chokepoint_metrics::geopolrisk::GeoPolRiskRow` (score, CF in kg Cu-eq/kg,
    /// imports in tonnes, price in USD/t; `docs/methods.md` §2), ranked per importer and
    /// year, highest score first.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<GeoPolRiskRow>,
    pub notices: Vec<String>,
    /// Method id, version, parameters version, sources.
    #[schema(value_type = Object)]
    pub info: MethodInfo,
    /// One per row when `explain=true`: equation, terms with their source columns, tables.
    #[schema(value_type = Vec<Object>)]
    pub explanations: Vec<Explanation>,
}

/// The OpenAPI document, generated from the handlers below and the parameter types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "chokepoint API",
        description = "Dependencies on critical raw materials from CEPII BACI trade, World Mining Data production and WGI governance: the library calls of the `chokepoint` CLI over HTTP. Values in USD, quantities in tonnes, shares 0–1."
    ),
    paths(
        health,
        countries,
        materials,
        dependency_get,
        dependency_post,
        risk_get,
        risk_post,
        history::history_get,
        dashboard::groups,
        openapi_json
    ),
    components(schemas(
        ErrorBody,
        ErrorKind,
        Health,
        SourceSummary,
        Country,
        Material,
        DependencyParams,
        DependencyResponse,
        RiskParams,
        RiskResponse,
        history::HistoryParams,
        history::HistoryResponse,
        history::HistoryEntry,
        dashboard::GroupSummary,
        params::BasisParam,
        params::RiskMethod,
        params::ConventionParam
    ))
)]
pub struct ApiDoc;

/// The router over `state`: every route of the module docs, JSON 404 for others, and the
/// body limit.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(dashboard::routes())
        .route("/api/history", get(history::history_get))
        .route("/api/health", get(health))
        .route("/api/countries", get(countries))
        .route("/api/materials", get(materials))
        .route("/api/dependency", get(dependency_get).post(dependency_post))
        .route("/api/risk", get(risk_get).post(risk_post))
        .route("/api/openapi.json", get(openapi_json))
        .fallback(|| async { ApiError::not_found("no such route; the routes are listed at /api/openapi.json") })
        .layer(middleware::from_fn(body_limit))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// 413 for a declared `Content-Length` over [`MAX_BODY_BYTES`], before any handler reads
/// the body (a chunked body is cut at the same size by `DefaultBodyLimit` when read).
async fn body_limit(req: Request, next: Next) -> Response {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return ApiError::too_large(format!("the request body is over {MAX_BODY_BYTES} bytes")).into_response();
    }
    next.run(req).await
}

/// Serve on `bind` until Ctrl-C; the dashboard's web assets from `web_assets`, else
/// `$CHOKEPOINT_WEB_ASSETS`, else `~/.cache/chokepoint-web`.
///
/// Errors: the store cannot be opened, the address cannot be bound.
pub async fn serve(data_dir: &Path, bind: SocketAddr, web_assets: Option<&Path>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let state = AppState::open_with_web_assets(data_dir, web_assets).await?;
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let web = state.web.dir().map_or("none: no charts".into(), |d| d.display().to_string());
    tracing::warn!(
        "chokepoint API and dashboard on http://{} (store {}; web assets {web})",
        listener.local_addr()?,
        state.store.root().display()
    );
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// The store: sources, trade years, table sizes.
#[utoipa::path(get, path = "/api/health", responses((status = 200, body = Health)))]
async fn health(State(s): State<Arc<AppState>>) -> Json<Health> {
    let m = s.manifest();
    Json(Health {
        status: "ok".into(),
        store: s.store.root().display().to_string(),
        created: m.created.clone(),
        sources: m
            .sources
            .iter()
            .map(|x| SourceSummary { id: x.id.clone(), name: x.name.clone(), release: x.release.clone(), sha256: x.sha256.clone() })
            .collect(),
        trade_years: m.trade_year_range(),
        tables: m.tables.iter().map(|(k, v)| (k.clone(), v.rows)).collect(),
        countries: s.countries.len(),
        materials: s.materials.len(),
    })
}

/// Every country of the store, by ISO3.
#[utoipa::path(get, path = "/api/countries", responses((status = 200, body = Vec<Country>)))]
async fn countries(State(s): State<Arc<AppState>>) -> Json<Vec<Country>> {
    Json(s.countries.clone())
}

/// Every material of the store, by name.
#[utoipa::path(get, path = "/api/materials", responses((status = 200, body = Vec<Material>)))]
async fn materials(State(s): State<Arc<AppState>>) -> Json<Vec<Material>> {
    Json(s.materials.clone())
}

/// The dependency table (as `chokepoint dependency`), parameters in the query string.
#[utoipa::path(
    get,
    path = "/api/dependency",
    params(DependencyParams),
    responses(
        (status = 200, body = DependencyResponse),
        (status = 400, description = "malformed parameter, over a limit, unknown country, material, HS6 code or year", body = ErrorBody),
        (status = 404, description = "no trade matches", body = ErrorBody),
        (status = 500, description = "the query failed", body = ErrorBody),
    )
)]
async fn dependency_get(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<DependencyResponse>, ApiError> {
    let p = DependencyParams::from_pairs(&params::pairs(q.as_deref()))?;
    run_dependency(&s, &p).await
}

/// The dependency table, parameters as a JSON body (`material` an array).
#[utoipa::path(
    post,
    path = "/api/dependency",
    request_body = DependencyParams,
    responses(
        (status = 200, body = DependencyResponse),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, description = "body over 16 KiB", body = ErrorBody),
        (status = 500, body = ErrorBody),
    )
)]
async fn dependency_post(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DependencyResponse>, ApiError> {
    let p: DependencyParams = json_body(&headers, body)?;
    run_dependency(&s, &p).await
}

async fn run_dependency(s: &AppState, p: &DependencyParams) -> Result<Json<DependencyResponse>, ApiError> {
    let req = p.request(&s.groups, &s.hubs)?;
    let ctx = s.session().await?;
    let r = dependency(&ctx, s.manifest(), &req).await?;
    Ok(Json(DependencyResponse { rows: r.rows, totals: r.totals, provenance: r.provenance, notices: r.notices }))
}

/// Risk scores of one method (as `chokepoint risk --method …`), parameters in the query string.
#[utoipa::path(
    get,
    path = "/api/risk",
    params(RiskParams),
    responses(
        (status = 200, body = RiskResponse),
        (status = 400, description = "malformed parameter, over a limit, unknown country or material, year without production data", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 500, body = ErrorBody),
    )
)]
async fn risk_get(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<RiskResponse>, ApiError> {
    let p = RiskParams::from_pairs(&params::pairs(q.as_deref()))?;
    run_risk(&s, &p).await
}

/// Risk scores of one method, parameters as a JSON body (`material` an array).
#[utoipa::path(
    post,
    path = "/api/risk",
    request_body = RiskParams,
    responses(
        (status = 200, body = RiskResponse),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, description = "body over 16 KiB", body = ErrorBody),
        (status = 500, body = ErrorBody),
    )
)]
async fn risk_post(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RiskResponse>, ApiError> {
    let p: RiskParams = json_body(&headers, body)?;
    run_risk(&s, &p).await
}

async fn run_risk(s: &AppState, p: &RiskParams) -> Result<Json<RiskResponse>, ApiError> {
    match p.method.unwrap_or_default() {
        RiskMethod::Geopolrisk => {
            let req = p.geopolrisk_request(&s.groups)?;
            let ctx = s.session().await?;
            let r = geopolrisk(&ctx, s.manifest(), &req).await?;
            Ok(Json(RiskResponse {
                method: RiskMethod::Geopolrisk,
                rows: r.rows,
                notices: r.notices,
                info: r.info,
                explanations: r.explanations,
            }))
        }
    }
}

/// A JSON body of type `T`. Errors: 400 for a body that is not JSON of that shape (the
/// message says where), 413 for one over the limit (from `DefaultBodyLimit`, before this).
fn json_body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("the request body is over {MAX_BODY_BYTES} bytes"))
        } else {
            ApiError::usage(format!("the request body: {e}"))
        }
    })?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(ApiError::usage("POST a JSON body with Content-Type: application/json (or use GET with query parameters)"));
    }
    serde_json::from_slice(&body).map_err(|e| ApiError::usage(format!("the JSON body: {e}")))
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    (StatusCode::OK, Json(ApiDoc::openapi()))
}
