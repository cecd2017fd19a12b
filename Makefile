# Quick start: `make` sets up .venv and runs the main job (oxt check);
# `make test` runs the test suite. Both work offline once the Python
# packages are installed (the first run needs PyPI).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Every bitbake layer of this repository (meta-openxt, meta-openxt-bsp,
# meta-openxt-haskell).
LAYERS := $(patsubst %/conf/layer.conf,%,$(wildcard */conf/layer.conf))

# yocto-check-layer through the bitbake harness (../shared/harness, as root):
# its kas work dir holds the pinned upstream layers (checked out by a harness
# run in kas mode with -w $(BBH_WORK)); the check runs as its build user.
HARNESS ?= $(abspath ../shared/harness)
BBH_WORK ?= /tmp/bbh/$(notdir $(CURDIR))
BBH_USER ?= bbh
BBH_KAS ?= /tmp/bbh/kas-venv/bin/kas
# Only these layers (directory names), e.g. YCL_LAYERS="meta-openxt-bsp".
YCL_LAYERS ?=

# Regenerate the parse masks (README "Parse masks"): kas parses everything
# once without them (15-25 minutes on 2 cores), collect.py asks bitbake for
# the task data of these targets, oxt parsemask writes
# meta-openxt/conf/multiconfig/parsemask/. Run it as the user that builds
# (bitbake refuses root), then commit that directory.
KAS ?= $(BIN)/kas
PARSEMASK_KAS ?= kas/openxt.yml:kas/testimage.yml:kas/nomask.yml
PARSEMASK_TARGETS := mc:dom0:openxt-dom0-image mc:ndvm:openxt-ndvm-image mc:uivm:openxt-uivm-image \
	mc:syncvm:openxt-syncvm-image mc:stubdomain:openxt-stubdomain-image \
	mc:dom0:openxt-dom0-image:do_testimage mc:syncvm:openxt-syncvm-image:do_populate_sdk
# where kas builds: $KAS_BUILD_DIR, else $KAS_WORK_DIR/build, else ./build
PARSEMASK_BUILD = $(or $(KAS_BUILD_DIR),$(or $(KAS_WORK_DIR),$(CURDIR))/build)

.PHONY: all check test lint clean yocto-check-layer parse-masks

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

# Each layer of this repository through oe-core's yocto-check-layer (see
# README, "Yocto Project Compatible layers"); 15-40 minutes per layer.
yocto-check-layer:
	@test -d $(BBH_WORK)/kas-openxt/openembedded-core || { \
	    echo "no harness checkout in $(BBH_WORK)/kas-openxt: run once" \
	         "OE_MIRRORS=... $(HARNESS)/bbcheck.sh -w $(BBH_WORK) -p $(CURDIR)/kas/openxt.yml" >&2; exit 2; }
	runuser -u $(BBH_USER) -- env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=$$(getent passwd $(BBH_USER) | cut -d: -f6) \
	    KAS_WORK_DIR=$(BBH_WORK)/kas-openxt KAS_BUILD_DIR=$(BBH_WORK)/kas-openxt/build \
	    GITCONFIG_FILE=$(BBH_WORK)/kas-gitconfig KAS_CLONE_DEPTH=1 LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 \
	    $(BBH_KAS) shell $(CURDIR)/kas/openxt.yml -c \
	    "$(CURDIR)/.github/scripts/yocto_check_layers.py --repo $(CURDIR) $(foreach l,$(YCL_LAYERS),--layer $(l))"

clean:
	rm -rf $(VENV) .pytest_cache

parse-masks: $(BIN)/.installed
	$(KAS) shell $(PARSEMASK_KAS) -c "python3 $(CURDIR)/scripts/oxt/parsemask/collect.py $(PARSEMASK_TARGETS)"
	$(BIN)/oxt parsemask $(PARSEMASK_BUILD)
