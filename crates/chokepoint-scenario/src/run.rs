//! A scenario over the store: resolve the file's names against the store ([`resolve`], the
//! `scenario check` command), read the baseline, run the pure model per material and
//! reporting unit, and assemble typed rows with provenance and a plain-language summary.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;
use serde::Serialize;

use chokepoint_data::Manifest;
use chokepoint_metrics::dependency::items::resolve_items;
use chokepoint_metrics::dependency::query::text_rows;
use chokepoint_metrics::dependency::reference::{country_names, governance, production};
use chokepoint_metrics::dependency::{DependencyError, ItemSelection};
use chokepoint_metrics::method::MethodInfo;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};

use crate::baseline::{MaterialBaseline, ShockSpec, latest_trade_year, market, material_baseline, trade_years};
use crate::file::{Allocation, Baseline, Destinations, Located, Scenario};
use crate::model::{Capacity, Outcome, Rule, apparent_supply_t, simulate, stockpile};
use crate::montecarlo::{MonteCarloOptions, MonteCarloResult, monte_carlo};
use crate::params::ScenarioParams;
use crate::{METHOD_VERSION, ScenarioError};

/// Default reporting units: Japan, Germany and their coalition.
pub const DEFAULT_IMPORTERS: [&str; 3] = ["JPN", "DEU", "JPN+DEU"];

/// One material (or HS6 product) of a resolved scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedItem {
    pub label: String,
    pub codes: Vec<String>,
    pub production_material: Option<String>,
}

/// A scenario file checked against the store.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub year: i32,
    pub items: Vec<ResolvedItem>,
    /// Withholding countries, ISO3 (groups expanded for the baseline year).
    pub suppliers: BTreeSet<String>,
    /// Hit destinations, ISO3; `None` = all.
    pub destinations: Option<BTreeSet<String>>,
    /// Reporting units: label, spec.
    pub units: Vec<(String, ImporterSpec)>,
    /// Preferred pairs of the optimised allocation, as ISO3 sets of the baseline year.
    pub preferences: ResolvedPreferences,
    /// Things the reader must know (materials without HS6 codes, baseline chosen, …).
    pub notices: Vec<String>,
}

/// `[allocation.preferences]` with groups expanded to their members of the baseline year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedPreferences {
    /// Each coalition's members (ISO3).
    pub coalitions: Vec<BTreeSet<String>>,
    /// Each pair's supplier members and importer members (ISO3).
    pub pairs: Vec<(BTreeSet<String>, BTreeSet<String>)>,
}

impl ResolvedPreferences {
    pub fn is_empty(&self) -> bool {
        self.coalitions.is_empty() && self.pairs.is_empty()
    }

    /// The preferred (supplier party, importer party) pairs of the market of reporting unit
    /// `unit` with `members` (who are one party named `unit`): every two parties with
    /// members in a common coalition (both ways, and each with itself), and every party
    /// pair of an explicit pair.
    pub fn party_pairs(&self, unit: &str, members: &BTreeSet<String>) -> BTreeSet<(String, String)> {
        let party = |c: &String| if members.contains(c) { unit.to_owned() } else { c.clone() };
        let mut out = BTreeSet::new();
        for c in &self.coalitions {
            let parties: BTreeSet<String> = c.iter().map(party).collect();
            for a in &parties {
                for b in &parties {
                    out.insert((a.clone(), b.clone()));
                }
            }
        }
        for (s, i) in &self.pairs {
            for a in s {
                for b in i {
                    out.insert((party(a), party(b)));
                }
            }
        }
        out
    }
}

fn file_err(s: &Scenario, at: &Located<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError::File { file: s.file.clone(), line: at.line, field: at.field.clone(), message: message.into() }
}

/// Parse a country or group (`CHN`, `G7`, `JPN+DEU`) and check its countries against the store.
fn country_or_group(
    s: &Scenario,
    at: &Located<String>,
    groups: &CountryGroups,
    known: &BTreeSet<String>,
) -> Result<ImporterSpec, ScenarioError> {
    let spec = groups.parse_importer(&at.value).map_err(|e| file_err(s, at, e.to_string()))?;
    fn check(spec: &ImporterSpec, known: &BTreeSet<String>) -> Result<(), String> {
        match spec {
            ImporterSpec::Country(c) if !known.contains(c.as_str()) => Err(format!("{c} is not a country of the store")),
            ImporterSpec::Coalition(parts) => parts.iter().try_for_each(|p| check(p, known)),
            _ => Ok(()),
        }
    }
    check(&spec, known).map_err(|m| file_err(s, at, m))?;
    Ok(spec)
}

/// Check a scenario against the store: countries and groups, materials and HS6 codes, the
/// baseline year. `importers` overrides the file's (and the default JPN, DEU, JPN+DEU).
/// Unknown names are [`ScenarioError::File`] errors with the line and field; a material
/// without HS6 code is a notice (it is reported as not covered, not an error).
pub async fn resolve(
    ctx: &SessionContext,
    s: &Scenario,
    groups: &CountryGroups,
    importers: Option<&[ImporterSpec]>,
) -> Result<Resolved, ScenarioError> {
    let mut notices = Vec::new();
    let known: BTreeSet<String> =
        text_rows(ctx, "SELECT DISTINCT iso3 FROM countries").await?.into_iter().filter_map(|r| r[0].clone()).collect();
    let years = trade_years(ctx).await?;
    let year = match s.baseline.value {
        Baseline::Year(y) if years.contains(&y) => y,
        Baseline::Year(y) => {
            let (lo, hi) = (years.first().copied().unwrap_or(0), years.last().copied().unwrap_or(0));
            return Err(ScenarioError::File {
                file: s.file.clone(),
                line: s.baseline.line,
                field: "baseline_year".into(),
                message: format!("{y}: the store has trade for {lo}–{hi}"),
            });
        }
        Baseline::Latest => {
            let y = latest_trade_year(ctx).await?;
            notices.push(format!("baseline: {y}, the latest year with trade"));
            y
        }
    };
    let mut suppliers = BTreeSet::new();
    for at in &s.suppliers {
        let spec = country_or_group(s, at, groups, &known)?;
        suppliers.extend(groups.members(&spec, year));
    }
    let destinations = match &s.destinations {
        Destinations::All => None,
        Destinations::Some(list) => {
            let mut set = BTreeSet::new();
            for at in list {
                let spec = country_or_group(s, at, groups, &known)?;
                set.extend(groups.members(&spec, year));
            }
            Some(set)
        }
    };
    for o in s.supplier_overrides.iter().map(|o| &o.country).chain(s.probability.suppliers.iter().map(|o| &o.country)) {
        if !known.contains(o.value.trim().to_uppercase().as_str()) {
            return Err(file_err(s, o, format!("{:?} is not a country of the store (an ISO3 code, e.g. AUS)", o.value)));
        }
    }
    let units: Vec<(String, ImporterSpec)> = match importers {
        Some(list) => {
            for spec in list {
                fn check(spec: &ImporterSpec, known: &BTreeSet<String>) -> Result<(), ScenarioError> {
                    match spec {
                        ImporterSpec::Country(c) if !known.contains(c.as_str()) => Err(ScenarioError::Usage(format!(
                            "importer {c} is not a country of the store (`chokepoint sql \"SELECT iso3, name FROM countries\"` lists them)"
                        ))),
                        ImporterSpec::Coalition(parts) => parts.iter().try_for_each(|p| check(p, known)),
                        _ => Ok(()),
                    }
                }
                check(spec, &known)?;
            }
            list.iter().map(|sp| (sp.to_string(), sp.clone())).collect()
        }
        None if !s.importers.is_empty() => {
            let mut out = Vec::new();
            for at in &s.importers {
                let spec = country_or_group(s, at, groups, &known)?;
                out.push((spec.to_string(), spec));
            }
            out
        }
        None => DEFAULT_IMPORTERS.iter().map(|i| groups.parse_importer(i).expect("valid default")).map(|sp| (sp.to_string(), sp)).collect(),
    };
    let mut units_seen = BTreeSet::new();
    let units = units.into_iter().filter(|(l, _)| units_seen.insert(l.clone())).collect();
    // Materials one at a time, so that an error points at its line; a material of the
    // materials table without HS6 code is reported as not covered.
    let mut items: Vec<ResolvedItem> = Vec::new();
    let no_code: BTreeSet<String> =
        text_rows(ctx, "SELECT material FROM materials WHERE cardinality(hs6_main) = 0 AND cardinality(hs6_complementary) = 0")
            .await?
            .into_iter()
            .filter_map(|r| r[0].clone())
            .collect();
    let mut push = |it: ResolvedItem| {
        if !items.iter().any(|x| x.label == it.label) {
            items.push(it);
        }
    };
    for at in &s.materials {
        if at.value.trim().eq_ignore_ascii_case("all") {
            let mut n = Vec::new();
            resolve_items(ctx, &ItemSelection::AllMaterials, &mut n).await?.into_iter().for_each(|i| {
                push(ResolvedItem { label: i.label(), codes: i.codes.clone(), production_material: i.production_material.clone() })
            });
            notices.extend(n);
            continue;
        }
        if let Some(m) = no_code.iter().find(|m| m.eq_ignore_ascii_case(at.value.trim())) {
            notices.push(format!(
                "{m}: no HS6 code in World Mining Data's HS Code Map (the default dataset's materials table), so no trade to withhold: not covered"
            ));
            continue;
        }
        let mut n = Vec::new();
        match resolve_items(ctx, &ItemSelection::Materials(vec![at.value.clone()]), &mut n).await {
            Ok(found) => found.into_iter().for_each(|i| {
                push(ResolvedItem { label: i.label(), codes: i.codes.clone(), production_material: i.production_material.clone() })
            }),
            Err(DependencyError::Usage(m)) => return Err(file_err(s, at, m)),
            Err(e) => return Err(e.into()),
        }
        notices.extend(n);
    }
    for at in &s.hs6 {
        let mut n = Vec::new();
        match resolve_items(ctx, &ItemSelection::Hs6(vec![at.value.clone()]), &mut n).await {
            Ok(found) => found.into_iter().for_each(|i| {
                push(ResolvedItem { label: i.label(), codes: i.codes.clone(), production_material: i.production_material.clone() })
            }),
            Err(DependencyError::Usage(m)) => return Err(file_err(s, at, m)),
            Err(e) => return Err(e.into()),
        }
        notices.extend(n);
    }
    let mut preferences = ResolvedPreferences::default();
    for at in &s.preferences.coalitions {
        let spec = country_or_group(s, at, groups, &known)?;
        preferences.coalitions.push(groups.members(&spec, year));
    }
    for pair in &s.preferences.pairs {
        let sup = country_or_group(s, &pair.supplier, groups, &known)?;
        let imp = country_or_group(s, &pair.importer, groups, &known)?;
        preferences.pairs.push((groups.members(&sup, year), groups.members(&imp, year)));
    }
    if s.allocation == Allocation::ProRata && !preferences.is_empty() {
        notices.push("allocation pro-rata: the file's [allocation.preferences] are not used (they need `optimise`)".into());
    }
    if s.allocation == Allocation::Optimise && preferences.is_empty() {
        notices.push("allocation optimise without [allocation.preferences]: no pair is preferred, so it equals pro-rata".into());
    }
    Ok(Resolved { year, items, suppliers, destinations, units, preferences, notices })
}

