"""Crash the broker and state store (our own `redis-server`) mid-sync, start it again: the run completes.

The server runs with `--appendonly yes --appendfsync always` and no RDB snapshots: a Redis that
loses acknowledged writes on a crash would lose the queue itself, which no worker can make up for;
what is tested is that the worker survives Redis going away and coming back with its data.
It is SIGKILLed (no shutdown save), so only what the AOF holds survives, as in a node failure.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from chaos_harness import (
    FULL,
    Compared,
    RedisServer,
    SchedulerProcess,
    SyncProbe,
    WorkerProcess,
    broker_backlog,
    enqueue_sync,
    pages_of,
    poll_until,
    serve_emulator,
    wait_until,
    worker_env,
)

from akeneo_sync.clock import SystemClock
from akeneo_sync.state import StateStore, StoredToken, TokenCipher
from akeneo_sync.targets.sqlite import SqliteTarget

pytestmark = pytest.mark.integration

PRODUCTS = 20_000 if FULL else 5_000
DOWN_S = 10.0 if FULL else 3.0
TENANT = "chaos-redis"
FINISH_TIMEOUT_S = 300.0 if FULL else 120.0
# Resumed by dramatiq's retry (2-4 s), or, when Redis lost that retry, by the scheduler's sweep (every
# 2 s here) once the dead run's lock (2 s TTL) has expired: 30 s is generous.
RESUME_TIMEOUT_S = 30.0


def test_a_sync_survives_redis_crashing_and_restarting_mid_run(
    tmp_path: Path, encryption_key: str, workers: list[WorkerProcess]
) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    client = redis.Redis.from_url(server.url, socket_timeout=5.0)
    state = StateStore(client, cipher=TokenCipher(encryption_key), clock=SystemClock())
    database = tmp_path / "target.db"
    log = tmp_path / "worker.log"
    scheduler: SchedulerProcess | None = None
    try:
        with serve_emulator(PRODUCTS, seed=11) as pim:
            token, catalog = pim.new_catalog("chaos-redis")
            pim.call("PUT", "/_emulator/faults", json={"latency_s": 0.01})
            state.tenants.save(TENANT, pim_url=pim.base_url, token=StoredToken(access_token=token))
            state.catalogs.upsert(TENANT, catalog, name="Chaos", enabled=True)
            probe = SyncProbe(state, TENANT, catalog)
            enqueue_sync(client, TENANT, catalog)
            worker = WorkerProcess(
                worker_env(
                    tmp_path, redis_url=server.url, encryption_key=encryption_key, target_url=f"sqlite:///{database}"
                ),
                log,
            )
            workers.append(worker)
            # As deployed: the scheduler runs beside the workers; its sweep resumes runs whose
            # message was lost (dramatiq cannot enqueue a retry while Redis is down, and the
            # message is then acked once Redis returns).
            scheduler = SchedulerProcess(
                worker_env(
                    tmp_path, redis_url=server.url, encryption_key=encryption_key, target_url=f"sqlite:///{database}"
                ),
                tmp_path / "scheduler.log",
            )
            crash_at = pages_of(PRODUCTS) // 3
            wait_until(lambda: probe.pages() >= crash_at, timeout_s=90.0, what=f"page {crash_at}", log=log)
            server.crash()
            crashed = time.monotonic()
            # Redis stays down for a while (a real outage, measured on the wall clock of real processes).
            wait_until(lambda: time.monotonic() - crashed >= DOWN_S, timeout_s=DOWN_S + 5, what="the outage")
            server.start()
            restarted = time.monotonic()
            pages_after_restart = probe.pages()
            resumed_s = poll_until(
                lambda: probe.pages() > pages_after_restart or probe.finished(), timeout_s=RESUME_TIMEOUT_S
            )
            lost_retry = ""
            if resumed_s is None:
                lost_retry = (
                    f"checkpoint still at page {probe.pages()}, broker {broker_backlog(client)} (no "
                    f"message left to resume it); worker log: {retry_lost_evidence(log)}"
                )
                # What the scheduler's next incremental tick would do: it resumes the checkpoint. The
                # data path is still checked, so the failure below is only about the lost message.
                enqueue_sync(client, TENANT, catalog, "incremental")
            wait_until(probe.finished, timeout_s=FINISH_TIMEOUT_S, what="the sync to finish", log=log)
            finished_after_s = time.monotonic() - restarted
            worker.stop()
            worker_exit = worker.process.returncode
            expected = pim.expected(catalog)
            target = SqliteTarget(f"sqlite:///{database}")
            compared = Compared.of(expected, target.products(TENANT, catalog))
            target.close()
    finally:
        for running in workers:
            running.stop()
        if scheduler is not None:
            scheduler.stop()
        client.close()
        server.stop()

    resumed = "never by itself (resumed by a new trigger)" if resumed_s is None else f"after {resumed_s:.1f} s"
    print(
        f"\n[chaos redis] redis SIGKILLed at page {crash_at}/{pages_of(len(expected))}, down {DOWN_S:.0f} s; "
        f"after restart at page {pages_after_restart}: sync moving again {resumed}, finished "
        f"{finished_after_s:.1f} s after restart; worker exit {worker_exit}; {compared}"
    )
    assert compared.exact, str(compared)
    assert resumed_s is not None, (
        f"the run never resumed by itself within {RESUME_TIMEOUT_S:.0f} s of Redis returning: {lost_retry}"
    )


def retry_lost_evidence(log: Path) -> list[str]:
    """The worker's log lines that say dramatiq could not enqueue the failed message's retry."""
    wanted = ("Failed to process message", "Unexpected failure in after_process_message")
    return [
        line[:200]
        for line in log.read_text(errors="replace").splitlines()
        if line.startswith("20") and any(marker in line for marker in wanted)
    ][:4]
