#!/usr/bin/env python3
"""Peers of bench/fullscale.sh: DuckDB (SQL) and Polars (lazy API) on a full-scale BACI
release, each doing what chokepoint does, the way that tool does it best.

  ingest     --engine E --csv-dir DIR --out DIR
             every BACI_*_Y*_*.csv of DIR -> Parquet partitioned by year (out/year=Y/...):
             importer, hs6, exporter ISO3 (BACI codes through country_codes_*.csv, S19 ->
             TWN), value_usd = v * 1000 (v in thousands of USD), quantity_t = q (tonnes;
             NA, padded or not, -> null). Not sorted: both tools' queries hash-aggregate.
             Prints the rows written.
  dependency --engine E --parquet DIR --years Y1..Y2 --out FILE
             the all-importers x all-HS6 dependency table (the columns of
             `chokepoint dependency --all-importers --all-products`): year, importer, hs6,
             import_value_usd, suppliers (exporters with value > 0), top_supplier,
             top_share, top3_share, hhi (sum of squared value shares); rows with imports,
             ordered by year, importer, hs6.
  screen     --engine E --parquet DIR --year Y --unit EU27 --members A,B,... --out FILE
             the strategic-dependency screen of one importing unit (METHODS.md s5): per
             HS6 with extra-bloc imports, M_extra, M_intra, X_extra, world exports, extra
             supplier count, top extra supplier and share, HHI_extra, extra share,
             M_extra / X_extra (null when X_extra = 0), world-export HHI and exporter
             count, the four criteria, Commission and GeoDep outcomes; like chokepoint,
             the same for the two years before (t-2..t, the members given for all three)
             to give GeoDep's persistence (years held of 3, persistent at 2) and both
             outcomes of the year before (false without extra-bloc imports that year,
             null when the year is not in the data).
  compare    --kind dependency|screen A.parquet B.parquet
             same rows and keys; every figure equal within 1e-9 relative; the top supplier
             equal, or tied (equal top share: the peers break ties arbitrarily, chokepoint
             by ISO3). Exit 1 on a difference.

Each engine command prints `engine_seconds <s>` (the query itself, without Python start-up
and imports) and `rows <n>` on stdout.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time

THRESHOLDS = {"hhi_extra": 0.4, "extra_share": 0.5, "ratio": 1.0, "world": 0.4}
# GeoDep persistence: the criteria in K of the N years ending with the year screened
# (chokepoint's default, `--persistence 2/3`).
PERSISTENCE = (2, 3)


def year_range(text: str) -> tuple[int, int]:
    a, _, b = text.partition("..")
    return int(a), int(b or a)


def trade_csvs(csv_dir: str) -> list[str]:
    files = sorted(f for f in glob.glob(os.path.join(csv_dir, "BACI_*_Y*_*.csv")))
    if not files:
        raise SystemExit(f"no BACI_*_Y*_*.csv in {csv_dir}")
    return files


def country_csv(csv_dir: str) -> str:
    files = glob.glob(os.path.join(csv_dir, "country_codes_*.csv"))
    if len(files) != 1:
        raise SystemExit(f"expected one country_codes_*.csv in {csv_dir}, found {files}")
    return files[0]


# ---------------------------------------------------------------- DuckDB

def duckdb_connect():
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    return con


def duckdb_ingest(csv_dir: str, out: str) -> int:
    con = duckdb_connect()
    files = trade_csvs(csv_dir)
    con.execute(
        f"""CREATE TEMP TABLE cc AS
            SELECT country_code::INTEGER AS code,
                   CASE WHEN country_iso3 = 'S19' THEN 'TWN' ELSE country_iso3 END AS iso3
            FROM read_csv('{country_csv(csv_dir)}', header = true, all_varchar = true)"""
    )
    file_list = ", ".join(f"'{f}'" for f in files)
    con.execute(
        f"""COPY (
              SELECT t.t::INTEGER AS year, ci.iso3 AS importer, t.k AS hs6, ce.iso3 AS exporter,
                     (t.v::DECIMAL(18, 3) * 1000)::DOUBLE AS value_usd,
                     TRY_CAST(trim(t.q) AS DOUBLE) AS quantity_t
              FROM read_csv([{file_list}], header = true,
                            columns = {{'t': 'INTEGER', 'i': 'INTEGER', 'j': 'INTEGER', 'k': 'VARCHAR', 'v': 'VARCHAR', 'q': 'VARCHAR'}}) t
              JOIN cc ce ON ce.code = t.i
              JOIN cc ci ON ci.code = t.j
            ) TO '{out}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (year), OVERWRITE_OR_IGNORE true)"""
    )
    return con.execute(f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet')").fetchone()[0]


def duckdb_dependency(parquet: str, years: tuple[int, int], out: str) -> int:
    con = duckdb_connect()
    con.execute(
        f"""COPY (
              SELECT year::INTEGER AS year, importer, hs6,
                     sum(value_usd) AS import_value_usd,
                     count(*) FILTER (WHERE value_usd > 0) AS suppliers,
                     arg_max(exporter, value_usd) AS top_supplier,
                     max(value_usd) / sum(value_usd) AS top_share,
                     list_sum(max(value_usd, 3)) / sum(value_usd) AS top3_share,
                     sum(value_usd * value_usd) / (sum(value_usd) * sum(value_usd)) AS hhi
              FROM read_parquet('{parquet}/**/*.parquet', hive_partitioning = true)
              WHERE year BETWEEN {years[0]} AND {years[1]}
              GROUP BY year, importer, hs6
              HAVING sum(value_usd) > 0
              ORDER BY year, importer, hs6
            ) TO '{out}' (FORMAT parquet)"""
    )
    return con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]


