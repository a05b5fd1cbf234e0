//! The dependency table of every importer × HS6 product × year (`chokepoint dependency
//! --all-importers --all-products`): per country as importer (not groups) and product it
//! imports, from BACI `v` × 1000 = `trade.value_usd` (USD, FOB):
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `year` | int32 | BACI `t` |
//! | `importer` | utf8 | ISO3 of the importer |
//! | `hs6` | utf8 | HS6 code |
//! | `import_value_usd` | f64 | `M = Σ_i v_i` over exporters i, USD |
//! | `suppliers` | int64 | exporters with `v_i > 0` |
//! | `top_supplier` | utf8 | exporter with the largest `v_i` (ties: ISO3 ascending) |
//! | `top_share` | f64 | `max_i v_i / M`, 0–1 |
//! | `top3_share` | f64 | sum of the three largest `v_i` / M, 0–1 |
//! | `hhi` | f64 | `Σ_i (v_i / M)² = Σ v_i² / M²`, 0–1 (METHODS.md §1) |
//!
//! One row per (year, importer, hs6) with imports (`M > 0`), ordered by year, importer,
//! hs6. [`kernel`] computes it in one streaming pass per year over the sorted store (no
//! hash table: a run of rows with the same importer and HS6 is one group), the year's row
//! groups cut into one chunk per thread; [`sql`] is the same table as a plain DataFusion
//! SQL query ([`sql_query`]), the cross-check. Values are summed exactly in milli-USD by
//! both (see [`super`]), so both give the same bits.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::prelude::SessionContext;

use chokepoint_data::Manifest;

use super::scan::{KeyIds, Keyed, par_chunks, scan_chunk, year_chunks};
use super::{milli, usd, usd2};
use crate::dependency::DependencyError;

/// Version of the all-products dependency table, for provenance.
pub const METHOD: &str = "chokepoint all-products dependency table v1 (METHODS.md §1: shares of import value, top-3 share, HHI)";

/// The table's schema (every column non-null); see the module documentation.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("year", DataType::Int32, false),
        Field::new("importer", DataType::Utf8, false),
        Field::new("hs6", DataType::Utf8, false),
        Field::new("import_value_usd", DataType::Float64, false),
        Field::new("suppliers", DataType::Int64, false),
        Field::new("top_supplier", DataType::Utf8, false),
        Field::new("top_share", DataType::Float64, false),
        Field::new("top3_share", DataType::Float64, false),
        Field::new("hhi", DataType::Float64, false),
    ]))
}

/// The years to compute, ascending: `years` (each must be in the store), or the store's
/// latest trade year when empty. Errors: [`DependencyError::Usage`] naming the missing years
/// and the store's range; [`DependencyError::Empty`] when the store has no trade.
pub fn check_years(manifest: &Manifest, years: &[i32]) -> Result<Vec<i32>, DependencyError> {
    let available: BTreeSet<i32> = manifest.trade_years.keys().copied().collect();
    let (Some(&first), Some(&last)) = (available.first(), available.last()) else {
        return Err(DependencyError::Empty("the store holds no trade: run `chokepoint data setup` or `chokepoint ingest`".into()));
    };
    if years.is_empty() {
        return Ok(vec![last]);
    }
    let asked: BTreeSet<i32> = years.iter().copied().collect();
    let missing: Vec<String> = asked.iter().filter(|y| !available.contains(y)).map(ToString::to_string).collect();
    if !missing.is_empty() {
        return Err(DependencyError::Usage(format!(
            "year(s) {} outside the data: the store has trade for {first}–{last} (`chokepoint data info` lists the years)",
            missing.join(", ")
        )));
    }
    Ok(asked.into_iter().collect())
}

/// Strings of one chunk, by id (importers, HS6 codes and exporters share the table).
#[derive(Default)]
struct Interner {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_owned());
        self.ids.insert(s.to_owned(), i);
        i
    }
}

