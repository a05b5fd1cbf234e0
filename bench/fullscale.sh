#!/usr/bin/env bash
# Benchmark: full-scale BACI (issue 7). chokepoint against DuckDB and Polars on the same
# generated release, in one run:
#
#   ingest  CSV -> Parquet of every year (chokepoint: `ingest baci DIR`, a store sorted by
#           importer, hs6, exporter; peers: bench/fullscale_peers.py ingest, Parquet
#           partitioned by year, each tool's own files)
#   dep1    the all-importers x all-HS6 dependency table of the last year
#   depall  the same for every year
#   screen  the strategic-dependency screen of EU27 (members of the last year), all products,
#           the last year, with GeoDep's persistence over the two years before and the
#           previous year's outcomes (chokepoint's default output; the peers compute the same)
#
# Each tool's queries read the Parquet that tool wrote in the ingest step. The outputs are
# compared (same rows, figures equal within 1e-9 relative; bench/fullscale_peers.py compare)
# and the script fails on a difference.
#
#   bench/fullscale.sh                                   # 30 years x 10M rows, 3 runs each
#   YEARS=2 ROWS_PER_YEAR=20000 REPEAT=1 bench/fullscale.sh   # tiny (CI)
#
# Environment:
#   YEARS          years, ending with 2024 (default 30: 1995..2024)
#   ROWS_PER_YEAR  rows of a year (default 10000000; the generator gives 0.9x in 1995 rising
#                  to 1.1x in 2024)
#   REPEAT         runs of each tool and task (default 3); median wall time, max peak RSS
#   SEED           generator seed (default 42)
#   TASKS          tasks to run (default "ingest dep1 depall screen"; ingest always runs once
#                  to make the Parquet the queries read)
#   TOOLS          chokepoint and the peers to run (default "chokepoint duckdb polars"; e.g.
#                  "chokepoint duckdb" at 30 years, where Polars' group-bys need more memory
#                  than the machine has)
#   CHOKEPOINT_BIN the chokepoint binary (default: the release build in
#                  ${CARGO_TARGET_DIR_RELEASE:-$HOME/.cache/chokepoint-target-release}, built if missing)
#   DATA_DIR       a chokepoint data dir with a store, whose countries the generator uses
#                  (default $CHOKEPOINT_TEST_DATA_DIR or ~/.cache/chokepoint-test-data;
#                  `chokepoint data setup` is run there if it has no store)
#   WORK           where the tools' Parquet and outputs go (default bench/out/fullscale-work;
#                  deleted at the end unless KEEP=1)
#
# The release is generated once per size and seed into bench/out/fullscale-<years>y-<rows>-s<seed>/.
# Disk: about 40 bytes per row of CSV and 10-15 per row of Parquet per tool.
# Results: a table on stdout and bench/out/fullscale.json.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
YEARS="${YEARS:-30}"
ROWS_PER_YEAR="${ROWS_PER_YEAR:-10000000}"
REPEAT="${REPEAT:-3}"
SEED="${SEED:-42}"
TASKS="${TASKS:-ingest dep1 depall screen}"
TOOLS="${TOOLS:-chokepoint duckdb polars}"
DATA_DIR="${DATA_DIR:-${CHOKEPOINT_TEST_DATA_DIR:-$HOME/.cache/chokepoint-test-data}}"
WORK="${WORK:-$here/out/fullscale-work}"
KEEP="${KEEP:-0}"
UNIT=EU27

