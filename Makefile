# The two commands a fresh machine needs: `make demo` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test test-e2e test-data lint clean

setup:
	bash scripts/setup.sh

demo: setup
	$(BIN)/labpipe demo --outdir demo-output --overwrite

test: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy

# Regenerate the embedded synthetic data set (fixed seed: same bytes every time).
test-data: setup
	$(BIN)/python -m labpipe.simulate --outdir test_data

clean:
	rm -rf demo-output .pytest_cache .mypy_cache .ruff_cache
