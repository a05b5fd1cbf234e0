//! Re-export and transit hubs (`params/hub_exporters.toml`, DATA.md §3.3): exporters that
//! largely route goods they do not produce. A hub as an importer's top supplier is flagged
//! and its own suppliers are shown as a second tier.

use serde::Deserialize;

use crate::Iso3;
use crate::importer::ImporterError;

/// One hub exporter.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Hub {
    /// ISO3 code.
    pub iso3: String,
    pub name: String,
    /// Why it is a hub.
    pub why: String,
    /// Where that comes from.
    pub source: String,
}

/// The hub list with its version (recorded with results).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HubList {
    pub version: String,
    #[serde(rename = "hub")]
    pub hubs: Vec<Hub>,
}

/// `params/hub_exporters.toml` as shipped with this build.
pub const BUILTIN_HUBS_TOML: &str = include_str!("../../../params/hub_exporters.toml");

impl HubList {
    /// Parse a hub file; `file` names it in errors.
    ///
    /// Errors: TOML syntax or shape (with line and column), a code that is not ISO3.
    pub fn from_toml(text: &str, file: &str) -> Result<HubList, ImporterError> {
        let mut list: HubList = toml::from_str(text).map_err(|e| ImporterError::File { file: file.to_owned(), message: e.to_string() })?;
        for h in &mut list.hubs {
            h.iso3 = h
                .iso3
                .parse::<Iso3>()
                .map_err(|source| ImporterError::Member { file: file.to_owned(), group: "hub".to_owned(), source })?
                .to_string();
        }
        Ok(list)
    }

    /// The list shipped with this build (`params/hub_exporters.toml`).
    pub fn builtin() -> HubList {
        HubList::from_toml(BUILTIN_HUBS_TOML, "params/hub_exporters.toml").expect("the shipped hub list parses")
    }

    /// Read and parse a hub file.
    pub fn load(path: &std::path::Path) -> Result<HubList, ImporterError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ImporterError::File { file: path.display().to_string(), message: e.to_string() })?;
        HubList::from_toml(&text, &path.display().to_string())
    }

    /// True when `iso3` is a hub.
    pub fn contains(&self, iso3: &str) -> bool {
        self.hubs.iter().any(|h| h.iso3 == iso3)
    }

    /// The ISO3 codes.
    pub fn codes(&self) -> Vec<String> {
        self.hubs.iter().map(|h| h.iso3.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list() {
        let h = HubList::builtin();
        assert_eq!(h.codes(), ["NLD", "BEL", "SGP", "HKG"]);
        assert!(h.contains("SGP") && !h.contains("CHN"));
        let e =
            HubList::from_toml("version = \"1\"\n[[hub]]\niso3 = \"XX\"\nname = \"\"\nwhy = \"\"\nsource = \"\"\n", "h.toml").unwrap_err();
        assert!(e.to_string().contains("h.toml") && e.to_string().contains("XX"), "{e}");
    }
}
