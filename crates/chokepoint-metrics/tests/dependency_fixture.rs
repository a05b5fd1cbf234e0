//! Dependency figures on the mini bundle (`chokepoint_data::fixtures`) plus the rows added
//! below. Every expected value is computed by hand from the listed amounts (thousands of
//! USD in the source, USD in the figures).

use std::path::PathBuf;
use std::sync::OnceLock;

use chokepoint_data::fixtures::MiniBundle;
use chokepoint_data::{Store, session};
use chokepoint_metrics::dependency::{
    Basis, DependencyError, DependencyRequest, DependencyResult, DependencyRow, ItemSelection, Thresholds, briefing::briefing, dependency,
};
use chokepoint_metrics::geopolrisk::{Convention, GeoPolRiskRequest, geopolrisk};
use chokepoint_model::hubs::HubList;
use chokepoint_model::importer::CountryGroups;

/// Rows added to the mini bundle's `baci_trade` (t, i, j, k, v in k USD, q in t).
/// BACI codes: 36 AUS, 156 CHN, 276 DEU, 392 JPN, 490 S19 (TWN), 528 NLD, 826 GBR, 842 USA.
const EXTRA_TRADE: &str = "
INSERT INTO country_codes_V202401b VALUES ('826', 'United Kingdom', 'GB', 'GBR');
INSERT INTO product_codes_HS92_V202401b VALUES ('284610', 'Cerium compounds');
INSERT INTO baci_trade VALUES
 ('2022', '156', '528', 280530, '40', '4'),
 ('2022', '36', '528', 280530, '10', '1'),
 ('2022', '276', '392', 280530, '5', '1'),
 ('2022', '156', '842', 280530, '100', '10'),
 ('2022', '528', '276', 284610, '100', '8'),
 ('2022', '826', '276', 284690, '2', '0.2'),
 ('2022', '392', '490', 280530, '3', '0.3'),
 ('2022', '842', '392', 260400, '4', 'NA'),
 ('2017', '156', '392', 280530, '50', '5'),
 ('2017', '36', '392', 280530, '50', '5'),
 ('2012', '156', '392', 280530, '90', '9'),
 ('2012', '36', '392', 280530, '10', '1'),
 ('2012', '156', '276', 280530, '30', '3'),
 ('2012', '826', '276', 280530, '10', '1');
";

fn data_dir() -> &'static PathBuf {
    static DATA: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DATA.get_or_init(|| MiniBundle::ingested(EXTRA_TRADE)).1
}

fn request(importers: &[&str], items: ItemSelection, years: &[i32]) -> DependencyRequest {
    let groups = CountryGroups::builtin();
    DependencyRequest {
        importers: importers.iter().map(|i| groups.parse_importer(i).unwrap()).collect(),
        groups,
        items,
        years: years.to_vec(),
        basis: Basis::Value,
        watch: vec!["CHN".into(), "TWN".into()],
        thresholds: Thresholds::default(),
        hubs: HubList::builtin(),
        rivals: true,
        min_import_usd: 0.0,
    }
}

fn run(req: &DependencyRequest) -> Result<DependencyResult, DependencyError> {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let store = Store::open(data_dir()).unwrap();
        let ctx = session(&store).await.unwrap();
        dependency(&ctx, store.manifest(), req).await
    })
}

fn ree() -> ItemSelection {
    ItemSelection::Materials(vec!["rare earths".into()])
}

fn row<'a>(r: &'a DependencyResult, importer: &str, year: i32) -> &'a DependencyRow {
    r.rows.iter().find(|x| x.importer == importer && x.year == year).unwrap_or_else(|| panic!("no row {importer} {year}"))
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} != {b}");
}

/// Normalised WGI-PV of the fixture's 2022 estimates: (2.5 − e) / 5.
fn g(e: f64) -> f64 {
    (2.5 - e) / 5.0
}

