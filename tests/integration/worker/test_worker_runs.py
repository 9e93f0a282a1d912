"""Runs under load: bad products become dead letters and replay once fixed; concurrent triggers
coalesce into one run plus one rerun; a stopping worker checkpoints and hands the run over."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from test_worker_sync_flow import activate_and_enable
from worker_stack import Stack

from akeneo_sync.akeneo.types import MappedProduct
from akeneo_sync.cli import main as cli_main
from akeneo_sync.state import RunMode, Slot
from akeneo_sync.targets.base import BatchContext, BatchResult
from akeneo_sync.targets.sqlite import SqliteTarget
from akeneo_sync.worker import reruns
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.embedded import EmbeddedWorker
from helpers import wait_until
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration


def test_an_invalid_and_a_rejected_product_become_dead_letters_and_replay_once_fixed(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = activate_and_enable(stack)
    uuids = sorted(stack.expected(catalog))
    no_sku, bad_image, too_big = uuids[5], uuids[10], uuids[20]
    # An empty source of a required target: the PIM leaves the product out (ProductMappingRequiredFilters),
    # so the app never receives it and there is nothing to dead-letter.
    stack.admin("PATCH", f"/_emulator/products/{no_sku}", json={"values": {"sku": None}})
    # A value the app's mapping schema refuses (format: uri), which the PIM serves as it is.
    stack.admin("PATCH", f"/_emulator/products/{bad_image}", json={"values": {"image_url": "no link at all"}})
    # Over the SQLite target's 1 MiB body limit: the target rejects it.
    stack.admin("PATCH", f"/_emulator/products/{too_big}", json={"values": {"description": "x" * 1_100_000}})

    stack.actors().sync_catalog.send(stack.tenant, catalog, "incremental")
    stack.worker.drain()

    # A second incremental run re-reads both (they are inside its overlap window) unchanged:
    # they are not news, so no second letter.
    stack.actors().sync_catalog.send(stack.tenant, catalog, "incremental")
    stack.worker.drain()

    letters = {letter.uuid: letter for letter in stack.runtime.state.dead_letters.list(stack.tenant)}
    assert stack.runtime.state.dead_letters.count(stack.tenant) == 2
    assert set(letters) == {bad_image, too_big}
    assert "image_url: not an absolute URI" in letters[bad_image].detail
    assert letters[too_big].reason == "target_rejected"
    after = stack.target.products(stack.tenant, catalog)
    expected = stack.expected(catalog)
    assert no_sku not in expected
    assert {u: p for u, p in after.items() if u not in letters and u != no_sku} == {
        u: p for u, p in expected.items() if u not in letters
    }

    # The merchant fixes both products in the PIM; the operator replays the dead letters.
    stack.admin(
        "PATCH", f"/_emulator/products/{bad_image}", json={"values": {"image_url": "https://img.example/1.jpg"}}
    )
    stack.admin("PATCH", f"/_emulator/products/{too_big}", json={"values": {"description": "Short again"}})
    settings = stack.runtime.settings
    assert settings.encryption_key is not None
    monkeypatch.setenv("AKENEO_SYNC_REDIS_URL", f"redis://127.0.0.1:{TEST_REDIS_PORT}/9")
    monkeypatch.setenv("AKENEO_SYNC_ENCRYPTION_KEY", settings.encryption_key.get_secret_value())
    monkeypatch.setenv("AKENEO_SYNC_TARGET_URL", settings.target_url)
    monkeypatch.setenv("AKENEO_SYNC_CATALOGS", '[{"name": "Store EU"}]')
    monkeypatch.setenv("AKENEO_SYNC_LOG_LEVEL", "WARNING")

    assert cli_main(["dead-letters", "replay", "--tenant", stack.tenant]) == 0

    assert "replayed 2" in capsys.readouterr().out
    assert stack.runtime.state.dead_letters.count(stack.tenant) == 0
    replayed = SqliteTarget(settings.target_url)
    # The product left out by the PIM keeps its last pushed state until a reconcile removes it.
    assert {u: p for u, p in replayed.products(stack.tenant, catalog).items() if u != no_sku} == stack.expected(catalog)
    replayed.close()


class ConcurrencyProbe:
    """A real SQLite target that records how many batches of one catalog overlap in time."""

    def __init__(self, path: Path) -> None:
        self.inner = SqliteTarget(f"sqlite:///{path}")
        self.kind = "sqlite"
        self._lock = threading.Lock()
        self._active = 0
        self.max_active = 0

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        with self._lock:
            self._active += 1
            self.max_active = max(self.max_active, self._active)
        try:
            return self.inner.apply(batch, upserts, deletes)
        finally:
            with self._lock:
                self._active -= 1

    def close(self) -> None:
        self.inner.close()


def _runs(mode: str) -> float:
    value = REGISTRY.get_sample_value("akeneo_sync_sync_runs_total", {"mode": mode, "outcome": "success"})
    return value or 0.0


def test_two_triggers_at_once_make_one_run_and_one_rerun_never_two_at_once(stack: Stack, tmp_path: Path) -> None:
    probe = ConcurrencyProbe(tmp_path / "probe.db")
    stack.runtime.target = probe
    stack.actors().app_activated.send(stack.tenant)
    stack.worker.drain()
    [catalog] = stack.catalog_ids()
    stack.admin("POST", f"/_emulator/catalogs/{catalog}/product-mapping/by-name")
    stack.admin("POST", f"/_emulator/catalogs/{catalog}/enable")
    stack.admin("PUT", "/_emulator/faults", json={"latency_s": 0.05})
    before = _runs("full")

    stack.actors().sync_catalog.send(stack.tenant, catalog, "full")
    stack.actors().sync_catalog.send(stack.tenant, catalog, "full")
    stack.worker.drain()

    assert _runs("full") - before == 2
    assert probe.max_active == 1
    assert stack.runtime.state.locks.rerun_requested(stack.tenant, catalog) == []
    assert probe.inner.products(stack.tenant, catalog) == stack.expected(catalog)
    probe.close()


def test_a_stopping_worker_checkpoints_its_page_and_the_run_resumes_elsewhere(stack: Stack) -> None:
    catalog = activate_and_enable(stack)
    stack.admin("PUT", "/_emulator/faults", json={"latency_s": 0.02})
    uuids = sorted(stack.expected(catalog))
    for uuid in uuids[:3]:
        stack.admin("PATCH", f"/_emulator/products/{uuid}", json={"values": {"name": f"Before stop {uuid[:6]}"}})

    # SIGTERM's effect on a worker: the stop flag is raised while a full sync runs, here by the
    # target as it takes the first page's push (the changed products are on the first page).
    # The PIM then slows down, so the interrupted run's re-enqueued message cannot finish the
    # catalog on this worker before it stops.
    def sigterm() -> None:
        stack.runtime.stop.set()
        stack.admin("PUT", "/_emulator/faults", json={"latency_s": 2.0})

    interrupted = _interrupted_runs()
    stack.runtime.target = _StopAfterFirstPush(stack.target, sigterm)
    stack.actors().sync_catalog.send(stack.tenant, catalog, "full")
    wait_until(lambda: _interrupted_runs() != interrupted, 30, what="the run was interrupted")
    stack.worker.stop()
    stack.runtime.target = stack.target
    stack.admin("PUT", "/_emulator/faults", json={"latency_s": 0.02})

    checkpoint = stack.runtime.state.checkpoints.load(stack.tenant, catalog, Slot.SYNC)
    assert checkpoint is not None, "the interrupted run left its checkpoint"
    assert checkpoint.pages >= 1

    # Another worker picks up the re-enqueued run and finishes it from the checkpoint.
    with EmbeddedWorker(stack.runtime, build_broker(stack.runtime.redis), threads=2) as elsewhere:
        elsewhere.drain()
    assert stack.runtime.state.checkpoints.load(stack.tenant, catalog, Slot.SYNC) is None
    assert stack.target.products(stack.tenant, catalog) == stack.expected(catalog)


def _interrupted_runs() -> float:
    value = REGISTRY.get_sample_value("akeneo_sync_sync_runs_total", {"mode": "full", "outcome": "interrupted"})
    return value or 0.0


class _StopAfterFirstPush:
    """The real target, calling `on_push` once it has taken its first push."""

    kind = "sqlite"

    def __init__(self, inner: Any, on_push: Any) -> None:
        self.inner = inner
        self.on_push = on_push
        self.pushed = False

    def apply(self, batch: Any, upserts: Any, deletes: Any) -> Any:
        result = self.inner.apply(batch, upserts, deletes)
        if not self.pushed:
            self.pushed = True
            self.on_push()
        return result

    def close(self) -> None:
        self.inner.close()


def test_a_sync_message_redelivered_after_its_run_finished_does_not_sync_again(stack: Stack) -> None:
    stack.actors().app_activated.send(stack.tenant)
    stack.worker.drain()
    [catalog] = stack.catalog_ids()
    stack.admin("POST", f"/_emulator/catalogs/{catalog}/product-mapping/by-name")
    stack.admin("POST", f"/_emulator/catalogs/{catalog}/enable")
    first = stack.actors().sync_catalog.send(stack.tenant, catalog, "full")
    stack.worker.drain()
    runs = _runs("full")

    # At-least-once: the worker died after the run, before the ack; the same message comes back.
    stack.worker.broker.enqueue(first.copy())
    stack.worker.drain()
    assert _runs("full") == runs

    # A trigger sent after that run is new work and runs.
    stack.actors().sync_catalog.send(stack.tenant, catalog, "full")
    stack.worker.drain()
    assert _runs("full") == runs + 1


def test_the_watchdog_honours_a_dead_holders_rerun_with_one_run_not_two(stack: Stack) -> None:
    # A worker SIGKILLed mid-run keeps its lock until the TTL; a trigger meanwhile is flagged as
    # a rerun. The watchdog's run honours that flag: finding it again at release would sync the
    # whole catalog a second time.
    catalog = activate_and_enable(stack)
    locks = stack.runtime.state.locks
    assert locks.acquire(stack.tenant, catalog, "dead-worker", ttl_s=0.3)
    assert not locks.acquire(stack.tenant, catalog, "redelivered", ttl_s=0.3, rerun_mode="full")
    # The dead holder's TTL runs out.
    wait_until(lambda: locks.holder(stack.tenant, catalog) is None, 5, what="the dead holder's lock expired")
    before = _runs("full")

    stack.actors().catalog_watchdog.send(stack.tenant, catalog)
    stack.worker.drain()

    assert _runs("full") - before == 1
    assert locks.rerun_requested(stack.tenant, catalog) == []
    assert stack.target.products(stack.tenant, catalog) == stack.expected(catalog)


def test_a_watchdog_that_finds_the_holder_alive_looks_again_and_runs_once_the_holder_dies(stack: Stack) -> None:
    # The watchdog fires while the holder still renews its lock: the flag is the holder's to
    # honour. The holder then dies (stops renewing) and no trigger ever comes again: the lock's
    # expiry alone must lead to the run.
    catalog = activate_and_enable(stack)
    locks = stack.runtime.state.locks
    assert locks.acquire(stack.tenant, catalog, "alive-then-dead", ttl_s=1.5)
    assert not locks.acquire(stack.tenant, catalog, "coalesced", ttl_s=1.5, rerun_mode="full")
    before = _runs("full")

    stack.actors().catalog_watchdog.send(stack.tenant, catalog)
    stack.worker.drain()  # ready and delayed messages: the watchdog's second look comes after the expiry

    assert locks.holder(stack.tenant, catalog) is None
    assert _runs("full") - before == 1
    assert locks.rerun_requested(stack.tenant, catalog) == []
    assert stack.target.products(stack.tenant, catalog) == stack.expected(catalog)


def test_the_watchdog_enqueues_the_owed_run_so_a_second_kill_cannot_strand_it(stack: Stack) -> None:
    # A run made inside the watchdog's own message was lost when that worker died too: the
    # redelivered watchdog found the flags already forgotten. The owed run is its own message.
    catalog = activate_and_enable(stack)
    locks = stack.runtime.state.locks
    assert locks.acquire(stack.tenant, catalog, "dead-worker", ttl_s=0.2)
    assert not locks.acquire(stack.tenant, catalog, "redelivered", ttl_s=0.2, rerun_mode="full")
    wait_until(lambda: locks.holder(stack.tenant, catalog) is None, 5, what="the dead holder's lock expired")
    sent: list[tuple[str, list[str]]] = []

    def enqueue(mode: RunMode) -> None:
        sent.append((mode.value, locks.rerun_requested(stack.tenant, catalog)))

    again_in = reruns.honour_reruns(stack.runtime, stack.tenant, catalog, enqueue)

    assert again_in is None
    # Enqueued while the flag still stood (a kill in between costs a duplicate, never the run),
    # then forgotten: the enqueued run's release must not find it and run the catalog again.
    assert sent == [("full", ["full"])]
    assert locks.rerun_requested(stack.tenant, catalog) == []
