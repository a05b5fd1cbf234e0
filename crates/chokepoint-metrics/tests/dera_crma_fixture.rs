//! DERA's screen and the CRMA benchmark on the mini bundle (`chokepoint_data::fixtures`)
//! plus the nickel rows added below. Every expected value is computed by hand from the
//! listed amounts.
//!
//! Mini bundle, 2022: rare earths (280530) into JPN: CHN 30 t (300,000 USD), AUS 5 t
//! (100,000 USD), TWN 20,500 USD without a quantity; into DEU: CHN 4.5 t (50,250 USD), NLD
//! 1.843 t (29,141 USD), and USA 284690 without a quantity (7,000 USD). World production of
//! rare earths (REO) 2022: CHN 210,000, AUS 17,660, TWN 10 t; nickel: AUS 155,000 t.
//! WGI-PV estimates 2022: AUS 0.85, CHN −0.45, DEU 0.6, JPN 1.05, TWN 0.75 (NLD, USA none).

use std::path::PathBuf;
use std::sync::OnceLock;

use chokepoint_data::fixtures::MiniBundle;
use chokepoint_data::{Store, session};
use chokepoint_metrics::crma::{CrmaRequest, CrmaResult, crma};
use chokepoint_metrics::dependency::{DependencyError, ItemSelection};
use chokepoint_metrics::dera::{DeraBasis, DeraRequest, DeraResult, Level, dera};
use chokepoint_model::importer::CountryGroups;
use chokepoint_model::risk_params::{CrmaParams, DeraParams};

/// Nickel ore (260400) into JPN, 2022 (t, i, j, k, v in k USD, q in t): AUS 1,000 t, USA 250 t.
const EXTRA_TRADE: &str = "
INSERT INTO baci_trade VALUES
 ('2022', '36', '392', 260400, '500', '1000'),
 ('2022', '842', '392', 260400, '100', '250');
";

fn data_dir() -> &'static PathBuf {
    static DATA: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DATA.get_or_init(|| MiniBundle::ingested(EXTRA_TRADE)).1
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} != {b}");
}

fn run_dera(importers: &[&str], items: ItemSelection, basis: DeraBasis, explain: bool) -> Result<DeraResult, DependencyError> {
    let groups = CountryGroups::builtin();
    let req = DeraRequest {
        importers: importers.iter().map(|i| groups.parse_importer(i).unwrap()).collect(),
        groups,
        items,
        years: vec![2022],
        params: DeraParams::builtin(),
        import_basis: basis,
        explain,
    };
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let store = Store::open(data_dir()).unwrap();
        let ctx = session(&store).await.unwrap();
        dera(&ctx, store.manifest(), &req).await
    })
}

fn run_crma(importers: &[&str], items: ItemSelection, all_materials: bool, b: f64) -> Result<CrmaResult, DependencyError> {
    let groups = CountryGroups::builtin();
    let req = CrmaRequest {
        importers: importers.iter().map(|i| groups.parse_importer(i).unwrap()).collect(),
        groups,
        items,
        years: vec![2022],
        params: CrmaParams::builtin(),
        benchmark: b,
        all_materials,
        explain: true,
    };
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let store = Store::open(data_dir()).unwrap();
        let ctx = session(&store).await.unwrap();
        crma(&ctx, store.manifest(), &req).await
    })
}

fn ree() -> ItemSelection {
    ItemSelection::Materials(vec!["Rare Earths".into()])
}

