# Greenhouse: `make run` sets up and ingests the bundled samples; `make test` checks everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest samples bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/greenhouse ingest samples/ --collection samples

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

pytest: install
	$(BIN)/python -m pytest

test: lint typecheck pytest

samples: install
	$(BIN)/python scripts/generate_samples.py

bench: install
	$(BIN)/python bench/ingest_throughput.py

clean:
	rm -rf $(VENV) .greenhouse greenhouse.db greenhouse.db-wal greenhouse.db-shm .mypy_cache .ruff_cache .pytest_cache
