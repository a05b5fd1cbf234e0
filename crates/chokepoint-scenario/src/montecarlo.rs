//! Probabilistic mode (docs/methods.md §8): every withholding supplier of a scenario
//! disrupts in a year with an annual probability derived from its governance (normalised
//! WGI-PV g, `p = p_min + (p_max − p_min) g^k`, `params/scenario.toml`) or given in the file;
//! each draw is one year in which the disrupting suppliers apply the scenario's shock. The
//! draws use a ChaCha8 generator seeded by the user, so the same seed gives the same output.
//!
//! A draw's outcome depends only on which suppliers disrupt, so the model is run once per
//! distinct set drawn (at most 2^|S|) and the draws reuse it.

use std::collections::{BTreeMap, HashMap};

use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use serde::Serialize;

use crate::baseline::{ShockSpec, market_with_origins};
use crate::model::{Capacity, Indexed, Rule, simulate_indexed};
use crate::run::{Prepared, capacity_fn, rule, unit_apparent_supply_t};
use crate::{ScenarioError, ScenarioRequest};
use chokepoint_metrics::method::MethodInfo;

/// How many draws, which seed, whether to show a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonteCarloOptions {
    pub draws: u64,
    pub seed: u64,
    pub progress: bool,
}

/// A withholding supplier's annual disruption probability and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupplierProbability {
    pub supplier: String,
    /// Normalised WGI-PV used (null when the file gives p, or the supplier has no score).
    pub g: Option<f64>,
    /// WGI year used (nearest to the baseline, the earlier of two).
    pub wgi_year: Option<i32>,
    pub annual_probability: f64,
    /// `wgi` (the mapping), `wgi-unscored` (no score: `unscored_g`) or `file`.
    pub basis: String,
}

/// The distribution of one reporting unit's loss and residual shortfall in one material,
/// tonnes over the disruption.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonteCarloRow {
    pub scenario: String,
    pub importer: String,
    pub material: String,
    pub draws: u64,
    pub seed: u64,
    pub mean_loss_t: f64,
    pub p50_loss_t: f64,
    pub p95_loss_t: f64,
    pub mean_residual_t: f64,
    pub p50_residual_t: f64,
    pub p95_residual_t: f64,
    /// The share of apparent supply the exceedance probability is about, 0–1.
    pub loss_share_threshold: f64,
    /// Share of draws whose loss exceeds `loss_share_threshold` of the unit's apparent supply
    /// over the duration; null when the apparent supply is not positive.
    pub prob_loss_share_above: Option<f64>,
    #[serde(flatten)]
    pub info: MethodInfo,
}

/// The probabilistic result of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonteCarloResult {
    pub draws: u64,
    pub seed: u64,
    pub suppliers: Vec<SupplierProbability>,
    /// Distinct sets of disrupting suppliers drawn (the model runs once per set).
    pub distinct_sets: usize,
    pub rows: Vec<MonteCarloRow>,
}

/// Nearest-rank quantile of sorted values: the value at rank ⌈q n⌉ (1-based).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Draw `draws` years: for each, which suppliers disrupt (independent Bernoulli draws with
/// `probabilities`, in order, from ChaCha8 seeded with `seed`). Returns each draw's mask.
pub fn draw_sets(probabilities: &[f64], draws: u64, seed: u64, bar: &ProgressBar) -> Vec<Vec<bool>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(draws as usize);
    for i in 0..draws {
        out.push(probabilities.iter().map(|&p| rng.random_bool(p.clamp(0.0, 1.0))).collect());
        if i % 1024 == 0 {
            bar.set_position(i);
        }
    }
    bar.set_position(draws);
    out
}

