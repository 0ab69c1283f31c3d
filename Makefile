# reportdb — the two commands of the README:
#   make demo   set up, ingest the bundled fixtures, print a cross-year / cross-region query
#   make test   set up, run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip
LOCK := requirements.lock
BUILD_LOCK := requirements/build.lock
TOOLS_VENV := .venv-tools
TOOLS := $(TOOLS_VENV)/.installed
UV := $(TOOLS_VENV)/bin/uv
UPGRADE ?=
DEMO_DB ?= demo.duckdb

.PHONY: setup system lock upgrade demo test fixtures bench bench-scans bench-peer setup-rapidocr clean

setup: system $(STAMP)

system:
	@bash scripts/install-system.sh

# The environment is the lock, installed exactly: every package pinned with its hashes
# (requirements.lock, written by `make lock` from pyproject.toml's ranges), the build
# tools first (requirements/build.lock) so that the two source builds (tesserocr against
# Debian's libtesseract, reportdb itself) use pinned tools and fetch nothing unpinned.
# A changed lock rebuilds the venv from nothing, so no package of an older lock stays;
# scripts/check_env.py then proves the venv holds what the locks say and nothing else.
$(STAMP): pyproject.toml $(LOCK) $(BUILD_LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes --no-deps -r $(BUILD_LOCK)
	$(PIP) install --quiet --require-hashes --no-deps --no-build-isolation --no-binary tesserocr -r $(LOCK)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python scripts/check_env.py $(LOCK) $(BUILD_LOCK)
	@$(BIN)/reportdb --version
	@touch $@

# Refresh the lock on purpose (see the README, "Upgrading the lock"): `make lock` after
# pyproject.toml's dependencies changed (keeps every pin it can), `make upgrade` to take
# the newest releases within pyproject.toml's ranges. Then: make test, make bench,
# make bench-scans, and compare their figures with bench/RESULTS.md before committing.
lock: $(TOOLS)
	$(UV) pip compile --quiet --universal --generate-hashes $(UPGRADE) requirements/build.in -o $(BUILD_LOCK)
	$(UV) pip compile --quiet --universal --generate-hashes $(UPGRADE) pyproject.toml --extra dev \
	  -c $(BUILD_LOCK) -o $(LOCK)

upgrade:
	$(MAKE) lock UPGRADE=--upgrade

$(TOOLS): requirements/tools.lock
	rm -rf $(TOOLS_VENV)
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/tools.lock
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
	  --forms fixtures/forms --office fixtures/office

bench: setup
	$(BIN)/python -m bench.run

# the scanned path against ground truth, the raw tesseract floor and img2table (own venv)
bench-scans: setup bench-peer
	$(BIN)/python -m bench.scans --docs 3 --peer

bench-peer:
	@test -x .venv-peer/bin/python || ($(PYTHON) -m venv .venv-peer && \
	  .venv-peer/bin/pip install --quiet img2table==2.0.0 pytesseract==0.3.13)

clean:
	rm -rf $(VENV) $(TOOLS_VENV) $(DEMO_DB) .pytest_cache
