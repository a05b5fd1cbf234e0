#!/usr/bin/env python3
"""Generate a synthetic, seeded CEPII BACI release (HS92, 2022, V202401b) into a directory.

Files written (the names `chokepoint ingest baci` recognises):

  BACI_HS92_Y2022_V202401b.csv       t,i,j,k,v,q   --rows trade flows (default 10,000,000)
  country_codes_V202401b.csv         country_code,country_name,country_iso2,country_iso3
  product_codes_HS92_V202401b.csv    code,description

Shape, as in a real release:
  * t = 2022; i (exporter) and j (importer) are distinct codes of the country file;
  * k is a 6-digit HS code of the product file, written as text with its leading zeros
    (010111), unquoted;
  * v is the value in thousands of USD with 3 decimals, log-normal (heavy-tailed), > 0;
  * q is the quantity in tonnes with 3 decimals; about 3 % of rows have `NA` instead,
    half of those padded with spaces as BACI's R export does (`         NA`);
  * every (i, j, k) appears once, and rows are ordered by i, j, k like BACI's files.

Everything is computed by DuckDB SQL from hash(row number XOR a per-seed salt), not random(),
so the files are byte-identical for a given --seed and --rows whatever the thread count.
Unique keys: row n takes a pseudo-random slot inside its own stride of the
countries x partners x products key space (stratified sampling), which keeps keys
distinct and sorted without any join or sort.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import duckdb

RELEASE = "V202401b"
YEAR = 2022
TRADE_FILE = f"BACI_HS92_Y{YEAR}_{RELEASE}.csv"
COUNTRY_FILE = f"country_codes_{RELEASE}.csv"
PRODUCT_FILE = f"product_codes_HS92_{RELEASE}.csv"
STAMP_FILE = "generated.json"
GENERATOR_VERSION = 1

N_COUNTRIES = 230  # codes 4, 7, 10, ... (distinct, ascending with the index)
N_PRODUCTS = 5000  # HS6 codes 010000 .. 995008, distinct, ascending with the index
PRODUCT_STRIDE = 197  # product p's code lies in [10000 + 197p, 10000 + 197(p+1))


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


MASK64 = (1 << 64) - 1


def salt(seed: int, name: str) -> str:
    """A 64-bit constant for one (seed, stream) pair, as a SQL literal.

    Each pseudo-random stream is hash(n XOR salt): DuckDB's integer hash is a bijective
    64-bit mixer, so streams with different salts are independent in practice, whereas
    hash(n, seed, 'name') combines the parts too linearly (its streams are correlated).
    """
    x = _splitmix64(int(seed) & MASK64)
    for ch in name.encode():
        x = _splitmix64(x ^ ch)
    return f"{x}::UBIGINT"


def macros(seed: int) -> str:
    """SQL macros shared by the three files."""
    return f"""
    -- 64 pseudo-random bits of stream `s` at position n
    CREATE OR REPLACE TEMP MACRO rbits(n, s) AS hash(xor(n::UBIGINT, s));
    -- uniform in (0, 1): 53 bits
    CREATE OR REPLACE TEMP MACRO unif(n, s) AS
        ((rbits(n, s) >> 11)::DOUBLE + 0.5) / 9007199254740992.0;
    -- standard normal (Box-Muller) from two streams
    CREATE OR REPLACE TEMP MACRO gauss(n, s1, s2) AS
        sqrt(-2.0 * ln(unif(n, s1))) * cos(2.0 * pi() * unif(n, s2));
    CREATE OR REPLACE TEMP MACRO country_code(idx) AS (4 + 3 * idx)::INTEGER;
    CREATE OR REPLACE TEMP MACRO hs6(p) AS
        lpad((10000 + {PRODUCT_STRIDE} * p
              + (rbits(p, {salt(seed, 'k')}) % {PRODUCT_STRIDE})::BIGINT)::VARCHAR, 6, '0');
    -- three distinct letters per index: idx * 113 is a permutation of 0 .. 26^3 - 1
    CREATE OR REPLACE TEMP MACRO letters3(idx) AS
        chr((65 + ((idx * 113) % 17576) // 676)::INTEGER)
        || chr((65 + (((idx * 113) % 17576) // 26) % 26)::INTEGER)
        || chr((65 + ((idx * 113) % 17576) % 26)::INTEGER);
    CREATE OR REPLACE TEMP MACRO letters2(idx) AS
        chr((65 + ((idx * 7) % 676) // 26)::INTEGER) || chr((65 + ((idx * 7) % 676) % 26)::INTEGER);
    """


def generate(out_dir: Path, rows: int, seed: int, threads: int | None = None) -> dict:
    key_space = N_COUNTRIES * (N_COUNTRIES - 1) * N_PRODUCTS
    if rows < 1:
        raise SystemExit("--rows must be at least 1")
    if rows > key_space:
        raise SystemExit(f"--rows {rows} exceeds the {key_space} distinct (i, j, k) keys")
    per_exporter = (N_COUNTRIES - 1) * N_PRODUCTS

    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = out_dir / STAMP_FILE
    if stamp.exists():
        stamp.unlink()

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    con.execute(macros(seed))

    def copy(select_sql: str, name: str) -> None:
        tmp = out_dir / (name + ".tmp")
        con.execute(f"COPY ({select_sql}) TO '{tmp}' (FORMAT csv, HEADER, DELIMITER ',')")
        os.replace(tmp, out_dir / name)

    copy(
        f"""
        SELECT country_code(range) AS country_code,
               CASE WHEN range % 10 = 3 THEN 'Country ' || letters3(range) || ', Rep. of'
                    ELSE 'Country ' || letters3(range) END AS country_name,
               letters2(range) AS country_iso2,
               letters3(range) AS country_iso3
        FROM range({N_COUNTRIES}) ORDER BY range
        """,
        COUNTRY_FILE,
    )
    copy(
        f"""
        SELECT hs6(range) AS code,
               'Synthetic goods of heading ' || substr(hs6(range), 1, 4) || ', subheading '
                   || hs6(range) AS description
        FROM range({N_PRODUCTS}) ORDER BY range
        """,
        PRODUCT_FILE,
    )

    t0 = time.perf_counter()
    copy(
        f"""
        WITH slot AS (
            -- row n owns the key slots [lo(n), lo(n + 1)), lo(n) = n * key_space // rows
            SELECT range AS n,
                   range * {key_space} // {rows}
                   + (rbits(range, {salt(seed, 'slot')})
                      % ((range + 1) * {key_space} // {rows} - range * {key_space} // {rows}))::BIGINT AS pos
            FROM range({rows})
        ), key AS (
            SELECT n,
                   pos // {per_exporter} AS ei,
                   (pos % {per_exporter}) // {N_PRODUCTS} AS jo,
                   pos % {N_PRODUCTS} AS pk
            FROM slot
        ), val AS (
            SELECT n, ei, jo, pk,
                   greatest(round(exp(2.5 + 2.5 * gauss(n, {salt(seed, 'v1')}, {salt(seed, 'v2')})), 3), 0.001) AS v
            FROM key
        )
        SELECT {YEAR} AS t,
               country_code(ei) AS i,
               country_code(CASE WHEN jo >= ei THEN jo + 1 ELSE jo END) AS j,
               hs6(pk) AS k,
               printf('%.3f', v) AS v,
               CASE WHEN unif(n, {salt(seed, 'na')}) < 0.015 THEN '         NA'
                    WHEN unif(n, {salt(seed, 'na')}) < 0.03 THEN 'NA'
                    ELSE printf('%.3f', round(v * exp(-(0.5 + 1.5 * gauss(n, {salt(seed, 'p1')}, {salt(seed, 'p2')}))), 3))
               END AS q
        FROM val
        ORDER BY n
        """,
        TRADE_FILE,
    )
    seconds = time.perf_counter() - t0
    con.close()

    info = {
        "generator_version": GENERATOR_VERSION,
        "rows": rows,
        "seed": seed,
        "countries": N_COUNTRIES,
        "products": N_PRODUCTS,
        "trade_file": TRADE_FILE,
        "trade_bytes": (out_dir / TRADE_FILE).stat().st_size,
        "files": [TRADE_FILE, COUNTRY_FILE, PRODUCT_FILE],
        "duckdb_version": duckdb.__version__,
        "seconds": round(seconds, 3),
    }
    stamp.write_text(json.dumps(info, indent=2) + "\n")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path, help="directory to write the release into")
    ap.add_argument("--rows", type=int, default=10_000_000, help="trade rows (default 10,000,000)")
    ap.add_argument("--seed", type=int, default=42, help="seed (default 42)")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    ap.add_argument("--if-missing", action="store_true",
                    help="do nothing when out_dir already holds a complete release of the same rows and seed")
    args = ap.parse_args(argv)

    if args.if_missing:
        stamp = args.out_dir / STAMP_FILE
        try:
            info = json.loads(stamp.read_text())
            if (info.get("generator_version") == GENERATOR_VERSION and info.get("rows") == args.rows
                    and info.get("seed") == args.seed
                    and all((args.out_dir / f).is_file() for f in info.get("files", []))):
                return 0
        except (OSError, ValueError):
            pass

    info = generate(args.out_dir, args.rows, args.seed, args.threads)
    print(f"generated {info['rows']:,} rows ({info['trade_bytes'] / 1e6:.1f} MB) in {args.out_dir} "
          f"in {info['seconds']:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
