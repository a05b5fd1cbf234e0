//! `chokepoint bench gen`: seeded synthetic releases in CEPII BACI's format, at any size,
//! for benchmarks and tests (issue 7, "Full-scale BACI").
//!
//! Files written into the output directory (the names `chokepoint ingest baci` recognises):
//!
//! - `BACI_HS92_Y{year}_V202401b.csv` per year: `t,i,j,k,v,q` — year, exporter and importer
//!   BACI numeric codes, HS6 code as six digits with leading zeros, value in **thousands of
//!   USD** with 3 decimals, quantity in **metric tonnes** with 3 decimals or `NA` (about 3 %
//!   of rows; half of those padded to `         NA` as BACI's R export writes them);
//! - `country_codes_V202401b.csv` (`country_code,country_name,country_iso2,country_iso3`);
//! - `product_codes_HS92_V202401b.csv` (`code,description`), [`PRODUCTS`] codes;
//! - with [`GenFormat::Zip`], all of them in one release zip `BACI_HS92_V202401b.zip` instead.
//!
//! Structure, as in a real release: rows ordered by `i, j, k` with unique keys; every
//! ordered pair of distinct countries can trade; the number of products a pair trades is
//! proportional to exporter size × importer size (sizes lognormal, so big economies trade
//! far more products; a pair trades at most [`MAX_PRODUCTS_PER_PAIR`]); which products is a
//! draw without replacement weighted by a lognormal product popularity; values are
//! lognormal (heavy-tailed, σ = 2.3 in log space). The year's row count grows linearly from
//! 0.9 × `rows_per_year` in 1995 to 1.1 × in 2024 (clamped outside), and is exact.
//!
//! Determinism: the country and product tables come from ChaCha8 stream 0 of the seed, each
//! year from its own stream (`year + 1`), so a year's file is byte-identical for a given
//! seed, size and country table whatever the thread count and whichever other years are
//! generated with it. Years are generated in parallel, one year per thread.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::countries::{Country, CountryTable};
use crate::error::{DataError, IoContext, Result};
use crate::ingest::Progress;

/// The release name in the file names.
pub const RELEASE: &str = "V202401b";
/// The HS revision in the file names.
pub const HS_REVISION: &str = "HS92";
/// HS6 products of the product file.
pub const PRODUCTS: usize = 5000;
/// At most this many products per exporter × importer pair (half the product list).
pub const MAX_PRODUCTS_PER_PAIR: usize = PRODUCTS / 2;
/// Width of the code range of one product: product p's code lies in `[10000 + 197p, 10000 + 197(p+1))`.
const PRODUCT_STRIDE: u32 = 197;

/// Output layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GenFormat {
    /// One CSV per year and the two code files.
    #[default]
    Csv,
    /// The release zip `BACI_HS92_V202401b.zip` with the same files as members.
    Zip,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Output directory (created if missing).
    pub out: PathBuf,
    /// Years, each 1900–2100, no repeats.
    pub years: Vec<i32>,
    /// Rows of a year at the middle of 1995–2024; see the module doc for the trend.
    pub rows_per_year: u64,
    pub seed: u64,
    pub format: GenFormat,
    /// Worker threads (0: all cores). The output does not depend on it.
    pub threads: usize,
    pub progress: bool,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone)]
pub struct GenSummary {
    /// Files written, in order.
    pub files: Vec<PathBuf>,
    /// Trade rows per year.
    pub rows_by_year: BTreeMap<i32, u64>,
    /// Bytes of trade CSV (uncompressed).
    pub trade_bytes: u64,
}

/// The trade file name of a year: `BACI_HS92_Y2022_V202401b.csv`.
pub fn trade_file_name(year: i32) -> String {
    format!("BACI_{HS_REVISION}_Y{year}_{RELEASE}.csv")
}
/// `country_codes_V202401b.csv`.
pub fn country_file_name() -> String {
    format!("country_codes_{RELEASE}.csv")
}
/// `product_codes_HS92_V202401b.csv`.
pub fn product_file_name() -> String {
    format!("product_codes_{HS_REVISION}_{RELEASE}.csv")
}
/// `BACI_HS92_V202401b.zip`.
pub fn zip_file_name() -> String {
    format!("BACI_{HS_REVISION}_{RELEASE}.zip")
}

