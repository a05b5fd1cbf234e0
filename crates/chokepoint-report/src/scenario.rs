//! Renderings of a disruption scenario (`chokepoint scenario run`): the two-sentence summary,
//! the per-importer table (loss, substitution, residual, stock days), the suppliers who
//! withhold and fill, the notes — as terminal table or Markdown; JSON (the whole result);
//! CSV and Parquet (the importer rows, one Arrow batch, lists joined with `;` in CSV). They
//! format rows computed by `chokepoint-scenario`; they never compute.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use comfy_table::{CellAlignment, Table, presets};

use chokepoint_scenario::{Allocation, ImporterRow, MonteCarloRow, ScenarioResult, SupplierRow};

use crate::columns::string_lists;
use crate::text::{pct, tonnes, usd};
use crate::{Format, ReportError};

/// The importer rows of one or more scenarios as one Arrow batch.
pub fn scenario_batch(rows: &[ImporterRow]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let f = |get: &dyn Fn(&ImporterRow) -> f64| -> ArrayRef { Arc::new(Float64Array::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let o =
        |get: &dyn Fn(&ImporterRow) -> Option<f64>| -> ArrayRef { Arc::new(Float64Array::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let s = |get: &dyn Fn(&ImporterRow) -> String| -> ArrayRef { Arc::new(StringArray::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let utf8_list = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    let num = |n: &str| Field::new(n, DataType::Float64, false);
    let opt = |n: &str| Field::new(n, DataType::Float64, true);
    let fields = vec![
        Field::new("scenario", DataType::Utf8, false),
        Field::new("importer", DataType::Utf8, false),
        Field::new("members", utf8_list.clone(), false),
        Field::new("material", DataType::Utf8, false),
        Field::new("hs6", utf8_list.clone(), false),
        Field::new("baseline_year", DataType::Int32, false),
        num("duration_months"),
        num("fraction"),
        num("imports_t"),
        num("imports_usd"),
        num("production_t"),
        num("exports_t"),
        num("apparent_supply_t"),
        num("loss_t"),
        num("loss_usd"),
        num("loss_value_share_without_quantity"),
        opt("loss_share"),
        num("received_t"),
        num("received_preferred_t"),
        Field::new("allocation", DataType::Utf8, false),
        num("residual_t"),
        opt("residual_share"),
        num("displaced_t"),
        num("net_shortfall_t"),
        Field::new("filled_by", utf8_list, false),
        num("coverage"),
        num("world_loss_t"),
        opt("stock_days_needed"),
        num("stock_target_days"),
        opt("stock_target_cover_share"),
        opt("unit_value_usd_per_t"),
        opt("residual_value_usd"),
    ];
    let columns: Vec<ArrayRef> = vec![
        s(&|r| r.scenario.clone()),
        s(&|r| r.importer.clone()),
        string_lists(rows, |r| r.members.clone()),
        s(&|r| r.material.clone()),
        string_lists(rows, |r| r.hs6.clone()),
        Arc::new(Int32Array::from(rows.iter().map(|r| r.baseline_year).collect::<Vec<_>>())),
        f(&|r| r.duration_months),
        f(&|r| r.fraction),
        f(&|r| r.imports_t),
        f(&|r| r.imports_usd),
        f(&|r| r.production_t),
        f(&|r| r.exports_t),
        f(&|r| r.apparent_supply_t),
        f(&|r| r.loss_t),
        f(&|r| r.loss_usd),
        f(&|r| r.loss_value_share_without_quantity),
        o(&|r| r.loss_share),
        f(&|r| r.received_t),
        f(&|r| r.received_preferred_t),
        s(&|r| r.allocation.clone()),
        f(&|r| r.residual_t),
        o(&|r| r.residual_share),
        f(&|r| r.displaced_t),
        f(&|r| r.net_shortfall_t),
        string_lists(rows, |r| r.filled_by.iter().map(|(c, t)| format!("{c}:{t}")).collect()),
        f(&|r| r.coverage),
        f(&|r| r.world_loss_t),
        o(&|r| r.stock_days_needed),
        f(&|r| r.stock_target_days),
        o(&|r| r.stock_target_cover_share),
        o(&|r| r.unit_value_usd_per_t),
        o(&|r| r.residual_value_usd),
    ];
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    match rows.first() {
        Some(r) => crate::columns::with_method_info(&batch, &r.info),
        None => Ok(batch),
    }
}

/// The supplier rows (every unit's run) as one Arrow batch.
pub fn supplier_batch(rows: &[SupplierRow]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let f = |get: &dyn Fn(&SupplierRow) -> f64| -> ArrayRef { Arc::new(Float64Array::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let s = |get: &dyn Fn(&SupplierRow) -> String| -> ArrayRef { Arc::new(StringArray::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let text = |n: &str| Field::new(n, DataType::Utf8, false);
    let num = |n: &str| Field::new(n, DataType::Float64, false);
    let fields = vec![
        text("scenario"),
        text("importer"),
        text("material"),
        text("supplier"),
        num("exports_t"),
        num("withheld_t"),
        num("withheld_usd"),
        num("offered_t"),
        num("supplied_t"),
        num("redirected_t"),
        num("spare_production_t"),
    ];
    let columns: Vec<ArrayRef> = vec![
        s(&|r| r.scenario.clone()),
        s(&|r| r.importer.clone()),
        s(&|r| r.material.clone()),
        s(&|r| r.supplier.clone()),
        f(&|r| r.exports_t),
        f(&|r| r.withheld_t),
        f(&|r| r.withheld_usd),
        f(&|r| r.offered_t),
        f(&|r| r.supplied_t),
        f(&|r| r.redirected_t),
        f(&|r| r.spare_production_t),
    ];
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// The Monte Carlo rows as one Arrow batch.
pub fn monte_carlo_batch(rows: &[MonteCarloRow]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let f = |get: &dyn Fn(&MonteCarloRow) -> f64| -> ArrayRef { Arc::new(Float64Array::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let s = |get: &dyn Fn(&MonteCarloRow) -> String| -> ArrayRef { Arc::new(StringArray::from(rows.iter().map(get).collect::<Vec<_>>())) };
    let text = |n: &str| Field::new(n, DataType::Utf8, false);
    let num = |n: &str| Field::new(n, DataType::Float64, false);
    let fields = vec![
        text("scenario"),
        text("importer"),
        text("material"),
        Field::new("draws", DataType::UInt64, false),
        Field::new("seed", DataType::UInt64, false),
        num("mean_loss_t"),
        num("p50_loss_t"),
        num("p95_loss_t"),
        num("mean_residual_t"),
        num("p50_residual_t"),
        num("p95_residual_t"),
        num("loss_share_threshold"),
        Field::new("prob_loss_share_above", DataType::Float64, true),
    ];
    let columns: Vec<ArrayRef> = vec![
        s(&|r| r.scenario.clone()),
        s(&|r| r.importer.clone()),
        s(&|r| r.material.clone()),
        Arc::new(arrow::array::UInt64Array::from(rows.iter().map(|r| r.draws).collect::<Vec<_>>())),
        Arc::new(arrow::array::UInt64Array::from(rows.iter().map(|r| r.seed).collect::<Vec<_>>())),
        f(&|r| r.mean_loss_t),
        f(&|r| r.p50_loss_t),
        f(&|r| r.p95_loss_t),
        f(&|r| r.mean_residual_t),
        f(&|r| r.p50_residual_t),
        f(&|r| r.p95_residual_t),
        f(&|r| r.loss_share_threshold),
        Arc::new(Float64Array::from(rows.iter().map(|r| r.prob_loss_share_above).collect::<Vec<_>>())),
    ];
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    match rows.first() {
        Some(r) => crate::columns::with_method_info(&batch, &r.info),
        None => Ok(batch),
    }
}

/// Which rows the CSV and Parquet outputs hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioTable {
    /// One row per importing unit × material (default).
    Importers,
    /// One row per unit run × material × supplier that withholds or supplies.
    Suppliers,
    /// One row per importing unit × material of the probabilistic mode.
    MonteCarlo,
}

fn batch_of(results: &[ScenarioResult], table: ScenarioTable) -> Result<RecordBatch, ReportError> {
    Ok(match table {
        ScenarioTable::Importers => scenario_batch(&results.iter().flat_map(|r| r.rows.iter().cloned()).collect::<Vec<_>>())?,
        ScenarioTable::Suppliers => supplier_batch(&results.iter().flat_map(|r| r.suppliers.iter().cloned()).collect::<Vec<_>>())?,
        ScenarioTable::MonteCarlo => {
            if results.iter().any(|r| r.monte_carlo.is_none()) {
                return Err(ReportError::Unsupported("the Monte Carlo table needs the probabilistic mode (--draws N)".into()));
            }
            monte_carlo_batch(&results.iter().flat_map(|r| r.monte_carlo.iter().flat_map(|m| m.rows.iter().cloned())).collect::<Vec<_>>())?
        }
    })
}

fn opt_pct(x: Option<f64>) -> String {
    x.map(pct).unwrap_or_else(|| "–".into())
}

fn table(md: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(if md { presets::ASCII_MARKDOWN } else { "  ── ══      ──    " });
    t
}

fn right(t: &mut Table, from: usize, to: usize) {
    for i in from..to {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// Text (table or Markdown) of one scenario.
fn write_text(out: &mut dyn Write, r: &ScenarioResult, md: bool, max_suppliers: usize) -> Result<(), ReportError> {
    let bullet = if md { "- " } else { "  " };
    if md {
        writeln!(out, "## {}\n", r.title)?;
    } else {
        writeln!(out, "{}", r.title)?;
    }
    writeln!(
        out,
        "{}{} scenario; baseline {}; allocation {}; source: {}",
        if md { "" } else { "  " },
        r.kind,
        r.baseline_year,
        r.allocation.name(),
        r.source
    )?;
    writeln!(out)?;
    for s in &r.summary {
        writeln!(out, "{}{s}", if md { "> " } else { "  " })?;
    }
    writeln!(out)?;
    let optimised = r.allocation == Allocation::Optimise;
    let mut t = table(md);
    let mut header = vec!["importer", "material", "apparent supply t/yr", "loss t", "loss USD", "loss share", "received t"];
    if optimised {
        header.push("of which preferred t");
    }
    header.extend(["residual t", "residual share", "displaced t", "stock days", "60-day stock covers", "residual USD", "filled by"]);
    t.set_header(header);
    for x in &r.rows {
        let mut row = vec![
            x.importer.clone(),
            x.material.clone(),
            if x.apparent_supply_t > 0.0 { tonnes(x.apparent_supply_t) } else { format!("net exporter ({})", tonnes(x.apparent_supply_t)) },
            tonnes(x.loss_t),
            usd(x.loss_usd),
            opt_pct(x.loss_share),
            tonnes(x.received_t),
        ];
        if optimised {
            row.push(tonnes(x.received_preferred_t));
        }
        row.extend([
            tonnes(x.residual_t),
            opt_pct(x.residual_share),
            tonnes(x.displaced_t),
            x.stock_days_needed.map(|d| format!("{d:.0}")).unwrap_or_else(|| "–".into()),
            opt_pct(x.stock_target_cover_share),
            x.residual_value_usd.map(usd).unwrap_or_else(|| "–".into()),
            x.filled_by.iter().take(3).map(|(c, v)| format!("{c} {}", tonnes(*v))).collect::<Vec<_>>().join(", "),
        ]);
        t.add_row(row);
    }
    right(&mut t, 2, if optimised { 14 } else { 13 });
    writeln!(out, "{t}")?;
    if !r.suppliers.is_empty() {
        writeln!(out)?;
        // Every importing unit has a run of its own (its members as one party, and under the
        // optimised allocation its own partners): one block of rows per unit and material.
        let head = format!(
            "Suppliers in each importer's run, largest withheld then largest supplied (at most {max_suppliers} per run and material; JSON lists all):"
        );
        writeln!(out, "{}", if md { format!("{head}\n") } else { format!("  {head}") })?;
        let mut t = table(md);
        t.set_header([
            "run",
            "material",
            "supplier",
            "exports t",
            "withheld t",
            "withheld USD",
            "offered t",
            "supplied t",
            "redirected t",
            "spare prod. t",
        ]);
        let mut shown = 0;
        let mut last: Option<(&str, &str)> = None;
        for s in &r.suppliers {
            let key = (s.importer.as_str(), s.material.as_str());
            if last != Some(key) {
                last = Some(key);
                shown = 0;
            }
            if shown >= max_suppliers {
                continue;
            }
            shown += 1;
            t.add_row([
                s.importer.clone(),
                s.material.clone(),
                s.supplier.clone(),
                tonnes(s.exports_t),
                tonnes(s.withheld_t),
                usd(s.withheld_usd),
                tonnes(s.offered_t),
                tonnes(s.supplied_t),
                tonnes(s.redirected_t),
                tonnes(s.spare_production_t),
            ]);
        }
        right(&mut t, 3, 10);
        writeln!(out, "{t}")?;
    }
    if let Some(mc) = &r.monte_carlo {
        writeln!(out)?;
        let head = format!(
            "Probabilistic mode: {} draws (years), seed {}, {} distinct set(s) of disrupting suppliers; annual probabilities: {}",
            mc.draws,
            mc.seed,
            mc.distinct_sets,
            mc.suppliers
                .iter()
                .map(|s| match s.g {
                    Some(g) => format!(
                        "{} {} (WGI-PV g {:.2}, {})",
                        s.supplier,
                        pct(s.annual_probability),
                        g,
                        s.wgi_year.map_or("-".into(), |y| y.to_string())
                    ),
                    None => format!("{} {} ({})", s.supplier, pct(s.annual_probability), s.basis),
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        writeln!(out, "{}", if md { format!("{head}\n") } else { format!("  {head}") })?;
        let mut t = table(md);
        let threshold = mc.rows.first().map_or(0.0, |x| x.loss_share_threshold);
        t.set_header([
            "importer".to_owned(),
            "material".to_owned(),
            "mean loss t".to_owned(),
            "P50 loss t".to_owned(),
            "P95 loss t".to_owned(),
            "mean residual t".to_owned(),
            "P50 residual t".to_owned(),
            "P95 residual t".to_owned(),
            format!("P(loss > {} of supply)", pct(threshold)),
        ]);
        for x in &mc.rows {
            t.add_row([
                x.importer.clone(),
                x.material.clone(),
                tonnes(x.mean_loss_t),
                tonnes(x.p50_loss_t),
                tonnes(x.p95_loss_t),
                tonnes(x.mean_residual_t),
                tonnes(x.p50_residual_t),
                tonnes(x.p95_residual_t),
                opt_pct(x.prob_loss_share_above),
            ]);
        }
        right(&mut t, 2, 9);
        writeln!(out, "{t}")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{bullet}Tonnes and USD over the disruption ({} months); apparent supply = imports + production − exports per year; shares of apparent supply over the same months.",
        r.rows.first().map_or(0.0, |x| x.duration_months)
    )?;
    writeln!(
        out,
        "{bullet}Stock days = residual shortfall ÷ (apparent supply / 365), compared with JOGMEC's 60-day target (42 public + 18 private)."
    )?;
    for n in &r.notices {
        writeln!(out, "{bullet}{n}")?;
    }
    writeln!(out, "{bullet}{}; parameters {}; sources: {}", r.info.method_version, r.info.params_version, r.info.sources)?;
    Ok(())
}

/// Write scenario results in `format` (`max_suppliers`: supplier rows shown per importer
/// run and material in the text formats; `table`: the rows of CSV and Parquet).
pub fn write_scenarios(
    out: &mut dyn Write,
    results: &[ScenarioResult],
    format: Format,
    max_suppliers: usize,
    table: ScenarioTable,
) -> Result<(), ReportError> {
    match format {
        Format::Table | Format::Md => {
            for (i, r) in results.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                write_text(out, r, format == Format::Md, max_suppliers)?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, results)?;
            writeln!(out)?;
        }
        Format::Csv => crate::write_csv(out, &batch_of(results, table)?)?,
        Format::Parquet => crate::write_parquet(out, &batch_of(results, table)?, None)?,
    }
    Ok(())
}
