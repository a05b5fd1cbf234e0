//! `/api/risk`: the risk methods of `chokepoint risk` ([`chokepoint_metrics::risk`]), one or
//! several at once.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use chokepoint_metrics::crma::CrmaRow;
use chokepoint_metrics::dera::DeraRow;
use chokepoint_metrics::eu_crm::EuCrmRow;
use chokepoint_metrics::explain::Explanation;
use chokepoint_metrics::geopolrisk::GeoPolRiskRow;
use chokepoint_metrics::method::MethodInfo;
use chokepoint_metrics::risk::{HeadlineValue, MethodOutput, MethodRows, run_method};
use chokepoint_metrics::screen::ScreenRow;
use chokepoint_report::side_by_side::SideBySide;

use crate::input::Input;
use crate::params::RiskParams;
use crate::{ApiError, AppState, ErrorBody};

/// A figure of the side-by-side table: a number, a label (risk group, `yes`/`no`,
/// `k of n` flagged HS6 codes), or null where the method has no row.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Figure {
    Number(f64),
    Text(String),
    /// `null`: the method has no row for this importer × material × year.
    Missing,
}

/// One importer × material × year of the side-by-side table: each method's headline
/// figures in their own key (`geopolrisk_score`, `geopolrisk_cf`, `eu_crm_sr`, `eu_crm_ir`,
/// `dera_production_hhi`, `dera_production_group`, `dera_import_hhi`, `dera_import_group`,
/// `crma_top_third`, `crma_top_third_share`, `crma_over_benchmark`, `screen_dependent_hs6`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SideBySideRow {
    pub importer: String,
    pub year: i32,
    pub material: String,
    /// Column → figure (null where the method has no row for this key).
    #[serde(flatten)]
    pub figures: BTreeMap<String, Figure>,
}

/// `/api/risk`: with two or more methods the keys of `chokepoint risk --format json`
/// (`side_by_side`, then each method's rows under its id with `_` for `-`); with one, its
/// rows under its id (the CLI writes the bare array). Every row carries `method`,
/// `method_version`, `params_version` and `sources`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RiskResponse {
    /// Two or more methods: one row per importer × material × year with each method's
    /// headline figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side_by_side: Option<Vec<SideBySideRow>>,
    /// GeoPolRisk (METHODS.md §2): score, CF in kg Cu-eq/kg, imports in tonnes, price in USD/t.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geopolrisk: Option<Vec<GeoPolRiskRow>>,
    /// EU CRM supply risk per stage (2017 guidelines): SR, HHI_WGI,t, import reliance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eu_crm: Option<Vec<EuCrmRow>>,
    /// DERA's screen: HHI (0–10,000) and WGI-weighted country risk, risk groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dera: Option<Vec<DeraRow>>,
    /// CRMA Art. 5(1)(d): largest third-country share of supply (tonnes) against the benchmark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crma: Option<Vec<CrmaRow>>,
    /// Strategic-dependency screen per HS6 product (USD), Commission and GeoDep criteria.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screen: Option<Vec<ScreenRow>>,
    /// The methods run, in order: id, version, parameters version, sources.
    pub methods: Vec<MethodInfo>,
    /// Per method id: the rule applied in words, the method's notices, its sources (what
    /// the CLI writes under its tables or on stderr).
    pub notes: BTreeMap<String, Vec<String>>,
    /// With `explain=true`: one per row, every method's in order.
    pub explanations: Vec<Explanation>,
}

impl RiskResponse {
    /// The answer of the methods' outputs (in the order run).
    pub fn new(sections: Vec<MethodOutput>) -> RiskResponse {
        let side_by_side = (sections.len() > 1).then(|| {
            let side = SideBySide::new(&sections.iter().flat_map(|s| s.headlines.iter().cloned()).collect::<Vec<_>>());
            side.rows
                .iter()
                .map(|((importer, year, material), v)| SideBySideRow {
                    importer: importer.clone(),
                    year: *year,
                    material: material.clone(),
                    figures: side
                        .columns
                        .iter()
                        .map(|(c, _)| {
                            let f = match v.get(c) {
                                Some(HeadlineValue::Number(x)) => Figure::Number(*x),
                                Some(HeadlineValue::Text(t)) => Figure::Text(t.clone()),
                                None => Figure::Missing,
                            };
                            (c.clone(), f)
                        })
                        .collect(),
                })
                .collect()
        });
        let mut r = RiskResponse {
            side_by_side,
            geopolrisk: None,
            eu_crm: None,
            dera: None,
            crma: None,
            screen: None,
            methods: Vec::new(),
            notes: BTreeMap::new(),
            explanations: Vec::new(),
        };
        for s in sections {
            r.methods.push(s.info);
            r.notes.insert(s.method.id().to_owned(), s.notes);
            r.explanations.extend(s.explanations);
            match s.rows {
                MethodRows::Geopolrisk(rows) => r.geopolrisk = Some(rows),
                MethodRows::EuCrm(rows) => r.eu_crm = Some(rows),
                MethodRows::Dera(rows) => r.dera = Some(rows),
                MethodRows::Crma(rows) => r.crma = Some(rows),
                MethodRows::Screen(rows) => r.screen = Some(rows),
            }
        }
        r
    }
}

/// Risk scores by one or several methods (as `chokepoint risk --method …`): GET with the
/// parameters in the query string, or POST with them as a JSON body (`material` an array).
#[utoipa::path(
    method(get, post),
    path = "/api/risk",
    params(RiskParams),
    request_body(content = RiskParams, description = "POST: the parameters as JSON", content_type = "application/json"),
    responses(
        (status = 200, body = RiskResponse),
        (status = 400, description = "malformed parameter, over a limit, unknown method, country or material, an option of a method not run, a year without production data", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, description = "body over 16 KiB", body = ErrorBody),
        (status = 500, body = ErrorBody),
    )
)]
pub async fn risk(State(s): State<Arc<AppState>>, Input(p): Input<RiskParams>) -> Result<Json<RiskResponse>, ApiError> {
    let (methods, sel, opts) = p.request(&s.groups)?;
    let ctx = s.session().await?;
    let mut sections = Vec::new();
    for m in methods {
        sections.push(run_method(&ctx, &s.store, &sel, &opts, m).await?);
    }
    Ok(Json(RiskResponse::new(sections)))
}
