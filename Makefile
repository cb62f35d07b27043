# blueking.cmdb developer entry points. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
# ansible-test and ansible-playbook need the collection under a real path of this shape.
COLLECTIONS_ROOT ?= $(CURDIR)/build
STAGE := $(COLLECTIONS_ROOT)/ansible_collections/blueking/cmdb
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv stage pytest units integration simulator sanity lint package demo bench test clean

help:
	@echo "make demo         start the CMDB simulator with sample data and run the example decommission playbook"
	@echo "make test         everything CI runs: sanity, lint, package, then all pytest suites"
	@echo "make sanity       ansible-test sanity on ansible-core 2.19/Python 3.11 and 2.21/Python 3.13"
	@echo "make lint         ansible-lint (production profile), changelog and docs linters"
	@echo "make package      build the tarball, install it offline, run the demo from the installed copy"
	@echo "make pytest       unit, simulator and integration tests (one pytest run)"
	@echo "make units | simulator | integration    one of those suites"
	@echo "make bench        benchmarks (pytest-benchmark)"
	@echo "make clean        remove build output"
	@echo "COLLECTIONS_ROOT=DIR stages the collection under DIR instead of ./build"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r tests/requirements.txt
	touch $@

stage: venv
	@$(BIN)/python tools/stage_collection.py $(STAGE) >/dev/null

# Units, simulator and integration tests in one pytest run, from the staged collection.
pytest: stage
	cd $(STAGE) && PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -c tests/pytest.ini tests/unit tests/simulator tests/integration

units: stage
	cd $(STAGE) && PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -c tests/pytest.ini tests/unit

simulator: stage
	cd $(STAGE) && PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -c tests/pytest.ini tests/simulator

integration: stage
	cd $(STAGE) && PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -c tests/pytest.ini tests/integration

sanity: stage
	PATH="$(BIN):$$PATH" bash tools/sanity.sh $(STAGE)

lint: stage
	PATH="$(BIN):$$PATH" bash tools/lint.sh $(STAGE)

package: stage
	PATH="$(BIN):$$PATH" bash tools/package_check.sh $(STAGE)

demo: stage
	PATH="$(BIN):$$PATH" bash tools/demo.sh $(STAGE)

bench: stage
	cd $(STAGE) && PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -c tests/pytest.ini tests/bench --benchmark-only

test: sanity lint package pytest

clean:
	rm -rf build tests/output *.tar.gz
