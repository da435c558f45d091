#!/usr/bin/env bash
# The test command (`make test`): lint + types, then every test — unit, integration and end-to-end.
# Integration tests start (or reuse) the real local Kafka + Elasticsearch and build Beam's Prism runner
# through newsmon.services; nothing is mocked there. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
step() { printf '\n==> %s\n' "$*"; }

step "ruff (lint + format)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
step "mypy (strict on newsmon, connectors, pipeline)"
.venv/bin/mypy
step "pytest (unit, integration, end-to-end)"
set +e
.venv/bin/pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a broken test tree, not a pass (check tests/ and the -k/-m filters)" >&2
  exit 1
fi
exit "$rc"
