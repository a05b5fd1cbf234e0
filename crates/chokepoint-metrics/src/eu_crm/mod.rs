//! EU CRM supply risk (European Commission 2017 guidelines, "Methodology for establishing
//! the EU list of critical raw materials", DOI 10.2873/769526, §3.2; used for the 2023 list,
//! DOI 10.2873/725585). Per material, stage and assessed economy c:
//!
//! `SR = [ HHI_WGI,t(GS) × IR/2 + HHI_WGI,t(c) × (1 − IR/2) ] × (1 − EoL_RIR) × SI_SR`
//!
//! - `HHI_WGI,t = Σ_k s_k² × WGI_k × t_k` over the supplying countries k, with `s_k` the
//!   share of global supply (GS: world production) or of c's actual sourcing (its own
//!   production by member plus its imports by exporter), `WGI_k` the scaled governance
//!   score (0–10, 10 = worst) and `t_k` the trade parameter (1; > 1 for export
//!   restrictions; × 0.8 for c's trade-agreement partners, sourcing only);
//! - `IR = (imports − exports) / (production + imports − exports)`, import reliance 0–1;
//! - `EoL_RIR`: end-of-life recycling input rate, 0–1; `SI_SR`: substitution index, 0–1.
//!
//! A material is critical when `SR ≥ 1` and its economic importance `EI ≥ 2.8`.

use serde::Serialize;

pub mod compute;

pub use compute::{EuCrmRequest, EuCrmResult, EuCrmRow, eu_crm};

/// WGI on the guidelines' 0–10 scale (10 = worst) from an estimate on −2.5…+2.5:
/// `(2.5 − estimate) × 2`, clamped to 0–10 (a few WGI estimates lie outside ±2.5).
pub fn scaled_wgi(estimate: f64) -> f64 {
    ((2.5 - estimate) * 2.0).clamp(0.0, 10.0)
}

/// One supplying country: its amount (any unit, the same for all), scaled WGI and t.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Supplier {
    pub amount: f64,
    pub wgi_scaled: f64,
    pub t: f64,
}

/// `HHI_WGI,t = Σ_k s_k² × WGI_k × t_k` with `s_k = amount_k / Σ amount` (0 for no supply).
/// With every WGI_k = 10 and t_k = 1 it is 10 × HHI.
pub fn hhi_wgi_t(suppliers: &[Supplier]) -> f64 {
    let total: f64 = suppliers.iter().map(|s| s.amount).sum();
    if total <= 0.0 {
        return 0.0;
    }
    suppliers
        .iter()
        .map(|s| {
            let share = s.amount / total;
            share * share * s.wgi_scaled * s.t
        })
        .sum()
}

/// Import reliance `(I − E) / (P + I − E)`, 0 when net imports are not positive, 1 at most.
/// `P` domestic production, `I` imports, `E` exports, all in the same unit (tonnes).
pub fn import_reliance(production: f64, imports: f64, exports: f64) -> f64 {
    let net = imports - exports;
    if net <= 0.0 { 0.0 } else { (net / (production + net)).clamp(0.0, 1.0) }
}

/// The terms of one supply risk.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Terms {
    /// `HHI_WGI,t` of global supply (world production).
    pub hhi_wgi_t_global: f64,
    /// `HHI_WGI,t` of the economy's actual sourcing (own production + imports).
    pub hhi_wgi_t_sourcing: f64,
    /// Import reliance, 0–1.
    pub import_reliance: f64,
    /// End-of-life recycling input rate, 0–1.
    pub eol_rir: f64,
    /// Substitution index for supply risk, 0–1.
    pub si_sr: f64,
}

