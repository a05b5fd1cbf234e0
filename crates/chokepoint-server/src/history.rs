//! `GET /api/history`: every supplier's share of an importing unit's imports of a material
//! over the years, in the shape the charts draw — the data of the report's world map and
//! stacked-area chart, served for the dashboard.
//!
//! The shares are [`chokepoint_metrics::dependency::history::supplier_history`] (METHODS.md
//! §1: BACI import value in USD, or quantity in tonnes, from outside the unit; composite
//! units' membership per year); they are shaped by
//! [`chokepoint_report::html::importer_chart`], the function the HTML report embeds its
//! chart data with.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use chokepoint_metrics::dependency::history::supplier_history;
use chokepoint_metrics::dependency::{DependencyRequest, ItemSelection};
use chokepoint_model::hubs::HubList;
use chokepoint_model::importer::CountryGroups;
use chokepoint_report::html::{AREA_SUPPLIERS, ImporterChart, importer_chart};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::params::{self, BasisParam, DependencyParams, FromPairs};

/// Most materials or HS6 codes in one history request (each one is a series per importer
/// and year).
pub const MAX_HISTORY_ITEMS: usize = 10;
/// Most suppliers with a band of their own.
pub const MAX_BANDS: usize = 20;

/// Parameters of `/api/history`: importers, items, years and basis as in `/api/dependency`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// Importing units, comma-separated (ISO3, coalitions with `+` written `%2B`, groups).
    /// Default `JPN,DEU,JPN+DEU`; at most 10.
    #[param(example = "JPN,DEU,JPN%2BDEU")]
    pub importer: Option<String>,
    /// Materials by name or symbol; repeat for several. Required unless `hs` is given; at most 10.
    #[serde(default)]
    pub material: Vec<String>,
    /// Single HS6 products instead of materials, comma-separated. At most 10.
    pub hs: Option<String>,
    /// Years: `2022`, `1995..2022` or `2012,2017,2022`; default every trade year of the store. At most 30.
    pub years: Option<String>,
    /// Shares by import value (USD) or quantity (tonnes). Default `value`.
    pub basis: Option<BasisParam>,
    /// Suppliers with a band of their own in `area` (the largest peak shares); the rest is
    /// one `Other` band. Default 7, 1–20.
    pub bands: Option<usize>,
}

impl HistoryParams {
    const KEYS: [&str; 6] = ["importer", "material", "hs", "years", "basis", "bands"];

    /// From query-string pairs. Errors (400): an unknown or repeated key, a value of the
    /// wrong type.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<HistoryParams, ApiError> {
        let mut bands = None;
        let mut shared = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "bands" => {
                    if bands.is_some() {
                        return Err(ApiError::usage("parameter bands given twice (only material may be repeated)"));
                    }
                    bands =
                        Some(v.trim().parse().map_err(|_| ApiError::usage(format!("bands: {v:?} is not a whole number of suppliers")))?);
                }
                "importer" | "importers" | "material" | "hs" | "years" | "year" | "basis" => shared.push((k.clone(), v.clone())),
                _ => return Err(ApiError::usage(format!("unknown parameter {k:?}; known: {}", Self::KEYS.join(", ")))),
            }
        }
        let d = DependencyParams::from_pairs(&shared)?;
        Ok(HistoryParams { importer: d.importer, material: d.material, hs: d.hs, years: d.years, basis: d.basis, bands })
    }

    /// The library request (validated as `/api/dependency`'s) and the number of bands.
    /// Errors (400): as [`DependencyParams::request`]; no material and no `hs`; more than
    /// [`MAX_HISTORY_ITEMS`] items; `bands` outside 1–[`MAX_BANDS`].
    pub fn request(&self, groups: &CountryGroups, hubs: &HubList) -> Result<(DependencyRequest, usize), ApiError> {
        let req = DependencyParams {
            importer: self.importer.clone(),
            material: self.material.clone(),
            hs: self.hs.clone(),
            years: self.years.clone(),
            basis: self.basis,
            ..DependencyParams::default()
        }
        .request(groups, hubs)?;
        match &req.items {
            ItemSelection::AllMaterials => {
                return Err(ApiError::usage(
                    "name a material (material=cobalt) or HS6 codes (hs=810520): the history is served per material",
                ));
            }
            ItemSelection::Materials(v) | ItemSelection::Hs6(v) if v.len() > MAX_HISTORY_ITEMS => {
                return Err(ApiError::usage(format!(
                    "{} materials or HS6 codes given, at most {MAX_HISTORY_ITEMS} per history request",
                    v.len()
                )));
            }
            _ => {}
        }
        let bands = self.bands.unwrap_or(AREA_SUPPLIERS);
        if !(1..=MAX_BANDS).contains(&bands) {
            return Err(ApiError::usage(format!("bands: {bands} is outside 1–{MAX_BANDS}")));
        }
        Ok((req, bands))
    }
}

