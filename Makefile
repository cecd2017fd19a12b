# Quick start: `make` sets up .venv and runs the main job (oxt check);
# `make test` runs the test suite. Both work offline once PyPI is reachable.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: all check test clean

all: check

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

check: $(BIN)/.installed
	$(BIN)/oxt check

test: $(BIN)/.installed
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache
