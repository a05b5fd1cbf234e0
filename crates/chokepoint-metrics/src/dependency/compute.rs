//! The assembly of the dependency rows: validate the request against the store, run the
//! queries, compute the figures with the pure functions, add second tier and rivals, rank.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;

use chokepoint_data::Manifest;
use chokepoint_model::Iso3;
use chokepoint_model::importer::ImporterSpec;

use super::figures::{self, Concentration, PartnerShare};
use super::items::{Item, resolve_items};
use super::query::{self, PartnerFlow, Side, UnitFlow};
use super::reference::{country_names, governance, production};
use super::*;

/// Per-unit, per-year, per-item totals and concentration on the basis.
#[derive(Debug, Clone)]
pub(super) struct Figures {
    pub(super) value_usd: f64,
    quantity_t: Option<f64>,
    value_without_quantity: f64,
    pub(super) conc: Concentration,
}

/// Compute the dependency rows of `req` over the store behind `ctx` (whose manifest is
/// `manifest`).
///
/// Errors: [`DependencyError::Usage`] for a country, year, material or HS6 code the store
/// does not know; [`DependencyError::Empty`] when no trade matches; query errors.
pub async fn dependency(ctx: &SessionContext, manifest: &Manifest, req: &DependencyRequest) -> Result<DependencyResult, DependencyError> {
    let mut notices = Vec::new();
    let available: BTreeSet<i32> = manifest.trade_years.keys().copied().collect();
    let (Some(&first), Some(&last)) = (available.first(), available.last()) else {
        return Err(DependencyError::Empty("the store holds no trade: run `chokepoint data setup` or `chokepoint ingest`".into()));
    };
    let years: BTreeSet<i32> = if req.years.is_empty() { BTreeSet::from([last]) } else { req.years.iter().copied().collect() };
    let missing: BTreeSet<i32> = years.iter().copied().filter(|y| !available.contains(y)).collect();
    if !missing.is_empty() {
        return Err(DependencyError::Usage(format!(
            "{} {} outside the data: the store has trade for {first}–{last}{}",
            if missing.len() == 1 { "year" } else { "years" },
            year_span(&missing) + if missing.len() == 1 { " is" } else { " are" },
            if available.len() as i32 == last - first + 1 {
                String::new()
            } else {
                " (with gaps; `chokepoint data info` lists them)".into()
            }
        )));
    }
    if req.importers.is_empty() {
        return Err(DependencyError::Usage("no importer given (e.g. --importer JPN,DEU,JPN+DEU)".into()));
    }

    let known: BTreeSet<String> =
        query::text_rows(ctx, "SELECT DISTINCT iso3 FROM countries").await?.into_iter().filter_map(|r| r[0].clone()).collect();
    for spec in &req.importers {
        check_countries(spec, &known)?;
    }
    // A group may not carry a country's name (`--groups` file with a group "JPN").
    let is_country = |name: &str| name.parse::<Iso3>().is_ok_and(|c| known.contains(c.as_str()));
    if let Some(clash) = req.groups.names().into_iter().find(|n| is_country(n)) {
        return Err(DependencyError::Usage(format!(
            "the group file (version {}) defines a group {clash}, which is also a country code: rename the group",
            req.groups.version
        )));
    }
    // The same unit twice is computed once (`DEU+JPN` is `JPN+DEU`, `JPN+JPN` is `JPN`).
    let mut importers: Vec<ImporterSpec> = Vec::new();
    let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
    for spec in &req.importers {
        if seen.insert(unit_key(spec)) {
            importers.push(spec.clone());
        }
    }
    let mut watch = Vec::new();
    for w in &req.watch {
        let code = w.parse::<Iso3>().map_err(|e| DependencyError::Usage(format!("watched supplier {w:?}: {e}")))?.to_string();
        if !known.contains(&code) {
            return Err(DependencyError::Usage(format!(
                "watched supplier {code} is not a country of the store (`chokepoint sql \"SELECT iso3, name FROM countries\"` lists them)"
            )));
        }
        if !watch.contains(&code) {
            watch.push(code);
        }
    }

    let items = resolve_items(ctx, &req.items, &mut notices).await?;
    let codes: BTreeSet<String> = items.iter().flat_map(|i| i.codes.iter().cloned()).collect();
    let needed: BTreeSet<i32> = years.iter().flat_map(|y| [*y, y - 5, y - 10]).filter(|y| available.contains(y)).collect();
    let members: Vec<BTreeMap<i32, BTreeSet<String>>> =
        importers.iter().map(|spec| needed.iter().map(|y| (*y, req.groups.members(spec, *y))).collect()).collect();
    for (spec, by_year) in importers.iter().zip(&members) {
        // Members the store does not know: an error when no member is known (a typo in a
        // group file), else a note (a store built from a release that lacks some countries).
        let all: BTreeSet<&String> = by_year.values().flatten().collect();
        let unknown: Vec<String> = all.iter().filter(|m| !known.contains(**m)).map(|m| (*m).clone()).collect();
        if !unknown.is_empty() && unknown.len() == all.len() {
            return Err(DependencyError::Usage(format!(
                "{spec}: the group file (version {}) lists {}, not a country of the store",
                req.groups.version,
                unknown.join(", ")
            )));
        }
        if !unknown.is_empty() {
            notices.push(format!("{spec}: members without any country code in the store (no trade counted): {}", unknown.join(", ")));
        }
        let empty: Vec<String> = years.iter().filter(|y| by_year[y].is_empty()).map(ToString::to_string).collect();
        if !empty.is_empty() {
            notices.push(format!("{spec} has no members in {} (group membership on 1 July)", empty.join(", ")));
        }
    }

    // Trade between members of a unit is not an import of the unit.
    let flows: Vec<UnitFlow> = query::unit_flows(ctx, &members, &needed, &codes).await?.into_iter().filter(|f| !f.internal).collect();
    let (figures, without_quantity) = unit_figures(&flows, &items, req.basis);
    let wgi = governance(ctx).await?;
    let production = production(ctx, &mut notices).await?;

    let mut rows = Vec::new();
    let mut without_imports = Vec::new();
    let mut no_quantity = Vec::new();
    let mut unscored_suppliers: BTreeSet<String> = BTreeSet::new();
    for (u, spec) in importers.iter().enumerate() {
        for &year in &years {
            for (i, item) in items.iter().enumerate() {
                let Some(f) = figures.get(&(u, year, i)) else {
                    if let Some(v) = without_quantity.get(&(u, year, i)) {
                        no_quantity.push(format!("{spec} {year} {} ({:.0} USD)", item.label(), v));
                    } else {
                        without_imports.push(format!("{spec} {year} {}", item.label()));
                    }
                    continue;
                };
                let c = &f.conc;
                let wgi_year = figures::nearest_year(wgi.keys().copied(), year);
                let (risk, unscored) = match wgi_year {
                    Some(wy) => {
                        let (r, u) = figures::import_risk(&c.ranked, &wgi[&wy]);
                        for p in c.ranked.iter().filter(|p| p.share > UNSCORED_NOTE_SHARE && !wgi[&wy].contains_key(&p.country)) {
                            unscored_suppliers.insert(p.country.clone());
                        }
                        (Some(r), Some(u))
                    }
                    None => (None, None),
                };
                let prod = item.production_material.as_ref().and_then(|m| production.amounts.get(m));
                let production_year = prod.and_then(|p| figures::nearest_year(p.keys().copied(), year));
                let prod_conc = production_year.and_then(|py| prod.and_then(|p| figures::concentration(&p[&py])));
                let earlier = |back: i32| figures.get(&(u, year - back, i)).map(|old| &old.conc);
                let change = |back: i32| earlier(back).map(|old| (c.top_share - old.top_share, c.hhi - old.hhi));
                let (c5, c10) = (change(5), change(10));
                let mut flags = Vec::new();
                if c.top_share > req.thresholds.top_share {
                    flags.push(format!("top_share>{}", req.thresholds.top_share));
                }
                if c.hhi > req.thresholds.hhi {
                    flags.push(format!("hhi>{}", req.thresholds.hhi));
                }
                if req.hubs.contains(c.top()) {
                    flags.push("hub_top_supplier".to_owned());
                }
                rows.push(DependencyRow {
                    importer: spec.to_string(),
                    members: members[u][&year].iter().cloned().collect(),
                    year,
                    material: item.material.clone(),
                    hs6: item.codes.clone(),
                    basis: req.basis,
                    import_value_usd: f.value_usd,
                    import_quantity_t: f.quantity_t,
                    value_share_without_quantity: if f.value_usd > 0.0 { f.value_without_quantity / f.value_usd } else { 0.0 },
                    supplier_count: c.count,
                    top_supplier: c.top().to_owned(),
                    top_share: c.top_share,
                    top3_share: c.top3_share,
                    hhi: c.hhi,
                    watch_shares: watch.iter().map(|w| (w.clone(), c.share_of(w))).collect(),
                    import_risk_wgi: risk,
                    import_risk_unscored_share: unscored,
                    wgi_year,
                    production_hhi: prod_conc.as_ref().map(|p| p.hhi),
                    top_producer: prod_conc.as_ref().map(|p| p.top().to_owned()),
                    top_producer_share: prod_conc.as_ref().map(|p| p.top_share),
                    production_year: prod_conc.as_ref().and(production_year),
                    top_share_change_5y: c5.map(|c| c.0),
                    hhi_change_5y: c5.map(|c| c.1),
                    top_share_change_10y: c10.map(|c| c.0),
                    hhi_change_10y: c10.map(|c| c.1),
                    top_supplier_5y_ago: earlier(5).map(|o| o.top().to_owned()),
                    top_share_5y_ago: earlier(5).map(|o| o.top_share),
                    top_supplier_10y_ago: earlier(10).map(|o| o.top().to_owned()),
                    top_share_10y_ago: earlier(10).map(|o| o.top_share),
                    flags,
                    hub_suppliers: Vec::new(),
                    rivals: Vec::new(),
                });
            }
        }
    }
    if rows.is_empty() {
        let who: Vec<String> = importers.iter().map(ToString::to_string).collect();
        let what: Vec<String> = items.iter().map(Item::label).collect();
        let traded: BTreeSet<&str> = flows.iter().map(|f| f.hs6.as_str()).collect();
        let untraded: Vec<&str> = codes.iter().map(String::as_str).filter(|c| !traded.contains(c)).collect();
        let mut msg = if no_quantity.is_empty() {
            format!("no imports found for {} of {} in {}", who.join(", "), what.join(", "), year_span(&years))
        } else {
            format!(
                "imports found but no quantity reported for any of them, so no shares on quantity basis: {} (use --basis value)",
                no_quantity.join("; ")
            )
        };
        if !untraded.is_empty() && no_quantity.is_empty() {
            msg.push_str(&format!(
                ". HS6 {} has no trade into these importers in these years; the default dataset holds only the HS6 codes of its materials (`chokepoint sql \"SELECT DISTINCT hs6 FROM trade\"`); ingest a full BACI release for others",
                untraded.join(", ")
            ));
        }
        return Err(DependencyError::Empty(msg));
    }
    if !no_quantity.is_empty() {
        notices.push(format!("imports without any reported quantity, left out on quantity basis: {}", no_quantity.join("; ")));
    }
    if !unscored_suppliers.is_empty() {
        let names = country_names(ctx).await?;
        let list: Vec<String> = unscored_suppliers.iter().map(|c| format!("{c} ({})", names.get(c).map_or("?", String::as_str))).collect();
        notices.push(format!(
            "no WGI score for suppliers holding more than {:.0}% of some row, left out of import_risk_wgi (see import_risk_unscored_share): {}",
            UNSCORED_NOTE_SHARE * 100.0,
            list.join(", ")
        ));
    }
    if req.min_import_usd > 0.0 {
        let before = rows.len();
        rows.retain(|r| r.import_value_usd >= req.min_import_usd);
        let dropped = before - rows.len();
        if dropped > 0 {
            notices.push(format!("{dropped} rows with imports below {} USD left out (--min-import-usd)", req.min_import_usd));
        }
        if rows.is_empty() {
            return Err(DependencyError::Empty(format!("every row has imports below {} USD (--min-import-usd)", req.min_import_usd)));
        }
    }
    if !without_imports.is_empty() {
        let n = without_imports.len();
        let shown: Vec<&str> = without_imports.iter().take(8).map(String::as_str).collect();
        notices.push(format!(
            "{n} importer × item × year combination{} without imports, left out: {}{}",
            if n == 1 { "" } else { "s" },
            shown.join("; "),
            if n > 8 { "; …" } else { "" }
        ));
    }

    let item_index: BTreeMap<String, usize> = items.iter().enumerate().map(|(i, it)| (it.label(), i)).collect();
    let row_item = |r: &DependencyRow| item_index[&r.material.clone().unwrap_or_else(|| format!("HS {}", r.hs6[0]))];

    // Second tier (the hub's own suppliers) and rivals (the top supplier's customers): one
    // query each, restricted to the (year, country, HS6) keys the rows need.
    let tiers = [(Side::Importer, Tier::Hub), (Side::Exporter, Tier::Rivals)];
    for (side, tier) in tiers {
        let wants = |r: &DependencyRow| match tier {
            Tier::Hub => req.hubs.contains(&r.top_supplier),
            Tier::Rivals => req.rivals && !r.flags.is_empty(),
        };
        let wanted: BTreeSet<(i32, String, usize)> =
            rows.iter().filter(|r| wants(r)).map(|r| (r.year, r.top_supplier.clone(), row_item(r))).collect();
        if wanted.is_empty() {
            continue;
        }
        let keys: BTreeSet<(i32, String, String)> =
            wanted.iter().flat_map(|(y, c, i)| items[*i].codes.iter().map(move |code| (*y, c.clone(), code.clone()))).collect();
        let flows = query::partner_flows(ctx, side, &keys).await?;
        let by_key = partner_concentration(&flows, &items, req.basis, &wanted);
        let size = if tier == Tier::Hub { HUB_TIER_SIZE } else { RIVALS_SIZE };
        for r in rows.iter_mut().filter(|r| wants(r)) {
            if let Some(c) = by_key.get(&(r.year, r.top_supplier.clone(), row_item(r))) {
                let top: Vec<PartnerShare> = c.ranked.iter().take(size).cloned().collect();
                if tier == Tier::Hub {
                    r.hub_suppliers = top;
                } else {
                    r.rivals = top;
                }
            }
        }
    }

    // Ranked: per importer (in the order given) and year, most concentrated first.
    let order: BTreeMap<String, usize> = importers.iter().enumerate().map(|(i, s)| (s.to_string(), i)).collect();
    rows.sort_by(|a, b| {
        order[&a.importer]
            .cmp(&order[&b.importer])
            .then(a.year.cmp(&b.year))
            .then(b.hhi.total_cmp(&a.hhi))
            .then(b.top_share.total_cmp(&a.top_share))
            .then(a.material.cmp(&b.material))
            .then(a.hs6.cmp(&b.hs6))
    });

    let mut totals = Vec::new();
    for (u, spec) in importers.iter().enumerate() {
        for &year in &years {
            let mut total = 0.0;
            let mut watched: BTreeMap<String, f64> = watch.iter().map(|w| (w.clone(), 0.0)).collect();
            for f in flows.iter().filter(|f| f.unit == u && f.year == year && !f.hs6.starts_with("27")) {
                let amount = f.value_usd;
                total += amount;
                if let Some(w) = watched.get_mut(&f.exporter) {
                    *w += amount;
                }
            }
            if total > 0.0 {
                totals.push(UnitTotal {
                    importer: spec.to_string(),
                    year,
                    hs6_count: codes.iter().filter(|c| !c.starts_with("27")).count(),
                    import_value_usd: total,
                    watch_shares: watched.into_iter().map(|(w, a)| (w, a / total)).collect(),
                });
            }
        }
    }

    let provenance = Provenance {
        method: METHOD.to_owned(),
        basis: req.basis,
        thresholds: req.thresholds,
        years: years.iter().copied().collect(),
        watch,
        members: importers
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_composite())
            .map(|(u, s)| (s.to_string(), years.iter().map(|y| (*y, members[u][y].iter().cloned().collect())).collect()))
            .collect(),
        country_groups_version: req.groups.version.clone(),
        hubs: req.hubs.codes(),
        hubs_version: req.hubs.version.clone(),
        sources: manifest
            .sources
            .iter()
            .map(|s| SourceRef { name: s.name.clone(), release: s.release.clone(), sha256: s.sha256.clone() })
            .collect(),
        rules: vec![
            format!("shares on {} basis ({}); a coalition or group is one importer, trade between its members is dropped; group membership on 1 July of each year", req.basis, match req.basis { Basis::Value => "import value, USD", Basis::Quantity => "import quantity, tonnes; flows without a quantity left out" }),
            "a material sums its main and complementary HS6 codes (World Mining Data HS Code Map)".to_owned(),
            "import_risk_wgi = Σ share × normalised WGI-PV (0 most stable, 1 least) of the same year or the nearest; unscored suppliers left out".to_owned(),
            "production HHI and top producer: World Mining Data, same year or the nearest available".to_owned(),
            format!("flags: top supplier share > {} ({}); HHI > {} ({}); hub top supplier ({})", req.thresholds.top_share, req.thresholds.top_share_source(), req.thresholds.hhi, req.thresholds.hhi_source(), req.hubs.codes().join(", ")),
            "changes: figure of the year minus the same figure 5 or 10 years earlier, with the importer's membership of that year; the top supplier may differ (top_supplier_10y_ago)".to_owned(),
        ],
    };
    Ok(DependencyResult { rows, totals, provenance, notices })
}

