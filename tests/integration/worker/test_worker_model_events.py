"""Events in variants mode, end to end: the emulator's signed deliveries, the web app, the real worker.

A product-model event becomes one `sync_models` message, answered by an incremental run of the
catalog; a variant's product event re-pushes its model through the by-UUID path.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from prometheus_client import REGISTRY
from test_worker_models import MODELS_SCHEMA, enable, expected_models, stored_models
from worker_stack import Stack, running_stack

from akeneo_sync.clock import SystemClock
from akeneo_sync.settings import DEFAULT_SCOPES, CatalogSpec
from akeneo_sync.state.keys import Keys
from akeneo_sync.web.app import create_app
from akeneo_sync.web.broker_enqueuer import BrokerEnqueuer
from akeneo_sync.web.config import WebConfig
from helpers import running_asgi

pytestmark = pytest.mark.integration

SECRET = "primary-secret-0123456789"
SUBSCRIPTION = "sub-models"


@pytest.fixture
def stack(redis_client: redis.Redis, tmp_path: Path) -> Iterator[Stack]:
    catalogs = (CatalogSpec(name="Store EU", mapping_schema=MODELS_SCHEMA),)
    with running_stack(redis_client, tmp_path, products=30, models=20, catalogs=catalogs) as running:
        yield running


@pytest.fixture
def web_url(stack: Stack) -> Iterator[str]:
    """The web app on a socket, enqueuing on the worker's broker; the emulator delivers every event to it."""
    stack.runtime.state.tenants.set_subscription(stack.tenant, SUBSCRIPTION)
    config = WebConfig(
        client_id="akeneo-sync-web-models",
        client_secret="web-models-secret-0123456789",
        public_url="http://testserver",
        scopes=DEFAULT_SCOPES,
        api_key="api-key-0123456789",
        event_secrets=(SECRET,),
        batch_window_s=0.2,
        flush_interval_s=0.1,
    )
    state = stack.runtime.state
    enqueuer = BrokerEnqueuer(
        stack.worker.broker,
        enabled_catalogs=lambda tenant: [record.id for record in state.catalogs.list(tenant) if record.is_live],
    )
    app = create_app(config, store=state, enqueuer=enqueuer, clock=SystemClock())
    with running_asgi(app) as url:
        yield url


def subscribe(stack: Stack, web_url: str) -> None:
    stack.admin(
        "PUT",
        "/_emulator/event-subscriber",
        json={"url": f"{web_url}/events", "subscription_id": SUBSCRIPTION, "secrets": {"primary": SECRET}},
    )


def deliver_and_settle(stack: Stack) -> list[dict[str, Any]]:
    """Wait for the emulator's deliveries, the web batches' flush, then the worker's queue."""
    deliveries = stack.admin("GET", "/_emulator/events", params={"wait_s": 10})
    assert deliveries["idle"]
    assert all(d["outcome"] == "delivered" for d in deliveries["deliveries"]), deliveries
    pending = Keys(stack.runtime.state.keys.prefix).batches_pending()
    deadline = time.monotonic() + 10
    while stack.runtime.redis.zcard(pending) > 0:
        assert time.monotonic() < deadline, "the event batches were never enqueued"
        time.sleep(0.02)
    stack.worker.drain()
    events: list[dict[str, Any]] = deliveries["deliveries"]
    return events


def runs(mode: str) -> float:
    value = REGISTRY.get_sample_value("akeneo_sync_sync_runs_total", {"mode": mode, "outcome": "success"})
    return value or 0.0


