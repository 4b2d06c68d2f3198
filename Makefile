# Two commands set up everything on a fresh machine with only Python:
#   make templates   build every template into output/
#   make test        freshness check, security scan and the tests
PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
BIN := $(VENV)/bin
# checkov pins old boto3/botocore, so it lives in a virtual environment of its own.
CHECKOV_VERSION := 3.3.30
STAMP_DEV := $(VENV)/.installed-dev
STAMP := $(VENV)/.installed

.PHONY: help templates test check lint scan pyflakes pytest clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): $(STAMP) setup.cfg
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)

templates: $(STAMP) ## build every template into output/ (creates .venv when missing)
	$(BIN)/python build.py

check: $(STAMP) ## fail with a diff when output/ is stale
	$(BIN)/python build.py --check

lint: $(STAMP) ## cfn-lint, informational rules included, over output/
	$(BIN)/cfn-lint --include-checks I --non-zero-exit-code informational -- $(wildcard output/*.yml output/*.yaml)

scan: $(CHECKOV_VENV)/bin/checkov ## checkov security scan of output/, offline
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -d output

pytest: $(STAMP_DEV) ## the tests alone
	$(BIN)/python -m pytest

pyflakes: $(STAMP_DEV) ## unused imports and undefined names in the Python code (ruff)
	$(BIN)/ruff check patch_templates tests build.py

test: check scan pyflakes pytest ## freshness check, security scan, Python checks, tests

clean: ## remove the virtual environments and caches (output/ is committed and kept)
	rm -rf $(VENV) $(CHECKOV_VENV) *.egg-info .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
