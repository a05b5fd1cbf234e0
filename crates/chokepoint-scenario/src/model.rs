//! The pure arithmetic of a disruption scenario (docs/methods.md §8): direct effect of
//! withheld exports, pro-rata substitution by unaffected suppliers, stockpile days. No I/O:
//! the inputs are flows and production already read from the store and merged into
//! *parties* (a country, or the reporting unit's members as one party, trade between them
//! dropped).
//!
//! Every quantity is in tonnes per year of the baseline; [`simulate`] scales the results by
//! the duration (`months / 12`), so its outputs are tonnes over the disruption.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::allocate::{Allocated, AllocationError, optimise, pro_rata};

/// One baseline trade flow between two parties (one HS6 code, one member pair).
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// Exporting party.
    pub exporter: String,
    /// Importing party.
    pub importer: String,
    /// Baseline quantity, tonnes per year (0 when BACI reports none).
    pub tonnes: f64,
    /// Baseline value, USD per year.
    pub value_usd: f64,
    /// Share of the flow the exporter withholds, 0–1 (0 when the flow is not hit).
    pub withheld: f64,
}

/// How importers share the substitution offered (docs/methods.md §8, "Allocation").
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Rule {
    /// Pro-rata to losses.
    #[default]
    ProRata,
    /// The optimised allocation ([`crate::allocate::optimise`]) with these (supplier party,
    /// importer party) pairs first.
    Optimise(BTreeSet<(String, String)>),
}

/// What an unaffected supplier can add, as shares of its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Capacity {
    /// Share of its exports (tonnes, all destinations) that it can redirect, 0–1.
    pub redirect_share: f64,
    /// Share of its production (tonnes) that it can add as spare production, 0–1.
    pub spare_production_share: f64,
}

/// The market of one material in the baseline year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Market {
    pub flows: Vec<Flow>,
    /// Production per party, tonnes per year.
    pub production_t: BTreeMap<String, f64>,
}

/// What one importing party loses and receives, tonnes over the duration (USD where named).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImporterEffect {
    /// Baseline imports over the duration, tonnes.
    pub imports_t: f64,
    /// Baseline imports over the duration, USD.
    pub imports_usd: f64,
    /// Lost imports `L_j = Σ_i w_i q_ij`, tonnes.
    pub loss_t: f64,
    /// Lost imports, USD.
    pub loss_usd: f64,
    /// Substitution received `R_j` (pro-rata: `c × L_j`), tonnes.
    pub received_t: f64,
    /// Residual shortfall `L_j − R_j` (≥ 0), tonnes.
    pub residual_t: f64,
    /// Taken from this importer by suppliers that redirect to others, tonnes.
    pub displaced_t: f64,
    /// Of `received_t`, what came over preferred pairs (optimised allocation), tonnes.
    pub received_preferred_t: f64,
    /// Received by supplier, tonnes.
    pub received_from: BTreeMap<String, f64>,
}

impl ImporterEffect {
    /// Residual shortfall plus what was displaced: the net change of its supply, tonnes.
    pub fn net_shortfall_t(&self) -> f64 {
        self.residual_t + self.displaced_t
    }
}

/// What one supplier withholds, offers and supplies, tonnes over the duration.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SupplierEffect {
    /// Baseline exports over the duration, tonnes.
    pub exports_t: f64,
    /// Withheld exports, tonnes.
    pub withheld_t: f64,
    /// Withheld exports, USD.
    pub withheld_usd: f64,
    /// Offered substitution: redirect share × exports + spare share × production, tonnes.
    pub offered_t: f64,
    /// Supplied to importers that lost supply, tonnes (≤ offered).
    pub supplied_t: f64,
    /// Of which redirected from its other customers, tonnes.
    pub redirected_t: f64,
    /// Of which from spare production, tonnes.
    pub spare_t: f64,
}