/// The annual probabilities of the scenario's suppliers (sorted by ISO3).
pub fn supplier_probabilities(req: &ScenarioRequest, p: &Prepared) -> Vec<SupplierProbability> {
    let map = &req.params.probability;
    p.resolved
        .suppliers
        .iter()
        .map(|s| {
            if let Some(o) = req.scenario.probability.suppliers.iter().find(|o| o.country.value.trim().eq_ignore_ascii_case(s)) {
                return SupplierProbability {
                    supplier: s.clone(),
                    g: None,
                    wgi_year: None,
                    annual_probability: o.annual_probability,
                    basis: "file".into(),
                };
            }
            let g = p.governance.get(s).copied();
            SupplierProbability {
                supplier: s.clone(),
                g,
                wgi_year: g.and(p.governance_year),
                annual_probability: map.probability(g),
                basis: if g.is_some() { "wgi".into() } else { "wgi-unscored".into() },
            }
        })
        .collect()
}

/// Run the Monte Carlo over a prepared scenario. Errors: the LP solver failing (optimised
/// allocation).
pub fn monte_carlo(
    req: &ScenarioRequest,
    p: &Prepared,
    opts: MonteCarloOptions,
    info: &MethodInfo,
) -> Result<MonteCarloResult, ScenarioError> {
    let suppliers = supplier_probabilities(req, p);
    let probs: Vec<f64> = suppliers.iter().map(|s| s.annual_probability).collect();
    let bar = if opts.progress {
        let b = ProgressBar::new(opts.draws);
        b.set_style(
            ProgressStyle::with_template("{msg:>18} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b.set_message("Monte Carlo draws");
        b
    } else {
        ProgressBar::hidden()
    };
    let sets = draw_sets(&probs, opts.draws, opts.seed, &bar);
    bar.finish_and_clear();
    // Each (material, unit) market is indexed once; a draw only changes which flows are
    // withheld and which parties withhold. (loss, residual) per (material, unit), per
    // distinct set of disrupting suppliers.
    let prepared = indexed_markets(req, p, &suppliers);
    let mut cache: HashMap<Vec<bool>, Vec<Vec<(f64, f64)>>> = HashMap::new();
    for set in &sets {
        if cache.contains_key(set) {
            continue;
        }
        let figures = prepared
            .iter()
            .map(|per_unit| {
                per_unit
                    .iter()
                    .map(|mm| -> Result<(f64, f64), ScenarioError> {
                        let mut m = mm.market.clone();
                        for (f, s) in m.flows.iter_mut().zip(&mm.flow_supplier) {
                            f.withheld = match s {
                                Some(s) if set[*s] => req.scenario.fraction,
                                _ => 0.0,
                            };
                        }
                        let mut withholding = vec![false; m.parties.len()];
                        for (s, party) in mm.supplier_party.iter().enumerate() {
                            if let (true, Some(party)) = (set[s], party) {
                                withholding[*party] = true;
                            }
                        }
                        let o = simulate_indexed(&m, &withholding, &mm.capacity, mm.preferred.as_deref(), req.scenario.duration_months)?;
                        Ok(mm.unit.map_or((0.0, 0.0), |u| (o.loss_t[u], o.residual_t[u])))
                    })
                    .collect()
            })
            .collect::<Result<_, _>>()?;
        cache.insert(set.clone(), figures);
    }
    let threshold = req.scenario.probability.loss_share_threshold.unwrap_or(req.params.probability.loss_share_threshold);
    let k = req.scenario.duration_months / 12.0;
    let mut rows = Vec::new();
    for (mi, b) in p.baselines.iter().enumerate() {
        for (ui, ((label, _), members)) in p.resolved.units.iter().zip(&p.members).enumerate() {
            let mut losses: Vec<f64> = sets.iter().map(|s| cache[s][mi][ui].0).collect();
            let mut residuals: Vec<f64> = sets.iter().map(|s| cache[s][mi][ui].1).collect();
            let n = sets.len() as f64;
            let apparent = unit_apparent_supply_t(b, members);
            let prob = (apparent > 0.0 && k > 0.0).then(|| losses.iter().filter(|&&l| l > threshold * apparent * k).count() as f64 / n);
            let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
            let (mean_loss, mean_residual) = (mean(&losses), mean(&residuals));
            losses.sort_by(f64::total_cmp);
            residuals.sort_by(f64::total_cmp);
            rows.push(MonteCarloRow {
                scenario: req.scenario.title.clone(),
                importer: label.clone(),
                material: b.label.clone(),
                draws: opts.draws,
                seed: opts.seed,
                mean_loss_t: mean_loss,
                p50_loss_t: quantile(&losses, 0.5),
                p95_loss_t: quantile(&losses, 0.95),
                mean_residual_t: mean_residual,
                p50_residual_t: quantile(&residuals, 0.5),
                p95_residual_t: quantile(&residuals, 0.95),
                loss_share_threshold: threshold,
                prob_loss_share_above: prob,
                info: info.clone(),
            });
        }
    }
    Ok(MonteCarloResult { draws: opts.draws, seed: opts.seed, suppliers, distinct_sets: cache.len(), rows })
}

/// One (material, unit) market prepared for the draws.
struct McMarket {
    /// The market with every scenario supplier withholding.
    market: Indexed,
    /// Per flow: the index (in the supplier list) of the supplier whose disruption withholds it.
    flow_supplier: Vec<Option<usize>>,
    /// Per supplier: its party in the market (the unit when it is a member).
    supplier_party: Vec<Option<usize>>,
    capacity: Vec<Capacity>,
    /// Preferred (supplier, importer) party pairs of the optimised allocation; `None`: pro-rata.
    preferred: Option<Vec<(usize, usize)>>,
    /// The reporting unit's party.
    unit: Option<usize>,
}

fn indexed_markets(req: &ScenarioRequest, p: &Prepared, suppliers: &[SupplierProbability]) -> Vec<Vec<McMarket>> {
    let cap = capacity_fn(&req.scenario, &req.params);
    let shock = ShockSpec {
        suppliers: p.resolved.suppliers.clone(),
        destinations: p.resolved.destinations.clone(),
        fraction: req.scenario.fraction,
    };
    p.baselines
        .iter()
        .map(|b| {
            p.resolved
                .units
                .iter()
                .zip(&p.members)
                .map(|((label, _), members)| {
                    let (m, _, origins) = market_with_origins(b, label, members, &shock);
                    let market = Indexed::new(&m);
                    let flow_supplier = m
                        .flows
                        .iter()
                        .zip(&origins)
                        .map(
                            |(f, &k)| {
                                if f.withheld > 0.0 { suppliers.iter().position(|s| s.supplier == b.flows[k].exporter) } else { None }
                            },
                        )
                        .collect();
                    let supplier_party = suppliers
                        .iter()
                        .map(|s| market.party(if members.contains(&s.supplier) { label.as_str() } else { s.supplier.as_str() }))
                        .collect();
                    let capacity = market.parties.iter().map(|x| cap(x)).collect();
                    let unit = market.party(label);
                    let preferred = match rule(req, p, label, members) {
                        Rule::ProRata => None,
                        Rule::Optimise(set) => Some(market.pairs(&set)),
                    };
                    McMarket { market, flow_supplier, supplier_party, capacity, preferred, unit }
                })
                .collect()
        })
        .collect()
}

/// Count of each distinct set (for tests and notes).
pub fn set_counts(sets: &[Vec<bool>]) -> BTreeMap<Vec<bool>, u64> {
    let mut m = BTreeMap::new();
    for s in sets {
        *m.entry(s.clone()).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(quantile(&v, 0.5), 5.0);
        assert_eq!(quantile(&v, 0.95), 10.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn draws_are_seeded_and_follow_the_probabilities() {
        let bar = ProgressBar::hidden();
        let a = draw_sets(&[0.3, 1.0, 0.0], 20_000, 7, &bar);
        assert_eq!(a, draw_sets(&[0.3, 1.0, 0.0], 20_000, 7, &bar));
        assert_ne!(a, draw_sets(&[0.3, 1.0, 0.0], 20_000, 8, &bar));
        assert!(a.iter().all(|s| s[1] && !s[2]));
        // 20,000 Bernoulli(0.3) draws: the share is within 5 standard errors (0.0162) of 0.3.
        let share = a.iter().filter(|s| s[0]).count() as f64 / 20_000.0;
        assert!((share - 0.3).abs() < 0.0162, "{share}");
        assert_eq!(set_counts(&a).len(), 2);
    }
}
