//! Disruption scenarios (docs/methods.md §8): "what if China restricts gallium, graphite or
//! rare earths again — how short are we, who can fill the gap, how long do our stockpiles
//! last?"
//!
//! - [`examples`]: the example scenarios shipped in `scenarios/`, by name;
//! - [`file`]: scenario files (TOML) and their checks, errors with line and field;
//! - [`params`]: `params/scenario.toml` (substitution defaults, JOGMEC target, WGI → probability);
//! - [`model`]: the pure arithmetic (direct effect, substitution, stockpile days);
//! - [`allocate`]: how importers share the substitution (pro-rata, or the LP with preferences);
//! - [`baseline`]: the baseline market read from the store;
//! - [`montecarlo`]: the probabilistic mode (WGI → annual probability, seeded ChaCha8 draws);
//! - [`run`]: a scenario over the store → typed rows with provenance and a plain-language summary.

pub mod allocate;
pub mod baseline;
pub mod examples;
pub mod file;
pub mod model;
pub mod montecarlo;
pub mod params;
pub mod run;

pub use file::{Allocation, Scenario};
pub use montecarlo::{MonteCarloOptions, MonteCarloResult, MonteCarloRow};
pub use params::ScenarioParams;
pub use run::{ImporterRow, ScenarioRequest, ScenarioResult, SupplierRow, resolve, run_scenario};

/// Version of the scenario method, recorded with every row.
pub const METHOD_VERSION: &str = "chokepoint disruption scenarios v1 (docs/methods.md §8; METHODS.md §7)";

/// Why a scenario cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The scenario file is malformed or names something the store does not have.
    #[error("{file}:{line}: field `{field}`: {message}")]
    File { file: String, line: usize, field: String, message: String },
    /// The parameters file is malformed.
    #[error("{file}: {message}")]
    Params { file: String, message: String },
    /// A command-line argument the data contradicts (e.g. an unknown `--importer`).
    #[error("{0}")]
    Usage(String),
    /// The LP solver of the optimised allocation failed.
    #[error(transparent)]
    Allocation(#[from] allocate::AllocationError),
    #[error(transparent)]
    Data(#[from] chokepoint_metrics::dependency::DependencyError),
}

impl ScenarioError {
    /// True for errors the user fixes by changing the file or the command (exit 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, ScenarioError::File { .. } | ScenarioError::Params { .. } | ScenarioError::Usage(_))
            || matches!(self, ScenarioError::Data(chokepoint_metrics::dependency::DependencyError::Usage(_)))
    }
}
