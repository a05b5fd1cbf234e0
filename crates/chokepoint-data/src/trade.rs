//! Writing the `trade` table: rows of one year are sorted by importer, HS6 and exporter,
//! rows that share a key after ISO3 mapping are summed, and the year is written as the
//! Parquet partition `trade/year=Y/` of one or more files `part-N.parquet`, each a
//! contiguous range of the sort order (part N before part N+1).

use std::path::Path;
use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, DictionaryArray, Float64Array, Int32Array, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};

use crate::error::Result;
use crate::parquet_io::{ROW_GROUP_ROWS, trade_writer_properties, write_parquet_without_arrow_schema};
use crate::schema::trade_file_schema;
use crate::store::trade_part_path;

/// One trade flow in memory. Countries are indexes into a sorted ISO3 list
/// ([`crate::countries::CountryTable::iso3s`]), the HS6 code is its numeric value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TradeRow {
    pub importer: u16,
    pub hs6: u32,
    pub exporter: u16,
    /// The source's own country codes (BACI `j`, `i`), to tell a repeated row (an error)
    /// from two codes that share one ISO3 (summed).
    pub importer_code: u16,
    pub exporter_code: u16,
    /// FOB value, USD.
    pub value_usd: f64,
    /// Quantity, metric tonnes; NaN where the source has none.
    pub quantity_t: f64,
    /// Line of the row in its source file (1-based), for error messages; 0 when the row
    /// does not come from a text file.
    pub line: u32,
}

impl TradeRow {
    fn key(&self) -> (u16, u32, u16) {
        (self.importer, self.hs6, self.exporter)
    }
}

/// Rows per part file of a year, about (parts end at an importer boundary).
pub const PART_ROWS: usize = 2 * ROW_GROUP_ROWS;

/// Row buffers kept from one year of an ingest to the next, so that a many-year ingest
/// fills memory it already has instead of having the kernel fault in and zero fresh pages
/// for every year (page faults were about a tenth of the ingest's time, perf profile in
/// docs/performance.md): the chunk buffers the parsers fill, handed back by [`write_year`]
/// once it has scattered them, and the year buffer it sorts in. Shared by threads.
pub struct RowBuffers {
    chunks: Mutex<Vec<Vec<TradeRow>>>,
    max_chunks: usize,
    year: Mutex<Option<Vec<TradeRow>>>,
}

impl RowBuffers {
    /// Keep up to `max_chunks` chunk buffers (0 when nothing takes them again: only the
    /// year buffer is kept then).
    pub fn new(max_chunks: usize) -> RowBuffers {
        RowBuffers { chunks: Mutex::new(Vec::new()), max_chunks, year: Mutex::new(None) }
    }

    /// An empty row buffer with room for at least `capacity` rows: a kept one if any.
    pub fn take_chunk(&self, capacity: usize) -> Vec<TradeRow> {
        let kept = self.chunks.lock().expect("no panic while holding").pop();
        match kept {
            Some(mut v) => {
                v.reserve(capacity);
                v
            }
            None => Vec::with_capacity(capacity),
        }
    }

    /// Keep `rows`' allocation (emptied) for [`take_chunk`](Self::take_chunk).
    pub fn give_chunk(&self, mut rows: Vec<TradeRow>) {
        rows.clear();
        let mut kept = self.chunks.lock().expect("no panic while holding");
        if kept.len() < self.max_chunks && rows.capacity() > 0 {
            kept.push(rows);
        }
    }

    fn take_year(&self) -> Vec<TradeRow> {
        self.year.lock().expect("no panic while holding").take().unwrap_or_default()
    }

    fn give_year(&self, mut rows: Vec<TradeRow>) {
        rows.clear();
        let mut kept = self.year.lock().expect("no panic while holding");
        if kept.as_ref().is_none_or(|k| k.capacity() < rows.capacity()) {
            *kept = Some(rows);
        }
    }
}

