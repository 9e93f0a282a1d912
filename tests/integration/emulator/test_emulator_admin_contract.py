"""The admin API (`/_emulator/...`) keeps the statuses and bodies that tests, the demo and app developers use."""

from __future__ import annotations

import httpx
import pytest
from emulator_support import API

from akeneo_sync.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.integration


def test_apps_tokens_connections_and_revocation_answer_the_promised_statuses(pim: EmulatorHandle) -> None:
    admin = pim.admin

    app = admin.post("/_emulator/apps", json={"client_id": "c", "client_secret": "s"})
    token = admin.post("/_emulator/tokens", json={"client_id": "c"})
    connection = admin.post(
        "/_emulator/connections",
        json={"client_id": "k", "secret": "s", "username": "u", "password": "p", "expires_in": 60},
    )
    revoked = admin.post("/_emulator/tokens/revoke", json={"access_token": token.json()["access_token"]})

    assert (app.status_code, app.json()) == (201, {"client_id": "c"})
    assert token.status_code == 201
    assert set(token.json()["scope"].split()) == {"read_products", "read_catalogs", "write_catalogs", "delete_catalogs"}
    assert connection.status_code == 201
    assert (revoked.status_code, revoked.content) == (204, b"")


def test_catalog_switches_answer_200_with_the_catalog(pim: EmulatorHandle, api: httpx.Client) -> None:
    created = api.post(f"{API}/catalogs", json={"name": "c"}).json()
    catalog_id = created["id"]

    enabled = pim.admin.post(f"/_emulator/catalogs/{catalog_id}/enable")
    disabled = pim.admin.post(f"/_emulator/catalogs/{catalog_id}/disable")
    selection = pim.admin.put(
        f"/_emulator/catalogs/{catalog_id}/selection",
        json={"enabled_only": False, "updated_after": "2020-01-01T00:00:00+00:00"},
    )
    mapping = pim.admin.put(f"/_emulator/catalogs/{catalog_id}/product-mapping", json={"name": "sku"})
    unknown = pim.admin.post("/_emulator/catalogs/65f5a521-e65c-4d7b-8be8-1f267fa2729c/enable")

    expected_catalog = {k: v for k, v in created.items() if k != "_links"}
    assert (enabled.status_code, enabled.json()) == (200, expected_catalog | {"enabled": True})
    assert (disabled.status_code, disabled.json()) == (200, expected_catalog)
    assert selection.status_code == mapping.status_code == 200
    assert unknown.status_code == 404


def test_fault_and_fair_use_settings_answer_200_and_are_reset(pim: EmulatorHandle) -> None:
    admin = pim.admin

    faults = admin.put(
        "/_emulator/faults",
        json={
            "latency_s": 0.05,
            "error_rate": 0.1,
            "rate_429": 0.05,
            "retry_after_s": 2,
            "timeout_rate": 0.01,
            "timeout_s": 5,
            "drop_rate": 0.01,
            "seed": 1,
            "path_pattern": "catalogs",
        },
    )
    script = admin.post(
        "/_emulator/faults/script",
        json={
            "path_pattern": "x",
            "responses": [
                {"status": 429, "headers": {"Retry-After": "7"}},
                {"status": 503},
                {"drop": True},
                {"timeout": True},
            ],
        },
    )
    fair_use = admin.put(
        "/_emulator/fair-use", json={"max_concurrent_per_token": 4, "max_requests_per_s": 100, "enforce": True}
    )
    unknown_key = admin.put("/_emulator/faults", json={"error_rat": 0.5})
    admin.post("/_emulator/reset").raise_for_status()
    after_reset = admin.get("/_emulator/faults").json()

    assert faults.status_code == script.status_code == fair_use.status_code == 200
    assert script.json()["scripts"] == [{"path_pattern": "x", "remaining": 4}]
    assert unknown_key.status_code == 422
    assert after_reset["scripts"] == []
    assert after_reset["random"]["error_rate"] == 0.0
    assert after_reset["fair_use"]["enforce"] is False


def test_stats_have_the_promised_keys(pim: EmulatorHandle) -> None:
    stats = pim.admin.get("/_emulator/stats").json()

    assert {
        "requests",
        "by_endpoint",
        "by_status",
        "max_concurrent_per_token",
        "throttled",
        "requests_by_token",
    } <= set(stats)
