"""Plain, already-validated values the Akeneo client hands to the rest of the program.

The client validates PIM payloads with pydantic at its boundary (`akeneo.models`) and returns
these frozen dataclasses; nothing past the client sees a pydantic model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeAlias, TypeVar

from akeneo_sync.errors import PimError

__all__ = [
    "VARIANTS_KEY",
    "VARIATION_AXES_VALUES_KEY",
    "CatalogInfo",
    "MappedModel",
    "MappedModelItem",
    "MappedProduct",
    "MappedVariant",
    "Page",
    "TokenGrant",
    "check_next_link",
    "follow_pages",
]

# A mapped product exactly as the PIM returned it: its shape is the app's mapping schema, so it
# stays a JSON object; the only envelope guaranteed by the PIM in flat mode is a string `uuid`.
MappedProduct: TypeAlias = dict[str, Any]

# A mapped model exactly as `mapped-models` returned it: `code`, the model-level targets and
# `variants`, which the PIM fills with the URL of the model's variants endpoint.
MappedModelItem: TypeAlias = dict[str, Any]

# A mapped variant as `mapped-models/{code}/variants` returned it: `uuid`, the variant-level
# targets and `variation_axes_values`. The key is the products-with-variants meta-schema's
# (`variantsProperty` requires `variation_axes_values`); the API reference's example spells it
# `variant_axes_values`, which no schema the PIM accepts can declare (docs/akeneo.md).
MappedVariant: TypeAlias = dict[str, Any]

VARIANTS_KEY: Final = "variants"
VARIATION_AXES_VALUES_KEY: Final = "variation_axes_values"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a search-after list: its items and the absolute URL of the next page, if any."""

    items: list[T]
    next_url: str | None
    url: str


def follow_pages(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Every item of a list in order: the first page (`fetch(None)`), then each page its `next_url` names.

    Lazy: a page is fetched when the items before it have been taken. A next link to a page
    already read raises `PimError`: a PIM (or a proxy) that loops would otherwise hold a worker
    thread forever.
    """
    url: str | None = None
    read: set[str] = set()
    while True:
        page = fetch(url)
        yield from page.items
        if page.next_url is None:
            return
        check_next_link(page, url, read)
        url = page.next_url


def check_next_link(page: Page[Any], requested: str | None, read: set[str]) -> None:
    """Record the page just read (as requested; the first page by its own URL) and refuse a next
    link to any page already read: a list whose links loop (A -> A, or A -> B -> A) never ends."""
    read.add(requested if requested is not None else page.url)
    if page.next_url in read:
        raise PimError("the PIM's next link points to a page already read", endpoint="pagination")


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


@dataclass(frozen=True, slots=True)
class MappedModel:
    """What a target receives for a product model: the model with its whole variant set, as one unit.

    `targets` are the model-level mapped targets (everything but `code` and `variants`);
    `variants` is the complete set: a target replaces the model's stored variants with it, so a
    storefront never shows a model with part of its variants.
    """

    code: str
    targets: Mapping[str, Any]
    variants: tuple[MappedVariant, ...] = ()

    @classmethod
    def assemble(
        cls, item: MappedModelItem, variants: list[MappedVariant] | tuple[MappedVariant, ...]
    ) -> MappedModel | None:
        """A model from its `mapped-models` item and every page of its variants; None without a string `code`."""
        code = item.get("code")
        if not isinstance(code, str) or not code:
            return None
        targets = {key: value for key, value in item.items() if key not in ("code", VARIANTS_KEY)}
        return cls(code=code, targets=targets, variants=tuple(variants))

    def item(self) -> dict[str, Any]:
        """The model as one JSON object: `code`, its targets, and `variants` as the list of variants."""
        item: dict[str, Any] = {"code": self.code}
        item.update((key, value) for key, value in self.targets.items() if key not in ("code", VARIANTS_KEY))
        item[VARIANTS_KEY] = list(self.variants)
        return item
