//! `ingest baci`: BACI-format CSV and zip releases, good and bad.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use chokepoint_data::fixtures::{MiniBundle, baci_country_codes_csv, store_snapshot};
use chokepoint_data::ingest::baci::{BaciOptions, OnError, ingest_baci};
use chokepoint_data::ingest::geopolrisk::{GeopolriskOptions, ingest_geopolrisk};
use common::sql;

const HEADER: &str = "t,i,j,k,v,q\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn codes(dir: &Path) -> PathBuf {
    write(dir, "country_codes_V202401b.csv", &baci_country_codes_csv())
}

fn products(dir: &Path) -> PathBuf {
    write(
        dir,
        "product_codes_HS92_V202401b.csv",
        "code,description\n010111,\"Horses: live, pure-bred\"\n280530,Rare-earth metals\n9999AA,Not specified\n",
    )
}

fn opts() -> BaciOptions {
    BaciOptions::default()
}

#[test]
fn a_release_as_csv_files_is_ingested_with_units_and_codes_resolved() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let trade = write(
        d,
        "BACI_HS92_Y2022_V202401b.csv",
        &format!(
            "{HEADER}2022,156,392,280530,300.5,30\n2022,490,392,280530,20,         NA\n2022,392,276,010111,0.001,\n2022,729,276,280530,1,1\n2022,736,276,280530,2,2\n"
        ),
    );
    let data = d.join("data");
    let s = ingest_baci(&data, &[trade, codes(d), products(d)], &opts()).unwrap();
    assert_eq!((s.rows_read, s.rows_written, s.skipped), (5, 4, 0));
    assert_eq!(s.years, vec![2022]);
    assert_eq!(
        sql(&data, "SELECT year, exporter, importer, hs6, value_usd, quantity_t FROM trade ORDER BY importer, exporter"),
        vec![
            vec!["2022", "JPN", "DEU", "010111", "1.0", "NULL"],
            vec!["2022", "SDN", "DEU", "280530", "3000.0", "3.0"],
            vec!["2022", "CHN", "JPN", "280530", "300500.0", "30.0"],
            vec!["2022", "TWN", "JPN", "280530", "20000.0", "NULL"],
        ]
    );
    assert_eq!(sql(&data, "SELECT count(*) FROM products"), vec![vec!["3"]]);
    let m = chokepoint_data::Store::open(&data).unwrap().manifest().clone();
    assert_eq!(m.trade_years[&2022].hs_revision, "HS92");
    assert!(m.sources.iter().any(|s| s.id == "baci-HS92-V202401b/BACI_HS92_Y2022_V202401b.csv"));
}

#[test]
fn a_release_zip_is_read_without_unpacking() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let zip_path = d.join("BACI_HS92_V202401b.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    z.start_file("BACI_HS92_Y2021_V202401b.csv", o).unwrap();
    z.write_all(format!("{HEADER}2021,156,392,280530,1,1\n").as_bytes()).unwrap();
    z.start_file("BACI_HS92_Y2022_V202401b.csv", o).unwrap();
    z.write_all(format!("{HEADER}2022,156,392,280530,2,2\n2022,36,392,280530,3,NA\n").as_bytes()).unwrap();
    z.start_file("country_codes_V202401b.csv", o).unwrap();
    z.write_all(baci_country_codes_csv().as_bytes()).unwrap();
    z.start_file("Readme.txt", o).unwrap();
    z.write_all(b"ignored").unwrap();
    z.finish().unwrap();
    let data = d.join("data");
    let s = ingest_baci(&data, &[zip_path], &opts()).unwrap();
    assert_eq!(s.years, vec![2021, 2022]);
    assert_eq!(
        sql(&data, "SELECT year, count(*), sum(value_usd) FROM trade GROUP BY year ORDER BY year"),
        vec![vec!["2021", "1", "1000.0"], vec!["2022", "2", "5000.0"]]
    );
}

