//! The strategic-dependency screen (METHODS.md §5): the European Commission's screen of
//! every HS6 product (Commission Staff Working Document SWD(2021) 352, "Strategic
//! dependencies and capacities", 2021) and the CEPII GeoDep variant (Lefebvre & Wibaux 2024).
//!
//! For an importing unit c (a country, a coalition or a group; the EU27 in the original),
//! a product A and a year t, on import values in USD:
//!
//! 1. `HHI_extra = Σ_i s_i²`, `s_i = M_{A,i,c} / M_extra` over exporters i outside c, with
//!    `M_extra = Σ_{i∉c} M_{A,i,c}` — criterion `HHI_extra > 0.4`;
//! 2. `extra_share = M_extra / (M_extra + M_intra)`, `M_intra` the imports of members from
//!    other members — criterion `extra_share > 0.5` (the wording of this criterion is
//!    *unconfirmed* in METHODS.md; see docs/methods.md, "Strategic-dependency screen");
//! 3. `ratio = M_extra / X_extra`, `X_extra` the members' exports to non-members — criterion
//!    `ratio > 1`; with `X_extra = 0` the ratio is +∞ and the criterion holds.
//!
//! The Commission's screen flags a product when 1, 2 and 3 hold. GeoDep replaces 2 by
//! `HHI_world > 0.4`, the HHI of all exporters' world exports of A in t, and calls a
//! dependency persistent when its three criteria hold in at least 2 of the 3 years t−2,
//! t−1, t.
//!
//! This module is pure: [`figures`] and [`criteria`] work on one product's aggregates
//! (computed over the store by [`compute::screen`]), [`years_held`] and [`Persistence`] on
//! the yearly outcomes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dependency::figures::{Concentration, concentration};

pub mod compute;

pub use compute::{METHOD, ProductScope, ScreenRequest, ScreenResult, ScreenRow, ScreenSummary, screen};

/// Thresholds of the screen; a criterion holds when its figure is strictly above.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// On `HHI_extra`, 0–1. Default 0.4 (SWD(2021) 352).
    pub hhi_extra: f64,
    /// On `extra_share`, 0–1. Default 0.5 (SWD(2021) 352).
    pub extra_share: f64,
    /// On `M_extra / X_extra`, ≥ 0. Default 1 (SWD(2021) 352).
    pub import_export_ratio: f64,
    /// On `HHI_world`, 0–1. Default 0.4 (GeoDep).
    pub world_export_hhi: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { hhi_extra: 0.4, extra_share: 0.5, import_export_ratio: 1.0, world_export_hhi: 0.4 }
    }
}

impl Thresholds {
    /// Check the ranges: the HHI and share thresholds in 0–1, the ratio finite and ≥ 0.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [("HHI_extra", self.hhi_extra), ("extra share", self.extra_share), ("world-export HHI", self.world_export_hhi)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("the {name} threshold must be in 0–1, got {v}"));
            }
        }
        if !self.import_export_ratio.is_finite() || self.import_export_ratio < 0.0 {
            return Err(format!("the import/export ratio threshold must be a finite number ≥ 0, got {}", self.import_export_ratio));
        }
        Ok(())
    }

    /// The thresholds in words, e.g. `HHI_extra > 0.4; extra share > 0.5; …`.
    pub fn describe(&self, p: Persistence) -> String {
        format!(
            "HHI_extra > {}; extra share > {}; extra imports / extra exports > {}; world-export HHI > {}; GeoDep persistence {}",
            self.hhi_extra, self.extra_share, self.import_export_ratio, self.world_export_hhi, p
        )
    }
}

/// GeoDep's persistence rule: the criteria hold in at least `required` of the `window`
/// years ending with the year screened (default 2 of 3: t−2, t−1, t).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Persistence {
    pub required: u32,
    pub window: u32,
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence { required: 2, window: 3 }
    }
}

impl std::fmt::Display for Persistence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.required, self.window)
    }
}

impl std::str::FromStr for Persistence {
    type Err = String;

    /// `K/N` with 1 ≤ K ≤ N ≤ 10, e.g. `2/3`.
    fn from_str(s: &str) -> Result<Persistence, String> {
        let bad = || format!("{s:?}: write K/N, K of N years (1 ≤ K ≤ N ≤ 10), e.g. 2/3");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (required, window): (u32, u32) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if required == 0 || required > window || window > 10 {
            return Err(bad());
        }
        Ok(Persistence { required, window })
    }
}

