"""Test doubles of the engine's ports: a catalog served page by page from memory, a dict target.

`MemorySource` implements the `CatalogSource` port the way the PIM pages: products ordered by
UUID, `next_url` carrying the search-after position and the filters. `DictTarget` implements the
`Target` protocol on a dict and can fail or reject on demand, like a real platform.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from akeneo_sync.akeneo.types import CatalogInfo, MappedProduct, Page
from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import CatalogDisabledError, CatalogNotFoundError, PimError, TargetUnavailableError
from akeneo_sync.targets.base import BatchContext, BatchResult, Rejection

TENANT = "tenant-1"
CATALOG = "cat-1"


def product_uuid(i: int) -> str:
    """A deterministic, canonical product UUID."""
    return str(uuid.UUID(int=(i + 1) * 0x9E3779B97F4A7C15))


@dataclass
class MemorySource:
    """An in-memory PIM catalog (implements `CatalogSource`)."""

    clock: ManualClock
    products: dict[str, MappedProduct] = field(default_factory=dict)
    updated: dict[str, float] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    enabled: bool = True
    exists: bool = True
    # Raised by the n-th page request (1-based), then cleared.
    fail_on_request: dict[int, PimError] = field(default_factory=dict)

    def put(self, i: int, **values: Any) -> str:
        u = product_uuid(i)
        self.products[u] = {"uuid": u, "name": f"product {i}", **values}
        self.updated[u] = self.clock.now()
        return u

    def remove(self, i: int) -> None:
        u = product_uuid(i)
        del self.products[u]
        del self.updated[u]

    def get_catalog(self, catalog_id: str) -> CatalogInfo:
        self._check()
        return CatalogInfo(id=catalog_id, name="Catalog", enabled=self.enabled)

    def mapped_products_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        search_after: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 100,
    ) -> Page[MappedProduct]:
        url, since, until, items = self._page(
            catalog_id,
            "mapped",
            next_url,
            updated_after,
            limit,
            search_after=search_after,
            updated_before=updated_before,
        )
        products = [self.products[u] for u in items]
        return Page(items=products, next_url=self._next(url, items, limit, since, until), url=url)

    def product_uuids_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        search_after: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 1000,
    ) -> Page[str]:
        url, since, until, items = self._page(
            catalog_id,
            "uuids",
            next_url,
            updated_after,
            limit,
            search_after=search_after,
            updated_before=updated_before,
        )
        return Page(items=list(items), next_url=self._next(url, items, limit, since, until), url=url)

    def get_mapped_product(self, catalog_id: str, product_uuid: str) -> MappedProduct | None:
        self._check()
        return self.products.get(product_uuid)

    def pages_fetched_twice(self) -> int:
        return len(self.fetched) - len(set(self.fetched))

    def _page(
        self,
        catalog_id: str,
        kind: str,
        next_url: str | None,
        updated_after: datetime | None,
        limit: int,
        *,
        search_after: str | None = None,
        updated_before: datetime | None = None,
    ) -> tuple[str, float | None, float | None, list[str]]:
        if next_url is None:
            since = updated_after.timestamp() if updated_after is not None else None
            until = updated_before.timestamp() if updated_before is not None else None
            query = {
                "limit": limit,
                **({"updated_after": since} if since is not None else {}),
                **({"updated_before": until} if until is not None else {}),
                **({"search_after": search_after} if search_after else {}),
            }
            url = f"mem://{catalog_id}/{kind}?{urlencode(query)}"
            after = search_after or ""
        else:
            url = next_url
            params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
            after = params.get("search_after", "")
            since = float(params["updated_after"]) if "updated_after" in params else None
            until = float(params["updated_before"]) if "updated_before" in params else None
        self.fetched.append(url)
        failure = self.fail_on_request.pop(len(self.fetched), None)
        if failure is not None:
            raise failure
        self._check()
        ordered = sorted(
            u
            for u in self.products
            if u > after and (since is None or self.updated[u] > since) and (until is None or self.updated[u] < until)
        )
        return url, since, until, ordered[:limit]

    def _next(
        self, url: str, items: Sequence[str], limit: int, since: float | None, until: float | None = None
    ) -> str | None:
        if len(items) < limit:
            return None
        kind = urlparse(url).path.strip("/")
        catalog = urlparse(url).netloc
        query = {
            "limit": limit,
            "search_after": items[-1],
            **({"updated_after": since} if since is not None else {}),
            **({"updated_before": until} if until is not None else {}),
        }
        return f"mem://{catalog}/{kind}?{urlencode(query)}"

    def _check(self) -> None:
        if not self.exists:
            raise CatalogNotFoundError("catalog not found", status=404, catalog=CATALOG)
        if not self.enabled:
            raise CatalogDisabledError("catalog disabled", status=200, catalog=CATALOG)


@dataclass
class DictTarget:
    """A target on a dict (implements `Target`), with failures and rejections on demand."""

    kind: str = "dict"
    products: dict[str, MappedProduct] = field(default_factory=dict)
    batches: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    reject: dict[str, str] = field(default_factory=dict)
    # Called with (call number, batch) before applying: raise to fail the push.
    before_apply: Callable[[int, BatchContext], None] | None = None
    # Called after applying: raise to simulate a crash between the push and the checkpoint.
    after_apply: Callable[[int, BatchContext], None] | None = None
    active: int = 0
    max_active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            call = len(self.batches) + 1
            if self.before_apply is not None:
                self.before_apply(call, batch)
            rejected = [Rejection(p["uuid"], self.reject[p["uuid"]]) for p in upserts if p["uuid"] in self.reject]
            for product in upserts:
                if product["uuid"] not in self.reject:
                    self.products[product["uuid"]] = product
            for u in deletes:
                self.products.pop(u, None)
            self.batches.append((batch.idempotency_key, [p["uuid"] for p in upserts], list(deletes)))
            if self.after_apply is not None:
                self.after_apply(call, batch)
            return BatchResult(rejected=tuple(rejected))
        finally:
            with self._lock:
                self.active -= 1

    def close(self) -> None:
        return None


def fail_on_call(n: int) -> Callable[[int, BatchContext], None]:
    """A hook that raises `TargetUnavailableError` on the n-th push."""

    def hook(call: int, _batch: BatchContext) -> None:
        if call == n:
            raise TargetUnavailableError("target down")

    return hook