#[test]
fn a_release_replaces_its_years_and_keeps_the_rest_of_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let bundle = MiniBundle::create(&d.join("bundle")).unwrap();
    let data = d.join("data");
    ingest_geopolrisk(&data, &bundle.dir, &GeopolriskOptions::default()).unwrap();
    // The store's own countries serve when the release brings no code file.
    let trade = write(d, "BACI_HS92_Y2022_V202401b.csv", &format!("{HEADER}2022,156,392,280530,1,1\n"));
    ingest_baci(&data, &[trade], &opts()).unwrap();
    assert_eq!(sql(&data, "SELECT year, count(*) FROM trade GROUP BY year ORDER BY year"), vec![vec!["2010", "2"], vec!["2022", "1"]]);
    assert_eq!(sql(&data, "SELECT count(*) FROM materials"), vec![vec!["3"]]);
    assert_eq!(sql(&data, "SELECT count(*) FROM governance WHERE country = 'JPN'"), vec![vec!["2"]]);
    // Another HS revision needs --replace-all.
    let hs17 = write(d, "BACI_HS17_Y2022_V202401b.csv", &format!("{HEADER}2022,156,392,280530,1,1\n"));
    let err = ingest_baci(&data, std::slice::from_ref(&hs17), &opts()).unwrap_err().to_string();
    assert!(err.contains("the store's trade is HS92 and these files are HS17"), "{err}");
    let all = BaciOptions { replace_all: true, ..opts() };
    ingest_baci(&data, &[hs17], &all).unwrap();
    assert_eq!(sql(&data, "SELECT year, count(*) FROM trade GROUP BY year"), vec![vec!["2022", "1"]]);
}

/// Ingest a good release, then a bad CSV: the error names `needle`; the store is unchanged.
fn assert_rejected(bad_csv: &str, needle: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = write(d, "BACI_HS92_Y2021_V202401b.csv", &format!("{HEADER}2021,156,392,280530,1,1\n"));
    let data = d.join("data");
    ingest_baci(&data, &[good, codes(d)], &opts()).unwrap();
    let before = store_snapshot(&data);
    let bad = write(d, "BACI_HS92_Y2022_V202401b.csv", bad_csv);
    let err = ingest_baci(&data, &[bad], &opts()).unwrap_err().to_string();
    assert!(err.contains(needle), "error {err:?} should mention {needle:?}");
    assert_eq!(store_snapshot(&data), before, "store changed after a failed ingest");
}

#[test]
fn wrong_header() {
    assert_rejected(
        "year,exporter,importer,hs6,value,quantity\n2022,156,392,280530,1,1\n",
        "BACI_HS92_Y2022_V202401b.csv:1: header is \"year,exporter,importer,hs6,value,quantity\", expected \"t,i,j,k,v,q\"",
    );
}

#[test]
fn short_row() {
    assert_rejected(
        &format!("{HEADER}2022,156,392,280530,1,1\n2022,156,392,280530,1\n"),
        "BACI_HS92_Y2022_V202401b.csv:3: row has 5 fields, expected 6",
    );
}

#[test]
fn negative_value() {
    assert_rejected(
        &format!("{HEADER}2022,156,392,280530,-4.5,1\n"),
        "BACI_HS92_Y2022_V202401b.csv:2:5: v is \"-4.5\", expected a non-negative number (thousands of USD, at most 1.79e305 so that the value in USD is finite)",
    );
}

#[test]
fn text_in_a_number_field() {
    assert_rejected(
        &format!("{HEADER}2022,156,392,280530,1,lots\n"),
        ":2:6: q is \"lots\", expected a non-negative number (metric tonnes), or empty/NA",
    );
}

#[test]
fn hs_code_that_lost_its_leading_zero() {
    assert_rejected(
        &format!("{HEADER}2022,156,392,10111,1,1\n"),
        ":2:4: k is \"10111\", expected an HS6 code of exactly 6 digits — this one lost its leading zero(s)",
    );
}

#[test]
fn unknown_country_code() {
    assert_rejected(
        &format!("{HEADER}2022,156,392,280530,1,1\n2022,999,392,280530,1,1\n"),
        "BACI_HS92_Y2022_V202401b.csv:3:2: i \"999\" is not a known BACI country code",
    );
}

