//! `--method crma`.

use std::path::Path;

use datafusion::prelude::SessionContext;

use chokepoint_data::Manifest;
use chokepoint_metrics::crma::{CrmaRequest, crma};
use chokepoint_model::risk_params::CrmaParams;
use chokepoint_report::side_by_side::{Headline, HeadlineValue};

use super::{Method, Section, Selection, usage};
use crate::UsageError;

pub async fn run(
    sc: &SessionContext,
    manifest: &Manifest,
    sel: &Selection,
    benchmark: Option<f64>,
    all_materials: bool,
    params: Option<&Path>,
) -> anyhow::Result<Section> {
    let params = match params {
        Some(p) => CrmaParams::load(p).map_err(|e| UsageError(e.to_string()))?,
        None => CrmaParams::builtin(),
    };
    if let Some(b) = benchmark
        && !(b > 0.0 && b < 1.0)
    {
        return Err(UsageError(format!("--crma-benchmark {b}: expected a share strictly between 0 and 1 (0.65 = 65 %)")).into());
    }
    let req = CrmaRequest {
        importers: sel.importers.clone(),
        groups: sel.groups.clone(),
        items: sel.items.clone(),
        years: sel.years.clone(),
        benchmark: benchmark.unwrap_or(params.benchmark),
        params,
        all_materials,
        explain: sel.explain,
    };
    let result = crma(sc, manifest, &req).await.map_err(usage)?;
    let mut notes = result.notices.clone();
    notes.insert(
        0,
        format!(
            "{}: supply = the unit's own production + imports from third countries (tonnes); share = imports from a third country / supply; over when the largest share > {:.0} %; params {}",
            result.info.method_version,
            req.benchmark * 100.0,
            result.info.params_version
        ),
    );
    notes.push(format!("sources: {}", result.info.sources));
    let mut headlines = Vec::new();
    for r in &result.rows {
        let h = |column: &str, value: HeadlineValue| Headline {
            importer: r.importer.clone(),
            year: r.year,
            material: r.material.clone(),
            column: column.into(),
            value,
        };
        headlines.push(h("crma_top_third", HeadlineValue::Text(r.top_third_country.clone().unwrap_or_else(|| "–".into()))));
        headlines.push(h("crma_top_third_share", HeadlineValue::Number(r.top_third_share)));
        headlines.push(h("crma_over_benchmark", HeadlineValue::Text(if r.over_benchmark { "yes" } else { "no" }.into())));
    }
    let explanations = result.explanations.clone();
    let rows = result.rows;
    let render_notes = notes.clone();
    Ok(Section {
        method: Method::Crma,
        info: result.info,
        title: if (req.benchmark - 0.65).abs() < 1e-12 {
            "CRMA benchmark (Art. 5(1)(d))".into()
        } else {
            format!("Largest third-country share against {:.0} % (not the CRMA's 65 %)", req.benchmark * 100.0)
        },
        render: Box::new(move |w, f| chokepoint_report::dera_crma::write_crma(w, &rows, &render_notes, f)),
        notes,
        headlines,
        explanations,
    })
}
