//! Several risk methods over one selection, as `chokepoint risk --method …` and `/api/risk`
//! run them: the methods ([`Method`]), their options ([`RiskOptions`], with the checks that
//! an option belongs to a method that is run), one method's run with its notes and headline
//! figures ([`run_method`]), and the headline figures that the side-by-side table joins
//! ([`Headline`]).
//!
//! Each method's rows keep their provenance columns (`method`, `method_version`,
//! `params_version`, `sources`: [`crate::method::MethodInfo`]).

use datafusion::prelude::SessionContext;
use serde::Serialize;

use chokepoint_data::{Manifest, Store};
use chokepoint_model::eu_crm::EuCrmParams;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};
use chokepoint_model::risk_params::{CrmaParams, DeraParams};

use crate::crma::{CrmaRequest, CrmaRow, crma};
use crate::dependency::{DependencyError, ItemSelection};
use crate::dera::{DeraBasis, DeraRequest, DeraRow, Level, dera};
use crate::eu_crm::{EuCrmRequest, EuCrmRow, eu_crm};
use crate::explain::Explanation;
use crate::geopolrisk::{Convention, GeoPolRiskRequest, GeoPolRiskRow, geopolrisk};
use crate::kernels::Engine;
use crate::method::MethodInfo;
use crate::screen::{Persistence, ProductScope, ScreenRequest, ScreenRow, Thresholds, screen};

/// The risk methods, in the order their sections are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// GeoPolRisk (Koyamparambath et al. 2024; METHODS.md §2).
    Geopolrisk,
    /// EU CRM supply risk (European Commission 2017 guidelines; METHODS.md §3).
    EuCrm,
    /// DERA's risk screen (BGR/DERA; METHODS.md §4).
    Dera,
    /// EU CRMA benchmark (Reg. (EU) 2024/1252 Art. 5(1)(d)).
    Crma,
    /// Strategic-dependency screen (SWD(2021) 352; CEPII GeoDep).
    Screen,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 5] = [Method::Geopolrisk, Method::EuCrm, Method::Dera, Method::Crma, Method::Screen];

    /// The id given to `--method` / `method=` and written in each row's `method` column.
    pub fn id(self) -> &'static str {
        match self {
            Method::Geopolrisk => "geopolrisk",
            Method::EuCrm => "eu-crm",
            Method::Dera => "dera",
            Method::Crma => "crma",
            Method::Screen => "screen",
        }
    }

    /// The method of an id (`eu-crm`; `eu_crm` too). Errors: the ids known.
    pub fn from_id(id: &str) -> Result<Method, String> {
        let id = id.trim().to_ascii_lowercase().replace('_', "-");
        Method::ALL
            .into_iter()
            .find(|m| m.id() == id)
            .ok_or_else(|| format!("{id:?} is not a risk method; known: {}", Method::ALL.map(Method::id).join(", ")))
    }

    /// The key of its rows in the JSON of several methods (`eu_crm`).
    pub fn json_key(self) -> String {
        self.id().replace('-', "_")
    }
}

/// The selection every method reads.
#[derive(Debug, Clone)]
pub struct Selection {
    pub importers: Vec<ImporterSpec>,
    pub groups: CountryGroups,
    pub items: ItemSelection,
    /// Empty = every year the method can score.
    pub years: Vec<i32>,
    /// Explain each score (equation, terms with their source columns).
    pub explain: bool,
}

/// The methods' own options; `None` (or the default) = not given, the method's default.
#[derive(Debug, Clone, Default)]
pub struct RiskOptions {
    /// GeoPolRisk coalition conventions, one row each (default: chokepoint's).
    pub conventions: Option<Vec<Convention>>,
    /// EU CRM parameters (default: the shipped `params/eu_crm.toml`).
    pub eu_crm_params: Option<EuCrmParams>,
    /// DERA: basis of the import shares (default: quantity, tonnes).
    pub dera_basis: Option<DeraBasis>,
    /// DERA parameters (default: the shipped `params/dera.toml`).
    pub dera_params: Option<DeraParams>,
    /// CRMA benchmark share, strictly between 0 and 1 (default: `params/crma.toml`'s 0.65).
    pub crma_benchmark: Option<f64>,
    /// CRMA: every material, not only the strategic raw materials.
    pub crma_all_materials: bool,
    /// CRMA parameters (default: the shipped `params/crma.toml`).
    pub crma_params: Option<CrmaParams>,
    /// Screen: these HS6 products instead of the selection's.
    pub screen_hs: Vec<String>,
    /// Screen thresholds (default: SWD(2021) 352's and GeoDep's).
    pub screen_thresholds: Thresholds,
    /// GeoDep persistence (default 2 of 3 years).
    pub persistence: Persistence,
    /// Screen: who computes its sums (default: the streaming kernel; `Sql` is the cross-check).
    pub screen_engine: Engine,
}

