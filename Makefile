# The two commands: `make demo` and `make test`. Both bootstrap .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint format bench docs clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "FracFire needs Python >= 3.11; got " + sys.version)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[all,test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fracfire pipeline --config configs/pipeline.yaml

# Two test processes, one math thread each (numba, BLAS and torch threads would otherwise fight
# over the same cores): about 3.5 minutes on 2 cores instead of 6 in one process.
TEST_THREADS := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1

test: lint
	$(TEST_THREADS) $(BIN)/python -m pytest -n 2 --dist worksteal

# ruff (lint and format check; settings in pyproject.toml) and mypy (types of the package), also run by
# `make test`. `make format` rewrites the code in the project's format.
LINTED := fracfire tests scripts benchmarks examples

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

docs: $(STAMP)
	$(BIN)/python -m scripts.make_docs
	$(BIN)/python -m scripts.make_api

bench: $(STAMP)
	$(BIN)/python -m benchmarks.generation

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .mypy_cache .ruff_cache
