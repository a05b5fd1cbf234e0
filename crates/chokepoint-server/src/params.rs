//! Request parameters: the query strings (or JSON bodies) of `/api/dependency`,
//! `/api/risk` and `/api/scenario`, their limits, and their translation into the library's
//! requests — the same requests `chokepoint dependency`, `chokepoint risk` and
//! `chokepoint scenario run` build from their flags.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use chokepoint_metrics::dependency::{Basis, DependencyRequest, ItemSelection, Thresholds};
use chokepoint_metrics::dera::DeraBasis;
use chokepoint_metrics::geopolrisk::Convention;
use chokepoint_metrics::risk::{Method, RiskOptions, Selection};
use chokepoint_metrics::screen::{Persistence, Thresholds as ScreenThresholds};
use chokepoint_model::hubs::HubList;
use chokepoint_model::importer::{CountryGroups, ImporterSpec};

use crate::error::ApiError;

/// Most importing units in one request.
pub const MAX_IMPORTERS: usize = 10;
/// Most materials or HS6 codes listed in one request (all materials — none listed — is allowed).
pub const MAX_ITEMS: usize = 80;
/// Most years in one request (1995–2024, BACI HS92's whole range, is 30).
pub const MAX_YEARS: usize = 30;
/// Most watched suppliers in one request.
pub const MAX_WATCH: usize = 10;
/// Most Monte Carlo draws of one `/api/scenario` request (the CLI has no cap; the default of
/// `params/scenario.toml` is 10,000).
pub const MAX_DRAWS: u64 = 10_000;

/// Default importing units, as the CLI's.
pub const DEFAULT_IMPORTERS: &str = "JPN,DEU,JPN+DEU";

/// Share basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BasisParam {
    /// Import value, USD (BACI `v` × 1000).
    #[default]
    Value,
    /// Import quantity, tonnes (BACI `q`; flows without a quantity left out).
    Quantity,
}

/// Parameters of `/api/dependency`: the flags of `chokepoint dependency`. In a query string
/// `material` is repeated for several materials (names can contain commas); in a JSON body
/// (POST) it is an array.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DependencyParams {
    /// Importing units, comma-separated: ISO3 codes, coalitions joined with `+` (write
    /// `%2B` in a URL; a space — an unescaped `+` — is read as `+` too), groups (EU27, G7).
    /// Default `JPN,DEU,JPN+DEU`; at most 10.
    #[param(example = "JPN,DEU,JPN%2BDEU")]
    pub importer: Option<String>,
    /// Materials by name or symbol (case-insensitive; a unique part of a name is enough).
    /// Repeat for several; none = every material. At most 80.
    #[serde(default)]
    pub material: Vec<String>,
    /// Single HS6 products instead of materials, comma-separated (e.g. `280530,284690`). At most 80.
    pub hs: Option<String>,
    /// Years: `2022`, `2013..2022` (inclusive) or `2012,2017,2022`; default the latest year
    /// in the store. At most 30.
    pub years: Option<String>,
    /// Shares by import value (USD) or quantity (tonnes). Default `value`.
    pub basis: Option<BasisParam>,
    /// Suppliers whose share is shown on every row, comma-separated ISO3. Default `CHN`; at most 10.
    pub watch: Option<String>,
    /// Flag a top-supplier share above this, 0–1. Default 0.65 (EU CRMA Art. 5 benchmark).
    pub top_share_threshold: Option<f64>,
    /// Flag a supplier HHI above this, 0–1. Default 0.4 (Commission strategic-dependency screen).
    pub hhi_threshold: Option<f64>,
    /// For flagged rows, list the top supplier's largest customers. Default false.
    pub rivals: Option<bool>,
    /// Leave out rows with imports below this value, USD ≥ 0. Default 0 (keep all).
    pub min_import_usd: Option<f64>,
}

/// How GeoPolRisk treats trade between the members of a coalition or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConventionParam {
    /// Trade between members is not an import of the unit (dropped).
    #[default]
    Chokepoint,
    /// geopolrisk-py's regional mode: imports from other members stay in `F` with `g = 0`.
    Reference,
    /// Both, one row each.
    Both,
}

