//! `chokepoint`: dependencies on critical raw materials from open trade, production and
//! governance data. A thin shell over the library crates; every command's `--help` has an
//! example.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a failure (bad input, missing data, a failed query, an empty result).
const EXIT_FAILURE: u8 = 1;
/// Exit code for a usage error: clap's, and arguments the data contradicts (unknown
/// country, year outside the data).
const EXIT_USAGE: u8 = 2;

/// An argument that is well formed but wrong for the data: the user must change the command.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

#[derive(Parser, Debug)]
#[command(
    name = "chokepoint",
    version,
    about = "Measure, score and stress-test dependencies on critical raw materials from open trade (CEPII BACI), production (World Mining Data) and governance (WGI) data.",
    long_about = None,
    after_help = "Start here:\n  chokepoint data setup                  fetch and ingest the default dataset (once)\n  chokepoint data info                   what the store holds\n  chokepoint report                      Japan, Germany and JPN+DEU: briefing and table\n  chokepoint dependency --importer EU27 --hs 280530 --years 2013..2022\n  chokepoint sql \"SELECT count(*) FROM trade\"\n\nData directory: --data-dir, else $CHOKEPOINT_DATA_DIR, else the platform's user data directory."
)]
pub struct Cli {
    /// Where the store and the download cache live.
    #[arg(long, global = true, env = "CHOKEPOINT_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// No progress bars, no informational messages.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// More log output (-v info, -vv debug).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Fetch the default dataset, set up the store, show what it holds.
    #[command(subcommand)]
    Data(commands::data::DataCommand),
    /// Read a source into the store (written aside, swapped in when complete).
    #[command(subcommand)]
    Ingest(commands::ingest::IngestCommand),
    /// Dependency table: per importer × material (or HS6) × year, supplier shares, HHI, watched suppliers, WGI risk, production concentration, changes, flags.
    Dependency(commands::dependency::DependencyArgs),
    /// Briefing for Japan, Germany and their coalition (or any importers), then the dependency table.
    Report(commands::dependency::ReportArgs),
    /// Risk scores by the published methods, side by side: GeoPolRisk, EU CRM supply risk, DERA, the strategic-dependency screen, the CRMA benchmark.
    Risk(commands::risk::RiskArgs),
    /// Disruption scenarios: what if a supplier withholds exports — lost imports, substitution, residual shortfall, stock days.
    #[command(subcommand)]
    Scenario(commands::scenario::ScenarioCommand),
    /// HTTP JSON API over the same calls (dependency table, risk scores), with its OpenAPI document at /api/openapi.json.
    Serve(commands::serve::ServeArgs),
    /// Benchmark tools: a seeded synthetic BACI release of any size.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Run SQL over the store (DataFusion).
    Sql(commands::sql::SqlArgs),
}

/// Global settings every command gets.
pub struct Context {
    pub data_dir: PathBuf,
    pub quiet: bool,
}

impl Context {
    /// Progress bars only for people: not with --quiet (indicatif hides them off a TTY).
    pub fn progress(&self) -> bool {
        !self.quiet
    }

    /// An informational line on stderr, unless --quiet.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }
}

fn default_data_dir() -> anyhow::Result<PathBuf> {
    directories::ProjectDirs::from("", "", "chokepoint")
        .map(|d| d.data_dir().to_owned())
        .ok_or_else(|| anyhow::anyhow!("no home directory to put the data in: give --data-dir or set CHOKEPOINT_DATA_DIR"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("CHOKEPOINT_LOG").unwrap_or_else(|_| level.into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`chokepoint sql … | head`): not a failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            if e.chain().any(|c| c.is::<UsageError>()) { ExitCode::from(EXIT_USAGE) } else { ExitCode::from(EXIT_FAILURE) }
        }
    }
}

/// The error and its causes, each cause only where the message above does not already
/// include it (library errors often print their source).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if !text.contains(&c) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&c);
        }
    }
    text
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.to_string().contains("Broken pipe (os error 32)")
    })
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = match cli.data_dir {
        Some(d) => d,
        None => default_data_dir()?,
    };
    let ctx = Context { data_dir, quiet: cli.quiet };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Command::Data(c) => commands::data::run(&ctx, c, &runtime),
        Command::Ingest(c) => commands::ingest::run(&ctx, c),
        Command::Bench(c) => commands::bench::run(&ctx, c),
        Command::Sql(a) => runtime.block_on(commands::sql::run(&ctx, a)),
        Command::Dependency(a) => runtime.block_on(commands::dependency::run_dependency(&ctx, a)),
        Command::Report(a) => runtime.block_on(commands::dependency::run_report(&ctx, a)),
        Command::Risk(a) => runtime.block_on(commands::risk::run(&ctx, a)),
        Command::Scenario(c) => runtime.block_on(commands::scenario::run(&ctx, c)),
        Command::Serve(a) => runtime.block_on(commands::serve::run(&ctx, a)),
    }
}
