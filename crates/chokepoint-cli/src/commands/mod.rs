//! One module per top-level command.

pub mod bench;
pub mod data;
pub mod dependency;
pub mod ingest;
pub mod risk;
pub mod scenario;
pub mod serve;
pub mod sql;
