//! What every risk result row names: the method, its version, the version of the parameters
//! file it read, and the data sources (name, release, sha256) it was computed from.

use serde::Serialize;

use chokepoint_data::Manifest;

/// The provenance columns of a risk row (`method`, `method_version`, `params_version`,
/// `sources`), the same for every row of one run of one method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MethodInfo {
    /// Method id as given to `--method` (`geopolrisk`, `eu-crm`, `dera`, `screen`, `crma`).
    pub method: String,
    /// Implementation version and the publication it follows, e.g.
    /// `chokepoint GeoPolRisk v1 (METHODS.md §2; Koyamparambath et al. 2024)`.
    pub method_version: String,
    /// `name version` of the parameters file read (e.g. `eu_crm 2023.1`), or `-` when the method reads none.
    pub params_version: String,
    /// The store's sources the method reads, `name release (sha256 first 12 hex)`, joined with `; `.
    pub sources: String,
}

impl MethodInfo {
    /// Build from the store's manifest, keeping the sources that provide any of `tables`
    /// (e.g. `["trade", "production", "governance"]`).
    pub fn new(method: &str, method_version: &str, params_version: Option<&str>, manifest: &Manifest, tables: &[&str]) -> MethodInfo {
        let sources = manifest
            .sources
            .iter()
            .filter(|s| s.tables.iter().any(|t| tables.contains(&t.as_str())))
            .map(|s| format!("{} {} (sha256 {})", s.name, s.release, &s.sha256[..s.sha256.len().min(12)]))
            .collect::<Vec<_>>()
            .join("; ");
        MethodInfo {
            method: method.to_owned(),
            method_version: method_version.to_owned(),
            params_version: params_version.unwrap_or("-").to_owned(),
            sources,
        }
    }
}
