//! `bench gen` output through `ingest baci`: the generator's release is accepted, the
//! parallel parser gives the store one thread gives, and errors far into a file (past the
//! first chunk a parser thread gets) still name the right line.

mod common;

use std::path::Path;

use arrow::array::{Array, AsArray};
use chokepoint_data::countries::Country;
use chokepoint_data::ingest::baci::{BaciOptions, OnError, ingest_baci};
use chokepoint_data::parquet_io::read_parquet;
use chokepoint_data::synthetic::{GenFormat, GenOptions, generate, rows_in_year, trade_file_name};
use common::sql;

fn countries(n: usize) -> Vec<Country> {
    (0..n)
        .map(|k| {
            let iso3: String = [b'A' + (k / 26) as u8, b'A' + (k % 26) as u8, b'Q'].iter().map(|&b| b as char).collect();
            Country::from_baci(4 + 3 * k as i32, &format!("Country {iso3}"), &iso3[..2], &iso3)
        })
        .collect()
}

fn make_release(dir: &Path, years: Vec<i32>, rows: u64, format: GenFormat) {
    let o = GenOptions { out: dir.to_owned(), years, rows_per_year: rows, seed: 42, format, threads: 2, progress: false };
    generate(&countries(60), &o).unwrap();
}

/// Every (importer, hs6, exporter) of a year's part files, in file order.
fn keys(store: &Path, year: i32) -> Vec<(String, String, String)> {
    let dir = store.join("store").join("trade").join(format!("year={year}"));
    let dir = std::fs::canonicalize(dir).unwrap();
    let mut parts: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    parts.sort_by_key(|p| p.file_stem().unwrap().to_str().unwrap().trim_start_matches("part-").parse::<usize>().unwrap());
    let mut out = Vec::new();
    for p in parts {
        for b in read_parquet(&p).unwrap() {
            let (i, h, e) = (b.column(0).as_string::<i32>(), b.column(1).as_string::<i32>(), b.column(2).as_string::<i32>());
            for r in 0..b.num_rows() {
                assert!(!i.is_null(r));
                out.push((i.value(r).to_owned(), h.value(r).to_owned(), e.value(r).to_owned()));
            }
        }
    }
    out
}

#[test]
fn a_generated_release_is_ingested_sorted_and_unique_whatever_the_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let rel = tmp.path().join("rel");
    // 2 × ~150,000 rows: several 4 MiB chunks per file.
    make_release(&rel, vec![2023, 2024], 150_000, GenFormat::Csv);
    let expected = rows_in_year(150_000, 2023) + rows_in_year(150_000, 2024);
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    let s1 = ingest_baci(&one, &[rel.clone()], &BaciOptions { threads: 1, ..BaciOptions::default() }).unwrap();
    let s2 = ingest_baci(&two, &[rel.clone()], &BaciOptions { threads: 2, ..BaciOptions::default() }).unwrap();
    assert_eq!((s1.rows_read, s1.rows_written, s1.years.clone()), (expected, expected, vec![2023, 2024]));
    assert_eq!((s2.rows_read, s2.rows_written), (expected, expected));
    for year in [2023, 2024] {
        let k2 = keys(&two, year);
        assert_eq!(k2.len() as u64, rows_in_year(150_000, year));
        assert!(k2.windows(2).all(|w| w[0] < w[1]), "{year}: rows not strictly sorted by importer, hs6, exporter across parts");
        assert_eq!(keys(&one, year), k2);
    }
    // Values in USD (v × 1000) agree with the CSV: the sum over the file, exactly in milli-USD.
    let text = std::fs::read_to_string(rel.join(trade_file_name(2024))).unwrap();
    let milli: u64 = text.lines().skip(1).map(|l| l.split(',').nth(4).unwrap().replace('.', "").parse::<u64>().unwrap()).sum();
    let got = sql(&two, "SELECT CAST(sum(CAST(value_usd AS DECIMAL(38, 3))) AS VARCHAR) FROM trade WHERE year = 2024");
    assert_eq!(got[0][0].trim_end_matches(".000"), milli.to_string());
    let na = text.lines().skip(1).filter(|l| l.ends_with("NA")).count();
    assert_eq!(sql(&two, "SELECT count(*) FROM trade WHERE year = 2024 AND quantity_t IS NULL")[0][0], na.to_string());
}

#[test]
fn the_zip_release_is_ingested_like_the_csv_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (csv, zip) = (tmp.path().join("csv"), tmp.path().join("zip"));
    make_release(&csv, vec![2022], 20_000, GenFormat::Csv);
    make_release(&zip, vec![2022], 20_000, GenFormat::Zip);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    ingest_baci(&a, &[csv], &BaciOptions::default()).unwrap();
    let s = ingest_baci(&b, &[zip], &BaciOptions::default()).unwrap();
    assert_eq!(s.rows_written, rows_in_year(20_000, 2022));
    assert_eq!(keys(&a, 2022), keys(&b, 2022));
}

#[test]
fn a_bad_row_past_the_first_chunk_is_named_by_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let rel = tmp.path().join("rel");
    make_release(&rel, vec![2024], 150_000, GenFormat::Csv);
    let f = rel.join(trade_file_name(2024));
    let mut lines: Vec<String> = std::fs::read_to_string(&f).unwrap().lines().map(str::to_owned).collect();
    // Line 140,001 of the file (index 140,000): a value that is not a number; line 150,001: a short row.
    let bad = lines[140_000].rsplitn(3, ',').collect::<Vec<_>>();
    lines[140_000] = format!("{},12x,{}", bad[2], bad[0]);
    lines[150_000] = "2024,4,7".to_owned();
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let label = f.display().to_string();
    for threads in [1, 2] {
        let err =
            ingest_baci(&tmp.path().join("d"), &[rel.clone()], &BaciOptions { threads, ..BaciOptions::default() }).unwrap_err().to_string();
        assert!(err.contains(&format!("{label}:140001:5")) && err.contains("12x"), "{threads} threads: {err}");
    }
    let s =
        ingest_baci(&tmp.path().join("d"), &[rel.clone()], &BaciOptions { on_error: OnError::Skip, threads: 2, ..BaciOptions::default() })
            .unwrap();
    assert_eq!(s.skipped, 2);
    assert_eq!(s.rows_written, rows_in_year(150_000, 2024) - 2);
    assert!(s.skipped_examples[0].contains(":140001:5"), "{:?}", s.skipped_examples);
    assert!(s.skipped_examples[1].contains(":150001"), "{:?}", s.skipped_examples);
}
