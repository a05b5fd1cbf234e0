//! Several risk methods at once: one row per importer × material × year with each method's
//! headline figure in its own column (the methods' own rows follow in their sections).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use comfy_table::{CellAlignment, Table, presets};
use serde_json::{Map, Value};

use chokepoint_metrics::method::MethodInfo;

use crate::{Format, ReportError};

pub use chokepoint_metrics::risk::{Headline, HeadlineValue};

/// Headlines joined into rows, the importers in the order first seen, then year and material.
#[derive(Debug, Clone, Default)]
pub struct SideBySide {
    pub columns: Vec<(String, bool)>,
    pub rows: Vec<((String, i32, String), BTreeMap<String, HeadlineValue>)>,
    /// The methods joined (in CSV/Parquet as the last columns and in the Parquet metadata).
    pub methods: Vec<MethodInfo>,
    /// Every method's notes, prefixed with its id (Parquet metadata).
    pub notes: Vec<String>,
}

impl SideBySide {
    pub fn new(headlines: &[Headline]) -> SideBySide {
        let mut columns: Vec<(String, bool)> = Vec::new();
        let mut importer_order: Vec<String> = Vec::new();
        let mut map: BTreeMap<(usize, i32, String), BTreeMap<String, HeadlineValue>> = BTreeMap::new();
        for h in headlines {
            if !columns.iter().any(|c| c.0 == h.column) {
                columns.push((h.column.clone(), matches!(h.value, HeadlineValue::Number(_))));
            }
            let u = importer_order.iter().position(|i| *i == h.importer).unwrap_or_else(|| {
                importer_order.push(h.importer.clone());
                importer_order.len() - 1
            });
            map.entry((u, h.year, h.material.clone())).or_default().insert(h.column.clone(), h.value.clone());
        }
        let rows = map.into_iter().map(|((u, y, m), v)| ((importer_order[u].clone(), y, m), v)).collect();
        SideBySide { columns, rows, methods: Vec::new(), notes: Vec::new() }
    }

    /// Attach the provenance of the methods joined.
    pub fn with_provenance(mut self, methods: Vec<MethodInfo>, notes: Vec<String>) -> SideBySide {
        self.methods = methods;
        self.notes = notes;
        self
    }