#[test]
fn bad_year() {
    assert_rejected(&format!("{HEADER}22,156,392,280530,1,1\n"), ":2:1: t is \"22\", expected a year between 1900 and 2100");
}

#[test]
fn na_quantity_is_allowed_as_null() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(d, "BACI_HS92_Y2022_V202401b.csv", &format!("{HEADER}2022,156,392,280530,1,NA\n2022,36,392,280530,1,\n"));
    let data = d.join("data");
    ingest_baci(&data, &[f, codes(d)], &opts()).unwrap();
    assert_eq!(sql(&data, "SELECT count(*) FROM trade WHERE quantity_t IS NULL"), vec![vec!["2"]]);
}

#[test]
fn skip_mode_counts_and_reports_bad_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(
        d,
        "BACI_HS92_Y2022_V202401b.csv",
        &format!(
            "{HEADER}2022,156,392,280530,1,1\n2022,156,392,10111,1,1\n2022,156,392,280530\n2022,36,392,280530,-1,1\n2022,36,392,280530,2,2\n"
        ),
    );
    let data = d.join("data");
    let s = ingest_baci(&data, &[f, codes(d)], &BaciOptions { on_error: OnError::Skip, ..opts() }).unwrap();
    assert_eq!((s.rows_read, s.skipped), (2, 3));
    assert!(s.skipped_examples[0].contains(":3:4: k is \"10111\""), "{:?}", s.skipped_examples);
    assert!(s.skipped_examples[1].contains(":4: row has 4 fields"), "{:?}", s.skipped_examples);
    assert!(s.skipped_examples[2].contains(":5:5: v is \"-1\""), "{:?}", s.skipped_examples);
    assert_eq!(sql(&data, "SELECT count(*) FROM trade"), vec![vec!["2"]]);
}

#[test]
fn no_country_codes_anywhere_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(d, "BACI_HS92_Y2022_V202401b.csv", &format!("{HEADER}2022,156,392,280530,1,1\n"));
    let err = ingest_baci(&d.join("data"), &[f], &opts()).unwrap_err().to_string();
    assert!(err.contains("no country codes"), "{err}");
}

#[test]
fn a_year_given_twice_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let a = write(d, "BACI_HS92_Y2022_V202401b.csv", &format!("{HEADER}2022,156,392,280530,1,1\n"));
    let b = write(d, "BACI_HS92_Y2022_V202401b_fixed.csv", &format!("{HEADER}2022,36,392,280530,1,1\n"));
    let err = ingest_baci(&d.join("data"), &[a.clone(), b, codes(d)], &opts()).unwrap_err().to_string();
    assert!(err.contains("year 2022 appears in both"), "{err}");
    // Two files of one name (their name is their id among the store's sources).
    std::fs::create_dir(d.join("copy")).unwrap();
    let c = write(&d.join("copy"), "BACI_HS92_Y2022_V202401b.csv", &format!("{HEADER}2022,36,392,280530,1,1\n"));
    let err = ingest_baci(&d.join("data"), &[a, c, codes(d)], &opts()).unwrap_err().to_string();
    assert!(err.contains("two inputs are named BACI_HS92_Y2022_V202401b.csv"), "{err}");
}

#[test]
fn a_file_without_rows_among_others_stops_the_ingest() {
    // A truncated year (header only), or one whose every row is bad in skip mode, would
    // otherwise pass unnoticed beside the good files, and be named as the year's source.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let data = d.join("data");
    let good = write(d, "BACI_HS92_Y2021_V202401b.csv", &format!("{HEADER}2021,156,392,280530,1,1\n"));
    ingest_baci(&data, &[good.clone(), codes(d)], &opts()).unwrap();
    let before = store_snapshot(&data);
    let empty = write(d, "BACI_HS92_Y2022_V202401b.csv", HEADER);
    let err = ingest_baci(&data, &[good.clone(), empty], &opts()).unwrap_err().to_string();
    assert!(err.contains("no trade rows in") && err.contains("BACI_HS92_Y2022_V202401b.csv: a BACI trade file has at least one"), "{err}");
    let bad = write(d, "BACI_HS92_Y2023_V202401b.csv", &format!("{HEADER}2023,156,392,28053,1,1\n2023,156,392,280530,-1,1\n"));
    let skip = BaciOptions { on_error: OnError::Skip, ..opts() };
    let err = ingest_baci(&data, &[good, bad], &skip).unwrap_err().to_string();
    assert!(err.contains("BACI_HS92_Y2023_V202401b.csv (2 bad rows skipped)"), "{err}");
    assert_eq!(store_snapshot(&data), before, "store changed after a failed ingest");
}

