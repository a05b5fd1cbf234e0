//! Writing a large table batch by batch, for outputs too large to hold at once (the
//! all-products dependency table: ~0.6 million rows per year of BACI).

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;

use crate::{PROVENANCE_KEY, ReportError};

/// Parquet (Snappy, `provenance` JSON under [`PROVENANCE_KEY`]) or CSV with a header,
/// written as batches arrive: memory holds at most one Parquet row group (2^20 rows).
pub enum BatchStream {
    Parquet(Box<ArrowWriter<Vec<u8>>>),
    Csv { header_written: bool },
}

impl BatchStream {
    /// A Parquet stream of batches of `schema`.
    pub fn parquet(schema: SchemaRef, provenance: Option<String>) -> Result<BatchStream, ReportError> {
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_key_value_metadata(provenance.map(|p| vec![parquet::file::metadata::KeyValue::new(PROVENANCE_KEY.to_owned(), p)]))
            .build();
        Ok(BatchStream::Parquet(Box::new(ArrowWriter::try_new(Vec::new(), schema, Some(props))?)))
    }

    /// A CSV stream (header before the first batch).
    pub fn csv() -> BatchStream {
        BatchStream::Csv { header_written: false }
    }

    /// Write one batch; the bytes encoded so far go to `out`.
    pub fn write(&mut self, out: &mut dyn Write, batch: &RecordBatch) -> Result<(), ReportError> {
        match self {
            BatchStream::Parquet(w) => {
                w.write(batch)?;
                let buf = w.inner_mut();
                out.write_all(buf)?;
                buf.clear();
            }
            BatchStream::Csv { header_written } => {
                let mut w = arrow::csv::WriterBuilder::new().with_header(!*header_written).build(&mut *out);
                w.write(batch)?;
                *header_written = true;
            }
        }
        Ok(())
    }

    /// Finish the file (the Parquet footer).
    pub fn finish(self, out: &mut dyn Write) -> Result<(), ReportError> {
        if let BatchStream::Parquet(w) = self {
            out.write_all(&w.into_inner()?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, Int32Array};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(from: i32, n: i32) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("year", DataType::Int32, false), Field::new("v", DataType::Float64, false)]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int32Array::from_iter_values(from..from + n)),
                Arc::new(Float64Array::from_iter_values((from..from + n).map(|i| i as f64 / 4.0))),
            ],
        )
        .unwrap()
    }

    #[test]
    fn parquet_stream_reads_back_every_batch_in_order() {
        let (a, b) = (batch(0, 3), batch(3, 2));
        let mut out = Vec::new();
        let mut s = BatchStream::parquet(a.schema(), Some("{\"m\":1}".into())).unwrap();
        s.write(&mut out, &a).unwrap();
        s.write(&mut out, &b).unwrap();
        s.finish(&mut out).unwrap();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&out).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let kv = reader.metadata().file_metadata().key_value_metadata().unwrap().clone();
        assert!(kv.iter().any(|k| k.key == PROVENANCE_KEY && k.value.as_deref() == Some("{\"m\":1}")));
        let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
        let all = arrow::compute::concat_batches(&a.schema(), &batches).unwrap();
        assert_eq!(all, arrow::compute::concat_batches(&a.schema(), &[a, b]).unwrap());
    }

    #[test]
    fn csv_stream_has_one_header() {
        let mut out = Vec::new();
        let mut s = BatchStream::csv();
        s.write(&mut out, &batch(0, 2)).unwrap();
        s.write(&mut out, &batch(2, 1)).unwrap();
        s.finish(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "year,v\n0,0.0\n1,0.25\n2,0.5\n");
    }
}
