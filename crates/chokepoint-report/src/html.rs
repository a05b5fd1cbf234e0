//! The self-contained HTML report (`chokepoint report --format html`): one file that opens
//! offline, with the briefing, the ranked table, per flagged material a world map of its
//! suppliers (choropleth of shares), a stacked-area chart of supplier shares over the years
//! and bars of top share and HHI by importer, and the methods and sources with the
//! manifest's checksums.
//!
//! The charts are drawn by Apache ECharts and the map geometry is Natural Earth 1:110m
//! (the `world-atlas` package, TopoJSON turned into GeoJSON by `topojson-client`; its
//! features carry ISO 3166-1 numeric ids, mapped to the store's ISO3 codes with the
//! `i18n-iso-countries` code table). These files are not part of chokepoint: the npm
//! packages pinned in `web/package-lock.json` are installed by `scripts/web-assets.sh`
//! into a cache ([`WebAssets::default_dir`]) and inlined here, so the page needs no
//! network. The page's own script (`report.js`, compiled in) only turns the embedded data
//! into chart options.
//!
//! Like every renderer this module formats; the figures come from
//! `chokepoint_metrics::dependency` (the rows, the briefing and [`SupplierHistory`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use chokepoint_data::manifest::SourceInfo;
use chokepoint_metrics::dependency::briefing::{ImporterBriefing, item_label};
use chokepoint_metrics::dependency::{DependencyResult, SupplierHistory};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Serialize;
use serde_json::json;

use crate::ReportError;
use crate::text::{pct, pp, usd};

/// Environment variable naming the web-assets directory.
pub const ASSETS_ENV: &str = "CHOKEPOINT_WEB_ASSETS";

/// The script that installs the web assets.
pub const ASSETS_SCRIPT: &str = "scripts/web-assets.sh";

/// Suppliers drawn as their own band in the stacked-area chart; the rest is one "Other" band.
pub const AREA_SUPPLIERS: usize = 7;

/// The files inlined into the page: (npm package, file inside it, what it is).
const FILES: [(&str, &str, &str); 4] = [
    ("echarts", "dist/echarts.min.js", "Apache ECharts, the charts"),
    ("topojson-client", "dist/topojson-client.min.js", "TopoJSON → GeoJSON"),
    ("world-atlas", "countries-110m.json", "Natural Earth 1:110m admin-0 countries (TopoJSON)"),
    ("i18n-iso-countries", "codes.json", "ISO 3166-1 alpha-2, alpha-3 and numeric codes"),
];

/// One npm package inlined into the page, named in the methods section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    pub name: String,
    /// Version from the package's `package.json`.
    pub version: String,
    pub license: String,
    /// What it does in the page.
    pub role: String,
}

/// The browser assets read from an installed `web/` package set (`DIR/node_modules/…`).
#[derive(Debug, Clone)]
pub struct WebAssets {
    pub dir: PathBuf,
    echarts_js: String,
    topojson_js: String,
    world_topojson: String,
    iso_codes: String,
    pub libraries: Vec<Library>,
}

impl WebAssets {
    /// The default directory: `$HOME/.cache/chokepoint-web` (where `scripts/web-assets.sh` installs).
    pub fn default_dir() -> Option<PathBuf> {
        std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".cache").join("chokepoint-web"))
    }

    /// The directory to use: `flag`, else `$CHOKEPOINT_WEB_ASSETS`, else [`Self::default_dir`].
    pub fn locate(flag: Option<&Path>) -> Option<PathBuf> {
        flag.map(Path::to_path_buf)
            .or_else(|| std::env::var_os(ASSETS_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
            .or_else(Self::default_dir)
    }

    /// Read the assets under `dir/node_modules/`.
    ///
    /// Errors: [`ReportError::Assets`] naming the missing or unreadable file and the script that
    /// installs it; also when a script contains `</script`, which would end the inlined tag early.
    pub fn load(dir: &Path) -> Result<WebAssets, ReportError> {
        let missing = |what: String| {
            ReportError::Assets(format!(
                "{what}: the HTML report inlines the chart library and map geometry from {}; install them with `{ASSETS_SCRIPT}` (or point --web-assets / ${ASSETS_ENV} at a directory where it ran)",
                dir.display()
            ))
        };
        let read = |package: &str, file: &str| -> Result<String, ReportError> {
            let path = dir.join("node_modules").join(package).join(file);
            std::fs::read_to_string(&path).map_err(|e| missing(format!("{}: {e}", path.display())))
        };
        let mut contents = Vec::new();
        let mut libraries = Vec::new();
        for (package, file, role) in FILES {
            let body = read(package, file)?;
            if file.ends_with(".js") && body.to_ascii_lowercase().contains("</script") {
                return Err(ReportError::Assets(format!(
                    "{package}/{file} contains `</script`, which cannot be inlined in a <script> element"
                )));
            }
            contents.push(body);
            let meta: serde_json::Value = serde_json::from_str(&read(package, "package.json")?)
                .map_err(|e| missing(format!("{package}/package.json is not JSON ({e})")))?;
            let field = |k: &str| meta.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_owned();
            libraries.push(Library {
                name: package.to_owned(),
                version: field("version"),
                license: field("license"),
                role: role.to_owned(),
            });
        }
        let mut it = contents.into_iter();
        let mut next = || it.next().unwrap_or_default();
        Ok(WebAssets {
            dir: dir.to_path_buf(),
            echarts_js: next(),
            topojson_js: next(),
            world_topojson: next(),
            iso_codes: next(),
            libraries,
        })
    }

    /// Apache ECharts (`echarts/dist/echarts.min.js`).
    pub fn echarts_js(&self) -> &str {
        &self.echarts_js
    }

    /// topojson-client (`topojson-client/dist/topojson-client.min.js`).
    pub fn topojson_js(&self) -> &str {
        &self.topojson_js
    }

    /// Natural Earth 1:110m countries as TopoJSON (`world-atlas/countries-110m.json`).
    pub fn world_topojson(&self) -> &str {
        &self.world_topojson
    }

    /// ISO 3166-1 `[alpha-2, alpha-3, numeric]` triples (`i18n-iso-countries/codes.json`).
    pub fn iso_codes(&self) -> &str {
        &self.iso_codes
    }
}

/// What the HTML report shows.
#[derive(Debug, Clone, Copy)]
pub struct HtmlReport<'a> {
    pub result: &'a DependencyResult,
    pub briefings: &'a [ImporterBriefing],
    /// The briefing's minimum import value, USD.
    pub min_value_usd: f64,
    /// Supplier shares per year of the [`flagged_items`], for every importer of the report.
    pub histories: &'a [SupplierHistory],
    /// The store's sources (manifest): release, file, sha256, licence, citation.
    pub sources: &'a [SourceInfo],
    /// When the store was written (manifest `created`).
    pub store_created: &'a str,
    /// When the report was made (shown in the header), e.g. `2026-11-30 06:30 UTC`.
    pub generated: &'a str,
    /// chokepoint's version.
    pub version: &'a str,
}

/// The materials (or HS6 products) that get charts: those the briefing lists above the
/// top-supplier threshold for any importer (imports of at least its minimum value), in the
/// order of their largest top share. Labels as [`item_label`].
pub fn flagged_items(briefings: &[ImporterBriefing]) -> Vec<String> {
    let mut best: BTreeMap<&str, f64> = BTreeMap::new();
    for b in briefings {
        for h in &b.above_top_share {
            let e = best.entry(h.item.as_str()).or_insert(0.0);
            *e = e.max(h.top_share);
        }
    }
    let mut items: Vec<(&str, f64)> = best.into_iter().collect();
    items.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    items.into_iter().map(|(i, _)| i.to_owned()).collect()
}

/// The page's style sheet (also served by `chokepoint serve` for its dashboard).
pub const STYLE: &str = include_str!("html/report.css");
/// The drawing code shared by the report and the dashboard of `chokepoint serve`:
/// `ChokepointCharts.registerWorld(topology, isoCodes)` and
/// `ChokepointCharts.renderMaterial(root, material, importers, thresholds)`, which turn
/// [`ImporterChart`]s and bars (importer, year, top_supplier, top_share, hhi) into
/// ECharts options.
pub const CHARTS_JS: &str = include_str!("html/charts.js");
/// The report's own script: reads the embedded data and calls [`CHARTS_JS`].
const SCRIPT: &str = include_str!("html/report.js");

