//! The queries behind the dependency figures, planned on the store's DataFusion session.
//! They aggregate trade to (unit, year, HS6, partner); everything after that is small and
//! computed by the pure functions of [`super::figures`].
//!
//! Codes put into SQL text are validated first (HS6: six digits; ISO3: three letters or
//! digits), so the literal lists cannot inject SQL; the membership and key tables are
//! registered as in-memory tables.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::SessionContext;

use super::DependencyError;

/// Imports of one member of an importing unit from one exporter of one HS6 product in one
/// year (one row of `trade`; the unit's sums are taken in Rust in a fixed order, so that
/// the same data gives the same bits).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFlow {
    /// Index of the unit in the request's importer list.
    pub unit: usize,
    pub year: i32,
    pub hs6: String,
    /// ISO3 of the exporter (never a member of the unit that year).
    pub exporter: String,
    /// ISO3 of the importing member.
    pub importer: String,
    /// The exporter is a member of the unit too (trade within a coalition or group): the
    /// dependency figures drop these flows; GeoPolRisk's reference convention keeps them.
    pub internal: bool,
    /// Σ value, USD.
    pub value_usd: f64,
    /// Σ quantity over the rows with a quantity, tonnes; `None` when no row has one.
    pub quantity_t: Option<f64>,
    /// Σ value of the rows without a quantity, USD.
    pub value_usd_without_quantity: f64,
}

/// Trade of a key country with its partners in one HS6 product and year.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerFlow {
    pub year: i32,
    /// The key country (a hub as importer, a top supplier as exporter).
    pub country: String,
    pub hs6: String,
    /// The other side of the flow.
    pub partner: String,
    pub value_usd: f64,
    pub quantity_t: Option<f64>,
}

/// Which side of the trade flow the key country is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Key = importer, partner = exporter (a hub's own suppliers).
    Importer,
    /// Key = exporter, partner = importer (a supplier's customers).
    Exporter,
}

fn replace_table(ctx: &SessionContext, name: &str, batch: RecordBatch) -> Result<(), DependencyError> {
    ctx.deregister_table(name)?;
    ctx.register_batch(name, batch)?;
    Ok(())
}

fn sql_list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    items.into_iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
}

