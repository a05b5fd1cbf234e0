//! Parameter files of two risk methods, compiled into the binary and replaceable at run time:
//!
//! - [`DeraParams`] (`params/dera.toml`, `--dera-params FILE`): the cut-offs of DERA's risk
//!   screen (HHI classes, weighted-country-risk classes, risk groups; METHODS.md §6 —
//!   *unconfirmed* cut-offs, the file says so);
//! - [`CrmaParams`] (`params/crma.toml`, `--crma-params FILE`): the strategic raw materials of
//!   Regulation (EU) 2024/1252 Annex I Section 1 mapped to the dataset's materials, and the
//!   Art. 5(1)(d) benchmark (65 %).
//!
//! Errors name the file, the field and what was expected ([`ParamsError`]).

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A parameters file that cannot be read, parsed or validated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamsError {
    /// The file cannot be read, or is not TOML of the expected shape (the message has the
    /// line and column, and the field).
    #[error("{file}: {message}")]
    File { file: String, message: String },
    /// A field has a value outside what the method accepts.
    #[error("{file}: field `{field}`: {message}")]
    Field { file: String, field: String, message: String },
}

fn read(path: &Path) -> Result<String, ParamsError> {
    std::fs::read_to_string(path).map_err(|e| ParamsError::File { file: path.display().to_string(), message: e.to_string() })
}

fn field_err(file: &str, field: &str, message: String) -> ParamsError {
    ParamsError::Field { file: file.to_owned(), field: field.to_owned(), message }
}

fn check_version(file: &str, version: &str, sources: &[String]) -> Result<(), ParamsError> {
    if version.trim().is_empty() {
        return Err(field_err(file, "version", "expected a non-empty version string".into()));
    }
    if sources.is_empty() || sources.iter().any(|s| s.trim().is_empty()) {
        return Err(field_err(file, "sources", "expected a non-empty list of non-empty source strings".into()));
    }
    Ok(())
}

/// `params/dera.toml` as shipped with this build.
pub const BUILTIN_DERA_TOML: &str = include_str!("../../../params/dera.toml");

/// `params/crma.toml` as shipped with this build.
pub const BUILTIN_CRMA_TOML: &str = include_str!("../../../params/crma.toml");

/// Cut-offs of DERA's risk screen (METHODS.md §6; *unconfirmed*, see the file's header).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeraParams {
    pub version: String,
    pub sources: Vec<String>,
    pub hhi: DeraHhiCutoffs,
    pub country_risk: DeraRiskCutoffs,
}

/// HHI cut-offs on the 0–10,000 scale (shares in per cent).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeraHhiCutoffs {
    /// HHI ≥ this (and ≤ `high_above`): moderate concentration. Default 1,500.
    pub moderate_from: f64,
    /// HHI > this: high concentration. Default 2,500.
    pub high_above: f64,
}

/// Weighted-country-risk cut-offs on the WGI estimate scale (−2.5…+2.5, lower = riskier).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeraRiskCutoffs {
    /// Weighted country risk < this: high risk. Default −0.5.
    pub high_below: f64,
    /// Weighted country risk > this: low risk (between the two: moderate). Default +0.5.
    pub low_above: f64,
}

impl DeraParams {
    /// Parse and validate; `file` names the file in errors.
    ///
    /// Errors: TOML syntax or shape (unknown or missing field, wrong type: with line and
    /// column); an empty `version` or `sources`; `hhi.moderate_from`/`hhi.high_above` not in
    /// 0–10,000 or not ordered; `country_risk.high_below`/`low_above` not in −2.5…+2.5 or not ordered.
    pub fn from_toml(text: &str, file: &str) -> Result<DeraParams, ParamsError> {
        let p: DeraParams = toml::from_str(text).map_err(|e| ParamsError::File { file: file.to_owned(), message: e.to_string() })?;
        check_version(file, &p.version, &p.sources)?;
        for (field, v) in [("hhi.moderate_from", p.hhi.moderate_from), ("hhi.high_above", p.hhi.high_above)] {
            if !(0.0..=10_000.0).contains(&v) {
                return Err(field_err(file, field, format!("expected an HHI on the 0–10,000 scale, found {v}")));
            }
        }
        if p.hhi.moderate_from > p.hhi.high_above {
            return Err(field_err(
                file,
                "hhi.moderate_from",
                format!("expected ≤ hhi.high_above ({}), found {}", p.hhi.high_above, p.hhi.moderate_from),
            ));
        }
        for (field, v) in [("country_risk.high_below", p.country_risk.high_below), ("country_risk.low_above", p.country_risk.low_above)] {
            if !(-2.5..=2.5).contains(&v) {
                return Err(field_err(file, field, format!("expected a WGI estimate in −2.5…+2.5, found {v}")));
            }
        }
        if p.country_risk.high_below > p.country_risk.low_above {
            return Err(field_err(
                file,
                "country_risk.high_below",
                format!("expected ≤ country_risk.low_above ({}), found {}", p.country_risk.low_above, p.country_risk.high_below),
            ));
        }
        Ok(p)
    }

