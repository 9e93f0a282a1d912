"""Plain, already-validated values the Akeneo client hands to the rest of the program.

The client validates PIM payloads with pydantic at its boundary (`akeneo.models`) and returns
these frozen dataclasses; nothing past the client sees a pydantic model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

__all__ = ["CatalogInfo", "MappedProduct", "Page", "TokenGrant"]

# A mapped product exactly as the PIM returned it: its shape is the app's mapping schema, so it
# stays a JSON object; the only envelope guaranteed by the PIM in flat mode is a string `uuid`.
MappedProduct: TypeAlias = dict[str, Any]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a search-after list: its items and the absolute URL of the next page, if any."""

    items: list[T]
    next_url: str | None
    url: str


@dataclass(frozen=True, slots=True)
class CatalogInfo:
    """A catalog as the PIM describes it."""

    id: str
    name: str
    enabled: bool
    managed_currencies: tuple[str, ...] = ()
    managed_locales: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a token endpoint returned. App tokens have no expiry and no refresh token."""

    access_token: str
    scope: tuple[str, ...]
    expires_in_s: float | None = None
    refresh_token: str | None = None
    id_token: str | None = None