/// The parts a unit is made of, sorted: equal for `JPN+DEU`, `DEU+JPN` and `DEU+JPN+JPN`.
pub fn unit_key(spec: &ImporterSpec) -> Vec<String> {
    fn parts(spec: &ImporterSpec, out: &mut BTreeSet<String>) {
        match spec {
            ImporterSpec::Coalition(ps) => ps.iter().for_each(|p| parts(p, out)),
            other => {
                out.insert(other.to_string());
            }
        }
    }
    let mut out = BTreeSet::new();
    parts(spec, &mut out);
    out.into_iter().collect()
}

pub(crate) fn check_countries(spec: &ImporterSpec, known: &BTreeSet<String>) -> Result<(), DependencyError> {
    match spec {
        ImporterSpec::Country(c) if !known.contains(c.as_str()) => Err(DependencyError::Usage(format!(
            "importer {c} is not a country of the store (`chokepoint sql \"SELECT iso3, name FROM countries\"` lists them)"
        ))),
        ImporterSpec::Coalition(parts) => parts.iter().try_for_each(|p| check_countries(p, known)),
        _ => Ok(()),
    }
}

/// Years as runs: `1995–2024`, `1900–1994, 2025–2100`, `2012, 2017`.
fn year_span(years: &BTreeSet<i32>) -> String {
    let mut runs: Vec<(i32, i32)> = Vec::new();
    for &y in years {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == y => *end = y,
            _ => runs.push((y, y)),
        }
    }
    runs.iter()
        .map(|&(a, b)| match b - a {
            0 => a.to_string(),
            1 => format!("{a}, {b}"),
            _ => format!("{a}–{b}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Aggregate HS6-level unit flows to items and compute their concentration.
/// Also returns the keys with imports by value but no quantity at all (no shares on
/// quantity basis), with their value in USD. Flows come sorted from the query, so the sums
/// are taken in a fixed order.
#[allow(clippy::type_complexity)]
pub(super) fn unit_figures(
    flows: &[UnitFlow],
    items: &[Item],
    basis: Basis,
) -> (BTreeMap<(usize, i32, usize), Figures>, BTreeMap<(usize, i32, usize), f64>) {
    let mut by_code: BTreeMap<(usize, i32, &str), Vec<&UnitFlow>> = BTreeMap::new();
    for f in flows {
        by_code.entry((f.unit, f.year, f.hs6.as_str())).or_default().push(f);
    }
    let keys: BTreeSet<(usize, i32)> = flows.iter().map(|f| (f.unit, f.year)).collect();
    let mut out = BTreeMap::new();
    let mut without_quantity = BTreeMap::new();
    for (unit, year) in keys {
        for (i, item) in items.iter().enumerate() {
            let mut amounts: BTreeMap<String, f64> = BTreeMap::new();
            let (mut value, mut quantity, mut without) = (0.0, None::<f64>, 0.0);
            for code in &item.codes {
                for f in by_code.get(&(unit, year, code.as_str())).into_iter().flatten() {
                    value += f.value_usd;
                    without += f.value_usd_without_quantity;
                    if let Some(q) = f.quantity_t {
                        *quantity.get_or_insert(0.0) += q;
                    }
                    let amount = match basis {
                        Basis::Value => f.value_usd,
                        Basis::Quantity => f.quantity_t.unwrap_or(0.0),
                    };
                    *amounts.entry(f.exporter.clone()).or_insert(0.0) += amount;
                }
            }
            if let Some(conc) = figures::concentration(&amounts) {
                out.insert((unit, year, i), Figures { value_usd: value, quantity_t: quantity, value_without_quantity: without, conc });
            } else if value > 0.0 {
                without_quantity.insert((unit, year, i), value);
            }
        }
    }
    (out, without_quantity)
}

/// Partner concentration per wanted (year, key country, item). Flows come sorted from
/// the query, so the sums are taken in a fixed order.
fn partner_concentration(
    flows: &[PartnerFlow],
    items: &[Item],
    basis: Basis,
    wanted: &BTreeSet<(i32, String, usize)>,
) -> BTreeMap<(i32, String, usize), Concentration> {
    let mut items_of_code: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        for c in &item.codes {
            items_of_code.entry(c.as_str()).or_default().push(i);
        }
    }
    let mut amounts: BTreeMap<(i32, String, usize), BTreeMap<String, f64>> = BTreeMap::new();
    for f in flows {
        let amount = match basis {
            Basis::Value => f.value_usd,
            Basis::Quantity => f.quantity_t.unwrap_or(0.0),
        };
        for &i in items_of_code.get(f.hs6.as_str()).into_iter().flatten() {
            let key = (f.year, f.country.clone(), i);
            if wanted.contains(&key) {
                *amounts.entry(key).or_default().entry(f.partner.clone()).or_insert(0.0) += amount;
            }
        }
    }
    amounts.into_iter().filter_map(|(k, a)| figures::concentration(&a).map(|c| (k, c))).collect()
}

#[cfg(test)]
mod unit_tests {
    use super::*;
    use chokepoint_model::importer::CountryGroups;

    #[test]
    fn year_spans() {
        let set = |v: &[i32]| v.iter().copied().collect::<BTreeSet<i32>>();
        assert_eq!(year_span(&set(&[1995, 1996, 1997])), "1995–1997");
        assert_eq!(year_span(&set(&[2012, 2017])), "2012, 2017");
        assert_eq!(year_span(&set(&[1993, 1994, 2025, 2026, 2027])), "1993, 1994, 2025–2027");
        assert_eq!(year_span(&set(&[])), "");
    }

    #[test]
    fn unit_keys_ignore_order_and_repeats() {
        let g = CountryGroups::builtin();
        let key = |s: &str| unit_key(&g.parse_importer(s).unwrap());
        assert_eq!(key("JPN+DEU"), key("DEU+JPN"));
        assert_eq!(key("JPN+JPN"), key("JPN"));
        assert_ne!(key("EU27+DEU"), key("EU27"));
    }
}
