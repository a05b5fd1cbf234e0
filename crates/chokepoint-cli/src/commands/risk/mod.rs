//! `chokepoint risk`: risk scores by the published methods, one or several at once
//! (`--method geopolrisk,eu-crm,dera,screen,crma`), side by side, each row naming its method,
//! version, parameters and sources; `--explain` prints the terms behind each score. The
//! methods run in the library ([`chokepoint_metrics::risk`], shared with `/api/risk`); this
//! is the command line over it.

mod screen;

pub use screen::EngineArg;

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use chokepoint_data::{Store, session};
use chokepoint_metrics::dependency::{DependencyError, ItemSelection, compute::unit_key};
use chokepoint_metrics::dera::DeraBasis;
use chokepoint_metrics::explain::Explanation;
use chokepoint_metrics::geopolrisk::Convention;
use chokepoint_metrics::risk::{self, MethodOutput, RiskOptions, Selection, run_method};
use chokepoint_model::eu_crm::EuCrmParams;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};
use chokepoint_model::risk_params::{CrmaParams, DeraParams};
use chokepoint_report::Format;
use chokepoint_report::explain::write_explanations;
use chokepoint_report::risk::write_method;
use chokepoint_report::side_by_side::SideBySide;

use super::dependency::{OutFormat, Years, emit, parse_years_arg};
use crate::{Context, UsageError};

/// `--method` values: the library's ids (`geopolrisk`, `eu-crm`, `dera`, `crma`, `screen`).
fn parse_method(s: &str) -> Result<risk::Method, String> {
    risk::Method::from_id(s)
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
    after_help = "Methods (METHODS.md and docs/methods.md give equations and sources):\n  geopolrisk  production HHI × Σ g_i f_i / (p + F) and the characterisation factor; needs production of the same year (World Mining Data: 2018–2024)\n  eu-crm      EU CRM supply risk SR (2017 guidelines) per stage, with the bottleneck; SR ≥ 1 is high; inputs the data lack (SI_SR, EI, t) from params/eu_crm.toml\n  dera        DERA's screen: HHI (0–10,000) and WGI-PV weighted country risk of world production and of the unit's imports (tonnes), risk groups (params/dera.toml, cut-offs unconfirmed); 2018–2024\n  crma        CRMA Art. 5(1)(d): largest third-country share of supply = own production + imports (tonnes), against 65 %; strategic raw materials (params/crma.toml); 2018–2024\n  screen      per HS6 product (all traded, --hs, or the codes of -m): extra-bloc import HHI > 0.4, extra-bloc share > 0.5, extra imports / extra exports > 1 (Commission); GeoDep: world-export HHI > 0.4 instead of the share, persistence 2 of 3 years; default year: the latest\n\nWith several methods, the table, Markdown and JSON outputs start with one row per importer × material × year holding each method's headline figure, followed by each method's own rows; CSV and Parquet hold that side-by-side table only.\n\nExamples:\n  chokepoint risk --method geopolrisk --importer JPN,DEU --years 2022\n  chokepoint risk --method geopolrisk --importer JPN+DEU,EU27 --convention both -m cobalt --format csv\n  chokepoint risk -m cobalt --years 2022 -i JPN --explain\n  chokepoint risk --method dera,crma -i JPN,DEU,EU27 --years 2022\n  chokepoint risk --method crma -i EU27 --years 2022 --all-materials --format csv"
)]
pub struct RiskArgs {
    /// The method(s), comma-separated: geopolrisk, eu-crm, dera, crma, screen (below).
    #[arg(long, value_delimiter = ',', default_value = "geopolrisk", value_name = "METHODS", value_parser = parse_method)]
    method: Vec<risk::Method>,
    /// Importing units, comma-separated (ISO3, A+B coalitions, groups EU27, G7).
    #[arg(long, short, value_delimiter = ',', default_value = "JPN,DEU,JPN+DEU", value_name = "UNITS")]
    importer: Vec<String>,
    /// Year(s): 2022, 2018..2024 or 2020,2022. Default: every year the method can score.
    #[arg(long, visible_alias = "year", value_parser = parse_years_arg, value_name = "YEARS")]
    years: Option<Years>,
    /// Only these materials (name or symbol; repeat for several).
    #[arg(long, short, value_name = "NAME")]
    material: Vec<String>,
    /// Print the terms behind each score (narrow the selection with -i, -m, --years).
    #[arg(long)]
    explain: bool,
    /// GeoPolRisk: how coalitions and groups treat trade between members [default: chokepoint].
    #[arg(long, value_enum, value_name = "CONVENTION", help_heading = "GeoPolRisk")]
    convention: Option<ConventionArg>,
    /// EU CRM: parameters file (SI_SR, EI, trade parameters t; default: the shipped params/eu_crm.toml).
    #[arg(long, value_name = "FILE", help_heading = "EU CRM")]
    eu_crm_params: Option<PathBuf>,
    /// DERA: basis of the import shares (production shares are in the table's unit, mostly tonnes) [default: quantity].
    #[arg(long, value_enum, value_name = "BASIS", help_heading = "DERA")]
    dera_basis: Option<DeraBasisArg>,
    /// DERA: parameters file with the cut-offs (default: the shipped params/dera.toml).
    #[arg(long, value_name = "FILE", help_heading = "DERA")]
    dera_params: Option<PathBuf>,
    /// CRMA: the benchmark share, 0–1 (default: params/crma.toml's 0.65, Art. 5(1)(d)).
    #[arg(long, value_name = "SHARE", help_heading = "CRMA benchmark")]
    crma_benchmark: Option<f64>,
    /// CRMA: every material, not only the strategic raw materials (rows say `strategic: false`).
    #[arg(long, help_heading = "CRMA benchmark")]
    all_materials: bool,
    /// CRMA: parameters file with the strategic raw materials and the benchmark (default: the shipped params/crma.toml).
    #[arg(long, value_name = "FILE", help_heading = "CRMA benchmark")]
    crma_params: Option<PathBuf>,
    #[command(flatten)]
    screen: screen::ScreenArgs,
    /// Country-group file (default: the shipped params/country_groups.toml).
    #[arg(long, value_name = "FILE")]
    groups: Option<PathBuf>,
    /// Output format [default: the one --out's extension names (.json, .csv, .md, .parquet), else table].
    #[arg(long, short, value_enum)]
    format: Option<OutFormat>,
    /// Write to FILE (atomically; `-` = stdout).
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Basis of DERA's import shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeraBasisArg {
    /// Tonnes (BACI quantity), like the production basis.
    Quantity,
    /// USD (BACI value).
    Value,
}