def screen_years(parquet: str, year: int) -> tuple[list[int], bool]:
    """The years the screen of `year` reads (chokepoint's default persistence window,
    PERSISTENCE[1] years ending with `year`, those in the data) and whether year - 1 is in
    the data (otherwise the previous-year flags are null, as chokepoint's)."""
    have = [y for y in range(year - PERSISTENCE[1] + 1, year + 1) if os.path.isdir(os.path.join(parquet, f"year={y}"))]
    return have, (year - 1) in have


def duckdb_screen(parquet: str, year: int, unit: str, members: list[str], out: str) -> int:
    con = duckdb_connect()
    con.execute("CREATE TEMP TABLE m (iso3 VARCHAR)")
    con.executemany("INSERT INTO m VALUES (?)", [[x] for x in members])
    years, prev_known = screen_years(parquet, year)
    files = ", ".join(f"'{parquet}/year={y}/*.parquet'" for y in years)
    t = f"(SELECT year::INTEGER AS year, importer, hs6, exporter, value_usd FROM read_parquet([{files}], hive_partitioning = true))"
    prev = (lambda c: f"coalesce(p.{c}, false)") if prev_known else (lambda c: "NULL::BOOLEAN")
    con.execute(
        f"""COPY (
            WITH trade AS {t},
            flows AS (
                SELECT year, hs6, exporter, importer IN (SELECT iso3 FROM m) AS imp_in,
                       exporter IN (SELECT iso3 FROM m) AS exp_in, value_usd
                FROM trade),
            extra AS (
                SELECT year, hs6, exporter, sum(value_usd) AS x FROM flows
                WHERE imp_in AND NOT exp_in GROUP BY year, hs6, exporter),
            extra_agg AS (
                SELECT year, hs6, sum(x) AS m_extra, count(*) FILTER (WHERE x > 0) AS n,
                       arg_max(exporter, x) AS top_supplier, max(x) AS top,
                       sum(x * x) AS sq
                FROM extra GROUP BY year, hs6 HAVING sum(x) > 0),
            side AS (
                SELECT year, hs6,
                       coalesce(sum(value_usd) FILTER (WHERE imp_in AND exp_in), 0) AS m_intra,
                       coalesce(sum(value_usd) FILTER (WHERE exp_in AND NOT imp_in), 0) AS x_extra
                FROM flows GROUP BY year, hs6),
            world_ex AS (SELECT year, hs6, exporter, sum(value_usd) AS x FROM trade GROUP BY year, hs6, exporter),
            world AS (
                SELECT year, hs6, sum(x) AS w, sum(x * x) / (sum(x) * sum(x)) AS whhi, count(*) AS wn
                FROM world_ex WHERE x > 0 GROUP BY year, hs6),
            fig AS (
                SELECT '{unit}' AS importer, year, e.hs6,
                       e.m_extra AS extra_imports_usd, s.m_intra AS intra_imports_usd,
                       s.x_extra AS extra_exports_usd, w.w AS world_exports_usd,
                       e.n AS extra_supplier_count, e.top_supplier, e.top / e.m_extra AS top_supplier_share,
                       e.sq / (e.m_extra * e.m_extra) AS hhi_extra,
                       e.m_extra / (e.m_extra + s.m_intra) AS extra_share,
                       CASE WHEN s.x_extra > 0 THEN e.m_extra / s.x_extra END AS import_export_ratio,
                       s.x_extra = 0 AS no_extra_exports,
                       w.whhi AS world_export_hhi, w.wn AS world_exporter_count
                FROM extra_agg e JOIN side s USING (year, hs6) JOIN world w USING (year, hs6)),
            crit AS (
                SELECT *,
                       hhi_extra > {THRESHOLDS['hhi_extra']} AS crit_hhi_extra,
                       extra_share > {THRESHOLDS['extra_share']} AS crit_extra_share,
                       (no_extra_exports OR import_export_ratio > {THRESHOLDS['ratio']}) AS crit_import_export_ratio,
                       world_export_hhi > {THRESHOLDS['world']} AS crit_world_export_hhi
                FROM fig),
            flags AS (
                SELECT *,
                       (crit_hhi_extra AND crit_extra_share AND crit_import_export_ratio) AS dependent,
                       (crit_hhi_extra AND crit_world_export_hhi AND crit_import_export_ratio) AS dependent_geodep
                FROM crit),
            held AS (SELECT hs6, count(*) FILTER (WHERE dependent_geodep) AS geodep_years_held FROM flags GROUP BY hs6),
            p AS (SELECT hs6, dependent, dependent_geodep FROM flags WHERE year = {year - 1})
            SELECT f.*, h.geodep_years_held,
                   h.geodep_years_held >= {PERSISTENCE[0]} AS dependent_geodep_persistent,
                   {prev('dependent')} AS dependent_previous_year,
                   {prev('dependent_geodep')} AS dependent_geodep_previous_year
            FROM flags f JOIN held h USING (hs6) LEFT JOIN p USING (hs6)
            WHERE f.year = {year}
            ORDER BY hs6
        ) TO '{out}' (FORMAT parquet)"""
    )
    return con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]