/// Id of dictionary key `k` of one batch (`map`: the batch's key → id cache).
#[inline]
fn lookup(map: &mut [u32], k: i32, col: &Keyed<'_>, names: &mut Interner) -> u32 {
    let slot = &mut map[k as usize];
    if *slot == u32::MAX {
        *slot = names.id(col.dict.value(k as usize));
    }
    *slot
}

/// One (importer, hs6) group, in milli-USD.
#[derive(Debug, Clone, Copy)]
struct Acc {
    importer: u32,
    hs6: u32,
    /// Σ v.
    total: i64,
    /// Rows with v > 0.
    suppliers: i64,
    /// Σ v² (milli-USD²).
    squares: i128,
    /// The three largest v, descending (0 where fewer).
    top3: [i64; 3],
    /// Exporter of `top3[0]`, the first in exporter order among equals.
    top: u32,
}

impl Acc {
    fn new(importer: u32, hs6: u32) -> Acc {
        Acc { importer, hs6, total: 0, suppliers: 0, squares: 0, top3: [0; 3], top: u32::MAX }
    }

    /// Add one exporter's `m > 0` milli-USD; rows come in exporter order, so a tie keeps the
    /// earlier (alphabetically first) exporter.
    #[inline]
    fn add(&mut self, m: i64, exporter: impl FnOnce() -> u32) {
        self.total += m;
        self.suppliers += 1;
        self.squares += m as i128 * m as i128;
        let t = &mut self.top3;
        if m > t[0] {
            *t = [m, t[0], t[1]];
            self.top = exporter();
        } else if m > t[1] {
            *t = [t[0], m, t[1]];
        } else if m > t[2] {
            t[2] = m;
        }
    }
}

/// The groups of one chunk, in store order, with the chunk's strings.
struct ChunkGroups {
    groups: Vec<Acc>,
    names: Interner,
}

/// Scan one chunk: one group per run of equal (importer, hs6); groups without imports
/// (every v rounds to 0) are dropped. Checks that groups ascend (the store invariant).
fn scan_groups(chunk: &super::scan::Chunk, year: i32) -> Result<ChunkGroups, DependencyError> {
    let mut names = Interner::default();
    let mut groups: Vec<Acc> = Vec::new();
    let mut cur = Acc::new(u32::MAX, u32::MAX);
    let mut last_key: Option<(u32, u32)> = None;
    let (mut icache, mut hcache, mut ecache) = (KeyIds::default(), KeyIds::default(), KeyIds::default());
    scan_chunk(chunk, |c| {
        let (imap, hmap, emap) = (icache.slots(&c.importer), hcache.slots(&c.hs6), ecache.slots(&c.exporter));
        let (mut pi, mut ph) = (-1i32, -1i32);
        for r in 0..c.len() {
            let (ik, hk) = (c.importer.keys[r], c.hs6.keys[r]);
            if ik != pi || hk != ph {
                pi = ik;
                ph = hk;
                let i = lookup(imap, ik, &c.importer, &mut names);
                let h = lookup(hmap, hk, &c.hs6, &mut names);
                if (i, h) != (cur.importer, cur.hs6) {
                    if let Some((li, lh)) = last_key {
                        let (a, b) =
                            ((&names.names[li as usize], &names.names[lh as usize]), (&names.names[i as usize], &names.names[h as usize]));
                        if b <= a {
                            return Err(DependencyError::Usage(format!(
                                "trade/year={year} is not sorted by importer, hs6 ({} {} after {} {}): re-ingest the data with this version of chokepoint",
                                b.0, b.1, a.0, a.1
                            )));
                        }
                    }
                    last_key = Some((i, h));
                    if cur.suppliers > 0 {
                        groups.push(cur);
                    }
                    cur = Acc::new(i, h);
                }
            }
            let m = milli(c.value[r]);
            if m > 0 {
                let ek = c.exporter.keys[r];
                cur.add(m, || lookup(emap, ek, &c.exporter, &mut names));
            }
        }
        Ok(())
    })?;
    if cur.suppliers > 0 {
        groups.push(cur);
    }
    Ok(ChunkGroups { groups, names })
}

