//! Scenario files (TOML): their shape, and the checks that need no data (fractions in 0–1,
//! durations ≥ 0, known keys). Every error names the file, the line and the field; the
//! checks against the store (countries, materials, HS6 codes) are in [`crate::run::resolve`]
//! and use the lines recorded here.
//!
//! ```toml
//! title = "China: export licensing of gallium and germanium"
//! source = "MOFCOM and GAC Announcement No. 23 of 2023 (3 July 2023), effective 1 August 2023"
//! kind = "historical"                 # or "hypothetical"
//! baseline_year = 2022                # or "latest": the latest year with trade
//! importers = ["JPN", "DEU", "JPN+DEU"]   # optional; --importer overrides
//!
//! [shock]
//! suppliers = ["CHN"]                 # ISO3 codes or groups (EU27, G7, …)
//! materials = ["Gallium", "Germanium"]  # or ["all"]; and/or hs6 = ["811230"]
//! fraction = 0.5                      # share of exports withheld, 0–1
//! duration_months = 12
//! destinations = "all"                # "all", a group ("G7") or a list (["JPN", "USA"])
//!
//! [substitution]                      # optional; defaults in params/scenario.toml
//! redirect_share = 0.1
//! spare_production_share = 0.05
//! [[substitution.supplier]]
//! country = "AUS"
//! spare_production_share = 0.2
//!
//! [allocation]                        # optional; `--allocation` overrides the method
//! method = "optimise"                 # or "pro-rata" (default; also `substitution.allocation`)
//! [allocation.preferences]            # optimise: who is served first
//! coalitions = ["G7", "EU27"]         # a supplier sharing one with the importer is its partner
//! pairs = [{ supplier = "AUS", importer = "JPN" }]
//!
//! [probability]                       # optional: Monte Carlo settings
//! draws = 10000
//! seed = 42
//! loss_share_threshold = 0.1
//! [[probability.supplier]]
//! country = "CHN"
//! annual_probability = 0.3            # instead of the WGI mapping
//! ```

use serde::Deserialize;
use toml::Spanned;

use crate::ScenarioError;

/// A value of the file with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    /// 1-based line in the file.
    pub line: usize,
    /// Dotted field name, e.g. `shock.suppliers`.
    pub field: String,
}

/// The baseline year of the flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    Year(i32),
    /// The latest year of the `trade` table.
    Latest,
}

/// Where the withheld exports were going.
#[derive(Debug, Clone, PartialEq)]
pub enum Destinations {
    /// Every importer.
    All,
    /// These ISO3 codes and groups.
    Some(Vec<Located<String>>),
}

/// How importers share the substitution (docs/methods.md §8, "Allocation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Allocation {
    /// Pro-rata to losses (default).
    ProRata,
    /// The linear programme: preferred pairs first, then pro-rata ([`crate::allocate`]).
    Optimise,
}

impl Allocation {
    /// `pro-rata` (also `prorata`, `pro_rata`) or `optimise` (also `optimize`); `None` otherwise.
    pub fn parse(text: &str) -> Option<Allocation> {
        match text.trim().to_lowercase().as_str() {
            "pro-rata" | "prorata" | "pro_rata" => Some(Allocation::ProRata),
            "optimise" | "optimize" => Some(Allocation::Optimise),
            _ => None,
        }
    }

    /// The name used in files and outputs: `pro-rata` or `optimise`.
    pub fn name(self) -> &'static str {
        match self {
            Allocation::ProRata => "pro-rata",
            Allocation::Optimise => "optimise",
        }
    }
}

/// A preferred supplier → importer pair of the optimised allocation (ISO3 codes, groups or
/// coalitions `A+B`; every member of `supplier` is preferred by every member of `importer`).
#[derive(Debug, Clone, PartialEq)]
pub struct PreferredPair {
    pub supplier: Located<String>,
    pub importer: Located<String>,
}

/// `[allocation.preferences]`: who supplies whom first under the optimised allocation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preferences {
    /// Coalitions (groups such as `G7`, `EU27`, or `A+B+C`): a supplier that shares one with
    /// an importer is its partner ("coalition partners first"; a member is its own partner).
    pub coalitions: Vec<Located<String>>,
    /// Explicit preferred pairs.
    pub pairs: Vec<PreferredPair>,
}

