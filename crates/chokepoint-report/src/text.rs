//! Text renderings for people: the terminal table and Markdown of the dependency rows, the
//! briefing, and the notes under them (second tier, rivals, codes, sources).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comfy_table::{CellAlignment, Table, presets};

use chokepoint_metrics::dependency::briefing::{ImporterBriefing, item_label};
use chokepoint_metrics::dependency::{Basis, DependencyResult, DependencyRow, PartnerShare};

/// Text flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Aligned text for a terminal; colour when `color` (only on a TTY).
    Terminal { color: bool },
    /// GitHub-flavoured Markdown.
    Markdown,
}

/// Shares above this are pointed out in a cell (unscored supply, value without tonnes).
const MARK_SHARE: f64 = 0.05;

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// `0.871` → `87.1%`.
pub fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A change of a share in percentage points: `+12.3 pp`.
pub fn pp(change: f64) -> String {
    format!("{:+.1} pp", change * 100.0)
}

/// USD in words people read: `1.23 bn`, `456.7 M`, `12.3 k`, `950`.
pub fn usd(v: f64) -> String {
    let a = v.abs();
    if a >= 1e15 {
        format!("{v:.2e}")
    } else if a >= 1e9 {
        format!("{:.2} bn", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1} M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// Tonnes: `1.23 Mt`, `45.6 kt`, `12.3 t`.
pub fn tonnes(t: f64) -> String {
    let a = t.abs();
    if a >= 1e6 {
        format!("{:.2} Mt", t / 1e6)
    } else if a >= 1e3 {
        format!("{:.1} kt", t / 1e3)
    } else {
        format!("{t:.1} t")
    }
}

fn partners(p: &[PartnerShare]) -> String {
    p.iter().map(|p| format!("{} {}", p.country, pct(p.share))).collect::<Vec<_>>().join(", ")
}

/// The ranked dependency table.
pub fn dependency_table(result: &DependencyResult, flavour: Flavour) -> String {
    let rows = &result.rows;
    let watch = &result.provenance.watch;
    let basis = result.provenance.basis;
    let mut t = Table::new();
    t.load_preset(match flavour {
        // UTF8_HORIZONTAL_ONLY without the lines between rows.
        Flavour::Terminal { .. } => "  ── ══      ──    ",
        Flavour::Markdown => presets::ASCII_MARKDOWN,
    });
    let mut header: Vec<String> = vec![
        "importer".into(),
        "year".into(),
        "material / HS6".into(),
        match basis {
            Basis::Value => "imports USD".into(),
            Basis::Quantity => "imports t".into(),
        },
        "suppliers".into(),
        "top supplier".into(),
        "top 3".into(),
        "HHI".into(),
    ];
    header.extend(watch.iter().map(|w| format!("{w} share")));
    header.extend(["WGI risk".into(), "top producer (HHI)".into(), "Δ top 10y".into(), "flags".into()]);
    t.set_header(header);
    for r in rows {
        let mut cells: Vec<String> = vec![
            r.importer.clone(),
            r.year.to_string(),
            item_label(r),
            match basis {
                Basis::Value => usd(r.import_value_usd),
                // Flows without tonnes are outside the shares: say how much value that is.
                Basis::Quantity if r.value_share_without_quantity > MARK_SHARE => {
                    format!("{} (+{} of value w/o t)", r.import_quantity_t.map_or("–".into(), tonnes), pct(r.value_share_without_quantity))
                }
                Basis::Quantity => r.import_quantity_t.map_or("–".into(), tonnes),
            },
            r.supplier_count.to_string(),
            format!("{} {}", r.top_supplier, pct(r.top_share)),
            pct(r.top3_share),
            format!("{:.3}", r.hhi),
        ];
        cells.extend(watch.iter().map(|w| r.watch_shares.get(w).map_or("–".into(), |s| pct(*s))));
        cells.push(match (r.import_risk_wgi, r.import_risk_unscored_share) {
            (Some(g), Some(u)) if u > MARK_SHARE => format!("{g:.3} ({} unscored)", pct(u)),
            (Some(g), _) => format!("{g:.3}"),
            _ => "–".into(),
        });
        cells.push(match (&r.top_producer, r.top_producer_share, r.production_hhi) {
            (Some(p), Some(s), Some(h)) if r.production_year != Some(r.year) => {
                format!("{p} {} ({h:.2}) [{}]", pct(s), r.production_year.map_or(String::new(), |y| y.to_string()))
            }
            (Some(p), Some(s), Some(h)) => format!("{p} {} ({h:.2})", pct(s)),
            _ => "–".into(),
        });
        cells.push(match (r.top_share_change_10y, &r.top_supplier_10y_ago) {
            (Some(c), Some(then)) if then != &r.top_supplier => format!("{} ({then})", pp(c)),
            (Some(c), _) => pp(c),
            _ => "–".into(),
        });
        cells.push(r.flags.join(" "));
        t.add_row(cells);
    }
    let right: Vec<usize> = (3..8 + watch.len() + 1).chain([10 + watch.len()]).collect();
    for i in right {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    let text = t.to_string();
    match flavour {
        Flavour::Terminal { color: true } => colour_flags(&text, rows),
        _ => text,
    }
}

/// Colour the flag words (the layout is done, so escape codes cannot break alignment).
fn colour_flags(text: &str, rows: &[DependencyRow]) -> String {
    let mut words: Vec<&str> = rows.iter().flat_map(|r| r.flags.iter().map(String::as_str)).collect();
    words.sort_unstable();
    words.dedup();
    let mut out = text.to_owned();
    for w in words {
        let colour = if w == "hub_top_supplier" { YELLOW } else { RED };
        out = out.replace(w, &format!("{colour}{w}{RESET}"));
    }
    out
}

/// Notes under the table: second tier of hub suppliers, rivals, the codes of each material,
/// notices, members of groups, method and sources.
pub fn notes(result: &DependencyResult, flavour: Flavour) -> String {
    let md = flavour == Flavour::Markdown;
    let heading = |s: &str| if md { format!("\n### {s}\n\n") } else { format!("\n{s}\n") };
    let bullet = if md { "- " } else { "  " };
    let mut out = String::new();
    let th = result.provenance.thresholds;
    let _ = writeln!(
        out,
        "{}Shares of {} ({}). HHI 0–1. WGI risk: Σ share × normalised WGI-PV (0 stable – 1 unstable), \"(x% unscored)\" = supply without a WGI score. Top producer: share of world production (production HHI) [year used when not the trade year]. Δ top 10y: top-supplier share minus the top-supplier share ten years earlier, (XXX) = who was on top then. Flags: top_share>{} ({}), hhi>{} ({}), hub_top_supplier.",
        if md { "\n" } else { "" },
        match result.provenance.basis {
            Basis::Value => "import value",
            Basis::Quantity => "import quantity",
        },
        match result.provenance.basis {
            Basis::Value => "USD",
            Basis::Quantity => "tonnes; flows without a reported quantity are left out",
        },
        th.top_share,
        th.top_share_source(),
        th.hhi,
        th.hhi_source()
    );
    let hubs: Vec<&DependencyRow> = result.rows.iter().filter(|r| !r.hub_suppliers.is_empty()).collect();
    if !hubs.is_empty() {
        out.push_str(&heading("Second tier: where the hub top supplier gets it from (share of the hub's imports)"));
        for r in hubs {
            let tier: Vec<String> = r
                .hub_suppliers
                .iter()
                .map(|p| {
                    let own = if r.members.contains(&p.country) { " (the importer itself: a round trip)" } else { "" };
                    format!("{} {}{own}", p.country, pct(p.share))
                })
                .collect();
            let _ = writeln!(
                out,
                "{bullet}{} {} {}: {} {} ← {}",
                r.importer,
                r.year,
                item_label(r),
                r.top_supplier,
                pct(r.top_share),
                tier.join(", ")
            );
        }
    }
    let rivals: Vec<&DependencyRow> = result.rows.iter().filter(|r| !r.rivals.is_empty()).collect();
    if !rivals.is_empty() {
        out.push_str(&heading("Rivals for the same supply: the top supplier's largest customers (share of its exports)"));
        for r in rivals {
            let _ = writeln!(out, "{bullet}{} {} {}: {} → {}", r.importer, r.year, item_label(r), r.top_supplier, partners(&r.rivals));
        }
    }
    let mut codes: BTreeMap<String, String> = BTreeMap::new();
    for r in result.rows.iter().filter(|r| r.material.is_some()) {
        codes.entry(item_label(r)).or_insert_with(|| r.hs6.join(", "));
    }
    if !codes.is_empty() {
        out.push_str(&heading("HS6 codes summed per material (main, then complementary)"));
        let list: Vec<String> = codes.iter().map(|(m, c)| format!("{m}: {c}")).collect();
        let _ = writeln!(out, "{bullet}{}", list.join("; "));
    }
    let p = &result.provenance;
    if !p.members.is_empty() {
        out.push_str(&heading("Members of the importing groups and coalitions"));
        for (unit, by_year) in &p.members {
            // Members change rarely: print each distinct membership once with its years.
            let mut spans: Vec<(Vec<i32>, &Vec<String>)> = Vec::new();
            for (y, m) in by_year {
                match spans.iter_mut().find(|(_, mm)| *mm == m) {
                    Some(s) => s.0.push(*y),
                    None => spans.push((vec![*y], m)),
                }
            }
            for (years, m) in spans {
                let ys = if years.len() == 1 { years[0].to_string() } else { format!("{}–{}", years[0], years[years.len() - 1]) };
                let _ = writeln!(out, "{bullet}{unit} {ys} ({} countries): {}", m.len(), m.join(" "));
            }
        }
    }
    if !result.notices.is_empty() {
        out.push_str(&heading("Notes"));
        for n in &result.notices {
            let _ = writeln!(out, "{bullet}{n}");
        }
    }
    out.push_str(&heading("Method and sources"));
    let _ = writeln!(out, "{bullet}{}", p.method);
    for rule in &p.rules {
        let _ = writeln!(out, "{bullet}{rule}");
    }
    let _ = writeln!(out, "{bullet}country groups {}, hub list {}", p.country_groups_version, p.hubs_version);
    for s in &p.sources {
        let _ = writeln!(out, "{bullet}{} {} (sha256 {})", s.name, s.release, &s.sha256[..s.sha256.len().min(12)]);
    }
    out
}

/// The briefing: per importer, benchmark breaches, watched suppliers, largest changes.
pub fn briefing(briefings: &[ImporterBriefing], result: &DependencyResult, min_value_usd: f64, flavour: Flavour) -> String {
    let md = flavour == Flavour::Markdown;
    let color = matches!(flavour, Flavour::Terminal { color: true });
    let strong = |s: &str| {
        if md {
            format!("**{s}**")
        } else if color {
            format!("{RED}{s}{RESET}")
        } else {
            s.to_owned()
        }
    };
    let th = result.provenance.thresholds;
    let basis = match result.provenance.basis {
        Basis::Value => "by value",
        Basis::Quantity => "by quantity",
    };
    let sub = if md { "  - " } else { "    " };
    let mut out = String::new();
    for b in briefings {
        if md {
            let _ = writeln!(out, "## {} {}\n", b.importer, b.year);
        } else {
            let _ = writeln!(out, "{} {}", b.importer, b.year);
        }
        let bullet = if md { "- " } else { "  " };
        let _ = writeln!(
            out,
            "{bullet}{} materials/products imported; {} with a top supplier above {} ({}), {} with HHI above {} ({}); shares {basis}",
            b.items,
            strong(&(b.above_top_share.len() + b.above_top_share_small).to_string()),
            pct(th.top_share),
            th.top_share_source(),
            b.above_hhi,
            th.hhi,
            th.hhi_source()
        );
        for h in &b.above_top_share {
            let _ = writeln!(
                out,
                "{sub}{}: {} {} (HHI {:.2}, imports {} USD)",
                h.item,
                h.top_supplier,
                strong(&pct(h.top_share)),
                h.hhi,
                usd(h.import_value_usd)
            );
        }
        if b.above_top_share_small > 0 {
            let _ = writeln!(out, "{sub}and {} with imports below {} USD (in the table)", b.above_top_share_small, usd(min_value_usd));
        }
        for w in &b.watched {
            let share = w.share_of_all.map_or("–".into(), pct);
            let _ = writeln!(
                out,
                "{bullet}{}: {share} of the importer's non-energy imports (value of all these HS6 codes outside chapter 27); top supplier of {} ({}); more than half of {}",
                w.supplier,
                w.top_supplier_of.len(),
                if w.top_supplier_of.is_empty() { "none".into() } else { w.top_supplier_of.join(", ") },
                w.majority_of.len()
            );
        }
        if b.biggest_changes.is_empty() {
            let _ = writeln!(out, "{bullet}no figures ten years earlier to compare with");
        } else {
            let _ = writeln!(
                out,
                "{bullet}largest ten-year changes of the top-supplier share (imports of at least {} USD):",
                usd(min_value_usd)
            );
            for c in &b.biggest_changes {
                let then = match (&c.top_supplier_10y_ago, c.top_share_10y_ago) {
                    (Some(s), Some(v)) => format!("{s} {}", pct(v)),
                    _ => "–".into(),
                };
                let _ = writeln!(
                    out,
                    "{sub}{}: {} ({then} → {} {}; HHI {:.2}{})",
                    c.item,
                    pp(c.top_share_change_10y),
                    c.top_supplier,
                    pct(c.top_share),
                    c.hhi,
                    c.hhi_change_10y.map_or(String::new(), |h| format!(", {h:+.2} in ten years"))
                );
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_words() {
        assert_eq!(pct(0.8712), "87.1%");
        assert_eq!(pp(-0.1234), "-12.3 pp");
        assert_eq!(pp(0.0), "+0.0 pp");
        assert_eq!(usd(1_234_000_000.0), "1.23 bn");
        assert_eq!(usd(456_700_000.0), "456.7 M");
        assert_eq!(usd(12_345.0), "12.3 k");
        assert_eq!(usd(950.0), "950");
        assert_eq!(usd(1e30), "1.00e30");
        assert_eq!(tonnes(45_600.0), "45.6 kt");
        assert_eq!(tonnes(2.0), "2.0 t");
    }
}
