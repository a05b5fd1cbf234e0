//! Disruption scenarios on the mini bundle (`chokepoint_data::fixtures`) plus two rows added
//! below. Every expected value is computed by hand from the listed flows (thousands of USD
//! and tonnes in the source).

use std::path::PathBuf;
use std::sync::OnceLock;

use chokepoint_data::fixtures::MiniBundle;
use chokepoint_data::{Store, session};
use chokepoint_model::importer::CountryGroups;
use chokepoint_scenario::run::Resolved;
use chokepoint_scenario::{ImporterRow, Scenario, ScenarioError, ScenarioParams, ScenarioRequest, ScenarioResult, resolve, run_scenario};

/// Rows added to the mini bundle's `baci_trade` (t, i, j, k, v in k USD, q in t).
/// BACI codes: 36 AUS, 156 CHN, 842 USA.
const EXTRA_TRADE: &str = "
INSERT INTO baci_trade VALUES
 ('2022', '36', '842', 280530, '200', '20'),
 ('2022', '156', '842', 280530, '100', '10');
";

fn data_dir() -> &'static PathBuf {
    static DATA: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DATA.get_or_init(|| MiniBundle::ingested(EXTRA_TRADE)).1
}

/// China withholds half of its rare-earth exports from everyone for six months; no spare
/// production; redirect 10 %, Australia 20 %.
const CHN_REE: &str = r#"title = "CHN rare earths, half, six months"
source = "test"
kind = "hypothetical"
baseline_year = 2022

[shock]
suppliers = ["CHN"]
materials = ["Rare earths", "Gallium"]
fraction = 0.5
duration_months = 6

[substitution]
redirect_share = 0.1
spare_production_share = 0.0

[[substitution.supplier]]
country = "AUS"
redirect_share = 0.2
"#;

fn block<T>(f: impl AsyncFnOnce(&datafusion::prelude::SessionContext, &Store) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let store = Store::open(data_dir()).unwrap();
        let ctx = session(&store).await.unwrap();
        f(&ctx, &store).await
    })
}

fn run(text: &str) -> Result<ScenarioResult, ScenarioError> {
    let scenario = Scenario::parse(text, "test.toml")?;
    let req = ScenarioRequest {
        scenario,
        monte_carlo: None,
        importers: None,
        groups: CountryGroups::builtin(),
        params: ScenarioParams::builtin(),
    };
    block(async |ctx, store| run_scenario(ctx, store.manifest(), &req).await)
}

fn check(text: &str) -> Result<Resolved, ScenarioError> {
    let scenario = Scenario::parse(text, "test.toml")?;
    block(async |ctx, _| resolve(ctx, &scenario, &CountryGroups::builtin(), None).await)
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} != {b}");
}

fn row<'a>(r: &'a ScenarioResult, importer: &str) -> &'a ImporterRow {
    r.rows.iter().find(|x| x.importer == importer).unwrap_or_else(|| panic!("no row {importer}"))
}