/// Basis of DERA's import shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeraBasisParam {
    /// Tonnes (BACI quantity), like the production basis (default).
    Quantity,
    /// USD (BACI value).
    Value,
}

/// Parameters of `/api/risk`: the flags of `chokepoint risk` that make sense over HTTP (the
/// parameters files of `--eu-crm-params`, `--dera-params`, `--crma-params` and `--groups`
/// are the server's shipped ones). An option of a method that is not run is a 400.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RiskParams {
    /// Methods, comma-separated: `geopolrisk`, `eu-crm`, `dera`, `crma`, `screen`. Default
    /// `geopolrisk`. With two or more, the answer starts with the side-by-side rows.
    #[param(example = "geopolrisk,dera")]
    pub method: Option<String>,
    /// Importing units, as in `/api/dependency`. Default `JPN,DEU,JPN+DEU`; at most 10.
    #[param(example = "JPN,DEU,JPN%2BDEU")]
    pub importer: Option<String>,
    /// Materials by name or symbol; repeat for several; none = every material. At most 80.
    #[serde(default)]
    pub material: Vec<String>,
    /// Years as in `/api/dependency`; default every year the method can score (the screen:
    /// the latest). At most 30.
    pub years: Option<String>,
    /// Add an explanation (equation, terms with their source columns) per row. Default false.
    pub explain: Option<bool>,
    /// GeoPolRisk: coalition convention. Default `chokepoint`.
    pub convention: Option<ConventionParam>,
    /// DERA: basis of the import shares. Default `quantity` (tonnes).
    pub dera_basis: Option<DeraBasisParam>,
    /// CRMA: the benchmark share, strictly between 0 and 1. Default 0.65 (Art. 5(1)(d)).
    pub crma_benchmark: Option<f64>,
    /// CRMA: every material, not only the strategic raw materials. Default false.
    pub all_materials: Option<bool>,
    /// Screen: only these HS6 products, comma-separated (not with `material`). At most 80.
    pub hs: Option<String>,
    /// Screen criterion 1: HHI of extra-bloc imports above this, 0–1. Default 0.4.
    pub screen_hhi: Option<f64>,
    /// Screen criterion 2 (Commission): extra-bloc share of imports above this, 0–1. Default 0.5.
    pub screen_extra_share: Option<f64>,
    /// Screen criterion 3: extra-bloc imports / exports above this, ≥ 0. Default 1.
    pub screen_ratio: Option<f64>,
    /// Screen criterion 2 (GeoDep): HHI of world exports above this, 0–1. Default 0.4.
    pub screen_world_hhi: Option<f64>,
    /// Screen (GeoDep): the criteria hold in K of the N years ending with the year, `K/N`. Default `2/3`.
    pub persistence: Option<String>,
}

/// Query parameters of `/api/scenario` (GET: `name` names a shipped scenario; POST: the body
/// is the scenario file, TOML, and `name` is not given).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScenarioQuery {
    /// A shipped scenario (`/api/scenarios`), e.g. `chn-gallium-germanium-2023`. GET only.
    pub name: Option<String>,
    /// Importing units instead of the file's (default JPN, DEU, JPN+DEU), comma-separated; at most 10.
    pub importer: Option<String>,
    /// Probabilistic mode: this many Monte Carlo draws, 1–10,000 ([`MAX_DRAWS`]); also on
    /// when the file has a `[probability]` table (its `draws` capped the same way).
    pub draws: Option<u64>,
    /// Seed of the Monte Carlo generator (ChaCha8); the same seed gives the same answer.
    pub seed: Option<u64>,
}

/// `key=value` pairs of a query string, percent-decoded (`+` decoded as a space).
pub fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn set<T>(slot: &mut Option<T>, key: &str, value: T) -> Result<(), ApiError> {
    if slot.is_some() {
        return Err(ApiError::usage(format!("parameter {key} given twice (only material may be repeated)")));
    }
    *slot = Some(value);
    Ok(())
}

fn number(key: &str, v: &str) -> Result<f64, ApiError> {
    v.trim().parse().map_err(|_| ApiError::usage(format!("{key}: {v:?} is not a number")))
}

fn boolean(key: &str, v: &str) -> Result<bool, ApiError> {
    match v.trim() {
        "true" | "1" | "" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::usage(format!("{key}: {v:?} is not true or false"))),
    }
}

