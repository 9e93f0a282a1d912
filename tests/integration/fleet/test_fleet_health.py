"""Catalog and tenant health come from Redis, exported by the scheduler leader alone.

After a rollout the workers' memory is gone; these series are not: they are read from the state
store, so every catalog has them again within one collector interval of the new scheduler
leading, whether or not any worker ran since (none runs here).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dramatiq
import httpx
import redis
from cryptography.fernet import Fernet
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore, TokenCipher
from akeneo_sync.state.catalogs import CatalogStatus
from akeneo_sync.state.deadletters import NewDeadLetter
from akeneo_sync.state.tenants import StoredToken, TenantStatus
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.fleet import Backlog, FleetCollector, FleetRefresher, read_backlog, read_fleet
from redis_server import TEST_REDIS_PORT

HOUR = 3600.0
REDIS_URL = f"redis://127.0.0.1:{TEST_REDIS_PORT}/13"  # conftest's FLEET_DB
NOW = 1_800_000_000.0
# Every (tenant, catalog) seeded below; the deleted catalog must not be exported.
CATALOGS = {("t1", "fresh"), ("t1", "stuck"), ("t1", "off"), ("t1", "new"), ("t2", "c")}


def _seed(state: StateStore, clock: ManualClock, now: float = NOW) -> None:
    """What workers and the web side leave in Redis: two tenants, catalogs in every situation.
    `clock` starts before `now - 3h` and ends at `now`."""
    state.tenants.save("t1", pim_url="https://t1.example.com", token=StoredToken("a"))
    state.tenants.save("t2", pim_url="https://t2.example.com", token=StoredToken("b"))
    state.tenants.set_status("t2", TenantStatus.DISCONNECTED)

    def run(catalog: str, tenant: str, *, outcome: str, watermark: float | None, at: float) -> None:
        clock.advance(at - clock.now())
        pipe = state.transaction()
        state.catalogs.stage_run_result(
            pipe,
            tenant,
            catalog,
            run_id="r",
            outcome=outcome,
            status=CatalogStatus.IDLE,
            counts={},
            watermark=watermark,
        )
        state.commit(pipe)

    run("stuck", "t1", outcome="success", watermark=now - 3 * HOUR, at=now - 3 * HOUR + 60)
    run("stuck", "t1", outcome="failed", watermark=None, at=now - 600)  # failing since: no new watermark
    run("fresh", "t1", outcome="success", watermark=now - 120, at=now - 60)
    state.catalogs.set_status("t1", "stuck", CatalogStatus.FAILED)
    run("c", "t2", outcome="success", watermark=now - 200, at=now - 50)
    state.catalogs.upsert("t1", "off", name="Off", enabled=False)
    state.catalogs.set_status("t1", "off", CatalogStatus.DISABLED, enabled=False)
    state.catalogs.upsert("t1", "new", name="New", enabled=True)
    state.catalogs.set_status("t1", "new", CatalogStatus.RUNNING)
    state.catalogs.upsert("t1", "gone", name="Gone", enabled=False)
    state.catalogs.set_status("t1", "gone", CatalogStatus.DELETED)
    for _ in range(2):
        state.dead_letters.add("t1", NewDeadLetter(catalog="fresh", reason="invalid", detail="x", payload={}))
    clock.advance(now - clock.now())


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_the_snapshot_reads_every_catalog_and_tenant_from_redis(state: StateStore, clock: ManualClock) -> None:
    _seed(state, clock)
    registry = CollectorRegistry()
    collector = FleetCollector()
    registry.register(collector)
    collector.update(leader=True, snapshot=read_fleet(state, clock, ["default"]))
    get = registry.get_sample_value

    assert get("akeneo_sync_scheduler_leader") == 1
    for tenant, catalog in CATALOGS:
        assert get("akeneo_sync_fleet_catalog_enabled", {"tenant": tenant, "catalog": catalog}) is not None
    assert get("akeneo_sync_fleet_catalog_enabled", {"tenant": "t1", "catalog": "gone"}) is None
    assert get("akeneo_sync_fleet_catalog_enabled", {"tenant": "t1", "catalog": "off"}) == 0
    assert get("akeneo_sync_fleet_catalog_state", {"tenant": "t1", "catalog": "stuck", "state": "failed"}) == 1
    assert get("akeneo_sync_fleet_catalog_state", {"tenant": "t1", "catalog": "stuck", "state": "idle"}) == 0
    assert get("akeneo_sync_fleet_catalog_lag_seconds", {"tenant": "t1", "catalog": "stuck"}) == 3 * HOUR
    assert get("akeneo_sync_fleet_catalog_lag_seconds", {"tenant": "t1", "catalog": "fresh"}) == 120
    # Never synced: no lag yet (its state says it runs), and no success.
    assert get("akeneo_sync_fleet_catalog_lag_seconds", {"tenant": "t1", "catalog": "new"}) is None
    assert get("akeneo_sync_fleet_catalog_last_success_timestamp_seconds", {"tenant": "t1", "catalog": "new"}) == 0
    # The failed run after the success does not move the last success.
    stuck_success = get(
        "akeneo_sync_fleet_catalog_last_success_timestamp_seconds", {"tenant": "t1", "catalog": "stuck"}
    )
    assert stuck_success == NOW - 3 * HOUR + 60
    assert get("akeneo_sync_fleet_tenant_connected", {"tenant": "t1"}) == 1
    assert get("akeneo_sync_fleet_tenant_connected", {"tenant": "t2"}) == 0
    assert get("akeneo_sync_fleet_dead_letters", {"tenant": "t1"}) == 2
    assert get("akeneo_sync_fleet_backlog_messages", {"state": "ready"}) == 0


def test_a_standby_exports_only_its_leader_gauge(state: StateStore, clock: ManualClock) -> None:
    _seed(state, clock)
    registry = CollectorRegistry()
    collector = FleetCollector()
    registry.register(collector)
    reads: list[float] = []

    def read() -> object:
        reads.append(clock.now())
        return read_fleet(state, clock, ["default"])

    refresher = FleetRefresher(collector, read, clock, interval_s=15)  # type: ignore[arg-type]
    refresher.tick(leader=True)
    clock.advance(5)
    refresher.tick(leader=True)
    assert len(reads) == 1  # not due yet: the same snapshot is served
    assert registry.get_sample_value("akeneo_sync_fleet_catalog_enabled", {"tenant": "t1", "catalog": "fresh"}) == 1

    refresher.tick(leader=False)
    assert registry.get_sample_value("akeneo_sync_scheduler_leader") == 0
    assert registry.get_sample_value("akeneo_sync_fleet_catalog_enabled", {"tenant": "t1", "catalog": "fresh"}) is None
    refresher.tick(leader=True)  # leading again: read at once, not one interval later
    assert len(reads) == 2


def test_the_backlog_counts_ready_delayed_and_in_flight_messages(real_redis: redis.Redis) -> None:
    broker = build_broker(real_redis)

    @dramatiq.actor(broker=broker, queue_name="default")
    def job(n: int) -> None:
        """A message to count; never run here."""

    for n in range(5):
        job.send(n)
    job.send_with_options(args=(99,), delay=3_600_000)
    assert read_backlog(real_redis, ["default"]) == Backlog(ready=5, delayed=1, in_flight=0)

    # A worker's consumer prefetches: the messages leave the list for its ack set, still work.
    consumer = broker.consume("default", prefetch=3, timeout=1000)
    message = next(consumer)
    assert message is not None
    assert read_backlog(real_redis, ["default"]) == Backlog(ready=2, delayed=1, in_flight=3)
    consumer.ack(message)
    assert read_backlog(real_redis, ["default"]) == Backlog(ready=2, delayed=1, in_flight=2)
    consumer.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_scheduler(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "akeneo_sync", "scheduler", "--fleet-interval", "2", "--metrics-port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _serving(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _catalogs_exported(port: int) -> set[tuple[str, str]]:
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return set()
    return {
        (dict(labels)["tenant"], dict(labels)["catalog"])
        for (name, labels), _ in _samples(text).items()
        if name == "akeneo_sync_fleet_catalog_last_success_timestamp_seconds"
    }


def test_after_a_rollout_every_catalog_has_its_series_within_one_interval(
    state: StateStore, clock: ManualClock, cipher: TokenCipher, tmp_path: Path
) -> None:
    # Real time here: the scheduler process reads the system clock.
    now = time.time()
    clock = ManualClock(start=now - 4 * HOUR)
    _seed(StateStore(state.redis, cipher=cipher, clock=clock), clock, now)
    key = Fernet.generate_key().decode()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AKENEO_SYNC_", "PROMETHEUS_", "dramatiq_"))},
        "AKENEO_SYNC_REDIS_URL": REDIS_URL,
        "AKENEO_SYNC_ENCRYPTION_KEY": key,
        "AKENEO_SYNC_LOG_LEVEL": "WARNING",
    }
    interval_s, tick_s = 2.0, 1.0
    for generation in range(2):  # the first pods, then their replacements
        port = _free_port()
        proc = _start_scheduler(env, port, tmp_path / "scheduler.log")
        try:
            deadline = time.monotonic() + 30
            while not _serving(port):
                assert proc.poll() is None, (tmp_path / "scheduler.log").read_text()
                assert time.monotonic() < deadline, "the scheduler never served its metrics"
                time.sleep(0.1)
            # From its first answer on, the series must come within one interval (and one tick).
            serving_at = time.monotonic()
            while _catalogs_exported(port) != CATALOGS:
                waited = time.monotonic() - serving_at
                assert waited <= interval_s + tick_s, (generation, _catalogs_exported(port))
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)  # a rollout: the pod is told to stop
            assert proc.wait(timeout=30) == 0


def test_without_tenant_labels_two_tenants_catalogs_merge_into_the_worse(state: StateStore, clock: ManualClock) -> None:
    # METRICS_TENANT_LABELS=false: every tenant reads `_all`; a catalog id shared by two tenants
    # is one series, showing the one further behind (an alert must not be hidden by the other).
    state.tenants.save("t1", pim_url="https://t1.example.com", token=StoredToken("a"))
    state.tenants.save("t2", pim_url="https://t2.example.com", token=StoredToken("b"))
    for tenant, watermark in (("t1", NOW - 100), ("t2", NOW - 5000)):
        pipe = state.transaction()
        state.catalogs.stage_run_result(
            pipe,
            tenant,
            "shared",
            run_id="r",
            outcome="success",
            status=CatalogStatus.IDLE,
            counts={},
            watermark=watermark,
        )
        state.commit(pipe)
    clock.advance(NOW - clock.now())
    registry = CollectorRegistry()
    collector = FleetCollector(lambda _tenant: "_all")
    registry.register(collector)
    collector.update(leader=True, snapshot=read_fleet(state, clock, ["default"]))

    labels = {"tenant": "_all", "catalog": "shared"}
    assert registry.get_sample_value("akeneo_sync_fleet_catalog_lag_seconds", labels) == 5000
    assert registry.get_sample_value("akeneo_sync_fleet_tenant_connected", {"tenant": "_all"}) == 1
