"""The scheduler: one leader, a stable spread of first runs, one firing per interval."""

from __future__ import annotations

from collections import Counter

import fakeredis
import pytest
import redis

from akeneo_sync.clock import ManualClock
from akeneo_sync.state.schedule import ScheduleStore
from akeneo_sync.worker.scheduler import Cadence, Scheduler


class Fleet:
    """A ScheduleSource of N tenants with one enabled catalog each."""

    def __init__(self, tenants: int) -> None:
        self.tenants = [f"tenant-{i}" for i in range(tenants)]
        self.stalled: set[str] = set()

    def active_tenants(self) -> list[str]:
        return list(self.tenants)

    def enabled_catalogs(self, tenant: str) -> list[str]:
        return [f"{tenant}-catalog"]

    def stalled_runs(self, tenant: str) -> list[tuple[str, str]]:
        return [(f"{tenant}-catalog", "full")] if tenant in self.stalled else []


class Recorder:
    """A SyncEnqueuer that records what it was asked to enqueue."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, ...]] = []

    def poll_catalogs(self, tenant: str) -> None:
        self.sent.append(("poll", tenant))

    def sync_catalog(self, tenant: str, catalog: str, mode: str) -> None:
        self.sent.append((mode, tenant, catalog))

    def reconcile_catalog(self, tenant: str, catalog: str) -> None:
        self.sent.append(("reconcile", tenant, catalog))


CADENCE = Cadence(poll_s=60, incremental_s=300, reconcile_s=3600)


@pytest.fixture
def client() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis()


def run_for(scheduler: Scheduler, clock: ManualClock, seconds: int, step_s: int = 1) -> None:
    for _ in range(0, seconds, step_s):
        scheduler.tick()
        clock.advance(step_s)


def test_only_the_lease_holder_enqueues_and_a_standby_takes_over(client: fakeredis.FakeRedis) -> None:
    clock = ManualClock()
    first, second = Recorder(), Recorder()
    leader = Scheduler(ScheduleStore(client), Fleet(3), first, clock, CADENCE, instance_id="a")
    standby = Scheduler(ScheduleStore(client), Fleet(3), second, clock, CADENCE, instance_id="b")

    for _ in range(120):
        leader.tick()
        standby.tick()
        clock.advance(1)
    assert first.sent
    assert not second.sent

    # The leader dies: its lease is gone (released here; expired in production).
    assert leader.lease.release()
    sent_before = len(first.sent)
    run_for(standby, clock, 120)
    assert second.sent
    assert len(first.sent) == sent_before


def test_each_job_fires_once_per_interval(client: fakeredis.FakeRedis) -> None:
    clock = ManualClock()
    recorder = Recorder()
    scheduler = Scheduler(ScheduleStore(client), Fleet(1), recorder, clock, CADENCE, instance_id="a")

    run_for(scheduler, clock, 3600 * 2, step_s=5)

    kinds = Counter(entry[0] for entry in recorder.sent)
    # Two hours: the first slot falls inside the first interval, then one per interval.
    assert kinds["poll"] in (119, 120)
    assert kinds["incremental"] in (23, 24)
    assert kinds["reconcile"] in (1, 2)


def test_a_leader_back_after_downtime_fires_a_job_once_not_once_per_missed_slot(
    client: fakeredis.FakeRedis,
) -> None:
    clock = ManualClock()
    recorder = Recorder()
    scheduler = Scheduler(ScheduleStore(client), Fleet(1), recorder, clock, CADENCE, instance_id="a")
    run_for(scheduler, clock, 120)
    recorder.sent.clear()

    clock.advance(3 * 3600)  # nobody ticked for three hours
    scheduler.tick()

    assert Counter(entry[0] for entry in recorder.sent) == {"poll": 1, "incremental": 1, "reconcile": 1}


def test_a_run_left_in_flight_is_resumed_within_the_resume_interval_not_the_incremental_one(
    client: fakeredis.FakeRedis,
) -> None:
    clock = ManualClock()
    recorder = Recorder()
    fleet = Fleet(1)
    scheduler = Scheduler(ScheduleStore(client), fleet, recorder, clock, CADENCE, instance_id="a")
    run_for(scheduler, clock, 60)
    recorder.sent.clear()

    fleet.stalled.add("tenant-0")  # e.g. its message was lost while Redis was down
    run_for(scheduler, clock, CADENCE.resume_s)

    assert recorder.sent.count(("full", "tenant-0", "tenant-0-catalog")) == 1


def test_tenants_are_spread_over_the_interval_instead_of_firing_together(client: fakeredis.FakeRedis) -> None:
    clock = ManualClock()
    recorder = Recorder()
    scheduler = Scheduler(ScheduleStore(client), Fleet(200), recorder, clock, CADENCE, instance_id="a")

    first_poll_at: dict[str, int] = {}
    for second in range(121):
        scheduler.tick()
        for entry in recorder.sent:
            if entry[0] == "poll":
                first_poll_at.setdefault(entry[1], second)
        recorder.sent.clear()
        clock.advance(1)

    assert len(first_poll_at) == 200
    per_second = Counter(first_poll_at.values())
    # 200 tenants over a 60 s interval: about 3 a second, never a thundering herd.
    assert max(per_second.values()) <= 15
    assert len(per_second) >= 40


class FlakyRedis(fakeredis.FakeRedis):
    """A Redis that refuses a few commands, as during an outage."""

    failures = 0

    def hmget(self, *args: object, **kwargs: object) -> object:
        if FlakyRedis.failures:
            FlakyRedis.failures -= 1
            raise redis.ConnectionError("Connection refused")
        return super().hmget(*args, **kwargs)  # type: ignore[arg-type]


def test_a_redis_outage_does_not_end_the_scheduler_it_carries_on_when_redis_returns() -> None:
    clock = ManualClock()
    recorder = Recorder()
    FlakyRedis.failures = 5
    scheduler = Scheduler(ScheduleStore(FlakyRedis()), Fleet(1), recorder, clock, CADENCE, instance_id="a")
    ticks = iter(range(200))

    scheduler.run(lambda: next(ticks, None) is None, tick_s=1)

    assert FlakyRedis.failures == 0
    assert ("poll", "tenant-0") in recorder.sent