/// JSON for a `<script type="application/json">` element: `<` escaped so that no `</script>`
/// or `<!--` can end or alter the element.
fn script_json(v: &serde_json::Value) -> Result<String, ReportError> {
    Ok(serde_json::to_string(v)?.replace('<', "\\u003c"))
}

/// The map and stacked-area data of one importing unit × item: what the page's `charts.js`
/// draws for one importer (the report embeds it; `chokepoint serve` returns it from
/// `/api/history`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImporterChart {
    /// The latest year with imports.
    pub year: i32,
    /// Imports of that year from outside the unit, USD.
    pub import_value_usd: f64,
    /// That year's suppliers as `[ISO3, share 0–1]`, largest first; the shares add up to 1.
    pub map: Vec<(String, f64)>,
    pub area: AreaChart,
}

/// Supplier shares over the years, as bands of a stacked-area chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaChart {
    /// Years with imports, ascending.
    pub years: Vec<i32>,
    /// The suppliers with the largest peak share, largest first, then `Other` (the rest
    /// together) when there are more; each `data` has one share 0–1 per year (0 for a year
    /// without supply), and the shares of a year add up to 1.
    pub series: Vec<AreaSeries>,
}

/// One band of [`AreaChart`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaSeries {
    /// ISO3 of the supplier, or `Other`.
    pub name: String,
    pub data: Vec<f64>,
}

/// The chart data of one [`SupplierHistory`]: the last year's suppliers (map) and the shares
/// over the years with `bands` suppliers of their own (ranked by their largest share in any
/// year, ties by ISO3) and the rest as `Other`. `None` for a history without years.
pub fn importer_chart(h: &SupplierHistory, bands: usize) -> Option<ImporterChart> {
    let last = h.years.last()?;
    let mut peak: BTreeMap<&str, f64> = BTreeMap::new();
    for y in &h.years {
        for p in &y.suppliers {
            let e = peak.entry(p.country.as_str()).or_insert(0.0);
            *e = e.max(p.share);
        }
    }
    let mut ranked: Vec<(&str, f64)> = peak.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<&str> = ranked.iter().take(bands).map(|p| p.0).collect();
    let mut series: Vec<AreaSeries> = shown
        .iter()
        .map(|c| AreaSeries {
            name: (*c).to_owned(),
            data: h.years.iter().map(|y| y.suppliers.iter().find(|p| p.country == *c).map_or(0.0, |p| p.share)).collect(),
        })
        .collect();
    if ranked.len() > shown.len() {
        let set: BTreeSet<&str> = shown.iter().copied().collect();
        series.push(AreaSeries {
            name: "Other".into(),
            data: h.years.iter().map(|y| y.suppliers.iter().filter(|p| !set.contains(p.country.as_str())).map(|p| p.share).sum()).collect(),
        });
    }
    Some(ImporterChart {
        year: last.year,
        import_value_usd: last.import_value_usd,
        map: last.suppliers.iter().map(|p| (p.country.clone(), p.share)).collect(),
        area: AreaChart { years: h.years.iter().map(|y| y.year).collect(), series },
    })
}

