# packlife: two commands on a fresh machine — `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS := dev,db,opt,grading,eis,fleet,serve,api
STAMP := $(VENV)/.installed-$(EXTRAS)

.PHONY: run test lint typecheck contracts unit bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	@touch $(STAMP)

install: $(STAMP)

## run: the main job on the built-in default scenario
run: $(STAMP)
	$(BIN)/packlife simulate jlr-test-site --out out/jlr-test-site

## test: lint, type checks, import-layer contract, and the whole test suite
test: lint typecheck contracts unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts examples

typecheck: $(STAMP)
	$(BIN)/mypy src

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/python -m pytest -q

## bench: benchmarks, results written to benchmarks/RESULTS.md by hand from the printed tables
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) out .mypy_cache .pytest_cache .ruff_cache
