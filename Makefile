# reportdb — the two commands of the README:
#   make demo   set up, ingest the bundled fixtures, print a cross-year / cross-region query
#   make test   set up, run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= demo.duckdb

.PHONY: setup system demo test fixtures bench bench-scans bench-peer setup-rapidocr clean

setup: system $(STAMP)

system:
	@bash scripts/install-system.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-binary tesserocr -e '.[dev]'
	@touch $@

demo: setup
	@rm -f $(DEMO_DB)
	$(BIN)/reportdb ingest fixtures/samples --db $(DEMO_DB)
	$(BIN)/reportdb query --db $(DEMO_DB) --file fixtures/demo.sql

test: setup
	$(BIN)/python -m pytest

# the optional second OCR engine (--ocr-engine rapidocr): its wheel asks for the full
# opencv-python, which would shadow the headless build, so it is installed without
# dependencies and its real ones are named here
setup-rapidocr: setup
	$(BIN)/pip install --quiet --no-deps rapidocr_onnxruntime==1.4.4
	$(BIN)/pip install --quiet onnxruntime pyclipper shapely six tqdm

# regenerate the committed samples (deterministic: no diff unless the generator changed)
fixtures: setup
	$(BIN)/python -m fixtures.generate fixtures/samples --scans fixtures/scans --legacy fixtures/legacy_samples \
	  --forms fixtures/forms

bench: setup
	$(BIN)/python -m bench.run

# the scanned path against ground truth, the raw tesseract floor and img2table (own venv)
bench-scans: setup bench-peer
	$(BIN)/python -m bench.scans --docs 3 --peer

bench-peer:
	@test -x .venv-peer/bin/python || ($(PYTHON) -m venv .venv-peer && \
	  .venv-peer/bin/pip install --quiet img2table==2.0.0 pytesseract)

clean:
	rm -rf $(VENV) $(DEMO_DB) .pytest_cache
