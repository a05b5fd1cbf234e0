//! The baseline market of a scenario: the world's bilateral trade of the scenario's HS6
//! codes in the baseline year (`trade`: USD and tonnes), and production in tonnes (World
//! Mining Data, `production`), read from the store; and [`market`], which merges a
//! reporting unit's members into one party (trade between them dropped) and marks the
//! withheld flows.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;

use chokepoint_metrics::dependency::query::{BilateralFlow, bilateral_flows, text_rows};
use chokepoint_metrics::dependency::reference::Production;
use chokepoint_metrics::geopolrisk::compute::tonnes_per_unit;

use crate::ScenarioError;
use crate::model::{Flow, Market};

/// One material (or HS6 product) of a scenario in its baseline year.
#[derive(Debug, Clone, PartialEq)]
pub struct MaterialBaseline {
    /// Material name, or `HS 811292` for a single product.
    pub label: String,
    /// HS6 codes summed (main, then complementary).
    pub codes: Vec<String>,
    /// Bilateral flows of those codes in the baseline year.
    pub flows: Vec<BilateralFlow>,
    /// Production by ISO3, tonnes per year (empty when the material has none).
    pub production_t: BTreeMap<String, f64>,
    /// The production year used (nearest to the baseline, the earlier of two), if any.
    pub production_year: Option<i32>,
}

/// The latest year of the `trade` table.
pub async fn latest_trade_year(ctx: &SessionContext) -> Result<i32, ScenarioError> {
    let rows = text_rows(ctx, "SELECT max(year) FROM trade").await?;
    rows.first()
        .and_then(|r| r[0].as_deref())
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| ScenarioError::Usage("the store has no trade".into()))
}

/// Years of the `trade` table.
pub async fn trade_years(ctx: &SessionContext) -> Result<BTreeSet<i32>, ScenarioError> {
    Ok(text_rows(ctx, "SELECT DISTINCT year FROM trade").await?.into_iter().filter_map(|r| r[0].as_deref()?.parse().ok()).collect())
}

/// The production of `material` in tonnes in the year nearest to `year` (the earlier of two
/// equally near; METHODS.md §1), and that year. Empty when the material has no production
/// or an unknown unit.
pub fn production_t(production: &Production, material: Option<&str>, year: i32) -> (BTreeMap<String, f64>, Option<i32>) {
    let Some(m) = material else { return (BTreeMap::new(), None) };
    let (Some(by_year), Some(per_unit)) = (production.amounts.get(m), production.units.get(m).and_then(|u| tonnes_per_unit(u))) else {
        return (BTreeMap::new(), None);
    };
    let Some(&y) = by_year.keys().min_by_key(|&&y| ((y - year).abs(), y)) else { return (BTreeMap::new(), None) };
    (by_year[&y].iter().map(|(c, a)| (c.clone(), a * per_unit)).collect(), Some(y))
}

/// Read one material's baseline.
pub async fn material_baseline(
    ctx: &SessionContext,
    label: String,
    codes: Vec<String>,
    production: &Production,
    production_material: Option<&str>,
    year: i32,
) -> Result<MaterialBaseline, ScenarioError> {
    let set: BTreeSet<String> = codes.iter().cloned().collect();
    let flows = bilateral_flows(ctx, year, &set).await?;
    let (production_t, production_year) = production_t(production, production_material, year);
    Ok(MaterialBaseline { label, codes, flows, production_t, production_year })
}

/// What the shock hits.
#[derive(Debug, Clone, PartialEq)]
pub struct ShockSpec {
    /// Withholding countries (ISO3).
    pub suppliers: BTreeSet<String>,
    /// Destinations hit (ISO3); `None` = all.
    pub destinations: Option<BTreeSet<String>>,
    /// Share withheld, 0–1.
    pub fraction: f64,
}

