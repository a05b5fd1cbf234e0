//! `--method geopolrisk`.

use datafusion::prelude::SessionContext;

use chokepoint_data::Manifest;
use chokepoint_metrics::geopolrisk::{Convention, GeoPolRiskRequest, geopolrisk};
use chokepoint_report::side_by_side::{Headline, HeadlineValue};

use super::{ConventionArg, Method, Section, Selection, usage};

pub async fn run(sc: &SessionContext, manifest: &Manifest, sel: &Selection, convention: ConventionArg) -> anyhow::Result<Section> {
    let req = GeoPolRiskRequest {
        importers: sel.importers.clone(),
        groups: sel.groups.clone(),
        items: sel.items.clone(),
        years: sel.years.clone(),
        conventions: match convention {
            ConventionArg::Chokepoint => vec![Convention::Chokepoint],
            ConventionArg::Reference => vec![Convention::Reference],
            ConventionArg::Both => vec![Convention::Chokepoint, Convention::Reference],
        },
        explain: sel.explain,
    };
    let result = geopolrisk(sc, manifest, &req).await.map_err(usage)?;
    let mut notes = result.notices.clone();
    notes.insert(0, format!("{}: score = production HHI × Σ g_i f_i / (p + F); f in tonnes, g = normalised WGI-PV of the year (0.5 when missing), p = own production; CF = score × price (USD/kg) / 0.409412948 (copper)", result.info.method_version));
    notes.push(format!("sources: {}", result.info.sources));
    let headlines = result
        .rows
        .iter()
        .filter(|r| r.convention == req.conventions[0])
        .flat_map(|r| {
            let h = |column: &str, v: f64| Headline {
                importer: r.importer.clone(),
                year: r.year,
                material: r.material.clone(),
                column: column.into(),
                value: HeadlineValue::Number(v),
            };
            [h("geopolrisk_score", r.score), h("geopolrisk_cf", r.cf_kg_cu_eq_per_kg)]
        })
        .collect();
    let explanations = result.explanations.clone();
    let rows = result.rows;
    let render_notes = notes.clone();
    Ok(Section {
        method: Method::Geopolrisk,
        info: result.info,
        title: "GeoPolRisk".into(),
        render: Box::new(move |w, f| chokepoint_report::risk::write_geopolrisk(w, &rows, &render_notes, f)),
        notes,
        headlines,
        explanations,
    })
}
