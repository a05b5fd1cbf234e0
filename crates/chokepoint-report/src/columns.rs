//! Dependency rows as an Arrow record batch: the shape of the Parquet and CSV outputs.
//!
//! Columns, in order: `importer, members (list), year, material, hs6 (list), basis,
//! import_value_usd, import_quantity_t, value_share_without_quantity, supplier_count,
//! top_supplier, top_share, top3_share, hhi, watch_share_<ISO3>… (one per watched supplier),
//! import_risk_wgi, import_risk_unscored_share, wgi_year, production_hhi, top_producer,
//! top_producer_share, production_year, top_share_change_5y, hhi_change_5y,
//! top_share_change_10y, hhi_change_10y, top_supplier_5y_ago, top_share_5y_ago,
//! top_supplier_10y_ago, top_share_10y_ago, flags (list), hub_suppliers (list),
//! hub_supplier_shares (list), rivals (list), rival_shares (list)`.
//! Shares and HHI in 0–1, values in USD, quantities in tonnes.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float64Array, Float64Builder, Int32Array, Int64Array, ListBuilder, RecordBatch, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};

use chokepoint_metrics::dependency::{DependencyRow, PartnerShare};

fn strings(v: impl IntoIterator<Item = Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from(v.into_iter().collect::<Vec<_>>()))
}

fn floats(v: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from(v.into_iter().collect::<Vec<_>>()))
}