/// A scenario run.
#[derive(Debug, Clone)]
pub struct ScenarioRequest {
    pub scenario: Scenario,
    /// Also run the Monte Carlo (probabilistic mode).
    pub monte_carlo: Option<MonteCarloOptions>,
    /// Reporting units instead of the file's (`--importer`).
    pub importers: Option<Vec<ImporterSpec>>,
    pub groups: CountryGroups,
    pub params: ScenarioParams,
}

impl ScenarioRequest {
    /// The Monte Carlo options: run it when `draws` is given (`--draws`) or the file has a
    /// `[probability]` table; draws and seed from the argument, else the file, else
    /// `params/scenario.toml`.
    pub fn monte_carlo_options(
        scenario: &Scenario,
        params: &ScenarioParams,
        draws: Option<u64>,
        seed: Option<u64>,
        progress: bool,
    ) -> Option<MonteCarloOptions> {
        if draws.is_none() && !scenario.probability.enabled {
            return None;
        }
        Some(MonteCarloOptions {
            draws: draws.or(scenario.probability.draws).unwrap_or(params.probability.draws),
            seed: seed.or(scenario.probability.seed).unwrap_or(params.probability.seed),
            progress,
        })
    }
}

/// The effect on one reporting unit × material. Tonnes and USD are over the disruption
/// (`duration_months`); shares are of the unit's annual apparent supply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImporterRow {
    pub scenario: String,
    pub importer: String,
    /// The unit's members in the baseline year.
    pub members: Vec<String>,
    pub material: String,
    pub hs6: Vec<String>,
    pub baseline_year: i32,
    pub duration_months: f64,
    /// Share of exports withheld by the suppliers, 0–1.
    pub fraction: f64,
    /// Baseline imports from outside the unit, tonnes per year (flows with a quantity).
    pub imports_t: f64,
    /// Baseline imports from outside the unit, USD per year.
    pub imports_usd: f64,
    /// The members' production in the baseline year (nearest production year), tonnes per year.
    pub production_t: f64,
    /// Exports to outside the unit in the baseline year, tonnes per year.
    pub exports_t: f64,
    /// Apparent supply = imports + production − exports, tonnes per year (baseline).
    pub apparent_supply_t: f64,
    /// Lost imports, tonnes.
    pub loss_t: f64,
    /// Lost imports, USD.
    pub loss_usd: f64,
    /// Share of the lost value whose flows report no tonnes, 0–1 (not in `loss_t`).
    pub loss_value_share_without_quantity: f64,
    /// `loss_t` / apparent supply over the duration; null when apparent supply ≤ 0.
    pub loss_share: Option<f64>,
    /// Substitution received, tonnes.
    pub received_t: f64,
    /// Of `received_t`, what came over preferred pairs (optimised allocation; 0 under
    /// pro-rata), tonnes.
    pub received_preferred_t: f64,
    /// `pro-rata` or `optimise`.
    pub allocation: String,
    /// Residual shortfall = loss − received, tonnes (≥ 0).
    pub residual_t: f64,
    /// Residual / apparent supply over the duration; null when apparent supply ≤ 0.
    pub residual_share: Option<f64>,
    /// Taken from the unit by its suppliers that redirect to others, tonnes.
    pub displaced_t: f64,
    /// Residual + displaced, tonnes.
    pub net_shortfall_t: f64,
    /// The suppliers that fill the gap, largest first: (ISO3, tonnes).
    pub filled_by: Vec<(String, f64)>,
    /// Share of the world's loss that substitution covers, `min(1, A / L)` under both
    /// allocations (pro-rata: also every importer's own share).
    pub coverage: f64,
    /// The world's lost imports, tonnes.
    pub world_loss_t: f64,
    /// Days of consumption needed in stock to bridge the residual: residual / (apparent supply / 365).
    pub stock_days_needed: Option<f64>,
    /// The target the days are compared with (JOGMEC: 60).
    pub stock_target_days: f64,
    /// Share of the residual a target-sized stock covers, 0–1.
    pub stock_target_cover_share: Option<f64>,
    /// Baseline import unit value, USD/t (imports with a quantity).
    pub unit_value_usd_per_t: Option<f64>,
    /// The residual shortfall at the baseline unit value, USD.
    pub residual_value_usd: Option<f64>,
    #[serde(flatten)]
    pub info: MethodInfo,
}

/// What one supplier withholds, redirects and adds, as seen from one reporting unit's run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupplierRow {
    pub scenario: String,
    /// The reporting unit of the run.
    pub importer: String,
    pub material: String,
    /// Supplier ISO3 (or the unit's label).
    pub supplier: String,
    pub exports_t: f64,
    pub withheld_t: f64,
    pub withheld_usd: f64,
    pub offered_t: f64,
    pub supplied_t: f64,
    pub redirected_t: f64,
    pub spare_production_t: f64,
}

/// The result of a scenario run.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScenarioResult {
    pub title: String,
    pub source: String,
    pub kind: String,
    pub baseline_year: i32,
    /// How importers share the substitution.
    pub allocation: Allocation,
    /// Two sentences in plain language.
    pub summary: Vec<String>,
    pub rows: Vec<ImporterRow>,
    pub suppliers: Vec<SupplierRow>,
    pub notices: Vec<String>,
    pub info: MethodInfo,
    /// The probabilistic mode, when asked for.
    pub monte_carlo: Option<MonteCarloResult>,
}

/// The capacity of a party: per-supplier override, else the file's, else the parameters'.
pub(crate) fn capacity_fn<'a>(s: &'a Scenario, params: &'a ScenarioParams) -> impl Fn(&str) -> Capacity + 'a {
    move |party: &str| {
        let mut c = Capacity {
            redirect_share: s.redirect_share.unwrap_or(params.substitution.redirect_share),
            spare_production_share: s.spare_production_share.unwrap_or(params.substitution.spare_production_share),
        };
        if let Some(o) = s.supplier_overrides.iter().find(|o| o.country.value.trim().eq_ignore_ascii_case(party)) {
            c.redirect_share = o.redirect_share.unwrap_or(c.redirect_share);
            c.spare_production_share = o.spare_production_share.unwrap_or(c.spare_production_share);
        }
        c
    }
}

