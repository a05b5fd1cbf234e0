//! DERA's risk screen (METHODS.md §6; German Mineral Resources Agency at BGR, DERA
//! Rohstoffinformationen, "Rohstoffrisikobewertung"): two axes per material and year,
//!
//! - **country concentration** `HHI = Σ_i (100 × s_i)²` on shares in per cent (0–10,000), of
//!   world production (production basis) or of an importer's imports (import basis);
//!   classes < 1,500 low, 1,500–2,500 moderate, > 2,500 high (US DOJ/FTC 2010 guidelines);
//! - **weighted country risk** `WCR = Σ_i s_i × WGI_i / Σ_i s_i` over the countries with a
//!   WGI estimate (−2.5…+2.5, lower = riskier); DERA uses the mean of the six WGI dimensions,
//!   chokepoint's store has only Political Stability (PV): an approximation, named on every row;
//!
//! and a **risk group** from the two axis classes: high when both are high, moderate when
//! one is high or both are at least moderate, low otherwise. The cut-offs are those of
//! METHODS.md §6, marked *unconfirmed*, read from `params/dera.toml` ([`DeraParams`]).
//!
//! Countries without a WGI estimate are left out of the weighted sum and the remaining
//! shares renormalised (so WCR is the mean over the scored part and stays on the WGI scale);
//! their share is reported as `unscored_share`.

use serde::Serialize;

use chokepoint_model::risk_params::DeraParams;

pub mod compute;

pub use compute::{DeraBasis, DeraRequest, DeraResult, DeraRow, dera};

/// What the WGI term stands for, written on every row and explanation.
pub const WGI_DIMENSIONS: &str = "PV only (approximation of DERA's mean of the six WGI dimensions)";

/// Class of one axis, or the risk group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Moderate,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Moderate => "moderate",
            Level::High => "high",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One axis pair of DERA's screen on one set of shares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Axes {
    /// `Σ (100 s_i)²`, 0–10,000.
    pub hhi: f64,
    pub hhi_class: Level,
    /// Weighted country risk on the WGI estimate scale; `None` when no country is scored.
    pub wcr: Option<f64>,
    pub wcr_class: Option<Level>,
    /// Σ s_i of the countries without a WGI estimate, 0–1.
    pub unscored_share: f64,
    /// Risk group; `None` when `wcr` is.
    pub group: Option<Level>,
}

/// HHI on shares in per cent: `Σ (100 s_i)²` (0–10,000) of `shares` (fractions summing to 1).
pub fn hhi_points(shares: &[f64]) -> f64 {
    shares.iter().map(|s| (100.0 * s) * (100.0 * s)).sum()
}

/// Weighted country risk `Σ s_i WGI_i / Σ s_i` over the countries with an estimate, and the
/// share of those without. `None` when no share is scored.
pub fn weighted_country_risk(shares: &[f64], wgi: &[Option<f64>]) -> (Option<f64>, f64) {
    assert_eq!(shares.len(), wgi.len(), "one WGI estimate (or None) per country");
    let (mut sum, mut scored, mut unscored) = (0.0, 0.0, 0.0);
    for (s, w) in shares.iter().zip(wgi) {
        match w {
            Some(w) => {
                sum += s * w;
                scored += s;
            }
            None => unscored += s,
        }
    }
    (if scored > 0.0 { Some(sum / scored) } else { None }, unscored)
}

/// Concentration class of an HHI (0–10,000): `< moderate_from` low, `> high_above` high.
pub fn hhi_class(hhi: f64, p: &DeraParams) -> Level {
    if hhi > p.hhi.high_above {
        Level::High
    } else if hhi >= p.hhi.moderate_from {
        Level::Moderate
    } else {
        Level::Low
    }
}

/// Country-risk class of a weighted country risk: `< high_below` high, `> low_above` low.
pub fn wcr_class(wcr: f64, p: &DeraParams) -> Level {
    if wcr < p.country_risk.high_below {
        Level::High
    } else if wcr > p.country_risk.low_above {
        Level::Low
    } else {
        Level::Moderate
    }
}

/// Risk group from the two axis classes: high when both are high; moderate when one is
/// high or both are at least moderate; low otherwise.
pub fn risk_group(hhi: Level, wcr: Level) -> Level {
    match (hhi, wcr) {
        (Level::High, Level::High) => Level::High,
        (Level::High, _) | (_, Level::High) | (Level::Moderate, Level::Moderate) => Level::Moderate,
        _ => Level::Low,
    }
}

