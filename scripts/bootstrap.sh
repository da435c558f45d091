#!/usr/bin/env bash
# Create (or refresh) the project virtualenv in .venv with newsmon and its dev tools installed.
# Idempotent: re-running only installs what changed in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { echo "newsmon needs Python 3.11 (found $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $("$PY" --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.newsmon-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing newsmon and dev dependencies (first run takes a few minutes)"
  .venv/bin/pip install --quiet --upgrade pip setuptools wheel
  .venv/bin/pip install --quiet -e '.[dev]'
  touch "$stamp"
fi
