//! The pure part of the dependency figures: from one importer's amounts per supplier to
//! shares, top suppliers and HHI (METHODS.md §1), and the year rules for the governance
//! and production tables. No I/O; the queries in [`super::query`] feed these functions.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::concentration;

/// One partner and its share (0–1) of a flow: a hub's supplier, a supplier's customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerShare {
    /// ISO3 code of the partner country.
    pub country: String,
    /// Share of the flow, 0–1, on the row's basis.
    pub share: f64,
}

/// Concentration of one set of amounts by country (suppliers of an importer, producers of
/// a material, customers of an exporter).
#[derive(Debug, Clone, PartialEq)]
pub struct Concentration {
    /// Σ amounts (USD, tonnes or the production table's unit).
    pub total: f64,
    /// Countries with an amount > 0.
    pub count: usize,
    /// Countries with amount > 0 and their shares (0–1), largest first; ties by code.
    pub ranked: Vec<PartnerShare>,
    /// Share of the largest, 0–1.
    pub top_share: f64,
    /// Sum of the three largest shares, 0–1.
    pub top3_share: f64,
    /// `Σ s_i²`, 0–1.
    pub hhi: f64,
}

impl Concentration {
    /// The largest country (ties broken by ISO3 code, ascending).
    pub fn top(&self) -> &str {
        &self.ranked[0].country
    }

    /// Share of `country` (0 when it has none).
    pub fn share_of(&self, country: &str) -> f64 {
        self.ranked.iter().find(|p| p.country == country).map_or(0.0, |p| p.share)
    }
}

/// Concentration of `amounts` (country → amount ≥ 0). `None` when no amount is > 0.
///
/// Amounts that are negative or not finite are a bug upstream (the store holds none):
/// this function panics on them rather than produce a wrong share.
pub fn concentration(amounts: &BTreeMap<String, f64>) -> Option<Concentration> {
    let mut positive: Vec<(&String, f64)> = amounts.iter().filter(|(_, a)| **a > 0.0).map(|(c, a)| (c, *a)).collect();
    if positive.is_empty() {
        return None;
    }
    // Largest first; the BTreeMap order (by code) breaks ties because the sort is stable.
    positive.sort_by(|a, b| b.1.total_cmp(&a.1));
    let values: Vec<f64> = positive.iter().map(|(_, a)| *a).collect();
    let shares = concentration::shares(&values).expect("amounts are finite and non-negative");
    let hhi = concentration::hhi(&values).expect("amounts are finite and non-negative");
    let top3_share = concentration::top_k_share(&values, 3).expect("amounts are finite and non-negative");
    Some(Concentration {
        total: values.iter().sum(),
        count: values.len(),
        top_share: shares[0],
        top3_share,
        hhi,
        ranked: positive.iter().zip(shares).map(|((c, _), share)| PartnerShare { country: (*c).clone(), share }).collect(),
    })
}

/// Governance-weighted import risk `Σ_i s_i × g_i` over `shares`, with `g` the normalised
/// WGI-PV score by ISO3 (0 = most stable, 1 = least). Returns (risk, share of supply from
/// suppliers without a score); see [`concentration::governance_weighted_risk`].
pub fn import_risk(ranked: &[PartnerShare], g: &BTreeMap<String, f64>) -> (f64, f64) {
    let amounts: Vec<f64> = ranked.iter().map(|p| p.share).collect();
    let scores: Vec<Option<f64>> = ranked.iter().map(|p| g.get(&p.country).copied()).collect();
    concentration::governance_weighted_risk(&amounts, &scores).expect("shares and normalised scores are in 0–1")
}

