"""Which Prometheus registry `/metrics` exposes."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import REGISTRY, generate_latest

from akeneo_sync.web.health import metrics_registry


def test_a_single_process_exposes_the_default_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert metrics_registry() is REGISTRY


def test_multiprocess_mode_aggregates_the_files_of_every_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    registry = metrics_registry()
    assert registry is not REGISTRY
    assert generate_latest(registry) == b""  # no process has written a metric file yet