#[test]
fn japan_rare_earths_by_hand() {
    // The same unit twice is computed once.
    let r = run(&request(&["JPN", "jpn"], ree(), &[2022])).unwrap();
    assert_eq!(r.rows.len(), 1);
    let x = row(&r, "JPN", 2022);
    // Rare Earths (REO) = 284690 (main) + 284610, 280530 (complementary).
    assert_eq!(x.material.as_deref(), Some("Rare Earths (REO)"));
    assert_eq!(x.hs6, ["284690", "284610", "280530"]);
    assert_eq!(x.members, ["JPN"]);
    // 280530 into JPN, 2022: CHN 300, AUS 100, S19 (TWN) 20.5, DEU 5 (k USD).
    let t = 425_500.0;
    close(x.import_value_usd, t);
    assert_eq!(x.supplier_count, 4);
    assert_eq!(x.top_supplier, "CHN");
    close(x.top_share, 300.0 / 425.5);
    close(x.top3_share, 420.5 / 425.5);
    close(x.hhi, (300f64.powi(2) + 100f64.powi(2) + 20.5f64.powi(2) + 5f64.powi(2)) / 425.5f64.powi(2));
    close(x.watch_shares["CHN"], 300.0 / 425.5);
    close(x.watch_shares["TWN"], 20.5 / 425.5);
    // Quantities: CHN 30, AUS 5, DEU 1; TWN's flow has none.
    close(x.import_quantity_t.unwrap(), 36.0);
    close(x.value_share_without_quantity, 20.5 / 425.5);
    // WGI 2022: CHN −0.45, AUS 0.85, TWN 0.75, DEU 0.6.
    let risk = (300.0 * g(-0.45) + 100.0 * g(0.85) + 20.5 * g(0.75) + 5.0 * g(0.6)) / 425.5;
    close(x.import_risk_wgi.unwrap(), risk);
    close(x.import_risk_unscored_share.unwrap(), 0.0);
    assert_eq!(x.wgi_year, Some(2022));
    // Production 2022: CHN 210,000, AUS 17,660, TWN 10 t.
    let p = 227_670.0;
    close(x.production_hhi.unwrap(), (210_000f64.powi(2) + 17_660f64.powi(2) + 100.0) / (p * p));
    assert_eq!(x.top_producer.as_deref(), Some("CHN"));
    close(x.top_producer_share.unwrap(), 210_000.0 / p);
    assert_eq!(x.production_year, Some(2022));
    // 2017: CHN 50, AUS 50 → top 0.5, HHI 0.5. 2012: CHN 90, AUS 10 → top 0.9, HHI 0.82.
    close(x.top_share_change_5y.unwrap(), 300.0 / 425.5 - 0.5);
    close(x.hhi_change_5y.unwrap(), x.hhi - 0.5);
    close(x.top_share_change_10y.unwrap(), 300.0 / 425.5 - 0.9);
    close(x.hhi_change_10y.unwrap(), x.hhi - 0.82);
    assert_eq!(x.flags, ["top_share>0.65", "hhi>0.4"]);
    assert!(x.hub_suppliers.is_empty());
    assert_eq!(x.top_supplier_10y_ago.as_deref(), Some("CHN"));
    close(x.top_share_10y_ago.unwrap(), 0.9);
    assert_eq!(x.top_supplier_5y_ago.as_deref(), Some("AUS")); // 50/50 tie → AUS by code
    // CHN's customers for these codes in 2022: JPN 300, USA 100, DEU 50.25, NLD 40.
    let c = 490.25;
    let rivals: Vec<(&str, f64)> = x.rivals.iter().map(|p| (p.country.as_str(), p.share)).collect();
    assert_eq!(rivals.iter().map(|p| p.0).collect::<Vec<_>>(), ["JPN", "USA", "DEU", "NLD"]);
    close(rivals[0].1, 300.0 / c);
    close(rivals[3].1, 40.0 / c);
    // Totals for the briefing: the same codes, each once.
    assert_eq!(r.totals.len(), 1);
    close(r.totals[0].import_value_usd, t);
    close(r.totals[0].watch_shares["CHN"], 300.0 / 425.5);
}

#[test]
fn quantity_basis_uses_tonnes_and_leaves_out_flows_without_quantity() {
    let mut req = request(&["JPN"], ree(), &[2022]);
    req.basis = Basis::Quantity;
    let r = run(&req).unwrap();
    let x = row(&r, "JPN", 2022);
    assert_eq!(x.basis, Basis::Quantity);
    assert_eq!(x.supplier_count, 3);
    close(x.top_share, 30.0 / 36.0);
    close(x.hhi, (900.0 + 25.0 + 1.0) / 1296.0);
    assert_eq!(x.watch_shares["TWN"], 0.0);
    // Value figures stay in USD.
    close(x.import_value_usd, 425_500.0);
}

