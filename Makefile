# Two entry points that work on a fresh clone with only python3: `make demo`, `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs calibrate clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,loadtest]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fansim run scenarios/xiaomi_2013q1.toml --out out/demo

lint: $(STAMP)
	$(BIN)/ruff check sim loadtests tests
	$(BIN)/ruff format --check sim loadtests tests
	$(BIN)/mypy sim

test: lint
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/pytest -q -m benchmark --benchmark-enable tests/test_benchmarks.py --benchmark-columns=min,mean,max,rounds

docs: $(STAMP)
	$(BIN)/fansim docs --out docs/scenario-reference.md

calibrate: $(STAMP)
	$(BIN)/fansim calibrate --replications 10 --workers 2

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .benchmarks