die() { echo "fullscale.sh: $*" >&2; exit 1; }
[[ "$YEARS" =~ ^[1-9][0-9]*$ ]] && (( YEARS <= 100 )) || die "YEARS must be 1..100 (got '$YEARS')"
[[ "$ROWS_PER_YEAR" =~ ^[1-9][0-9]*$ ]] || die "ROWS_PER_YEAR must be a positive integer (got '$ROWS_PER_YEAR')"
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer (got '$REPEAT')"
[[ "$SEED" =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer (got '$SEED')"
for t in $TASKS; do [[ "$t" =~ ^(ingest|dep1|depall|screen)$ ]] || die "unknown task '$t' in TASKS (ingest dep1 depall screen)"; done
[[ "$TOOLS" =~ ^chokepoint( (duckdb|polars))+$ ]] || die "TOOLS must be chokepoint followed by duckdb and/or polars (got '$TOOLS')"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian: apt-get install time)"
last=2024
first=$((last - YEARS + 1))

# (a) Python peers.
"$here/setup-venv.sh"
py="$here/.venv/bin/python"
peers=("$py" "$here/fullscale_peers.py")

# (b) The chokepoint binary.
if [[ -n "${CHOKEPOINT_BIN:-}" ]]; then
    bin="$CHOKEPOINT_BIN"
    [[ "$bin" == */* ]] || bin="$(command -v "$bin")" || die "CHOKEPOINT_BIN=$CHOKEPOINT_BIN is not on PATH"
else
    target="${CARGO_TARGET_DIR_RELEASE:-$HOME/.cache/chokepoint-target-release}"
    bin="$target/release/chokepoint"
    if [[ ! -x "$bin" ]]; then
        echo "building $bin (release) ..." >&2
        (cd "$repo" && CARGO_TARGET_DIR="$target" cargo build --release --locked -p chokepoint-cli)
    fi
fi
[[ -x "$bin" ]] || die "no chokepoint binary at $bin"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
for t in $TASKS; do
    if [[ "$t" == dep* ]] && ! "$bin" dependency --help | grep -q -- "--all-importers"; then
        die "task $t needs \`chokepoint dependency --all-importers --all-products\`, which $bin lacks; leave dep1/depall out of TASKS"
    fi
done

# (c) The release, once per size and seed.
if [[ ! -f "$DATA_DIR/store/manifest.json" ]]; then
    "$bin" --quiet --data-dir "$DATA_DIR" data setup
fi
label="${YEARS}y-${ROWS_PER_YEAR}-s${SEED}"
data="$here/out/fullscale-$label"
stamp="$here/out/fullscale-$label.done"
if [[ ! -f "$stamp" ]]; then
    rm -rf "$data"
    echo "generating $data ..." >&2
    t0="$(date +%s%N)"
    "$bin" --data-dir "$DATA_DIR" bench gen --out "$data" --years "$first..$last" --rows-per-year "$ROWS_PER_YEAR" --seed "$SEED" >/dev/null
    t1="$(date +%s%N)"
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) / 1e9}' >"$stamp"
fi
gen_seconds="$(cat "$stamp")"
csv_bytes="$(stat -c %s "$data"/BACI_*_Y*.csv | awk '{s += $1} END {printf "%.0f\n", s}')"
rows_total="$(cat "$data"/BACI_*_Y*.csv | wc -l)"
rows_total=$((rows_total - YEARS)) # the header lines
members="$("$py" - "$repo/params/country_groups.toml" "$UNIT" "$last" <<'PY'
import sys, tomllib
path, unit, year = sys.argv[1], sys.argv[2], int(sys.argv[3])
day = f"{year}-07-01"  # a member in year Y = a member on 1 July of Y (params/country_groups.toml)
g = next(g for g in tomllib.load(open(path, "rb"))["group"] if g["name"] == unit)
print(",".join(sorted(m["iso3"] for m in g["members"] if str(m["from"]) <= day and ("until" not in m or str(m["until"]) >= day))))
PY
)"

# (d) The runs.
mkdir -p "$WORK"
results="$WORK/results.tsv"
: >"$results"
cleanup() { if [[ "$KEEP" != 1 ]]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

# Run one tool on one task once: appends "task tool rep seconds max_rss_kib user_s sys_s rows" to $results.
run_one() {
    local task="$1" tool="$2" rep="$3"
    local dir="$WORK/run-$task-$tool"
    rm -rf "$dir"
    mkdir -p "$dir"
    local store="$WORK/$tool" out="$WORK/$tool-$task.parquet"
    local -a cmd
    case "$task/$tool" in
        ingest/chokepoint) cmd=("$bin" --quiet --data-dir "$dir/new" ingest baci "$data") ;;
        ingest/*) cmd=("${peers[@]}" ingest --engine "$tool" --csv-dir "$data" --out "$dir/new") ;;
        dep1/chokepoint|depall/chokepoint)
            local y="$last..$last"; [[ "$task" == depall ]] && y="$first..$last"
            cmd=("$bin" --quiet --data-dir "$store" dependency --all-importers --all-products --years "$y" --format parquet --out "$out") ;;
        dep1/*|depall/*)
            local y="$last..$last"; [[ "$task" == depall ]] && y="$first..$last"
            cmd=("${peers[@]}" dependency --engine "$tool" --parquet "$store" --years "$y" --out "$out") ;;
        screen/chokepoint)
            cmd=("$bin" --quiet --data-dir "$store" risk --method screen -i "$UNIT" --years "$last" --format parquet --out "$out") ;;
        screen/*)
            cmd=("${peers[@]}" screen --engine "$tool" --parquet "$store" --year "$last" --unit "$UNIT" --members "$members" --out "$out") ;;
    esac
    rm -f "$out"
    sync
    local t0 t1 status=0
    t0="$(date +%s%N)"
    /usr/bin/time -v -o "$dir/time.txt" "${cmd[@]}" >"$dir/stdout" 2>"$dir/stderr" || status=$?
    t1="$(date +%s%N)"
    if (( status != 0 )); then
        echo "--- $task $tool failed (exit $status): ${cmd[*]}" >&2
        cat "$dir/stderr" >&2
        exit 1
    fi
    local rss user sys rows
    rss="$(awk -F': *' '/Maximum resident set size/ {print $2}' "$dir/time.txt")"
    user="$(awk -F': *' '/User time \(seconds\)/ {print $2}' "$dir/time.txt")"
    sys="$(awk -F': *' '/System time \(seconds\)/ {print $2}' "$dir/time.txt")"
    if [[ "$task" == ingest ]]; then
        # The new store / Parquet replaces the previous run's (one copy per tool on disk).
        if [[ "$tool" == chokepoint ]]; then
            rows="$("$bin" --quiet --data-dir "$dir/new" sql --format csv "SELECT count(*) AS n FROM trade" | tail -n 1)"
        else
            rows="$(awk '/^rows / {print $2}' "$dir/stdout")"
        fi
        [[ "$rows" == "$rows_total" ]] || die "$tool ingested $rows rows, expected $rows_total"
        rm -rf "$store"
        mv "$dir/new" "$store"
    else
        rows="$("$py" -c 'import polars as pl, sys; print(pl.scan_parquet(sys.argv[1]).select(pl.len()).collect().item())' "$out")"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$task" "$tool" "$rep" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b - a) / 1e9}')" \
        "$rss" "$user" "$sys" "$rows" >>"$results"
    rm -rf "$dir"
}

read -r -a tools <<<"$TOOLS"
echo "fullscale: $YEARS years ($first..$last), $rows_total rows, $(awk -v b="$csv_bytes" 'BEGIN {printf "%.2f", b / 1e9}') GB of CSV; tasks: $TASKS; $REPEAT runs each; chokepoint = $bin" >&2
cat "$data"/*.csv >/dev/null # warm the page cache as far as memory allows
ingest_reps="$REPEAT"
[[ " $TASKS " == *" ingest "* ]] || ingest_reps=1
for rep in $(seq 1 "$ingest_reps"); do
    for tool in "${tools[@]}"; do
        run_one ingest "$tool" "$rep"
        echo "  ingest run $rep/$ingest_reps $tool: $(tail -n 1 "$results" | cut -f4) s" >&2
    done
done
[[ " $TASKS " == *" ingest "* ]] || sed -i '/^ingest\t/d' "$results"
for task in dep1 depall screen; do
    [[ " $TASKS " == *" $task "* ]] || continue
    for rep in $(seq 1 "$REPEAT"); do
        for tool in "${tools[@]}"; do
            run_one "$task" "$tool" "$rep"
            echo "  $task run $rep/$REPEAT $tool: $(tail -n 1 "$results" | cut -f4) s" >&2
        done
    done
    kind=dependency; [[ "$task" == screen ]] && kind=screen
    for peer in "${tools[@]:1}"; do
        "${peers[@]}" compare --kind "$kind" "$WORK/chokepoint-$task.parquet" "$WORK/$peer-$task.parquet" >&2 \
            || die "$task: chokepoint and $peer disagree"
    done
done

# (e) The table and bench/out/fullscale.json.
BENCH_YEARS="$first..$last" BENCH_ROWS="$rows_total" BENCH_ROWS_PER_YEAR="$ROWS_PER_YEAR" BENCH_SEED="$SEED" \
BENCH_REPEAT="$REPEAT" BENCH_CSV_BYTES="$csv_bytes" BENCH_GEN_SECONDS="$gen_seconds" BENCH_DATA="$data" \
BENCH_BIN="$bin" BENCH_BIN_VERSION="$("$bin" --version 2>/dev/null || echo unknown)" BENCH_UNIT="$UNIT" \
"$py" - "$results" "$here/out/fullscale.json" <<'PY'
import json, os, platform, statistics, sys
import duckdb, polars

results_path, json_path = sys.argv[1], sys.argv[2]
env = os.environ
runs = {}
for line in open(results_path):
    task, tool, rep, secs, rss_kib, user, sys_s, rows = line.rstrip("\n").split("\t")
    runs.setdefault(task, {}).setdefault(tool, []).append({
        "run": int(rep), "seconds": float(secs), "max_rss_mib": round(int(rss_kib) / 1024, 1),
        "cpu_seconds": round(float(user) + float(sys_s), 3), "rows_out": int(rows),
    })
tasks = {}
for task, by_tool in runs.items():
    s = {}
    for tool, rs in by_tool.items():
        s[tool] = {
            "median_seconds": round(statistics.median(r["seconds"] for r in rs), 4),
            "peak_rss_mib": round(max(r["max_rss_mib"] for r in rs), 1),
            "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in rs), 3),
            "rows_out": rs[-1]["rows_out"],
            "runs": rs,
        }
    peers = {t: v for t, v in s.items() if t != "chokepoint"}
    fastest = min(peers, key=lambda t: peers[t]["median_seconds"])
    s["fastest_peer"] = fastest
    s["time_ratio_chokepoint_over_fastest_peer"] = round(s["chokepoint"]["median_seconds"] / peers[fastest]["median_seconds"], 3)
    # CPU time is steadier than wall time on a shared VM: the same ratio in CPU seconds.
    s["cpu_ratio_chokepoint_over_fastest_peer"] = round(s["chokepoint"]["median_cpu_seconds"] / peers[fastest]["median_cpu_seconds"], 3)
    tasks[task] = s
bin_path = env["BENCH_BIN"]
report = {
    "benchmark": "fullscale",
    "years": env["BENCH_YEARS"],
    "rows": int(env["BENCH_ROWS"]),
    "rows_per_year": int(env["BENCH_ROWS_PER_YEAR"]),
    "seed": int(env["BENCH_SEED"]),
    "csv_bytes": int(env["BENCH_CSV_BYTES"]),
    "generate_seconds": float(env["BENCH_GEN_SECONDS"]),
    "data": env["BENCH_DATA"],
    "repeat": int(env["BENCH_REPEAT"]),
    "screen_unit": env["BENCH_UNIT"],
    "units": {"seconds": "wall clock of the whole process, median of the runs", "rss": "MiB, GNU time's maximum resident set size, max of the runs",
              "cpu_seconds": "user + system time of the whole process, median of the runs"},
    "chokepoint": {"binary": bin_path, "version": env["BENCH_BIN_VERSION"],
                   "build": "debug" if "/debug/" in bin_path else "release" if "/release/" in bin_path else "unknown"},
    "duckdb": duckdb.__version__, "polars": polars.__version__,
    "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
    "outputs_compared": "chokepoint vs each peer: same rows, figures within 1e-9 relative",
    "tasks": tasks,
}
with open(json_path, "w") as f:
    json.dump(report, f, indent=2)
    f.write("\n")
hdr = ["task", "tool", "median s", "peak RSS MiB", "CPU s", "rows out", "cp / fastest peer", "same in CPU s"]
table = [hdr]
for task, s in tasks.items():
    for tool in ("chokepoint", "duckdb", "polars"):
        if tool not in s:
            continue
        t = s[tool]
        ratio = f"{s['time_ratio_chokepoint_over_fastest_peer']:.2f} (vs {s['fastest_peer']})" if tool == "chokepoint" else ""
        cpu_ratio = f"{s['cpu_ratio_chokepoint_over_fastest_peer']:.2f}" if tool == "chokepoint" else ""
        table.append([task, tool, f"{t['median_seconds']:.3f}", f"{t['peak_rss_mib']:.0f}", f"{t['median_cpu_seconds']:.2f}", f"{t['rows_out']:,}", ratio, cpu_ratio])
widths = [max(len(r[i]) for r in table) for i in range(len(hdr))]
print(f"fullscale: {env['BENCH_YEARS']}, {int(env['BENCH_ROWS']):,} rows ({int(env['BENCH_CSV_BYTES']) / 1e9:.2f} GB CSV), median of {env['BENCH_REPEAT']} runs; "
      f"chokepoint {report['chokepoint']['build']}, duckdb {duckdb.__version__}, polars {polars.__version__}, {os.cpu_count()} CPUs")
for i, r in enumerate(table):
    print("  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
    if i == 0:
        print("  ".join("-" * w for w in widths))
print("ratio < 1: chokepoint faster than the fastest peer (wall time; the last column in CPU time, steadier on a shared machine); target <= 0.5")
print(f"wrote {json_path}")
PY
