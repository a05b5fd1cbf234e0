//! BACI country codes → ISO3, with the quirks of DATA.md §3 resolved:
//! - Taiwan is BACI code 490 with ISO3 field `S19` ("Other Asia, nes"): stored as `TWN`,
//!   the original field kept in `baci_iso3`;
//! - several BACI codes can share one ISO3 (58 Belgium-Luxembourg and 56 Belgium → `BEL`;
//!   736 and 729 Sudan → `SDN`; 280 and 276 → `DEU`): trade is aggregated on ISO3, so a
//!   flow is never dropped and never counted twice;
//! - names are repaired where the bundle double-encoded them (`CuraÃ§ao` → `Curaçao`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{Int32Array, RecordBatch, StringArray};

use chokepoint_model::resolve_baci_iso3;

use crate::error::{DataError, Result};
use crate::schema::Table;

/// One row of the `countries` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// BACI numeric country code (`i`, `j` in trade files).
    pub baci_code: i32,
    /// ISO3 as chokepoint uses it (`TWN` for BACI's `S19`).
    pub iso3: String,
    /// The ISO3 field exactly as BACI gives it.
    pub baci_iso3: String,
    /// ISO 3166-1 alpha-2, when BACI gives one.
    pub iso2: Option<String>,
    /// Country name (mojibake repaired).
    pub name: String,
}

impl Country {
    /// Build a row from BACI's fields, resolving `S19` and repairing the name.
    pub fn from_baci(baci_code: i32, name: &str, iso2: &str, baci_iso3: &str) -> Country {
        let baci_iso3 = baci_iso3.trim().to_owned();
        let iso2 = iso2.trim();
        Country {
            baci_code,
            iso3: resolve_baci_iso3(&baci_iso3).to_owned(),
            baci_iso3,
            iso2: (!iso2.is_empty()).then(|| iso2.to_owned()),
            name: crate::parse::repair_mojibake(name.trim()),
        }
    }
}

/// The country table with a fast code → ISO3-index lookup for trade ingest.
///
/// ISO3 indexes are positions in [`CountryTable::iso3s`], which is sorted, so ordering rows
/// by index orders them by ISO3 text.
#[derive(Debug, Clone)]
pub struct CountryTable {
    countries: Vec<Country>,
    iso3s: Vec<String>,
    by_code: HashMap<i32, u16>,
}

