"""Write every dashboard query as a recording rule, so `promtool check rules` parses it with
Prometheus's own parser (promtool 2.42 has no offline "check this query" command).

    python dashboard_rules.py OUT.yaml grafana/dashboards/*.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

# Grafana's built-in interval variables become a duration, every other variable a regex.
_INTERVAL = re.compile(r"\$__(rate_interval|interval|range)\b")
_VARIABLE = re.compile(r"\$\{?\w+\}?")


def promql(expr: str) -> str:
    """The query with Grafana's template variables replaced by plain PromQL."""
    return _VARIABLE.sub(".*", _INTERVAL.sub("5m", expr))


def rules(dashboard: dict[str, Any], stem: str) -> list[dict[str, str]]:
    """One recording rule per panel target, named after the dashboard, panel id and refId."""
    out = []
    for panel in dashboard.get("panels", []):
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                name = f"dashboard:{stem}:panel{inner['id']}_{target['refId']}".replace("-", "_")
                out.append({"record": name, "expr": promql(target["expr"])})
    return out


def main(argv: list[str]) -> int:
    """Write the rules file argv[0] from the dashboards argv[1:]."""
    groups = []
    for path in map(Path, argv[1:]):
        groups.append({"name": path.stem, "rules": rules(json.loads(path.read_text(encoding="utf-8")), path.stem)})
    Path(argv[0]).write_text(yaml.safe_dump({"groups": groups}, sort_keys=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
