//! Importing units: a country (`JPN`), a named group (`EU27`, `G7`, or any group of
//! `params/country_groups.toml`) or a coalition of those written with `+` (`JPN+DEU`,
//! `EU27+JPN`). A coalition or group is one importer: trade between its members is not
//! an import of the unit (METHODS.md §1).
//!
//! Group membership has dates; a country belongs to a group in year Y when it was a member
//! on 1 July of Y ([`CountryGroups::members`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::{CodeError, Iso3};

/// Errors of importer specifications and group files.
#[derive(Debug, thiserror::Error)]
pub enum ImporterError {
    /// A part of an importer that is neither an ISO3 code nor a known group.
    #[error("{part:?} in importer {spec:?} is neither an ISO3 country code (e.g. JPN) nor a group ({known})")]
    Unknown { spec: String, part: String, known: String },
    /// An empty importer or an empty part (`JPN+`).
    #[error("importer {0:?} has an empty part; write e.g. JPN, JPN+DEU or EU27")]
    Empty(String),
    /// The group file cannot be read or parsed (the message has its line and column).
    #[error("{file}: {message}")]
    File { file: String, message: String },
    /// A member code in the group file is not ISO3.
    #[error("{file}: group {group}: {source}")]
    Member {
        file: String,
        group: String,
        #[source]
        source: CodeError,
    },
}

/// One importing unit as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ImporterSpec {
    /// A single country.
    Country(Iso3),
    /// A named group of the group file.
    Group(String),
    /// Several countries and/or groups as one unit.
    Coalition(Vec<ImporterSpec>),
}

impl ImporterSpec {
    /// True for a group or coalition (intra-unit trade must be dropped).
    pub fn is_composite(&self) -> bool {
        !matches!(self, ImporterSpec::Country(_))
    }
}

impl fmt::Display for ImporterSpec {
    /// The canonical label: `JPN`, `EU27`, `JPN+DEU`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImporterSpec::Country(c) => write!(f, "{c}"),
            ImporterSpec::Group(g) => f.write_str(g),
            ImporterSpec::Coalition(parts) => {
                let labels: Vec<String> = parts.iter().map(ToString::to_string).collect();
                f.write_str(&labels.join("+"))
            }
        }
    }
}

/// A group's membership of one country.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Membership {
    /// The member, ISO3.
    pub iso3: String,
    /// First day of membership.
    pub from: NaiveDate,
    /// Last day of membership; `None` while a member.
    pub until: Option<NaiveDate>,
}

/// A named group of countries.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Group {
    pub name: String,
    pub description: String,
    /// Where the membership dates come from.
    pub source: String,
    pub members: Vec<Membership>,
}

#[derive(Debug, Deserialize)]
struct GroupFile {
    version: String,
    group: Vec<Group>,
}

/// The groups of `params/country_groups.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryGroups {
    /// The file's `version`, recorded with every result that uses a group.
    pub version: String,
    groups: BTreeMap<String, Group>,
}

/// `params/country_groups.toml` as shipped with this build.
pub const BUILTIN_GROUPS_TOML: &str = include_str!("../../../params/country_groups.toml");

impl CountryGroups {
    /// The groups shipped with this build (`params/country_groups.toml`).
    pub fn builtin() -> CountryGroups {
        CountryGroups::from_toml(BUILTIN_GROUPS_TOML, "params/country_groups.toml").expect("the shipped group file parses")
    }

