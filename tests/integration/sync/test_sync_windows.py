"""Full runs paged by several cursors (`updated` windows) against the emulator over HTTP."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pytest
from structlog.testing import capture_logs
from test_sync_emulator import TENANT, FlakyTarget, expected

from akeneo_sync.akeneo.auth import AppTokenProvider
from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.http import build_http_client
from akeneo_sync.akeneo.ratelimit import FairUsePolicy, InProcessFairUseLimiter
from akeneo_sync.akeneo.types import MappedProduct
from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator
from akeneo_sync.errors import TargetUnavailableError
from akeneo_sync.settings import bundled_schema_path
from akeneo_sync.state import RunMode, Slot, StateStore
from akeneo_sync.sync import EngineOptions, Outcome, SyncEngine
from akeneo_sync.targets.base import BatchContext, BatchResult
from akeneo_sync.targets.sqlite import SqliteTarget
from helpers import run_locked

pytestmark = pytest.mark.integration

WINDOWED = {"cursors": 4, "windows_per_cursor": 2, "window_min_products": 100, "count_plan": True}


@pytest.fixture(autouse=True)
def _counts(pim: EmulatorHandle) -> None:
    """This planner needs counts, which a real PIM never gives: the emulator serves them on request."""
    pim.admin.put("/_emulator/counts", json={"serve": True}).raise_for_status()


def _stats(pim: EmulatorHandle) -> dict[str, Any]:
    found: dict[str, Any] = pim.admin.get("/_emulator/stats").json()
    return found


def test_a_windowed_full_sync_mirrors_the_catalog_with_several_requests_in_flight(
    make_engine: Callable[..., SyncEngine], pim: EmulatorHandle, catalog: str, sqlite_target: SqliteTarget
) -> None:
    pim.admin.put("/_emulator/faults", json={"latency_s": 0.02}).raise_for_status()
    pim.admin.post("/_emulator/stats/reset").raise_for_status()
    engine = make_engine(**WINDOWED)

    with capture_logs() as logs:
        (summary,) = run_locked(engine, catalog, RunMode.FULL)

    truth = expected(pim, catalog)
    assert summary.outcome is Outcome.SUCCESS
    assert sqlite_target.products(TENANT, catalog) == truth
    assert summary.counters.upserted == len(truth) > 1000
    (planned,) = [entry for entry in logs if entry["event"] == "sync_windows_planned"]
    assert planned["products"] == len(truth)
    assert planned["windows"] > 4
    stats = _stats(pim)
    assert max(stats["max_concurrent_per_token"].values()) > 1, "the cursors never overlapped"
    # Each window ends with one short (or empty) page; nothing is fetched twice.
    assert summary.pages_fetched <= len(truth) // 100 + planned["windows"]


def test_a_product_edited_during_a_windowed_run_is_pushed_and_never_deleted(
    make_engine: Callable[..., SyncEngine],
    pim: EmulatorHandle,
    catalog: str,
    sqlite_target: SqliteTarget,
) -> None:
    # Edit, at the first push, products the run has not reached yet: they move to the window after
    # the run's start, which the cursors page last, so they are seen and pushed with the edit.
    truth = expected(pim, catalog)

    class EditingTarget(FlakyTarget):
        edited: list[str]

        def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
            if not self.edited:
                reached = {str(p["uuid"]) for p in upserts} | set(self.inner.products(TENANT, catalog))
                self.edited.extend([u for u in sorted(truth) if u not in reached][:25])
                for product in self.edited:
                    pim.admin.patch(
                        f"/_emulator/products/{product}", json={"values": {"name": "Edited mid-run"}}
                    ).raise_for_status()
            return super().apply(batch, upserts, deletes)

    target = EditingTarget(sqlite_target, fail_on=0)
    target.edited = []
    (summary,) = run_locked(make_engine(target=target, **WINDOWED), catalog, RunMode.FULL)

    after = sqlite_target.products(TENANT, catalog)
    assert summary.outcome is Outcome.SUCCESS
    assert summary.counters.deleted == 0
    assert after == expected(pim, catalog)
    assert len(target.edited) == 25
    assert {after[u]["name"] for u in target.edited} == {"Edited mid-run"}


@pytest.mark.parametrize("resume_cursors", [4, 1])
def test_a_windowed_run_killed_mid_way_resumes_every_window_where_it_stopped(
    make_engine: Callable[..., SyncEngine],
    pim: EmulatorHandle,
    catalog: str,
    sqlite_target: SqliteTarget,
    resume_cursors: int,
) -> None:
    # Resumed with 4 cursors, or by a worker since set to one: the windows are paged either way.
    flaky = FlakyTarget(sqlite_target, fail_on=6)
    engine = make_engine(target=flaky, **WINDOWED)
    with pytest.raises(TargetUnavailableError):
        engine.full_sync(catalog)
    stopped = engine.state.checkpoints.load(TENANT, catalog, Slot.SYNC)
    assert stopped is not None
    assert len(stopped.windows) > 4
    # The tail opens the watermark overlap (300 s) before the start, for a PIM clock behind ours.
    assert (stopped.windows[-1].tail, stopped.windows[-1].lo) == (True, int(stopped.started_at - 300))
    assert stopped.pages >= 5
    pim.admin.post("/_emulator/stats/reset").raise_for_status()

    summary = make_engine(target=flaky, **{**WINDOWED, "cursors": resume_cursors}).full_sync(catalog)

    truth = expected(pim, catalog)
    assert summary.resumed
    assert sqlite_target.products(TENANT, catalog) == truth
    assert summary.counters.upserted == len(truth)
    # The plan is not made again, and pages recorded before the failure are not fetched again:
    # what is refetched is at most the pages the cursors held (one per cursor, plus the queue).
    assert "GET /api/rest/v1/catalogs/{id}/product-uuids" not in _stats(pim)["by_endpoint"]
    assert summary.pages_fetched <= summary.pages - stopped.pages + 2 * WINDOWED["cursors"]
    assert stopped.pending_window is not None
    assert flaky.keys[5] == flaky.keys[6], "the failed batch is re-sent first, under its idempotency key"
    assert len(set(flaky.keys)) == len(flaky.keys) - 1, "no other key is used twice"


def test_a_pim_without_counts_is_paged_by_every_cursor_splitting_busy_windows(
    client: AkeneoClient, pim: EmulatorHandle, catalog: str, sqlite_target: SqliteTarget, state: StateStore
) -> None:
    pim.admin.put("/_emulator/faults", json={"latency_s": 0.02}).raise_for_status()
    pim.admin.post("/_emulator/stats/reset").raise_for_status()
    engine = SyncEngine(
        NoCounts(client),
        sqlite_target,
        state,
        state.clock,
        tenant=TENANT,  # type: ignore[arg-type]
        options=EngineOptions(**{**WINDOWED, "count_plan": False}),
    )
    with capture_logs() as logs:
        summary = engine.full_sync(catalog)

    truth = expected(pim, catalog)
    assert sqlite_target.products(TENANT, catalog) == truth
    assert summary.outcome is Outcome.SUCCESS
    (planned,) = [entry for entry in logs if entry["event"] == "sync_windows_planned"]
    # One page of products sampled the dates: a window per cursor and one more, then the tail;
    # one more request probed how the PIM reads two bounds.
    assert (planned["counted"], planned["windows"], planned["plan_requests"]) == (False, 6, 2)
    (paged,) = [entry for entry in logs if entry["event"] == "sync_windows_paged"]
    assert paged["windows"] >= 6
    assert max(_stats(pim)["max_concurrent_per_token"].values()) > 1, "the cursors never overlapped"
    # Each piece ends with one short (or empty) page; what a piece starts from was not fetched before.
    assert summary.pages_fetched <= -(-len(truth) // 100) + paged["windows"]


class NoCounts:
    """The real client, but the PIM's product-uuids answers carry no count (as a real PIM's)."""

    def __init__(self, client: AkeneoClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def count_products(
        self, catalog_id: str, *, updated_after: datetime | None = None, updated_before: datetime | None = None
    ) -> int | None:
        return None


def test_a_catalog_saved_by_one_import_is_paged_by_every_cursor_without_a_count(
    pim_clock: ManualClock, state: StateStore, sqlite_target: SqliteTarget
) -> None:
    # 60 % of the products saved within seconds by one import: the sampled plan and the cuts
    # still keep the cursors busy, and nothing is fetched twice.
    config = EmulatorConfig(products=6_000, seed=11, clock=pim_clock, date_profile="bulk-import")
    with running_emulator(config=config) as bulk:
        bulk.admin.post("/_emulator/apps", json={"client_id": "bulk", "client_secret": "s"}).raise_for_status()
        token = bulk.admin.post("/_emulator/tokens", json={"client_id": "bulk"}).json()["access_token"]
        http = build_http_client(timeout_s=10.0)
        limiter = InProcessFairUseLimiter(policy=FairUsePolicy(max_per_s=1e6, burst=1000), clock=pim_clock)
        client = AkeneoClient(
            bulk.base_url,
            http=http,
            tokens=AppTokenProvider(token),
            limiter=limiter,
            clock=pim_clock,
            rng=random.Random(1),
            tenant=TENANT,
        )
        created = client.create_catalog("Bulk", managed_currencies=["EUR"], managed_locales=["en_US"])
        client.put_mapping_schema(created.id, json.loads(bundled_schema_path().read_text(encoding="utf-8")))
        # As a PIM user maps the targets (an emulator that maps them by itself answers 404 here).
        mapped = bulk.admin.post(f"/_emulator/catalogs/{created.id}/product-mapping/by-name")
        assert mapped.status_code in (200, 204, 404), mapped.text
        bulk.admin.post(f"/_emulator/catalogs/{created.id}/enable").raise_for_status()
        # 100 ms a call, far above a page's processing even under coverage's tracing, so the four
        # cursors surely overlap (at 20 ms, one traced run of a clean-clone CI peaked at 3).
        bulk.admin.put("/_emulator/faults", json={"latency_s": 0.1}).raise_for_status()
        engine = SyncEngine(
            NoCounts(client),
            sqlite_target,
            state,
            pim_clock,
            tenant=TENANT,  # type: ignore[arg-type]
            options=EngineOptions(cursors=4),
        )
        with capture_logs() as logs:
            summary = engine.full_sync(created.id)
        truth = expected(bulk, created.id)
        stats = _stats(bulk)
        http.close()

    assert summary.outcome is Outcome.SUCCESS
    assert sqlite_target.products(TENANT, created.id) == truth
    assert summary.counters.upserted == len(truth) > 5_000
    (planned,) = [entry for entry in logs if entry["event"] == "sync_windows_planned"]
    assert planned["windows"] == 6, "the sample did not cut the past into a window per cursor and one more"
    (paged,) = [entry for entry in logs if entry["event"] == "sync_windows_paged"]
    assert max(stats["max_concurrent_per_token"].values()) == 4
    assert summary.pages_fetched <= -(-len(truth) // 100) + paged["windows"]