/// Library usage errors (unknown country, year, material) → exit 2.
pub fn usage(e: DependencyError) -> anyhow::Error {
    match e {
        DependencyError::Usage(m) => anyhow::Error::new(UsageError(m)),
        other => anyhow::Error::new(other),
    }
}

/// A parameters file of the CLI (`--eu-crm-params` …): a file error is a usage error.
fn load<T, E: std::fmt::Display>(path: &Option<PathBuf>, load: impl Fn(&std::path::Path) -> Result<T, E>) -> anyhow::Result<Option<T>> {
    path.as_deref().map(|p| load(p).map_err(|e| anyhow::Error::new(UsageError(e.to_string())))).transpose()
}

pub async fn run(ctx: &Context, args: RiskArgs) -> anyhow::Result<()> {
    let groups = match &args.groups {
        Some(p) => CountryGroups::load(p)?,
        None => CountryGroups::builtin(),
    };
    let mut importers: Vec<ImporterSpec> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for i in &args.importer {
        let spec = groups.parse_importer(i).map_err(|e| UsageError(e.to_string()))?;
        // A unit given twice (or as DEU+JPN and JPN+DEU, or JPN+JPN and JPN) is computed once.
        if seen.insert(unit_key(&spec)) {
            importers.push(spec);
        }
    }
    let mut methods = args.method.clone();
    methods.sort();
    methods.dedup();
    let opts = RiskOptions {
        conventions: args.convention.map(|c| match c {
            ConventionArg::Chokepoint => vec![Convention::Chokepoint],
            ConventionArg::Reference => vec![Convention::Reference],
            ConventionArg::Both => vec![Convention::Chokepoint, Convention::Reference],
        }),
        eu_crm_params: load(&args.eu_crm_params, EuCrmParams::load)?,
        dera_basis: args.dera_basis.map(|b| match b {
            DeraBasisArg::Quantity => DeraBasis::Quantity,
            DeraBasisArg::Value => DeraBasis::Value,
        }),
        dera_params: load(&args.dera_params, DeraParams::load)?,
        crma_benchmark: args.crma_benchmark,
        crma_all_materials: args.all_materials,
        crma_params: load(&args.crma_params, CrmaParams::load)?,
        screen_hs: args.screen.hs.clone(),
        screen_thresholds: args.screen.thresholds(),
        persistence: args.screen.persistence,
        screen_engine: args.screen.engine.into(),
    };
    // An option of a method that is not run is a mistake, not something to ignore.
    if let Some((key, method)) = opts.inapplicable(&methods) {
        return Err(UsageError(format!(
            "--{} applies to --method {} only, which is not among the methods run",
            key.replace('_', "-"),
            method.id()
        ))
        .into());
    }
    let sel = Selection {
        importers,
        groups,
        items: if args.material.is_empty() { ItemSelection::AllMaterials } else { ItemSelection::Materials(args.material.clone()) },
        years: args.years.clone().map(|y| y.0).unwrap_or_default(),
        explain: args.explain,
    };
    let store = Store::open(&ctx.data_dir)?;
    let sc = session(&store).await?;
    let mut sections: Vec<MethodOutput> = Vec::new();
    for m in &methods {
        sections.push(run_method(&sc, &store, &sel, &opts, *m).await.map_err(usage)?);
    }
    let out_format = OutFormat::resolve(args.format, args.out.as_ref());
    let format: Format = out_format.into();
    if args.explain {
        let all: Vec<Explanation> = sections.into_iter().flat_map(|s| s.explanations).collect();
        if all.len() > 50 {
            ctx.info(format!("note: explaining {} scores; narrow the selection with -i, -m and --years to read one", all.len()));
        }
        if matches!(format, Format::Csv | Format::Parquet) {
            return Err(UsageError("--explain prints text, Markdown or JSON (--format table|md|json)".into()).into());
        }
        return emit(args.out.as_ref(), out_format, ctx, |w, _| write_explanations(w, &all, format));
    }
    if matches!(format, Format::Json | Format::Csv | Format::Parquet) {
        for s in &sections {
            for n in &s.notes {
                ctx.info(format!("note ({}): {n}", s.method.id()));
            }
        }
    }
    if let [single] = sections.as_slice() {
        return emit(args.out.as_ref(), out_format, ctx, |w, _| write_method(w, single, format));
    }
    let side = SideBySide::new(&sections.iter().flat_map(|s| s.headlines.iter().cloned()).collect::<Vec<_>>()).with_provenance(
        sections.iter().map(|s| s.info.clone()).collect(),
        sections.iter().flat_map(|s| s.notes.iter().map(|n| format!("{}: {n}", s.method.id()))).collect(),
    );
    emit(args.out.as_ref(), out_format, ctx, |w, _| match format {
        Format::Csv | Format::Parquet => side.write(w, format),
        Format::Json => {
            // {"side_by_side": [...], "<method>": [rows], ...}, each part written by its renderer.
            write!(w, "{{\n\"side_by_side\": ")?;
            serde_json::to_writer_pretty(&mut *w, &side.json())?;
            for s in &sections {
                write!(w, ",\n\"{}\": ", s.method.json_key())?;
                write_method(w, s, Format::Json)?;
            }
            writeln!(w, "}}")?;
            Ok(())
        }
        Format::Table | Format::Md => {
            let md = format == Format::Md;
            writeln!(w, "{}", if md { "## Side by side\n" } else { "━━ Side by side ━━" })?;
            side.write(w, format)?;
            for s in &sections {
                writeln!(w, "{}", if md { format!("\n## {}\n", s.title) } else { format!("\n━━ {} ━━", s.title) })?;
                write_method(w, s, format)?;
            }
            Ok(())
        }
    })
}
