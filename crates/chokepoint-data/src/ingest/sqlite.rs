//! Reading the bundle's SQLite files with checks that name the file, table, row and column.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::error::{DataError, Result};

/// An SQLite source opened read-only, with the label used in messages (`baci.db`).
pub struct Db {
    pub conn: Connection,
    pub label: String,
}

impl Db {
    /// Open read-only and check that the file is an SQLite database.
    pub fn open(path: &Path, label: &str) -> Result<Db> {
        let err = |source| DataError::Sqlite { path: label.to_owned(), source };
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(err)?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).map_err(err)?;
        Ok(Db { conn, label: label.to_owned() })
    }

    pub fn err(&self, source: rusqlite::Error) -> DataError {
        DataError::Sqlite { path: self.label.clone(), source }
    }

    /// Names of the tables.
    pub fn tables(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map_err(|e| self.err(e))?;
        let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The one table whose name starts with `prefix` (e.g. `country_codes_`).
    pub fn table_with_prefix(&self, prefix: &str, expected: &str) -> Result<String> {
        self.tables()?.into_iter().find(|t| t.starts_with(prefix)).ok_or_else(|| DataError::MissingTable {
            file: self.label.clone(),
            table: format!("{prefix}*"),
            expected: expected.to_owned(),
        })
    }

    /// Error unless `table` exists.
    pub fn require_table(&self, table: &str, expected: &str) -> Result<()> {
        if self.tables()?.iter().any(|t| t == table) {
            Ok(())
        } else {
            Err(DataError::MissingTable { file: self.label.clone(), table: table.to_owned(), expected: expected.to_owned() })
        }
    }

    /// Column names of `table`, in order.
    pub fn columns(&self, table: &str) -> Result<Vec<String>> {
        let mut st = self.conn.prepare(&format!("PRAGMA table_info({})", quote(table))).map_err(|e| self.err(e))?;
        let rows = st.query_map([], |r| r.get::<_, String>(1)).map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Error unless `table` exists and has every column of `required`; returns all columns.
    pub fn require_columns(&self, table: &str, required: &[&str], expected: &str) -> Result<Vec<String>> {
        self.require_table(table, expected)?;
        let cols = self.columns(table)?;
        for c in required {
            if !cols.iter().any(|x| x == c) {
                return Err(DataError::MissingColumn {
                    file: self.label.clone(),
                    table: table.to_owned(),
                    column: (*c).to_owned(),
                    found: cols,
                });
            }
        }
        Ok(cols)
    }

    /// `file, table T, row R` for messages.
    pub fn location(&self, table: &str, rowid: i64) -> String {
        format!("{}, table {table:?}, row {rowid}", self.label)
    }
}

/// An SQL identifier in double quotes.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// A cell as text: numbers formatted in their shortest exact form, NULL as `None`.
pub fn cell_text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(x) => Some(format!("{x}")),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(_) => Some("<blob>".to_owned()),
    }
}

/// Columns whose names are four-digit years, with their positions.
pub fn year_columns(cols: &[String]) -> Vec<(usize, i32)> {
    cols.iter()
        .enumerate()
        .filter(|(_, c)| c.len() == 4 && c.bytes().all(|b| b.is_ascii_digit()))
        .map(|(i, c)| (i, c.parse().expect("digits")))
        .collect()
}
