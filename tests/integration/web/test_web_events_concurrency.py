"""Concurrent deliveries over a real socket: every product enqueued exactly once, replays included."""

from __future__ import annotations

import json
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from web_support import TENANT, product_event, signed

from akeneo_sync.web.batching import ProductBatcher
from akeneo_sync.web.testing import RecordingEnqueuer
from helpers import flush_batches, running_asgi

pytestmark = pytest.mark.integration
EVENTS = 300


def test_concurrent_and_replayed_deliveries_enqueue_each_product_exactly_once(
    tenant: str, app: FastAPI, batcher: ProductBatcher, enqueuer: RecordingEnqueuer
) -> None:
    # Given every event delivered twice (the platform is at-least-once), shuffled across 8 senders
    uuids = [f"6a9f8486-0000-0000-0000-{i:012d}" for i in range(EVENTS)]
    bodies = [json.dumps(product_event(f"ev-{i}", uuid=uuid)).encode() for i, uuid in enumerate(uuids)] * 2
    random.Random(5).shuffle(bodies)
    with running_asgi(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as http:

        def deliver(body: bytes) -> int:
            return http.post("/events", content=body, headers=signed(body)).status_code

        # When they arrive concurrently
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(deliver, bodies))
    flush_batches(batcher, TENANT)
    # Then all were accepted, and each product went out in exactly one message
    assert Counter(statuses) == {200: 2 * EVENTS}
    sent = Counter(uuid for call in enqueuer.of("sync_products") for uuid in call.args[0])
    assert sent == Counter(uuids)
    assert all(len(call.args[0]) <= 100 for call in enqueuer.calls)
