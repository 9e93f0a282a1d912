"""Misbehaviour on purpose: latency, random and scripted faults, and fair-use throttling.

Implemented as a plain ASGI middleware in front of the routes because two faults cannot be
expressed as a response at all: a dropped connection (the socket closes, no status line) and a
timeout (the request is held longer than the client waits).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from akeneo_sync.clock import Clock
from akeneo_sync.emulator.stats import Stats, endpoint_of, token_key

__all__ = ["RAW_SEND_KEY", "FairUse", "FaultMiddleware", "Faults", "RandomFaults", "ScriptedFault", "ScriptedFaults"]

# Where `EmulatorApp` keeps the server's own `send` for dropping connections.
RAW_SEND_KEY: Final = "akeneo_sync.emulator.raw_send"
THROTTLE_MESSAGE: Final = "You have exceeded the limit of API requests per second."
_REASONS: Final[dict[int, str]] = {
    408: "Request Timeout",
    429: THROTTLE_MESSAGE,
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class RandomFaults(BaseModel):
    """`PUT /_emulator/faults`: probabilities are drawn per API call from a seeded generator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_s: float = Field(default=0.0, ge=0)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    rate_429: float = Field(default=0.0, ge=0, le=1)
    retry_after_s: int | None = None
    timeout_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_s: float = Field(default=5.0, ge=0)
    drop_rate: float = Field(default=0.0, ge=0, le=1)
    seed: int = 1
    path_pattern: str | None = None


class ScriptedFault(BaseModel):
    """One scripted answer: a status (+headers/body), a dropped connection or a timeout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: int | None = Field(default=None, ge=100, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    drop: bool = False
    timeout: bool = False
    timeout_s: float = Field(default=5.0, ge=0)


class ScriptedFaults(BaseModel):
    """`POST /_emulator/faults/script`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path_pattern: str
    responses: list[ScriptedFault]