#[test]
fn coalition_drops_trade_between_members() {
    let r = run(&request(&["JPN", "DEU", "JPN+DEU"], ree(), &[2022])).unwrap();
    // DEU 2022: CHN 50.25, USA 7 (284690), NLD 29.141… (280530) + 100 (284610), GBR 2.
    let deu = row(&r, "DEU", 2022);
    let nld = 29.141_000_000_000_002 + 100.0;
    let td = 50.25 + 7.0 + nld + 2.0;
    close(deu.import_value_usd, td * 1000.0);
    assert_eq!(deu.top_supplier, "NLD");
    close(deu.top_share, nld / td);
    // The coalition: JPN's suppliers without DEU (5 dropped) plus DEU's.
    let c = row(&r, "JPN+DEU", 2022);
    assert_eq!(c.members, ["DEU", "JPN"]);
    let tc = 300.0 + 100.0 + 20.5 + td;
    close(c.import_value_usd, tc * 1000.0);
    assert_eq!(c.supplier_count, 6); // CHN, AUS, TWN, USA, NLD, GBR
    assert_eq!(c.top_supplier, "CHN");
    close(c.top_share, 350.25 / tc);
    let hhi = [350.25, 100.0, 20.5, 7.0, nld, 2.0].iter().map(|a| (a / tc) * (a / tc)).sum::<f64>();
    close(c.hhi, hhi);
    // Ranked per importer in the order given.
    assert_eq!(r.rows.iter().map(|x| x.importer.as_str()).collect::<Vec<_>>(), ["JPN", "DEU", "JPN+DEU"]);
    assert_eq!(r.provenance.members["JPN+DEU"][&2022], ["DEU", "JPN"]);
}

#[test]
fn hub_top_supplier_gets_a_second_tier() {
    let r = run(&request(&["DEU"], ree(), &[2022])).unwrap();
    let x = row(&r, "DEU", 2022);
    assert_eq!(x.top_supplier, "NLD");
    assert!(x.flags.contains(&"hub_top_supplier".to_owned()), "{:?}", x.flags);
    // NLD's own imports of these codes in 2022: CHN 40, AUS 10.
    assert_eq!(x.hub_suppliers.len(), 2);
    assert_eq!(x.hub_suppliers[0].country, "CHN");
    close(x.hub_suppliers[0].share, 0.8);
    close(x.hub_suppliers[1].share, 0.2);
    // Flagged, so the rivals are NLD's customers: DEU only.
    assert_eq!(x.rivals.len(), 1);
    assert_eq!(x.rivals[0].country, "DEU");
}

#[test]
fn groups_use_the_membership_of_each_year() {
    let r = run(&request(&["EU27", "DEU"], ItemSelection::Hs6(vec!["280530".into(), "284690".into()]), &[2012, 2022])).unwrap();
    // Most EU members are not countries of the mini store: named in a note.
    assert!(
        r.notices.iter().any(|n| n.starts_with("EU27: members without any country code in the store") && n.contains("AUT")),
        "{:?}",
        r.notices
    );
    // 2012: the EU had 27 members with GBR (HRV joined 2013): GBR→DEU is intra-EU.
    let eu12 = r.rows.iter().find(|x| x.importer == "EU27" && x.year == 2012 && x.hs6 == ["280530"]).unwrap();
    assert_eq!(eu12.members.len(), 27);
    assert!(eu12.members.contains(&"GBR".to_owned()) && !eu12.members.contains(&"HRV".to_owned()));
    assert!(eu12.material.is_none());
    assert_eq!(eu12.supplier_count, 1);
    close(eu12.import_value_usd, 30_000.0);
    let deu12 = r.rows.iter().find(|x| x.importer == "DEU" && x.year == 2012 && x.hs6 == ["280530"]).unwrap();
    close(deu12.import_value_usd, 40_000.0);
    // 2022: GBR is outside; 284690 into the EU: USA 7 and GBR 2 into DEU.
    let eu22 = r.rows.iter().find(|x| x.importer == "EU27" && x.year == 2022 && x.hs6 == ["284690"]).unwrap();
    assert_eq!(eu22.members.len(), 27);
    assert!(!eu22.members.contains(&"GBR".to_owned()));
    close(eu22.import_value_usd, 9_000.0);
    close(eu22.top_share, 7.0 / 9.0);
    // 280530 into the EU in 2022: DEU from CHN 50.25 (NLD→DEU is intra-EU), NLD from CHN 40 and AUS 10.
    let eu = r.rows.iter().find(|x| x.importer == "EU27" && x.year == 2022 && x.hs6 == ["280530"]).unwrap();
    close(eu.import_value_usd, 100_250.0);
    close(eu.top_share, 90.25 / 100.25);
    // The changes need figures 5 and 10 years earlier: 2012 has none of 2007/2002.
    assert!(eu12.top_share_change_10y.is_none());
    close(eu.top_share_change_10y.unwrap(), 90.25 / 100.25 - 1.0);
}

