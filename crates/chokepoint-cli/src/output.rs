//! Rendering record batches as a table, CSV or JSON (an array of row objects).

use std::io::Write;

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
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

/// Rows the table format prints; more are cut with a note (use CSV or JSON for all).
pub const TABLE_ROWS: usize = 1000;

/// Write `batches` to `out` in `format`.
pub fn write_batches(out: &mut impl Write, batches: &[RecordBatch], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Table => {
            let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
            let mut shown = Vec::new();
            let mut left = TABLE_ROWS;
            for b in batches {
                if left == 0 {
                    break;
                }
                let take = b.num_rows().min(left);
                shown.push(b.slice(0, take));
                left -= take;
            }
            if shown.iter().all(|b| b.num_rows() == 0) {
                // Keep the header of an empty result.
                shown = batches.iter().take(1).cloned().collect();
            }
            let table = arrow::util::pretty::pretty_format_batches(&shown)?;
            writeln!(out, "{table}")?;
            if total > TABLE_ROWS {
                writeln!(out, "({TABLE_ROWS} of {total} rows shown; --format csv or json prints all)")?;
            }
        }
        Format::Csv => {
            let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(&mut *out);
            for b in batches {
                w.write(&lists_as_text(b)?)?;
            }
        }
        Format::Json => {
            let mut buf = Vec::new();
            let mut w = arrow::json::WriterBuilder::new().with_explicit_nulls(true).build::<_, arrow::json::writer::JsonArray>(&mut buf);
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

/// CSV has no nested values: list and struct columns are written as their display text
/// (`[284610, 280530]`).
fn lists_as_text(batch: &RecordBatch) -> anyhow::Result<RecordBatch> {
    let nested = |t: &DataType| t.is_nested();
    if !batch.schema().fields().iter().any(|f| nested(f.data_type())) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        if nested(f.data_type()) {
            let text: StringArray = (0..c.len())
                .map(|i| if c.is_null(i) { Ok(None) } else { arrow::util::display::array_value_to_string(c, i).map(Some) })
                .collect::<Result<_, _>>()?;
            fields.push(Field::new(f.name(), DataType::Utf8, true));
            columns.push(Arc::new(text));
        } else {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}
