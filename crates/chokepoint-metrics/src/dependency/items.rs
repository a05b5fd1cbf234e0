//! Units of analysis: the materials of the `materials` table (their HS6 codes, main then
//! complementary) or single HS6 products, resolved from what the user typed.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;

use chokepoint_model::Hs6;

use super::{DependencyError, ItemSelection, query};

#[derive(Debug, Clone)]
pub struct Item {
    /// The material's name (`materials.material`); `None` for a single HS6 product.
    pub material: Option<String>,
    /// HS6 codes: the main code(s), then the complementary code(s).
    pub codes: Vec<String>,
    /// Material whose production figures apply.
    pub production_material: Option<String>,
}

impl Item {
    pub fn label(&self) -> String {
        self.material.clone().unwrap_or_else(|| format!("HS {}", self.codes[0]))
    }
}

/// The items of a selection, with their HS6 codes. Unknown or ambiguous materials and
/// unknown HS6 codes are [`DependencyError::Usage`]; materials without a code are named in
/// `notices` and left out.
pub async fn resolve_items(ctx: &SessionContext, sel: &ItemSelection, notices: &mut Vec<String>) -> Result<Vec<Item>, DependencyError> {
    let materials = query::text_rows(
        ctx,
        "SELECT material, symbol, array_to_string(hs6_main, ';'), array_to_string(hs6_complementary, ';') FROM materials ORDER BY material",
    )
    .await?;
    let split = |s: &Option<String>| -> Vec<String> {
        s.as_deref().unwrap_or("").split(';').filter(|c| !c.is_empty()).map(str::to_owned).collect()
    };
    let all: Vec<(String, String, Vec<String>, Vec<String>)> = materials
        .iter()
        .map(|r| (r[0].clone().unwrap_or_default(), r[1].clone().unwrap_or_default(), split(&r[2]), split(&r[3])))
        .collect();
    let material_item = |(name, _, main, compl): &(String, String, Vec<String>, Vec<String>)| {
        let mut codes = main.clone();
        for c in compl {
            if !codes.contains(c) {
                codes.push(c.clone());
            }
        }
        Item { material: Some(name.clone()), codes, production_material: Some(name.clone()) }
    };
    let chosen: Vec<&(String, String, Vec<String>, Vec<String>)> = match sel {
        ItemSelection::AllMaterials => all.iter().collect(),
        ItemSelection::Materials(names) => {
            let mut out = Vec::new();
            for n in names {
                let lower = n.trim().to_lowercase();
                let exact: Vec<_> = all.iter().filter(|m| m.0.to_lowercase() == lower || m.1.to_lowercase() == lower).collect();
                let found = if exact.len() == 1 {
                    // Say so when an exact name or symbol hides other materials containing the text.
                    let also: Vec<&str> = all
                        .iter()
                        .filter(|m| m.0 != exact[0].0 && (m.0.to_lowercase().contains(&lower) || m.1.to_lowercase().contains(&lower)))
                        .map(|m| m.0.as_str())
                        .collect();
                    if !also.is_empty() {
                        notices.push(format!(
                            "-m {n:?} is {} (its exact name or symbol); also containing {n:?}: {} (name them to include them)",
                            exact[0].0,
                            also.join(", ")
                        ));
                    }
                    exact
                } else {
                    all.iter().filter(|m| m.0.to_lowercase().contains(&lower) || m.1.to_lowercase().contains(&lower)).collect()
                };
                match found.as_slice() {
                    [one] => {
                        if !out.iter().any(|m: &&(String, String, Vec<String>, Vec<String>)| m.0 == one.0) {
                            out.push(*one);
                        }
                    }
                    [] => {
                        return Err(DependencyError::Usage(format!(
                            "no material {n:?}; the materials are: {}",
                            all.iter().map(|m| m.0.as_str()).collect::<Vec<_>>().join(", ")
                        )));
                    }
                    many => {
                        return Err(DependencyError::Usage(format!(
                            "material {n:?} is ambiguous: {}",
                            many.iter().map(|m| m.0.as_str()).collect::<Vec<_>>().join(", ")
                        )));
                    }
                }
            }
            out
        }
        ItemSelection::Hs6(codes) => {
            let products: BTreeSet<String> =
                query::text_rows(ctx, "SELECT hs6 FROM products").await?.into_iter().filter_map(|r| r[0].clone()).collect();
            let mut items: Vec<Item> = Vec::new();
            for c in codes {
                let code = c.trim().parse::<Hs6>().map_err(|e| DependencyError::Usage(format!("--hs {c:?}: {e}")))?.to_string();
                if !products.contains(&code) {
                    return Err(DependencyError::Usage(format!(
                        "HS6 {code} is not a product code of the store's nomenclature (`chokepoint sql \"SELECT * FROM products\"` lists them)"
                    )));
                }
                if items.iter().any(|i| i.codes[0] == code) {
                    continue;
                }
                // Production figures: the one material with this as its main code, else the one
                // material listing it as complementary; none when that is ambiguous.
                let main: Vec<&String> = all.iter().filter(|m| m.2.contains(&code)).map(|m| &m.0).collect();
                let compl: Vec<&String> = all.iter().filter(|m| m.3.contains(&code)).map(|m| &m.0).collect();
                let owner = match (main.as_slice(), compl.as_slice()) {
                    ([one], _) => Some((*one).clone()),
                    ([], [one]) => Some((*one).clone()),
                    _ => None,
                };
                items.push(Item { material: None, codes: vec![code], production_material: owner });
            }
            return Ok(items);
        }
    };
    let (with, without): (Vec<_>, Vec<_>) = chosen.into_iter().partition(|m| !m.2.is_empty() || !m.3.is_empty());
    if !without.is_empty() {
        notices.push(format!(
            "no HS6 code in World Mining Data's HS Code Map, not covered: {}",
            without.iter().map(|m| m.0.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if with.is_empty() {
        return Err(DependencyError::Usage(format!(
            "{} {} no HS6 code in the materials table: use --hs with the codes you mean",
            without.iter().map(|m| m.0.as_str()).collect::<Vec<_>>().join(", "),
            if without.len() == 1 { "has" } else { "have" }
        )));
    }
    let items: Vec<Item> = with.into_iter().map(material_item).collect();
    let mut owners: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for it in &items {
        for c in &it.codes {
            owners.entry(c).or_default().push(it.material.as_deref().unwrap_or(""));
        }
    }
    for (code, ms) in owners.iter().filter(|(_, ms)| ms.len() > 1) {
        notices.push(format!("{} share HS6 {code}: their figures overlap", ms.join(" and ")));
    }
    Ok(items)
}
