"""Every Prometheus metric of akeneo-sync, defined once (prefix ``akeneo_sync_``).

The names are a contract with dashboards and alerts; docs/operating.md's "Metrics" table lists them.

Workers run several processes: prometheus_client's multiprocess mode aggregates them when
``PROMETHEUS_MULTIPROC_DIR`` is set *before* this module is first imported (the value class is
chosen at import time), which is why the worker's entry point sets it first. Gauges declare how
they aggregate across processes.

Tenant labels can be turned off for very large fleets (`set_tenant_labels(False)`): the label
stays, with the value ``_all``, so queries and dashboards need no change.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ALL_METRICS",
    "BACKOFF_SECONDS",
    "CATALOG_ENABLED",
    "CATALOG_LAG_SECONDS",
    "CATALOG_SCOPE_MISSING",
    "DEAD_LETTERS",
    "DELETES_DEFERRED",
    "DRIFT_DETECTED",
    "EVENTS_RECEIVED",
    "HTTP_REQUESTS",
    "HTTP_REQUEST_DURATION",
    "LAST_SUCCESS_TIMESTAMP",
    "PIM_REQUESTS",
    "PIM_REQUEST_DURATION",
    "PRODUCTS",
    "QUEUE_DEPTH",
    "RATE_LIMITED",
    "SYNC_DURATION",
    "SYNC_RUNS",
    "TARGET_PUSH_DURATION",
    "TENANTS_REVOKED",
    "TOKEN_REFRESHES",
    "set_tenant_labels",
    "tenant_label",
]

PREFIX: Final = "akeneo_sync"

PRODUCTS: Final = Counter(
    f"{PREFIX}_products", "Products handled by syncs, by action.", ["tenant", "catalog", "action"]
)
PIM_REQUESTS: Final = Counter(
    f"{PREFIX}_pim_requests", "HTTP requests sent to the PIM, by endpoint and status.", ["endpoint", "status"]
)
PIM_REQUEST_DURATION: Final = Histogram(
    f"{PREFIX}_pim_request_duration_seconds",
    "Latency of PIM requests, by endpoint.",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
RATE_LIMITED: Final = Counter(f"{PREFIX}_rate_limited", "429 answers received from the PIM.", ["tenant"])
BACKOFF_SECONDS: Final = Counter(
    f"{PREFIX}_backoff_seconds", "Seconds spent waiting before retrying, by reason.", ["reason"]
)
TOKEN_REFRESHES: Final = Counter(f"{PREFIX}_token_refreshes", "Access-token refreshes, by result.", ["result"])
TENANTS_REVOKED: Final = Counter(f"{PREFIX}_tenants_revoked", "Tenants disconnected because their token was revoked.")
SYNC_RUNS: Final = Counter(f"{PREFIX}_sync_runs", "Sync runs finished, by mode and outcome.", ["mode", "outcome"])
SYNC_DURATION: Final = Histogram(
    f"{PREFIX}_sync_duration_seconds",
    "Wall time of sync runs, by mode.",
    ["mode"],
    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200),
)
CATALOG_LAG_SECONDS: Final = Gauge(
    f"{PREFIX}_catalog_lag_seconds",
    "Seconds between now and the watermark of the last successful sync of a catalog.",
    ["tenant", "catalog"],
    multiprocess_mode="mostrecent",
)
LAST_SUCCESS_TIMESTAMP: Final = Gauge(
    f"{PREFIX}_last_success_timestamp_seconds",
    "Unix time of the last successful sync of a catalog.",
    ["tenant", "catalog"],
    multiprocess_mode="max",
)
CATALOG_ENABLED: Final = Gauge(
    f"{PREFIX}_catalog_enabled",
    "1 when the catalog is enabled in the PIM, 0 when disabled.",
    ["tenant", "catalog"],
    multiprocess_mode="mostrecent",
)
CATALOG_SCOPE_MISSING: Final = Gauge(
    f"{PREFIX}_catalog_scope_missing",
    "1 while the PIM refuses a catalog's calls with 403 (the app must be reconnected to grant a scope).",
    ["tenant", "catalog"],
    multiprocess_mode="mostrecent",
)
DEAD_LETTERS: Final = Counter(f"{PREFIX}_dead_letters", "Items recorded as dead letters, by reason.", ["reason"])
DELETES_DEFERRED: Final = Counter(
    f"{PREFIX}_deletes_deferred",
    "Products a by-UUID sync found missing but did not delete downstream, because the catalog itself "
    "could not be confirmed enabled; the next reconcile decides. By reason.",
    ["reason"],
)
DRIFT_DETECTED: Final = Counter(
    f"{PREFIX}_drift_detected",
    "Changes no `updated` date shows, found by the drift probe or a poll, each answered by a refresh: "
    "mapping (a probed product's content changed), entered / left (the selection changed), catalog "
    "(managed currencies or locales changed).",
    ["kind"],
)
TARGET_PUSH_DURATION: Final = Histogram(
    f"{PREFIX}_target_push_duration_seconds",
    "Latency of one batch push to the target, by target kind.",
    ["target"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
QUEUE_DEPTH: Final = Gauge(
    f"{PREFIX}_queue_depth",
    "Messages waiting in a broker queue (ready, delayed or dead-lettered).",
    ["queue"],
    multiprocess_mode="mostrecent",
)
EVENTS_RECEIVED: Final = Counter(
    f"{PREFIX}_events_received", "Event Platform events received, by type and outcome.", ["type", "outcome"]
)
# The web side's requests, by route *template* (`/v1/tenants/{tenant}/...`, or `unmatched`):
# never the raw path, whose values are unbounded.
HTTP_REQUESTS: Final = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests served by the web side, by route and status.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION: Final = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to serve an HTTP request of the web side, by route.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

ALL_METRICS: Final = (
    PRODUCTS,
    PIM_REQUESTS,
    PIM_REQUEST_DURATION,
    RATE_LIMITED,
    BACKOFF_SECONDS,
    TOKEN_REFRESHES,
    TENANTS_REVOKED,
    SYNC_RUNS,
    SYNC_DURATION,
    CATALOG_LAG_SECONDS,
    LAST_SUCCESS_TIMESTAMP,
    CATALOG_ENABLED,
    DEAD_LETTERS,
    TARGET_PUSH_DURATION,
    QUEUE_DEPTH,
    EVENTS_RECEIVED,
    HTTP_REQUESTS,
    HTTP_REQUEST_DURATION,
)

_tenant_labels = True
ALL_TENANTS: Final = "_all"


def set_tenant_labels(enabled: bool) -> None:
    """Turn per-tenant label values on or off (off: every tenant reports as ``_all``)."""
    global _tenant_labels  # noqa: PLW0603 -- one process-wide switch, set once at start
    _tenant_labels = enabled


def tenant_label(tenant: str) -> str:
    """The value to use for a `tenant` label under the current cardinality setting."""
    return tenant if _tenant_labels else ALL_TENANTS