fn year_list(years: &BTreeSet<i32>) -> String {
    years.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Imports of each unit (`members[unit]`: year → member ISO3 codes) from every exporter,
/// per HS6 code of `codes` and year of `years`; flows from another member are marked
/// `internal`.
///
/// ```sql
/// SELECT u.unit, t.year, t.hs6, t.exporter, sum(value_usd), sum(quantity_t), …
/// FROM trade t JOIN units u ON t.importer = u.iso3 AND t.year = u.year
/// LEFT JOIN units x ON x.unit = u.unit AND x.year = t.year AND x.iso3 = t.exporter
/// … x.iso3 IS NOT NULL AS internal          -- trade between members, marked
/// ```
pub async fn unit_flows(
    ctx: &SessionContext,
    members: &[BTreeMap<i32, BTreeSet<String>>],
    years: &BTreeSet<i32>,
    codes: &BTreeSet<String>,
) -> Result<Vec<UnitFlow>, DependencyError> {
    if codes.is_empty() || years.is_empty() {
        return Ok(Vec::new());
    }
    let Some(all_members) = register_units(ctx, members)? else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT u.unit, t.year, t.hs6, t.exporter, t.importer, x.iso3 IS NOT NULL AS internal,
                sum(t.value_usd) AS value_usd,
                sum(t.quantity_t) AS quantity_t,
                sum(CASE WHEN t.quantity_t IS NULL THEN t.value_usd ELSE 0 END) AS value_usd_without_quantity
         FROM trade t
         JOIN _dependency_units u ON t.importer = u.iso3 AND t.year = u.year
         LEFT JOIN _dependency_units x ON x.unit = u.unit AND x.year = t.year AND x.iso3 = t.exporter
         WHERE t.year IN ({years}) AND t.hs6 IN ({codes}) AND t.importer IN ({importers})
         GROUP BY u.unit, t.year, t.hs6, t.exporter, t.importer, x.iso3
         ORDER BY u.unit, t.year, t.hs6, t.exporter, t.importer",
        years = year_list(years),
        codes = sql_list(codes),
        importers = sql_list(&all_members),
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let mut out = Vec::new();
    for b in &batches {
        let unit = ints(b.column(0))?;
        let year = ints(b.column(1))?;
        let hs6 = strings(b.column(2))?;
        let exporter = strings(b.column(3))?;
        let importer = strings(b.column(4))?;
        let internal = b.column(5).as_any().downcast_ref::<arrow::array::BooleanArray>().expect("internal is boolean").clone();
        let value = floats(b.column(6))?;
        let quantity = floats(b.column(7))?;
        let without = floats(b.column(8))?;
        for r in 0..b.num_rows() {
            out.push(UnitFlow {
                unit: unit[r].expect("unit") as usize,
                year: year[r].expect("year"),
                hs6: hs6[r].clone().expect("hs6"),
                exporter: exporter[r].clone().expect("exporter"),
                importer: importer[r].clone().expect("importer"),
                internal: internal.value(r),
                value_usd: value[r].unwrap_or(0.0),
                quantity_t: quantity[r],
                value_usd_without_quantity: without[r].unwrap_or(0.0),
            });
        }
    }
    Ok(out)
}

/// Register the units' members per year as the in-memory table `_dependency_units(unit,
/// year, iso3)`; returns every member, or `None` when there is none.
fn register_units(ctx: &SessionContext, members: &[BTreeMap<i32, BTreeSet<String>>]) -> Result<Option<BTreeSet<String>>, DependencyError> {
    let (mut unit_col, mut year_col, mut iso_col) = (Vec::new(), Vec::new(), Vec::new());
    let mut all_members = BTreeSet::new();
    for (unit, by_year) in members.iter().enumerate() {
        for (year, isos) in by_year {
            for iso in isos {
                unit_col.push(unit as i32);
                year_col.push(*year);
                iso_col.push(iso.clone());
                all_members.insert(iso.clone());
            }
        }
    }
    if unit_col.is_empty() {
        return Ok(None);
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("unit", DataType::Int32, false),
        Field::new("year", DataType::Int32, false),
        Field::new("iso3", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![Arc::new(Int32Array::from(unit_col)), Arc::new(Int32Array::from(year_col)), Arc::new(StringArray::from(iso_col))],
    )?;
    replace_table(ctx, "_dependency_units", batch)?;
    Ok(Some(all_members))
}

/// Exports of a unit's members to non-members, per unit, year and HS6.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitExport {
    pub unit: usize,
    pub year: i32,
    pub hs6: String,
    /// Σ value, USD.
    pub value_usd: f64,
    /// Σ quantity of the rows with one, tonnes (0 when none has one).
    pub quantity_t: f64,
}

/// Exports of each unit's members to countries outside the unit (extra-bloc exports):
/// `trade` rows with a member as exporter and a non-member as importer, summed per unit,
/// year and HS6 code. Sorted by unit, year, HS6.
pub async fn unit_exports(
    ctx: &SessionContext,
    members: &[BTreeMap<i32, BTreeSet<String>>],
    years: &BTreeSet<i32>,
    codes: &BTreeSet<String>,
) -> Result<Vec<UnitExport>, DependencyError> {
    if codes.is_empty() || years.is_empty() {
        return Ok(Vec::new());
    }
    let Some(all_members) = register_units(ctx, members)? else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT u.unit, t.year, t.hs6, sum(t.value_usd) AS value_usd, coalesce(sum(t.quantity_t), 0.0) AS quantity_t
         FROM trade t
         JOIN _dependency_units u ON t.exporter = u.iso3 AND t.year = u.year
         LEFT JOIN _dependency_units x ON x.unit = u.unit AND x.year = t.year AND x.iso3 = t.importer
         WHERE t.year IN ({years}) AND t.hs6 IN ({codes}) AND t.exporter IN ({exporters}) AND x.iso3 IS NULL
         GROUP BY u.unit, t.year, t.hs6
         ORDER BY u.unit, t.year, t.hs6",
        years = year_list(years),
        codes = sql_list(codes),
        exporters = sql_list(&all_members),
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let mut out = Vec::new();
    for b in &batches {
        let (unit, year, hs6, value, quantity) =
            (ints(b.column(0))?, ints(b.column(1))?, strings(b.column(2))?, floats(b.column(3))?, floats(b.column(4))?);
        for r in 0..b.num_rows() {
            out.push(UnitExport {
                unit: unit[r].expect("unit") as usize,
                year: year[r].expect("year"),
                hs6: hs6[r].clone().expect("hs6"),
                value_usd: value[r].unwrap_or(0.0),
                quantity_t: quantity[r].unwrap_or(0.0),
            });
        }
    }
    Ok(out)
}

/// Trade of each key `(year, ISO3, HS6)` — a country on `side` in one product and year —
/// with all its partners.
pub async fn partner_flows(
    ctx: &SessionContext,
    side: Side,
    keys: &BTreeSet<(i32, String, String)>,
) -> Result<Vec<PartnerFlow>, DependencyError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("year", DataType::Int32, false),
        Field::new("country", DataType::Utf8, false),
        Field::new("hs6", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int32Array::from(keys.iter().map(|k| k.0).collect::<Vec<_>>())),
            Arc::new(StringArray::from(keys.iter().map(|k| k.1.clone()).collect::<Vec<_>>())),
            Arc::new(StringArray::from(keys.iter().map(|k| k.2.clone()).collect::<Vec<_>>())),
        ],
    )?;
    replace_table(ctx, "_dependency_keys", batch)?;
    let (key, partner) = match side {
        Side::Importer => ("importer", "exporter"),
        Side::Exporter => ("exporter", "importer"),
    };
    let years: BTreeSet<i32> = keys.iter().map(|k| k.0).collect();
    let countries: BTreeSet<String> = keys.iter().map(|k| k.1.clone()).collect();
    let codes: BTreeSet<String> = keys.iter().map(|k| k.2.clone()).collect();
    let sql = format!(
        "SELECT t.year, t.{key}, t.hs6, t.{partner}, sum(t.value_usd), sum(t.quantity_t)
         FROM trade t JOIN _dependency_keys k ON t.year = k.year AND t.{key} = k.country AND t.hs6 = k.hs6
         WHERE t.year IN ({years}) AND t.hs6 IN ({codes}) AND t.{key} IN ({countries})
         GROUP BY t.year, t.{key}, t.hs6, t.{partner}
         ORDER BY t.year, t.{key}, t.hs6, t.{partner}",
        years = year_list(&years),
        codes = sql_list(&codes),
        countries = sql_list(&countries),
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let mut out = Vec::new();
    for b in &batches {
        let year = ints(b.column(0))?;
        let country = strings(b.column(1))?;
        let hs6 = strings(b.column(2))?;
        let other = strings(b.column(3))?;
        let value = floats(b.column(4))?;
        let quantity = floats(b.column(5))?;
        for r in 0..b.num_rows() {
            out.push(PartnerFlow {
                year: year[r].expect("year"),
                country: country[r].clone().expect("country"),
                hs6: hs6[r].clone().expect("hs6"),
                partner: other[r].clone().expect("partner"),
                value_usd: value[r].unwrap_or(0.0),
                quantity_t: quantity[r],
            });
        }
    }
    Ok(out)
}