impl RiskOptions {
    /// The first option given for a method that is not among `methods`: its key (as the
    /// HTTP parameter; the CLI flag is `--` + the key with `-` for `_`) and its method.
    /// An option of a method that is not run is a mistake, not something to ignore.
    pub fn inapplicable(&self, methods: &[Method]) -> Option<(&'static str, Method)> {
        let t = self.screen_thresholds;
        let d = Thresholds::default();
        [
            (self.conventions.is_some(), "convention", Method::Geopolrisk),
            (self.eu_crm_params.is_some(), "eu_crm_params", Method::EuCrm),
            (self.dera_basis.is_some(), "dera_basis", Method::Dera),
            (self.dera_params.is_some(), "dera_params", Method::Dera),
            (self.crma_benchmark.is_some(), "crma_benchmark", Method::Crma),
            (self.crma_all_materials, "all_materials", Method::Crma),
            (self.crma_params.is_some(), "crma_params", Method::Crma),
            (!self.screen_hs.is_empty(), "hs", Method::Screen),
            (t.hhi_extra != d.hhi_extra, "screen_hhi", Method::Screen),
            (t.extra_share != d.extra_share, "screen_extra_share", Method::Screen),
            (t.import_export_ratio != d.import_export_ratio, "screen_ratio", Method::Screen),
            (t.world_export_hhi != d.world_export_hhi, "screen_world_hhi", Method::Screen),
            (self.persistence != Persistence::default(), "persistence", Method::Screen),
            (self.screen_engine != Engine::default(), "engine", Method::Screen),
        ]
        .into_iter()
        .find(|(given, _, m)| *given && !methods.contains(m))
        .map(|(_, key, m)| (key, m))
    }
}

/// One method's headline figure for one importer × material × year (a column of the
/// side-by-side table).
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub importer: String,
    pub year: i32,
    pub material: String,
    /// Column name, e.g. `geopolrisk_score`, `eu_crm_sr`, `dera_production_group`.
    pub column: String,
    pub value: HeadlineValue,
}

/// A numeric figure or a label (risk group, flag).
#[derive(Debug, Clone, PartialEq)]
pub enum HeadlineValue {
    Number(f64),
    Text(String),
}

/// The rows of one method; serialises as the array of rows (`chokepoint risk --format json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MethodRows {
    Geopolrisk(Vec<GeoPolRiskRow>),
    EuCrm(Vec<EuCrmRow>),
    Dera(Vec<DeraRow>),
    Crma(Vec<CrmaRow>),
    Screen(Vec<ScreenRow>),
}

