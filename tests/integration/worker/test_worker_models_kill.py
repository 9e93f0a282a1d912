"""SIGKILL a real worker while it syncs product models: never a partial variant set downstream.

The catalog is in variants mode (400 models with 2-6 variants each, beside 300 products). Each
trial starts `akeneo-sync worker`, waits until the run has checkpointed a few more pages, kills
the process group with SIGKILL, and checks that every model the target holds has its whole
variant set. A last worker then finishes: models and products must equal the catalog exactly.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from cryptography.fernet import Fernet
from test_worker_kill import Workers, _finished, _pages, worker_env

from akeneo_sync.clock import SystemClock
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.testing import running_emulator
from akeneo_sync.settings import bundled_schema_path
from akeneo_sync.state import StateStore, StoredToken, TokenCipher
from akeneo_sync.targets.sqlite import SqliteTarget
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.embedded import bind_actors
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

KILL_DB = 10
TENANT = "kill-test"
TRIALS = 3
SCHEMA = bundled_schema_path().parent / "product-models-mapping.json"
PROGRESS_TIMEOUT_S = 60.0
FINISH_TIMEOUT_S = 120.0


def _variant_sets(models: dict[str, Any]) -> dict[str, set[str]]:
    return {code: {variant["uuid"] for variant in model["variants"]} for code, model in models.items()}


def test_a_models_sync_killed_mid_run_never_leaves_a_partial_variant_set_and_ends_exact(tmp_path: Path) -> None:
    client = redis.Redis(host="127.0.0.1", port=TEST_REDIS_PORT, db=KILL_DB)
    client.flushdb()
    key = Fernet.generate_key().decode()
    state = StateStore(client, cipher=TokenCipher(key), clock=SystemClock())
    database = tmp_path / "target.db"
    rng = random.Random(400)
    config = EmulatorConfig(products=300, seed=5, clock=SystemClock(), models=400)
    with running_emulator(config=config) as pim:
        pim.admin.post("/_emulator/apps", json={"client_id": "kill", "client_secret": "s"}).raise_for_status()
        token = pim.admin.post("/_emulator/tokens", json={"client_id": "kill"}).json()["access_token"]
        api = httpx.Client(base_url=f"{pim.base_url}/api/rest/v1", headers={"Authorization": f"Bearer {token}"})
        catalog = api.post("/catalogs", json={"name": "Kill test"}).json()["id"]
        api.put(
            f"/catalogs/{catalog}/mapping-schemas/product",
            content=SCHEMA.read_bytes(),
            headers={"Content-Type": "application/json"},
        ).raise_for_status()
        pim.admin.post(f"/_emulator/catalogs/{catalog}/product-mapping/by-name").raise_for_status()
        pim.admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
        pim.admin.put("/_emulator/faults", json={"latency_s": 0.01}).raise_for_status()
        expected = pim.admin.get(f"/_emulator/catalogs/{catalog}/expected-models").json()["models"]
        whole = _variant_sets(expected)
        state.tenants.save(TENANT, pim_url=pim.base_url, token=StoredToken(access_token=token))
        state.catalogs.upsert(TENANT, catalog, name="Kill test", enabled=True)
        catalogs = json.dumps([{"name": "Kill test", "mapping_schema": str(SCHEMA)}])
        env = worker_env(key, database, tmp_path, AKENEO_SYNC_CATALOGS=catalogs)
        bind_actors(build_broker(client))
        from akeneo_sync.worker import actors

        actors.sync_catalog.send(TENANT, catalog, "full")
        log = tmp_path / "worker.log"
        workers = Workers(env, log)
        kills, partial = 0, 0
        try:
            for _ in range(TRIALS):
                workers.start()
                goal = _pages(state, catalog) + rng.randint(1, 3)
                deadline = time.monotonic() + PROGRESS_TIMEOUT_S
                while _pages(state, catalog) < goal and not _finished(state, catalog):
                    assert time.monotonic() < deadline, f"no progress; worker log:\n{log.read_text()[-3000:]}"
                    time.sleep(0.02)
                workers.reap()
                kills += 1
                if database.exists():
                    stored = SqliteTarget(f"sqlite:///{database}")
                    held = _variant_sets({c: m.item() for c, m in stored.models(TENANT, catalog).items()})
                    stored.close()
                    partial += sum(1 for code, variants in held.items() if variants != whole[code])
                if _finished(state, catalog):
                    break
            workers.start()
            deadline = time.monotonic() + FINISH_TIMEOUT_S
            while not _finished(state, catalog):
                assert time.monotonic() < deadline, f"never finished; worker log:\n{log.read_text()[-3000:]}"
                time.sleep(0.1)
            products = pim.admin.get(f"/_emulator/catalogs/{catalog}/expected").json()["mapped_products"]
        finally:
            workers.reap()
            api.close()
    client.flushdb()

    target = SqliteTarget(f"sqlite:///{database}")
    stored_models = {code: model.item() for code, model in target.models(TENANT, catalog).items()}
    stored_products = target.products(TENANT, catalog)
    target.close()
    variants = set().union(*whole.values())
    print(f"models kill test: {kills} SIGKILLs, {len(whole)} models, partial sets seen: {partial}")
    assert kills >= 1
    assert partial == 0, "a model was stored with part of its variant set"
    assert _variant_sets(stored_models) == whole
    assert {c: {**m, "variants": sorted(m["variants"], key=lambda v: v["uuid"])} for c, m in stored_models.items()} == {
        c: {**m, "variants": sorted(m["variants"], key=lambda v: v["uuid"])} for c, m in expected.items()
    }
    assert stored_products == {u: p for u, p in products.items() if u not in variants}
