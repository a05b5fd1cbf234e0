//! GeoPolRisk over the store: per importing unit × material × year with World Mining Data
//! production (2018–2024 in the default dataset), the terms from trade (tonnes), WGI-PV and
//! production, then [`super::score`].

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;
use serde::Serialize;

use chokepoint_data::Manifest;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};

use crate::dependency::compute::check_countries;
use crate::dependency::figures;
use crate::dependency::items::resolve_items;
use crate::dependency::reference::{governance, production};
use crate::dependency::{DependencyError, ItemSelection, query};

use super::{Terms, score};

/// Version of the GeoPolRisk implementation, recorded with every row.
pub const METHOD: &str = "chokepoint GeoPolRisk v1 (METHODS.md §2; Koyamparambath et al. 2024)";

/// `g` of a supplier without a WGI-PV score that year (as geopolrisk-py 2.0.1 does).
pub const MISSING_G: f64 = 0.5;

/// How a coalition or group treats imports between its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// chokepoint's: trade between members is not an import of the unit (dropped).
    Chokepoint,
    /// geopolrisk-py's regional mode: imports from other members stay in `F` with `g = 0`.
    Reference,
}

/// A GeoPolRisk request.
#[derive(Debug, Clone)]
pub struct GeoPolRiskRequest {
    pub importers: Vec<ImporterSpec>,
    pub groups: CountryGroups,
    /// Materials only (`AllMaterials` or `Materials`).
    pub items: ItemSelection,
    /// Years; empty = every year with production data and trade.
    pub years: Vec<i32>,
    pub conventions: Vec<Convention>,
}

/// One importer × material × year × convention.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeoPolRiskRow {
    pub importer: String,
    pub members: Vec<String>,
    pub year: i32,
    pub material: String,
    pub hs6: Vec<String>,
    pub convention: Convention,
    /// HHI of world production shares, same year, 0–1.
    pub production_hhi: f64,
    /// `F`: imports with a reported quantity, tonnes.
    pub imports_t: f64,
    /// `Σ g_i f_i`, tonnes.
    pub weighted_imports_t: f64,
    /// `p`: the members' own production, tonnes (World Mining Data; kg ÷ 1000, carats × 2e-7,
    /// Mio m³ of natural gas × 800 t at 0.8 kg/m³).
    pub domestic_production_t: f64,
    /// Import value / import quantity of the flows with a quantity, USD per tonne.
    pub price_usd_per_t: f64,
    /// `Σ g_i f_i / (p + F)`.
    pub import_risk: f64,
    /// GeoPolRisk score, `production_hhi × import_risk`.
    pub score: f64,
    /// Characterisation factor, kg Cu-eq/kg.
    pub cf_kg_cu_eq_per_kg: f64,
    /// Share of `F` from suppliers without a WGI-PV score that year (scored 0.5).
    pub unscored_import_share: f64,
    /// Import value of flows without a reported quantity (not in `F` or the price), USD.
    pub value_without_quantity_usd: f64,
}

/// Production unit → tonnes.
fn tonnes_per_unit(unit: &str) -> Option<f64> {
    match unit {
        "metr. t" => Some(1.0),
        "kg" => Some(1e-3),
        "ct" => Some(2e-7),
        "Mio m3" => Some(800.0),
        _ => None,
    }
}

