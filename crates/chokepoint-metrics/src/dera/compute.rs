//! DERA's screen over the store: per importing unit × material × year with World Mining Data
//! production (2018–2024 in the default dataset), the production basis (world producers,
//! the same for every importer) and the import basis (the unit's suppliers outside the unit)
//! side by side on one row, each with HHI (0–10,000), weighted country risk (WGI-PV
//! estimate), their classes and the risk group ([`super::axes`]).

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;
use serde::Serialize;

use chokepoint_data::Manifest;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};
use chokepoint_model::risk_params::DeraParams;

use crate::dependency::figures::{self, Concentration};
use crate::dependency::reference;
use crate::dependency::{DependencyError, ItemSelection, query};
use crate::explain::{Cell, ExplainTable, Explanation, Term};
use crate::method::MethodInfo;
use crate::scope::production_scope;

use super::{Axes, Level, WGI_DIMENSIONS, axes};

/// Version of the DERA implementation, recorded with every row.
pub const METHOD: &str = "chokepoint DERA risk screen v1 (METHODS.md §6; DERA Rohstoffinformationen, DERA-Rohstoffliste)";

/// The store tables the screen reads.
const TABLES: [&str; 4] = ["trade", "production", "governance", "materials"];

/// What the import-basis shares are computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeraBasis {
    /// Import quantity, tonnes (BACI `q`), like the production basis; flows without a quantity left out.
    #[default]
    Quantity,
    /// Import value, USD (BACI `v` × 1000).
    Value,
}

/// A DERA request.
#[derive(Debug, Clone)]
pub struct DeraRequest {
    pub importers: Vec<ImporterSpec>,
    pub groups: CountryGroups,
    /// Materials only (`AllMaterials` or `Materials`).
    pub items: ItemSelection,
    /// Years; empty = every year with production data and trade.
    pub years: Vec<i32>,
    pub params: DeraParams,
    pub import_basis: DeraBasis,
    /// Also build an [`Explanation`] per row.
    pub explain: bool,
}

/// What [`dera`] returns.
#[derive(Debug, Clone)]
pub struct DeraResult {
    /// Per importer (in the order given) and year: production group, then production HHI, highest first.
    pub rows: Vec<DeraRow>,
    pub notices: Vec<String>,
    pub info: MethodInfo,
    /// One per row, in row order, when asked for.
    pub explanations: Vec<Explanation>,
}

/// One importer × material × year: both bases as columns. The production columns are the
/// same for every importer of a material and year.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeraRow {
    pub importer: String,
    pub members: Vec<String>,
    pub year: i32,
    pub material: String,
    pub hs6: Vec<String>,
    /// Supply-chain stage the dataset's production measures (`materials.stage`: Extraction or Processing).
    pub stage: String,
    /// What `WGI_i` is: the PV estimate only, an approximation of the six-dimension mean.
    pub wgi_dimensions: String,
    /// Year of the WGI estimates used (the row's year if WGI has it, else the nearest).
    pub wgi_year: i32,
    /// Unit of the production amounts (`production.unit`).
    pub production_unit: String,
    /// HHI of world production shares in per cent, 0–10,000.
    pub production_hhi: f64,
    pub production_hhi_class: Level,
    /// `Σ s_i WGI_i / Σ s_i` over producers with a WGI-PV estimate (−2.5…+2.5, lower = riskier).
    pub production_wcr: Option<f64>,
    pub production_wcr_class: Option<Level>,
    /// Share of world production from countries without a WGI-PV estimate, 0–1.
    pub production_unscored_share: f64,
    pub production_group: Option<Level>,
    /// Countries with production > 0.
    pub producers: usize,
    pub top_producer: String,
    /// 0–1.
    pub top_producer_share: f64,
    pub import_basis: DeraBasis,
    /// Imports from outside the unit with a reported quantity, tonnes (`None` when none has one).
    pub imports_t: Option<f64>,
    /// Imports from outside the unit, USD.
    pub imports_usd: f64,
    /// HHI of the unit's import shares in per cent (0–10,000); `None` without imports on the basis.
    pub import_hhi: Option<f64>,
    pub import_hhi_class: Option<Level>,
    pub import_wcr: Option<f64>,
    pub import_wcr_class: Option<Level>,
    pub import_unscored_share: Option<f64>,
    pub import_group: Option<Level>,
    /// Exporters with imports > 0 on the basis.
    pub suppliers: usize,
    pub top_supplier: Option<String>,
    pub top_supplier_share: Option<f64>,
    #[serde(flatten)]
    pub info: MethodInfo,
}

