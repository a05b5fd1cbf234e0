//! GeoPolRisk (METHODS.md §2; Gemechu et al. 2016, Helbig et al. 2016, Koyamparambath et
//! al. 2022, 2024): the supply risk of material A for importer c,
//!
//! `GeoPolRisk_{A,c} = HHI_A × Σ_i (g_i × f_{A,i,c}) / (p_{A,c} + F_{A,c})`
//!
//! with `HHI_A` the HHI of world production shares (0–1), `g_i` the normalised WGI
//! Political Stability of exporter i (0 most stable, 1 least), `f_{A,i,c}` the imports from
//! i in tonnes, `F_{A,c} = Σ_i f_{A,i,c}` and `p_{A,c}` the importer's own production in
//! tonnes (treated as risk-free). The characterisation factor for LCA is
//! `CF = GeoPolRisk × price / CF_Cu`, price = import value / import quantity, relative to
//! copper (kg Cu-eq/kg).

use serde::Serialize;

pub mod compute;

pub use compute::{Convention, GeoPolRiskRequest, GeoPolRiskResult, GeoPolRiskRow, geopolrisk};

/// The copper reference of the characterisation factor: geopolrisk-py 2.0.1's average CF of
/// copper for OECD countries 2017–2021 (score × price in USD/kg).
pub const CF_COPPER: f64 = 0.409412948;

/// The terms of one GeoPolRisk score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Terms {
    /// HHI of world production shares of the material, 0–1.
    pub production_hhi: f64,
    /// `Σ_i g_i × f_i`, tonnes.
    pub weighted_imports_t: f64,
    /// `F = Σ_i f_i`, tonnes.
    pub imports_t: f64,
    /// `p`, the importer's own production, tonnes.
    pub domestic_production_t: f64,
    /// Import value / import quantity, USD per tonne.
    pub price_usd_per_t: f64,
}

/// A GeoPolRisk score and its parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    /// `Σ g_i f_i / (p + F)`, 0–1 (0 when `p + F = 0`).
    pub import_risk: f64,
    /// `HHI × import_risk`, 0–1.
    pub score: f64,
    /// `score × price (USD/kg) / CF_COPPER`, kg Cu-eq/kg.
    pub cf_kg_cu_eq_per_kg: f64,
}

/// Compute the score from its terms.
pub fn score(t: &Terms) -> Score {
    let denominator = t.domestic_production_t + t.imports_t;
    let import_risk = if denominator > 0.0 { t.weighted_imports_t / denominator } else { 0.0 };
    let score = t.production_hhi * import_risk;
    Score { import_risk, score, cf_kg_cu_eq_per_kg: score * (t.price_usd_per_t / 1000.0) / CF_COPPER }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/methods.md §2.
    #[test]
    fn worked_example() {
        // Imports of 100 t: 60 t from a supplier with g = 0.6, 40 t from one with g = 0.2;
        // own production 25 t; production HHI 0.5; imports worth 1,000,000 USD.
        let t = Terms {
            production_hhi: 0.5,
            weighted_imports_t: 60.0 * 0.6 + 40.0 * 0.2,
            imports_t: 100.0,
            domestic_production_t: 25.0,
            price_usd_per_t: 1_000_000.0 / 100.0,
        };
        let s = score(&t);
        assert!((s.import_risk - 44.0 / 125.0).abs() < 1e-15);
        assert!((s.score - 0.5 * 0.352).abs() < 1e-15);
        // 10,000 USD/t = 10 USD/kg.
        assert!((s.cf_kg_cu_eq_per_kg - 0.176 * 10.0 / 0.409412948).abs() < 1e-12);
        let none = score(&Terms { imports_t: 0.0, weighted_imports_t: 0.0, domestic_production_t: 0.0, ..t });
        assert_eq!(none.score, 0.0);
    }

    proptest::proptest! {
        /// The score lies in [0, HHI] and does not fall when an import moves to a less stable supplier.
        #[test]
        fn bounded_and_monotone(hhi in 0.0f64..1.0, f1 in 0.0f64..1e6, f2 in 0.0f64..1e6, g1 in 0.0f64..1.0, g2 in 0.0f64..1.0, p in 0.0f64..1e6, shift in 0.0f64..1.0) {
            let (lo, hi) = if g1 <= g2 { (g1, g2) } else { (g2, g1) };
            let t = Terms { production_hhi: hhi, weighted_imports_t: f1 * lo + f2 * hi, imports_t: f1 + f2, domestic_production_t: p, price_usd_per_t: 1.0 };
            let s = score(&t);
            proptest::prop_assert!(s.score >= 0.0 && s.score <= hhi + 1e-12);
            let moved = shift * f1;
            let t2 = Terms { weighted_imports_t: (f1 - moved) * lo + (f2 + moved) * hi, ..t };
            proptest::prop_assert!(score(&t2).score >= s.score - 1e-9);
        }
    }
}
