//! Dependency figures (METHODS.md §1): for each importing unit × material (or HS6 product)
//! × year, who supplies what share, concentration, governance-weighted import risk, world
//! production concentration, change against 5 and 10 years earlier, and flags against the
//! EU CRMA 65 % benchmark and the Commission's HHI 0.4 screen.
//!
//! [`dependency`] (in `compute.rs`) plans the trade aggregation on the store's DataFusion
//! session ([`query`]), resolves the units of analysis (`items.rs`), reads the reference
//! tables (`reference.rs`) and computes the figures with the pure functions of
//! [`figures`]; [`briefing`] summarises a result for `chokepoint report`.

pub mod briefing;
pub mod compute;
pub mod figures;
pub mod history;
pub mod items;
pub mod query;
pub mod reference;

use std::collections::BTreeMap;

use serde::Serialize;

use chokepoint_model::hubs::HubList;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};

pub use compute::dependency;
pub use figures::{Concentration, PartnerShare};
pub use history::{SupplierHistory, SupplierYear, supplier_history};

/// Version of the dependency method, recorded with every result.
pub const METHOD: &str = "chokepoint dependency figures v1 (METHODS.md §1)";

/// Why the figures cannot be computed.
#[derive(Debug, thiserror::Error)]
pub enum DependencyError {
    /// The request does not fit the data (unknown country, year outside the data, unknown
    /// material or HS6 code): the user must change the command.
    #[error("{0}")]
    Usage(String),
    /// The request is valid but no trade matches it.
    #[error("{0}")]
    Empty(String),
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    /// A trade file of the store cannot be read by the all-products kernels (path and cause).
    #[error("{path}: {source}")]
    Parquet {
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// The store's trade directory cannot be listed or a file opened (path and cause).
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What the shares are computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Import value, USD (BACI `v` × 1000).
    #[default]
    Value,
    /// Import quantity, metric tonnes (BACI `q`); flows without a quantity are left out.
    Quantity,
}

impl std::fmt::Display for Basis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Basis::Value => "value",
            Basis::Quantity => "quantity",
        })
    }
}

/// Flag thresholds (strictly above flags).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Thresholds {
    /// Top-supplier share, 0–1. Default 0.65: Regulation (EU) 2024/1252 (CRMA) Art. 5(1)(c),
    /// no more than 65 % of the Union's consumption of a strategic raw material from a single
    /// third country.
    pub top_share: f64,
    /// Supplier HHI, 0–1. Default 0.4: the Commission's strategic-dependency screen
    /// (SWD(2021) 352, concentration of extra-EU imports).
    pub hhi: f64,
}

impl Thresholds {
    /// What the top-share threshold is: the CRMA benchmark only at its value.
    pub fn top_share_source(&self) -> &'static str {
        if self.top_share == 0.65 { "EU CRMA Art. 5 benchmark" } else { "user threshold; the EU CRMA benchmark is 0.65" }
    }

    /// What the HHI threshold is: the Commission's screen only at its value.
    pub fn hhi_source(&self) -> &'static str {
        if self.hhi == 0.4 { "Commission strategic-dependency screen" } else { "user threshold; the Commission's screen uses 0.4" }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { top_share: 0.65, hhi: 0.4 }
    }
}

/// Which units of analysis to compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemSelection {
    /// Every material of the `materials` table that has HS6 codes.
    AllMaterials,
    /// Materials by name or symbol (case-insensitive; a unique part of a name or symbol also
    /// matches).
    Materials(Vec<String>),
    /// Single HS6 products.
    Hs6(Vec<String>),
}

/// A dependency request.
#[derive(Debug, Clone)]
pub struct DependencyRequest {
    /// Importing units, in output order.
    pub importers: Vec<ImporterSpec>,
    /// The groups the importers may name.
    pub groups: CountryGroups,
    pub items: ItemSelection,
    /// Years; empty = the latest year in the store.
    pub years: Vec<i32>,
    pub basis: Basis,
    /// Suppliers whose share is reported on every row (ISO3).
    pub watch: Vec<String>,
    pub thresholds: Thresholds,
    pub hubs: HubList,
    /// Add the top supplier's main customers to flagged rows.
    pub rivals: bool,
    /// Leave out rows with an import value below this (USD; 0 keeps all). Changes are
    /// still computed against the earlier years' figures whatever their size.
    pub min_import_usd: f64,
}