#[test]
fn dera_by_hand_on_both_bases() {
    let r = run_dera(&["JPN", "DEU", "JPN+DEU"], ree(), DeraBasis::Quantity, true).unwrap();
    assert_eq!(r.rows.len(), 3);
    let row = |i: &str| r.rows.iter().find(|x| x.importer == i).unwrap();
    // Production basis, the same on every row.
    let w = 227_670.0;
    let hhi = 10_000.0 * (210_000f64.powi(2) + 17_660f64.powi(2) + 10f64.powi(2)) / (w * w);
    let wcr = (210_000.0 * -0.45 + 17_660.0 * 0.85 + 10.0 * 0.75) / w;
    for x in &r.rows {
        close(x.production_hhi, hhi);
        close(x.production_wcr.unwrap(), wcr);
        assert_eq!(x.production_unscored_share, 0.0);
        // HHI ≈ 8,568 > 2,500: high; WCR ≈ −0.349 in −0.5…+0.5: moderate → group moderate.
        assert_eq!(
            (x.production_hhi_class, x.production_wcr_class, x.production_group),
            (Level::High, Some(Level::Moderate), Some(Level::Moderate))
        );
        assert_eq!((x.producers, x.top_producer.as_str()), (3, "CHN"));
        close(x.top_producer_share, 210_000.0 / w);
        assert_eq!(x.wgi_year, 2022);
        assert!(x.wgi_dimensions.starts_with("PV only"), "{}", x.wgi_dimensions);
        assert_eq!(x.stage, "Processing");
        assert_eq!(x.info.method, "dera");
        assert!(x.info.params_version.starts_with("dera ") && x.info.params_version.contains("unconfirmed"), "{}", x.info.params_version);
    }
    // JPN, tonnes: CHN 30, AUS 5 (TWN has no quantity).
    let j = row("JPN");
    close(j.import_hhi.unwrap(), 10_000.0 * (900.0 + 25.0) / 1225.0);
    close(j.import_wcr.unwrap(), (30.0 * -0.45 + 5.0 * 0.85) / 35.0);
    assert_eq!(j.import_unscored_share, Some(0.0));
    assert_eq!((j.import_hhi_class, j.import_wcr_class, j.import_group), (Some(Level::High), Some(Level::Moderate), Some(Level::Moderate)));
    assert_eq!((j.suppliers, j.top_supplier.as_deref()), (2, Some("CHN")));
    close(j.imports_t.unwrap(), 35.0);
    close(j.imports_usd, 420_500.0);
    // DEU: CHN 4.5 t, NLD 1.843 t (no WGI score: left out, the rest renormalised → −0.45).
    let d = row("DEU");
    let f = 6.343;
    close(d.import_hhi.unwrap(), 10_000.0 * (4.5f64.powi(2) + 1.843f64.powi(2)) / (f * f));
    close(d.import_wcr.unwrap(), -0.45);
    close(d.import_unscored_share.unwrap(), 1.843 / f);
    // JPN+DEU: CHN 34.5, AUS 5, NLD 1.843 t.
    let c = row("JPN+DEU");
    let f = 41.343;
    close(c.import_hhi.unwrap(), 10_000.0 * (34.5f64.powi(2) + 25.0 + 1.843f64.powi(2)) / (f * f));
    close(c.import_wcr.unwrap(), (34.5 * -0.45 + 5.0 * 0.85) / 39.5);
    close(c.import_unscored_share.unwrap(), 1.843 / f);
    assert_eq!(c.members, ["DEU", "JPN"]);
    // --explain: per-country tables of both bases.
    assert_eq!(r.explanations.len(), 3);
    let k = r.rows.iter().position(|x| x.importer == "DEU").unwrap();
    let e = &r.explanations[k];
    assert!(e.title.contains("DEU") && e.title.contains("Rare Earths"), "{}", e.title);
    assert_eq!(e.tables.len(), 2);
    assert_eq!(e.tables[1].rows.len(), 2);
    assert_eq!(e.tables[1].rows[1][0], chokepoint_metrics::explain::Cell::from("NLD"));
    assert_eq!(e.tables[1].rows[1][5], chokepoint_metrics::explain::Cell::from("unscored"));
    assert!(r.notices.iter().any(|n| n.contains("Political Stability (PV) estimate only")), "{:?}", r.notices);
}

