"""SIGKILL a real worker process at random points of a 20,000-product sync: nothing lost or stale.

Each trial starts `akeneo-sync worker` (dramatiq master + a worker process), waits until the
sync has pushed a random number of further pages, and kills the whole process group with
SIGKILL, as a node failure would. After the trials a last worker runs to the end; the SQLite
target must then equal the catalog exactly.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from cryptography.fernet import Fernet

from akeneo_sync.clock import SystemClock
from akeneo_sync.emulator.testing import running_emulator
from akeneo_sync.settings import bundled_schema_path
from akeneo_sync.state import CatalogStatus, Slot, StateStore, StoredToken, TokenCipher
from akeneo_sync.targets.sqlite import SqliteTarget
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.embedded import bind_actors
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

KILL_DB = 10
PRODUCTS = 20_000
TRIALS = 5
TENANT = "kill-test"
# Bounded polls on real processes (startup, progress, completion) — not test time passing.
PROGRESS_TIMEOUT_S = 60.0
FINISH_TIMEOUT_S = 180.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "akeneo_sync", "worker", "--processes", "1", "--threads", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL takes master and children
        )


def _kill(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


class Workers:
    """Every worker started by the test; whatever happens, none outlives it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        worker = _start_worker(self.env, self.log)
        self.started.append(worker)
        return worker

    def reap(self) -> None:
        for worker in self.started:
            _kill(worker)


def worker_env(key: str, database: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of an `akeneo-sync worker` on the kill DB, with short lock and heartbeat timeouts."""
    return {
        **os.environ,
        "AKENEO_SYNC_REDIS_URL": f"redis://127.0.0.1:{TEST_REDIS_PORT}/{KILL_DB}",
        "AKENEO_SYNC_ENCRYPTION_KEY": key,
        "AKENEO_SYNC_TARGET_URL": f"sqlite:///{database}",
        "AKENEO_SYNC_ALLOW_PRIVATE_PIM": "true",
        "AKENEO_SYNC_METRICS_PORT": str(_free_port()),
        "AKENEO_SYNC_CATALOG_LOCK_TTL_S": "2",
        "AKENEO_SYNC_BROKER_HEARTBEAT_TIMEOUT_S": "2",
        "AKENEO_SYNC_BROKER_MAINTENANCE_CHANCE": "1000000",
        "AKENEO_SYNC_LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        **extra,
    }


def _pages(state: StateStore, catalog: str) -> int:
    checkpoint = state.checkpoints.load(TENANT, catalog, Slot.SYNC)
    return 0 if checkpoint is None else checkpoint.pages


def _finished(state: StateStore, catalog: str) -> bool:
    record = state.catalogs.get(TENANT, catalog)
    return (
        record is not None
        and record.last_outcome == "success"
        and record.status is CatalogStatus.IDLE
        and state.checkpoints.load(TENANT, catalog, Slot.SYNC) is None
    )


def test_a_sync_killed_five_times_at_random_points_ends_equal_to_the_catalog(tmp_path: Path) -> None:
    client = redis.Redis(host="127.0.0.1", port=TEST_REDIS_PORT, db=KILL_DB)
    client.flushdb()
    key = Fernet.generate_key().decode()
    state = StateStore(client, cipher=TokenCipher(key), clock=SystemClock())
    database = tmp_path / "target.db"
    rng = random.Random(20_000)
    with running_emulator(products=PRODUCTS, seed=3) as pim:
        pim.admin.post("/_emulator/apps", json={"client_id": "kill", "client_secret": "s"}).raise_for_status()
        token = pim.admin.post("/_emulator/tokens", json={"client_id": "kill"}).json()["access_token"]
        api = httpx.Client(base_url=f"{pim.base_url}/api/rest/v1", headers={"Authorization": f"Bearer {token}"})
        catalog = api.post("/catalogs", json={"name": "Kill test"}).json()["id"]
        api.put(
            f"/catalogs/{catalog}/mapping-schemas/product",
            content=bundled_schema_path().read_bytes(),
            headers={"Content-Type": "application/json"},
        ).raise_for_status()
        pim.admin.post(f"/_emulator/catalogs/{catalog}/product-mapping/by-name").raise_for_status()
        pim.admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
        # Slow the PIM a little so the sync spans the trials.
        pim.admin.put("/_emulator/faults", json={"latency_s": 0.01}).raise_for_status()
        state.tenants.save(TENANT, pim_url=pim.base_url, token=StoredToken(access_token=token))
        state.catalogs.upsert(TENANT, catalog, name="Kill test", enabled=True)

        env = worker_env(key, database, tmp_path)
        bind_actors(build_broker(client))
        from akeneo_sync.worker import actors

        actors.sync_catalog.send(TENANT, catalog, "full")
        log = tmp_path / "worker.log"
        workers = Workers(env, log)
        try:
            kills, actual, expected = _trials(workers, state, catalog, rng, log=log, admin=pim.admin, database=database)
        finally:
            workers.reap()
            api.close()
    client.flushdb()

    print(f"kill test: {kills} SIGKILLs, {len(expected)} products, target equal: {actual == expected}")
    assert kills == TRIALS
    assert len(expected) > 15_000
    assert set(actual) == set(expected), "lost or extra products downstream"
    assert actual == expected, "stale products downstream"


def _trials(
    workers: Workers,
    state: StateStore,
    catalog: str,
    rng: random.Random,
    *,
    log: Path,
    admin: httpx.Client,
    database: Path,
) -> tuple[int, dict[str, object], dict[str, object]]:
    """Kill a worker `TRIALS` times at random page counts, then let one finish; read both sides."""
    kills = 0
    for _ in range(TRIALS):
        worker = workers.start()
        goal = _pages(state, catalog) + rng.randint(1, 25)
        deadline = time.monotonic() + PROGRESS_TIMEOUT_S
        while _pages(state, catalog) < goal and not _finished(state, catalog):
            assert time.monotonic() < deadline, f"no progress; worker log:\n{log.read_text()[-3000:]}"
            time.sleep(0.02)
        _kill(worker)
        kills += 1
        if _finished(state, catalog):
            break

    worker = workers.start()
    deadline = time.monotonic() + FINISH_TIMEOUT_S
    while not _finished(state, catalog):
        assert time.monotonic() < deadline, f"never finished; worker log:\n{log.read_text()[-3000:]}"
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)

    expected = admin.get(f"/_emulator/catalogs/{catalog}/expected").json()["mapped_products"]
    target = SqliteTarget(f"sqlite:///{database}")
    actual = target.products(TENANT, catalog)
    target.close()
    return kills, dict(actual), dict(expected)