fn unknown(key: &str, known: &[&str]) -> ApiError {
    ApiError::usage(format!("unknown parameter {key:?}; known: {}", known.join(", ")))
}

/// Parameters read from a query string (GET) as well as from a JSON body (POST).
pub trait FromPairs: serde::de::DeserializeOwned + Sized {
    /// From query-string pairs ([`pairs`]).
    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, ApiError>;
}

impl FromPairs for DependencyParams {
    /// From query-string pairs. Errors (400): an unknown or repeated key, a value of the
    /// wrong type.
    fn from_pairs(pairs: &[(String, String)]) -> Result<DependencyParams, ApiError> {
        let mut p = DependencyParams::default();
        for (k, v) in pairs {
            match k.as_str() {
                "importer" | "importers" => set(&mut p.importer, k, v.clone())?,
                "material" => p.material.push(v.clone()),
                "hs" => set(&mut p.hs, k, v.clone())?,
                "years" | "year" => set(&mut p.years, k, v.clone())?,
                "basis" => set(
                    &mut p.basis,
                    k,
                    match v.trim() {
                        "value" => BasisParam::Value,
                        "quantity" => BasisParam::Quantity,
                        _ => return Err(ApiError::usage(format!("basis: {v:?} is not value or quantity"))),
                    },
                )?,
                "watch" => set(&mut p.watch, k, v.clone())?,
                "top_share_threshold" => set(&mut p.top_share_threshold, k, number(k, v)?)?,
                "hhi_threshold" => set(&mut p.hhi_threshold, k, number(k, v)?)?,
                "rivals" => set(&mut p.rivals, k, boolean(k, v)?)?,
                "min_import_usd" => set(&mut p.min_import_usd, k, number(k, v)?)?,
                _ => return Err(unknown(k, &Self::KEYS)),
            }
        }
        Ok(p)
    }
}

impl DependencyParams {
    const KEYS: [&str; 10] =
        ["importer", "material", "hs", "years", "basis", "watch", "top_share_threshold", "hhi_threshold", "rivals", "min_import_usd"];

    /// The library request, with the CLI's defaults. Errors (400): a malformed or unknown
    /// importer, years that do not parse or run backwards, a threshold outside 0–1, a
    /// negative amount, a list over its limit, `hs` together with `material`.
    pub fn request(&self, groups: &CountryGroups, hubs: &HubList) -> Result<DependencyRequest, ApiError> {
        let importers = importers(self.importer.as_deref(), groups)?;
        let items = match (&self.hs, self.material.is_empty()) {
            (Some(_), false) => return Err(ApiError::usage("give hs or material, not both")),
            (Some(hs), true) => {
                let codes = list(hs);
                if codes.is_empty() {
                    return Err(ApiError::usage("hs has no code: write e.g. hs=280530,284690"));
                }
                ItemSelection::Hs6(limit("hs", codes, MAX_ITEMS)?)
            }
            (None, false) => ItemSelection::Materials(materials(&self.material)?),
            (None, true) => ItemSelection::AllMaterials,
        };
        let fraction = |key: &str, v: Option<f64>, default: f64| -> Result<f64, ApiError> {
            let v = v.unwrap_or(default);
            if !(0.0..=1.0).contains(&v) {
                return Err(ApiError::usage(format!(
                    "{key}: {v} is outside 0–1 (shares and HHI are fractions here: 0.65, not 65; HHI 0.4, not 4000)"
                )));
            }
            Ok(v)
        };
        let min_import_usd = self.min_import_usd.unwrap_or(0.0);
        if !min_import_usd.is_finite() || min_import_usd < 0.0 {
            return Err(ApiError::usage(format!("min_import_usd: {min_import_usd} is not an amount of USD ≥ 0")));
        }
        Ok(DependencyRequest {
            importers,
            groups: groups.clone(),
            items,
            years: years(self.years.as_deref())?,
            basis: match self.basis.unwrap_or_default() {
                BasisParam::Value => Basis::Value,
                BasisParam::Quantity => Basis::Quantity,
            },
            watch: limit("watch", list(self.watch.as_deref().unwrap_or("CHN")), MAX_WATCH)?,
            thresholds: Thresholds {
                top_share: fraction("top_share_threshold", self.top_share_threshold, 0.65)?,
                hhi: fraction("hhi_threshold", self.hhi_threshold, 0.4)?,
            },
            hubs: hubs.clone(),
            rivals: self.rivals.unwrap_or(false),
            min_import_usd,
        })
    }
}

