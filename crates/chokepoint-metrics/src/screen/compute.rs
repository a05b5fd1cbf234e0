//! The strategic-dependency screen over the store: per importing unit × HS6 product × year,
//! three aggregations planned on DataFusion (the unit's imports by exporter, its exports to
//! non-members, world exports by exporter reduced to their HHI), then the pure criteria of
//! [`super`].
//!
//! Only aggregated rows come back from the engine: at most units × years × products ×
//! exporters rows for the imports, units × years × products for the exports and years ×
//! products for world exports, whatever the size of `trade`. Sums are taken on exact
//! decimals (`DECIMAL(38, 3)`, milli-USD) so that they do not depend on the order in
//! which partitions are combined: the same data gives the same bits.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::SessionContext;
use serde::Serialize;

use chokepoint_data::Store;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};

use crate::dependency::compute::check_countries;
use crate::dependency::items::resolve_items;
use crate::dependency::query::{floats, ints, strings, text_rows};
use crate::dependency::{DependencyError, ItemSelection};
use crate::explain::{Cell, ExplainTable, Explanation, Term};
use crate::kernels::{Engine, default_threads};
use crate::method::MethodInfo;

use super::{Criteria, Figures, Persistence, ProductTrade, Thresholds, criteria, figures, years_held};

/// Version of the screen implementation, recorded with every row.
pub const METHOD: &str =
    "chokepoint strategic-dependency screen v1 (METHODS.md §5; European Commission SWD(2021) 352; CEPII GeoDep, Lefebvre & Wibaux 2024)";

/// The store tables the screen reads.
const TABLES: [&str; 2] = ["trade", "products"];

/// Name of the in-memory membership table registered on the session.
const UNITS_TABLE: &str = "_screen_units";

/// Which HS6 products to screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductScope {
    /// Every HS6 product with trade in the store (the Commission screens all of them).
    AllProducts,
    /// The HS6 codes of these materials (name or symbol, as `--material`).
    Materials(Vec<String>),
    /// These HS6 codes.
    Hs6(Vec<String>),
}

/// A screen request.
#[derive(Debug, Clone)]
pub struct ScreenRequest {
    /// Importing units, in output order.
    pub importers: Vec<ImporterSpec>,
    pub groups: CountryGroups,
    pub scope: ProductScope,
    /// Years screened; empty = the latest trade year of the store. Earlier years are read
    /// as needed for persistence and the year-to-year comparison.
    pub years: Vec<i32>,
    pub thresholds: Thresholds,
    pub persistence: Persistence,
    /// Also build an [`Explanation`] per row.
    pub explain: bool,
    /// Who computes the aggregates: the one-pass kernel over the sorted store (default) or
    /// the plain DataFusion SQL (the cross-check); both give the same rows, bit for bit.
    pub engine: Engine,
}

