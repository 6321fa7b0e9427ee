# One entry point for people and CI. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LAYER := build/layer/python
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

LAYER_PLATFORMS := --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 --platform manylinux_2_34_aarch64
SHARED_SOURCES := $(shell find layers/shared -name '*.py') $(shell find functions -name '*.py')

WEB_SOURCES := $(shell find web -type f)

.PHONY: setup layer web synth demo local test test-fast test-tools bench load faults cost lint format deploy clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Lambda's Python, to compile the layer's bytecode ahead: Lambda mounts the layer read-only, so a
# module without bytecode is compiled at every cold start (about 0.8 s for the layer's libraries,
# benchmarks/layer_import.py). Found on the PATH or through pyenv; without it the layer ships as
# source, and the build says so.
LAMBDA_PYTHON ?= $(shell command -v python3.13 >/dev/null 2>&1 && PYENV_VERSION=3.13 python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null)

# The shared layer: arm64 wheels of the runtime dependencies, the shared package, the API document,
# and their bytecode for Lambda's Python ("unchecked-hash": used as it is, without comparing file
# times with the sources, which the asset's zip need not keep).
layer: $(LAYER)/.deps $(VENV)/.installed
	rm -rf $(LAYER)/secondopinion
	cp -r layers/shared/python/secondopinion $(LAYER)/secondopinion
	find $(LAYER)/secondopinion -name '__pycache__' -prune -exec rm -rf {} +
	$(PY) -m infra.openapi $(LAYER)/secondopinion/openapi.json
ifneq ($(LAMBDA_PYTHON),)
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash $(LAYER) >/dev/null
else
	@echo "warning: no python3.13 found: the layer ships without bytecode (Lambda compiles it at every cold start)"
endif

$(LAYER)/.deps: layers/requirements.txt $(VENV)/.installed
	rm -rf $(LAYER) && mkdir -p $(LAYER)
	$(PY) -m pip install --quiet --no-deps --no-compile --only-binary=:all: $(LAYER_PLATFORMS) \
		--implementation cp --python-version 3.13 --target $(LAYER) -r layers/requirements.txt
	# Test data and scripts have no place in Lambda.
	rm -rf $(LAYER)/pydicom/data/test_files $(LAYER)/bin $(LAYER)/share
	touch $@

# The web pages: esbuild bundles each page's script with its npm libraries (Uppy, dwv).
web: build/web/index.html

build/web/index.html: $(WEB_SOURCES) node_modules/.installed
	node web/build.mjs

synth: layer web
	rm -rf cdk.out  # each synth adds assets under new hashes; old ones would pile up
	CDK_OUTDIR=cdk.out $(PY) -m infra.app $(if $(ENV_NAME),-c env=$(ENV_NAME))
	$(VENV)/bin/cfn-lint cdk.out/*.template.json --ignore-checks W3005

demo: setup synth
	$(VENV)/bin/secondopinion demo

local: setup synth
	$(VENV)/bin/secondopinion local

test: setup synth
	$(VENV)/bin/pytest

# Reference DICOM tools for the corpus tests (dcmtk's dcmdump, dicom3tools' sample images) and
# Debian's Chromium for the browser tests;
# without them those tests skip and say how to install them.
test-tools:
	apt-get update -qq && apt-get install -y -qq --no-install-recommends dcmtk dicom3tools chromium >/dev/null

bench: setup synth
	$(PY) benchmarks/validate_bench.py
	$(PY) benchmarks/layer_import.py

# The proof on the local stack (README "Proving it"): ARGS='--cases 5 --files 10' for a quick look.
load: setup synth
	$(PY) benchmarks/load.py $(ARGS)

faults: setup synth
	$(PY) benchmarks/faults.py $(ARGS)

cost: setup synth
	$(VENV)/bin/secondopinion cost $(ARGS)

test-fast: setup
	$(VENV)/bin/pytest tests/unit

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy infra functions layers/shared/python local cli

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The CDK CLI runs cdk.json's app command, so -c values reach the app: make deploy ARGS='-c ...';
# ENV_NAME=name chooses one of the environments in cdk.json (make deploy ENV_NAME=prod).
deploy: setup
	npx cdk deploy --require-approval broadening $(if $(ENV_NAME),-c env=$(ENV_NAME)) $(ARGS)

clean:
	rm -rf build cdk.out out .pytest_cache .mypy_cache .ruff_cache
