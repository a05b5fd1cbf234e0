//! Renderers of chokepoint results. They format rows computed elsewhere
//! (`chokepoint-metrics`); they never compute figures.
//!
//! - [`text`]: terminal table (colour only when asked, i.e. on a TTY) and Markdown;
//! - [`columns`]: the rows as an Arrow batch, the shape of the CSV and Parquet outputs;
//! - [`write_dependency`] / [`write_report`]: one entry point per command and format;
//! - [`write_atomically`]: `--out FILE` is written aside and renamed into place.

pub mod columns;
pub mod text;

use std::io::Write;
use std::path::Path;

use chokepoint_metrics::dependency::DependencyResult;
use chokepoint_metrics::dependency::briefing::ImporterBriefing;
use serde::Serialize;

/// Errors while rendering or writing.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Unsupported(String),
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Ranked text table for a terminal.
    Table,
    /// JSON: an array of row objects (`report`: an object with briefing, rows, provenance).
    Json,
    /// CSV with a header; list columns joined with `;`.
    Csv,
    /// Markdown.
    Md,
    /// Parquet (binary; needs `--out` or a redirected stdout); provenance in the file's
    /// key-value metadata under `chokepoint:provenance`.
    Parquet,
}

/// Key of the provenance JSON in Parquet outputs' metadata.
pub const PROVENANCE_KEY: &str = "chokepoint:provenance";

/// Write the dependency rows of `result` in `format`. `color` only affects [`Format::Table`].
pub fn write_dependency(out: &mut dyn Write, result: &DependencyResult, format: Format, color: bool) -> Result<(), ReportError> {
    match format {
        Format::Table => {
            writeln!(out, "{}", text::dependency_table(result, text::Flavour::Terminal { color }))?;
            write!(out, "{}", text::notes(result, text::Flavour::Terminal { color }))?;
        }
        Format::Md => {
            writeln!(out, "{}", text::dependency_table(result, text::Flavour::Markdown))?;
            write!(out, "{}", text::notes(result, text::Flavour::Markdown))?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &result.rows)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let batch = columns::lists_joined(&columns::dependency_batch(&result.rows, &result.provenance.watch)?)?;
            let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(&mut *out);
            w.write(&batch)?;
        }
        Format::Parquet => {
            let batch = columns::dependency_batch(&result.rows, &result.provenance.watch)?;
            let props = parquet::file::properties::WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
                    PROVENANCE_KEY.to_owned(),
                    serde_json::to_string(&result.provenance)?,
                )]))
                .build();
            let mut buf = Vec::new();
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))?;
            w.write(&batch)?;
            w.close()?;
            out.write_all(&buf)?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct ReportJson<'a> {
    briefing: &'a [ImporterBriefing],
    rows: &'a [chokepoint_metrics::dependency::DependencyRow],
    totals: &'a [chokepoint_metrics::dependency::UnitTotal],
    notices: &'a [String],
    provenance: &'a chokepoint_metrics::dependency::Provenance,
}

/// Write the report: the briefing, then the table (text formats), or one JSON object
/// `{briefing, rows, totals, notices, provenance}`.
pub fn write_report(
    out: &mut dyn Write,
    result: &DependencyResult,
    briefings: &[ImporterBriefing],
    min_value_usd: f64,
    format: Format,
    color: bool,
) -> Result<(), ReportError> {
    match format {
        Format::Table => {
            let flavour = text::Flavour::Terminal { color };
            write!(out, "{}", text::briefing(briefings, result, min_value_usd, flavour))?;
            write_dependency(out, result, Format::Table, color)
        }
        Format::Md => {
            writeln!(out, "# Dependency report\n")?;
            write!(out, "{}", text::briefing(briefings, result, min_value_usd, text::Flavour::Markdown))?;
            writeln!(out, "## All figures\n")?;
            write_dependency(out, result, Format::Md, false)
        }
        Format::Json => {
            let doc = ReportJson {
                briefing: briefings,
                rows: &result.rows,
                totals: &result.totals,
                notices: &result.notices,
                provenance: &result.provenance,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
            Ok(())
        }
        Format::Csv | Format::Parquet => write_dependency(out, result, format, color),
    }
}

/// Write a file atomically: into a temporary file in the same directory, then renamed over
/// `path`, so a failure never leaves a half-written file (an existing file stays intact).
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<(), ReportError>) -> Result<(), ReportError> {
    let file_err = |source| ReportError::File { path: path.display().to_string(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(file_err)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut w)?;
        w.flush().map_err(file_err)?;
    }
    tmp.as_file().sync_all().map_err(file_err)?;
    tmp.persist(path).map_err(|e| file_err(e.error))?;
    Ok(())
}
