//! Parameters of the EU CRM supply-risk method (`params/eu_crm.toml`): the inputs the
//! default dataset lacks — substitution index SI_SR, economic importance EI, the trade
//! parameter t (export restrictions, trade agreements), the two-stage raw materials — with
//! their sources and the file's version, which every result row records.

use serde::Deserialize;

use crate::Iso3;

/// `params/eu_crm.toml` as shipped with this build.
pub const BUILTIN_EU_CRM_TOML: &str = include_str!("../../../params/eu_crm.toml");

/// An invalid parameters file: which file, which entry, what was expected.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ParamsError {
    pub file: String,
    pub message: String,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EuCrmParams {
    /// Where the file was read from (set by [`EuCrmParams::from_toml`]), for error messages.
    #[serde(skip)]
    pub file: String,
    pub name: String,
    pub version: String,
    pub defaults: Defaults,
    #[serde(default, rename = "raw_material")]
    pub raw_materials: Vec<RawMaterial>,
    #[serde(default, rename = "substitution")]
    pub substitution: Vec<MaterialValue>,
    #[serde(default, rename = "economic_importance")]
    pub economic_importance: Vec<EconomicImportance>,
    #[serde(default, rename = "export_restriction")]
    pub export_restrictions: Vec<ExportRestriction>,
    #[serde(default, rename = "trade_agreement")]
    pub trade_agreements: Vec<TradeAgreement>,
}

/// Values used where the file lists nothing specific.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// SI_SR of a material without a `[[substitution]]` entry, 0–1.
    pub si_sr: f64,
    /// Scaled WGI (0–10, 10 worst) of a supplier without a score that year.
    pub missing_wgi_scaled: f64,
    /// SR at or above which supply risk is high (1.0 in the 2017 guidelines).
    pub sr_threshold: f64,
    /// EI at or above which economic importance is high (2.8).
    pub ei_threshold: f64,
}

/// A raw material assessed at two stages; names are dataset materials (`materials.material`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMaterial {
    pub name: String,
    pub extraction: String,
    pub processing: String,
}

/// SI_SR of a material, 0–1.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialValue {
    pub material: String,
    pub si_sr: f64,
    pub source: String,
}

/// EI of a material, 0–10.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EconomicImportance {
    pub material: String,
    pub ei: f64,
    pub source: String,
}

/// An export restriction: t > 1 for `country` as a supplier of `material` in `from..=until`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRestriction {
    pub material: String,
    pub country: String,
    pub from: i32,
    #[serde(default)]
    pub until: Option<i32>,
    pub t: f64,
    pub measure: String,
    pub source: String,
}

/// Trade agreements of an importing unit: t for its partners (EU sourcing only).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TradeAgreement {
    /// The unit as written with `--importer` (e.g. `EU27`).
    pub importer: String,
    pub t: f64,
    pub source: String,
    pub partners: Vec<Partner>,
}

/// A partner and the year its agreement entered into force.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    pub iso3: String,
    pub from: i32,
}

/// Where a trade parameter came from.
#[derive(Debug, Clone, PartialEq)]
pub enum TSource<'a> {
    Default,
    Restriction(&'a ExportRestriction),
    Agreement(&'a TradeAgreement),
}

impl EuCrmParams {
    /// Parse and check a parameters file; `file` names it in errors.
    ///
    /// Errors: TOML syntax or shape (with line and column), and per entry: SI_SR outside
    /// 0–1, EI outside 0–10, t not positive and finite, a code that is not ISO3, `until`
    /// before `from`, a material listed twice, defaults out of range.
    pub fn from_toml(text: &str, file: &str) -> Result<EuCrmParams, ParamsError> {
        let err = |message: String| ParamsError { file: file.to_owned(), message };
        let mut p: EuCrmParams = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        p.file = file.to_owned();
        if p.name.trim().is_empty() || p.version.trim().is_empty() {
            return Err(err("name and version must not be empty (they are recorded with every row)".into()));
        }
        let d = &p.defaults;
        if !(0.0..=1.0).contains(&d.si_sr) {
            return Err(err(format!("defaults.si_sr = {}: expected a number in 0–1", d.si_sr)));
        }
        if !(0.0..=10.0).contains(&d.missing_wgi_scaled) {
            return Err(err(format!("defaults.missing_wgi_scaled = {}: expected a number in 0–10", d.missing_wgi_scaled)));
        }
        if !d.sr_threshold.is_finite() || d.sr_threshold < 0.0 {
            return Err(err(format!("defaults.sr_threshold = {}: expected a non-negative number", d.sr_threshold)));
        }
        if !(0.0..=10.0).contains(&d.ei_threshold) {
            return Err(err(format!("defaults.ei_threshold = {}: expected a number in 0–10 (the EI scale)", d.ei_threshold)));
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in &p.substitution {
            if !(0.0..=1.0).contains(&s.si_sr) {
                return Err(err(format!("substitution of {:?}: si_sr = {}: expected a number in 0–1", s.material, s.si_sr)));
            }
            if !seen.insert(&s.material) {
                return Err(err(format!("substitution of {:?} is listed twice", s.material)));
            }
        }
        seen.clear();
        for e in &p.economic_importance {
            if !(0.0..=10.0).contains(&e.ei) {
                return Err(err(format!("economic_importance of {:?}: ei = {}: expected a number in 0–10", e.material, e.ei)));
            }
            if !seen.insert(&e.material) {
                return Err(err(format!("economic_importance of {:?} is listed twice", e.material)));
            }
        }
        for r in &mut p.export_restrictions {
            let what = format!("export_restriction of {:?} by {:?}", r.material, r.country);
            r.country = r.country.parse::<Iso3>().map_err(|e| err(format!("{what}: {e}")))?.to_string();
            if !r.t.is_finite() || r.t <= 0.0 {
                return Err(err(format!("{what}: t = {}: expected a positive number", r.t)));
            }
            if r.until.is_some_and(|u| u < r.from) {
                return Err(err(format!("{what}: until {} is before from {}", r.until.unwrap_or_default(), r.from)));
            }
        }
        let mut agreement_partners = std::collections::BTreeSet::new();
        for a in &mut p.trade_agreements {
            if !a.t.is_finite() || a.t <= 0.0 {
                return Err(err(format!("trade_agreement of {:?}: t = {}: expected a positive number", a.importer, a.t)));
            }
            for q in &mut a.partners {
                q.iso3 = q.iso3.parse::<Iso3>().map_err(|e| err(format!("trade_agreement of {:?}: {e}", a.importer)))?.to_string();
                if !agreement_partners.insert((a.importer.clone(), q.iso3.clone())) {
                    return Err(err(format!("trade_agreement of {:?}: partner {} is listed twice", a.importer, q.iso3)));
                }
            }
        }
        let mut seen_restrictions = std::collections::BTreeSet::new();
        for r in &p.export_restrictions {
            if !seen_restrictions.insert((r.material.clone(), r.country.clone(), r.from)) {
                return Err(err(format!("export_restriction of {:?} by {} from {} is listed twice", r.material, r.country, r.from)));
            }
        }
        Ok(p)
    }

    /// The file shipped with this build.
    pub fn builtin() -> EuCrmParams {
        EuCrmParams::from_toml(BUILTIN_EU_CRM_TOML, "params/eu_crm.toml").expect("the shipped EU CRM parameters parse")
    }

    /// Read and parse a parameters file.
    pub fn load(path: &std::path::Path) -> Result<EuCrmParams, ParamsError> {
        let text = std::fs::read_to_string(path).map_err(|e| ParamsError { file: path.display().to_string(), message: e.to_string() })?;
        EuCrmParams::from_toml(&text, &path.display().to_string())
    }

    /// `name version`, recorded with every row.
    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.version)
    }

    /// SI_SR of a material and whether it is the default.
    pub fn si_sr(&self, material: &str) -> (f64, bool) {
        self.substitution.iter().find(|s| s.material == material).map_or((self.defaults.si_sr, true), |s| (s.si_sr, false))
    }

    /// EI of a material, when given.
    pub fn ei(&self, material: &str) -> Option<f64> {
        self.economic_importance.iter().find(|e| e.material == material).map(|e| e.ei)
    }

    /// Every material, country and importer the file names, with the entry naming it, for a
    /// check against the store: `(kind, value, entry)`, kind `material`, `country` or `importer`.
    pub fn references(&self) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        for r in &self.raw_materials {
            for m in [&r.extraction, &r.processing] {
                out.push(("material", m.clone(), format!("raw_material {:?}", r.name)));
            }
        }
        for s in &self.substitution {
            out.push(("material", s.material.clone(), format!("substitution of {:?}", s.material)));
        }
        for e in &self.economic_importance {
            out.push(("material", e.material.clone(), format!("economic_importance of {:?}", e.material)));
        }
        for r in &self.export_restrictions {
            let entry = format!("export_restriction of {:?} by {}", r.material, r.country);
            out.push(("material", r.material.clone(), entry.clone()));
            out.push(("country", r.country.clone(), entry));
        }
        for a in &self.trade_agreements {
            let entry = format!("trade_agreement of {:?}", a.importer);
            out.push(("importer", a.importer.clone(), entry.clone()));
            for q in &a.partners {
                out.push(("country", q.iso3.clone(), entry.clone()));
            }
        }
        out
    }

    /// The trade parameter of `supplier` for `material` in `year`: the product of the export
    /// restriction in force (global supply and sourcing) and, for the sourcing of a unit
    /// (`Some`: the agreements that apply to it), the first agreement with `supplier` as a
    /// partner that year. Returns t and what set it (restriction first).
    pub fn t<'a>(
        &'a self,
        material: &str,
        supplier: &str,
        year: i32,
        agreements: Option<&[&'a TradeAgreement]>,
    ) -> (f64, Vec<TSource<'a>>) {
        let mut t = 1.0;
        let mut why = Vec::new();
        if let Some(r) = self
            .export_restrictions
            .iter()
            .find(|r| r.material == material && r.country == supplier && r.from <= year && r.until.is_none_or(|u| year <= u))
        {
            t *= r.t;
            why.push(TSource::Restriction(r));
        }
        if let Some(list) = agreements
            && let Some(a) = list.iter().find(|a| a.partners.iter().any(|p| p.iso3 == supplier && p.from <= year))
        {
            t *= a.t;
            why.push(TSource::Agreement(a));
        }
        if why.is_empty() {
            why.push(TSource::Default);
        }
        (t, why)
    }

    /// The raw material a dataset material belongs to and its stage name, when listed as
    /// a two-stage raw material.
    pub fn raw_material_of(&self, material: &str) -> Option<(&RawMaterial, &'static str)> {
        self.raw_materials.iter().find_map(|r| {
            if r.extraction == material {
                Some((r, "extraction"))
            } else if r.processing == material {
                Some((r, "processing"))
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_parses_and_answers() {
        let p = EuCrmParams::builtin();
        assert_eq!(p.label(), "eu_crm 2026.11-1");
        assert_eq!(p.si_sr("Cobalt"), (1.0, true));
        // Indonesia's ore ban counts from 2020; the EU27's agreement with Japan from 2019.
        assert_eq!(p.t("Nickel", "IDN", 2019, None).0, 1.0);
        assert_eq!(p.t("Nickel", "IDN", 2020, None).0, 1.1);
        let eu: Vec<&TradeAgreement> = p.trade_agreements.iter().filter(|a| a.importer == "EU27").collect();
        assert_eq!(p.t("Nickel", "JPN", 2020, Some(&eu)).0, 0.8);
        assert_eq!(p.t("Nickel", "JPN", 2018, Some(&eu)).0, 1.0);
        assert_eq!(p.t("Nickel", "JPN", 2020, Some(&[])).0, 1.0);
        assert_eq!(p.t("Nickel", "IDN", 2020, Some(&eu)).0, 1.1);
        assert_eq!(p.t("Rare Earths (REO)", "CHN", 2015, None).0, 1.0);
        assert_eq!(p.raw_material_of("Bauxite").map(|(r, s)| (r.name.as_str(), s)), Some(("Aluminium/bauxite", "extraction")));
    }

    #[test]
    fn bad_files_name_the_entry() {
        let base = EuCrmParams::BUILTIN_FOR_TESTS;
        let bad = base.replace("si_sr = 1.0", "si_sr = 1.5");
        let e = EuCrmParams::from_toml(&bad, "x.toml").unwrap_err().to_string();
        assert!(e.starts_with("x.toml: defaults.si_sr = 1.5"), "{e}");
        let bad = base.replace("country = \"IDN\"\nfrom = 2020", "country = \"Indonesia\"\nfrom = 2020");
        let e = EuCrmParams::from_toml(&bad, "x.toml").unwrap_err().to_string();
        assert!(e.contains("export_restriction of \"Nickel\" by \"Indonesia\""), "{e}");
        let bad = base.replace(
            "until = 2014\nt = 1.1\nmeasure = \"export quotas (WTO DS431: found",
            "until = 2004\nt = 1.1\nmeasure = \"export quotas (WTO DS431: found",
        );
        let e = EuCrmParams::from_toml(&bad, "x.toml").unwrap_err().to_string();
        assert!(e.contains("until 2004 is before from 2010"), "{e}");
        let bad = base.replace("{ iso3 = \"KEN\", from = 2024 },", "{ iso3 = \"KEN\", from = 2024 }, { iso3 = \"JPN\", from = 2020 },");
        let e = EuCrmParams::from_toml(&bad, "x.toml").unwrap_err().to_string();
        assert!(e.contains("partner JPN is listed twice"), "{e}");
        let bad = base.replace("ei_threshold = 2.8", "ei_threshold = 50");
        let e = EuCrmParams::from_toml(&bad, "x.toml").unwrap_err().to_string();
        assert!(e.contains("defaults.ei_threshold = 50"), "{e}");
        let bad = base.replace("version = \"2026.11-1\"", "version = \"\"");
        assert!(EuCrmParams::from_toml(&bad, "x.toml").unwrap_err().to_string().contains("must not be empty"));
        let e = EuCrmParams::from_toml("name = 1", "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml") && e.contains("line 1"), "{e}");
    }
}

#[cfg(test)]
impl EuCrmParams {
    const BUILTIN_FOR_TESTS: &'static str = BUILTIN_EU_CRM_TOML;
}
