"""The whole path a PIM user triggers, on real servers: Connect, enable, sync, then product events.

The PIM emulator (with its Event Platform) and the web app (`build_web_app`, as `akeneo-sync web`
wires it) each on a loopback socket; the real actors on an embedded worker; Redis DB 15; a
SQLite target. The worker is drained between steps, so nothing waits on wall-clock time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dramatiq
import httpx
import pytest
import redis
from cryptography.fernet import Fernet

from akeneo_sync.clock import SystemClock
from akeneo_sync.emulator.testing import running_emulator
from akeneo_sync.eventplatform import EventPlatformClient
from akeneo_sync.settings import CatalogSpec, Settings
from akeneo_sync.targets.sqlite import SqliteTarget
from akeneo_sync.tenancy import tenant_id_for
from akeneo_sync.web.server import build_web_app
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.embedded import EmbeddedWorker
from akeneo_sync.worker.runtime import build_runtime
from akeneo_sync.worker.shutdown import StopFlag
from helpers import flush_batches, redis_db, running_asgi
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration
FULL_STACK_DB = f"redis://127.0.0.1:{TEST_REDIS_PORT}/15"
CLIENT_ID, CLIENT_SECRET, API_KEY = "akeneo-sync-e2e", "e2e-client-secret", "e2e-api-key"
SECRETS = ("e2e-primary-secret-0123456789", "e2e-secondary-secret-0123456789")


@pytest.fixture
def redis_15() -> Iterator[redis.Redis]:
    with redis_db(15) as client:
        yield client


def test_connect_enable_and_product_events_reach_the_target(redis_15: redis.Redis, tmp_path: Path) -> None:
    settings = Settings(
        redis_url=FULL_STACK_DB,
        encryption_key=Fernet.generate_key().decode(),
        target_url=f"sqlite:///{tmp_path / 'target.db'}",
        allow_private_pim=True,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_key=API_KEY,
        event_secrets=",".join(SECRETS),
        catalogs=(CatalogSpec(name="Store EU"),),
    )
    app = build_web_app(settings, broker=build_broker)
    target = SqliteTarget(settings.target_url)
    runtime = build_runtime(settings, redis_15, clock=SystemClock(), stop=StopFlag(), target=target)
    broker = build_broker(redis_15)
    with (
        running_emulator(products=60, seed=11) as pim,
        running_asgi(app) as web_url,
        httpx.Client(timeout=15) as http,
        EmbeddedWorker(runtime, broker, threads=2) as worker,
    ):
        admin = pim.admin
        admin.post(
            "/_emulator/apps",
            json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "callback_url": f"{web_url}/callback"},
        ).raise_for_status()

        # The user clicks Connect: activate -> PIM consent (auto-approved) -> callback.
        authorize = http.get(f"{web_url}/activate", params={"pim_url": pim.base_url}).headers["location"]
        callback = http.get(authorize).headers["location"]
        assert urlsplit(callback).netloc == urlsplit(web_url).netloc
        assert http.get(callback).status_code == 200
        worker.drain()
        tenant = tenant_id_for(pim.base_url)
        (catalog,) = [record.id for record in runtime.state.catalogs.list(tenant)]
        token = runtime.state.tenants.token(tenant).access_token
        schema = http.get(
            f"{pim.base_url}/api/rest/v1/catalogs/{catalog}/mapping-schemas/product",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert schema.status_code == 200, "app_activated pushed the mapping schema"

        # The user maps the targets and enables the catalog; the scheduler's next tick polls the
        # catalogs and syncs it.
        admin.post(f"/_emulator/catalogs/{catalog}/product-mapping/by-name").raise_for_status()
        admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
        broker.enqueue(
            dramatiq.Message(queue_name="default", actor_name="poll_catalogs", args=(tenant,), kwargs={}, options={})
        )
        worker.drain()
        expected: dict[str, Any] = admin.get(f"/_emulator/catalogs/{catalog}/expected").json()["mapped_products"]
        assert target.products(tenant, catalog) == expected
        auth = {"Authorization": f"Bearer {API_KEY}"}
        status = http.get(f"{web_url}/v1/tenants/{tenant}/catalogs/{catalog}", headers=auth).json()
        assert (status["enabled"], status["last_run"]["outcome"]) == (True, "success")
        assert status["counts"]["upserted"] == len(expected)
        # The app's own UI can ask for a sync too.
        sync = http.post(
            f"{web_url}/v1/tenants/{tenant}/catalogs/{catalog}/sync", json={"mode": "incremental"}, headers=auth
        )
        assert sync.status_code == 202
        worker.drain()
        assert target.products(tenant, catalog) == expected

        # What app_activated does when EVENT_PLATFORM_URL is set: subscribe our /events.
        subscription = EventPlatformClient(http, f"{pim.base_url}/event-platform/api/v1").ensure_subscription(
            pim.base_url, token, CLIENT_ID, web_url, SECRETS
        )
        runtime.state.tenants.set_subscription(tenant, subscription)

        # Products change in the PIM: events are delivered, batched, and synced.
        changed, deleted = sorted(expected)[:2]
        admin.patch(
            f"/_emulator/products/{changed}",
            json={"values": {"name": [{"locale": "en_US", "scope": None, "data": "Renamed by the e2e test"}]}},
        ).raise_for_status()
        admin.delete(f"/_emulator/products/{deleted}").raise_for_status()
        deliveries = admin.get("/_emulator/events", params={"wait_s": 15}).json()["deliveries"]
        assert [d["outcome"] for d in deliveries] == ["delivered", "delivered"]
        flush_batches(app.state.context.batcher, tenant)
        worker.drain()
        now_expected = admin.get(f"/_emulator/catalogs/{catalog}/expected").json()["mapped_products"]
        assert deleted not in now_expected
        assert target.products(tenant, catalog) == now_expected
    runtime.close()