impl RiskParams {
    const KEYS: [&str; 15] = [
        "method",
        "importer",
        "material",
        "years",
        "explain",
        "convention",
        "dera_basis",
        "crma_benchmark",
        "all_materials",
        "hs",
        "screen_hhi",
        "screen_extra_share",
        "screen_ratio",
        "screen_world_hhi",
        "persistence",
    ];

    /// The methods, the selection and the methods' options: the library's request of
    /// `chokepoint risk` ([`chokepoint_metrics::risk`]), with the CLI's defaults. Errors
    /// (400): an unknown method, an option of a method that is not run, `hs` with
    /// `material`, and those of [`DependencyParams::request`].
    pub fn request(&self, groups: &CountryGroups) -> Result<(Vec<Method>, Selection, RiskOptions), ApiError> {
        let mut methods = Vec::new();
        for id in list(self.method.as_deref().unwrap_or("geopolrisk")) {
            methods.push(Method::from_id(&id).map_err(|e| ApiError::usage(format!("method: {e}")))?);
        }
        if methods.is_empty() {
            return Err(ApiError::usage("method is empty: write e.g. method=geopolrisk,dera"));
        }
        methods.sort();
        methods.dedup();
        let screen_hs = match &self.hs {
            Some(_) if !self.material.is_empty() => return Err(ApiError::usage("give hs or material, not both")),
            Some(hs) => limit("hs", list(hs), MAX_ITEMS)?,
            None => Vec::new(),
        };
        let d = ScreenThresholds::default();
        let opts = RiskOptions {
            conventions: self.convention.map(|c| match c {
                ConventionParam::Chokepoint => vec![Convention::Chokepoint],
                ConventionParam::Reference => vec![Convention::Reference],
                ConventionParam::Both => vec![Convention::Chokepoint, Convention::Reference],
            }),
            dera_basis: self.dera_basis.map(|b| match b {
                DeraBasisParam::Quantity => DeraBasis::Quantity,
                DeraBasisParam::Value => DeraBasis::Value,
            }),
            crma_benchmark: self.crma_benchmark,
            crma_all_materials: self.all_materials.unwrap_or(false),
            screen_hs,
            screen_thresholds: ScreenThresholds {
                hhi_extra: self.screen_hhi.unwrap_or(d.hhi_extra),
                extra_share: self.screen_extra_share.unwrap_or(d.extra_share),
                import_export_ratio: self.screen_ratio.unwrap_or(d.import_export_ratio),
                world_export_hhi: self.screen_world_hhi.unwrap_or(d.world_export_hhi),
            },
            persistence: match &self.persistence {
                Some(p) => p.parse::<Persistence>().map_err(|e| ApiError::usage(format!("persistence: {e}")))?,
                None => Persistence::default(),
            },
            ..RiskOptions::default()
        };
        if let Some((key, method)) = opts.inapplicable(&methods) {
            return Err(ApiError::usage(format!("{key} applies to method={} only, which is not among the methods run", method.id())));
        }
        let sel = Selection {
            importers: importers(self.importer.as_deref(), groups)?,
            groups: groups.clone(),
            items: if self.material.is_empty() {
                ItemSelection::AllMaterials
            } else {
                ItemSelection::Materials(materials(&self.material)?)
            },
            years: years(self.years.as_deref())?,
            explain: self.explain.unwrap_or(false),
        };
        Ok((methods, sel, opts))
    }
}

