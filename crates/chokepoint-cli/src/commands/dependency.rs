//! `chokepoint dependency` (the table) and `chokepoint report` (briefing + table): thin
//! shells over `chokepoint_metrics::dependency` and `chokepoint_report`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use chokepoint_data::{Store, session};
use chokepoint_metrics::dependency::{
    Basis, DependencyError, DependencyRequest, DependencyResult, ItemSelection, Thresholds, briefing::briefing, dependency,
    supplier_history,
};
use chokepoint_model::hubs::HubList;
use chokepoint_model::importer::CountryGroups;
use chokepoint_report::html::{self, HtmlReport, WebAssets};
use chokepoint_report::{Format, write_atomically};

use crate::commands::risk::EngineArg;
use crate::{Context, UsageError};

/// Output formats of `dependency` and `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    /// Ranked text table (colour on a terminal).
    Table,
    /// JSON: `dependency` an array of row objects; `report` an object {briefing, rows, totals, notices, provenance}.
    Json,
    /// CSV with a header; list columns joined with `;`.
    Csv,
    /// Markdown.
    Md,
    /// Parquet (needs --out or a redirected stdout); provenance in the file metadata.
    Parquet,
}

impl OutFormat {
    /// The format given with `--format`, else the one `--out`'s extension names (`.json`,
    /// `.csv`, `.md`, `.parquet`), else the table.
    pub fn resolve(given: Option<OutFormat>, out: Option<&PathBuf>) -> OutFormat {
        given.or_else(|| ReportFormat::from_extension(out).and_then(ReportFormat::out_format)).unwrap_or(OutFormat::Table)
    }
}

impl From<OutFormat> for Format {
    fn from(f: OutFormat) -> Format {
        match f {
            OutFormat::Table => Format::Table,
            OutFormat::Json => Format::Json,
            OutFormat::Csv => Format::Csv,
            OutFormat::Md => Format::Md,
            OutFormat::Parquet => Format::Parquet,
        }
    }
}

/// Output formats of `report`: those of `dependency` and a self-contained HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Briefing and ranked text table (colour on a terminal).
    Table,
    /// JSON: an object {briefing, rows, totals, notices, provenance}.
    Json,
    /// CSV with a header (the table only).
    Csv,
    /// Markdown: briefing and table.
    Md,
    /// Parquet, the table only (needs --out or a redirected stdout).
    Parquet,
    /// One HTML file that opens offline: briefing, table, maps and charts of the flagged materials, methods and sources (needs --out or a redirected stdout, and the assets of scripts/web-assets.sh).
    Html,
}

impl ReportFormat {
    /// The format `out`'s extension names (`.json`, `.csv`, `.md`, `.parquet`, `.html`).
    fn from_extension(out: Option<&PathBuf>) -> Option<ReportFormat> {
        let ext = out?.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "json" => ReportFormat::Json,
            "csv" => ReportFormat::Csv,
            "md" => ReportFormat::Md,
            "parquet" => ReportFormat::Parquet,
            "html" | "htm" => ReportFormat::Html,
            _ => return None,
        })
    }

    /// The same format of `dependency`; `None` for HTML.
    fn out_format(self) -> Option<OutFormat> {
        match self {
            ReportFormat::Table => Some(OutFormat::Table),
            ReportFormat::Json => Some(OutFormat::Json),
            ReportFormat::Csv => Some(OutFormat::Csv),
            ReportFormat::Md => Some(OutFormat::Md),
            ReportFormat::Parquet => Some(OutFormat::Parquet),
            ReportFormat::Html => None,
        }
    }
}

/// Share basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BasisArg {
    /// Import value, USD.
    Value,
    /// Import quantity, tonnes (flows without a quantity left out).
    Quantity,
}

/// Years given with `--years`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Years(pub Vec<i32>);

pub fn parse_years_arg(s: &str) -> Result<Years, String> {
    parse_years(s).map(Years)
}