/// Everything a run needs from the store, read once (the Monte Carlo reruns the model on it).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub resolved: Resolved,
    pub baselines: Vec<MaterialBaseline>,
    /// Members of each unit in the baseline year.
    pub members: Vec<BTreeSet<String>>,
    pub names: BTreeMap<String, String>,
    /// Normalised WGI-PV by ISO3 of `governance_year`.
    pub governance: BTreeMap<String, f64>,
    /// The WGI year nearest to the baseline (the earlier of two).
    pub governance_year: Option<i32>,
}

/// Resolve the scenario and read its baseline.
pub async fn prepare(ctx: &SessionContext, req: &ScenarioRequest) -> Result<Prepared, ScenarioError> {
    let mut resolved = resolve(ctx, &req.scenario, &req.groups, req.importers.as_deref()).await?;
    let prod = production(ctx, &mut resolved.notices).await?;
    let mut baselines = Vec::new();
    for it in &resolved.items {
        let b = material_baseline(ctx, it.label.clone(), it.codes.clone(), &prod, it.production_material.as_deref(), resolved.year).await?;
        match b.production_year {
            Some(y) if y != resolved.year => {
                resolved.notices.push(format!("{}: production of {y} (nearest year to the baseline {})", b.label, resolved.year))
            }
            None => resolved
                .notices
                .push(format!("{}: no production figures; apparent supply = imports − exports, no spare production", b.label)),
            _ => {}
        }
        if b.flows.is_empty() {
            resolved.notices.push(format!(
                "{}: no trade in {} in the store's HS6 codes ({}): nothing to withhold",
                b.label,
                resolved.year,
                b.codes.join(", ")
            ));
        }
        baselines.push(b);
    }
    let members = resolved.units.iter().map(|(_, spec)| req.groups.members(spec, resolved.year)).collect();
    let names = country_names(ctx).await?;
    let wgi = governance(ctx).await?;
    let governance_year = wgi.keys().copied().min_by_key(|&y| ((y - resolved.year).abs(), y));
    let governance = governance_year.and_then(|y| wgi.get(&y).cloned()).unwrap_or_default();
    Ok(Prepared { resolved, baselines, members, names, governance, governance_year })
}

