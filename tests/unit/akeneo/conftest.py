"""Fixtures for narrow client tests: a scripted PIM behind `httpx.MockTransport`."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from prometheus_client import REGISTRY

from akeneo_sync.akeneo.auth import AppTokenProvider, TokenProvider
from akeneo_sync.akeneo.client import AkeneoClient, SchemaSource
from akeneo_sync.akeneo.ratelimit import FairUsePolicy, InProcessFairUseLimiter
from akeneo_sync.clock import ManualClock

PIM = "https://pim.example.com"
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class ScriptedPim:
    """Answers requests in order from `answers`, recording every request it saw."""

    answers: list[httpx.Response | Exception]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass
class ClientKit:
    """A client wired to a scripted PIM, with the clock it waits on."""

    client: AkeneoClient
    pim: ScriptedPim
    clock: ManualClock
    http: httpx.Client


@pytest.fixture
def make_kit(clock: ManualClock) -> Iterator[Callable[..., ClientKit]]:
    """Build a client over a scripted PIM; the last answer repeats forever."""
    built: list[httpx.Client] = []

    def make(
        *answers: httpx.Response | Exception,
        tokens: TokenProvider | None = None,
        max_attempts: int = 4,
        deadline_s: float = 600.0,
        seed: int = 7,
        mapping_schemas: SchemaSource | None = None,
    ) -> ClientKit:
        pim = ScriptedPim(list(answers))
        http = httpx.Client(transport=httpx.MockTransport(pim))
        built.append(http)
        limiter = InProcessFairUseLimiter(policy=FairUsePolicy(max_per_s=1e9, burst=1000), clock=clock)
        client = AkeneoClient(
            PIM,
            http=http,
            tokens=tokens or AppTokenProvider("app-token"),
            limiter=limiter,
            clock=clock,
            rng=random.Random(seed),
            max_attempts=max_attempts,
            deadline_s=deadline_s,
            tenant="t1",
            mapping_schemas=mapping_schemas,
        )
        return ClientKit(client=client, pim=pim, clock=clock, http=http)

    yield make
    for http in built:
        http.close()


@pytest.fixture
def metric() -> Callable[..., float]:
    """Read one Prometheus sample's current value (0 when it was never set)."""

    def read(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    return read