/// `SR = [GS × IR/2 + sourcing × (1 − IR/2)] × (1 − EoL_RIR) × SI_SR`.
pub fn supply_risk(t: &Terms) -> f64 {
    let half = t.import_reliance / 2.0;
    (t.hhi_wgi_t_global * half + t.hhi_wgi_t_sourcing * (1.0 - half)) * (1.0 - t.eol_rir) * t.si_sr
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/methods.md §3.
    #[test]
    fn worked_example() {
        // World production: A 60 t (WGI estimate −1.0 → 7), B 40 t (+0.5 → 4, export
        // restriction t = 1.1).
        let gs = [
            Supplier { amount: 60.0, wgi_scaled: scaled_wgi(-1.0), t: 1.0 },
            Supplier { amount: 40.0, wgi_scaled: scaled_wgi(0.5), t: 1.1 },
        ];
        assert_eq!(scaled_wgi(-1.0), 7.0);
        assert_eq!(scaled_wgi(0.5), 4.0);
        let g = hhi_wgi_t(&gs);
        assert!((g - (0.36 * 7.0 + 0.16 * 4.0 * 1.1)).abs() < 1e-12); // 3.224
        // The economy produces 10 t itself (WGI 2) and imports 30 t from B (t 1.1 × 0.8
        // agreement), exporting 5 t: sourcing shares 0.25 / 0.75; IR = 25 / 35.
        let src = [Supplier { amount: 10.0, wgi_scaled: 2.0, t: 1.0 }, Supplier { amount: 30.0, wgi_scaled: 4.0, t: 1.1 * 0.8 }];
        let s = hhi_wgi_t(&src);
        assert!((s - (0.0625 * 2.0 + 0.5625 * 4.0 * 0.88)).abs() < 1e-12); // 2.105
        let ir = import_reliance(10.0, 30.0, 5.0);
        assert!((ir - 25.0 / 35.0).abs() < 1e-15);
        let sr = supply_risk(&Terms { hhi_wgi_t_global: g, hhi_wgi_t_sourcing: s, import_reliance: ir, eol_rir: 0.2, si_sr: 0.9 });
        let expected = (3.224 * (25.0 / 70.0) + 2.105 * (1.0 - 25.0 / 70.0)) * 0.8 * 0.9;
        assert!((sr - expected).abs() < 1e-12, "{sr} vs {expected}");
        assert!((sr - 1.8033428571428571).abs() < 1e-12, "{sr}");
    }

    #[test]
    fn edge_cases() {
        assert_eq!(hhi_wgi_t(&[]), 0.0);
        assert_eq!(import_reliance(10.0, 5.0, 8.0), 0.0);
        assert_eq!(import_reliance(0.0, 5.0, 0.0), 1.0);
        assert_eq!(import_reliance(0.0, 0.0, 0.0), 0.0);
        assert_eq!(scaled_wgi(-3.0), 10.0);
        assert_eq!(scaled_wgi(2.6), 0.0);
    }

    proptest::proptest! {
        /// With t = 1, `HHI_WGI,t` lies in [HHI × min WGI, HHI × max WGI]; SR is 0 ≤ SR ≤ 10 × SI_SR.
        #[test]
        fn bounds(a in proptest::collection::vec((0.0f64..1e6, 0.0f64..10.0), 1..12), ir in 0.0f64..1.0, eol in 0.0f64..1.0, si in 0.0f64..1.0) {
            let s: Vec<Supplier> = a.iter().map(|(x, w)| Supplier { amount: *x, wgi_scaled: *w, t: 1.0 }).collect();
            let total: f64 = a.iter().map(|p| p.0).sum();
            proptest::prop_assume!(total > 0.0);
            let hhi: f64 = a.iter().map(|p| (p.0 / total).powi(2)).sum();
            let lo = a.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
            let hi = a.iter().map(|p| p.1).fold(0.0, f64::max);
            let h = hhi_wgi_t(&s);
            proptest::prop_assert!(h >= hhi * lo - 1e-9 && h <= hhi * hi + 1e-9);
            let sr = supply_risk(&Terms { hhi_wgi_t_global: h, hhi_wgi_t_sourcing: h, import_reliance: ir, eol_rir: eol, si_sr: si });
            proptest::prop_assert!(sr >= 0.0 && sr <= 10.0 * si + 1e-9);
        }

        /// SR does not fall when a supplier's WGI or t worsens, and falls as recycling rises.
        #[test]
        fn monotone(a in 1.0f64..1e3, b in 1.0f64..1e3, w in 0.0f64..9.0, dw in 0.0f64..1.0, ir in 0.0f64..1.0, eol in 0.0f64..0.9, de in 0.0f64..0.1) {
            let base = [Supplier { amount: a, wgi_scaled: w, t: 1.0 }, Supplier { amount: b, wgi_scaled: 5.0, t: 1.0 }];
            let worse = [Supplier { wgi_scaled: w + dw, ..base[0] }, base[1]];
            let sr = |s: &[Supplier], eol: f64| supply_risk(&Terms { hhi_wgi_t_global: hhi_wgi_t(s), hhi_wgi_t_sourcing: hhi_wgi_t(s), import_reliance: ir, eol_rir: eol, si_sr: 1.0 });
            proptest::prop_assert!(sr(&worse, eol) >= sr(&base, eol) - 1e-12);
            proptest::prop_assert!(sr(&base, eol + de) <= sr(&base, eol) + 1e-12);
        }
    }
}
