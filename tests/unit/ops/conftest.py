"""Fixtures for the ops tests: the committed deploy/, grafana/ and docs artifacts, and the metric
names a query may use (our registry as exposed, dramatiq's middleware metrics, and `up`)."""

from __future__ import annotations

from typing import Any

import pytest
from ops_support import (
    DRAMATIQ_LABELS,
    DRAMATIQ_METRICS,
    ROOT,
    TARGET_LABELS,
    exposed_labels,
    exposed_names,
    load_alert_rules,
    load_dashboards,
    load_yaml_docs,
)

from akeneo_sync.metrics import ALL_METRICS
from akeneo_sync.state.catalogs import CatalogStatus
from akeneo_sync.worker.fleet import Backlog, CatalogHealth, FleetCollector, FleetSnapshot


def _fleet_series() -> dict[str, frozenset[str]]:
    """Series name -> labels of what the scheduler leader's fleet collector exposes."""
    collector = FleetCollector()
    catalog = CatalogHealth("t", "c", True, CatalogStatus.IDLE, 1.0, 1.0)
    collector.update(leader=True, snapshot=FleetSnapshot(0.0, Backlog(0, 0, 0), [catalog], {"t": (True, 0)}))
    return {s.name: frozenset(s.labels) for family in collector.collect() for s in family.samples}


@pytest.fixture(scope="session")
def known_metrics() -> frozenset[str]:
    """Every metric name a dashboard or alert may select."""
    ours = set().union(*(exposed_names(m) for m in ALL_METRICS))
    return frozenset(ours | set(_fleet_series()) | DRAMATIQ_METRICS | {"up"})


@pytest.fixture(scope="session")
def known_labels() -> dict[str, frozenset[str]]:
    """Metric name -> the labels its series can carry (its own, `le` on buckets, target labels)."""
    out = {name: labels for m in ALL_METRICS for name, labels in exposed_labels(m).items()}
    out |= {name: DRAMATIQ_LABELS | ({"le"} if name.endswith("_bucket") else set()) for name in DRAMATIQ_METRICS}
    out |= _fleet_series()
    out["up"] = frozenset()
    return {name: labels | TARGET_LABELS for name, labels in out.items()}


@pytest.fixture(scope="session")
def alert_rules() -> list[dict[str, Any]]:
    """Every alerting rule of the committed PrometheusRule."""
    return load_alert_rules()


@pytest.fixture(scope="session")
def dashboards() -> dict[str, dict[str, Any]]:
    """The committed dashboards by file name."""
    return load_dashboards()


@pytest.fixture(scope="session")
def manifests() -> dict[str, list[dict[str, Any]]]:
    """Every YAML document under deploy/ (except the promtool tests), by path relative to deploy/."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((ROOT / "deploy").rglob("*.yaml")):
        if "tests" not in path.relative_to(ROOT / "deploy").parts:
            out[str(path.relative_to(ROOT / "deploy"))] = load_yaml_docs(path)
    return out


@pytest.fixture(scope="session")
def operating_doc() -> str:
    """docs/operating.md, the runbook the alerts link to."""
    return (ROOT / "docs/operating.md").read_text(encoding="utf-8")
