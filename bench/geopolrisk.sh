#!/usr/bin/env bash
# Benchmark: GeoPolRisk by chokepoint and by its peer geopolrisk-py 2.0.1, in one run.
#
#   bench/geopolrisk.sh                       # DATA_DIR=./data by default
#
# 1. chokepoint for every importer × material × year the store can score (every importer of
#    the trade table, every material with HS codes, every year with production data);
# 2. both tools on the same scope, one the peer finishes in minutes: JPN, DEU, USA, CHN, FRA,
#    GBR, KOR × all materials × 2020–2022 (PEER_COUNTRIES, PEER_YEARS).
# Each run under /usr/bin/time -v (wall time, peak RSS). Prints a table and writes
# bench/out/geopolrisk.md. The figures of the two tools differ by the choices listed in
# docs/methods.md §2; this script times them, it does not compare them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
DATA_DIR="${DATA_DIR:-$repo/data}"
CHOKEPOINT_BIN="${CHOKEPOINT_BIN:-${CARGO_TARGET_DIR_RELEASE:-$HOME/.cache/chokepoint-target-release}/release/chokepoint}"
PEER_COUNTRIES="${PEER_COUNTRIES:-JPN,DEU,USA,CHN,FRA,GBR,KOR}"
PEER_YEARS="${PEER_YEARS:-2020..2022}"
out="$here/out"
mkdir -p "$out"
[[ -x "$CHOKEPOINT_BIN" ]] || { echo "geopolrisk.sh: no chokepoint binary at $CHOKEPOINT_BIN (scripts/main.sh builds it)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "geopolrisk.sh: /usr/bin/time is missing (Debian: apt-get install time)" >&2; exit 1; }
"$here/setup-venv.sh" geopolrisk
py="$here/.venv/bin/python"

measure() { # name, command...: prints "name seconds peak_MiB"
    local name="$1"; shift
    local t="$out/geopolrisk_$name.time"
    /usr/bin/time -v -o "$t" "$@" >/dev/null 2>"$out/geopolrisk_$name.stderr"
    local wall rss
    wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$t")"
    rss="$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$t")"
    echo "$name $wall $rss"
}

all_importers="$("$CHOKEPOINT_BIN" --data-dir "$DATA_DIR" --quiet sql -f csv "SELECT DISTINCT importer FROM trade ORDER BY 1" | tail -n +2 | paste -sd,)"
r_all="$(measure chokepoint_all "$CHOKEPOINT_BIN" --data-dir "$DATA_DIR" --quiet risk --method geopolrisk -i "$all_importers" -f csv -o "$out/geopolrisk_chokepoint_all.csv")"
rows_all=$(($(wc -l <"$out/geopolrisk_chokepoint_all.csv") - 1))
r_cp="$(measure chokepoint "$CHOKEPOINT_BIN" --data-dir "$DATA_DIR" --quiet risk --method geopolrisk -i "$PEER_COUNTRIES" --years "$PEER_YEARS" -f csv -o "$out/geopolrisk_chokepoint.csv")"
rows_cp=$(($(wc -l <"$out/geopolrisk_chokepoint.csv") - 1))
r_peer="$(measure peer "$py" "$here/geopolrisk_peer.py" --countries "$PEER_COUNTRIES" --materials all --years "$PEER_YEARS" --out "$out/geopolrisk_peer_bench.csv")"
rows_peer=$(($(wc -l <"$out/geopolrisk_peer_bench.csv") - 1))

read -r _ s_all m_all <<<"$r_all"
read -r _ s_cp m_cp <<<"$r_cp"
read -r _ s_peer m_peer <<<"$r_peer"
{
    echo "GeoPolRisk: chokepoint ($CHOKEPOINT_BIN) and geopolrisk-py 2.0.1; $(nproc) CPUs; store $(readlink -f "$DATA_DIR/store")"
    echo
    echo "| run | rows | wall s | peak RSS MiB | peer / chokepoint (time) |"
    echo "|---|---|---|---|---|"
    echo "| chokepoint, every importer × material × year it can score | $rows_all | $s_all | $m_all | |"
    echo "| chokepoint, $PEER_COUNTRIES × all materials × $PEER_YEARS | $rows_cp | $s_cp | $m_cp | 1 |"
    echo "| geopolrisk-py 2.0.1, the same scope | $rows_peer | $s_peer | $m_peer | $(awk -v a="$s_peer" -v b="$s_cp" 'BEGIN {printf "%.0f", a/b}') |"
} | tee "$out/geopolrisk.md"