/// The outcome of one scenario on one market.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub importers: BTreeMap<String, ImporterEffect>,
    pub suppliers: BTreeMap<String, SupplierEffect>,
    /// Σ losses, tonnes.
    pub total_loss_t: f64,
    /// Σ offered substitution, tonnes.
    pub total_offered_t: f64,
    /// Share of every loss that is covered, `c = min(1, A / L)` (1 when nothing is lost).
    pub coverage: f64,
}

/// A market with parties as indices (built once, run many times by the Monte Carlo).
#[derive(Debug, Clone, PartialEq)]
pub struct Indexed {
    /// Party names, sorted.
    pub parties: Vec<String>,
    pub flows: Vec<IndexedFlow>,
    /// Production per party, tonnes per year.
    pub production_t: Vec<f64>,
    /// The party imports in some flow.
    pub is_importer: Vec<bool>,
    /// The party exports in some flow or produces.
    pub is_supplier: Vec<bool>,
}

/// A [`Flow`] with party indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexedFlow {
    pub exporter: usize,
    pub importer: usize,
    pub tonnes: f64,
    pub value_usd: f64,
    pub withheld: f64,
}

impl Indexed {
    pub fn new(market: &Market) -> Indexed {
        let mut names: BTreeSet<&str> = BTreeSet::new();
        for f in &market.flows {
            names.insert(&f.exporter);
            names.insert(&f.importer);
        }
        names.extend(market.production_t.keys().map(String::as_str));
        let parties: Vec<String> = names.into_iter().map(str::to_owned).collect();
        let id = |p: &str| parties.binary_search_by(|x| x.as_str().cmp(p)).expect("known party");
        let n = parties.len();
        let (mut is_importer, mut is_supplier, mut production_t) = (vec![false; n], vec![false; n], vec![0.0; n]);
        let flows = market
            .flows
            .iter()
            .map(|f| {
                let (e, i) = (id(&f.exporter), id(&f.importer));
                is_supplier[e] = true;
                is_importer[i] = true;
                IndexedFlow { exporter: e, importer: i, tonnes: f.tonnes, value_usd: f.value_usd, withheld: f.withheld }
            })
            .collect();
        for (p, a) in &market.production_t {
            let k = id(p);
            is_supplier[k] = true;
            production_t[k] += a;
        }
        Indexed { parties, flows, production_t, is_importer, is_supplier }
    }

    /// Index of a party.
    pub fn party(&self, name: &str) -> Option<usize> {
        self.parties.binary_search_by(|x| x.as_str().cmp(name)).ok()
    }

    /// The (supplier, importer) pairs of `preferred` (party names) as indices; pairs naming
    /// a party not in the market are left out.
    pub fn pairs(&self, preferred: &BTreeSet<(String, String)>) -> Vec<(usize, usize)> {
        preferred.iter().filter_map(|(s, i)| Some((self.party(s)?, self.party(i)?))).collect()
    }
}

/// Per-party results of [`simulate_indexed`], tonnes over the duration (annual when
/// `months` = 12). Vectors are indexed like [`Indexed::parties`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexedOutcome {
    pub imports_t: Vec<f64>,
    pub imports_usd: Vec<f64>,
    pub loss_t: Vec<f64>,
    pub loss_usd: Vec<f64>,
    pub received_t: Vec<f64>,
    pub residual_t: Vec<f64>,
    pub displaced_t: Vec<f64>,
    pub exports_t: Vec<f64>,
    pub withheld_t: Vec<f64>,
    pub withheld_usd: Vec<f64>,
    pub offered_t: Vec<f64>,
    pub supplied_t: Vec<f64>,
    pub redirected_t: Vec<f64>,
    pub spare_t: Vec<f64>,
    pub total_loss_t: f64,
    pub total_offered_t: f64,
    pub coverage: f64,
    /// Who sends how much to whom (tonnes over the duration).
    pub allocation: Allocated,
}