/// The output columns of one year, filled group by group.
struct YearBuilder {
    year: Int32Builder,
    importer: StringBuilder,
    hs6: StringBuilder,
    total: Float64Builder,
    suppliers: Int64Builder,
    top: StringBuilder,
    top_share: Float64Builder,
    top3_share: Float64Builder,
    hhi: Float64Builder,
}

impl YearBuilder {
    fn new(rows: usize) -> YearBuilder {
        YearBuilder {
            year: Int32Builder::with_capacity(rows),
            importer: StringBuilder::with_capacity(rows, rows * 3),
            hs6: StringBuilder::with_capacity(rows, rows * 6),
            total: Float64Builder::with_capacity(rows),
            suppliers: Int64Builder::with_capacity(rows),
            top: StringBuilder::with_capacity(rows, rows * 3),
            top_share: Float64Builder::with_capacity(rows),
            top3_share: Float64Builder::with_capacity(rows),
            hhi: Float64Builder::with_capacity(rows),
        }
    }

    /// Append one finished group: the figures from its exact sums.
    fn push(&mut self, year: i32, importer: &str, hs6: &str, a: &Acc, top: &str) {
        let total = usd(a.total as i128);
        self.year.append_value(year);
        self.importer.append_value(importer);
        self.hs6.append_value(hs6);
        self.total.append_value(total);
        self.suppliers.append_value(a.suppliers);
        self.top.append_value(top);
        self.top_share.append_value(usd(a.top3[0] as i128) / total);
        self.top3_share.append_value(usd(a.top3.iter().map(|&x| x as i128).sum()) / total);
        self.hhi.append_value(usd2(a.squares) / (total * total));
    }

    fn finish(mut self) -> Result<RecordBatch, DependencyError> {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.year.finish()),
            Arc::new(self.importer.finish()),
            Arc::new(self.hs6.finish()),
            Arc::new(self.total.finish()),
            Arc::new(self.suppliers.finish()),
            Arc::new(self.top.finish()),
            Arc::new(self.top_share.finish()),
            Arc::new(self.top3_share.finish()),
            Arc::new(self.hhi.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), cols)?)
    }
}

/// Join the chunks' groups in order; the group that straddles two chunks (same importer
/// and HS6 at the end of one and the start of the next) is merged: sums added, the three
/// largest of both kept, the top supplier of the later chunk only when strictly larger
/// (its exporters sort after the earlier chunk's).
fn year_batch(year: i32, chunks: &[ChunkGroups]) -> Result<RecordBatch, DependencyError> {
    let rows: usize = chunks.iter().map(|c| c.groups.len()).sum();
    let mut out = YearBuilder::new(rows);
    let mut pending: Option<(Acc, &str, &str, &str)> = None;
    for c in chunks {
        let name = |i: u32| c.names.names[i as usize].as_str();
        for a in &c.groups {
            let (importer, hs6, top) = (name(a.importer), name(a.hs6), name(a.top));
            match &mut pending {
                Some((p, pi, ph, pt)) if *pi == importer && *ph == hs6 => {
                    p.total += a.total;
                    p.suppliers += a.suppliers;
                    p.squares += a.squares;
                    if a.top3[0] > p.top3[0] {
                        *pt = top;
                    }
                    let mut all = [p.top3[0], p.top3[1], p.top3[2], a.top3[0], a.top3[1], a.top3[2]];
                    all.sort_unstable_by(|x, y| y.cmp(x));
                    p.top3 = [all[0], all[1], all[2]];
                }
                _ => {
                    if let Some((p, pi, ph, pt)) = pending.take() {
                        out.push(year, pi, ph, &p, pt);
                    }
                    pending = Some((*a, importer, hs6, top));
                }
            }
        }
    }
    if let Some((p, pi, ph, pt)) = pending {
        out.push(year, pi, ph, &p, pt);
    }
    out.finish()
}