#[test]
fn taiwan_is_accepted_as_twn_and_s19() {
    // Both name the same unit, computed once.
    let r = run(&request(&["TWN", "S19"], ree(), &[2022])).unwrap();
    assert_eq!(r.rows.len(), 1);
    for x in &r.rows {
        assert_eq!(x.importer, "TWN");
        assert_eq!(x.top_supplier, "JPN");
        close(x.import_value_usd, 3_000.0);
    }
}

#[test]
fn small_rows_can_be_left_out() {
    // 2022 REE imports: JPN 425.5 k USD, DEU 188.4 k USD.
    let mut req = request(&["JPN", "DEU"], ree(), &[2022]);
    req.min_import_usd = 200_000.0;
    let r = run(&req).unwrap();
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].importer, "JPN");
    assert!(r.notices.iter().any(|n| n.starts_with("1 rows with imports below 200000 USD left out")), "{:?}", r.notices);
    req.min_import_usd = 1e9;
    assert!(matches!(run(&req), Err(DependencyError::Empty(_))));
}

#[test]
fn thresholds_are_configurable() {
    let mut req = request(&["JPN"], ree(), &[2022]);
    req.thresholds = Thresholds { top_share: 0.75, hhi: 0.5 };
    let x = run(&req).unwrap().rows.remove(0);
    // top 0.705 ≤ 0.75; HHI 0.5548 > 0.5.
    assert_eq!(x.flags, ["hhi>0.5"]);
}

#[test]
fn nearest_years_for_wgi_and_production() {
    // 2012: the fixture has WGI and production for 2021–2022 only → 2021.
    let r = run(&request(&["JPN"], ree(), &[2012])).unwrap();
    let x = row(&r, "JPN", 2012);
    assert_eq!(x.wgi_year, Some(2021));
    assert_eq!(x.production_year, Some(2021));
    // 2021 production: CHN 168,000, AUS 21,970 (TWN has none).
    close(x.top_producer_share.unwrap(), 168_000.0 / 189_970.0);
    // 2021 WGI: CHN −0.5, AUS 0.9.
    close(x.import_risk_wgi.unwrap(), 0.9 * g(-0.5) + 0.1 * g(0.9));
}

#[test]
fn briefing_lists_breaches_watch_weight_and_changes() {
    let r = run(&request(&["JPN", "DEU"], ree(), &[2022])).unwrap();
    let b = briefing(&r, 0.0);
    assert_eq!(briefing(&r, 1e6)[0].above_top_share_small, 1);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].importer, "JPN");
    assert_eq!(b[0].above_top_share.len(), 1);
    assert_eq!(b[0].above_top_share[0].top_supplier, "CHN");
    assert_eq!(b[0].watched[0].supplier, "CHN");
    assert_eq!(b[0].watched[0].top_supplier_of, ["Rare Earths (REO)"]);
    close(b[0].watched[0].share_of_all.unwrap(), 300.0 / 425.5);
    assert_eq!(b[0].biggest_changes.len(), 1);
    close(b[0].biggest_changes[0].top_share_change_10y, 300.0 / 425.5 - 0.9);
    assert_eq!(b[1].importer, "DEU");
    // DEU: NLD 129.141 of 188.391 = 0.6855 > 0.65.
    assert_eq!(b[1].above_top_share.len(), 1);
    assert_eq!(b[1].above_top_share[0].top_supplier, "NLD");
    assert!(b[1].watched[0].top_supplier_of.is_empty());
}