impl Persistence {
    /// Whether `held` years (of the window) make the dependency persistent.
    pub fn holds(&self, held: u32) -> bool {
        held >= self.required
    }
}

/// One product's trade in one year, as aggregated over the store (USD).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductTrade {
    /// Imports of the unit's members from each exporter outside the unit (ISO3 → USD).
    pub extra_imports: BTreeMap<String, f64>,
    /// Imports of members from other members, USD (0 for a single country).
    pub intra_imports_usd: f64,
    /// Exports of members to non-members, USD.
    pub extra_exports_usd: f64,
    /// All exporters' exports of the product that year, USD.
    pub world_exports_usd: f64,
    /// HHI of the exporters' shares of world exports, 0–1.
    pub world_export_hhi: f64,
}

/// The screen's figures of one product.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// `M_extra`, USD.
    pub extra_imports_usd: f64,
    /// `M_extra / (M_extra + M_intra)`, 0–1.
    pub extra_share: f64,
    /// `M_extra / X_extra`; `None` when `X_extra = 0` (+∞).
    pub import_export_ratio: Option<f64>,
    /// Concentration of the extra-bloc imports by exporter (`hhi` = `HHI_extra`).
    pub extra: Concentration,
    /// `HHI_world`, 0–1.
    pub world_export_hhi: f64,
}

/// The figures of one product; `None` when it has no extra-bloc imports (no supplier
/// outside the unit: `HHI_extra` is undefined and the product cannot be dependent).
///
/// Panics on negative or non-finite amounts (a bug upstream; the store holds none).
pub fn figures(t: &ProductTrade) -> Option<Figures> {
    let extra = concentration(&t.extra_imports)?;
    let m = extra.total;
    Some(Figures {
        extra_imports_usd: m,
        extra_share: m / (m + t.intra_imports_usd),
        import_export_ratio: (t.extra_exports_usd > 0.0).then(|| m / t.extra_exports_usd),
        world_export_hhi: t.world_export_hhi,
        extra,
    })
}

/// Which criteria hold (strictly above their thresholds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Criteria {
    /// 1: `HHI_extra > T_hhi`.
    pub hhi_extra: bool,
    /// 2 (Commission): `extra_share > T_share`.
    pub extra_share: bool,
    /// 3: `M_extra / X_extra > T_ratio` (+∞ when `X_extra = 0`: holds).
    pub import_export_ratio: bool,
    /// 2 (GeoDep): `HHI_world > T_world`.
    pub world_export_hhi: bool,
}

impl Criteria {
    /// The Commission's screen: criteria 1, 2 and 3.
    pub fn commission(&self) -> bool {
        self.hhi_extra && self.extra_share && self.import_export_ratio
    }

    /// GeoDep: criteria 1, world-export HHI and 3.
    pub fn geodep(&self) -> bool {
        self.hhi_extra && self.world_export_hhi && self.import_export_ratio
    }
}

/// Evaluate the criteria of one product's figures.
pub fn criteria(f: &Figures, t: &Thresholds) -> Criteria {
    Criteria {
        hhi_extra: f.extra.hhi > t.hhi_extra,
        extra_share: f.extra_share > t.extra_share,
        import_export_ratio: f.import_export_ratio.is_none_or(|r| r > t.import_export_ratio),
        world_export_hhi: f.world_export_hhi > t.world_export_hhi,
    }
}

