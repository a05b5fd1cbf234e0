#!/usr/bin/env bash
# The main job on a fresh machine: build chokepoint (release), fetch and ingest the
# default dataset on first use, then run the report for Japan and Germany.
#
# Needs: the Rust toolchain, python3 with pip, network access to crates.io and PyPI.
# The data directory is $CHOKEPOINT_DATA_DIR, else ./data in the work tree (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CHOKEPOINT_RELEASE_TARGET_DIR:-$HOME/.cache/chokepoint-target-release}"
export CHOKEPOINT_DATA_DIR="${CHOKEPOINT_DATA_DIR:-$PWD/data}"
cargo build --release --locked -p chokepoint-cli
bin="$CARGO_TARGET_DIR/release/chokepoint"
"$bin" data setup
"$bin" data info
# The dependency report (`chokepoint report`, issue "The main job") replaces this
# summary once it lands: until then, the store's provenance and a first look at JPN and DEU.
"$bin" sql "SELECT importer, year, count(DISTINCT hs6) AS hs6_codes, count(DISTINCT exporter) AS suppliers, round(sum(value_usd) / 1e9, 3) AS import_usd_bn FROM trade WHERE importer IN ('JPN', 'DEU') AND year = (SELECT max(year) FROM trade) GROUP BY importer, year ORDER BY importer"
