"""The client against a misbehaving emulator: 429s, 5xx, timeouts, drops, revoked tokens.

Waits are measured on the shared `ManualClock` (`pim_clock.sleeps`): nothing here sleeps.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from prometheus_client import REGISTRY

from akeneo_sync.akeneo.auth import AppTokenProvider
from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.errors import PimUnavailableError, RateLimitedError, TokenRevokedError
from akeneo_sync.retry import full_jitter

pytestmark = pytest.mark.integration

ClientFactory = Any  # conftest.make_client
UUIDS = "/product-uuids$"


def script(pim: EmulatorHandle, *responses: dict[str, Any], path: str = UUIDS) -> None:
    pim.admin.post("/_emulator/faults/script", json={"path_pattern": path, "responses": list(responses)})


def stats(pim: EmulatorHandle) -> dict[str, Any]:
    found: dict[str, Any] = pim.admin.get("/_emulator/stats").json()
    return found


def reset_stats(pim: EmulatorHandle) -> None:
    pim.admin.post("/_emulator/stats/reset").raise_for_status()


def test_a_429_with_retry_after_is_waited_out_exactly(
    client: AkeneoClient, pim: EmulatorHandle, pim_clock: ManualClock, enabled_catalog: str
) -> None:
    script(pim, {"status": 429, "headers": {"Retry-After": "7"}})
    reset_stats(pim)
    before = REGISTRY.get_sample_value("akeneo_sync_backoff_seconds_total", {"reason": "retry_after"}) or 0.0
    page = client.product_uuids_page(enabled_catalog, limit=10)
    assert len(page.items) == 10
    assert pim_clock.sleeps == [7.0]
    assert stats(pim)["by_status"] == {"429": 1, "200": 1}
    assert REGISTRY.get_sample_value("akeneo_sync_backoff_seconds_total", {"reason": "retry_after"}) == before + 7


def test_a_429_without_retry_after_backs_off_with_full_jitter(
    client: AkeneoClient, pim: EmulatorHandle, pim_clock: ManualClock, enabled_catalog: str
) -> None:
    script(pim, {"status": 429}, {"status": 429}, {"status": 429})
    before = REGISTRY.get_sample_value("akeneo_sync_rate_limited_total", {"tenant": "tenant-1"}) or 0.0
    client.product_uuids_page(enabled_catalog, limit=10)
    rng = random.Random(1)  # the seed conftest gives every client
    assert pim_clock.sleeps == [full_jitter(n, rng, base_s=1.0, cap_s=30.0) for n in (1, 2, 3)]
    assert all(0 <= wait <= 2 ** (n - 1) for n, wait in enumerate(pim_clock.sleeps, start=1))
    assert REGISTRY.get_sample_value("akeneo_sync_rate_limited_total", {"tenant": "tenant-1"}) == before + 3


def test_429s_outlasting_the_attempts_raise_rate_limited(
    make_client: ClientFactory, pim: EmulatorHandle, enabled_catalog: str
) -> None:
    client = make_client(max_attempts=3)
    script(pim, *[{"status": 429, "headers": {"Retry-After": "2"}}] * 5)
    reset_stats(pim)
    with pytest.raises(RateLimitedError) as caught:
        client.product_uuids_page(enabled_catalog)
    assert caught.value.retry_after_s == 2.0
    assert stats(pim)["requests"] == 3


def test_server_errors_are_retried_until_the_page_arrives(
    client: AkeneoClient, pim: EmulatorHandle, pim_clock: ManualClock, enabled_catalog: str
) -> None:
    script(pim, {"status": 503}, {"status": 500}, {"status": 408})
    uuids = client.product_uuids_page(enabled_catalog, limit=3).items
    assert len(uuids) == 3
    assert len(pim_clock.sleeps) == 3


def test_server_errors_outlasting_the_attempts_raise_unavailable(
    make_client: ClientFactory, pim: EmulatorHandle, enabled_catalog: str
) -> None:
    client = make_client(max_attempts=4)
    script(pim, *[{"status": 502}] * 6)
    reset_stats(pim)
    with pytest.raises(PimUnavailableError) as caught:
        client.product_uuids_page(enabled_catalog)
    assert caught.value.status == 502
    assert stats(pim)["requests"] == 4


def test_a_retry_budget_is_also_bounded_by_the_total_deadline(
    make_client: ClientFactory, pim: EmulatorHandle, pim_clock: ManualClock, enabled_catalog: str
) -> None:
    client = make_client(max_attempts=10, deadline_s=10.0)
    script(pim, *[{"status": 429, "headers": {"Retry-After": "4"}}] * 10)
    with pytest.raises(RateLimitedError):
        client.product_uuids_page(enabled_catalog)
    assert pim_clock.sleeps == [4.0, 4.0]


def test_dropped_connections_are_retried(
    client: AkeneoClient, pim: EmulatorHandle, pim_clock: ManualClock, enabled_catalog: str
) -> None:
    script(pim, {"drop": True}, {"drop": True})
    assert len(client.product_uuids_page(enabled_catalog, limit=2).items) == 2
    assert len(pim_clock.sleeps) == 2


def test_timeouts_are_retried_then_reported_unavailable(
    make_client: ClientFactory, pim: EmulatorHandle, enabled_catalog: str
) -> None:
    # The emulator holds each answer 1 s; the client gives up reading after 0.2 s (real time,
    # bounded: 2 attempts), then the total is reported as unavailable.
    client = make_client(max_attempts=2, timeout_s=0.2)
    script(pim, *[{"timeout": True, "timeout_s": 1.0}] * 2)
    with pytest.raises(PimUnavailableError) as caught:
        client.product_uuids_page(enabled_catalog)
    assert "ReadTimeout" in str(caught.value)


def test_a_timeout_then_an_answer_returns_the_page(
    make_client: ClientFactory, pim: EmulatorHandle, enabled_catalog: str
) -> None:
    # 0.5 s: short enough to keep the test quick, long enough for the healthy retry on a busy box.
    client = make_client(timeout_s=0.5)
    script(pim, {"timeout": True, "timeout_s": 5.0})
    assert len(client.product_uuids_page(enabled_catalog, limit=2).items) == 2


def test_a_revoked_app_token_raises_after_exactly_one_request(
    make_client: ClientFactory, pim: EmulatorHandle, enabled_catalog: str
) -> None:
    token = pim.admin.post("/_emulator/tokens", json={"client_id": "app-sync"}).json()["access_token"]
    client = make_client(AppTokenProvider(token))
    pim.admin.post("/_emulator/tokens/revoke", json={"access_token": token}).raise_for_status()
    reset_stats(pim)
    with pytest.raises(TokenRevokedError) as caught:
        client.product_uuids_page(enabled_catalog)
    assert caught.value.status == 401
    assert token not in str(caught.value)
    assert stats(pim)["requests"] == 1
