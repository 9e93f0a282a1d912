"""Constants and helpers shared by the web integration tests (fixtures live in conftest.py)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from starlette.exceptions import StarletteDeprecationWarning

from akeneo_sync.web.signatures import sign
from redis_server import TEST_REDIS_PORT

with warnings.catch_warnings():
    # Starlette 1.x asks for `httpx2` behind its TestClient; the client works the same on httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = ["TestClient"]  # re-exported so every test module gets it with the warning silenced

WEB_DB = 5
REDIS_URL = f"redis://127.0.0.1:{TEST_REDIS_PORT}/{WEB_DB}"
CLIENT_ID = "akeneo-sync-test"
CLIENT_SECRET = "client-secret-for-tests-0123456789"
API_KEY = "api-key-for-tests-0123456789"
PRIMARY, SECONDARY = "primary-event-secret-0123456789", "secondary-event-secret-0123456789"
PUBLIC_PIM = "https://pim.example.com"
TENANT, SUBSCRIPTION, CATALOG = "tenant-1", "sub-1", "cat-1"

Post = Callable[..., Any]


def product_event(
    event_id: str = "ev-1",
    *,
    kind: str = "updated",
    uuid: str = "6a9f8486-0000-0000-0000-000000000001",
    subject: str = SUBSCRIPTION,
    author: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A product CloudEvent as the Event Platform sends it."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "pim",
        "type": f"com.akeneo.pim.v1.product.{kind}",
        "subject": subject,
        "time": "2024-02-22T17:31:00Z",
        "datacontenttype": "application/json",
        "data": {"product": {"uuid": uuid}, "author": author or {"identifier": "julia", "type": "user"}},
    }


def signed(body: bytes, secret: str = PRIMARY, header: str = "X-AKENEO-SIGNATURE-PRIMARY") -> dict[str, str]:
    """Headers the Event Platform sends with `body`."""
    return {
        "Content-Type": "application/json",
        header: sign(body, secret),
        "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA256",
    }
