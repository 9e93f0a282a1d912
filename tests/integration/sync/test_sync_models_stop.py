"""The models phase fetches the next page while it pushes one, and checkpoints only pages pushed.

The engine on the emulator (over a real socket) in variants mode, real Redis and SQLite: a run
stopped after its first page of models has fetched the second one ahead, yet its checkpoint
points at that second page, which the resumed run fetches and pushes; the target ends exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator
from akeneo_sync.settings import bundled_schema_path
from akeneo_sync.state import Phase, RunMode, Slot, StateStore
from akeneo_sync.sync import Outcome, RunControl, SyncEngine
from akeneo_sync.targets.sqlite import SqliteTarget
from helpers import seeded_emulator

pytestmark = pytest.mark.integration

TENANT = "tenant-emu"  # the engines built by `make_engine` sync for this tenant
APP = "app-engine"
MODELS = 250  # three pages of 100
MODELS_SCHEMA = bundled_schema_path().parent / "product-models-mapping.json"


@pytest.fixture(scope="module")
def _models_emulator(pim_clock: ManualClock) -> Iterator[EmulatorHandle]:
    with running_emulator(config=EmulatorConfig(products=40, seed=7, clock=pim_clock, models=MODELS)) as handle:
        yield handle


@pytest.fixture
def pim(_models_emulator: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """The models emulator in its seeded state, with the app registered (overrides the conftest's)."""
    yield from seeded_emulator(_models_emulator, APP)


@pytest.fixture
def catalog(pim: EmulatorHandle) -> str:
    """An enabled catalog in variants mode (overrides the conftest's)."""
    token = pim.admin.post("/_emulator/tokens", json={"client_id": APP}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    api = f"{pim.base_url}/api/rest/v1"
    created = pim.admin.post(f"{api}/catalogs", json={"name": "Variants"}, headers=headers).json()["id"]
    pim.admin.put(
        f"{api}/catalogs/{created}/mapping-schemas/product",
        content=MODELS_SCHEMA.read_bytes(),
        headers={**headers, "Content-Type": "application/json"},
    ).raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{created}/product-mapping/by-name").raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{created}/enable").raise_for_status()
    return str(created)


def models_requests(pim: EmulatorHandle) -> int:
    """mapped-models pages served since the stats were reset."""
    by_endpoint: dict[str, int] = pim.admin.get("/_emulator/stats").json()["by_endpoint"]
    return by_endpoint.get("GET /api/rest/v1/catalogs/{id}/mapped-models", 0)


def expected_models(pim: EmulatorHandle, catalog: str) -> dict[str, Any]:
    models: dict[str, Any] = pim.admin.get(f"/_emulator/catalogs/{catalog}/expected-models").json()["models"]
    return {code: _sorted(model) for code, model in models.items()}


def stored_models(target: SqliteTarget, catalog: str) -> dict[str, Any]:
    return {code: _sorted(model.item()) for code, model in target.models(TENANT, catalog).items()}


def _sorted(model: dict[str, Any]) -> dict[str, Any]:
    return {**model, "variants": sorted(model["variants"], key=lambda variant: variant["uuid"])}


def test_a_run_stopped_with_a_models_page_fetched_ahead_resumes_from_the_page_after_the_last_pushed(
    make_engine: Callable[..., SyncEngine], pim: EmulatorHandle, catalog: str, sqlite_target: SqliteTarget
) -> None:
    # One cursor: with four plus the prefetch, a call waits for one of the limiter's four slots,
    # and on the manual clock that wait jumps time past the deadlines of the calls in flight.
    engine = make_engine(models=True, prefetch=True)
    state: StateStore = engine.state
    expected = expected_models(pim, catalog)
    assert len(expected) == MODELS
    first_page = sorted(expected)[:100]
    pim.admin.post("/_emulator/stats/reset").raise_for_status()

    stopped = engine.full_sync(
        catalog, RunControl(should_stop=lambda: len(sqlite_target.models(TENANT, catalog)) >= len(first_page))
    )

    assert stopped.outcome is Outcome.INTERRUPTED
    assert sorted(stored_models(sqlite_target, catalog)) == first_page
    assert models_requests(pim) == 2  # the first page, and the second fetched ahead
    checkpoint = state.checkpoints.load(TENANT, catalog, Slot.SYNC)
    assert checkpoint is not None
    assert checkpoint.phase is Phase.MODELS
    assert checkpoint.next_url is not None
    assert f"search_after={first_page[-1]}" in checkpoint.next_url  # the page fetched ahead, never pushed

    pim.admin.post("/_emulator/stats/reset").raise_for_status()
    resumed = engine.run(catalog, RunMode.FULL)

    assert resumed.outcome is Outcome.SUCCESS
    assert resumed.resumed
    assert models_requests(pim) == 2  # the second page again, then the third
    assert stored_models(sqlite_target, catalog) == expected
    assert (resumed.counters.failed, resumed.counters.deleted) == (0, 0)
