"""Every PromQL expression we ship parses and selects only metrics that exist."""

from __future__ import annotations

import re

import pytest
from ops_support import (
    dashboard_targets,
    grafana_to_promql,
    label_uses,
    load_alert_rules,
    load_dashboards,
    selected_metrics,
)

ALERTS = {r["alert"]: r["expr"] for r in load_alert_rules()}
TARGETS = dict(dashboard_targets())
_LABEL_VALUES = re.compile(r"label_values\((?P<selector>.+),\s*\w+\)$")


def test_the_registry_is_read_as_exposed_names(known_metrics: frozenset[str]) -> None:
    assert "akeneo_sync_products_total" in known_metrics
    assert "akeneo_sync_pim_request_duration_seconds_bucket" in known_metrics
    assert "akeneo_sync_queue_depth" in known_metrics
    assert "akeneo_sync_products" not in known_metrics
    assert "akeneo_sync_pim_request_duration_seconds" not in known_metrics


def test_a_misspelt_metric_is_caught(known_metrics: frozenset[str]) -> None:
    used = selected_metrics("sum(rate(akeneo_sync_product_total[5m])) / sum(up)")
    assert used - known_metrics == {"akeneo_sync_product_total"}


def test_an_unparsable_query_is_caught() -> None:
    with pytest.raises(ValueError, match="unclosed"):
        selected_metrics("sum(rate(akeneo_sync_products_total[5m])")


@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_alert_expression_parses_and_uses_known_metrics(alert: str, known_metrics: frozenset[str]) -> None:
    used = selected_metrics(ALERTS[alert])
    assert used
    assert used <= known_metrics, f"unknown metrics: {sorted(used - known_metrics)}"


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_dashboard_query_parses_and_uses_known_metrics(target: str, known_metrics: frozenset[str]) -> None:
    used = selected_metrics(grafana_to_promql(TARGETS[target]))
    assert used
    assert used <= known_metrics, f"unknown metrics: {sorted(used - known_metrics)}"


def test_template_variable_queries_select_known_metrics(known_metrics: frozenset[str]) -> None:
    queries = [
        v["query"]["query"]
        for dash in load_dashboards().values()
        for v in dash["templating"]["list"]
        if v["type"] == "query"
    ]
    assert queries
    for query in queries:
        match = _LABEL_VALUES.match(query)
        assert match, query
        assert selected_metrics(grafana_to_promql(match["selector"])) <= known_metrics


def _unknown_labels(expr: str, known_labels: dict[str, frozenset[str]]) -> list[tuple[str, str]]:
    """(label, metrics) for every label a selector or `by` uses that none of its metrics carry."""
    bad = []
    for metrics, labels in label_uses(expr):
        available = set().union(*(known_labels.get(m, frozenset()) for m in metrics))
        bad += [(label, ",".join(sorted(metrics))) for label in sorted(labels - available)]
    return bad


def test_a_label_the_metric_does_not_carry_is_caught(known_labels: dict[str, frozenset[str]]) -> None:
    expr = 'sum by (catalog) (rate(akeneo_sync_rate_limited_total{tenant="t", reason="x"}[5m]))'
    assert sorted(_unknown_labels(expr, known_labels)) == [
        ("catalog", "akeneo_sync_rate_limited_total"),
        ("reason", "akeneo_sync_rate_limited_total"),
    ]


@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_alert_expression_uses_only_labels_its_metrics_carry(
    alert: str, known_labels: dict[str, frozenset[str]]
) -> None:
    assert _unknown_labels(ALERTS[alert], known_labels) == []


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_dashboard_query_uses_only_labels_its_metrics_carry(
    target: str, known_labels: dict[str, frozenset[str]]
) -> None:
    assert _unknown_labels(grafana_to_promql(TARGETS[target]), known_labels) == []
