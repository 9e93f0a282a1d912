"""Helpers shared by the ops tests (importable: pytest puts this directory on sys.path)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import yaml
from prometheus_client import Counter, Histogram

ROOT = Path(__file__).resolve().parents[3]
DRAMATIQ_METRICS = frozenset(
    {
        "dramatiq_messages_total",
        "dramatiq_message_errors_total",
        "dramatiq_message_rejects_total",
        "dramatiq_messages_inprogress",
        "dramatiq_message_duration_milliseconds_bucket",
        "dramatiq_message_duration_milliseconds_sum",
        "dramatiq_message_duration_milliseconds_count",
    }
)
# Grafana's built-in variables become a duration, ours a regex matching anything.
_GRAFANA_INTERVAL = re.compile(r"\$__(rate_interval|interval|range)\b")
_GRAFANA_VAR = re.compile(r"\$\{?\w+\}?")


def exposed_names(metric: object) -> set[str]:
    """The series names prometheus_client exposes for one metric object."""
    name = metric.describe()[0].name  # type: ignore[attr-defined]
    if isinstance(metric, Counter):
        return {f"{name}_total"}
    if isinstance(metric, Histogram):
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return {name}


def grafana_to_promql(expr: str) -> str:
    """Replace Grafana's template variables so the expression is plain PromQL."""
    return _GRAFANA_VAR.sub(".*", _GRAFANA_INTERVAL.sub("5m", expr))


def selected_metrics(expr: str) -> set[str]:
    """Metric names of every vector selector in `expr` (raises ValueError when it does not parse)."""
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name or next(m.value for m in node.matchers.matchers if m.name == "__name__")
            names.add(name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def grouping_labels(expr: str) -> set[str]:
    """Labels of every `by (...)` clause in `expr`: the labels its result series carry."""
    labels: set[str] = set()

    def visit(node: Any) -> None:
        modifier = getattr(node, "modifier", None) if isinstance(node, promql_parser.AggregateExpr) else None
        if modifier is not None and modifier.type == promql_parser.AggModifierType.By:
            labels.update(modifier.labels)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return labels - {"le"}


def all_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in (collapsed) rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    """The non-empty documents of a YAML file."""
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def load_alert_rules() -> list[dict[str, Any]]:
    """Every alerting rule of the committed PrometheusRule."""
    (doc,) = load_yaml_docs(ROOT / "deploy/base/prometheus-rules.yaml")
    return [r for g in doc["spec"]["groups"] for r in g["rules"] if "alert" in r]


def load_dashboards() -> dict[str, dict[str, Any]]:
    """The committed dashboards by file name."""
    paths = sorted((ROOT / "grafana/dashboards").glob("*.json"))
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in paths}


def dashboard_targets() -> list[tuple[str, str]]:
    """(`file: panel title / refId`, expr) for every query of every dashboard."""
    out = []
    for file, dash in load_dashboards().items():
        for panel in all_panels(dash):
            for target in panel.get("targets", []):
                out.append((f"{file}: {panel['title']} / {target['refId']}", target["expr"]))
    return out


# Labels Prometheus (and the Prometheus Operator's monitors) attach to every scraped series.
TARGET_LABELS = frozenset({"job", "instance", "namespace", "pod", "container", "endpoint", "service"})
DRAMATIQ_LABELS = frozenset({"queue_name", "actor_name"})


def exposed_labels(metric: object) -> dict[str, frozenset[str]]:
    """Exposed series name -> its label names, for one prometheus_client metric object."""
    labels = frozenset(metric._labelnames)  # type: ignore[attr-defined]  # no public accessor
    return {name: labels | {"le"} if name.endswith("_bucket") else labels for name in exposed_names(metric)}


def label_uses(expr: str) -> list[tuple[set[str], set[str]]]:
    """(metrics, labels) pairs: each selector's matcher labels, and each `by (...)` clause's labels
    with the metrics aggregated under it."""
    uses: list[tuple[set[str], set[str]]] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names = {m.name for m in node.matchers.matchers} - {"__name__"}
            uses.append((selected_metrics(str(node)), names))
        elif isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
            by = node.modifier.type == promql_parser.AggModifierType.By
            uses.append((selected_metrics(str(node.expr)), set(node.modifier.labels) if by else set()))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return uses


def render_overlay(overlay: str, *, fallback: bool = False) -> list[dict[str, Any]]:
    """`kubectl kustomize deploy/overlays/<overlay>` (what CI applies), or the fallback renderer
    validate-deploy.sh uses without kubectl."""
    directory = ROOT / "deploy" / "overlays" / overlay
    if fallback or shutil.which("kubectl") is None:
        command = [sys.executable, str(ROOT / "scripts/deploy-check/render_fallback.py"), str(directory)]
    else:
        command = ["kubectl", "kustomize", str(directory)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]