/// The table for `years` (ascending, each in the store; see [`check_years`]) over the store
/// at `store_root` (the directory holding `trade/`), computed by the streaming kernel on
/// `threads` threads. Each year's rows go to `sink` as one batch of [`schema`], years in
/// order, as soon as the year is done; `sink` runs on the calling thread while the next
/// year is scanned on the others, so encoding and writing the output overlaps the scan.
/// Memory: about three years' groups at most (one being written, one waiting, one being
/// built), whatever the number of years. Returns the number of rows.
///
/// Errors: [`DependencyError::Io`] / [`DependencyError::Parquet`] for an unreadable trade
/// file (path named), [`DependencyError::Usage`] when a year partition is not sorted by
/// importer and HS6 (a store written by another tool); `sink`'s own errors (the scan then
/// stops after the year in progress).
pub fn kernel<E: From<DependencyError>>(
    store_root: &Path,
    years: &[i32],
    threads: usize,
    mut sink: impl FnMut(RecordBatch) -> Result<(), E>,
) -> Result<u64, E> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<RecordBatch, DependencyError>>(1);
    std::thread::scope(|s| {
        s.spawn(move || {
            for &year in years {
                let batch = year_chunks(store_root, year, threads)
                    .and_then(|chunks| par_chunks(&chunks, |c| scan_groups(c, year)))
                    .and_then(|groups| year_batch(year, &groups));
                let failed = batch.is_err();
                // The receiver is gone when the sink failed: stop.
                if tx.send(batch).is_err() || failed {
                    break;
                }
            }
        });
        let mut rows = 0u64;
        for batch in rx {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            sink(batch)?;
        }
        Ok(rows)
    })
}

/// The plain SQL of the table for one year: exact decimal sums, the top supplier by
/// `ROW_NUMBER()` over value descending then exporter ascending.
pub fn sql_query(year: i32) -> String {
    format!(
        "WITH f AS (
           SELECT importer, hs6, exporter, CAST(value_usd AS DECIMAL(38, 3)) AS v FROM trade WHERE year = {year}
         ), r AS (
           SELECT importer, hs6, exporter, v,
                  ROW_NUMBER() OVER (PARTITION BY importer, hs6 ORDER BY v DESC, exporter) AS rn
           FROM f WHERE v > 0
         )
         SELECT CAST({year} AS INT) AS year, importer, hs6,
                CAST(sum(v) AS DOUBLE) AS import_value_usd,
                CAST(count(*) AS BIGINT) AS suppliers,
                max(CASE WHEN rn = 1 THEN exporter END) AS top_supplier,
                CAST(max(CASE WHEN rn = 1 THEN v END) AS DOUBLE) / CAST(sum(v) AS DOUBLE) AS top_share,
                CAST(sum(CASE WHEN rn <= 3 THEN v END) AS DOUBLE) / CAST(sum(v) AS DOUBLE) AS top3_share,
                CAST(sum(v * v) AS DOUBLE) / (CAST(sum(v) AS DOUBLE) * CAST(sum(v) AS DOUBLE)) AS hhi
         FROM r GROUP BY importer, hs6 ORDER BY importer, hs6"
    )
}

/// The same table as [`kernel`] by [`sql_query`] on the store's DataFusion session, one
/// query per year; batches reach `sink` in row order, cast to [`schema`].
pub async fn sql<E: From<DependencyError>>(
    ctx: &SessionContext,
    years: &[i32],
    mut sink: impl FnMut(RecordBatch) -> Result<(), E>,
) -> Result<u64, E> {
    let schema = schema();
    let mut rows = 0u64;
    for &year in years {
        let df = ctx.sql(&sql_query(year)).await.map_err(DependencyError::from)?;
        for batch in df.collect().await.map_err(DependencyError::from)? {
            let cols = schema
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(f, c)| arrow::compute::cast(c, f.data_type()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(DependencyError::from)?;
            let batch = RecordBatch::try_new(schema.clone(), cols).map_err(DependencyError::from)?;
            rows += batch.num_rows() as u64;
            sink(batch)?;
        }
    }
    Ok(rows)
}