/// Both axes and the group on `shares` (fractions summing to 1) with the countries' WGI estimates.
pub fn axes(shares: &[f64], wgi: &[Option<f64>], p: &DeraParams) -> Axes {
    let hhi = hhi_points(shares);
    let (wcr, unscored_share) = weighted_country_risk(shares, wgi);
    let hc = hhi_class(hhi, p);
    let wc = wcr.map(|w| wcr_class(w, p));
    Axes { hhi, hhi_class: hc, wcr, wcr_class: wc, unscored_share, group: wc.map(|w| risk_group(hc, w)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/methods.md §6.
    #[test]
    fn worked_example() {
        let p = DeraParams::builtin();
        // Producers: 60 % with WGI −1.0, 30 % with +1.0, 10 % without an estimate.
        let a = axes(&[0.6, 0.3, 0.1], &[Some(-1.0), Some(1.0), None], &p);
        // HHI = 60² + 30² + 10² = 3600 + 900 + 100 = 4600 → high.
        assert!((a.hhi - 4600.0).abs() < 1e-9);
        assert_eq!(a.hhi_class, Level::High);
        // WCR = (0.6 × −1.0 + 0.3 × 1.0) / 0.9 = −0.3 / 0.9 = −1/3: in −0.5…+0.5 → moderate.
        assert!((a.wcr.unwrap() + 1.0 / 3.0).abs() < 1e-12);
        assert!((a.unscored_share - 0.1).abs() < 1e-15);
        assert_eq!(a.wcr_class, Some(Level::Moderate));
        assert_eq!(a.group, Some(Level::Moderate));
        // Riskier top producer (WGI −1.5): WCR = (−0.9 + 0.3) / 0.9 = −2/3 < −0.5 → high, group high.
        let b = axes(&[0.6, 0.3, 0.1], &[Some(-1.5), Some(1.0), None], &p);
        assert!((b.wcr.unwrap() + 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(b.group, Some(Level::High));
        // Four equal producers: HHI 2,500 (moderate: not above 2,500), WCR +1.0 (low) → low.
        let c = axes(&[0.25; 4], &[Some(1.0); 4], &p);
        assert!((c.hhi - 2500.0).abs() < 1e-9);
        assert_eq!((c.hhi_class, c.wcr_class, c.group), (Level::Moderate, Some(Level::Low), Some(Level::Low)));
        // Nobody scored: no WCR, no group.
        let d = axes(&[1.0], &[None], &p);
        assert_eq!((d.hhi, d.wcr, d.group, d.unscored_share), (10_000.0, None, None, 1.0));
    }

    #[test]
    fn group_table() {
        use Level::*;
        let all = [Low, Moderate, High];
        let expected = [[Low, Low, Moderate], [Low, Moderate, Moderate], [Moderate, Moderate, High]];
        for (i, h) in all.iter().enumerate() {
            for (j, w) in all.iter().enumerate() {
                assert_eq!(risk_group(*h, *w), expected[i][j], "{h} {w}");
            }
        }
    }

    proptest::proptest! {
        /// HHI in [10,000/n, 10,000]; WCR within [min WGI, max WGI] of the scored countries;
        /// the group never falls when either axis class rises.
        #[test]
        fn bounds_and_monotone(v in proptest::collection::vec((0.001f64..1e6, proptest::option::of(-2.5f64..2.5)), 1..30)) {
            let total: f64 = v.iter().map(|x| x.0).sum();
            let shares: Vec<f64> = v.iter().map(|x| x.0 / total).collect();
            let wgi: Vec<Option<f64>> = v.iter().map(|x| x.1).collect();
            let p = DeraParams::builtin();
            let a = axes(&shares, &wgi, &p);
            let n = shares.len() as f64;
            proptest::prop_assert!(a.hhi >= 10_000.0 / n - 1e-6 && a.hhi <= 10_000.0 + 1e-6);
            let scored: Vec<f64> = wgi.iter().flatten().copied().collect();
            match a.wcr {
                Some(w) => {
                    let lo = scored.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = scored.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    proptest::prop_assert!(w >= lo - 1e-9 && w <= hi + 1e-9);
                }
                None => proptest::prop_assert!(scored.is_empty()),
            }
            let unscored: f64 = shares.iter().zip(&wgi).filter(|(_, w)| w.is_none()).map(|(s, _)| s).sum();
            proptest::prop_assert!((a.unscored_share - unscored).abs() < 1e-12);
            for h in [Level::Low, Level::Moderate, Level::High] {
                for w in [Level::Low, Level::Moderate, Level::High] {
                    let g = risk_group(h, w);
                    if h < Level::High { proptest::prop_assert!(risk_group(Level::High, w) >= g); }
                    if w < Level::High { proptest::prop_assert!(risk_group(h, Level::High) >= g); }
                }
            }
        }
    }
}