/// One importing unit × material (or HS6 product) × year. Shares are 0–1 on `basis`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DependencyRow {
    /// The importing unit as written (`JPN`, `JPN+DEU`, `EU27`).
    pub importer: String,
    /// Its member countries that year (ISO3); trade between them is not counted.
    pub members: Vec<String>,
    pub year: i32,
    /// Material name (World Mining Data `HS Code Map` sheet name); `None` for an `--hs` row.
    pub material: Option<String>,
    /// HS6 codes summed (main then complementary codes of a material; the one code of an
    /// `--hs` row).
    pub hs6: Vec<String>,
    pub basis: Basis,
    /// Σ import value, USD.
    pub import_value_usd: f64,
    /// Σ import quantity over flows that have one, metric tonnes; `None` when none has.
    pub import_quantity_t: Option<f64>,
    /// Share of `import_value_usd` in flows without a quantity (0–1); on quantity basis
    /// these flows are not in the shares.
    pub value_share_without_quantity: f64,
    /// Suppliers with an amount > 0 on `basis`.
    pub supplier_count: usize,
    /// ISO3 of the largest supplier.
    pub top_supplier: String,
    pub top_share: f64,
    pub top3_share: f64,
    /// Supplier HHI `Σ s_i²`, 0–1.
    pub hhi: f64,
    /// Share of each watched supplier (ISO3 → 0–1; 0 when it supplies nothing).
    pub watch_shares: BTreeMap<String, f64>,
    /// `Σ s_i × g_i`, g = normalised WGI Political Stability of `wgi_year` (0 most stable,
    /// 1 least); suppliers without a score are left out (see `import_risk_unscored_share`).
    pub import_risk_wgi: Option<f64>,
    /// Share of supply from suppliers without a WGI score, 0–1.
    pub import_risk_unscored_share: Option<f64>,
    /// WGI year used: the same year, else the nearest (ties: earlier).
    pub wgi_year: Option<i32>,
    /// HHI of world production shares of the material (World Mining Data, `production_year`).
    pub production_hhi: Option<f64>,
    /// Largest producer (ISO3) and its share of world production, 0–1.
    pub top_producer: Option<String>,
    pub top_producer_share: Option<f64>,
    /// Production year used: the same year, else the nearest available (ties: earlier).
    pub production_year: Option<i32>,
    /// `top_share(year) − top_share(year − 5)` (the unit's membership of that year). The
    /// top supplier may differ between the two years: see `top_supplier_5y_ago`.
    pub top_share_change_5y: Option<f64>,
    pub hhi_change_5y: Option<f64>,
    pub top_share_change_10y: Option<f64>,
    pub hhi_change_10y: Option<f64>,
    /// The top supplier 5 and 10 years earlier, and its share then.
    pub top_supplier_5y_ago: Option<String>,
    pub top_share_5y_ago: Option<f64>,
    pub top_supplier_10y_ago: Option<String>,
    pub top_share_10y_ago: Option<f64>,
    /// `top_share>T`, `hhi>T` (thresholds as used), `hub_top_supplier`.
    pub flags: Vec<String>,
    /// When the top supplier is a hub: the hub's own largest suppliers of these codes that
    /// year (share of the hub's imports), the second tier.
    pub hub_suppliers: Vec<PartnerShare>,
    /// For flagged rows with `rivals` on: the top supplier's largest customers of these codes
    /// that year (share of its exports), i.e. who competes for the same supply.
    pub rivals: Vec<PartnerShare>,
}

/// A source of the store, as recorded in its manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceRef {
    pub name: String,
    pub release: String,
    pub sha256: String,
}

/// How the rows were made: method, parameters and sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provenance {
    pub method: String,
    pub basis: Basis,
    pub thresholds: Thresholds,
    pub years: Vec<i32>,
    pub watch: Vec<String>,
    /// Members of each composite importer per year shown.
    pub members: BTreeMap<String, BTreeMap<i32, Vec<String>>>,
    pub country_groups_version: String,
    pub hubs: Vec<String>,
    pub hubs_version: String,
    pub sources: Vec<SourceRef>,
    /// Rules in words, for the report footers.
    pub rules: Vec<String>,
}

/// One importing unit's imports of all the request's non-energy HS6 codes together (HS
/// chapter 27 — coal, lignite, petroleum, gas — left out, because on value basis it
/// outweighs every mineral; each code counted once, although materials can share codes),
/// by value, for the briefing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitTotal {
    pub importer: String,
    pub year: i32,
    /// HS6 codes covered (outside chapter 27).
    pub hs6_count: usize,
    /// Σ import value, USD.
    pub import_value_usd: f64,
    /// Share of `import_value_usd` supplied by each watched supplier, 0–1.
    pub watch_shares: BTreeMap<String, f64>,
}

/// Rows, how they were made, and what the user should know (materials left out, units
/// without imports).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DependencyResult {
    pub rows: Vec<DependencyRow>,
    /// Per importer and year shown: all codes together.
    pub totals: Vec<UnitTotal>,
    pub provenance: Provenance,
    pub notices: Vec<String>,
}

/// Number of partners listed in `hub_suppliers`.
pub const HUB_TIER_SIZE: usize = 3;
/// Number of partners listed in `rivals`.
pub const RIVALS_SIZE: usize = 5;
/// The partner lists added to rows after the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    /// A hub top supplier's own suppliers.
    Hub,
    /// A flagged row's top supplier's customers.
    Rivals,
}

/// Unscored suppliers above this share of a row are named in a note.
pub const UNSCORED_NOTE_SHARE: f64 = 0.05;