def test_model_updated_and_deleted_events_make_the_target_follow(stack: Stack, web_url: str) -> None:
    catalog = enable(stack)
    codes = sorted(expected_models(stack, catalog))
    renamed, deleted = codes[0], codes[1]
    incremental_before = runs("incremental")
    subscribe(stack, web_url)

    stack.admin("PATCH", f"/_emulator/models/{renamed}", json={"values": {"name": "Renamed by an event"}})
    stack.admin("DELETE", f"/_emulator/models/{deleted}")
    events = deliver_and_settle(stack)

    types = {d["type"] for d in events}
    assert {"com.akeneo.pim.v1.product-model.updated", "com.akeneo.pim.v1.product-model.deleted"} <= types
    stored = stored_models(stack, catalog)
    assert stored == expected_models(stack, catalog)
    assert stored[renamed]["name"] == "Renamed by an event"
    assert deleted not in stored
    # The model events were answered by an incremental run (the only way a model-level change is read).
    assert runs("incremental") > incremental_before


def test_a_variants_product_events_re_push_its_model_with_its_current_variants(stack: Stack, web_url: str) -> None:
    # A one-level model made before the first sync, so a new variant's `parent` is the model itself.
    stack.admin(
        "POST",
        "/_emulator/models",
        json={
            "code": "zz_boot",
            "family": "shoes",
            "values": {"name": "Boot"},
            "variants": [{"axes": {"size": size}, "values": {"sku": f"BOOT-{size}"}} for size in ("40", "41", "42")],
        },
    )
    catalog = enable(stack)
    before = stored_models(stack, catalog)["zz_boot"]
    edited, removed = before["variants"][0]["uuid"], before["variants"][1]["uuid"]
    incremental_before, uuid_runs_before = runs("incremental"), runs("uuids")
    subscribe(stack, web_url)

    stack.admin("PATCH", f"/_emulator/products/{edited}", json={"values": {"sku": "BOOT-EDITED"}})
    stack.admin("DELETE", f"/_emulator/products/{removed}")
    stack.admin(
        "POST", "/_emulator/models/zz_boot/variants", json={"axes": {"size": "43"}, "values": {"sku": "BOOT-43"}}
    )
    events = deliver_and_settle(stack)

    assert {d["type"] for d in events} == {
        "com.akeneo.pim.v1.product.updated",
        "com.akeneo.pim.v1.product.deleted",
        "com.akeneo.pim.v1.product.created",
    }
    stored = stored_models(stack, catalog)
    assert stored == expected_models(stack, catalog)
    skus = sorted(v["sku"] for v in stored["zz_boot"]["variants"])
    assert skus == ["BOOT-42", "BOOT-43", "BOOT-EDITED"]
    # By the by-UUID path alone: no catalog run, and no variant taken for a missing product.
    assert runs("incremental") == incremental_before
    assert runs("uuids") > uuid_runs_before
    assert removed not in stack.runtime.state.models.models_of(stack.tenant, catalog, [removed])
    record = stack.runtime.state.models.get(stack.tenant, catalog, ["zz_boot"])["zz_boot"]
    assert len(record.variants) == 3


def test_sync_models_runs_only_the_catalogs_in_variants_mode(redis_client: redis.Redis, tmp_path: Path) -> None:
    catalogs = (CatalogSpec(name="Store EU"), CatalogSpec(name="Store Variants", mapping_schema=MODELS_SCHEMA))
    with running_stack(redis_client, tmp_path, products=10, models=4, catalogs=catalogs) as stack:
        stack.actors().app_activated.send(stack.tenant)
        stack.worker.drain()
        names = {record.name: record.id for record in stack.runtime.state.catalogs.list(stack.tenant)}
        for catalog in names.values():
            stack.admin("POST", f"/_emulator/catalogs/{catalog}/product-mapping/by-name")
            stack.admin("POST", f"/_emulator/catalogs/{catalog}/enable")
        stack.actors().poll_catalogs.send(stack.tenant)
        stack.worker.drain()
        finished = {name: _last_run(stack, catalog) for name, catalog in names.items()}

        stack.actors().sync_models.send(stack.tenant)
        stack.worker.drain()

        assert _last_run(stack, names["Store EU"]) == finished["Store EU"]
        assert _last_run(stack, names["Store Variants"]) != finished["Store Variants"]


def _last_run(stack: Stack, catalog: str) -> str | None:
    record = stack.runtime.state.catalogs.get(stack.tenant, catalog)
    assert record is not None
    return record.last_run_id