/// What [`write_year`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearWritten {
    /// Rows written.
    pub rows: u64,
    /// Input rows folded into another row because two source country codes share an ISO3.
    pub merged: u64,
    /// Part files written (`part-0.parquet` … `part-{parts-1}.parquet`).
    pub parts: usize,
}

/// Sort the rows of one year (given in any number of chunks, in any order) by (importer,
/// hs6, exporter), sum rows with the same key (values add; the quantity is null when any
/// part lacks one, since a partial sum would understate it) and write them to
/// `store_dir/trade/year=Y/part-0.parquet`, `part-1.parquet`, …
///
/// Parts: about [`PART_ROWS`] rows each (the count depends on the rows only, so the files
/// are the same whatever `threads`), cut at importer boundaries: part N's rows all sort
/// before part N+1's and no importer spans two parts (the store invariant,
/// docs/architecture.md). The sort is a counting sort on the importer followed by a radix
/// sort of each importer's rows (exporter, then HS6 rank: `sort_importer_rows`), spread
/// over `threads` (at least 1) threads; the parts are encoded and written by as many
/// threads, with `parquet_io::trade_writer_properties`.
///
/// Memory: the year's rows twice at most (the chunks are handed to `buffers` as they are
/// scattered), plus the Arrow batches of the parts being written. The year buffer is taken
/// from `buffers` and given back when the year is written.
///
/// Rows can share a key only through two source codes of one ISO3; a row whose source
/// codes repeat too is a duplicate in the source, and an error (`source` names it).
pub fn write_year(
    store_dir: &Path,
    year: i32,
    iso3s: &[String],
    chunks: Vec<Vec<TradeRow>>,
    source: &str,
    threads: usize,
    buffers: &RowBuffers,
) -> Result<YearWritten> {
    write_year_in_parts(store_dir, year, iso3s, chunks, source, threads, PART_ROWS, buffers)
}

