"""The scheduler: one elected leader enqueues catalog polls, incremental syncs and reconciliations.

Every instance calls `tick()` once a second; only the lease holder enqueues. When the leader dies
its lease expires after `lease_ttl_s` and a stand-by takes over. The next-due time of each job is
kept in Redis, so a new leader continues the cadence instead of firing everything at once, and
each tenant/catalog starts at a stable offset inside its interval (a hash of its ids) so a fleet of
tenants is spread over the interval rather than synchronised.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from akeneo_sync.clock import Clock
from akeneo_sync.errors import AkeneoSyncError
from akeneo_sync.logging import get_logger
from akeneo_sync.state.schedule import ScheduleStore

__all__ = ["Cadence", "ScheduleSource", "Scheduler", "SyncEnqueuer"]

log = get_logger(__name__)


class ScheduleSource(Protocol):
    """Which tenants and catalogs exist and are active."""

    def active_tenants(self) -> list[str]:
        """Ids of tenants whose token works."""
        ...

    def enabled_catalogs(self, tenant: str) -> list[str]:
        """Ids of a tenant's catalogs that are enabled in the PIM."""
        ...

    def stalled_runs(self, tenant: str) -> list[tuple[str, str]]:
        """(catalog, mode) of runs with a checkpoint that nobody holds the lock of."""
        ...


class SyncEnqueuer(Protocol):
    """What the scheduler enqueues (the dramatiq actors implement it)."""

    def poll_catalogs(self, tenant: str) -> None: ...

    def sync_catalog(self, tenant: str, catalog: str, mode: str) -> None: ...

    def reconcile_catalog(self, tenant: str, catalog: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Cadence:
    """Intervals of the periodic jobs, in seconds."""

    poll_s: int
    incremental_s: int
    reconcile_s: int
    # How often each tenant is checked for runs left in flight: a message can be lost (Redis
    # crashed while dramatiq re-enqueued a retry), and its checkpoint must not wait for the next
    # incremental slot to be resumed.
    resume_s: int = 30


def _offset(job: str, interval_s: int) -> float:
    digest = hashlib.blake2b(job.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % max(interval_s, 1)


class Scheduler:
    """Enqueue periodic jobs while holding the leader lease."""

    def __init__(
        self,
        schedule: ScheduleStore,
        source: ScheduleSource,
        enqueuer: SyncEnqueuer,
        clock: Clock,
        cadence: Cadence,
        *,
        instance_id: str,
        lease_ttl_s: float = 10.0,
    ) -> None:
        self._schedule = schedule
        self._source = source
        self._enqueuer = enqueuer
        self._clock = clock
        self._cadence = cadence
        self.lease = schedule.leader_lease(instance_id, lease_ttl_s)

    def tick(self) -> int:
        """Enqueue what is due if we lead; returns how many jobs were enqueued."""
        if not self.lease.acquire_or_renew():
            return 0
        jobs: list[tuple[str, int, Callable[[], None]]] = []
        for tenant in self._source.active_tenants():
            jobs.append((f"poll:{tenant}", self._cadence.poll_s, self._bind_poll(tenant)))
            jobs.append((f"resume:{tenant}", self._cadence.resume_s, self._bind_resume(tenant)))
            for catalog in self._source.enabled_catalogs(tenant):
                jobs.append(
                    (f"incremental:{tenant}:{catalog}", self._cadence.incremental_s, self._bind_sync(tenant, catalog))
                )
                jobs.append(
                    (f"reconcile:{tenant}:{catalog}", self._cadence.reconcile_s, self._bind_reconcile(tenant, catalog))
                )
        if not jobs:
            return 0
        now = self._clock.now()
        updates: dict[str, float] = {}
        due_now: list[Callable[[], None]] = []
        for (job, interval_s, send), due in zip(jobs, self._schedule.due([job for job, _, _ in jobs]), strict=True):
            if due is None:
                # First sight: fire at a stable offset inside the interval, not all at once.
                updates[job] = now + _offset(job, interval_s)
                continue
            if now < due:
                continue
            # Next slot after now, keeping the phase: a leader back from downtime fires a job
            # once, not once per missed slot.
            missed = int((now - due) // interval_s) + 1
            updates[job] = due + missed * interval_s
            due_now.append(send)
        self._schedule.set_due(updates)
        for send in due_now:
            send()
        return len(due_now)

    def _bind_poll(self, tenant: str) -> Callable[[], None]:
        return lambda: self._enqueuer.poll_catalogs(tenant)

    def _bind_resume(self, tenant: str) -> Callable[[], None]:
        def resume() -> None:
            for catalog, mode in self._source.stalled_runs(tenant):
                log.info("scheduler_resuming_run", tenant=tenant, catalog=catalog, mode=mode)
                self._enqueuer.sync_catalog(tenant, catalog, mode)

        return resume

    def _bind_sync(self, tenant: str, catalog: str) -> Callable[[], None]:
        return lambda: self._enqueuer.sync_catalog(tenant, catalog, "incremental")

    def _bind_reconcile(self, tenant: str, catalog: str) -> Callable[[], None]:
        return lambda: self._enqueuer.reconcile_catalog(tenant, catalog)

    def run(
        self,
        should_stop: Callable[[], bool] | threading.Event,
        *,
        tick_s: float = 1.0,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        """Tick (and `on_tick`, e.g. gauges) until told to stop; errors are logged and the loop goes on.

        A Redis outage must not end the scheduler: it keeps trying, and resumes leading (and
        resuming stalled runs) when Redis is back.
        """
        stop = should_stop.is_set if isinstance(should_stop, threading.Event) else should_stop
        leading = False
        while not stop():
            try:
                self.tick()
                if on_tick is not None:
                    on_tick()
                now_leading = self.lease.current_holder() == self.lease.holder
                if now_leading != leading:
                    log.info("scheduler_leadership", leading=now_leading, instance=self.lease.holder)
                    leading = now_leading
            except AkeneoSyncError as exc:
                log.warning("scheduler_tick_failed", error=str(exc))
            self._clock.sleep(tick_s)
        try:
            self.lease.release()
        except AkeneoSyncError as exc:
            log.warning("scheduler_release_failed", error=str(exc))
