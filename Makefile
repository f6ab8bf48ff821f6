# Paperboy — every target sets itself up (virtualenv + CPU torch + the project) first.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup demo test lint bench bench-quality clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# CPU build of torch first, so nothing pulls the CUDA wheels
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)  ## answer the example question offline (first run embeds the bundled corpus)
	$(BIN)/paperboy ask "fast FFT-based attention papers"

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)  ## latency / throughput / scale benchmarks (not part of the tests)
	$(BIN)/python bench/run_bench.py

bench-quality: $(STAMP)  ## dense vs BM25 vs hybrid on the judged sets
	$(BIN)/python bench/eval_quality.py

clean:
	rm -rf .paperboy .pytest_cache