#[test]
fn china_rare_earths_by_hand() {
    let r = run(CHN_REE).unwrap();
    assert_eq!(r.baseline_year, 2022);
    assert!(r.notices.iter().any(|n| n.starts_with("Gallium: no HS6 code")), "{:?}", r.notices);
    assert_eq!(r.rows.len(), 3);
    // 2022 rare-earth flows (t): CHN→JPN 30, AUS→JPN 5, TWN→JPN (no tonnes), CHN→DEU 4.5,
    // NLD→DEU 1.843, USA→DEU (no tonnes), AUS→USA 20, CHN→USA 10.
    // Annual losses: JPN 15, DEU 2.25, USA 5 → L = 22.25 t.
    // Offers: AUS 0.2 × 25 = 5, NLD 0.1 × 1.843 = 0.1843 → A = 5.1843, c = A / L.
    let c = 5.1843 / 22.25;
    let j = row(&r, "JPN");
    assert_eq!(j.members, ["JPN"]);
    assert_eq!(j.hs6, ["284690", "284610", "280530"]);
    close(j.coverage, c);
    close(j.world_loss_t, 22.25 * 0.5);
    close(j.imports_t, 35.0);
    close(j.imports_usd, 420_500.0);
    close(j.apparent_supply_t, 35.0);
    // Six months: half of everything.
    close(j.loss_t, 7.5);
    close(j.loss_usd, 75_000.0);
    assert_eq!(j.loss_value_share_without_quantity, 0.0);
    close(j.loss_share.unwrap(), 7.5 / 17.5);
    close(j.received_t, 7.5 * c);
    close(j.residual_t, 7.5 * (1.0 - c));
    close(j.residual_share.unwrap(), 7.5 * (1.0 - c) / 17.5);
    // AUS redirects its 5 t/yr from JPN (5/25) and USA (20/25).
    close(j.displaced_t, 0.5);
    close(j.net_shortfall_t, 7.5 * (1.0 - c) + 0.5);
    assert_eq!(j.filled_by[0].0, "AUS");
    close(j.filled_by[0].1, 5.0 * 15.0 / 22.25 * 0.5);
    assert_eq!(j.filled_by[1].0, "NLD");
    let days = 7.5 * (1.0 - c) / (35.0 / 365.0);
    close(j.stock_days_needed.unwrap(), days);
    close(j.stock_target_cover_share.unwrap(), (60.0 / days).min(1.0));
    close(j.unit_value_usd_per_t.unwrap(), 400_000.0 / 35.0);
    close(j.residual_value_usd.unwrap(), 400_000.0 / 35.0 * 7.5 * (1.0 - c));
    // DEU: CHN 4.5 t and NLD 1.843 t with tonnes; NLD redirects 0.1843 t/yr, all from DEU.
    let d = row(&r, "DEU");
    close(d.apparent_supply_t, 6.343);
    close(d.loss_t, 1.125);
    close(d.received_t, 1.125 * c);
    close(d.displaced_t, 0.1843 * 0.5);
    // JPN+DEU: one party; its loss is the members' (no trade between them here).
    let u = row(&r, "JPN+DEU");
    assert_eq!(u.members, ["DEU", "JPN"]);
    close(u.loss_t, 8.625);
    close(u.apparent_supply_t, 41.343);
    close(u.received_t, 8.625 * c);
    close(u.displaced_t, 0.5 + 0.0921_5);
    // Suppliers of the JPN run: CHN withholds 22.25 / 2 t (worth (300 + 50.25 + 100) k × 0.5 × 6/12 USD).
    let chn = r.suppliers.iter().find(|s| s.importer == "JPN" && s.supplier == "CHN").unwrap();
    close(chn.withheld_t, 11.125);
    close(chn.withheld_usd, 112_562.5);
    assert_eq!(chn.offered_t, 0.0);
    let aus = r.suppliers.iter().find(|s| s.importer == "JPN" && s.supplier == "AUS").unwrap();
    close(aus.supplied_t, 2.5);
    close(aus.redirected_t, 2.5);
    assert_eq!(aus.spare_production_t, 0.0);
    // Provenance and the summary.
    assert_eq!(j.info.method, "scenario");
    assert_eq!(j.info.params_version, "scenario 2026.1");
    assert_eq!(r.summary.len(), 2);
    assert!(
        r.summary[0].starts_with(
            "If CHN withheld 50 % of its Rare Earths (REO) exports to all destinations for 6 months (baseline 2022), JPN loses 7.5 t"
        ),
        "{}",
        r.summary[0]
    );
}

