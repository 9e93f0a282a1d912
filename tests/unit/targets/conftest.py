"""Fixtures for target unit tests: a manual clock and an HTTP target on a scripted transport."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import httpx
import pytest

from akeneo_sync.clock import ManualClock
from akeneo_sync.targets.http import HttpRetryPolicy, HttpTarget

Responder = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def scripted_target(clock: ManualClock) -> Iterator[Callable[[list[Responder | httpx.Response]], HttpTarget]]:
    """Builds an HTTP target whose transport answers from a script, one entry per request."""
    clients: list[httpx.Client] = []

    def build(script: list[Responder | httpx.Response]) -> HttpTarget:
        answers = iter(script)

        def handler(request: httpx.Request) -> httpx.Response:
            answer = next(answers)
            return answer if isinstance(answer, httpx.Response) else answer(request)

        client = httpx.Client(transport=httpx.MockTransport(handler))
        clients.append(client)
        return HttpTarget(
            "https://shop.example.com/batches",
            "s3cret",
            client=client,
            clock=clock,
            rng=random.Random(3),
            policy=HttpRetryPolicy(max_attempts=3, base_backoff_s=1.0, max_backoff_s=4.0, max_retry_after_s=60.0),
        )

    yield build
    for client in clients:
        client.close()
