"""KEDA's backlog trigger, evaluated by Prometheus's own engine (`promtool test rules`).

The query and threshold come from the rendered prod overlay; the replica count KEDA would ask
for is its AverageValue formula, ceil(value / threshold), clamped to min/maxReplicaCount. The
input is what a full sync looks like from Redis: the ready list stays at 0 (each process
prefetches `threads x 2` messages, a full sync is one long message) while the work held by
workers climbs. The ready list alone (the former `redis` trigger) would never scale.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from ops_support import render_overlay

NAMESPACE = "akeneo-sync"


def _trigger() -> tuple[str, float, int, int]:
    (so,) = [d for d in render_overlay("prod") if d["kind"] == "ScaledObject"]
    (prometheus,) = [t for t in so["spec"]["triggers"] if t["type"] == "prometheus"]
    meta = prometheus["metadata"]
    return meta["query"], float(meta["threshold"]), so["spec"]["minReplicaCount"], so["spec"]["maxReplicaCount"]


def _promtool(tmp_path: Path, series: list[dict[str, str]], tests: list[dict[str, Any]]) -> None:
    (tmp_path / "rules.yaml").write_text("groups: []\n")
    suite = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": tests}],
    }
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: `make validate-deploy` installs it (Debian prometheus)"
    command = [promtool, "test", "rules", "test.yaml"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def _backlog(pod: str, state: str, values: str) -> dict[str, str]:
    labels = f'namespace="{NAMESPACE}",pod="{pod}",state="{state}"'
    return {"series": f"akeneo_sync_fleet_backlog_messages{{{labels}}}", "values": values}


def test_the_backlog_trigger_scales_during_a_full_sync_while_the_ready_list_stays_empty(tmp_path: Path) -> None:
    query, threshold, low, high = _trigger()
    desired = f"clamp(ceil(({query}) / {threshold:g}), {low}, {high})"
    # Minutes 0-4 idle; 5-9 a full sync per catalog of a big tenant held by workers (prefetched
    # and running); 10-14 a burst of 400; 15-19 done. Two scheduler pods export at 10-14 (a leader
    # hand-over): counted once.
    series = [
        _backlog("scheduler-a", "ready", "0x4 0x5 2x5 0x5"),
        _backlog("scheduler-a", "delayed", "0x4 0x5 0x5 0x5"),
        _backlog("scheduler-a", "in_flight", "0x4 48x5 398x5 0x5"),
        # Its pod stops after the hand-over: scrapes end with a staleness marker.
        _backlog("scheduler-b", "ready", "_x9 2x5 stale"),
        _backlog("scheduler-b", "in_flight", "_x9 398x5 stale"),
    ]
    expected = [(2, 2.0), (7, 3.0), (12, 20.0), (17, 2.0)]  # 48/16 = 3; 400/16 = 25 -> max 20
    ready = f'max(sum by (pod) (akeneo_sync_fleet_backlog_messages{{namespace="{NAMESPACE}",state="ready"}}))'
    tests = [
        {"expr": desired, "eval_time": f"{minute}m", "exp_samples": [{"labels": "{}", "value": value}]}
        for minute, value in expected
    ]
    # Meanwhile the ready list (what KEDA watched before) never leaves 0-2: no scaling from it.
    tests += [{"expr": ready, "eval_time": "7m", "exp_samples": [{"labels": "{}", "value": 0}]}]
    _promtool(tmp_path, series, tests)


def test_the_query_ignores_other_namespaces(tmp_path: Path) -> None:
    query, threshold, low, high = _trigger()
    series = [
        {"series": 'akeneo_sync_fleet_backlog_messages{namespace="other",pod="s",state="ready"}', "values": "500x5"},
        _backlog("scheduler-a", "in_flight", "32x5"),
    ]
    tests = [
        {
            "expr": f"clamp(ceil(({query}) / {threshold:g}), {low}, {high})",
            "eval_time": "2m",
            "exp_samples": [{"labels": "{}", "value": 2}],
        }
    ]
    _promtool(tmp_path, series, tests)
