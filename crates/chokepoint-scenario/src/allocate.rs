//! How importers share the substitution that unaffected suppliers offer (docs/methods.md §8,
//! "Allocation"): pro-rata to losses (the default), or the optimised allocation, a linear
//! programme solved with `good_lp` and the pure-Rust `microlp` solver that serves preferred
//! supplier → importer pairs (coalition partners, explicit pairs) first.
//!
//! Inputs are per party (indices of [`crate::model::Indexed::parties`]): `offered[s]`, the
//! tonnes supplier s can add (`A_s`), and `loss[i]`, the tonnes importer i lost (`L_i`), both
//! over the same period. The full programme is
//!
//! ```text
//! x[s,i] ≥ 0      tonnes s sends i from its offer
//! Σ_i x[s,i] ≤ A_s,   Σ_s x[s,i] ≤ L_i
//! lexicographically: (1) max Σ_{s,i} x[s,i]   (2) max Σ_{(s,i)∈P} x[s,i]
//!                    (3) min max_{i∈I_P} (L_i − Σ_{s:(s,i)∈P} x[s,i]) / L_i
//! then the rest pro-rata (the pool).
//! ```
//!
//! Every pair may trade, so (1) is `min(L, A)` whatever (2) chooses: [`optimise`] solves (2)
//! and (3) as two small LPs over the preferred pairs P only, then shares what is left of the
//! offers pro-rata to what is left of the losses, which reaches `min(L, A)` (proof in
//! docs/methods.md §8; checked against the full LP by the tests).

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};

/// The LP solver failed (it should not: the programmes are feasible and bounded).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("optimised allocation: the LP solver (microlp) failed: {0}")]
pub struct AllocationError(pub String);

/// Who sends how much to whom. Vectors are per party; tonnes over the same period as the
/// inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Allocated {
    /// Tonnes each party supplies to importers that lost supply (≤ its offer).
    pub supplied: Vec<f64>,
    /// Tonnes each party receives (≤ its loss).
    pub received: Vec<f64>,
    /// Flows of preferred pairs, (supplier, importer, tonnes), positive only, sorted.
    pub preferred: Vec<(usize, usize, f64)>,
    /// Of `supplied`, the part put into the pool (shared pro-rata to the remaining losses).
    pub pool_supplied: Vec<f64>,
    /// Of `received`, the part that came from the pool.
    pub pool_received: Vec<f64>,
}

impl Allocated {
    /// Tonnes importer `i` receives from each supplier: its preferred flows plus its pro-rata
    /// part of every supplier's pool contribution, `pool_supplied[s] × pool_received[i] /
    /// Σ pool_received`. Positive entries only, by supplier index.
    pub fn received_from(&self, i: usize) -> Vec<(usize, f64)> {
        let pool: f64 = self.pool_received.iter().sum();
        let mut out: Vec<(usize, f64)> = Vec::new();
        if pool > 0.0 && self.pool_received[i] > 0.0 {
            let share = self.pool_received[i] / pool;
            out.extend(self.pool_supplied.iter().enumerate().filter(|(_, v)| **v > 0.0).map(|(s, v)| (s, v * share)));
        }
        for &(s, j, t) in &self.preferred {
            if j == i {
                match out.iter_mut().find(|(k, _)| *k == s) {
                    Some(e) => e.1 += t,
                    None => out.push((s, t)),
                }
            }
        }
        out.sort_by_key(|e| e.0);
        out
    }

    /// Multiply every tonnage by `k` (the duration `months / 12`).
    pub fn scale(&mut self, k: f64) {
        for v in [&mut self.supplied, &mut self.received, &mut self.pool_supplied, &mut self.pool_received] {
            v.iter_mut().for_each(|x| *x *= k);
        }
        self.preferred.iter_mut().for_each(|e| e.2 *= k);
    }
}

/// Pro-rata allocation: with `L = Σ L_i`, `A = Σ A_s`, every importer receives
/// `c L_i` with `c = min(1, A / L)` and every supplier delivers `A_s min(1, L / A)`, all of it
/// through the pool. Nothing moves when `L = 0` or `A = 0`.
pub fn pro_rata(offered: &[f64], loss: &[f64]) -> Allocated {
    let n = offered.len();
    let mut a = Allocated {
        supplied: vec![0.0; n],
        received: vec![0.0; n],
        preferred: Vec::new(),
        pool_supplied: vec![0.0; n],
        pool_received: vec![0.0; n],
    };
    pool(offered, loss, &mut a);
    a
}