/// Of the `window` years ending with `year`, in how many the GeoDep criteria held, by
/// `held` (year → held). A year missing from `held` — before the data start, a gap in
/// the data, or a year without imports of the product — counts as not held, so at the
/// start of the data a product is persistent only if enough of the available years hold.
pub fn years_held(held: &BTreeMap<i32, bool>, year: i32, window: u32) -> u32 {
    (0..window as i32).filter(|k| held.get(&(year - k)).copied().unwrap_or(false)).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn trade(extra: &[(&str, f64)], intra: f64, exports: f64, world_hhi: f64) -> ProductTrade {
        ProductTrade {
            extra_imports: extra.iter().map(|(c, a)| ((*c).to_owned(), *a)).collect(),
            intra_imports_usd: intra,
            extra_exports_usd: exports,
            world_exports_usd: 0.0,
            world_export_hhi: world_hhi,
        }
    }

    /// The worked example of docs/methods.md, "Strategic-dependency screen".
    #[test]
    fn worked_example() {
        // Extra-bloc imports CHN 60, USA 30, BRA 10 (M USD); imports between members 25;
        // exports to non-members 40. World exports CHN 300, USA 100, DEU 60, BRA 40.
        let world = [300.0, 100.0, 60.0, 40.0];
        let world_hhi = crate::concentration::hhi(&world).unwrap();
        assert!((world_hhi - (0.36 + 0.04 + 0.0144 + 0.0064)).abs() < 1e-15);
        let f = figures(&trade(&[("CHN", 60.0), ("USA", 30.0), ("BRA", 10.0)], 25.0, 40.0, world_hhi)).unwrap();
        assert_eq!(f.extra_imports_usd, 100.0);
        assert!((f.extra.hhi - 0.46).abs() < 1e-15);
        assert_eq!(f.extra.top(), "CHN");
        assert_eq!(f.extra.top_share, 0.6);
        assert_eq!(f.extra_share, 0.8);
        assert_eq!(f.import_export_ratio, Some(2.5));
        let c = criteria(&f, &Thresholds::default());
        assert_eq!(c, Criteria { hhi_extra: true, extra_share: true, import_export_ratio: true, world_export_hhi: true });
        assert!(c.commission() && c.geodep());
        // The same product with imports between members of 150: extra share 0.4, not
        // dependent for the Commission, still for GeoDep.
        let g = figures(&trade(&[("CHN", 60.0), ("USA", 30.0), ("BRA", 10.0)], 150.0, 40.0, world_hhi)).unwrap();
        assert_eq!(g.extra_share, 0.4);
        let c = criteria(&g, &Thresholds::default());
        assert!(!c.commission() && c.geodep());
        // Persistence: held in t−1 and t, not in t−2: 2 of 3.
        let held = BTreeMap::from([(2020, false), (2021, true), (2022, true)]);
        assert_eq!(years_held(&held, 2022, 3), 2);
        assert!(Persistence::default().holds(2));
        // In 2021 the window is 2019–2021: 2019 is not in the data, 2020 did not hold.
        assert_eq!(years_held(&held, 2021, 3), 1);
        assert!(!Persistence::default().holds(1));
    }

    #[test]
    fn no_exports_no_extra_imports_and_thresholds() {
        // No exports to non-members: the ratio is +∞ and criterion 3 holds whatever the threshold.
        let f = figures(&trade(&[("CHN", 5.0)], 0.0, 0.0, 1.0)).unwrap();
        assert_eq!(f.import_export_ratio, None);
        assert!(criteria(&f, &Thresholds { import_export_ratio: 1e300, ..Thresholds::default() }).import_export_ratio);
        // Imports only from members: no figures.
        assert!(figures(&trade(&[], 10.0, 3.0, 0.5)).is_none());
        assert!(figures(&trade(&[("CHN", 0.0)], 10.0, 3.0, 0.5)).is_none());
        // Strictly above: a single supplier (HHI 1) never passes a threshold of 1.
        let c = criteria(&f, &Thresholds { hhi_extra: 1.0, ..Thresholds::default() });
        assert!(!c.hhi_extra);
        // Exports equal to imports: ratio 1, not above 1.
        let r = figures(&trade(&[("CHN", 5.0)], 0.0, 5.0, 1.0)).unwrap();
        assert_eq!(r.import_export_ratio, Some(1.0));
        assert!(!criteria(&r, &Thresholds::default()).import_export_ratio);
        assert!(Thresholds::default().validate().is_ok());
        assert!(Thresholds { hhi_extra: 1.5, ..Thresholds::default() }.validate().is_err());
        assert!(Thresholds { import_export_ratio: -1.0, ..Thresholds::default() }.validate().is_err());
        assert!(Thresholds { import_export_ratio: f64::INFINITY, ..Thresholds::default() }.validate().is_err());
    }

    #[test]
    fn persistence_parses_and_counts() {
        assert_eq!("2/3".parse::<Persistence>(), Ok(Persistence { required: 2, window: 3 }));
        assert_eq!(" 3 / 5 ".parse::<Persistence>(), Ok(Persistence { required: 3, window: 5 }));
        for bad in ["0/3", "4/3", "2", "a/b", "2/11", "-1/3"] {
            assert!(bad.parse::<Persistence>().is_err(), "{bad}");
        }
        assert_eq!(Persistence::default().to_string(), "2/3");
        // Gaps count as not held.
        let held = BTreeMap::from([(2010, true), (2012, true)]);
        assert_eq!(years_held(&held, 2012, 3), 2);
        assert_eq!(years_held(&held, 2012, 2), 1);
        assert_eq!(years_held(&held, 2013, 3), 1);
    }

    fn arb_trade() -> impl Strategy<Value = ProductTrade> {
        (
            prop::collection::btree_map("[A-Z]{3}", 0.001f64..1e10, 1..20),
            prop_oneof![Just(0.0), 0.0f64..1e11],
            prop_oneof![Just(0.0), 0.0f64..1e11],
            0.0f64..=1.0,
        )
            .prop_map(|(extra, intra, exports, world)| ProductTrade {
                extra_imports: extra,
                intra_imports_usd: intra,
                extra_exports_usd: exports,
                world_exports_usd: 0.0,
                world_export_hhi: world,
            })
    }

    fn arb_thresholds() -> impl Strategy<Value = Thresholds> {
        (0.0f64..=1.0, 0.0f64..=1.0, 0.0f64..10.0, 0.0f64..=1.0).prop_map(|(a, b, c, d)| Thresholds {
            hhi_extra: a,
            extra_share: b,
            import_export_ratio: c,
            world_export_hhi: d,
        })
    }

    proptest! {
        /// `1/n ≤ HHI_extra ≤ 1`, `0 < extra share ≤ 1`, and the ratio is scale invariant.
        #[test]
        fn figures_are_bounded(t in arb_trade(), scale in 0.001f64..1e3) {
            let f = figures(&t).unwrap();
            let n = f.extra.count as f64;
            prop_assert!(f.extra.hhi >= 1.0 / n - 1e-12 && f.extra.hhi <= 1.0 + 1e-12);
            prop_assert!(f.extra_share > 0.0 && f.extra_share <= 1.0);
            prop_assert_eq!(f.import_export_ratio.is_none(), t.extra_exports_usd == 0.0);
            let scaled = ProductTrade {
                extra_imports: t.extra_imports.iter().map(|(k, v)| (k.clone(), v * scale)).collect(),
                intra_imports_usd: t.intra_imports_usd * scale,
                extra_exports_usd: t.extra_exports_usd * scale,
                ..t.clone()
            };
            let g = figures(&scaled).unwrap();
            prop_assert!((f.extra.hhi - g.extra.hhi).abs() < 1e-9);
            prop_assert!((f.extra_share - g.extra_share).abs() < 1e-9);
            if let (Some(a), Some(b)) = (f.import_export_ratio, g.import_export_ratio) {
                prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0));
            }
        }

        /// Raising any threshold never adds a flagged product (both variants).
        #[test]
        fn raising_a_threshold_never_adds_a_flag(t in arb_trade(), th in arb_thresholds(), which in 0usize..4, up in 0.0f64..1.0) {
            let f = figures(&t).unwrap();
            let mut higher = th;
            match which {
                0 => higher.hhi_extra = (th.hhi_extra + up).min(1.0),
                1 => higher.extra_share = (th.extra_share + up).min(1.0),
                2 => higher.import_export_ratio = th.import_export_ratio + up * 10.0,
                _ => higher.world_export_hhi = (th.world_export_hhi + up).min(1.0),
            }
            let (lo, hi) = (criteria(&f, &th), criteria(&f, &higher));
            prop_assert!(!hi.commission() || lo.commission());
            prop_assert!(!hi.geodep() || lo.geodep());
        }

        /// More required years never make more products persistent; a wider window never fewer.
        #[test]
        fn persistence_is_monotone(bits in prop::collection::vec(any::<bool>(), 0..12), k in 1u32..6, n in 1u32..6) {
            let held: BTreeMap<i32, bool> = bits.iter().enumerate().map(|(i, b)| (2000 + i as i32, *b)).collect();
            let year = 2000 + bits.len() as i32 - 1;
            let h = years_held(&held, year, n);
            prop_assert!(h <= n);
            prop_assert!(years_held(&held, year, n + 1) >= h);
            if k < n {
                let p = Persistence { required: k, window: n };
                let stricter = Persistence { required: k + 1, window: n };
                prop_assert!(!stricter.holds(h) || p.holds(h));
            }
        }
    }
}
