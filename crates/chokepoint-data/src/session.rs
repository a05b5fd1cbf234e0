//! The one query path: a DataFusion `SessionContext` over the store. Every later command
//! (dependency figures, risk methods, scenarios, the SQL shell) plans its queries here.

use arrow::datatypes::DataType;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

use crate::error::{DataError, Result};
use crate::schema::Table;
use crate::store::Store;

/// Name under which the raw year-partitioned trade files are registered; the `trade` view
/// over it puts the columns in their documented order.
pub const TRADE_FILES: &str = "trade_files";

/// A `SessionContext` with every table of `store` registered:
///
/// | table | columns |
/// |---|---|
/// | `trade` | year, exporter, importer, hs6, value_usd, quantity_t |
/// | `countries` | baci_code, iso3, baci_iso3, iso2, name |
/// | `products` | hs6, hs_revision, description |
/// | `materials` | material, reference_id, symbol, category, stage, hs6_main, hs6_complementary, hs6_description, eol_rir, reference |
/// | `production` | material, country, country_name, year, amount, unit, status |
/// | `governance` | country, country_name, year, indicator, estimate, normalized, std_error, num_sources, percentile_rank, lower, upper |
///
/// `trade` is partitioned by year, so a `WHERE year = …` reads only that year's files.
/// The plans hold no process-local state beyond the table paths.
pub async fn session(store: &Store) -> Result<SessionContext> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let config = SessionConfig::new().with_target_partitions(threads).with_information_schema(true);
    let ctx = SessionContext::new_with_config(config);
    for table in Table::ALL {
        let path = store.table_path(table);
        let url = path.to_str().ok_or_else(|| DataError::Invalid(format!("{}: store path is not UTF-8", path.display())))?;
        if table == Table::Trade {
            let opts =
                ParquetReadOptions::default().table_partition_cols(vec![("year".to_owned(), DataType::Int32)]).file_extension(".parquet");
            ctx.register_parquet(TRADE_FILES, &format!("{url}/"), opts).await?;
            let view =
                ctx.sql(&format!("SELECT year, exporter, importer, hs6, value_usd, quantity_t FROM {TRADE_FILES}")).await?.into_view();
            ctx.register_table("trade", view)?;
        } else {
            ctx.register_parquet(table.name(), url, ParquetReadOptions::default()).await?;
        }
    }
    Ok(ctx)
}

/// Run one SQL statement over the store and collect its batches.
pub async fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<arrow::array::RecordBatch>> {
    Ok(ctx.sql(sql).await?.collect().await?)
}
