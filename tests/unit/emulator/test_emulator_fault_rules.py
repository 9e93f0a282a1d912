"""Fault decisions and traffic counting, without a server."""

from __future__ import annotations

import pytest

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.faults import FairUse, Faults, RandomFaults, ScriptedFault, ScriptedFaults
from akeneo_sync.emulator.stats import Stats, endpoint_of, token_key

UUID = "65f5a521-e65c-4d7b-8be8-1f267fa2729c"


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/rest/v1/catalogs", "GET /api/rest/v1/catalogs"),
        ("GET", f"/api/rest/v1/catalogs/{UUID}", "GET /api/rest/v1/catalogs/{id}"),
        ("GET", f"/api/rest/v1/catalogs/{UUID}/product-uuids", "GET /api/rest/v1/catalogs/{id}/product-uuids"),
        (
            "PUT",
            f"/api/rest/v1/catalogs/{UUID}/mapping-schemas/product",
            "PUT /api/rest/v1/catalogs/{id}/mapping-schemas/product",
        ),
        ("GET", f"/api/rest/v1/catalogs/{UUID}/products/{UUID}", "GET /api/rest/v1/catalogs/{id}/products/{uuid}"),
        (
            "GET",
            f"/api/rest/v1/catalogs/{UUID}/mapped-products/{UUID}",
            "GET /api/rest/v1/catalogs/{id}/mapped-products/{uuid}",
        ),
        ("POST", "/api/oauth/v1/token", "POST /api/oauth/v1/token"),
    ],
)
def test_endpoints_are_grouped_by_template(method: str, path: str, expected: str) -> None:
    assert endpoint_of(method, path) == expected


def test_token_keys_are_short_and_never_the_whole_token() -> None:
    assert token_key("Bearer abcdefghijklmnop") == "abcdefgh"
    assert token_key("Basic Zm9vOmJhcg==") == "anonymous"
    assert token_key("") == "anonymous"


def test_stats_track_the_peak_of_concurrent_calls_per_token() -> None:
    stats = Stats()
    stats.begin("a", "GET /x")
    stats.begin("a", "GET /x")
    stats.begin("b", "GET /x")
    stats.end("a", 200)
    stats.begin("a", "GET /x")
    stats.end("a", 429)
    stats.end("a", None)

    snapshot = stats.snapshot()

    assert snapshot["max_concurrent_per_token"] == {"a": 2, "b": 1}
    assert snapshot["in_flight"] == {"b": 1}
    assert snapshot["by_status"] == {"200": 1, "429": 1, "dropped": 1}
    assert snapshot["requests_by_token"] == {"a": 3, "b": 1}


def test_scripts_apply_in_order_to_matching_paths_only() -> None:
    faults = Faults(ManualClock())
    faults.add_script(
        ScriptedFaults(
            path_pattern="uuids",
            responses=[ScriptedFault(status=429, headers={"Retry-After": "7"}), ScriptedFault(drop=True)],
        )
    )

    other, _ = faults.decide("/api/rest/v1/catalogs", 1)
    first, _ = faults.decide("/x/product-uuids", 1)
    second, _ = faults.decide("/x/product-uuids", 1)
    third, _ = faults.decide("/x/product-uuids", 1)

    assert other is None
    assert first is not None
    assert (first.status, first.headers) == (429, (("retry-after", "7"),))
    assert second is not None
    assert second.drop
    assert third is None


def test_random_faults_replay_with_their_seed_and_respect_the_path_pattern() -> None:
    faults = Faults(ManualClock())
    config = RandomFaults(error_rate=0.3, timeout_rate=0.1, timeout_s=2.0, latency_s=0.01, seed=5, path_pattern="^/a")

    faults.set_random(config)
    first = [faults.decide("/a", 1) for _ in range(50)]
    faults.set_random(config)
    second = [faults.decide("/a", 1) for _ in range(50)]

    assert first == second
    assert {latency for _, latency in first} == {0.01}
    assert any(d is not None and d.hold_s == 2.0 and d.status == 504 for d, _ in first)
    assert all(faults.decide("/b", 1) == (None, 0.0) for _ in range(20))


def test_fair_use_refuses_concurrency_above_the_limit_and_bursts_within_one_second() -> None:
    clock = ManualClock()
    faults = Faults(clock)
    faults.set_fair_use(FairUse(max_concurrent_per_token=2, max_requests_per_s=3, enforce=True))

    concurrent, _ = faults.decide("/a", 3)
    clock.advance(1.0)
    burst = [faults.decide("/a", 1)[0] for _ in range(4)]
    clock.advance(1.0)
    after, _ = faults.decide("/a", 1)

    assert concurrent is not None
    assert (concurrent.status, concurrent.headers, concurrent.throttled) == (429, (("retry-after", "1"),), True)
    assert burst[:3] == [None, None, None]
    assert burst[3] is not None
    assert burst[3].status == 429
    assert after is None


def test_fair_use_also_caps_concurrency_across_the_instance() -> None:
    faults = Faults(ManualClock())
    faults.set_fair_use(FairUse(max_concurrent_per_token=4, max_concurrent_per_instance=10, enforce=True))

    within, _ = faults.decide("/a", 1, 10)
    over, _ = faults.decide("/a", 1, 11)

    assert within is None
    assert over is not None
    assert over.status == 429


def test_new_random_faults_keep_the_base_latency_unless_they_set_one() -> None:
    faults = Faults(ManualClock(), base_latency_s=0.02)

    faults.set_random(RandomFaults(error_rate=0.0))
    kept = faults.decide("/a", 1)[1]
    faults.set_random(RandomFaults(latency_s=0.0))
    cleared = faults.decide("/a", 1)[1]

    assert (kept, cleared) == (0.02, 0.0)
