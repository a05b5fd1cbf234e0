//! `--method dera`.

use std::path::Path;

use datafusion::prelude::SessionContext;

use chokepoint_data::Manifest;
use chokepoint_metrics::dera::{DeraBasis, DeraRequest, dera};
use chokepoint_model::risk_params::DeraParams;
use chokepoint_report::side_by_side::{Headline, HeadlineValue};

use super::{DeraBasisArg, Method, Section, Selection, usage};
use crate::UsageError;

pub async fn run(
    sc: &SessionContext,
    manifest: &Manifest,
    sel: &Selection,
    basis: DeraBasisArg,
    params: Option<&Path>,
) -> anyhow::Result<Section> {
    let params = match params {
        Some(p) => DeraParams::load(p).map_err(|e| UsageError(e.to_string()))?,
        None => DeraParams::builtin(),
    };
    let req = DeraRequest {
        importers: sel.importers.clone(),
        groups: sel.groups.clone(),
        items: sel.items.clone(),
        years: sel.years.clone(),
        params,
        import_basis: match basis {
            DeraBasisArg::Quantity => DeraBasis::Quantity,
            DeraBasisArg::Value => DeraBasis::Value,
        },
        explain: sel.explain,
    };
    let result = dera(sc, manifest, &req).await.map_err(usage)?;
    let mut notes = result.notices.clone();
    notes.insert(
        0,
        format!(
            "{}: HHI = Σ (100 s_i)² (0–10,000) and WCR = Σ s_i WGI_i over scored countries (WGI-PV estimate, −2.5…+2.5, lower = riskier), of world production (prod) and of the unit's imports from outside it (imp, {}); group high when both axes are high (HHI > {}, WCR < {}), moderate when one is or both are moderate; params {}",
            result.info.method_version,
            match req.import_basis {
                DeraBasis::Quantity => "tonnes",
                DeraBasis::Value => "USD",
            },
            req.params.hhi.high_above,
            req.params.country_risk.high_below,
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
        let text = |l: Option<chokepoint_metrics::dera::Level>| HeadlineValue::Text(l.map_or("–".into(), |l| l.as_str().to_owned()));
        headlines.push(h("dera_production_hhi", HeadlineValue::Number(r.production_hhi)));
        headlines.push(h("dera_production_group", text(r.production_group)));
        if let Some(x) = r.import_hhi {
            headlines.push(h("dera_import_hhi", HeadlineValue::Number(x)));
        }
        headlines.push(h("dera_import_group", text(r.import_group)));
    }
    let explanations = result.explanations.clone();
    let rows = result.rows;
    let render_notes = notes.clone();
    Ok(Section {
        method: Method::Dera,
        info: result.info,
        title: "DERA risk screen".into(),
        render: Box::new(move |w, f| chokepoint_report::dera_crma::write_dera(w, &rows, &render_notes, f)),
        notes,
        headlines,
        explanations,
    })
}
