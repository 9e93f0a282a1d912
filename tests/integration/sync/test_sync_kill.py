"""SIGKILL at random points of a full sync: every restart resumes, and the target ends exact.

A real engine process (real Redis DB 3, the emulator over HTTP, a SQLite file) is killed while it
pages, pushes or diffs; the next process resumes from the checkpoint. The products deleted and
changed in the PIM before the run must be deleted and updated downstream, with nothing lost.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.state import Slot, StateStore
from akeneo_sync.sync import SyncEngine
from akeneo_sync.targets.sqlite import SqliteTarget
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

TENANT = "tenant-emu"
KILLS = 5
ENGINE = textwrap.dedent(
    """
    import random, sys
    import redis
    from akeneo_sync.akeneo.auth import AppTokenProvider
    from akeneo_sync.akeneo.client import AkeneoClient
    from akeneo_sync.akeneo.http import build_http_client
    from akeneo_sync.akeneo.ratelimit import FairUsePolicy, InProcessFairUseLimiter
    from akeneo_sync.clock import SystemClock
    from akeneo_sync.state import StateStore, TokenCipher
    from akeneo_sync.sync import EngineOptions, SyncEngine
    from akeneo_sync.targets.sqlite import SqliteTarget
    base_url, token, catalog, redis_url, db_url, tenant = sys.argv[1:7]
    clock = SystemClock()
    state = StateStore(redis.Redis.from_url(redis_url), cipher=TokenCipher.generate(), clock=clock)
    with build_http_client(timeout_s=10) as http:
        client = AkeneoClient(base_url, http=http, tokens=AppTokenProvider(token), clock=clock,
                              limiter=InProcessFairUseLimiter(policy=FairUsePolicy(max_per_s=1e6, burst=1000),
                                                              clock=clock),
                              rng=random.Random(), tenant=tenant)
        engine = SyncEngine(client, SqliteTarget(db_url), state, clock, tenant=tenant,
                            options=EngineOptions(page_size=50, diff_chunk=40))
        summary = engine.full_sync(catalog)
        sys.exit(0 if summary.is_success else 3)
    """
)


def _expected(pim: EmulatorHandle, catalog: str) -> dict[str, Any]:
    found: dict[str, Any] = pim.admin.get(f"/_emulator/catalogs/{catalog}/expected").json()["mapped_products"]
    return found


def _wait_for_progress(state: StateStore, catalog: str, pages: int, proc: subprocess.Popen[bytes]) -> None:
    """A bounded poll until the run has checkpointed `pages` pages (or moved on to the diff)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        checkpoint = state.checkpoints.load(TENANT, catalog, Slot.SYNC)
        if checkpoint is not None and (checkpoint.pages >= pages or checkpoint.phase.value != "pages"):
            return
        time.sleep(0.005)


def test_a_full_sync_killed_five_times_at_random_points_ends_with_the_exact_catalog(
    make_engine: Callable[..., SyncEngine],
    pim: EmulatorHandle,
    catalog: str,
    tmp_path: Path,
    pim_clock: ManualClock,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'target.db'}"
    target = SqliteTarget(db_url)
    engine = make_engine(target=target)
    engine.full_sync(catalog)
    state = engine.state
    before = sorted(_expected(pim, catalog))
    pim_clock.advance(60)
    for uuid in before[::40]:
        pim.admin.delete(f"/_emulator/products/{uuid}").raise_for_status()
    for uuid in before[5::40]:
        pim.admin.patch(f"/_emulator/products/{uuid}", json={"values": {"name": "changed"}}).raise_for_status()
    pim.admin.put("/_emulator/faults", json={"latency_s": 0.01}).raise_for_status()
    token = pim.admin.post("/_emulator/tokens", json={"client_id": "app-engine"}).json()["access_token"]
    redis_url = f"redis://127.0.0.1:{TEST_REDIS_PORT}/3"
    args = [sys.executable, "-c", ENGINE, pim.base_url, token, catalog, redis_url, db_url, TENANT]
    rng = random.Random(20)
    killed_mid_run = 0

    for _ in range(KILLS):
        with subprocess.Popen(args) as proc:
            # Of about 22 pages: always mid-run, at a random page.
            _wait_for_progress(state, catalog, rng.randint(1, 18), proc)
            time.sleep(rng.uniform(0, 0.02))  # a random point inside the page: fetch, push or commit
            proc.kill()
            proc.wait(timeout=10)
        checkpoint = state.checkpoints.load(TENANT, catalog, Slot.SYNC)
        if checkpoint is not None:
            killed_mid_run += 1
    with subprocess.Popen(args) as proc:
        assert proc.wait(timeout=60) == 0

    pim.admin.put("/_emulator/faults", json={}).raise_for_status()
    truth = _expected(pim, catalog)
    assert killed_mid_run >= KILLS - 1, "the kills landed inside runs"
    assert target.products(TENANT, catalog) == truth, "0 lost, 0 stale"
    assert state.checkpoints.load(TENANT, catalog, Slot.SYNC) is None
    assert json.dumps(sorted(truth)) != json.dumps(before)
    target.close()
