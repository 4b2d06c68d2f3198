# Two commands set up everything on a fresh machine with only Python:
#   make templates   build every template into output/
#   make test        freshness check, security scan and the tests

# A value given on the command line, or a deploy variable from the environment, is taken as the
# text it is: make never expands it (STACK='$(shell ...)' stays those characters; a command-line
# value would otherwise be expanded even when make hands it to a recipe's environment). Give values
# as NAME=value: make expands NAME:=value itself, before it reads this file.
DEPLOY_VARIABLES := STACK TEMPLATE PARAMS ARTIFACTS_BUCKET REGION PROFILE CAPABILITIES TIMEOUT AWS PYTHON
PATCH_NOW_VARIABLES := TARGETS REGIONS CONFIRM ALL OPERATION REBOOT MAX_CONCURRENCY MAX_ERRORS LOCATION_CONCURRENCY \
	LOCATION_ERRORS
TEARDOWN_VARIABLES := ACCOUNT DELETE_BUCKETS
$(foreach v,$(.VARIABLES),$(if $(or $(filter command,$(firstword $(origin $(v)))),$(and $(filter environment,$(origin $(v))),$(filter $(DEPLOY_VARIABLES) $(PATCH_NOW_VARIABLES) $(TEARDOWN_VARIABLES),$(v)))),$(eval override $(v) := $$(value $(v)))))

PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
BIN := $(VENV)/bin
# checkov pins old boto3/botocore, so it lives in a virtual environment of its own.
CHECKOV_VERSION := 3.3.30
STAMP_DEV := $(VENV)/.installed-dev
STAMP := $(VENV)/.installed

.PHONY: help templates test check lint scan style typecheck pytest clean package deploy describe status wait retry \
	drift patch-now teardown

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

# mypy at the level pyproject.toml sets; its cache (.mypy_cache, git-ignored) keeps a second run quick.
typecheck: $(STAMP_DEV) ## mypy over the package, the benchmarks and build.py
	$(BIN)/mypy patch_templates benchmarks build.py

test: check scan style typecheck pytest ## freshness check, security scan, Python checks, type check, tests

clean: ## remove the virtual environments and caches (output/ is committed and kept)
	rm -rf $(VENV) $(CHECKOV_VENV) *.egg-info .pytest_cache .cache .mypy_cache
	find . -name __pycache__ -prune -exec rm -rf {} +


# Deploy with python3 and the AWS CLI alone (no .venv, no build); make prints each command before it
# runs it, and make -n prints them all without running one. For example:
#   make deploy STACK=patch-collector TEMPLATE=output/resourcedatasync_s3bucket_bucketpolicy.yml PARAMS=params/collector.json
#   make deploy STACK=patch-stacksets TEMPLATE=output/patch_management_stackset.yml PARAMS=params/stacksets.json \
#        ARTIFACTS_BUCKET=my-artifacts-bucket
# PARAMS defaults to the template's example file in output/parameters/, which is refused until its
# placeholders are replaced (copy it and edit the copy); PARAMS= (empty) deploys with the template's
# defaults. ARTIFACTS_BUCKET packages first, uploads the member files the template lists, and lets
# deploy send templates over 51,200 bytes through that bucket. A template that creates StackSets is
# deployed with --disable-rollback (one failed StackSet leaves the others in place) and waited for
# to the end, beyond the AWS CLI's 60 minutes (TIMEOUT=<minutes> caps the wait).
STACK ?=
TEMPLATE ?=
ARTIFACTS_BUCKET ?=
REGION ?=
PROFILE ?=
CAPABILITIES ?= CAPABILITY_NAMED_IAM
TIMEOUT ?=
AWS ?= aws

# 'text' for the shell, whatever the text holds.
quote = '$(subst ','"'"',$(1))'
# AWS and PYTHON name the programs the recipes run: one word of letters, digits and _./+- only.
$(foreach v,AWS PYTHON,$(if $(shell case $(call quote,$($(v))) in (*[!A-Za-z0-9_./+-]*|'') echo bad;; esac),\
	$(error $(v) must name a program (letters, digits and _./+- only): make refused, nothing was run)))
define newline


