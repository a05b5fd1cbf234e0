//! Supplier concentration (METHODS.md §1).
//!
//! Notation: an importer (or coalition) buys a product from suppliers i with amounts
//! `M_i ≥ 0` (USD on value basis, tonnes on quantity basis). Shares `s_i = M_i / Σ_j M_j`
//! are fractions in 0–1.

/// Why a concentration figure cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConcentrationError {
    /// An amount was negative or not finite.
    #[error("amount {0} is not a finite non-negative number")]
    BadAmount(f64),
    /// All amounts were zero (or there were none): shares are undefined.
    #[error("no positive amount: shares are undefined")]
    Empty,
}

/// Shares `s_i = M_i / Σ_j M_j` of each amount, in the input order.
///
/// Errors: a negative or non-finite amount; a zero total.
pub fn shares(amounts: &[f64]) -> Result<Vec<f64>, ConcentrationError> {
    let mut total = 0.0;
    for &a in amounts {
        if !a.is_finite() || a < 0.0 {
            return Err(ConcentrationError::BadAmount(a));
        }
        total += a;
    }
    if total <= 0.0 {
        return Err(ConcentrationError::Empty);
    }
    Ok(amounts.iter().map(|a| a / total).collect())
}

/// Herfindahl–Hirschman index of supplier shares, `HHI = Σ_i s_i²`, in 0–1
/// (1 = a single supplier; `1/n` for `n` equal suppliers). Methods that state HHI on
/// shares in per cent (0–10,000, e.g. DERA, US DOJ) multiply by 10,000: see [`hhi_points`].
///
/// Errors: as [`shares`].
pub fn hhi(amounts: &[f64]) -> Result<f64, ConcentrationError> {
    Ok(shares(amounts)?.iter().map(|s| s * s).sum())
}

/// HHI on shares in per cent, 0–10,000 (DERA; US DOJ/FTC merger guidelines).
pub fn hhi_points(amounts: &[f64]) -> Result<f64, ConcentrationError> {
    Ok(hhi(amounts)? * 10_000.0)
}

/// Sum of the `k` largest shares (top-1 = the top supplier's share, top-3 …), 0–1.
///
/// Errors: as [`shares`].
pub fn top_k_share(amounts: &[f64], k: usize) -> Result<f64, ConcentrationError> {
    let mut s = shares(amounts)?;
    s.sort_by(|a, b| b.total_cmp(a));
    Ok(s.iter().take(k).sum())
}

/// Governance-weighted import risk `Σ_i s_i × g_i` (METHODS.md §1), with `g_i` the
/// normalised WGI Political Stability of supplier i (0 = most stable, 1 = least).
/// Suppliers without a score are left out of the sum; the second value is the share of
/// supply they hold, so that a caller can say how much of the figure is unscored.
///
/// Errors: as [`shares`], and `g_i` outside 0–1 is reported as a bad amount.
pub fn governance_weighted_risk(amounts: &[f64], scores: &[Option<f64>]) -> Result<(f64, f64), ConcentrationError> {
    assert_eq!(amounts.len(), scores.len(), "one score per supplier");
    let s = shares(amounts)?;
    let mut risk = 0.0;
    let mut unscored = 0.0;
    for (share, g) in s.iter().zip(scores) {
        match g {
            Some(g) if !(0.0..=1.0).contains(g) => return Err(ConcentrationError::BadAmount(*g)),
            Some(g) => risk += share * g,
            None => unscored += share,
        }
    }
    Ok((risk, unscored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_computed() {
        // Japan's rare-earth metal imports in the fixture: CHN 300, AUS 100, TWN 100 (k USD).
        let m = [300.0, 100.0, 100.0];
        assert_eq!(shares(&m).unwrap(), vec![0.6, 0.2, 0.2]);
        assert!(close(hhi(&m).unwrap(), 0.36 + 0.04 + 0.04));
        assert!(close(hhi_points(&m).unwrap(), 4400.0));
        assert!(close(top_k_share(&m, 1).unwrap(), 0.6));
        assert!(close(top_k_share(&m, 3).unwrap(), 1.0));
        assert!(close(top_k_share(&m, 10).unwrap(), 1.0));
        let (r, u) = governance_weighted_risk(&m, &[Some(0.6), Some(0.2), None]).unwrap();
        assert!(close(r, 0.6 * 0.6 + 0.2 * 0.2));
        assert!(close(u, 0.2));
        assert_eq!(hhi(&[5.0]).unwrap(), 1.0);
        assert_eq!(hhi(&[0.0, 0.0]), Err(ConcentrationError::Empty));
        assert_eq!(hhi(&[]), Err(ConcentrationError::Empty));
        assert_eq!(hhi(&[1.0, -1.0]), Err(ConcentrationError::BadAmount(-1.0)));
        assert!(hhi(&[1.0, f64::NAN]).is_err());
    }

    proptest! {
        #[test]
        fn shares_sum_to_one_and_hhi_is_bounded(m in prop::collection::vec(0.0f64..1e12, 1..50)) {
            prop_assume!(m.iter().any(|x| *x > 0.0));
            let s = shares(&m).unwrap();
            prop_assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            let positive = m.iter().filter(|x| **x > 0.0).count() as f64;
            let h = hhi(&m).unwrap();
            prop_assert!(h >= 1.0 / positive - 1e-12 && h <= 1.0 + 1e-12);
            let t1 = top_k_share(&m, 1).unwrap();
            let t3 = top_k_share(&m, 3).unwrap();
            // The top share bounds the HHI: t1² ≤ HHI ≤ t1.
            prop_assert!(t1 * t1 <= h + 1e-12 && h <= t1 + 1e-12);
            prop_assert!(t1 <= t3 + 1e-12 && t3 <= 1.0 + 1e-9);
        }

        #[test]
        fn risk_is_a_weighted_mean_of_scores(m in prop::collection::vec(0.001f64..1e9, 1..30), g in 0.0f64..1.0) {
            let scores = vec![Some(g); m.len()];
            let (r, u) = governance_weighted_risk(&m, &scores).unwrap();
            prop_assert!((r - g).abs() < 1e-9);
            prop_assert_eq!(u, 0.0);
        }

        #[test]
        fn scaling_amounts_changes_nothing(m in prop::collection::vec(0.001f64..1e9, 1..30), c in 0.001f64..1e6) {
            let scaled: Vec<f64> = m.iter().map(|x| x * c).collect();
            prop_assert!((hhi(&m).unwrap() - hhi(&scaled).unwrap()).abs() < 1e-9);
        }
    }
}
