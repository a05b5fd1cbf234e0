#!/usr/bin/env bash
# The main job on a fresh machine: build chokepoint (release), fetch and ingest the
# default dataset on first use, then run the report for Japan and Germany.
#
# Needs: the Rust toolchain, python3 with pip, node and npm, network access to crates.io,
# PyPI and npm (the HTML report's chart library and map: scripts/web-assets.sh).
# The data directory is $CHOKEPOINT_DATA_DIR, else ./data in the work tree (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CHOKEPOINT_RELEASE_TARGET_DIR:-$HOME/.cache/chokepoint-target-release}"
export CHOKEPOINT_DATA_DIR="${CHOKEPOINT_DATA_DIR:-$PWD/data}"
cargo build --release --locked -p chokepoint-cli
bin="$CARGO_TARGET_DIR/release/chokepoint"
"$bin" data setup
"$bin" data info
# The report: briefing and ranked table for Japan, Germany and the JPN+DEU coalition,
# every material, latest year in the store; also written as Markdown, JSON and a
# self-contained HTML page with maps and charts.
mkdir -p out
"$bin" report --format md --out out/report-JPN-DEU.md
"$bin" report --format json --out out/report-JPN-DEU.json
scripts/web-assets.sh
"$bin" report --format html --out out/report-JPN-DEU.html
"$bin" report
