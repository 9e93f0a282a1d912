"""`initialize_series` makes the bounded label sets exist at zero before their first event."""

from __future__ import annotations

import pytest
from observe_support import Samples
from prometheus_client import REGISTRY, generate_latest

from akeneo_sync.observability import BACKOFF_REASONS, TOKEN_REFRESH_RESULTS, initialize_series
from akeneo_sync.state import RunMode
from akeneo_sync.sync.summary import Outcome

pytestmark = pytest.mark.integration


def _exposed() -> Samples:
    return Samples.parse(generate_latest(REGISTRY).decode())


def test_every_run_mode_and_outcome_is_exposed_once_initialized() -> None:
    initialize_series()

    exposed = _exposed()
    runs = {(dict(labels)["mode"], dict(labels)["outcome"]) for labels in exposed.values["akeneo_sync_sync_runs_total"]}
    assert runs >= {(mode.value, outcome.value) for mode in RunMode for outcome in Outcome}
    assert exposed.label_values("akeneo_sync_sync_duration_seconds_count", "mode") >= {m.value for m in RunMode}


def test_backoff_reasons_and_token_refresh_results_are_exposed_once_initialized() -> None:
    initialize_series()

    exposed = _exposed()
    assert exposed.label_values("akeneo_sync_backoff_seconds_total", "reason") >= set(BACKOFF_REASONS)
    assert exposed.label_values("akeneo_sync_token_refreshes_total", "result") >= set(TOKEN_REFRESH_RESULTS)
