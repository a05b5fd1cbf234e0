//! The CRMA benchmark over the store: per importing unit × material × year with World Mining
//! Data production (2018–2024 in the default dataset), the members' production in tonnes,
//! the imports from third countries in tonnes, then [`super::benchmark`].

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;
use serde::Serialize;

use chokepoint_data::Manifest;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};
use chokepoint_model::risk_params::CrmaParams;

use crate::dependency::reference;
use crate::dependency::{DependencyError, ItemSelection, PartnerShare, query};
use crate::explain::{Cell, ExplainTable, Explanation, Term};
use crate::geopolrisk::compute::tonnes_per_unit;
use crate::method::MethodInfo;
use crate::scope::production_scope;

use super::{Benchmark, benchmark};

/// Version of the CRMA benchmark implementation, recorded with every row.
pub const METHOD: &str = "chokepoint CRMA third-country benchmark v1 (METHODS.md §4; Regulation (EU) 2024/1252 Art. 5(1)(d))";

/// The store tables the benchmark reads.
const TABLES: [&str; 3] = ["trade", "production", "materials"];

/// A CRMA benchmark request.
#[derive(Debug, Clone)]
pub struct CrmaRequest {
    pub importers: Vec<ImporterSpec>,
    pub groups: CountryGroups,
    /// `AllMaterials`: the strategic materials of `params` (every material with
    /// `all_materials`); `Materials`: those named, strategic or not.
    pub items: ItemSelection,
    /// Years; empty = every year with production data and trade.
    pub years: Vec<i32>,
    pub params: CrmaParams,
    /// Benchmark share, 0–1 (default: `params.benchmark`, 0.65).
    pub benchmark: f64,
    /// With `AllMaterials`: every material of the store, not only the strategic ones.
    pub all_materials: bool,
    pub explain: bool,
}

/// What [`crma`] returns.
#[derive(Debug, Clone)]
pub struct CrmaResult {
    /// Per importer (in the order given) and year, largest third-country share first.
    pub rows: Vec<CrmaRow>,
    pub notices: Vec<String>,
    pub info: MethodInfo,
    pub explanations: Vec<Explanation>,
}

/// One importing unit × material × year.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmaRow {
    pub importer: String,
    pub members: Vec<String>,
    pub year: i32,
    pub material: String,
    /// The material stands for a strategic raw material of Annex I Section 1 (`params/crma.toml`).
    pub strategic: bool,
    /// The strategic raw material as the Regulation names it (`None` when not strategic).
    pub strategic_raw_material: Option<String>,
    /// Supply-chain stage the row measures (`materials.stage`: Extraction or Processing).
    pub stage: String,
    pub hs6: Vec<String>,
    /// Unit of World Mining Data's production of the material, converted to tonnes.
    pub production_unit: String,
    /// `p`: the members' own production, tonnes.
    pub member_production_t: f64,
    /// `Σ_k M_k`: imports from third countries with a reported quantity, tonnes.
    pub third_country_imports_t: f64,
    /// `p + Σ_k M_k`, tonnes (approximates consumption: exports and stocks ignored).
    pub supply_t: f64,
    /// `p / supply`, 0–1.
    pub member_production_share: f64,
    /// Third countries with imports > 0.
    pub third_countries: usize,
    /// The largest third-country supplier (`None` without imports).
    pub top_third_country: Option<String>,
    /// Its share of supply, 0–1 (0 without imports).
    pub top_third_share: f64,
    /// Its imports, tonnes.
    pub top_third_imports_t: f64,
    /// The three largest third countries and their shares of supply.
    pub top3_third: Vec<PartnerShare>,
    /// The benchmark used, 0–1.
    pub benchmark: f64,
    /// `top_third_share > benchmark`.
    pub over_benchmark: bool,
    /// `100 × (top_third_share − benchmark)`: positive = points over, negative = below.
    pub over_benchmark_pp: f64,
    /// Tonnes of the top country's imports that would have to move to other suppliers to reach the benchmark.
    pub tonnes_to_move: f64,
    /// Import value of flows from third countries without a reported quantity (not in supply), USD.
    pub value_without_quantity_usd: f64,
    #[serde(flatten)]
    pub info: MethodInfo,
}