/// The countries of a generated release: one BACI code per ISO3 of `table`, the lowest (the
/// other codes of a shared ISO3 are historical in BACI: 280 "Fed. Rep. of Germany
/// (...1990)" beside 276, 58 Belgium-Luxembourg beside 56), so no two codes of the output
/// merge on ingest. Sorted by BACI code.
pub fn release_countries(table: &CountryTable) -> Vec<Country> {
    let mut by_iso3: BTreeMap<&str, &Country> = BTreeMap::new();
    for c in table.countries() {
        let e = by_iso3.entry(c.iso3.as_str()).or_insert(c);
        if c.baci_code < e.baci_code {
            *e = c;
        }
    }
    let mut out: Vec<Country> = by_iso3.into_values().filter(|c| c.baci_code >= 0).cloned().collect();
    out.sort_by_key(|c| c.baci_code);
    out
}

/// The year's row count: `rows_per_year` × (0.9 + 0.2 × (year − 1995) / 29), year clamped
/// to 1995–2024, rounded.
pub fn rows_in_year(rows_per_year: u64, year: i32) -> u64 {
    let f = (f64::from(year.clamp(1995, 2024) - 1995)) / 29.0;
    (rows_per_year as f64 * (0.9 + 0.2 * f)).round() as u64
}

/// Static tables of a seed: product codes and popularity, country sizes.
struct World {
    /// HS6 codes as numbers, ascending.
    hs6: Vec<u32>,
    /// Cumulative product popularity, last = 1.
    pop_cdf: Vec<f64>,
    /// Log sizes of each country as exporter and importer, and a yearly drift.
    exp_size: Vec<f64>,
    imp_size: Vec<f64>,
    drift: Vec<f64>,
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

impl World {
    fn new(seed: u64, countries: usize) -> World {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(0);
        let hs6: Vec<u32> = (0..PRODUCTS as u32).map(|p| 10000 + PRODUCT_STRIDE * p + rng.random_range(0..PRODUCT_STRIDE)).collect();
        let mut cdf = Vec::with_capacity(PRODUCTS);
        let mut acc = 0.0;
        for _ in 0..PRODUCTS {
            acc += (0.8 * normal(&mut rng)).exp();
            cdf.push(acc);
        }
        for c in &mut cdf {
            *c /= acc;
        }
        let mut exp_size = Vec::with_capacity(countries);
        let mut imp_size = Vec::with_capacity(countries);
        let mut drift = Vec::with_capacity(countries);
        for _ in 0..countries {
            let size = 1.6 * normal(&mut rng);
            exp_size.push(size + 0.4 * normal(&mut rng));
            imp_size.push(size + 0.4 * normal(&mut rng));
            drift.push(0.03 * normal(&mut rng));
        }
        World { hs6, pop_cdf: cdf, exp_size, imp_size, drift }
    }

