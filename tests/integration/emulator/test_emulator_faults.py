"""Fault injection, fair-use throttling and traffic stats of the emulator, over a real socket."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from emulator_support import API, ClientFactory

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle
from helpers import wait_until

pytestmark = pytest.mark.integration

THROTTLED = {"code": 429, "message": "You have exceeded the limit of API requests per second."}


def test_scripted_faults_answer_in_order_then_normal_service_resumes(pim: EmulatorHandle, api: httpx.Client) -> None:
    pim.admin.post(
        "/_emulator/faults/script",
        json={
            "path_pattern": "/catalogs$",
            "responses": [
                {"status": 429, "headers": {"Retry-After": "7"}},
                {"status": 429},
                {"status": 503},
                {"drop": True},
                {"timeout": True, "timeout_s": 0.5},
            ],
        },
    ).raise_for_status()

    with_hint = api.get(f"{API}/catalogs")
    without_hint = api.get(f"{API}/catalogs")
    unavailable = api.get(f"{API}/catalogs")
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(f"{API}/catalogs")
    with pytest.raises(httpx.ReadTimeout):
        api.get(f"{API}/catalogs", timeout=0.1)
    normal = api.get(f"{API}/catalogs")

    assert (with_hint.status_code, with_hint.headers["retry-after"], with_hint.json()) == (429, "7", THROTTLED)
    assert without_hint.status_code == 429
    assert "retry-after" not in without_hint.headers
    assert unavailable.status_code == 503
    assert unavailable.json()["code"] == 503
    assert normal.status_code == 200


def test_scripted_faults_only_hit_matching_paths_and_never_the_admin_api(
    pim: EmulatorHandle, api: httpx.Client
) -> None:
    pim.admin.post(
        "/_emulator/faults/script", json={"path_pattern": "product-uuids", "responses": [{"status": 500}]}
    ).raise_for_status()

    assert api.get(f"{API}/catalogs").status_code == 200
    assert pim.admin.get("/_emulator/stats").status_code == 200
    catalog_id = api.post(f"{API}/catalogs", json={"name": "c"}).json()["id"]
    assert api.get(f"{API}/catalogs/{catalog_id}/product-uuids").status_code == 500
    assert api.get(f"{API}/catalogs/{catalog_id}/product-uuids").status_code == 200


def statuses(api: httpx.Client, count: int) -> list[int | str]:
    seen: list[int | str] = []
    for _ in range(count):
        try:
            seen.append(api.get(f"{API}/catalogs").status_code)
        except httpx.RemoteProtocolError:
            seen.append("dropped")
    return seen


def test_random_faults_follow_their_rates_and_replay_identically_for_a_seed(
    pim: EmulatorHandle, api: httpx.Client
) -> None:
    faults = {"error_rate": 0.2, "rate_429": 0.1, "retry_after_s": 3, "drop_rate": 0.05, "seed": 42}
    pim.admin.put("/_emulator/faults", json=faults).raise_for_status()
    first = statuses(api, 200)
    pim.admin.put("/_emulator/faults", json=faults).raise_for_status()
    second = statuses(api, 200)

    assert first == second
    server_errors = sum(1 for s in first if s in (500, 502, 503))
    assert 20 <= server_errors <= 60
    assert 5 <= first.count(429) <= 35
    assert 1 <= first.count("dropped") <= 25
    assert first.count(200) == 200 - server_errors - first.count(429) - first.count("dropped")


def test_random_429s_carry_retry_after_only_when_configured(pim: EmulatorHandle, api: httpx.Client) -> None:
    pim.admin.put("/_emulator/faults", json={"rate_429": 1.0, "retry_after_s": 2}).raise_for_status()
    hinted = api.get(f"{API}/catalogs")
    pim.admin.put("/_emulator/faults", json={"rate_429": 1.0, "retry_after_s": None}).raise_for_status()
    bare = api.get(f"{API}/catalogs")

    assert (hinted.status_code, hinted.headers.get("retry-after")) == (429, "2")
    assert (bare.status_code, bare.headers.get("retry-after")) == (429, None)


def test_latency_is_added_to_api_calls(pim: EmulatorHandle, api: httpx.Client) -> None:
    pim.admin.put("/_emulator/faults", json={"latency_s": 0.2}).raise_for_status()

    started = time.monotonic()
    api.get(f"{API}/catalogs").raise_for_status()

    assert time.monotonic() - started >= 0.2


def test_fair_use_throttles_concurrent_calls_per_token_and_stats_record_the_peak(
    pim: EmulatorHandle, client_for: ClientFactory
) -> None:
    pim.admin.put("/_emulator/faults", json={"latency_s": 0.5}).raise_for_status()
    pim.admin.put(
        "/_emulator/fair-use", json={"max_concurrent_per_token": 2, "max_requests_per_s": 1000, "enforce": True}
    ).raise_for_status()
    api = client_for("app-a")
    barrier = threading.Barrier(6)
    answers: list[httpx.Response] = []

    def call() -> None:
        barrier.wait(timeout=10)
        answers.append(api.get(f"{API}/catalogs"))

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)

    throttled = [a for a in answers if a.status_code == 429]
    assert len(answers) == 6
    assert len(throttled) >= 1
    assert sum(1 for a in answers if a.status_code == 200) >= 2
    assert all(a.json() == THROTTLED and a.headers["retry-after"] == "1" for a in throttled)
    stats = pim.admin.get("/_emulator/stats").json()
    token_key = api.headers["Authorization"].removeprefix("Bearer ")[:8]
    assert stats["max_concurrent_per_token"][token_key] >= 3
    assert stats["throttled"] == len(throttled)


def test_fair_use_caps_requests_per_second_per_instance(
    pim: EmulatorHandle, client_for: ClientFactory, clock: ManualClock
) -> None:
    pim.admin.put(
        "/_emulator/fair-use", json={"max_requests_per_s": 5, "enforce": True, "retry_after_s": None}
    ).raise_for_status()
    first, second = client_for("app-a"), client_for("app-b")

    allowed = [first.get(f"{API}/catalogs").status_code for _ in range(3)]
    allowed += [second.get(f"{API}/catalogs").status_code for _ in range(2)]
    over = second.get(f"{API}/catalogs")
    clock.advance(1.0)
    later = first.get(f"{API}/catalogs")

    assert allowed == [200] * 5
    assert over.status_code == 429
    assert "retry-after" not in over.headers
    assert later.status_code == 200


def test_fair_use_is_observed_but_not_enforced_by_default(pim: EmulatorHandle, api: httpx.Client) -> None:
    pim.admin.put("/_emulator/fair-use", json={"max_requests_per_s": 1}).raise_for_status()

    assert [api.get(f"{API}/catalogs").status_code for _ in range(3)] == [200, 200, 200]


def test_stats_count_by_endpoint_status_and_token_and_can_be_reset(pim: EmulatorHandle, api: httpx.Client) -> None:
    pim.admin.post("/_emulator/stats/reset").raise_for_status()
    catalog_id = api.post(f"{API}/catalogs", json={"name": "c"}).json()["id"]
    api.get(f"{API}/catalogs/{catalog_id}/product-uuids")
    api.get(f"{API}/catalogs/{catalog_id}/product-uuids")
    httpx.get(f"{pim.base_url}{API}/catalogs")

    stats = pim.admin.get("/_emulator/stats").json()
    pim.admin.post("/_emulator/stats/reset").raise_for_status()
    cleared = pim.admin.get("/_emulator/stats").json()

    token_key = api.headers["Authorization"].removeprefix("Bearer ")[:8]
    assert stats["requests"] == 4
    assert stats["by_endpoint"] == {
        "POST /api/rest/v1/catalogs": 1,
        "GET /api/rest/v1/catalogs/{id}/product-uuids": 2,
        "GET /api/rest/v1/catalogs": 1,
    }
    assert stats["by_status"] == {"201": 1, "200": 2, "401": 1}
    assert stats["requests_by_token"] == {token_key: 3, "anonymous": 1}
    assert stats["max_concurrent_per_token"][token_key] == 1
    assert cleared["requests"] == 0
    assert cleared["by_endpoint"] == {}


def test_a_held_request_is_released_as_soon_as_the_client_gives_up(pim: EmulatorHandle, api: httpx.Client) -> None:
    pim.admin.post(
        "/_emulator/faults/script",
        json={"path_pattern": "catalogs$", "responses": [{"timeout": True, "timeout_s": 60}]},
    ).raise_for_status()

    with pytest.raises(httpx.ReadTimeout):
        api.get(f"{API}/catalogs", timeout=0.2)
    # Bounded wait for the server thread to see the disconnect (far below the 60 s hold).
    wait_until(lambda: not pim.admin.get("/_emulator/stats").json()["in_flight"], 10, what="the disconnect was seen")

    stats = pim.admin.get("/_emulator/stats").json()
    assert stats["in_flight"] == {}
    assert stats["by_status"] == {"dropped": 1}
    assert api.get(f"{API}/catalogs").status_code == 200
