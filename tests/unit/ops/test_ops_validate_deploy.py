"""scripts/validate-deploy.sh passes on the committed artifacts and fails on broken copies.

The test copies deploy/, grafana/ and the Dockerfile to a temporary tree, breaks several files,
each in a way a different check must catch, and runs the script once on that tree (`--root`):
every check that must fail is named, and the checks whose inputs are intact still pass.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ops_support import ROOT

SCRIPT = ROOT / "scripts/validate-deploy.sh"
# "  ok    NAME   3s" or "  FAIL  NAME"; a failing check's own output follows, indented further.
_SUMMARY = re.compile(r"^  (?P<status>ok|FAIL)  +(?P<name>.+?)(?: +\d+s)?$", re.MULTILINE)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the artifacts validate-deploy checks."""
    for name in ("deploy", "grafana"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    return tmp_path


def _validate(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _status(output: str) -> dict[str, str]:
    """Check name -> "ok" or "FAIL", from the script's summary lines."""
    return {m["name"]: m["status"] for m in _SUMMARY.finditer(output)}


def test_each_kind_of_broken_artifact_fails_its_check(tree: Path) -> None:
    # Manifests: a wrong type and a misspelt field (schemas), a CRD missing a required field,
    # an overlay listing a missing file, duplicate keys in YAML that kustomize never reads.
    _replace(tree / "deploy/base/worker.yaml", "replicas: 2", 'replicas: "two"')
    _replace(tree / "deploy/base/web.yaml", "resources:", "resoures:")
    _replace(tree / "deploy/overlays/prod/scaledobject.yaml", "    name: akeneo-sync-worker\n", "")
    _replace(tree / "deploy/overlays/dev/kustomization.yaml", "  - redis.yaml", "  - missing.yaml")
    _replace(tree / "grafana/provisioning/dashboards.yaml", "    type: file\n", "    type: file\n    type: file\n")
    # Rules: a hand-edited threshold drifts from its source and breaks its promtool unit test.
    _replace(tree / "deploy/base/prometheus-rules.yaml", "* 60 > 6", "* 60 > 60")
    # Dashboards: a string where the schema wants a number; a query that does not parse.
    _replace(tree / "grafana/dashboards/akeneo-sync-overview.json", '"w": 12', '"w": "12"')
    _replace(tree / "grafana/dashboards/akeneo-sync-tenant.json", "(rate(akeneo_sync_products_total", "(rate(")
    _replace(tree / "Dockerfile", "FROM ${PYTHON_IMAGE}\n", "FROM python\n")

    result = _validate(tree)

    assert result.returncode == 1, result.stdout + result.stderr
    status = _status(result.stdout)
    failing = {
        "generated files match their source",
        "yamllint -s deploy grafana",
        "kustomize dev",
        "kubernetes-validate --strict (k8s 1.30.0)",
        "CRD schemas (@kubernetes-models)",
        "promtool test rules",
        "dashboards satisfy @grafana/schema (tsc)",
        "dashboard queries parse (promtool)",
        "hadolint Dockerfile",
    }
    assert {name for name, s in status.items() if s == "FAIL"} == failing, result.stdout
    for intact in ("kustomize base", "kustomize prod", "promtool check rules", "dashboard queries as recording rules"):
        assert status[intact] == "ok", (intact, result.stdout)
    assert "'two' is not of type 'integer'" in result.stdout
    assert "resoures" in result.stdout
    assert "scaleTargetRef must have required property name" in result.stdout
    assert "AkeneoSyncRateLimited" in result.stdout
    assert "akeneo-sync-overview.json(" in result.stdout  # tsc errors point into the dashboard file
