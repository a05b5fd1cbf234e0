//! Vocabulary shared by every chokepoint crate: HS6 product codes, ISO 3166-1 alpha-3
//! country codes and the country-code quirks of CEPII BACI.
//!
//! The types here validate on construction, so a value of type [`Hs6`] or [`Iso3`] is
//! always well formed; parsing errors say what was expected.

pub mod eu_crm;
pub mod hubs;
pub mod importer;
pub mod risk_params;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a code could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// An HS6 code must be exactly six ASCII digits, leading zeros included (`010111`).
    #[error("expected an HS6 code of exactly 6 digits (leading zeros kept, e.g. 010111), found {0:?}")]
    Hs6(String),
    /// An ISO3 code must be three ASCII letters (BACI also uses a few letter–digit codes such as `S19`).
    #[error("expected a 3-character ISO 3166-1 alpha-3 code (e.g. JPN), found {0:?}")]
    Iso3(String),
}

/// A Harmonized System 6-digit product code, kept as text so leading zeros survive
/// (`010111` is live horses, not product 10111).
///
/// Source: the `k` column of CEPII BACI, `code` of BACI's `product_codes_HS*_V*.csv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hs6(String);

impl Hs6 {
    /// The code as six digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code from its numeric value, zero-padded to six digits. Used for sources that
    /// store HS6 as an integer (the geopolrisk bundle's `baci_trade.k`), where the leading
    /// zeros were lost by the storage type, not by the data.
    ///
    /// Errors when the number has more than six digits.
    pub fn from_number(n: u32) -> Result<Self, CodeError> {
        if n > 999_999 {
            return Err(CodeError::Hs6(n.to_string()));
        }
        Ok(Hs6(format!("{n:06}")))
    }

    /// The numeric value of the code (for compact in-memory keys).
    pub fn number(&self) -> u32 {
        self.0.parse().expect("validated six digits")
    }

    /// The HS chapter (first two digits), e.g. `28` for `280530`.
    pub fn chapter(&self) -> &str {
        &self.0[..2]
    }
}

impl FromStr for Hs6 {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if is_hs6(s.as_bytes()) { Ok(Hs6(s.to_owned())) } else { Err(CodeError::Hs6(s.to_owned())) }
    }
}

impl TryFrom<String> for Hs6 {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Hs6> for String {
    fn from(h: Hs6) -> String {
        h.0
    }
}

impl fmt::Display for Hs6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True when `b` is exactly six ASCII digits.
pub fn is_hs6(b: &[u8]) -> bool {
    b.len() == 6 && b.iter().all(u8::is_ascii_digit)
}

/// True for a code of BACI's product lists: six digits, or BACI's legacy non-WCO code
/// `9999AA` ("commodities not specified according to kind"): four digits and two upper-case letters.
pub fn is_baci_product_code(b: &[u8]) -> bool {
    is_hs6(b) || (b.len() == 6 && b[..4].iter().all(u8::is_ascii_digit) && b[4..].iter().all(u8::is_ascii_uppercase))
}

/// An ISO 3166-1 alpha-3 country code, upper case (`JPN`, `DEU`).
///
/// Taiwan is `TWN` here, although BACI files it as "Other Asia, nes" with the code `S19`
/// (numeric 490): see [`resolve_baci_iso3`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iso3(String);

impl Iso3 {
    /// The code as three upper-case characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Iso3 {
    type Err = CodeError;
    /// Accepts three ASCII letters or digits in any case; `S19` (BACI's Taiwan) becomes `TWN`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.len() == 3 && t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Iso3(resolve_baci_iso3(&t.to_ascii_uppercase()).to_owned()))
        } else {
            Err(CodeError::Iso3(s.to_owned()))
        }
    }
}

impl TryFrom<String> for Iso3 {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Iso3> for String {
    fn from(c: Iso3) -> String {
        c.0
    }
}

impl fmt::Display for Iso3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// BACI's ISO3 field for Taiwan ("Other Asia, nes", numeric code 490).
pub const BACI_TAIWAN_ISO3: &str = "S19";
/// BACI's numeric country code for Taiwan.
pub const BACI_TAIWAN_CODE: i32 = 490;

/// The ISO3 code chokepoint uses for a BACI ISO3 field: `S19` becomes `TWN` (DATA.md §3.1,
/// so that Taiwan's WGI row, keyed `TWN`, joins); every other code is returned unchanged.
pub fn resolve_baci_iso3(baci_iso3: &str) -> &str {
    if baci_iso3 == BACI_TAIWAN_ISO3 { "TWN" } else { baci_iso3 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs6_keeps_leading_zeros_and_rejects_short_codes() {
        assert_eq!("010111".parse::<Hs6>().unwrap().as_str(), "010111");
        assert_eq!(Hs6::from_number(10111).unwrap().as_str(), "010111");
        assert_eq!("280530".parse::<Hs6>().unwrap().chapter(), "28");
        assert_eq!("010111".parse::<Hs6>().unwrap().number(), 10111);
        assert!("10111".parse::<Hs6>().is_err());
        assert!("2805301".parse::<Hs6>().is_err());
        assert!("28053a".parse::<Hs6>().is_err());
        assert!(Hs6::from_number(1_000_000).is_err());
        assert!(is_baci_product_code(b"9999AA"));
        assert!(is_baci_product_code(b"010111"));
        assert!(!is_baci_product_code(b"10111"));
        assert!(!is_baci_product_code(b"9999aa"));
    }

    #[test]
    fn iso3_resolves_taiwan_and_normalises_case() {
        assert_eq!("S19".parse::<Iso3>().unwrap().as_str(), "TWN");
        assert_eq!("twn".parse::<Iso3>().unwrap().as_str(), "TWN");
        assert_eq!("jpn".parse::<Iso3>().unwrap().as_str(), "JPN");
        assert!("JP".parse::<Iso3>().is_err());
        assert!("JP-N".parse::<Iso3>().is_err());
        assert_eq!(resolve_baci_iso3("DEU"), "DEU");
    }
}