#[test]
fn sources_of_replaced_years_leave_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let data = d.join("data");
    let y21 = write(d, "BACI_HS92_Y2021_V202401b.csv", &format!("{HEADER}2021,156,392,280530,1,1\n"));
    let y22 = write(d, "BACI_HS92_Y2022_V202401b.csv", &format!("{HEADER}2022,156,392,280530,1,1\n"));
    ingest_baci(&data, &[y21, y22, codes(d)], &opts()).unwrap();
    // 2021 again, from a later release: its old source goes, 2022's stays.
    let new21 = write(d, "BACI_HS92_Y2021_V202501.csv", &format!("{HEADER}2021,156,392,280530,2,2\n"));
    ingest_baci(&data, &[new21], &opts()).unwrap();
    let m = chokepoint_data::Store::open(&data).unwrap().manifest().clone();
    let trade_sources: Vec<&str> = m.sources.iter().filter(|s| s.tables == ["trade"]).map(|s| s.id.as_str()).collect();
    assert_eq!(trade_sources, ["baci-HS92-V202401b/BACI_HS92_Y2022_V202401b.csv", "baci-HS92-V202501/BACI_HS92_Y2021_V202501.csv"]);
    assert_eq!(m.trade_years[&2021].source, "baci-HS92-V202501/BACI_HS92_Y2021_V202501.csv");
    assert!(m.sources.iter().any(|s| s.id == "baci-HS92-V202401b/country_codes_V202401b.csv"));
}

#[test]
fn ingesting_the_same_release_twice_gives_identical_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let trade = write(
        d,
        "BACI_HS92_Y2022_V202401b.csv",
        &format!("{HEADER}2022,36,392,280530,3,NA\n2022,156,392,280530,1,1\n2022,156,276,010111,2,2\n"),
    );
    let inputs = [trade, codes(d), products(d)];
    let (a, b) = (d.join("a"), d.join("b"));
    ingest_baci(&a, &inputs, &opts()).unwrap();
    ingest_baci(&b, &inputs, &opts()).unwrap();
    let first = store_snapshot(&b);
    ingest_baci(&b, &inputs, &opts()).unwrap();
    let parquet = |s: Vec<(String, String)>| -> Vec<(String, String)> { s.into_iter().filter(|(p, _)| p.ends_with(".parquet")).collect() };
    assert_eq!(parquet(store_snapshot(&a)), parquet(first.clone()));
    assert_eq!(parquet(store_snapshot(&b)), parquet(first));
}

#[test]
fn an_interrupted_ingest_leaves_the_store_readable_and_is_cleaned_up() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let trade = write(d, "BACI_HS92_Y2022_V202401b.csv", &format!("{HEADER}2022,156,392,280530,1,1\n"));
    let data = d.join("data");
    ingest_baci(&data, &[trade.clone(), codes(d)], &opts()).unwrap();
    let before = store_snapshot(&data);
    // What a killed ingest leaves behind: a half-written staging store of a dead process.
    let dead = data.join("stores/.staging-4294967-20260101T000000");
    std::fs::create_dir_all(dead.join("trade/year=2022")).unwrap();
    std::fs::write(dead.join("trade/year=2022/part-0.parquet"), b"half a file").unwrap();
    assert_eq!(store_snapshot(&data), before);
    assert_eq!(sql(&data, "SELECT count(*) FROM trade"), vec![vec!["1"]]);
    // The next ingest removes the leftover.
    ingest_baci(&data, &[trade], &opts()).unwrap();
    assert!(!dead.exists());
}