class FairUse(BaseModel):
    """`PUT /_emulator/fair-use`; limits from docs: content/rest-api/good-practices.md.

    Concurrency counts calls in flight per token (the docs say per connection; an app has its own)
    and across the instance; the request rate is a sliding one-second window for the instance.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_concurrent_per_token: int = Field(default=4, ge=1)
    max_concurrent_per_instance: int = Field(default=10, ge=1)
    max_requests_per_s: int = Field(default=100, ge=1)
    enforce: bool = False
    retry_after_s: int | None = 1


@dataclass(frozen=True, slots=True)
class _Decision:
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None
    drop: bool = False
    hold_s: float = 0.0
    throttled: bool = False


class Faults:
    """The current fault configuration and the decisions drawn from it."""

    def __init__(self, clock: Clock, base_latency_s: float = 0.0) -> None:
        self._clock = clock
        self._base_latency_s = base_latency_s
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """No faults, no scripts, fair use observed but not enforced."""
        with self._lock:
            self._random = RandomFaults(latency_s=self._base_latency_s)
            self._rng = random.Random(self._random.seed)  # noqa: S311 - replayable faults
            self._pattern: re.Pattern[str] | None = None
            self._scripts: list[tuple[re.Pattern[str], deque[ScriptedFault]]] = []
            self._fair_use = FairUse()
            self._arrivals: deque[float] = deque()

    def set_random(self, faults: RandomFaults) -> None:
        """Replace the random fault configuration (reseeding its generator).

        A body without `latency_s` keeps the instance's base latency (`--latency-ms`).
        """
        if "latency_s" not in faults.model_fields_set:
            faults = faults.model_copy(update={"latency_s": self._base_latency_s})
        pattern = re.compile(faults.path_pattern) if faults.path_pattern else None
        with self._lock:
            self._random, self._rng, self._pattern = faults, random.Random(faults.seed), pattern  # noqa: S311

    def add_script(self, script: ScriptedFaults) -> None:
        """Queue deterministic answers for the next matching calls."""
        with self._lock:
            self._scripts.append((re.compile(script.path_pattern), deque(script.responses)))

    def set_fair_use(self, fair_use: FairUse) -> None:
        """Replace the fair-use limits."""
        with self._lock:
            self._fair_use = fair_use

    def describe(self) -> dict[str, Any]:
        """The current configuration, for `GET /_emulator/faults`."""
        with self._lock:
            return {
                "random": self._random.model_dump(),
                "scripts": [{"path_pattern": p.pattern, "remaining": len(q)} for p, q in self._scripts],
                "fair_use": self._fair_use.model_dump(),
            }

    def decide(self, path: str, in_flight: int, in_flight_total: int = 1) -> tuple[_Decision | None, float]:
        """What happens to this call: a fault decision (None = serve it) and the latency to add."""
        with self._lock:
            throttle = self._throttle(in_flight, in_flight_total)
            if throttle is not None:
                return throttle, 0.0
            for pattern, queue in self._scripts:
                if queue and pattern.search(path):
                    scripted = queue.popleft()
                    self._scripts = [(p, q) for p, q in self._scripts if q]
                    return _from_script(scripted), 0.0
            faults = self._random
            if self._pattern is not None and not self._pattern.search(path):
                return None, self._base_latency_s
            return self._draw(faults), faults.latency_s

    def _throttle(self, in_flight: int, in_flight_total: int) -> _Decision | None:
        limits = self._fair_use
        if not limits.enforce:
            return None
        # A sliding one-second window of arrivals for the whole instance (throttled ones count:
        # a client hammering through 429s is still overusing the PIM).
        now = self._clock.monotonic()
        arrivals = self._arrivals
        while arrivals and arrivals[0] <= now - 1.0:
            arrivals.popleft()
        arrivals.append(now)
        if (
            in_flight > limits.max_concurrent_per_token
            or in_flight_total > limits.max_concurrent_per_instance
            or len(arrivals) > limits.max_requests_per_s
        ):
            headers = () if limits.retry_after_s is None else (("retry-after", str(limits.retry_after_s)),)
            return _Decision(status=429, headers=headers, throttled=True)
        return None

    def _draw(self, faults: RandomFaults) -> _Decision | None:
        roll = self._rng.random()
        if roll < faults.error_rate:
            return _Decision(status=self._rng.choice((500, 502, 503)))
        roll -= faults.error_rate
        if roll < faults.rate_429:
            headers = () if faults.retry_after_s is None else (("retry-after", str(faults.retry_after_s)),)
            return _Decision(status=429, headers=headers)
        roll -= faults.rate_429
        if roll < faults.timeout_rate:
            return _Decision(status=504, hold_s=faults.timeout_s)
        roll -= faults.timeout_rate
        if roll < faults.drop_rate:
            return _Decision(drop=True)
        return None


def _from_script(fault: ScriptedFault) -> _Decision:
    if fault.drop:
        return _Decision(drop=True)
    if fault.timeout:
        return _Decision(status=504, hold_s=fault.timeout_s)
    headers = tuple((k.lower(), v) for k, v in fault.headers.items())
    return _Decision(status=fault.status or 500, headers=headers, body=fault.body)


class FaultMiddleware:
    """Counts every API call, then throttles, faults or delays it before the routes see it."""

    def __init__(self, app: ASGIApp, faults: Callable[[], Faults], stats: Callable[[], Stats]) -> None:
        self._app = app
        self._faults = faults
        self._stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self._app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        token = token_key(headers.get(b"authorization", b"").decode("latin-1"))
        stats = self._stats()
        in_flight, in_flight_total = stats.begin(token, endpoint_of(scope["method"], scope["path"]))
        status: list[int] = []

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            decision, latency_s = self._faults().decide(scope["path"], in_flight, in_flight_total)
            if decision is None:
                deadline = asyncio.get_running_loop().time() + latency_s
                await self._app(scope, receive, _held_until(deadline, recording_send))
            else:
                if latency_s > 0:
                    await asyncio.sleep(latency_s)
                if decision.throttled:
                    stats.throttled()
                await _apply(decision, receive, scope.get(RAW_SEND_KEY, send), recording_send)
        finally:
            stats.end(token, status[0] if status else None)


def _held_until(deadline: float, send: Send) -> Send:
    """`send`, holding the answer's first message until `deadline` (the event loop's clock).

    The call is served first and its answer held for the rest of the latency, so a served call
    takes `latency_s` from its arrival, not `latency_s` plus the time the emulator spent on it:
    a PIM measured at 50 ms a call answers in 50 ms, whatever it does inside them.
    """

    async def held(message: Message) -> None:
        if message["type"] == "http.response.start":
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining > 0:
                await asyncio.sleep(remaining)
        await send(message)

    return held


async def _apply(
    decision: _Decision, receive: Receive, raw_send: Send, send: Callable[[Message], Awaitable[None]]
) -> None:
    if decision.hold_s > 0 and await _client_left_during(decision.hold_s, receive):
        return
    if decision.drop:
        _drop_connection(raw_send)
        return
    status = decision.status or 500
    body = decision.body if decision.body is not None else {"code": status, "message": _REASONS.get(status, "Error")}
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in decision.headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _client_left_during(seconds: float, receive: Receive) -> bool:
    """Hold a request for `seconds`; True as soon as the client gives up and disconnects."""
    try:
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return False
    return True


def _drop_connection(send: Send) -> None:
    """Close the socket without a status line, as a crashed proxy would.

    ASGI has no message for this, and uvicorn answers 500 to an app that returns without a
    response, so we reach uvicorn's per-request cycle (the owner of `send`) and close its
    transport, marking it disconnected so uvicorn does not try to answer afterwards.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("cannot drop the connection outside uvicorn")
    transport.close()
    cycle.disconnected = True  # type: ignore[union-attr]