    /// Parse a group file; `file` names it in errors.
    ///
    /// Errors: TOML syntax or shape (with line and column), a member code that is not ISO3.
    pub fn from_toml(text: &str, file: &str) -> Result<CountryGroups, ImporterError> {
        let parsed: GroupFile = toml::from_str(text).map_err(|e| ImporterError::File { file: file.to_owned(), message: e.to_string() })?;
        let mut groups = BTreeMap::new();
        let invalid =
            |group: &str, message: String| ImporterError::File { file: file.to_owned(), message: format!("group {group:?}: {message}") };
        for mut g in parsed.group {
            if g.name.is_empty() || !g.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(invalid(&g.name, "a name is letters, digits, '_' or '-' (no '+', which joins coalitions)".into()));
            }
            if g.members.is_empty() {
                return Err(invalid(&g.name, "no members".into()));
            }
            if let Some(m) = g.members.iter().find(|m| m.until.is_some_and(|u| u < m.from)) {
                return Err(invalid(
                    &g.name,
                    format!("member {} leaves ({}) before it joins ({})", m.iso3, m.until.expect("until"), m.from),
                ));
            }
            if groups.contains_key(&g.name.to_ascii_uppercase()) {
                return Err(invalid(&g.name, "defined twice".into()));
            }
            for m in &mut g.members {
                m.iso3 = m
                    .iso3
                    .parse::<Iso3>()
                    .map_err(|source| ImporterError::Member { file: file.to_owned(), group: g.name.clone(), source })?
                    .to_string();
            }
            groups.insert(g.name.to_ascii_uppercase(), g);
        }
        Ok(CountryGroups { version: parsed.version, groups })
    }

    /// Read and parse a group file.
    pub fn load(path: &Path) -> Result<CountryGroups, ImporterError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ImporterError::File { file: path.display().to_string(), message: e.to_string() })?;
        CountryGroups::from_toml(&text, &path.display().to_string())
    }

    /// The group called `name` (case-insensitive).
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(&name.to_ascii_uppercase())
    }

    /// Names of the groups.
    pub fn names(&self) -> Vec<&str> {
        self.groups.values().map(|g| g.name.as_str()).collect()
    }

    /// Parse an importer: `JPN`, `twn`, `EU27`, `JPN+DEU`, `EU27+JPN`. A part that names a
    /// group is the group, otherwise it must be an ISO3 code (`S19` is read as `TWN`).
    pub fn parse_importer(&self, text: &str) -> Result<ImporterSpec, ImporterError> {
        let parts: Vec<&str> = text.split('+').map(str::trim).collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(ImporterError::Empty(text.to_owned()));
        }
        let mut specs = Vec::with_capacity(parts.len());
        for part in &parts {
            if let Some(g) = self.group(part) {
                specs.push(ImporterSpec::Group(g.name.clone()));
            } else if let Ok(c) = part.parse::<Iso3>() {
                specs.push(ImporterSpec::Country(c));
            } else {
                return Err(ImporterError::Unknown { spec: text.to_owned(), part: (*part).to_owned(), known: self.names().join(", ") });
            }
        }
        Ok(if specs.len() == 1 { specs.pop().expect("one") } else { ImporterSpec::Coalition(specs) })
    }

    /// The countries an importer stands for in `year`: a group's members on 1 July of
    /// that year, a coalition's union.
    pub fn members(&self, spec: &ImporterSpec, year: i32) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect(spec, year, &mut out);
        out
    }

    fn collect(&self, spec: &ImporterSpec, year: i32, out: &mut BTreeSet<String>) {
        match spec {
            ImporterSpec::Country(c) => {
                out.insert(c.to_string());
            }
            ImporterSpec::Group(name) => {
                let day = NaiveDate::from_ymd_opt(year, 7, 1).expect("valid date");
                if let Some(g) = self.group(name) {
                    out.extend(g.members.iter().filter(|m| m.from <= day && m.until.is_none_or(|u| day <= u)).map(|m| m.iso3.clone()));
                }
            }
            ImporterSpec::Coalition(parts) => {
                for p in parts {
                    self.collect(p, year, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> CountryGroups {
        CountryGroups::builtin()
    }

    #[test]
    fn eu_membership_follows_the_year() {
        let g = groups();
        let eu = g.parse_importer("EU27").unwrap();
        assert_eq!(g.members(&eu, 1994).len(), 12);
        assert_eq!(g.members(&eu, 1995).len(), 15);
        assert_eq!(g.members(&eu, 2005).len(), 25);
        assert_eq!(g.members(&eu, 2007).len(), 27);
        let y2013 = g.members(&eu, 2013);
        assert_eq!(y2013.len(), 28);
        assert!(y2013.contains("HRV") && y2013.contains("GBR"));
        assert!(!g.members(&eu, 2012).contains("HRV"));
        assert!(g.members(&eu, 2019).contains("GBR"));
        let y2020 = g.members(&eu, 2020);
        assert_eq!(y2020.len(), 27);
        assert!(!y2020.contains("GBR"));
    }

    #[test]
    fn coalitions_and_countries() {
        let g = groups();
        let c = g.parse_importer("JPN+DEU").unwrap();
        assert!(c.is_composite());
        assert_eq!(c.to_string(), "JPN+DEU");
        assert_eq!(g.members(&c, 2022).into_iter().collect::<Vec<_>>(), vec!["DEU", "JPN"]);
        let j = g.parse_importer(" jpn ").unwrap();
        assert_eq!(j, ImporterSpec::Country("JPN".parse().unwrap()));
        assert!(!j.is_composite());
        assert_eq!(g.parse_importer("S19").unwrap().to_string(), "TWN");
        let mix = g.parse_importer("eu27+JPN").unwrap();
        assert_eq!(mix.to_string(), "EU27+JPN");
        assert_eq!(g.members(&mix, 2022).len(), 28);
        assert_eq!(g.members(&g.parse_importer("G7").unwrap(), 2022).len(), 7);
        // Germany is in both: counted once.
        assert_eq!(g.members(&g.parse_importer("G7+EU27").unwrap(), 2022).len(), 27 + 7 - 3);
    }

    #[test]
    fn bad_importers_are_explained() {
        let g = groups();
        let e = g.parse_importer("EU99").unwrap_err().to_string();
        assert!(e.contains("\"EU99\" in importer \"EU99\" is neither an ISO3 country code"), "{e}");
        assert!(e.contains("EU27, G7"), "{e}");
        assert!(g.parse_importer("JPN+").unwrap_err().to_string().contains("empty part"));
    }

    #[test]
    fn group_files_are_checked() {
        let group = |name: &str, members: &str| {
            format!("version = \"1\"\n[[group]]\nname = \"{name}\"\ndescription = \"\"\nsource = \"\"\nmembers = [{members}]\n")
        };
        let err = |text: String| CountryGroups::from_toml(&text, "g.toml").unwrap_err().to_string();
        assert!(err(group("A+B", "{ iso3 = \"DEU\", from = \"2000-01-01\" }")).contains("no '+'"));
        assert!(err(group("X", "")).contains("group \"X\": no members"));
        let e = err(group("X", "{ iso3 = \"DEU\", from = \"2000-01-01\", until = \"1999-01-01\" }"));
        assert!(e.contains("DEU leaves (1999-01-01) before it joins (2000-01-01)"), "{e}");
        let twice = group("X", "{ iso3 = \"DEU\", from = \"2000-01-01\" }")
            + &group("x", "{ iso3 = \"DEU\", from = \"2000-01-01\" }").replace("version = \"1\"\n", "");
        assert!(err(twice).contains("defined twice"));
    }

    #[test]
    fn bad_group_files_name_the_place() {
        let e = CountryGroups::from_toml("version = \"1\"\n[[group]]\nname = 5\n", "groups.toml").unwrap_err().to_string();
        assert!(e.starts_with("groups.toml: "), "{e}");
        assert!(e.contains("line 3"), "{e}");
        let bad_member = "version = \"1\"\n[[group]]\nname = \"X\"\ndescription = \"\"\nsource = \"\"\nmembers = [{ iso3 = \"JAPAN\", from = \"2000-01-01\" }]\n";
        let e = CountryGroups::from_toml(bad_member, "groups.toml").unwrap_err().to_string();
        assert!(e.contains("group X") && e.contains("JAPAN"), "{e}");
    }
}
