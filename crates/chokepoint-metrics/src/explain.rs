//! `--explain`: the terms that produced one score, in a shape every method fills the same
//! way and every renderer prints the same way (text blocks, Markdown, JSON).

use serde::Serialize;

use crate::method::MethodInfo;

/// The explanation of one result row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    /// Which row, e.g. `GeoPolRisk · JPN · Cobalt · 2022 · chokepoint convention`.
    pub title: String,
    /// Method, version, parameters and sources of the row.
    pub info: MethodInfo,
    /// The equation with the symbols of `terms`, e.g. `score = HHI × Σ g_i f_i / (p + F)`.
    pub equation: String,
    /// Scalars in the order the equation uses them, ending with the result(s).
    pub terms: Vec<Term>,
    /// Per-supplier / per-producer contributions behind the sums.
    pub tables: Vec<ExplainTable>,
    /// Rules applied (defaults, approximations, missing data).
    pub notes: Vec<String>,
}

/// One scalar of an equation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Term {
    /// Symbol as in the equation (`HHI`, `F`, `Σ g_i f_i`).
    pub symbol: String,
    /// What it is, with the unit (`imports with a reported quantity, t`).
    pub meaning: String,
    /// Value; `None` when not defined (e.g. a share of zero imports).
    pub value: Option<f64>,
    /// Where it comes from: dataset table and column, parameters file entry, or `computed`.
    pub source: String,
}

impl Term {
    pub fn new(symbol: &str, meaning: &str, value: impl Into<Option<f64>>, source: &str) -> Term {
        Term { symbol: symbol.to_owned(), meaning: meaning.to_owned(), value: value.into(), source: source.to_owned() }
    }
}

/// A table of contributions (rows in the order of the sum, largest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExplainTable {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One cell of an [`ExplainTable`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Number(f64),
    Null,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<f64> for Cell {
    fn from(v: f64) -> Cell {
        Cell::Number(v)
    }
}
impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Cell {
        v.map_or(Cell::Null, Cell::Number)
    }
}
