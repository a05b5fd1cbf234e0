#!/usr/bin/env bash
# Load test of `chokepoint serve`: starts the server on 127.0.0.1 over a store, runs wrk
# (Debian package `wrk`, installed here if missing) against /api/dependency (or URL_PATH,
# e.g. /api/risk?method=geopolrisk,dera&importer=JPN&years=2022) for DURATION,
# prints requests/s, p99 latency and the error count, and fails if any request failed.
#
# Environment (defaults):
#   CHOKEPOINT_BIN  the binary ($CARGO_TARGET_DIR/release/chokepoint if it has `serve`, else debug)
#   DATA_DIR        the data directory with a store (~/.cache/chokepoint-test-data)
#   DURATION        wrk duration (30s)
#   CONNECTIONS     open connections (8)
#   THREADS         wrk threads (1: the machine has 2 cores, the server needs the rest)
#   PORT            port on 127.0.0.1 (18080)
#   URL_PATH        the request (/api/dependency?importer=JPN,DEU,JPN%2BDEU)
# Only 127.0.0.1 is ever contacted; wrk stops by itself after DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chokepoint-target}"
DATA_DIR="${DATA_DIR:-$HOME/.cache/chokepoint-test-data}"
DURATION="${DURATION:-30s}"
CONNECTIONS="${CONNECTIONS:-8}"
THREADS="${THREADS:-1}"
PORT="${PORT:-18080}"
URL_PATH="${URL_PATH:-/api/dependency?importer=JPN,DEU,JPN%2BDEU}"

if [[ -z "${CHOKEPOINT_BIN:-}" ]]; then
    CHOKEPOINT_BIN="$CARGO_TARGET_DIR/debug/chokepoint"
    if [[ -x "$CARGO_TARGET_DIR/release/chokepoint" ]] && "$CARGO_TARGET_DIR/release/chokepoint" serve --help >/dev/null 2>&1; then
        CHOKEPOINT_BIN="$CARGO_TARGET_DIR/release/chokepoint"
    fi
fi
if ! command -v wrk >/dev/null; then
    if [[ "$(id -u)" == 0 ]]; then apt-get update -qq && apt-get install -y -qq wrk; else sudo apt-get install -y -qq wrk; fi
fi
if ! command -v curl >/dev/null; then
    if [[ "$(id -u)" == 0 ]]; then apt-get install -y -qq curl; else sudo apt-get install -y -qq curl; fi
fi

base="http://127.0.0.1:$PORT"
log="$(mktemp)"
"$CHOKEPOINT_BIN" --data-dir "$DATA_DIR" serve --bind "127.0.0.1:$PORT" 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    if curl -fsS "$base/api/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "the server did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.2
done
# One request first: it must succeed, and it warms the file-metadata caches.
# Rows: `rows` of /api/dependency, else the first list of /api/risk (its methods' rows).
rows="$(curl -fsS "$base$URL_PATH" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["rows"]) if "rows" in d else sum(len(v) for k, v in d.items() if k in ("geopolrisk","eu_crm","dera","crma","screen")))')"
echo "binary: $CHOKEPOINT_BIN"
echo "request: GET $URL_PATH ($rows rows), $DURATION, $CONNECTIONS connections, $THREADS wrk thread(s)"
out="$(wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 30s "$base$URL_PATH")"
echo "$out"
rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")"
socket="$(awk -F'[ ,]+' '/Socket errors:/ {print $5 + $7 + $9 + $11}' <<<"$out")"
errors=$(( ${non2xx:-0} + ${socket:-0} ))
echo "summary: requests/s ${rps}, p99 ${p99}, errors ${errors}"
if (( errors > 0 )); then
    echo "error: $errors failed requests" >&2
    exit 1
fi
