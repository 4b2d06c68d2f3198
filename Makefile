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

.PHONY: help templates test check lint scan style pytest clean package deploy describe patch-now

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

SCAN_ARGS := --quiet --compact --skip-download --framework cloudformation -d output
# A scan that passed is remembered (.cache/, git-ignored) by the content of output/, the checkov
# version and its arguments: the same files are not scanned again. rm -rf .cache scans anew.
SCAN_STAMP := .cache/checkov/$(shell { echo '$(CHECKOV_VERSION) $(SCAN_ARGS)'; cat $(sort $(wildcard output/*.yml output/*.yaml)); } | sha256sum | cut -c1-40)

scan: $(SCAN_STAMP) ## checkov security scan of output/, offline (once per content of output/)

$(SCAN_STAMP): | $(CHECKOV_VENV)/bin/checkov
	$(CHECKOV_VENV)/bin/checkov $(SCAN_ARGS)
	@mkdir -p $(@D) && touch $@

# The tests on this many processes (pytest-xdist); PYTEST_WORKERS=0 runs them in one.
PYTEST_WORKERS ?= 2

pytest: $(STAMP_DEV) ## the tests alone
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

PYTHON_SOURCES := patch_templates tests benchmarks build.py

style: $(STAMP_DEV) ## Python checks: ruff (pyflakes, imports, pyupgrade, bugbear) and ruff format
	$(BIN)/ruff check $(PYTHON_SOURCES)
	$(BIN)/ruff format --check $(PYTHON_SOURCES)

test: check scan style pytest ## freshness check, security scan, Python checks, tests

clean: ## remove the virtual environments and caches (output/ is committed and kept)
	rm -rf $(VENV) $(CHECKOV_VENV) *.egg-info .pytest_cache .cache
	find . -name __pycache__ -prune -exec rm -rf {} +

# Deploy one stack with the AWS CLI; make prints each command before it runs it. For example:
#   make deploy STACK=patch-collector TEMPLATE=output/resourcedatasync_s3bucket_bucketpolicy.yml PARAMS=my-collector.json
#   make deploy STACK=patch-stacksets TEMPLATE=output/patch_management_stackset.yml PARAMS=my-stacksets.json \
#        ARTIFACTS_BUCKET=my-artifacts-bucket
# PARAMS defaults to the template's example file in output/parameters/, which is refused until its
# placeholders are replaced (copy it and edit the copy); PARAMS= (empty) deploys with the template's
# defaults. ARTIFACTS_BUCKET packages first and lets deploy upload templates over 51,200 bytes (the
# StackSet template) through that bucket. Deploying needs only python3 and the AWS CLI: no .venv.
STACK ?=
TEMPLATE ?=
PARAMS ?= $(if $(TEMPLATE),output/parameters/$(basename $(notdir $(TEMPLATE))).json)
ARTIFACTS_BUCKET ?=
REGION ?=
PROFILE ?=
CAPABILITIES ?= CAPABILITY_NAMED_IAM
AWS ?= aws
PACKAGED = build/$(basename $(notdir $(TEMPLATE))).packaged.yml
AWS_OPTS = $(if $(REGION), --region $(REGION))$(if $(PROFILE), --profile $(PROFILE))
require = $(foreach v,$(1),$(if $($(v)),,$(error $(v) is required, e.g. make $@ $(2))))

# Before anything runs (also under make -n), with the standard library alone: TEMPLATE is a built
# template, STACK a valid name, and PARAMS a list of ParameterKey/ParameterValue with known keys,
# accepted values and no example placeholder left (patch_templates/deploy/preflight.py).
ifneq ($(filter deploy package,$(MAKECMDGOALS)),)
OVERRIDES := $(shell $(PYTHON) -m patch_templates.deploy.preflight $(if $(filter deploy,$(MAKECMDGOALS)),--stack '$(STACK)' '$(TEMPLATE)' $(if $(PARAMS),'$(PARAMS)'),'$(TEMPLATE)'))
ifneq ($(.SHELLSTATUS),0)
$(error make $(filter deploy package,$(MAKECMDGOALS)) refused, nothing was run (the reason is above))
endif
endif

package: ## upload TEMPLATE's local code to ARTIFACTS_BUCKET (aws cloudformation package)
	$(call require,TEMPLATE ARTIFACTS_BUCKET,TEMPLATE=output/x.yml ARTIFACTS_BUCKET=my-bucket)
	@mkdir -p build
	$(AWS) cloudformation package$(AWS_OPTS) --template-file $(TEMPLATE) --s3-bucket $(ARTIFACTS_BUCKET) --output-template-file $(PACKAGED)

deploy: $(if $(ARTIFACTS_BUCKET),package) ## create or update STACK from TEMPLATE with PARAMS (aws cloudformation deploy)
	$(AWS) cloudformation deploy$(AWS_OPTS) --stack-name $(STACK) --template-file $(if $(ARTIFACTS_BUCKET),$(PACKAGED) --s3-bucket $(ARTIFACTS_BUCKET),$(TEMPLATE)) --capabilities $(CAPABILITIES) --no-fail-on-empty-changeset$(if $(OVERRIDES), --parameter-overrides $(OVERRIDES))

describe: ## status and outputs of STACK (aws cloudformation describe-stacks)
	$(call require,STACK,STACK=my-stack)
	$(AWS) cloudformation describe-stacks$(AWS_OPTS) --stack-name $(STACK) --query 'Stacks[0].[StackStatus,Outputs]' --output table

# Patch now (docs/patch-now.md): scan, or install, patches now in TARGETS (OUs or accounts) x REGIONS, as
# ONE multi-account, multi-Region Automation run from the management account or delegated administrator
# (patch_now_administration.yml deployed in every target Region; pEnablePatchNow on in the members).
#   make patch-now TARGETS=ou-ab12-cd34ef56,111122223333 REGIONS=us-east-1,eu-west-1          # Scan
#   make patch-now TARGETS=ou-ab12-cd34ef56 REGIONS=us-east-1 OPERATION=Install CONFIRM=yes
# OPERATION Scan (default) or Install (asks, or CONFIRM=yes); REBOOT RebootIfNeeded (default) or NoReboot;
# MAX_CONCURRENCY/MAX_ERRORS per account-Region's nodes and LOCATION_CONCURRENCY/LOCATION_ERRORS per
# account-Region pairs (default 10%/5%); the root r-... only with ALL=yes; REGION= where the run starts.
# Every value is checked before anything runs, also under make -n, with the standard library alone
# (patch_templates/deploy/patch_now.py); each reaches the shell single-quoted.
PATCH_NOW_VARIABLES := TARGETS REGIONS REGION PROFILE CONFIRM ALL OPERATION REBOOT MAX_CONCURRENCY MAX_ERRORS \
	LOCATION_CONCURRENCY LOCATION_ERRORS
# A variable's value as one single-quoted shell word, never expanded by make or the shell.
shell-word = '$(subst ','\'',$(value $(1)))'
ifneq ($(filter patch-now,$(MAKECMDGOALS)),)
PATCH_NOW := $(shell $(PYTHON) -m patch_templates.deploy.patch_now check $(foreach v,$(PATCH_NOW_VARIABLES),--$(v)=$(call shell-word,$(v)))$(if $(findstring n,$(firstword -$(MAKEFLAGS))), --dry-run))
ifneq ($(.SHELLSTATUS),0)
$(error make patch-now refused, nothing was run (the reason is above))
endif
endif

patch-now: ## scan (or install) patches now in TARGETS x REGIONS: one Automation run
	$(PYTHON) -m patch_templates.deploy.patch_now share --aws=$(call shell-word,AWS) -- $(PATCH_NOW)
	$(AWS) ssm start-automation-execution $(PATCH_NOW)
