"""Product-model events at `POST /events` against real Redis: validation, de-duplication, coalescing."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import SUBSCRIPTION, TENANT, Post

from akeneo_sync.clock import ManualClock
from akeneo_sync.web.batching import ProductBatcher
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer

pytestmark = pytest.mark.integration


def model_event(
    event_id: str = "ev-m1", *, kind: str = "updated", code: str = "tshirt_divided", author: str = "julia"
) -> dict[str, Any]:
    """A product-model CloudEvent as the Event Platform sends it (docs/akeneo.md)."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "pim",
        "type": f"com.akeneo.pim.v1.product-model.{kind}",
        "subject": SUBSCRIPTION,
        "time": "2024-02-22T17:31:00Z",
        "datacontenttype": "application/json",
        "data": {"product_model": {"code": code}, "author": {"identifier": author, "type": "user"}},
    }


@pytest.mark.usefixtures("tenant")
@pytest.mark.parametrize("kind", ["created", "updated", "deleted"])
def test_each_model_event_becomes_one_sync_models_message_once_its_window_passes(
    post_event: Post, enqueuer: RecordingEnqueuer, clock: ManualClock, batcher: ProductBatcher, kind: str
) -> None:
    response = post_event(model_event(kind=kind))
    assert (response.status_code, response.json()) == (200, {"outcome": "accepted"})
    assert enqueuer.calls == []  # inside the window
    clock.advance(1.0)
    batcher.flush_due()
    assert enqueuer.calls == [Enqueued("sync_models", TENANT)]


def test_a_replayed_model_event_is_a_duplicate_and_an_own_write_is_dropped(
    tenant: str, post_event: Post, enqueuer: RecordingEnqueuer, clock: ManualClock, batcher: ProductBatcher
) -> None:
    assert post_event(model_event("ev-a")).json() == {"outcome": "accepted"}
    assert post_event(model_event("ev-a")).json() == {"outcome": "duplicate"}
    own = model_event("ev-own")
    own["data"]["author"] = {"identifier": "akeneo-sync-test", "type": "api"}
    assert post_event(own).json() == {"outcome": "own_write"}
    clock.advance(1.0)
    batcher.flush_due()
    assert enqueuer.calls == [Enqueued("sync_models", tenant)]


@pytest.mark.usefixtures("tenant")
@pytest.mark.parametrize(
    "case",
    [
        ({"product": {"code": "tshirt"}}, "product_model"),  # the docs' table's key, not what Akeneo sends
        ({"product_model": {"uuid": "6a9f8486-0000-0000-0000-000000000001"}}, "product_model.code"),
        ({"product_model": {"code": ""}}, "product_model.code"),
        ({"product_model": {"code": 42}}, "product_model.code"),
    ],
)
def test_a_malformed_model_event_is_a_400_that_names_the_field(
    post_event: Post,
    enqueuer: RecordingEnqueuer,
    clock: ManualClock,
    batcher: ProductBatcher,
    case: tuple[dict[str, Any], str],
) -> None:
    data, field = case
    response = post_event({**model_event(), "data": data})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "com.akeneo.pim.v1.product-model.updated" in detail
    assert field in detail
    clock.advance(1.0)
    batcher.flush_due()
    assert enqueuer.calls == []


def test_a_storm_of_500_model_events_enqueues_a_handful_of_messages(
    tenant: str, post_event: Post, enqueuer: RecordingEnqueuer, clock: ManualClock, batcher: ProductBatcher
) -> None:
    # An import editing 500 models within about two batch windows (the request flushes what is due).
    for number in range(500):
        response = post_event(model_event(f"ev-storm-{number}", code=f"model_{number}"))
        assert response.json() == {"outcome": "accepted"}
        clock.advance(0.004)
    clock.advance(1.0)
    batcher.flush_due()
    calls = enqueuer.of("sync_models")
    assert calls == enqueuer.calls
    assert 1 <= len(calls) <= 3, len(calls)
    assert batcher.flush_due() == 0  # nothing left buffered
