# Paperboy — every target sets itself up (virtualenv + CPU torch + the project) first.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup demo test lint bench bench-quality bench-taste clean constraints postgres

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# CPU build of torch first, so nothing pulls the CUDA wheels
	$(BIN)/pip install --quiet torch==2.13.0
	# every other package at the version the tests ran with
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)  ## answer the example question offline (first run embeds the bundled corpus)
	$(BIN)/paperboy ask "fast FFT-based attention papers"

postgres:  ## PostgreSQL's server binaries for the state tests (Debian's package, if missing)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

test: $(STAMP) postgres  ## the whole test suite (a real PostgreSQL server is started by the tests)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)  ## latency / throughput / scale benchmarks (not part of the tests)
	$(BIN)/python bench/run_bench.py

.PHONY: bench-load
bench: bench-load  # part of `make bench`
bench-load: $(STAMP)  ## 20 questions at once through real `paperboy slack` / `paperboy discord` processes
	$(BIN)/python bench/load_chat.py

bench-quality: $(STAMP)  ## dense vs BM25 vs hybrid on the judged sets
	$(BIN)/python bench/eval_quality.py

bench-taste: $(STAMP)  ## channel-taste replay over the recorded HF days (first run embeds ~6.2k papers)
	$(BIN)/python bench/taste_replay.py

clean:
	rm -rf .paperboy .pytest_cache

constraints: $(STAMP)  ## re-pin constraints.txt to what the venv holds (after changing pyproject.toml)
	{ sed -n '1,3p' constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^paperboy' \
	  | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > constraints.txt.new && mv constraints.txt.new constraints.txt
