# Two entry points that work on a fresh clone with only python3: `make demo`, `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs calibrate clean fonts browser loadtest-demo fit-demo

# Reports: a CJK font for Chinese names in figures, Debian's chromium for the browser test.
# Installed through apt only when the file is absent (sudo when not root).
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
CHROMIUM := /usr/bin/chromium
APT := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

$(CJK_FONT):
	$(APT) update && $(APT) install -y --no-install-recommends fonts-wqy-microhei

$(CHROMIUM):
	$(APT) update && $(APT) install -y --no-install-recommends chromium

fonts: $(CJK_FONT)
browser: $(CHROMIUM)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,backend,loadtest]'
	touch $(STAMP)

demo: $(STAMP) $(CJK_FONT)
	$(BIN)/fansim run scenarios/xiaomi_2013q1.toml --out out/demo --report

# The reference back end on 127.0.0.1, a scaled 米粉节 replayed at it (<= 60 s), the load report.
DEMO := out/loadtest-demo
loadtest-demo: $(STAMP)
	@$(BIN)/fansim backend --help >/dev/null 2>&1 || { echo "loadtest-demo: the reference back end (fansim backend, issue 8) is not in this checkout yet"; exit 2; }
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@$(BIN)/fansim backend scenarios/mifan_festival_2013.toml --port 18080 --token fansim \
		--db $(DEMO)/backend.sqlite3 > $(DEMO)/backend.log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null' EXIT; sleep 3; \
	$(BIN)/fansim loadtest scenarios/mifan_festival_2013.toml --host http://127.0.0.1:18080 \
		--start 880 --scale 0.05 --speedup 4 --duration 40 --out $(DEMO) && \
	$(BIN)/fansim loadreport $(DEMO) --backend-db $(DEMO)/backend.sqlite3 && \
	echo "load report: $(DEMO)/loadreport.json (Locust's: $(DEMO)/locust.html)"

# The inference worked example end to end (docs/inference.md): fit a synthetic account's year of
# daily export, forecast 28 days, backtest at two origins against naive baselines; < 5 min.
EX := examples/synthetic_account
FIT_DEMO := out/fit-demo
fit-demo: $(STAMP)
	$(BIN)/fansim fit $(EX)/scenario.toml --history $(EX)/export.csv --priors $(EX)/priors.toml \
		--workers 2 --out $(FIT_DEMO)/fit
	$(BIN)/fansim forecast $(EX)/scenario.toml --posterior $(FIT_DEMO)/fit --horizon 28 \
		--draws 100 --replications 1 --workers 2 --out $(FIT_DEMO)/forecast
	$(BIN)/fansim backtest $(EX)/scenario.toml --history $(EX)/export.csv --priors $(EX)/priors.toml \
		--origins 2025-07-31,2025-08-31,2025-09-30,2025-10-31,2025-11-30 --horizon 28 \
		--particles 25 --draws 50 --workers 2 --out $(FIT_DEMO)/backtest

lint: $(STAMP)
	$(BIN)/ruff check sim loadtests tests examples
	$(BIN)/ruff format --check sim loadtests tests examples
	$(BIN)/mypy sim loadtests

# The timing-sensitive tests (tests/conftest.py: servers under load, Locust, signals, the
# browser, publishing output folders) at normal priority and, beside them, the CPU-bound rest
# on both cores at the lowest priority (nice 19): it gets only the cycles the first leave idle
# (they use about a quarter of the two cores, mostly waiting on servers). Its output follows;
# either block failing fails, and Ctrl-C stops both (a background job in sh ignores SIGINT, so
# the trap ends it).
test: lint $(CJK_FONT) $(CHROMIUM)
	@log=$$(mktemp); \
	nice -n 19 $(BIN)/pytest -q -n 2 -m "not benchmark and not serial" > "$$log" 2>&1 & cpu=$$!; \
	trap 'kill $$cpu 2>/dev/null; rm -f "$$log"' EXIT; trap 'exit 130' INT TERM; \
	echo "timing-sensitive tests (the CPU-bound rest runs beside them at nice 19):"; \
	$(BIN)/pytest -q -m "not benchmark and serial"; timed=$$?; \
	wait $$cpu; rest=$$?; echo "CPU-bound tests:"; cat "$$log"; \
	[ $$timed -eq 0 ] && [ $$rest -eq 0 ]

bench: $(STAMP) $(CJK_FONT) $(CHROMIUM)
	$(BIN)/pytest -q -m benchmark --benchmark-enable --benchmark-columns=min,mean,max,rounds

docs: $(STAMP)
	$(BIN)/fansim docs --out docs/scenario-reference.md

calibrate: $(STAMP)
	$(BIN)/fansim calibrate --replications 10 --workers 2

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .benchmarks
