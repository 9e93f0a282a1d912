"""OAuth activation end to end: the PIM emulator plays the user's side over a real socket."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
from structlog.testing import capture_logs
from web_support import CLIENT_ID, TestClient

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.state import StateStore, StoredToken
from akeneo_sync.tenancy import tenant_id_for
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer

pytestmark = pytest.mark.integration


def start(client: TestClient, pim_url: str) -> str:
    """GET /activate; returns the PIM authorize URL it redirects to."""
    response = client.get("/activate", params={"pim_url": pim_url})
    assert response.status_code == 302, response.text
    location: str = response.headers["location"]
    return location


def approve(authorize_url: str) -> str:
    """The user consents at the PIM (the emulator auto-approves); returns the callback path and query."""
    response = httpx.get(authorize_url, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    callback = urlsplit(response.headers["location"])
    return f"{callback.path}?{callback.query}"


def all_redis_bytes(client: redis.Redis) -> bytes:
    """Every key and value in the test DB, concatenated."""
    chunks: list[bytes] = []
    for key in client.scan_iter():
        chunks.append(key)
        kind = client.type(key)
        if kind == b"string":
            chunks.append(client.get(key) or b"")
        elif kind == b"hash":
            chunks.extend(b"".join(pair) for pair in client.hgetall(key).items())
        elif kind == b"set":
            chunks.extend(client.smembers(key))
        elif kind == b"zset":
            chunks.extend(member for member, _ in client.zrange(key, 0, -1, withscores=True))
        elif kind == b"list":
            chunks.extend(client.lrange(key, 0, -1))
    return b"\n".join(chunks)


def test_activation_stores_the_tenant_with_its_token_encrypted_and_enqueues_app_activated(
    pim: EmulatorHandle,
    dev_client: TestClient,
    store: StateStore,
    real_redis: redis.Redis,
    enqueuer: RecordingEnqueuer,
) -> None:
    with capture_logs() as logs:
        authorize = start(dev_client, pim.base_url + "/")
        query = parse_qs(urlsplit(authorize).query)
        assert authorize.startswith(f"{pim.base_url}/connect/apps/v1/authorize?")
        assert query["response_type"] == ["code"]
        assert query["client_id"] == [CLIENT_ID]
        assert query["scope"] == ["read_catalogs write_catalogs delete_catalogs read_products"]
        page = dev_client.get(approve(authorize))
    assert page.status_code == 200, page.text
    assert "enable" in page.text
    tenant = tenant_id_for(pim.base_url)
    stored = store.tenants.get(tenant)
    assert stored is not None
    assert stored.pim_url == pim.base_url
    assert enqueuer.calls == [Enqueued("app_activated", tenant)]
    token = store.tenants.token(tenant).access_token
    # The decrypted token is the real one: the PIM accepts it.
    catalogs = httpx.get(f"{pim.base_url}/api/rest/v1/catalogs", headers={"Authorization": f"Bearer {token}"})
    assert catalogs.status_code == 200
    assert token.encode() not in all_redis_bytes(real_redis)
    assert logs, "the flow logs what it does"
    assert all(token not in repr(entry) for entry in logs)


def test_re_activation_updates_the_token_and_keeps_the_tenant_and_its_catalogs(
    pim: EmulatorHandle, dev_client: TestClient, store: StateStore, enqueuer: RecordingEnqueuer
) -> None:
    tenant = tenant_id_for(pim.base_url)
    store.tenants.save(tenant, pim_url=pim.base_url, token=StoredToken("old-token"), subscription_id="sub-9")
    store.catalogs.upsert(tenant, "cat-1", name="Store", enabled=True)
    page = dev_client.get(approve(start(dev_client, pim.base_url)))
    assert page.status_code == 200
    assert store.tenants.token(tenant).access_token != "old-token"
    assert store.tenants.tenant_for_subscription("sub-9") == tenant
    assert [c.id for c in store.catalogs.list(tenant)] == ["cat-1"]
    assert [t.id for t in store.tenants.list()] == [tenant]
    assert enqueuer.calls == [Enqueued("app_activated", tenant)]


def test_a_reused_state_is_refused(pim: EmulatorHandle, dev_client: TestClient, enqueuer: RecordingEnqueuer) -> None:
    callback = approve(start(dev_client, pim.base_url))
    assert dev_client.get(callback).status_code == 200
    replay = dev_client.get(callback)
    assert replay.status_code == 400
    assert "already used or has expired" in replay.text
    assert len(enqueuer.calls) == 1


def test_an_expired_state_is_refused(
    pim: EmulatorHandle, dev_client: TestClient, clock: ManualClock, enqueuer: RecordingEnqueuer
) -> None:
    callback = approve(start(dev_client, pim.base_url))
    clock.advance(601)
    response = dev_client.get(callback)
    assert response.status_code == 400
    assert "expired" in response.text
    assert enqueuer.calls == []


@pytest.mark.parametrize("query", ["code=abc&state=forged", "code=abc", "state=", ""])
def test_an_unknown_or_missing_state_is_refused(dev_client: TestClient, query: str) -> None:
    response = dev_client.get(f"/callback?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")


def test_a_refused_consent_is_a_400_page(pim: EmulatorHandle, dev_client: TestClient) -> None:
    state = parse_qs(urlsplit(start(dev_client, pim.base_url)).query)["state"][0]
    response = dev_client.get("/callback", params={"error": "access_denied", "state": state})
    assert response.status_code == 400
    assert "did not grant" in response.text


def test_a_code_the_pim_refuses_is_a_502_page_and_stores_nothing(
    pim: EmulatorHandle, dev_client: TestClient, store: StateStore, enqueuer: RecordingEnqueuer
) -> None:
    state = parse_qs(urlsplit(start(dev_client, pim.base_url)).query)["state"][0]
    response = dev_client.get("/callback", params={"code": "not-a-code", "state": state})
    assert response.status_code == 502
    assert store.tenants.list() == []
    assert enqueuer.calls == []


@pytest.mark.parametrize(
    "pim_url",
    [
        "https://127.0.0.1",
        "https://[::1]",
        "https://169.254.169.254",
        "https://10.1.1.1",
        "https://intranet.example.com",
        "http://pim.example.com",
        "https://admin:pw@pim.example.com",
        "",
    ],
)
def test_activate_refuses_a_dangerous_pim_url_with_a_clear_page(client: TestClient, pim_url: str) -> None:
    response = client.get("/activate", params={"pim_url": pim_url})
    assert response.status_code == 400
    assert "pim_url" in response.text


def test_activate_redirects_a_public_pim_by_default(client: TestClient, real_redis: redis.Redis) -> None:
    location = start(client, "https://pim.example.com/")
    assert location.startswith("https://pim.example.com/connect/apps/v1/authorize?")
    assert len(list(real_redis.scan_iter("*oauth-state*"))) == 1
