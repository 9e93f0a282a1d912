"""Tokens against the emulator: the Apps OAuth flow and connection tokens that expire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from akeneo_sync.akeneo.auth import AppTokenProvider, ConnectionTokenProvider
from akeneo_sync.akeneo.oauth import authorize_url, exchange_code, new_state
from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.errors import PimValidationError, TokenRevokedError

pytestmark = pytest.mark.integration

ClientFactory = Any  # conftest.make_client
CALLBACK = "https://app.example.com/callback"
TOKEN_ENDPOINT = "POST /api/oauth/v1/token"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0) as client:
        yield client


def stats(pim: EmulatorHandle) -> dict[str, Any]:
    found: dict[str, Any] = pim.admin.get("/_emulator/stats").json()
    return found


def _authorize(pim: EmulatorHandle, http: httpx.Client, state: str) -> dict[str, list[str]]:
    pim.admin.post(
        "/_emulator/apps", json={"client_id": "app-1", "client_secret": "s3cr3t", "callback_url": CALLBACK}
    ).raise_for_status()
    url = authorize_url(pim.base_url, client_id="app-1", scopes=["read_catalogs", "read_products"], state=state)
    redirect = http.get(url)
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return parse_qs(location.query)


def test_the_apps_flow_yields_a_working_app_token(
    pim: EmulatorHandle, http: httpx.Client, make_client: ClientFactory
) -> None:
    state = new_state()
    callback = _authorize(pim, http, state)
    assert callback["state"] == [state]
    grant = exchange_code(http, pim.base_url, client_id="app-1", client_secret="s3cr3t", code=callback["code"][0])
    assert set(grant.scope) >= {"read_catalogs", "read_products"}
    assert grant.expires_in_s is None
    assert grant.refresh_token is None
    assert list(make_client(AppTokenProvider(grant.access_token)).iter_catalogs()) == []


def test_a_code_works_once(pim: EmulatorHandle, http: httpx.Client) -> None:
    code = _authorize(pim, http, "s")["code"][0]
    exchange_code(http, pim.base_url, client_id="app-1", client_secret="s3cr3t", code=code)
    with pytest.raises(PimValidationError) as caught:
        exchange_code(http, pim.base_url, client_id="app-1", client_secret="s3cr3t", code=code)
    assert "invalid_grant" in caught.value.errors


def test_a_code_older_than_30_seconds_is_refused(
    pim: EmulatorHandle, http: httpx.Client, pim_clock: ManualClock
) -> None:
    code = _authorize(pim, http, "s")["code"][0]
    pim_clock.advance(31)
    with pytest.raises(PimValidationError) as caught:
        exchange_code(http, pim.base_url, client_id="app-1", client_secret="s3cr3t", code=code)
    assert caught.value.errors == ["invalid_grant", "Code has expired"]


def test_a_wrong_client_secret_fails_the_challenge(pim: EmulatorHandle, http: httpx.Client) -> None:
    code = _authorize(pim, http, "s")["code"][0]
    with pytest.raises(PimValidationError):
        exchange_code(http, pim.base_url, client_id="app-1", client_secret="wrong", code=code)


@pytest.fixture
def connection(pim: EmulatorHandle, http: httpx.Client, pim_clock: ManualClock) -> ConnectionTokenProvider:
    pim.admin.post(
        "/_emulator/connections",
        json={"client_id": "conn-1", "secret": "csecret", "username": "u", "password": "p", "expires_in": 120},
    ).raise_for_status()
    return ConnectionTokenProvider(
        http,
        pim.base_url,
        client_id="conn-1",
        secret="csecret",
        username="u",
        password="p",
        clock=pim_clock,
        refresh_margin_s=30,
    )


def test_a_connection_token_is_refreshed_before_it_expires(
    pim: EmulatorHandle, make_client: ClientFactory, connection: ConnectionTokenProvider, pim_clock: ManualClock
) -> None:
    client = make_client(connection)
    client.create_catalog("By connection")
    first = connection.token()
    pim_clock.advance(100)  # 20 s before the emulator would expire it; inside the 30 s margin
    assert [catalog.name for catalog in client.iter_catalogs()] == ["By connection"]
    assert connection.token() != first
    counts = stats(pim)
    assert counts["by_endpoint"][TOKEN_ENDPOINT] == 2
    assert "401" not in counts["by_status"]


def test_a_connection_token_rejected_with_401_is_refreshed_once_and_the_call_retried(
    pim: EmulatorHandle, make_client: ClientFactory, connection: ConnectionTokenProvider
) -> None:
    client = make_client(connection)
    catalog = client.create_catalog("Retried")
    pim.admin.post("/_emulator/tokens/revoke", json={"access_token": connection.token()}).raise_for_status()
    assert client.get_catalog(catalog.id).name == "Retried"
    counts = stats(pim)
    assert counts["by_status"]["401"] == 1
    assert counts["by_endpoint"][TOKEN_ENDPOINT] == 2


def test_a_connection_whose_fresh_token_is_also_refused_is_revoked(
    pim: EmulatorHandle, make_client: ClientFactory, connection: ConnectionTokenProvider
) -> None:
    # The PIM refuses the token, then the refreshed one too: one refresh, then stop (no storm).
    client = make_client(connection)
    connection.token()
    revoke_all = {"path_pattern": "/catalogs$", "responses": [{"status": 401}, {"status": 401}, {"status": 401}]}
    pim.admin.post("/_emulator/faults/script", json=revoke_all).raise_for_status()
    pim.admin.post("/_emulator/stats/reset").raise_for_status()
    with pytest.raises(TokenRevokedError):
        client.catalogs_page()
    counts = stats(pim)
    assert counts["by_status"]["401"] == 2
    assert counts["by_endpoint"][TOKEN_ENDPOINT] == 1
