//! Writing Parquet files deterministically: the same batches give the same bytes.

use std::fs::File;
use std::path::Path;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::error::{DataError, IoContext, Result};

/// Rows per Parquet row group.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_created_by(format!("chokepoint {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Write `batches` (all of `schema`) to a new Parquet file at `path`; returns the row count.
///
/// Errors: the path cannot be created, or a batch does not match the schema.
pub fn write_parquet(path: &Path, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<u64> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).at(dir)?;
    }
    let file = File::create(path).at(path)?;
    let pq = |source| DataError::Parquet { path: path.to_owned(), source };
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(writer_properties())).map_err(pq)?;
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
