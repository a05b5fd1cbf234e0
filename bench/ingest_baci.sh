#!/usr/bin/env bash
# Benchmark: `chokepoint ingest baci` against DuckDB on the same generated BACI release.
#
#   bench/ingest_baci.sh                      # 10,000,000 rows, 3 runs of each tool
#   ROWS=100000 REPEAT=3 bench/ingest_baci.sh # tiny, for CI (well under a minute)
#
# Environment:
#   ROWS           trade rows to generate (default 10000000)
#   REPEAT         runs of each tool (default 3); median wall time, max of peak RSS
#   SEED           generator seed (default 42)
#   CHOKEPOINT_BIN the chokepoint binary; default
#                  ${CARGO_TARGET_DIR_RELEASE:-$HOME/.cache/chokepoint-target-release}/release/chokepoint,
#                  built with `cargo build --release -p chokepoint-cli` into that directory if missing
#   DUCKDB_THREADS DuckDB threads (default: DuckDB's own, all cores)
#   TMPDIR         where each run's fresh data dir / output goes (default /tmp)
#
# The release goes to bench/out/baci-<rows>/ (bench/out/baci-10m/ by default) and is made
# once per row count and seed. Results: a table on stdout and bench/out/ingest_baci.json.
#
# Tools, each run under /usr/bin/time -v (peak RSS = "Maximum resident set size"):
#   chokepoint       chokepoint --quiet --data-dir <fresh dir> ingest baci <trade, countries, products CSVs>
#   duckdb-sorted    bench/duckdb_ingest.py --variant sorted: CSV -> snappy Parquet, v*1000,
#                    q with NA as null, ORDER BY j, k, i (chokepoint's importer, hs6, exporter)
#   duckdb-unsorted  the same without the sort
# Runs are interleaved (chokepoint, duckdb-sorted, duckdb-unsorted, then again) after one
# read of the CSVs to warm the page cache.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
ROWS="${ROWS:-10000000}"
REPEAT="${REPEAT:-3}"
SEED="${SEED:-42}"
DUCKDB_THREADS="${DUCKDB_THREADS:-}"

