"""Fleet: 50 tenants x 2 catalogs on one Redis, 2 worker processes; throughput and fairness.

    python bench/fleet.py [--quick]

One `akeneo-sync emulator` process stands in for every tenant's PIM (each tenant has its own app
token and two catalogs over 2,000 generated products; quick: 8 tenants, 400 products), with 50 ms
latency per call and fair use enforced. Since one emulator is one PIM "instance", its
instance-wide limits (10 concurrent calls, 100 req/s) bind the whole fleet here, where 50 real
PIMs would not: the figure is a floor.
`akeneo-sync worker --processes 2 --threads 4` runs as a subprocess on the real Redis (DB 6),
target `null:`. Every catalog gets a full sync enqueued at t0; the report gives the total
throughput and the spread of per-tenant completion times (both catalogs done).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from _common import (
    FAIR_USE,
    REDIS_DBS,
    START_TIMEOUT_S,
    EmulatorProcess,
    create_catalog,
    emulator_process,
    free_port,
    header,
    load,
    quick_mode,
    redis_db,
    redis_url,
    row,
)
from cryptography.fernet import Fernet

from akeneo_sync.clock import SystemClock
from akeneo_sync.state import CatalogStatus, StateStore, StoredToken, TokenCipher
from akeneo_sync.worker.broker import DEFAULT_QUEUE, build_broker
from akeneo_sync.worker.embedded import bind_actors
from akeneo_sync.worker.queues import queue_depths

LATENCY_S = 0.05
FINISH_TIMEOUT_S = 1800.0  # a bounded wait for real processes to finish, not a test sleep
POLL_S = 0.25


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "akeneo_sync", "worker", "--processes", "2", "--threads", "4"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@dataclass(frozen=True, slots=True)
class Fleet:
    state: StateStore
    catalogs: dict[str, list[str]]
    key: str


def seed_tenants(pim: EmulatorProcess, client: redis.Redis, tenants: int) -> Fleet:
    """`tenants` apps with their own token and two enabled catalogs each, stored as the worker expects."""
    key = Fernet.generate_key().decode()
    state = StateStore(client, cipher=TokenCipher(key), clock=SystemClock())
    catalogs: dict[str, list[str]] = {}
    for number in range(tenants):
        tenant = f"tenant-{number:02d}"
        first = create_catalog(pim.base_url, pim.admin, name=f"{tenant} EU", client_id=tenant)
        second = create_catalog(pim.base_url, pim.admin, name=f"{tenant} US", client_id=tenant)
        state.tenants.save(tenant, pim_url=pim.base_url, token=StoredToken(access_token=first.token))
        for catalog in (first, second):
            state.catalogs.upsert(tenant, catalog.catalog_id, name=tenant, enabled=True)
        catalogs[tenant] = [first.catalog_id, second.catalog_id]
    return Fleet(state, catalogs, key)


def wait_until_consuming(client: redis.Redis, worker: subprocess.Popen[bytes]) -> float:
    """Send a no-op message and wait (bounded) until a worker took it: boot time is not sync time."""
    from akeneo_sync.worker import actors

    started = time.monotonic()
    actors.poll_catalogs.send("no-such-tenant")
    while queue_depths(client, [DEFAULT_QUEUE])[DEFAULT_QUEUE] > 0:
        if worker.poll() is not None or time.monotonic() - started > START_TIMEOUT_S:
            raise RuntimeError("the worker did not start consuming")
        time.sleep(0.05)
    return time.monotonic() - started


def completion_times(fleet: Fleet, worker: subprocess.Popen[bytes], log: Path) -> tuple[dict[str, float], int]:
    """Enqueue every full sync at t0; seconds until each tenant's two catalogs are done, and products."""
    from akeneo_sync.worker import actors

    started = time.monotonic()
    for tenant, ids in fleet.catalogs.items():
        for catalog_id in ids:
            actors.sync_catalog.send(tenant, catalog_id, "full")
    done: dict[str, float] = {}
    upserted = 0
    while len(done) < len(fleet.catalogs):
        if time.monotonic() - started > FINISH_TIMEOUT_S or worker.poll() is not None:
            raise RuntimeError(
                f"{len(fleet.catalogs) - len(done)} tenants unfinished; worker log tail:\n{log.read_text()[-3000:]}"
            )
        for tenant, ids in fleet.catalogs.items():
            records = [fleet.state.catalogs.get(tenant, catalog_id) for catalog_id in ids]
            if tenant not in done and all(
                r is not None and r.last_outcome == "success" and r.status is CatalogStatus.IDLE for r in records
            ):
                done[tenant] = time.monotonic() - started
                upserted += sum(r.counts.get("upserted", 0) for r in records if r is not None)
        time.sleep(POLL_S)
    return done, upserted


def main() -> int:
    quick = quick_mode()
    tenants = 8 if quick else 50
    products = 400 if quick else 2_000
    header(f"fleet, {tenants} tenants x 2 catalogs, {products:,}-product PIM, 2 worker processes", quick)
    db = REDIS_DBS[0]
    with emulator_process(products) as pim, redis_db(db) as client, tempfile.TemporaryDirectory() as tmp:
        fleet = seed_tenants(pim, client, tenants)
        pim.call("PUT", "/_emulator/faults", json={"latency_s": LATENCY_S})
        pim.call("PUT", "/_emulator/fair-use", json=FAIR_USE)
        env = {
            **os.environ,
            "AKENEO_SYNC_REDIS_URL": redis_url(db),
            "AKENEO_SYNC_ENCRYPTION_KEY": fleet.key,
            "AKENEO_SYNC_TARGET_URL": "null:",
            "AKENEO_SYNC_ALLOW_PRIVATE_PIM": "true",
            "AKENEO_SYNC_METRICS_PORT": str(free_port()),
            "AKENEO_SYNC_LOG_LEVEL": "WARNING",
            "PROMETHEUS_MULTIPROC_DIR": str(Path(tmp) / "metrics"),
        }
        bind_actors(build_broker(client))
        log = Path(tmp) / "worker.log"
        worker = start_worker(env, log)
        try:
            boot_s = wait_until_consuming(client, worker)
            pim.call("POST", "/_emulator/stats/reset")
            done, total = completion_times(fleet, worker, log)
        except RuntimeError as exc:
            print(f"INCOMPLETE: {exc}")
            return 1
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=90)
        stats = pim.stats()
    total_s = max(done.values())
    times = sorted(done.values())
    median = statistics.median(times)
    row("worker boot (excluded)", f"{boot_s:.1f} s")
    row("products synced", f"{total:,} in {total_s:.1f} s: {total / total_s:,.0f} products/s (load {load()})")
    row(
        "per-tenant completion min/median/max",
        f"{times[0]:.1f} / {median:.1f} / {times[-1]:.1f} s (max/median {times[-1] / median:.2f})",
    )
    row("PIM requests / 429s", f"{stats['requests']:,} / {stats['throttled']}")
    row(
        "PIM max concurrent: per token / instance",
        f"{max(stats['max_concurrent_per_token'].values(), default=0)} / {stats.get('max_concurrent_total', 'n/a')}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
