"""The HTTP target goes away mid-sync (connections refused) and comes back: nothing is lost.

The platform is a small HTTP server in the test that checks every batch's HMAC signature and
applies it; "down" closes its listening socket for `DOWN_S` seconds of wall-clock time (real
processes, a real outage), then it listens again on the same port. While it is down the worker's
HTTP target retries, gives up, the run fails with a retryable error and dramatiq retries it; the
run must pick up from its checkpoint once the platform answers again.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from chaos_harness import (
    CHAOS_DB,
    FULL,
    Compared,
    RecordingTarget,
    SyncProbe,
    WorkerProcess,
    enqueue_sync,
    pages_of,
    serve_emulator,
    wait_until,
    worker_env,
)

from akeneo_sync.state import StateStore, StoredToken
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

PRODUCTS = 20_000 if FULL else 5_000
DOWN_S = 30.0 if FULL else 5.0
TENANT = "chaos-target"
SECRET = "chaos-target-secret-0123456789"
# Worst case after the platform returns: the HTTP target's own retries (~15 s) and dramatiq's
# backoff of a run that failed several times (2 s * 2^retries * U(1, 2)).
RESUME_TIMEOUT_S = 180.0 if FULL else 60.0


def test_a_sync_loses_nothing_while_the_target_is_down_and_resumes_when_it_returns(
    tmp_path: Path, chaos_redis: redis.Redis, state: StateStore, encryption_key: str, workers: list[WorkerProcess]
) -> None:
    log = tmp_path / "worker.log"
    platform = RecordingTarget(SECRET)
    platform.start()
    with serve_emulator(PRODUCTS, seed=17) as pim:
        token, catalog = pim.new_catalog("chaos-target")
        pim.call("PUT", "/_emulator/faults", json={"latency_s": 0.01})
        state.tenants.save(TENANT, pim_url=pim.base_url, token=StoredToken(access_token=token))
        state.catalogs.upsert(TENANT, catalog, name="Chaos", enabled=True)
        env = worker_env(
            tmp_path,
            redis_url=f"redis://127.0.0.1:{TEST_REDIS_PORT}/{CHAOS_DB}",
            encryption_key=encryption_key,
            target_url=platform.url,
            extra={"AKENEO_SYNC_TARGET_SECRET": SECRET},
        )
        probe = SyncProbe(state, TENANT, catalog)
        enqueue_sync(chaos_redis, TENANT, catalog)
        worker = WorkerProcess(env, log)
        workers.append(worker)
        try:
            down_at = pages_of(PRODUCTS) // 3
            wait_until(lambda: probe.pages() >= down_at, timeout_s=60.0, what=f"page {down_at}", log=log)
            stopping = time.monotonic()
            platform.stop()
            went_down = time.monotonic()
            pages_when_down = probe.pages()
            wait_until(lambda: time.monotonic() - went_down >= DOWN_S, timeout_s=DOWN_S + 5, what="the outage")
            pages_while_down = probe.pages() - pages_when_down
            # A batch the platform applied while it was shutting down was delivered: its page may
            # be checkpointed after `pages_when_down` was read. Nothing else may be.
            delivered_while_stopping = platform.batches_since(stopping)
            platform.start()
            back = time.monotonic()
            wait_until(
                lambda: platform.batches_since(back) > 0,
                timeout_s=RESUME_TIMEOUT_S,
                what="the first batch after the platform returned",
                log=log,
            )
            first = platform.first_batch_after(back)
            finished_s = wait_until(probe.finished, timeout_s=RESUME_TIMEOUT_S, what="the sync to finish", log=log)
        finally:
            worker.stop()
            platform.stop()
        expected = pim.expected(catalog)

    compared = Compared.of(expected, platform.products())
    resumed_after = (first or back) - back
    resent = sum(count - 1 for count in platform.keys.values())
    print(
        f"\n[chaos target down] platform down {DOWN_S:.0f} s from page {pages_when_down} "
        f"({pages_while_down} pages checkpointed while down, {delivered_while_stopping} delivered while it stopped); "
        f"first batch {resumed_after:.1f} s after it "
        f"returned; finished {resumed_after + finished_s:.1f} s after; {len(platform.keys)} batches, "
        f"{resent} re-sent under the same Idempotency-Key; bad signatures {platform.bad_signatures}; {compared}"
    )
    assert pages_while_down <= delivered_while_stopping, "a page was checkpointed although its batch was not delivered"
    assert platform.bad_signatures == 0
    assert compared.exact, str(compared)