    /// Products per ordered pair (exporter index × n + importer index, 0 on the diagonal),
    /// summing exactly to `rows`: shares proportional to size × size, capped at
    /// [`MAX_PRODUCTS_PER_PAIR`], rounded on the cumulative sum.
    fn pair_counts(&self, year: i32, rows: u64) -> Vec<u32> {
        let n = self.exp_size.len();
        let t = f64::from(year.clamp(1995, 2024) - 1995);
        let w = |s: &[f64], i: usize| (s[i] + self.drift[i] * t).exp();
        let mut e = vec![0.0f64; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    e[i * n + j] = w(&self.exp_size, i) * w(&self.imp_size, j);
                }
            }
        }
        let cap = MAX_PRODUCTS_PER_PAIR as f64;
        let target = rows as f64;
        let capped = |s: f64| e.iter().map(|x| (x * s).min(cap)).sum::<f64>();
        // The largest sum possible is cap × pairs; `rows` is checked against it by the caller.
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        while capped(hi) < target {
            hi *= 2.0;
        }
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if capped(mid) < target { lo = mid } else { hi = mid }
        }
        let d: Vec<f64> = e.iter().map(|x| (x * hi).min(cap)).collect();
        let sum: f64 = d.iter().sum();
        let scale = target / sum;
        let mut out = Vec::with_capacity(d.len());
        let (mut cum, mut prev) = (0.0f64, 0u64);
        for x in d {
            cum += x * scale;
            let r = (cum.round() as u64).min(rows);
            out.push(((r - prev) as u32).min(MAX_PRODUCTS_PER_PAIR as u32));
            prev = r;
        }
        // Rounding and the cap can leave a few rows over or under: settle them on the largest uncapped pairs.
        let mut diff = rows as i64 - out.iter().map(|&c| i64::from(c)).sum::<i64>();
        let mut order: Vec<usize> = (0..out.len()).filter(|&k| out[k] > 0).collect();
        order.sort_by_key(|&k| std::cmp::Reverse(out[k]));
        for k in order.iter().copied().cycle().take(order.len() * 4) {
            if diff == 0 {
                break;
            }
            if diff > 0 && (out[k] as usize) < MAX_PRODUCTS_PER_PAIR {
                out[k] += 1;
                diff -= 1;
            } else if diff < 0 && out[k] > 1 {
                out[k] -= 1;
                diff += 1;
            }
        }
        out
    }

    /// Draw `count` distinct products by popularity, into `chosen` (a bitset over products).
    fn draw_products(&self, rng: &mut ChaCha8Rng, count: u32, chosen: &mut [u64]) {
        chosen.fill(0);
        let mut have = 0;
        while have < count {
            let u: f64 = rng.random();
            let p = self.pop_cdf.partition_point(|&c| c < u).min(PRODUCTS - 1);
            let (w, b) = (p / 64, 1u64 << (p % 64));
            if chosen[w] & b == 0 {
                chosen[w] |= b;
                have += 1;
            }
        }
    }
}

/// Append the decimal digits of `n`.
fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Append `milli / 1000` with exactly 3 decimals (`12.345`, `0.001`).
fn push_milli(buf: &mut Vec<u8>, milli: u64) {
    push_u64(buf, milli / 1000);
    let f = milli % 1000;
    buf.extend_from_slice(&[b'.', b'0' + (f / 100) as u8, b'0' + (f / 10 % 10) as u8, b'0' + (f % 10) as u8]);
}

/// Write one year's trade CSV to `w`; returns (rows, bytes). Calls `tick(rows)` now and then.
fn write_year_csv(
    world: &World,
    countries: &[Country],
    seed: u64,
    year: i32,
    rows: u64,
    w: &mut impl Write,
    tick: &dyn Fn(u64),
) -> std::io::Result<(u64, u64)> {
    let n = countries.len();
    let counts = world.pair_counts(year, rows);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(year as u64 + 1);
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(b"t,i,j,k,v,q\n");
    let mut chosen = vec![0u64; PRODUCTS.div_ceil(64)];
    let (mut written, mut bytes) = (0u64, 0u64);
    let year_text = year.to_string();
    let codes: Vec<String> = countries.iter().map(|c| c.baci_code.to_string()).collect();
    for i in 0..n {
        for j in 0..n {
            let count = counts[i * n + j];
            if count == 0 {
                continue;
            }
            world.draw_products(&mut rng, count, &mut chosen);
            // Pair level of values: bigger partners trade bigger flows.
            let pair_mu = 1.5 + 0.25 * (world.exp_size[i] + world.imp_size[j]);
            for (wi, &word) in chosen.iter().enumerate() {
                let mut word = word;
                while word != 0 {
                    let p = wi * 64 + word.trailing_zeros() as usize;
                    word &= word - 1;
                    let v = (pair_mu + 2.3 * normal(&mut rng)).exp();
                    let v_milli = ((v * 1000.0).round() as u64).max(1);
                    let na: f64 = rng.random();
                    let z = normal(&mut rng);
                    buf.extend_from_slice(year_text.as_bytes());
                    buf.push(b',');
                    buf.extend_from_slice(codes[i].as_bytes());
                    buf.push(b',');
                    buf.extend_from_slice(codes[j].as_bytes());
                    buf.push(b',');
                    let k = world.hs6[p];
                    buf.extend_from_slice(&[
                        b'0' + (k / 100_000 % 10) as u8,
                        b'0' + (k / 10_000 % 10) as u8,
                        b'0' + (k / 1000 % 10) as u8,
                        b'0' + (k / 100 % 10) as u8,
                        b'0' + (k / 10 % 10) as u8,
                        b'0' + (k % 10) as u8,
                        b',',
                    ]);
                    push_milli(&mut buf, v_milli);
                    buf.push(b',');
                    if na < 0.015 {
                        buf.extend_from_slice(b"         NA");
                    } else if na < 0.03 {
                        buf.extend_from_slice(b"NA");
                    } else {
                        // Tonnes: a unit value (thousand USD per tonne) lognormal around e^-0.5.
                        let q = v_milli as f64 * (-(0.5 + 1.5 * z)).exp();
                        push_milli(&mut buf, q.round() as u64);
                    }
                    buf.push(b'\n');
                }
            }
            written += u64::from(count);
            if buf.len() >= 1 << 20 {
                bytes += buf.len() as u64;
                w.write_all(&buf)?;
                buf.clear();
                tick(written);
            }
        }
    }
    bytes += buf.len() as u64;
    w.write_all(&buf)?;
    tick(written);
    Ok((written, bytes))
}

