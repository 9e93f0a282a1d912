"""Traffic statistics of the emulated PIM: what tests and benchmarks assert fair use with."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any, Final

__all__ = ["Stats", "endpoint_of", "token_key"]

_UUID: Final = r"[0-9a-fA-F-]{36}"
_TEMPLATES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (rf"^/api/rest/v1/catalogs/{_UUID}/products/[^/]+$", "/api/rest/v1/catalogs/{id}/products/{uuid}"),
        (
            rf"^/api/rest/v1/catalogs/{_UUID}/mapped-products/[^/]+$",
            "/api/rest/v1/catalogs/{id}/mapped-products/{uuid}",
        ),
        (r"^/api/rest/v1/catalogs/[^/]+/([a-z-]+(?:/product)?)$", r"/api/rest/v1/catalogs/{id}/\1"),
        (r"^/api/rest/v1/catalogs/[^/]+$", "/api/rest/v1/catalogs/{id}"),
    )
)


def endpoint_of(method: str, path: str) -> str:
    """`METHOD /path/template`, ids replaced, so stats group by endpoint."""
    for pattern, template in _TEMPLATES:
        if pattern.match(path):
            return f"{method} {pattern.sub(template, path)}"
    return f"{method} {path}"


def token_key(authorization: str) -> str:
    """A short, non-secret handle for a bearer token (its first 8 characters)."""
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    return value[:8] if scheme.lower() == "bearer" and value else "anonymous"


class Stats:
    """Counters plus live in-flight requests per token (and the highest ever seen)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight: Counter[str] = Counter()
        self.reset()

    def reset(self) -> None:
        """Zero every counter (requests still in flight keep being tracked)."""
        with self._lock:
            self._requests = 0
            self._by_endpoint: Counter[str] = Counter()
            self._by_status: Counter[str] = Counter()
            self._by_token: Counter[str] = Counter()
            self._max_concurrent: dict[str, int] = {}
            self._max_concurrent_total = 0
            self._throttled = 0

    def begin(self, token: str, endpoint: str) -> tuple[int, int]:
        """Count an arriving request; returns the calls now in flight for this token and in total."""
        with self._lock:
            self._requests += 1
            self._by_endpoint[endpoint] += 1
            self._by_token[token] += 1
            self._inflight[token] += 1
            current = self._inflight[token]
            total = sum(self._inflight.values())
            self._max_concurrent[token] = max(self._max_concurrent.get(token, 0), current)
            self._max_concurrent_total = max(self._max_concurrent_total, total)
            return current, total

    def end(self, token: str, status: int | None) -> None:
        """A request finished (status None: the connection was dropped without an answer)."""
        with self._lock:
            self._inflight[token] -= 1
            if self._inflight[token] <= 0:
                del self._inflight[token]
            self._by_status["dropped" if status is None else str(status)] += 1

    def throttled(self) -> None:
        """A request was refused by fair-use enforcement."""
        with self._lock:
            self._throttled += 1

    def snapshot(self) -> dict[str, Any]:
        """The `GET /_emulator/stats` body."""
        with self._lock:
            return {
                "requests": self._requests,
                "by_endpoint": dict(self._by_endpoint),
                "by_status": dict(self._by_status),
                "max_concurrent_per_token": dict(self._max_concurrent),
                "max_concurrent_total": self._max_concurrent_total,
                "throttled": self._throttled,
                "requests_by_token": dict(self._by_token),
                "in_flight": dict(self._inflight),
            }
