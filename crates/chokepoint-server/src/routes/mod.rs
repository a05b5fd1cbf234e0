//! The handlers, one module per part of the API (each with its response types).

pub mod dependency;
pub mod meta;
pub mod risk;
pub mod scenario;