#[test]
fn spare_production_and_destinations() {
    // Only JPN is a destination; spare production 5 % (AUS 17,660 t, TWN 10 t in 2022): the
    // offer exceeds the loss, so the loss is covered in full.
    let text = CHN_REE
        .replace("duration_months = 6", "duration_months = 12\ndestinations = [\"JPN\"]")
        .replace("spare_production_share = 0.0", "spare_production_share = 0.05");
    let r = run(&text).unwrap();
    let j = row(&r, "JPN");
    close(j.loss_t, 15.0);
    close(j.coverage, 1.0);
    close(j.received_t, 15.0);
    assert_eq!(j.residual_t, 0.0);
    assert_eq!(j.stock_days_needed, Some(0.0));
    // DEU is not a destination.
    assert_eq!(row(&r, "DEU").loss_t, 0.0);
    // Offers: AUS 0.2 × 25 + 0.05 × 17,660 = 888, NLD 0.1843, TWN 0.05 × 10 = 0.5 → A = 888.6843;
    // each gives its offer × 15 / A.
    let aus = r.suppliers.iter().find(|s| s.importer == "JPN" && s.supplier == "AUS").unwrap();
    close(aus.offered_t, 888.0);
    close(aus.supplied_t, 888.0 * 15.0 / 888.6843);
    close(aus.redirected_t, 5.0 * 15.0 / 888.6843);
}

#[test]
fn zero_fraction_changes_nothing() {
    let r = run(&CHN_REE.replace("fraction = 0.5", "fraction = 0")).unwrap();
    for x in &r.rows {
        assert_eq!((x.loss_t, x.received_t, x.residual_t, x.displaced_t), (0.0, 0.0, 0.0, 0.0));
    }
}

#[test]
fn store_errors_name_line_and_field() {
    let e = check(&CHN_REE.replace("suppliers = [\"CHN\"]", "suppliers = [\"CHN\", \"XYZ\"]")).unwrap_err();
    assert!(e.is_usage());
    assert_eq!(e.to_string(), "test.toml:7: field `shock.suppliers`: XYZ is not a country of the store");
    let e = check(&CHN_REE.replace("\"Rare earths\"", "\"Unobtainium\"")).unwrap_err().to_string();
    assert!(e.starts_with("test.toml:8: field `shock.materials`: no material \"Unobtainium\""), "{e}");
    let e = check(&CHN_REE.replace("country = \"AUS\"", "country = \"ATLANTIS\"")).unwrap_err().to_string();
    assert_eq!(
        e,
        "test.toml:17: field `substitution.supplier.country`: \"ATLANTIS\" is not a country of the store (an ISO3 code, e.g. AUS)"
    );
    let e = check(&CHN_REE.replace("baseline_year = 2022", "baseline_year = 1990")).unwrap_err().to_string();
    assert!(e.starts_with("test.toml:4: field `baseline_year`: 1990: the store has trade for"), "{e}");
    let e = check(&CHN_REE.replace("fraction = 0.5", "fraction = 0.5\ndestinations = [\"JPN\", \"MARS\"]")).unwrap_err().to_string();
    assert!(e.starts_with("test.toml:10: field `shock.destinations`: \"MARS\""), "{e}");
    // A group is a destination; `latest` is the last year with trade.
    let ok = check(
        &CHN_REE
            .replace("fraction = 0.5", "fraction = 0.5\ndestinations = \"G7\"")
            .replace("baseline_year = 2022", "baseline_year = \"latest\""),
    )
    .unwrap();
    assert_eq!(ok.year, 2022);
    assert!(ok.destinations.unwrap().contains("JPN"));
}

fn run_mc(text: &str, draws: u64, seed: u64) -> ScenarioResult {
    let scenario = Scenario::parse(text, "test.toml").unwrap();
    let params = ScenarioParams::builtin();
    let monte_carlo = ScenarioRequest::monte_carlo_options(&scenario, &params, Some(draws), Some(seed), false);
    let req = ScenarioRequest { scenario, monte_carlo, importers: None, groups: CountryGroups::builtin(), params };
    block(async |ctx, store| run_scenario(ctx, store.manifest(), &req).await).unwrap()
}

