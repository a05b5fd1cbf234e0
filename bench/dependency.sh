#!/usr/bin/env bash
# Benchmark + cross-check: `chokepoint dependency` against DuckDB and Polars on the same store.
#
#   bench/dependency.sh                        # JPN, DEU, JPN+DEU, 1995..2024, 3 runs of each tool
#   REPEAT=1 FIRST=2020 LAST=2024 bench/dependency.sh
#
# Environment:
#   DATA_DIR       chokepoint data directory holding the store (default: ./data of the repo root,
#                  as scripts/main.sh sets it up); the peers read DATA_DIR/store
#   CHOKEPOINT_BIN the chokepoint binary; default
#                  ${CARGO_TARGET_DIR_RELEASE:-$HOME/.cache/chokepoint-target-release}/release/chokepoint,
#                  built with `cargo build --release -p chokepoint-cli` into that directory if missing;
#                  it must have the `dependency` command
#   REPEAT         runs of each tool (default 3); median wall time, max of peak RSS
#   FIRST, LAST    years (default 1995, 2024)
#   IMPORTERS      importing units (default JPN,DEU,JPN+DEU; the peers take ISO3 and A+B+... only)
#   PEER_THREADS   DuckDB / Polars threads (default: the engines' own, all cores)
#   TMPDIR         where each run's time and log files go (default /tmp)
#
# Tools, each run under /usr/bin/time -v (peak RSS = "Maximum resident set size"):
#   chokepoint  chokepoint --data-dir DATA_DIR --quiet dependency --importer IMPORTERS
#               --years FIRST..LAST --format parquet --out bench/out/dep_chokepoint.parquet
#   duckdb      bench/dependency_peers.py --engine duckdb (one SQL query over the store's Parquet)
#   polars      bench/dependency_peers.py --engine polars (lazy API over the store's Parquet)
# Runs are interleaved (chokepoint, duckdb, polars, then again) after one read of the store to
# warm the page cache. Each tool's output of the last run stays in bench/out/dep_<tool>.parquet.
#
# Then bench/dependency_compare.py checks chokepoint's figures against each peer's (and the
# peers against each other): same (importer, year, material) rows, floats to 1e-9 relative,
# supplier_count and top_supplier exact. Results: a table on stdout, bench/out/dependency.md and
# bench/out/dependency.json. Exit status 1 when any comparison fails (after the table).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
REPEAT="${REPEAT:-3}"
FIRST="${FIRST:-1995}"
LAST="${LAST:-2024}"
IMPORTERS="${IMPORTERS:-JPN,DEU,JPN+DEU}"
PEER_THREADS="${PEER_THREADS:-}"
DATA_DIR="${DATA_DIR:-$repo/data}"

die() { echo "dependency.sh: $*" >&2; exit 1; }
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer (got '$REPEAT')"
[[ "$FIRST" =~ ^[0-9]{4}$ && "$LAST" =~ ^[0-9]{4}$ ]] || die "FIRST and LAST must be years (got '$FIRST', '$LAST')"
(( FIRST <= LAST )) || die "FIRST ($FIRST) is after LAST ($LAST)"
[[ -z "$PEER_THREADS" || "$PEER_THREADS" =~ ^[1-9][0-9]*$ ]] || die "PEER_THREADS must be a positive integer (got '$PEER_THREADS')"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian: apt-get install time)"

# (a) Python peers.
"$here/setup-venv.sh"
py="$here/.venv/bin/python"

# (b) The store.
[[ -d "$DATA_DIR" ]] || die "no data directory $DATA_DIR (set DATA_DIR, or run scripts/main.sh / chokepoint --data-dir $DATA_DIR data setup)"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"
store="$DATA_DIR/store"
[[ -e "$store" ]] || die "no store in $DATA_DIR (run: chokepoint --data-dir $DATA_DIR data setup)"
store_root="$(readlink -f "$store")"
compgen -G "$store_root/trade/year=*/*.parquet" >/dev/null || die "no trade/year=*/*.parquet in $store_root"

# (c) The chokepoint binary, with a `dependency` command.
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
if ! "$bin" dependency --help >/dev/null 2>&1; then
    die "$bin has no 'dependency' command (built before it landed?): rebuild it, e.g.
    (cd $repo && CARGO_TARGET_DIR=\${CARGO_TARGET_DIR_RELEASE:-\$HOME/.cache/chokepoint-target-release} cargo build --release -p chokepoint-cli)
or point CHOKEPOINT_BIN at a binary that has it"
fi

# (d) The runs.
mkdir -p "$here/out"
work="$(mktemp -d "${TMPDIR:-/tmp}/chokepoint-bench-dep.XXXXXX")"
trap 'rm -rf "$work"' EXIT
results="$work/results.tsv"
: >"$results"

