"""Every dashboard query and alert expression, made concrete and evaluated against a live Prometheus."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

# What Grafana substitutes for its built-in interval variables (scrape_interval is 1 s here).
BUILTINS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}
_VARIABLE = re.compile(r"\$\{?(\w+)\}?")
_PLAIN = re.compile(r"[\w-]+")


@dataclass(frozen=True, slots=True)
class Query:
    """One PromQL expression and where it comes from (dashboard panel or alert)."""

    source: str
    title: str
    expr: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """The evaluation of one query: parsed or not, how many series, a sample of values."""

    query: Query
    ok: bool
    series: int
    sample: str
    error: str = ""
    nonzero: int = 0

    @property
    def has_data(self) -> bool:
        """At least one series (or a scalar) with a number that is not NaN."""
        return self.ok and self.series > 0


def dashboard_queries(dashboards: Path) -> list[Query]:
    """Every `targets[].expr` of every panel (rows included) of `grafana/dashboards/*.json`."""
    found: list[Query] = []
    for path in sorted(dashboards.glob("*.json")):
        model = json.loads(path.read_text())
        for panel in _panels(model.get("panels", [])):
            for target in panel.get("targets", []):
                if target.get("expr"):
                    found.append(Query(path.stem, panel.get("title", "?"), target["expr"]))
    return found


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for panel in panels:
        flat.append(panel)
        flat.extend(_panels(panel.get("panels", [])))
    return flat


def template_variables(dashboards: Path) -> dict[str, str]:
    """Template variable name → the metric and label its values come from (`label_values(m, l)`)."""
    found: dict[str, str] = {}
    for path in sorted(dashboards.glob("*.json")):
        for variable in json.loads(path.read_text()).get("templating", {}).get("list", []):
            query = variable.get("query")
            text = query.get("query", "") if isinstance(query, dict) else str(query or "")
            if text.startswith("label_values("):
                found[variable["name"]] = text
    return found


def alert_queries(rules_file: Path) -> list[Query]:
    """Every `expr` of the PrometheusRule (alerts and recording rules)."""
    document = yaml.safe_load(rules_file.read_text())
    return [
        Query("alerts", rule.get("alert") or rule.get("record", "?"), rule["expr"])
        for group in document["spec"]["groups"]
        for rule in group["rules"]
    ]


def plain_rules(rules_file: Path, out: Path) -> Path:
    """The `spec` of the PrometheusRule as a plain Prometheus rules file (what `rule_files` reads)."""
    document = yaml.safe_load(rules_file.read_text())
    out.write_text(yaml.safe_dump({"groups": document["spec"]["groups"]}, sort_keys=False))
    return out


def resolve_variables(api: httpx.Client, variables: dict[str, str]) -> dict[str, str]:
    """A real value for each template variable, read from Prometheus (`.*` when it has none)."""
    values: dict[str, str] = {}
    for name, text in variables.items():
        inner = text[len("label_values(") : -1]
        selector, _, label = inner.rpartition(",")
        selector = substitute(selector.strip(), values)
        answer = api.get(f"/api/v1/label/{label.strip()}/values", params={"match[]": selector}).json()
        if answer.get("status") != "success":
            raise RuntimeError(f"label_values for ${name} ({selector}): {answer.get('error')}")
        # Values go inside `=~"..."`: only plain ones are used as they are (no regex or string escaping).
        plain = [value for value in sorted(answer["data"]) if _PLAIN.fullmatch(value)]
        values[name] = plain[0] if plain else ".*"
    return values


def substitute(expr: str, variables: dict[str, str]) -> str:
    """Grafana's interval built-ins and the dashboard's template variables replaced by values."""
    for builtin, value in BUILTINS.items():
        expr = expr.replace(builtin, value)
    return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), expr)


def evaluate(api: httpx.Client, query: Query, variables: dict[str, str]) -> Outcome:
    """Run the query now (`/api/v1/query`): a parse error is a failure, an empty result is no data."""
    expr = substitute(query.expr, variables)
    answer = api.get("/api/v1/query", params={"query": expr}).json()
    if answer.get("status") != "success":
        return Outcome(query, ok=False, series=0, sample="", error=str(answer.get("error")))
    data = answer["data"]
    if data["resultType"] == "scalar":
        value = float(data["result"][1])
        return Outcome(query, ok=True, series=1, sample=data["result"][1], nonzero=int(value != 0))
    numbers = [
        (item["metric"], float(item["value"][1])) for item in data["result"] if not math.isnan(float(item["value"][1]))
    ]
    sample = ", ".join(f"{_labels(m)}={v:.4g}" for m, v in numbers[:3])
    nonzero = sum(1 for _, value in numbers if value != 0)
    return Outcome(query, ok=True, series=len(numbers), sample=sample, nonzero=nonzero)


def _labels(metric: dict[str, str]) -> str:
    shown = {k: v for k, v in metric.items() if k not in {"__name__", "instance", "job"}}
    return "{" + ",".join(f"{k}={v}" for k, v in sorted(shown.items())) + "}"