fn write_code_files(dir: &Path, countries: &[Country], world: &World) -> Result<Vec<PathBuf>> {
    let cpath = dir.join(country_file_name());
    let ppath = dir.join(product_file_name());
    let csv_err = |p: &Path, e: csv::Error| DataError::Invalid(format!("{}: cannot write CSV: {e}", p.display()));
    {
        let tmp = tmp_path(&cpath);
        let mut w = csv::Writer::from_path(&tmp).map_err(|e| csv_err(&tmp, e))?;
        w.write_record(["country_code", "country_name", "country_iso2", "country_iso3"]).map_err(|e| csv_err(&tmp, e))?;
        for c in countries {
            w.write_record([c.baci_code.to_string().as_str(), &c.name, c.iso2.as_deref().unwrap_or(""), &c.baci_iso3])
                .map_err(|e| csv_err(&tmp, e))?;
        }
        w.flush().at(&tmp)?;
        drop(w);
        std::fs::rename(&tmp, &cpath).at(&cpath)?;
    }
    {
        let tmp = tmp_path(&ppath);
        let mut w = csv::Writer::from_path(&tmp).map_err(|e| csv_err(&tmp, e))?;
        w.write_record(["code", "description"]).map_err(|e| csv_err(&tmp, e))?;
        for &k in &world.hs6 {
            let code = format!("{k:06}");
            w.write_record([code.as_str(), &format!("Synthetic goods of heading {}, subheading {code}", &code[..4])])
                .map_err(|e| csv_err(&tmp, e))?;
        }
        w.flush().at(&tmp)?;
        drop(w);
        std::fs::rename(&tmp, &ppath).at(&ppath)?;
    }
    Ok(vec![cpath, ppath])
}

fn tmp_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

fn zip_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644)
        .large_file(true)
}

