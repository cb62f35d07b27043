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
# The newest ansible-core runs on Python 3.12+; pyenv's 3.13 is used when present.
PY313 ?= $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3)))
VENV_NEW ?= .venv-2.21-pytest

.PHONY: help venv stage pytest pytest-2.21 units integration simulator sanity lint package demo bench test clean

help:
	@echo "make demo         start the CMDB simulator with sample data and run the example decommission playbook"
	@echo "make test         everything CI runs: sanity, lint, package, then the pytest suites on both legs"
	@echo "make sanity       ansible-test sanity on ansible-core 2.19/Python 3.11 and 2.21/Python 3.13"
	@echo "make lint         ansible-lint (production profile), changelog and docs linters"
	@echo "make package      build the tarball, install it offline, run the demo from the installed copy"
	@echo "make pytest       unit, simulator and integration tests (one pytest run)"
	@echo "make pytest-2.21  unit and integration tests again on ansible-core 2.21 / Python 3.13"
	@echo "make units | simulator | integration    one of those suites"
	@echo "make bench        benchmarks (pytest-benchmark)"
	@echo "make clean        remove build output"
	@echo "COLLECTIONS_ROOT=DIR stages the collection under DIR instead of ./build"
	@echo "PY313=/path/to/python3.13 for the 2.21 legs (default: the newest ~/.pyenv/versions/3.13*; none found: skipped)"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt tests/requirements.txt tests/requirements-pytest.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r tests/requirements.txt
	touch $@

$(VENV_NEW)/.installed: requirements.txt tests/requirements-pytest.txt
	$(PY313) -m venv $(VENV_NEW)
	$(VENV_NEW)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_NEW)/bin/python -m pip install --quiet 'ansible-core>=2.21,<2.22' -r requirements.txt -r tests/requirements-pytest.txt
	touch $@

stage: venv
	@$(BIN)/python tools/stage_collection.py $(STAGE) >/dev/null

# Units, simulator and integration tests in one pytest run, from the staged collection.
pytest: stage
	cd $(STAGE) && PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -c tests/pytest.ini tests/unit tests/simulator tests/integration

# The unit and integration suites again on ansible-core 2.21 / Python 3.13.
pytest-2.21: stage
ifeq ($(PY313),)
	@echo "!! SKIPPED pytest on ansible-core 2.21: no Python 3.13 under ~/.pyenv/versions (set PY313=/path/to/python3.13)"
else
	$(MAKE) --no-print-directory $(VENV_NEW)/.installed
	cd $(STAGE) && PATH="$(CURDIR)/$(VENV_NEW)/bin:$$PATH" $(CURDIR)/$(VENV_NEW)/bin/python -m pytest -c tests/pytest.ini tests/unit tests/integration
endif

units: stage
	cd $(STAGE) && PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -c tests/pytest.ini tests/unit

simulator: stage
	cd $(STAGE) && PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -c tests/pytest.ini tests/simulator

integration: stage
	cd $(STAGE) && PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -c tests/pytest.ini tests/integration

sanity: stage
	PATH="$(BIN):$$PATH" PY313="$(PY313)" bash tools/sanity.sh $(STAGE)

lint: stage
	PATH="$(BIN):$$PATH" bash tools/lint.sh $(STAGE)

package: stage
	PATH="$(BIN):$$PATH" bash tools/package_check.sh $(STAGE)

demo: stage
	PATH="$(BIN):$$PATH" bash tools/demo.sh $(STAGE)

bench: stage
	cd $(STAGE) && PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -c tests/pytest.ini tests/bench --benchmark-only

test: sanity lint package pytest pytest-2.21

clean:
	rm -rf build tests/output *.tar.gz