#[test]
fn dera_value_basis_and_rows_without_imports() {
    let r = run_dera(&["JPN"], ItemSelection::AllMaterials, DeraBasis::Value, false).unwrap();
    // JPN by value: CHN 300,000, AUS 100,000, TWN 20,500 USD.
    let ree = r.rows.iter().find(|x| x.material == "Rare Earths (REO)").unwrap();
    let t = 420_500.0;
    close(ree.import_hhi.unwrap(), 10_000.0 * (300_000f64.powi(2) + 100_000f64.powi(2) + 20_500f64.powi(2)) / (t * t));
    close(ree.import_wcr.unwrap(), (300_000.0 * -0.45 + 100_000.0 * 0.85 + 20_500.0 * 0.75) / t);
    assert_eq!(ree.import_basis, DeraBasis::Value);
    // Nickel: one producer (AUS 155,000 t, WGI 0.85): HHI 10,000 high, WCR 0.85 low → moderate.
    let ni = r.rows.iter().find(|x| x.material == "Nickel").unwrap();
    assert_eq!((ni.production_hhi, ni.production_wcr), (10_000.0, Some(0.85)));
    assert_eq!(ni.production_group, Some(Level::Moderate));
    // JPN's nickel by value: AUS 500,000, USA 100,000 USD (USA unscored).
    close(ni.import_hhi.unwrap(), 10_000.0 * (25.0 + 1.0) / 36.0);
    close(ni.import_wcr.unwrap(), 0.85);
    close(ni.import_unscored_share.unwrap(), 1.0 / 6.0);
    // Gallium has no HS6 code: named in a note, no row.
    assert!(!r.rows.iter().any(|x| x.material == "Gallium"));
    assert!(r.notices.iter().any(|n| n.contains("Gallium")), "{:?}", r.notices);
    // Sorted: production group (both moderate here), then production HHI, highest first.
    assert_eq!(r.rows[0].material, "Nickel");
}

#[test]
fn dera_refuses_years_without_production() {
    let groups = CountryGroups::builtin();
    let req = DeraRequest {
        importers: vec![groups.parse_importer("JPN").unwrap()],
        groups,
        items: ree(),
        years: vec![2010],
        params: DeraParams::builtin(),
        import_basis: DeraBasis::Quantity,
        explain: false,
    };
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let e = rt
        .block_on(async {
            let store = Store::open(data_dir()).unwrap();
            let ctx = session(&store).await.unwrap();
            dera(&ctx, store.manifest(), &req).await
        })
        .unwrap_err();
    assert!(matches!(&e, DependencyError::Usage(m) if m.contains("2010 not covered")), "{e}");
}