    /// The file shipped with this build.
    pub fn builtin() -> DeraParams {
        DeraParams::from_toml(BUILTIN_DERA_TOML, "params/dera.toml").expect("the shipped DERA parameters parse")
    }

    /// Read, parse and validate a file.
    pub fn load(path: &Path) -> Result<DeraParams, ParamsError> {
        DeraParams::from_toml(&read(path)?, &path.display().to_string())
    }
}

/// The strategic raw materials and the third-country benchmark of the CRMA.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CrmaParams {
    /// Where the file was read from (set by [`CrmaParams::from_toml`]), for error messages.
    #[serde(skip)]
    pub file: String,
    pub version: String,
    /// Largest admissible share of a single third country in the Union's annual
    /// consumption, 0–1 (Art. 5(1)(d): 0.65).
    pub benchmark: f64,
    pub sources: Vec<String>,
    /// Dataset materials standing for a strategic raw material.
    pub strategic: Vec<StrategicMaterial>,
    /// Strategic raw materials without a counterpart in the dataset.
    #[serde(default)]
    pub not_covered: Vec<NotCovered>,
}

/// One dataset material that stands for a strategic raw material (Annex I Section 1).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StrategicMaterial {
    /// The strategic raw material as the Regulation names it.
    pub raw_material: String,
    /// Its number in Annex I Section 1 (1–17).
    pub annex_item: u8,
    /// The dataset's material (`materials.material`).
    pub material: String,
    /// The supply-chain stage the dataset material measures: `Extraction` or `Processing`.
    pub stage: String,
    /// What the dataset's production and HS6 codes actually cover (approximations named).
    pub form: String,
}

/// A strategic raw material the dataset cannot measure.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NotCovered {
    pub raw_material: String,
    pub annex_item: u8,
    pub why: String,
}

impl CrmaParams {
    /// Parse and validate; `file` names the file in errors.
    ///
    /// Errors: TOML syntax or shape; an empty `version` or `sources`; `benchmark` not in
    /// (0, 1); a `strategic` entry with an empty name or material, an `annex_item` outside
    /// 1–17, a stage other than `Extraction`/`Processing`, or a material listed twice.
    pub fn from_toml(text: &str, file: &str) -> Result<CrmaParams, ParamsError> {
        let mut p: CrmaParams = toml::from_str(text).map_err(|e| ParamsError::File { file: file.to_owned(), message: e.to_string() })?;
        p.file = file.to_owned();
        check_version(file, &p.version, &p.sources)?;
        if !(p.benchmark > 0.0 && p.benchmark < 1.0) {
            return Err(field_err(
                file,
                "benchmark",
                format!("expected a share strictly between 0 and 1 (0.65 = 65 %), found {}", p.benchmark),
            ));
        }
        if p.strategic.is_empty() {
            return Err(field_err(file, "strategic", "expected at least one [[strategic]] entry".into()));
        }
        let mut seen = BTreeSet::new();
        for (i, s) in p.strategic.iter().enumerate() {
            let f = |name: &str| format!("strategic[{i}].{name}");
            if s.raw_material.trim().is_empty() {
                return Err(field_err(file, &f("raw_material"), "expected the raw material's name".into()));
            }
            if s.material.trim().is_empty() {
                return Err(field_err(file, &f("material"), "expected a material of the dataset (materials.material)".into()));
            }
            if !(1..=17).contains(&s.annex_item) {
                return Err(field_err(file, &f("annex_item"), format!("expected 1–17 (Annex I Section 1), found {}", s.annex_item)));
            }
            if !matches!(s.stage.as_str(), "Extraction" | "Processing") {
                return Err(field_err(file, &f("stage"), format!("expected \"Extraction\" or \"Processing\", found {:?}", s.stage)));
            }
            if !seen.insert(s.material.to_lowercase()) {
                return Err(field_err(file, &f("material"), format!("{:?} is listed twice", s.material)));
            }
        }
        for (i, n) in p.not_covered.iter().enumerate() {
            if !(1..=17).contains(&n.annex_item) {
                return Err(field_err(
                    file,
                    &format!("not_covered[{i}].annex_item"),
                    format!("expected 1–17 (Annex I Section 1), found {}", n.annex_item),
                ));
            }
        }
        Ok(p)
    }

