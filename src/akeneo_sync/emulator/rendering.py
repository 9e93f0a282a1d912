"""Product JSON as served: encoded once per product, kept as bytes, and joined into page bodies.

Serving a page used to build dicts (values, mapped products, the page) and hand them to
`JSONResponse`; at ~100 products a page that made the emulator the bottleneck of the full-sync
benchmark. Here each product is rendered to the exact bytes `JSONResponse` would have produced
for it, kept in a bounded cache until the product or the catalog's mapping changes, and a page
body is those bytes joined inside a fixed envelope.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from starlette.responses import Response

from akeneo_sync.emulator.catalog_data import atom
from akeneo_sync.emulator.mapping import ProductMapper
from akeneo_sync.emulator.store import Catalog, Product

__all__ = ["RenderCache", "encode", "json_bytes_response", "page_body", "standard_product_json"]

# `JSONResponse.render`'s settings (compact, UTF-8, no NaN); one encoder, not one per call.
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
# What a cached entry costs beyond its bytes: the bytes object's header and the dict slot.
ENTRY_OVERHEAD: Final = 96
_ASSOCIATIONS: Final = _ENCODER.encode(
    {a: {"products": [], "product_models": [], "groups": []} for a in ("PACK", "UPSELL", "X_SELL", "SUBSTITUTION")}
)


def encode(body: Any) -> bytes:
    """`body` as the bytes `JSONResponse` sends for it."""
    return _ENCODER.encode(body).encode()


def json_bytes_response(body: bytes, status: int = 200) -> Response:
    """A JSON answer whose body is already encoded (same headers as `JSONResponse`)."""
    return Response(body, status_code=status, media_type="application/json")


def page_body(links: dict[str, Any], items: list[bytes], extra: dict[str, Any] | None = None) -> bytes:
    """`{"_links", **extra, "_embedded": {"items"}}` with each item already encoded."""
    head = encode(links)
    if extra:
        head += b"," + encode(extra)[1:-1]
    return b'{"_links":' + head + b',"_embedded":{"items":[' + b",".join(items) + b"]}}"


def standard_product_json(product: Product) -> bytes:
    """`encode(standard_product(product))`, written out: the generic encoder spends most of its
    time on the format's constant parts (associations, empty lists, null locale and scope)."""
    enc = _ENCODER.encode
    parent = "null" if product.parent is None else enc(product.parent)
    values = ",".join(
        f'{enc(code)}:[{{"locale":null,"scope":null,"data":{enc(data)}}}]' for code, data in product.values.items()
    )
    return (
        f'{{"uuid":{enc(product.uuid)},"enabled":{"true" if product.enabled else "false"},'
        f'"family":{enc(product.family)},"categories":{enc(product.categories)},"groups":[],"parent":{parent},'
        f'"values":{{{values}}},"created":{enc(atom(product.created))},"updated":{enc(atom(product.updated))},'
        f'"associations":{_ASSOCIATIONS},"quantified_associations":{{}}}}'
    ).encode()


@dataclass(slots=True)
class _MappedEntries:
    """One catalog's mapped products, with copies of the inputs they were rendered from."""

    schema: dict[str, Any] | None
    product_mapping: dict[str, str | None]
    currencies: list[str]
    mapper: ProductMapper
    items: dict[str, bytes]

    def renders(self, catalog: Catalog) -> bool:
        # Compared by value, not identity, so even an in-place edit of the schema is seen.
        return (
            catalog.mapping_schema == self.schema
            and catalog.product_mapping == self.product_mapping
            and catalog.managed_currencies == self.currencies
        )


class RenderCache:
    """Rendered standard and mapped products by UUID, within a byte budget.

    The store drops a product's entries when it changes and everything on reset; a catalog's
    entries are dropped when its schema, product mapping or currencies no longer match what they
    were rendered from. Once the budget is spent new renders are served but not kept (a catalog
    larger than the budget is paged in order, so evicting would only trade one miss for another).
    Not thread-safe: callers hold the store's lock.
    """

    def __init__(self, max_bytes: int, known_attributes: frozenset[str]) -> None:
        self._max_bytes = max_bytes
        self._known = known_attributes
        self._standard: dict[str, bytes] = {}
        self._mapped: dict[str, _MappedEntries] = {}
        self._held = 0

    @property
    def held_bytes(self) -> int:
        """What the entries cost now, by the budget's measure."""
        return self._held

    def standard(self, uuids: list[str], load: Callable[[str], Product]) -> list[bytes]:
        """The standard-format bytes of products: cached, or rendered from `load(uuid)`."""
        cached = self._standard
        found = []
        for uuid in uuids:
            rendered = cached.get(uuid)
            if rendered is None:
                rendered = standard_product_json(load(uuid))
                self._keep(cached, uuid, rendered)
            found.append(rendered)
        return found

    def mapped(self, catalog: Catalog, uuids: list[str], load: Callable[[str], Product]) -> list[bytes]:
        """The mapped bytes of products in a catalog: cached, or rendered from `load(uuid)`."""
        entries = self._entries(catalog)
        cached, mapper = entries.items, entries.mapper
        found = []
        for uuid in uuids:
            rendered = cached.get(uuid)
            if rendered is None:
                rendered = encode(mapper(load(uuid)))
                self._keep(cached, uuid, rendered)
            found.append(rendered)
        return found

    def forget_product(self, uuid: str) -> None:
        """The product changed or is gone."""
        self._drop(self._standard, uuid)
        for entries in self._mapped.values():
            self._drop(entries.items, uuid)

    def forget_catalog(self, catalog_id: str) -> None:
        """The catalog is gone."""
        entries = self._mapped.pop(catalog_id, None)
        if entries is not None:
            self._held -= sum(len(b) + ENTRY_OVERHEAD for b in entries.items.values())

    def clear(self) -> None:
        """Drop everything."""
        self._standard.clear()
        self._mapped.clear()
        self._held = 0

    def _entries(self, catalog: Catalog) -> _MappedEntries:
        entries = self._mapped.get(catalog.id)
        if entries is None or not entries.renders(catalog):
            self.forget_catalog(catalog.id)
            entries = _MappedEntries(
                schema=copy.deepcopy(catalog.mapping_schema),
                product_mapping=dict(catalog.product_mapping),
                currencies=list(catalog.managed_currencies),
                mapper=ProductMapper.of(catalog, self._known),
                items={},
            )
            self._mapped[catalog.id] = entries
        return entries

    def _keep(self, items: dict[str, bytes], uuid: str, rendered: bytes) -> None:
        cost = len(rendered) + ENTRY_OVERHEAD
        if self._held + cost <= self._max_bytes:
            items[uuid] = rendered
            self._held += cost

    def _drop(self, items: dict[str, bytes], uuid: str) -> None:
        gone = items.pop(uuid, None)
        if gone is not None:
            self._held -= len(gone) + ENTRY_OVERHEAD
