"""Token providers: app tokens never refresh; connection tokens refresh early, once, under a lock."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from akeneo_sync.akeneo.auth import AppTokenProvider, ConnectionTokenProvider
from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import PimUnavailableError, TokenRevokedError


@dataclass
class TokenEndpoint:
    """A scripted `/api/oauth/v1/token`: numbered tokens, optional refusal of refresh grants."""

    expires_in: int = 3600
    refuse_refresh: bool = False
    status: int = 200
    grants: list[str] = field(default_factory=list)
    issued: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/oauth/v1/token"
        assert request.headers["authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
        body = json.loads(request.content)
        with self.lock:
            self.grants.append(body["grant_type"])
            if self.status != 200:
                return httpx.Response(self.status, json={"code": self.status, "message": "nope"})
            if body["grant_type"] == "refresh_token" and self.refuse_refresh:
                return httpx.Response(422, json={"code": 422, "message": "Refresh token has expired"})
            self.issued += 1
            n = self.issued
        return httpx.Response(
            200,
            json={
                "access_token": f"a{n}",
                "expires_in": self.expires_in,
                "token_type": "bearer",
                "scope": None,
                "refresh_token": f"r{n}",
            },
        )


@pytest.fixture
def endpoint() -> TokenEndpoint:
    return TokenEndpoint()


@pytest.fixture
def provider_for(clock: ManualClock) -> Iterator[Callable[[TokenEndpoint], ConnectionTokenProvider]]:
    clients: list[httpx.Client] = []

    def make(endpoint: TokenEndpoint) -> ConnectionTokenProvider:
        http = httpx.Client(transport=httpx.MockTransport(endpoint))
        clients.append(http)
        return ConnectionTokenProvider(
            http,
            "https://pim.example.com",
            client_id="cid",
            secret="csecret",
            username="u",
            password="p",
            clock=clock,
            refresh_margin_s=60,
        )

    yield make
    for http in clients:
        http.close()


def test_an_app_token_is_never_refreshed_and_a_401_is_final() -> None:
    tokens = AppTokenProvider("app-token")
    assert tokens.token() == "app-token"
    assert tokens.on_unauthorized("app-token") is False
    assert "app-token" not in repr(tokens)


def test_the_first_token_comes_from_the_password_grant_and_is_reused(
    endpoint: TokenEndpoint, provider_for: Callable[[TokenEndpoint], ConnectionTokenProvider]
) -> None:
    tokens = provider_for(endpoint)
    assert tokens.token() == "a1"
    assert tokens.token() == "a1"
    assert endpoint.grants == ["password"]


def test_the_token_is_refreshed_before_it_expires_not_after(
    clock: ManualClock,
    endpoint: TokenEndpoint,
    provider_for: Callable[[TokenEndpoint], ConnectionTokenProvider],
    metric: Callable[..., float],
) -> None:
    tokens = provider_for(endpoint)
    refreshed = metric("akeneo_sync_token_refreshes_total", result="refreshed")
    assert tokens.token() == "a1"
    clock.advance(3600 - 61)
    assert tokens.token() == "a1"
    clock.advance(2)  # now inside the 60 s margin, still 59 s before the real expiry
    assert tokens.token() == "a2"
    assert endpoint.grants == ["password", "refresh_token"]
    assert metric("akeneo_sync_token_refreshes_total", result="refreshed") == refreshed + 1


def test_a_refused_refresh_token_falls_back_to_the_password_grant(
    clock: ManualClock, provider_for: Callable[[TokenEndpoint], ConnectionTokenProvider]
) -> None:
    endpoint = TokenEndpoint(refuse_refresh=True)
    tokens = provider_for(endpoint)
    tokens.token()
    clock.advance(3600)
    assert tokens.token() == "a2"
    assert endpoint.grants == ["password", "refresh_token", "password"]


def test_a_401_refreshes_once_and_a_stale_rejection_does_not_refresh_again(
    endpoint: TokenEndpoint, provider_for: Callable[[TokenEndpoint], ConnectionTokenProvider]
) -> None:
    tokens = provider_for(endpoint)
    rejected = tokens.token()
    assert tokens.on_unauthorized(rejected) is True
    assert tokens.token() == "a2"
    # A second thread reporting the same old token must not trigger another refresh.
    assert tokens.on_unauthorized(rejected) is True
    assert tokens.token() == "a2"
    assert endpoint.grants == ["password", "refresh_token"]


def test_threads_finding_the_token_stale_together_cause_a_single_refresh(
    clock: ManualClock, endpoint: TokenEndpoint, provider_for: Callable[[TokenEndpoint], ConnectionTokenProvider]
) -> None:
    tokens = provider_for(endpoint)
    tokens.token()
    clock.advance(3600)
    barrier = threading.Barrier(8)
    seen: list[str] = []

    def worker() -> None:
        barrier.wait()
        seen.append(tokens.token())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["a2"] * 8
    assert endpoint.grants == ["password", "refresh_token"]


def test_refused_credentials_are_a_revoked_connection(
    provider_for: Callable[[TokenEndpoint], ConnectionTokenProvider],
) -> None:
    with pytest.raises(TokenRevokedError):
        provider_for(TokenEndpoint(status=401)).token()


def test_a_failing_token_endpoint_is_unavailable_and_the_secret_is_not_in_the_error(
    provider_for: Callable[[TokenEndpoint], ConnectionTokenProvider],
) -> None:
    with pytest.raises(PimUnavailableError) as caught:
        provider_for(TokenEndpoint(status=503)).token()
    assert "csecret" not in str(caught.value)
    assert caught.value.retryable