/// One importing unit × HS6 product × year with extra-bloc imports. Values in USD (BACI
/// `v` × 1000, FOB), HHI and shares in 0–1.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreenRow {
    /// The importing unit as written (`JPN`, `JPN+DEU`, `EU27`).
    pub importer: String,
    /// Its members that year (ISO3).
    pub members: Vec<String>,
    pub year: i32,
    pub hs6: String,
    /// Product description of the store's nomenclature (`products.description`).
    pub product: Option<String>,
    /// `M_extra`: imports of members from non-members, USD.
    pub extra_imports_usd: f64,
    /// `M_intra`: imports of members from other members, USD (0 for a country).
    pub intra_imports_usd: f64,
    /// `X_extra`: exports of members to non-members, USD.
    pub extra_exports_usd: f64,
    /// All exporters' exports of the product that year, USD.
    pub world_exports_usd: f64,
    /// Exporters outside the unit with imports > 0.
    pub extra_supplier_count: usize,
    /// Largest extra-bloc supplier (ties: ISO3 ascending) and its share of `M_extra`.
    pub top_supplier: String,
    pub top_supplier_share: f64,
    /// Criterion 1's figure: HHI of `M_extra` by exporter.
    pub hhi_extra: f64,
    /// Criterion 2's figure (Commission): `M_extra / (M_extra + M_intra)`.
    pub extra_share: f64,
    /// Criterion 3's figure: `M_extra / X_extra`; `None` (JSON null, empty in CSV, null in
    /// Parquet) when `X_extra = 0`, i.e. +∞ — then `no_extra_exports` is true and the
    /// criterion holds.
    pub import_export_ratio: Option<f64>,
    pub no_extra_exports: bool,
    /// GeoDep's figure: HHI of world exports by exporter.
    pub world_export_hhi: f64,
    /// Exporters of the product that year (world).
    pub world_exporter_count: usize,
    /// The criteria, each strictly above its threshold (`thresholds`).
    pub crit_hhi_extra: bool,
    pub crit_extra_share: bool,
    pub crit_import_export_ratio: bool,
    pub crit_world_export_hhi: bool,
    /// Commission: criteria 1, 2 and 3.
    pub dependent: bool,
    /// GeoDep: criteria 1, world-export HHI and 3.
    pub dependent_geodep: bool,
    /// Years of the persistence window (ending with `year`) in which the GeoDep criteria held.
    pub geodep_years_held: u32,
    /// `geodep_years_held ≥ K` of the `K/N` rule (default 2 of 3).
    pub dependent_geodep_persistent: bool,
    /// `dependent` / `dependent_geodep` of the year before (false when the unit did not import
    /// the product then; `None` when that year is not in the data).
    pub dependent_previous_year: Option<bool>,
    pub dependent_geodep_previous_year: Option<bool>,
    /// Thresholds and persistence rule used, in words.
    pub thresholds: String,
    /// Method, version, parameters and sources.
    #[serde(flatten)]
    pub info: MethodInfo,
}

/// Counts per importing unit and year screened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenSummary {
    pub importer: String,
    pub year: i32,
    /// Products the unit imported (from anyone, members included).
    pub imported: usize,
    /// Of those, products with extra-bloc imports (the rows).
    pub screened: usize,
    pub dependent: usize,
    pub dependent_geodep: usize,
    pub dependent_geodep_persistent: usize,
    /// Of the `dependent` products, how many were dependent the year before, and how many
    /// products dependent the year before are not any more (`None`: that year is not in the data).
    pub dependent_also_previous_year: Option<usize>,
    pub dependent_no_longer: Option<usize>,
    pub dependent_geodep_also_previous_year: Option<usize>,
    pub dependent_geodep_no_longer: Option<usize>,
}

/// What [`screen`] returns.
#[derive(Debug, Clone)]
pub struct ScreenResult {
    /// Per importer (request order) and year: dependent first, then by `hhi_extra` descending, then HS6.
    pub rows: Vec<ScreenRow>,
    pub summaries: Vec<ScreenSummary>,
    /// Summary notes, rules applied and data left out.
    pub notices: Vec<String>,
    pub info: MethodInfo,
    /// One per row, in row order, when the request asked for them.
    pub explanations: Vec<Explanation>,
    /// For a [`ProductScope::Materials`] request: each material and its HS6 codes.
    pub materials: MaterialCodes,
}

/// Materials and their HS6 codes (main, then complementary).
pub type MaterialCodes = Vec<(String, Vec<String>)>;

/// One product of one unit in one year, evaluated.
struct Evaluated {
    trade: ProductTrade,
    figures: Figures,
    criteria: Criteria,
}

/// Screen the products of `req` over `store` (`ctx`: its DataFusion session).
///
/// Errors: [`DependencyError::Usage`] for an unknown country, material or HS6 code, a year
/// outside the data, or a threshold out of range; [`DependencyError::Empty`] when no
/// importer imports any screened product in the years asked; query errors.
pub async fn screen(ctx: &SessionContext, store: &Store, req: &ScreenRequest) -> Result<ScreenResult, DependencyError> {
    let manifest = store.manifest();
    req.thresholds.validate().map_err(DependencyError::Usage)?;
    let mut notices = Vec::new();
    let info = MethodInfo::new("screen", METHOD, None, manifest, &TABLES);
    let available: BTreeSet<i32> = manifest.trade_years.keys().copied().collect();
    let (Some(&first), Some(&last)) = (available.first(), available.last()) else {
        return Err(DependencyError::Empty("the store holds no trade: run `chokepoint data setup` or `chokepoint ingest`".into()));
    };
    let years: BTreeSet<i32> = if req.years.is_empty() { BTreeSet::from([last]) } else { req.years.iter().copied().collect() };
    let missing: Vec<String> = years.iter().filter(|y| !available.contains(y)).map(ToString::to_string).collect();
    if !missing.is_empty() {
        return Err(DependencyError::Usage(format!(
            "{} {} {} outside the data: the store has trade for {first}–{last} (`chokepoint data info` lists the years)",
            if missing.len() == 1 { "year" } else { "years" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        )));
    }
    if req.importers.is_empty() {
        return Err(DependencyError::Usage("no importer given (e.g. --importer EU27,JPN+DEU)".into()));
    }
    let known: BTreeSet<String> =
        text_rows(ctx, "SELECT DISTINCT iso3 FROM countries").await?.into_iter().filter_map(|r| r[0].clone()).collect();
    for spec in &req.importers {
        check_countries(spec, &known)?;
    }

    // The products: all, or the codes of materials / of --hs (validated against the store).
    let (codes, materials): (Option<BTreeSet<String>>, MaterialCodes) = match &req.scope {
        ProductScope::AllProducts => (None, Vec::new()),
        ProductScope::Materials(names) => {
            let items = resolve_items(ctx, &ItemSelection::Materials(names.clone()), &mut notices).await?;
            let m: Vec<(String, Vec<String>)> = items.iter().map(|i| (i.material.clone().unwrap_or_default(), i.codes.clone())).collect();
            (Some(m.iter().flat_map(|(_, c)| c.iter().cloned()).collect()), m)
        }
        ProductScope::Hs6(list) => {
            let items = resolve_items(ctx, &ItemSelection::Hs6(list.clone()), &mut notices).await?;
            (Some(items.into_iter().flat_map(|i| i.codes).collect()), Vec::new())
        }
    };

    // Years read: each screened year, the persistence window before it and the year before.
    let depth = req.persistence.window.max(2) as i32;
    let needed: BTreeSet<i32> = years.iter().flat_map(|y| (0..depth).map(move |k| y - k)).filter(|y| available.contains(y)).collect();
    let members: Vec<BTreeMap<i32, BTreeSet<String>>> =
        req.importers.iter().map(|s| needed.iter().map(|y| (*y, req.groups.members(s, *y))).collect()).collect();
    for (spec, by_year) in req.importers.iter().zip(&members) {
        let empty: Vec<String> = years.iter().filter(|y| by_year[y].is_empty()).map(ToString::to_string).collect();
        if !empty.is_empty() {
            notices.push(format!("{spec} has no members in {} (group membership on 1 July)", empty.join(", ")));
        }
    }

    let aggregates = match req.engine {
        Engine::Kernel => crate::kernels::screen::aggregate(store.root(), &members, &needed, codes.as_ref(), default_threads())?,
        Engine::Sql => aggregate(ctx, &members, &needed, codes.as_ref()).await?,
    };
    let descriptions: BTreeMap<String, String> = text_rows(ctx, "SELECT hs6, description FROM products")
        .await?
        .into_iter()
        .filter_map(|r| Some((r[0].clone()?, r[1].clone()?)))
        .collect();

    // Products imported per (unit, year), then every (unit, year, product) with extra-bloc
    // imports, evaluated (the aggregates move into the evaluation).
    let mut imported: BTreeMap<(usize, i32), usize> = BTreeMap::new();
    for (u, year, _) in aggregates.units.keys() {
        *imported.entry((*u, *year)).or_insert(0) += 1;
    }
    let world = aggregates.world;
    let mut evaluated: BTreeMap<(usize, i32, String), Evaluated> = BTreeMap::new();
    for ((u, year, hs6), a) in aggregates.units {
        let (world_exports_usd, world_export_hhi, _) = world.get(&(year, hs6.clone())).copied().unwrap_or((0.0, 0.0, 0));
        let trade = ProductTrade {
            extra_imports: a.extra,
            intra_imports_usd: a.intra,
            extra_exports_usd: a.exports,
            world_exports_usd,
            world_export_hhi,
        };
        if let Some(f) = figures(&trade) {
            let c = criteria(&f, &req.thresholds);
            evaluated.insert((u, year, hs6), Evaluated { trade, figures: f, criteria: c });
        }
    }
    let span = |u: usize, from: i32, to: i32| (u, from, String::new())..(u, to, String::new());

    let thresholds = req.thresholds.describe(req.persistence);
    let mut rows = Vec::new();
    let mut explanations = Vec::new();
    let mut summaries = Vec::new();
    for (u, spec) in req.importers.iter().enumerate() {
        // year → product → GeoDep held, for persistence.
        let mut geodep_held: BTreeMap<&str, BTreeMap<i32, bool>> = BTreeMap::new();
        for ((_, y, hs6), e) in evaluated.range((u, i32::MIN, String::new())..(u + 1, i32::MIN, String::new())) {
            geodep_held.entry(hs6.as_str()).or_default().insert(*y, e.criteria.geodep());
        }
        for &year in &years {
            let mem = &members[u][&year];
            let previous_known = available.contains(&(year - 1));
            let flag = |y: i32, hs6: &str, geodep: bool| {
                evaluated.get(&(u, y, hs6.to_owned())).is_some_and(|e| if geodep { e.criteria.geodep() } else { e.criteria.commission() })
            };
            let mut summary = ScreenSummary {
                importer: spec.to_string(),
                year,
                imported: imported.get(&(u, year)).copied().unwrap_or(0),
                screened: 0,
                dependent: 0,
                dependent_geodep: 0,
                dependent_geodep_persistent: 0,
                dependent_also_previous_year: previous_known.then_some(0),
                dependent_no_longer: None,
                dependent_geodep_also_previous_year: previous_known.then_some(0),
                dependent_geodep_no_longer: None,
            };
            for ((_, _, hs6), e) in evaluated.range(span(u, year, year + 1)) {
                let f = &e.figures;
                let c = &e.criteria;
                let held = years_held(&geodep_held[hs6.as_str()], year, req.persistence.window);
                let previous = |geodep: bool| previous_known.then(|| flag(year - 1, hs6, geodep));
                let row = ScreenRow {
                    importer: spec.to_string(),
                    members: mem.iter().cloned().collect(),
                    year,
                    hs6: hs6.clone(),
                    product: descriptions.get(hs6).cloned(),
                    extra_imports_usd: f.extra_imports_usd,
                    intra_imports_usd: e.trade.intra_imports_usd,
                    extra_exports_usd: e.trade.extra_exports_usd,
                    world_exports_usd: e.trade.world_exports_usd,
                    extra_supplier_count: f.extra.count,
                    top_supplier: f.extra.top().to_owned(),
                    top_supplier_share: f.extra.top_share,
                    hhi_extra: f.extra.hhi,
                    extra_share: f.extra_share,
                    import_export_ratio: f.import_export_ratio,
                    no_extra_exports: f.import_export_ratio.is_none(),
                    world_export_hhi: f.world_export_hhi,
                    world_exporter_count: world.get(&(year, hs6.clone())).map_or(0, |w| w.2),
                    crit_hhi_extra: c.hhi_extra,
                    crit_extra_share: c.extra_share,
                    crit_import_export_ratio: c.import_export_ratio,
                    crit_world_export_hhi: c.world_export_hhi,
                    dependent: c.commission(),
                    dependent_geodep: c.geodep(),
                    geodep_years_held: held,
                    dependent_geodep_persistent: req.persistence.holds(held),
                    dependent_previous_year: previous(false),
                    dependent_geodep_previous_year: previous(true),
                    thresholds: thresholds.clone(),
                    info: info.clone(),
                };
                summary.screened += 1;
                summary.dependent += usize::from(row.dependent);
                summary.dependent_geodep += usize::from(row.dependent_geodep);
                summary.dependent_geodep_persistent += usize::from(row.dependent_geodep_persistent);
                if row.dependent && row.dependent_previous_year == Some(true) {
                    *summary.dependent_also_previous_year.get_or_insert(0) += 1;
                }
                if row.dependent_geodep && row.dependent_geodep_previous_year == Some(true) {
                    *summary.dependent_geodep_also_previous_year.get_or_insert(0) += 1;
                }
                if req.explain {
                    explanations.push(explanation(spec, &row, e, &geodep_held[hs6.as_str()], req, &info));
                }
                rows.push(row);
            }
            if previous_known {
                let was = |geodep: bool| {
                    evaluated
                        .range(span(u, year - 1, year))
                        .filter(|((_, _, hs6), e)| {
                            let then = if geodep { e.criteria.geodep() } else { e.criteria.commission() };
                            then && !flag(year, hs6, geodep)
                        })
                        .count()
                };
                summary.dependent_no_longer = Some(was(false));
                summary.dependent_geodep_no_longer = Some(was(true));
            }
            summaries.push(summary);
        }
    }
    if rows.is_empty() {
        let what = match &req.scope {
            ProductScope::AllProducts => "any product".to_owned(),
            ProductScope::Materials(_) | ProductScope::Hs6(_) => {
                format!("HS6 {}", codes.iter().flatten().cloned().collect::<Vec<_>>().join(", "))
            }
        };
        return Err(DependencyError::Empty(format!(
            "no extra-bloc imports of {what} by {} in {}",
            req.importers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            years.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        )));
    }

    for s in &summaries {
        notices.push(summary_note(s, req.persistence));
    }
    notices.push(format!("criteria (strictly above): {thresholds}"));
    notices.push("values: import and export values in USD (BACI v × 1000, FOB); a coalition or group is one importer: imports from members are intra-bloc (criterion 2 only), exports to members are not extra-bloc exports; membership on 1 July of each year, also for the earlier years of the persistence window".into());
    notices.push("import_export_ratio is +∞ when the unit exports none of the product outside the bloc: written as null with no_extra_exports = true; criterion 3 then holds".into());
    if req.persistence.window > 1 {
        notices.push(format!(
            "persistence: the GeoDep criteria in at least {} of the {} years ending with the year screened (not necessarily the latest); a year before the data, missing from it or without imports counts as not held",
            req.persistence.required, req.persistence.window
        ));
    }
    notices.push("criterion 2 (the extra-bloc share of imports): wording unconfirmed in METHODS.md §5; docs/methods.md, section \"Strategic-dependency screen\", says what is implemented".into());
    if matches!(req.scope, ProductScope::AllProducts) {
        let traded = world.keys().map(|k| k.1.as_str()).collect::<BTreeSet<_>>().len();
        notices.push(format!(
            "screened every HS6 product traded in the store's years read ({traded} products); the default dataset holds only the 74 HS6 codes of its materials, so counts are not comparable with the Commission's screen of ~5,200 products"
        ));
    }

    let order: BTreeMap<String, usize> = req.importers.iter().enumerate().map(|(i, s)| (s.to_string(), i)).collect();
    let cmp = |a: &ScreenRow, b: &ScreenRow| {
        order[&a.importer]
            .cmp(&order[&b.importer])
            .then(a.year.cmp(&b.year))
            .then(b.dependent.cmp(&a.dependent))
            .then(b.hhi_extra.total_cmp(&a.hhi_extra))
            .then(a.hs6.cmp(&b.hs6))
    };
    if req.explain {
        let mut paired: Vec<(ScreenRow, Explanation)> = rows.into_iter().zip(explanations).collect();
        paired.sort_by(|a, b| cmp(&a.0, &b.0));
        (rows, explanations) = paired.into_iter().unzip();
    } else {
        rows.sort_by(cmp);
    }
    Ok(ScreenResult { rows, summaries, notices, info, explanations, materials })
}

fn summary_note(s: &ScreenSummary, p: Persistence) -> String {
    let churn = |also: Option<usize>, gone: Option<usize>| match (also, gone) {
        (Some(a), Some(g)) => format!(" ({a} also in {}, {g} dependent in {} no longer)", s.year - 1, s.year - 1),
        _ => format!(" ({} not in the data)", s.year - 1),
    };
    format!(
        "{} {}: {} products imported, {} with extra-bloc imports screened; dependent (Commission) {}{}; GeoDep {}{}; GeoDep persistent ({p} years) {}",
        s.importer,
        s.year,
        s.imported,
        s.screened,
        s.dependent,
        churn(s.dependent_also_previous_year, s.dependent_no_longer),
        s.dependent_geodep,
        churn(s.dependent_geodep_also_previous_year, s.dependent_geodep_no_longer),
        s.dependent_geodep_persistent,
    )
}

/// A unit's trade in one product and year: extra-bloc imports by exporter, intra-bloc
/// imports, extra-bloc exports (USD).
#[derive(Debug, Default)]
pub(crate) struct UnitProduct {
    pub(crate) extra: BTreeMap<String, f64>,
    pub(crate) intra: f64,
    pub(crate) exports: f64,
}

/// The aggregates both engines compute ([`aggregate`] by SQL,
/// [`crate::kernels::screen::aggregate`] by the kernel).
pub(crate) struct Aggregates {
    /// (unit, year, HS6) → trade, for every product the unit imports (from anyone).
    pub(crate) units: BTreeMap<(usize, i32, String), UnitProduct>,
    /// (year, HS6) → (world exports USD, HHI of exporters, exporters).
    pub(crate) world: BTreeMap<(i32, String), (f64, f64, usize)>,
}

/// Literal SQL list of codes that are only letters and digits (ISO3, HS6), so that the
/// text cannot break out of the quotes.
fn sql_list<'a>(items: impl IntoIterator<Item = &'a String>) -> Result<String, DependencyError> {
    let mut out = Vec::new();
    for s in items {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(DependencyError::Usage(format!("{s:?} is not a country or product code")));
        }
        out.push(format!("'{s}'"));
    }
    Ok(out.join(", "))
}

/// The three aggregations. The membership of each unit per year is an in-memory table;
/// years, products and members are also literal `IN` lists so that partitions and row
/// groups are pruned.
async fn aggregate(
    ctx: &SessionContext,
    members: &[BTreeMap<i32, BTreeSet<String>>],
    years: &BTreeSet<i32>,
    codes: Option<&BTreeSet<String>>,
) -> Result<Aggregates, DependencyError> {
    let mut out = Aggregates { units: BTreeMap::new(), world: BTreeMap::new() };
    let (mut unit_col, mut year_col, mut iso_col) = (Vec::new(), Vec::new(), Vec::new());
    for (unit, by_year) in members.iter().enumerate() {
        for (year, isos) in by_year {
            for iso in isos {
                unit_col.push(unit as i32);
                year_col.push(*year);
                iso_col.push(iso.clone());
            }
        }
    }
    if unit_col.is_empty() || years.is_empty() || codes.is_some_and(BTreeSet::is_empty) {
        return Ok(out);
    }
    let all_members: BTreeSet<String> = iso_col.iter().cloned().collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("unit", DataType::Int32, false),
        Field::new("year", DataType::Int32, false),
        Field::new("iso3", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![Arc::new(Int32Array::from(unit_col)), Arc::new(Int32Array::from(year_col)), Arc::new(StringArray::from(iso_col))],
    )?;
    ctx.deregister_table(UNITS_TABLE)?;
    ctx.register_batch(UNITS_TABLE, batch)?;
    let year_list = years.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let members_list = sql_list(&all_members)?;
    let code_filter = match codes {
        Some(c) => format!("AND t.hs6 IN ({})", sql_list(c)?),
        None => String::new(),
    };
    // Exact sums: milli-USD decimals. Σx² of world exports stays below 10^38 while one
    // exporter's exports of one product stay below ~10^16 USD.
    let value = "CAST(t.value_usd AS DECIMAL(38, 3))";

    // Imports of each unit, by exporter outside the unit; imports from members in one row
    // with a null exporter.
    let sql = format!(
        "SELECT u.unit, t.year, t.hs6, CASE WHEN x.iso3 IS NULL THEN t.exporter END AS exporter, sum({value}) AS value_usd
         FROM trade t
         JOIN {UNITS_TABLE} u ON t.importer = u.iso3 AND t.year = u.year
         LEFT JOIN {UNITS_TABLE} x ON x.unit = u.unit AND x.year = t.year AND x.iso3 = t.exporter
         WHERE t.year IN ({year_list}) AND t.importer IN ({members_list}) {code_filter}
         GROUP BY u.unit, t.year, t.hs6, CASE WHEN x.iso3 IS NULL THEN t.exporter END"
    );
    for b in ctx.sql(&sql).await?.collect().await? {
        let (unit, year, hs6, exporter, v) =
            (ints(b.column(0))?, ints(b.column(1))?, strings(b.column(2))?, strings(b.column(3))?, floats(b.column(4))?);
        for r in 0..b.num_rows() {
            let key = (unit[r].expect("unit") as usize, year[r].expect("year"), hs6[r].clone().expect("hs6"));
            let e = out.units.entry(key).or_default();
            let amount = v[r].unwrap_or(0.0);
            match &exporter[r] {
                Some(x) => {
                    e.extra.insert(x.clone(), amount);
                }
                None => e.intra = amount,
            }
        }
    }

    // Exports of each unit's members to non-members.
    let sql = format!(
        "SELECT u.unit, t.year, t.hs6, sum({value}) AS value_usd
         FROM trade t
         JOIN {UNITS_TABLE} u ON t.exporter = u.iso3 AND t.year = u.year
         LEFT JOIN {UNITS_TABLE} x ON x.unit = u.unit AND x.year = t.year AND x.iso3 = t.importer
         WHERE x.iso3 IS NULL AND t.year IN ({year_list}) AND t.exporter IN ({members_list}) {code_filter}
         GROUP BY u.unit, t.year, t.hs6"
    );
    for b in ctx.sql(&sql).await?.collect().await? {
        let (unit, year, hs6, v) = (ints(b.column(0))?, ints(b.column(1))?, strings(b.column(2))?, floats(b.column(3))?);
        for r in 0..b.num_rows() {
            let key = (unit[r].expect("unit") as usize, year[r].expect("year"), hs6[r].clone().expect("hs6"));
            out.units.entry(key).or_default().exports = v[r].unwrap_or(0.0);
        }
    }
    // Products the unit only exports are not screened (no imports).
    out.units.retain(|_, p| !p.extra.is_empty() || p.intra > 0.0);

    // World exports by exporter, reduced to their total, Σx² and count per product.
    let sql = format!(
        "SELECT year, hs6, sum(x) AS total, sum(x * x) AS squares, count(*) AS exporters
         FROM (SELECT t.year, t.hs6, t.exporter, sum({value}) AS x FROM trade t
               WHERE t.year IN ({year_list}) {code_filter} GROUP BY t.year, t.hs6, t.exporter)
         WHERE x > 0
         GROUP BY year, hs6"
    );
    for b in ctx.sql(&sql).await?.collect().await? {
        let (year, hs6, total, squares, n) =
            (ints(b.column(0))?, strings(b.column(1))?, floats(b.column(2))?, floats(b.column(3))?, ints(b.column(4))?);
        for r in 0..b.num_rows() {
            let (t, s) = (total[r].unwrap_or(0.0), squares[r].unwrap_or(0.0));
            if t > 0.0 {
                out.world.insert((year[r].expect("year"), hs6[r].clone().expect("hs6")), (t, s / (t * t), n[r].unwrap_or(0) as usize));
            }
        }
    }
    Ok(out)
}