/// Years: `2022`, `2013..2022` (inclusive), `2012,2017,2022`.
fn parse_years(s: &str) -> Result<Vec<i32>, String> {
    let year = |t: &str| -> Result<i32, String> {
        let y: i32 = t.trim().parse().map_err(|_| format!("{t:?} is not a year (write 2022, 2013..2022 or 2012,2017,2022)"))?;
        if !(1900..=2100).contains(&y) {
            return Err(format!("{y} is not a plausible year"));
        }
        Ok(y)
    };
    if let Some((a, b)) = s.split_once("..") {
        let (a, b) = (year(a)?, year(b.trim_start_matches('='))?);
        if a > b {
            return Err(format!("{s:?}: the first year must not be after the last"));
        }
        return Ok((a..=b).collect());
    }
    s.split(',').map(year).collect()
}

/// What both commands select and how they compute.
#[derive(Args, Debug)]
pub struct SelectionArgs {
    /// Importing units, comma-separated: ISO3 codes (TWN for BACI's S19), coalitions joined with `+` (one unit: trade between members dropped), groups (EU27, G7; members of each year).
    #[arg(long, short, value_delimiter = ',', default_value = "JPN,DEU,JPN+DEU", value_name = "UNITS")]
    importer: Vec<String>,
    /// Year(s): 2022, 2013..2022 or 2012,2017,2022. Default: the latest year in the store.
    #[arg(long, visible_alias = "year", value_parser = parse_years_arg, value_name = "YEARS")]
    years: Option<Years>,
    /// Single HS6 products instead of materials, comma-separated (e.g. 280530,284690).
    #[arg(long, value_delimiter = ',', value_name = "HS6", conflicts_with = "material")]
    hs: Vec<String>,
    /// Only these materials (name or symbol, case-insensitive; a unique part of a name is enough). Repeat for several (names can contain commas).
    #[arg(long, short, value_name = "NAME")]
    material: Vec<String>,
    /// Shares by import value (USD) or quantity (tonnes).
    #[arg(long, value_enum, default_value_t = BasisArg::Value)]
    basis: BasisArg,
    /// Suppliers whose share is shown on every row, comma-separated ISO3.
    #[arg(long, value_delimiter = ',', default_value = "CHN", value_name = "ISO3")]
    watch: Vec<String>,
    /// Flag a top-supplier share above this (0–1; EU CRMA Art. 5 benchmark 0.65).
    #[arg(long, default_value_t = 0.65, value_name = "SHARE", value_parser = parse_fraction)]
    top_share_threshold: f64,
    /// Flag a supplier HHI above this (0–1; Commission strategic-dependency screen 0.4).
    #[arg(long, default_value_t = 0.4, value_name = "HHI", value_parser = parse_fraction)]
    hhi_threshold: f64,
    /// Country-group file (default: the params/country_groups.toml shipped with chokepoint).
    #[arg(long, value_name = "FILE")]
    groups: Option<PathBuf>,
    /// Hub-exporter file (default: the params/hub_exporters.toml shipped with chokepoint).
    #[arg(long, value_name = "FILE")]
    hubs: Option<PathBuf>,
    /// Leave out rows with imports below this value (USD), e.g. 1e6 to hide trickles; 0 keeps all.
    #[arg(long, default_value_t = 0.0, value_name = "USD", value_parser = parse_usd)]
    min_import_usd: f64,
    /// Write to FILE (atomically; `-` = stdout) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("{v} is outside 0–1 (shares and HHI are fractions here: 0.65, not 65; HHI 0.4, not 4000)"));
    }
    Ok(v)
}

fn parse_usd(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("{s} is not an amount of USD ≥ 0"));
    }
    Ok(v)
}

