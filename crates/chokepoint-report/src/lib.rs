//! Renderers of chokepoint results. They format rows computed elsewhere
//! (`chokepoint-metrics`); they never compute figures.
//!
//! - [`text`]: terminal table (colour only when asked, i.e. on a TTY) and Markdown;
//! - [`columns`]: the rows as an Arrow batch, the shape of the CSV and Parquet outputs;
//! - [`write_dependency`] / [`write_report`]: one entry point per command and format;
//! - [`stream::BatchStream`]: a large table written batch by batch (Parquet or CSV);
//! - [`write_atomically`]: `--out FILE` is written aside and renamed into place.

pub mod columns;
pub mod dera_crma;
pub mod eu_crm;
pub mod explain;
pub mod html;
pub mod method_rows;
pub mod risk;
pub mod scenario;
pub mod screen;
pub mod side_by_side;
pub mod stream;
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
    /// The HTML report's browser assets are missing or unusable (the message names the file
    /// and the script that installs them).
    #[error("{0}")]
    Assets(String),
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
            write_parquet(out, &batch, Some(serde_json::to_string(&result.provenance)?))?;
        }
    }
    Ok(())
}

/// Write one batch as a Parquet file (Snappy), with `provenance` JSON under [`PROVENANCE_KEY`].
pub fn write_parquet(out: &mut dyn Write, batch: &arrow::array::RecordBatch, provenance: Option<String>) -> Result<(), ReportError> {
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_key_value_metadata(provenance.map(|p| vec![parquet::file::metadata::KeyValue::new(PROVENANCE_KEY.to_owned(), p)]))
        .build();
    let mut buf = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))?;
    w.write(batch)?;
    w.close()?;
    out.write_all(&buf)?;
    Ok(())
}

/// The provenance a risk output carries in its Parquet metadata: each method's
/// [`MethodInfo`](chokepoint_metrics::method::MethodInfo) and the notes (rules applied,
/// approximations, data left out), as JSON.
pub fn risk_provenance(infos: &[&chokepoint_metrics::method::MethodInfo], notes: &[String]) -> Result<String, ReportError> {
    Ok(serde_json::to_string(&serde_json::json!({ "methods": infos, "notes": notes }))?)
}

/// Write one batch as CSV with a header, list columns joined with `;`.
pub fn write_csv(out: &mut dyn Write, batch: &arrow::array::RecordBatch) -> Result<(), ReportError> {
    let batch = columns::lists_joined(batch)?;
    let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(&mut *out);
    w.write(&batch)?;
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

/// Write a file atomically: into a new file beside the target, then renamed over it, so a
/// failure never leaves a half-written file (an existing file stays intact). The new file
/// gets the mode an ordinary create would give (umask applies) or, when replacing a file,
/// that file's permissions; a symlink is followed and its target replaced.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<(), ReportError>) -> Result<(), ReportError> {
    let file_err = |source| ReportError::File { path: path.display().to_string(), source };
    // Follow a symlink to the file it names.
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(file_err)?,
        Ok(m) if m.is_dir() => {
            return Err(file_err(std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory; give a file name")));
        }
        _ => path.to_owned(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => Path::new(".").to_owned(),
    };
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(file_err)?;
        if let Ok(existing) = std::fs::metadata(&target) {
            std::fs::set_permissions(&tmp, existing.permissions()).map_err(file_err)?;
        }
        let mut w = std::io::BufWriter::new(&file);
        write(&mut w)?;
        w.flush().map_err(file_err)?;
        drop(w);
        file.sync_all().map_err(file_err)?;
        std::fs::rename(&tmp, &target).map_err(file_err)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_keep_mode_follow_links_and_leave_nothing_on_failure() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.csv");
        write_atomically(&f, |w| Ok(w.write_all(b"one")?)).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"one");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&f, |w| Ok(w.write_all(b"two")?)).unwrap();
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o640);
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        write_atomically(&link, |w| Ok(w.write_all(b"three")?)).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&f).unwrap(), b"three");
        let err = write_atomically(&f, |_| Err(ReportError::Unsupported("boom".into()))).unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(std::fs::read(&f).unwrap(), b"three");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left");
        let e = write_atomically(dir.path(), |_| Ok(())).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
    }
}
