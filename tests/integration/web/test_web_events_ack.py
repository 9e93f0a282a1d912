"""How /events acknowledges: 200 for a handled event, 429 (never 503) when the pod cannot take it.

The Event Platform raises a subscription's delivery rate on 200s and lowers it on 429s; 5xx
count toward suspending the subscription (key-platform-behaviors.md).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from web_support import SUBSCRIPTION, TestClient, product_event, signed

from akeneo_sync.clock import ManualClock
from akeneo_sync.eventplatform.models import SUBSCRIBED_EVENTS
from akeneo_sync.state import StateStore, TokenCipher
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
    assert store.dedupe.first_seen("ev-1")


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
