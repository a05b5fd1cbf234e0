#!/usr/bin/env python3
"""Time the all-importers × all-HS6 dependency table of one store: chokepoint's kernel and
SQL engines against DuckDB and Polars over the same store Parquet, and the EU27
strategic-dependency screen (kernel and SQL engines).

    bench/.venv/bin/python bench/allproducts_peers.py --chokepoint BIN --data-dir DIR \
        [--years 2022 | --years 1995..2024] [--repeat 5] [--out bench/out/allproducts.json]

The table: per year × importer × HS6 with imports (value_usd > 0): total, number of
suppliers, top supplier, top share, top-3 share, HHI (Σ s²), written to a Parquet file
ordered by year, importer, hs6. Each peer gets its idiomatic query over
`DIR/store/trade/year=Y/*.parquet` (DuckDB: one GROUP BY with arg_max and max(v, 3);
Polars: a lazy scan, group_by/agg with top_k, sink_parquet). chokepoint runs as the
command a user types (`chokepoint dependency --all-importers --all-products …`), process
start included. Times are the median of --repeat runs (one warm-up run first, so every
tool reads from the page cache); peak memory is the largest resident set of a run
(chokepoint: the child process; peers: this process, measured in a fresh child per tool).
Ratios are chokepoint kernel / peer. The outputs are checked against each other: same
rows, HHI within 1e-9, same top supplier except on exact ties.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def years_arg(s: str) -> list[int]:
    if ".." in s:
        a, b = s.split("..")
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in s.split(",")]


def trade_globs(data_dir: Path, years: list[int]) -> list[str]:
    root = (data_dir / "store").resolve() / "trade"
    return [str(root / f"year={y}" / "*.parquet") for y in years]


DUCKDB_SQL = """
COPY (
  SELECT year, importer, hs6,
         sum(value_usd) AS import_value_usd,
         count(*) AS suppliers,
         arg_max(exporter, value_usd) AS top_supplier,
         max(value_usd) / sum(value_usd) AS top_share,
         list_sum(max(value_usd, 3)) / sum(value_usd) AS top3_share,
         sum(value_usd * value_usd) / (sum(value_usd) * sum(value_usd)) AS hhi
  FROM read_parquet({files}, hive_partitioning = true)
  WHERE value_usd > 0
  GROUP BY year, importer, hs6
  ORDER BY year, importer, hs6
) TO '{out}' (FORMAT parquet)
"""


def run_duckdb(files: list[str], out: str) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(DUCKDB_SQL.format(files=json.dumps(files).replace('"', "'"), out=out))
    con.close()


def run_polars(files: list[str], out: str) -> None:
    import polars as pl

    v = pl.col("value_usd")
    (
        pl.scan_parquet(files, hive_partitioning=True)
        .filter(v > 0)
        .group_by("year", "importer", "hs6")
        .agg(
            import_value_usd=v.sum(),
            suppliers=pl.len(),
            top_supplier=pl.col("exporter").get(v.arg_max()),
            top=v.max(),
            top3=v.top_k(3).sum(),
            squares=(v * v).sum(),
        )
        .with_columns(
            top_share=pl.col("top") / pl.col("import_value_usd"),
            top3_share=pl.col("top3") / pl.col("import_value_usd"),
            hhi=pl.col("squares") / (pl.col("import_value_usd") ** 2),
        )
        .drop("top", "top3", "squares")
        .sort("year", "importer", "hs6")
        .sink_parquet(out)
    )


def timed_child(argv: list[str]) -> tuple[float, int]:
    """Run argv in a child process; wall seconds and peak RSS (MB) of that child."""
    t = time.perf_counter()
    # os.wait4 gives this child's own rusage (RUSAGE_CHILDREN would keep the maximum of all).
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    err = p.stderr.read().decode() if p.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{err}")
    return elapsed, ru.ru_maxrss // 1024


def measure(name: str, argv: list[str], repeat: int) -> dict:
    timed_child(argv)  # warm-up: page cache, binary
    runs = [timed_child(argv) for _ in range(repeat)]
    times = [r[0] for r in runs]
    return {"tool": name, "median_s": statistics.median(times), "runs_s": times, "peak_rss_mb": max(r[1] for r in runs)}


def check(outs: dict[str, str]) -> list[str]:
    import duckdb

    con = duckdb.connect()
    notes = []
    base = outs["chokepoint-kernel"]
    for name, path in outs.items():
        if name == "chokepoint-kernel":
            continue
        q = f"""
          SELECT count(*) FILTER (WHERE a.importer IS NULL OR b.importer IS NULL),
                 max(abs(a.hhi - b.hhi)), max(abs(a.top3_share - b.top3_share)),
                 count(*) FILTER (WHERE a.top_supplier <> b.top_supplier),
                 count(*)
          FROM read_parquet('{base}') a FULL JOIN read_parquet('{path}') b
            ON a.year = b.year AND a.importer = b.importer AND a.hs6 = b.hs6
        """
        unmatched, dh, d3, top_diff, n = con.execute(q).fetchone()
        ok = unmatched == 0 and dh is not None and dh < 1e-9 and d3 < 1e-9
        notes.append(
            f"{name}: {n} rows, {unmatched} unmatched, max |ΔHHI| {dh:.2e}, max |Δtop3| {d3:.2e}, "
            f"top supplier differs on {top_diff} rows (ties: the peers pick any) -> {'OK' if ok else 'MISMATCH'}"
        )
        if not ok:
            sys.exit("\n".join(notes))
    return notes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chokepoint", required=True)
    ap.add_argument("--data-dir", required=True, type=Path)
    ap.add_argument("--years", default="2022", type=years_arg)
    ap.add_argument("--repeat", default=5, type=int)
    ap.add_argument("--out", default=Path(__file__).parent / "out" / "allproducts.json", type=Path)
    ap.add_argument("--peer", choices=["duckdb", "polars"], help=argparse.SUPPRESS)
    ap.add_argument("--peer-out", help=argparse.SUPPRESS)
    a = ap.parse_args()
    files = trade_globs(a.data_dir, a.years)
    if a.peer:  # one peer run in this child process
        (run_duckdb if a.peer == "duckdb" else run_polars)(files, a.peer_out)
        return

    span = f"{a.years[0]}..{a.years[-1]}"
    tmp = Path(tempfile.mkdtemp(prefix="allproducts-"))
    outs = {
        "chokepoint-kernel": str(tmp / "kernel.parquet"),
        "chokepoint-sql": str(tmp / "sql.parquet"),
        "duckdb": str(tmp / "duckdb.parquet"),
        "polars": str(tmp / "polars.parquet"),
    }
    cp = [a.chokepoint, "--quiet", "--data-dir", str(a.data_dir)]
    dep = ["dependency", "--all-importers", "--all-products", "--years", span, "--format", "parquet"]
    screen = ["risk", "--method", "screen", "-i", "EU27", "--years", span, "--format", "parquet"]
    me = [sys.executable, __file__, "--chokepoint", a.chokepoint, "--data-dir", str(a.data_dir), "--years", span]
    results = [
        measure("chokepoint-kernel", cp + dep + ["--engine", "kernel", "--out", outs["chokepoint-kernel"]], a.repeat),
        measure("chokepoint-sql", cp + dep + ["--engine", "sql", "--out", outs["chokepoint-sql"]], a.repeat),
        measure("duckdb", me + ["--peer", "duckdb", "--peer-out", outs["duckdb"]], a.repeat),
        measure("polars", me + ["--peer", "polars", "--peer-out", outs["polars"]], a.repeat),
    ]
    screens = [
        measure("screen-kernel", cp + screen + ["--engine", "kernel", "--out", str(tmp / "screen-kernel.parquet")], a.repeat),
        measure("screen-sql", cp + screen + ["--engine", "sql", "--out", str(tmp / "screen-sql.parquet")], a.repeat),
    ]
    notes = check(outs)
    by = {r["tool"]: r for r in results + screens}
    kernel = by["chokepoint-kernel"]["median_s"]
    fastest = min(by["duckdb"]["median_s"], by["polars"]["median_s"])
    print(f"all-importers x all-HS6 dependency table, years {span}, median of {a.repeat} runs")
    for r in results + screens:
        print(f"  {r['tool']:<18} {r['median_s']:8.3f} s   peak {r['peak_rss_mb']:6d} MB")
    for peer in ("duckdb", "polars", "chokepoint-sql"):
        print(f"  ratio kernel / {peer:<14} {kernel / by[peer]['median_s']:.2f}")
    print(f"  ratio screen kernel / sql       {by['screen-kernel']['median_s'] / by['screen-sql']['median_s']:.2f}")
    print(f"  target kernel <= 0.5 x fastest peer: {'met' if kernel <= 0.5 * fastest else 'NOT met'} ({kernel / fastest:.2f})")
    for n in notes:
        print("  check " + n)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"years": a.years, "repeat": a.repeat, "results": results + screens, "checks": notes}, indent=2))
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()


if __name__ == "__main__":
    main()
