//! Rendering record batches as a table, CSV or JSON (an array of row objects).

use std::io::Write;

use arrow::array::RecordBatch;
use clap::ValueEnum;

/// Output format of tabular results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text table for people.
    Table,
    /// CSV with a header row.
    Csv,
    /// JSON: an array of row objects (nulls written as null).
    Json,
}

/// Write `batches` to `out` in `format`.
pub fn write_batches(out: &mut impl Write, batches: &[RecordBatch], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Table => {
            let table = arrow::util::pretty::pretty_format_batches(batches)?;
            writeln!(out, "{table}")?;
        }
        Format::Csv => {
            let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(&mut *out);
            for b in batches {
                w.write(b)?;
            }
        }
        Format::Json => {
            let mut buf = Vec::new();
            let mut w = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::JsonArray>(&mut buf);
            let refs: Vec<&RecordBatch> = batches.iter().collect();
            w.write_batches(&refs)?;
            w.finish()?;
            // An empty result is still a JSON array (the writer writes nothing without batches).
            if buf.is_empty() {
                buf.extend_from_slice(b"[]");
            }
            out.write_all(&buf)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
