"""Unauthenticated load on the web side, tried in-process as an attacker would.

Slow name lookups must not starve the probes, each client has a budget of activation requests,
and `/activate` keeps little state per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace

import httpx
import pytest
import redis
from fastapi import FastAPI
from web_support import TestClient

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore
from akeneo_sync.web import WebConfig, create_app
from akeneo_sync.web.testing import RecordingEnqueuer

pytestmark = pytest.mark.integration

SLOW_LOOKUP_S = 1.5


def _slow_resolver(host: str) -> Sequence[str]:
    time.sleep(SLOW_LOOKUP_S)  # a name server that answers late, as an attacker's can
    return ["93.184.216.34"]


def _client(app: FastAPI, ip: str = "203.0.113.7") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver")


def test_slow_activations_do_not_delay_the_probes(
    config: WebConfig, store: StateStore, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    app = create_app(
        replace(config, lookup_timeout_s=0.5), store=store, enqueuer=enqueuer, clock=clock, resolver=_slow_resolver
    )

    async def attack() -> tuple[list[float], list[int]]:
        async with _client(app) as client:
            floods = [
                asyncio.create_task(client.get("/activate", params={"pim_url": f"https://slow{n}.example.com"}))
                for n in range(80)
            ]
            await asyncio.sleep(0.2)  # the flood is in flight
            probes: list[float] = []
            for path in ("/healthz", "/readyz", "/healthz"):
                started = time.monotonic()
                answer = await client.get(path)
                probes.append(time.monotonic() - started)
                assert answer.status_code == 200, path
            statuses = [response.status_code for response in await asyncio.gather(*floods)]
            return probes, statuses

    probes, statuses = asyncio.run(attack())

    assert max(probes) < 0.5, probes
    # The 16 admitted lookups give up at their deadline; the rest are told "busy" at once.
    assert statuses.count(400) == 16
    assert statuses.count(503) == 64


def test_each_client_has_a_budget_of_activation_requests(
    config: WebConfig, store: StateStore, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    app = create_app(
        replace(config, activation_per_minute=6, activation_burst=3),
        store=store,
        enqueuer=enqueuer,
        clock=clock,
        resolver=lambda host: ["93.184.216.34"],
    )

    async def run() -> None:
        async with _client(app, "203.0.113.7") as attacker, _client(app, "198.51.100.9") as user:
            for _ in range(3):
                assert (
                    await attacker.get("/activate", params={"pim_url": "https://pim.example.com"})
                ).status_code == 302
            refused = await attacker.get("/activate", params={"pim_url": "https://pim.example.com"})
            assert refused.status_code == 429
            assert refused.headers["Retry-After"] == "10"
            assert (await attacker.get("/callback", params={"code": "c", "state": "s"})).status_code == 429
            # Another client is not affected.
            assert (await user.get("/activate", params={"pim_url": "https://pim.example.com"})).status_code == 302
            clock.advance(10)
            assert (await attacker.get("/activate", params={"pim_url": "https://pim.example.com"})).status_code == 302

    asyncio.run(run())


def test_activate_refuses_a_long_pim_url_and_stores_nothing(client: TestClient, real_redis: redis.Redis) -> None:
    long_url = "https://pim.example.com/" + "a" * 300
    response = client.get("/activate", params={"pim_url": long_url})
    assert response.status_code == 400
    assert "longer than 256" in response.text
    assert list(real_redis.scan_iter()) == []
