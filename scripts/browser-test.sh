#!/usr/bin/env bash
# Browser test of the HTML report: writes the JPN, DEU, JPN+DEU report of a data directory as
# HTML and JSON, opens the HTML in headless Chromium (Debian's `chromium`, installed here
# if missing) and checks that the charts of a flagged JPN+DEU material show the top supplier,
# share and HHI of the JSON (web/browser-test.mjs). Screenshots go to out/browser-test/.
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
scripts/web-assets.sh
mkdir -p out/browser-test
"$bin" --quiet --data-dir "$data" report --format html --out out/browser-test/report.html
"$bin" --quiet --data-dir "$data" report --format json --out out/browser-test/report.json
node web/browser-test.mjs --assets "$CHOKEPOINT_WEB_ASSETS" --report out/browser-test/report.html \
    --json out/browser-test/report.json --importer JPN+DEU --shots out/browser-test