/// Share `offered` pro-rata to `loss` and add it to `a` (supplied, received and the pool).
fn pool(offered: &[f64], loss: &[f64], a: &mut Allocated) {
    let (l, s): (f64, f64) = (loss.iter().sum(), offered.iter().sum());
    if l <= 0.0 || s <= 0.0 {
        return;
    }
    let (used, coverage) = ((l / s).min(1.0), (s / l).min(1.0));
    for (k, &o) in offered.iter().enumerate() {
        a.pool_supplied[k] = o * used;
        a.supplied[k] += o * used;
    }
    for (k, &x) in loss.iter().enumerate() {
        a.pool_received[k] = x * coverage;
        a.received[k] += x * coverage;
    }
}

/// Relative slack of the preferred total carried from the first LP into the second (the
/// solver works to about 1e-9 on values scaled to at most 1).
const KEEP_PREFERRED: f64 = 1e-7;

/// The optimised allocation (module docs): preferred pairs `preferred` (supplier, importer)
/// first, as much as they can carry (LP 1), shared so that the largest residual share among
/// the importers with a preferred pair is as small as possible (LP 2, with LP 1's total
/// kept), then the rest pro-rata ([`pro_rata`] on the remaining offers and losses). Pairs
/// with no offer or no loss are dropped; with no pair left this is [`pro_rata`] exactly.
/// Where LP 2 still has several optima, microlp's simplex returns the same vertex for the
/// same input, so the output is deterministic.
///
/// Errors: [`AllocationError`] when the solver fails (not expected: both LPs are feasible at
/// x = 0 and bounded).
pub fn optimise(offered: &[f64], loss: &[f64], preferred: &[(usize, usize)]) -> Result<Allocated, AllocationError> {
    let n = offered.len();
    let mut pairs: Vec<(usize, usize)> =
        preferred.iter().copied().filter(|&(s, i)| s < n && i < n && offered[s] > 0.0 && loss[i] > 0.0).collect();
    pairs.sort_unstable();
    pairs.dedup();
    if pairs.is_empty() {
        return Ok(pro_rata(offered, loss));
    }
    // Scale to at most 1 for the solver's tolerances.
    let scale = pairs.iter().map(|&(s, i)| offered[s].max(loss[i])).fold(0.0, f64::max);
    let sup: Vec<usize> = sorted_unique(pairs.iter().map(|p| p.0));
    let imp: Vec<usize> = sorted_unique(pairs.iter().map(|p| p.1));

    // LP 1: the most the preferred pairs can carry.
    let (vars, x) = pair_vars(&pairs);
    let mut lp = vars.maximise(total_of(&x)).using(microlp);
    lp = caps(lp, &pairs, &x, &sup, &imp, offered, loss, scale);
    let first = lp.solve().map_err(|e| AllocationError(e.to_string()))?;
    let best: f64 = x.iter().map(|v| first.value(*v)).sum();

    // LP 2: keep that total, minimise the largest residual share t of the importers with a
    // preferred pair: L_i − Σ_s x[s,i] ≤ t L_i.
    let (mut vars, x) = pair_vars(&pairs);
    let t = vars.add(variable().min(0.0).max(1.0));
    let mut lp = vars.minimise(t).using(microlp);
    lp = caps(lp, &pairs, &x, &sup, &imp, offered, loss, scale);
    lp = lp.with(total_of(&x).geq(best * (1.0 - KEEP_PREFERRED)));
    for &i in &imp {
        let li = loss[i] / scale;
        let into: Expression = pairs.iter().zip(&x).filter(|(p, _)| p.1 == i).map(|(_, v)| *v).sum();
        lp = lp.with((into + li * t).geq(li));
    }
    let second = lp.solve().map_err(|e| AllocationError(e.to_string()))?;

    // Back to tonnes, within the caps exactly (the solver's values may overshoot by its
    // tolerance).
    let mut flows: Vec<(usize, usize, f64)> = pairs.iter().zip(&x).map(|(&(s, i), v)| (s, i, second.value(*v).max(0.0) * scale)).collect();
    let mut out = vec![0.0; n];
    flows.iter().for_each(|f| out[f.0] += f.2);
    for f in flows.iter_mut() {
        if out[f.0] > offered[f.0] {
            f.2 *= offered[f.0] / out[f.0];
        }
    }
    let mut into = vec![0.0; n];
    flows.iter().for_each(|f| into[f.1] += f.2);
    for f in flows.iter_mut() {
        if into[f.1] > loss[f.1] {
            f.2 *= loss[f.1] / into[f.1];
        }
    }
    flows.retain(|f| f.2 > 0.0);
    let mut a = Allocated {
        supplied: vec![0.0; n],
        received: vec![0.0; n],
        preferred: Vec::new(),
        pool_supplied: vec![0.0; n],
        pool_received: vec![0.0; n],
    };
    for &(s, i, v) in &flows {
        a.supplied[s] += v;
        a.received[i] += v;
    }
    let rest_offered: Vec<f64> = offered.iter().zip(&a.supplied).map(|(o, s)| (o - s).max(0.0)).collect();
    let rest_loss: Vec<f64> = loss.iter().zip(&a.received).map(|(l, r)| (l - r).max(0.0)).collect();
    a.preferred = flows;
    pool(&rest_offered, &rest_loss, &mut a);
    // Float sums may exceed a cap by an ulp.
    for k in 0..n {
        a.supplied[k] = a.supplied[k].min(offered[k]);
        a.received[k] = a.received[k].min(loss[k]);
    }
    Ok(a)
}