impl FromPairs for RiskParams {
    /// Errors (400) as [`DependencyParams::from_pairs`].
    fn from_pairs(pairs: &[(String, String)]) -> Result<RiskParams, ApiError> {
        let mut p = RiskParams::default();
        for (k, v) in pairs {
            match k.as_str() {
                "method" | "methods" => set(&mut p.method, k, v.clone())?,
                "importer" | "importers" => set(&mut p.importer, k, v.clone())?,
                "material" => p.material.push(v.clone()),
                "years" | "year" => set(&mut p.years, k, v.clone())?,
                "explain" => set(&mut p.explain, k, boolean(k, v)?)?,
                "convention" => set(
                    &mut p.convention,
                    k,
                    match v.trim() {
                        "chokepoint" => ConventionParam::Chokepoint,
                        "reference" => ConventionParam::Reference,
                        "both" => ConventionParam::Both,
                        _ => return Err(ApiError::usage(format!("convention: {v:?} is not chokepoint, reference or both"))),
                    },
                )?,
                "dera_basis" => set(
                    &mut p.dera_basis,
                    k,
                    match v.trim() {
                        "quantity" => DeraBasisParam::Quantity,
                        "value" => DeraBasisParam::Value,
                        _ => return Err(ApiError::usage(format!("dera_basis: {v:?} is not quantity or value"))),
                    },
                )?,
                "crma_benchmark" => set(&mut p.crma_benchmark, k, number(k, v)?)?,
                "all_materials" => set(&mut p.all_materials, k, boolean(k, v)?)?,
                "hs" => set(&mut p.hs, k, v.clone())?,
                "screen_hhi" => set(&mut p.screen_hhi, k, number(k, v)?)?,
                "screen_extra_share" => set(&mut p.screen_extra_share, k, number(k, v)?)?,
                "screen_ratio" => set(&mut p.screen_ratio, k, number(k, v)?)?,
                "screen_world_hhi" => set(&mut p.screen_world_hhi, k, number(k, v)?)?,
                "persistence" => set(&mut p.persistence, k, v.clone())?,
                _ => return Err(unknown(k, &Self::KEYS)),
            }
        }
        Ok(p)
    }
}

impl ScenarioQuery {
    const KEYS: [&str; 4] = ["name", "importer", "draws", "seed"];

    /// From query-string pairs. Errors (400): an unknown or repeated key, draws or seed not
    /// a whole number.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<ScenarioQuery, ApiError> {
        let whole = |k: &str, v: &str| -> Result<u64, ApiError> {
            v.trim().parse().map_err(|_| ApiError::usage(format!("{k}: {v:?} is not a whole number ≥ 0")))
        };
        let mut p = ScenarioQuery::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => set(&mut p.name, k, v.clone())?,
                "importer" | "importers" => set(&mut p.importer, k, v.clone())?,
                "draws" => set(&mut p.draws, k, whole(k, v)?)?,
                "seed" => set(&mut p.seed, k, whole(k, v)?)?,
                _ => return Err(unknown(k, &Self::KEYS)),
            }
        }
        Ok(p)
    }

    /// The importing units instead of the file's, if given. Errors (400) as for `/api/dependency`.
    pub fn importers(&self, groups: &CountryGroups) -> Result<Option<Vec<ImporterSpec>>, ApiError> {
        self.importer.as_deref().map(|i| importers(Some(i), groups)).transpose()
    }

    /// Check draws against [`MAX_DRAWS`]: the requested ones, else those of the file.
    /// Errors (400): 0 draws, or more than the cap.
    pub fn check_draws(&self, file_draws: Option<u64>) -> Result<(), ApiError> {
        match (self.draws, file_draws) {
            (Some(0), _) => Err(ApiError::usage("draws: at least 1")),
            (Some(n), _) if n > MAX_DRAWS => {
                Err(ApiError::usage(format!("draws: {n} is over the API's cap of {MAX_DRAWS} per request (the CLI has none)")))
            }
            (None, Some(n)) if n > MAX_DRAWS => Err(ApiError::usage(format!(
                "the scenario's [probability] draws = {n} is over the API's cap of {MAX_DRAWS} per request: give draws={MAX_DRAWS} or fewer"
            ))),
            _ => Ok(()),
        }
    }
}

/// Comma-separated, trimmed, empty parts dropped.
fn list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

fn limit(key: &str, v: Vec<String>, max: usize) -> Result<Vec<String>, ApiError> {
    if v.len() > max {
        return Err(ApiError::usage(format!("{key}: {} given, at most {max} per request", v.len())));
    }
    Ok(v)
}

