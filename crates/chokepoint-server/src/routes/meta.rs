//! `/api/health`, `/api/countries`, `/api/materials`, `/api/openapi.json` and the page at `/`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::{ApiDoc, AppState};

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

/// The store: sources, trade years, table sizes.
#[utoipa::path(get, path = "/api/health", responses((status = 200, body = Health)))]
pub async fn health(State(s): State<Arc<AppState>>) -> Json<Health> {
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
pub async fn countries(State(s): State<Arc<AppState>>) -> Json<Vec<Country>> {
    Json(s.countries.clone())
}

/// Every material of the store, by name.
#[utoipa::path(get, path = "/api/materials", responses((status = 200, body = Vec<Material>)))]
pub async fn materials(State(s): State<Arc<AppState>>) -> Json<Vec<Material>> {
    Json(s.materials.clone())
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> impl IntoResponse {
    (StatusCode::OK, Json(ApiDoc::openapi()))
}
