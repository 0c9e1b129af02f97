# The two commands a fresh machine needs: `make demo` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup lock demo test test-fast test-data lint clean

setup:
	bash scripts/setup.sh

# Regenerate requirements.lock (every Python package pinned, with hashes) from
# pyproject.toml, keeping the pinned versions pyproject.toml still allows; needs PyPI.
# UPGRADE=1 takes the newest releases; LOCK_PYTHON=3.12 locks for another Python.
lock:
	bash scripts/lock.sh

demo: setup
	$(BIN)/labpipe demo --outdir demo-output --overwrite

test:
	bash scripts/setup.sh --test
	$(BIN)/ruff check src tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/lint_workflow.py
	$(BIN)/pytest -q

# Everything but the end-to-end runs of the real workflow (seconds, not minutes).
test-fast: setup
	$(BIN)/pytest -q -m "not e2e"

# snakemake --lint with the demo config (scripts/lint_workflow.py says which lint it accepts).
lint: setup
	$(BIN)/ruff check src tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/lint_workflow.py

# Regenerate the embedded synthetic data set (fixed seed: same bytes every time).
test-data: setup
	$(BIN)/labpipe simulate --outdir test_data --overwrite

clean:
	rm -rf demo-output .pytest_cache .mypy_cache .ruff_cache
