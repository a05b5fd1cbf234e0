//! Writing the `trade` table: rows of one year are sorted by importer, HS6 and exporter,
//! rows that share a key after ISO3 mapping are summed, and the year is written as one
//! Parquet partition `trade/year=Y/part-N.parquet`.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringBuilder};

use crate::error::Result;
use crate::parquet_io::{ROW_GROUP_ROWS, write_parquet};
use crate::schema::trade_file_schema;
use crate::store::trade_part_path;

/// One trade flow in memory. Countries are indexes into a sorted ISO3 list
/// ([`crate::countries::CountryTable::iso3s`]), the HS6 code is its numeric value.
#[derive(Debug, Clone, Copy, PartialEq)]
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
}

impl TradeRow {
    fn key(&self) -> (u16, u32, u16) {
        (self.importer, self.hs6, self.exporter)
    }
}

/// What [`write_year`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearWritten {
    /// Rows written.
    pub rows: u64,
    /// Input rows folded into another row because two source country codes share an ISO3.
    pub merged: u64,
}

/// Sort `rows` by (importer, hs6, exporter), sum rows with the same key (values add; the
/// quantity is null when any part lacks one, since a partial sum would understate it) and
/// write them to `store_dir/trade/year=Y/part-{part}.parquet`.
///
/// Rows can share a key only through two source codes of one ISO3; a row whose source
/// codes repeat too is a duplicate in the source, and an error (`source` names it).
pub fn write_year(
    store_dir: &Path,
    year: i32,
    part: usize,
    iso3s: &[String],
    mut rows: Vec<TradeRow>,
    source: &str,
) -> Result<YearWritten> {
    rows.sort_unstable_by_key(|r| (r.key(), r.importer_code, r.exporter_code));
    let mut merged = 0u64;
    let mut out: Vec<TradeRow> = Vec::with_capacity(rows.len());
    let mut prev_codes = (u16::MAX, u16::MAX);
    for r in rows {
        let codes = (r.importer_code, r.exporter_code);
        match out.last_mut() {
            Some(last) if last.key() == r.key() && codes == prev_codes => {
                return Err(crate::error::DataError::Invalid(format!(
                    "{source}: the flow year {year}, exporter {} (code {}), importer {} (code {}), HS6 {:06} appears more than once; BACI has one row per year, exporter, importer and product",
                    iso3s[r.exporter as usize], r.exporter_code, iso3s[r.importer as usize], r.importer_code, r.hs6
                )));
            }
            Some(last) if last.key() == r.key() => {
                last.value_usd += r.value_usd;
                last.quantity_t += r.quantity_t; // NaN propagates: null when any part is null
                merged += 1;
            }
            _ => out.push(r),
        }
        prev_codes = codes;
    }
    let schema = trade_file_schema();
    let mut batches = Vec::with_capacity(out.len().div_ceil(ROW_GROUP_ROWS));
    let mut hs_buf = [0u8; 6];
    for chunk in out.chunks(ROW_GROUP_ROWS.min(out.len().max(1))) {
        let mut importer = StringBuilder::with_capacity(chunk.len(), chunk.len() * 3);
        let mut exporter = StringBuilder::with_capacity(chunk.len(), chunk.len() * 3);
        let mut hs6 = StringBuilder::with_capacity(chunk.len(), chunk.len() * 6);
        for r in chunk {
            importer.append_value(&iso3s[r.importer as usize]);
            exporter.append_value(&iso3s[r.exporter as usize]);
            hs6.append_value(format_hs6(r.hs6, &mut hs_buf));
        }
        let value = Float64Array::from_iter_values(chunk.iter().map(|r| r.value_usd));
        let quantity: Float64Array = chunk.iter().map(|r| (!r.quantity_t.is_nan()).then_some(r.quantity_t)).collect();
        batches.push(RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(importer.finish()) as ArrayRef,
                Arc::new(hs6.finish()),
                Arc::new(exporter.finish()),
                Arc::new(value),
                Arc::new(quantity),
            ],
        )?);
    }
    let rows = if out.is_empty() { 0 } else { write_parquet(&trade_part_path(store_dir, year, part), &schema, &batches)? };
    Ok(YearWritten { rows, merged })
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
        let w = write_year(dir.path(), 2022, 0, &iso3s, rows, "test").unwrap();
        assert_eq!(w, YearWritten { rows: 3, merged: 1 });
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
    fn a_repeated_source_row_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let iso3s: Vec<String> = ["CHN", "JPN"].iter().map(|s| s.to_string()).collect();
        let rows = vec![row(1, 280530, 0, 10.0, 1.0), row(1, 280530, 0, 10.0, 1.0)];
        let err = write_year(dir.path(), 2022, 0, &iso3s, rows, "f.csv").unwrap_err().to_string();
        assert!(
            err.contains("f.csv: the flow year 2022, exporter CHN (code 0), importer JPN (code 1), HS6 280530 appears more than once"),
            "{err}"
        );
    }
}