/// The allocation rule of a unit's market: pro-rata, or optimised with the preferred party
/// pairs of `unit` ([`ResolvedPreferences::party_pairs`]).
pub fn rule(req: &ScenarioRequest, p: &Prepared, unit: &str, members: &BTreeSet<String>) -> Rule {
    match req.scenario.allocation {
        Allocation::ProRata => Rule::ProRata,
        Allocation::Optimise => Rule::Optimise(p.resolved.preferences.party_pairs(unit, members)),
    }
}

/// Run the model for every material × unit of a prepared scenario with the given withholding
/// suppliers (all of the scenario's in the deterministic run): the outcome per (material,
/// unit). Errors: the LP solver failing (optimised allocation).
pub fn outcomes(req: &ScenarioRequest, p: &Prepared, suppliers: &BTreeSet<String>) -> Result<Vec<Vec<Outcome>>, ScenarioError> {
    let cap = capacity_fn(&req.scenario, &req.params);
    let shock = ShockSpec { suppliers: suppliers.clone(), destinations: p.resolved.destinations.clone(), fraction: req.scenario.fraction };
    let rules: Vec<Rule> = p.resolved.units.iter().zip(&p.members).map(|((label, _), members)| rule(req, p, label, members)).collect();
    p.baselines
        .iter()
        .map(|b| {
            p.resolved
                .units
                .iter()
                .zip(&p.members)
                .zip(&rules)
                .map(|(((label, _), members), rule)| {
                    let (m, w) = market(b, label, members, &shock);
                    Ok(simulate(&m, &w, &cap, rule, req.scenario.duration_months)?)
                })
                .collect()
        })
        .collect()
}

/// The unit's annual exports (tonnes) and production (tonnes) in a material's baseline.
pub fn unit_exports_production(b: &MaterialBaseline, members: &BTreeSet<String>) -> (f64, f64) {
    let exports =
        b.flows.iter().filter(|f| members.contains(&f.exporter) && !members.contains(&f.importer)).filter_map(|f| f.quantity_t).sum();
    let production = members.iter().filter_map(|m| b.production_t.get(m)).sum();
    (exports, production)
}

/// Apparent supply of a unit in a material's baseline: imports from outside + members'
/// production − exports to outside, tonnes per year (flows with a quantity).
pub fn unit_apparent_supply_t(b: &MaterialBaseline, members: &BTreeSet<String>) -> f64 {
    let imports: f64 =
        b.flows.iter().filter(|f| members.contains(&f.importer) && !members.contains(&f.exporter)).filter_map(|f| f.quantity_t).sum();
    let (exports, production) = unit_exports_production(b, members);
    apparent_supply_t(imports, production, exports)
}

/// Run a scenario over the store.
pub async fn run_scenario(ctx: &SessionContext, manifest: &Manifest, req: &ScenarioRequest) -> Result<ScenarioResult, ScenarioError> {
    let p = prepare(ctx, req).await?;
    assemble(req, &p, manifest)
}

