#!/usr/bin/env python3
"""The peer of chokepoint's GeoPolRisk: the figures of geopolrisk-py 2.0.1, run as it ships.

  bench/.venv/bin/python bench/geopolrisk_peer.py --countries JPN,DEU,USA
        --materials all|"Cobalt,Lithium" --years 2020..2022 --out OUT.csv
        [--region NAME:ISO3,ISO3,...]... [--engine core|main] [--keep-workdir] [--progress]

geopolrisk-py (GPL-3, PyPI) is only *run* here, from bench/.venv (`bench/setup-venv.sh geopolrisk`
installs it from bench/requirements-geopolrisk.txt); none of its code is copied. It carries its own data in
site-packages/geopolrisk/lib/ (baci.db: BACI HS92 V202401b 1995-2024 for its mapped HS6
codes, with the WGI "Normalized" political-stability table; world_mining_data.db: WMD
production 2018-2024 and the `HS Code Map`; wgi.db), and reads them in place, read-only.

Where it writes: on import, geopolrisk.assessment.database creates
`Path.home()/Documents/geopolrisk/{logs,databases,output}` (a DEBUG log file, a copy of
"Company data.xlsx"; main.gprs_calc adds output/results.xlsx and output/Datarecords.db).
This script sets HOME to a fresh temporary directory (tempfile.mkdtemp, under $TMPDIR or
/tmp) before importing the package, so nothing is written outside it and --out; the
directory is removed at the end unless --keep-workdir.

Output: one CSV row per importer x material x year that the package computed:

  importer      ISO3 as given in --countries, or the NAME of a --region
  material      the package's raw-material name: `Reference ID` of the HS Code Map
                (`all` = geopolrisk.assessment.utils.default_rmlist(): the 53 names whose
                HS code is not "Not Available" and that have a Symbol)
  year          int
  score         GeoPolRisk score = hhi * import_risk
  cf            characterisation factor [kg Cu-eq/kg] = score * price / 0.409412948
  import_risk   WTA = sum(q_partner * wgi_partner) / (sum(q_partner) + own production)
  hhi           HHI of world mine production (0-1)
  price         sum(BACI v) / sum(BACI q) of the importer's imports, i.e. kUSD/t = USD/kg

Rows are written importer-major, then material, then year, in the order given. A triple
the package fails on (e.g. a year without production data, 1995-2017) gets no row; it is
listed in OUT.errors.csv (importer, material, year, error) and counted on stderr.
OUT.meta.json records the scope, the versions, the timings and the Python warnings seen.

Engines (both call only the package's own functions; the figures are the same):

  core (default)  builds the trade table once with utils.mapped_baci(), adds the regions
                  with utils.regions(), then for each year x importer x material does what
                  the body of main.gprs_calc does: members = databases.regionslist[name];
                  utils.aggregateTrade(year, members, material, data) -> numerator, total
                  trade, price; core.HHI(material, year, member) for each member -> summed
                  own production, hhi; core.GeoPolRisk(...) -> score, cf, import_risk.
                  Unlike gprs_calc, a failing triple is recorded and the loop goes on.
  main            calls main.gprs_calc(years, names, materials, region_dict) once and reads
                  the DataFrame it returns. gprs_calc `break`s out of its whole loop at the
                  first failing triple (loop order: year, then importer, then material), so
                  with a year before 2018 it returns nothing at all; the script then lists
                  every missing triple in OUT.errors.csv as "not returned by gprs_calc".

Importers: the package keys countries by BACI/Comtrade numeric code and name (its
`Country_ISO` table equals BACI's country_codes_V202401b: USA is 842 "USA", FRA 251, IND
699, CHE 757, NOR 579, TWN is 490 "Other Asia, nes"). ISO3 is resolved through baci.db's
country_codes table; where an ISO3 has two codes (DEU 276/280, BEL 56/58, SDN 729/736),
the one that reports imports in the latest BACI year is taken (DEU -> 276 "Germany").

Regions: --region NAME:ISO3,ISO3,... (repeatable) is passed to the package as
region_dict {NAME: [country names]} (utils.regions; the package wants names, not codes).
The package then treats NAME as one importer: trade is summed over the members' imports
(aggregateTrade), imports from a member get WGI 0 but stay in total trade and in the price,
own production is the members' summed production, the HHI is the world's. `--region EU`
alone uses the package's built-in "EU" (the 27 names in geopolrisk.assessment.database).

What the package does (2.0.1, read from its source and checked against its output):

  - trade: BACI rows of the material's HS6 codes (`HS Code` + `HS Code - Complementary`,
    summed per partner) with the importer as reporter j and exporter i; q in t, v in kUSD
    (q NULL/"NA" -> 0 while v still counts towards the price). BACI has no i == j rows.
  - price = sum(v)/sum(q) = USD/kg; 0 when the importer has no imports (then WTA = 0 too).
  - WGI: the "Normalized" political-stability score of the exporter for the same year
    (0 = stable .. 1 = unstable); a partner without one gets 0.5 (e.g. BACI 490 "Other Asia,
    nes", i.e. Taiwan; Gibraltar, Curacao, Sint Maarten, Turks and Caicos, ...), and so would
    every partner in a year WGI lacks (1995/97/99/2001; moot: those years fail on production).
  - own production: the importer's WMD production in that year, added to the denominator;
    WMD unit "kg" (Gold, Silver, Palladium, Platinum, Rhodium) is divided by 1000 to t;
    "Mio m3" (Natural gas) is NOT converted (the branch meant for it is unreachable; the
    package only logs "Raw material not in metric tonne or kilos"), so Mio m3 is added to t;
    "ct" (Diamonds) never arises, those have no HS code.
  - hhi: over the producing countries' values of the year (the "Total" row, Country_Code
    "DELETE", left out; NULL -> 0), each truncated to an integer first (astype(int)).
  - years: WMD production exists for 2018-2024 only; for 1995-2017, core.HHI fails
    (UnboundLocalError: 'prod_year'), so no row: listed in OUT.errors.csv (engine core) or
    the whole gprs_calc run returns nothing (engine main).
  - cf = score * price / 0.409412948 (the package's fixed Cu reference).
  - materials whose bundled BACI has no rows for the year (e.g. Germanium, HS 811230, which
    the bundled BACI has for 1995-2016 only) give score = cf = import_risk = price = 0.

Prints the number of rows on stdout, and timings on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import json
import logging
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

PACKAGE = "geopolrisk-py"
COLUMNS = ["importer", "material", "year", "score", "cf", "import_risk", "hhi", "price"]


def parse_years(text: str) -> list[int]:
    years: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if ".." in part:
            lo, hi = part.split("..", 1)
            lo_i, hi_i = int(lo), int(hi)
            if hi_i < lo_i:
                raise argparse.ArgumentTypeError(f"empty year range {part!r}")
            years.extend(range(lo_i, hi_i + 1))
        else:
            years.append(int(part))
    if not years:
        raise argparse.ArgumentTypeError("no years given")
    return list(dict.fromkeys(years))


def split_list(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Run geopolrisk-py 2.0.1 for a scope and write its figures to CSV.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument("--countries", default="", help="importers, ISO3, comma-separated")
    p.add_argument(
        "--materials",
        default="all",
        help='"all" or the package\'s Reference IDs, comma-separated (e.g. "Cobalt,Lithium")',
    )
    p.add_argument("--years", type=parse_years, required=True, help="2020..2022 or 2020,2022")
    p.add_argument("--out", required=True, type=Path, help="output CSV")
    p.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="NAME:ISO3,ISO3,...",
        help="a region as one importer (repeatable); NAME alone uses a region the package defines (EU)",
    )
    p.add_argument("--engine", choices=["core", "main"], default="core")
    p.add_argument("--keep-workdir", action="store_true", help="keep the package's temp HOME")
    p.add_argument("--progress", action="store_true", help="let tqdm draw its progress bars")
    a = p.parse_args(argv)
    a.countries = [c.upper() for c in split_list(a.countries)]
    if not a.countries and not a.region:
        p.error("give --countries and/or --region")
    for c in a.countries:
        if len(c) != 3 or not c.isalpha():
            p.error(f"--countries wants ISO3 codes, got {c!r}")
    return a


class WarningLog:
    """Counts Python warnings (category, message, place) and still prints the first of each."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self._orig = warnings.showwarning

    def install(self) -> None:
        warnings.simplefilter("always")

        def show(message, category, filename, lineno, file=None, line=None):
            key = (category.__name__, str(message).strip().splitlines()[0][:300], f"{Path(filename).name}:{lineno}")
            self.counts[key] += 1
            if self.counts[key] == 1:
                self._orig(message, category, filename, lineno, file, line)

        warnings.showwarning = show

    def summary(self) -> list[dict]:
        return [
            {"category": c, "message": m, "where": w, "count": n}
            for (c, m, w), n in self.counts.most_common()
        ]


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()

    # Point the package's working folder (Path.home()/Documents/geopolrisk) at a temp dir
    # before it is imported: database.py creates it at import time.
    workdir = Path(tempfile.mkdtemp(prefix="geopolrisk-home-"))
    real_home = os.environ.get("HOME")
    os.environ["HOME"] = str(workdir)
    if not args.progress:
        os.environ["TQDM_DISABLE"] = "1"
    wlog = WarningLog()
    wlog.install()

    try:
        # The package print()s progress ("Created directory: ...") on stdout: keep stdout for
        # the row count alone.
        with contextlib.redirect_stdout(sys.stderr):
            n = run(args, workdir, wlog, t_start)
        if n < 0:
            return 2
        print(n)
        return 0
    finally:
        if real_home is not None:
            os.environ["HOME"] = real_home
        if args.keep_workdir:
            print(f"package working folder kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path, wlog: WarningLog, t_start: float) -> int:
    from importlib.metadata import version

    t0 = time.perf_counter()
    from geopolrisk.assessment.database import databases  # reads the three .db files (slow)
    from geopolrisk.assessment import core, utils
    from geopolrisk.assessment import main as gmain

    t_import = time.perf_counter() - t0
    # The package logs to a DEBUG file in its working folder (logging.basicConfig). Several of its
    # calls are malformed (`logging.debug("text", exc)` without a %s), which makes logging print a
    # "--- Logging error ---" traceback on stderr for each: count those instead of printing them.
    log_errors: Counter[str] = Counter()
    for h in logging.getLogger().handlers:
        def handle_error(record, _h=h):
            log_errors[str(record.msg).strip().split(",")[0][:120]] += 1
        h.handleError = handle_error
    pkg_version = version(PACKAGE)
    if pkg_version != "2.0.1":
        print(f"warning: {PACKAGE} {pkg_version} installed, this script was written for 2.0.1", file=sys.stderr)
    home_dir = Path(databases.directory)
    if workdir not in home_dir.parents:
        print(f"error: package working folder {home_dir} is not under {workdir}", file=sys.stderr)
        return -1
    lib = Path(core.__file__).resolve().parent.parent / "lib"

    # --- importers: ISO3 -> the package's country name ---------------------------------
    names_by_code = {
        int(iso): name
        for iso, name in zip(databases.production["Country_ISO"]["ISO"], databases.production["Country_ISO"]["Country"])
    }
    bt = databases.baci_trade
    last_year_as_reporter = (
        bt.assign(_y=bt["period"].astype(int), _c=bt["reporterCode"].astype(int)).groupby("_c")["_y"].max().to_dict()
    )
    con = sqlite3.connect(f"file:{lib / 'baci.db'}?mode=ro", uri=True)
    cc_rows = con.execute("SELECT country_code, country_iso3 FROM country_codes_V202401b").fetchall()
    con.close()
    codes_by_iso3: dict[str, list[int]] = {}
    for code, iso3 in cc_rows:
        if iso3:
            codes_by_iso3.setdefault(iso3.upper(), []).append(int(code))

    def iso3_to_name(iso3: str) -> str:
        codes = [c for c in codes_by_iso3.get(iso3, []) if c in names_by_code]
        if not codes:
            raise SystemExit(f"error: ISO3 {iso3!r} not in the package's country table")
        code = max(codes, key=lambda c: (last_year_as_reporter.get(c, -1), c))
        return names_by_code[code]

    importers: list[tuple[str, str]] = [(iso3, iso3_to_name(iso3)) for iso3 in args.countries]  # (label, package key)
    region_dict: dict[str, list[str]] = {}
    region_members_iso3: dict[str, list[str]] = {}
    region_labels: list[str] = []
    for spec in args.region:
        name, sep, members = spec.partition(":")
        name = name.strip()
        if not name:
            raise SystemExit(f"error: --region {spec!r}: no name")
        if name in names_by_code.values():
            raise SystemExit(f"error: --region {name!r}: that is a country name in the package; pick another")
        if not sep:
            if name not in databases.regionslist or len(databases.regionslist[name]) < 2:
                raise SystemExit(f"error: --region {name!r}: the package defines no such region; use NAME:ISO3,...")
        else:
            iso3s = [m.upper() for m in split_list(members)]
            if not iso3s:
                raise SystemExit(f"error: --region {spec!r}: no members")
            region_dict[name] = [iso3_to_name(m) for m in iso3s]
            region_members_iso3[name] = iso3s
        importers.append((name, name))
        region_labels.append(name)

    # --- materials -----------------------------------------------------------------------
    known = utils.default_rmlist()
    if args.materials.strip().lower() == "all":
        materials = known
    else:
        materials = split_list(args.materials)
        unknown = [m for m in materials if m not in known]
        if unknown:
            raise SystemExit(f"error: unknown material(s) {unknown}; the package knows: {', '.join(known)}")

    label_of = {key: label for label, key in importers}
    keys = [key for _, key in importers]
    years = args.years
    results: dict[tuple[str, str, int], tuple[float, float, float, float, float]] = {}
    errors: dict[tuple[str, str, int], str] = {}

    t_prep = t_calc = 0.0
    if args.engine == "core":
        t1 = time.perf_counter()
        trade = utils.mapped_baci()
        utils.regions(region_dict)
        t_prep = time.perf_counter() - t1
        t2 = time.perf_counter()
        for year, key, rm in itertools.product(years, keys, materials):
            try:
                members = databases.regionslist[utils.cvtcountry(key, type="Name")]
                numerator, total_trade, price = utils.aggregateTrade(year, members, rm, data=trade)
                own_production = []
                for m in members:
                    q, hhi = core.HHI(rm, int(year), utils.cvtcountry(m, type="Name"))
                    own_production.append(q)
                score, cf, wta = core.GeoPolRisk(numerator, total_trade, price, sum(own_production), hhi)
                results[(key, rm, year)] = (score, cf, wta, hhi, price)
            except Exception as e:  # gprs_calc would `break` here
                errors[(key, rm, year)] = f"{type(e).__name__}: {e}"
        t_calc = time.perf_counter() - t2
    else:
        t2 = time.perf_counter()
        df = gmain.gprs_calc(years, keys, materials, region_dict)
        t_calc = time.perf_counter() - t2
        for r in df.itertuples(index=False):
            key, rm, year = r[1], r[2], int(r[3])
            results[(key, rm, year)] = (r[4], r[5], r[7], r[6], r[8])
        for year, key, rm in itertools.product(years, keys, materials):
            if (key, rm, year) not in results:
                errors[(key, rm, year)] = "not returned by gprs_calc (it stops at the first failing triple)"

    # --- write ---------------------------------------------------------------------------
    args.out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with args.out.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for key in keys:
            for rm in materials:
                for year in years:
                    v = results.get((key, rm, year))
                    if v is None:
                        continue
                    w.writerow([label_of[key], rm, year, *(repr(float(x)) for x in v)])
                    n += 1
    stem = args.out.with_suffix("")
    err_path = Path(f"{stem}.errors.csv")
    with err_path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["importer", "material", "year", "error"])
        for key in keys:
            for rm in materials:
                for year in years:
                    e = errors.get((key, rm, year))
                    if e is not None:
                        w.writerow([label_of[key], rm, year, e])

    t_total = time.perf_counter() - t_start
    meta = {
        "package": PACKAGE,
        "version": pkg_version,
        "engine": args.engine,
        "countries": {label: key for label, key in importers if label not in region_labels},
        "regions": {
            name: {"iso3": region_members_iso3.get(name), "package_members": databases.regionslist.get(name)}
            for name in region_labels
        },
        "materials": materials,
        "years": years,
        "rows": n,
        "errors": len(errors),
        "error_kinds": dict(Counter(e.split(":")[0] for e in errors.values())),
        "seconds": {
            "import_package": round(t_import, 3),
            "mapped_baci": round(t_prep, 3),
            "calculation": round(t_calc, 3),
            "total": round(t_total, 3),
        },
        "warnings": wlog.summary(),
        "malformed_package_log_calls": dict(log_errors.most_common()),
        "package_lib": str(lib),
    }
    Path(f"{stem}.meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    print(
        f"rows={n} errors={len(errors)} import={t_import:.1f}s mapped_baci={t_prep:.1f}s "
        f"calc={t_calc:.1f}s total={t_total:.1f}s warnings={sum(wlog.counts.values())} "
        f"malformed_package_log_calls={sum(log_errors.values())}",
        file=sys.stderr,
    )
    return n


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
