"""Fleet health read from Redis and exported by the scheduler leader: one collector for all pods.

Worker gauges live in worker memory: after a rollout a catalog that never succeeds again has no
series, so no alert can fire for it and it drops out of the dashboards. Everything here is read
from the state store and the broker's keys instead, by the one scheduler that leads, every
`interval_s`, so every catalog has its series whatever the workers did since they started.

Exported (all gauges; the stand-by scheduler exports only its `scheduler_leader` 0):

- ``akeneo_sync_fleet_catalog_enabled{tenant,catalog}``: 1 enabled in the PIM, 0 disabled;
- ``akeneo_sync_fleet_catalog_state{tenant,catalog,state}``: 1 for its current state, 0 for the others;
- ``akeneo_sync_fleet_catalog_last_success_timestamp_seconds{tenant,catalog}``: 0 when never;
- ``akeneo_sync_fleet_catalog_lag_seconds{tenant,catalog}``: now minus the watermark of its last
  successful sync (the PIM changes it may miss); absent until a first sync succeeded;
- ``akeneo_sync_fleet_tenant_connected{tenant}`` and ``akeneo_sync_fleet_dead_letters{tenant}``
  (the dead letters stored, as `akeneo-sync dead-letters list` shows them);
- ``akeneo_sync_fleet_backlog_messages{state}``: `ready` and `delayed` messages of the queues
  plus those `in_flight` (held by a worker: running, or prefetched by it). KEDA scales on their
  sum: dramatiq prefetches `threads x 2` messages per process and a full sync is one long
  message, so the ready list alone stays near 0 while every worker is busy;
- ``akeneo_sync_scheduler_leader``: 1 on the leading scheduler, 0 on the stand-by.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

import redis
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from akeneo_sync.clock import Clock
from akeneo_sync.state import StateStore, redis_failures
from akeneo_sync.state.catalogs import GONE, CatalogStatus
from akeneo_sync.state.tenants import TenantStatus
from akeneo_sync.worker.broker import NAMESPACE

__all__ = [
    "BACKLOG_STATES",
    "Backlog",
    "CatalogHealth",
    "FleetCollector",
    "FleetSnapshot",
    "read_backlog",
    "read_fleet",
]

PREFIX: Final = "akeneo_sync_fleet"
BACKLOG_STATES: Final = ("ready", "delayed", "in_flight")


@dataclass(frozen=True, slots=True)
class Backlog:
    """Messages of the queues: waiting (`ready`), retried later (`delayed`), held by a worker."""

    ready: int
    delayed: int
    in_flight: int

    @property
    def total(self) -> int:
        """Work that needs a worker thread now or soon."""
        return self.ready + self.delayed + self.in_flight


@dataclass(frozen=True, slots=True)
class CatalogHealth:
    """One catalog as its record in Redis says."""

    tenant: str
    catalog: str
    enabled: bool
    state: CatalogStatus
    last_success_at: float | None
    lag_s: float | None


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """Everything the collector exports, read at `taken_at`."""

    taken_at: float
    backlog: Backlog
    catalogs: list[CatalogHealth] = field(default_factory=list)
    # tenant -> (connected, dead letters stored)
    tenants: dict[str, tuple[bool, int]] = field(default_factory=dict)


def read_backlog(client: redis.Redis, queues: Iterable[str], namespace: str = NAMESPACE) -> Backlog:
    """Ready, delayed and in-flight messages of `queues` (dramatiq's Redis broker layout).

    A worker moves each message it fetches (prefetched or running) into its ack set
    ``ns:__acks__.<worker id>.<queue>`` until it acks; the workers are those in
    ``ns:__heartbeats__`` (a dead one's set counts until maintenance re-enqueues it: still work).
    """
    names = sorted(set(queues))
    with redis_failures("read the backlog"):
        workers = [
            w.decode() if isinstance(w, bytes) else str(w) for w in client.zrange(f"{namespace}:__heartbeats__", 0, -1)
        ]
        pipe = client.pipeline(transaction=False)
        for queue in names:
            pipe.llen(f"{namespace}:{queue}")
            pipe.llen(f"{namespace}:{queue}.DQ")
        for worker in workers:
            for queue in names:
                pipe.scard(f"{namespace}:__acks__.{worker}.{queue}")
                pipe.scard(f"{namespace}:__acks__.{worker}.{queue}.DQ")
        counts = [int(n) for n in pipe.execute()]
    queued = counts[: 2 * len(names)]
    return Backlog(ready=sum(queued[0::2]), delayed=sum(queued[1::2]), in_flight=sum(counts[2 * len(names) :]))


def read_fleet(state: StateStore, clock: Clock, queues: Iterable[str], namespace: str = NAMESPACE) -> FleetSnapshot:
    """Read every tenant's and catalog's health, and the backlog, from Redis."""
    now = clock.now()
    backlog = read_backlog(state.redis, queues, namespace)
    snapshot = FleetSnapshot(taken_at=now, backlog=backlog)
    for tenant in state.tenants.list():
        if tenant.status is TenantStatus.DELETED:
            continue
        snapshot.tenants[tenant.id] = (tenant.is_active, state.dead_letters.count(tenant.id))
        for record in state.catalogs.list(tenant.id):
            if record.status in GONE:
                continue
            lag = max(0.0, now - record.watermark) if record.watermark is not None else None
            snapshot.catalogs.append(
                CatalogHealth(tenant.id, record.id, record.enabled, record.status, record.last_success_at, lag)
            )
    return snapshot


class FleetCollector(Collector):
    """Serves the latest snapshot to Prometheus; updated by the scheduler loop, never at scrape."""

    def __init__(self, tenant_label: Callable[[str], str] = str) -> None:
        self._tenant_label = tenant_label
        self._lock = threading.Lock()
        self._leader = False
        self._snapshot: FleetSnapshot | None = None

    def update(self, *, leader: bool, snapshot: FleetSnapshot | None = None) -> None:
        """Record leadership; a leader's new snapshot replaces the last, a stand-by exports none."""
        with self._lock:
            self._leader = leader
            if not leader:
                self._snapshot = None
            elif snapshot is not None:
                self._snapshot = snapshot

    def describe(self) -> Iterator[Metric]:
        """The families without samples (registering must not read a snapshot)."""
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        """The families of the latest snapshot."""
        with self._lock:
            leader, snapshot = self._leader, self._snapshot
        yield from self._families(leader, snapshot)

    def _families(self, leader: bool = False, snapshot: FleetSnapshot | None = None) -> Iterator[Metric]:
        label = self._tenant_label
        tc = ["tenant", "catalog"]
        enabled = GaugeMetricFamily(f"{PREFIX}_catalog_enabled", "1 when the catalog is enabled in the PIM.", labels=tc)
        state = GaugeMetricFamily(
            f"{PREFIX}_catalog_state", "1 for the catalog's current state, 0 for the others.", labels=[*tc, "state"]
        )
        success = GaugeMetricFamily(
            f"{PREFIX}_catalog_last_success_timestamp_seconds",
            "Unix time of the catalog's last successful run (0: never).",
            labels=tc,
        )
        lag = GaugeMetricFamily(
            f"{PREFIX}_catalog_lag_seconds", "Seconds since the watermark of the last successful sync.", labels=tc
        )
        connected = GaugeMetricFamily(
            f"{PREFIX}_tenant_connected", "1 when the tenant's token works, 0 when disconnected.", labels=["tenant"]
        )
        dead = GaugeMetricFamily(f"{PREFIX}_dead_letters", "Dead letters stored for the tenant.", labels=["tenant"])
        backlog = GaugeMetricFamily(
            f"{PREFIX}_backlog_messages",
            "Messages ready, delayed or held by a worker (KEDA's signal).",
            labels=["state"],
        )
        leading = GaugeMetricFamily("akeneo_sync_scheduler_leader", "1 on the scheduler that leads, 0 on a stand-by.")
        leading.add_metric([], 1.0 if leader else 0.0)
        if snapshot is not None:
            for c in _merged(snapshot.catalogs, label):
                labels = [c.tenant, c.catalog]
                enabled.add_metric(labels, 1.0 if c.enabled else 0.0)
                for status in CatalogStatus:
                    if status not in GONE:
                        state.add_metric([*labels, status.value], 1.0 if c.state is status else 0.0)
                success.add_metric(labels, c.last_success_at or 0.0)
                if c.lag_s is not None:
                    lag.add_metric(labels, c.lag_s)
            merged_tenants: dict[str, tuple[float, float]] = {}
            for tenant, (is_connected, letters) in snapshot.tenants.items():
                seen = merged_tenants.get(label(tenant), (1.0, 0.0))
                merged_tenants[label(tenant)] = (min(seen[0], float(is_connected)), seen[1] + letters)
            for tenant, (is_connected_f, letters_f) in merged_tenants.items():
                connected.add_metric([tenant], is_connected_f)
                dead.add_metric([tenant], letters_f)
            for name in BACKLOG_STATES:
                backlog.add_metric([name], float(getattr(snapshot.backlog, name)))
        yield from (enabled, state, success, lag, connected, dead, backlog, leading)


def _merged(catalogs: list[CatalogHealth], label: Callable[[str], str]) -> list[CatalogHealth]:
    """Catalogs under their exported tenant label; with tenant labels off (`_all`) two tenants'
    catalogs of the same id become one series: the worst of them (disabled, oldest, most behind)."""
    out: dict[tuple[str, str], CatalogHealth] = {}
    for c in catalogs:
        key = (label(c.tenant), c.catalog)
        seen = out.get(key)
        if seen is None:
            out[key] = CatalogHealth(key[0], c.catalog, c.enabled, c.state, c.last_success_at, c.lag_s)
            continue
        out[key] = CatalogHealth(
            key[0],
            c.catalog,
            seen.enabled and c.enabled,
            seen.state if seen.state is not CatalogStatus.IDLE else c.state,
            min(seen.last_success_at or 0.0, c.last_success_at or 0.0) or None,
            max(seen.lag_s or 0.0, c.lag_s or 0.0) if seen.lag_s is not None or c.lag_s is not None else None,
        )
    return list(out.values())


class FleetRefresher:
    """Called on every scheduler tick: a leader re-reads the fleet every `interval_s`."""

    def __init__(
        self, collector: FleetCollector, read: Callable[[], FleetSnapshot], clock: Clock, interval_s: float
    ) -> None:
        self._collector = collector
        self._read = read
        self._clock = clock
        self._interval_s = interval_s
        self._next_at: float | None = None

    def tick(self, *, leader: bool) -> None:
        """Refresh when leading and due; a stand-by drops the fleet series at once (no double export)."""
        if not leader:
            self._next_at = None
            self._collector.update(leader=False)
            return
        now = self._clock.now()
        if self._next_at is not None and now < self._next_at:
            self._collector.update(leader=True)
            return
        # Due again one interval after this read started, whether or not it succeeds: a failing
        # Redis is retried at the same pace, and the last good snapshot keeps being served.
        self._next_at = now + self._interval_s
        self._collector.update(leader=True, snapshot=self._read())