/// Generate the release described by `opts` with the countries `countries` (BACI codes
/// with distinct ISO3s, e.g. [`release_countries`] of the store's table).
///
/// Files are written under a `.tmp` name and renamed when complete.
///
/// Errors: fewer than 2 countries, countries sharing an ISO3, no years, a repeated year,
/// `rows_per_year` too large for the key space (countries × (countries − 1) ×
/// [`MAX_PRODUCTS_PER_PAIR`]) or 0, and I/O errors naming the file.
pub fn generate(countries: &[Country], opts: &GenOptions) -> Result<GenSummary> {
    let n = countries.len();
    if n < 2 {
        return Err(DataError::Invalid(format!("bench gen needs at least 2 countries, got {n}")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in countries {
        if !seen.insert(&c.iso3) {
            return Err(DataError::Invalid(format!("bench gen: two country codes share the ISO3 {}; give one code per ISO3", c.iso3)));
        }
    }
    let mut countries = countries.to_vec();
    countries.sort_by_key(|c| c.baci_code);
    if opts.years.is_empty() {
        return Err(DataError::Invalid("bench gen: no years".to_owned()));
    }
    let mut years = opts.years.clone();
    years.sort_unstable();
    if years.windows(2).any(|w| w[0] == w[1]) {
        return Err(DataError::Invalid(format!("bench gen: a year is repeated in {:?}", opts.years)));
    }
    let key_space = (n * (n - 1) * MAX_PRODUCTS_PER_PAIR) as u64;
    if opts.rows_per_year == 0 || years.iter().any(|&y| rows_in_year(opts.rows_per_year, y) > key_space) {
        return Err(DataError::Invalid(format!(
            "bench gen: --rows-per-year {} must be at least 1 and at most {} (with {n} countries, at most {MAX_PRODUCTS_PER_PAIR} products per pair, and 1.1 × in 2024)",
            opts.rows_per_year,
            (key_space as f64 / 1.1) as u64
        )));
    }
    std::fs::create_dir_all(&opts.out).at(&opts.out)?;
    let world = World::new(opts.seed, n);
    let code_files = write_code_files(&opts.out, &countries, &world)?;

    let total: u64 = years.iter().map(|&y| rows_in_year(opts.rows_per_year, y)).sum();
    let bar = Progress::new(opts.progress).bar(total, "generated rows");
    let threads = if opts.threads == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { opts.threads };
    let next = AtomicUsize::new(0);
    let results: Mutex<BTreeMap<i32, Result<(PathBuf, u64, u64)>>> = Mutex::new(BTreeMap::new());
    let zip = opts.format == GenFormat::Zip;
    std::thread::scope(|s| {
        for _ in 0..threads.min(years.len()) {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&year) = years.get(k) else { break };
                    let rows = rows_in_year(opts.rows_per_year, year);
                    let done = std::sync::atomic::AtomicU64::new(0);
                    let tick = |r: u64| {
                        let prev = done.swap(r, Ordering::Relaxed);
                        bar.inc(r - prev);
                    };
                    let res = write_one_year(&world, &countries, opts, year, rows, zip, &tick);
                    results.lock().expect("no panic while holding").insert(year, res);
                }
            });
        }
    });
    bar.finish_and_clear();
    let results = results.into_inner().expect("threads joined");
    let mut rows_by_year = BTreeMap::new();
    let mut trade_bytes = 0;
    let mut year_files = Vec::new();
    for (year, r) in results {
        let (path, rows, bytes) = r?;
        rows_by_year.insert(year, rows);
        trade_bytes += bytes;
        year_files.push(path);
    }
    if !zip {
        let mut files = year_files;
        files.extend(code_files);
        return Ok(GenSummary { files, rows_by_year, trade_bytes });
    }
    // The release zip: each year was deflated by its thread into a one-member zip; copy the
    // compressed members as they are, then add the code files.
    let zpath = opts.out.join(zip_file_name());
    let ztmp = tmp_path(&zpath);
    let zerr = |p: &Path| {
        let p = p.to_owned();
        move |source| DataError::Zip { path: p.clone(), source }
    };
    let mut zw = zip::ZipWriter::new(BufWriter::new(File::create(&ztmp).at(&ztmp)?));
    for part in &year_files {
        let mut archive = zip::ZipArchive::new(File::open(part).at(part)?).map_err(zerr(part))?;
        let member = archive.by_index_raw(0).map_err(zerr(part))?;
        zw.raw_copy_file(member).map_err(zerr(&ztmp))?;
    }
    for f in &code_files {
        let name = f.file_name().expect("file").to_string_lossy().into_owned();
        zw.start_file(name, zip_options()).map_err(zerr(&ztmp))?;
        std::io::copy(&mut File::open(f).at(f)?, &mut zw).at(&ztmp)?;
    }
    let mut inner = zw.finish().map_err(zerr(&ztmp))?;
    inner.flush().at(&ztmp)?;
    drop(inner);
    std::fs::rename(&ztmp, &zpath).at(&zpath)?;
    for f in year_files.iter().chain(&code_files) {
        std::fs::remove_file(f).at(f)?;
    }
    Ok(GenSummary { files: vec![zpath], rows_by_year, trade_bytes })
}