# ---------------------------------------------------------------- Polars

def polars_ingest(csv_dir: str, out: str) -> int:
    import polars as pl

    cc = pl.read_csv(country_csv(csv_dir), infer_schema=False).select(
        pl.col("country_code").cast(pl.Int32).alias("code"),
        pl.when(pl.col("country_iso3") == "S19").then(pl.lit("TWN")).otherwise(pl.col("country_iso3")).alias("iso3"),
    ).lazy()
    schema = {"t": pl.Int32, "i": pl.Int32, "j": pl.Int32, "k": pl.String, "v": pl.Float64, "q": pl.String}
    rows = 0
    for f in trade_csvs(csv_dir):
        lf = (
            pl.scan_csv(f, schema=schema)
            .join(cc.rename({"code": "i", "iso3": "exporter"}), on="i")
            .join(cc.rename({"code": "j", "iso3": "importer"}), on="j")
            .select(
                pl.col("importer"), pl.col("k").alias("hs6"), pl.col("exporter"),
                (pl.col("v") * 1000).alias("value_usd"),
                pl.col("q").str.strip_chars().cast(pl.Float64, strict=False).alias("quantity_t"),
                pl.col("t"),
            )
        )
        year = pl.scan_csv(f, schema=schema).select(pl.col("t").first()).collect().item()
        d = os.path.join(out, f"year={year}")
        os.makedirs(d, exist_ok=True)
        lf.drop("t").sink_parquet(os.path.join(d, "part-0.parquet"), compression="snappy")
        rows += pl.scan_parquet(os.path.join(d, "part-0.parquet")).select(pl.len()).collect().item()
    return rows


def polars_scan(parquet: str, years: tuple[int, int]):
    import polars as pl

    return pl.scan_parquet(os.path.join(parquet, "**", "*.parquet"), hive_partitioning=True).filter(
        pl.col("year").is_between(years[0], years[1])
    )


def polars_dependency(parquet: str, years: tuple[int, int], out: str) -> int:
    import polars as pl

    v = pl.col("value_usd")
    df = (
        polars_scan(parquet, years)
        .group_by("year", "importer", "hs6")
        .agg(
            v.sum().alias("import_value_usd"),
            (v > 0).sum().cast(pl.Int64).alias("suppliers"),
            pl.col("exporter").get(v.arg_max()).alias("top_supplier"),
            v.max().alias("top"),
            v.top_k(3).sum().alias("top3"),
            (v * v).sum().alias("sq"),
        )
        .filter(pl.col("import_value_usd") > 0)
        .select(
            pl.col("year").cast(pl.Int32), "importer", "hs6", "import_value_usd", "suppliers", "top_supplier",
            (pl.col("top") / pl.col("import_value_usd")).alias("top_share"),
            (pl.col("top3") / pl.col("import_value_usd")).alias("top3_share"),
            (pl.col("sq") / pl.col("import_value_usd") ** 2).alias("hhi"),
        )
        .sort("year", "importer", "hs6")
        .collect()
    )
    df.write_parquet(out)
    return df.height


