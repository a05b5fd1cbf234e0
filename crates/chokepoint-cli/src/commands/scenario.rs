//! `chokepoint scenario list|check|run`: disruption scenarios (docs/methods.md §8), a thin
//! shell over `chokepoint_scenario` and `chokepoint_report::scenario`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use chokepoint_data::{Store, session};
use chokepoint_model::importer::CountryGroups;
use chokepoint_report::scenario::{ScenarioTable, write_scenarios};
use chokepoint_scenario::{Allocation, Scenario, ScenarioError, ScenarioParams, ScenarioRequest, examples, resolve, run_scenario};

use super::dependency::{OutFormat, emit};
use crate::{Context, UsageError};

#[derive(Subcommand, Debug)]
pub enum ScenarioCommand {
    /// List the scenario files of a folder (default `scenarios/`, else the examples shipped with chokepoint), with title and source.
    List(ListArgs),
    /// Check a scenario file against the store (countries, groups, materials, HS6 codes, baseline year); errors name the line and field.
    Check(CheckArgs),
    /// Run a scenario: lost imports, substitution, residual shortfall and stock days per importer and material.
    #[command(
        after_help = "Examples:\n  chokepoint scenario run scenarios/chn-graphite-2023.toml\n  chokepoint scenario run chn-rare-earths-2025 --importer JPN,EU27 --format md\n  chokepoint scenario run my.toml --format csv --out shortfall.csv\n  chokepoint scenario run chn-germanium-partners-2023 --allocation pro-rata"
    )]
    Run(RunArgs),
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Folder of scenario files.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Scenario file (TOML), or the name of a shipped example (`chokepoint scenario list`).
    file: String,
    /// Country-group file (default: params/country_groups.toml shipped with chokepoint).
    #[arg(long, value_name = "FILE")]
    groups: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (TOML), or the name of a shipped example (`chokepoint scenario list`).
    file: String,
    /// Importing units instead of the file's (default JPN, DEU, JPN+DEU), comma-separated: ISO3, coalitions with `+`, groups.
    #[arg(long, short, value_delimiter = ',', value_name = "UNITS")]
    importer: Vec<String>,
    /// Parameters file (default: params/scenario.toml shipped with chokepoint).
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// Country-group file (default: params/country_groups.toml shipped with chokepoint).
    #[arg(long, value_name = "FILE")]
    groups: Option<PathBuf>,
    /// Probabilistic mode: this many Monte Carlo draws (years), each supplier disrupting with its annual probability (WGI-PV mapping of params/scenario.toml, or the file's). Also on when the file has a [probability] table.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    draws: Option<u64>,
    /// Seed of the Monte Carlo generator (ChaCha8); the same seed gives the same output.
    #[arg(long, value_name = "SEED")]
    seed: Option<u64>,
    /// How importers share the substitution, instead of the file's: pro-rata to losses, or optimise (a linear programme: the file's [allocation.preferences] first, then pro-rata).
    #[arg(long, value_enum, value_name = "RULE")]
    allocation: Option<AllocationArg>,
    /// Supplier rows shown per importer run and material in the text formats.
    #[arg(long, default_value_t = 8, value_name = "N")]
    suppliers: usize,
    /// Output format (JSON holds everything; CSV and Parquet the rows of --table) [default: the one --out's extension names (.json, .csv, .md, .parquet), else table].
    #[arg(long, short, value_enum)]
    format: Option<OutFormat>,
    /// Rows of the CSV and Parquet outputs.
    #[arg(long, value_enum, default_value_t = TableArg::Importers)]
    table: TableArg,
    /// Write to FILE (atomically; `-` = stdout) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// `--allocation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AllocationArg {
    /// Pro-rata to losses.
    ProRata,
    /// Preferred pairs first (linear programme), then pro-rata.
    #[value(alias = "optimize")]
    Optimise,
}

/// Rows of the CSV and Parquet outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableArg {
    /// One row per importing unit × material.
    Importers,
    /// One row per unit run × material × supplier that withholds or supplies.
    Suppliers,
    /// The probabilistic mode's distributions (needs --draws).
    MonteCarlo,
}

fn usage(e: ScenarioError) -> anyhow::Error {
    if e.is_usage() { anyhow::Error::new(UsageError(e.to_string())) } else { anyhow::Error::new(e) }
}