endef
AWS_OPTS = $(if $(REGION), --region $(call quote,$(REGION)))$(if $(PROFILE), --profile $(call quote,$(PROFILE)))
# Under make -n the StackSet tool still runs, with --dry-run: it prints the AWS CLI commands it runs.
DRY_RUN := $(if $(findstring n,$(firstword -$(MAKEFLAGS))),--dry-run)
# -S: no site-packages; the deploy tools need the standard library alone (and start faster).
DEPLOY_PYTHON = $(PYTHON) -S
STACKSET_TOOL = $(DEPLOY_PYTHON) -m patch_templates.deploy.stacksets --aws=$(call quote,$(AWS)) --stack=$(call quote,$(STACK))$(AWS_OPTS)$(if $(TIMEOUT), --timeout=$(TIMEOUT))
STACKSETS = $(if $(DRY_RUN),+)$(STACKSET_TOOL)

# Before anything runs (also under make -n), with the standard library alone: every deploy
# variable holds what it may (no line break, no quote, no $, no ;), TEMPLATE is output/<a built
# template>, and PARAMS a parameter file that CloudFormation and the template's Rules accept, with no
# example placeholder left (patch_templates/deploy/preflight.py).
DEPLOY_GOALS := $(filter deploy package describe status wait retry drift,$(MAKECMDGOALS))
ifneq ($(DEPLOY_GOALS),)
$(foreach v,$(DEPLOY_VARIABLES),$(if $(findstring $(newline),$(value $(v))),$(error $(v) holds a line break: make $(DEPLOY_GOALS) refused, nothing was run)))
PREFLIGHT = $(DEPLOY_PYTHON) -m patch_templates.deploy.preflight
OVERRIDES := $(shell $(PREFLIGHT) check $(DEPLOY_GOALS) $(foreach v,STACK TEMPLATE ARTIFACTS_BUCKET REGION PROFILE \
	CAPABILITIES TIMEOUT,--$(v)=$(call quote,$($(v)))) $(if $(filter undefined,$(origin PARAMS)),,--PARAMS=$(call quote,$(PARAMS))))
