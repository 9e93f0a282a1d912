"""scripts/validate-deploy.sh passes on the committed artifacts and fails on broken copies.

Each case copies deploy/, grafana/ and the Dockerfile to a temporary tree, breaks several files
(each in a way a different check must catch) and runs the script on that tree (`--root`): the
checks that must fail are named, and untouched checks still pass. Two full runs keep it fast.
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
        capture_output=True, text=True, timeout=300, check=False,
    )


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _status(output: str) -> dict[str, str]:
    """Check name -> "ok" or "FAIL", from the script's summary lines."""
    return {m["name"]: m["status"] for m in _SUMMARY.finditer(output)}


def test_broken_manifests_rules_dashboards_and_dockerfile_fail_their_checks(tree: Path) -> None:
    _replace(tree / "deploy/base/worker.yaml", "replicas: 2", 'replicas: "two"')
    _replace(tree / "deploy/base/web.yaml", "resources:", "resoures:")
    _replace(tree / "deploy/overlays/prod/scaledobject.yaml", "    name: akeneo-sync-worker\n", "")
    _replace(tree / "grafana/provisioning/dashboards.yaml", "    type: file\n", "    type: file\n    type: file\n")
    _replace(tree / "deploy/base/prometheus-rules.yaml", "== 0\n", "== 0)\n")
    _replace(tree / "grafana/dashboards/akeneo-sync-overview.json", '"w": 12', '"w": "12"')
    _replace(tree / "Dockerfile", "FROM python:3.11-slim\n", "FROM python\n")

    result = _validate(tree)

    assert result.returncode == 1, result.stdout + result.stderr
    status = _status(result.stdout)
    for check in ("yamllint -s deploy grafana", "kubernetes-validate --strict (k8s 1.30.0)",
                  "CRD schemas (@kubernetes-models)", "promtool check rules",
                  "dashboards satisfy @grafana/schema (tsc)", "hadolint Dockerfile"):
        assert status.get(check) == "FAIL", (check, result.stdout)
    assert "'two' is not of type 'integer'" in result.stdout
    assert "resoures" in result.stdout
    assert "scaleTargetRef must have required property name" in result.stdout
    assert status["kustomize prod"] == "ok"


def test_an_unrendered_overlay_a_bad_query_and_a_failing_rule_test_fail(tree: Path) -> None:
    _replace(tree / "deploy/overlays/dev/kustomization.yaml", "  - redis.yaml", "  - missing.yaml")
    _replace(tree / "grafana/dashboards/akeneo-sync-tenant.json", "(rate(akeneo_sync_products_total", "(rate(")
    # Hand-editing generated output drifts from the source, and the promtool tests notice too.
    _replace(tree / "deploy/base/prometheus-rules.yaml", "* 60 > 6", "* 60 > 60")

    result = _validate(tree)

    assert result.returncode == 1, result.stdout + result.stderr
    status = _status(result.stdout)
    assert status["kustomize dev"] == "FAIL"
    assert status["generated files match their source"] == "FAIL"
    assert status["promtool test rules"] == "FAIL"
    assert status["dashboard queries parse (promtool)"] == "FAIL"
    assert "AkeneoSyncRateLimited" in result.stdout
    for check in ("kustomize prod", "promtool check rules", "hadolint Dockerfile", "yamllint -s deploy grafana",
                  "dashboards satisfy @grafana/schema (tsc)"):
        assert status[check] == "ok", (check, result.stdout)
