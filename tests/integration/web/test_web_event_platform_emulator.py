"""The Event Platform emulator's management API on its own (no PIM needed for these answers)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from akeneo_sync.eventplatform.testing import running_event_platform

pytestmark = pytest.mark.integration
WHO = {"X-PIM-URL": "http://127.0.0.1:9", "X-PIM-TOKEN": "t", "X-PIM-CLIENT-ID": "c"}
SUBSCRIBER = {"name": "akeneo-sync", "contact": {"technical_email": "ops@example.com"}}


@pytest.fixture(scope="module")
def platform() -> Iterator[httpx.Client]:
    with running_event_platform() as (base_url, _state), httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


@pytest.mark.parametrize("missing", list(WHO))
def test_every_identification_header_is_required(platform: httpx.Client, missing: str) -> None:
    headers = {k: v for k, v in WHO.items() if k != missing}
    assert platform.get("/subscribers", headers=headers).status_code == 401


def test_a_subscriber_is_visible_only_to_its_pim_and_client(platform: httpx.Client) -> None:
    created = platform.post("/subscribers", headers=WHO, json=SUBSCRIBER)
    assert created.status_code == 201
    assert created.json()["subject"] == "http://127.0.0.1:9"
    other = {**WHO, "X-PIM-CLIENT-ID": "someone-else"}
    assert created.json()["id"] in [s["id"] for s in platform.get("/subscribers", headers=WHO).json()]
    assert platform.get("/subscribers", headers=other).json() == []
    assert platform.get(f"/subscribers/{created.json()['id']}/subscriptions", headers=other).status_code == 404


def test_invalid_bodies_are_422(platform: httpx.Client) -> None:
    assert platform.post("/subscribers", headers=WHO, json={"name": ""}).status_code == 422
    subscriber = platform.post("/subscribers", headers=WHO, json=SUBSCRIBER).json()["id"]
    unsigned = {"subject": "x", "events": ["com.akeneo.pim.v1.product.updated"], "config": {"url": "https://a/b"}}
    assert platform.post(f"/subscribers/{subscriber}/subscriptions", headers=WHO, json=unsigned).status_code == 422
    assert platform.post(f"/subscribers/{subscriber}/subscriptions", headers=WHO, content=b"{").status_code == 422


def test_unknown_subscriptions_and_actions_are_404(platform: httpx.Client) -> None:
    subscriber = platform.post("/subscribers", headers=WHO, json=SUBSCRIBER).json()["id"]
    base = f"/subscribers/{subscriber}/subscriptions"
    assert platform.post(f"{base}/nope/suspend", headers=WHO).status_code == 404
    assert platform.post(f"{base}/nope/explode", headers=WHO).status_code == 404