/// Typed rows from a prepared scenario (pure but for the LP solver, which can fail).
pub fn assemble(req: &ScenarioRequest, p: &Prepared, manifest: &Manifest) -> Result<ScenarioResult, ScenarioError> {
    let s = &req.scenario;
    let tables: &[&str] =
        if req.monte_carlo.is_some() { &["trade", "production", "countries", "governance"] } else { &["trade", "production", "countries"] };
    let info = MethodInfo::new("scenario", METHOD_VERSION, Some(&req.params.label()), manifest, tables);
    let outs = outcomes(req, p, &p.resolved.suppliers)?;
    let k = s.duration_months / 12.0;
    let mut rows = Vec::new();
    let mut suppliers = Vec::new();
    for (b, per_unit) in p.baselines.iter().zip(&outs) {
        for (((label, _), members), o) in p.resolved.units.iter().zip(&p.members).zip(per_unit) {
            let imp = o.importers.get(label).cloned().unwrap_or_default();
            let (exports_t, production_t) = unit_exports_production(b, members);
            // Annual imports of the unit (tonnes) are imports_t / k; use the baseline flows directly.
            let (mut imports_t_year, mut imports_usd_year, mut usd_with_q, mut lost_usd_without_q) = (0.0, 0.0, 0.0, 0.0);
            for f in b.flows.iter().filter(|f| members.contains(&f.importer) && !members.contains(&f.exporter)) {
                let hit =
                    p.resolved.suppliers.contains(&f.exporter) && p.resolved.destinations.as_ref().is_none_or(|d| d.contains(&f.importer));
                imports_usd_year += f.value_usd;
                match f.quantity_t {
                    Some(q) => {
                        imports_t_year += q;
                        usd_with_q += f.value_usd;
                    }
                    None if hit => lost_usd_without_q += s.fraction * f.value_usd,
                    None => {}
                }
            }
            let apparent = apparent_supply_t(imports_t_year, production_t, exports_t);
            let over = apparent * k;
            let share = |x: f64| (apparent > 0.0 && k > 0.0).then(|| x / over);
            let stock = stockpile(imp.residual_t, apparent, req.params.stockpile.target_days);
            let unit_value = (imports_t_year > 0.0).then(|| usd_with_q / imports_t_year);
            let mut filled_by: Vec<(String, f64)> =
                imp.received_from.iter().filter(|(_, v)| **v > 0.0).map(|(c, v)| (c.clone(), *v)).collect();
            filled_by.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            rows.push(ImporterRow {
                scenario: s.title.clone(),
                importer: label.clone(),
                members: members.iter().cloned().collect(),
                material: b.label.clone(),
                hs6: b.codes.clone(),
                baseline_year: p.resolved.year,
                duration_months: s.duration_months,
                fraction: s.fraction,
                imports_t: imports_t_year,
                imports_usd: imports_usd_year,
                production_t,
                exports_t,
                apparent_supply_t: apparent,
                loss_t: imp.loss_t,
                loss_usd: imp.loss_usd,
                loss_value_share_without_quantity: if imp.loss_usd > 0.0 { lost_usd_without_q * k / imp.loss_usd } else { 0.0 },
                loss_share: share(imp.loss_t),
                received_t: imp.received_t,
                received_preferred_t: imp.received_preferred_t,
                allocation: s.allocation.name().to_owned(),
                residual_t: imp.residual_t,
                residual_share: share(imp.residual_t),
                displaced_t: imp.displaced_t,
                net_shortfall_t: imp.net_shortfall_t(),
                filled_by,
                coverage: o.coverage,
                world_loss_t: o.total_loss_t,
                stock_days_needed: stock.map(|x| x.days_needed),
                stock_target_days: req.params.stockpile.target_days,
                stock_target_cover_share: stock.map(|x| x.target_cover_share),
                unit_value_usd_per_t: unit_value,
                residual_value_usd: unit_value.map(|u| u * imp.residual_t),
                info: info.clone(),
            });
            let mut run_rows = Vec::new();
            for (sup, e) in &o.suppliers {
                if e.withheld_t > 0.0 || e.withheld_usd > 0.0 || e.supplied_t > 0.0 {
                    run_rows.push(SupplierRow {
                        scenario: s.title.clone(),
                        importer: label.clone(),
                        material: b.label.clone(),
                        supplier: sup.clone(),
                        exports_t: e.exports_t,
                        withheld_t: e.withheld_t,
                        withheld_usd: e.withheld_usd,
                        offered_t: e.offered_t,
                        supplied_t: e.supplied_t,
                        redirected_t: e.redirected_t,
                        spare_production_t: e.spare_t,
                    });
                }
            }
            // Largest withheld first, then largest supplied.
            run_rows.sort_by(|a, b| {
                b.withheld_t
                    .total_cmp(&a.withheld_t)
                    .then(b.withheld_usd.total_cmp(&a.withheld_usd))
                    .then(b.supplied_t.total_cmp(&a.supplied_t))
                    .then(a.supplier.cmp(&b.supplier))
            });
            suppliers.extend(run_rows);
        }
    }
    let summary = summary(s, p, &rows);
    let monte_carlo = req.monte_carlo.map(|o| monte_carlo(req, p, o, &info)).transpose()?;
    Ok(ScenarioResult {
        monte_carlo,
        allocation: s.allocation,
        title: s.title.clone(),
        source: s.source.clone(),
        kind: s.kind.clone(),
        baseline_year: p.resolved.year,
        summary,
        rows,
        suppliers,
        notices: p.resolved.notices.clone(),
        info,
    })
}

