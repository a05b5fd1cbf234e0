//! The strategic-dependency screen on the mini bundle (`chokepoint_data::fixtures`) plus the
//! rows added below. Every expected value is computed by hand from the listed amounts
//! (thousands of USD in the source, USD in the figures).

use std::path::PathBuf;
use std::sync::OnceLock;

use chokepoint_data::fixtures::MiniBundle;
use chokepoint_data::{Store, session};
use chokepoint_metrics::dependency::DependencyError;
use chokepoint_metrics::explain::Cell;
use chokepoint_metrics::kernels::Engine;
use chokepoint_metrics::screen::{Persistence, ProductScope, ScreenRequest, ScreenResult, ScreenRow, Thresholds, screen};
use chokepoint_model::importer::CountryGroups;

/// Rows added to the mini bundle's `baci_trade` (t, i, j, k, v in k USD, q in t).
/// BACI codes: 36 AUS, 156 CHN, 276 DEU, 392 JPN, 842 USA.
///
/// With the bundle's own 2022 rows (CHN→JPN 300, AUS→JPN 100, S19(TWN)→JPN 20.5,
/// CHN→DEU 50.25, NLD→DEU 29.141 of 280530; USA→DEU 7 of 284690; JPN→DEU 0.001 of 010111),
/// 2022 holds:
/// - 280530: JPN imports CHN 300, AUS 100, TWN 20.5, DEU 20; DEU imports CHN 50.25,
///   NLD 29.141; DEU exports 20 to JPN and 40 to USA. World exports: CHN 350.25, AUS 100,
///   TWN 20.5, NLD 29.141, DEU 60.
/// - 284690: DEU imports USA 7 and JPN 20. World exports: USA 7, JPN 20.
/// - 260400: JPN imports AUS 10 and exports 40 to CHN.
/// - 010111: DEU imports JPN 0.001.
///
/// 280530 into JPN in 2020 (CHN 80, AUS 20: concentrated) and 2021 (CHN, AUS, USA 30 each:
/// HHI 1/3) make the persistence window.
const EXTRA_TRADE: &str = "
INSERT INTO baci_trade VALUES
 ('2020', '156', '392', 280530, '80', '8'),
 ('2020', '36', '392', 280530, '20', '2'),
 ('2021', '156', '392', 280530, '30', '3'),
 ('2021', '36', '392', 280530, '30', '3'),
 ('2021', '842', '392', 280530, '30', '3'),
 ('2022', '276', '392', 280530, '20', '2'),
 ('2022', '276', '842', 280530, '40', '4'),
 ('2022', '392', '276', 284690, '20', '2'),
 ('2022', '36', '392', 260400, '10', '1'),
 ('2022', '392', '156', 260400, '40', '4');
";

fn data_dir() -> &'static PathBuf {
    static DATA: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DATA.get_or_init(|| MiniBundle::ingested(EXTRA_TRADE)).1
}

fn request(importers: &[&str], scope: ProductScope, years: &[i32]) -> ScreenRequest {
    let groups = CountryGroups::builtin();
    ScreenRequest {
        importers: importers.iter().map(|i| groups.parse_importer(i).unwrap()).collect(),
        groups,
        scope,
        years: years.to_vec(),
        thresholds: Thresholds::default(),
        persistence: Persistence::default(),
        explain: false,
        engine: Engine::Kernel,
    }
}

/// Screen with both engines, assert that they agree bit for bit (rows, summaries, notices,
/// explanations: their `Debug` text writes every float exactly), return the kernel's result.
fn run(req: &ScreenRequest) -> Result<ScreenResult, DependencyError> {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let [kernel, sql] = [Engine::Kernel, Engine::Sql].map(|engine| {
        rt.block_on(async {
            let store = Store::open(data_dir()).unwrap();
            let ctx = session(&store).await.unwrap();
            screen(&ctx, &store, &ScreenRequest { engine, ..req.clone() }).await
        })
    });
    match (&kernel, &sql) {
        (Ok(k), Ok(s)) => {
            assert_eq!(format!("{k:?}"), format!("{s:?}"), "kernel and SQL engines differ");
        }
        (Err(k), Err(s)) => assert_eq!(k.to_string(), s.to_string()),
        _ => panic!("one engine failed: kernel {:?}, sql {:?}", kernel.as_ref().err(), sql.as_ref().err()),
    }
    kernel
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0), "{a} vs {b}");
}

fn hhi(v: &[f64]) -> f64 {
    let t: f64 = v.iter().sum();
    v.iter().map(|x| (x / t) * (x / t)).sum()
}

fn row<'a>(r: &'a ScreenResult, importer: &str, year: i32, hs6: &str) -> &'a ScreenRow {
    r.rows.iter().find(|x| x.importer == importer && x.year == year && x.hs6 == hs6).unwrap_or_else(|| panic!("{importer} {year} {hs6}"))
}

/// World exports of 280530 in 2022 (k USD): CHN 350.25, AUS 100, TWN 20.5, NLD 29.141, DEU 60.
fn world_280530_2022() -> [f64; 5] {
    [350.25, 100.0, 20.5, 29.141, 60.0]
}

#[test]
fn single_country_all_imports_are_extra_bloc() {
    let r = run(&request(&["JPN"], ProductScope::AllProducts, &[2022])).unwrap();
    // JPN imports 280530 and 260400 in 2022.
    assert_eq!(r.rows.iter().map(|x| x.hs6.as_str()).collect::<Vec<_>>(), ["280530", "260400"]);
    let x = row(&r, "JPN", 2022, "280530");
    assert_eq!(x.members, ["JPN"]);
    assert_eq!(x.product.as_deref(), Some("Rare-earth metals, scandium and yttrium"));
    close(x.extra_imports_usd, 440_500.0);
    assert_eq!(x.intra_imports_usd, 0.0);
    assert_eq!(x.extra_share, 1.0);
    let h = hhi(&[300.0, 100.0, 20.5, 20.0]);
    close(x.hhi_extra, h);
    close(h, 100_820.25 / 194_040.25);
    assert_eq!((x.top_supplier.as_str(), x.extra_supplier_count), ("CHN", 4));
    close(x.top_supplier_share, 300.0 / 440.5);
    // JPN exports no 280530 in 2022: the ratio is +∞ (null), criterion 3 holds.
    assert_eq!((x.extra_exports_usd, x.import_export_ratio, x.no_extra_exports), (0.0, None, true));
    close(x.world_exports_usd, 559_891.0);
    close(x.world_export_hhi, hhi(&world_280530_2022()));
    assert!(x.world_export_hhi > 0.4);
    assert_eq!(x.world_exporter_count, 5);
    assert!(x.crit_hhi_extra && x.crit_extra_share && x.crit_import_export_ratio && x.crit_world_export_hhi);
    assert!(x.dependent && x.dependent_geodep);
    assert_eq!(x.info.method, "screen");
    assert!(x.thresholds.contains("HHI_extra > 0.4") && x.thresholds.contains("persistence 2/3"), "{}", x.thresholds);
    // 260400: AUS 10 imported, 40 exported to CHN: ratio 0.25, not dependent.
    let n = row(&r, "JPN", 2022, "260400");
    assert_eq!(n.hhi_extra, 1.0);
    close(n.import_export_ratio.unwrap(), 0.25);
    assert!(!n.crit_import_export_ratio && !n.dependent && !n.dependent_geodep);
    close(n.world_export_hhi, (100.0 + 1600.0) / 2500.0);
}

#[test]
fn coalition_with_intra_bloc_trade() {
    let r = run(&request(&["JPN+DEU"], ProductScope::AllProducts, &[2022])).unwrap();
    // Dependent first, then by HHI_extra (260400 and 284690 both 1: by code).
    assert_eq!(r.rows.iter().map(|x| x.hs6.as_str()).collect::<Vec<_>>(), ["280530", "260400", "284690"]);
    // 280530: DEU→JPN 20 is intra-bloc; DEU→USA 40 is the only extra-bloc export.
    let x = row(&r, "JPN+DEU", 2022, "280530");
    assert_eq!(x.members, ["DEU", "JPN"]);
    let extra = [350.25, 100.0, 20.5, 29.141];
    close(x.extra_imports_usd, 499_891.0);
    close(x.intra_imports_usd, 20_000.0);
    close(x.extra_exports_usd, 40_000.0);
    close(x.extra_share, 499.891 / 519.891);
    close(x.import_export_ratio.unwrap(), 499.891 / 40.0);
    close(x.hhi_extra, hhi(&extra));
    close(x.top_supplier_share, 350.25 / 499.891);
    assert!(x.dependent && x.dependent_geodep);
    // 284690: extra USA 7, intra JPN→DEU 20: extra share 7/27 fails criterion 2, but the
    // world-export HHI (USA 7, JPN 20) passes GeoDep's.
    let y = row(&r, "JPN+DEU", 2022, "284690");
    close(y.extra_share, 7.0 / 27.0);
    close(y.world_export_hhi, (49.0 + 400.0) / 729.0);
    assert!(y.crit_hhi_extra && !y.crit_extra_share && y.crit_import_export_ratio && y.crit_world_export_hhi);
    assert!(!y.dependent && y.dependent_geodep);
    // 010111 comes only from a member (JPN→DEU): imported, not screened.
    assert!(!r.rows.iter().any(|x| x.hs6 == "010111"));
    let s = &r.summaries[0];
    assert_eq!((s.imported, s.screened, s.dependent, s.dependent_geodep), (4, 3, 1, 2));
    assert!(r.notices[0].starts_with("JPN+DEU 2022: 4 products imported, 3 with extra-bloc imports screened"), "{}", r.notices[0]);

    // EU27 (DEU and NLD trade in the fixture): NLD→DEU 29.141 is intra-bloc, DEU's exports
    // to JPN 20 and USA 40 are extra-bloc: ratio 50.25 / 60 < 1, not dependent.
    let r = run(&request(&["EU27"], ProductScope::Hs6(vec!["280530".into()]), &[2022])).unwrap();
    let e = row(&r, "EU27", 2022, "280530");
    assert_eq!(e.members.len(), 27);
    close(e.extra_imports_usd, 50_250.0);
    close(e.intra_imports_usd, 29_141.0);
    close(e.extra_exports_usd, 60_000.0);
    close(e.extra_share, 50.25 / 79.391);
    close(e.import_export_ratio.unwrap(), 50.25 / 60.0);
    assert_eq!(e.hhi_extra, 1.0);
    assert!(e.crit_hhi_extra && e.crit_extra_share && !e.crit_import_export_ratio && !e.dependent);
}

#[test]
fn persistence_and_year_to_year_churn() {
    let r = run(&request(&["JPN", "JPN+DEU"], ProductScope::Hs6(vec!["280530".into()]), &[2020, 2021, 2022])).unwrap();
    for unit in ["JPN", "JPN+DEU"] {
        // 2020: CHN 80, AUS 20 → HHI 0.68; world exports the same; no exports: held.
        let a = row(&r, unit, 2020, "280530");
        close(a.hhi_extra, 0.68);
        close(a.world_export_hhi, 0.68);
        assert!(a.dependent && a.dependent_geodep);
        // 2019 and 2018 are not in the data: 1 year of 3, not persistent; no previous year.
        assert_eq!((a.geodep_years_held, a.dependent_geodep_persistent, a.dependent_previous_year), (1, false, None));
        // 2021: three suppliers of 30: HHI 1/3, not held; window 2019–2021 holds 1.
        let b = row(&r, unit, 2021, "280530");
        close(b.hhi_extra, 1.0 / 3.0);
        assert!(!b.dependent && !b.dependent_geodep);
        assert_eq!((b.geodep_years_held, b.dependent_geodep_persistent, b.dependent_previous_year), (1, false, Some(true)));
        // 2022: held again, and in 2020: 2 of 3, persistent although 2021 did not hold.
        let c = row(&r, unit, 2022, "280530");
        assert!(c.dependent_geodep);
        assert_eq!((c.geodep_years_held, c.dependent_geodep_persistent, c.dependent_previous_year), (2, true, Some(false)));
    }
    let s = |unit: &str, year: i32| r.summaries.iter().find(|s| s.importer == unit && s.year == year).unwrap();
    assert_eq!((s("JPN", 2020).dependent_also_previous_year, s("JPN", 2020).dependent_no_longer), (None, None));
    assert_eq!((s("JPN", 2021).dependent, s("JPN", 2021).dependent_no_longer), (0, Some(1)));
    assert_eq!((s("JPN", 2022).dependent_also_previous_year, s("JPN", 2022).dependent_no_longer), (Some(0), Some(0)));
    assert_eq!(s("JPN", 2022).dependent_geodep_persistent, 1);
    assert!(r.notices.iter().any(|n| n == "JPN 2020: 1 products imported, 1 with extra-bloc imports screened; dependent (Commission) 1 (2019 not in the data); GeoDep 1 (2019 not in the data); GeoDep persistent (2/3 years) 0"), "{:#?}", r.notices);

    // Persistence from the previous years is read even when only 2022 is asked for.
    let only = run(&request(&["JPN"], ProductScope::Hs6(vec!["280530".into()]), &[2022])).unwrap();
    assert_eq!(only.rows.len(), 1);
    assert_eq!((only.rows[0].geodep_years_held, only.rows[0].dependent_geodep_persistent), (2, true));
    // A looser rule, 1 of 3: 2021 is persistent (2020 held); a stricter one, 3 of 3: 2022 is not.
    let mut loose = request(&["JPN"], ProductScope::Hs6(vec!["280530".into()]), &[2021, 2022]);
    loose.persistence = "1/3".parse().unwrap();
    let l = run(&loose).unwrap();
    assert!(row(&l, "JPN", 2021, "280530").dependent_geodep_persistent);
    loose.persistence = "3/3".parse().unwrap();
    assert!(!row(&run(&loose).unwrap(), "JPN", 2022, "280530").dependent_geodep_persistent);
    // A window of 1 is the single-year GeoDep flag.
    loose.persistence = "1/1".parse().unwrap();
    let one = run(&loose).unwrap();
    assert!(one.rows.iter().all(|x| x.dependent_geodep_persistent == x.dependent_geodep));
}

#[test]
fn thresholds_are_parameters() {
    let mut req = request(&["JPN+DEU"], ProductScope::AllProducts, &[2022]);
    // With an extra-share threshold of 0.25, 284690 (7/27 ≈ 0.259) passes criterion 2 too.
    req.thresholds.extra_share = 0.25;
    let r = run(&req).unwrap();
    assert!(row(&r, "JPN+DEU", 2022, "284690").dependent);
    assert!(row(&r, "JPN+DEU", 2022, "284690").thresholds.contains("extra share > 0.25"));
    // A ratio threshold above 12.497 (280530's 499.891 / 40) removes 280530.
    req.thresholds = Thresholds { import_export_ratio: 12.5, ..Thresholds::default() };
    let r = run(&req).unwrap();
    assert!(!row(&r, "JPN+DEU", 2022, "280530").dependent);
    req.thresholds.import_export_ratio = 12.49;
    assert!(row(&run(&req).unwrap(), "JPN+DEU", 2022, "280530").dependent);
    req.thresholds.hhi_extra = 2.0;
    assert!(matches!(run(&req), Err(DependencyError::Usage(m)) if m.contains("must be in 0–1")));
}

#[test]
fn materials_explanations_and_errors() {
    // Rare Earths (REO): 284690, 284610, 280530; 284610 has no trade.
    let mut req = request(&["JPN+DEU"], ProductScope::Materials(vec!["rare earths".into()]), &[2022]);
    req.explain = true;
    let r = run(&req).unwrap();
    assert_eq!(r.materials, [("Rare Earths (REO)".to_owned(), vec!["284690".to_owned(), "284610".to_owned(), "280530".to_owned()])]);
    assert_eq!(r.rows.iter().map(|x| x.hs6.as_str()).collect::<Vec<_>>(), ["280530", "284690"]);
    assert_eq!(r.explanations.len(), 2);
    let e = &r.explanations[0];
    assert!(e.title.contains("JPN+DEU") && e.title.contains("280530") && e.title.contains("2022"), "{}", e.title);
    let term = |s: &str| e.terms.iter().find(|t| t.symbol == s).unwrap_or_else(|| panic!("{s}")).value;
    close(term("M_extra").unwrap(), 499_891.0);
    close(term("M_intra").unwrap(), 20_000.0);
    close(term("X_extra").unwrap(), 40_000.0);
    close(term("W").unwrap(), 559_891.0);
    assert_eq!(term("1: HHI_extra > 0.4"), Some(1.0));
    assert_eq!(term("persistent (2/3)"), Some(1.0));
    // The supplier table: USD sums to M_extra, share² to HHI_extra.
    let num = |c: &Cell| match c {
        Cell::Number(v) => *v,
        other => panic!("not a number: {other:?}"),
    };
    let sup = &e.tables[0];
    assert_eq!(sup.rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), ["CHN", "AUS", "NLD", "TWN"].map(Cell::from));
    close(sup.rows.iter().map(|r| num(&r[1])).sum::<f64>(), 499_891.0);
    close(sup.rows.iter().map(|r| num(&r[3])).sum::<f64>(), r.rows[0].hhi_extra);
    // The window: 2020 held, 2021 not, 2022 held.
    let window: Vec<Cell> = e.tables[1].rows.iter().map(|r| r[1].clone()).collect();
    assert_eq!(window, ["held", "not held", "held"].map(Cell::from));

    let err = |req: &ScreenRequest| match run(req) {
        Err(DependencyError::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    };
    assert!(err(&request(&["JPN"], ProductScope::AllProducts, &[2015])).contains("year 2015 is outside the data"));
    assert!(err(&request(&["JPN"], ProductScope::Hs6(vec!["123".into()]), &[2022])).contains("--hs"));
    assert!(err(&request(&["JPN"], ProductScope::Materials(vec!["unobtainium".into()]), &[2022])).contains("no material"));
    let groups = CountryGroups::builtin();
    let mut unknown = request(&["JPN"], ProductScope::AllProducts, &[2022]);
    unknown.importers = vec![groups.parse_importer("XXX").unwrap()];
    assert!(err(&unknown).contains("XXX"));
    // Valid, but nothing imported: JPN imports no 284690 in 2022.
    let r = run(&request(&["JPN"], ProductScope::Hs6(vec!["284690".into()]), &[2022]));
    assert!(matches!(r, Err(DependencyError::Empty(_))), "{r:?}");
}

#[test]
fn default_year_is_the_latest() {
    let r = run(&request(&["JPN"], ProductScope::AllProducts, &[])).unwrap();
    assert!(r.rows.iter().all(|x| x.year == 2022));
}
