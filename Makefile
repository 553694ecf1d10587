# Greenhouse: `make run` sets up and ingests the bundled samples; `make test` checks everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint typecheck pytest lock samples bench clean

# Exact versions from constraints.txt (see `lock`); .[dev] includes the api and worker extras.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
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

# The developers' fast lane: ruff, then the tests not marked slow, e2e or models (markers in
# pyproject.toml). `make test` (and CI) still runs everything.
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -m "not slow and not e2e and not models"

# Regenerate constraints.txt from the exact versions installed in .venv, keeping only
# greenhouse's dependencies (and their extras):
#   .venv/bin/pip freeze --exclude-editable | .venv/bin/python scripts/lock_constraints.py
# To upgrade: .venv/bin/pip install -U -e ".[dev]" (or pip install -U <package>), then make lock.
lock: install
	$(BIN)/pip freeze --exclude-editable | $(BIN)/python scripts/lock_constraints.py > constraints.txt.new
	mv constraints.txt.new constraints.txt
	touch $(STAMP)

samples: install
	$(BIN)/python scripts/generate_samples.py

bench: install
	$(BIN)/python bench/ingest_throughput.py

clean:
	rm -rf $(VENV) .greenhouse greenhouse.db greenhouse.db-wal greenhouse.db-shm .mypy_cache .ruff_cache .pytest_cache
