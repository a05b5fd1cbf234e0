//! EU CRM supply risk over the store: per importing unit × material × year with World
//! Mining Data production of that year (2018–2024 in the default dataset), BACI imports and
//! exports in tonnes, WGI-PV estimates, the bundle's EoL-RIR, and the inputs of
//! `params/eu_crm.toml` (SI_SR, EI, t), then [`super::supply_risk`].

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;
use serde::Serialize;

use chokepoint_data::Manifest;
use chokepoint_model::eu_crm::{EuCrmParams, TSource};
use chokepoint_model::importer::{CountryGroups, ImporterSpec};

use crate::dependency::reference;
use crate::dependency::{DependencyError, ItemSelection, query};
use crate::explain::{Cell, ExplainTable, Explanation, Term};
use crate::geopolrisk::compute::tonnes_per_unit;
use crate::method::MethodInfo;
use crate::scope::production_scope;

use super::{Supplier, Terms, hhi_wgi_t, import_reliance, scaled_wgi, supply_risk};

/// Version of the implementation, recorded with every row.
pub const METHOD: &str = "chokepoint EU CRM supply risk v1 (METHODS.md §3; European Commission 2017 guidelines, DOI 10.2873/769526)";

const TABLES: [&str; 4] = ["trade", "production", "governance", "materials"];

/// The approximation every row carries: the store has one WGI dimension.
pub const WGI_APPROXIMATION: &str = "WGI: Political Stability (PV) estimate only, not the mean of the six dimensions";

/// An EU CRM supply-risk request.
#[derive(Debug, Clone)]
pub struct EuCrmRequest {
    pub importers: Vec<ImporterSpec>,
    pub groups: CountryGroups,
    /// Materials only (`AllMaterials` or `Materials`).
    pub items: ItemSelection,
    /// Years; empty = every year with production data and trade.
    pub years: Vec<i32>,
    pub params: EuCrmParams,
    pub explain: bool,
}

/// What [`eu_crm`] returns.
#[derive(Debug, Clone)]
pub struct EuCrmResult {
    /// Per importer and year, highest supply risk first.
    pub rows: Vec<EuCrmRow>,
    pub notices: Vec<String>,
    pub info: MethodInfo,
    /// One per row, in row order, when asked for.
    pub explanations: Vec<Explanation>,
}

/// One importing unit × material (= one stage of a raw material) × year.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EuCrmRow {
    pub importer: String,
    pub members: Vec<String>,
    pub year: i32,
    pub material: String,
    /// The raw material the stage belongs to (`params` `[[raw_material]]`, else the material).
    pub raw_material: String,
    /// `Extraction` or `Processing` (`materials.stage`, or the params file's two-stage entry).
    pub stage: String,
    pub hs6: Vec<String>,
    /// `HHI_WGI,t` of world production, 0–10.
    pub hhi_wgi_t_global: f64,
    /// `HHI_WGI,t` of the unit's sourcing (members' production + imports from non-members), 0–10.
    pub hhi_wgi_t_sourcing: f64,
    /// `IR = (I − E) / (P + I − E)`, 0–1.
    pub import_reliance: f64,
    /// `I`: imports from non-members with a quantity, tonnes.
    pub imports_t: f64,
    /// `E`: exports to non-members with a quantity, tonnes.
    pub exports_t: f64,
    /// `P`: the members' production, tonnes.
    pub domestic_production_t: f64,
    /// End-of-life recycling input rate (`materials.eol_rir`, the bundle's 2023 value).
    pub eol_rir: f64,
    pub si_sr: f64,
    /// SI_SR is the parameters file's default (no value for this material).
    pub si_sr_default: bool,
    /// The supply risk SR.
    pub supply_risk: f64,
    /// `SR ≥` the threshold (1.0).
    pub high_supply_risk: bool,
    /// This stage has the highest SR of its raw material (the bottleneck) for the unit and year.
    pub bottleneck: bool,
    /// EI from the parameters file, when given.
    pub economic_importance: Option<f64>,
    /// `SR ≥ 1 and EI ≥ 2.8`; null without EI.
    pub critical: Option<bool>,
    /// Share of world production from countries without a WGI score (scored with the default).
    pub unscored_global_share: f64,
    /// Share of the sourcing from countries without a WGI score.
    pub unscored_sourcing_share: f64,
    /// Suppliers whose t is not 1, as `ISO3 t=…` (restriction / agreement).
    pub trade_parameters: Vec<String>,
    /// Defaults and approximations this row rests on.
    pub approximations: Vec<String>,
    #[serde(flatten)]
    pub info: MethodInfo,
}

/// Compute EU CRM supply-risk rows.
///
/// Errors: as [`crate::geopolrisk::geopolrisk`] (countries, years, materials; HS6 selections
/// are refused: the method is per material).
pub async fn eu_crm(ctx: &SessionContext, manifest: &Manifest, req: &EuCrmRequest) -> Result<EuCrmResult, DependencyError> {
    let p = &req.params;
    let mut notices = Vec::new();
    let info = MethodInfo::new("eu-crm", METHOD, Some(&p.label()), manifest, &TABLES);
    let scope =
        production_scope(ctx, manifest, &req.importers, &req.groups, &req.items, &req.years, "EU CRM supply risk", &mut notices).await?;
    let known = &scope.countries;
    check_references(ctx, p, &req.groups, known, &mut notices).await?;
    let material_facts: BTreeMap<String, (String, f64)> = query::text_rows(ctx, "SELECT material, stage, eol_rir FROM materials")
        .await?
        .into_iter()
        .filter_map(|r| {
            Some((r[0].clone()?, (r[1].clone().unwrap_or_default(), r[2].as_deref().and_then(|v| v.parse().ok()).unwrap_or(0.0))))
        })
        .collect();
    let (items, production, years, members, codes) = (&scope.items, &scope.production, &scope.years, &scope.members, &scope.codes);
    let flows = query::unit_flows(ctx, members, years, codes).await?;
    let exports = query::unit_exports(ctx, members, years, codes).await?;
    let wgi = reference::wgi_estimates(ctx).await?;
    // (unit, year, hs6) → exporter → tonnes (non-members, flows with a quantity).
    let mut imports: BTreeMap<(usize, i32, &str), BTreeMap<&str, f64>> = BTreeMap::new();
    for f in flows.iter().filter(|f| !f.internal) {
        if let Some(q) = f.quantity_t {
            *imports.entry((f.unit, f.year, f.hs6.as_str())).or_default().entry(f.exporter.as_str()).or_insert(0.0) += q;
        }
    }
    let exported: BTreeMap<(usize, i32, &str), f64> = exports.iter().map(|e| ((e.unit, e.year, e.hs6.as_str()), e.quantity_t)).collect();

    let mut rows = Vec::new();
    let mut explanations = Vec::new();
    let mut no_production = BTreeSet::new();
    for (u, spec) in req.importers.iter().enumerate() {
        let label = spec.to_string();
        for &year in years {
            let scores = wgi.get(&year);
            let wgi_of = |c: &str| scores.and_then(|m| m.get(c)).map(|e| scaled_wgi(*e));
            let mem = &members[u][&year];
            // The agreements of every unit this one lies within that year (DEU, JPN+… no;
            // DEU alone and EU27+DEU yes for the EU27's agreements: EU trade policy).
            let agreements: Vec<&chokepoint_model::eu_crm::TradeAgreement> = p
                .trade_agreements
                .iter()
                .filter(|a| {
                    req.groups.parse_importer(&a.importer).is_ok_and(|s| {
                        let of = req.groups.members(&s, year);
                        !mem.is_empty() && mem.is_subset(&of)
                    })
                })
                .collect();
            for item in items {
                let material = item.material.clone().expect("materials only");
                let Some(world) = production.amounts.get(&material).and_then(|y| y.get(&year)) else {
                    no_production.insert(material.clone());
                    continue;
                };
                let Some(per_unit) = production.units.get(&material).and_then(|u| tonnes_per_unit(u)) else { continue };
                // Global supply.
                let mut gs = Vec::new();
                let (mut unscored_gs, mut world_total) = (0.0, 0.0);
                let mut gs_table = Vec::new();
                for (c, a) in world {
                    let w = wgi_of(c);
                    let (t, why) = p.t(&material, c, year, None);
                    if w.is_none() {
                        unscored_gs += a;
                    }
                    world_total += a;
                    let s = Supplier { amount: *a, wgi_scaled: w.unwrap_or(p.defaults.missing_wgi_scaled), t };
                    gs.push(s);
                    if req.explain {
                        gs_table.push((c.clone(), s, w.is_none(), t_label(&why)));
                    }
                }
                // Sourcing: members' production + imports from non-members, tonnes.
                let mut sourcing: BTreeMap<String, (f64, &'static str)> = BTreeMap::new();
                for m in mem {
                    if let Some(a) = world.get(m) {
                        sourcing.insert(m.clone(), (a * per_unit, "production"));
                    }
                }
                let domestic: f64 = sourcing.values().map(|v| v.0).fold(0.0, |a, b| a + b);
                let mut imports_t = 0.0;
                let mut exports_t = 0.0;
                for code in &item.codes {
                    for (e, q) in imports.get(&(u, year, code.as_str())).into_iter().flatten() {
                        sourcing.entry((*e).to_owned()).or_insert((0.0, "imports")).0 += q;
                        imports_t += q;
                    }
                    exports_t += exported.get(&(u, year, code.as_str())).copied().unwrap_or(0.0);
                }
                if domestic + imports_t <= 0.0 {
                    continue;
                }
                let mut src = Vec::new();
                let mut src_table = Vec::new();
                let mut unscored_src = 0.0;
                let mut t_notes = BTreeSet::new();
                for (c, (a, origin)) in &sourcing {
                    let w = wgi_of(c);
                    let (t, why) =
                        if *origin == "production" { (1.0, vec![TSource::Default]) } else { p.t(&material, c, year, Some(&agreements)) };
                    if w.is_none() {
                        unscored_src += a;
                    }
                    if t != 1.0 {
                        t_notes.insert(format!("{c} t={}", round(t)));
                    }
                    let s = Supplier { amount: *a, wgi_scaled: w.unwrap_or(p.defaults.missing_wgi_scaled), t };
                    src.push(s);
                    if req.explain {
                        src_table.push((c.clone(), *origin, s, w.is_none(), t_label(&why)));
                    }
                }
                for (c, s, _, _) in &gs_table {
                    if s.t != 1.0 {
                        t_notes.insert(format!("{c} t={} (global)", round(s.t)));
                    }
                }
                let (eol_rir, stage_raw) = material_facts.get(&material).map_or((0.0, String::new()), |f| (f.1, f.0.clone()));
                let (raw_material, stage) = match p.raw_material_of(&material) {
                    Some((r, s)) => (r.name.clone(), if s == "extraction" { "Extraction".to_owned() } else { "Processing".to_owned() }),
                    None => (material.clone(), if stage_raw.is_empty() { "unknown".into() } else { stage_raw }),
                };
                let (si_sr, si_default) = p.si_sr(&material);
                let terms = Terms {
                    hhi_wgi_t_global: hhi_wgi_t(&gs),
                    hhi_wgi_t_sourcing: hhi_wgi_t(&src),
                    import_reliance: import_reliance(domestic, imports_t, exports_t),
                    eol_rir,
                    si_sr,
                };
                let sr = supply_risk(&terms);
                let ei = p.ei(&material);
                let mut approximations = vec![WGI_APPROXIMATION.to_owned()];
                if si_default {
                    approximations.push(format!("SI_SR: default {} (no value for {material} in {})", p.defaults.si_sr, p.label()));
                }
                if !t_notes.is_empty() {
                    approximations
                        .push("t: values of the parameters file (the guidelines' mapping from measure to t is not reproduced)".into());
                }
                if unscored_gs > 0.0 || unscored_src > 0.0 {
                    approximations.push(format!("WGI: countries without a score counted as {} (0–10)", p.defaults.missing_wgi_scaled));
                }
                approximations.push(
                    "IR and sourcing: imports and exports of the material's HS6 codes in tonnes (all processing stages of the codes added)"
                        .into(),
                );
                let sourcing_total = domestic + imports_t;
                let row = EuCrmRow {
                    importer: label.clone(),
                    members: mem.iter().cloned().collect(),
                    year,
                    material: material.clone(),
                    raw_material,
                    stage,
                    hs6: item.codes.clone(),
                    hhi_wgi_t_global: terms.hhi_wgi_t_global,
                    hhi_wgi_t_sourcing: terms.hhi_wgi_t_sourcing,
                    import_reliance: terms.import_reliance,
                    imports_t,
                    exports_t,
                    domestic_production_t: domestic,
                    eol_rir,
                    si_sr,
                    si_sr_default: si_default,
                    supply_risk: sr,
                    high_supply_risk: sr >= p.defaults.sr_threshold,
                    bottleneck: false,
                    economic_importance: ei,
                    critical: ei.map(|e| sr >= p.defaults.sr_threshold && e >= p.defaults.ei_threshold),
                    unscored_global_share: if world_total > 0.0 { unscored_gs / world_total } else { 0.0 },
                    unscored_sourcing_share: unscored_src / sourcing_total,
                    trade_parameters: t_notes.into_iter().collect(),
                    approximations,
                    info: info.clone(),
                };
                if req.explain {
                    explanations.push(explanation(&row, &terms, &gs_table, &src_table, world_total, sourcing_total, p));
                }
                rows.push(row);
            }
        }
    }
    if !no_production.is_empty() {
        notices.push(format!(
            "no World Mining Data production in the year(s) asked for: {}",
            no_production.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if rows.is_empty() {
        return Err(DependencyError::Empty("no importer × material × year with production data and supply".into()));
    }
    // The bottleneck: the stage with the highest SR of each raw material, unit and year.
    let mut best: BTreeMap<(String, i32, String), (f64, usize)> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let e = best.entry((r.importer.clone(), r.year, r.raw_material.clone())).or_insert((f64::NEG_INFINITY, i));
        if r.supply_risk > e.0 {
            *e = (r.supply_risk, i);
        }
    }
    for (_, i) in best.values() {
        rows[*i].bottleneck = true;
    }
    notices.push(format!(
        "parameters {}: SI_SR default {}, missing WGI {} (0–10), SR threshold {}, EI threshold {}; {} SI_SR, {} EI, {} export restriction and {} trade-agreement entries",
        p.label(),
        p.defaults.si_sr,
        p.defaults.missing_wgi_scaled,
        p.defaults.sr_threshold,
        p.defaults.ei_threshold,
        p.substitution.len(),
        p.economic_importance.len(),
        p.export_restrictions.len(),
        p.trade_agreements.len()
    ));
    let order: BTreeMap<String, usize> = req.importers.iter().enumerate().map(|(i, s)| (s.to_string(), i)).collect();
    let cmp = |a: &EuCrmRow, b: &EuCrmRow| {
        order[&a.importer]
            .cmp(&order[&b.importer])
            .then(a.year.cmp(&b.year))
            .then(b.supply_risk.total_cmp(&a.supply_risk))
            .then(a.material.cmp(&b.material))
    };
    if req.explain {
        let mut paired: Vec<(EuCrmRow, Explanation)> = rows.into_iter().zip(explanations).collect();
        paired.sort_by(|a, b| cmp(&a.0, &b.0));
        (rows, explanations) = paired.into_iter().unzip();
    } else {
        rows.sort_by(cmp);
    }
    Ok(EuCrmResult { rows, notices, info, explanations })
}

/// Every material, country and importer the parameters file names must exist: a misspelt
/// name would otherwise silently leave a default in place.
///
/// A material within two edits of a store material (`cobalt`, `Nickle`) is an error; another
/// material or a country the store lacks (e.g. Liechtenstein, inside Switzerland in BACI)
/// only gets a notice: it cannot change a figure.
async fn check_references(
    ctx: &SessionContext,
    p: &EuCrmParams,
    groups: &CountryGroups,
    countries: &BTreeSet<String>,
    notices: &mut Vec<String>,
) -> Result<(), DependencyError> {
    let materials: BTreeSet<String> =
        query::text_rows(ctx, "SELECT material FROM materials").await?.into_iter().filter_map(|r| r[0].clone()).collect();
    for (kind, value, entry) in p.references() {
        let problem = match kind {
            "material" if !materials.contains(&value) => {
                // A near miss is a typo (error); another name is a material this store lacks (notice).
                match materials.iter().find(|m| strsim::damerau_levenshtein(&m.to_lowercase(), &value.to_lowercase()) <= 2) {
                    Some(m) => Some(format!("no material {value:?} in the store; did you mean {m:?}?")),
                    None => {
                        notices.push(format!("{}: {entry}: {value:?} is not a material of the store (no effect)", p.file));
                        None
                    }
                }
            }
            "country" if !countries.contains(&value) => {
                notices.push(format!("{}: {entry}: {value} is not a country of the store (no effect)", p.file));
                None
            }
            "importer" => match groups.parse_importer(&value) {
                Err(e) => Some(e.to_string()),
                Ok(spec) => crate::dependency::compute::check_countries(&spec, countries).err().map(|e| e.to_string()),
            },
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(DependencyError::Usage(format!("{}: {entry}: {problem}", p.file)));
        }
    }
    Ok(())
}

fn round(t: f64) -> String {
    format!("{}", (t * 1e6).round() / 1e6)
}

fn t_label(why: &[TSource]) -> String {
    why.iter()
        .map(|w| match w {
            TSource::Default => "1 (default)".to_owned(),
            TSource::Restriction(r) => format!("{} × ({}; {})", r.t, r.measure, r.source),
            TSource::Agreement(a) => format!("{} × (trade agreement of {}; {})", a.t, a.importer, a.source),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

type GsLine = (String, Supplier, bool, String);
type SrcLine = (String, &'static str, Supplier, bool, String);

fn explanation(
    r: &EuCrmRow,
    t: &Terms,
    gs: &[GsLine],
    src: &[SrcLine],
    world_total: f64,
    sourcing_total: f64,
    p: &EuCrmParams,
) -> Explanation {
    let line = |c: &str, origin: &str, s: &Supplier, total: f64, unscored: bool, why: &str| {
        let share = s.amount / total;
        vec![
            Cell::from(c),
            Cell::from(origin),
            Cell::from(s.amount),
            Cell::from(share),
            Cell::from(s.wgi_scaled),
            Cell::from(if unscored { "no score: default" } else { "governance.estimate (PV)" }),
            Cell::from(s.t),
            Cell::from(why),
            Cell::from(share * share * s.wgi_scaled * s.t),
        ]
    };
    let columns: Vec<String> =
        ["country", "origin", "amount", "share s_k", "WGI_k (0–10)", "WGI source", "t_k", "t source", "s_k² WGI_k t_k"]
            .map(String::from)
            .to_vec();
    let mut gs_rows: Vec<&GsLine> = gs.iter().collect();
    gs_rows.sort_by(|a, b| b.1.amount.total_cmp(&a.1.amount).then(a.0.cmp(&b.0)));
    let mut src_rows: Vec<&SrcLine> = src.iter().collect();
    src_rows.sort_by(|a, b| b.2.amount.total_cmp(&a.2.amount).then(a.0.cmp(&b.0)));
    Explanation {
        title: format!("EU CRM supply risk · {} · {} ({}) · {}", r.importer, r.material, r.stage, r.year),
        info: r.info.clone(),
        equation:
            "SR = [HHI_WGI,t(GS) × IR/2 + HHI_WGI,t(sourcing) × (1 − IR/2)] × (1 − EoL_RIR) × SI_SR;  HHI_WGI,t = Σ s_k² × WGI_k × t_k"
                .into(),
        terms: vec![
            Term::new(
                "HHI_WGI,t(GS)",
                "global supply: world production shares, 0–10",
                t.hhi_wgi_t_global,
                "production.amount, governance.estimate, params t",
            ),
            Term::new(
                "HHI_WGI,t(sourcing)",
                "the unit's sourcing: own production + imports, 0–10",
                t.hhi_wgi_t_sourcing,
                "production, trade.quantity_t, governance.estimate, params t",
            ),
            Term::new("P", "members' production, t", r.domestic_production_t, "production.amount × unit factor"),
            Term::new("I", "imports from non-members with a quantity, t", r.imports_t, "trade.quantity_t"),
            Term::new("E", "exports to non-members with a quantity, t", r.exports_t, "trade.quantity_t"),
            Term::new("IR", "(I − E) / (P + I − E), 0–1", t.import_reliance, "computed"),
            Term::new("EoL_RIR", "end-of-life recycling input rate", t.eol_rir, "materials.eol_rir (HS Code Map, 2023)"),
            Term::new(
                "SI_SR",
                "substitution index for supply risk",
                t.si_sr,
                if r.si_sr_default { "params default" } else { "params [[substitution]]" },
            ),
            Term::new("SR", "supply risk", r.supply_risk, "computed"),
            Term::new("EI", "economic importance", r.economic_importance, "params [[economic_importance]]"),
        ],
        tables: vec![
            ExplainTable {
                title: format!("global supply {} ({} countries, total {world_total})", r.year, gs.len()),
                columns: columns.clone(),
                rows: gs_rows.iter().map(|(c, s, u, why)| line(c, "production", s, world_total, *u, why)).collect(),
            },
            ExplainTable {
                title: format!("sourcing of {} ({} countries, {sourcing_total} t)", r.importer, src.len()),
                columns,
                rows: src_rows.iter().map(|(c, o, s, u, why)| line(c, o, s, sourcing_total, *u, why)).collect(),
            },
        ],
        notes: {
            let mut n = r.approximations.clone();
            n.push(format!(
                "high supply risk when SR ≥ {}; critical when also EI ≥ {} ({})",
                p.defaults.sr_threshold,
                p.defaults.ei_threshold,
                p.label()
            ));
            n
        },
    }
}