/// Compute GeoPolRisk rows over the store.
///
/// Errors: as [`crate::dependency::dependency`] for countries, years and materials; a year
/// without production data is a usage error.
pub async fn geopolrisk(
    ctx: &SessionContext,
    manifest: &Manifest,
    req: &GeoPolRiskRequest,
) -> Result<(Vec<GeoPolRiskRow>, Vec<String>), DependencyError> {
    let mut notices = Vec::new();
    let known: BTreeSet<String> =
        query::text_rows(ctx, "SELECT DISTINCT iso3 FROM countries").await?.into_iter().filter_map(|r| r[0].clone()).collect();
    for spec in &req.importers {
        check_countries(spec, &known)?;
    }
    if matches!(req.items, ItemSelection::Hs6(_)) {
        return Err(DependencyError::Usage(
            "GeoPolRisk is computed per material (production data), not per HS6 product: use --material".into(),
        ));
    }
    let items = resolve_items(ctx, &req.items, &mut notices).await?;
    let trade_years: BTreeSet<i32> = manifest.trade_years.keys().copied().collect();
    let production = production(ctx, &mut notices).await?;
    let prod: BTreeMap<(&str, i32), &BTreeMap<String, f64>> =
        production.amounts.iter().flat_map(|(m, by_year)| by_year.iter().map(move |(y, a)| ((m.as_str(), *y), a))).collect();
    let prod_years: BTreeSet<i32> = prod.keys().map(|k| k.1).collect();
    let years: BTreeSet<i32> =
        if req.years.is_empty() { prod_years.intersection(&trade_years).copied().collect() } else { req.years.iter().copied().collect() };
    let outside: Vec<String> =
        years.iter().filter(|y| !prod_years.contains(y) || !trade_years.contains(y)).map(ToString::to_string).collect();
    if !outside.is_empty() {
        return Err(DependencyError::Usage(format!(
            "GeoPolRisk needs production and trade of the same year: {} not covered (production {}–{}, trade {}–{})",
            outside.join(", "),
            prod_years.first().copied().unwrap_or_default(),
            prod_years.last().copied().unwrap_or_default(),
            trade_years.first().copied().unwrap_or_default(),
            trade_years.last().copied().unwrap_or_default(),
        )));
    }
    let members: Vec<BTreeMap<i32, BTreeSet<String>>> =
        req.importers.iter().map(|s| years.iter().map(|y| (*y, req.groups.members(s, *y))).collect()).collect();
    let codes: BTreeSet<String> = items.iter().flat_map(|i| i.codes.iter().cloned()).collect();
    let flows = query::unit_flows(ctx, &members, &years, &codes).await?;
    let wgi = governance(ctx).await?;

    let mut by_key: BTreeMap<(usize, i32, &str), Vec<&query::UnitFlow>> = BTreeMap::new();
    for f in &flows {
        by_key.entry((f.unit, f.year, f.hs6.as_str())).or_default().push(f);
    }
    let mut rows = Vec::new();
    for (u, spec) in req.importers.iter().enumerate() {
        for &year in &years {
            let g_year = wgi.get(&year);
            for item in &items {
                let material = item.material.clone().expect("materials only");
                let Some(world) = prod.get(&(material.as_str(), year)).copied() else { continue };
                let Some(hhi) = figures::concentration(world).map(|c| c.hhi) else { continue };
                let Some(per_unit) = production.units.get(&material).and_then(|u| tonnes_per_unit(u)) else { continue };
                let mem = &members[u][&year];
                // fold from +0.0: an empty f64 sum is −0.0.
                let p: f64 = mem.iter().filter_map(|m| world.get(m)).fold(0.0, |a, b| a + b) * per_unit;
                for &convention in &req.conventions {
                    let (mut f_total, mut weighted, mut value, mut unscored, mut without) = (0.0, 0.0, 0.0, 0.0, 0.0);
                    for code in &item.codes {
                        for f in by_key.get(&(u, year, code.as_str())).into_iter().flatten() {
                            if f.internal && convention == Convention::Chokepoint {
                                continue;
                            }
                            without += f.value_usd_without_quantity;
                            let Some(q) = f.quantity_t else { continue };
                            let g = if f.internal {
                                0.0
                            } else {
                                match g_year.and_then(|m| m.get(&f.exporter)) {
                                    Some(g) => *g,
                                    None => {
                                        unscored += q;
                                        MISSING_G
                                    }
                                }
                            };
                            f_total += q;
                            weighted += g * q;
                            value += f.value_usd - f.value_usd_without_quantity;
                        }
                    }
                    if f_total <= 0.0 && p <= 0.0 {
                        continue;
                    }
                    let terms = Terms {
                        production_hhi: hhi,
                        weighted_imports_t: weighted,
                        imports_t: f_total,
                        domestic_production_t: p,
                        price_usd_per_t: if f_total > 0.0 { value / f_total } else { 0.0 },
                    };
                    let s = score(&terms);
                    rows.push(GeoPolRiskRow {
                        importer: spec.to_string(),
                        members: mem.iter().cloned().collect(),
                        year,
                        material: material.clone(),
                        hs6: item.codes.clone(),
                        convention,
                        production_hhi: hhi,
                        imports_t: f_total,
                        weighted_imports_t: weighted,
                        domestic_production_t: p,
                        price_usd_per_t: terms.price_usd_per_t,
                        import_risk: s.import_risk,
                        score: s.score,
                        cf_kg_cu_eq_per_kg: s.cf_kg_cu_eq_per_kg,
                        unscored_import_share: if f_total > 0.0 { unscored / f_total } else { 0.0 },
                        value_without_quantity_usd: without,
                    });
                }
            }
        }
    }
    if rows.is_empty() {
        return Err(DependencyError::Empty("no importer × material × year with production data and imports".into()));
    }
    let order: BTreeMap<String, usize> = req.importers.iter().enumerate().map(|(i, s)| (s.to_string(), i)).collect();
    rows.sort_by(|a, b| {
        order[&a.importer]
            .cmp(&order[&b.importer])
            .then(a.year.cmp(&b.year))
            .then(b.score.total_cmp(&a.score))
            .then(a.material.cmp(&b.material))
            .then((a.convention as u8).cmp(&(b.convention as u8)))
    });
    Ok((rows, notices))
}
