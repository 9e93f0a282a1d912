"""Fixtures for the client's integration tests: Redis DB 2 (per-test key prefixes) and the emulator."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis

from akeneo_sync.akeneo.auth import AppTokenProvider, TokenProvider
from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.http import build_http_client
from akeneo_sync.akeneo.ratelimit import FairUseLimiter, FairUsePolicy, InProcessFairUseLimiter
from akeneo_sync.clock import Clock, ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator
from akeneo_sync.settings import bundled_schema_path
from helpers import fleet_limiter
from redis_server import TEST_REDIS_PORT

REDIS_URL = f"redis://127.0.0.1:{TEST_REDIS_PORT}/2"


@pytest.fixture
def key_prefix() -> str:
    """A key namespace owned by one test."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_client(key_prefix: str) -> Iterator[redis.Redis]:
    """DB 2, cleaned of this test's keys before and after.

    Not `flushdb`: other worktrees that merged this branch run these very tests at the same
    time on DB 2, and a flush there would wipe a lease here mid-test. A per-test prefix plus
    deleting exactly those keys isolates runs from each other as well as from earlier tests.
    """
    client = redis.Redis.from_url(REDIS_URL)
    _delete_prefixed(client, key_prefix)
    yield client
    _delete_prefixed(client, key_prefix)
    client.close()


def _delete_prefixed(client: redis.Redis, prefix: str) -> None:
    for key in client.scan_iter(match=f"{prefix}*", count=500):
        client.delete(key)


LimiterFactory = Callable[..., FairUseLimiter]


@pytest.fixture(params=["redis", "in-process"])
def make_limiter(request: pytest.FixtureRequest, redis_client: redis.Redis, key_prefix: str) -> LimiterFactory:
    """Build either limiter with the same policy, so one test body checks both."""

    def make(clock: Clock, connection: str = "tenant-1", **policy: float) -> FairUseLimiter:
        rules = FairUsePolicy(**policy)
        if request.param == "redis":
            return fleet_limiter(
                redis_client,
                pim_url="https://pim.example.com",
                connection=connection,
                policy=rules,
                clock=clock,
                key_prefix=key_prefix,
            )
        return InProcessFairUseLimiter(policy=rules, clock=clock)

    return make


# -- the bundled emulator, over a real loopback socket ----------------------------------------

PRODUCTS = 3_000  # about 2,760 of them enabled: pagination crosses 2,500 UUIDs
SEED = 3
API = "/api/rest/v1"
APP = "app-sync"


@pytest.fixture(scope="session")
def pim_clock() -> ManualClock:
    """One clock for the emulator and the clients: token expiry and waits move together, no sleeps."""
    return ManualClock(start=1_780_000_000.0)


@pytest.fixture(scope="session")
def _emulator(pim_clock: ManualClock) -> Iterator[EmulatorHandle]:
    with running_emulator(products=PRODUCTS, seed=SEED, clock=pim_clock) as handle:
        yield handle


@pytest.fixture
def pim(_emulator: EmulatorHandle, pim_clock: ManualClock) -> Iterator[EmulatorHandle]:
    """The emulator back in its seeded state, with the shared clock's wait log cleared."""
    _emulator.admin.post("/_emulator/reset").raise_for_status()
    pim_clock.sleeps.clear()
    yield _emulator
    _emulator.admin.post("/_emulator/reset").raise_for_status()


def mint_token(pim: EmulatorHandle, scopes: list[str] | None = None) -> str:
    """A fresh app token of `APP` (the four catalog scopes unless told otherwise)."""
    body: dict[str, Any] = {"client_id": APP}
    if scopes is not None:
        body["scopes"] = scopes
    token: str = pim.admin.post("/_emulator/tokens", json=body).json()["access_token"]
    return token


ClientFactory = Callable[..., AkeneoClient]


@pytest.fixture
def make_client(pim: EmulatorHandle, pim_clock: ManualClock) -> Iterator[ClientFactory]:
    """Build `AkeneoClient`s on the emulator: app token by default, the shared manual clock."""
    made: list[httpx.Client] = []

    def make(
        tokens: TokenProvider | None = None,
        *,
        scopes: list[str] | None = None,
        max_attempts: int = 4,
        deadline_s: float = 600.0,
        timeout_s: float = 10.0,
        limiter: FairUseLimiter | None = None,
    ) -> AkeneoClient:
        http = build_http_client(timeout_s=timeout_s)
        made.append(http)
        return AkeneoClient(
            pim.base_url,
            http=http,
            tokens=tokens or AppTokenProvider(mint_token(pim, scopes)),
            limiter=limiter
            or InProcessFairUseLimiter(policy=FairUsePolicy(max_per_s=1e6, burst=1000), clock=pim_clock),
            clock=pim_clock,
            rng=random.Random(1),
            max_attempts=max_attempts,
            deadline_s=deadline_s,
            tenant="tenant-1",
        )

    yield make
    for http in made:
        http.close()


@pytest.fixture
def mapping_schema() -> dict[str, Any]:
    """The mapping schema akeneo-sync ships."""
    loaded: dict[str, Any] = json.loads(bundled_schema_path().read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def client(make_client: ClientFactory) -> AkeneoClient:
    return make_client()


@pytest.fixture
def enabled_catalog(pim: EmulatorHandle, client: AkeneoClient, mapping_schema: dict[str, Any]) -> str:
    """An enabled catalog of `APP`, created and schema-pushed through the client under test."""
    catalog = client.create_catalog("Store EU", managed_currencies=["EUR"], managed_locales=["en_US"])
    client.put_mapping_schema(catalog.id, mapping_schema)
    pim.admin.post(f"/_emulator/catalogs/{catalog.id}/product-mapping/by-name").raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{catalog.id}/enable").raise_for_status()
    return catalog.id


def stats(pim: EmulatorHandle) -> dict[str, Any]:
    """The emulator's traffic statistics."""
    found: dict[str, Any] = pim.admin.get("/_emulator/stats").json()
    return found