/// The chart data of the page: per flagged item, the bars (latest row per importer) and per
/// importer the latest year's supplier shares (map) and the shares over the years (area).
fn chart_data(r: &HtmlReport) -> serde_json::Value {
    let th = r.result.provenance.thresholds;
    let importers: Vec<&str> = r.briefings.iter().map(|b| b.importer.as_str()).collect();
    let mut materials = Vec::new();
    for item in flagged_items(r.briefings) {
        // Bars: each importer's row of its briefing year.
        let mut bars = Vec::new();
        let mut default = None;
        for b in r.briefings {
            if let Some(row) = r.result.rows.iter().find(|x| x.importer == b.importer && x.year == b.year && item_label(x) == item) {
                bars.push(json!({"importer": b.importer, "year": b.year, "top_supplier": row.top_supplier, "top_share": row.top_share, "hhi": row.hhi}));
            }
            if default.is_none() && b.above_top_share.iter().any(|h| h.item == item) {
                default = Some(b.importer.clone());
            }
        }
        let mut by_importer = serde_json::Map::new();
        for h in r.histories.iter().filter(|h| h.item == item && importers.contains(&h.importer.as_str())) {
            if let Some(chart) = importer_chart(h, AREA_SUPPLIERS) {
                by_importer.insert(h.importer.clone(), serde_json::to_value(chart).unwrap_or_default());
            }
        }
        let hs6 = r.histories.iter().find(|h| h.item == item).map(|h| h.hs6.clone()).unwrap_or_default();
        materials.push(json!({"item": item, "hs6": hs6, "default": default, "bars": bars, "by_importer": by_importer}));
    }
    json!({
        "thresholds": {"top_share": th.top_share, "hhi": th.hhi},
        "basis": r.result.provenance.basis,
        "importers": importers,
        "materials": materials,
    })
}

fn unit_label(r: &HtmlReport) -> String {
    r.briefings.iter().map(|b| b.importer.as_str()).collect::<Vec<_>>().join(", ")
}

