"""One real emulator (uvicorn on a loopback port) per session, reset before every test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_support import API, BUNDLED_SCHEMA, PRODUCTS, SEED, ClientFactory

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator


@pytest.fixture(scope="session")
def clock() -> ManualClock:
    """The emulator's clock: tests move it, nothing sleeps."""
    return ManualClock(start=1_780_000_000.0)


@pytest.fixture(scope="session")
def _server(clock: ManualClock) -> Iterator[EmulatorHandle]:
    with running_emulator(products=PRODUCTS, seed=SEED, clock=clock) as handle:
        yield handle


@pytest.fixture
def pim(_server: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """The emulator, back to its seeded state."""
    _server.admin.post("/_emulator/reset").raise_for_status()
    yield _server
    _server.admin.post("/_emulator/reset").raise_for_status()


@pytest.fixture
def client_for(pim: EmulatorHandle) -> Iterator[ClientFactory]:
    """Build API clients holding a fresh app token (default: the four catalog scopes)."""
    made: list[httpx.Client] = []

    def make(client_id: str = "app-a", scopes: list[str] | None = None) -> httpx.Client:
        body: dict[str, Any] = {"client_id": client_id}
        if scopes is not None:
            body["scopes"] = scopes
        token = pim.admin.post("/_emulator/tokens", json=body).json()["access_token"]
        client = httpx.Client(base_url=pim.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10.0)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def api(client_for: ClientFactory) -> httpx.Client:
    """A client of app `app-a` with the four catalog scopes."""
    return client_for()


@pytest.fixture
def bundled_schema() -> dict[str, Any]:
    """The mapping schema akeneo-sync ships."""
    loaded: dict[str, Any] = json.loads(BUNDLED_SCHEMA.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def enabled_catalog(pim: EmulatorHandle, api: httpx.Client, bundled_schema: dict[str, Any]) -> str:
    """An enabled catalog of `app-a` with the bundled mapping schema pushed; returns its id."""
    catalog_id: str = api.post(f"{API}/catalogs", json={"name": "Store", "managed_currencies": ["EUR"]}).json()["id"]
    api.put(f"{API}/catalogs/{catalog_id}/mapping-schemas/product", json=bundled_schema).raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{catalog_id}/enable").raise_for_status()
    return catalog_id
