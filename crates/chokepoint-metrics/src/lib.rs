//! Dependency figures and risk methods. Each metric is a small pure function over
//! in-memory slices, documented with its equation and source (`../shared/METHODS.md`);
//! the batch queries over the store must agree with these functions.

pub mod concentration;
pub mod crma;
pub mod dependency;
pub mod dera;
pub mod eu_crm;
pub mod explain;
pub mod geopolrisk;
pub mod kernels;
pub mod method;
pub mod risk;
mod scope;
pub mod screen;