/// The arithmetic of [`simulate`] on an indexed market: `withholding[p]` says whether party p
/// withholds (and so offers nothing), `capacity[p]` its shares; `preferred`: `None` for the
/// pro-rata allocation, else the optimised allocation with these (supplier, importer) party
/// pairs first ([`crate::allocate::optimise`]).
///
/// Errors: [`AllocationError`] when the LP solver fails (optimised allocation only).
pub fn simulate_indexed(
    m: &Indexed,
    withholding: &[bool],
    capacity: &[Capacity],
    preferred: Option<&[(usize, usize)]>,
    months: f64,
) -> Result<IndexedOutcome, AllocationError> {
    let n = m.parties.len();
    let z = || vec![0.0; n];
    let mut o = IndexedOutcome {
        imports_t: z(),
        imports_usd: z(),
        loss_t: z(),
        loss_usd: z(),
        received_t: z(),
        residual_t: z(),
        displaced_t: z(),
        exports_t: z(),
        withheld_t: z(),
        withheld_usd: z(),
        offered_t: z(),
        supplied_t: z(),
        redirected_t: z(),
        spare_t: z(),
        ..Default::default()
    };
    for f in &m.flows {
        o.imports_t[f.importer] += f.tonnes;
        o.imports_usd[f.importer] += f.value_usd;
        o.loss_t[f.importer] += f.withheld * f.tonnes;
        o.loss_usd[f.importer] += f.withheld * f.value_usd;
        o.exports_t[f.exporter] += f.tonnes;
        o.withheld_t[f.exporter] += f.withheld * f.tonnes;
        o.withheld_usd[f.exporter] += f.withheld * f.value_usd;
    }
    let mut redirect_offer = z();
    for (p, offer) in redirect_offer.iter_mut().enumerate() {
        if withholding[p] || !m.is_supplier[p] {
            continue;
        }
        let r = capacity[p].redirect_share.clamp(0.0, 1.0) * o.exports_t[p];
        let s = capacity[p].spare_production_share.clamp(0.0, 1.0) * m.production_t[p].max(0.0);
        o.offered_t[p] = r + s;
        *offer = r;
    }
    let total_loss: f64 = o.loss_t.iter().sum();
    let total_offered: f64 = o.offered_t.iter().sum();
    o.total_loss_t = total_loss;
    o.total_offered_t = total_offered;
    // Both allocations cover min(L, A) in total (docs/methods.md §8), so the world's coverage
    // is the same under both.
    o.coverage = if total_loss > 0.0 { (total_offered / total_loss).min(1.0) } else { 1.0 };
    if total_loss > 0.0 && total_offered > 0.0 {
        o.allocation = match preferred {
            None => pro_rata(&o.offered_t, &o.loss_t),
            Some(pairs) => optimise(&o.offered_t, &o.loss_t, pairs)?,
        };
        for (p, r) in redirect_offer.iter().enumerate() {
            o.supplied_t[p] = o.allocation.supplied[p];
            // What a supplier delivers comes from its two channels in proportion to its offer.
            let used = if o.offered_t[p] > 0.0 { (o.supplied_t[p] / o.offered_t[p]).min(1.0) } else { 0.0 };
            o.redirected_t[p] = r * used;
            o.spare_t[p] = o.supplied_t[p] - o.redirected_t[p];
        }
        for f in &m.flows {
            let (e, x) = (f.exporter, o.exports_t[f.exporter]);
            if o.redirected_t[e] > 0.0 && x > 0.0 {
                o.displaced_t[f.importer] += o.redirected_t[e] * f.tonnes / x;
            }
        }
        o.received_t.copy_from_slice(&o.allocation.received);
    } else {
        o.allocation = pro_rata(&o.offered_t, &o.loss_t);
    }
    for p in 0..n {
        o.residual_t[p] = (o.loss_t[p] - o.received_t[p]).max(0.0);
    }
    let k = months / 12.0;
    for v in [
        &mut o.imports_t,
        &mut o.imports_usd,
        &mut o.loss_t,
        &mut o.loss_usd,
        &mut o.received_t,
        &mut o.residual_t,
        &mut o.displaced_t,
        &mut o.exports_t,
        &mut o.withheld_t,
        &mut o.withheld_usd,
        &mut o.offered_t,
        &mut o.supplied_t,
        &mut o.redirected_t,
        &mut o.spare_t,
    ] {
        v.iter_mut().for_each(|x| *x *= k);
    }
    o.total_loss_t *= k;
    o.total_offered_t *= k;
    o.allocation.scale(k);
    Ok(o)
}

