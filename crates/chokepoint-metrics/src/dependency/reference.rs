//! The small reference tables the figures need: country names, normalised WGI-PV by year,
//! world production by material and year.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;

use super::{DependencyError, query};

/// Country names by ISO3 (`countries` table).
pub async fn country_names(ctx: &SessionContext) -> Result<BTreeMap<String, String>, DependencyError> {
    Ok(query::text_rows(ctx, "SELECT iso3, min(name) FROM countries GROUP BY iso3")
        .await?
        .into_iter()
        .filter_map(|r| Some((r[0].clone()?, r[1].clone()?)))
        .collect())
}

/// Normalised WGI-PV by year and ISO3 (`governance` table).
pub async fn governance(ctx: &SessionContext) -> Result<BTreeMap<i32, BTreeMap<String, f64>>, DependencyError> {
    let rows =
        query::text_rows(ctx, "SELECT year, country, normalized FROM governance WHERE indicator = 'PV' AND normalized IS NOT NULL").await?;
    let mut out: BTreeMap<i32, BTreeMap<String, f64>> = BTreeMap::new();
    for r in rows {
        if let (Some(y), Some(c), Some(g)) = (&r[0], &r[1], &r[2]) {
            if let (Ok(y), Ok(g)) = (y.parse(), g.parse()) {
                out.entry(y).or_default().insert(c.clone(), g);
            }
        }
    }
    Ok(out)
}

/// World production by material (World Mining Data, `production` table): amounts by year
/// and ISO3, and the one unit they are in.
pub struct Production {
    /// material → year → ISO3 → amount (in `units[material]`), amounts > 0 only.
    pub amounts: BTreeMap<String, BTreeMap<i32, BTreeMap<String, f64>>>,
    /// material → unit (`metr. t`, `kg`, `ct`, `Mio m3`).
    pub units: BTreeMap<String, String>,
}

/// Read the production table. A material reported in several units is left out with a note
/// (never add across units).
pub async fn production(ctx: &SessionContext, notices: &mut Vec<String>) -> Result<Production, DependencyError> {
    let rows = query::text_rows(ctx, "SELECT material, year, country, amount, unit FROM production WHERE amount > 0").await?;
    let mut amounts: BTreeMap<String, BTreeMap<i32, BTreeMap<String, f64>>> = BTreeMap::new();
    let mut units: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows {
        if let (Some(m), Some(y), Some(c), Some(a)) = (&r[0], &r[1], &r[2], &r[3]) {
            if let (Ok(y), Ok(a)) = (y.parse(), a.parse::<f64>()) {
                *amounts.entry(m.clone()).or_default().entry(y).or_default().entry(c.clone()).or_insert(0.0) += a;
                units.entry(m.clone()).or_default().insert(r[4].clone().unwrap_or_default());
            }
        }
    }
    let mut single = BTreeMap::new();
    for (m, u) in units {
        if u.len() > 1 {
            notices.push(format!(
                "{m}: production reported in several units ({}); no production figures",
                u.into_iter().collect::<Vec<_>>().join(", ")
            ));
            amounts.remove(&m);
        } else if let Some(unit) = u.into_iter().next() {
            single.insert(m, unit);
        }
    }
    Ok(Production { amounts, units: single })
}

/// WGI-PV estimates (−2.5…+2.5) by year and ISO3 (`governance.estimate`).
pub(crate) async fn wgi_estimates(ctx: &SessionContext) -> Result<BTreeMap<i32, BTreeMap<String, f64>>, DependencyError> {
    let rows =
        query::text_rows(ctx, "SELECT year, country, estimate FROM governance WHERE indicator = 'PV' AND estimate IS NOT NULL").await?;
    let mut out: BTreeMap<i32, BTreeMap<String, f64>> = BTreeMap::new();
    for r in rows {
        if let (Some(y), Some(c), Some(e)) = (&r[0], &r[1], &r[2])
            && let (Ok(y), Ok(e)) = (y.parse(), e.parse())
        {
            out.entry(y).or_default().insert(c.clone(), e);
        }
    }
    Ok(out)
}

/// Supply-chain stage by material (`materials.stage`; empty when the map has none).
pub(crate) async fn stages(ctx: &SessionContext) -> Result<BTreeMap<String, String>, DependencyError> {
    Ok(query::text_rows(ctx, "SELECT material, stage FROM materials")
        .await?
        .into_iter()
        .filter_map(|r| Some((r[0].clone()?, r[1].clone().unwrap_or_default())))
        .collect())
}