#[test]
fn monte_carlo_with_certain_disruption_equals_the_deterministic_run() {
    let text = format!(
        "{CHN_REE}\n[probability]\nloss_share_threshold = 0.4\n[[probability.supplier]]\ncountry = \"CHN\"\nannual_probability = 1.0\n"
    );
    let r = run_mc(&text, 500, 3);
    let mc = r.monte_carlo.as_ref().unwrap();
    assert_eq!(mc.distinct_sets, 1);
    assert_eq!(mc.suppliers[0].basis, "file");
    for m in &mc.rows {
        let det = row(&r, &m.importer);
        for v in [m.mean_loss_t, m.p50_loss_t, m.p95_loss_t] {
            close(v, det.loss_t);
        }
        for v in [m.mean_residual_t, m.p50_residual_t, m.p95_residual_t] {
            close(v, det.residual_t);
        }
        // JPN loses 7.5 of 17.5 t (42.9 % > 40 %) in every draw, DEU 1.125 of 3.17 t (35.5 %) in none.
        let expected = if det.loss_share.unwrap() > 0.4 { 1.0 } else { 0.0 };
        assert_eq!(m.prob_loss_share_above, Some(expected), "{}", m.importer);
    }
    assert_eq!(mc.rows.iter().find(|m| m.importer == "JPN").unwrap().prob_loss_share_above, Some(1.0));
    assert_eq!(mc.rows.iter().find(|m| m.importer == "DEU").unwrap().prob_loss_share_above, Some(0.0));
    // Probability 0: nothing is ever lost.
    let never = run_mc(&text.replace("annual_probability = 1.0", "annual_probability = 0.0"), 200, 3);
    assert!(never.monte_carlo.unwrap().rows.iter().all(|m| m.mean_loss_t == 0.0 && m.p95_residual_t == 0.0));
}

#[test]
fn monte_carlo_same_seed_same_output_and_wgi_mapping() {
    let a = run_mc(CHN_REE, 2_000, 11);
    let b = run_mc(CHN_REE, 2_000, 11);
    assert_eq!(a.monte_carlo, b.monte_carlo);
    let mc = a.monte_carlo.as_ref().unwrap();
    // CHN's 2022 WGI-PV estimate −0.45 → g = 0.59 → p = 0.01 + 0.29 × 0.59 = 0.1811.
    let chn = &mc.suppliers[0];
    assert_eq!((chn.supplier.as_str(), chn.basis.as_str(), chn.wgi_year), ("CHN", "wgi", Some(2022)));
    close(chn.g.unwrap(), 0.59);
    close(chn.annual_probability, 0.1811);
    // Each draw loses either nothing or the deterministic loss: the mean is the share of
    // disrupted draws times that loss, and the P50 is 0 (p < 0.5).
    let j = mc.rows.iter().find(|m| m.importer == "JPN").unwrap();
    let det = row(&a, "JPN").loss_t;
    let share = j.mean_loss_t / det;
    assert!((share * 2_000.0 - (share * 2_000.0).round()).abs() < 1e-9);
    assert!((share - 0.1811).abs() < 0.05, "{share}");
    assert_eq!(j.p50_loss_t, 0.0);
    assert_ne!(run_mc(CHN_REE, 2_000, 12).monte_carlo, a.monte_carlo);
}

fn near(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-7 * b.abs().max(1.0), "{a} != {b}");
}

