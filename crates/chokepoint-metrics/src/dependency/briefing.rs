//! The briefing that `chokepoint report` prints before its table: per importer, in the
//! latest year of the result, the materials above the top-supplier benchmark, the weight of
//! the watched suppliers, and the largest ten-year changes. Computed from a
//! [`DependencyResult`] only (no further queries).

use serde::Serialize;

use super::{DependencyResult, DependencyRow};

/// A row's label: the material name or `HS 280530`.
pub fn item_label(r: &DependencyRow) -> String {
    r.material.clone().unwrap_or_else(|| format!("HS {}", r.hs6.join("+")))
}

/// A material whose top supplier is above the benchmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkHit {
    pub item: String,
    pub top_supplier: String,
    pub top_share: f64,
    pub hhi: f64,
    pub import_value_usd: f64,
}

/// How much a watched supplier weighs in an importer's imports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchedWeight {
    pub supplier: String,
    /// Its share of the importer's imports of all covered non-energy HS6 codes together
    /// (each code once; see [`super::UnitTotal`]), 0–1, by value.
    pub share_of_all: Option<f64>,
    /// Items where it is the top supplier.
    pub top_supplier_of: Vec<String>,
    /// Items where it supplies more than half.
    pub majority_of: Vec<String>,
}

/// A ten-year change of an item's top-supplier share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub item: String,
    pub top_supplier: String,
    pub top_share: f64,
    /// `top_share − top_share 10 years earlier` (whoever was on top then).
    pub top_share_change_10y: f64,
    /// The top supplier ten years earlier and its share then.
    pub top_supplier_10y_ago: Option<String>,
    pub top_share_10y_ago: Option<f64>,
    pub hhi: f64,
    pub hhi_change_10y: Option<f64>,
}

/// One importer's briefing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImporterBriefing {
    pub importer: String,
    pub year: i32,
    /// Items with imports that year.
    pub items: usize,
    /// Items with top share above the threshold and imports of at least the briefing's
    /// minimum value, largest share first.
    pub above_top_share: Vec<BenchmarkHit>,
    /// Items above the top-share threshold left out of the list for small imports.
    pub above_top_share_small: usize,
    /// Items with HHI above the threshold.
    pub above_hhi: usize,
    pub watched: Vec<WatchedWeight>,
    /// Up to [`CHANGES_SHOWN`] largest absolute ten-year changes of the top share, among
    /// items with imports of at least the minimum value.
    pub biggest_changes: Vec<Change>,
}

/// Changes listed per importer.
pub const CHANGES_SHOWN: usize = 5;

/// The briefing of a result: one entry per importer, for its latest year in the result.
/// Benchmark breaches with imports below `min_value_usd` are counted, not listed (a 100 %
/// share of a few thousand dollars is not a dependency worth a line).
pub fn briefing(result: &DependencyResult, min_value_usd: f64) -> Vec<ImporterBriefing> {
    let p = &result.provenance;
    let mut importers: Vec<&str> = Vec::new();
    for r in &result.rows {
        if !importers.contains(&r.importer.as_str()) {
            importers.push(&r.importer);
        }
    }
    let mut out = Vec::new();
    for imp in importers {
        let year = result.rows.iter().filter(|r| r.importer == imp).map(|r| r.year).max().expect("importer has rows");
        let rows: Vec<&DependencyRow> = result.rows.iter().filter(|r| r.importer == imp && r.year == year).collect();
        let breaches: Vec<&&DependencyRow> = rows.iter().filter(|r| r.top_share > p.thresholds.top_share).collect();
        let mut above: Vec<BenchmarkHit> = breaches
            .iter()
            .filter(|r| r.import_value_usd >= min_value_usd)
            .map(|r| BenchmarkHit {
                item: item_label(r),
                top_supplier: r.top_supplier.clone(),
                top_share: r.top_share,
                hhi: r.hhi,
                import_value_usd: r.import_value_usd,
            })
            .collect();
        above.sort_by(|a, b| b.top_share.total_cmp(&a.top_share).then(a.item.cmp(&b.item)));
        let total = result.totals.iter().find(|t| t.importer == imp && t.year == year);
        let watched = p
            .watch
            .iter()
            .map(|w| WatchedWeight {
                supplier: w.clone(),
                share_of_all: total.and_then(|t| t.watch_shares.get(w).copied()),
                top_supplier_of: rows.iter().filter(|r| &r.top_supplier == w).map(|r| item_label(r)).collect(),
                majority_of: rows.iter().filter(|r| r.watch_shares.get(w).is_some_and(|s| *s > 0.5)).map(|r| item_label(r)).collect(),
            })
            .collect();
        let mut changes: Vec<Change> = rows
            .iter()
            .filter(|r| r.import_value_usd >= min_value_usd)
            .filter_map(|r| {
                r.top_share_change_10y.map(|c| Change {
                    item: item_label(r),
                    top_supplier: r.top_supplier.clone(),
                    top_share: r.top_share,
                    top_share_change_10y: c,
                    top_supplier_10y_ago: r.top_supplier_10y_ago.clone(),
                    top_share_10y_ago: r.top_share_10y_ago,
                    hhi: r.hhi,
                    hhi_change_10y: r.hhi_change_10y,
                })
            })
            .collect();
        changes.sort_by(|a, b| b.top_share_change_10y.abs().total_cmp(&a.top_share_change_10y.abs()).then(a.item.cmp(&b.item)));
        changes.truncate(CHANGES_SHOWN);
        out.push(ImporterBriefing {
            importer: imp.to_owned(),
            year,
            items: rows.len(),
            above_top_share_small: breaches.len() - above.len(),
            above_top_share: above,
            above_hhi: rows.iter().filter(|r| r.hhi > p.thresholds.hhi).count(),
            watched,
            biggest_changes: changes,
        });
    }
    out
}
