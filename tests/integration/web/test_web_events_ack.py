"""How /events acknowledges: 200 for a handled event, 429 (never 503) when the pod cannot take it.

The Event Platform raises a subscription's delivery rate on 200s and lowers it on 429s; 5xx
count toward suspending the subscription, 429s do not (docs/akeneo.md, "Event Platform").
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from web_support import SUBSCRIPTION, TestClient, product_event, signed

from akeneo_sync.clock import ManualClock
from akeneo_sync.eventplatform.models import SUBSCRIBED_EVENTS
from akeneo_sync.state import StateStore, StoredToken, TokenCipher
from akeneo_sync.web import WebConfig, create_app
from akeneo_sync.web.events import KNOWN_TYPES
from akeneo_sync.web.testing import RecordingEnqueuer

pytestmark = pytest.mark.integration


def _post(client: TestClient, event: dict[str, object], secret: str | None = None) -> int:
    body = json.dumps(event).encode()
    headers = signed(body) if secret is None else signed(body, secret)
    return client.post("/events", content=body, headers=headers).status_code


def test_a_saturated_pod_answers_429_to_signed_events_and_401_to_unsigned_ones(
    tenant: str, config: WebConfig, store: StateStore, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    app = create_app(replace(config, max_inflight_events=0), store=store, enqueuer=enqueuer, clock=clock)
    with TestClient(app) as client:
        assert _post(client, product_event("ev-1")) == 429
        assert _post(client, product_event("ev-2"), secret="not-the-secret") == 401
    # Nothing was recorded: the platform's retry is processed, not taken for a duplicate.
    assert store.dedupe.first_seen(f"{SUBSCRIPTION}:ev-1")


def test_redis_down_while_routing_is_a_429_too(
    config: WebConfig, cipher: TokenCipher, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    down = redis.Redis(port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    app = create_app(config, store=StateStore(down, cipher=cipher, clock=clock), enqueuer=enqueuer, clock=clock)
    with TestClient(app) as client:
        status = _post(
            client,
            {
                **product_event("ev-9"),
                "subject": SUBSCRIPTION,
                "type": "com.akeneo.pim.v1.app.deleted",
                "data": {"app": {"client_id": "x"}},
            },
        )
    assert status == 429


def test_the_subscription_asks_for_every_event_type_the_receiver_acts_on() -> None:
    # updated.delta is handled for hand-made subscriptions but not asked: it doubles `updated`.
    assert set(SUBSCRIBED_EVENTS) == KNOWN_TYPES - {"com.akeneo.pim.v1.product.updated.delta"}


def test_an_event_id_is_de_duplicated_per_subscription_not_across_tenants(
    tenant: str, store: StateStore, client: TestClient
) -> None:
    store.tenants.save("tenant-2", pim_url="https://other.example.com", token=StoredToken("t"), subscription_id="sub-2")
    assert client.post("/events", **_signed_event(product_event("same-id"))).json() == {"outcome": "accepted"}
    # Another subscription's event with the same id is its own event, not a duplicate.
    other = product_event("same-id", subject="sub-2")
    assert client.post("/events", **_signed_event(other)).json() == {"outcome": "accepted"}
    assert client.post("/events", **_signed_event(other)).json() == {"outcome": "duplicate"}


def test_an_event_older_than_the_dedupe_window_is_not_processed(
    tenant: str, client: TestClient, clock: ManualClock
) -> None:
    old = {**product_event("ev-2001"), "time": "2001-01-01T00:00:00Z"}
    response = client.post("/events", **_signed_event(old))
    assert (response.status_code, response.json()) == (200, {"outcome": "stale"})
    day_old = datetime.fromtimestamp(clock.now() - 86_400 - 60, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.post("/events", **_signed_event({**product_event("ev-old"), "time": day_old})).json() == {
        "outcome": "stale"
    }
    fresh = datetime.fromtimestamp(clock.now() - 60, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.post("/events", **_signed_event({**product_event("ev-new"), "time": fresh})).json() == {
        "outcome": "accepted"
    }


def _signed_event(event: dict[str, object]) -> dict[str, object]:
    body = json.dumps(event).encode()
    return {"content": body, "headers": signed(body)}