def polars_screen(parquet: str, year: int, unit: str, members: list[str], out: str) -> int:
    import polars as pl

    years, prev_known = screen_years(parquet, year)
    t = pl.concat(
        [
            pl.scan_parquet(os.path.join(parquet, f"year={y}", "*.parquet"))
            .select("importer", "hs6", "exporter", "value_usd")
            .with_columns(pl.lit(y, dtype=pl.Int32).alias("year"))
            for y in years
        ]
    )
    flows = t.with_columns(pl.col("importer").is_in(members).alias("imp_in"), pl.col("exporter").is_in(members).alias("exp_in"))
    x = pl.col("x")
    extra = (
        flows.filter(pl.col("imp_in") & ~pl.col("exp_in"))
        .group_by("year", "hs6", "exporter").agg(pl.col("value_usd").sum().alias("x"))
        .group_by("year", "hs6")
        .agg(
            x.sum().alias("m_extra"), (x > 0).sum().cast(pl.Int64).alias("n"),
            pl.col("exporter").get(x.arg_max()).alias("top_supplier"), x.max().alias("top"), (x * x).sum().alias("sq"),
        )
        .filter(pl.col("m_extra") > 0)
    )
    v = pl.col("value_usd")
    side = flows.group_by("year", "hs6").agg(
        v.filter(pl.col("imp_in") & pl.col("exp_in")).sum().alias("m_intra"),
        v.filter(pl.col("exp_in") & ~pl.col("imp_in")).sum().alias("x_extra"),
    )
    world = (
        t.group_by("year", "hs6", "exporter").agg(v.sum().alias("x")).filter(x > 0)
        .group_by("year", "hs6").agg(x.sum().alias("w"), (x * x).sum().alias("wsq"), pl.len().cast(pl.Int64).alias("wn"))
    )
    m, mi, xe = pl.col("m_extra"), pl.col("m_intra"), pl.col("x_extra")
    flags = (
        extra.join(side, on=["year", "hs6"]).join(world, on=["year", "hs6"])
        .select(
            pl.lit(unit).alias("importer"), "year", "hs6",
            m.alias("extra_imports_usd"), mi.alias("intra_imports_usd"), xe.alias("extra_exports_usd"),
            pl.col("w").alias("world_exports_usd"), pl.col("n").alias("extra_supplier_count"), "top_supplier",
            (pl.col("top") / m).alias("top_supplier_share"), (pl.col("sq") / (m * m)).alias("hhi_extra"),
            (m / (m + mi)).alias("extra_share"),
            pl.when(xe > 0).then(m / xe).otherwise(None).alias("import_export_ratio"),
            (xe == 0).alias("no_extra_exports"),
            (pl.col("wsq") / (pl.col("w") * pl.col("w"))).alias("world_export_hhi"), pl.col("wn").alias("world_exporter_count"),
        )
        .with_columns(
            (pl.col("hhi_extra") > THRESHOLDS["hhi_extra"]).alias("crit_hhi_extra"),
            (pl.col("extra_share") > THRESHOLDS["extra_share"]).alias("crit_extra_share"),
            (pl.col("no_extra_exports") | (pl.col("import_export_ratio") > THRESHOLDS["ratio"]).fill_null(False)).alias("crit_import_export_ratio"),
            (pl.col("world_export_hhi") > THRESHOLDS["world"]).alias("crit_world_export_hhi"),
        )
        .with_columns(
            (pl.col("crit_hhi_extra") & pl.col("crit_extra_share") & pl.col("crit_import_export_ratio")).alias("dependent"),
            (pl.col("crit_hhi_extra") & pl.col("crit_world_export_hhi") & pl.col("crit_import_export_ratio")).alias("dependent_geodep"),
        )
    )
    held = flags.group_by("hs6").agg(pl.col("dependent_geodep").sum().cast(pl.Int64).alias("geodep_years_held"))
    prev = flags.filter(pl.col("year") == year - 1).select(
        "hs6", pl.col("dependent").alias("dependent_previous_year"), pl.col("dependent_geodep").alias("dependent_geodep_previous_year")
    )
    df = (
        flags.filter(pl.col("year") == year)
        .join(held, on="hs6")
        .join(prev, on="hs6", how="left")
        .with_columns(
            (pl.col("geodep_years_held") >= PERSISTENCE[0]).alias("dependent_geodep_persistent"),
            *(
                (pl.col(c).fill_null(False) if prev_known else pl.lit(None, dtype=pl.Boolean)).alias(c)
                for c in ("dependent_previous_year", "dependent_geodep_previous_year")
            ),
        )
        .sort("hs6")
        .collect()
    )
    df.write_parquet(out)
    return df.height