/// Run the scenario on a market.
///
/// - direct effect: `L_j = Σ_i w_ij q_ij` (tonnes), likewise in USD;
/// - offered: `A_e = ρ_e X_e + σ_e P_e` for every party `e` not in `withholding`, with `X_e`
///   its exports and `P_e` its production (tonnes), `ρ`, `σ` from `capacity(e)`;
/// - allocation by `rule`: pro-rata, `c = min(1, A / L)`, `R_j = c L_j`, supplier e gives
///   `A_e min(1, L/A) L_j / L` to j; or optimised ([`crate::allocate::optimise`]: preferred
///   pairs first, the rest pro-rata); both cover `min(L, A)` in total;
/// - a supplier delivering `S_e` of its offer `A_e` redirects `ρ_e X_e S_e / A_e` of it, taken
///   from e's customers pro-rata to their baseline purchases (`displaced`), the rest is spare
///   production;
/// - every figure × `months / 12`.
///
/// Errors: [`AllocationError`] when the LP solver fails (optimised allocation only).
pub fn simulate(
    market: &Market,
    withholding: &BTreeSet<String>,
    capacity: &dyn Fn(&str) -> Capacity,
    rule: &Rule,
    months: f64,
) -> Result<Outcome, AllocationError> {
    let m = Indexed::new(market);
    let w: Vec<bool> = m.parties.iter().map(|p| withholding.contains(p)).collect();
    let cap: Vec<Capacity> = m.parties.iter().map(|p| capacity(p)).collect();
    let pairs = match rule {
        Rule::ProRata => None,
        Rule::Optimise(set) => Some(m.pairs(set)),
    };
    let o = simulate_indexed(&m, &w, &cap, pairs.as_deref(), months)?;
    let mut out = Outcome { total_loss_t: o.total_loss_t, total_offered_t: o.total_offered_t, coverage: o.coverage, ..Default::default() };
    for (p, name) in m.parties.iter().enumerate() {
        if m.is_importer[p] {
            let received_from: BTreeMap<String, f64> =
                o.allocation.received_from(p).into_iter().map(|(e, t)| (m.parties[e].clone(), t)).collect();
            let received_preferred_t = o.allocation.preferred.iter().filter(|f| f.1 == p).map(|f| f.2).sum();
            out.importers.insert(
                name.clone(),
                ImporterEffect {
                    imports_t: o.imports_t[p],
                    imports_usd: o.imports_usd[p],
                    loss_t: o.loss_t[p],
                    loss_usd: o.loss_usd[p],
                    received_t: o.received_t[p],
                    residual_t: o.residual_t[p],
                    displaced_t: o.displaced_t[p],
                    received_preferred_t,
                    received_from,
                },
            );
        }
        if m.is_supplier[p] {
            out.suppliers.insert(
                name.clone(),
                SupplierEffect {
                    exports_t: o.exports_t[p],
                    withheld_t: o.withheld_t[p],
                    withheld_usd: o.withheld_usd[p],
                    offered_t: o.offered_t[p],
                    supplied_t: o.supplied_t[p],
                    redirected_t: o.redirected_t[p],
                    spare_t: o.spare_t[p],
                },
            );
        }
    }
    Ok(out)
}

/// Apparent supply (consumption) of a party, tonnes per year: imports + production − exports.
pub fn apparent_supply_t(imports_t: f64, production_t: f64, exports_t: f64) -> f64 {
    imports_t + production_t - exports_t
}

