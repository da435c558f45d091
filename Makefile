# newsmon developer commands. `make run` and `make test` are the README's Quick start.
.PHONY: run test lint typecheck unit eval bench services-up services-down clean-state

PY := .venv/bin/python

.venv/.newsmon-installed: pyproject.toml
	bash scripts/bootstrap.sh

run: .venv/.newsmon-installed  ## everything locally on the demo feeds, then print the indexed articles
	.venv/bin/newsmon run $(ARGS)

test: .venv/.newsmon-installed  ## lint, type-check, unit + integration + end-to-end tests (real Kafka/ES)
	bash scripts/test.sh $(ARGS)

lint: .venv/.newsmon-installed
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: .venv/.newsmon-installed
	.venv/bin/mypy

unit: .venv/.newsmon-installed  ## unit tests only (no services)
	.venv/bin/pytest -q -m "not integration and not e2e" tests/unit

eval: .venv/.newsmon-installed  ## tagging P/R/F1 on the dev set, recall on real labelled text (both halves), theme rates on off-topic feeds -> docs/TAGGING.md
	$(PY) -m pipeline.tagging.evaluate
	$(PY) -m pipeline.tagging.evaluate_persons

bench: .venv/.newsmon-installed  ## benchmarks -> figures for docs/BENCHMARKS.md
	$(PY) bench/bench_tagging.py
	$(PY) bench/bench_connectors.py

services-up: .venv/.newsmon-installed
	.venv/bin/newsmon services up

services-down: .venv/.newsmon-installed
	.venv/bin/newsmon services down
