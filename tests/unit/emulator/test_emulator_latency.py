"""The injected latency is what a served call takes, not latency plus the emulator's own work."""

from __future__ import annotations

import asyncio
import time

from starlette.types import Message, Receive, Scope, Send

from akeneo_sync.clock import SystemClock
from akeneo_sync.emulator.faults import FaultMiddleware, Faults
from akeneo_sync.emulator.stats import Stats

LATENCY_S = 0.6
# Far more than the emulator spends on any call, and far apart from the latency: a middleware
# that adds them (1.1 s) cannot pass for one that overlaps them (0.6 s) on a loaded machine.
WORK_S = 0.5


async def _busy_endpoint(_scope: Scope, _receive: Receive, send: Send) -> None:
    await asyncio.sleep(WORK_S)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _call(middleware: FaultMiddleware) -> tuple[float, list[Message]]:
    sent: list[Message] = []
    answered_at: list[float] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answered_at.append(time.monotonic())
        sent.append(message)

    scope: Scope = {"type": "http", "method": "GET", "path": "/api/rest/v1/catalogs", "headers": []}
    started = time.monotonic()
    await middleware(scope, receive, send)
    return answered_at[0] - started, sent


def test_a_served_call_answers_once_its_latency_has_passed_counting_the_time_spent_serving_it() -> None:
    faults, stats = Faults(SystemClock(), base_latency_s=LATENCY_S), Stats()
    middleware = FaultMiddleware(_busy_endpoint, faults=lambda: faults, stats=lambda: stats)

    took, sent = asyncio.run(_call(middleware))

    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert LATENCY_S <= took < LATENCY_S + WORK_S - 0.1
    assert stats.snapshot()["by_status"] == {"200": 1}