fn materials(names: &[String]) -> Result<Vec<String>, ApiError> {
    if names.iter().any(|m| m.trim().is_empty()) {
        return Err(ApiError::usage("material needs a name, e.g. material=cobalt"));
    }
    limit("material", names.to_vec(), MAX_ITEMS)
}

/// Importing units; a space inside a unit (an unescaped `+` in a URL) is read as `+`.
/// Units given twice are kept once.
fn importers(text: Option<&str>, groups: &CountryGroups) -> Result<Vec<ImporterSpec>, ApiError> {
    let parts = list(text.unwrap_or(DEFAULT_IMPORTERS));
    if parts.is_empty() {
        return Err(ApiError::usage("importer is empty: write e.g. importer=JPN,DEU"));
    }
    let parts = limit("importer", parts, MAX_IMPORTERS)?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in parts {
        let unit = p.split_whitespace().collect::<Vec<_>>().join("+");
        let spec = groups.parse_importer(&unit).map_err(|e| ApiError::usage(format!("importer: {e}")))?;
        if seen.insert(spec.clone()) {
            out.push(spec);
        }
    }
    Ok(out)
}

/// Years: `2022`, `2013..2022` (inclusive), `2012,2017,2022`; none = the method's default.
fn years(text: Option<&str>) -> Result<Vec<i32>, ApiError> {
    let Some(s) = text.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(Vec::new()) };
    let year = |t: &str| -> Result<i32, ApiError> {
        let y: i32 = t
            .trim()
            .parse()
            .map_err(|_| ApiError::usage(format!("years: {t:?} is not a year (write 2022, 2013..2022 or 2012,2017,2022)")))?;
        if !(1900..=2100).contains(&y) {
            return Err(ApiError::usage(format!("years: {y} is not a plausible year")));
        }
        Ok(y)
    };
    let v: Vec<i32> = if let Some((a, b)) = s.split_once("..") {
        let (a, b) = (year(a)?, year(b.trim_start_matches('='))?);
        if a > b {
            return Err(ApiError::usage(format!("years: {s:?}: the first year must not be after the last")));
        }
        (a..=b).collect()
    } else {
        s.split(',').map(year).collect::<Result<_, _>>()?
    };
    if v.len() > MAX_YEARS {
        return Err(ApiError::usage(format!("years: {} given, at most {MAX_YEARS} per request", v.len())));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_become_a_request() {
        let q = pairs(Some("importer=JPN,DEU+JPN&material=rare+earths&material=Salt+(rock,+brines,+marine)&years=2020..2022&rivals"));
        let p = DependencyParams::from_pairs(&q).unwrap();
        assert_eq!(p.material, ["rare earths", "Salt (rock, brines, marine)"]);
        let r = p.request(&CountryGroups::builtin(), &HubList::builtin()).unwrap();
        assert_eq!(r.importers.len(), 2);
        assert_eq!(r.importers[1].to_string(), "DEU+JPN");
        assert_eq!(r.years, [2020, 2021, 2022]);
        assert!(r.rivals);
        assert_eq!(r.watch, ["CHN"]);
        assert_eq!((r.thresholds.top_share, r.thresholds.hhi), (0.65, 0.4));
    }

    #[test]
    fn bad_parameters_are_usage_errors() {
        let err = |q: &str| {
            let p = DependencyParams::from_pairs(&pairs(Some(q)));
            p.and_then(|p| p.request(&CountryGroups::builtin(), &HubList::builtin()).map(|_| ())).unwrap_err().body.error
        };
        assert!(err("year=2022..2020").contains("must not be after"), "{}", err("year=2022..2020"));
        assert!(err("years=last").contains("not a year"));
        assert!(err("years=1990..2030").contains("at most 30"));
        assert!(err("importer=A,B,C,D,E,F,G,H,I,J,K").contains("at most 10"));
        assert!(err("importer=JAPAN").contains("importer"));
        assert!(err("top_share_threshold=65").contains("outside 0–1"));
        assert!(err("hhi_threshold=x").contains("not a number"));
        assert!(err("basis=weight").contains("value or quantity"));
        assert!(err("colour=red").contains("unknown parameter"));
        assert!(err("hs=280530&material=cobalt").contains("not both"));
        assert!(err("years=2022&year=2021").contains("twice"));
        assert!(err("min_import_usd=-1").contains("USD"));
    }
}
