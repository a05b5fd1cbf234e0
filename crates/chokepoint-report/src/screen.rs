//! Renderings of strategic-dependency screen rows: terminal table / Markdown (narrow: the
//! figures of the three criteria and the flags), JSON (array of row objects), CSV and
//! Parquet (one Arrow batch; `members` joined with `;` in CSV). The import/export ratio is
//! null where the unit has no extra-bloc exports (+∞; `no_extra_exports` is true).

use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use comfy_table::{Table, presets};

use chokepoint_metrics::screen::ScreenRow;

use crate::columns::string_lists;
use crate::method_rows::{right_align, write_method_rows};
use crate::{Format, ReportError};

/// The rows as one Arrow batch, followed by the method columns.
///
/// Columns: `importer, members (list), year, hs6, product, extra_imports_usd,
/// intra_imports_usd, extra_exports_usd, world_exports_usd, extra_supplier_count,
/// top_supplier, top_supplier_share, hhi_extra, extra_share, import_export_ratio (null =
/// +∞), no_extra_exports, world_export_hhi, world_exporter_count, crit_hhi_extra,
/// crit_extra_share, crit_import_export_ratio, crit_world_export_hhi, dependent,
/// dependent_geodep, geodep_years_held, dependent_geodep_persistent, dependent_previous_year,
/// dependent_geodep_previous_year, thresholds, method, method_version, params_version, sources`.
pub fn screen_batch(rows: &[ScreenRow]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let f = |get: &dyn Fn(&ScreenRow) -> f64| -> ArrayRef { Arc::new(Float64Array::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let b = |get: &dyn Fn(&ScreenRow) -> bool| -> ArrayRef { Arc::new(BooleanArray::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let ob =
        |get: &dyn Fn(&ScreenRow) -> Option<bool>| -> ArrayRef { Arc::new(BooleanArray::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let count = |get: &dyn Fn(&ScreenRow) -> usize| -> ArrayRef {
        Arc::new(Int64Array::from(rows.iter().map(|r| get(r) as i64).collect::<Vec<_>>()))
    };
    let text = |get: &dyn Fn(&ScreenRow) -> String| -> ArrayRef { Arc::new(StringArray::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let utf8_list = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    let num = |name: &str| Field::new(name, DataType::Float64, false);
    let flag = |name: &str| Field::new(name, DataType::Boolean, false);
    let fields = vec![
        Field::new("importer", DataType::Utf8, false),
        Field::new("members", utf8_list, false),
        Field::new("year", DataType::Int32, false),
        Field::new("hs6", DataType::Utf8, false),
        Field::new("product", DataType::Utf8, true),
        num("extra_imports_usd"),
        num("intra_imports_usd"),
        num("extra_exports_usd"),
        num("world_exports_usd"),
        Field::new("extra_supplier_count", DataType::Int64, false),
        Field::new("top_supplier", DataType::Utf8, false),
        num("top_supplier_share"),
        num("hhi_extra"),
        num("extra_share"),
        Field::new("import_export_ratio", DataType::Float64, true),
        flag("no_extra_exports"),
        num("world_export_hhi"),
        Field::new("world_exporter_count", DataType::Int64, false),
        flag("crit_hhi_extra"),
        flag("crit_extra_share"),
        flag("crit_import_export_ratio"),
        flag("crit_world_export_hhi"),
        flag("dependent"),
        flag("dependent_geodep"),
        Field::new("geodep_years_held", DataType::Int32, false),
        flag("dependent_geodep_persistent"),
        Field::new("dependent_previous_year", DataType::Boolean, true),
        Field::new("dependent_geodep_previous_year", DataType::Boolean, true),
        Field::new("thresholds", DataType::Utf8, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        text(&|r| r.importer.clone()),
        string_lists(rows, |r| r.members.clone()),
        Arc::new(Int32Array::from(rows.iter().map(|r| r.year).collect::<Vec<_>>())),
        text(&|r| r.hs6.clone()),
        Arc::new(StringArray::from(rows.iter().map(|r| r.product.clone()).collect::<Vec<_>>())),
        f(&|r| r.extra_imports_usd),
        f(&|r| r.intra_imports_usd),
        f(&|r| r.extra_exports_usd),
        f(&|r| r.world_exports_usd),
        count(&|r| r.extra_supplier_count),
        text(&|r| r.top_supplier.clone()),
        f(&|r| r.top_supplier_share),
        f(&|r| r.hhi_extra),
        f(&|r| r.extra_share),
        Arc::new(Float64Array::from(rows.iter().map(|r| r.import_export_ratio).collect::<Vec<_>>())),
        b(&|r| r.no_extra_exports),
        f(&|r| r.world_export_hhi),
        count(&|r| r.world_exporter_count),
        b(&|r| r.crit_hhi_extra),
        b(&|r| r.crit_extra_share),
        b(&|r| r.crit_import_export_ratio),
        b(&|r| r.crit_world_export_hhi),
        b(&|r| r.dependent),
        b(&|r| r.dependent_geodep),
        Arc::new(Int32Array::from(rows.iter().map(|r| r.geodep_years_held as i32).collect::<Vec<_>>())),
        b(&|r| r.dependent_geodep_persistent),
        ob(&|r| r.dependent_previous_year),
        ob(&|r| r.dependent_geodep_previous_year),
        text(&|r| r.thresholds.clone()),
    ];
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    match rows.first() {
        Some(r) => crate::columns::with_method_info(&batch, &r.info),
        None => Ok(batch),
    }
}

/// At most `n` characters, with `…` when cut.
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).collect::<String>() + "…" }
}

/// The flags of a row: `C` Commission, `G` GeoDep, `P` GeoDep persistent; `·` where not.
fn flags(r: &ScreenRow) -> String {
    [(r.dependent, 'C'), (r.dependent_geodep, 'G'), (r.dependent_geodep_persistent, 'P')]
        .iter()
        .map(|(on, c)| if *on { *c } else { '·' })
        .collect()
}

/// Write screen rows; `notes` go under the text formats (counts, thresholds, rules, sources).
pub fn write_screen(out: &mut dyn Write, rows: &[ScreenRow], notes: &[String], format: Format) -> Result<(), ReportError> {
    let table = |md: bool| {
        let mut t = Table::new();
        t.load_preset(if md { presets::ASCII_MARKDOWN } else { "  ── ══      ──    " });
        t.set_header(["importer", "year", "hs6", "product", "M extra", "HHI ext", "top", "ext. %", "M/X", "HHI wld", "dep."]);
        for r in rows {
            t.add_row([
                r.importer.clone(),
                r.year.to_string(),
                r.hs6.clone(),
                shorten(r.product.as_deref().unwrap_or(""), 22),
                crate::text::usd(r.extra_imports_usd),
                format!("{:.3}", r.hhi_extra),
                format!("{} {:.0}%", r.top_supplier, r.top_supplier_share * 100.0),
                format!("{:.0}%", r.extra_share * 100.0),
                r.import_export_ratio.map_or("∞".into(), |x| if x >= 1000.0 { format!("{x:.0}") } else { format!("{x:.2}") }),
                format!("{:.3}", r.world_export_hhi),
                flags(r),
            ]);
        }
        right_align(&mut t, 4..10);
        t
    };
    write_method_rows(
        out,
        rows,
        notes,
        format,
        Some(
            "M extra: extra-bloc imports, USD; HHI ext: their HHI by exporter; top: largest extra-bloc supplier and its share; ext. %: extra-bloc share of the unit's imports; M/X: extra-bloc imports / extra-bloc exports (∞: none exported); HHI wld: HHI of world exports; dep.: C dependent (Commission), G dependent (GeoDep), P GeoDep persistent",
        ),
        table,
        screen_batch,
    )
}