#[test]
fn bad_requests_are_usage_errors_and_empty_results_are_explained() {
    let usage = |req: DependencyRequest, needle: &str| match run(&req) {
        Err(DependencyError::Usage(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected a usage error with {needle:?}, got {other:?}"),
    };
    usage(request(&["XXX"], ree(), &[2022]), "importer XXX is not a country of the store");
    usage(request(&["JPN+XXX"], ree(), &[2022]), "importer XXX");
    usage(request(&["JPN"], ree(), &[2030]), "year 2030 is outside the data");
    usage(request(&["JPN"], ItemSelection::Hs6(vec!["999999".into()]), &[2022]), "HS6 999999 is not a product code");
    usage(request(&["JPN"], ItemSelection::Hs6(vec!["28053".into()]), &[2022]), "28053");
    usage(request(&["JPN"], ItemSelection::Materials(vec!["unobtainium".into()]), &[2022]), "no material \"unobtainium\"");
    usage(request(&["JPN"], ItemSelection::Materials(vec!["gallium".into()]), &[2022]), "Gallium has no HS6 code");
    let mut w = request(&["JPN"], ree(), &[2022]);
    w.watch = vec!["ZZZ".into()];
    usage(w, "watched supplier ZZZ");
    // A group file naming a group like a country, or listing a code the store lacks.
    let mut clash = request(&["JPN"], ree(), &[2022]);
    clash.groups = CountryGroups::from_toml(
        "version = \"t\"\n[[group]]\nname = \"JPN\"\ndescription = \"\"\nsource = \"\"\nmembers = [{ iso3 = \"DEU\", from = \"2000-01-01\" }]\n",
        "g.toml",
    )
    .unwrap();
    clash.importers = vec![clash.groups.parse_importer("JPN").unwrap()];
    usage(clash, "defines a group JPN, which is also a country code");
    let mut odd = request(&["JPN"], ree(), &[2022]);
    odd.groups = CountryGroups::from_toml(
        "version = \"t\"\n[[group]]\nname = \"ODD\"\ndescription = \"\"\nsource = \"\"\nmembers = [{ iso3 = \"XXX\", from = \"2000-01-01\" }]\n",
        "g.toml",
    )
    .unwrap();
    odd.importers = vec![odd.groups.parse_importer("ODD").unwrap()];
    usage(odd, "ODD: the group file (version t) lists XXX, not a country of the store");
    match run(&request(&["FRA"], ree(), &[2022])) {
        Err(DependencyError::Empty(m)) => assert!(m.contains("no imports found for FRA of Rare Earths (REO) in 2022"), "{m}"),
        other => panic!("expected an empty result, got {other:?}"),
    }
    // Imports by value, none with a quantity: said so, not "no imports".
    let mut q = request(&["JPN"], ItemSelection::Hs6(vec!["260400".into()]), &[2022]);
    q.basis = Basis::Quantity;
    match run(&q) {
        Err(DependencyError::Empty(m)) => assert!(m.contains("no quantity reported") && m.contains("JPN 2022 HS 260400 (4000 USD)"), "{m}"),
        other => panic!("expected an empty result, got {other:?}"),
    }
}

#[test]
fn materials_without_codes_are_named_and_missing_combinations_counted() {
    let r = run(&request(&["DEU"], ItemSelection::AllMaterials, &[2022])).unwrap();
    assert!(r.notices.iter().any(|n| n.contains("not covered: Gallium")), "{:?}", r.notices);
    // Nickel (260400) has no 2022 imports into DEU.
    assert!(r.notices.iter().any(|n| n.contains("DEU 2022 Nickel")), "{:?}", r.notices);
    assert_eq!(r.rows.len(), 1);
}

#[test]
fn geopolrisk_by_hand_with_both_coalition_conventions() {
    let groups = CountryGroups::builtin();
    let req = GeoPolRiskRequest {
        importers: vec![groups.parse_importer("JPN").unwrap(), groups.parse_importer("JPN+DEU").unwrap()],
        groups,
        items: ree(),
        years: vec![2022],
        conventions: vec![Convention::Chokepoint, Convention::Reference],
        explain: true,
    };
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let result = rt
        .block_on(async {
            let store = Store::open(data_dir()).unwrap();
            let ctx = session(&store).await.unwrap();
            geopolrisk(&ctx, store.manifest(), &req).await
        })
        .unwrap();
    let rows = &result.rows;
    let find = |imp: &str, c: Convention| rows.iter().find(|r| r.importer == imp && r.convention == c).unwrap();
    // World production 2022: CHN 210,000, AUS 17,660, TWN 10 t.
    let p = 227_670.0;
    let hhi = (210_000f64.powi(2) + 17_660f64.powi(2) + 100.0) / (p * p);
    // JPN: CHN 30 t (g 0.59), AUS 5 t (0.33), DEU 1 t (0.38); TWN's flow has no quantity.
    let j = find("JPN", Convention::Chokepoint);
    close(j.production_hhi, hhi);
    close(j.imports_t, 36.0);
    close(j.weighted_imports_t, 30.0 * g(-0.45) + 5.0 * g(0.85) + 1.0 * g(0.6));
    assert_eq!(j.domestic_production_t, 0.0);
    close(j.import_risk, j.weighted_imports_t / 36.0);
    close(j.score, hhi * j.weighted_imports_t / 36.0);
    close(j.price_usd_per_t, 405_000.0 / 36.0);
    close(j.cf_kg_cu_eq_per_kg, j.score * (405_000.0 / 36.0 / 1000.0) / 0.409412948);
    close(j.value_without_quantity_usd, 20_500.0);
    assert_eq!(j.unscored_import_share, 0.0);
    // A country: both conventions agree.
    assert_eq!(find("JPN", Convention::Reference).score, j.score);
    // JPN+DEU, chokepoint: JPN's CHN 30 and AUS 5 (DEU's 1 t dropped) plus DEU's CHN 4.5,
    // NLD 1.843 + 8 and GBR 0.2 t (USA's flow has no quantity). NLD and GBR have no WGI
    // score in the fixture: g = 0.5.
    let c = find("JPN+DEU", Convention::Chokepoint);
    let f = 30.0 + 5.0 + 4.5 + 1.843 + 8.0 + 0.2;
    let w = 34.5 * g(-0.45) + 5.0 * g(0.85) + 10.043 * 0.5;
    close(c.imports_t, f);
    close(c.weighted_imports_t, w);
    close(c.unscored_import_share, 10.043 / f);
    close(c.score, hhi * w / f);
    // Reference: DEU→JPN's 1 t stays in F with g = 0.
    let r = find("JPN+DEU", Convention::Reference);
    close(r.imports_t, f + 1.0);
    close(r.weighted_imports_t, w);
    close(r.score, hhi * w / (f + 1.0));
    assert!(r.score < c.score);
    // Every row names its method and sources; --explain gives its terms, row by row.
    assert_eq!(r.info.method, "geopolrisk");
    assert!(r.info.sources.contains("BACI"), "{}", r.info.sources);
    assert_eq!(result.explanations.len(), rows.len());
    let k = rows.iter().position(|x| x.importer == "JPN+DEU" && x.convention == Convention::Reference).unwrap();
    let e = &result.explanations[k];
    assert!(e.title.contains("JPN+DEU") && e.title.contains("reference"), "{}", e.title);
    let term = |s: &str| e.terms.iter().find(|t| t.symbol == s).unwrap().value.unwrap();
    close(term("F"), f + 1.0);
    close(term("score"), r.score);
    // The supplier table sums to F and Σ g f; DEU (a member) is listed with g = 0.
    let sup = &e.tables[0];
    let num = |c: &chokepoint_metrics::explain::Cell| match c {
        chokepoint_metrics::explain::Cell::Number(v) => *v,
        _ => panic!("not a number"),
    };
    close(sup.rows.iter().map(|r| num(&r[1])).sum::<f64>(), f + 1.0);
    close(sup.rows.iter().map(|r| num(&r[6])).sum::<f64>(), w);
    let deu = sup.rows.iter().find(|r| r[0] == "DEU".into()).unwrap();
    assert_eq!(num(&deu[4]), 0.0);
}

fn eu_crm_run(
    importers: &[&str],
    material: &str,
    params: chokepoint_model::eu_crm::EuCrmParams,
) -> chokepoint_metrics::eu_crm::EuCrmResult {
    let groups = CountryGroups::builtin();
    let req = chokepoint_metrics::eu_crm::EuCrmRequest {
        importers: importers.iter().map(|i| groups.parse_importer(i).unwrap()).collect(),
        groups,
        items: ItemSelection::Materials(vec![material.into()]),
        years: vec![2022],
        params,
        explain: true,
    };
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let store = Store::open(data_dir()).unwrap();
        let ctx = session(&store).await.unwrap();
        chokepoint_metrics::eu_crm::eu_crm(&ctx, store.manifest(), &req).await
    })
    .unwrap()
}