    /// The file shipped with this build.
    pub fn builtin() -> CrmaParams {
        CrmaParams::from_toml(BUILTIN_CRMA_TOML, "params/crma.toml").expect("the shipped CRMA parameters parse")
    }

    /// Read, parse and validate a file.
    pub fn load(path: &Path) -> Result<CrmaParams, ParamsError> {
        CrmaParams::from_toml(&read(path)?, &path.display().to_string())
    }

    /// The strategic entry of a dataset material (case-insensitive), if any.
    pub fn strategic(&self, material: &str) -> Option<&StrategicMaterial> {
        let m = material.to_lowercase();
        self.strategic.iter().find(|s| s.material.to_lowercase() == m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_files() {
        let d = DeraParams::builtin();
        assert_eq!((d.hhi.moderate_from, d.hhi.high_above), (1500.0, 2500.0));
        assert_eq!((d.country_risk.high_below, d.country_risk.low_above), (-0.5, 0.5));
        assert!(d.version.contains("unconfirmed"));
        let c = CrmaParams::builtin();
        assert_eq!(c.benchmark, 0.65);
        // Every one of the 17 strategic raw materials is either mapped or named as not covered.
        let items: BTreeSet<u8> = c.strategic.iter().map(|s| s.annex_item).chain(c.not_covered.iter().map(|n| n.annex_item)).collect();
        assert_eq!(items, (1..=17).collect());
        assert_eq!(c.strategic("cobalt").unwrap().stage, "Processing");
        assert_eq!(c.strategic("Bauxite").unwrap().annex_item, 1);
        assert!(c.strategic("Magnesite").is_none());
    }

    #[test]
    fn bad_files_name_file_field_and_expectation() {
        let dera = |t: &str| DeraParams::from_toml(&BUILTIN_DERA_TOML.replace("high_above = 2500.0", t), "d.toml").unwrap_err().to_string();
        let e = dera("high_above = 12000.0");
        assert_eq!(e, "d.toml: field `hhi.high_above`: expected an HHI on the 0–10,000 scale, found 12000");
        let e = dera("high_above = 1000.0");
        assert!(e.starts_with("d.toml: field `hhi.moderate_from`: expected ≤ hhi.high_above (1000)"), "{e}");
        let e = dera("high_above = \"x\"");
        assert!(e.starts_with("d.toml: ") && e.contains("high_above") && e.contains("expected f64"), "{e}");
        let e = dera("high_above = 2500.0\nextra = 1.0");
        assert!(e.contains("unknown field `extra`"), "{e}");
        let e = DeraParams::from_toml(&BUILTIN_DERA_TOML.replace("high_below = -0.5", "high_below = -3.0"), "d.toml").unwrap_err();
        assert_eq!(e.to_string(), "d.toml: field `country_risk.high_below`: expected a WGI estimate in −2.5…+2.5, found -3");
        let crma =
            |from: &str, to: &str| CrmaParams::from_toml(&BUILTIN_CRMA_TOML.replacen(from, to, 1), "c.toml").unwrap_err().to_string();
        assert_eq!(
            crma("benchmark = 0.65", "benchmark = 65.0"),
            "c.toml: field `benchmark`: expected a share strictly between 0 and 1 (0.65 = 65 %), found 65"
        );
        assert_eq!(
            crma("stage = \"Extraction\"", "stage = \"Mining\""),
            "c.toml: field `strategic[0].stage`: expected \"Extraction\" or \"Processing\", found \"Mining\""
        );
        assert_eq!(
            crma("material = \"Aluminium\"", "material = \"Bauxite\""),
            "c.toml: field `strategic[1].material`: \"Bauxite\" is listed twice"
        );
        assert_eq!(
            crma("annex_item = 2", "annex_item = 18"),
            "c.toml: field `strategic[2].annex_item`: expected 1–17 (Annex I Section 1), found 18"
        );
        let e = DeraParams::load(Path::new("/nonexistent/dera.toml")).unwrap_err().to_string();
        assert!(e.starts_with("/nonexistent/dera.toml: "), "{e}");
    }
}