impl MethodRows {
    pub fn len(&self) -> usize {
        match self {
            MethodRows::Geopolrisk(r) => r.len(),
            MethodRows::EuCrm(r) => r.len(),
            MethodRows::Dera(r) => r.len(),
            MethodRows::Crma(r) => r.len(),
            MethodRows::Screen(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One method's run: its rows, notes, headline figures and explanations.
#[derive(Debug, Clone)]
pub struct MethodOutput {
    pub method: Method,
    /// Method, version, parameters and sources (every row carries them too).
    pub info: MethodInfo,
    /// Heading of its section, e.g. `GeoPolRisk`.
    pub title: String,
    /// The rule applied in words first, then the method's notices, then its sources.
    pub notes: Vec<String>,
    /// Its figures of the side-by-side table.
    pub headlines: Vec<Headline>,
    /// One per row when the selection asks for them.
    pub explanations: Vec<Explanation>,
    pub rows: MethodRows,
}

fn headline(importer: &str, year: i32, material: &str, column: &str, value: HeadlineValue) -> Headline {
    Headline { importer: importer.to_owned(), year, material: material.to_owned(), column: column.to_owned(), value }
}

/// Run `method` over `sel` with `opts`.
///
/// Errors: [`DependencyError::Usage`] for what the data contradict (unknown country or
/// material, a year without production) and a CRMA benchmark outside (0, 1) or screen
/// thresholds out of range; query errors otherwise.
pub async fn run_method(
    ctx: &SessionContext,
    store: &Store,
    sel: &Selection,
    opts: &RiskOptions,
    method: Method,
) -> Result<MethodOutput, DependencyError> {
    let manifest = store.manifest();
    match method {
        Method::Geopolrisk => run_geopolrisk(ctx, manifest, sel, opts).await,
        Method::EuCrm => run_eu_crm(ctx, manifest, sel, opts).await,
        Method::Dera => run_dera(ctx, manifest, sel, opts).await,
        Method::Crma => run_crma(ctx, manifest, sel, opts).await,
        Method::Screen => run_screen(ctx, store, sel, opts).await,
    }
}

async fn run_geopolrisk(
    ctx: &SessionContext,
    manifest: &Manifest,
    sel: &Selection,
    opts: &RiskOptions,
) -> Result<MethodOutput, DependencyError> {
    let req = GeoPolRiskRequest {
        importers: sel.importers.clone(),
        groups: sel.groups.clone(),
        items: sel.items.clone(),
        years: sel.years.clone(),
        conventions: opts.conventions.clone().filter(|c| !c.is_empty()).unwrap_or_else(|| vec![Convention::Chokepoint]),
        explain: sel.explain,
    };
    let result = geopolrisk(ctx, manifest, &req).await?;
    let mut notes = result.notices.clone();
    notes.insert(0, format!("{}: score = production HHI × Σ g_i f_i / (p + F); f in tonnes, g = normalised WGI-PV of the year (0.5 when missing), p = own production; CF = score × price (USD/kg) / 0.409412948 (copper)", result.info.method_version));
    notes.push(format!("sources: {}", result.info.sources));
    let headlines = result
        .rows
        .iter()
        .filter(|r| r.convention == req.conventions[0])
        .flat_map(|r| {
            let h = |column: &str, v: f64| headline(&r.importer, r.year, &r.material, column, HeadlineValue::Number(v));
            [h("geopolrisk_score", r.score), h("geopolrisk_cf", r.cf_kg_cu_eq_per_kg)]
        })
        .collect();
    Ok(MethodOutput {
        method: Method::Geopolrisk,
        info: result.info,
        title: "GeoPolRisk".into(),
        notes,
        headlines,
        explanations: result.explanations,
        rows: MethodRows::Geopolrisk(result.rows),
    })
}

async fn run_eu_crm(
    ctx: &SessionContext,
    manifest: &Manifest,
    sel: &Selection,
    opts: &RiskOptions,
) -> Result<MethodOutput, DependencyError> {
    let req = EuCrmRequest {
        importers: sel.importers.clone(),
        groups: sel.groups.clone(),
        items: sel.items.clone(),
        years: sel.years.clone(),
        params: opts.eu_crm_params.clone().unwrap_or_else(EuCrmParams::builtin),
        explain: sel.explain,
    };
    let result = eu_crm(ctx, manifest, &req).await?;
    let mut notes = result.notices.clone();
    notes.insert(0, format!("{}; {}", result.info.method_version, crate::eu_crm::compute::WGI_APPROXIMATION));
    notes.push(format!("sources: {}", result.info.sources));
    let headlines = result
        .rows
        .iter()
        .flat_map(|r| {
            let h = |column: &str, v: f64| headline(&r.importer, r.year, &r.material, column, HeadlineValue::Number(v));
            [h("eu_crm_sr", r.supply_risk), h("eu_crm_ir", r.import_reliance)]
        })
        .collect();
    Ok(MethodOutput {
        method: Method::EuCrm,
        info: result.info,
        title: "EU CRM supply risk".into(),
        notes,
        headlines,
        explanations: result.explanations,
        rows: MethodRows::EuCrm(result.rows),
    })
}

async fn run_dera(ctx: &SessionContext, manifest: &Manifest, sel: &Selection, opts: &RiskOptions) -> Result<MethodOutput, DependencyError> {
    let req = DeraRequest {
        importers: sel.importers.clone(),
        groups: sel.groups.clone(),
        items: sel.items.clone(),
        years: sel.years.clone(),
        params: opts.dera_params.clone().unwrap_or_else(DeraParams::builtin),
        import_basis: opts.dera_basis.unwrap_or(DeraBasis::Quantity),
        explain: sel.explain,
    };
    let result = dera(ctx, manifest, &req).await?;
    let mut notes = result.notices.clone();
    notes.insert(
        0,
        format!(
            "{}: HHI = Σ (100 s_i)² (0–10,000) and WCR = Σ s_i WGI_i over scored countries (WGI-PV estimate, −2.5…+2.5, lower = riskier), of world production (prod) and of the unit's imports from outside it (imp, {}); group high when both axes are high (HHI > {}, WCR < {}), moderate when one is or both are moderate; params {}",
            result.info.method_version,
            match req.import_basis {
                DeraBasis::Quantity => "tonnes",
                DeraBasis::Value => "USD",
            },
            req.params.hhi.high_above,
            req.params.country_risk.high_below,
            result.info.params_version
        ),
    );
    notes.push(format!("sources: {}", result.info.sources));
    let mut headlines = Vec::new();
    for r in &result.rows {
        let h = |column: &str, value: HeadlineValue| headline(&r.importer, r.year, &r.material, column, value);
        let text = |l: Option<Level>| HeadlineValue::Text(l.map_or("–".into(), |l| l.as_str().to_owned()));
        headlines.push(h("dera_production_hhi", HeadlineValue::Number(r.production_hhi)));
        headlines.push(h("dera_production_group", text(r.production_group)));
        if let Some(x) = r.import_hhi {
            headlines.push(h("dera_import_hhi", HeadlineValue::Number(x)));
        }
        headlines.push(h("dera_import_group", text(r.import_group)));
    }
    Ok(MethodOutput {
        method: Method::Dera,
        info: result.info,
        title: "DERA risk screen".into(),
        notes,
        headlines,
        explanations: result.explanations,
        rows: MethodRows::Dera(result.rows),
    })
}

async fn run_crma(ctx: &SessionContext, manifest: &Manifest, sel: &Selection, opts: &RiskOptions) -> Result<MethodOutput, DependencyError> {
    let params = opts.crma_params.clone().unwrap_or_else(CrmaParams::builtin);
    if let Some(b) = opts.crma_benchmark
        && !(b > 0.0 && b < 1.0)
    {
        return Err(DependencyError::Usage(format!("CRMA benchmark {b}: expected a share strictly between 0 and 1 (0.65 = 65 %)")));
    }
    let req = CrmaRequest {
        importers: sel.importers.clone(),
        groups: sel.groups.clone(),
        items: sel.items.clone(),
        years: sel.years.clone(),
        benchmark: opts.crma_benchmark.unwrap_or(params.benchmark),
        params,
        all_materials: opts.crma_all_materials,
        explain: sel.explain,
    };
    let result = crma(ctx, manifest, &req).await?;
    let mut notes = result.notices.clone();
    notes.insert(
        0,
        format!(
            "{}: supply = the unit's own production + imports from third countries (tonnes); share = imports from a third country / supply; over when the largest share > {:.0} %; params {}",
            result.info.method_version,
            req.benchmark * 100.0,
            result.info.params_version
        ),
    );
    notes.push(format!("sources: {}", result.info.sources));
    let mut headlines = Vec::new();
    for r in &result.rows {
        let h = |column: &str, value: HeadlineValue| headline(&r.importer, r.year, &r.material, column, value);
        headlines.push(h("crma_top_third", HeadlineValue::Text(r.top_third_country.clone().unwrap_or_else(|| "–".into()))));
        headlines.push(h("crma_top_third_share", HeadlineValue::Number(r.top_third_share)));
        headlines.push(h("crma_over_benchmark", HeadlineValue::Text(if r.over_benchmark { "yes" } else { "no" }.into())));
    }
    Ok(MethodOutput {
        method: Method::Crma,
        info: result.info,
        title: if (req.benchmark - 0.65).abs() < 1e-12 {
            "CRMA benchmark (Art. 5(1)(d))".into()
        } else {
            format!("Largest third-country share against {:.0} % (not the CRMA's 65 %)", req.benchmark * 100.0)
        },
        notes,
        headlines,
        explanations: result.explanations,
        rows: MethodRows::Crma(result.rows),
    })
}

async fn run_screen(ctx: &SessionContext, store: &Store, sel: &Selection, opts: &RiskOptions) -> Result<MethodOutput, DependencyError> {
    opts.screen_thresholds.validate().map_err(DependencyError::Usage)?;
    let scope = if !opts.screen_hs.is_empty() {
        ProductScope::Hs6(opts.screen_hs.clone())
    } else {
        match &sel.items {
            ItemSelection::Materials(names) => ProductScope::Materials(names.clone()),
            ItemSelection::Hs6(codes) => ProductScope::Hs6(codes.clone()),
            ItemSelection::AllMaterials => ProductScope::AllProducts,
        }
    };
    let req = ScreenRequest {
        importers: sel.importers.clone(),
        groups: sel.groups.clone(),
        scope,
        years: sel.years.clone(),
        thresholds: opts.screen_thresholds,
        persistence: opts.persistence,
        explain: sel.explain,
        engine: opts.screen_engine,
    };
    let result = screen(ctx, store, &req).await?;
    let mut notes = result.notices.clone();
    notes.insert(
        0,
        format!(
            "{}: per importing unit × HS6 product × year on import values (USD); dependent = HHI of extra-bloc imports, extra-bloc share of imports and extra-bloc imports / exports all above their thresholds; GeoDep replaces the share by the HHI of world exports",
            result.info.method_version
        ),
    );
    notes.push(format!("sources: {}", result.info.sources));
    // Side by side (only for materials): per importer × material × year, how many of the
    // material's HS6 codes the Commission's screen flags, as text `k of n` (n = the
    // material's codes): a count, not a score, and meaningless without n.
    let mut headlines = Vec::new();
    for s in &result.summaries {
        for (material, codes) in &result.materials {
            let flagged = result
                .rows
                .iter()
                .filter(|r| r.importer == s.importer && r.year == s.year && r.dependent && codes.contains(&r.hs6))
                .count();
            headlines.push(headline(
                &s.importer,
                s.year,
                material,
                "screen_dependent_hs6",
                HeadlineValue::Text(format!("{flagged} of {}", codes.len())),
            ));
        }
    }
    Ok(MethodOutput {
        method: Method::Screen,
        info: result.info,
        title: "Strategic-dependency screen".into(),
        notes,
        headlines,
        explanations: result.explanations,
        rows: MethodRows::Screen(result.rows),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_name_the_known() {
        for m in Method::ALL {
            assert_eq!(Method::from_id(m.id()), Ok(m));
        }
        assert_eq!(Method::from_id("EU_CRM"), Ok(Method::EuCrm));
        assert_eq!(Method::EuCrm.json_key(), "eu_crm");
        let e = Method::from_id("tea-leaves").unwrap_err();
        assert_eq!(e, "\"tea-leaves\" is not a risk method; known: geopolrisk, eu-crm, dera, crma, screen");
    }

    #[test]
    fn an_option_of_a_method_not_run_is_named() {
        let none = RiskOptions::default();
        assert_eq!(none.inapplicable(&[Method::Geopolrisk]), None);
        let o = RiskOptions { crma_benchmark: Some(0.5), dera_basis: Some(DeraBasis::Value), ..RiskOptions::default() };
        assert_eq!(o.inapplicable(&[Method::Dera]), Some(("crma_benchmark", Method::Crma)));
        assert_eq!(o.inapplicable(&[Method::Crma]), Some(("dera_basis", Method::Dera)));
        assert_eq!(o.inapplicable(&[Method::Crma, Method::Dera]), None);
        let t = Thresholds { world_export_hhi: 0.3, ..Thresholds::default() };
        let s = RiskOptions { screen_thresholds: t, ..RiskOptions::default() };
        assert_eq!(s.inapplicable(&[Method::Geopolrisk]), Some(("screen_world_hhi", Method::Screen)));
        assert_eq!(s.inapplicable(&[Method::Screen]), None);
    }
}
