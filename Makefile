# The two set-up commands of the README work from a fresh clone with only Python >= 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench bench-ingest bench-signals bench-reliability bench-remedies bench-privacy bench-robustness clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("defectradar needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/defectradar demo

# pytest exits 5 when it collected no tests: here that is a failure, never a pass.
test: $(STAMP)
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests - failing" >&2; exit 1; fi; \
	exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench-ingest: $(STAMP)
	$(BIN)/python benchmarks/ingest.py --write-docs

bench-signals: $(STAMP)
	$(BIN)/python benchmarks/signals.py
	$(BIN)/python benchmarks/recall_backtest.py

bench-reliability: $(STAMP)
	$(BIN)/python benchmarks/reliability.py --write-docs

bench-remedies: $(STAMP)
	$(BIN)/python benchmarks/remedies.py --write-docs

bench-privacy: $(STAMP)
	$(BIN)/python benchmarks/privacy.py --write-docs

bench-robustness: $(STAMP)
	$(BIN)/python benchmarks/robustness.py --write-docs

bench: bench-ingest bench-signals bench-reliability bench-remedies bench-privacy bench-robustness

clean:
	rm -rf $(VENV) demo-world defectradar.duckdb defectradar.duckdb.wal defectradar.duckdb.lock benchmarks/.work