impl CountryTable {
    /// Build from rows; a BACI code listed twice is an error naming it.
    pub fn new(mut countries: Vec<Country>, source: &str) -> Result<CountryTable> {
        countries.sort_by_key(|c| c.baci_code);
        if let Some(w) = countries.windows(2).find(|w| w[0].baci_code == w[1].baci_code) {
            return Err(DataError::Invalid(format!(
                "{source}: country code {} is listed twice ({:?} and {:?})",
                w[0].baci_code, w[0].name, w[1].name
            )));
        }
        let iso3s: Vec<String> = countries.iter().map(|c| c.iso3.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        if iso3s.len() > u16::MAX as usize {
            return Err(DataError::Invalid(format!("{source}: more than 65535 countries")));
        }
        let index: HashMap<&str, u16> = iso3s.iter().enumerate().map(|(i, s)| (s.as_str(), i as u16)).collect();
        let by_code = countries.iter().map(|c| (c.baci_code, index[c.iso3.as_str()])).collect();
        Ok(CountryTable { countries, iso3s, by_code })
    }

    /// Merge: rows of `newer` replace rows of `self` with the same BACI code.
    pub fn merged_with(&self, newer: &CountryTable, source: &str) -> Result<CountryTable> {
        let mut by_code: BTreeMap<i32, Country> = self.countries.iter().map(|c| (c.baci_code, c.clone())).collect();
        for c in &newer.countries {
            by_code.insert(c.baci_code, c.clone());
        }
        CountryTable::new(by_code.into_values().collect(), source)
    }

    /// Index of the ISO3 of a BACI code, or `None` for an unknown code.
    pub fn iso3_index(&self, baci_code: i32) -> Option<u16> {
        self.by_code.get(&baci_code).copied()
    }

    /// ISO3 codes, sorted; [`CountryTable::iso3_index`] points into this.
    pub fn iso3s(&self) -> &[String] {
        &self.iso3s
    }

    /// ISO3 of a BACI code.
    pub fn iso3_of(&self, baci_code: i32) -> Option<&str> {
        self.iso3_index(baci_code).map(|i| self.iso3s[i as usize].as_str())
    }

    /// The rows, sorted by BACI code.
    pub fn countries(&self) -> &[Country] {
        &self.countries
    }

    /// ISO3 codes shared by more than one BACI code, with those codes.
    pub fn shared_iso3(&self) -> BTreeMap<String, Vec<i32>> {
        let mut m: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for c in &self.countries {
            m.entry(c.iso3.clone()).or_default().push(c.baci_code);
        }
        m.retain(|_, v| v.len() > 1);
        m
    }

    /// The `countries` table as one record batch.
    pub fn to_batch(&self) -> Result<RecordBatch> {
        let c = &self.countries;
        Ok(RecordBatch::try_new(
            Table::Countries.schema(),
            vec![
                Arc::new(Int32Array::from_iter_values(c.iter().map(|c| c.baci_code))),
                Arc::new(StringArray::from_iter_values(c.iter().map(|c| &c.iso3))),
                Arc::new(StringArray::from_iter_values(c.iter().map(|c| &c.baci_iso3))),
                Arc::new(c.iter().map(|c| c.iso2.as_deref()).collect::<StringArray>()),
                Arc::new(StringArray::from_iter_values(c.iter().map(|c| &c.name))),
            ],
        )?)
    }

    /// Read the table back from the store's `countries` batches.
    pub fn from_batches(batches: &[RecordBatch], source: &str) -> Result<CountryTable> {
        use arrow::array::{Array, AsArray};
        use arrow::datatypes::Int32Type;
        let mut rows = Vec::new();
        for b in batches {
            let code = b.column(0).as_primitive::<Int32Type>();
            let iso3 = b.column(1).as_string::<i32>();
            let baci_iso3 = b.column(2).as_string::<i32>();
            let iso2 = b.column(3).as_string::<i32>();
            let name = b.column(4).as_string::<i32>();
            for r in 0..b.num_rows() {
                rows.push(Country {
                    baci_code: code.value(r),
                    iso3: iso3.value(r).to_owned(),
                    baci_iso3: baci_iso3.value(r).to_owned(),
                    iso2: (!iso2.is_null(r)).then(|| iso2.value(r).to_owned()),
                    name: name.value(r).to_owned(),
                });
            }
        }
        CountryTable::new(rows, source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CountryTable {
        CountryTable::new(
            vec![
                Country::from_baci(392, "Japan", "JP", "JPN"),
                Country::from_baci(490, "Other Asia, nes", "", "S19"),
                Country::from_baci(729, "Sudan", "SD", "SDN"),
                Country::from_baci(736, "Sudan (...2011)", "SD", "SDN"),
                Country::from_baci(531, "CuraÃ§ao", "CW", "CUW"),
            ],
            "test",
        )
        .unwrap()
    }

    #[test]
    fn taiwan_s19_is_stored_as_twn_with_the_original_kept() {
        let t = table();
        assert_eq!(t.iso3_of(490), Some("TWN"));
        let tw = t.countries().iter().find(|c| c.baci_code == 490).unwrap();
        assert_eq!(tw.baci_iso3, "S19");
        assert_eq!(tw.iso2, None);
    }

    #[test]
    fn shared_iso3_codes_map_to_one_index() {
        let t = table();
        assert_eq!(t.iso3_index(729), t.iso3_index(736));
        assert_eq!(t.shared_iso3().get("SDN"), Some(&vec![729, 736]));
        assert_eq!(t.iso3_of(999), None);
        // Index order is ISO3 order.
        assert_eq!(t.iso3s(), &["CUW", "JPN", "SDN", "TWN"]);
    }

    #[test]
    fn names_are_repaired_and_duplicates_rejected() {
        let t = table();
        assert_eq!(t.countries().iter().find(|c| c.baci_code == 531).unwrap().name, "Curaçao");
        let err =
            CountryTable::new(vec![Country::from_baci(1, "A", "", "AAA"), Country::from_baci(1, "B", "", "BBB")], "codes.csv").unwrap_err();
        assert!(err.to_string().contains("country code 1 is listed twice"), "{err}");
    }

    #[test]
    fn merge_prefers_the_newer_rows() {
        let newer = CountryTable::new(vec![Country::from_baci(392, "Japan (new)", "JP", "JPN")], "n").unwrap();
        let m = table().merged_with(&newer, "m").unwrap();
        assert_eq!(m.countries().len(), 5);
        assert_eq!(m.countries().iter().find(|c| c.baci_code == 392).unwrap().name, "Japan (new)");
    }
}
