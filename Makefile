# Quick start: `make demo` and `make test` work on a machine with only python3.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
export PYTHONDONTWRITEBYTECODE ?= 1

.PHONY: demo test lint typecheck contracts unit bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# An editable install leaves src/ uncompiled and PYTHONDONTWRITEBYTECODE stops imports from caching
# bytecode, so every `complaint` command would compile the package again; compile it once, as
# installing a wheel does.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	$(BIN)/python -m compileall -q src
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,server]'
	$(BIN)/python -m compileall -q src
	touch $@ $(RUN_STAMP)

demo: $(RUN_STAMP)
	$(BIN)/python -m entrypoints.cli demo

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

contracts: $(DEV_STAMP)
	$(BIN)/lint-imports

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

unit: $(DEV_STAMP)
	$(BIN)/pytest

test: lint contracts typecheck unit

bench: $(DEV_STAMP)
	$(BIN)/python -m compileall -q src
	$(BIN)/python bench/bench_calendar.py
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_ledger.py
	$(BIN)/python bench/bench_sweep.py
	$(BIN)/python bench/bench_sql.py
	$(BIN)/python bench/bench_cli.py
	$(BIN)/python bench/bench_webhooks.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
