//! `--method screen`: the Commission's strategic-dependency screen and the GeoDep variant,
//! per importing unit × HS6 product × year.

use clap::Args;
use datafusion::prelude::SessionContext;

use chokepoint_data::Store;
use chokepoint_metrics::dependency::ItemSelection;
use chokepoint_metrics::kernels::Engine;
use chokepoint_metrics::screen::{Persistence, ProductScope, ScreenRequest, Thresholds, screen};
use chokepoint_report::side_by_side::{Headline, HeadlineValue};

use super::{Method, Section, Selection, usage};
use crate::UsageError;

/// The screen's own options (heading "Screen" in `--help`).
#[derive(Args, Debug, Clone)]
pub struct ScreenArgs {
    /// Screen only these HS6 products, comma-separated (default: every HS6 product traded in the store; with -m: the codes of those materials).
    #[arg(long, value_delimiter = ',', value_name = "HS6", conflicts_with = "material", help_heading = "Screen")]
    pub hs: Vec<String>,
    /// Criterion 1: HHI of the unit's extra-bloc imports by exporter above this (0–1; SWD(2021) 352: 0.4).
    #[arg(long, default_value_t = 0.4, value_name = "HHI", value_parser = fraction, help_heading = "Screen")]
    pub screen_hhi: f64,
    /// Criterion 2 (Commission): extra-bloc imports / all imports of the unit above this (0–1; 0.5).
    #[arg(long, default_value_t = 0.5, value_name = "SHARE", value_parser = fraction, help_heading = "Screen")]
    pub screen_extra_share: f64,
    /// Criterion 3: extra-bloc imports / extra-bloc exports above this (≥ 0; 1).
    #[arg(long, default_value_t = 1.0, value_name = "RATIO", value_parser = ratio, help_heading = "Screen")]
    pub screen_ratio: f64,
    /// Criterion 2 (GeoDep): HHI of world exports by exporter above this (0–1; 0.4).
    #[arg(long, default_value_t = 0.4, value_name = "HHI", value_parser = fraction, help_heading = "Screen")]
    pub screen_world_hhi: f64,
    /// GeoDep persistence: the criteria hold in K of the N years ending with the year screened.
    #[arg(long, default_value = "2/3", value_name = "K/N", value_parser = persistence, help_heading = "Screen")]
    pub persistence: Persistence,
    /// Who computes the screen's sums: `kernel`, one streaming pass per year over the sorted store (default), or `sql`, the plain DataFusion queries (the cross-check; same rows).
    #[arg(long, value_enum, default_value_t = EngineArg::Kernel, help_heading = "Screen")]
    pub engine: EngineArg,
}

/// `--engine` of the all-products computations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// One streaming pass per year over the store sorted by importer, HS6, exporter.
    Kernel,
    /// A plain DataFusion SQL query over the store (the cross-check).
    Sql,
}

impl From<EngineArg> for Engine {
    fn from(e: EngineArg) -> Engine {
        match e {
            EngineArg::Kernel => Engine::Kernel,
            EngineArg::Sql => Engine::Sql,
        }
    }
}

impl ScreenArgs {
    fn thresholds(&self) -> Thresholds {
        Thresholds {
            hhi_extra: self.screen_hhi,
            extra_share: self.screen_extra_share,
            import_export_ratio: self.screen_ratio,
            world_export_hhi: self.screen_world_hhi,
        }
    }

    /// The screen's options given without `--method screen` are a usage error, not ignored.
    pub fn check_used(&self, methods: &[Method]) -> Result<(), UsageError> {
        let given = !self.hs.is_empty()
            || self.thresholds() != Thresholds::default()
            || self.persistence != Persistence::default()
            || self.engine != EngineArg::Kernel;
        if given && !methods.contains(&Method::Screen) {
            return Err(UsageError("--hs, --screen-*, --persistence and --engine apply to --method screen only".into()));
        }
        Ok(())
    }
}

fn fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("{v} is outside 0–1 (HHI and shares are fractions here: 0.4, not 4000 or 40)"));
    }
    Ok(v)
}

fn ratio(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("{s} is not a ratio ≥ 0"));
    }
    Ok(v)
}

fn persistence(s: &str) -> Result<Persistence, String> {
    s.parse()
}

pub async fn run(sc: &SessionContext, store: &Store, sel: &Selection, args: &ScreenArgs) -> anyhow::Result<Section> {
    let scope = if !args.hs.is_empty() {
        ProductScope::Hs6(args.hs.clone())
    } else {
        match &sel.items {
            ItemSelection::Materials(names) => ProductScope::Materials(names.clone()),
            ItemSelection::Hs6(codes) => ProductScope::Hs6(codes.clone()),
            ItemSelection::AllMaterials => ProductScope::AllProducts,
        }
    };
    let req = ScreenRequest {
        importers: sel.importers.clone(),
        groups: sel.groups.clone(),
        scope,
        years: sel.years.clone(),
        thresholds: args.thresholds(),
        persistence: args.persistence,
        explain: sel.explain,
        engine: args.engine.into(),
    };
    let result = screen(sc, store, &req).await.map_err(usage)?;
    let mut notes = result.notices.clone();
    notes.insert(
        0,
        format!(
            "{}: per importing unit × HS6 product × year on import values (USD); dependent = HHI of extra-bloc imports, extra-bloc share of imports and extra-bloc imports / exports all above their thresholds; GeoDep replaces the share by the HHI of world exports",
            result.info.method_version
        ),
    );
    notes.push(format!("sources: {}", result.info.sources));
    // Side by side (only with -m): per importer × material × year, how many of the
    // material's HS6 codes the Commission's screen flags, as text `k of n` (n = the
    // material's codes): a count, not a score, and meaningless without n.
    let mut headlines = Vec::new();
    for s in &result.summaries {
        for (material, codes) in &result.materials {
            let flagged = result
                .rows
                .iter()
                .filter(|r| r.importer == s.importer && r.year == s.year && r.dependent && codes.contains(&r.hs6))
                .count();
            headlines.push(Headline {
                importer: s.importer.clone(),
                year: s.year,
                material: material.clone(),
                column: "screen_dependent_hs6".into(),
                value: HeadlineValue::Text(format!("{flagged} of {}", codes.len())),
            });
        }
    }
    let explanations = result.explanations.clone();
    let rows = result.rows;
    let render_notes = notes.clone();
    Ok(Section {
        method: Method::Screen,
        info: result.info,
        title: "Strategic-dependency screen".into(),
        render: Box::new(move |w, f| chokepoint_report::screen::write_screen(w, &rows, &render_notes, f)),
        notes,
        headlines,
        explanations,
    })
}
