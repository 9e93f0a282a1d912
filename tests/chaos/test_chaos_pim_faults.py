"""A full sync through a misbehaving PIM (5xx, 429 without Retry-After, timeouts, dropped connections).

The worker is a real `akeneo-sync worker`; its metrics endpoint (prometheus multiprocess, served
by dramatiq's exposition fork) is scraped before it stops, so the 429 back-off is seen where an
operator would see it. The PIM holds a "timeout" for longer than the worker's read timeout
(`AKENEO_SYNC_PIM_TIMEOUT_S`), so the worker gives up on it as on a hung proxy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from chaos_harness import (
    CHAOS_DB,
    FULL,
    Compared,
    SyncProbe,
    WorkerProcess,
    enqueue_sync,
    free_port,
    scrape,
    serve_emulator,
    total,
    wait_until,
    worker_env,
)

from akeneo_sync.state import StateStore, StoredToken
from akeneo_sync.targets.sqlite import SqliteTarget
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

PRODUCTS = 50_000 if FULL else 3_000
TENANT = "chaos-faults"
READ_TIMEOUT_S = 1.0
FAULTS = {
    "error_rate": 0.10,
    "rate_429": 0.05,
    "retry_after_s": None,
    "timeout_rate": 0.01,
    "timeout_s": 3.0,  # longer than READ_TIMEOUT_S: the worker times out first
    "drop_rate": 0.01,
    "seed": 7,
}
FINISH_TIMEOUT_S = 900.0 if FULL else 150.0


def test_a_sync_through_the_fault_mix_completes_exactly_and_shows_its_429_backoff(
    tmp_path: Path, chaos_redis: redis.Redis, state: StateStore, encryption_key: str, workers: list[WorkerProcess]
) -> None:
    database = tmp_path / "target.db"
    log = tmp_path / "worker.log"
    metrics_port = free_port()
    with serve_emulator(PRODUCTS, seed=5) as pim:
        token, catalog = pim.new_catalog("chaos-faults")
        state.tenants.save(TENANT, pim_url=pim.base_url, token=StoredToken(access_token=token))
        state.catalogs.upsert(TENANT, catalog, name="Chaos", enabled=True)
        pim.call("POST", "/_emulator/stats/reset")
        pim.call("PUT", "/_emulator/faults", json=FAULTS)
        # One of each kind for sure, whatever the random draws of a small CI catalog give.
        pim.call(
            "POST",
            "/_emulator/faults/script",
            json={
                "path_pattern": "/mapped-products",
                "responses": [
                    {"status": 503},
                    {"status": 429},
                    {"timeout": True, "timeout_s": FAULTS["timeout_s"]},
                    {"drop": True},
                ],
            },
        )
        env = worker_env(
            tmp_path,
            redis_url=f"redis://127.0.0.1:{TEST_REDIS_PORT}/{CHAOS_DB}",
            encryption_key=encryption_key,
            target_url=f"sqlite:///{database}",
            metrics_port=metrics_port,
            extra={"AKENEO_SYNC_PIM_TIMEOUT_S": str(READ_TIMEOUT_S)},
        )
        probe = SyncProbe(state, TENANT, catalog)
        enqueue_sync(chaos_redis, TENANT, catalog)
        worker = WorkerProcess(env, log)
        workers.append(worker)
        try:
            took_s = wait_until(probe.finished, timeout_s=FINISH_TIMEOUT_S, what="the sync to finish", log=log)
            metrics = scrape(metrics_port)
        finally:
            worker.stop()
        stats = pim.call("GET", "/_emulator/stats")
        expected = pim.expected(catalog)
        target = SqliteTarget(f"sqlite:///{database}")
        compared = Compared.of(expected, target.products(TENANT, catalog))
        target.close()

    by_status = stats["by_status"]
    answered_429 = by_status.get("429", 0)
    server_errors = sum(n for code, n in by_status.items() if code.startswith("5"))
    backoff = {
        reason: metrics.get(f'akeneo_sync_backoff_seconds_total{{reason="{reason}"}}', 0.0)
        for reason in ("backoff_429", "backoff_5xx", "backoff_transport")
    }
    rate_limited = total(metrics, "akeneo_sync_rate_limited_total")
    runs_retried = total(metrics, "akeneo_sync_sync_runs_total") - 1
    print(
        f"\n[chaos pim faults] {PRODUCTS} seeded, {stats['requests']} PIM requests: {answered_429} x 429, "
        f"{server_errors} x 5xx, {by_status.get('dropped', 0)} without an answer (dropped, or held past the "
        f"worker's {READ_TIMEOUT_S:.0f} s read timeout); worker metrics: rate_limited_total {rate_limited:.0f}, "
        f"backoff_seconds_total {', '.join(f'{k} {v:.1f} s' for k, v in backoff.items())}; "
        f"extra sync runs (dramatiq retries) {runs_retried:.0f}; sync took {took_s:.1f} s; {compared}"
    )
    assert compared.exact, str(compared)
    assert answered_429 > 0, by_status
    assert server_errors > 0, by_status
    assert by_status.get("dropped", 0) > 0, by_status
    assert rate_limited == answered_429, "every 429 the PIM sent is counted once"
    assert backoff["backoff_429"] > 0, "the 429s without Retry-After were backed off"
    assert backoff["backoff_5xx"] > 0
    assert backoff["backoff_transport"] > 0