/// The year of a yearly table to use for `target`: the same year if present, else the
/// nearest one; of two equally near years the earlier. `None` when `available` is empty.
///
/// Used for WGI (no 1995, 1997, 1999, 2001 estimates) and World Mining Data (2018–2024).
pub fn nearest_year(available: impl IntoIterator<Item = i32>, target: i32) -> Option<i32> {
    available.into_iter().min_by_key(|y| ((y - target).abs(), *y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts(v: &[(&str, f64)]) -> BTreeMap<String, f64> {
        v.iter().map(|(c, a)| ((*c).to_owned(), *a)).collect()
    }

    #[test]
    fn hand_computed_concentration() {
        // Japan's rare-earth metal imports in the test fixture (USD): CHN 300,000,
        // AUS 100,000, TWN 20,500; total 420,500.
        let c = concentration(&amounts(&[("AUS", 100_000.0), ("CHN", 300_000.0), ("TWN", 20_500.0), ("USA", 0.0)])).unwrap();
        let t = 420_500.0;
        assert_eq!(c.total, t);
        assert_eq!(c.count, 3);
        assert_eq!(c.top(), "CHN");
        assert!((c.top_share - 300_000.0 / t).abs() < 1e-15);
        assert!((c.top3_share - 1.0).abs() < 1e-12);
        let hhi = (300_000f64 / t).powi(2) + (100_000f64 / t).powi(2) + (20_500f64 / t).powi(2);
        assert!((c.hhi - hhi).abs() < 1e-12);
        assert_eq!(c.ranked.iter().map(|p| p.country.as_str()).collect::<Vec<_>>(), ["CHN", "AUS", "TWN"]);
        assert_eq!(c.share_of("USA"), 0.0);
        assert!((c.share_of("AUS") - 100_000.0 / t).abs() < 1e-15);
        assert!(concentration(&amounts(&[("CHN", 0.0)])).is_none());
        assert!(concentration(&BTreeMap::new()).is_none());
    }

    #[test]
    fn ties_are_broken_by_code() {
        let c = concentration(&amounts(&[("USA", 5.0), ("AUS", 5.0), ("CHN", 5.0)])).unwrap();
        assert_eq!(c.top(), "AUS");
        assert!((c.hhi - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn risk_weights_scored_suppliers() {
        let c = concentration(&amounts(&[("CHN", 3.0), ("AUS", 1.0)])).unwrap();
        let g = amounts(&[("CHN", 0.6), ("AUS", 0.2)]);
        let (r, u) = import_risk(&c.ranked, &g);
        assert!((r - (0.75 * 0.6 + 0.25 * 0.2)).abs() < 1e-12);
        assert_eq!(u, 0.0);
        let (r, u) = import_risk(&c.ranked, &amounts(&[("CHN", 0.6)]));
        assert!((r - 0.45).abs() < 1e-12 && (u - 0.25).abs() < 1e-12);
    }

    proptest::proptest! {
        #[test]
        fn ranked_shares_are_a_distribution(v in proptest::collection::btree_map("[A-Z]{3}", 0.0f64..1e12, 1..40)) {
            proptest::prop_assume!(v.values().any(|a| *a > 0.0));
            let c = concentration(&v).unwrap();
            let sum: f64 = c.ranked.iter().map(|p| p.share).sum();
            proptest::prop_assert!((sum - 1.0).abs() < 1e-9);
            proptest::prop_assert!(c.ranked.windows(2).all(|w| w[0].share >= w[1].share));
            proptest::prop_assert_eq!(c.count, v.values().filter(|a| **a > 0.0).count());
            proptest::prop_assert_eq!(c.top_share, c.ranked[0].share);
            proptest::prop_assert!(c.hhi >= 1.0 / c.count as f64 - 1e-12 && c.hhi <= 1.0 + 1e-12);
            proptest::prop_assert!(c.top_share <= c.top3_share + 1e-12 && c.top3_share <= 1.0 + 1e-9);
            let (risk, unscored) = import_risk(&c.ranked, &BTreeMap::new());
            proptest::prop_assert_eq!(risk, 0.0);
            proptest::prop_assert!((unscored - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn nearest_year_prefers_same_then_earlier() {
        let wgi = [1996, 1998, 2000, 2002, 2003];
        assert_eq!(nearest_year(wgi, 1995), Some(1996));
        assert_eq!(nearest_year(wgi, 1997), Some(1996));
        assert_eq!(nearest_year(wgi, 1998), Some(1998));
        assert_eq!(nearest_year(wgi, 2001), Some(2000));
        assert_eq!(nearest_year(wgi, 2030), Some(2003));
        assert_eq!(nearest_year([2018, 2024], 1995), Some(2018));
        assert_eq!(nearest_year([], 2000), None);
    }
}
