//! `params/scenario.toml`: the substitution defaults, the stockpile target and the WGI-PV →
//! annual disruption probability mapping (docs/methods.md §8). Compiled in; `--params FILE`
//! reads another version. Errors name the file and the field.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ScenarioError;
use crate::model::Capacity;

/// `params/scenario.toml` as shipped with this build.
pub const BUILTIN_SCENARIO_TOML: &str = include_str!("../../../params/scenario.toml");

/// The scenario parameters file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioParams {
    pub version: String,
    pub sources: Vec<String>,
    pub substitution: SubstitutionDefaults,
    pub stockpile: StockpileTarget,
    pub probability: ProbabilityMapping,
}

/// Default substitution shares (assumptions; the file's header gives the rationale).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubstitutionDefaults {
    /// Share of an unaffected exporter's baseline exports (tonnes) it can redirect, 0–1.
    pub redirect_share: f64,
    /// Share of an unaffected producer's baseline production (tonnes) it can add, 0–1.
    pub spare_production_share: f64,
}

impl SubstitutionDefaults {
    pub fn capacity(&self) -> Capacity {
        Capacity { redirect_share: self.redirect_share, spare_production_share: self.spare_production_share }
    }
}

/// The stockpile target the days are compared with: JOGMEC's 60 days (42 public + 18 private).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StockpileTarget {
    pub target_days: f64,
    pub public_days: f64,
    pub private_days: f64,
}

/// Annual disruption probability of a supplier from its normalised WGI-PV `g` (0–1):
/// `p = p_min + (p_max − p_min) × g^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProbabilityMapping {
    pub p_min: f64,
    pub p_max: f64,
    pub exponent: f64,
    /// `g` of a supplier without a WGI score.
    pub unscored_g: f64,
    /// Report the probability that the loss exceeds this share of apparent supply, 0–1.
    pub loss_share_threshold: f64,
    /// Default number of draws.
    pub draws: u64,
    /// Default seed of the ChaCha8 generator.
    pub seed: u64,
}

impl ProbabilityMapping {
    /// `p(g)`, with `g` clipped to 0–1 (`None` → `unscored_g`).
    pub fn probability(&self, g: Option<f64>) -> f64 {
        let g = g.unwrap_or(self.unscored_g).clamp(0.0, 1.0);
        (self.p_min + (self.p_max - self.p_min) * g.powf(self.exponent)).clamp(0.0, 1.0)
    }
}

fn field(file: &str, field: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Params { file: file.to_owned(), message: format!("field `{field}`: {}", message.into()) }
}

fn share(file: &str, name: &str, v: f64) -> Result<(), ScenarioError> {
    if (0.0..=1.0).contains(&v) { Ok(()) } else { Err(field(file, name, format!("{v} is outside 0–1"))) }
}

impl ScenarioParams {
    /// The shipped file.
    pub fn builtin() -> ScenarioParams {
        ScenarioParams::from_toml(BUILTIN_SCENARIO_TOML, "params/scenario.toml").expect("the shipped params/scenario.toml is valid")
    }

    /// Read a parameters file.
    pub fn load(path: &Path) -> Result<ScenarioParams, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Params { file: file.clone(), message: e.to_string() })?;
        ScenarioParams::from_toml(&text, &file)
    }

    /// Parse and check: shares and probabilities in 0–1, `p_min ≤ p_max`, days ≥ 0.
    pub fn from_toml(text: &str, file: &str) -> Result<ScenarioParams, ScenarioError> {
        let p: ScenarioParams =
            toml::from_str(text).map_err(|e| ScenarioError::Params { file: file.to_owned(), message: e.to_string() })?;
        if p.version.trim().is_empty() {
            return Err(field(file, "version", "expected a non-empty version"));
        }
        share(file, "substitution.redirect_share", p.substitution.redirect_share)?;
        share(file, "substitution.spare_production_share", p.substitution.spare_production_share)?;
        share(file, "probability.p_min", p.probability.p_min)?;
        share(file, "probability.p_max", p.probability.p_max)?;
        share(file, "probability.unscored_g", p.probability.unscored_g)?;
        share(file, "probability.loss_share_threshold", p.probability.loss_share_threshold)?;
        if p.probability.draws == 0 {
            return Err(field(file, "probability.draws", "expected at least 1 draw"));
        }
        if p.probability.p_min > p.probability.p_max {
            return Err(field(file, "probability.p_min", "must not exceed p_max"));
        }
        if p.probability.exponent.is_nan() || p.probability.exponent <= 0.0 {
            return Err(field(file, "probability.exponent", "must be > 0"));
        }
        for (n, v) in [
            ("stockpile.target_days", p.stockpile.target_days),
            ("stockpile.public_days", p.stockpile.public_days),
            ("stockpile.private_days", p.stockpile.private_days),
        ] {
            if v.is_nan() || v < 0.0 {
                return Err(field(file, n, format!("{v} is negative")));
            }
        }
        Ok(p)
    }

    /// `scenario <version>`, as recorded with the rows.
    pub fn label(&self) -> String {
        format!("scenario {}", self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_values_and_mapping() {
        let p = ScenarioParams::builtin();
        assert_eq!(p.substitution.redirect_share, 0.10);
        assert_eq!(p.substitution.spare_production_share, 0.05);
        assert_eq!(p.stockpile.target_days, p.stockpile.public_days + p.stockpile.private_days);
        assert_eq!(p.stockpile.target_days, 60.0);
        // p = 0.01 + 0.29 g: China's 2022 g = (2.5 + 0.45) / 5 = 0.59 → 0.1811.
        assert!((p.probability.probability(Some(0.59)) - 0.1811).abs() < 1e-12);
        assert_eq!(p.probability.probability(None), 0.01 + 0.29 * 0.5);
        assert_eq!(p.probability.probability(Some(2.0)), 0.30);
    }

    #[test]
    fn bad_values_name_the_field() {
        let bad = BUILTIN_SCENARIO_TOML.replace("redirect_share = 0.10", "redirect_share = 1.5");
        let e = ScenarioParams::from_toml(&bad, "x.toml").unwrap_err().to_string();
        assert_eq!(e, "x.toml: field `substitution.redirect_share`: 1.5 is outside 0–1");
        let bad = BUILTIN_SCENARIO_TOML.replace("p_min = 0.01", "p_min = 0.5");
        let e = ScenarioParams::from_toml(&bad, "x.toml").unwrap_err().to_string();
        assert!(e.contains("probability.p_min"), "{e}");
    }
}
