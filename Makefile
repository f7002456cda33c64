# Two commands do all the set-up on a fresh machine (Python 3.11 + pip):
#   make demo   — create .venv, install, train on the shipped sample and score it, print summaries and paths
#   make test   — create .venv, install, run the test suite (slow benchmarks excluded)
#   make lint   — ruff (lint + format check), mypy over the whole package, generated docs current
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install lint demo test test-slow browser sample bench-train bench-coil bench-score bench-compare bench-decisions bench-stream bench-defaults clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint,dask]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/clickpred train data/impressions_sample.csv.gz --report reports/demo --model models/demo.skops
	$(BIN)/clickpred score models/demo.skops data/impressions_sample.csv.gz --output reports/demo-scores.parquet --keep impression_id

# The compare report is checked in a real headless browser: install Chromium from the
# distribution's packages when it is missing (the test is skipped, saying why, where it can't be).
browser:
	@if [ -n "$$CLICKPRED_NO_BROWSER" ]; then \
	  echo "note: CLICKPRED_NO_BROWSER is set: Chromium not installed, the report's browser tests will be skipped"; \
	elif command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "make test: installing Chromium (the distribution's package, once) for the reports' browser tests; CLICKPRED_NO_BROWSER=1 skips this"; \
	  start=$$(date +%s); \
	  if (timeout 600 apt-get update -qq && timeout 900 apt-get install -y -qq chromium) >/tmp/clickpred-chromium-install.log 2>&1; then \
	    echo "make test: Chromium installed in $$(( $$(date +%s) - start )) s"; \
	  else \
	    echo "note: Chromium could not be installed ($$(( $$(date +%s) - start )) s; apt's output: /tmp/clickpred-chromium-install.log): the browser tests will be skipped"; \
	  fi; \
	else \
	  echo "note: Chromium is not installed and cannot be installed here (apt-get as root): the browser tests will be skipped"; \
	fi

# One worker per core (pytest-xdist), each with one OpenMP thread: the trees' OpenMP threads of two workers on
# two cores spin against each other (hgb tests 10× slower); with one each the suite takes ~0.6× its serial time.
test: $(STAMP) browser
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n auto --durations=10

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python docs/generate.py --check

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# How data/impressions_sample.csv.gz was made.
sample: $(STAMP)
	$(BIN)/clickpred simulate --rows 200000 --seed 7 --output data/impressions_sample.csv.gz

bench-train: $(STAMP)
	$(BIN)/python benchmarks/bench_train.py

bench-coil: $(STAMP)
	$(BIN)/python benchmarks/bench_real.py

bench-score: $(STAMP)
	$(BIN)/python benchmarks/bench_score.py

bench-compare: $(STAMP)
	$(BIN)/python benchmarks/bench_compare.py --real coil bank sample

# Default `clickpred train` against the ten-line scikit-learn script, and the candidates for the defaults.
bench-defaults: $(STAMP)
	$(BIN)/python benchmarks/bench_defaults.py

bench-decisions: $(STAMP)
	$(BIN)/python benchmarks/bench_decisions.py

# Training at scale: 5M and 20M simulated rows (generated once into ~/.cache/clickpred-bench, ~2.4 GB).
bench-stream: $(STAMP)
	$(BIN)/python benchmarks/bench_stream.py --engines local dask

clean:
	rm -rf $(VENV) models reports/demo reports/demo-scores.parquet reports/demo-scores.rejects.csv