ifneq ($(.SHELLSTATUS),0)
$(error make $(DEPLOY_GOALS) refused, nothing was run (the reason is above))
endif
ifneq ($(filter deploy package,$(DEPLOY_GOALS)),)
# template:<name>, stacksets when it creates StackSets, upload:<file>:<S3 key> for each member file.
PLAN := $(shell $(PREFLIGHT) plan --TEMPLATE=$(call quote,$(TEMPLATE)))
ifneq ($(.SHELLSTATUS),0)
$(error make $(DEPLOY_GOALS) refused, nothing was run (the reason is above))
endif
endif
endif
TEMPLATE_FILE = output/$(patsubst template:%,%,$(filter template:%,$(PLAN)))
PACKAGED = build/$(basename $(notdir $(TEMPLATE_FILE))).packaged.yml
# upload:<file>:<key> -> aws s3 cp output/<file> s3://<bucket>/<key>, one command each
upload_part = $(word $(1),$(subst :, ,$(2)))
UPLOADS = $(foreach u,$(filter upload:%,$(PLAN)),$(AWS) s3 cp$(AWS_OPTS) $(call quote,output/$(call upload_part,2,$(u))) $(call quote,s3://$(ARTIFACTS_BUCKET)/$(call upload_part,3,$(u)))$(newline))
DEPLOYED = $(if $(ARTIFACTS_BUCKET),$(call quote,$(PACKAGED)) --s3-bucket $(call quote,$(ARTIFACTS_BUCKET)),$(call quote,$(TEMPLATE_FILE)))
# A template that creates StackSets: no rollback of every StackSet when one fails, then the wait.
AFTER_DEPLOY = $(if $(filter stacksets,$(PLAN)), --disable-rollback; $(STACKSET_TOOL) wait --after-deploy=$$?)

package: ## upload TEMPLATE's local code to ARTIFACTS_BUCKET (aws cloudformation package)
	@mkdir -p build
	$(AWS) cloudformation package$(AWS_OPTS) --template-file $(call quote,$(TEMPLATE_FILE)) --s3-bucket $(call quote,$(ARTIFACTS_BUCKET)) --output-template-file $(call quote,$(PACKAGED))

deploy: $(if $(ARTIFACTS_BUCKET),package) ## create or update STACK from TEMPLATE with PARAMS (aws cloudformation deploy)
	$(UPLOADS)
	$(AWS) cloudformation deploy$(AWS_OPTS) --stack-name $(call quote,$(STACK)) --template-file $(DEPLOYED) --capabilities $(CAPABILITIES) --no-fail-on-empty-changeset$(if $(OVERRIDES), --parameter-overrides $(OVERRIDES))$(AFTER_DEPLOY)

describe: ## status and outputs of STACK (aws cloudformation describe-stacks)
	$(AWS) cloudformation describe-stacks$(AWS_OPTS) --stack-name $(call quote,$(STACK)) --query 'Stacks[0].[StackStatus,Outputs]' --output table

status: ## per StackSet of STACK: last operation, instances by status, first failure reasons
	$(STACKSETS) status $(DRY_RUN)

wait: ## wait until STACK and its StackSet operations end (no cap but TIMEOUT=<minutes>)
	$(STACKSETS) wait $(DRY_RUN)

retry: ## retry the failed stack instances of every StackSet of STACK
	$(STACKSETS) retry $(DRY_RUN)

drift: ## start drift detection on every StackSet of STACK
	$(STACKSETS) drift $(DRY_RUN)

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
ifneq ($(filter patch-now,$(MAKECMDGOALS)),)
PATCH_NOW := $(shell $(DEPLOY_PYTHON) -m patch_templates.deploy.patch_now check $(foreach v,$(PATCH_NOW_VARIABLES) REGION PROFILE,--$(v)=$(call quote,$($(v)))) $(DRY_RUN))
ifneq ($(.SHELLSTATUS),0)
$(error make patch-now refused, nothing was run (the reason is above))
endif
endif

patch-now: ## scan (or install) patches now in TARGETS x REGIONS: one Automation run
	$(DEPLOY_PYTHON) -m patch_templates.deploy.patch_now share --aws=$(call quote,$(AWS)) -- $(PATCH_NOW)
	$(AWS) ssm start-automation-execution $(PATCH_NOW)

# Teardown (README "Teardown"): the stacks of ACCOUNT (management, then collector), under the names the
# deploy commands give them (output/teardown.json, from the records), last deployed first, each delete
# waited for (TIMEOUT=<minutes> caps each wait). The retained buckets are kept and named;
# DELETE_BUCKETS=<name>,... empties them (1,000 keys a request) and deletes them. It ends with what
# only a person can do. Checked before anything runs, also under make -n (patch_templates/deploy/teardown.py).
#   make teardown ACCOUNT=management PROFILE=management
#   make teardown ACCOUNT=collector PROFILE=collector
ACCOUNT ?=
DELETE_BUCKETS ?=
ifneq ($(filter teardown,$(MAKECMDGOALS)),)
$(foreach v,$(DEPLOY_VARIABLES) $(TEARDOWN_VARIABLES),$(if $(findstring $(newline),$(value $(v))),$(error $(v) holds a line break: make teardown refused, nothing was run)))
$(shell $(DEPLOY_PYTHON) -m patch_templates.deploy.teardown check $(foreach v,$(TEARDOWN_VARIABLES) REGION PROFILE TIMEOUT,--$(v)=$(call quote,$($(v)))) >&2)
ifneq ($(.SHELLSTATUS),0)
$(error make teardown refused, nothing was run (the reason is above))
endif
endif

teardown: ## delete ACCOUNT's stacks in reverse order, each waited for; says what it keeps
	$(if $(DRY_RUN),+)$(DEPLOY_PYTHON) -m patch_templates.deploy.teardown run --aws=$(call quote,$(AWS)) --account=$(call quote,$(ACCOUNT))$(AWS_OPTS)$(if $(TIMEOUT), --timeout=$(TIMEOUT))$(if $(DELETE_BUCKETS), --delete-buckets=$(call quote,$(DELETE_BUCKETS))) $(DRY_RUN)
