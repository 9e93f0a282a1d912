"""Connect to sync, end to end: the PIM user's browser, the web app, the real actors and target.

The emulator plays the PIM (it approves at once and redirects to the callback); the web app runs
on a real socket and enqueues through the Redis broker; a real dramatiq worker runs the actors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs
from test_worker_sync_flow import activate_and_enable
from worker_stack import Stack

from akeneo_sync.clock import SystemClock
from akeneo_sync.settings import DEFAULT_SCOPES
from akeneo_sync.state.keys import Keys
from akeneo_sync.tenancy import tenant_id_for
from akeneo_sync.web.app import create_app
from akeneo_sync.web.broker_enqueuer import BrokerEnqueuer
from akeneo_sync.web.config import WebConfig
from helpers import running_asgi, wait_until

pytestmark = pytest.mark.integration

WEB_CLIENT_ID = "akeneo-sync-web-e2e"
WEB_CLIENT_SECRET = "web-e2e-secret-0123456789"


def test_connect_stores_an_encrypted_token_creates_the_catalog_and_enabling_it_syncs_it(stack: Stack) -> None:
    stack.runtime.redis.flushdb()  # nothing known about this PIM before the user clicks Connect
    config = WebConfig(
        client_id=WEB_CLIENT_ID,
        client_secret=WEB_CLIENT_SECRET,
        public_url="http://testserver",
        scopes=DEFAULT_SCOPES,
        api_key="api-key-0123456789",
        event_secrets=("primary-secret-0123456789",),
        allow_private_pim=True,
        flush_interval_s=0,
    )
    app = create_app(config, store=stack.runtime.state, enqueuer=_enqueuer(stack), clock=SystemClock())
    with capture_logs() as logs, running_asgi(app) as web_url, httpx.Client(timeout=10) as browser:
        stack.admin(
            "POST",
            "/_emulator/apps",
            json={
                "client_id": WEB_CLIENT_ID,
                "client_secret": WEB_CLIENT_SECRET,
                "callback_url": f"{web_url}/callback",
            },
        )
        authorize = browser.get(f"{web_url}/activate", params={"pim_url": stack.pim.base_url})
        assert authorize.status_code in (302, 303, 307)
        callback = browser.get(authorize.headers["location"])
        page = browser.get(callback.headers["location"])
        assert page.status_code == 200
        assert "enable" in page.text.lower()
        stack.worker.drain()

        tenant = tenant_id_for(stack.pim.base_url)
        stored = stack.runtime.state.tenants.get(tenant)
        assert stored is not None
        assert stored.is_active
        token = stack.runtime.state.tenants.token(tenant).access_token
        stack.token = token
        stack.tenant = tenant
        catalog = activate_and_enable(stack)

    # The token is encrypted at rest: its plaintext is in no Redis value and no log line.
    client = stack.runtime.redis
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        values: list[bytes] = []
        if kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"hash":
            values = list(client.hgetall(key).values())
        elif kind in (b"list",):
            values = list(client.lrange(key, 0, -1))
        elif kind == b"set":
            values = list(client.smembers(key))
        assert all(token.encode() not in value for value in values), key
    assert logs, "the flow logged nothing at all"
    assert all(token not in repr(entry) for entry in logs)

    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(f"{stack.pim.base_url}/api/rest/v1/catalogs", headers=headers).json()["_embedded"]["items"]
    assert [c["name"] for c in listed] == ["Store EU"]
    assert stack.target.products(tenant, catalog) == stack.expected(catalog)


def test_signed_product_events_update_and_delete_downstream_and_a_replay_is_enqueued_once(stack: Stack) -> None:
    catalog = activate_and_enable(stack)
    secret = "primary-secret-0123456789"
    stack.runtime.state.tenants.set_subscription(stack.tenant, "sub-e2e")
    config = WebConfig(
        client_id=WEB_CLIENT_ID,
        client_secret=WEB_CLIENT_SECRET,
        public_url="http://testserver",
        scopes=DEFAULT_SCOPES,
        api_key="api-key-0123456789",
        event_secrets=(secret,),
        batch_window_s=0.2,
        flush_interval_s=0.1,
    )
    app = create_app(config, store=stack.runtime.state, enqueuer=_enqueuer(stack), clock=SystemClock())
    uuids = sorted(stack.expected(catalog))
    changed, deleted = uuids[0], uuids[1]
    runs_before = _uuid_runs()
    with running_asgi(app) as web_url:
        stack.admin(
            "PUT",
            "/_emulator/event-subscriber",
            json={"url": f"{web_url}/events", "subscription_id": "sub-e2e", "secrets": {"primary": secret}},
        )
        stack.admin("PATCH", f"/_emulator/products/{changed}", json={"values": {"name": "Changed by an event"}})
        stack.admin("DELETE", f"/_emulator/products/{deleted}")
        deliveries = stack.admin("GET", "/_emulator/events", params={"wait_s": 10})
        assert deliveries["idle"]
        assert [(d["uuid"], d["outcome"]) for d in deliveries["deliveries"]] == [
            (changed, "delivered"),
            (deleted, "delivered"),
        ]
        stack.admin("DELETE", "/_emulator/event-subscriber")
        _wait_for_flush(stack)

        # The Event Platform delivers at least once: the same event again is not enqueued again,
        # and a wrong signature is refused and enqueues nothing.
        first = deliveries["deliveries"][0]
        # Fresh, as the platform's own retries are: an event older than the dedupe window is refused.
        first_time = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {
            "specversion": "1.0",
            "id": first["id"],
            "source": "pim",
            "type": first["type"],
            "subject": "sub-e2e",
            "time": first_time,
            "datacontenttype": "application/json",
            "data": {"product": {"uuid": changed}, "author": {"identifier": "julia", "type": "user"}},
        }
        body = json.dumps(event).encode()
        again = httpx.post(f"{web_url}/events", content=body, headers=_signed(body, secret))
        forged = httpx.post(f"{web_url}/events", content=body, headers=_signed(body, "not-the-secret-0123456789"))
        assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
        assert forged.status_code == 401
        stack.worker.drain()

    # One by-UUID run for the update batch and one for the delete batch; none for the replay.
    assert _uuid_runs() - runs_before == 2

    after = stack.target.products(stack.tenant, catalog)
    assert after[changed]["name"] == "Changed by an event"
    assert deleted not in after
    assert after == stack.expected(catalog)


def _uuid_runs() -> float:
    value = REGISTRY.get_sample_value("akeneo_sync_sync_runs_total", {"mode": "uuids", "outcome": "success"})
    return value or 0.0


def _signed(body: bytes, secret: str) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-AKENEO-SIGNATURE-PRIMARY": signature,
        "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA256",
    }


def _wait_for_flush(stack: Stack) -> None:
    # The web side buffers UUIDs for its batch window (0.2 s here) and a background flusher
    # enqueues them, then drops the batch from its pending index: a bounded poll on that index,
    # not a sleep. (Not on the broker queue: the running worker may take the message first.)
    pending = Keys(stack.runtime.state.keys.prefix).batches_pending()
    wait_until(lambda: stack.runtime.redis.zcard(pending) == 0, 10, what="the event batch was enqueued")


def _enqueuer(stack: Stack) -> BrokerEnqueuer:
    """What `akeneo-sync web` wires: messages by actor name on the worker's broker."""
    state = stack.runtime.state
    return BrokerEnqueuer(
        stack.worker.broker,
        enabled_catalogs=lambda tenant: [record.id for record in state.catalogs.list(tenant) if record.is_live],
    )