fn sorted_unique(it: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut v: Vec<usize> = it.collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn pair_vars(pairs: &[(usize, usize)]) -> (ProblemVariables, Vec<Variable>) {
    let mut vars = ProblemVariables::new();
    let x = vars.add_vector(variable().min(0.0), pairs.len());
    (vars, x)
}

fn total_of(x: &[Variable]) -> Expression {
    x.iter().sum()
}

/// Σ_i x[s,i] ≤ A_s and Σ_s x[s,i] ≤ L_i (scaled).
#[allow(clippy::too_many_arguments)]
fn caps<M: SolverModel>(
    mut lp: M,
    pairs: &[(usize, usize)],
    x: &[Variable],
    sup: &[usize],
    imp: &[usize],
    offered: &[f64],
    loss: &[f64],
    scale: f64,
) -> M {
    for &s in sup {
        let out: Expression = pairs.iter().zip(x).filter(|(p, _)| p.0 == s).map(|(_, v)| *v).sum();
        lp = lp.with(out.leq(offered[s] / scale));
    }
    for &i in imp {
        let into: Expression = pairs.iter().zip(x).filter(|(p, _)| p.1 == i).map(|(_, v)| *v).sum();
        lp = lp.with(into.leq(loss[i] / scale));
    }
    lp
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
    }

    /// Two partners and a stranger: supplier 0 (offer 30) prefers importers 1 (loss 40) and
    /// 2 (loss 20); supplier 3 (offer 15) prefers nobody; importer 4 (loss 40) has no partner.
    #[test]
    fn partners_first_then_pro_rata() {
        let offered = [30.0, 0.0, 0.0, 15.0, 0.0];
        let loss = [0.0, 40.0, 20.0, 0.0, 40.0];
        let a = optimise(&offered, &loss, &[(0, 1), (0, 2)]).unwrap();
        // LP 1: 30 t over the preferred pairs. LP 2: equal residual shares among 1 and 2,
        // (40 − a)/40 = (20 − b)/20 with a + b = 30 → a = 20, b = 10, share 1/2.
        assert!(close(a.preferred.iter().map(|f| f.2).sum(), 30.0));
        let from_0 = a.received_from(1);
        assert_eq!(from_0[0].0, 0);
        assert!(close(from_0[0].1, 20.0), "{a:?}");
        assert!(close(a.received_from(2)[0].1, 10.0), "{a:?}");
        // Pool: 15 t of supplier 3 over the remaining losses 20 + 10 + 40 = 70.
        assert!(close(a.pool_received[1], 15.0 * 20.0 / 70.0));
        assert!(close(a.pool_received[2], 15.0 * 10.0 / 70.0));
        assert!(close(a.received[4], 15.0 * 40.0 / 70.0));
        assert!(close(a.supplied[0], 30.0) && close(a.supplied[3], 15.0));
        assert!(close(a.received.iter().sum(), 45.0));
        // Pro-rata gives the same total but shares it 40:20:40.
        let p = pro_rata(&offered, &loss);
        assert!(close(p.received[1], 45.0 * 0.4) && close(p.received[4], 45.0 * 0.4));
        assert!(a.received[1] > p.received[1] && a.received[4] < p.received[4]);
    }

    #[test]
    fn no_pair_is_pro_rata() {
        let offered = [3.0, 0.0, 5.0];
        let loss = [0.0, 10.0, 1.0];
        // Pair (1, 2) has no offer: dropped.
        assert_eq!(optimise(&offered, &loss, &[(1, 2)]).unwrap(), pro_rata(&offered, &loss));
        assert_eq!(optimise(&offered, &loss, &[]).unwrap(), pro_rata(&offered, &loss));
    }

    /// The full LP of the module docs with objective Σ x + ε Σ_P x, solved directly over all
    /// pairs: its two totals.
    fn full_lp(offered: &[f64], loss: &[f64], preferred: &[(usize, usize)]) -> (f64, f64) {
        let n = offered.len();
        let pairs: Vec<(usize, usize)> = (0..n).flat_map(|s| (0..n).map(move |i| (s, i))).collect();
        let (vars, x) = pair_vars(&pairs);
        let eps = 1e-3;
        let objective: Expression =
            pairs.iter().zip(&x).map(|(p, v)| if preferred.contains(p) { (1.0 + eps) * *v } else { 1.0 * *v }).sum();
        let sup: Vec<usize> = (0..n).collect();
        let mut lp = vars.maximise(objective).using(microlp);
        lp = caps(lp, &pairs, &x, &sup, &sup, offered, loss, 1.0);
        let sol = lp.solve().unwrap();
        let total = x.iter().map(|v| sol.value(*v)).sum();
        let pref = pairs.iter().zip(&x).filter(|(p, _)| preferred.contains(p)).map(|(_, v)| sol.value(*v)).sum();
        (total, pref)
    }

    fn arb() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<(usize, usize)>)> {
        let n = 5;
        (
            proptest::collection::vec(prop_oneof![Just(0.0), 0.0f64..100.0], n),
            proptest::collection::vec(prop_oneof![Just(0.0), 0.0f64..100.0], n),
            proptest::collection::vec((0..n, 0..n), 0..8),
        )
    }

    proptest! {
        /// Caps hold; received = supplied in total; the total is min(L, A) for both rules
        /// (so optimise covers at least what pro-rata covers); the preferred total is the
        /// full LP's; the same input gives the same output.
        #[test]
        fn optimise_against_the_full_lp((offered, loss, pairs) in arb()) {
            let a = optimise(&offered, &loss, &pairs).unwrap();
            let p = pro_rata(&offered, &loss);
            let (l, s): (f64, f64) = (loss.iter().sum(), offered.iter().sum());
            for k in 0..offered.len() {
                prop_assert!(a.supplied[k] >= 0.0 && a.supplied[k] <= offered[k]);
                prop_assert!(a.received[k] >= 0.0 && a.received[k] <= loss[k]);
                let from: f64 = a.received_from(k).iter().map(|e| e.1).sum();
                prop_assert!(close(from, a.received[k]));
            }
            let (ra, sa): (f64, f64) = (a.received.iter().sum(), a.supplied.iter().sum());
            prop_assert!(close(ra, sa));
            prop_assert!(close(ra, l.min(s)), "{ra} vs {}", l.min(s));
            prop_assert!(ra >= p.received.iter().sum::<f64>() * (1.0 - 1e-9));
            let (full_total, full_pref) = full_lp(&offered, &loss, &pairs);
            prop_assert!(close(full_total, ra));
            let pref: f64 = a.preferred.iter().map(|f| f.2).sum();
            prop_assert!(close(full_pref, pref), "preferred {pref} vs full LP {full_pref}");
            prop_assert_eq!(optimise(&offered, &loss, &pairs).unwrap(), a);
        }
    }
}