die() { echo "ingest_baci.sh: $*" >&2; exit 1; }
[[ "$ROWS" =~ ^[1-9][0-9]*$ ]] || die "ROWS must be a positive integer (got '$ROWS')"
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer (got '$REPEAT')"
[[ "$SEED" =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer (got '$SEED')"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian: apt-get install time)"

# (a) Python peers.
"$here/setup-venv.sh"
py="$here/.venv/bin/python"

# (b) The release, once per row count and seed.
if (( ROWS % 1000000 == 0 )); then label="$((ROWS / 1000000))m"
elif (( ROWS % 1000 == 0 )); then label="$((ROWS / 1000))k"
else label="$ROWS"; fi
data="$here/out/baci-$label"
"$py" "$here/gen_baci.py" "$data" --rows "$ROWS" --seed "$SEED" --if-missing
trade="$data/BACI_HS92_Y2022_V202401b.csv"
inputs=("$trade" "$data/country_codes_V202401b.csv" "$data/product_codes_HS92_V202401b.csv")
for f in "${inputs[@]}"; do [[ -f "$f" ]] || die "generator left no $f"; done
csv_bytes="$(stat -c %s "$trade")"

# (c) The chokepoint binary.
if [[ -n "${CHOKEPOINT_BIN:-}" ]]; then
    bin="$CHOKEPOINT_BIN"
    [[ "$bin" == */* ]] || bin="$(command -v "$bin")" || die "CHOKEPOINT_BIN=$CHOKEPOINT_BIN is not on PATH"
else
    target="${CARGO_TARGET_DIR_RELEASE:-$HOME/.cache/chokepoint-target-release}"
    bin="$target/release/chokepoint"
    if [[ ! -x "$bin" ]]; then
        echo "building $bin (release) ..." >&2
        (cd "$repo" && CARGO_TARGET_DIR="$target" cargo build --release -p chokepoint-cli)
    fi
fi
[[ -x "$bin" ]] || die "no chokepoint binary at $bin"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

# (d) The runs.
mkdir -p "$here/out"
work="$(mktemp -d "${TMPDIR:-/tmp}/chokepoint-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
results="$work/results.tsv"
: >"$results"

cat "${inputs[@]}" >/dev/null # warm the page cache: every run reads from memory

# Run one tool once: appends "tool rep seconds max_rss_kib user_s sys_s rows_out" to $results.
run_one() {
    local tool="$1" rep="$2"
    local dir="$work/run-$tool-$rep"
    mkdir "$dir"
    local -a cmd
    case "$tool" in
        chokepoint)
            mkdir "$dir/data"
            cmd=("$bin" --quiet --data-dir "$dir/data" ingest baci "${inputs[@]}") ;;
        duckdb-sorted|duckdb-unsorted)
            cmd=("$py" "$here/duckdb_ingest.py" "$trade" "$dir/trade.parquet" --variant "${tool#duckdb-}")
            [[ -n "$DUCKDB_THREADS" ]] && cmd+=(--threads "$DUCKDB_THREADS") ;;
        *) die "unknown tool $tool" ;;
    esac
    local t0 t1 status=0
    t0="$(date +%s%N)"
    /usr/bin/time -v -o "$dir/time.txt" "${cmd[@]}" >"$dir/stdout" 2>"$dir/stderr" || status=$?
    t1="$(date +%s%N)"
    if (( status != 0 )); then
        echo "--- $tool failed (exit $status): ${cmd[*]}" >&2
        cat "$dir/stderr" >&2
        exit 1
    fi
    local rss user sys rows_out
    rss="$(awk -F': *' '/Maximum resident set size/ {print $2}' "$dir/time.txt")"
    user="$(awk -F': *' '/User time \(seconds\)/ {print $2}' "$dir/time.txt")"
    sys="$(awk -F': *' '/System time \(seconds\)/ {print $2}' "$dir/time.txt")"
    # What was written, checked outside the timed command.
    if [[ "$tool" == chokepoint ]]; then
        rows_out="$("$bin" --quiet --data-dir "$dir/data" sql --format csv "SELECT count(*) AS n FROM trade" | tail -n 1)"
    else
        rows_out="$(tail -n 1 "$dir/stdout")"
    fi
    [[ "$rows_out" == "$ROWS" ]] || die "$tool wrote $rows_out rows, expected $ROWS"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$rep" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b - a) / 1e9}')" \
        "$rss" "$user" "$sys" "$rows_out" >>"$results"
    rm -rf "$dir"
}

tools=(chokepoint duckdb-sorted duckdb-unsorted)
echo "ingest_baci: $ROWS rows, $(awk -v b="$csv_bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB of trade CSV, $REPEAT runs each; chokepoint = $bin" >&2
for rep in $(seq 1 "$REPEAT"); do
    for tool in "${tools[@]}"; do
        run_one "$tool" "$rep"
        echo "  run $rep/$REPEAT $tool: $(tail -n 1 "$results" | cut -f3) s" >&2
    done
done

# (e) The table and bench/out/ingest_baci.json.
BENCH_ROWS="$ROWS" BENCH_SEED="$SEED" BENCH_REPEAT="$REPEAT" BENCH_CSV="$trade" BENCH_CSV_BYTES="$csv_bytes" \
BENCH_BIN="$bin" BENCH_BIN_VERSION="$("$bin" --version 2>/dev/null || echo unknown)" \
BENCH_DUCKDB_THREADS="${DUCKDB_THREADS:-default}" \
"$py" - "$results" "$here/out/ingest_baci.json" <<'PY'
import json, os, platform, statistics, sys
import duckdb

results_path, json_path = sys.argv[1], sys.argv[2]
env = os.environ
rows, csv_bytes, repeat = int(env["BENCH_ROWS"]), int(env["BENCH_CSV_BYTES"]), int(env["BENCH_REPEAT"])
runs = {}
for line in open(results_path):
    tool, rep, secs, rss_kib, user, sys_s, rows_out = line.rstrip("\n").split("\t")
    runs.setdefault(tool, []).append({
        "run": int(rep), "seconds": float(secs), "max_rss_mib": round(int(rss_kib) / 1024, 1),
        "cpu_seconds": round(float(user) + float(sys_s), 3), "rows_out": int(rows_out),
    })

summary = {}
for tool, rs in runs.items():
    secs = statistics.median(r["seconds"] for r in rs)
    summary[tool] = {
        "median_seconds": round(secs, 4),
        "rows_per_second": round(rows / secs),
        "mb_per_second": round(csv_bytes / 1e6 / secs, 2),
        "peak_rss_mib": round(max(r["max_rss_mib"] for r in rs), 1),
        "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in rs), 3),
        "runs": rs,
    }
cp = summary["chokepoint"]
for tool, s in summary.items():
    # > 1: chokepoint took longer / used more memory than this tool.
    s["time_ratio_chokepoint_over_tool"] = round(cp["median_seconds"] / s["median_seconds"], 3)
    s["rss_ratio_chokepoint_over_tool"] = round(cp["peak_rss_mib"] / s["peak_rss_mib"], 3)

bin_path = env["BENCH_BIN"]
report = {
    "benchmark": "ingest_baci",
    "rows": rows,
    "seed": int(env["BENCH_SEED"]),
    "trade_csv": env["BENCH_CSV"],
    "trade_csv_bytes": csv_bytes,
    "repeat": repeat,
    "units": {"mb": "1e6 bytes of trade CSV", "rss": "MiB (GNU time's maximum resident set size)",
              "seconds": "wall clock, median of the runs"},
    "chokepoint": {"binary": bin_path, "version": env["BENCH_BIN_VERSION"],
                   "build": "debug" if "/debug/" in bin_path else "release" if "/release/" in bin_path else "unknown"},
    "duckdb": {"version": duckdb.__version__, "threads": env["BENCH_DUCKDB_THREADS"]},
    "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
    "tools": summary,
}
with open(json_path, "w") as f:
    json.dump(report, f, indent=2)
    f.write("\n")

hdr = ["tool", "median s", "rows/s", "MB/s", "peak RSS MiB", "CPU s", "time ratio cp/tool", "RSS ratio cp/tool"]
table = [hdr]
for tool, s in summary.items():
    table.append([tool, f"{s['median_seconds']:.3f}", f"{s['rows_per_second']:,}", f"{s['mb_per_second']:.1f}",
                  f"{s['peak_rss_mib']:.1f}", f"{s['median_cpu_seconds']:.2f}",
                  f"{s['time_ratio_chokepoint_over_tool']:.2f}", f"{s['rss_ratio_chokepoint_over_tool']:.2f}"])
widths = [max(len(r[i]) for r in table) for i in range(len(hdr))]
print(f"ingest baci: {rows:,} rows, {csv_bytes / 1e6:.1f} MB trade CSV, median of {repeat} runs; "
      f"chokepoint {report['chokepoint']['build']} build, duckdb {duckdb.__version__}, {os.cpu_count()} CPUs")
for i, r in enumerate(table):
    print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
    if i == 0:
        print("  ".join("-" * w for w in widths))
print("ratios > 1: chokepoint slower / bigger than that tool")
print(f"wrote {json_path}")
PY
