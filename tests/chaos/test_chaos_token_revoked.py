"""Revoke the app's token in the middle of a sync: one 401 ends the tenant's work, with no retry storm.

The emulator's request log orders every call of the token by arrival and answer, so "after the
401" is exact: a request that arrived once the first 401 had been answered. At most one may (the
page the engine prefetches while it pushes the previous one).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from chaos_harness import (
    CHAOS_DB,
    SyncProbe,
    WorkerProcess,
    broker_backlog,
    enqueue_sync,
    free_port,
    scrape,
    serve_emulator,
    total,
    wait_until,
    worker_env,
)

from akeneo_sync.state import StateStore, StoredToken, TenantStatus
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

PRODUCTS = 10_000
TENANT = "chaos-revoked"


def test_a_token_revoked_mid_sync_disconnects_the_tenant_after_at_most_one_more_request_and_no_retry(
    tmp_path: Path, chaos_redis: redis.Redis, state: StateStore, encryption_key: str, workers: list[WorkerProcess]
) -> None:
    log = tmp_path / "worker.log"
    metrics_port = free_port()
    with serve_emulator(PRODUCTS, seed=13) as pim:
        token, catalog = pim.new_catalog("chaos-revoked")
        pim.call("PUT", "/_emulator/faults", json={"latency_s": 0.02})
        state.tenants.save(TENANT, pim_url=pim.base_url, token=StoredToken(access_token=token))
        state.catalogs.upsert(TENANT, catalog, name="Chaos", enabled=True)
        env = worker_env(
            tmp_path,
            redis_url=f"redis://127.0.0.1:{TEST_REDIS_PORT}/{CHAOS_DB}",
            encryption_key=encryption_key,
            target_url=f"sqlite:///{tmp_path / 'target.db'}",
            metrics_port=metrics_port,
        )
        probe = SyncProbe(state, TENANT, catalog)
        enqueue_sync(chaos_redis, TENANT, catalog)
        worker = WorkerProcess(env, log)
        workers.append(worker)
        try:
            wait_until(lambda: probe.pages() >= 5, timeout_s=60.0, what="the sync to be under way", log=log)
            pim.call("POST", "/_emulator/tokens/revoke", json={"access_token": token})

            def disconnected() -> bool:
                tenant = state.tenants.get(TENANT)
                return tenant is not None and tenant.status is TenantStatus.DISCONNECTED

            wait_until(disconnected, timeout_s=60.0, what="the tenant to be disconnected", log=log)
            wait_until(
                lambda: not any(broker_backlog(chaos_redis).values()),
                timeout_s=30.0,
                what="the sync message to be acknowledged",
                log=log,
            )
            metrics = scrape(metrics_port)
        finally:
            worker.stop()
        backlog = broker_backlog(chaos_redis)
        in_flight = pim.call("GET", "/_emulator/stats")["in_flight"]
        calls = [entry for entry in pim.log.snapshot() if entry.token == token[:8]]

    unauthorized = [entry for entry in calls if entry.status == 401]
    assert unauthorized, "the revoked token was never refused"
    first_401_answered = min(entry.answered_seq for entry in unauthorized)
    after = [entry for entry in calls if entry.seq > first_401_answered]
    retries = total(metrics, "dramatiq_message_retries_total")
    revoked = total(metrics, "akeneo_sync_tenants_revoked_total")
    pages_at_end = probe.pages()
    print(
        f"\n[chaos token revoked] {len(calls)} calls with the token, {len(unauthorized)} answered 401, "
        f"{len(after)} sent after the first 401 was answered; tenant disconnected at page {pages_at_end}; "
        f"tenants_revoked_total {revoked:.0f}; dramatiq retries {retries:.0f}; broker backlog after stop "
        f"{backlog}; PIM in flight {in_flight}"
    )
    assert len(after) <= 1, [(e.url, e.status) for e in after]
    assert revoked == 1
    assert retries == 0, "the revoked tenant's message was retried"
    assert backlog == {"ready": 0, "delayed": 0, "dead": 0, "unacked": 0}
    assert in_flight == {}
