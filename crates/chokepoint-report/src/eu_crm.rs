//! Renderings of EU CRM supply-risk rows: terminal table / Markdown (SR and its terms),
//! JSON (array of row objects), CSV and Parquet (one Arrow batch; lists joined with `;` in CSV).

use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use comfy_table::{Table, presets};

use chokepoint_metrics::eu_crm::EuCrmRow;

use crate::columns::{string_lists, with_method_info};
use crate::method_rows::{right_align, write_method_rows};
use crate::{Format, ReportError};

/// The rows as one Arrow batch (the provenance columns last).
pub fn eu_crm_batch(rows: &[EuCrmRow]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let f = |get: &dyn Fn(&EuCrmRow) -> f64| -> ArrayRef { Arc::new(Float64Array::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let b = |get: &dyn Fn(&EuCrmRow) -> bool| -> ArrayRef { Arc::new(BooleanArray::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let s = |get: &dyn Fn(&EuCrmRow) -> String| -> ArrayRef { Arc::new(StringArray::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let list = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    let fields = vec![
        Field::new("importer", DataType::Utf8, false),
        Field::new("members", list.clone(), false),
        Field::new("year", DataType::Int32, false),
        Field::new("material", DataType::Utf8, false),
        Field::new("raw_material", DataType::Utf8, false),
        Field::new("stage", DataType::Utf8, false),
        Field::new("hs6", list.clone(), false),
        Field::new("hhi_wgi_t_global", DataType::Float64, false),
        Field::new("hhi_wgi_t_sourcing", DataType::Float64, false),
        Field::new("import_reliance", DataType::Float64, false),
        Field::new("imports_t", DataType::Float64, false),
        Field::new("exports_t", DataType::Float64, false),
        Field::new("domestic_production_t", DataType::Float64, false),
        Field::new("eol_rir", DataType::Float64, false),
        Field::new("si_sr", DataType::Float64, false),
        Field::new("si_sr_default", DataType::Boolean, false),
        Field::new("supply_risk", DataType::Float64, false),
        Field::new("high_supply_risk", DataType::Boolean, false),
        Field::new("bottleneck", DataType::Boolean, false),
        Field::new("economic_importance", DataType::Float64, true),
        Field::new("critical", DataType::Boolean, true),
        Field::new("unscored_global_share", DataType::Float64, false),
        Field::new("unscored_sourcing_share", DataType::Float64, false),
        Field::new("trade_parameters", list.clone(), false),
        Field::new("approximations", list, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        s(&|r| r.importer.clone()),
        string_lists(rows, |r| r.members.clone()),
        Arc::new(Int32Array::from(rows.iter().map(|r| r.year).collect::<Vec<_>>())),
        s(&|r| r.material.clone()),
        s(&|r| r.raw_material.clone()),
        s(&|r| r.stage.clone()),
        string_lists(rows, |r| r.hs6.clone()),
        f(&|r| r.hhi_wgi_t_global),
        f(&|r| r.hhi_wgi_t_sourcing),
        f(&|r| r.import_reliance),
        f(&|r| r.imports_t),
        f(&|r| r.exports_t),
        f(&|r| r.domestic_production_t),
        f(&|r| r.eol_rir),
        f(&|r| r.si_sr),
        b(&|r| r.si_sr_default),
        f(&|r| r.supply_risk),
        b(&|r| r.high_supply_risk),
        b(&|r| r.bottleneck),
        Arc::new(Float64Array::from(rows.iter().map(|r| r.economic_importance).collect::<Vec<_>>())),
        Arc::new(BooleanArray::from(rows.iter().map(|r| r.critical).collect::<Vec<_>>())),
        f(&|r| r.unscored_global_share),
        f(&|r| r.unscored_sourcing_share),
        string_lists(rows, |r| r.trade_parameters.clone()),
        string_lists(rows, |r| r.approximations.clone()),
    ];
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    match rows.first() {
        Some(r) => with_method_info(&batch, &r.info),
        None => Ok(batch),
    }
}

/// Restrictions in full, agreement partners counted: `IDN t=1.1; 18 at t=0.8`.
fn trade_parameters_short(list: &[String]) -> String {
    let mut parts: Vec<String> = list.iter().filter(|t| !t.ends_with("t=0.8")).cloned().collect();
    let agreements = list.len() - parts.len();
    if agreements > 0 {
        parts.push(format!("{agreements} at t=0.8"));
    }
    parts.join("; ")
}

/// Write EU CRM rows; `notes` go under the text formats.
pub fn write_eu_crm(out: &mut dyn Write, rows: &[EuCrmRow], notes: &[String], format: Format) -> Result<(), ReportError> {
    let table = |md: bool| {
        let mut t = Table::new();
        t.load_preset(if md { presets::ASCII_MARKDOWN } else { "  ── ══      ──    " });
        t.set_header(["importer", "year", "material", "stage", "SR", "≥1", "GS", "sourcing", "IR", "EoL-RIR", "SI_SR", "t ≠ 1 (sourcing)"]);
        for r in rows {
            t.add_row([
                r.importer.clone(),
                r.year.to_string(),
                if r.raw_material != r.material { format!("{} ({})", r.material, r.raw_material) } else { r.material.clone() },
                format!("{}{}", r.stage, if r.bottleneck && r.raw_material != r.material { " ◆" } else { "" }),
                format!("{:.3}", r.supply_risk),
                if r.high_supply_risk { "yes".into() } else { String::new() },
                format!("{:.2}", r.hhi_wgi_t_global),
                format!("{:.2}", r.hhi_wgi_t_sourcing),
                format!("{:.2}", r.import_reliance),
                format!("{:.2}", r.eol_rir),
                format!("{:.2}{}", r.si_sr, if r.si_sr_default { "*" } else { "" }),
                trade_parameters_short(&r.trade_parameters),
            ]);
        }
        right_align(&mut t, 4..11);
        t
    };
    write_method_rows(
        out,
        rows,
        notes,
        format,
        Some(
            "SR = [GS × IR/2 + sourcing × (1 − IR/2)] × (1 − EoL-RIR) × SI_SR; GS / sourcing = HHI_WGI,t of world production / of own production + imports (0–10); * = default SI_SR; ◆ = bottleneck stage",
        ),
        table,
        eu_crm_batch,
    )
}
