//! Renderings of `--explain`: one block per explained row (terminal text or Markdown), or a
//! JSON array of [`Explanation`]s.

use std::io::Write;

use comfy_table::{Table, presets};

use chokepoint_metrics::explain::{Cell, Explanation};

use crate::{Format, ReportError};

fn cell(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Number(v) => number(*v),
        Cell::Null => "–".into(),
    }
}

/// Up to 10 significant digits, no exponent for ordinary magnitudes.
pub fn number(v: f64) -> String {
    if v == 0.0 || (v.abs() >= 1e-4 && v.abs() < 1e12) {
        let digits = if v == 0.0 { 0 } else { (9 - v.abs().log10().floor() as i32).clamp(0, 12) as usize };
        let s = format!("{v:.digits$}");
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
    } else {
        format!("{v:.9e}")
    }
}

/// Write explanations in `format` (table, Markdown or JSON; CSV and Parquet are refused).
pub fn write_explanations(out: &mut dyn Write, explanations: &[Explanation], format: Format) -> Result<(), ReportError> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, explanations)?;
            writeln!(out)?;
            return Ok(());
        }
        Format::Csv | Format::Parquet => {
            return Err(ReportError::Unsupported("--explain prints text, Markdown or JSON (--format table|md|json)".into()));
        }
        Format::Table | Format::Md => {}
    }
    let md = format == Format::Md;
    let preset = if md { presets::ASCII_MARKDOWN } else { "  ── ══      ──    " };
    for (i, e) in explanations.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        if md {
            writeln!(out, "### {}\n", e.title)?;
            writeln!(out, "`{}`\n", e.equation)?;
        } else {
            writeln!(out, "━━ {} ━━", e.title)?;
            writeln!(out, "  {}\n", e.equation)?;
        }
        let mut t = Table::new();
        t.load_preset(preset);
        t.set_header(["term", "value", "meaning", "source"]);
        for term in &e.terms {
            t.add_row([term.symbol.clone(), term.value.map_or("–".into(), number), term.meaning.clone(), term.source.clone()]);
        }
        writeln!(out, "{t}")?;
        for table in &e.tables {
            writeln!(out, "\n{}{}", if md { "**" } else { "  " }, table.title.clone() + if md { "**\n" } else { "" })?;
            let mut t = Table::new();
            t.load_preset(preset);
            t.set_header(table.columns.clone());
            for r in &table.rows {
                t.add_row(r.iter().map(cell).collect::<Vec<_>>());
            }
            writeln!(out, "{t}")?;
        }
        let bullet = if md { "- " } else { "  " };
        writeln!(out)?;
        for n in &e.notes {
            writeln!(out, "{bullet}{n}")?;
        }
        writeln!(out, "{bullet}method: {} · params: {} · sources: {}", e.info.method_version, e.info.params_version, e.info.sources)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(1234.5), "1234.5");
        assert_eq!(number(1.0 / 3.0), "0.3333333333");
        assert_eq!(number(2e-7), "2.000000000e-7");
    }
}