/// One year: its CSV, or (zip) a one-member zip `…csv.zip.part` holding it. Returns (path, rows, CSV bytes).
fn write_one_year(
    world: &World,
    countries: &[Country],
    opts: &GenOptions,
    year: i32,
    rows: u64,
    zip: bool,
    tick: &dyn Fn(u64),
) -> Result<(PathBuf, u64, u64)> {
    let name = trade_file_name(year);
    if !zip {
        let path = opts.out.join(&name);
        let tmp = tmp_path(&path);
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp).at(&tmp)?);
        let (r, b) = write_year_csv(world, countries, opts.seed, year, rows, &mut w, tick).at(&tmp)?;
        w.into_inner().map_err(|e| e.into_error()).at(&tmp)?.sync_all().at(&tmp)?;
        std::fs::rename(&tmp, &path).at(&path)?;
        return Ok((path, r, b));
    }
    let path = opts.out.join(format!("{name}.zip.part"));
    let mut zw = zip::ZipWriter::new(BufWriter::new(File::create(&path).at(&path)?));
    zw.start_file(name, zip_options()).map_err(|source| DataError::Zip { path: path.clone(), source })?;
    let (r, b) = write_year_csv(world, countries, opts.seed, year, rows, &mut zw, tick).at(&path)?;
    let mut inner = zw.finish().map_err(|source| DataError::Zip { path: path.clone(), source })?;
    inner.flush().at(&path)?;
    Ok((path, r, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn countries(n: usize) -> Vec<Country> {
        (0..n)
            .map(|k| {
                let iso3: String = [b'A' + (k / 26) as u8, b'A' + (k % 26) as u8, b'X'].iter().map(|&b| b as char).collect();
                Country::from_baci(4 + 3 * k as i32, &format!("Country {iso3}, Rep. of"), &iso3[..2], &iso3)
            })
            .collect()
    }

    fn opts(dir: &Path, years: Vec<i32>, rows: u64, threads: usize, format: GenFormat) -> GenOptions {
        GenOptions { out: dir.to_owned(), years, rows_per_year: rows, seed: 7, format, threads, progress: false }
    }

    #[test]
    fn rows_per_year_follow_the_trend() {
        assert_eq!(rows_in_year(10_000_000, 1995), 9_000_000);
        assert_eq!(rows_in_year(10_000_000, 2024), 11_000_000);
        assert_eq!(rows_in_year(10_000_000, 1990), 9_000_000);
        assert_eq!(rows_in_year(1000, 2024), 1100);
    }

    #[test]
    fn milli_formatting() {
        let mut b = Vec::new();
        push_milli(&mut b, 1);
        b.push(b' ');
        push_milli(&mut b, 12_345_678);
        b.push(b' ');
        push_milli(&mut b, 0);
        assert_eq!(String::from_utf8(b).unwrap(), "0.001 12345.678 0.000");
    }

    #[test]
    fn same_seed_same_bytes_whatever_the_threads_and_years() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let c = countries(30);
        let sa = generate(&c, &opts(a.path(), vec![2000, 2001, 2002], 5000, 1, GenFormat::Csv)).unwrap();
        let sb = generate(&c, &opts(b.path(), vec![2002, 2000], 5000, 3, GenFormat::Csv)).unwrap();
        assert_eq!(sa.rows_by_year[&2000], rows_in_year(5000, 2000));
        for name in [trade_file_name(2000), trade_file_name(2002), country_file_name(), product_file_name()] {
            let x = std::fs::read(a.path().join(&name)).unwrap();
            assert_eq!(x, std::fs::read(b.path().join(&name)).unwrap(), "{name}");
        }
        assert_eq!(sb.rows_by_year.len(), 2);
        // Another seed, other rows.
        let d = tempfile::tempdir().unwrap();
        let mut o = opts(d.path(), vec![2000], 5000, 1, GenFormat::Csv);
        o.seed = 8;
        generate(&c, &o).unwrap();
        assert_ne!(
            std::fs::read(d.path().join(trade_file_name(2000))).unwrap(),
            std::fs::read(a.path().join(trade_file_name(2000))).unwrap()
        );
    }

    #[test]
    fn header_order_uniqueness_and_missing_quantities() {
        let dir = tempfile::tempdir().unwrap();
        let c = countries(40);
        let s = generate(&c, &opts(dir.path(), vec![2010], 40_000, 0, GenFormat::Csv)).unwrap();
        let rows = rows_in_year(40_000, 2010);
        assert_eq!(s.rows_by_year[&2010], rows);
        let text = std::fs::read_to_string(dir.path().join(trade_file_name(2010))).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("t,i,j,k,v,q"));
        let mut prev: Option<(i32, i32, String)> = None;
        let (mut n, mut na, mut padded) = (0u64, 0u64, 0u64);
        let mut per_exporter: BTreeMap<i32, u64> = BTreeMap::new();
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 6, "{line}");
            assert_eq!(f[0], "2010");
            let key = (f[1].parse::<i32>().unwrap(), f[2].parse::<i32>().unwrap(), f[3].to_owned());
            assert_ne!(key.0, key.1, "{line}");
            assert_eq!(key.2.len(), 6);
            if let Some(p) = &prev {
                assert!(p < &key, "rows not in strictly increasing i, j, k order: {p:?} then {key:?}");
            }
            let v: f64 = f[4].parse().unwrap();
            assert!(v >= 0.001 && f[4].split('.').nth(1).unwrap().len() == 3, "{line}");
            if f[5].trim() == "NA" {
                na += 1;
                padded += u64::from(f[5] == "         NA");
            } else {
                assert!(f[5].parse::<f64>().unwrap() >= 0.0);
            }
            *per_exporter.entry(key.0).or_default() += 1;
            prev = Some(key);
            n += 1;
        }
        assert_eq!(n, rows);
        let share = na as f64 / n as f64;
        assert!((0.025..0.035).contains(&share), "NA share {share}");
        assert!(padded > na / 3 && padded < 2 * na / 3, "{padded} of {na} padded");
        // Heavy-tailed sizes: the biggest exporter ships several times the median one.
        let mut sizes: Vec<u64> = per_exporter.values().copied().collect();
        sizes.sort_unstable();
        assert!(sizes[sizes.len() - 1] > 4 * sizes[sizes.len() / 2], "{sizes:?}");
    }

    #[test]
    fn the_zip_holds_the_same_files() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let c = countries(12);
        generate(&c, &opts(a.path(), vec![2020, 2021], 2000, 2, GenFormat::Csv)).unwrap();
        let s = generate(&c, &opts(b.path(), vec![2020, 2021], 2000, 2, GenFormat::Zip)).unwrap();
        assert_eq!(s.files, vec![b.path().join(zip_file_name())]);
        let names: Vec<_> = std::fs::read_dir(b.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, vec![zip_file_name()]);
        let mut z = zip::ZipArchive::new(File::open(&s.files[0]).unwrap()).unwrap();
        let mut members: Vec<String> = z.file_names().map(|n| n.unwrap().into_owned()).collect();
        members.sort();
        assert_eq!(members, vec![trade_file_name(2020), trade_file_name(2021), country_file_name(), product_file_name()]);
        for m in members {
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut z.by_name(&m).unwrap(), &mut text).unwrap();
            assert_eq!(text, std::fs::read(a.path().join(&m)).unwrap(), "{m}");
        }
    }

    #[test]
    fn bad_requests_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let c = countries(3);
        let err = generate(&c, &opts(dir.path(), vec![2020], 1_000_000, 1, GenFormat::Csv)).unwrap_err().to_string();
        assert!(err.contains("--rows-per-year 1000000 must be at least 1 and at most"), "{err}");
        let err = generate(&c[..1], &opts(dir.path(), vec![2020], 10, 1, GenFormat::Csv)).unwrap_err().to_string();
        assert!(err.contains("at least 2 countries"), "{err}");
        let err = generate(&c, &opts(dir.path(), vec![2020, 2020], 10, 1, GenFormat::Csv)).unwrap_err().to_string();
        assert!(err.contains("repeated"), "{err}");
    }
}
