//! Supplier shares over time: for each importing unit × material (or HS6 product), every
//! supplier's share of the unit's imports in each year — the series behind the HTML
//! report's maps and stacked-area charts (METHODS.md §1, the same shares as the
//! dependency table's `top_share` and `hhi`, with every supplier kept).

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;
use serde::Serialize;

use chokepoint_data::Manifest;

use super::compute::{check_countries, unit_figures};
use super::figures::PartnerShare;
use super::items::resolve_items;
use super::query::{self, UnitFlow};
use super::{Basis, DependencyError, DependencyRequest};

/// One year of a unit's supply of one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplierYear {
    pub year: i32,
    /// Σ import value from outside the unit, USD (BACI `v` × 1000).
    pub import_value_usd: f64,
    /// Every supplier with an amount > 0 on the basis and its share, 0–1, largest first
    /// (ties by ISO3); the shares add up to 1.
    pub suppliers: Vec<PartnerShare>,
}

/// The supplier shares of one importing unit × item over the years that have imports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplierHistory {
    /// The importing unit as written (`JPN`, `JPN+DEU`, `EU27`).
    pub importer: String,
    /// Material name, or `HS 280530` for a single product.
    pub item: String,
    /// HS6 codes summed.
    pub hs6: Vec<String>,
    pub basis: Basis,
    /// Years with imports, ascending (years without imports are left out).
    pub years: Vec<SupplierYear>,
}

/// Every supplier's share of each unit's imports of each item of `req`, per year of
/// `req.years` (empty: every year of `trade` in the store). Uses `importers`, `groups`,
/// `items` and `basis` of the request (membership of composite units per year, trade
/// between members dropped, as in [`super::dependency`]); thresholds, watch list, hubs,
/// rivals and `min_import_usd` do not apply.
///
/// Errors: [`DependencyError::Usage`] for a year outside the data, an importer or an item the
/// store does not know; query errors. Units × items without imports in any year give a
/// history with no years.
pub async fn supplier_history(
    ctx: &SessionContext,
    manifest: &Manifest,
    req: &DependencyRequest,
) -> Result<Vec<SupplierHistory>, DependencyError> {
    let available: BTreeSet<i32> = manifest.trade_years.keys().copied().collect();
    let years: BTreeSet<i32> = if req.years.is_empty() { available.clone() } else { req.years.iter().copied().collect() };
    if let Some(y) = years.iter().find(|y| !available.contains(y)) {
        return Err(DependencyError::Usage(format!("year {y} is outside the data (`chokepoint data info` lists the years of trade)")));
    }
    let known: BTreeSet<String> =
        query::text_rows(ctx, "SELECT DISTINCT iso3 FROM countries").await?.into_iter().filter_map(|r| r[0].clone()).collect();
    for spec in &req.importers {
        check_countries(spec, &known)?;
    }
    let mut notices = Vec::new();
    let items = resolve_items(ctx, &req.items, &mut notices).await?;
    let codes: BTreeSet<String> = items.iter().flat_map(|i| i.codes.iter().cloned()).collect();
    let members: Vec<BTreeMap<i32, BTreeSet<String>>> =
        req.importers.iter().map(|spec| years.iter().map(|y| (*y, req.groups.members(spec, *y))).collect()).collect();
    let flows: Vec<UnitFlow> = query::unit_flows(ctx, &members, &years, &codes).await?.into_iter().filter(|f| !f.internal).collect();
    let (figures, _) = unit_figures(&flows, &items, req.basis);
    let mut out = Vec::new();
    for (u, spec) in req.importers.iter().enumerate() {
        for (i, item) in items.iter().enumerate() {
            let years = years
                .iter()
                .filter_map(|&year| {
                    figures.get(&(u, year, i)).map(|f| SupplierYear {
                        year,
                        import_value_usd: f.value_usd,
                        suppliers: f.conc.ranked.clone(),
                    })
                })
                .collect();
            out.push(SupplierHistory { importer: spec.to_string(), item: item.label(), hs6: item.codes.clone(), basis: req.basis, years });
        }
    }
    Ok(out)
}
