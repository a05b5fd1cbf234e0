#!/usr/bin/env python3
"""The DuckDB side of bench/ingest_baci.sh: one BACI trade CSV to one snappy Parquet file.

It does the work `chokepoint ingest baci` does to the trade rows, as far as plain SQL goes:
typed read of t,i,j,k,v,q with k kept as text (leading zeros), v from thousands of USD to
USD, q parsed to DOUBLE with NA (padded or not) as null, and (variant `sorted`) the rows
ordered by importer, HS6, exporter (j, k, i) as chokepoint stores them. Variant `unsorted`
skips the sort.

Not done here (chokepoint does it): mapping country codes to ISO3 through the codes file,
summing rows whose key repeats, validating every field, SHA-256 of the inputs, the
countries/products tables and the store's manifest.

Prints the number of rows written.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

COLUMNS = "{'t': 'INTEGER', 'i': 'INTEGER', 'j': 'INTEGER', 'k': 'VARCHAR', 'v': 'DOUBLE', 'q': 'VARCHAR'}"


def sql_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def query(csv: str, sort: bool) -> str:
    order = "ORDER BY j, k, i" if sort else ""
    return f"""
        SELECT t AS year,
               i AS exporter,
               j AS importer,
               k AS hs6,
               v * 1000 AS value_usd,
               TRY_CAST(trim(q) AS DOUBLE) AS quantity_t
        FROM read_csv({sql_text(csv)}, header = true, delim = ',', columns = {COLUMNS})
        {order}
    """


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", help="the BACI trade CSV (t,i,j,k,v,q)")
    ap.add_argument("out", help="the Parquet file to write")
    ap.add_argument("--variant", choices=["sorted", "unsorted"], default="sorted")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    args = ap.parse_args(argv)

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    copy = (f"COPY ({query(args.csv, args.variant == 'sorted')}) "
            f"TO {sql_text(args.out)} (FORMAT parquet, COMPRESSION snappy)")
    rows = con.execute(copy).fetchone()[0]
    con.close()
    print(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