/// A list-of-strings column, one list per row.
pub(crate) fn string_lists<'a, T>(rows: &'a [T], get: impl Fn(&'a T) -> Vec<String>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for r in rows {
        for s in get(r) {
            b.values().append_value(s);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

fn float_lists<'a>(rows: &'a [DependencyRow], get: impl Fn(&'a DependencyRow) -> Vec<f64>) -> ArrayRef {
    let mut b = ListBuilder::new(Float64Builder::new());
    for r in rows {
        for s in get(r) {
            b.values().append_value(s);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

fn countries(p: &[PartnerShare]) -> Vec<String> {
    p.iter().map(|p| p.country.clone()).collect()
}

fn shares(p: &[PartnerShare]) -> Vec<f64> {
    p.iter().map(|p| p.share).collect()
}

/// The rows as one batch; `watch` gives the `watch_share_<ISO3>` columns (in that order).
pub fn dependency_batch(rows: &[DependencyRow], watch: &[String]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let list = |item: DataType| DataType::List(Arc::new(Field::new("item", item, true)));
    let mut fields = vec![
        Field::new("importer", DataType::Utf8, false),
        Field::new("members", list(DataType::Utf8), false),
        Field::new("year", DataType::Int32, false),
        Field::new("material", DataType::Utf8, true),
        Field::new("hs6", list(DataType::Utf8), false),
        Field::new("basis", DataType::Utf8, false),
        Field::new("import_value_usd", DataType::Float64, false),
        Field::new("import_quantity_t", DataType::Float64, true),
        Field::new("value_share_without_quantity", DataType::Float64, false),
        Field::new("supplier_count", DataType::Int64, false),
        Field::new("top_supplier", DataType::Utf8, false),
        Field::new("top_share", DataType::Float64, false),
        Field::new("top3_share", DataType::Float64, false),
        Field::new("hhi", DataType::Float64, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        strings(rows.iter().map(|r| Some(r.importer.clone()))),
        string_lists(rows, |r| r.members.clone()),
        Arc::new(Int32Array::from(rows.iter().map(|r| r.year).collect::<Vec<_>>())),
        strings(rows.iter().map(|r| r.material.clone())),
        string_lists(rows, |r| r.hs6.clone()),
        strings(rows.iter().map(|r| Some(r.basis.to_string()))),
        floats(rows.iter().map(|r| Some(r.import_value_usd))),
        floats(rows.iter().map(|r| r.import_quantity_t)),
        floats(rows.iter().map(|r| Some(r.value_share_without_quantity))),
        Arc::new(Int64Array::from(rows.iter().map(|r| r.supplier_count as i64).collect::<Vec<_>>())),
        strings(rows.iter().map(|r| Some(r.top_supplier.clone()))),
        floats(rows.iter().map(|r| Some(r.top_share))),
        floats(rows.iter().map(|r| Some(r.top3_share))),
        floats(rows.iter().map(|r| Some(r.hhi))),
    ];
    for w in watch {
        fields.push(Field::new(format!("watch_share_{w}"), DataType::Float64, true));
        columns.push(floats(rows.iter().map(|r| r.watch_shares.get(w).copied())));
    }
    let opt_f = |name: &str| Field::new(name, DataType::Float64, true);
    fields.extend([
        opt_f("import_risk_wgi"),
        opt_f("import_risk_unscored_share"),
        Field::new("wgi_year", DataType::Int32, true),
        opt_f("production_hhi"),
        Field::new("top_producer", DataType::Utf8, true),
        opt_f("top_producer_share"),
        Field::new("production_year", DataType::Int32, true),
        opt_f("top_share_change_5y"),
        opt_f("hhi_change_5y"),
        opt_f("top_share_change_10y"),
        opt_f("hhi_change_10y"),
        Field::new("top_supplier_5y_ago", DataType::Utf8, true),
        opt_f("top_share_5y_ago"),
        Field::new("top_supplier_10y_ago", DataType::Utf8, true),
        opt_f("top_share_10y_ago"),
        Field::new("flags", list(DataType::Utf8), false),
        Field::new("hub_suppliers", list(DataType::Utf8), false),
        Field::new("hub_supplier_shares", list(DataType::Float64), false),
        Field::new("rivals", list(DataType::Utf8), false),
        Field::new("rival_shares", list(DataType::Float64), false),
    ]);
    columns.extend([
        floats(rows.iter().map(|r| r.import_risk_wgi)),
        floats(rows.iter().map(|r| r.import_risk_unscored_share)),
        Arc::new(Int32Array::from(rows.iter().map(|r| r.wgi_year).collect::<Vec<_>>())) as ArrayRef,
        floats(rows.iter().map(|r| r.production_hhi)),
        strings(rows.iter().map(|r| r.top_producer.clone())),
        floats(rows.iter().map(|r| r.top_producer_share)),
        Arc::new(Int32Array::from(rows.iter().map(|r| r.production_year).collect::<Vec<_>>())),
        floats(rows.iter().map(|r| r.top_share_change_5y)),
        floats(rows.iter().map(|r| r.hhi_change_5y)),
        floats(rows.iter().map(|r| r.top_share_change_10y)),
        floats(rows.iter().map(|r| r.hhi_change_10y)),
        strings(rows.iter().map(|r| r.top_supplier_5y_ago.clone())),
        floats(rows.iter().map(|r| r.top_share_5y_ago)),
        strings(rows.iter().map(|r| r.top_supplier_10y_ago.clone())),
        floats(rows.iter().map(|r| r.top_share_10y_ago)),
        string_lists(rows, |r| r.flags.clone()),
        string_lists(rows, |r| countries(&r.hub_suppliers)),
        float_lists(rows, |r| shares(&r.hub_suppliers)),
        string_lists(rows, |r| countries(&r.rivals)),
        float_lists(rows, |r| shares(&r.rivals)),
    ]);
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// CSV has no lists: each list column becomes its items joined with `;`.
pub fn lists_joined(batch: &RecordBatch) -> Result<RecordBatch, arrow::error::ArrowError> {
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        if let Some(list) = c.as_any().downcast_ref::<arrow::array::ListArray>() {
            let text: Vec<Option<String>> = (0..list.len())
                .map(|i| {
                    let v = list.value(i);
                    let items: Vec<String> =
                        (0..v.len()).map(|j| arrow::util::display::array_value_to_string(&v, j)).collect::<Result<_, _>>()?;
                    Ok(Some(items.join(";")))
                })
                .collect::<Result<_, arrow::error::ArrowError>>()?;
            fields.push(Field::new(f.name(), DataType::Utf8, false));
            columns.push(strings(text));
        } else {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// Append the provenance columns every risk row carries (`method`, `method_version`,
/// `params_version`, `sources`; the same value on every row).
pub fn with_method_info(
    batch: &RecordBatch,
    info: &chokepoint_metrics::method::MethodInfo,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let n = batch.num_rows();
    let mut fields: Vec<Field> = batch.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for (name, value) in [
        ("method", &info.method),
        ("method_version", &info.method_version),
        ("params_version", &info.params_version),
        ("sources", &info.sources),
    ] {
        fields.push(Field::new(name, DataType::Utf8, false));
        columns.push(Arc::new(arrow::array::StringArray::from(vec![value.as_str(); n])));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}