# ---------------------------------------------------------------- compare

KEYS = {"dependency": ["year", "importer", "hs6"], "screen": ["importer", "year", "hs6"]}
TIE = {"dependency": ("top_supplier", "top_share"), "screen": ("top_supplier", "top_supplier_share")}


def compare(kind: str, a_path: str, b_path: str) -> int:
    import polars as pl

    a, b = pl.read_parquet(a_path), pl.read_parquet(b_path)
    keys = KEYS[kind]
    peer_cols = [c for c in b.columns if c not in keys]
    missing = [c for c in keys + peer_cols if c not in a.columns]
    if missing:
        print(f"compare {kind}: {a_path} lacks the columns {missing}", file=sys.stderr)
        return 1
    a = a.select(keys + peer_cols).with_columns(pl.col("year").cast(pl.Int32))
    b = b.with_columns(pl.col("year").cast(pl.Int32))
    problems = []
    if a.height != b.height:
        problems.append(f"{a.height} rows in {a_path}, {b.height} in {b_path}")
    j = a.join(b, on=keys, how="full", suffix="_b", coalesce=True)
    only = j.filter(pl.col(peer_cols[0]).is_null() & pl.col(peer_cols[0] + "_b").is_not_null()
                    | pl.col(peer_cols[0]).is_not_null() & pl.col(peer_cols[0] + "_b").is_null())
    if only.height:
        problems.append(f"{only.height} keys in one output only, e.g. {only.select(keys).head(3).to_dicts()}")
    both = j.filter(pl.col(peer_cols[0]).is_not_null() & pl.col(peer_cols[0] + "_b").is_not_null())
    tie_col, share_col = TIE[kind]
    for c in peer_cols:
        x, y = pl.col(c), pl.col(c + "_b")
        dtype = b.schema[c]
        if dtype.is_float():
            bad = both.filter(
                (x.is_null() != y.is_null())
                | ((x - y).abs() > 1e-9 * pl.max_horizontal(x.abs(), y.abs(), pl.lit(1e-300))).fill_null(False)
            )
        elif c == tie_col:
            share_x, share_y = pl.col(share_col), pl.col(share_col + "_b")
            bad = both.filter((x != y) & ((share_x - share_y).abs() > 1e-9 * share_x.abs()))
        else:
            bad = both.filter(x.cast(pl.String).fill_null("<null>") != y.cast(pl.String).fill_null("<null>"))
        if bad.height:
            problems.append(f"{c}: {bad.height} rows differ, e.g. {bad.select(keys + [c, c + '_b']).head(3).to_dicts()}")
    if problems:
        print(f"compare {kind}: {a_path} and {b_path} differ:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"compare {kind}: {a.height} rows, same keys, figures equal within 1e-9 relative")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ingest")
    p.add_argument("--engine", choices=["duckdb", "polars"], required=True)
    p.add_argument("--csv-dir", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("dependency")
    p.add_argument("--engine", choices=["duckdb", "polars"], required=True)
    p.add_argument("--parquet", required=True)
    p.add_argument("--years", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("screen")
    p.add_argument("--engine", choices=["duckdb", "polars"], required=True)
    p.add_argument("--parquet", required=True)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--unit", required=True)
    p.add_argument("--members", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("compare")
    p.add_argument("--kind", choices=["dependency", "screen"], required=True)
    p.add_argument("a")
    p.add_argument("b")
    args = ap.parse_args(argv)

    if args.cmd == "compare":
        return compare(args.kind, args.a, args.b)
    t0 = time.perf_counter()
    if args.cmd == "ingest":
        rows = (duckdb_ingest if args.engine == "duckdb" else polars_ingest)(args.csv_dir, args.out)
    elif args.cmd == "dependency":
        rows = (duckdb_dependency if args.engine == "duckdb" else polars_dependency)(args.parquet, year_range(args.years), args.out)
    else:
        members = [m for m in args.members.split(",") if m]
        rows = (duckdb_screen if args.engine == "duckdb" else polars_screen)(args.parquet, args.year, args.unit, members, args.out)
    print(f"engine_seconds {time.perf_counter() - t0:.4f}")
    print(f"rows {rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