impl Preferences {
    pub fn is_empty(&self) -> bool {
        self.coalitions.is_empty() && self.pairs.is_empty()
    }
}

/// A per-supplier override of the substitution shares.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplierOverride {
    pub country: Located<String>,
    pub redirect_share: Option<f64>,
    pub spare_production_share: Option<f64>,
}

/// A per-supplier override of the annual disruption probability.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbabilityOverride {
    pub country: Located<String>,
    pub annual_probability: f64,
}

/// Monte Carlo settings of a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbabilitySettings {
    /// The file has a `[probability]` table: run the Monte Carlo too.
    pub enabled: bool,
    pub draws: Option<u64>,
    pub seed: Option<u64>,
    /// Report the probability that the loss exceeds this share of apparent supply, 0–1.
    pub loss_share_threshold: Option<f64>,
    pub suppliers: Vec<ProbabilityOverride>,
}

/// A checked scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file's path as given (or a name for inline text).
    pub file: String,
    pub title: String,
    pub source: String,
    /// `historical` or `hypothetical`.
    pub kind: String,
    pub description: Option<String>,
    pub baseline: Located<Baseline>,
    pub importers: Vec<Located<String>>,
    pub suppliers: Vec<Located<String>>,
    pub materials: Vec<Located<String>>,
    pub hs6: Vec<Located<String>>,
    /// Share of exports withheld, 0–1.
    pub fraction: f64,
    /// Duration, months (≥ 0).
    pub duration_months: f64,
    pub destinations: Destinations,
    pub redirect_share: Option<f64>,
    pub spare_production_share: Option<f64>,
    pub allocation: Allocation,
    /// Preferred pairs of the optimised allocation (`[allocation.preferences]`).
    pub preferences: Preferences,
    pub supplier_overrides: Vec<SupplierOverride>,
    pub probability: ProbabilitySettings,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawYear {
    Year(i64),
    Word(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawDestinations {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    title: String,
    source: String,
    kind: Spanned<String>,
    description: Option<String>,
    baseline_year: Spanned<RawYear>,
    #[serde(default)]
    importers: Vec<Spanned<String>>,
    shock: RawShock,
    substitution: Option<RawSubstitution>,
    allocation: Option<RawAllocation>,
    probability: Option<RawProbability>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllocation {
    method: Option<Spanned<String>>,
    preferences: Option<RawPreferences>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreferences {
    #[serde(default)]
    coalitions: Vec<Spanned<String>>,
    #[serde(default)]
    pairs: Vec<RawPair>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPair {
    supplier: Spanned<String>,
    importer: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShock {
    suppliers: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    materials: Vec<Spanned<String>>,
    #[serde(default)]
    hs6: Vec<Spanned<String>>,
    fraction: Spanned<f64>,
    duration_months: Spanned<f64>,
    destinations: Option<Spanned<RawDestinations>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubstitution {
    redirect_share: Option<Spanned<f64>>,
    spare_production_share: Option<Spanned<f64>>,
    allocation: Option<Spanned<String>>,
    #[serde(default)]
    supplier: Vec<RawSupplierOverride>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSupplierOverride {
    country: Spanned<String>,
    redirect_share: Option<Spanned<f64>>,
    spare_production_share: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbability {
    draws: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    loss_share_threshold: Option<Spanned<f64>>,
    #[serde(default)]
    supplier: Vec<RawProbabilityOverride>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbabilityOverride {
    country: Spanned<String>,
    annual_probability: Spanned<f64>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

/// Field name of a TOML error message's context: the message names the key; keep the first
/// line of the message.
fn parse_error(file: &str, text: &str, e: &toml::de::Error) -> ScenarioError {
    let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
    let message = e.message().trim().to_owned();
    // The key at the error's line, when the error points into a `key = value` line.
    let field = e
        .span()
        .and_then(|s| {
            let start = text[..s.start.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
            let l = text[start..].lines().next().unwrap_or("");
            l.split_once('=').map(|(k, _)| k.trim().to_owned())
        })
        .unwrap_or_else(|| "-".into());
    ScenarioError::File { file: file.to_owned(), line, field, message }
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn loc<T: Clone>(&self, s: &Spanned<T>, field: &str) -> Located<T> {
        Located { value: s.get_ref().clone(), line: line_of(self.text, s.span().start), field: field.to_owned() }
    }

    fn err<T>(&self, s: &Spanned<T>, field: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError::File {
            file: self.file.to_owned(),
            line: line_of(self.text, s.span().start),
            field: field.to_owned(),
            message: message.into(),
        }
    }

    fn share(&self, s: &Option<Spanned<f64>>, field: &str) -> Result<Option<f64>, ScenarioError> {
        match s {
            None => Ok(None),
            Some(v) if (0.0..=1.0).contains(v.get_ref()) => Ok(Some(*v.get_ref())),
            Some(v) => Err(self.err(v, field, format!("{} is outside 0–1", v.get_ref()))),
        }
    }
}

impl Scenario {
    /// Read and check a scenario file.
    pub fn load(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::File {
            file: file.clone(),
            line: 0,
            field: "-".into(),
            message: e.to_string(),
        })?;
        Scenario::parse(&text, &file)
    }

    /// Parse and check scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| parse_error(file, text, &e))?;
        let c = Ctx { file, text };
        let kind = raw.kind.get_ref().trim().to_lowercase();
        if kind != "historical" && kind != "hypothetical" {
            return Err(c.err(&raw.kind, "kind", format!("{:?}: expected \"historical\" or \"hypothetical\"", raw.kind.get_ref())));
        }
        let baseline = match raw.baseline_year.get_ref() {
            RawYear::Year(y) if (1900..=2100).contains(y) => Baseline::Year(*y as i32),
            RawYear::Word(w) if w.trim().eq_ignore_ascii_case("latest") => Baseline::Latest,
            RawYear::Year(y) => return Err(c.err(&raw.baseline_year, "baseline_year", format!("{y} is not a year"))),
            RawYear::Word(w) => return Err(c.err(&raw.baseline_year, "baseline_year", format!("{w:?}: expected a year or \"latest\""))),
        };
        let baseline = Located { value: baseline, line: line_of(text, raw.baseline_year.span().start), field: "baseline_year".into() };
        let s = &raw.shock;
        if s.suppliers.get_ref().is_empty() {
            return Err(c.err(&s.suppliers, "shock.suppliers", "expected at least one supplier"));
        }
        if s.materials.is_empty() && s.hs6.is_empty() {
            return Err(c.err(&s.suppliers, "shock.materials", "expected `materials` or `hs6` in [shock]"));
        }
        let fraction = *s.fraction.get_ref();
        if !(0.0..=1.0).contains(&fraction) {
            return Err(c.err(&s.fraction, "shock.fraction", format!("{fraction} is outside 0–1 (the share of exports withheld)")));
        }
        let duration = *s.duration_months.get_ref();
        if duration.is_nan() || duration < 0.0 || !duration.is_finite() {
            return Err(c.err(&s.duration_months, "shock.duration_months", format!("{duration} is negative: expected months ≥ 0")));
        }
        let destinations = match &s.destinations {
            None => Destinations::All,
            Some(d) => match d.get_ref() {
                RawDestinations::One(w) if w.trim().eq_ignore_ascii_case("all") => Destinations::All,
                RawDestinations::One(w) => Destinations::Some(vec![Located {
                    value: w.trim().to_owned(),
                    line: line_of(text, d.span().start),
                    field: "shock.destinations".into(),
                }]),
                RawDestinations::Many(list) if list.is_empty() => {
                    return Err(c.err(d, "shock.destinations", "empty list: write \"all\" or name importers"));
                }
                RawDestinations::Many(list) => Destinations::Some(
                    list.iter()
                        .map(|x| Located {
                            value: x.trim().to_owned(),
                            line: line_of(text, d.span().start),
                            field: "shock.destinations".into(),
                        })
                        .collect(),
                ),
            },
        };
        let sub = raw.substitution.as_ref();
        let method = |a: &Spanned<String>, field: &str| {
            Allocation::parse(a.get_ref())
                .ok_or_else(|| c.err(a, field, format!("{:?}: expected \"pro-rata\" or \"optimise\"", a.get_ref())))
        };
        let in_substitution = sub.and_then(|x| x.allocation.as_ref()).map(|a| method(a, "substitution.allocation")).transpose()?;
        let in_allocation = match raw.allocation.as_ref().and_then(|x| x.method.as_ref()) {
            None => None,
            Some(a) => {
                let m = method(a, "allocation.method")?;
                if in_substitution.is_some_and(|o| o != m) {
                    return Err(c.err(a, "allocation.method", "contradicts `substitution.allocation`: give the method once"));
                }
                Some(m)
            }
        };
        let allocation = in_allocation.or(in_substitution).unwrap_or(Allocation::ProRata);
        let mut preferences = Preferences::default();
        if let Some(p) = raw.allocation.as_ref().and_then(|x| x.preferences.as_ref()) {
            for x in &p.coalitions {
                preferences.coalitions.push(c.loc(x, "allocation.preferences.coalitions"));
            }
            for x in &p.pairs {
                preferences.pairs.push(PreferredPair {
                    supplier: c.loc(&x.supplier, "allocation.preferences.pairs.supplier"),
                    importer: c.loc(&x.importer, "allocation.preferences.pairs.importer"),
                });
            }
        }
        let mut supplier_overrides = Vec::new();
        for o in sub.map(|x| x.supplier.as_slice()).unwrap_or(&[]) {
            supplier_overrides.push(SupplierOverride {
                country: c.loc(&o.country, "substitution.supplier.country"),
                redirect_share: c.share(&o.redirect_share, "substitution.supplier.redirect_share")?,
                spare_production_share: c.share(&o.spare_production_share, "substitution.supplier.spare_production_share")?,
            });
        }
        let mut probability = ProbabilitySettings {
            enabled: raw.probability.is_some(),
            draws: None,
            seed: None,
            loss_share_threshold: None,
            suppliers: Vec::new(),
        };
        if let Some(p) = &raw.probability {
            if let Some(d) = &p.draws {
                if *d.get_ref() < 1 {
                    return Err(c.err(d, "probability.draws", format!("{}: expected at least 1 draw", d.get_ref())));
                }
                probability.draws = Some(*d.get_ref() as u64);
            }
            if let Some(s) = &p.seed {
                if *s.get_ref() < 0 {
                    return Err(c.err(s, "probability.seed", "expected a seed ≥ 0"));
                }
                probability.seed = Some(*s.get_ref() as u64);
            }
            probability.loss_share_threshold = c.share(&p.loss_share_threshold, "probability.loss_share_threshold")?;
            for o in &p.supplier {
                let v = c.share(&Some(o.annual_probability.clone()), "probability.supplier.annual_probability")?.expect("given");
                probability
                    .suppliers
                    .push(ProbabilityOverride { country: c.loc(&o.country, "probability.supplier.country"), annual_probability: v });
            }
        }
        Ok(Scenario {
            file: file.to_owned(),
            title: raw.title.trim().to_owned(),
            source: raw.source.trim().to_owned(),
            kind,
            description: raw.description.map(|d| d.trim().to_owned()),
            baseline,
            importers: raw.importers.iter().map(|x| c.loc(x, "importers")).collect(),
            suppliers: s.suppliers.get_ref().iter().map(|x| c.loc(x, "shock.suppliers")).collect(),
            materials: s.materials.iter().map(|x| c.loc(x, "shock.materials")).collect(),
            hs6: s.hs6.iter().map(|x| c.loc(x, "shock.hs6")).collect(),
            fraction,
            duration_months: duration,
            destinations,
            redirect_share: c.share(&sub.and_then(|x| x.redirect_share.clone()), "substitution.redirect_share")?,
            spare_production_share: c.share(&sub.and_then(|x| x.spare_production_share.clone()), "substitution.spare_production_share")?,
            allocation,
            preferences,
            supplier_overrides,
            probability,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"title = "t"
source = "s"
kind = "hypothetical"
baseline_year = 2022

[shock]
suppliers = ["CHN"]
materials = ["Rare earths"]
fraction = 0.5
duration_months = 6
destinations = ["JPN", "G7"]

[[substitution.supplier]]
country = "AUS"
spare_production_share = 0.2
"#;

    fn err(text: &str) -> String {
        Scenario::parse(text, "s.toml").unwrap_err().to_string()
    }

    #[test]
    fn parses_with_lines() {
        let s = Scenario::parse(OK, "s.toml").unwrap();
        assert_eq!(s.baseline.value, Baseline::Year(2022));
        assert_eq!(s.fraction, 0.5);
        assert_eq!(s.duration_months, 6.0);
        assert_eq!(s.suppliers[0].line, 7);
        assert_eq!(s.materials[0].value, "Rare earths");
        let Destinations::Some(d) = &s.destinations else { panic!() };
        assert_eq!((d[1].value.as_str(), d[1].line, d[1].field.as_str()), ("G7", 11, "shock.destinations"));
        assert_eq!(s.supplier_overrides[0].spare_production_share, Some(0.2));
        assert_eq!(s.supplier_overrides[0].country.line, 14);
        assert_eq!(s.allocation, Allocation::ProRata);
        assert!(s.preferences.is_empty());
    }

    #[test]
    fn allocation_and_preferences() {
        let text = format!(
            "{OK}\n[allocation]\nmethod = \"optimise\"\n[allocation.preferences]\ncoalitions = [\"G7\"]\npairs = [{{ supplier = \"AUS\", importer = \"JPN+DEU\" }}]\n"
        );
        let s = Scenario::parse(&text, "s.toml").unwrap();
        assert_eq!(s.allocation, Allocation::Optimise);
        assert_eq!((s.preferences.coalitions[0].value.as_str(), s.preferences.coalitions[0].line), ("G7", 20));
        let p = &s.preferences.pairs[0];
        assert_eq!((p.supplier.value.as_str(), p.importer.value.as_str(), p.importer.line), ("AUS", "JPN+DEU", 21));
        // The older key still works; both keys must agree; unknown methods name the choices.
        let old = OK.replace("[[substitution.supplier]]", "[substitution]\nallocation = \"optimize\"\n[[substitution.supplier]]");
        assert_eq!(Scenario::parse(&old, "s.toml").unwrap().allocation, Allocation::Optimise);
        assert_eq!(
            err(&format!("{old}\n[allocation]\nmethod = \"pro-rata\"\n")),
            "s.toml:20: field `allocation.method`: contradicts `substitution.allocation`: give the method once"
        );
        assert_eq!(
            err(&format!("{OK}\n[allocation]\nmethod = \"lp\"\n")),
            "s.toml:18: field `allocation.method`: \"lp\": expected \"pro-rata\" or \"optimise\""
        );
        let e = err(&format!("{OK}\n[allocation.preferences]\npartners = [\"G7\"]\n"));
        assert!(e.starts_with("s.toml:18: field `partners`: unknown field `partners`"), "{e}");
    }

    #[test]
    fn errors_name_line_and_field() {
        assert_eq!(
            err(&OK.replace("fraction = 0.5", "fraction = 1.5")),
            "s.toml:9: field `shock.fraction`: 1.5 is outside 0–1 (the share of exports withheld)"
        );
        assert_eq!(
            err(&OK.replace("duration_months = 6", "duration_months = -3")),
            "s.toml:10: field `shock.duration_months`: -3 is negative: expected months ≥ 0"
        );
        assert_eq!(
            err(&OK.replace("spare_production_share = 0.2", "spare_production_share = 2")),
            "s.toml:15: field `substitution.supplier.spare_production_share`: 2 is outside 0–1"
        );
        assert_eq!(
            err(&OK.replace("kind = \"hypothetical\"", "kind = \"maybe\"")),
            "s.toml:3: field `kind`: \"maybe\": expected \"historical\" or \"hypothetical\""
        );
        // An unknown key and a wrong type come from the TOML parser, with the line.
        let e = err(&OK.replace("fraction = 0.5", "fraction = 0.5\nfractoin = 1"));
        assert!(e.starts_with("s.toml:10: field `fractoin`: unknown field `fractoin`"), "{e}");
        let e = err(&OK.replace("duration_months = 6", "duration_months = \"six\""));
        assert!(e.starts_with("s.toml:10: field `duration_months`:"), "{e}");
    }
}
