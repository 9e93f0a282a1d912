"""Run outcomes and summaries: one log event and the run metrics per run."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from akeneo_sync import metrics
from akeneo_sync.errors import (
    CatalogDisabledError,
    CatalogNotFoundError,
    PimUnavailableError,
    RateLimitedError,
    ScopeError,
    StateError,
    TargetUnavailableError,
    TokenRevokedError,
)
from akeneo_sync.logging import get_logger
from akeneo_sync.state import Counters, RunMode

__all__ = ["Outcome", "RunSummary", "outcome_for_error", "record_products", "record_summary"]

log = get_logger(__name__)


class Outcome(StrEnum):
    """How a run ended (the `outcome` label of `sync_runs_total`: a bounded set)."""

    SUCCESS = "success"
    INTERRUPTED = "interrupted"
    LOCK_LOST = "lock_lost"
    DISABLED = "disabled"
    DELETED = "deleted"
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 -- an outcome label, not a secret
    SCOPE_MISSING = "scope_missing"
    RATE_LIMITED = "rate_limited"
    PIM_UNAVAILABLE = "pim_unavailable"
    TARGET_UNAVAILABLE = "target_unavailable"
    STATE_UNAVAILABLE = "state_unavailable"
    ERROR = "error"


_ERROR_OUTCOMES: tuple[tuple[type[Exception], Outcome], ...] = (
    (CatalogDisabledError, Outcome.DISABLED),
    (CatalogNotFoundError, Outcome.DELETED),
    (TokenRevokedError, Outcome.TOKEN_REVOKED),
    (ScopeError, Outcome.SCOPE_MISSING),
    (RateLimitedError, Outcome.RATE_LIMITED),
    (PimUnavailableError, Outcome.PIM_UNAVAILABLE),
    (TargetUnavailableError, Outcome.TARGET_UNAVAILABLE),
    (StateError, Outcome.STATE_UNAVAILABLE),
)


def outcome_for_error(exc: BaseException) -> Outcome:
    """The outcome label of a run that ended with `exc`."""
    for kind, outcome in _ERROR_OUTCOMES:
        if isinstance(exc, kind):
            return outcome
    # Not an Exception: an interrupt from outside (time limit, worker shutdown, Ctrl-C).
    return Outcome.ERROR if isinstance(exc, Exception) else Outcome.INTERRUPTED


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one run (or one attempt of a resumed run) did.

    `counters` and `pages` cover the whole run, across resumes; `pages_fetched` and `duration_s`
    cover this attempt only.
    """

    tenant: str
    catalog: str
    run_id: str
    mode: RunMode
    outcome: Outcome
    counters: Counters
    pages: int
    pages_fetched: int
    duration_s: float
    resumed: bool = False
    # Why this run asks for a refresh (a full run) right after it: "drift" or "schedule".
    refresh: str | None = None

    @property
    def is_success(self) -> bool:
        """Whether the run finished."""
        return self.outcome is Outcome.SUCCESS


def record_products(tenant: str, catalog: str, counters: Counters) -> None:
    """Count products per action (`products_total`)."""
    tenant_label = metrics.tenant_label(tenant)
    for action, count in counters.as_dict().items():
        if count:
            metrics.PRODUCTS.labels(tenant=tenant_label, catalog=catalog, action=action).inc(count)


def record_summary(summary: RunSummary) -> None:
    """Emit the run's one summary log event and its run metrics."""
    metrics.SYNC_RUNS.labels(mode=summary.mode.value, outcome=summary.outcome.value).inc()
    metrics.SYNC_DURATION.labels(mode=summary.mode.value).observe(summary.duration_s)
    log.info(
        "sync_run",
        tenant=summary.tenant,
        catalog=summary.catalog,
        run=summary.run_id,
        mode=summary.mode.value,
        outcome=summary.outcome.value,
        resumed=summary.resumed,
        pages=summary.pages,
        pages_fetched=summary.pages_fetched,
        duration_s=round(summary.duration_s, 3),
        **summary.counters.as_dict(),
    )
