#!/usr/bin/env python3
"""The peers of `chokepoint dependency` in bench/dependency.sh: the same figures with one engine.

  dependency_peers.py --engine duckdb|polars --store STORE_DIR --out OUT.parquet
                      [--importer JPN,DEU,JPN+DEU] [--years 1995..2024] [--watch CHN]

Reads the chokepoint store's Parquet files directly (STORE_DIR is a data directory's `store`
symlink or the store folder it points at):

  STORE/trade/year=YYYY/*.parquet   importer, hs6, exporter, value_usd, quantity_t (hive: year)
  STORE/materials.parquet           material, hs6_main list<string>, hs6_complementary list<string>, ...
                                    (or STORE/materials/*.parquet)

and writes one row per importing unit x material x year with imports, on value basis:

  importer          the unit as given: ISO3 (JPN) or a coalition of ISO3 joined by `+` (JPN+DEU)
  year              int32
  material          the material's name
  import_value_usd  sum of value_usd of the flows into the unit over the material's HS6 codes
                    (hs6_main + hs6_complementary, each code counted once per material);
                    for a coalition, trade between its members is left out (exporter not a member)
  supplier_count    exporters whose summed value is > 0
  top_supplier      the largest exporter; ties broken by ISO3 ascending
  top_share         its share of import_value_usd
  top3_share        sum of the 3 largest shares
  hhi               sum of squared shares (0-1)
  watch_share_CHN   CHN's share (0 when CHN does not supply); the suffix follows --watch

Materials without HS6 codes give no rows, nor does a unit x material x year without imports.
Shares are value/total per exporter in both engines, so the two agree to rounding (the order
of floating-point sums may differ).

Only the engine's own work is done here (read, compute, write); the caller times the whole
process. Prints the number of rows written, and on stderr `engine_seconds=S`: the time of
that work alone, after the interpreter's start-up and the engine's import.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import time
from pathlib import Path

ISO3 = re.compile(r"^[A-Z]{3}$")


def parse_units(spec: str) -> list[tuple[str, list[str]]]:
    """`JPN,DEU,JPN+DEU` -> [(JPN, [JPN]), (DEU, [DEU]), (JPN+DEU, [JPN, DEU])]."""
    units = []
    for unit in (u.strip() for u in spec.split(",")):
        members = [m.strip().upper() for m in unit.split("+")]
        if not unit or not all(ISO3.match(m) for m in members):
            raise SystemExit(f"dependency_peers.py: --importer: '{unit}' is not ISO3 or ISO3+ISO3+... "
                             "(named groups such as EU27 are chokepoint's, not the peers')")
        if len(set(members)) != len(members):
            raise SystemExit(f"dependency_peers.py: --importer: '{unit}' repeats a member")
        units.append(("+".join(members), members))
    if len({u for u, _ in units}) != len(units):
        raise SystemExit("dependency_peers.py: --importer: a unit is given twice")
    return units


def parse_years(spec: str | None) -> tuple[int, int] | None:
    if spec is None:
        return None
    m = re.fullmatch(r"(\d{4})(?:\.\.(\d{4}))?", spec.strip())
    if not m:
        raise SystemExit(f"dependency_peers.py: --years: expected YYYY or YYYY..YYYY, got '{spec}'")
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if first > last:
        raise SystemExit(f"dependency_peers.py: --years: {first} > {last}")
    return first, last


def store_paths(store: str) -> tuple[str, str]:
    root = Path(store).resolve()  # follow the `store` symlink
    trade = root / "trade"
    if not trade.is_dir() or not any(trade.glob("year=*/*.parquet")):
        raise SystemExit(f"dependency_peers.py: no trade/year=*/*.parquet under {root}")
    if (root / "materials.parquet").is_file():
        materials = str(root / "materials.parquet")
    elif any((root / "materials").glob("*.parquet")):
        materials = str(root / "materials" / "*.parquet")
    else:
        raise SystemExit(f"dependency_peers.py: no materials.parquet or materials/*.parquet under {root}")
    return str(trade / "year=*" / "*.parquet"), materials


def sql_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def run_duckdb(trade: str, materials: str, units, years, watch: str, out: str, threads: int | None) -> int:
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    unit_rows = ", ".join(f"({sql_text(u)}, {sql_text(m)})" for u, ms in units for m in ms)
    year_filter = f"AND t.year BETWEEN {years[0]} AND {years[1]}" if years else ""
    query = f"""
        WITH
        unit_member(unit, member) AS (VALUES {unit_rows}),
        material_code AS (   -- each code once per material; materials without codes drop out
            SELECT DISTINCT material, code AS hs6
            FROM (SELECT material,
                         unnest(list_concat(coalesce(hs6_main, []::VARCHAR[]),
                                            coalesce(hs6_complementary, []::VARCHAR[]))) AS code
                  FROM read_parquet({sql_text(materials)}))
            WHERE code IS NOT NULL
        ),
        by_exporter AS (     -- unit x year x material x exporter, members' trade among themselves left out
            SELECT um.unit, CAST(t.year AS INTEGER) AS year, mc.material, t.exporter,
                   sum(t.value_usd) AS v
            FROM read_parquet({sql_text(trade)}, hive_partitioning = true) AS t
            JOIN material_code AS mc ON mc.hs6 = t.hs6
            JOIN unit_member AS um ON um.member = t.importer
            WHERE NOT EXISTS (SELECT 1 FROM unit_member AS x WHERE x.unit = um.unit AND x.member = t.exporter)
              {year_filter}
            GROUP BY ALL
            HAVING sum(t.value_usd) > 0
        ),
        shares AS (
            SELECT *, v / sum(v) OVER (PARTITION BY unit, year, material) AS share
            FROM by_exporter
        )
        SELECT unit AS importer, year, material,
               sum(v) AS import_value_usd,
               CAST(count(*) AS BIGINT) AS supplier_count,
               first(exporter ORDER BY v DESC, exporter ASC) AS top_supplier,
               max(share) AS top_share,
               list_sum(list_slice(list(share ORDER BY share DESC), 1, 3)) AS top3_share,
               sum(share * share) AS hhi,
               coalesce(sum(share) FILTER (WHERE exporter = {sql_text(watch)}), 0.0) AS "watch_share_{watch}"
        FROM shares
        GROUP BY unit, year, material
        ORDER BY importer, year, material
    """
    rows = con.execute(f"COPY ({query}) TO {sql_text(out)} (FORMAT parquet, COMPRESSION snappy)").fetchone()[0]
    con.close()
    return int(rows)


def run_polars(trade: str, materials: str, units, years, watch: str, out: str, threads: int | None) -> int:
    import polars as pl  # threads: POLARS_MAX_THREADS, set in main() before the first import

    no_codes = pl.lit([], dtype=pl.List(pl.String))
    material_code = (
        pl.scan_parquet(materials)
        .select("material",
                pl.concat_list(pl.col("hs6_main").fill_null(no_codes),
                               pl.col("hs6_complementary").fill_null(no_codes)).alias("hs6"))
        .explode("hs6")
        .drop_nulls("hs6")
        .unique()  # each code once per material
    )
    unit_member = pl.LazyFrame(
        {"unit": [u for u, ms in units for _ in ms], "member": [m for _, ms in units for m in ms]},
        schema={"unit": pl.String, "member": pl.String},
    )
    t = pl.scan_parquet(trade, hive_partitioning=True)
    if years:
        t = t.filter(pl.col("year").is_between(years[0], years[1]))
    keys = ["unit", "year", "material"]
    by_exporter = (
        t.select("importer", "hs6", "exporter", "value_usd", pl.col("year").cast(pl.Int32))
        .join(material_code, on="hs6", how="inner")
        .join(unit_member, left_on="importer", right_on="member", how="inner")
        # members' trade among themselves left out
        .join(unit_member, left_on=["unit", "exporter"], right_on=["unit", "member"], how="anti")
        .group_by([*keys, "exporter"])
        .agg(pl.col("value_usd").sum().alias("v"))
        .filter(pl.col("v") > 0)
        .with_columns((pl.col("v") / pl.col("v").sum().over(keys)).alias("share"))
    )
    share = pl.col("share")
    result = (
        by_exporter.group_by(keys)
        .agg(
            pl.col("v").sum().alias("import_value_usd"),
            pl.len().cast(pl.Int64).alias("supplier_count"),
            pl.col("exporter").sort_by(["v", "exporter"], descending=[True, False]).first().alias("top_supplier"),
            share.max().alias("top_share"),
            share.top_k(3).sum().alias("top3_share"),
            (share * share).sum().alias("hhi"),
            share.filter(pl.col("exporter") == watch).sum().alias(f"watch_share_{watch}"),  # 0 when absent
        )
        .rename({"unit": "importer"})
        .sort(["importer", "year", "material"])
    )
    df = result.collect()
    df.write_parquet(out, compression="snappy")
    return df.height


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=["duckdb", "polars"], required=True)
    ap.add_argument("--store", required=True, help="the store folder (DATA_DIR/store)")
    ap.add_argument("--out", required=True, help="the Parquet file to write")
    ap.add_argument("--importer", default="JPN,DEU,JPN+DEU", help="units, as chokepoint's --importer (default %(default)s)")
    ap.add_argument("--years", default=None, help="YYYY..YYYY (default: every year in the store)")
    ap.add_argument("--watch", default="CHN", help="the supplier whose share is reported (default %(default)s)")
    ap.add_argument("--threads", type=int, default=None, help="engine threads (default: all cores)")
    args = ap.parse_args(argv)

    units = parse_units(args.importer)
    years = parse_years(args.years)
    if not ISO3.match(args.watch):
        raise SystemExit(f"dependency_peers.py: --watch: '{args.watch}' is not ISO3")
    trade, materials = store_paths(args.store)
    if args.engine == "polars" and args.threads:
        os.environ["POLARS_MAX_THREADS"] = str(int(args.threads))  # read when polars is imported
    importlib.import_module(args.engine)  # load the engine before the clock starts
    run = run_duckdb if args.engine == "duckdb" else run_polars
    t0 = time.perf_counter()
    rows = run(trade, materials, units, years, args.watch, args.out, args.threads)
    # For information: the engine's own time, without interpreter start-up and import
    # (bench/dependency.sh times the whole process).
    print(f"engine_seconds={time.perf_counter() - t0:.4f}", file=sys.stderr)
    print(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
