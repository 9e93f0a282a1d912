"""After a real sync on a real worker (2 processes), the metrics endpoints tell what happened.

One module-wide scenario: a 2,000-product catalog synced by `akeneo-sync worker --processes 2`
against the emulator, whose first three product-page answers are scripted 429s; a few polls
spread over both worker processes; an unsigned event posted to `akeneo-sync web`. The tests then
read the worker's METRICS_PORT, the web `/metrics`, and each worker process's own metric files.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from cryptography.fernet import Fernet
from observe_support import Processes, Samples, free_port, per_process

from akeneo_sync.clock import SystemClock
from akeneo_sync.emulator.testing import running_emulator
from akeneo_sync.settings import bundled_schema_path
from akeneo_sync.state import CatalogStatus, StateStore, StoredToken, TokenCipher
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.embedded import bind_actors
from helpers import wait_until
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

PRODUCTS = 2_000
TENANT = "observe-test"
SCRIPTED_429 = 3
RETRY_AFTER_S = 1
POLLS = 6
# Bounded polls on real processes (startup, completion) — not test time passing.
START_TIMEOUT_S = 30.0
FINISH_TIMEOUT_S = 45.0


@dataclass(frozen=True)
class Observation:
    """What the scenario measured: the scrapes, the per-process files, and the ground truth."""

    worker: Samples
    web: Samples
    processes: dict[int, Samples]
    catalog: str
    catalog_size: int
    emulator_stats: dict[str, Any]
    finished_at: float
    messages_sent: int


def _wait(what: str, ready: Any, timeout_s: float, log: Path) -> None:
    try:
        wait_until(ready, timeout_s, interval=0.1, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; log:\n{log.read_text()[-3000:]}") from None


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).is_success
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def observed(redis_client: redis.Redis, processes: Processes, tmp_path_factory: pytest.TempPathFactory) -> Observation:
    tmp = tmp_path_factory.mktemp("observe")
    key = Fernet.generate_key().decode()
    state = StateStore(redis_client, cipher=TokenCipher(key), clock=SystemClock())
    worker_port, web_port = free_port(), free_port()
    with running_emulator(products=PRODUCTS, seed=11) as pim:
        pim.admin.post("/_emulator/apps", json={"client_id": "observe", "client_secret": "s"}).raise_for_status()
        token = pim.admin.post("/_emulator/tokens", json={"client_id": "observe"}).json()["access_token"]
        with httpx.Client(base_url=f"{pim.base_url}/api/rest/v1", headers={"Authorization": f"Bearer {token}"}) as api:
            catalog = api.post("/catalogs", json={"name": "Observe test"}).json()["id"]
            api.put(
                f"/catalogs/{catalog}/mapping-schemas/product",
                content=bundled_schema_path().read_bytes(),
                headers={"Content-Type": "application/json"},
            ).raise_for_status()
        pim.admin.post(f"/_emulator/catalogs/{catalog}/product-mapping/by-name").raise_for_status()
        pim.admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
        storm = [{"status": 429, "headers": {"Retry-After": str(RETRY_AFTER_S)}}] * SCRIPTED_429
        pim.admin.post(
            "/_emulator/faults/script", json={"path_pattern": "mapped-products", "responses": storm}
        ).raise_for_status()
        state.tenants.save(TENANT, pim_url=pim.base_url, token=StoredToken(access_token=token))
        state.catalogs.upsert(TENANT, catalog, name="Observe test", enabled=True)

        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AKENEO_SYNC_", "PROMETHEUS_", "dramatiq_"))},
            "AKENEO_SYNC_REDIS_URL": f"redis://127.0.0.1:{TEST_REDIS_PORT}/{redis_client.connection_pool.connection_kwargs['db']}",
            "AKENEO_SYNC_ENCRYPTION_KEY": key,
            "AKENEO_SYNC_TARGET_URL": f"sqlite:///{tmp / 'target.db'}",
            "AKENEO_SYNC_ALLOW_PRIVATE_PIM": "true",
            "AKENEO_SYNC_METRICS_PORT": str(worker_port),
            "AKENEO_SYNC_LOG_LEVEL": "WARNING",
            "AKENEO_SYNC_CLIENT_ID": "observe",
            "AKENEO_SYNC_CLIENT_SECRET": "s",
            "AKENEO_SYNC_API_KEY": "observe-api-key",
            "AKENEO_SYNC_EVENT_SECRETS": "observe-event-secret",
            # One message at a time per process: the polls then go to the process not running the sync.
            "dramatiq_queue_prefetch": "1",
        }
        bind_actors(build_broker(redis_client))
        from akeneo_sync.worker import actors

        actors.sync_catalog.send(TENANT, catalog, "full")
        for _ in range(POLLS):
            actors.poll_catalogs.send(TENANT)
        messages_sent = 1 + POLLS

        log = tmp / "processes.log"
        metrics_dir = tmp / "worker-metrics"
        processes.start(["worker", "--processes", "2", "--threads", "2", "--metrics-dir", str(metrics_dir)], env, log)
        processes.start(["web", "--host", "127.0.0.1", "--port", str(web_port)], env, log)
        worker_url, web_url = f"http://127.0.0.1:{worker_port}/", f"http://127.0.0.1:{web_port}"
        _wait("the worker's metrics port", lambda: _answers(worker_url), START_TIMEOUT_S, log)
        _wait("the web side", lambda: _answers(f"{web_url}/healthz"), START_TIMEOUT_S, log)
        httpx.post(f"{web_url}/events", content=b'{"unsigned": true}', headers={"Content-Type": "application/json"})

        def done() -> bool:
            record = state.catalogs.get(TENANT, catalog)
            processed = Samples.parse(httpx.get(worker_url, timeout=5).text).total("dramatiq_messages_total")
            return (
                record is not None
                and record.status is CatalogStatus.IDLE
                and record.last_outcome == "success"
                and processed >= messages_sent
            )

        _wait("the sync and the polls to finish", done, FINISH_TIMEOUT_S, log)
        finished_at = time.time()
        catalog_size = len(pim.admin.get(f"/_emulator/catalogs/{catalog}/expected").json()["uuids"])
        return Observation(
            worker=Samples.parse(httpx.get(worker_url, timeout=5).text),
            web=Samples.parse(httpx.get(f"{web_url}/metrics", timeout=5).text),
            processes=per_process(metrics_dir),
            catalog=catalog,
            catalog_size=catalog_size,
            emulator_stats=pim.admin.get("/_emulator/stats").json(),
            finished_at=finished_at,
            messages_sent=messages_sent,
        )


def test_products_upserted_add_up_to_the_catalog_size(observed: Observation) -> None:
    upserted = observed.worker.total("akeneo_sync_products_total", action="upserted", catalog=observed.catalog)
    assert observed.catalog_size > PRODUCTS * 0.8  # the catalog selects enabled products only
    assert upserted == observed.catalog_size


def test_a_429_storm_shows_in_rate_limited_and_backoff_seconds(observed: Observation) -> None:
    assert observed.emulator_stats["by_status"].get("429") == SCRIPTED_429
    assert observed.worker.total("akeneo_sync_rate_limited_total", tenant=TENANT) == SCRIPTED_429
    assert observed.worker.total("akeneo_sync_pim_requests_total", status="429") == SCRIPTED_429
    # The PIM said how long to wait: the client waited exactly that, under reason "retry_after".
    assert observed.worker.total("akeneo_sync_backoff_seconds_total", reason="retry_after") == pytest.approx(
        SCRIPTED_429 * RETRY_AFTER_S, abs=0.5
    )


def test_dramatiq_counts_every_message_processed_by_actor(observed: Observation) -> None:
    assert observed.worker.total("dramatiq_messages_total", actor_name="sync_catalog") == 1
    assert observed.worker.total("dramatiq_messages_total", actor_name="poll_catalogs") == POLLS
    assert observed.worker.total("dramatiq_message_errors_total") == 0


def test_the_metrics_port_sums_what_both_worker_processes_wrote(observed: Observation) -> None:
    working = {pid: s for pid, s in observed.processes.items() if s.total("dramatiq_messages_total") > 0}
    counts = {pid: s.total("dramatiq_messages_total") for pid, s in working.items()}
    assert len(working) == 2, f"messages by process: {counts}"
    for name in ("dramatiq_messages_total", "akeneo_sync_pim_requests_total"):
        assert observed.worker.total(name) == sum(s.total(name) for s in observed.processes.values())
    assert observed.worker.total("dramatiq_messages_total") == observed.messages_sent


def test_a_successful_sync_sets_catalog_enabled_last_success_and_lag(observed: Observation) -> None:
    labels = {"tenant": TENANT, "catalog": observed.catalog}
    assert observed.worker.total("akeneo_sync_catalog_enabled", **labels) == 1
    last_success = observed.worker.total("akeneo_sync_last_success_timestamp_seconds", **labels)
    assert observed.finished_at - 60 < last_success <= observed.finished_at
    assert 0 <= observed.worker.total("akeneo_sync_catalog_lag_seconds", **labels) < 60


def test_runs_pim_latency_and_target_pushes_are_measured(observed: Observation) -> None:
    assert observed.worker.total("akeneo_sync_sync_runs_total", mode="full", outcome="success") == 1
    assert observed.worker.total("akeneo_sync_sync_duration_seconds_count", mode="full") == 1
    assert observed.worker.total("akeneo_sync_pim_request_duration_seconds_count", endpoint="mapped-products") > 0
    assert observed.worker.total("akeneo_sync_target_push_duration_seconds_count", target="sqlite") > 0


def test_the_web_side_serves_its_own_metrics_on_its_metrics_route(observed: Observation) -> None:
    assert observed.web.total("akeneo_sync_events_received_total", type="other", outcome="bad_signature") == 1
    assert "akeneo_sync_products_total" not in observed.web.values