fn write_year_in_parts(
    store_dir: &Path,
    year: i32,
    iso3s: &[String],
    chunks: Vec<Vec<TradeRow>>,
    source: &str,
    threads: usize,
    part_rows: usize,
    buffers: &RowBuffers,
) -> Result<YearWritten> {
    let threads = threads.max(1);
    // Counting sort on the importer: starts[c] is the first row of importer c.
    let mut starts = vec![0usize; iso3s.len() + 1];
    for c in &chunks {
        for r in c {
            starts[r.importer as usize + 1] += 1;
        }
    }
    for c in 1..starts.len() {
        starts[c] += starts[c - 1];
    }
    let total = starts[iso3s.len()];
    let mut rows = buffers.take_year();
    rows.resize(total, TradeRow::default());
    let mut next = starts.clone();
    for chunk in chunks {
        for r in &chunk {
            let k = &mut next[r.importer as usize];
            rows[*k] = *r;
            *k += 1;
        }
        buffers.give_chunk(chunk);
    }
    // Each importer's rows by (hs6, exporter, codes), importers spread over the threads.
    let ranks = Hs6Ranks::of(&rows);
    let cuts = balanced_cuts(&starts, threads);
    std::thread::scope(|s| {
        let mut rest: &mut [TradeRow] = &mut rows;
        let mut offset = 0;
        for w in cuts.windows(2) {
            let (lo, hi) = (starts[w[0]], starts[w[1]]);
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(hi - offset);
            rest = tail;
            offset = hi;
            let bounds = &starts[w[0]..=w[1]];
            let ranks = &ranks;
            s.spawn(move || {
                let mut scratch = (Vec::new(), Vec::new());
                for b in bounds.windows(2) {
                    sort_importer_rows(&mut mine[b[0] - lo..b[1] - lo], iso3s.len(), ranks, &mut scratch);
                }
            });
        }
    });
    // Fold rows of one key (two source codes of one ISO3), in place.
    let mut merged = 0u64;
    let mut kept = 0usize;
    let mut prev_codes = (u16::MAX, u16::MAX);
    for k in 0..rows.len() {
        let r = rows[k];
        let codes = (r.importer_code, r.exporter_code);
        if kept > 0 && rows[kept - 1].key() == r.key() {
            if codes == prev_codes {
                let (first, again) = (rows[kept - 1].line.min(r.line), rows[kept - 1].line.max(r.line));
                let (at, also) =
                    if first > 0 { (format!(":{again}"), format!(" (first at line {first})")) } else { (String::new(), String::new()) };
                return Err(crate::error::DataError::Invalid(format!(
                    "{source}{at}: the flow year {year}, exporter {} (code {}), importer {} (code {}), HS6 {:06} appears more than once{also}; BACI has one row per year, exporter, importer and product",
                    iso3s[r.exporter as usize], r.exporter_code, iso3s[r.importer as usize], r.importer_code, r.hs6
                )));
            }
            let last = &mut rows[kept - 1];
            last.value_usd += r.value_usd;
            last.quantity_t += r.quantity_t; // NaN propagates: null when any part is null
            merged += 1;
        } else {
            rows[kept] = r;
            kept += 1;
        }
        prev_codes = codes;
    }
    rows.truncate(kept);
    if rows.is_empty() {
        buffers.give_year(rows);
        return Ok(YearWritten { rows: 0, merged, parts: 0 });
    }
    // Parts at importer boundaries, encoded and written by `threads` workers.
    let parts = rows.len().div_ceil(part_rows.max(1));
    let mut bounds = vec![0usize];
    for p in 1..parts {
        let target = rows.len() * p / parts;
        // The start or the end of the importer's rows at the target, whichever is nearer.
        let imp = rows[target].importer;
        let lo = rows[..target].partition_point(|r| r.importer < imp);
        let hi = target + rows[target..].partition_point(|r| r.importer == imp);
        let b = if target - lo <= hi - target { lo } else { hi };
        if b > *bounds.last().expect("non-empty") && b < rows.len() {
            bounds.push(b);
        }
    }
    bounds.push(rows.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let dicts = PartDictionaries::new(iso3s, &ranks);
    let written: Vec<Result<(usize, u64)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.min(bounds.len() - 1))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let part = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if part + 1 >= bounds.len() {
                            break;
                        }
                        let slice = &rows[bounds[part]..bounds[part + 1]];
                        let r = write_part(&trade_part_path(store_dir, year, part), &dicts, &ranks, slice).map(|n| (part, n));
                        let failed = r.is_err();
                        out.push(r);
                        if failed {
                            break;
                        }
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("part writer panicked")).collect()
    });
    buffers.give_year(rows);
    let mut rows_out = 0;
    for w in written {
        rows_out += w?.1;
    }
    Ok(YearWritten { rows: rows_out, merged, parts: bounds.len() - 1 })
}

/// The HS6 codes of a year's rows, by rank: `rank[hs6]` is the code's position among the
/// distinct codes in ascending order (codes are below 10⁶).
struct Hs6Ranks {
    rank: Vec<u32>,
    /// The distinct codes, ascending (`codes[rank[c]] == c`).
    codes: Vec<u32>,
}

impl Hs6Ranks {
    fn of(rows: &[TradeRow]) -> Hs6Ranks {
        let mut rank = vec![0u32; 1_000_000];
        for r in rows {
            rank[r.hs6 as usize] = 1;
        }
        let mut codes = Vec::new();
        for (code, x) in rank.iter_mut().enumerate() {
            if *x != 0 {
                *x = codes.len() as u32;
                codes.push(code as u32);
            }
        }
        Hs6Ranks { rank, codes }
    }

    /// The number of distinct codes.
    fn distinct(&self) -> usize {
        self.codes.len()
    }
}