/// The market seen by one reporting unit: the unit's `members` are one party named `unit`
/// (trade between members dropped: it is not at risk, as in the dependency table), every
/// other country a party of its own. A flow is withheld by `fraction` when its exporter is a
/// shocked supplier and its importer a hit destination. Returns the market and the
/// withholding parties.
pub fn market(base: &MaterialBaseline, unit: &str, members: &BTreeSet<String>, shock: &ShockSpec) -> (Market, BTreeSet<String>) {
    let (m, w, _) = market_with_origins(base, unit, members, shock);
    (m, w)
}

/// [`market`], with the index into `base.flows` of each market flow (the Monte Carlo needs
/// the exporting country of each withheld flow).
pub fn market_with_origins(
    base: &MaterialBaseline,
    unit: &str,
    members: &BTreeSet<String>,
    shock: &ShockSpec,
) -> (Market, BTreeSet<String>, Vec<usize>) {
    let party = |c: &str| if members.contains(c) { unit.to_owned() } else { c.to_owned() };
    let mut flows = Vec::with_capacity(base.flows.len());
    let mut origins = Vec::with_capacity(base.flows.len());
    for (k, f) in base.flows.iter().enumerate() {
        let (e, i) = (party(&f.exporter), party(&f.importer));
        if e == i {
            continue;
        }
        let hit = shock.suppliers.contains(&f.exporter) && shock.destinations.as_ref().is_none_or(|d| d.contains(&f.importer));
        flows.push(Flow {
            exporter: e,
            importer: i,
            tonnes: f.quantity_t.unwrap_or(0.0),
            value_usd: f.value_usd,
            withheld: if hit { shock.fraction } else { 0.0 },
        });
        origins.push(k);
    }
    let mut production_t: BTreeMap<String, f64> = BTreeMap::new();
    for (c, a) in &base.production_t {
        *production_t.entry(party(c)).or_default() += a;
    }
    let withholding = shock.suppliers.iter().map(|s| party(s)).collect();
    (Market { flows, production_t }, withholding, origins)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bf(e: &str, i: &str, v: f64, q: Option<f64>) -> BilateralFlow {
        BilateralFlow { exporter: e.into(), importer: i.into(), hs6: "280530".into(), value_usd: v, quantity_t: q }
    }

    #[test]
    fn unit_merges_members_and_drops_internal_trade() {
        let base = MaterialBaseline {
            label: "X".into(),
            codes: vec!["280530".into()],
            flows: vec![
                bf("CHN", "JPN", 10.0, Some(1.0)),
                bf("CHN", "DEU", 20.0, Some(2.0)),
                bf("DEU", "JPN", 5.0, Some(0.5)),
                bf("CHN", "USA", 7.0, None),
            ],
            production_t: BTreeMap::from([("JPN".into(), 3.0), ("DEU".into(), 4.0), ("CHN".into(), 100.0)]),
            production_year: Some(2022),
        };
        let members = BTreeSet::from(["JPN".into(), "DEU".into()]);
        let shock = ShockSpec {
            suppliers: BTreeSet::from(["CHN".into()]),
            destinations: Some(BTreeSet::from(["JPN".into(), "USA".into()])),
            fraction: 0.5,
        };
        let (m, w) = market(&base, "JPN+DEU", &members, &shock);
        assert_eq!(w, BTreeSet::from(["CHN".to_owned()]));
        assert_eq!(m.flows.len(), 3);
        assert_eq!((m.flows[0].importer.as_str(), m.flows[0].withheld), ("JPN+DEU", 0.5));
        // DEU is not a destination: its flow from CHN is not hit.
        assert_eq!((m.flows[1].importer.as_str(), m.flows[1].withheld), ("JPN+DEU", 0.0));
        assert_eq!((m.flows[2].importer.as_str(), m.flows[2].tonnes, m.flows[2].withheld), ("USA", 0.0, 0.5));
        assert_eq!(m.production_t["JPN+DEU"], 7.0);
    }
}
