# One entry point for people and CI. `make demo` runs the embedded default; `make test` runs
# every check CI runs. Both create the virtualenv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lock test-latest demo test lint typecheck pytest services clean validate-deploy generate-deploy bench bench-quick chaos observe

# Every package `make demo` and `make test` install is pinned, with its hashes, in
# requirements/dev.lock (runtime + dev + the build backend); the image installs
# requirements/runtime.lock. `make lock` re-resolves both from pyproject.toml (upgrades).
LOCK := requirements/dev.lock
UV_VERSION := 0.13.8

$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/akeneo-sync demo

# ruff's linter and its formatter (check only: `ruff format src tests bench scripts` rewrites).
lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

services:
	bash scripts/ensure-services.sh

# Coverage of the product code the test process runs (worker and web subprocesses are not
# traced; the emulator is left out, pyproject.toml): a report to read, not a gate.
pytest: $(STAMP) services
	$(BIN)/coverage run -m pytest -q
	$(BIN)/coverage report

# deploy/, grafana/ and the Dockerfile, checked with kubectl kustomize, kubernetes-validate,
# the @kubernetes-models CRD schemas, promtool, tsc + @grafana/schema, yamllint and hadolint.
validate-deploy: $(STAMP)
	bash scripts/validate-deploy.sh

# Regenerate the alert rules and dashboards from scripts/deploy-check/{alerts,dashboards}.py.
generate-deploy: $(STAMP)
	$(BIN)/python scripts/deploy-check/generate.py

# A real Prometheus scrapes web + worker + scheduler during a sync; every dashboard query and alert
# expression is evaluated against it; graphs saved under docs/observability/ (docs/observability.md).
observe: $(STAMP)
	bash scripts/observe.sh

test: lint typecheck validate-deploy pytest

# Benchmarks (bench/README.md): each script prints its figures and the machine; BENCH_QUICK=1
# (or `make bench-quick`) runs the small sizes, under 2 minutes in all.
BENCH_SCRIPTS := full_sync refresh cpu_per_product memory incremental events fleet models_sync mapping_validation

bench: $(STAMP) services
	$(BIN)/ruff check bench
	@for script in $(BENCH_SCRIPTS); do $(BIN)/python bench/$$script.py || exit 1; done

bench-quick:
	BENCH_QUICK=1 $(MAKE) bench

# The fault-injection suite at full size (20 SIGKILLs on 50,000 products, a 30 s target outage,
# 10,000 webhook bodies...); `make pytest` runs the same tests with small counts. Figures: -s.
chaos: $(STAMP) services
	CHAOS_FULL=1 $(BIN)/pytest tests/chaos -s -p no:cacheprovider

# Re-resolve the locks to the newest versions pyproject.toml allows (a bump is a commit that passes CI).
# The dev lock is resolved first; the image's runtime lock is held to the same versions.
LOCK_VENV := .venv-lock
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock"
lock:
	[ -x $(LOCK_VENV)/bin/uv ] || { $(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet uv==$(UV_VERSION); }
	$(LOCK_VENV)/bin/uv pip compile $(LOCK_FLAGS) --upgrade --extra dev pyproject.toml requirements/tools.in -o requirements/dev.lock
	$(LOCK_VENV)/bin/uv pip compile $(LOCK_FLAGS) -c requirements/dev.lock pyproject.toml requirements/tools.in -o requirements/runtime.lock

# The suite against the newest releases of every dependency, ignoring the lock: drift shows here
# before a `make lock` (or a fresh install as a library) meets it. A separate virtualenv.
LATEST_VENV := .venv-latest
test-latest: services
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	$(LATEST_VENV)/bin/python -m pip list --format=freeze | grep -iE '^(dramatiq|redis|httpx|structlog|pydantic-settings|prometheus.client|fakeredis|fastapi)=='
	$(LATEST_VENV)/bin/mypy --strict src
	$(LATEST_VENV)/bin/pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) $(LATEST_VENV) $(LOCK_VENV) .mypy_cache .pytest_cache .ruff_cache
