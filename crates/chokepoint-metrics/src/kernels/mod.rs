//! All-products kernels: the group-bys over every importer × HS6 product of a year,
//! computed in one streaming pass over the store's sorted `trade` partitions instead of a
//! general query plan.
//!
//! They rely on the store invariant written by `chokepoint_data::trade::write_year`:
//! within `trade/year=Y/`, rows are sorted by (importer, hs6, exporter) with unique keys,
//! possibly over several files `part-0.parquet`, `part-1.parquet`, … taken in numeric
//! order. A run of rows with the same (importer, hs6) is then one group, and a year can be
//! cut at any row group into contiguous chunks scanned on separate cores whose boundary
//! groups are merged.
//!
//! Sums are exact: each `value_usd` is rounded to milli-USD (`round(1000 · v)`, as
//! DataFusion's `CAST(value_usd AS DECIMAL(38, 3))`) and added as integers, and turned into
//! USD (`f64`) only at the end, as `CAST(… AS DOUBLE)` does. The result therefore does not
//! depend on how the year is split or on the number of threads, and it is bit-identical
//! to the plain SQL cross-check (`--engine sql`) over the same store.
//!
//! - [`dependency_table`]: the dependency table of every importer × HS6 × year (total,
//!   suppliers, top supplier and share, top-3 share, HHI).
//! - [`screen`]: the aggregates of the strategic-dependency screen (a unit's extra-bloc
//!   imports by exporter, intra-bloc imports, extra-bloc exports, world exports' HHI).

pub mod dependency_table;
pub(crate) mod scan;
pub(crate) mod screen;

use serde::Serialize;

/// Which implementation computes an all-products table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// The streaming kernels of this module over the sorted store (the default).
    #[default]
    Kernel,
    /// A plain DataFusion SQL query over the store: the cross-check.
    Sql,
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::Kernel => "kernel",
            Engine::Sql => "sql",
        })
    }
}

/// Number of threads the kernels use: the machine's available parallelism (at least 1).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// `value_usd` (USD) as exact milli-USD, rounded as `CAST(v AS DECIMAL(38, 3))` does
/// (`round(1000 · v)`).
#[inline]
pub(crate) fn milli(v: f64) -> i64 {
    (1000.0 * v).round() as i64
}

/// Milli-USD back to USD, as `CAST(DECIMAL(38, 3) AS DOUBLE)` does (`x / 10³`).
#[inline]
pub(crate) fn usd(x: i128) -> f64 {
    x as f64 / 10_f64.powi(3)
}

/// A sum of squared milli-USD back to USD², as `CAST(DECIMAL(38, 6) AS DOUBLE)` does.
#[inline]
pub(crate) fn usd2(x: i128) -> f64 {
    x as f64 / 10_f64.powi(6)
}