/// `/api/history`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryResponse {
    pub basis: BasisParam,
    /// One per importing unit × item, in the order asked.
    pub histories: Vec<HistoryEntry>,
}

/// The supplier shares of one importing unit × item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// The unit as written (`JPN`, `JPN+DEU`, `EU27`).
    pub importer: String,
    /// Material name, or `HS 280530`.
    pub item: String,
    /// HS6 codes summed (HS92).
    pub hs6: Vec<String>,
    /// `chokepoint_report::html::ImporterChart`: `year` (the last with imports),
    /// `import_value_usd` (USD), `map` (`[ISO3, share]` of that year, largest first),
    /// `area` (`years` and `series` of `{name: ISO3 or "Other", data: one share per year}`);
    /// shares 0–1. `null` when the unit imported none of it in those years.
    #[schema(value_type = Option<Object>)]
    pub chart: Option<ImporterChart>,
}

/// Supplier shares over the years (the map and stacked-area data of the report's charts).
#[utoipa::path(
    get,
    path = "/api/history",
    params(HistoryParams),
    responses(
        (status = 200, body = HistoryResponse),
        (status = 400, description = "malformed parameter, over a limit, no material, unknown country, material or year", body = ErrorBody),
        (status = 500, description = "the query failed", body = ErrorBody),
    )
)]
pub async fn history_get(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<HistoryResponse>, ApiError> {
    let p = HistoryParams::from_pairs(&params::pairs(q.as_deref()))?;
    let (req, bands) = p.request(&s.groups, &s.hubs)?;
    let ctx = s.session().await?;
    let histories = supplier_history(&ctx, s.manifest(), &req).await?;
    Ok(Json(HistoryResponse {
        basis: p.basis.unwrap_or_default(),
        histories: histories
            .iter()
            .map(|h| HistoryEntry {
                importer: h.importer.clone(),
                item: h.item.clone(),
                hs6: h.hs6.clone(),
                chart: importer_chart(h, bands),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(q: &str) -> String {
        HistoryParams::from_pairs(&params::pairs(Some(q)))
            .and_then(|p| p.request(&CountryGroups::builtin(), &HubList::builtin()).map(|_| ()))
            .unwrap_err()
            .body
            .error
    }

    #[test]
    fn parameters_become_a_request() {
        let p = HistoryParams::from_pairs(&params::pairs(Some("importer=JPN,DEU+JPN&material=cobalt&years=2020..2022&bands=3"))).unwrap();
        let (r, bands) = p.request(&CountryGroups::builtin(), &HubList::builtin()).unwrap();
        assert_eq!(r.importers.iter().map(ToString::to_string).collect::<Vec<_>>(), ["JPN", "DEU+JPN"]);
        assert_eq!(r.items, ItemSelection::Materials(vec!["cobalt".into()]));
        assert_eq!(r.years, [2020, 2021, 2022]);
        assert_eq!(bands, 3);
    }

    #[test]
    fn bad_parameters_are_usage_errors() {
        assert!(err("importer=JPN").contains("name a material"), "{}", err("importer=JPN"));
        assert!(err("material=cobalt&watch=CHN").contains("unknown parameter \"watch\""));
        assert!(err("material=cobalt&bands=0").contains("outside 1–20"));
        assert!(err("material=cobalt&bands=x").contains("whole number"));
        assert!(err("material=cobalt&bands=2&bands=3").contains("twice"));
        assert!(err("hs=1,2,3,4,5,6,7,8,9,10,11").contains("at most 10"));
        assert!(err("material=cobalt&years=2022..2020").contains("must not be after"));
        assert!(err("material=cobalt&importer=JAPAN").contains("importer"));
    }
}
