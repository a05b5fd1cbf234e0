//! `chokepoint bench gen`: synthetic BACI-format releases for benchmarks.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};

use chokepoint_data::Table;
use chokepoint_data::countries::CountryTable;
use chokepoint_data::parquet_io::read_parquet;
use chokepoint_data::store::Store;
use chokepoint_data::synthetic::{GenFormat, GenOptions, generate, release_countries};

use super::dependency::{Years, parse_years_arg};
use crate::Context;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Generate a seeded synthetic release in CEPII BACI's format (any size), for benchmarks.
    #[command(
        after_help = "Countries: one BACI code per ISO3 of the store's countries table (run `chokepoint data setup` first).\nRows of a year: --rows-per-year × 0.9 in 1995 rising to × 1.1 in 2024; files are byte-identical for a given seed and size whatever the thread count.\n\nExamples:\n  chokepoint bench gen --out bench/out/baci --years 1995..2024 --rows-per-year 10000000 --seed 42\n  chokepoint bench gen --out /tmp/baci --years 2022 --rows-per-year 20000 --format zip"
    )]
    Gen(GenArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    /// BACI_HS92_Y{year}_V202401b.csv per year, country_codes_V202401b.csv, product_codes_HS92_V202401b.csv.
    Csv,
    /// The same files in one release zip, BACI_HS92_V202401b.zip.
    Zip,
}

#[derive(Args, Debug)]
pub struct GenArgs {
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Years: 2022, 1995..2024 or 2012,2017,2022.
    #[arg(long, value_parser = parse_years_arg, default_value = "2022")]
    years: Years,
    /// Trade rows of a year (the middle of 1995–2024; 0.9× in 1995, 1.1× in 2024).
    #[arg(long, default_value_t = 10_000_000)]
    rows_per_year: u64,
    /// Seed of the ChaCha8 generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
    format: FormatArg,
    /// Worker threads (default: all cores; one year per thread). The output does not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

pub fn run(ctx: &Context, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Gen(a) => {
            let started = Instant::now();
            let store = Store::open_existing(&ctx.data_dir)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "no store in {}: bench gen takes its countries from the store's countries table; run `chokepoint data setup` first",
                    ctx.data_dir.display()
                )
            })?;
            let table = CountryTable::from_batches(&read_parquet(&store.table_path(Table::Countries))?, "store countries")?;
            let countries = release_countries(&table);
            let opts = GenOptions {
                out: a.out,
                years: a.years.0,
                rows_per_year: a.rows_per_year,
                seed: a.seed,
                format: match a.format {
                    FormatArg::Csv => GenFormat::Csv,
                    FormatArg::Zip => GenFormat::Zip,
                },
                threads: a.threads,
                progress: ctx.progress(),
            };
            let s = generate(&countries, &opts)?;
            let rows: u64 = s.rows_by_year.values().sum();
            for f in &s.files {
                println!("{}", f.display());
            }
            ctx.info(format!(
                "generated {rows} trade rows ({} years, {} countries, {:.1} MB of trade CSV) in {:.1} s",
                s.rows_by_year.len(),
                countries.len(),
                s.trade_bytes as f64 / 1e6,
                started.elapsed().as_secs_f64()
            ));
            Ok(())
        }
    }
}
