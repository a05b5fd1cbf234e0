//! The store's tables and their Arrow schemas. Every table is typed Parquet; `trade` is
//! partitioned by year (`trade/year=1995/part-0.parquet`, Hive style), the others are one
//! file each. Changing a schema means bumping [`SCHEMA_VERSION`].

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// Version of the store layout and schemas; written to `manifest.json` and checked on open.
pub const SCHEMA_VERSION: u32 = 1;

/// A table of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Bilateral trade flows: one row per year × exporter × importer × HS6.
    Trade,
    /// BACI country codes with their ISO3 and names.
    Countries,
    /// HS6 product codes with descriptions, per HS revision.
    Products,
    /// Raw materials with their HS6 codes, supply-chain stage and EoL-RIR.
    Materials,
    /// Mine / refinery production by material, country and year.
    Production,
    /// Governance indicators (WGI) by country and year.
    Governance,
}

impl Table {
    /// Every table, in a stable order.
    pub const ALL: [Table; 6] = [Table::Trade, Table::Countries, Table::Products, Table::Materials, Table::Production, Table::Governance];

    /// The table's name in SQL and on disk.
    pub fn name(self) -> &'static str {
        match self {
            Table::Trade => "trade",
            Table::Countries => "countries",
            Table::Products => "products",
            Table::Materials => "materials",
            Table::Production => "production",
            Table::Governance => "governance",
        }
    }

    /// The Arrow schema of the table's Parquet files. For `trade` the `year` column is not
    /// in the files but in the partition directory names; [`Table::schema`] of `trade`
    /// describes the file columns only.
    pub fn schema(self) -> SchemaRef {
        match self {
            Table::Trade => trade_file_schema(),
            Table::Countries => Arc::new(Schema::new(vec![
                Field::new("baci_code", DataType::Int32, false),
                Field::new("iso3", DataType::Utf8, false),
                Field::new("baci_iso3", DataType::Utf8, false),
                Field::new("iso2", DataType::Utf8, true),
                Field::new("name", DataType::Utf8, false),
            ])),
            Table::Products => Arc::new(Schema::new(vec![
                Field::new("hs6", DataType::Utf8, false),
                Field::new("hs_revision", DataType::Utf8, false),
                Field::new("description", DataType::Utf8, true),
            ])),
            Table::Materials => Arc::new(Schema::new(vec![
                Field::new("material", DataType::Utf8, false),
                Field::new("reference_id", DataType::Utf8, true),
                Field::new("symbol", DataType::Utf8, true),
                Field::new("category", DataType::Utf8, true),
                Field::new("stage", DataType::Utf8, true),
                Field::new("hs6_main", list_of_utf8(), false),
                Field::new("hs6_complementary", list_of_utf8(), false),
                Field::new("hs6_description", DataType::Utf8, true),
                Field::new("eol_rir", DataType::Float64, true),
                Field::new("reference", DataType::Utf8, true),
            ])),
            Table::Production => Arc::new(Schema::new(vec![
                Field::new("material", DataType::Utf8, false),
                Field::new("country", DataType::Utf8, false),
                Field::new("country_name", DataType::Utf8, false),
                Field::new("year", DataType::Int32, false),
                Field::new("amount", DataType::Float64, false),
                Field::new("unit", DataType::Utf8, false),
                Field::new("status", DataType::Utf8, true),
            ])),
            Table::Governance => Arc::new(Schema::new(vec![
                Field::new("country", DataType::Utf8, false),
                Field::new("country_name", DataType::Utf8, false),
                Field::new("year", DataType::Int32, false),
                Field::new("indicator", DataType::Utf8, false),
                Field::new("estimate", DataType::Float64, true),
                Field::new("normalized", DataType::Float64, true),
                Field::new("std_error", DataType::Float64, true),
                Field::new("num_sources", DataType::Float64, true),
                Field::new("percentile_rank", DataType::Float64, true),
                Field::new("lower", DataType::Float64, true),
                Field::new("upper", DataType::Float64, true),
            ])),
        }
    }
}

/// `List<Utf8>` with the item field Arrow's builders produce.
pub fn list_of_utf8() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// Columns of the `trade` Parquet files (the `year` lives in the partition path):
/// - `exporter`, `importer`: ISO3 (BACI `i`, `j` mapped through the country table; `S19` → `TWN`);
/// - `hs6`: 6-character HS code (BACI `k`);
/// - `value_usd`: FOB value in USD (BACI `v`, thousands of USD, × 1000);
/// - `quantity_t`: quantity in metric tonnes (BACI `q`), null where BACI has none.
///
/// Rows are sorted by importer, hs6, exporter within each file.
pub fn trade_file_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("importer", DataType::Utf8, false),
        Field::new("hs6", DataType::Utf8, false),
        Field::new("exporter", DataType::Utf8, false),
        Field::new("value_usd", DataType::Float64, false),
        Field::new("quantity_t", DataType::Float64, true),
    ]))
}
