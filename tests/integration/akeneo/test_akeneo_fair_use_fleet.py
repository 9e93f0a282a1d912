"""Fleet-wide fair use, end to end: two worker processes, one Redis, one PIM that counts.

The emulator (real clock, fair use enforced) measures the concurrency it sees per token; the
two processes' clients share a Redis limiter of 2 concurrent calls for that token.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

LIMIT = 2
WORKER = textwrap.dedent(
    """
    import random, sys, threading
    import redis
    from akeneo_sync.akeneo import AkeneoClient, AppTokenProvider, FairUsePolicy, FleetFairUseLimiter
    from akeneo_sync.akeneo.http import build_http_client
    from akeneo_sync.clock import SystemClock
    from akeneo_sync.state.fairuse import RedisFairUseSlots
    from akeneo_sync.state.keys import Keys
    base_url, token, catalog, redis_url, limit, prefix = sys.argv[1:7]
    clock = SystemClock()
    policy = FairUsePolicy(max_concurrent=int(limit), max_per_s=500, burst=50, poll_s=0.005)
    slots = RedisFairUseSlots(redis.Redis.from_url(redis_url), Keys(prefix), pim_url=base_url, connection="tenant-x")
    limiter = FleetFairUseLimiter(slots, policy=policy, clock=clock)
    with build_http_client(timeout_s=10) as http:
        client = AkeneoClient(base_url, http=http, tokens=AppTokenProvider(token), limiter=limiter, clock=clock,
                              rng=random.Random(), tenant="tenant-x")
        def work():
            for _ in range(8):
                assert len(client.product_uuids_page(catalog, limit=5).items) == 5
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
    """
)


@pytest.fixture(scope="module")
def live_pim() -> Iterator[EmulatorHandle]:
    """An emulator on the real clock, so its per-second fair-use window is real."""
    with running_emulator(products=200, seed=5) as handle:
        yield handle


def test_two_processes_sharing_redis_never_exceed_the_pims_concurrency_per_token(
    live_pim: EmulatorHandle, redis_client: redis.Redis, key_prefix: str
) -> None:
    admin = live_pim.admin
    admin.post("/_emulator/reset").raise_for_status()
    token = admin.post("/_emulator/tokens", json={"client_id": "fleet-app"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    catalog = admin.post("/api/rest/v1/catalogs", json={"name": "Fleet"}, headers=headers).json()["id"]
    admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
    # Given a PIM that throttles above 2 concurrent calls per token and answers in 20 ms
    admin.put("/_emulator/fair-use", json={"max_concurrent_per_token": LIMIT, "enforce": True}).raise_for_status()
    admin.put("/_emulator/faults", json={"latency_s": 0.02}).raise_for_status()
    admin.post("/_emulator/stats/reset").raise_for_status()
    # When two processes of 4 threads each page through it with one token
    redis_url = f"redis://127.0.0.1:{TEST_REDIS_PORT}/2"
    args = [sys.executable, "-c", WORKER, live_pim.base_url, token, catalog, redis_url, str(LIMIT), key_prefix]
    with subprocess.Popen(args) as first, subprocess.Popen(args) as second:
        assert first.wait(timeout=60) == 0
        assert second.wait(timeout=60) == 0
    # Then the PIM saw at most 2 at once, never throttled, and every call got its 200
    stats: dict[str, Any] = admin.get("/_emulator/stats").json()
    assert stats["max_concurrent_per_token"] == {token[:8]: LIMIT}
    assert stats["throttled"] == 0
    assert stats["by_status"] == {"200": 2 * 4 * 8}
    admin.post("/_emulator/reset").raise_for_status()
