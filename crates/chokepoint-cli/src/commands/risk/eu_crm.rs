//! `--method eu-crm`.

use std::path::PathBuf;

use datafusion::prelude::SessionContext;

use chokepoint_data::Manifest;
use chokepoint_metrics::eu_crm::{EuCrmRequest, eu_crm};
use chokepoint_model::eu_crm::EuCrmParams;
use chokepoint_report::side_by_side::{Headline, HeadlineValue};

use super::{Method, Section, Selection, usage};
use crate::UsageError;

pub async fn run(sc: &SessionContext, manifest: &Manifest, sel: &Selection, params: Option<&PathBuf>) -> anyhow::Result<Section> {
    let params = match params {
        Some(p) => EuCrmParams::load(p).map_err(|e| UsageError(e.to_string()))?,
        None => EuCrmParams::builtin(),
    };
    let req = EuCrmRequest {
        importers: sel.importers.clone(),
        groups: sel.groups.clone(),
        items: sel.items.clone(),
        years: sel.years.clone(),
        params,
        explain: sel.explain,
    };
    let result = eu_crm(sc, manifest, &req).await.map_err(usage)?;
    let mut notes = result.notices.clone();
    notes.insert(0, format!("{}; {}", result.info.method_version, chokepoint_metrics::eu_crm::compute::WGI_APPROXIMATION));
    notes.push(format!("sources: {}", result.info.sources));
    let headlines = result
        .rows
        .iter()
        .flat_map(|r| {
            let h = |column: &str, value: HeadlineValue| Headline {
                importer: r.importer.clone(),
                year: r.year,
                material: r.material.clone(),
                column: column.into(),
                value,
            };
            [h("eu_crm_sr", HeadlineValue::Number(r.supply_risk)), h("eu_crm_ir", HeadlineValue::Number(r.import_reliance))]
        })
        .collect();
    let explanations = result.explanations.clone();
    let rows = result.rows;
    let render_notes = notes.clone();
    Ok(Section {
        method: Method::EuCrm,
        info: result.info,
        title: "EU CRM supply risk".into(),
        render: Box::new(move |w, f| chokepoint_report::eu_crm::write_eu_crm(w, &rows, &render_notes, f)),
        notes,
        headlines,
        explanations,
    })
}
