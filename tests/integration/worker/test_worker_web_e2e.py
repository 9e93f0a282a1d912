"""Connect to sync, end to end: the PIM user's browser, the web app, the real actors and target.

The emulator plays the PIM (it approves at once and redirects to the callback); the web app runs
on a real socket and enqueues through the Redis broker; a real dramatiq worker runs the actors.
"""

from __future__ import annotations

import httpx
import pytest
from structlog.testing import capture_logs
from test_worker_sync_flow import activate_and_enable
from worker_stack import Stack

from akeneo_sync.clock import SystemClock
from akeneo_sync.eventplatform.testing import running_asgi
from akeneo_sync.settings import DEFAULT_SCOPES
from akeneo_sync.tenancy import tenant_id_for
from akeneo_sync.web.app import create_app
from akeneo_sync.web.broker_enqueuer import BrokerEnqueuer
from akeneo_sync.web.config import WebConfig

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
    app = create_app(config, store=stack.runtime.state, enqueuer=BrokerEnqueuer(stack.worker.broker),
                     clock=SystemClock())
    with capture_logs() as logs, running_asgi(app) as web_url, httpx.Client(timeout=10) as browser:
        stack.admin("POST", "/_emulator/apps", json={"client_id": WEB_CLIENT_ID, "client_secret": WEB_CLIENT_SECRET,
                                                       "callback_url": f"{web_url}/callback"})
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
