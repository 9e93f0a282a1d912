# One entry point for people and CI. `make demo` runs the embedded default; `make test` runs
# every check CI runs. Both create the virtualenv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest services clean validate-deploy generate-deploy bench bench-quick chaos observe

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/akeneo-sync demo

lint: $(STAMP)
	$(BIN)/ruff check src tests

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

services:
	bash scripts/ensure-services.sh

pytest: $(STAMP) services
	$(BIN)/pytest -q

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
BENCH_SCRIPTS := full_sync cpu_per_product memory incremental events fleet

bench: $(STAMP) services
	$(BIN)/ruff check bench
	@for script in $(BENCH_SCRIPTS); do $(BIN)/python bench/$$script.py || exit 1; done

bench-quick:
	BENCH_QUICK=1 $(MAKE) bench

# The fault-injection suite at full size (20 SIGKILLs on 50,000 products, a 30 s target outage,
# 10,000 webhook bodies...); `make pytest` runs the same tests with small counts. Figures: -s.
chaos: $(STAMP) services
	CHAOS_FULL=1 $(BIN)/pytest tests/chaos -s -p no:cacheprovider

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