#[test]
fn crma_benchmark_by_hand() {
    let r = run_crma(&["JPN", "AUS+JPN", "CHN+JPN"], ItemSelection::AllMaterials, false, 0.65).unwrap();
    // Default: the strategic materials of params/crma.toml that the store has.
    let materials: std::collections::BTreeSet<&str> = r.rows.iter().map(|x| x.material.as_str()).collect();
    assert_eq!(materials, ["Nickel", "Rare Earths (REO)"].into());
    assert!(r.notices.iter().any(|n| n.contains("not in the store") && n.contains("Bauxite")), "{:?}", r.notices);
    let row = |i: &str, m: &str| r.rows.iter().find(|x| x.importer == i && x.material == m).unwrap();
    // JPN, nickel: no own production; AUS 1,000 t, USA 250 t → supply 1,250 t; AUS 80 %:
    // 15 points over 65 %, 1,000 − 0.65 × 1,250 = 187.5 t to move.
    let n = row("JPN", "Nickel");
    assert_eq!((n.member_production_t, n.supply_t), (0.0, 1250.0));
    assert_eq!((n.top_third_country.as_deref(), n.top_third_share), (Some("AUS"), 0.8));
    assert!(n.over_benchmark);
    close(n.over_benchmark_pp, 15.0);
    close(n.tonnes_to_move, 187.5);
    assert_eq!(n.strategic_raw_material.as_deref(), Some("Nickel – battery grade"));
    assert_eq!(n.stage, "Extraction");
    assert!(n.strategic);
    // AUS+JPN, nickel: AUS's 155,000 t are the members' production, AUS → JPN is dropped;
    // USA 250 t is the only third country: supply 155,250 t.
    let a = row("AUS+JPN", "Nickel");
    assert_eq!((a.member_production_t, a.third_country_imports_t, a.supply_t), (155_000.0, 250.0, 155_250.0));
    close(a.member_production_share, 155_000.0 / 155_250.0);
    close(a.top_third_share, 250.0 / 155_250.0);
    assert!(!a.over_benchmark);
    assert_eq!(a.tonnes_to_move, 0.0);
    // JPN, rare earths: CHN 30 t, AUS 5 t (TWN 20,500 USD without a quantity): CHN 6/7.
    let j = row("JPN", "Rare Earths (REO)");
    close(j.top_third_share, 30.0 / 35.0);
    close(j.over_benchmark_pp, 100.0 * (30.0 / 35.0 - 0.65));
    close(j.tonnes_to_move, 30.0 - 0.65 * 35.0);
    close(j.value_without_quantity_usd, 20_500.0);
    assert_eq!(j.top3_third.iter().map(|p| p.country.as_str()).collect::<Vec<_>>(), ["CHN", "AUS"]);
    assert_eq!(j.stage, "Processing");
    // CHN+JPN, rare earths: China's 210,000 t own production; AUS 5 t the only third country.
    let c = row("CHN+JPN", "Rare Earths (REO)");
    assert_eq!((c.member_production_t, c.supply_t), (210_000.0, 210_005.0));
    close(c.top_third_share, 5.0 / 210_005.0);
    assert_eq!(c.top_third_country.as_deref(), Some("AUS"));
    // Third-country shares + member share = 1 on every row; --explain lists every source.
    for (x, e) in r.rows.iter().zip(&r.explanations) {
        let third: f64 = x.top3_third.iter().map(|p| p.share).sum();
        assert!(x.third_countries <= 3);
        close(third + x.member_production_share, 1.0);
        assert!(e.title.contains(&x.importer) && e.title.contains(&x.material), "{}", e.title);
        assert_eq!(e.tables[0].rows.len(), x.third_countries + usize::from(x.member_production_t > 0.0));
        assert_eq!(x.info.method, "crma");
    }
    assert!(r.notices.iter().any(|n| n.contains("approximates consumption")), "{:?}", r.notices);
}

#[test]
fn crma_all_materials_other_benchmark_and_errors() {
    // A benchmark of 85 %: JPN's nickel (AUS 80 %) is below it, rare earths (CHN 85.7 %) above.
    let r = run_crma(&["JPN"], ItemSelection::AllMaterials, true, 0.85).unwrap();
    let ni = r.rows.iter().find(|x| x.material == "Nickel").unwrap();
    assert!(!ni.over_benchmark);
    close(ni.over_benchmark_pp, -5.0);
    assert!(r.rows.iter().find(|x| x.material == "Rare Earths (REO)").unwrap().over_benchmark);
    assert!(r.rows.iter().all(|x| x.benchmark == 0.85));
    // A material named with -m is computed whether strategic or not; Gallium has no codes.
    let e = run_crma(&["JPN"], ItemSelection::Materials(vec!["Gallium".into()]), false, 0.65).unwrap_err();
    assert!(matches!(&e, DependencyError::Usage(m) if m.contains("Gallium")), "{e}");
    let e = run_crma(&["JPN"], ItemSelection::AllMaterials, false, 1.5).unwrap_err();
    assert!(matches!(&e, DependencyError::Usage(m) if m.contains("strictly between 0 and 1")), "{e}");
    let e = run_crma(&["JPN"], ItemSelection::Hs6(vec!["280530".into()]), false, 0.65).unwrap_err();
    assert!(matches!(&e, DependencyError::Usage(m) if m.contains("per material")), "{e}");
}
