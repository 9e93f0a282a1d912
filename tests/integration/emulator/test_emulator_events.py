"""Event Platform deliveries from the emulator to a real subscriber socket (docs/akeneo.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from emulator_support import API, WAIT_S, ClientFactory, Receiver

from akeneo_sync.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.integration

PRIMARY, SECONDARY = "primary-secret-0123456789", "secondary-secret-0123456789"


def subscribe(pim: EmulatorHandle, receiver: Receiver, **extra: Any) -> None:
    body = {
        "url": receiver.url,
        "subscription_id": "sub-123",
        "secrets": {"primary": PRIMARY, "secondary": SECONDARY},
        **extra,
    }
    pim.admin.put("/_emulator/event-subscriber", json=body).raise_for_status()


def test_a_product_change_is_delivered_as_a_signed_cloudevent(
    pim: EmulatorHandle, receiver: Receiver, client_for: ClientFactory
) -> None:
    subscribe(pim, receiver)
    uuid = pim.admin.post("/_emulator/products", json={"sku": "EV-1", "name": "Evented"}).json()["uuid"]

    receiver.wait_for(1)

    headers, raw = receiver.received[0]
    event = json.loads(raw)
    assert headers["content-type"] == "application/json"
    assert headers["x-akeneo-signature-algorithm"] == "HmacSHA256"
    assert headers["x-akeneo-signature-primary"] == hmac.new(PRIMARY.encode(), raw, hashlib.sha256).hexdigest()
    assert headers["x-akeneo-signature-secondary"] == hmac.new(SECONDARY.encode(), raw, hashlib.sha256).hexdigest()
    assert event["specversion"] == "1.0"
    assert event["type"] == "com.akeneo.pim.v1.product.created"
    assert event["subject"] == "sub-123"
    assert event["datacontenttype"] == "application/json"
    assert event["data"] == {"product": {"uuid": uuid}, "author": {"identifier": "emulator-admin", "type": "user"}}
    assert event["time"].endswith("Z")
    assert client_for().get(f"{API}/catalogs").status_code == 200


def test_updates_and_deletes_emit_their_types_with_unique_ids_and_the_given_author(
    pim: EmulatorHandle, receiver: Receiver
) -> None:
    subscribe(pim, receiver)
    uuid = pim.admin.post("/_emulator/products", json={"sku": "EV-2"}).json()["uuid"]
    pim.admin.patch(
        f"/_emulator/products/{uuid}",
        json={"values": {"name": "x"}, "author": {"identifier": "my-app-client-id", "type": "api"}},
    ).raise_for_status()
    pim.admin.delete(f"/_emulator/products/{uuid}").raise_for_status()

    receiver.wait_for(3)

    events = [json.loads(raw) for _, raw in receiver.received]
    assert [e["type"].rsplit(".", 1)[1] for e in events] == ["created", "updated", "deleted"]
    assert len({e["id"] for e in events}) == 3
    assert events[1]["data"]["author"] == {"identifier": "my-app-client-id", "type": "api"}
    assert all(e["data"]["product"]["uuid"] == uuid for e in events)


def test_a_failed_delivery_is_retried_until_it_succeeds(pim: EmulatorHandle, receiver: Receiver) -> None:
    receiver.answers = [500, 503]
    subscribe(pim, receiver, retry_delays_s=[0.05, 0.05, 0.05])
    pim.admin.post("/_emulator/products", json={"sku": "EV-3"}).raise_for_status()

    receiver.wait_for(3)

    bodies = [raw for _, raw in receiver.received]
    assert len(set(bodies)) == 1
    settled = pim.admin.get("/_emulator/events", params={"wait_s": WAIT_S}).json()
    deliveries = settled["deliveries"]
    assert settled["idle"] is True
    assert deliveries[0]["outcome"] == "delivered"
    assert deliveries[0]["attempts"] == 3
    assert deliveries[0]["statuses"] == [500, 503, 200]


def test_without_a_secondary_secret_only_the_primary_signature_is_sent(pim: EmulatorHandle, receiver: Receiver) -> None:
    pim.admin.put(
        "/_emulator/event-subscriber",
        json={"url": receiver.url, "subscription_id": "s", "secrets": {"primary": PRIMARY}},
    ).raise_for_status()
    pim.admin.post("/_emulator/products", json={"sku": "EV-4"}).raise_for_status()

    receiver.wait_for(1)

    headers, _ = receiver.received[0]
    assert "x-akeneo-signature-primary" in headers
    assert "x-akeneo-signature-secondary" not in headers


def test_no_subscriber_means_no_event(pim: EmulatorHandle) -> None:
    pim.admin.post("/_emulator/products", json={"sku": "EV-5"}).raise_for_status()

    assert pim.admin.get("/_emulator/events").json() == {"deliveries": [], "idle": True}


def test_a_delivery_that_keeps_failing_is_dropped_after_the_last_retry(pim: EmulatorHandle, receiver: Receiver) -> None:
    receiver.answers = [500, 500, 500]
    subscribe(pim, receiver, retry_delays_s=[0.01, 0.01])
    pim.admin.post("/_emulator/products", json={"sku": "EV-6"}).raise_for_status()

    settled = pim.admin.get("/_emulator/events", params={"wait_s": WAIT_S}).json()

    assert settled["deliveries"][0]["outcome"] == "dropped"
    assert settled["deliveries"][0]["statuses"] == [500, 500, 500]
    assert len(receiver.received) == 3