/// Compute the CRMA benchmark rows over the store.
///
/// Errors: as [`crate::dependency::dependency`] for countries and materials; `--hs` items,
/// a benchmark outside (0, 1) and years without production or trade are usage errors; no
/// row at all is `Empty`.
pub async fn crma(ctx: &SessionContext, manifest: &Manifest, req: &CrmaRequest) -> Result<CrmaResult, DependencyError> {
    let mut notices = Vec::new();
    let info = MethodInfo::new("crma", METHOD, Some(&format!("crma {}", req.params.version)), manifest, &TABLES);
    if !(req.benchmark > 0.0 && req.benchmark < 1.0) {
        return Err(DependencyError::Usage(format!(
            "the CRMA benchmark must be a share strictly between 0 and 1 (0.65 = 65 %), not {}",
            req.benchmark
        )));
    }
    let selection = match &req.items {
        ItemSelection::Hs6(_) => {
            return Err(DependencyError::Usage(
                "the CRMA benchmark is computed per material (production + imports), not per HS6 product: use --material".into(),
            ));
        }
        ItemSelection::AllMaterials if !req.all_materials => {
            let in_store: BTreeMap<String, String> = query::text_rows(ctx, "SELECT material FROM materials")
                .await?
                .into_iter()
                .filter_map(|r| r[0].clone())
                .map(|m| (m.to_lowercase(), m))
                .collect();
            let (found, missing): (Vec<_>, Vec<_>) =
                req.params.strategic.iter().partition(|s| in_store.contains_key(&s.material.to_lowercase()));
            // A near miss of a store material is a typo in the parameters file: an error.
            for m in &missing {
                if let Some(hit) =
                    in_store.values().find(|x| strsim::damerau_levenshtein(&x.to_lowercase(), &m.material.to_lowercase()) <= 2)
                {
                    return Err(DependencyError::Usage(format!(
                        "{}: strategic {:?}: no material {:?} in the store; did you mean {hit:?}?",
                        req.params.file, m.raw_material, m.material
                    )));
                }
            }
            if !missing.is_empty() {
                notices.push(format!(
                    "strategic materials of the parameters file not in the store: {}",
                    missing.iter().map(|s| s.material.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
            if found.is_empty() {
                return Err(DependencyError::Usage(
                    "none of the strategic materials of the parameters file is in the store's materials table".into(),
                ));
            }
            ItemSelection::Materials(found.iter().map(|s| in_store[&s.material.to_lowercase()].clone()).collect())
        }
        other => other.clone(),
    };
    let scope =
        production_scope(ctx, manifest, &req.importers, &req.groups, &selection, &req.years, "the CRMA benchmark", &mut notices).await?;
    let (items, production, years, members) = (&scope.items, &scope.production, &scope.years, &scope.members);
    let flows = query::unit_flows(ctx, members, years, &scope.codes).await?;
    let stage = reference::stages(ctx).await?;
    let mut by_key: BTreeMap<(usize, i32, &str), Vec<&query::UnitFlow>> = BTreeMap::new();
    for f in flows.iter().filter(|f| !f.internal) {
        by_key.entry((f.unit, f.year, f.hs6.as_str())).or_default().push(f);
    }
    let mut rows = Vec::new();
    let mut explanations = Vec::new();
    let (mut other_unit, mut no_production, mut no_supply) = (BTreeSet::new(), BTreeSet::new(), 0usize);
    for (u, spec) in req.importers.iter().enumerate() {
        for &year in years {
            for item in items {
                let material = item.material.clone().expect("materials only");
                let unit = production.units.get(&material).cloned().unwrap_or_default();
                let Some(per_unit) = tonnes_per_unit(&unit) else {
                    other_unit.insert(format!("{material} ({unit})"));
                    continue;
                };
                let Some(world) = production.amounts.get(&material).and_then(|m| m.get(&year)) else {
                    no_production.insert(format!("{material} {year}"));
                    continue;
                };
                let mem = &members[u][&year];
                // fold from +0.0: an empty f64 sum is −0.0.
                let p_t = mem.iter().filter_map(|m| world.get(m)).fold(0.0, |a, b| a + b) * per_unit;
                let mut imports: BTreeMap<String, f64> = BTreeMap::new();
                let mut without = 0.0;
                for code in &item.codes {
                    for f in by_key.get(&(u, year, code.as_str())).into_iter().flatten() {
                        without += f.value_usd_without_quantity;
                        if let Some(q) = f.quantity_t {
                            *imports.entry(f.exporter.clone()).or_insert(0.0) += q;
                        }
                    }
                }
                let Some(b) = benchmark(p_t, &imports, req.benchmark) else {
                    no_supply += 1;
                    continue;
                };
                let strategic = req.params.strategic(&material);
                let row = CrmaRow {
                    importer: spec.to_string(),
                    members: mem.iter().cloned().collect(),
                    year,
                    material: material.clone(),
                    strategic: strategic.is_some(),
                    strategic_raw_material: strategic.map(|s| s.raw_material.clone()),
                    stage: stage.get(&material).cloned().unwrap_or_default(),
                    hs6: item.codes.clone(),
                    production_unit: unit.clone(),
                    member_production_t: p_t,
                    third_country_imports_t: b.supply_t - p_t,
                    supply_t: b.supply_t,
                    member_production_share: b.member_production_share,
                    third_countries: b.third.len(),
                    top_third_country: b.third.first().map(|p| p.country.clone()),
                    top_third_share: b.top_share,
                    top_third_imports_t: b.top_imports_t,
                    top3_third: b.third.iter().take(3).cloned().collect(),
                    benchmark: req.benchmark,
                    over_benchmark: b.over,
                    over_benchmark_pp: b.over_pp,
                    tonnes_to_move: b.tonnes_to_move,
                    value_without_quantity_usd: without,
                    info: info.clone(),
                };
                if req.explain {
                    let form = strategic.map(|s| s.form.clone());
                    explanations.push(explanation(&row, &b, &imports, world, mem, per_unit, form, spec));
                }
                rows.push(row);
            }
        }
    }
    if !other_unit.is_empty() {
        notices.push(format!(
            "production in a unit that does not convert to tonnes, left out: {}",
            other_unit.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !no_production.is_empty() {
        notices.push(format!(
            "no World Mining Data production in the year, left out: {}",
            no_production.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if no_supply > 0 {
        notices.push(format!("{no_supply} importer × material × year without own production or imports with a quantity, left out"));
    }
    if rows.is_empty() {
        return Err(DependencyError::Empty("no importer × material × year with own production or imports".into()));
    }
    notices.push(format!(
        "supply = members' production (World Mining Data, converted to tonnes) + imports from third countries (tonnes; trade between members dropped; flows without a quantity left out): it approximates consumption, ignoring exports and stock changes (DATA.md pitfall 7); production and trade tonnes of different forms (ore, concentrate, metal content) are added as they are (params/crma.toml `form`); {}",
        if (req.benchmark - 0.65).abs() < 1e-12 {
            "benchmark 65 % (Regulation (EU) 2024/1252 Art. 5(1)(d))".to_owned()
        } else {
            format!("threshold {:.0} % as asked (not the Regulation's Art. 5(1)(d) benchmark of 65 %)", req.benchmark * 100.0)
        }
    ));
    notices.push(
        "stage = the supply-chain stage of the material's traded HS6 codes in World Mining Data's HS Code Map; its production tables are mostly mine output (Cobalt, Rare Earths, Lithium are `Processing` in the map, but their production is mine production), so member production and imports can be of different stages"
            .into(),
    );
    if !req.params.not_covered.is_empty() {
        notices.push(format!(
            "strategic raw materials the dataset cannot measure: {}",
            req.params.not_covered.iter().map(|n| format!("{} ({})", n.raw_material, n.why)).collect::<Vec<_>>().join("; ")
        ));
    }
    let order: BTreeMap<String, usize> = req.importers.iter().enumerate().map(|(i, s)| (s.to_string(), i)).collect();
    let cmp = |a: &CrmaRow, b: &CrmaRow| {
        order[&a.importer]
            .cmp(&order[&b.importer])
            .then(a.year.cmp(&b.year))
            .then(b.top_third_share.total_cmp(&a.top_third_share))
            .then(a.material.cmp(&b.material))
    };
    if req.explain {
        let mut paired: Vec<(CrmaRow, Explanation)> = rows.into_iter().zip(explanations).collect();
        paired.sort_by(|a, b| cmp(&a.0, &b.0));
        (rows, explanations) = paired.into_iter().unzip();
    } else {
        rows.sort_by(cmp);
    }
    Ok(CrmaResult { rows, notices, info, explanations })
}

#[allow(clippy::too_many_arguments)]
fn explanation(
    r: &CrmaRow,
    b: &Benchmark,
    imports: &BTreeMap<String, f64>,
    world: &BTreeMap<String, f64>,
    members: &BTreeSet<String>,
    per_unit: f64,
    form: Option<String>,
    spec: &ImporterSpec,
) -> Explanation {
    let mut supply_rows: Vec<Vec<Cell>> = Vec::new();
    for m in members.iter().filter(|m| world.get(*m).is_some_and(|a| *a > 0.0)) {
        let t = world[m] * per_unit;
        supply_rows.push(vec![Cell::from(m.as_str()), Cell::from("member production"), Cell::from(t), Cell::from(t / b.supply_t)]);
    }
    for p in &b.third {
        supply_rows.push(vec![
            Cell::from(p.country.as_str()),
            Cell::from("third-country imports"),
            Cell::from(imports.get(&p.country).copied()),
            Cell::from(p.share),
        ]);
    }
    let mut notes = vec![
        "supply approximates consumption: exports and stock changes are ignored (DATA.md pitfall 7)".to_owned(),
        format!("production in {} converted to tonnes × {per_unit}", r.production_unit),
        format!(
            "imports: trade.quantity_t from countries outside the unit; {:.0} USD of flows without a quantity left out",
            r.value_without_quantity_usd
        ),
        format!("stage measured: {}", if r.stage.is_empty() { "not given in the materials table" } else { r.stage.as_str() }),
    ];
    match (&r.strategic_raw_material, form) {
        (Some(s), Some(f)) => notes.push(format!("strategic raw material: {s}; dataset coverage: {f}")),
        _ => notes.push("not a strategic raw material of Annex I Section 1 (params/crma.toml)".into()),
    }
    Explanation {
        title: format!("CRMA benchmark · {spec} · {} · {}", r.material, r.year),
        info: r.info.clone(),
        equation: "supply = p + Σ_k M_k;  share_k = M_k / supply;  over when max_k share_k > b;  to move = M_top − b × supply".into(),
        terms: vec![
            Term::new("p", "members' own production, t", r.member_production_t, "production.amount × unit factor"),
            Term::new("Σ_k M_k", "imports from third countries, t", r.third_country_imports_t, "trade.quantity_t"),
            Term::new("supply", "p + Σ_k M_k, t", r.supply_t, "computed"),
            Term::new("p / supply", "member production share", r.member_production_share, "computed"),
            Term::new("M_top", "imports from the largest third country, t", r.top_third_imports_t, "trade.quantity_t"),
            Term::new("max share_k", "largest third-country share of supply", r.top_third_share, "computed"),
            Term::new("b", "benchmark", r.benchmark, "params/crma.toml benchmark or --crma-benchmark"),
            Term::new("over (pp)", "100 × (max share − b)", r.over_benchmark_pp, "computed"),
            Term::new("to move, t", "max(0, M_top − b × supply)", r.tonnes_to_move, "computed"),
        ],
        tables: vec![ExplainTable {
            title: format!("supply {} by source, members first then third countries, largest first", r.year),
            columns: ["country", "source", "t", "share of supply"].map(String::from).to_vec(),
            rows: supply_rows,
        }],
        notes,
    }
}
