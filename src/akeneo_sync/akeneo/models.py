"""Pydantic models of the PIM's payloads, validated at the client boundary.

Only envelopes are validated strictly (`_links`, `_embedded`, catalog fields, token fields):
mapped products stay raw JSON objects because their shape is the app's mapping schema, and the
sync engine dead-letters an invalid item rather than losing the whole page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from akeneo_sync.akeneo.types import CatalogInfo, TokenGrant

__all__ = [
    "CatalogListPage",
    "CatalogModel",
    "ErrorBody",
    "Link",
    "Links",
    "ListQuery",
    "MappedProductsPage",
    "ProductUuidsPage",
    "SearchAfterPage",
    "TokenResponse",
    "atom",
    "disabled_reason",
]


class _Payload(BaseModel):
    # The PIM adds fields over time (managed_currencies arrived in 2024): unknown keys are ignored.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Link(_Payload):
    """One `_links` entry."""

    href: str


class Links(_Payload):
    """The `_links` of a list response; `next` is present only when another page may exist."""

    self_: Link | None = Field(default=None, alias="self")
    first: Link | None = None
    previous: Link | None = None
    next: Link | None = None


# Catalog ids are UUIDs in Akeneo; anything else from a PIM never reaches a Redis key or a metric label.
CatalogId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
]


class CatalogModel(_Payload):
    """A catalog as serialised by the PIM."""

    id: CatalogId
    name: str
    enabled: bool
    managed_currencies: list[str] = Field(default_factory=list)
    managed_locales: list[str] = Field(default_factory=list)

    def to_info(self) -> CatalogInfo:
        """The frozen value handed to the rest of the program."""
        return CatalogInfo(
            id=self.id,
            name=self.name,
            enabled=self.enabled,
            managed_currencies=tuple(self.managed_currencies),
            managed_locales=tuple(self.managed_locales),
        )


class _CatalogItems(_Payload):
    items: list[CatalogModel]


class CatalogListPage(_Payload):
    """One offset page of `GET /catalogs`."""

    links: Links = Field(alias="_links")
    current_page: int | None = None
    embedded: _CatalogItems = Field(alias="_embedded")


class _UuidItems(_Payload):
    items: list[str]


class _ObjectItems(_Payload):
    # Raw objects: a malformed item is the engine's to dead-letter, not the page's to fail.
    items: list[Any]

    @field_validator("items")
    @classmethod
    def _objects_only(cls, items: list[Any]) -> list[Any]:
        # What `list[dict[str, Any]]` guaranteed, at a twentieth of its cost (it copied every
        # product, key by key): a JSON object always has string keys, so being a dict is enough.
        bad = sum(1 for item in items if not isinstance(item, dict))
        if bad:
            raise ValueError(f"{bad} items are not JSON objects")
        return items


class SearchAfterPage(_Payload):
    """The envelope every search-after list shares: `_links` plus `_embedded.items`."""

    links: Links = Field(alias="_links")

    def item_list(self) -> list[Any]:
        """The page's items."""
        raise NotImplementedError


class ProductUuidsPage(SearchAfterPage):
    """One search-after page of product UUIDs."""

    embedded: _UuidItems = Field(alias="_embedded")

    def item_list(self) -> list[Any]:
        """The UUID strings."""
        return list(self.embedded.items)


class MappedProductsPage(SearchAfterPage):
    """One search-after page of mapped products, or of standard-format products (raw objects)."""

    embedded: _ObjectItems = Field(alias="_embedded")

    def item_list(self) -> list[Any]:
        """The product objects, as the PIM sent them."""
        return list(self.embedded.items)


class TokenResponse(_Payload):
    """A token endpoint's success body (apps: no expiry, no refresh token; connections: both)."""

    access_token: str = Field(min_length=1)
    token_type: str = "bearer"  # noqa: S105 -- the OAuth token type, not a secret
    scope: str | None = None
    expires_in: float | None = None
    refresh_token: str | None = None
    id_token: str | None = None

    def to_grant(self) -> TokenGrant:
        """The frozen value handed to the rest of the program."""
        return TokenGrant(
            access_token=self.access_token,
            scope=tuple((self.scope or "").split()),
            expires_in_s=self.expires_in,
            refresh_token=self.refresh_token,
            id_token=self.id_token,
        )


class _ErrorItem(_Payload):
    property: str | None = None
    message: str | None = None
    attribute: str | None = None


class ErrorBody(_Payload):
    """Any error body the PIM sends: REST (`code`/`message`/`errors`) or OAuth (`error`/`error_description`)."""

    code: int | None = None
    message: str | None = None
    errors: list[_ErrorItem] = Field(default_factory=list)
    error: str | None = None
    error_description: str | None = None

    def messages(self) -> list[str]:
        """Every human message in the body, most general first (`property: message` for violations)."""
        found = [text for text in (self.message, self.error, self.error_description) if text]
        for item in self.errors:
            if item.message:
                found.append(f"{item.property}: {item.message}" if item.property else item.message)
        return found


def disabled_reason(body: object, *, single: bool) -> str | None:
    """The PIM's text when a 200 body says "catalog unusable" instead of carrying data, else None.

    Lists carry `error` (or, in some versions, `message`) and no `_embedded`; single products
    carry `message` and no `uuid`. The text differs per endpoint and version, so only its
    presence is used, never its wording.
    """
    if not isinstance(body, dict):
        return None
    marker = "uuid" if single else "_embedded"
    if marker in body:
        return None
    for key in ("error", "message"):
        text = body.get(key)
        if isinstance(text, str):
            return text
    return None


def atom(moment: datetime) -> str:
    """A PHP `DATE_ATOM` timestamp in UTC (`2022-06-24T12:54:58+00:00`); naive values are taken as UTC.

    ATOM has whole seconds: the fraction is dropped, so an `updated_after` bound only moves
    earlier (a product is re-read, never missed).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The filters of a first list page (later pages carry them inside `_links.next.href`)."""

    updated_after: datetime | None
    updated_before: datetime | None
    limit: int
    # Start after this UUID (Akeneo's `search_after`): a page anywhere in the catalog, not only the first.
    search_after: str | None = None

    def params(self) -> dict[str, str | int]:
        """Query parameters, dates in ATOM format."""
        params: dict[str, str | int] = {"limit": self.limit}
        if self.search_after is not None:
            params["search_after"] = self.search_after
        if self.updated_after is not None:
            params["updated_after"] = atom(self.updated_after)
        if self.updated_before is not None:
            params["updated_before"] = atom(self.updated_before)
        return params
