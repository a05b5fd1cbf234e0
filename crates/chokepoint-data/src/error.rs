//! Errors of the data layer. Each names the file (and where it applies the line, column,
//! table or field) and what was expected, so that a user can fix the input.

use std::path::PathBuf;

/// A result with [`DataError`].
pub type Result<T, E = DataError> = std::result::Result<T, E>;

/// What went wrong while fetching, ingesting or reading the store.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// An operating-system error on a named path.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A zip archive (a wheel or a BACI release) could not be read: corrupt or truncated.
    #[error("{path}: not a readable zip archive ({source}); the file is corrupt or truncated — download it again")]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    /// A member the archive must contain is missing.
    #[error("{path}: the archive has no member {member:?}; expected {expected}")]
    MissingMember { path: PathBuf, member: String, expected: String },
    /// A file's sha256 differs from the pinned one.
    #[error(
        "{path}: sha256 is {found}, expected {expected}; the file is not the pinned release (corrupt, truncated or a different version) — delete it and fetch again"
    )]
    Checksum { path: PathBuf, expected: String, found: String },
    /// An SQLite source could not be opened or queried.
    #[error("{path}: SQLite error: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    /// An SQLite source lacks a table.
    #[error("{file}: missing table {table:?}; expected {expected}")]
    MissingTable { file: String, table: String, expected: String },
    /// An SQLite source table lacks a column.
    #[error("{file}: table {table:?} has no column {column:?}; found columns {found:?}")]
    MissingColumn { file: String, table: String, column: String, found: Vec<String> },
    /// A CSV file's header is not the expected one.
    #[error("{file}:1: header is {found:?}, expected {expected:?}")]
    Header { file: String, expected: String, found: String },
    /// A value that does not have the expected form. `location` is `file:line:column`
    /// for CSV input and `file, table T, row N, column C` for SQLite input.
    #[error("{location}: {field} is {found:?}, expected {expected}")]
    BadValue { location: String, field: String, found: String, expected: String },
    /// A country code in trade rows that is not in the country table.
    #[error("{location}: {field} {code:?} is not a known BACI country code (not in {table})")]
    UnknownCountry { location: String, field: String, code: String, table: String },
    /// A BACI CSV row with a wrong number of fields.
    #[error("{location}: row has {found} fields, expected {expected} (t,i,j,k,v,q)")]
    RowLength { location: String, expected: usize, found: usize },
    /// Input that is well formed but cannot be used, with the reason.
    #[error("{0}")]
    Invalid(String),
    /// No store has been ingested yet in the data directory.
    #[error("no store in {0}: run `chokepoint data setup` (fetch and ingest the default dataset) or `chokepoint ingest ...` first")]
    NoStore(PathBuf),
    /// The store was written by an incompatible version of chokepoint.
    #[error("{path}: store schema version {found}, this chokepoint reads version {expected}; ingest the sources again")]
    SchemaVersion { path: PathBuf, found: u32, expected: u32 },
    /// Fetching the default dataset failed; the message gives the manual route.
    #[error("{0}")]
    Fetch(String),
    /// A Parquet read or write error.
    #[error("{path}: Parquet error: {source}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// An Arrow error (building batches).
    #[error("Arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A query error from DataFusion.
    #[error("query error: {0}")]
    Query(#[from] datafusion::error::DataFusionError),
    /// A JSON (manifest) error.
    #[error("{path}: JSON error: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl DataError {
    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io { path: path.into(), source }
    }

    /// A bad value at a location.
    pub fn bad_value(location: impl Into<String>, field: impl Into<String>, found: impl Into<String>, expected: impl Into<String>) -> Self {
        DataError::BadValue { location: location.into(), field: field.into(), found: found.into(), expected: expected.into() }
    }
}

/// Attach a path to I/O results.
pub(crate) trait IoContext<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for std::result::Result<T, std::io::Error> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|e| DataError::io(path, e))
    }
}
