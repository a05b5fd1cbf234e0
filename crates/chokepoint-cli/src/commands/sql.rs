//! `chokepoint sql`: any SQL over the store, through the same DataFusion session that
//! every other command uses.

use anyhow::Context as _;
use clap::Args;
use datafusion::execution::context::SQLOptions;

use chokepoint_data::{Store, session};

use crate::Context;
use crate::output::{Format, write_batches};

#[derive(Args, Debug)]
#[command(
    after_help = "Tables: trade(year, exporter, importer, hs6, value_usd, quantity_t), countries, products, materials, production, governance. `SHOW TABLES` and `DESCRIBE trade` list them.\n\nExamples:\n  chokepoint sql \"SELECT count(*) FROM trade\"\n  chokepoint sql --format csv \"SELECT exporter, sum(value_usd) AS usd FROM trade WHERE importer = 'JPN' AND hs6 = '280530' AND year = 2022 GROUP BY exporter ORDER BY usd DESC\""
)]
pub struct SqlArgs {
    /// The SQL statement (DataFusion dialect).
    query: String,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub async fn run(ctx: &Context, args: SqlArgs) -> anyhow::Result<()> {
    let store = Store::open(&ctx.data_dir)?;
    let sc = session(&store).await?;
    // Read-only: no CREATE, INSERT, COPY or SET — the store changes only through `ingest`.
    let read_only = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
    let df = match sc.sql_with_options(&args.query, read_only).await {
        Ok(df) => df,
        // DataFusion refuses DDL, DML and statements with "… not supported".
        Err(e) if e.to_string().contains("not supported") => {
            return Err(anyhow::Error::new(e).context("chokepoint sql is read-only: SELECT, SHOW, DESCRIBE, EXPLAIN"));
        }
        Err(e) => return Err(anyhow::Error::new(e).context("the query cannot be run")),
    };
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let mut batches = df.collect().await.context("the query failed")?;
    if batches.is_empty() {
        // An empty result still has its columns (CSV header, table header).
        batches.push(arrow::array::RecordBatch::new_empty(schema));
    }
    let stdout = std::io::stdout();
    write_batches(&mut stdout.lock(), &batches, args.format)
}