#[derive(Args, Debug)]
#[command(
    after_help = "Shares are 0–1 on the chosen basis; values in USD, quantities in tonnes. Rows are ranked per importer and year, most concentrated (HHI) first.\n\nExamples:\n  chokepoint dependency --importer JPN,DEU,JPN+DEU --year 2022\n  chokepoint dependency --importer EU27 --hs 280530,284690 --years 2013..2022 --format csv\n  chokepoint dependency -m cobalt -m lithium --basis quantity --watch CHN,COD --rivals\n  chokepoint dependency --years 1995..2024 --format parquet --out deps.parquet"
)]
pub struct DependencyArgs {
    #[command(flatten)]
    sel: SelectionArgs,
    /// Output format [default: the one --out's extension names (.json, .csv, .md, .parquet), else table].
    #[arg(long, short, value_enum)]
    format: Option<OutFormat>,
    /// For flagged rows, list the top supplier's largest customers (who competes for the same supply).
    #[arg(long)]
    rivals: bool,
    /// With --all-products: one row per year × importer × HS6 for every country of the store as importer (not groups). Columns: year, importer, hs6, import_value_usd, suppliers, top_supplier, top_share, top3_share, hhi (shares of import value, USD). Needs --format parquet or csv.
    #[arg(long, requires = "all_products", conflicts_with_all = ["importer", "hs", "material", "rivals", "watch", "basis", "min_import_usd"])]
    all_importers: bool,
    /// With --all-importers: every HS6 product the store holds, not only materials.
    #[arg(long, requires = "all_importers")]
    all_products: bool,
    /// For --all-importers --all-products: `kernel`, one streaming pass per year over the store sorted by importer, HS6, exporter (default), or `sql`, the same table as a plain DataFusion SQL query (the cross-check; same rows, bit for bit).
    #[arg(long, value_enum, default_value_t = EngineArg::Kernel, requires = "all_importers")]
    engine: EngineArg,
}

#[derive(Args, Debug)]
#[command(
    after_help = "The briefing, per importer and its latest year: materials whose top supplier is above the benchmark, the watched suppliers' weight, the largest ten-year changes; then the full table with second tier and rivals. Formats: table and md print both; json holds {briefing, rows, totals, notices, provenance}; csv and parquet hold the table only; html is one self-contained page with the briefing, the table, per flagged material a world map of its suppliers, their shares since the first year of the store and bars of top share and HHI by importer, and the methods and sources (install its chart library and map once with scripts/web-assets.sh).\n\nExamples:\n  chokepoint report\n  chokepoint report --importer JPN,DEU,JPN+DEU,EU27 --year 2022 --format md --out report.md\n  chokepoint report --format html --out report.html"
)]
pub struct ReportArgs {
    #[command(flatten)]
    sel: SelectionArgs,
    /// Output format [default: the one --out's extension names (.json, .csv, .md, .parquet, .html), else table].
    #[arg(long, short, value_enum)]
    format: Option<ReportFormat>,
    /// With --format html: the directory where `scripts/web-assets.sh` installed the chart library and map geometry (else $CHOKEPOINT_WEB_ASSETS, else ~/.cache/chokepoint-web).
    #[arg(long, value_name = "DIR")]
    web_assets: Option<PathBuf>,
    /// Leave out the rivals (top suppliers' other customers).
    #[arg(long)]
    no_rivals: bool,
    /// The briefing lists benchmark breaches with imports of at least this much (USD); smaller ones are counted and stay in the table.
    #[arg(long, default_value_t = 1_000_000.0, value_name = "USD", value_parser = parse_usd)]
    briefing_min_usd: f64,
}

impl DependencyArgs {
    fn format(&self) -> OutFormat {
        OutFormat::resolve(self.format, self.sel.out.as_ref())
    }
}

impl ReportArgs {
    fn format(&self) -> ReportFormat {
        self.format.or_else(|| ReportFormat::from_extension(self.sel.out.as_ref())).unwrap_or(ReportFormat::Table)
    }
}