/// Run a query and return its rows as text cells (for the small reference tables).
pub async fn text_rows(ctx: &SessionContext, sql: &str) -> Result<Vec<Vec<Option<String>>>, DependencyError> {
    let batches = ctx.sql(sql).await?.collect().await?;
    let mut out = Vec::new();
    for b in &batches {
        let cols: Vec<Vec<Option<String>>> = b.columns().iter().map(strings).collect::<Result<_, _>>()?;
        for r in 0..b.num_rows() {
            out.push(cols.iter().map(|c| c[r].clone()).collect());
        }
    }
    Ok(out)
}

/// A column as text (any type; casts Utf8View and numbers).
pub fn strings(col: &ArrayRef) -> Result<Vec<Option<String>>, DependencyError> {
    let c = arrow::compute::cast(col, &DataType::Utf8)?;
    let a = c.as_any().downcast_ref::<StringArray>().expect("cast to Utf8");
    Ok((0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i).to_owned())).collect())
}

/// A column as f64 (casts integers and decimals).
pub fn floats(col: &ArrayRef) -> Result<Vec<Option<f64>>, DependencyError> {
    let c = arrow::compute::cast(col, &DataType::Float64)?;
    let a = c.as_any().downcast_ref::<Float64Array>().expect("cast to Float64");
    Ok((0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i))).collect())
}

/// A column as i32.
pub fn ints(col: &ArrayRef) -> Result<Vec<Option<i32>>, DependencyError> {
    let c = arrow::compute::cast(col, &DataType::Int64)?;
    let a = c.as_any().downcast_ref::<Int64Array>().expect("cast to Int64");
    Ok((0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i) as i32)).collect())
}

/// One `trade` row summed per (exporter, importer, HS6) of one year: the whole world's
/// bilateral trade in a few products, as the disruption scenarios need it.
#[derive(Debug, Clone, PartialEq)]
pub struct BilateralFlow {
    /// ISO3 of the exporter (`trade.exporter`).
    pub exporter: String,
    /// ISO3 of the importer (`trade.importer`).
    pub importer: String,
    pub hs6: String,
    /// Σ `trade.value_usd`, USD.
    pub value_usd: f64,
    /// Σ `trade.quantity_t` over the rows with a quantity, tonnes; `None` when no row has one.
    pub quantity_t: Option<f64>,
}

/// All bilateral trade of `year` in the HS6 `codes` (every exporter, every importer),
/// sorted by exporter, importer, HS6. Codes must be validated HS6 text (they are put into
/// the SQL as literals).
///
/// ```sql
/// SELECT exporter, importer, hs6, sum(value_usd), sum(quantity_t) FROM trade
/// WHERE year = … AND hs6 IN (…) GROUP BY exporter, importer, hs6
/// ```
pub async fn bilateral_flows(ctx: &SessionContext, year: i32, codes: &BTreeSet<String>) -> Result<Vec<BilateralFlow>, DependencyError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT exporter, importer, hs6, sum(value_usd) AS value_usd, sum(quantity_t) AS quantity_t
         FROM trade WHERE year = {year} AND hs6 IN ({codes})
         GROUP BY exporter, importer, hs6
         ORDER BY exporter, importer, hs6",
        codes = sql_list(codes),
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let mut out = Vec::new();
    for b in &batches {
        let (exporter, importer, hs6, value, quantity) =
            (strings(b.column(0))?, strings(b.column(1))?, strings(b.column(2))?, floats(b.column(3))?, floats(b.column(4))?);
        for r in 0..b.num_rows() {
            out.push(BilateralFlow {
                exporter: exporter[r].clone().expect("exporter"),
                importer: importer[r].clone().expect("importer"),
                hs6: hs6[r].clone().expect("hs6"),
                value_usd: value[r].unwrap_or(0.0),
                quantity_t: quantity[r],
            });
        }
    }
    Ok(out)
}