/// The terms of one row: the four sums, the figures and criteria with their thresholds,
/// the extra-bloc suppliers, and the persistence window.
fn explanation(
    spec: &ImporterSpec,
    row: &ScreenRow,
    e: &Evaluated,
    geodep_held: &BTreeMap<i32, bool>,
    req: &ScreenRequest,
    info: &MethodInfo,
) -> Explanation {
    let t = &req.thresholds;
    let p = req.persistence;
    let yes = |b: bool| if b { 1.0 } else { 0.0 };
    let f = &e.figures;
    let product = row.product.as_deref().map(|d| format!(" {}", shorten(d, 50))).unwrap_or_default();
    let window: Vec<i32> = (0..p.window as i32).map(|k| row.year - k).rev().collect();
    Explanation {
        title: format!("Strategic-dependency screen · {spec} · HS {}{product} · {}", row.hs6, row.year),
        info: info.clone(),
        equation: "HHI_extra = Σ s_i² > T1;  M_extra / (M_extra + M_intra) > T2;  M_extra / X_extra > T3;  GeoDep: HHI_world > T4 instead of T2, persistent when held in K of N years".into(),
        terms: vec![
            Term::new("M_extra", "imports of members from non-members, USD", f.extra_imports_usd, "trade.value_usd"),
            Term::new("M_intra", "imports of members from other members, USD", e.trade.intra_imports_usd, "trade.value_usd"),
            Term::new("X_extra", "exports of members to non-members, USD", e.trade.extra_exports_usd, "trade.value_usd"),
            Term::new("W", "world exports of the product (all exporters), USD", e.trade.world_exports_usd, "trade.value_usd"),
            Term::new("HHI_extra", "HHI of M_extra by exporter (0–1)", f.extra.hhi, "computed"),
            Term::new("extra share", "M_extra / (M_extra + M_intra)", f.extra_share, "computed"),
            Term::new("M/X", "M_extra / X_extra (– = +∞: no extra-bloc exports)", f.import_export_ratio, "computed"),
            Term::new("HHI_world", "HHI of world exports by exporter (0–1)", f.world_export_hhi, "computed"),
            Term::new(&format!("1: HHI_extra > {}", t.hhi_extra), "criterion 1 (1 = holds)", yes(e.criteria.hhi_extra), "SWD(2021) 352"),
            Term::new(&format!("2: extra share > {}", t.extra_share), "criterion 2, Commission (1 = holds)", yes(e.criteria.extra_share), "SWD(2021) 352 (wording unconfirmed)"),
            Term::new(&format!("3: M/X > {}", t.import_export_ratio), "criterion 3 (1 = holds)", yes(e.criteria.import_export_ratio), "SWD(2021) 352"),
            Term::new(&format!("2': HHI_world > {}", t.world_export_hhi), "criterion 2, GeoDep (1 = holds)", yes(e.criteria.world_export_hhi), "CEPII GeoDep"),
            Term::new("dependent", "Commission: 1 ∧ 2 ∧ 3", yes(row.dependent), "computed"),
            Term::new("dependent (GeoDep)", "1 ∧ 2' ∧ 3", yes(row.dependent_geodep), "computed"),
            Term::new(&format!("persistent ({p})"), &format!("GeoDep held in {} of {}", row.geodep_years_held, p.window), yes(row.dependent_geodep_persistent), "computed"),
        ],
        tables: vec![
            ExplainTable {
                title: format!("extra-bloc suppliers ({}), largest first", f.extra.count),
                columns: ["exporter", "USD", "share", "share²"].map(String::from).to_vec(),
                rows: f
                    .extra
                    .ranked
                    .iter()
                    .map(|s| {
                        vec![
                            Cell::from(s.country.as_str()),
                            Cell::from(e.trade.extra_imports[&s.country]),
                            Cell::from(s.share),
                            Cell::from(s.share * s.share),
                        ]
                    })
                    .collect(),
            },
            ExplainTable {
                title: format!("GeoDep criteria in the persistence window {}–{}", window[0], row.year),
                columns: ["year", "GeoDep criteria"].map(String::from).to_vec(),
                rows: window
                    .iter()
                    .map(|y| {
                        let held = match geodep_held.get(y) {
                            Some(true) => "held",
                            Some(false) => "not held",
                            None => "no extra-bloc imports, or year not in the data",
                        };
                        vec![Cell::from(y.to_string()), Cell::from(held)]
                    })
                    .collect(),
            },
        ],
        notes: vec![
            format!("members {}: {}", row.year, row.members.join(", ")),
            "values in USD (BACI v × 1000, FOB), summed exactly (milli-USD decimals)".into(),
        ],
    }
}

/// At most `n` characters, with `…` when cut.
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).collect::<String>() + "…" }
}