    /// `id: version [params]` of every method, joined with ` | `.
    pub fn method_versions(&self) -> String {
        self.methods
            .iter()
            .map(|m| format!("{}: {} [params {}]", m.method, m.method_version, m.params_version))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// The sources of every method, each once, joined with `; `.
    pub fn sources(&self) -> String {
        let mut out: Vec<&str> = Vec::new();
        for m in &self.methods {
            for s in m.sources.split("; ") {
                if !s.is_empty() && !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out.join("; ")
    }

    /// Rows as JSON objects (`importer`, `year`, `material`, then one key per column; null where a method has no row).
    pub fn json(&self) -> Value {
        Value::Array(
            self.rows
                .iter()
                .map(|((i, y, m), v)| {
                    let mut o = Map::new();
                    o.insert("importer".into(), i.clone().into());
                    o.insert("year".into(), (*y).into());
                    o.insert("material".into(), m.clone().into());
                    for (c, _) in &self.columns {
                        o.insert(
                            c.clone(),
                            match v.get(c) {
                                Some(HeadlineValue::Number(x)) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
                                Some(HeadlineValue::Text(s)) => s.clone().into(),
                                None => Value::Null,
                            },
                        );
                    }
                    Value::Object(o)
                })
                .collect(),
        )
    }

    /// The rows as one Arrow batch (numeric columns Float64, labels Utf8, nullable).
    pub fn batch(&self) -> Result<RecordBatch, arrow::error::ArrowError> {
        let mut fields = vec![
            Field::new("importer", DataType::Utf8, false),
            Field::new("year", DataType::Int32, false),
            Field::new("material", DataType::Utf8, false),
        ];
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(self.rows.iter().map(|r| r.0.0.clone()).collect::<Vec<_>>())),
            Arc::new(Int32Array::from(self.rows.iter().map(|r| r.0.1).collect::<Vec<_>>())),
            Arc::new(StringArray::from(self.rows.iter().map(|r| r.0.2.clone()).collect::<Vec<_>>())),
        ];
        for (c, numeric) in &self.columns {
            if *numeric {
                fields.push(Field::new(c, DataType::Float64, true));
                cols.push(Arc::new(Float64Array::from(
                    self.rows
                        .iter()
                        .map(|r| if let Some(HeadlineValue::Number(x)) = r.1.get(c) { Some(*x) } else { None })
                        .collect::<Vec<_>>(),
                )));
            } else {
                fields.push(Field::new(c, DataType::Utf8, true));
                cols.push(Arc::new(StringArray::from(
                    self.rows
                        .iter()
                        .map(|r| match r.1.get(c) {
                            Some(HeadlineValue::Text(s)) => Some(s.clone()),
                            Some(HeadlineValue::Number(x)) => Some(x.to_string()),
                            None => None,
                        })
                        .collect::<Vec<_>>(),
                )));
            }
        }
        for (name, value) in [("method_versions", self.method_versions()), ("sources", self.sources())] {
            fields.push(Field::new(name, DataType::Utf8, false));
            cols.push(Arc::new(StringArray::from(vec![value; self.rows.len()])));
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
    }

    /// Write the joined rows (table/Markdown/CSV/Parquet; JSON via [`SideBySide::json`]).
    pub fn write(&self, out: &mut dyn Write, format: Format) -> Result<(), ReportError> {
        match format {
            Format::Table | Format::Md => {
                let mut t = Table::new();
                t.load_preset(if format == Format::Md { presets::ASCII_MARKDOWN } else { "  ── ══      ──    " });
                let mut header = vec!["importer".to_owned(), "year".into(), "material".into()];
                // Markdown tables take a one-line header.
                header.extend(self.columns.iter().map(|c| if format == Format::Md { c.0.clone() } else { two_line_header(&c.0) }));
                t.set_header(header);
                for ((i, y, m), v) in &self.rows {
                    let mut row = vec![i.clone(), y.to_string(), m.clone()];
                    row.extend(self.columns.iter().map(|(c, _)| match v.get(c) {
                        Some(HeadlineValue::Number(x)) => number(*x),
                        Some(HeadlineValue::Text(s)) => s.clone(),
                        None => "–".into(),
                    }));
                    t.add_row(row);
                }
                for (k, (_, numeric)) in self.columns.iter().enumerate() {
                    if *numeric && let Some(c) = t.column_mut(k + 3) {
                        c.set_cell_alignment(CellAlignment::Right);
                    }
                }
                writeln!(out, "{t}")?;
            }
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, &self.json())?;
                writeln!(out)?;
            }
            Format::Csv => {
                let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(&mut *out);
                w.write(&self.batch()?)?;
            }
            Format::Parquet => {
                let infos: Vec<&MethodInfo> = self.methods.iter().collect();
                crate::write_parquet(out, &self.batch()?, Some(crate::risk_provenance(&infos, &self.notes)?))?
            }
        }
        Ok(())
    }
}

/// `geopolrisk_score` → `geopolrisk` over `score`: the method on the first line.
fn two_line_header(column: &str) -> String {
    for method in ["geopolrisk", "eu_crm", "dera", "crma", "screen"] {
        if let Some(rest) = column.strip_prefix(method).and_then(|r| r.strip_prefix('_')) {
            return format!("{method}\n{rest}");
        }
    }
    column.to_owned()
}

/// Three decimals for scores and shares, none for figures ≥ 100 (HHI on 0–10,000, tonnes).
fn number(x: f64) -> String {
    if x.abs() >= 100.0 { format!("{x:.0}") } else { format!("{x:.3}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_by_key_and_keeps_gaps() {
        let h = |i: &str, m: &str, c: &str, v: HeadlineValue| Headline {
            importer: i.into(),
            year: 2022,
            material: m.into(),
            column: c.into(),
            value: v,
        };
        let s = SideBySide::new(&[
            h("JPN", "Cobalt", "a", HeadlineValue::Number(0.5)),
            h("DEU", "Cobalt", "a", HeadlineValue::Number(0.25)),
            h("JPN", "Cobalt", "b", HeadlineValue::Text("high".into())),
        ]);
        assert_eq!(s.columns, vec![("a".to_owned(), true), ("b".to_owned(), false)]);
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.rows[0].0.0, "JPN");
        let j = s.json();
        assert_eq!(j[1]["importer"], "DEU");
        assert_eq!(j[1]["b"], Value::Null);
        assert_eq!(j[0]["b"], "high");
        let b = s.batch().unwrap();
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.column(4).null_count(), 1);
        assert_eq!(b.schema().field(b.num_columns() - 2).name(), "method_versions");
        let mut out = Vec::new();
        s.write(&mut out, Format::Table).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("0.500") && text.contains("0.250"), "{text}");
        assert_eq!(two_line_header("eu_crm_sr"), "eu_crm\nsr");
        assert_eq!(number(3532.792), "3533");
        assert_eq!(number(0.1234), "0.123");
    }
}
