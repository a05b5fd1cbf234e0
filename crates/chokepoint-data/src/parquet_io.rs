//! Writing Parquet files deterministically: the same batches give the same bytes.

use std::fs::File;
use std::path::Path;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{Compression, Encoding};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesBuilder};
use parquet::schema::types::ColumnPath;

use crate::error::{DataError, IoContext, Result};

/// Rows per Parquet row group.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

fn builder() -> WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_created_by(format!("chokepoint {}", env!("CARGO_PKG_VERSION")))
}

fn writer_properties() -> WriterProperties {
    builder().build()
}

/// The properties of the `trade` files (one part of a year, sorted by importer, hs6,
/// exporter), chosen for the cost of writing them at full BACI scale:
/// - `value_usd` and `quantity_t` without dictionary encoding: nearly every value is
///   distinct, so the writer's dictionary only grows until it falls back to plain, and
///   interning each value was about 5 % of the ingest (perf profile, docs/performance.md);
/// - `value_usd` byte-stream-split: its values (BACI's thousands × 1000) are whole numbers
///   whose low mantissa bytes are zero, which the split puts in runs; on a generated
///   release the column is a third smaller (35.6 MB instead of 53.1 MB a year, snappy) and
///   snappy has less to do. `quantity_t` (tonnes with three decimals) compresses worse
///   split (80.0 MB instead of 55.6 MB), so it stays plain;
/// - no min/max statistics for `exporter`: every row group and page holds nearly every
///   exporter (the rows are sorted by importer and hs6 first), so they could never prune,
///   and computing them compared every string.
///
/// `importer` and `hs6` keep page statistics (the page index prunes queries by importer
/// and by HS6 code); the files read the same either way.
pub(crate) fn trade_writer_properties() -> WriterProperties {
    builder()
        .set_column_dictionary_enabled(ColumnPath::from("value_usd"), false)
        .set_column_encoding(ColumnPath::from("value_usd"), Encoding::BYTE_STREAM_SPLIT)
        .set_column_dictionary_enabled(ColumnPath::from("quantity_t"), false)
        .set_column_statistics_enabled(ColumnPath::from("exporter"), EnabledStatistics::None)
        .build()
}

/// Write `batches` (all of `schema`) to a new Parquet file at `path`; returns the row count.
///
/// Errors: the path cannot be created, or a batch does not match the schema.
pub fn write_parquet(path: &Path, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<u64> {
    write_parquet_opts(path, schema, batches, ArrowWriterOptions::new().with_properties(writer_properties()))
}

/// [`write_parquet`] with other writer properties and without the embedded Arrow schema
/// (`ARROW:schema`): readers take the columns' types from the Parquet schema alone, so
/// dictionary arrays of strings are read back as plain `Utf8` columns, as if written from
/// string arrays.
pub(crate) fn write_parquet_without_arrow_schema(
    path: &Path,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    props: WriterProperties,
) -> Result<u64> {
    write_parquet_opts(path, schema, batches, ArrowWriterOptions::new().with_properties(props).with_skip_arrow_metadata(true))
}

fn write_parquet_opts(path: &Path, schema: &SchemaRef, batches: &[RecordBatch], options: ArrowWriterOptions) -> Result<u64> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).at(dir)?;
    }
    let file = File::create(path).at(path)?;
    let pq = |source| DataError::Parquet { path: path.to_owned(), source };
    let mut writer = ArrowWriter::try_new_with_options(file, schema.clone(), options).map_err(pq)?;
    let mut rows = 0u64;
    for batch in batches {
        rows += batch.num_rows() as u64;
        writer.write(batch).map_err(pq)?;
    }
    let file = writer.into_inner().map_err(pq)?;
    file.sync_all().at(path)?;
    Ok(rows)
}

/// Read every batch of a Parquet file (for the small reference tables).
pub fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).at(path)?;
    let pq = |source| DataError::Parquet { path: path.to_owned(), source };
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?.build().map_err(pq)?;
    Ok(reader.collect::<std::result::Result<Vec<_>, _>>()?)
}