/// Sort one importer's rows by (hs6, exporter, importer_code, exporter_code): a
/// least-significant-digit radix sort — a stable counting sort by exporter, then one by HS6
/// rank — so O(n) with no comparison; then each run of equal (hs6, exporter) — rows of two
/// source codes of one ISO3, rare — is sorted by the codes. Rows already in exporter order
/// (BACI's files are sorted by exporter, importer and product, and the scatter by importer
/// keeps the file order) skip the first counting sort. `scratch`: buffers reused from one
/// importer to the next; `countries`: the number of country indexes (exporters are below).
fn sort_importer_rows(rows: &mut [TradeRow], countries: usize, ranks: &Hs6Ranks, scratch: &mut (Vec<u32>, Vec<TradeRow>)) {
    let (counts, out) = scratch;
    out.clear();
    out.resize(rows.len(), TradeRow::default());
    let hs6_rank = |r: &TradeRow| ranks.rank[r.hs6 as usize] as usize;
    if rows.windows(2).all(|w| w[0].exporter <= w[1].exporter) {
        counting_sort(rows, out, counts, ranks.distinct(), hs6_rank);
        rows.copy_from_slice(out);
    } else {
        counting_sort(rows, out, counts, countries, |r| r.exporter as usize);
        counting_sort(out, rows, counts, ranks.distinct(), hs6_rank);
    }
    let key = |r: &TradeRow| (r.hs6, r.exporter);
    let mut start = 0;
    while start < rows.len() {
        let k = key(&rows[start]);
        let end = start + rows[start..].iter().position(|r| key(r) != k).unwrap_or(rows.len() - start);
        if end - start > 1 {
            rows[start..end].sort_unstable_by_key(|r| (r.importer_code, r.exporter_code));
        }
        start = end;
    }
}

/// Stable counting sort of `from` into `to` (same length) by `bucket` (< `buckets`).
#[inline]
fn counting_sort(from: &[TradeRow], to: &mut [TradeRow], counts: &mut Vec<u32>, buckets: usize, bucket: impl Fn(&TradeRow) -> usize) {
    counts.clear();
    counts.resize(buckets + 1, 0);
    for r in from {
        counts[bucket(r) + 1] += 1;
    }
    for k in 1..counts.len() {
        counts[k] += counts[k - 1];
    }
    for r in from {
        let slot = &mut counts[bucket(r)];
        to[*slot as usize] = *r;
        *slot += 1;
    }
}

/// Importer indexes cutting `starts` (row offsets per importer) into `threads` ranges of
/// about equal rows: `[0, c1, …, n]`.
fn balanced_cuts(starts: &[usize], threads: usize) -> Vec<usize> {
    let n = starts.len() - 1;
    let total = starts[n];
    let mut cuts = vec![0];
    for t in 1..threads {
        let c = starts.partition_point(|&s| s < total * t / threads).min(n);
        if c > *cuts.last().expect("non-empty") && c < n {
            cuts.push(c);
        }
    }
    cuts.push(n);
    cuts
}

/// The string columns' values of a year's parts, shared by every batch: the ISO3 codes
/// (keyed by country index) and the year's distinct HS6 codes (keyed by [`Hs6Ranks`] rank),
/// and the batches' schema: [`trade_file_schema`] with `Dictionary(Int32, Utf8)` for `Utf8`.
struct PartDictionaries {
    countries: ArrayRef,
    hs6: ArrayRef,
    schema: SchemaRef,
}

impl PartDictionaries {
    fn new(iso3s: &[String], ranks: &Hs6Ranks) -> PartDictionaries {
        let mut hs_buf = [0u8; 6];
        let mut codes = StringBuilder::with_capacity(ranks.distinct(), ranks.distinct() * 6);
        for &hs6 in &ranks.codes {
            codes.append_value(format_hs6(hs6, &mut hs_buf));
        }
        let dict_type = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        let fields: Vec<Field> = trade_file_schema()
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Utf8 => Field::new(f.name(), dict_type.clone(), f.is_nullable()),
                _ => f.as_ref().clone(),
            })
            .collect();
        PartDictionaries {
            countries: Arc::new(StringArray::from_iter_values(iso3s)),
            hs6: Arc::new(codes.finish()),
            schema: Arc::new(Schema::new(fields)),
        }
    }
}

/// Write sorted rows to one Parquet file, in row groups of [`ROW_GROUP_ROWS`].
///
/// The string columns are handed to the writer as dictionary arrays over
/// [`PartDictionaries`] (no string is copied per row); the file's schema is the parquet
/// one of [`trade_file_schema`] (UTF8 byte arrays, dictionary-encoded as for a string
/// array) and no Arrow schema is embedded, so readers see `Utf8` columns as before.
fn write_part(path: &Path, dicts: &PartDictionaries, ranks: &Hs6Ranks, rows: &[TradeRow]) -> Result<u64> {
    let schema = &dicts.schema;
    let mut batches = Vec::with_capacity(rows.len().div_ceil(ROW_GROUP_ROWS));
    let dict = |keys: Vec<i32>, values: &ArrayRef| -> Result<ArrayRef> {
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), values.clone())?) as ArrayRef)
    };
    for chunk in rows.chunks(ROW_GROUP_ROWS) {
        let importer = chunk.iter().map(|r| i32::from(r.importer)).collect();
        let hs6 = chunk.iter().map(|r| ranks.rank[r.hs6 as usize] as i32).collect();
        let exporter = chunk.iter().map(|r| i32::from(r.exporter)).collect();
        let value = Float64Array::from_iter_values(chunk.iter().map(|r| r.value_usd));
        let quantity: Float64Array = chunk.iter().map(|r| (!r.quantity_t.is_nan()).then_some(r.quantity_t)).collect();
        batches.push(RecordBatch::try_new(
            schema.clone(),
            vec![
                dict(importer, &dicts.countries)?,
                dict(hs6, &dicts.hs6)?,
                dict(exporter, &dicts.countries)?,
                Arc::new(value),
                Arc::new(quantity),
            ],
        )?);
    }
    write_parquet_without_arrow_schema(path, schema, &batches, trade_writer_properties())
}

