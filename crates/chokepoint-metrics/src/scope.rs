//! What the production-based risk methods (GeoPolRisk, EU CRM, DERA, CRMA) share before they
//! compute: the importers checked against the store, the materials resolved (HS6 selections
//! refused: these methods need production), World Mining Data production, the years with both
//! production and trade, and each unit's members per year.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;

use chokepoint_data::Manifest;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};

use crate::dependency::compute::check_countries;
use crate::dependency::items::{Item, resolve_items};
use crate::dependency::reference::{Production, production};
use crate::dependency::{DependencyError, ItemSelection, query};

/// The resolved request of a production-based method.
pub(crate) struct ProductionScope {
    /// ISO3 codes of the store's countries.
    pub(crate) countries: BTreeSet<String>,
    pub(crate) items: Vec<Item>,
    pub(crate) production: Production,
    /// Years with production and trade (all of them when none was asked for).
    pub(crate) years: BTreeSet<i32>,
    /// Per importing unit (request order): year → member ISO3 codes.
    pub(crate) members: Vec<BTreeMap<i32, BTreeSet<String>>>,
    /// Every HS6 code of the items.
    pub(crate) codes: BTreeSet<String>,
}

/// Resolve a request of `method` (its name, for messages: `GeoPolRisk`, `DERA's screen`).
///
/// Errors (usage): an unknown country, an HS6 selection, an unknown material, a year without
/// production or trade (the message names both ranges).
pub(crate) async fn production_scope(
    ctx: &SessionContext,
    manifest: &Manifest,
    importers: &[ImporterSpec],
    groups: &CountryGroups,
    items: &ItemSelection,
    years: &[i32],
    method: &str,
    notices: &mut Vec<String>,
) -> Result<ProductionScope, DependencyError> {
    let countries: BTreeSet<String> =
        query::text_rows(ctx, "SELECT DISTINCT iso3 FROM countries").await?.into_iter().filter_map(|r| r[0].clone()).collect();
    for spec in importers {
        check_countries(spec, &countries)?;
    }
    if matches!(items, ItemSelection::Hs6(_)) {
        return Err(DependencyError::Usage(format!(
            "{method} is computed per material (production data), not per HS6 product: use --material"
        )));
    }
    let items = resolve_items(ctx, items, notices).await?;
    let production = production(ctx, notices).await?;
    let prod_years: BTreeSet<i32> = production.amounts.values().flat_map(|y| y.keys().copied()).collect();
    let trade_years: BTreeSet<i32> = manifest.trade_years.keys().copied().collect();
    let years = production_years(years, &prod_years, &trade_years, method)?;
    let members = importers.iter().map(|s| years.iter().map(|y| (*y, groups.members(s, *y))).collect()).collect();
    let codes = items.iter().flat_map(|i| i.codes.iter().cloned()).collect();
    Ok(ProductionScope { countries, items, production, years, members, codes })
}

/// The years a production-based method scores: `requested`, or every year with production
/// and trade; a requested year outside either is a usage error naming both ranges.
pub(crate) fn production_years(
    requested: &[i32],
    prod_years: &BTreeSet<i32>,
    trade_years: &BTreeSet<i32>,
    method: &str,
) -> Result<BTreeSet<i32>, DependencyError> {
    let years: BTreeSet<i32> =
        if requested.is_empty() { prod_years.intersection(trade_years).copied().collect() } else { requested.iter().copied().collect() };
    let outside: Vec<String> =
        years.iter().filter(|y| !prod_years.contains(y) || !trade_years.contains(y)).map(ToString::to_string).collect();
    if !outside.is_empty() {
        return Err(DependencyError::Usage(format!(
            "{method} needs production and trade of the same year: {} not covered (production {}–{}, trade {}–{})",
            outside.join(", "),
            prod_years.first().copied().unwrap_or_default(),
            prod_years.last().copied().unwrap_or_default(),
            trade_years.first().copied().unwrap_or_default(),
            trade_years.last().copied().unwrap_or_default(),
        )));
    }
    Ok(years)
}
