//! Sources → store. Each ingest reads and validates a whole source, writes a complete new
//! store aside and swaps it in (see [`crate::store`]).

pub mod baci;
pub mod geopolrisk;
mod sqlite;

use std::collections::BTreeMap;

use indicatif::{ProgressBar, ProgressStyle};

use crate::manifest::{Manifest, SourceInfo, TradeYear};
use crate::schema::SCHEMA_VERSION;
use crate::store::Store;

/// What an ingest produced.
#[derive(Debug)]
pub struct IngestSummary {
    /// The new current store.
    pub store: Store,
}

/// Version of the ingest rules (corrections of the sources), recorded in the manifest. Bump
/// it when a rule changes what a store holds for the same source, so that `data setup`
/// rebuilds older stores. 2: World Mining Data rows of French Guiana coded as Guyana get GUF.
pub const INGEST_VERSION: u32 = 2;

pub(crate) fn new_manifest(sources: Vec<SourceInfo>, trade_years: BTreeMap<i32, TradeYear>, notes: Vec<String>) -> Manifest {
    Manifest {
        schema_version: SCHEMA_VERSION,
        chokepoint_version: env!("CARGO_PKG_VERSION").to_owned(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        sources,
        tables: BTreeMap::new(),
        trade_years,
        notes,
        ingest_version: INGEST_VERSION,
    }
}

/// Worker threads for an ingest: `requested`, or every core when 0.
pub(crate) fn worker_threads(requested: usize) -> usize {
    if requested > 0 { requested } else { std::thread::available_parallelism().map_or(2, |n| n.get()) }
}

/// Progress bars that are hidden unless enabled (and on a terminal: indicatif hides them
/// when stderr is not a TTY).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Progress {
    enabled: bool,
}

impl Progress {
    pub(crate) fn new(enabled: bool) -> Self {
        Progress { enabled }
    }

    pub(crate) fn bar(&self, len: u64, message: &'static str) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{msg:>18} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(message);
        bar
    }

    pub(crate) fn bytes(&self, len: u64, message: String) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(message);
        bar
    }
}
