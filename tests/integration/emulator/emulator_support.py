"""Constants and small helpers shared by the emulator's integration tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

PRODUCTS = 2_600
SEED = 7
API = "/api/rest/v1"
BUNDLED_SCHEMA = Path(__file__).parents[3] / "src" / "akeneo_sync" / "schemas" / "product-mapping.json"

ClientFactory = Callable[..., httpx.Client]


def items(api: httpx.Client, url: str, **params: str | int) -> list[Any]:
    """The `_embedded.items` of one list page."""
    found: list[Any] = api.get(url, params=params).json()["_embedded"]["items"]
    return found