fn axes_of(c: &Concentration, wgi: Option<&BTreeMap<String, f64>>, p: &DeraParams) -> Axes {
    let shares: Vec<f64> = c.ranked.iter().map(|x| x.share).collect();
    let scores: Vec<Option<f64>> = c.ranked.iter().map(|x| wgi.and_then(|w| w.get(&x.country).copied())).collect();
    axes(&shares, &scores, p)
}

/// Compute DERA rows over the store.
///
/// Errors: as [`crate::dependency::dependency`] for countries and materials; `--hs` items
/// and years without production or trade are usage errors; no row at all is `Empty`.
pub async fn dera(ctx: &SessionContext, manifest: &Manifest, req: &DeraRequest) -> Result<DeraResult, DependencyError> {
    let mut notices = Vec::new();
    let info = MethodInfo::new("dera", METHOD, Some(&format!("dera {}", req.params.version)), manifest, &TABLES);
    let scope = production_scope(ctx, manifest, &req.importers, &req.groups, &req.items, &req.years, "DERA's screen", &mut notices).await?;
    let (items, production, years, members) = (&scope.items, &scope.production, &scope.years, &scope.members);
    let flows = query::unit_flows(ctx, members, years, &scope.codes).await?;
    let wgi = reference::wgi_estimates(ctx).await?;
    let stage = reference::stages(ctx).await?;
    let mut by_key: BTreeMap<(usize, i32, &str), Vec<&query::UnitFlow>> = BTreeMap::new();
    for f in flows.iter().filter(|f| !f.internal) {
        by_key.entry((f.unit, f.year, f.hs6.as_str())).or_default().push(f);
    }
    let p = &req.params;
    let mut rows = Vec::new();
    let mut explanations = Vec::new();
    let mut without_production: BTreeSet<String> = BTreeSet::new();
    for (u, spec) in req.importers.iter().enumerate() {
        for &year in years {
            let Some(wgi_year) = figures::nearest_year(wgi.keys().copied(), year) else {
                return Err(DependencyError::Empty("the store has no WGI-PV estimates".into()));
            };
            let w = wgi.get(&wgi_year);
            for item in items {
                let material = item.material.clone().expect("materials only");
                let Some(world) = production.amounts.get(&material).and_then(|m| m.get(&year)) else {
                    without_production.insert(format!("{material} {year}"));
                    continue;
                };
                let Some(prod_c) = figures::concentration(world) else { continue };
                let prod_axes = axes_of(&prod_c, w, p);
                // exporter → (t, USD)
                let mut by_exporter: BTreeMap<String, (Option<f64>, f64)> = BTreeMap::new();
                for code in &item.codes {
                    for f in by_key.get(&(u, year, code.as_str())).into_iter().flatten() {
                        let e = by_exporter.entry(f.exporter.clone()).or_insert((None, 0.0));
                        if let Some(q) = f.quantity_t {
                            e.0 = Some(e.0.unwrap_or(0.0) + q);
                        }
                        e.1 += f.value_usd;
                    }
                }
                let amounts: BTreeMap<String, f64> = by_exporter
                    .iter()
                    .map(|(k, (q, v))| {
                        (
                            k.clone(),
                            match req.import_basis {
                                DeraBasis::Quantity => q.unwrap_or(0.0),
                                DeraBasis::Value => *v,
                            },
                        )
                    })
                    .collect();
                let imp_c = figures::concentration(&amounts);
                let imp_axes = imp_c.as_ref().map(|c| axes_of(c, w, p));
                let any_q = by_exporter.values().any(|x| x.0.is_some());
                let imports_t = any_q.then(|| by_exporter.values().filter_map(|x| x.0).fold(0.0, |a, b| a + b));
                let imports_usd = by_exporter.values().map(|x| x.1).fold(0.0, |a, b| a + b);
                let mem = &members[u][&year];
                let unit = production.units.get(&material).cloned().unwrap_or_default();
                let row = DeraRow {
                    importer: spec.to_string(),
                    members: mem.iter().cloned().collect(),
                    year,
                    material: material.clone(),
                    hs6: item.codes.clone(),
                    stage: stage.get(&material).cloned().unwrap_or_default(),
                    wgi_dimensions: WGI_DIMENSIONS.into(),
                    wgi_year,
                    production_unit: unit.clone(),
                    production_hhi: prod_axes.hhi,
                    production_hhi_class: prod_axes.hhi_class,
                    production_wcr: prod_axes.wcr,
                    production_wcr_class: prod_axes.wcr_class,
                    production_unscored_share: prod_axes.unscored_share,
                    production_group: prod_axes.group,
                    producers: prod_c.count,
                    top_producer: prod_c.top().to_owned(),
                    top_producer_share: prod_c.top_share,
                    import_basis: req.import_basis,
                    imports_t,
                    imports_usd,
                    import_hhi: imp_axes.map(|a| a.hhi),
                    import_hhi_class: imp_axes.map(|a| a.hhi_class),
                    import_wcr: imp_axes.and_then(|a| a.wcr),
                    import_wcr_class: imp_axes.and_then(|a| a.wcr_class),
                    import_unscored_share: imp_axes.map(|a| a.unscored_share),
                    import_group: imp_axes.and_then(|a| a.group),
                    suppliers: imp_c.as_ref().map_or(0, |c| c.count),
                    top_supplier: imp_c.as_ref().map(|c| c.top().to_owned()),
                    top_supplier_share: imp_c.as_ref().map(|c| c.top_share),
                    info: info.clone(),
                };
                if req.explain {
                    explanations.push(explanation(&row, world, &prod_c, imp_c.as_ref(), &amounts, w, spec, req.import_basis, p));
                }
                rows.push(row);
            }
        }
    }
    if !without_production.is_empty() {
        notices.push(format!(
            "no World Mining Data production in the year, not screened: {}",
            without_production.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if rows.is_empty() {
        return Err(DependencyError::Empty("no material × year with production data".into()));
    }
    let no_imports = rows.iter().filter(|r| r.import_hhi.is_none()).count();
    if no_imports > 0 {
        notices.push(format!(
            "{no_imports} row(s) without imports on the {} basis: production basis only (import columns empty)",
            match req.import_basis {
                DeraBasis::Quantity => "quantity",
                DeraBasis::Value => "value",
            }
        ));
    }
    notices.push(format!(
        "WGI_i = WGI Political Stability (PV) estimate only, an approximation of DERA's mean of the six WGI dimensions; countries without an estimate are left out of the weighted sum and the rest renormalised (their share: *_unscored_share); cut-offs of params/dera.toml version {} are unconfirmed (METHODS.md §6)",
        p.version
    ));
    let order: BTreeMap<String, usize> = req.importers.iter().enumerate().map(|(i, s)| (s.to_string(), i)).collect();
    let cmp = |a: &DeraRow, b: &DeraRow| {
        order[&a.importer]
            .cmp(&order[&b.importer])
            .then(a.year.cmp(&b.year))
            .then(b.production_group.cmp(&a.production_group))
            .then(b.production_hhi.total_cmp(&a.production_hhi))
            .then(a.material.cmp(&b.material))
    };
    if req.explain {
        let mut paired: Vec<(DeraRow, Explanation)> = rows.into_iter().zip(explanations).collect();
        paired.sort_by(|a, b| cmp(&a.0, &b.0));
        (rows, explanations) = paired.into_iter().unzip();
    } else {
        rows.sort_by(cmp);
    }
    Ok(DeraResult { rows, notices, info, explanations })
}

fn opt_level(l: Option<Level>) -> &'static str {
    l.map_or("–", Level::as_str)
}

/// Per-country table of one basis: amount, share, share in %², WGI, share × WGI.
fn country_table(
    title: String,
    amount_col: &str,
    c: &Concentration,
    amounts: &BTreeMap<String, f64>,
    w: Option<&BTreeMap<String, f64>>,
) -> ExplainTable {
    ExplainTable {
        title,
        columns: ["country", amount_col, "share s_i", "(100 s_i)²", "WGI-PV estimate", "s_i × WGI_i"].map(String::from).to_vec(),
        rows: c
            .ranked
            .iter()
            .map(|x| {
                let g = w.and_then(|w| w.get(&x.country).copied());
                vec![
                    Cell::from(x.country.as_str()),
                    Cell::from(amounts.get(&x.country).copied()),
                    Cell::from(x.share),
                    Cell::from(10_000.0 * x.share * x.share),
                    Cell::from(g),
                    match g {
                        Some(g) => Cell::from(x.share * g),
                        None => Cell::from("unscored"),
                    },
                ]
            })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn explanation(
    r: &DeraRow,
    world: &BTreeMap<String, f64>,
    prod_c: &Concentration,
    imp_c: Option<&Concentration>,
    amounts: &BTreeMap<String, f64>,
    w: Option<&BTreeMap<String, f64>>,
    spec: &ImporterSpec,
    basis: DeraBasis,
    p: &DeraParams,
) -> Explanation {
    let unit_of_basis = match basis {
        DeraBasis::Quantity => "t",
        DeraBasis::Value => "USD",
    };
    let mut tables =
        vec![country_table(format!("world production {} ({}), largest first", r.year, r.production_unit), "amount", prod_c, world, w)];
    if let Some(c) = imp_c {
        tables.push(country_table(
            format!("imports of {spec} from outside the unit, {} ({unit_of_basis}), largest first", r.year),
            unit_of_basis,
            c,
            amounts,
            w,
        ));
    }
    let mut notes = vec![
        format!("WGI_i: {}; year {}", WGI_DIMENSIONS, r.wgi_year),
        "countries without a WGI-PV estimate are left out of Σ s_i WGI_i and the sum divided by the scored share (renormalised)".into(),
        format!(
            "classes: HHI < {} low, ≤ {} moderate, above high; WCR < {} high, ≤ {} moderate, above low; group high when both axes are high, moderate when one is high or both at least moderate (params/dera.toml {}, cut-offs unconfirmed)",
            p.hhi.moderate_from, p.hhi.high_above, p.country_risk.high_below, p.country_risk.low_above, r.info.params_version
        ),
    ];
    if matches!(basis, DeraBasis::Quantity) {
        notes.push("import basis: tonnes (trade.quantity_t); flows without a quantity are left out".into());
    }
    let mut terms = vec![
        Term::new(
            "HHI_prod",
            "HHI of world production shares, Σ (100 s_i)², 0–10,000",
            r.production_hhi,
            "production.amount (World Mining Data)",
        ),
        Term::new("WCR_prod", "Σ s_i WGI_i / Σ_scored s_i over producers, −2.5…+2.5", r.production_wcr, "governance.estimate (WGI-PV)"),
        Term::new("unscored_prod", "share of producers without a WGI-PV estimate", r.production_unscored_share, "computed"),
    ];
    terms.push(Term::new("HHI_imp", "HHI of the unit's import shares, 0–10,000", r.import_hhi, "trade (BACI)"));
    terms.push(Term::new("WCR_imp", "Σ s_i WGI_i / Σ_scored s_i over suppliers", r.import_wcr, "governance.estimate (WGI-PV)"));
    terms.push(Term::new("unscored_imp", "share of suppliers without a WGI-PV estimate", r.import_unscored_share, "computed"));
    notes.push(format!(
        "production: HHI {} · WCR {} · group {}; imports: HHI {} · WCR {} · group {}",
        r.production_hhi_class,
        opt_level(r.production_wcr_class),
        opt_level(r.production_group),
        opt_level(r.import_hhi_class),
        opt_level(r.import_wcr_class),
        opt_level(r.import_group)
    ));
    Explanation {
        title: format!("DERA · {spec} · {} · {}", r.material, r.year),
        info: r.info.clone(),
        equation: "HHI = Σ (100 s_i)²;  WCR = Σ s_i WGI_i / Σ_scored s_i;  group from the classes of HHI and WCR".into(),
        terms,
        tables,
        notes,
    }
}