/// Stockpile figures of a residual shortfall (METHODS.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stockpile {
    /// Days of consumption needed to bridge the residual shortfall over the duration:
    /// `residual_t / (apparent supply per year / 365)`, = `D × 365/12 × r` with `r` the
    /// residual share of annual consumption and D the months.
    pub days_needed: f64,
    /// Share of the residual shortfall a stock of `target_days` covers: `min(1, target / days)`
    /// (1 when nothing is needed).
    pub target_cover_share: f64,
    /// Days needed beyond the target, `max(0, days − target)`.
    pub days_beyond_target: f64,
}

/// Stockpile days for `residual_t` tonnes over the duration against an annual apparent
/// supply of `apparent_t` tonnes; `None` when the apparent supply is not positive (a net
/// exporter has no consumption to count days of).
pub fn stockpile(residual_t: f64, apparent_t: f64, target_days: f64) -> Option<Stockpile> {
    if apparent_t <= 0.0 {
        return None;
    }
    let days = residual_t / (apparent_t / 365.0);
    Some(Stockpile {
        days_needed: days,
        target_cover_share: if days > 0.0 { (target_days / days).min(1.0) } else { 1.0 },
        days_beyond_target: (days - target_days).max(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn flow(e: &str, i: &str, t: f64, usd: f64, w: f64) -> Flow {
        Flow { exporter: e.into(), importer: i.into(), tonnes: t, value_usd: usd, withheld: w }
    }

    fn cap(r: f64, s: f64) -> impl Fn(&str) -> Capacity {
        move |_| Capacity { redirect_share: r, spare_production_share: s }
    }

    /// The worked example of docs/methods.md §8.
    #[test]
    fn worked_example() {
        // CHN sells 100 t to JPN and 50 t to USA and withholds all of it for 6 months;
        // AUS sells 40 t to JPN and 60 t to KOR and produces 200 t.
        let market = Market {
            flows: vec![
                flow("CHN", "JPN", 100.0, 1_000_000.0, 1.0),
                flow("CHN", "USA", 50.0, 500_000.0, 1.0),
                flow("AUS", "JPN", 40.0, 400_000.0, 0.0),
                flow("AUS", "KOR", 60.0, 600_000.0, 0.0),
            ],
            production_t: BTreeMap::from([("AUS".into(), 200.0), ("JPN".into(), 10.0)]),
        };
        let o = simulate(&market, &BTreeSet::from(["CHN".into()]), &cap(0.1, 0.05), &Rule::ProRata, 6.0).unwrap();
        // Annual: L = 150; A_AUS = 0.1 × 100 + 0.05 × 200 = 20; A_JPN = 0.05 × 10 = 0.5;
        // c = 20.5 / 150. Over 6 months everything is halved.
        let c = 20.5 / 150.0;
        assert!((o.coverage - c).abs() < 1e-15);
        let j = &o.importers["JPN"];
        assert!((j.loss_t - 50.0).abs() < 1e-12);
        assert!((j.loss_usd - 500_000.0).abs() < 1e-9);
        assert!((j.received_t - 50.0 * c).abs() < 1e-12);
        assert!((j.received_from["AUS"] - 10.0 * 100.0 / 150.0).abs() < 1e-12);
        // AUS redirects 10 t/yr (5 t over 6 months) from JPN (40 %) and KOR (60 %).
        assert!((j.displaced_t - 2.0).abs() < 1e-12);
        assert!((o.importers["KOR"].displaced_t - 3.0).abs() < 1e-12);
        assert!((j.residual_t - (50.0 - 50.0 * c)).abs() < 1e-12);
        let aus = &o.suppliers["AUS"];
        assert!((aus.supplied_t - 10.0).abs() < 1e-12);
        assert!((aus.redirected_t - 5.0).abs() < 1e-12);
        assert!((aus.spare_t - 5.0).abs() < 1e-12);
        assert_eq!(o.suppliers["CHN"].offered_t, 0.0);
        assert!((o.suppliers["CHN"].withheld_t - 75.0).abs() < 1e-12);
        // JPN: apparent supply 140 + 10 = 150 t/yr, residual 43.1667 t over 6 months
        // → 105.04 days of consumption, a 60-day stock covers 57.1 % of it.
        let s = stockpile(j.residual_t, apparent_supply_t(140.0, 10.0, 0.0), 60.0).unwrap();
        let days = (50.0 - 50.0 * c) / (150.0 / 365.0);
        assert!((s.days_needed - days).abs() < 1e-12);
        assert!((days - 105.038_888_889).abs() < 1e-6);
        assert!((s.target_cover_share - 60.0 / days).abs() < 1e-12);
        assert!((s.days_beyond_target - (days - 60.0)).abs() < 1e-12);
    }

    #[test]
    fn enough_substitution_covers_everything() {
        let market =
            Market { flows: vec![flow("CHN", "JPN", 10.0, 10.0, 1.0), flow("AUS", "KOR", 1000.0, 10.0, 0.0)], ..Default::default() };
        let o = simulate(&market, &BTreeSet::from(["CHN".into()]), &cap(0.1, 0.0), &Rule::ProRata, 12.0).unwrap();
        assert_eq!(o.coverage, 1.0);
        assert!((o.importers["JPN"].received_t - 10.0).abs() < 1e-12);
        assert_eq!(o.importers["JPN"].residual_t, 0.0);
        // Only what is needed is taken from KOR.
        assert!((o.importers["KOR"].displaced_t - 10.0).abs() < 1e-12);
        assert!(stockpile(0.0, 100.0, 60.0).unwrap().target_cover_share == 1.0);
        assert!(stockpile(1.0, 0.0, 60.0).is_none());
    }

    /// The worked example with "partners first": AUS and JPN prefer each other (JPN's own
    /// spare production counts as its own), USA has no partner.
    #[test]
    fn worked_example_partners_first() {
        let market = Market {
            flows: vec![
                flow("CHN", "JPN", 100.0, 1_000_000.0, 1.0),
                flow("CHN", "USA", 50.0, 500_000.0, 1.0),
                flow("AUS", "JPN", 40.0, 400_000.0, 0.0),
                flow("AUS", "KOR", 60.0, 600_000.0, 0.0),
            ],
            production_t: BTreeMap::from([("AUS".into(), 200.0), ("JPN".into(), 10.0)]),
        };
        let pairs = [("AUS", "JPN"), ("JPN", "JPN")].map(|(a, b)| (a.to_owned(), b.to_owned())).into();
        let o = simulate(&market, &BTreeSet::from(["CHN".into()]), &cap(0.1, 0.05), &Rule::Optimise(pairs), 6.0).unwrap();
        // Annual: AUS offers 20 t, JPN 0.5 t; JPN lost 100 t and takes all 20.5 t over its
        // preferred pairs, USA (50 t) gets nothing. Over 6 months: halved.
        let j = &o.importers["JPN"];
        assert!((j.received_t - 10.25).abs() < 1e-6, "{j:?}");
        assert!((j.received_preferred_t - 10.25).abs() < 1e-6);
        assert!((j.received_from["AUS"] - 10.0).abs() < 1e-6);
        assert!((j.received_from["JPN"] - 0.25).abs() < 1e-6);
        assert!((j.residual_t - 39.75).abs() < 1e-6);
        // (The pool gets the float remainder of the offers, ~1e-16 t.)
        assert!(o.importers["USA"].received_t < 1e-9);
        assert!((o.importers["USA"].residual_t - 25.0).abs() < 1e-9);
        // The world's coverage is the pro-rata one: 20.5 / 150.
        assert!((o.coverage - 20.5 / 150.0).abs() < 1e-15);
        // AUS delivers its whole offer, so redirects its whole 10 t/yr: 2 t from JPN, 3 t from KOR.
        assert!((o.suppliers["AUS"].redirected_t - 5.0).abs() < 1e-6);
        assert!((j.displaced_t - 2.0).abs() < 1e-6);
    }

    fn arb_market() -> impl Strategy<Value = (Market, BTreeSet<String>)> {
        let parties = ["AAA", "BBB", "CCC", "DDD", "EEE"];
        let flows = proptest::collection::vec((0usize..5, 0usize..5, 0.0f64..1e4, 0.0f64..1e7, 0.0f64..=1.0), 0..25);
        let prod = proptest::collection::vec(0.0f64..1e5, 5);
        let shocked = proptest::collection::vec(any::<bool>(), 5);
        (flows, prod, shocked).prop_map(move |(fl, prod, shocked)| {
            let withholding: BTreeSet<String> = parties.iter().zip(&shocked).filter(|(_, s)| **s).map(|(p, _)| p.to_string()).collect();
            let flows = fl
                .into_iter()
                .filter(|(e, i, ..)| e != i)
                .map(|(e, i, t, v, w)| {
                    let w = if withholding.contains(parties[e]) { w } else { 0.0 };
                    flow(parties[e], parties[i], t, v, w)
                })
                .collect();
            let production_t = parties.iter().zip(prod).map(|(p, a)| (p.to_string(), a)).collect();
            (Market { flows, production_t }, withholding)
        })
    }

    /// Pro-rata, or optimised with random preferred pairs (self-pairs included).
    fn arb_rule() -> impl Strategy<Value = Rule> {
        let parties = ["AAA", "BBB", "CCC", "DDD", "EEE"];
        prop_oneof![
            Just(Rule::ProRata),
            proptest::collection::btree_set((0usize..5, 0usize..5), 0..10).prop_map(move |set| Rule::Optimise(
                set.into_iter().map(|(a, b)| (parties[a].to_owned(), parties[b].to_owned())).collect()
            )),
        ]
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / a.abs().max(b.abs()).max(1.0)
    }

    proptest! {
        /// Conservation under both allocations: withheld = lost; received ≤ offered (in total
        /// and per supplier); received = supplied; residual = loss − received ≥ 0; suppliers
        /// in S offer nothing; displaced = redirected.
        #[test]
        fn conservation((market, shocked) in arb_market(), rule in arb_rule(), r in 0.0f64..=1.0, s in 0.0f64..=1.0, months in 0.0f64..36.0) {
            let o = simulate(&market, &shocked, &cap(r, s), &rule, months).unwrap();
            let withheld: f64 = o.suppliers.values().map(|x| x.withheld_t).sum();
            let lost: f64 = o.importers.values().map(|x| x.loss_t).sum();
            prop_assert!((withheld - lost).abs() <= 1e-9 * lost.max(1.0));
            let received: f64 = o.importers.values().map(|x| x.received_t).sum();
            let supplied: f64 = o.suppliers.values().map(|x| x.supplied_t).sum();
            prop_assert!(received <= o.total_offered_t * (1.0 + 1e-12) + 1e-9);
            prop_assert!(rel(received, supplied) <= 1e-9);
            // Both allocations cover min(L, A).
            prop_assert!(rel(received, o.total_loss_t.min(o.total_offered_t)) <= 1e-9);
            for i in o.importers.values() {
                prop_assert!(i.residual_t >= 0.0);
                prop_assert!((i.residual_t - (i.loss_t - i.received_t)).abs() <= 1e-9 * i.loss_t.max(1.0));
                prop_assert!(i.received_t <= i.loss_t);
                prop_assert!(i.received_preferred_t <= i.received_t * (1.0 + 1e-12));
                let from: f64 = i.received_from.values().sum();
                prop_assert!(rel(from, i.received_t) <= 1e-9);
            }
            for (p, x) in &o.suppliers {
                prop_assert!(x.supplied_t <= x.offered_t * (1.0 + 1e-12) + 1e-12);
                prop_assert!(x.redirected_t >= 0.0 && x.spare_t >= -1e-9 * x.supplied_t.max(1.0));
                if shocked.contains(p) { prop_assert_eq!(x.offered_t, 0.0); }
            }
            let displaced: f64 = o.importers.values().map(|x| x.displaced_t).sum();
            let redirected: f64 = o.suppliers.values().map(|x| x.redirected_t).sum();
            prop_assert!((displaced - redirected).abs() <= 1e-9 * redirected.max(1.0));
        }

        /// Optimised covers at least what pro-rata covers (the same min(L, A)); with no
        /// preferred pair it is pro-rata; the same input gives the same output.
        #[test]
        fn optimise_covers_at_least_pro_rata((market, shocked) in arb_market(), rule in arb_rule()) {
            let pro = simulate(&market, &shocked, &cap(0.1, 0.05), &Rule::ProRata, 12.0).unwrap();
            let opt = simulate(&market, &shocked, &cap(0.1, 0.05), &rule, 12.0).unwrap();
            let total = |o: &Outcome| o.importers.values().map(|x| x.received_t).sum::<f64>();
            prop_assert!(total(&opt) >= total(&pro) * (1.0 - 1e-9));
            prop_assert_eq!(&simulate(&market, &shocked, &cap(0.1, 0.05), &rule, 12.0).unwrap(), &opt);
            let none = simulate(&market, &shocked, &cap(0.1, 0.05), &Rule::Optimise(BTreeSet::new()), 12.0).unwrap();
            prop_assert_eq!(none, pro);
        }

        /// A zero shock (nothing withheld, or zero months) changes nothing, under both rules.
        #[test]
        fn zero_shock_changes_nothing((mut market, shocked) in arb_market(), rule in arb_rule(), r in 0.0f64..=1.0, s in 0.0f64..=1.0) {
            let zero_months = simulate(&market, &shocked, &cap(r, s), &rule, 0.0).unwrap();
            market.flows.iter_mut().for_each(|f| f.withheld = 0.0);
            let nothing_withheld = simulate(&market, &shocked, &cap(r, s), &rule, 12.0).unwrap();
            for o in [zero_months, nothing_withheld] {
                for i in o.importers.values() {
                    prop_assert_eq!(i.loss_t, 0.0);
                    prop_assert_eq!(i.received_t, 0.0);
                    prop_assert_eq!(i.displaced_t, 0.0);
                    prop_assert_eq!(i.residual_t, 0.0);
                }
                prop_assert!(o.suppliers.values().all(|x| x.supplied_t == 0.0 && x.withheld_t == 0.0));
            }
        }

        /// More withholding never reduces any importer's loss (both rules: the loss is the
        /// direct effect, before any allocation), nor the world's residual max(0, L − A), nor
        /// the largest residual share of any importer. Per importer, the residual never falls
        /// under pro-rata (`L_j (1 − min(1, A/L))` with A fixed). Under the optimised
        /// allocation it can: the largest residual share among partners is minimised, and
        /// the partners below it may be served by any of the optimal flows; when the inputs
        /// change, the solver may pick another of them (docs/methods.md §8, Checks).
        #[test]
        fn more_withholding_more_loss((market, shocked) in arb_market(), rule in arb_rule(), extra in 0.0f64..=1.0) {
            let base = simulate(&market, &shocked, &cap(0.1, 0.05), &rule, 12.0).unwrap();
            let mut more = market.clone();
            for f in more.flows.iter_mut().filter(|f| shocked.contains(&f.exporter)) {
                f.withheld += (1.0 - f.withheld) * extra;
            }
            let after = simulate(&more, &shocked, &cap(0.1, 0.05), &rule, 12.0).unwrap();
            for (k, i) in &base.importers {
                prop_assert!(after.importers[k].loss_t >= i.loss_t);
                if rule == Rule::ProRata {
                    prop_assert!(after.importers[k].residual_t >= i.residual_t * (1.0 - 1e-12) - 1e-9);
                }
            }
            let world = |o: &Outcome| o.importers.values().map(|x| x.residual_t).sum::<f64>();
            prop_assert!(world(&after) >= world(&base) * (1.0 - 1e-9) - 1e-6);
            let worst = |o: &Outcome| {
                o.importers.values().filter(|x| x.loss_t > 1e-6).map(|x| x.residual_t / x.loss_t).fold(0.0, f64::max)
            };
            prop_assert!(worst(&after) >= worst(&base) - 1e-6, "{} < {}", worst(&after), worst(&base));
        }
    }
}