cat "$store_root"/trade/year=*/*.parquet "$store_root"/materials* "$store_root"/manifest.json >/dev/null 2>&1 || true

out_of() { echo "$here/out/dep_$1.parquet"; }

# Run one tool once: appends "tool rep seconds max_rss_kib user_s sys_s engine_s" to $results
# (engine_s: the peers' own report of their engine's time without start-up and import; - for chokepoint).
run_one() {
    local tool="$1" rep="$2"
    local dir="$work/run-$tool-$rep" out
    out="$(out_of "$tool")"
    mkdir "$dir"
    rm -rf "$out"
    local -a cmd
    case "$tool" in
        chokepoint)
            cmd=("$bin" --data-dir "$DATA_DIR" --quiet dependency --importer "$IMPORTERS"
                 --years "$FIRST..$LAST" --format parquet --out "$out") ;;
        duckdb|polars)
            cmd=("$py" "$here/dependency_peers.py" --engine "$tool" --store "$store" --out "$out"
                 --importer "$IMPORTERS" --years "$FIRST..$LAST")
            [[ -n "$PEER_THREADS" ]] && cmd+=(--threads "$PEER_THREADS") ;;
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
    [[ -e "$out" ]] || die "$tool wrote no $out"
    local rss user sys eng
    eng=""
    [[ "$tool" == chokepoint ]] || eng="$(sed -n 's/^engine_seconds=//p' "$dir/stderr" | tail -n 1)"
    rss="$(awk -F': *' '/Maximum resident set size/ {print $2}' "$dir/time.txt")"
    user="$(awk -F': *' '/User time \(seconds\)/ {print $2}' "$dir/time.txt")"
    sys="$(awk -F': *' '/System time \(seconds\)/ {print $2}' "$dir/time.txt")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$rep" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b - a) / 1e9}')" \
        "$rss" "$user" "$sys" "${eng:--}" >>"$results"
    rm -rf "$dir"
}

tools=(chokepoint duckdb polars)
echo "dependency: $IMPORTERS, $FIRST..$LAST, store $store_root, $REPEAT runs each; chokepoint = $bin" >&2
for rep in $(seq 1 "$REPEAT"); do
    for tool in "${tools[@]}"; do
        run_one "$tool" "$rep"
        echo "  run $rep/$REPEAT $tool: $(tail -n 1 "$results" | cut -f3) s" >&2
    done
done

# (e) The cross-checks, outside the timed runs.
checks="$work/checks.tsv"
: >"$checks"
check() { # check NAME A B
    local log="$here/out/dep_compare_$1.txt" status=0
    "$py" "$here/dependency_compare.py" "$2" "$3" >"$log" 2>&1 || status=$?
    printf '%s\t%s\t%s\n' "$1" "$status" "$log" >>"$checks"
    echo "--- compare $1 (exit $status; $log)" >&2
    if (( status == 0 )); then grep -E '^(compared|OK)' "$log" >&2; else cat "$log" >&2; fi
}
check chokepoint-duckdb "$(out_of chokepoint)" "$(out_of duckdb)"
check chokepoint-polars "$(out_of chokepoint)" "$(out_of polars)"
check duckdb-polars "$(out_of duckdb)" "$(out_of polars)"

# (f) The table, bench/out/dependency.md and bench/out/dependency.json.
BENCH_REPEAT="$REPEAT" BENCH_FIRST="$FIRST" BENCH_LAST="$LAST" BENCH_IMPORTERS="$IMPORTERS" \
BENCH_STORE="$store_root" BENCH_BIN="$bin" BENCH_BIN_VERSION="$("$bin" --version 2>/dev/null || echo unknown)" \
BENCH_PEER_THREADS="${PEER_THREADS:-default}" BENCH_OUT="$here/out" \
"$py" - "$results" "$checks" "$here/out/dependency.md" "$here/out/dependency.json" <<'PY'
import json, os, platform, statistics, sys
import duckdb, polars

results_path, checks_path, md_path, json_path = sys.argv[1:5]
env = os.environ
runs = {}
for line in open(results_path):
    tool, rep, secs, rss_kib, user, sys_s, eng = line.rstrip("\n").split("\t")
    runs.setdefault(tool, []).append({
        "run": int(rep), "seconds": float(secs), "max_rss_mib": round(int(rss_kib) / 1024, 1),
        "cpu_seconds": round(float(user) + float(sys_s), 3),
        "engine_seconds": None if eng == "-" else float(eng),
    })
checks = {}
for line in open(checks_path):
    name, status, log = line.rstrip("\n").split("\t")
    checks[name] = {"ok": status == "0", "exit": int(status), "log": log}

summary = {}
for tool, rs in runs.items():
    out = os.path.join(env["BENCH_OUT"], f"dep_{tool}.parquet")
    src = os.path.join(out, "**", "*.parquet") if os.path.isdir(out) else out
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{src}')").fetchall()[0][0]
    summary[tool] = {
        "median_seconds": round(statistics.median(r["seconds"] for r in rs), 4),
        "peak_rss_mib": round(max(r["max_rss_mib"] for r in rs), 1),
        "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in rs), 3),
        "median_engine_seconds": (None if any(r["engine_seconds"] is None for r in rs)
                                  else round(statistics.median(r["engine_seconds"] for r in rs), 4)),
        "rows_out": rows,
        "agrees_with_chokepoint": True if tool == "chokepoint" else checks[f"chokepoint-{tool}"]["ok"],
        "runs": rs,
    }
cp = summary["chokepoint"]
for tool, s in summary.items():
    # > 1: chokepoint took longer / used more memory than this tool.
    s["time_ratio_chokepoint_over_tool"] = round(cp["median_seconds"] / s["median_seconds"], 3)
    s["rss_ratio_chokepoint_over_tool"] = round(cp["peak_rss_mib"] / s["peak_rss_mib"], 3)

bin_path = env["BENCH_BIN"]
build = "debug" if "/debug/" in bin_path else "release" if "/release/" in bin_path else "unknown"
report = {
    "benchmark": "dependency",
    "importers": env["BENCH_IMPORTERS"], "years": f"{env['BENCH_FIRST']}..{env['BENCH_LAST']}",
    "store": env["BENCH_STORE"], "repeat": int(env["BENCH_REPEAT"]),
    "units": {"rss": "MiB (GNU time's maximum resident set size)", "seconds": "wall clock, median of the runs"},
    "chokepoint": {"binary": bin_path, "version": env["BENCH_BIN_VERSION"], "build": build},
    "duckdb": {"version": duckdb.__version__, "threads": env["BENCH_PEER_THREADS"]},
    "polars": {"version": polars.__version__, "threads": env["BENCH_PEER_THREADS"]},
    "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
    "checks": checks,
    "tools": summary,
}
with open(json_path, "w") as f:
    json.dump(report, f, indent=2)
    f.write("\n")

names = {"chokepoint": f"chokepoint ({build})", "duckdb": f"DuckDB {duckdb.__version__}",
         "polars": f"Polars {polars.__version__}"}
hdr = ["tool", "median s", "engine s", "peak RSS MiB", "CPU s", "rows", "same figures", "time ratio cp/tool", "RSS ratio cp/tool"]
table = [hdr]
for tool, s in summary.items():
    eng = "-" if s["median_engine_seconds"] is None else f"{s['median_engine_seconds']:.3f}"
    table.append([names.get(tool, tool), f"{s['median_seconds']:.3f}", eng, f"{s['peak_rss_mib']:.1f}",
                  f"{s['median_cpu_seconds']:.2f}", f"{s['rows_out']:,}",
                  "-" if tool == "chokepoint" else ("yes" if s["agrees_with_chokepoint"] else "NO"),
                  f"{s['time_ratio_chokepoint_over_tool']:.2f}", f"{s['rss_ratio_chokepoint_over_tool']:.2f}"])
title = (f"dependency: {env['BENCH_IMPORTERS']}, {env['BENCH_FIRST']}..{env['BENCH_LAST']}, median of "
         f"{report['repeat']} runs; {os.cpu_count()} CPUs; store {env['BENCH_STORE']}")
note = ("median s: whole process, wall clock (what the ratios use); engine s: the peers' own timing of read + "
        "compute + write, without Python start-up and import; ratios > 1: chokepoint slower / bigger than that "
        "tool; peers' RSS includes their Python interpreter")
widths = [max(len(r[i]) for r in table) for i in range(len(hdr))]
print(title)
for i, r in enumerate(table):
    print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
    if i == 0:
        print("  ".join("-" * w for w in widths))
print(note)
bad = [n for n, c in checks.items() if not c["ok"]]
print("cross-checks: " + ("all agree" if not bad else "FAILED: " + ", ".join(f"{n} (see {checks[n]['log']})" for n in bad)))

with open(md_path, "w") as f:
    f.write(f"# `chokepoint dependency` against DuckDB and Polars\n\n{title}.\n\n")
    f.write("| " + " | ".join(hdr) + " |\n|" + "---|" * len(hdr) + "\n")
    for r in table[1:]:
        f.write("| " + " | ".join(r) + " |\n")
    f.write(f"\n{note}.\n\ncross-checks ({', '.join(checks)}): "
            + ("all agree (same rows; floats to 1e-9 relative; supplier_count, top_supplier exact).\n" if not bad
               else "FAILED: " + ", ".join(bad) + ".\n"))
print(f"wrote {md_path} and {json_path}")
sys.exit(1 if bad else 0)
PY