#[test]
fn a_row_of_another_year_than_the_file_name_says() {
    assert_rejected(
        &format!("{HEADER}2022,156,392,280530,1,1\n2021,36,392,280530,1,1\n"),
        "BACI_HS92_Y2022_V202401b.csv:3:1: t is \"2021\", expected 2022, the year in the file's name",
    );
}

#[test]
fn a_repeated_row_is_an_error_not_a_sum() {
    assert_rejected(
        &format!("{HEADER}2022,156,392,280530,1,1\n2022,156,392,280530,1,1\n"),
        "BACI_HS92_Y2022_V202401b.csv:3: the flow year 2022, exporter CHN (code 156), importer JPN (code 392), HS6 280530 appears more than once (first at line 2)",
    );
}

#[test]
fn a_flow_within_one_country() {
    assert_rejected(&format!("{HEADER}2022,392,392,280530,1,1\n"), ":2:3: j is \"392\", expected an importer other than the exporter");
}

#[test]
fn a_header_only_file_ingests_nothing() {
    assert_rejected(HEADER, "no trade rows in");
}

#[test]
fn an_unknown_hs_revision_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(d, "flows.csv", &format!("{HEADER}2022,156,392,280530,1,1\n"));
    let o = BaciOptions { hs_revision: Some("foo bar".into()), ..opts() };
    let err = ingest_baci(&d.join("data"), &[f, codes(d)], &o).unwrap_err().to_string();
    assert!(err.contains("HS revision \"FOO BAR\" is not one of BACI's: HS92, HS96"), "{err}");
}

#[test]
fn a_corrupt_zip_member_fails_even_when_skipping_bad_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let zip_path = d.join("release.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("BACI_HS92_Y2022_V202401b.csv", stored).unwrap();
    z.write_all(format!("{HEADER}2022,156,392,280530,100.5,1\n").as_bytes()).unwrap();
    z.start_file("country_codes_V202401b.csv", stored).unwrap();
    z.write_all(baci_country_codes_csv().as_bytes()).unwrap();
    z.finish().unwrap();
    let mut bytes = std::fs::read(&zip_path).unwrap();
    let at = bytes.windows(5).position(|w| w == b"100.5").unwrap();
    bytes[at] = b'9'; // the CRC-32 no longer matches
    std::fs::write(&zip_path, &bytes).unwrap();
    let skip = BaciOptions { on_error: OnError::Skip, ..opts() };
    let err = ingest_baci(&d.join("data"), &[zip_path], &skip).unwrap_err().to_string();
    assert!(err.contains("it is corrupt or truncated"), "{err}");
    assert!(!d.join("data/store").exists());
}

#[test]
fn a_release_directory_with_other_files_and_quoted_fields_is_read() {
    // An unpacked release keeps its Readme.txt next to the CSVs; a writer may quote fields.
    let tmp = tempfile::tempdir().unwrap();
    let release = tmp.path().join("release");
    std::fs::create_dir(&release).unwrap();
    write(&release, "Readme.txt", "BACI, CEPII\n");
    write(
        &release,
        "BACI_HS92_Y2022_V202401b.csv",
        &format!("{HEADER}2022,156,392,\"280530\",\"300.5\",30\r\n2022,392,276,010111,0.001,\r\n"),
    );
    codes(&release);
    let data = tmp.path().join("data");
    let s = ingest_baci(&data, &[release.clone()], &opts()).unwrap();
    assert_eq!((s.rows_read, s.rows_written), (2, 2));
    assert_eq!(
        sql(&data, "SELECT exporter, importer, hs6, value_usd, quantity_t FROM trade ORDER BY importer"),
        vec![vec!["JPN", "DEU", "010111", "1.0", "NULL"], vec!["CHN", "JPN", "280530", "300500.0", "30.0"]]
    );
    // Named on the command line, a file must be a release file.
    let err = ingest_baci(&data, &[release.join("Readme.txt")], &opts()).unwrap_err().to_string();
    assert!(err.contains("not a BACI release file"), "{err}");
}
