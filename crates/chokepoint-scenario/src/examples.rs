//! The example scenarios shipped with chokepoint (`scenarios/` of the source tree, compiled
//! in): usable by name from `chokepoint scenario run NAME` and `/api/scenario?name=NAME`.

use crate::{Scenario, ScenarioError};

/// Name (the file name without `.toml`) and TOML text of every shipped scenario.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("chn-gallium-germanium-2023", include_str!("../../../scenarios/chn-gallium-germanium-2023.toml")),
    ("chn-graphite-2023", include_str!("../../../scenarios/chn-graphite-2023.toml")),
    ("chn-graphite-2023-partners", include_str!("../../../scenarios/chn-graphite-2023-partners.toml")),
    ("chn-rare-earths-2025", include_str!("../../../scenarios/chn-rare-earths-2025.toml")),
    ("idn-nickel-ore-2020", include_str!("../../../scenarios/idn-nickel-ore-2020.toml")),
    ("rus-nickel-palladium", include_str!("../../../scenarios/rus-nickel-palladium.toml")),
    ("cod-cobalt-halt", include_str!("../../../scenarios/cod-cobalt-halt.toml")),
];

/// The names of the shipped scenarios, comma-separated (for error messages).
pub fn names() -> String {
    EXAMPLES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

/// The shipped scenario `name` (`chn-graphite-2023`; a trailing `.toml` and a leading folder
/// are ignored), parsed with the file name `scenarios/NAME.toml`; `None` when there is none
/// of that name.
pub fn example(name: &str) -> Option<Result<Scenario, ScenarioError>> {
    let name = name.trim().trim_end_matches(".toml");
    let name = name.rsplit('/').next().unwrap_or(name);
    EXAMPLES.iter().find(|(n, _)| *n == name).map(|(n, text)| Scenario::parse(text, &format!("scenarios/{n}.toml")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_parses_and_is_found_by_name() {
        for (n, _) in EXAMPLES {
            let s = example(n).unwrap().unwrap();
            assert_eq!(s.file, format!("scenarios/{n}.toml"));
            assert!(!s.title.is_empty());
        }
        assert_eq!(example("scenarios/cod-cobalt-halt.toml").unwrap().unwrap().file, "scenarios/cod-cobalt-halt.toml");
        assert!(example("atlantis-2030").is_none());
        assert!(names().starts_with("chn-gallium-germanium-2023, chn-graphite-2023"));
    }
}