/// Scaled WGI of the fixture's 2022 estimates: (2.5 − e) × 2.
fn w(e: f64) -> f64 {
    (2.5 - e) * 2.0
}

#[test]
fn eu_crm_supply_risk_by_hand() {
    use chokepoint_model::eu_crm::EuCrmParams;
    // World rare-earth production 2022: CHN 210,000 (WGI −0.45), AUS 17,660 (0.85), TWN 10 (0.75).
    let p = 227_670.0f64;
    let (chn, aus, twn) = (210_000.0 / p, 17_660.0 / p, 10.0 / p);
    // JPN with the shipped parameters (no t ≠ 1 in 2022, SI_SR default 1): imports CHN 30 t,
    // AUS 5 t, DEU 1 t (TWN's flow has no quantity); exports 0.3 t to TWN; no production.
    let r = eu_crm_run(&["JPN"], "rare earths", EuCrmParams::builtin());
    let j = &r.rows[0];
    let gs = chn * chn * w(-0.45) + aus * aus * w(0.85) + twn * twn * w(0.75);
    let src = (900.0 * w(-0.45) + 25.0 * w(0.85) + 1.0 * w(0.6)) / 1296.0;
    close(j.hhi_wgi_t_global, gs);
    close(j.hhi_wgi_t_sourcing, src);
    close(j.imports_t, 36.0);
    close(j.exports_t, 0.3);
    assert_eq!(j.domestic_production_t, 0.0);
    assert_eq!(j.import_reliance, 1.0);
    assert_eq!((j.si_sr, j.si_sr_default, j.eol_rir), (1.0, true, 0.01));
    close(j.supply_risk, (gs * 0.5 + src * 0.5) * 0.99);
    assert!(j.high_supply_risk && j.bottleneck);
    assert_eq!((j.stage.as_str(), j.raw_material.as_str()), ("Processing", "Rare Earths (REO)"));
    assert_eq!(j.critical, None);
    assert_eq!(j.info.method, "eu-crm");
    assert!(j.info.params_version.starts_with("eu_crm "), "{}", j.info.params_version);
    assert!(j.approximations.iter().any(|a| a.contains("PV")) && j.approximations.iter().any(|a| a.contains("SI_SR: default")));
    // The explanation's sourcing table sums to the term.
    let e = &r.explanations[0];
    let num = |c: &chokepoint_metrics::explain::Cell| match c {
        chokepoint_metrics::explain::Cell::Number(v) => *v,
        other => panic!("{other:?}"),
    };
    close(e.tables[1].rows.iter().map(|r| num(&r[8])).sum::<f64>(), src);

    // JPN+DEU with a parameters file: CHN restricted (t 1.2, global and sourcing), AUS a
    // trade-agreement partner of the coalition (0.8, sourcing only), SI_SR 0.5, EI 3.
    let params = EuCrmParams::from_toml(
        &chokepoint_model::eu_crm::BUILTIN_EU_CRM_TOML.replace("name = \"eu_crm\"", "name = \"test\"").replace(
            "[[export_restriction]]\nmaterial = \"Rare Earths (REO)\"\ncountry = \"CHN\"\nfrom = 2010",
            "[[substitution]]\nmaterial = \"Rare Earths (REO)\"\nsi_sr = 0.5\nsource = \"test\"\n\n[[economic_importance]]\nmaterial = \"Rare Earths (REO)\"\nei = 3.0\nsource = \"test\"\n\n[[trade_agreement]]\nimporter = \"JPN+DEU\"\nt = 0.8\nsource = \"test\"\npartners = [{ iso3 = \"AUS\", from = 2020 }]\n\n[[export_restriction]]\nmaterial = \"Rare Earths (REO)\"\ncountry = \"CHN\"\nfrom = 2022\nuntil = 2022\nt = 1.2\nmeasure = \"test\"\nsource = \"test\"\n\n[[export_restriction]]\nmaterial = \"Rare Earths (REO)\"\ncountry = \"CHN\"\nfrom = 2010",
        ),
        "test.toml",
    )
    .unwrap();
    let r = eu_crm_run(&["JPN+DEU"], "rare earths", params);
    let c = &r.rows[0];
    // Sourcing: CHN 30 + 4.5, AUS 5, NLD 1.843 + 8, GBR 0.2 (no WGI: 5.0 by default); DEU→JPN dropped.
    let f = 49.543;
    let gs = chn * chn * w(-0.45) * 1.2 + aus * aus * w(0.85) + twn * twn * w(0.75);
    let src = (34.5f64.powi(2) * w(-0.45) * 1.2 + 25.0 * w(0.85) * 0.8 + (9.843f64.powi(2) + 0.04) * 5.0) / (f * f);
    close(c.hhi_wgi_t_global, gs);
    close(c.hhi_wgi_t_sourcing, src);
    close(c.unscored_sourcing_share, 10.043 / f);
    close(c.supply_risk, (gs * 0.5 + src * 0.5) * 0.99 * 0.5);
    assert_eq!((c.si_sr, c.si_sr_default, c.economic_importance), (0.5, false, Some(3.0)));
    assert_eq!(c.critical, Some(c.supply_risk >= 1.0));
    assert_eq!(c.info.params_version, "test 2026.11-1");
    assert!(
        c.trade_parameters.contains(&"CHN t=1.2".to_owned()) && c.trade_parameters.contains(&"AUS t=0.8".to_owned()),
        "{:?}",
        c.trade_parameters
    );

    // AUS and nickel: own production only (155,000 t, the whole world's), no trade: IR = 0,
    // SR = sourcing HHI × (1 − 0.16) = 3.3 × 0.84.
    let r = eu_crm_run(&["AUS"], "nickel", EuCrmParams::builtin());
    let a = &r.rows[0];
    assert_eq!((a.import_reliance, a.imports_t, a.domestic_production_t), (0.0, 0.0, 155_000.0));
    close(a.hhi_wgi_t_sourcing, w(0.85));
    close(a.supply_risk, w(0.85) * 0.84);
}