/// The same shock, optimised with AUS → JPN preferred (pairs may name groups and coalitions;
/// here countries).
#[test]
fn optimised_allocation_by_hand() {
    let text = format!(
        "{CHN_REE}\n[allocation]\nmethod = \"optimise\"\n[allocation.preferences]\npairs = [{{ supplier = \"AUS\", importer = \"JPN\" }}]\n"
    );
    let r = run(&text).unwrap();
    assert_eq!(r.allocation, chokepoint_scenario::Allocation::Optimise);
    let pro = run(CHN_REE).unwrap();
    // Annual: AUS offers 5 t, all to JPN (loss 15) over the preferred pair; NLD's 0.1843 t go
    // to the pool, shared by the remaining losses JPN 10, DEU 2.25, USA 5 (17.25 t).
    // Six months: half.
    let j = row(&r, "JPN");
    assert_eq!(j.allocation, "optimise");
    near(j.received_preferred_t, 2.5);
    near(j.received_t, (5.0 + 0.1843 * 10.0 / 17.25) * 0.5);
    near(j.residual_t, 7.5 - j.received_t);
    assert_eq!(j.filled_by[0].0, "AUS");
    near(j.filled_by[0].1, 2.5);
    near(j.filled_by[1].1, 0.1843 * 10.0 / 17.25 * 0.5);
    // AUS still delivers its whole offer, so the displacement is the pro-rata one.
    near(j.displaced_t, 0.5);
    // The world's coverage and total received do not change; who receives does.
    close(j.coverage, row(&pro, "JPN").coverage);
    let d = row(&r, "DEU");
    near(d.received_t, 0.1843 * 2.25 / 17.25 * 0.5);
    assert!(d.received_t < row(&pro, "DEU").received_t);
    assert_eq!(d.received_preferred_t, 0.0);
    // JPN+DEU: the pair becomes AUS → JPN+DEU; the unit lost 17.25 t/yr, the pool shares
    // NLD's 0.1843 t over 12.25 (the unit) + 5 (USA).
    let u = row(&r, "JPN+DEU");
    near(u.received_t, (5.0 + 0.1843 * 12.25 / 17.25) * 0.5);
    // Same input, same output; pro-rata rows say so.
    assert_eq!(run(&text).unwrap().rows, r.rows);
    assert_eq!(row(&pro, "JPN").allocation, "pro-rata");
    assert_eq!(row(&pro, "JPN").received_preferred_t, 0.0);
    // Preferences under pro-rata are not used, and the run says so.
    let unused = text.replace("method = \"optimise\"", "method = \"pro-rata\"");
    let u = run(&unused).unwrap();
    assert!(u.notices.iter().any(|n| n.contains("are not used")), "{:?}", u.notices);
    assert_eq!(u.rows.iter().map(|x| x.received_t).collect::<Vec<_>>(), pro.rows.iter().map(|x| x.received_t).collect::<Vec<_>>());
    // Unknown countries in preferences name the line and field.
    let e = check(&text.replace("supplier = \"AUS\"", "supplier = \"XXX\"")).unwrap_err().to_string();
    assert!(e.starts_with("test.toml:23: field `allocation.preferences.pairs.supplier`:"), "{e}");
    // A coalition that offers nothing preferred (G7 members offer nothing here) is pro-rata.
    let g7 = text.replace("pairs = [{ supplier = \"AUS\", importer = \"JPN\" }]", "coalitions = [\"G7\"]");
    let g = run(&g7).unwrap();
    for (a, b) in g.rows.iter().zip(&pro.rows) {
        near(a.received_t, b.received_t);
    }
}

/// The Monte Carlo under the optimised allocation: certain disruption equals the
/// deterministic run; the same seed gives the same output.
#[test]
fn optimised_monte_carlo() {
    let text = format!(
        "{CHN_REE}\n[allocation]\nmethod = \"optimise\"\n[allocation.preferences]\npairs = [{{ supplier = \"AUS\", importer = \"JPN\" }}]\n[probability]\n[[probability.supplier]]\ncountry = \"CHN\"\nannual_probability = 1.0\n"
    );
    let r = run_mc(&text, 100, 5);
    for m in &r.monte_carlo.as_ref().unwrap().rows {
        near(m.mean_residual_t, row(&r, &m.importer).residual_t);
    }
    let half = text.replace("annual_probability = 1.0", "annual_probability = 0.5");
    assert_eq!(run_mc(&half, 1_000, 9).monte_carlo, run_mc(&half, 1_000, 9).monte_carlo);
}
