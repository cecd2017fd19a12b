# Quick start: `make` sets up .venv and runs the main job (oxt check);
# `make test` runs the test suite. Both work offline once the Python
# packages are installed (the first run needs PyPI).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Every bitbake layer of this repository (meta-openxt, meta-openxt-haskell, ...).
LAYERS := $(patsubst %/conf/layer.conf,%,$(wildcard */conf/layer.conf))

.PHONY: all check test lint clean

all: check

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "oxt needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

check: $(BIN)/.installed
	$(BIN)/oxt check

test: $(BIN)/.installed
	$(BIN)/pytest

# oelint-adv as tests/test_oelint.py runs it (configuration: .oelint.cfg):
# recipes in fast mode, conf/ in "all" mode (the only mode reading machine
# and distro configurations).
lint: $(BIN)/.installed
	@status=0; for layer in $(LAYERS); do \
	    $(BIN)/oelint-adv --quiet --relpaths $$layer/conf/layer.conf \
	        $$(find $$layer -name '*.bb' -o -name '*.bbappend' -o -name '*.bbclass' | sort) || status=1; \
	    $(BIN)/oelint-adv --quiet --relpaths --mode all \
	        $$(find $$layer/conf -name '*.conf' -o -name '*.inc' | sort) || status=1; \
	done; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache
