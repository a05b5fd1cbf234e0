//! The EU Critical Raw Materials Act's third-country benchmark (Regulation (EU) 2024/1252,
//! Art. 5(1)(d); METHODS.md §4): no single third country to supply more than 65 % of the
//! Union's annual consumption of any strategic raw material at any relevant stage of
//! processing.
//!
//! For an importing unit c (the EU27, or any country, coalition or group), material A and
//! year t, with consumption approximated by supply:
//!
//! `supply = p_c + Σ_k M_k`,  `share_k = M_k / supply`,  `share_p = p_c / supply`
//!
//! with `p_c` the members' own production (World Mining Data, tonnes) and `M_k` the imports
//! from third country k ∉ c (BACI quantity, tonnes; trade between members dropped). The
//! benchmark is exceeded when `max_k share_k > b` (b = 0.65); the excess in percentage points
//! is `100 × (max share − b)` and the tonnes that would have to move to other suppliers to
//! reach b are `M_top − b × supply`. Exports and stock changes are ignored (supply is not
//! consumption: DATA.md pitfall 7).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dependency::PartnerShare;

pub mod compute;

pub use compute::{CrmaRequest, CrmaResult, CrmaRow, crma};

/// The benchmark figures of one unit × material × year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Benchmark {
    /// `p + Σ_k M_k`, tonnes.
    pub supply_t: f64,
    /// `p / supply`, 0–1.
    pub member_production_share: f64,
    /// Third countries with imports > 0 and their shares of supply (0–1), largest first; ties by code.
    pub third: Vec<PartnerShare>,
    /// The largest third-country share of supply (0 when there are no imports).
    pub top_share: f64,
    /// Imports from that country, tonnes.
    pub top_imports_t: f64,
    /// `top_share > benchmark`.
    pub over: bool,
    /// `100 × (top_share − benchmark)`: positive = over by that many points, negative = below.
    pub over_pp: f64,
    /// `max(0, M_top − benchmark × supply)`, tonnes to move to other suppliers (supply unchanged).
    pub tonnes_to_move: f64,
}

/// The benchmark figures from the members' production `p_t` (tonnes ≥ 0) and imports by
/// third country (tonnes ≥ 0). `None` when supply is 0.
///
/// Panics on negative or non-finite amounts (a bug upstream: the store holds none).
pub fn benchmark(p_t: f64, imports_t: &BTreeMap<String, f64>, benchmark: f64) -> Option<Benchmark> {
    assert!(p_t.is_finite() && p_t >= 0.0, "production {p_t} is not a finite non-negative amount");
    assert!(imports_t.values().all(|m| m.is_finite() && *m >= 0.0), "imports must be finite and non-negative");
    let mut positive: Vec<(&String, f64)> = imports_t.iter().filter(|(_, m)| **m > 0.0).map(|(k, m)| (k, *m)).collect();
    let supply = positive.iter().fold(p_t, |a, (_, m)| a + m);
    if supply <= 0.0 {
        return None;
    }
    // Largest first; the BTreeMap order (by code) breaks ties because the sort is stable.
    positive.sort_by(|a, b| b.1.total_cmp(&a.1));
    let third: Vec<PartnerShare> = positive.iter().map(|(k, m)| PartnerShare { country: (*k).clone(), share: m / supply }).collect();
    let (top_share, top_imports_t) = positive.first().map_or((0.0, 0.0), |(_, m)| (m / supply, *m));
    Some(Benchmark {
        supply_t: supply,
        member_production_share: p_t / supply,
        third,
        top_share,
        top_imports_t,
        over: top_share > benchmark,
        over_pp: 100.0 * (top_share - benchmark),
        tonnes_to_move: (top_imports_t - benchmark * supply).max(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(v: &[(&str, f64)]) -> BTreeMap<String, f64> {
        v.iter().map(|(k, m)| ((*k).to_owned(), *m)).collect()
    }

    /// The worked example of docs/methods.md §4.
    #[test]
    fn worked_example() {
        // Own production 50 t; imports CHN 700 t, AUS 200 t, USA 50 t → supply 1,000 t.
        let b = benchmark(50.0, &imports(&[("AUS", 200.0), ("CHN", 700.0), ("USA", 50.0), ("ZAF", 0.0)]), 0.65).unwrap();
        assert_eq!(b.supply_t, 1000.0);
        assert_eq!(b.member_production_share, 0.05);
        assert_eq!(b.third.iter().map(|p| p.country.as_str()).collect::<Vec<_>>(), ["CHN", "AUS", "USA"]);
        assert_eq!((b.top_share, b.top_imports_t), (0.7, 700.0));
        assert!(b.over);
        // 70 % − 65 % = 5 points; 700 − 650 = 50 t to move.
        assert!((b.over_pp - 5.0).abs() < 1e-9);
        assert!((b.tonnes_to_move - 50.0).abs() < 1e-9);
        // With own production of 200 t: supply 1,150 t, CHN 60.87 %: below, nothing to move.
        let c = benchmark(200.0, &imports(&[("AUS", 200.0), ("CHN", 700.0), ("USA", 50.0)]), 0.65).unwrap();
        assert!((c.top_share - 700.0 / 1150.0).abs() < 1e-15);
        assert!(!c.over && c.tonnes_to_move == 0.0);
        assert!((c.over_pp - 100.0 * (700.0 / 1150.0 - 0.65)).abs() < 1e-12);
        // Production only: no third country.
        let d = benchmark(10.0, &BTreeMap::new(), 0.65).unwrap();
        assert_eq!((d.member_production_share, d.top_share, d.over), (1.0, 0.0, false));
        assert!(benchmark(0.0, &imports(&[("CHN", 0.0)]), 0.65).is_none());
    }

    proptest::proptest! {
        /// Shares in [0, 1], third-country shares + member share = 1, and the flag is monotone
        /// in the largest share (raising the top supplier's imports never clears it).
        #[test]
        fn shares_sum_to_one_and_flag_is_monotone(
            p in 0.0f64..1e6,
            m in proptest::collection::btree_map("[A-Z]{3}", 0.0f64..1e6, 0..20),
            b in 0.01f64..0.99,
            extra in 0.0f64..1e6,
        ) {
            let Some(x) = benchmark(p, &m, b) else {
                proptest::prop_assert!(p == 0.0 && m.values().all(|v| *v == 0.0));
                return Ok(());
            };
            proptest::prop_assert!((0.0..=1.0).contains(&x.member_production_share));
            proptest::prop_assert!(x.third.iter().all(|s| (0.0..=1.0 + 1e-12).contains(&s.share)));
            let sum: f64 = x.third.iter().map(|s| s.share).sum::<f64>() + x.member_production_share;
            proptest::prop_assert!((sum - 1.0).abs() < 1e-9);
            proptest::prop_assert_eq!(x.over, x.top_share > b);
            proptest::prop_assert!(x.tonnes_to_move >= 0.0 && x.tonnes_to_move <= x.top_imports_t + 1e-9);
            if let Some(top) = x.third.first() {
                let mut more = m.clone();
                *more.get_mut(&top.country).unwrap() += extra;
                let y = benchmark(p, &more, b).unwrap();
                proptest::prop_assert!(y.top_share >= x.top_share - 1e-12);
                proptest::prop_assert!(!x.over || y.over);
            }
        }
    }
}
