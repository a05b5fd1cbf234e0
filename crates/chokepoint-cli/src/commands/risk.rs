//! `chokepoint risk`: risk scores by published methods. Implemented so far: GeoPolRisk.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use chokepoint_data::{Store, session};
use chokepoint_metrics::dependency::{DependencyError, ItemSelection};
use chokepoint_metrics::geopolrisk::{Convention, GeoPolRiskRequest, compute::METHOD, geopolrisk};
use chokepoint_model::importer::CountryGroups;

use super::dependency::{OutFormat, Years, emit, parse_years_arg};
use crate::{Context, UsageError};

/// Risk methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// GeoPolRisk (Koyamparambath et al. 2024): production HHI × WGI-weighted import share, and the LCA characterisation factor.
    Geopolrisk,
}

/// Coalition conventions of GeoPolRisk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConventionArg {
    /// Trade between members dropped (chokepoint's coalition).
    Chokepoint,
    /// Trade between members kept in the imports with g = 0 (geopolrisk-py's regions).
    Reference,
    /// Both, one row each.
    Both,
}

#[derive(Args, Debug)]
#[command(
    after_help = "GeoPolRisk needs production data of the same year (World Mining Data: 2018–2024 in the default dataset) and uses import quantities (tonnes).\n\nExamples:\n  chokepoint risk --method geopolrisk --importer JPN,DEU --years 2022\n  chokepoint risk --method geopolrisk --importer JPN+DEU,EU27 --convention both -m cobalt --format csv"
)]
pub struct RiskArgs {
    /// The method.
    #[arg(long, value_enum, default_value_t = Method::Geopolrisk)]
    method: Method,
    /// Importing units, comma-separated (ISO3, A+B coalitions, groups EU27, G7).
    #[arg(long, short, value_delimiter = ',', default_value = "JPN,DEU,JPN+DEU", value_name = "UNITS")]
    importer: Vec<String>,
    /// Year(s): 2022, 2018..2024 or 2020,2022. Default: every year with production and trade.
    #[arg(long, visible_alias = "year", value_parser = parse_years_arg, value_name = "YEARS")]
    years: Option<Years>,
    /// Only these materials (name or symbol; repeat for several).
    #[arg(long, short, value_name = "NAME")]
    material: Vec<String>,
    /// How coalitions and groups treat trade between members.
    #[arg(long, value_enum, default_value_t = ConventionArg::Chokepoint)]
    convention: ConventionArg,
    /// Country-group file (default: the shipped params/country_groups.toml).
    #[arg(long, value_name = "FILE")]
    groups: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = OutFormat::Table)]
    format: OutFormat,
    /// Write to FILE (atomically; `-` = stdout).
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub async fn run(ctx: &Context, args: RiskArgs) -> anyhow::Result<()> {
    let groups = match &args.groups {
        Some(p) => CountryGroups::load(p)?,
        None => CountryGroups::builtin(),
    };
    let importers =
        args.importer.iter().map(|i| groups.parse_importer(i).map_err(|e| UsageError(e.to_string()))).collect::<Result<Vec<_>, _>>()?;
    let req = GeoPolRiskRequest {
        importers,
        groups,
        items: if args.material.is_empty() { ItemSelection::AllMaterials } else { ItemSelection::Materials(args.material.clone()) },
        years: args.years.clone().map(|y| y.0).unwrap_or_default(),
        conventions: match args.convention {
            ConventionArg::Chokepoint => vec![Convention::Chokepoint],
            ConventionArg::Reference => vec![Convention::Reference],
            ConventionArg::Both => vec![Convention::Chokepoint, Convention::Reference],
        },
    };
    let store = Store::open(&ctx.data_dir)?;
    let sc = session(&store).await?;
    let (rows, mut notes) = geopolrisk(&sc, store.manifest(), &req).await.map_err(|e| match e {
        DependencyError::Usage(m) => anyhow::Error::new(UsageError(m)),
        other => anyhow::Error::new(other),
    })?;
    notes.insert(0, format!("{METHOD}: score = production HHI × Σ g_i f_i / (p + F); f in tonnes, g = normalised WGI-PV of the year (0.5 when missing), p = own production; CF = score × price (USD/kg) / 0.409412948 (copper)"));
    for s in &store.manifest().sources {
        notes.push(format!("{} {} (sha256 {})", s.name, s.release, &s.sha256[..s.sha256.len().min(12)]));
    }
    if matches!(args.format, OutFormat::Json | OutFormat::Csv | OutFormat::Parquet) {
        for n in notes.iter().skip(1) {
            ctx.info(format!("note: {n}"));
        }
    }
    let format = args.format.into();
    emit(args.out.as_ref(), args.format, ctx, |w, _| chokepoint_report::risk::write_geopolrisk(w, &rows, &notes, format))
}
