#!/usr/bin/env python3
"""Check that two `dependency` outputs (chokepoint's or a peer's) hold the same figures.

  dependency_compare.py A.parquet B.parquet [--rel-tol 1e-9] [--abs-tol 0] [--watch CHN]

Each side is a Parquet file (or a folder of them) with at least the columns
importer, year, material, import_value_usd, supplier_count, top_supplier, top_share,
top3_share, hhi, watch_share_CHN; other columns (hs6 lists, members, flags, ...) are ignored.
Rows are joined on (importer, year, material). Floats must agree to --rel-tol relative
(|a - b| <= rel_tol * max(|a|, |b|), or <= --abs-tol); supplier_count and top_supplier exactly;
null only against null.

Prints the rows compared, the largest relative difference of each float column, up to 10
mismatches and up to 10 keys found on one side only. Exit 0 when everything agrees, 1 on
any mismatch or difference in the set of rows, 2 when a file cannot be read or lacks a column.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import duckdb

KEYS = ["importer", "year", "material"]
FLOATS = ["import_value_usd", "top_share", "top3_share", "hhi"]
EXACT = ["supplier_count", "top_supplier"]


def sql_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def source(path: str) -> str:
    p = Path(path)
    if p.is_dir():
        return f"read_parquet({sql_text(str(p / '**' / '*.parquet'))})"
    if p.is_file():
        return f"read_parquet({sql_text(str(p))})"
    print(f"dependency_compare.py: {path}: no such file or folder", file=sys.stderr)
    sys.exit(2)


def load(con: duckdb.DuckDBPyConnection, name: str, path: str, watch_col: str) -> int:
    src = source(path)
    try:
        have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    except duckdb.Error as e:
        print(f"dependency_compare.py: {path}: {e}", file=sys.stderr)
        sys.exit(2)
    want = KEYS + FLOATS + EXACT + [watch_col]
    missing = [c for c in want if c not in have]
    if missing:
        print(f"dependency_compare.py: {path} lacks column(s) {', '.join(missing)} (has: {', '.join(sorted(have))})",
              file=sys.stderr)
        sys.exit(2)
    con.execute(f"""
        CREATE TABLE {name} AS
        SELECT CAST(importer AS VARCHAR) AS importer, CAST(year AS BIGINT) AS year,
               CAST(material AS VARCHAR) AS material,
               CAST(import_value_usd AS DOUBLE) AS import_value_usd,
               CAST(supplier_count AS BIGINT) AS supplier_count,
               CAST(top_supplier AS VARCHAR) AS top_supplier,
               CAST(top_share AS DOUBLE) AS top_share, CAST(top3_share AS DOUBLE) AS top3_share,
               CAST(hhi AS DOUBLE) AS hhi, CAST("{watch_col}" AS DOUBLE) AS watch
        FROM {src}
    """)
    return con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", help="Parquet file or folder (e.g. chokepoint's output)")
    ap.add_argument("b", help="Parquet file or folder (e.g. a peer's output)")
    ap.add_argument("--rel-tol", type=float, default=1e-9)
    ap.add_argument("--abs-tol", type=float, default=0.0)
    ap.add_argument("--watch", default="CHN", help="compare watch_share_<WATCH> (default %(default)s)")
    ap.add_argument("--show", type=int, default=10, help="mismatches / one-sided keys to print (default %(default)s)")
    args = ap.parse_args(argv)
    watch_col = f"watch_share_{args.watch}"

    con = duckdb.connect()
    n = {"a": load(con, "a", args.a, watch_col), "b": load(con, "b", args.b, watch_col)}
    print(f"A = {args.a} ({n['a']} rows)\nB = {args.b} ({n['b']} rows)")
    bad = False

    for side in ("a", "b"):
        dups = con.execute(f"""SELECT importer, year, material, count(*) FROM {side}
                               GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL""").fetchall()
        if dups:
            bad = True
            print(f"{side.upper()}: {len(dups)} key(s) appear more than once, e.g. {dups[:args.show]}")

    def key_eq(l: str, r: str) -> str:
        return " AND ".join(f"{l}.{k} IS NOT DISTINCT FROM {r}.{k}" for k in KEYS)

    for side, other in (("a", "b"), ("b", "a")):
        only = con.execute(f"""SELECT {side}.importer, {side}.year, {side}.material, {side}.import_value_usd
                               FROM {side} ANTI JOIN {other} ON {key_eq(side, other)}
                               ORDER BY ALL""").fetchall()
        if only:
            bad = True
            print(f"only in {side.upper()}: {len(only)} row(s)")
            for r in only[:args.show]:
                print(f"  {r[0]} {r[1]} {r[2]!r} import_value_usd={r[3]!r}")

    cols = FLOATS + EXACT + ["watch"]
    pairs = con.execute(f"""
        SELECT a.importer, a.year, a.material, {', '.join(f'a.{c}, b.{c}' for c in cols)}
        FROM a JOIN b ON {key_eq('a', 'b')} ORDER BY a.importer, a.year, a.material""").fetchall()
    floats = set(FLOATS + ["watch"])
    names = {c: (watch_col if c == "watch" else c) for c in cols}
    max_rel = {c: 0.0 for c in floats}
    identical = {c: 0 for c in floats}
    mismatches = []
    for row in pairs:
        key, vals = row[:3], row[3:]
        for i, c in enumerate(cols):
            x, y = vals[2 * i], vals[2 * i + 1]
            if x is None or y is None:
                ok = x is None and y is None
            elif c in floats:
                if x == y or (math.isnan(x) and math.isnan(y)):
                    ok = True
                    identical[c] += 1
                else:
                    ok = math.isclose(x, y, rel_tol=args.rel_tol, abs_tol=args.abs_tol)
                    scale = max(abs(x), abs(y))
                    rel = abs(x - y) / scale if scale and not math.isnan(x - y) else math.inf
                    max_rel[c] = max(max_rel[c], rel)
            else:
                ok = x == y
            if not ok:
                mismatches.append((key, names[c], x, y))

    print(f"compared {len(pairs)} rows on (importer, year, material); floats to {args.rel_tol:g} relative"
          + (f" or {args.abs_tol:g} absolute" if args.abs_tol else ""))
    for c in FLOATS + ["watch"]:
        print(f"  {names[c]:<17} bit-identical {identical[c]}/{len(pairs)}, largest relative difference {max_rel[c]:.3g}")
    if mismatches:
        bad = True
        rows_hit = len({m[0] for m in mismatches})
        print(f"MISMATCH: {len(mismatches)} figure(s) in {rows_hit} row(s); first {min(args.show, len(mismatches))}:")
        for (imp, yr, mat), c, x, y in mismatches[:args.show]:
            print(f"  {imp} {yr} {mat!r} {c}: A={x!r} B={y!r}")
    print("FAIL" if bad else "OK: same rows, same figures")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
