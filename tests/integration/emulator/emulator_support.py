"""Constants and small helpers shared by the emulator's integration tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PRODUCTS = 2_600
SEED = 7
API = "/api/rest/v1"
BUNDLED_SCHEMA = Path(__file__).parents[3] / "src" / "akeneo_sync" / "schemas" / "product-mapping.json"

ClientFactory = Callable[..., httpx.Client]
WAIT_S = 10.0


def items(api: httpx.Client, url: str, **params: str | int) -> list[Any]:
    """The `_embedded.items` of one list page."""
    found: list[Any] = api.get(url, params=params).json()["_embedded"]["items"]
    return found


@dataclass
class Receiver:
    """A subscriber endpoint that records raw deliveries and answers scripted statuses."""

    url: str
    answers: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    arrived: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def wait_for(self, count: int) -> None:
        for _ in range(count):
            assert self.arrived.acquire(timeout=WAIT_S), "delivery did not arrive"
