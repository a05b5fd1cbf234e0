//! The options of `--method screen` (the Commission's strategic-dependency screen and the
//! GeoDep variant, per importing unit × HS6 product × year).

use clap::Args;

use chokepoint_metrics::kernels::Engine;
use chokepoint_metrics::screen::{Persistence, Thresholds};

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
    /// The thresholds given (or the defaults).
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            hhi_extra: self.screen_hhi,
            extra_share: self.screen_extra_share,
            import_export_ratio: self.screen_ratio,
            world_export_hhi: self.screen_world_hhi,
        }
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
