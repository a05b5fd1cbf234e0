//! The dashboard at `/` and the browser files it loads from `/assets/…`.
//!
//! The page (`dashboard.html`, `dashboard.js`) picks importers (countries, coalitions such
//! as `JPN+DEU`, groups such as EU27 and G7), a material, a range of years and watched
//! suppliers, calls `/api/dependency` and `/api/history`, and draws the charts of the HTML
//! report — world map of supplier shares, stacked area of the shares over the years, bars
//! of top share and HHI by importer — with the report's own drawing code
//! ([`chokepoint_report::html::CHARTS_JS`]), plus the table.
//!
//! Apache ECharts, topojson-client, the world-atlas geometry and the ISO 3166 code table
//! are not part of chokepoint: they are read at start from the directory
//! `scripts/web-assets.sh` installs ([`WebAssets`]: `--web-assets DIR`, else
//! `$CHOKEPOINT_WEB_ASSETS`, else `~/.cache/chokepoint-web`) and served from here, so the
//! page needs no network beyond this server. Without them the API still works; the page
//! and the log say what to install, and the page shows the table only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use serde::Serialize;
use utoipa::ToSchema;

use chokepoint_report::html::{ASSETS_ENV, ASSETS_SCRIPT, CHARTS_JS, STYLE, WebAssets};

use crate::AppState;
use crate::error::ApiError;

const PAGE: &str = include_str!("dashboard.html");
const SCRIPT: &str = include_str!("dashboard.js");
/// Where the page shows why the charts are missing.
const NOTICE_SLOT: &str = "<!--web-assets-notice-->";

/// The browser files, or why they could not be read.
#[derive(Debug)]
pub struct WebFiles {
    assets: Result<Loaded, String>,
}

/// The files of [`WebAssets`] as response bodies (cloned without copying).
#[derive(Debug)]
struct Loaded {
    dir: PathBuf,
    echarts: Bytes,
    topojson: Bytes,
    world: Bytes,
    codes: Bytes,
}

impl WebFiles {
    /// Read the web assets from `dir`, else `$CHOKEPOINT_WEB_ASSETS`, else
    /// `~/.cache/chokepoint-web`. A missing or incomplete directory is not an error: it is
    /// logged (warning) and the page says so ([`WebFiles::missing`]).
    pub fn load(dir: Option<&Path>) -> WebFiles {
        let assets = match WebAssets::locate(dir) {
            None => Err(format!("no web-assets directory: give --web-assets DIR or set {ASSETS_ENV}")),
            Some(d) => WebAssets::load(&d).map_err(|e| e.to_string()).map(|a| Loaded {
                dir: a.dir.clone(),
                echarts: Bytes::from(a.echarts_js().to_owned()),
                topojson: Bytes::from(a.topojson_js().to_owned()),
                world: Bytes::from(a.world_topojson().to_owned()),
                codes: Bytes::from(a.iso_codes().to_owned()),
            }),
        };
        if let Err(e) = &assets {
            tracing::warn!(
                "the dashboard at / shows no charts: {e}. Install the chart library and map geometry with `{ASSETS_SCRIPT}`; the API works without them"
            );
        }
        WebFiles { assets }
    }

    /// Why the charts cannot be served (the missing file and the script that installs it),
    /// or `None` when every file was read.
    pub fn missing(&self) -> Option<&str> {
        self.assets.as_ref().err().map(String::as_str)
    }

    /// The directory the assets were read from.
    pub fn dir(&self) -> Option<&Path> {
        self.assets.as_ref().ok().map(|a| a.dir.as_path())
    }
}

/// `GET /`, `GET /assets/{file}` and `GET /api/groups`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/", get(page)).route("/assets/{file}", get(asset)).route("/api/groups", get(groups))
}

/// A country group that can be an importer (`params/country_groups.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupSummary {
    /// Name to use as an importer (`EU27`, `G7`), alone or in a coalition (`EU27+JPN`).
    pub name: String,
    pub description: String,
    /// Members (ISO3) in `year`.
    pub members: Vec<String>,
    /// The last trade year of the store (membership changes over the years; each result
    /// uses the members of its own year).
    pub year: Option<i32>,
}

/// The country groups usable as importers, with their members in the store's last trade year.
#[utoipa::path(get, path = "/api/groups", responses((status = 200, body = Vec<GroupSummary>)))]
pub async fn groups(State(s): State<Arc<AppState>>) -> Json<Vec<GroupSummary>> {
    let year = s.manifest().trade_year_range().map(|(_, last)| last);
    let out = s
        .groups
        .names()
        .into_iter()
        .filter_map(|name| {
            let g = s.groups.group(name)?;
            let members = match (year, s.groups.parse_importer(name)) {
                (Some(y), Ok(spec)) => s.groups.members(&spec, y).into_iter().collect(),
                _ => Vec::new(),
            };
            Some(GroupSummary { name: g.name.clone(), description: g.description.clone(), members, year })
        })
        .collect();
    Json(out)
}

/// The dashboard; with a notice above the controls when the web assets are missing.
async fn page(State(s): State<Arc<AppState>>) -> Html<String> {
    let notice = s.web.missing().map_or(String::new(), |e| {
        format!(
            "<p class=\"error\" id=\"assets-missing\">The charts need the chart library and map geometry, which this server could not read: {}. Install them with <code>{ASSETS_SCRIPT}</code> and restart (or start with <code>chokepoint serve --web-assets DIR</code>). The table below works without them.</p>",
            html_escape(e)
        )
    });
    Html(PAGE.replace(NOTICE_SLOT, &notice))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One file of the page: its own script and style sheet (compiled in), the report's chart
/// code, and the four files of the web assets.
async fn asset(State(s): State<Arc<AppState>>, UrlPath(file): UrlPath<String>) -> Response {
    const JS: &str = "text/javascript; charset=utf-8";
    const JSON: &str = "application/json";
    let own = match file.as_str() {
        "dashboard.js" => Some((JS, SCRIPT)),
        "charts.js" => Some((JS, CHARTS_JS)),
        "report.css" => Some(("text/css; charset=utf-8", STYLE)),
        _ => None,
    };
    if let Some((ct, body)) = own {
        return ([(header::CONTENT_TYPE, ct)], body).into_response();
    }
    const LIBRARIES: [&str; 4] = ["echarts.min.js", "topojson-client.min.js", "countries-110m.json", "iso-codes.json"];
    if !LIBRARIES.contains(&file.as_str()) {
        return ApiError::not_found(format!("no asset {file:?}; there are dashboard.js, charts.js, report.css, {}", LIBRARIES.join(", ")))
            .into_response();
    }
    let a = match &s.web.assets {
        Ok(a) => a,
        Err(e) => return ApiError::not_found(format!("{file} is not installed: {e}")).into_response(),
    };
    let (ct, body) = match file.as_str() {
        "echarts.min.js" => (JS, &a.echarts),
        "topojson-client.min.js" => (JS, &a.topojson),
        "countries-110m.json" => (JSON, &a.world),
        _ => (JSON, &a.codes),
    };
    ([(header::CONTENT_TYPE, ct)], body.clone()).into_response()
}