fn request(sel: &SelectionArgs, rivals: bool) -> anyhow::Result<DependencyRequest> {
    let groups = match &sel.groups {
        Some(p) => CountryGroups::load(p)?,
        None => CountryGroups::builtin(),
    };
    let hubs = match &sel.hubs {
        Some(p) => HubList::load(p)?,
        None => HubList::builtin(),
    };
    let mut importers = Vec::new();
    for i in &sel.importer {
        importers.push(groups.parse_importer(i).map_err(|e| UsageError(e.to_string()))?);
    }
    if sel.material.iter().any(|m| m.trim().is_empty()) {
        return Err(UsageError("--material needs a name, e.g. -m cobalt".into()).into());
    }
    if sel.hs.iter().any(|h| h.trim().is_empty()) {
        return Err(UsageError("--hs has an empty code: write e.g. --hs 280530,284690".into()).into());
    }
    let items = if !sel.hs.is_empty() {
        ItemSelection::Hs6(sel.hs.clone())
    } else if !sel.material.is_empty() {
        ItemSelection::Materials(sel.material.clone())
    } else {
        ItemSelection::AllMaterials
    };
    Ok(DependencyRequest {
        importers,
        groups,
        items,
        years: sel.years.clone().map(|y| y.0).unwrap_or_default(),
        basis: match sel.basis {
            BasisArg::Value => Basis::Value,
            BasisArg::Quantity => Basis::Quantity,
        },
        watch: sel.watch.iter().filter(|w| !w.trim().is_empty()).map(|w| w.trim().to_owned()).collect(),
        thresholds: Thresholds { top_share: sel.top_share_threshold, hhi: sel.hhi_threshold },
        hubs,
        rivals,
        min_import_usd: sel.min_import_usd,
    })
}

async fn compute(ctx: &Context, req: &DependencyRequest) -> anyhow::Result<DependencyResult> {
    let store = Store::open(&ctx.data_dir)?;
    let sc = session(&store).await?;
    let started = Instant::now();
    let result = dependency(&sc, store.manifest(), req).await.map_err(|e| match e {
        chokepoint_metrics::dependency::DependencyError::Usage(m) => anyhow::Error::new(UsageError(m)),
        other => anyhow::Error::new(other),
    })?;
    tracing::info!("{} rows in {:.2} s", result.rows.len(), started.elapsed().as_secs_f64());
    Ok(result)
}

/// Where the output goes: `--out FILE` (atomic), else stdout. Parquet never goes to a terminal.
pub fn emit(
    out: Option<&PathBuf>,
    format: OutFormat,
    ctx: &Context,
    write: impl FnOnce(&mut dyn Write, bool) -> Result<(), chokepoint_report::ReportError>,
) -> anyhow::Result<()> {
    let not_on_tty = (format == OutFormat::Parquet).then_some("Parquet is binary");
    emit_to(out, not_on_tty, ctx, write)
}

/// [`emit`], with `not_on_tty` the reason (e.g. "Parquet is binary") the output must not go
/// to a terminal, if any.
fn emit_to(
    out: Option<&PathBuf>,
    not_on_tty: Option<&str>,
    ctx: &Context,
    write: impl FnOnce(&mut dyn Write, bool) -> Result<(), chokepoint_report::ReportError>,
) -> anyhow::Result<()> {
    match out.filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            write_atomically(path, |w| write(w, false))?;
            ctx.info(format!("wrote {}", path.display()));
            Ok(())
        }
        None => {
            let stdout = std::io::stdout();
            let tty = stdout.is_terminal();
            if let Some(why) = not_on_tty.filter(|_| tty) {
                return Err(UsageError(format!("{why}: give --out FILE or redirect stdout")).into());
            }
            let color = tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let mut lock = stdout.lock();
            write(&mut lock, color).context("writing the output")?;
            lock.flush()?;
            Ok(())
        }
    }
}

