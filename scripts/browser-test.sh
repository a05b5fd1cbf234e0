#!/usr/bin/env bash
# Browser tests in headless Chromium (Debian's `chromium`, installed here if missing):
# 1. the HTML report: writes the JPN, DEU, JPN+DEU report of a data directory as HTML and
#    JSON, opens the HTML and checks that the charts of a flagged JPN+DEU material show the
#    top supplier, share and HHI of the JSON (web/browser-test.mjs);
# 2. the dashboard: starts `chokepoint serve` on 127.0.0.1 (a free port) over the same data,
#    selects JPN, DEU, JPN+DEU and a material flagged for JPN+DEU by /api/dependency and
#    checks that the charts show the API's top supplier, share and HHI (web/dashboard-test.mjs).
#    The server is stopped on exit, also on failure.
# Screenshots go to out/browser-test/ (git-ignored).
#
# usage: scripts/browser-test.sh [DATA_DIR]   (default $CHOKEPOINT_TEST_DATA_DIR, else ~/.cache/chokepoint-test-data)
# Needs: a built chokepoint ($CHOKEPOINT_BIN, else $CARGO_TARGET_DIR/debug/chokepoint), the
# web assets (scripts/web-assets.sh, run here).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-${CHOKEPOINT_TEST_DATA_DIR:-$HOME/.cache/chokepoint-test-data}}"
bin="${CHOKEPOINT_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/chokepoint-target}/debug/chokepoint}"
export CHOKEPOINT_WEB_ASSETS="${CHOKEPOINT_WEB_ASSETS:-$HOME/.cache/chokepoint-web}"
if [[ ! -x /usr/bin/chromium ]]; then
    if [[ "$(id -u)" == 0 ]]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver; else sudo apt-get install -y -qq chromium chromium-driver; fi
fi
if ! command -v curl >/dev/null; then
    if [[ "$(id -u)" == 0 ]]; then apt-get install -y -qq curl; else sudo apt-get install -y -qq curl; fi
fi
scripts/web-assets.sh
mkdir -p out/browser-test
"$bin" --quiet --data-dir "$data" report --format html --out out/browser-test/report.html
"$bin" --quiet --data-dir "$data" report --format json --out out/browser-test/report.json
node web/browser-test.mjs --assets "$CHOKEPOINT_WEB_ASSETS" --report out/browser-test/report.html \
    --json out/browser-test/report.json --importer JPN+DEU --shots out/browser-test

# The dashboard: the server on a port the kernel picks, read back from its log.
log="$(mktemp)"
"$bin" --data-dir "$data" serve --bind 127.0.0.1:0 --web-assets "$CHOKEPOINT_WEB_ASSETS" 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
# A signal ends the script through its EXIT trap, so that the server never outlives it.
trap 'exit 1' INT TERM HUP PIPE
url=""
for _ in $(seq 1 150); do
    url="$(grep -o 'dashboard on http://127\.0\.0\.1:[0-9]*' "$log" | grep -o 'http://.*' || true)"
    if [[ -n "$url" ]] && curl -fsS "$url/api/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "the server did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    url=""
    sleep 0.2
done
[[ -n "$url" ]] || { echo "the server did not answer /api/health within 30 s:" >&2; cat "$log" >&2; exit 1; }
node web/dashboard-test.mjs --assets "$CHOKEPOINT_WEB_ASSETS" --url "$url" --importer JPN+DEU --shots out/browser-test
