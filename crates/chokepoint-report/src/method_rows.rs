//! What every risk method's renderer shares: the notes under the text formats and the
//! JSON, CSV and Parquet arms. Each method supplies only its text table and its Arrow batch
//! ([`write_method_rows`]).

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::error::ArrowError;
use comfy_table::{CellAlignment, Table};
use serde::Serialize;

use chokepoint_metrics::crma::CrmaRow;
use chokepoint_metrics::dera::DeraRow;
use chokepoint_metrics::eu_crm::EuCrmRow;
use chokepoint_metrics::geopolrisk::GeoPolRiskRow;
use chokepoint_metrics::method::MethodInfo;
use chokepoint_metrics::screen::ScreenRow;

use crate::{Format, ReportError};

/// A row of one risk method; it names the method (and version, parameters, sources) that
/// produced it.
pub trait MethodRow: Serialize {
    fn info(&self) -> &MethodInfo;
}

macro_rules! method_row {
    ($($t:ty),*) => {$(
        impl MethodRow for $t {
            fn info(&self) -> &MethodInfo {
                &self.info
            }
        }
    )*};
}
method_row!(GeoPolRiskRow, EuCrmRow, DeraRow, CrmaRow, ScreenRow);

/// Write one method's `rows` in `format`:
/// - [`Format::Table`] / [`Format::Md`]: the table `table(md)` builds, then `legend` (if
///   any) and each of `notes` as a bullet (`- ` in Markdown, an indent on a terminal);
/// - [`Format::Json`]: the rows as a pretty JSON array of objects;
/// - [`Format::Csv`]: `batch(rows)` with a header, list columns joined with `;`;
/// - [`Format::Parquet`]: `batch(rows)`, with the method and `notes` as JSON under
///   [`crate::PROVENANCE_KEY`] in the file's metadata.
pub fn write_method_rows<R: MethodRow>(
    out: &mut dyn Write,
    rows: &[R],
    notes: &[String],
    format: Format,
    legend: Option<&str>,
    table: impl FnOnce(bool) -> Table,
    batch: impl Fn(&[R]) -> Result<RecordBatch, ArrowError>,
) -> Result<(), ReportError> {
    match format {
        Format::Table | Format::Md => {
            let md = format == Format::Md;
            writeln!(out, "{}", table(md))?;
            let bullet = if md { "- " } else { "  " };
            writeln!(out)?;
            for line in legend.into_iter().chain(notes.iter().map(String::as_str)) {
                writeln!(out, "{bullet}{line}")?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, rows)?;
            writeln!(out)?;
        }
        Format::Csv => crate::write_csv(out, &batch(rows)?)?,
        Format::Parquet => {
            let info: Vec<_> = rows.first().map(MethodRow::info).into_iter().collect();
            crate::write_parquet(out, &batch(rows)?, Some(crate::risk_provenance(&info, notes)?))?
        }
    }
    Ok(())
}

/// Right-align the columns `columns` of `t` (numbers); columns past its end are ignored.
pub fn right_align(t: &mut Table, columns: std::ops::Range<usize>) {
    for i in columns {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}
