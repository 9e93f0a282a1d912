"""Series that exist at zero from the start, so the first event of each kind is visible to rate().

A labelled counter or histogram child is born on its first increment. Prometheus then sees a
series whose first sample is already 1, and `rate()`/`increase()` over it give 0: the first
failed run, the first token refresh, the first 429 back-off after a pod restarts never show on
the dashboards nor fire the alerts built on `increase()` (measured with `make observe`). Creating
the children of the bounded label sets at start, at zero, fixes that. Call `initialize_series()`
once per process after the metrics module is imported (worker processes, web, scheduler).
"""

from __future__ import annotations

from typing import Final

from akeneo_sync import metrics
from akeneo_sync.state import RunMode
from akeneo_sync.sync.summary import Outcome

__all__ = ["BACKOFF_REASONS", "TOKEN_REFRESH_RESULTS", "initialize_series"]

# The `reason` values of `backoff_seconds_total` (akeneo/http.py, akeneo/ratelimit.py, targets/http.py).
BACKOFF_REASONS: Final = (
    "retry_after",
    "backoff_408",
    "backoff_429",
    "backoff_5xx",
    "backoff_transport",
    "fair_use",
    "target",
)
# The `result` values of `token_refreshes_total` (akeneo/auth.py).
TOKEN_REFRESH_RESULTS: Final = ("refreshed", "password", "failed")


def initialize_series() -> None:
    """Create, at zero, every child of the metrics whose label values form a small fixed set."""
    for mode in RunMode:
        metrics.SYNC_DURATION.labels(mode=mode.value)
        for outcome in Outcome:
            metrics.SYNC_RUNS.labels(mode=mode.value, outcome=outcome.value)
    for reason in BACKOFF_REASONS:
        metrics.BACKOFF_SECONDS.labels(reason=reason)
    for result in TOKEN_REFRESH_RESULTS:
        metrics.TOKEN_REFRESHES.labels(result=result)