/// Six zero-padded digits of an HS6 number, without allocating.
fn format_hs6(mut n: u32, buf: &mut [u8; 6]) -> &str {
    for i in (0..6).rev() {
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    std::str::from_utf8(buf).expect("ASCII digits")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parquet_io::read_parquet;
    use crate::store::trade_part_path;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Float64Type;

    fn row(importer: u16, hs6: u32, exporter: u16, v: f64, q: f64) -> TradeRow {
        TradeRow {
            importer,
            hs6,
            exporter,
            importer_code: importer,
            exporter_code: exporter + 100 * (v as u16 % 2),
            value_usd: v,
            quantity_t: q,
            line: 0,
        }
    }

    #[test]
    fn rows_are_sorted_merged_and_zero_padded() {
        let dir = tempfile::tempdir().unwrap();
        let iso3s: Vec<String> = ["CHN", "DEU", "JPN"].iter().map(|s| s.to_string()).collect();
        let rows = vec![
            row(2, 280530, 0, 10.0, 1.0),
            row(1, 10111, 0, 5.0, f64::NAN),
            row(2, 280530, 0, 3.0, 0.5), // same key as the first, another exporter code of the same ISO3
            row(1, 10111, 2, 1.0, 3.0),
        ];
        let buffers = RowBuffers::new(100);
        let w = write_year(dir.path(), 2022, &iso3s, vec![rows[..1].to_vec(), rows[1..].to_vec()], "test", 2, &buffers).unwrap();
        assert_eq!(w, YearWritten { rows: 3, merged: 1, parts: 1 });
        let batches = read_parquet(&dir.path().join("trade/year=2022/part-0.parquet")).unwrap();
        let b = &batches[0];
        let col = |i: usize| b.column(i).as_string::<i32>().iter().map(|s| s.unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(col(0), ["DEU", "DEU", "JPN"]);
        assert_eq!(col(1), ["010111", "010111", "280530"]);
        assert_eq!(col(2), ["CHN", "JPN", "CHN"]);
        let v = b.column(3).as_primitive::<Float64Type>();
        assert_eq!(v.values().to_vec(), vec![5.0, 1.0, 13.0]);
        let q = b.column(4).as_primitive::<Float64Type>();
        assert!(q.is_null(0));
        assert_eq!((q.value(1), q.value(2)), (3.0, 1.5));
    }

    #[test]
    fn parts_are_contiguous_ranges_cut_at_importers_whatever_the_threads() {
        let iso3s: Vec<String> = ["AAA", "BBB", "CCC", "DDD"].iter().map(|s| s.to_string()).collect();
        // 4 importers × 3 products × 3 exporters, in BACI's order (exporter first), in 5 chunks.
        let mut rows = Vec::new();
        for e in 0..4u16 {
            for i in 0..4u16 {
                for k in [10111u32, 280530, 999999] {
                    if i != e {
                        rows.push(row(i, k, e, f64::from(i * 100 + e) + 1.0, 1.0));
                    }
                }
            }
        }
        assert_eq!(rows.len(), 36);
        let chunks: Vec<Vec<TradeRow>> = rows.chunks(8).map(<[TradeRow]>::to_vec).collect();
        let files = |threads: usize, buffers: &RowBuffers| {
            let dir = tempfile::tempdir().unwrap();
            let w = write_year_in_parts(dir.path(), 2022, &iso3s, chunks.clone(), "t", threads, 10, buffers).unwrap();
            let mut out = Vec::new();
            for p in 0..w.parts {
                let b = &read_parquet(&trade_part_path(dir.path(), 2022, p)).unwrap()[0];
                let col = |i: usize| b.column(i).as_string::<i32>().iter().map(|s| s.unwrap().to_owned()).collect::<Vec<_>>();
                out.push((col(0), col(1), col(2)));
            }
            (w, out)
        };
        let (w1, one) = files(1, &RowBuffers::new(100));
        // Buffers that held a larger year before (other values, more rows) and then this
        // one: kept allocations leave nothing of the earlier rows behind.
        let kept = RowBuffers::new(100);
        let other = |r: &TradeRow, code: u16| TradeRow { hs6: r.hs6 - 1, exporter_code: r.exporter_code + code, value_usd: 7.0, ..*r };
        let bigger: Vec<TradeRow> = rows.iter().map(|r| other(r, 0)).chain(rows.iter().map(|r| other(r, 1000))).collect();
        let dir = tempfile::tempdir().unwrap();
        let wb = write_year_in_parts(dir.path(), 2021, &iso3s, bigger.chunks(8).map(<[TradeRow]>::to_vec).collect(), "t", 3, 10, &kept);
        assert_eq!(wb.unwrap().merged, 36, "each key twice, with other codes");
        assert!(kept.chunks.lock().unwrap().len() == 9 && kept.year.lock().unwrap().as_ref().unwrap().capacity() >= 72);
        let (w3, three) = files(3, &kept);
        assert_eq!(kept.chunks.lock().unwrap().len(), 9 + 5);
        assert!(kept.take_chunk(8).is_empty());
        assert_eq!(one, three);
        assert_eq!(w1, YearWritten { rows: 36, merged: 0, parts: 4 });
        assert_eq!(w3, w1);
        // 9 rows per importer, parts of about 10 rows cut at importer ends: one importer each.
        for (p, (imp, hs6, exp)) in one.iter().enumerate() {
            assert_eq!(imp, &vec![iso3s[p].clone(); 9]);
            let keys: Vec<(&String, &String)> = hs6.iter().zip(exp).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
            assert_eq!(hs6[0], "010111");
            assert!(!exp.contains(&iso3s[p]));
        }
    }

    #[test]
    fn importer_rows_sort_the_same_in_file_order_or_not() {
        // One importer's rows in BACI's order (exporter, then product) and shuffled, with two
        // source codes of one exporter ISO3: both give (hs6, exporter, codes) order.
        let mut rows = Vec::new();
        for e in [1u16, 2, 5] {
            for k in [280530u32, 10111, 854231] {
                rows.push(TradeRow {
                    importer: 0,
                    hs6: k,
                    exporter: e,
                    importer_code: 9,
                    exporter_code: 40,
                    value_usd: 1.0,
                    quantity_t: 1.0,
                    line: 0,
                });
            }
        }
        rows.push(TradeRow {
            importer: 0,
            hs6: 10111,
            exporter: 5,
            importer_code: 9,
            exporter_code: 30,
            value_usd: 2.0,
            quantity_t: 1.0,
            line: 0,
        });
        let ranks = Hs6Ranks::of(&rows);
        assert_eq!(ranks.distinct(), 3);
        let expected: Vec<(u32, u16, u16)> = {
            let mut v: Vec<(u32, u16, u16)> = rows.iter().map(|r| (r.hs6, r.exporter, r.exporter_code)).collect();
            v.sort();
            v
        };
        let mut in_file_order = rows.clone();
        in_file_order.sort_by_key(|r| (r.exporter, r.hs6));
        let mut shuffled = rows.clone();
        shuffled.reverse();
        for mut v in [in_file_order, shuffled] {
            sort_importer_rows(&mut v, 6, &ranks, &mut (Vec::new(), Vec::new()));
            assert_eq!(v.iter().map(|r| (r.hs6, r.exporter, r.exporter_code)).collect::<Vec<_>>(), expected);
        }
    }

    proptest::proptest! {
        #[test]
        fn importer_rows_sort_by_hs6_exporter_and_codes(
            keys in proptest::collection::vec((0u32..4, 0u16..6, 0u16..3), 0..60),
            presorted in proptest::bool::ANY,
        ) {
            let mut rows: Vec<TradeRow> = keys
                .iter()
                .enumerate()
                .map(|(n, &(k, e, code))| TradeRow { hs6: [10111, 280530, 854231, 999999][k as usize], exporter: e, exporter_code: code, line: n as u32, ..TradeRow::default() })
                .collect();
            if presorted {
                rows.sort_by_key(|r| r.exporter); // BACI's order: the fast path
            }
            let mut expected = rows.clone();
            expected.sort_by_key(|r| (r.hs6, r.exporter, r.importer_code, r.exporter_code));
            let ranks = Hs6Ranks::of(&rows);
            sort_importer_rows(&mut rows, 6, &ranks, &mut (Vec::new(), Vec::new()));
            let key = |r: &TradeRow| (r.hs6, r.exporter, r.exporter_code);
            proptest::prop_assert_eq!(rows.iter().map(key).collect::<Vec<_>>(), expected.iter().map(key).collect::<Vec<_>>());
            let mut lines: Vec<u32> = rows.iter().map(|r| r.line).collect();
            lines.sort_unstable();
            proptest::prop_assert_eq!(lines, (0..keys.len() as u32).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_repeated_source_row_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let iso3s: Vec<String> = ["CHN", "JPN"].iter().map(|s| s.to_string()).collect();
        let rows = vec![row(1, 280530, 0, 10.0, 1.0), row(1, 280530, 0, 10.0, 1.0)];
        let err = write_year(dir.path(), 2022, &iso3s, vec![rows], "f.csv", 1, &RowBuffers::new(100)).unwrap_err().to_string();
        assert!(
            err.contains("f.csv: the flow year 2022, exporter CHN (code 0), importer JPN (code 1), HS6 280530 appears more than once"),
            "{err}"
        );
    }
}
