"""SIGKILL workers pushing to the HTTP target: a batch re-sent after a crash carries the same key.

The README's wire format promises `Idempotency-Key: <run>:<page>`, "a batch re-sent after a
crash carries the same key", which is what lets a platform drop the duplicate. The platform in
the test records, for every key, the exact bodies it carried, and for every body, its keys.

A kill can land while a batch is on the wire: the platform then sees a body shorter than its
`Content-Length`. What the product guarantees is that such a request is never a batch a receiver
could apply (it fails the length check, and its signature covers the whole body), and that every
complete request is correctly signed: the test asserts both, not whether a kill happened to cut one.
"""

from __future__ import annotations

import random
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
KILLS = 8 if FULL else 3
TENANT = "chaos-http-kill"
SECRET = "chaos-http-kill-secret-0123456789"
PAGE_WINDOW_S = 0.06
FINISH_TIMEOUT_S = 300.0 if FULL else 120.0


def test_batches_re_sent_after_kills_keep_their_idempotency_key_and_the_platform_ends_exact(
    tmp_path: Path, chaos_redis: redis.Redis, state: StateStore, encryption_key: str, workers: list[WorkerProcess]
) -> None:
    rng = random.Random(KILLS * 31)
    log = tmp_path / "worker.log"
    platform = RecordingTarget(SECRET)
    platform.start()
    most_pages_per_trial = max(1, (pages_of(PRODUCTS) - 5) // KILLS)
    try:
        with serve_emulator(PRODUCTS, seed=19) as pim:
            token, catalog = pim.new_catalog("chaos-http-kill")
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
            kills: list[int] = []
            for _ in range(KILLS):
                worker = WorkerProcess(env, log)
                workers.append(worker)
                goal = probe.pages() + rng.randint(1, most_pages_per_trial)
                wait_until(
                    lambda goal=goal: probe.pages() >= goal or probe.finished(),
                    timeout_s=90.0,
                    what=f"the sync to reach page {goal}",
                    log=log,
                )
                time.sleep(rng.uniform(0.0, PAGE_WINDOW_S))  # anywhere in the next page's fetch and push
                worker.kill()
                kills.append(probe.pages())
                if probe.finished():
                    break
            worker = WorkerProcess(env, log)
            workers.append(worker)
            wait_until(probe.finished, timeout_s=FINISH_TIMEOUT_S, what="the sync to finish", log=log)
            worker.stop()
            expected = pim.expected(catalog)
    finally:
        platform.stop()

    compared = Compared.of(expected, platform.products())
    resent = {key: count for key, count in platform.keys.items() if count > 1}
    key_reused = {key: len(bodies) for key, bodies in platform.batches_by_key.items() if len(bodies) > 1}
    rekeyed = {body[:12]: sorted(keys) for body, keys in platform.keys_by_batch.items() if len(keys) > 1}
    print(
        f"\n[chaos http kill] {len(kills)} SIGKILLs at pages {kills}; {len(platform.keys)} keys, "
        f"{sum(platform.keys.values())} deliveries; re-sent under the same key: {len(resent)}; "
        f"a key carrying different batches: {len(key_reused)}; the same batch under several keys: "
        f"{len(rekeyed)}; bad signatures {platform.bad_signatures}; cut by a kill {platform.truncated}; {compared}"
    )
    assert len(kills) == KILLS, "the sync finished before every kill landed"
    assert compared.exact, str(compared)
    assert platform.bad_signatures == 0, "a complete request carried a signature that does not match its body"
    # One pushing thread per worker: a kill cuts at most the one request it was writing.
    assert platform.truncated <= len(kills)
    assert key_reused == {}, "one Idempotency-Key carried two different batches"
    assert rekeyed == {}, f"a batch re-sent after a crash came under a new key: {rekeyed}"