#[test]
fn supplier_history_by_hand() {
    use chokepoint_metrics::dependency::supplier_history;
    let req = request(&["JPN", "JPN+DEU"], ree(), &[]);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let h = rt.block_on(async {
        let store = Store::open(data_dir()).unwrap();
        let ctx = session(&store).await.unwrap();
        supplier_history(&ctx, store.manifest(), &req).await.unwrap()
    });
    assert_eq!(h.len(), 2);
    let shares = |i: usize, year: i32| -> Vec<(String, f64)> {
        let y = h[i].years.iter().find(|y| y.year == year).unwrap_or_else(|| panic!("no {year}"));
        y.suppliers.iter().map(|p| (p.country.clone(), p.share)).collect()
    };
    let check = |got: Vec<(String, f64)>, want: &[(&str, f64)]| {
        assert_eq!(got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(), want.iter().map(|w| w.0).collect::<Vec<_>>());
        for (g, w) in got.iter().zip(want) {
            close(g.1, w.1);
        }
    };
    // JPN: every year of trade with imports of rare earths (280530 only): 2010, 2012, 2017, 2022.
    assert_eq!((h[0].importer.as_str(), h[0].item.as_str()), ("JPN", "Rare Earths (REO)"));
    assert_eq!(h[0].years.iter().map(|y| y.year).collect::<Vec<_>>(), [2010, 2012, 2017, 2022]);
    check(shares(0, 2010), &[("CHN", 1.0)]);
    check(shares(0, 2012), &[("CHN", 0.9), ("AUS", 0.1)]);
    check(shares(0, 2017), &[("AUS", 0.5), ("CHN", 0.5)]); // tie → by code
    check(shares(0, 2022), &[("CHN", 300.0 / 425.5), ("AUS", 100.0 / 425.5), ("TWN", 20.5 / 425.5), ("DEU", 5.0 / 425.5)]);
    close(h[0].years[3].import_value_usd, 425_500.0);
    // JPN+DEU 2012: JPN CHN 90, AUS 10; DEU CHN 30, GBR 10 → CHN 120, AUS 10, GBR 10 of 140.
    check(shares(1, 2012), &[("CHN", 120.0 / 140.0), ("AUS", 10.0 / 140.0), ("GBR", 10.0 / 140.0)]);
    // 2022: DEU → JPN (5) is internal and dropped. CHN 300 + 50.25, NLD 29.141 + 100 (284610),
    // AUS 100, TWN 20.5, USA 7 (284690), GBR 2 (284690).
    let t = 350.25 + 129.141 + 100.0 + 20.5 + 7.0 + 2.0;
    check(
        shares(1, 2022),
        &[("CHN", 350.25 / t), ("NLD", 129.141 / t), ("AUS", 100.0 / t), ("TWN", 20.5 / t), ("USA", 7.0 / t), ("GBR", 2.0 / t)],
    );
    // The latest year's shares are the dependency table's.
    let r = run(&request(&["JPN+DEU"], ree(), &[2022])).unwrap();
    close(row(&r, "JPN+DEU", 2022).top_share, 350.25 / t);
    // A year outside the data is a usage error.
    let bad = request(&["JPN"], ree(), &[1990]);
    let err = rt.block_on(async {
        let store = Store::open(data_dir()).unwrap();
        let ctx = session(&store).await.unwrap();
        supplier_history(&ctx, store.manifest(), &bad).await.unwrap_err()
    });
    assert!(matches!(err, DependencyError::Usage(ref m) if m.contains("1990")), "{err}");
}
