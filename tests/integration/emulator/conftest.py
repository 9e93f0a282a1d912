"""One real emulator (uvicorn on a loopback port) per session, reset before every test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from emulator_support import API, BUNDLED_SCHEMA, PRODUCTS, SEED, ClientFactory, Receiver

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
def pim(_server: EmulatorHandle) -> EmulatorHandle:
    """The emulator, back to its seeded state (every test resets it first, so none leaks state)."""
    _server.admin.post("/_emulator/reset").raise_for_status()
    return _server


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
    """An enabled catalog of `app-a` with the bundled mapping schema pushed and its targets mapped
    by name (as the PIM user would); returns its id."""
    catalog_id: str = api.post(f"{API}/catalogs", json={"name": "Store", "managed_currencies": ["EUR"]}).json()["id"]
    api.put(f"{API}/catalogs/{catalog_id}/mapping-schemas/product", json=bundled_schema).raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{catalog_id}/product-mapping/by-name").raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{catalog_id}/enable").raise_for_status()
    return catalog_id


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP endpoint on loopback that records what the emulator POSTs to it."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            box = state["receiver"]
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            box.paths.append(self.path)
            status = box.answers.pop(0) if box.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            box.arrived.release()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/events")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state["receiver"]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