fn pct(x: f64) -> String {
    if x >= 0.1 { format!("{:.0} %", x * 100.0) } else { format!("{:.1} %", x * 100.0) }
}

fn t(x: f64) -> String {
    if x >= 100.0 {
        let s = format!("{:.0}", x);
        let mut out = String::new();
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
        format!("{out} t")
    } else {
        format!("{x:.1} t")
    }
}

/// Two sentences: who loses how much of its supply and how much substitution covers; how
/// many days of stock the worst-hit unit needs against the target.
fn summary(s: &Scenario, p: &Prepared, rows: &[ImporterRow]) -> Vec<String> {
    let who = p.resolved.suppliers.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
    let what = p.baselines.iter().map(|b| b.label.as_str()).collect::<Vec<_>>().join(" and ");
    let dest = match &s.destinations {
        Destinations::All => "all destinations".to_owned(),
        Destinations::Some(l) => l.iter().map(|x| x.value.as_str()).collect::<Vec<_>>().join(", "),
    };
    if rows.is_empty() {
        return vec![
            format!(
                "{who} withholding {} of its exports for {} months: nothing in the store to compute.",
                pct(s.fraction),
                s.duration_months
            ),
            "See the notes.".into(),
        ];
    }
    let mut by_unit: Vec<String> = Vec::new();
    for (label, _) in &p.resolved.units {
        let worst = rows
            .iter()
            .filter(|r| &r.importer == label)
            .max_by(|a, b| a.loss_share.unwrap_or(-1.0).total_cmp(&b.loss_share.unwrap_or(-1.0)));
        if let Some(r) = worst {
            by_unit.push(match r.loss_share {
                Some(sh) => format!("{} loses {} of {} ({} of its supply)", label, t(r.loss_t), r.material, pct(sh)),
                None => format!("{} loses {} of {}", label, t(r.loss_t), r.material),
            });
        }
    }
    // Coverage is only a finding where something is lost (it is 1 by definition otherwise).
    let coverage = rows.iter().filter(|r| r.world_loss_t > 0.0).map(|r| r.coverage).fold(f64::INFINITY, f64::min);
    let substitution = if coverage.is_finite() {
        format!(
            "other suppliers could cover {} of the lost imports{}",
            pct(coverage),
            if p.baselines.len() > 1 { " (least-covered material)" } else { "" }
        )
    } else {
        "no tonnes of imports are lost, so there is nothing to substitute".to_owned()
    };
    let first = format!(
        "If {who} withheld {} of its {what} exports to {dest} for {} months (baseline {}), {}; {substitution}.",
        pct(s.fraction),
        s.duration_months,
        p.resolved.year,
        by_unit.join(", "),
    );
    let worst = rows
        .iter()
        .filter(|r| r.stock_days_needed.is_some())
        .max_by(|a, b| a.stock_days_needed.unwrap_or(0.0).total_cmp(&b.stock_days_needed.unwrap_or(0.0)));
    let second = match worst {
        Some(r) if r.stock_days_needed.unwrap_or(0.0) >= 0.5 => {
            let d = r.stock_days_needed.unwrap_or(0.0);
            let fillers = r.filled_by.iter().take(3).map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ");
            format!(
                "Bridging the remaining shortfall would take {:.0} days of {}'s {} consumption in stock, {} JOGMEC's {:.0}-day target{}.",
                d,
                r.importer,
                r.material,
                if d > r.stock_target_days { "more than" } else { "within" },
                r.stock_target_days,
                if fillers.is_empty() { String::new() } else { format!("; the gap is filled mostly by {fillers}") }
            )
        }
        _ => "No reporting unit is left with a shortfall that needs stock.".into(),
    };
    vec![first, second]
}
