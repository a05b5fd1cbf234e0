//! Helpers shared by the data crate's integration tests.
#![allow(dead_code)]

use std::path::Path;

use arrow::util::display::array_value_to_string;
use chokepoint_data::{Store, session};

/// Run SQL over the current store of `data_dir`; rows as display strings (NULL → "NULL").
pub fn sql(data_dir: &Path, query: &str) -> Vec<Vec<String>> {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let store = Store::open(data_dir).unwrap();
        let ctx = session(&store).await.unwrap();
        let batches = ctx.sql(query).await.unwrap().collect().await.unwrap();
        let mut out = Vec::new();
        for b in batches {
            for r in 0..b.num_rows() {
                out.push(
                    b.columns()
                        .iter()
                        .map(|c| if arrow::array::Array::is_null(c, r) { "NULL".to_owned() } else { array_value_to_string(c, r).unwrap() })
                        .collect(),
                );
            }
        }
        out
    })
}

/// One scalar as f64.
pub fn sql_f64(data_dir: &Path, query: &str) -> f64 {
    sql(data_dir, query)[0][0].parse().unwrap()
}

/// Relative difference, 0 when both are 0.
pub fn rel_diff(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { (a - b).abs() / a.abs().max(b.abs()) }
}
