//! `chokepoint serve`: an HTTP JSON API over the same library calls as the CLI.
//!
//! | route | answers | module |
//! |---|---|---|
//! | `GET /api/health` | the store: path, creation time, sources (release, sha256), trade years, table row counts | [`routes::meta`] |
//! | `GET /api/countries` | ISO3 code and name of every country of the store (`countries` table) | [`routes::meta`] |
//! | `GET /api/materials` | name, symbol, category, stage and HS6 codes of every material (`materials` table) | [`routes::meta`] |
//! | `GET/POST /api/dependency` | [`chokepoint_metrics::dependency::dependency`]: rows, totals, provenance, notices (`chokepoint dependency`) | [`routes::dependency`] |
//! | `GET/POST /api/risk` | [`chokepoint_metrics::risk`]: each method's rows, with several the side-by-side rows (`chokepoint risk`) | [`routes::risk`] |
//! | `GET /api/scenarios` | the example scenarios shipped in `scenarios/`: name, title, kind, source, description | [`routes::scenario`] |
//! | `GET /api/scenario?name=…` | runs a shipped scenario (`chokepoint scenario run NAME --format json`) | [`routes::scenario`] |
//! | `POST /api/scenario` | runs the scenario file (TOML) of the body | [`routes::scenario`] |
//! | `GET /api/openapi.json` | the OpenAPI 3.1 document, derived from the handlers, parameter and row types ([`ApiDoc`]) | [`routes::meta`] |
//! | `GET /api/groups` | country groups usable as importers (EU27, G7) and their members | [`dashboard::groups`] |
//! | `GET /api/history` | supplier shares per year of importers × materials, as the charts draw them | [`history`] |
//! | `GET /`, `GET /assets/…` | the dashboard: the report's charts and the table for chosen importers, material, years | [`dashboard`] |
//!
//! GET takes the parameters in the query string, POST (dependency, risk) the same as a JSON
//! body ([`input::Input`]). Errors are JSON `{"error": "...", "kind": "usage" | "not_found" |
//! "too_large" | "invalid_scenario" | "internal"}` with 400, 404, 413, 422 (a scenario file
//! that does not check: with `file`, `line`, `field`) and 500 ([`error::ApiError`]). Limits:
//! [`params::MAX_IMPORTERS`], [`params::MAX_ITEMS`], [`params::MAX_YEARS`],
//! [`params::MAX_WATCH`], [`params::MAX_DRAWS`], [`MAX_BODY_BYTES`].
//!
//! The store is opened once; every request gets its own DataFusion `SessionContext` over
//! the same table providers ([`AppState::session`]: the dependency queries register small
//! in-memory tables by name, which concurrent requests must not share). The query work runs
//! on the tokio runtime that serves the requests (a scenario's Monte Carlo too, capped by
//! [`params::MAX_DRAWS`]). A store swapped in by a later ingest is seen after a restart.

pub mod dashboard;
pub mod error;
pub mod history;
pub mod input;
pub mod params;
pub mod routes;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use datafusion::prelude::SessionContext;
use utoipa::OpenApi;

use chokepoint_data::{Manifest, Store, session};
use chokepoint_metrics::dependency::query::text_rows;
use chokepoint_model::hubs::HubList;
use chokepoint_model::importer::CountryGroups;

pub use error::{ApiError, ErrorBody, ErrorKind};
use routes::meta::{Country, Material};
use routes::{dependency, meta, risk, scenario};

/// Largest request body accepted (POST JSON), bytes; larger → 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// What every request shares: the store, a session with its tables registered, and the
/// reference lists read once at start.
pub struct AppState {
    pub(crate) store: Store,
    base: SessionContext,
    pub(crate) groups: CountryGroups,
    pub(crate) hubs: HubList,
    pub(crate) countries: Vec<Country>,
    pub(crate) materials: Vec<Material>,
    pub(crate) web: Arc<dashboard::WebFiles>,
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

/// The OpenAPI document, generated from the handlers, the parameter types and the row
/// types of the library (`ToSchema` behind the `openapi` features of chokepoint-metrics and
/// chokepoint-scenario).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "chokepoint API",
        description = "Dependencies on critical raw materials from CEPII BACI trade, World Mining Data production and WGI governance: the library calls of the `chokepoint` CLI over HTTP. Values in USD, quantities in tonnes, shares 0–1."
    ),
    paths(
        meta::health,
        meta::countries,
        meta::materials,
        dependency::dependency,
        risk::risk,
        scenario::scenarios,
        scenario::scenario_get,
        scenario::scenario_post,
        history::history_get,
        dashboard::groups,
        meta::openapi_json
    ),
    components(schemas(
        ErrorBody,
        ErrorKind,
        params::BasisParam,
        params::ConventionParam,
        params::DeraBasisParam,
        routes::risk::Figure,
        history::HistoryParams,
        history::HistoryResponse,
        history::HistoryEntry,
        dashboard::GroupSummary
    ))
)]
pub struct ApiDoc;

/// The router over `state`: every route of the module docs, JSON 404 for others, and the
/// body limit.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(dashboard::routes())
        .route("/api/history", get(history::history_get))
        .route("/api/health", get(meta::health))
        .route("/api/countries", get(meta::countries))
        .route("/api/materials", get(meta::materials))
        .route("/api/dependency", get(dependency::dependency).post(dependency::dependency))
        .route("/api/risk", get(risk::risk).post(risk::risk))
        .route("/api/scenarios", get(scenario::scenarios))
        .route("/api/scenario", get(scenario::scenario_get).post(scenario::scenario_post))
        .route("/api/openapi.json", get(meta::openapi_json))
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