/// A path, else a shipped example by name.
fn load(file: &str) -> anyhow::Result<Scenario> {
    let path = Path::new(file);
    if path.exists() {
        return Scenario::load(path).map_err(usage);
    }
    match examples::example(file) {
        Some(s) => s.map_err(usage),
        None => Err(UsageError(format!("{file}: no such file, nor a shipped scenario ({})", examples::names())).into()),
    }
}

fn groups(path: &Option<PathBuf>) -> anyhow::Result<CountryGroups> {
    Ok(match path {
        Some(p) => CountryGroups::load(p).map_err(|e| UsageError(e.to_string()))?,
        None => CountryGroups::builtin(),
    })
}

pub async fn run(ctx: &Context, cmd: ScenarioCommand) -> anyhow::Result<()> {
    match cmd {
        ScenarioCommand::List(a) => list(a),
        ScenarioCommand::Check(a) => {
            let s = load(&a.file)?;
            let groups = groups(&a.groups)?;
            let store = Store::open(&ctx.data_dir)?;
            let sc = session(&store).await?;
            let r = resolve(&sc, &s, &groups, None).await.map_err(usage)?;
            println!("{}: ok — {}", s.file, s.title);
            println!(
                "  baseline {}; suppliers {}; items {}; importers {}",
                r.year,
                r.suppliers.iter().cloned().collect::<Vec<_>>().join(", "),
                r.items.iter().map(|i| format!("{} ({})", i.label, i.codes.join(", "))).collect::<Vec<_>>().join("; "),
                r.units.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join(", ")
            );
            for n in &r.notices {
                println!("  note: {n}");
            }
            Ok(())
        }
        ScenarioCommand::Run(a) => {
            let mut scenario = load(&a.file)?;
            match a.allocation {
                Some(AllocationArg::ProRata) => scenario.allocation = Allocation::ProRata,
                Some(AllocationArg::Optimise) => scenario.allocation = Allocation::Optimise,
                None => {}
            }
            let groups = groups(&a.groups)?;
            let params = match &a.params {
                Some(p) => ScenarioParams::load(p).map_err(usage)?,
                None => ScenarioParams::builtin(),
            };
            let importers = if a.importer.is_empty() {
                None
            } else {
                Some(
                    a.importer
                        .iter()
                        .map(|i| groups.parse_importer(i).map_err(|e| UsageError(e.to_string())))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            };
            let store = Store::open(&ctx.data_dir)?;
            let sc = session(&store).await?;
            let monte_carlo = ScenarioRequest::monte_carlo_options(&scenario, &params, a.draws, a.seed, ctx.progress());
            let req = ScenarioRequest { scenario, monte_carlo, importers, groups, params };
            let result = run_scenario(&sc, store.manifest(), &req).await.map_err(usage)?;
            let format = OutFormat::resolve(a.format, a.out.as_ref());
            if matches!(format, OutFormat::Json | OutFormat::Csv | OutFormat::Parquet) {
                for s in &result.summary {
                    ctx.info(s);
                }
            }
            if a.table == TableArg::MonteCarlo && result.monte_carlo.is_none() {
                return Err(UsageError("--table monte-carlo needs the probabilistic mode: give --draws N".into()).into());
            }
            let table = match a.table {
                TableArg::Importers => ScenarioTable::Importers,
                TableArg::Suppliers => ScenarioTable::Suppliers,
                TableArg::MonteCarlo => ScenarioTable::MonteCarlo,
            };
            let results = [result];
            emit(a.out.as_ref(), format, ctx, |w, _color| write_scenarios(w, &results, format.into(), a.suppliers, table))
        }
    }
}

fn list(a: ListArgs) -> anyhow::Result<()> {
    let dir = a.dir.clone().unwrap_or_else(|| PathBuf::from("scenarios"));
    let mut found: Vec<(String, anyhow::Result<Scenario>)> = Vec::new();
    if dir.is_dir() {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            found.push((p.display().to_string(), Scenario::load(&p).map_err(anyhow::Error::new)));
        }
    } else if a.dir.is_some() {
        return Err(UsageError(format!("{}: not a folder", dir.display())).into());
    } else {
        println!("(no scenarios/ folder here: the examples shipped with chokepoint, usable by name)");
        for (n, _) in examples::EXAMPLES {
            found.push(((*n).to_owned(), examples::example(n).expect("a shipped name").map_err(anyhow::Error::new)));
        }
    }
    for (name, s) in found {
        match s {
            Ok(s) => println!("{name}\n  {} [{}]\n  source: {}", s.title, s.kind, s.source),
            Err(e) => println!("{name}\n  invalid: {e}"),
        }
    }
    Ok(())
}
