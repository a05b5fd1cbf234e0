//! Renderings of DERA screen rows and CRMA benchmark rows: terminal table / Markdown (the
//! headline figures), JSON (array of row objects), CSV and Parquet (one Arrow batch each,
//! lists joined with `;` in CSV, the method columns at the end).

use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int32Array, ListBuilder, RecordBatch, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use chokepoint_metrics::crma::CrmaRow;
use chokepoint_metrics::dera::{DeraRow, Level};

use crate::columns::string_lists;
use crate::method_rows::{right_align, write_method_rows};
use crate::text::{pct, tonnes};
use crate::{Format, ReportError};

/// Builds a batch column by column.
struct Columns<'a, T> {
    rows: &'a [T],
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
}

impl<'a, T> Columns<'a, T> {
    fn new(rows: &'a [T]) -> Self {
        Columns { rows, fields: Vec::new(), columns: Vec::new() }
    }
    fn text(&mut self, name: &str, get: impl Fn(&T) -> Option<String>) -> &mut Self {
        let v: Vec<Option<String>> = self.rows.iter().map(get).collect();
        self.fields.push(Field::new(name, DataType::Utf8, v.iter().any(Option::is_none)));
        self.columns.push(Arc::new(StringArray::from(v)));
        self
    }
    fn float(&mut self, name: &str, get: impl Fn(&T) -> Option<f64>) -> &mut Self {
        let v: Vec<Option<f64>> = self.rows.iter().map(get).collect();
        self.fields.push(Field::new(name, DataType::Float64, v.iter().any(Option::is_none)));
        self.columns.push(Arc::new(Float64Array::from(v)));
        self
    }
    fn int(&mut self, name: &str, get: impl Fn(&T) -> i32) -> &mut Self {
        self.fields.push(Field::new(name, DataType::Int32, false));
        self.columns.push(Arc::new(Int32Array::from(self.rows.iter().map(get).collect::<Vec<_>>())));
        self
    }
    fn count(&mut self, name: &str, get: impl Fn(&T) -> usize) -> &mut Self {
        self.fields.push(Field::new(name, DataType::UInt64, false));
        self.columns.push(Arc::new(UInt64Array::from(self.rows.iter().map(|r| get(r) as u64).collect::<Vec<_>>())));
        self
    }
    fn flag(&mut self, name: &str, get: impl Fn(&T) -> bool) -> &mut Self {
        self.fields.push(Field::new(name, DataType::Boolean, false));
        self.columns.push(Arc::new(BooleanArray::from(self.rows.iter().map(get).collect::<Vec<_>>())));
        self
    }
    fn list(&mut self, name: &str, get: impl Fn(&'a T) -> Vec<String>) -> &mut Self {
        self.fields.push(Field::new(name, DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))), false));
        self.columns.push(string_lists(self.rows, get));
        self
    }
    fn floats(&mut self, name: &str, get: impl Fn(&T) -> Vec<f64>) -> &mut Self {
        let mut b = ListBuilder::new(arrow::array::Float64Builder::new());
        for r in self.rows {
            for v in get(r) {
                b.values().append_value(v);
            }
            b.append(true);
        }
        self.fields.push(Field::new(name, DataType::List(Arc::new(Field::new("item", DataType::Float64, true))), false));
        self.columns.push(Arc::new(b.finish()));
        self
    }
    fn finish(&mut self, info: Option<&chokepoint_metrics::method::MethodInfo>) -> Result<RecordBatch, arrow::error::ArrowError> {
        let batch = RecordBatch::try_new(Arc::new(Schema::new(std::mem::take(&mut self.fields))), std::mem::take(&mut self.columns))?;
        match info {
            Some(i) => crate::columns::with_method_info(&batch, i),
            None => Ok(batch),
        }
    }
}

fn lvl(l: Option<Level>) -> Option<String> {
    l.map(|l| l.as_str().to_owned())
}

fn label<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// DERA rows as one Arrow batch: identification, production basis, import basis, method columns.
pub fn dera_batch(rows: &[DeraRow]) -> Result<RecordBatch, arrow::error::ArrowError> {
    Columns::new(rows)
        .text("importer", |r| Some(r.importer.clone()))
        .list("members", |r| r.members.clone())
        .int("year", |r| r.year)
        .text("material", |r| Some(r.material.clone()))
        .list("hs6", |r| r.hs6.clone())
        .text("stage", |r| Some(r.stage.clone()))
        .text("wgi_dimensions", |r| Some(r.wgi_dimensions.clone()))
        .int("wgi_year", |r| r.wgi_year)
        .text("production_unit", |r| Some(r.production_unit.clone()))
        .float("production_hhi", |r| Some(r.production_hhi))
        .text("production_hhi_class", |r| lvl(Some(r.production_hhi_class)))
        .float("production_wcr", |r| r.production_wcr)
        .text("production_wcr_class", |r| lvl(r.production_wcr_class))
        .float("production_unscored_share", |r| Some(r.production_unscored_share))
        .text("production_group", |r| lvl(r.production_group))
        .count("producers", |r| r.producers)
        .text("top_producer", |r| Some(r.top_producer.clone()))
        .float("top_producer_share", |r| Some(r.top_producer_share))
        .text("import_basis", |r| Some(label(&r.import_basis)))
        .float("imports_t", |r| r.imports_t)
        .float("imports_usd", |r| Some(r.imports_usd))
        .float("import_hhi", |r| r.import_hhi)
        .text("import_hhi_class", |r| lvl(r.import_hhi_class))
        .float("import_wcr", |r| r.import_wcr)
        .text("import_wcr_class", |r| lvl(r.import_wcr_class))
        .float("import_unscored_share", |r| r.import_unscored_share)
        .text("import_group", |r| lvl(r.import_group))
        .count("suppliers", |r| r.suppliers)
        .text("top_supplier", |r| r.top_supplier.clone())
        .float("top_supplier_share", |r| r.top_supplier_share)
        .finish(rows.first().map(|r| &r.info))
}

