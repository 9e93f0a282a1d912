"""`POST /events` against real Redis: signatures, routing, de-duplication, batching."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import pytest
from prometheus_client import REGISTRY
from web_support import PRIMARY, SECONDARY, SUBSCRIPTION, TENANT, Post, TestClient, product_event, signed

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import StateError
from akeneo_sync.state import StateStore, StoredToken, TenantStatus
from akeneo_sync.web import WebConfig, create_app
from akeneo_sync.web.batching import ProductBatcher
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer
from helpers import flush_batches

pytestmark = pytest.mark.integration
UUID = "6a9f8486-0000-0000-0000-000000000001"


def events_count(event_type: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value("akeneo_sync_events_received_total", {"type": event_type, "outcome": outcome})
    return value or 0.0


def test_a_product_update_is_synced_once_its_batch_window_passes(
    tenant: str, post_event: Post, client: TestClient, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    response = post_event(product_event("ev-1"))
    assert response.status_code == 200
    assert response.json() == {"outcome": "accepted"}
    assert enqueuer.calls == []  # still inside the 1 s window
    clock.advance(1.0)
    post_event(product_event("ev-2", uuid="6a9f8486-0000-0000-0000-000000000002"))
    assert enqueuer.calls == [Enqueued("sync_products", tenant, ((UUID, "6a9f8486-0000-0000-0000-000000000002"),))]


def test_a_replayed_event_is_enqueued_once(
    tenant: str, post_event: Post, batcher: ProductBatcher, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    before = events_count("com.akeneo.pim.v1.product.deleted", "duplicate")
    first = post_event(product_event("ev-dup", kind="deleted"))
    again = post_event(product_event("ev-dup", kind="deleted"))
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"outcome": "duplicate"}
    clock.advance(1.0)
    batcher.flush_due()
    assert enqueuer.calls == [Enqueued("delete_products", tenant, ((UUID,),))]
    assert events_count("com.akeneo.pim.v1.product.deleted", "duplicate") == before + 1


@pytest.mark.parametrize("secret", ["not-our-secret", ""])
def test_a_wrong_signature_gets_401_and_enqueues_nothing(
    tenant: str, post_event: Post, enqueuer: RecordingEnqueuer, clock: ManualClock, secret: str
) -> None:
    response = post_event(product_event("ev-bad"), secret=secret)
    assert response.status_code == 401
    clock.advance(10)
    post_event(product_event("ev-later", uuid="6a9f8486-0000-0000-0000-000000000009"))
    assert all(UUID not in call.args[0] for call in enqueuer.calls)


def test_a_missing_signature_gets_401(tenant: str, client: TestClient, enqueuer: RecordingEnqueuer) -> None:
    response = client.post("/events", json=product_event())
    assert response.status_code == 401
    assert "signature" in response.json()["detail"].lower()


def test_the_secondary_signature_alone_is_accepted(tenant: str, client: TestClient) -> None:
    body = json.dumps(product_event()).encode()
    response = client.post("/events", content=body, headers=signed(body, SECONDARY, "X-AKENEO-SIGNATURE-SECONDARY"))
    assert response.status_code == 200


def test_a_signed_body_tampered_in_transit_gets_401(tenant: str, client: TestClient) -> None:
    body = json.dumps(product_event()).encode()
    headers = signed(body, PRIMARY)
    response = client.post("/events", content=body.replace(b"julia", b"mallory"), headers=headers)
    assert response.status_code == 401


def test_an_unknown_subject_is_answered_200_and_counted(
    tenant: str, post_event: Post, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    before = events_count("com.akeneo.pim.v1.product.updated", "unknown_subject")
    response = post_event(product_event(subject="sub-of-nobody"))
    assert response.status_code == 200
    assert response.json() == {"outcome": "unknown_subject"}
    assert events_count("com.akeneo.pim.v1.product.updated", "unknown_subject") == before + 1
    clock.advance(5)
    post_event(product_event("ev-other", subject="sub-of-nobody"))
    assert enqueuer.calls == []


def test_an_unknown_event_type_is_answered_200_and_counted_as_other(tenant: str, post_event: Post) -> None:
    before = events_count("other", "ignored")
    event = {**product_event(), "type": "com.akeneo.pim.v1.family.updated"}
    response = post_event(event)
    assert (response.status_code, response.json()) == (200, {"outcome": "ignored"})
    assert events_count("other", "ignored") == before + 1


def test_the_apps_own_api_writes_are_ignored(
    tenant: str, post_event: Post, enqueuer: RecordingEnqueuer, clock: ManualClock, batcher: ProductBatcher
) -> None:
    response = post_event(product_event(author={"identifier": "akeneo-sync-test", "type": "api"}))
    assert response.json() == {"outcome": "own_write"}
    clock.advance(5)
    flush_batches(batcher, tenant)
    assert enqueuer.calls == []


def test_another_api_clients_writes_are_synced(tenant: str, post_event: Post) -> None:
    response = post_event(product_event(author={"identifier": "erp-connector", "type": "api"}))
    assert response.json() == {"outcome": "accepted"}


def test_app_deleted_disconnects_the_tenant(tenant: str, post_event: Post, enqueuer: RecordingEnqueuer) -> None:
    event = {
        **product_event("ev-app"),
        "type": "com.akeneo.pim.v1.app.deleted",
        "data": {"app": {"client_id": "akeneo-sync-test"}},
    }
    assert post_event(event).json() == {"outcome": "accepted"}
    assert post_event(event).json() == {"outcome": "duplicate"}
    assert enqueuer.calls == [Enqueued("tenant_disconnected", tenant)]


def test_another_app_deleted_is_ignored(tenant: str, post_event: Post, enqueuer: RecordingEnqueuer) -> None:
    event = {
        **product_event("ev-app"),
        "type": "com.akeneo.pim.v1.app.deleted",
        "data": {"app": {"client_id": "some-other-app"}},
    }
    assert post_event(event).json() == {"outcome": "ignored"}
    assert enqueuer.calls == []


def test_events_of_a_disconnected_tenant_are_not_processed(
    tenant: str, store: StateStore, post_event: Post, enqueuer: RecordingEnqueuer, batcher: ProductBatcher
) -> None:
    store.tenants.set_status(tenant, TenantStatus.DISCONNECTED)
    assert post_event(product_event()).json() == {"outcome": "inactive_tenant"}
    flush_batches(batcher, tenant)
    assert enqueuer.calls == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "CloudEvents"),
        (b"[]", "CloudEvents"),
        (json.dumps({"specversion": "1.0"}).encode(), "id"),
        (json.dumps({**product_event(), "specversion": "0.3"}).encode(), "specversion"),
        (json.dumps({**product_event(), "data": {"product": {}}}).encode(), "uuid"),
    ],
)
def test_a_malformed_signed_body_gets_400_with_the_reason(
    tenant: str, client: TestClient, enqueuer: RecordingEnqueuer, body: bytes, reason: str
) -> None:
    response = client.post("/events", content=body, headers=signed(body))
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert enqueuer.calls == []


def test_a_huge_body_is_refused_before_it_is_parsed(tenant: str, client: TestClient) -> None:
    body = b"x" * (300 * 1024)
    assert client.post("/events", content=body, headers=signed(body)).status_code == 413


def test_a_batch_reaching_its_maximum_is_sent_at_once(
    tenant: str, post_event: Post, enqueuer: RecordingEnqueuer
) -> None:
    for i in range(100):
        post_event(product_event(f"ev-{i}", uuid=f"6a9f8486-0000-0000-0000-{i:012d}"))
    assert [call.actor for call in enqueuer.calls] == ["sync_products"]
    assert len(enqueuer.calls[0].args[0]) == 100


def test_the_subject_routes_to_its_own_tenant(
    tenant: str, store: StateStore, post_event: Post, enqueuer: RecordingEnqueuer, batcher: ProductBatcher
) -> None:
    store.tenants.save(
        "tenant-2", pim_url="https://other.example.com", token=StoredToken("t2"), subscription_id="sub-2"
    )
    post_event(product_event("ev-a", subject=SUBSCRIPTION))
    post_event(product_event("ev-b", subject="sub-2", uuid="6a9f8486-0000-0000-0000-0000000000b2"))
    flush_batches(batcher, tenant, "tenant-2")
    assert sorted((c.tenant, c.args) for c in enqueuer.calls) == [
        (TENANT, ((UUID,),)),
        ("tenant-2", (("6a9f8486-0000-0000-0000-0000000000b2",),)),
    ]


class FlakyEnqueuer(RecordingEnqueuer):
    """A broker that is down until told otherwise."""

    down = True

    def sync_products(self, tenant: str, uuids: Sequence[str]) -> None:
        if self.down:
            raise StateError("broker unreachable")
        super().sync_products(tenant, uuids)


def test_a_broker_outage_keeps_events_buffered_and_answers_200(
    tenant: str, config: WebConfig, store: StateStore, clock: ManualClock
) -> None:
    flaky = FlakyEnqueuer()
    app = create_app(replace(config, batch_max=2), store=store, enqueuer=flaky, clock=clock)
    with TestClient(app) as client:
        for i in range(3):
            body = json.dumps(product_event(f"ev-{i}", uuid=f"u-{i}")).encode()
            assert client.post("/events", content=body, headers=signed(body)).status_code == 200
    assert flaky.calls == []
    flaky.down = False
    flush_batches(app.state.context.batcher, tenant)
    assert sorted(uuid for call in flaky.calls for uuid in call.args[0]) == ["u-0", "u-1", "u-2"]