fn print_notices(ctx: &Context, result: &DependencyResult, format: OutFormat) {
    // The text formats print notices under the table; the others on stderr.
    if matches!(format, OutFormat::Json | OutFormat::Csv | OutFormat::Parquet) {
        for n in &result.notices {
            ctx.info(format!("note: {n}"));
        }
    }
}

pub async fn run_dependency(ctx: &Context, args: DependencyArgs) -> anyhow::Result<()> {
    if args.all_importers {
        return run_all_products(ctx, &args).await;
    }
    let req = request(&args.sel, args.rivals)?;
    let result = compute(ctx, &req).await?;
    print_notices(ctx, &result, args.format());
    let format = args.format().into();
    emit(args.sel.out.as_ref(), args.format(), ctx, |w, color| chokepoint_report::write_dependency(w, &result, format, color))
}

/// `dependency --all-importers --all-products`: the table of every importer × HS6 × year
/// (`chokepoint_metrics::kernels::dependency_table`), streamed to Parquet or CSV.
async fn run_all_products(ctx: &Context, args: &DependencyArgs) -> anyhow::Result<()> {
    use chokepoint_metrics::kernels::{Engine, default_threads, dependency_table};
    if !matches!(args.format(), OutFormat::Parquet | OutFormat::Csv) {
        return Err(UsageError(
            "--all-importers --all-products writes millions of rows: use --format parquet or csv (with --out FILE)".into(),
        )
        .into());
    }
    let usage = |e: DependencyError| match e {
        DependencyError::Usage(m) => anyhow::Error::new(UsageError(m)),
        other => anyhow::Error::new(other),
    };
    let store = Store::open(&ctx.data_dir)?;
    let years = dependency_table::check_years(store.manifest(), args.sel.years.as_ref().map_or(&[][..], |y| &y.0)).map_err(usage)?;
    let engine: Engine = args.engine.into();
    let info = chokepoint_metrics::method::MethodInfo::new("dependency", dependency_table::METHOD, None, store.manifest(), &["trade"]);
    let provenance = serde_json::to_string(&serde_json::json!({ "method": info, "engine": engine, "years": years }))?;
    let mut stream = match args.format() {
        OutFormat::Parquet => chokepoint_report::stream::BatchStream::parquet(dependency_table::schema(), Some(provenance))?,
        _ => chokepoint_report::stream::BatchStream::csv(),
    };
    let started = Instant::now();
    let failed = |e: anyhow::Error| chokepoint_report::ReportError::Unsupported(format!("{e:#}"));
    let mut rows = 0;
    match engine {
        Engine::Kernel => {
            let root = store.root().to_owned();
            emit(args.sel.out.as_ref(), args.format(), ctx, |w, _| {
                rows = dependency_table::kernel(&root, &years, default_threads(), |b| -> anyhow::Result<()> { Ok(stream.write(w, &b)?) })
                    .map_err(failed)?;
                stream.finish(w)
            })?;
        }
        Engine::Sql => {
            // The cross-check holds the whole table before writing it.
            let sc = session(&store).await?;
            let mut batches = Vec::new();
            rows = dependency_table::sql(&sc, &years, |b| -> Result<(), DependencyError> {
                batches.push(b);
                Ok(())
            })
            .await
            .map_err(usage)?;
            emit(args.sel.out.as_ref(), args.format(), ctx, |w, _| {
                for b in &batches {
                    stream.write(w, b)?;
                }
                stream.finish(w)
            })?;
        }
    }
    ctx.info(format!(
        "{rows} rows (every importer × HS6 with imports, {} year(s)) by the {engine} engine in {:.2} s",
        years.len(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

pub async fn run_report(ctx: &Context, args: ReportArgs) -> anyhow::Result<()> {
    let Some(out_format) = args.format().out_format() else {
        return run_html_report(ctx, args).await;
    };
    if args.web_assets.is_some() {
        return Err(UsageError("--web-assets applies to --format html only".into()).into());
    }
    let req = request(&args.sel, !args.no_rivals)?;
    let result = compute(ctx, &req).await?;
    print_notices(ctx, &result, out_format);
    let b = briefing(&result, args.briefing_min_usd);
    let format = out_format.into();
    let min = args.briefing_min_usd;
    emit(args.sel.out.as_ref(), out_format, ctx, |w, color| chokepoint_report::write_report(w, &result, &b, min, format, color))
}

/// `report --format html`: the report's rows and briefing, plus the supplier shares of the
/// flagged materials over every year of the store, rendered into one self-contained page.
async fn run_html_report(ctx: &Context, args: ReportArgs) -> anyhow::Result<()> {
    // The assets first: a missing install is a usage error before any computation.
    let dir = WebAssets::locate(args.web_assets.as_deref())
        .ok_or_else(|| UsageError(format!("no web-assets directory: give --web-assets DIR or set {}", html::ASSETS_ENV)))?;
    let assets = WebAssets::load(&dir).map_err(|e| UsageError(e.to_string()))?;
    if args.sel.out.as_ref().is_none_or(|p| p.as_os_str() == "-") && std::io::stdout().is_terminal() {
        return Err(UsageError("HTML is a page to open in a browser: give --out report.html or redirect stdout".into()).into());
    }
    let req = request(&args.sel, !args.no_rivals)?;
    let store = Store::open(&ctx.data_dir)?;
    let sc = session(&store).await?;
    let usage = |e: DependencyError| match e {
        DependencyError::Usage(m) => anyhow::Error::new(UsageError(m)),
        other => anyhow::Error::new(other),
    };
    let started = Instant::now();
    let result = dependency(&sc, store.manifest(), &req).await.map_err(usage)?;
    for n in &result.notices {
        ctx.info(format!("note: {n}"));
    }
    let b = briefing(&result, args.briefing_min_usd);
    let flagged = html::flagged_items(&b);
    let histories = if flagged.is_empty() {
        Vec::new()
    } else {
        let items = match &req.items {
            ItemSelection::Hs6(_) => ItemSelection::Hs6(flagged.iter().map(|i| i.trim_start_matches("HS ").to_owned()).collect()),
            _ => ItemSelection::Materials(flagged.clone()),
        };
        // Every year of the store up to the report's last, so that the charts run from the
        // first year of the data to the year of the report.
        let last = result.provenance.years.iter().copied().max().unwrap_or(i32::MAX);
        let years: Vec<i32> = store.manifest().trade_years.keys().copied().filter(|y| *y <= last).collect();
        let hreq = DependencyRequest { items, years, ..req.clone() };
        supplier_history(&sc, store.manifest(), &hreq).await.map_err(usage)?
    };
    tracing::info!("{} rows and {} supplier histories in {:.2} s", result.rows.len(), histories.len(), started.elapsed().as_secs_f64());
    let generated = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let manifest = store.manifest();
    let page = HtmlReport {
        result: &result,
        briefings: &b,
        min_value_usd: args.briefing_min_usd,
        histories: &histories,
        sources: &manifest.sources,
        store_created: &manifest.created,
        generated: &generated,
        version: env!("CARGO_PKG_VERSION"),
    };
    emit_to(args.sel.out.as_ref(), None, ctx, |w, _| html::write_html(w, &page, &assets))
}

#[cfg(test)]
mod tests {
    use super::parse_years;

    #[test]
    fn years() {
        assert_eq!(parse_years("2022").unwrap(), vec![2022]);
        assert_eq!(parse_years("2020..2022").unwrap(), vec![2020, 2021, 2022]);
        assert_eq!(parse_years("2020..=2021").unwrap(), vec![2020, 2021]);
        assert_eq!(parse_years("2012,2017").unwrap(), vec![2012, 2017]);
        assert!(parse_years("2022..2020").unwrap_err().contains("must not be after"));
        assert!(parse_years("last").unwrap_err().contains("not a year"));
        assert!(parse_years("20222").is_err());
    }
}
