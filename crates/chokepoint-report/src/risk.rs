//! Renderings of GeoPolRisk rows: terminal table / Markdown (the score and its terms),
//! JSON (array of row objects), CSV and Parquet (one Arrow batch; lists joined with `;` in CSV).

use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use comfy_table::{Table, presets};

use chokepoint_metrics::geopolrisk::GeoPolRiskRow;

use crate::columns::string_lists;
use crate::method_rows::{right_align, write_method_rows};
use crate::{Format, ReportError};

fn convention(r: &GeoPolRiskRow) -> String {
    serde_json::to_value(r.convention).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The rows as one Arrow batch.
pub fn geopolrisk_batch(rows: &[GeoPolRiskRow]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let f = |get: &dyn Fn(&GeoPolRiskRow) -> f64| -> ArrayRef { Arc::new(Float64Array::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let utf8_list = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    let fields = vec![
        Field::new("importer", DataType::Utf8, false),
        Field::new("members", utf8_list.clone(), false),
        Field::new("year", DataType::Int32, false),
        Field::new("material", DataType::Utf8, false),
        Field::new("hs6", utf8_list, false),
        Field::new("convention", DataType::Utf8, false),
        Field::new("production_hhi", DataType::Float64, false),
        Field::new("imports_t", DataType::Float64, false),
        Field::new("weighted_imports_t", DataType::Float64, false),
        Field::new("domestic_production_t", DataType::Float64, false),
        Field::new("price_usd_per_t", DataType::Float64, false),
        Field::new("import_risk", DataType::Float64, false),
        Field::new("score", DataType::Float64, false),
        Field::new("cf_kg_cu_eq_per_kg", DataType::Float64, false),
        Field::new("unscored_import_share", DataType::Float64, false),
        Field::new("value_without_quantity_usd", DataType::Float64, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(rows.iter().map(|r| r.importer.clone()).collect::<Vec<_>>())),
        string_lists(rows, |r| r.members.clone()),
        Arc::new(Int32Array::from(rows.iter().map(|r| r.year).collect::<Vec<_>>())),
        Arc::new(StringArray::from(rows.iter().map(|r| r.material.clone()).collect::<Vec<_>>())),
        string_lists(rows, |r| r.hs6.clone()),
        Arc::new(StringArray::from(rows.iter().map(convention).collect::<Vec<_>>())),
        f(&|r| r.production_hhi),
        f(&|r| r.imports_t),
        f(&|r| r.weighted_imports_t),
        f(&|r| r.domestic_production_t),
        f(&|r| r.price_usd_per_t),
        f(&|r| r.import_risk),
        f(&|r| r.score),
        f(&|r| r.cf_kg_cu_eq_per_kg),
        f(&|r| r.unscored_import_share),
        f(&|r| r.value_without_quantity_usd),
    ];
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    match rows.first() {
        Some(r) => crate::columns::with_method_info(&batch, &r.info),
        None => Ok(batch),
    }
}

/// Write GeoPolRisk rows; `notes` go under the text formats (method, rules, sources).
pub fn write_geopolrisk(out: &mut dyn Write, rows: &[GeoPolRiskRow], notes: &[String], format: Format) -> Result<(), ReportError> {
    let table = |md: bool| {
        let mut t = Table::new();
        t.load_preset(if md { presets::ASCII_MARKDOWN } else { "  ── ══      ──    " });
        t.set_header([
            "importer",
            "year",
            "material",
            "convention",
            "score",
            "CF kg Cu-eq/kg",
            "prod. HHI",
            "import risk",
            "imports t",
            "own prod. t",
            "USD/t",
            "unscored",
        ]);
        for r in rows {
            t.add_row([
                r.importer.clone(),
                r.year.to_string(),
                r.material.clone(),
                convention(r),
                format!("{:.4}", r.score),
                format!("{:.4}", r.cf_kg_cu_eq_per_kg),
                format!("{:.3}", r.production_hhi),
                format!("{:.3}", r.import_risk),
                crate::text::tonnes(r.imports_t),
                crate::text::tonnes(r.domestic_production_t),
                if r.imports_t > 0.0 { format!("{:.0}", r.price_usd_per_t) } else { "–".into() },
                crate::text::pct(r.unscored_import_share),
            ]);
        }
        right_align(&mut t, 4..12);
        t
    };
    write_method_rows(out, rows, notes, format, None, table, geopolrisk_batch)
}

/// Write one method's rows (`chokepoint risk --method M`) in `format`, with its notes under
/// the text formats: the renderer of its method ([`write_geopolrisk`],
/// [`crate::eu_crm::write_eu_crm`], [`crate::dera_crma::write_dera`],
/// [`crate::dera_crma::write_crma`], [`crate::screen::write_screen`]).
pub fn write_method(out: &mut dyn Write, m: &chokepoint_metrics::risk::MethodOutput, format: Format) -> Result<(), ReportError> {
    use chokepoint_metrics::risk::MethodRows;
    match &m.rows {
        MethodRows::Geopolrisk(rows) => write_geopolrisk(out, rows, &m.notes, format),
        MethodRows::EuCrm(rows) => crate::eu_crm::write_eu_crm(out, rows, &m.notes, format),
        MethodRows::Dera(rows) => crate::dera_crma::write_dera(out, rows, &m.notes, format),
        MethodRows::Crma(rows) => crate::dera_crma::write_crma(out, rows, &m.notes, format),
        MethodRows::Screen(rows) => crate::screen::write_screen(out, rows, &m.notes, format),
    }
}
