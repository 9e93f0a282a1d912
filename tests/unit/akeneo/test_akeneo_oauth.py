"""OAuth helpers: the authorize URL, the code challenge, and the code exchange."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from akeneo_sync.akeneo.oauth import authorize_url, code_challenge, exchange_code, new_code_identifier, new_state
from akeneo_sync.errors import PimUnavailableError, PimValidationError, RateLimitedError


def test_the_authorize_url_carries_code_client_scopes_and_state() -> None:
    url = authorize_url(
        "https://pim.example.com/", client_id="app-1", scopes=["read_catalogs", "read_products"], state="s1"
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://pim.example.com/connect/apps/v1/authorize"
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["app-1"],
        "scope": ["read_catalogs read_products"],
        "state": ["s1"],
    }


def test_the_code_challenge_is_sha256_hex_of_identifier_then_secret() -> None:
    # sha256("abc" + "secret"), computed once with `printf abcsecret | sha256sum`.
    assert code_challenge("abc", "secret") == "a42178b773273f5c9f24387fbea546af537d08b8c06b23631e44878b9ce47f49"
    assert code_challenge("abc", "secret") != code_challenge("secret", "abc")


def test_states_and_identifiers_are_fresh_and_high_entropy() -> None:
    assert len({new_state() for _ in range(50)}) == 50
    assert len(new_state()) == 20
    assert len(new_code_identifier()) == 64


def _token_endpoint(seen: list[httpx.Request], response: httpx.Response) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_the_exchange_posts_a_form_with_the_challenge_and_never_the_secret() -> None:
    seen: list[httpx.Request] = []
    body = {"access_token": "tok", "token_type": "bearer", "scope": "read_catalogs"}
    with _token_endpoint(seen, httpx.Response(200, json=body)) as http:
        grant = exchange_code(
            http,
            "https://pim.example.com",
            client_id="app-1",
            client_secret="s3cr3t",
            code="c0de",
            code_identifier="id1",
        )
    assert grant.access_token == "tok"
    assert grant.scope == ("read_catalogs",)
    (request,) = seen
    assert str(request.url) == "https://pim.example.com/connect/apps/v1/oauth2/token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in request.headers
    form = parse_qs(request.content.decode())
    assert form == {
        "client_id": ["app-1"],
        "code": ["c0de"],
        "grant_type": ["authorization_code"],
        "code_identifier": ["id1"],
        "code_challenge": [code_challenge("id1", "s3cr3t")],
    }
    assert b"s3cr3t" not in request.content


def test_an_expired_code_becomes_a_validation_error_with_the_oauth_messages() -> None:
    refused = httpx.Response(400, json={"error": "invalid_grant", "error_description": "Code has expired"})
    with _token_endpoint([], refused) as http, pytest.raises(PimValidationError) as caught:
        exchange_code(http, "https://p", client_id="a", client_secret="s", code="c")
    assert caught.value.errors == ["invalid_grant", "Code has expired"]
    assert caught.value.status == 400


@pytest.mark.parametrize(("status", "error"), [(503, PimUnavailableError), (429, RateLimitedError)])
def test_a_failing_token_endpoint_is_reported_without_retrying_the_single_use_code(
    status: int, error: type[Exception]
) -> None:
    seen: list[httpx.Request] = []
    with _token_endpoint(seen, httpx.Response(status)) as http, pytest.raises(error):
        exchange_code(http, "https://p", client_id="a", client_secret="s", code="c")
    assert len(seen) == 1


def test_a_dropped_connection_during_the_exchange_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http, pytest.raises(PimUnavailableError):
        exchange_code(http, "https://p", client_id="a", client_secret="s", code="c")