/// CRMA benchmark rows as one Arrow batch.
pub fn crma_batch(rows: &[CrmaRow]) -> Result<RecordBatch, arrow::error::ArrowError> {
    Columns::new(rows)
        .text("importer", |r| Some(r.importer.clone()))
        .list("members", |r| r.members.clone())
        .int("year", |r| r.year)
        .text("material", |r| Some(r.material.clone()))
        .flag("strategic", |r| r.strategic)
        .text("strategic_raw_material", |r| r.strategic_raw_material.clone())
        .text("stage", |r| Some(r.stage.clone()))
        .list("hs6", |r| r.hs6.clone())
        .text("production_unit", |r| Some(r.production_unit.clone()))
        .float("member_production_t", |r| Some(r.member_production_t))
        .float("third_country_imports_t", |r| Some(r.third_country_imports_t))
        .float("supply_t", |r| Some(r.supply_t))
        .float("member_production_share", |r| Some(r.member_production_share))
        .count("third_countries", |r| r.third_countries)
        .text("top_third_country", |r| r.top_third_country.clone())
        .float("top_third_share", |r| Some(r.top_third_share))
        .float("top_third_imports_t", |r| Some(r.top_third_imports_t))
        .list("top3_third", |r| r.top3_third.iter().map(|p| p.country.clone()).collect())
        .floats("top3_third_shares", |r| r.top3_third.iter().map(|p| p.share).collect())
        .float("benchmark", |r| Some(r.benchmark))
        .flag("over_benchmark", |r| r.over_benchmark)
        .float("over_benchmark_pp", |r| Some(r.over_benchmark_pp))
        .float("tonnes_to_move", |r| Some(r.tonnes_to_move))
        .float("value_without_quantity_usd", |r| Some(r.value_without_quantity_usd))
        .finish(rows.first().map(|r| &r.info))
}

fn table(format: Format, header: &[&str], rows: Vec<Vec<String>>, right_from: usize) -> Table {
    let mut t = Table::new();
    t.load_preset(if format == Format::Md { presets::ASCII_MARKDOWN } else { "  ── ══      ──    " });
    // Markdown tables take a one-line header.
    t.set_header(header.iter().map(|h| if format == Format::Md { h.replace('\n', " ") } else { (*h).to_owned() }).collect::<Vec<_>>());
    if format == Format::Table {
        // Wrap long cells (material names) so the table fits 120 columns.
        t.set_content_arrangement(ContentArrangement::Dynamic).set_width(120);
    }
    for r in rows {
        t.add_row(r);
    }
    right_align(&mut t, right_from..header.len());
    t
}

fn short(l: Option<Level>) -> String {
    l.map_or("–".into(), |l| l.as_str().to_owned())
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.digits$}"))
}

/// Write DERA rows; `notes` go under the text formats.
pub fn write_dera(out: &mut dyn Write, rows: &[DeraRow], notes: &[String], format: Format) -> Result<(), ReportError> {
    let text_table = |_md: bool| {
        let body = rows
            .iter()
            .map(|r| {
                vec![
                    r.importer.clone(),
                    r.year.to_string(),
                    r.material.clone(),
                    format!("{:.0}", r.production_hhi),
                    opt(r.production_wcr, 2),
                    short(r.production_group),
                    format!("{} {}", r.top_producer, pct(r.top_producer_share)),
                    opt(r.import_hhi, 0),
                    opt(r.import_wcr, 2),
                    short(r.import_group),
                    r.top_supplier.as_ref().map_or("–".into(), |s| format!("{s} {}", pct(r.top_supplier_share.unwrap_or(0.0)))),
                ]
            })
            .collect();
        let header = [
            "importer",
            "year",
            "material",
            "prod HHI",
            "prod WCR",
            "prod grp",
            "top producer",
            "imp HHI",
            "imp WCR",
            "imp grp",
            "top supplier",
        ];
        table(format, &header, body, 3)
    };
    write_method_rows(out, rows, notes, format, None, text_table, dera_batch)
}

/// Write CRMA benchmark rows; `notes` go under the text formats.
pub fn write_crma(out: &mut dyn Write, rows: &[CrmaRow], notes: &[String], format: Format) -> Result<(), ReportError> {
    let text_table = |_md: bool| {
        let body = rows
            .iter()
            .map(|r| {
                vec![
                    r.importer.clone(),
                    r.year.to_string(),
                    r.material.clone(),
                    match r.stage.as_str() {
                        "Extraction" => "extr.".into(),
                        "Processing" => "proc.".into(),
                        s => s.to_owned(),
                    },
                    tonnes(r.supply_t),
                    pct(r.member_production_share),
                    r.top_third_country.clone().unwrap_or_else(|| "–".into()),
                    pct(r.top_third_share),
                    format!("{:+.1}{}", r.over_benchmark_pp, if r.over_benchmark { " OVER" } else { "" }),
                    if r.tonnes_to_move > 0.0 { tonnes(r.tonnes_to_move) } else { "–".into() },
                    r.top3_third.iter().skip(1).map(|p| format!("{} {}", p.country, pct(p.share))).collect::<Vec<_>>().join(", "),
                ]
            })
            .collect();
        let header = [
            "importer",
            "year",
            "material",
            "stage",
            "supply",
            "own\nprod.",
            "top third\ncountry",
            "share",
            "pp vs\nbenchmark",
            "to move",
            "next third\ncountries",
        ];
        table(format, &header, body, 4)
    };
    write_method_rows(out, rows, notes, format, None, text_table, crma_batch)
}