/// Write the page.
pub fn write_html(out: &mut dyn Write, r: &HtmlReport, assets: &WebAssets) -> Result<(), ReportError> {
    let p = &r.result.provenance;
    let th = p.thresholds;
    let years: BTreeSet<i32> = p.years.iter().copied().collect();
    let year_text = match (years.first(), years.last()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => String::new(),
    };
    let basis = match p.basis {
        chokepoint_metrics::dependency::Basis::Value => "import value (USD)",
        chokepoint_metrics::dependency::Basis::Quantity => "import quantity (tonnes)",
    };
    let title = format!("Supply dependency of {} — {}", unit_label(r), year_text);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"chokepoint {}\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        attr(r.version),
        text(&title)
    );
    let _ = write!(
        h,
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">Importers: <b>{}</b> · year{}: <b>{}</b> · shares of {} · made {} by chokepoint {} from the store of {} (sources and checksums <a href=\"#sources\">below</a>)</p>\n</header>\n",
        text(&title),
        text(&unit_label(r)),
        if years.len() == 1 { "" } else { "s" },
        text(&year_text),
        basis,
        text(r.generated),
        text(r.version),
        text(r.store_created),
    );
    h.push_str("<nav><a href=\"#briefing\">Briefing</a> · <a href=\"#charts\">Flagged materials</a> · <a href=\"#table\">All figures</a> · <a href=\"#sources\">Methods and sources</a></nav>\n<main>\n");

    // Briefing.
    h.push_str("<section id=\"briefing\">\n<h2>Briefing</h2>\n");
    for b in r.briefings {
        let _ = write!(
            h,
            "<h3>{} {}</h3>\n<p>{} materials/products imported; <b>{}</b> with a top supplier above {} ({}), {} with HHI above {} ({}).</p>\n",
            text(&b.importer),
            b.year,
            b.items,
            b.above_top_share.len() + b.above_top_share_small,
            pct(th.top_share),
            text(th.top_share_source()),
            b.above_hhi,
            th.hhi,
            text(th.hhi_source())
        );
        if !b.above_top_share.is_empty() {
            h.push_str("<table class=\"brief\"><thead><tr><th>material</th><th>top supplier</th><th class=\"n\">share</th><th class=\"n\">HHI</th><th class=\"n\">imports, USD</th></tr></thead><tbody>\n");
            for x in &b.above_top_share {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td class=\"n\"><b>{}</b></td><td class=\"n\">{:.2}</td><td class=\"n\">{}</td></tr>",
                    text(&x.item),
                    text(&x.top_supplier),
                    pct(x.top_share),
                    x.hhi,
                    usd(x.import_value_usd)
                );
            }
            h.push_str("</tbody></table>\n");
        }
        h.push_str("<ul>\n");
        if b.above_top_share_small > 0 {
            let _ = writeln!(
                h,
                "<li>and {} more above the threshold with imports below {} USD (in the table)</li>",
                b.above_top_share_small,
                usd(r.min_value_usd)
            );
        }
        for w in &b.watched {
            let _ = writeln!(
                h,
                "<li>{}: {} of the importer's non-energy imports (value of all these HS6 codes outside chapter 27); top supplier of {} ({}); more than half of {}</li>",
                text(&w.supplier),
                w.share_of_all.map_or("–".into(), pct),
                w.top_supplier_of.len(),
                if w.top_supplier_of.is_empty() { "none".into() } else { text(&w.top_supplier_of.join(", ")).into_owned() },
                w.majority_of.len()
            );
        }
        if !b.biggest_changes.is_empty() {
            let _ =
                write!(h, "<li>largest ten-year changes of the top-supplier share (imports of at least {} USD):<ul>", usd(r.min_value_usd));
            for c in &b.biggest_changes {
                let then = match (&c.top_supplier_10y_ago, c.top_share_10y_ago) {
                    (Some(s), Some(v)) => format!("{s} {}", pct(v)),
                    _ => "–".into(),
                };
                let _ = write!(
                    h,
                    "<li>{}: {} {} ({}; ten years earlier {})</li>",
                    text(&c.item),
                    text(&c.top_supplier),
                    pct(c.top_share),
                    pp(c.top_share_change_10y),
                    text(&then)
                );
            }
            h.push_str("</ul></li>\n");
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");

    // Charts.
    let data = chart_data(r);
    let n = data["materials"].as_array().map_or(0, Vec::len);
    let _ = write!(
        h,
        "<section id=\"charts\">\n<h2>Flagged materials</h2>\n<p>The {n} materials with a top supplier above {} for at least one importer (imports of at least {} USD). Per material: where the supply comes from in the latest year (share of the importer's imports), how the suppliers' shares moved since {}, and the top share and HHI of each importer (dashed: the thresholds). Choose the importer above the map.</p>\n<div id=\"materials\"></div>\n</section>\n",
        pct(th.top_share),
        usd(r.min_value_usd),
        r.histories.iter().filter_map(|x| x.years.first().map(|y| y.year)).min().map_or("the first year".into(), |y| y.to_string()),
    );

    // Table.
    let watch = &p.watch;
    h.push_str("<section id=\"table\">\n<h2>All figures</h2>\n<p>Ranked per importer and year, most concentrated (HHI) first. Shares 0–100 % of the importer's imports from outside itself; HHI on 0–1.</p>\n<div class=\"scroll\"><table class=\"figures\"><thead><tr><th>importer</th><th>year</th><th>material</th><th>HS6</th><th class=\"n\">imports, USD</th><th>top supplier</th><th class=\"n\">top share</th><th class=\"n\">top-3</th><th class=\"n\">HHI</th>");
    for w in watch {
        let _ = write!(h, "<th class=\"n\">{} share</th>", text(w));
    }
    h.push_str("<th class=\"n\">WGI risk</th><th class=\"n\">production HHI</th><th>top producer</th><th class=\"n\">top share Δ10y</th><th>flags</th></tr></thead><tbody>\n");
    for row in &r.result.rows {
        let flagged = !row.flags.is_empty();
        let opt = |v: Option<f64>, f: fn(f64) -> String| v.map_or("–".to_owned(), f);
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.3}</td>",
            if flagged { " class=\"flag\"" } else { "" },
            text(&row.importer),
            row.year,
            text(&item_label(row)),
            text(&row.hs6.join(" ")),
            usd(row.import_value_usd),
            text(&row.top_supplier),
            pct(row.top_share),
            pct(row.top3_share),
            row.hhi
        );
        for w in watch {
            let _ = write!(h, "<td class=\"n\">{}</td>", row.watch_shares.get(w).map_or("–".into(), |s| pct(*s)));
        }
        let _ = writeln!(
            h,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            opt(row.import_risk_wgi, |v| format!("{v:.3}")),
            opt(row.production_hhi, |v| format!("{v:.3}")),
            text(&match (&row.top_producer, row.top_producer_share) {
                (Some(c), Some(s)) => format!("{c} {}", pct(s)),
                _ => "–".into(),
            }),
            opt(row.top_share_change_10y, pp),
            text(&row.flags.join(" ")),
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");

    // Methods and sources.
    h.push_str("<section id=\"sources\">\n<h2>Methods and sources</h2>\n<h3>Method</h3>\n<ul>\n");
    let _ = writeln!(h, "<li>{}</li>", text(&p.method));
    for rule in &p.rules {
        let _ = writeln!(h, "<li>{}</li>", text(rule));
    }
    for (unit, by_year) in &p.members {
        let members: Vec<String> = by_year.iter().map(|(y, m)| format!("{y}: {}", m.join(", "))).collect();
        let _ = writeln!(h, "<li>members of {}: {}</li>", text(unit), text(&members.join("; ")));
    }
    let _ = writeln!(
        h,
        "<li>country groups file version {}; hub exporters ({}) file version {}</li>",
        text(&p.country_groups_version),
        text(&p.hubs.join(", ")),
        text(&p.hubs_version)
    );
    h.push_str("<li>References: Regulation (EU) 2024/1252 (Critical Raw Materials Act), Art. 5(1)(c) — 65 % benchmark; European Commission SWD(2021) 352 — strategic dependencies, HHI screen 0.4; Herfindahl–Hirschman index HHI = Σ sᵢ².</li>\n</ul>\n");
    h.push_str("<h3>Data sources</h3>\n<div class=\"scroll\"><table class=\"sources\"><thead><tr><th>dataset</th><th>release</th><th>file</th><th>sha256</th><th>licence</th><th>citation</th></tr></thead><tbody>\n");
    for s in r.sources {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            text(&s.name),
            text(&s.release),
            text(&s.file),
            text(&s.sha256),
            text(&s.licence),
            text(&s.citation)
        );
    }
    h.push_str("</tbody></table></div>\n<h3>Charts and map</h3>\n<ul>\n");
    for l in &assets.libraries {
        let _ = writeln!(h, "<li>{} {} ({}): {}</li>", text(&l.name), text(&l.version), text(&l.license), text(&l.role));
    }
    h.push_str("<li>Map: Natural Earth 1:110m admin-0 countries (public domain), as packaged by world-atlas; countries are matched to ISO3 through their ISO 3166-1 numeric codes. Borders do not imply any position on disputed territories.</li>\n</ul>\n");
    if !r.result.notices.is_empty() {
        h.push_str("<h3>Notes</h3>\n<ul>\n");
        for n in &r.result.notices {
            let _ = writeln!(h, "<li>{}</li>", text(n));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n</main>\n");

    // Data and scripts: one <script> per library, then the page's own.
    let _ = writeln!(h, "<script type=\"application/json\" id=\"chokepoint-data\">{}</script>", script_json(&data)?);
    let world: serde_json::Value = serde_json::from_str(&assets.world_topojson)
        .map_err(|e| ReportError::Assets(format!("world-atlas/countries-110m.json in {} is not JSON: {e}", assets.dir.display())))?;
    let codes: serde_json::Value = serde_json::from_str(&assets.iso_codes)
        .map_err(|e| ReportError::Assets(format!("i18n-iso-countries/codes.json in {} is not JSON: {e}", assets.dir.display())))?;
    let _ = writeln!(h, "<script type=\"application/json\" id=\"world-atlas\">{}</script>", script_json(&world)?);
    let _ = writeln!(h, "<script type=\"application/json\" id=\"iso-codes\">{}</script>", script_json(&codes)?);
    let _ = writeln!(h, "<script id=\"lib-echarts\">{}</script>", assets.echarts_js);
    let _ = writeln!(h, "<script id=\"lib-topojson-client\">{}</script>", assets.topojson_js);
    let _ = write!(h, "<script id=\"chokepoint-report\">\n{CHARTS_JS}\n{SCRIPT}</script>\n</body>\n</html>\n");
    out.write_all(h.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_its_script_element() {
        let s = script_json(&json!({"item": "</script><script>alert(1)</script><!--"})).unwrap();
        assert!(!s.contains('<'), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["item"], "</script><script>alert(1)</script><!--");
    }

    #[test]
    fn data_strings_are_escaped_in_text_and_attributes() {
        assert_eq!(text("<b>A & B</b>"), "&lt;b&gt;A &amp; B&lt;/b&gt;");
        assert_eq!(attr("a\"b"), "a&quot;b");
    }
}
