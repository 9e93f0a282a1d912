"""Apps OAuth (authorize + code exchange) and connection tokens, per docs/akeneo.md."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from emulator_support import API

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.integration

CLIENT_ID = "my-app"
SECRET = "s3cr3t-of-the-app"
CALLBACK = "http://127.0.0.1:9/oauth/callback"
CONN_SECRET = "csecret"
SCOPES = "read_catalogs write_catalogs delete_catalogs read_products openid"


@pytest.fixture
def registered(pim: EmulatorHandle) -> EmulatorHandle:
    response = pim.admin.post(
        "/_emulator/apps", json={"client_id": CLIENT_ID, "client_secret": SECRET, "callback_url": CALLBACK}
    )
    assert response.status_code == 201
    assert response.json() == {"client_id": CLIENT_ID}
    return pim


def authorize(pim: EmulatorHandle, state: str = "f00dcafe", scope: str = SCOPES) -> httpx.Response:
    return httpx.get(
        f"{pim.base_url}/connect/apps/v1/authorize",
        params={"response_type": "code", "client_id": CLIENT_ID, "scope": scope, "state": state},
    )


def code_from(response: httpx.Response) -> str:
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def exchange(pim: EmulatorHandle, code: str, secret: str = SECRET, identifier: str = "a1" * 30) -> httpx.Response:
    challenge = hashlib.sha256((identifier + secret).encode()).hexdigest()
    return httpx.post(
        f"{pim.base_url}/connect/apps/v1/oauth2/token",
        data={
            "client_id": CLIENT_ID,
            "code": code,
            "grant_type": "authorization_code",
            "code_identifier": identifier,
            "code_challenge": challenge,
        },
    )


def test_authorize_redirects_to_the_callback_with_code_and_state(registered: EmulatorHandle) -> None:
    response = authorize(registered, state="xyz123")

    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["xyz123"]
    assert len(query["code"][0]) >= 20


def test_authorize_refuses_an_unknown_client_and_a_wrong_response_type(registered: EmulatorHandle) -> None:
    unknown = httpx.get(
        f"{registered.base_url}/connect/apps/v1/authorize",
        params={"response_type": "code", "client_id": "nobody", "state": "s"},
    )
    wrong_type = httpx.get(
        f"{registered.base_url}/connect/apps/v1/authorize", params={"response_type": "token", "client_id": CLIENT_ID}
    )

    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_client"
    assert wrong_type.status_code == 400
    assert "location" not in unknown.headers


def test_the_code_exchange_returns_a_bearer_token_without_expiry_that_works(registered: EmulatorHandle) -> None:
    response = exchange(registered, code_from(authorize(registered)))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "scope", "id_token"}
    assert body["token_type"] == "bearer"
    assert set(body["scope"].split()) == set(SCOPES.split())
    catalogs = httpx.get(
        f"{registered.base_url}{API}/catalogs", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert catalogs.status_code == 200


def test_a_code_works_only_once(registered: EmulatorHandle) -> None:
    code = code_from(authorize(registered))

    first = exchange(registered, code)
    second = exchange(registered, code)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_a_code_expires_after_30_seconds(registered: EmulatorHandle, clock: ManualClock) -> None:
    fresh, stale = code_from(authorize(registered)), code_from(authorize(registered))
    clock.advance(29)
    assert exchange(registered, fresh).status_code == 200

    clock.advance(1)
    late = exchange(registered, stale)

    assert late.status_code == 400
    assert late.json() == {"error": "invalid_grant", "error_description": "Code has expired"}


def test_a_wrong_code_challenge_is_refused_and_does_not_burn_the_code(registered: EmulatorHandle) -> None:
    code = code_from(authorize(registered))

    wrong = exchange(registered, code, secret="not-the-secret")
    right = exchange(registered, code)

    assert wrong.status_code == 400
    assert set(wrong.json()) == {"error", "error_description"}
    assert right.status_code == 200


def test_the_exchange_requires_every_form_field(registered: EmulatorHandle) -> None:
    code = code_from(authorize(registered))

    missing = httpx.post(
        f"{registered.base_url}/connect/apps/v1/oauth2/token",
        data={"client_id": CLIENT_ID, "code": code, "grant_type": "authorization_code"},
    )
    as_json = httpx.post(
        f"{registered.base_url}/connect/apps/v1/oauth2/token", json={"client_id": CLIENT_ID, "code": code}
    )

    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    assert as_json.status_code == 400


def test_granted_scopes_are_enforced_on_the_api(registered: EmulatorHandle) -> None:
    token = exchange(registered, code_from(authorize(registered, scope="read_catalogs"))).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    listed = httpx.get(f"{registered.base_url}{API}/catalogs", headers=headers)
    created = httpx.post(f"{registered.base_url}{API}/catalogs", headers=headers, json={"name": "x"})

    assert listed.status_code == 200
    assert created.status_code == 403


@pytest.fixture
def connection(pim: EmulatorHandle) -> EmulatorHandle:
    pim.admin.post(
        "/_emulator/connections",
        json={"client_id": "conn", "secret": "csecret", "username": "admin", "password": "pw", "expires_in": 120},
    ).raise_for_status()
    return pim


def password_grant(pim: EmulatorHandle, secret: str = CONN_SECRET, as_json: bool = True) -> httpx.Response:
    body = {"grant_type": "password", "username": "admin", "password": "pw"}
    url = f"{pim.base_url}/api/oauth/v1/token"
    if as_json:
        return httpx.post(url, auth=("conn", secret), json=body)
    return httpx.post(url, auth=("conn", secret), data=body)


@pytest.mark.parametrize("as_json", [True, False])
def test_the_password_grant_returns_the_documented_fields(connection: EmulatorHandle, as_json: bool) -> None:
    response = password_grant(connection, as_json=as_json)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope", "refresh_token"}
    assert (body["expires_in"], body["token_type"], body["scope"]) == (120, "bearer", None)


def test_bad_connection_credentials_are_the_documented_422(connection: EmulatorHandle) -> None:
    response = password_grant(connection, secret="wrong")

    assert response.status_code == 422
    assert response.json()["message"] == (
        'Parameter "client_id" is missing or does not match any client, or secret is invalid'
    )


def test_a_connection_token_expires_and_a_refresh_gives_new_access_and_refresh_tokens(
    connection: EmulatorHandle, clock: ManualClock
) -> None:
    first = password_grant(connection).json()
    headers = {"Authorization": f"Bearer {first['access_token']}"}
    assert httpx.get(f"{connection.base_url}{API}/catalogs", headers=headers).status_code == 200

    clock.advance(120)
    expired = httpx.get(f"{connection.base_url}{API}/catalogs", headers=headers)
    refreshed = httpx.post(
        f"{connection.base_url}/api/oauth/v1/token",
        auth=("conn", "csecret"),
        json={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    ).json()
    reused = httpx.post(
        f"{connection.base_url}/api/oauth/v1/token",
        auth=("conn", "csecret"),
        json={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )

    assert expired.status_code == 401
    assert expired.json() == {"code": 401, "message": "The access token provided has expired."}
    assert refreshed["access_token"] != first["access_token"]
    assert refreshed["refresh_token"] != first["refresh_token"]
    assert reused.status_code == 422
    fresh_headers = {"Authorization": f"Bearer {refreshed['access_token']}"}
    assert httpx.get(f"{connection.base_url}{API}/catalogs", headers=fresh_headers).status_code == 200


def decode_verified(token: str, certificate_pem: str) -> dict[str, Any]:
    """The claims of an RS256 JWT after checking its signature with the PIM's certificate."""
    header, payload, signature = token.split(".")
    public_key = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(unb64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    assert json.loads(unb64(header)) == {"typ": "JWT", "alg": "RS256"}
    claims: dict[str, Any] = json.loads(unb64(payload))
    return claims


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_openid_adds_an_id_token_signed_with_the_published_key(registered: EmulatorHandle, clock: ManualClock) -> None:
    body = exchange(registered, code_from(authorize(registered, scope="read_catalogs openid email profile"))).json()
    published = httpx.get(f"{registered.base_url}/connect/apps/v1/openid/public-key").json()

    claims = decode_verified(body["id_token"], published["public_key"])

    assert claims["iss"] == registered.base_url
    assert claims["aud"] == CLIENT_ID
    assert claims["iat"] == clock.now()
    assert claims["exp"] > claims["iat"]
    assert claims["email_verified"] is False
    assert {"sub", "jti", "email", "firstname", "lastname"} <= set(claims)


def test_the_id_token_only_carries_what_the_scopes_allow_and_sub_is_pairwise(
    registered: EmulatorHandle, pim: EmulatorHandle
) -> None:
    pim.admin.post(
        "/_emulator/apps", json={"client_id": "second-app", "client_secret": "x", "callback_url": CALLBACK}
    ).raise_for_status()
    certificate = httpx.get(f"{registered.base_url}/connect/apps/v1/openid/public-key").json()["public_key"]
    bare = decode_verified(
        exchange(registered, code_from(authorize(registered, scope="openid"))).json()["id_token"], certificate
    )
    second_code = code_from(
        httpx.get(
            f"{pim.base_url}/connect/apps/v1/authorize",
            params={"response_type": "code", "client_id": "second-app", "scope": "openid"},
        )
    )
    challenge = hashlib.sha256(("id" + "x").encode()).hexdigest()
    second = httpx.post(
        f"{pim.base_url}/connect/apps/v1/oauth2/token",
        data={
            "client_id": "second-app",
            "code": second_code,
            "grant_type": "authorization_code",
            "code_identifier": "id",
            "code_challenge": challenge,
        },
    ).json()
    without = exchange(registered, code_from(authorize(registered, scope="read_catalogs"))).json()

    assert "email" not in bare
    assert "firstname" not in bare
    assert decode_verified(second["id_token"], certificate)["sub"] != bare["sub"]
    assert "id_token" not in without


def test_notifying_a_scope_update_answers_200_and_grants_nothing(pim: EmulatorHandle, client_for: Any) -> None:
    api = client_for("app-a", ["read_catalogs"])

    notified = api.post("/connect/apps/v1/scopes/update", params={"scopes": "read_catalogs write_catalogs"})
    anonymous = httpx.post(f"{pim.base_url}/connect/apps/v1/scopes/update", params={"scopes": "read_catalogs"})

    assert notified.status_code == 200
    assert anonymous.status_code == 401
    assert api.post(f"{API}/catalogs", json={"name": "x"}).status_code == 403


def test_an_app_registered_with_scopes_is_granted_no_more_than_those(pim: EmulatorHandle) -> None:
    pim.admin.post(
        "/_emulator/apps",
        json={
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "callback_url": CALLBACK,
            "scopes": ["write_catalogs", "read_products"],
        },
    ).raise_for_status()

    granted = exchange(pim, code_from(authorize(pim, scope=SCOPES))).json()["scope"].split()

    assert set(granted) == {"read_catalogs", "write_catalogs", "read_products"}
