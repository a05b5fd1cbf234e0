#!/usr/bin/env bash
# Install the browser assets of the HTML report (`chokepoint report --format html`), of the
# dashboard of `chokepoint serve` and of their browser tests: the npm packages pinned in
# web/package-lock.json (Apache ECharts, world-atlas, topojson-client, i18n-iso-countries,
# playwright-core), with `npm ci` from the npm registry, into a cache outside the work tree.
# chokepoint reads them from there: the report inlines them, the server serves them.
#
# Needs: node and npm (Debian's `nodejs` and `npm`, installed here if missing when root).
# Where: $CHOKEPOINT_WEB_ASSETS, else ~/.cache/chokepoint-web. Nothing is done when the
# installed lock file equals web/package-lock.json and every file is there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${CHOKEPOINT_WEB_ASSETS:-$HOME/.cache/chokepoint-web}"
files=(
    node_modules/echarts/dist/echarts.min.js
    node_modules/topojson-client/dist/topojson-client.min.js
    node_modules/world-atlas/countries-110m.json
    node_modules/i18n-iso-countries/codes.json
    node_modules/playwright-core/package.json
)
if ! command -v npm >/dev/null; then
    if [[ "$(id -u)" == 0 ]]; then apt-get update -qq && apt-get install -y -qq nodejs npm; else sudo apt-get install -y -qq nodejs npm; fi
fi
complete() {
    cmp -s web/package-lock.json "$dest/package-lock.json" || return 1
    for f in "${files[@]}"; do [[ -s "$dest/$f" ]] || return 1; done
}
if complete; then
    echo "web assets up to date in $dest"
    exit 0
fi
mkdir -p "$dest"
cp web/package.json web/package-lock.json "$dest/"
# npm ci checks every package against the lock file's integrity hashes; no install scripts run.
(cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
complete || { echo "error: $dest lacks some of: ${files[*]}" >&2; exit 1; }
echo "web assets installed in $dest"
