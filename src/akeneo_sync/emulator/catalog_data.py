"""The seeded product generator: compact columns for what selections filter on, values on demand.

A million products must fit in a few hundred MB and build in seconds, so only the columns that
catalog selections and date filters read are materialised (sorted UUIDs, family, category bits,
enabled flag, created/updated seconds). Attribute values are derived from the product's UUID and
the seed only when a product is actually served.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

__all__ = [
    "ATTRIBUTES",
    "CATEGORIES",
    "DATE_PROFILES",
    "FAMILIES",
    "Dataset",
    "Values",
    "atom",
    "category_codes",
    "category_mask",
    "format_uuid",
    "generate_dataset",
    "generate_values",
    "new_uuid",
]

# Attribute code -> values in the standard format's `data` (locale/scope null: nothing here is
# localizable or scopable, which keeps the mapping honest and simple).
Values = dict[str, Any]

FAMILIES: Final[tuple[str, ...]] = (
    "shoes",
    "tshirts",
    "laptops",
    "cameras",
    "headphones",
    "watches",
    "furniture",
    "books",
)
CATEGORIES: Final[tuple[str, ...]] = (
    "master",
    "sale",
    "new_arrivals",
    "clothing",
    "footwear",
    "electronics",
    "computers",
    "photo",
    "audio",
    "accessories",
    "home",
    "living_room",
    "office",
    "media",
    "gifts",
    "outlet",
)
# Categories each family's products are filed under (besides the shared ones).
_FAMILY_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "shoes": ("clothing", "footwear"),
    "tshirts": ("clothing",),
    "laptops": ("electronics", "computers", "office"),
    "cameras": ("electronics", "photo"),
    "headphones": ("electronics", "audio"),
    "watches": ("accessories", "gifts"),
    "furniture": ("home", "living_room", "office"),
    "books": ("media", "gifts"),
}
_NOUNS: Final[dict[str, tuple[str, ...]]] = {
    "shoes": ("Runner", "Sneaker", "Trail Shoe", "Loafer", "Boot"),
    "tshirts": ("Tee", "Crew Neck T-Shirt", "V-Neck T-Shirt", "Polo"),
    "laptops": ("Notebook", "Ultrabook", "Laptop", "Workstation"),
    "cameras": ("Mirrorless Camera", "Action Cam", "Compact Camera", "DSLR"),
    "headphones": ("Headphones", "Earbuds", "Headset", "Studio Monitors"),
    "watches": ("Chronograph", "Smartwatch", "Diver Watch", "Field Watch"),
    "furniture": ("Armchair", "Desk", "Bookshelf", "Sofa", "Side Table"),
    "books": ("Cookbook", "Novel", "Travel Guide", "Field Manual"),
}
_BRANDS: Final[tuple[str, ...]] = ("acme", "northwind", "contoso", "globex", "initech", "umbrella", "stark", "wayne")
_ADJECTIVES: Final[tuple[str, ...]] = ("Classic", "Urban", "Pro", "Lite", "Eco", "Premium", "Compact", "Vintage")
_COLORS: Final[tuple[str, ...]] = ("black", "white", "red", "blue", "green", "grey", "navy", "beige")
_SENTENCES: Final[tuple[str, ...]] = (
    "Built to last with carefully selected materials.",
    "A customer favourite, now in a refreshed edition.",
    "Designed in Europe and tested in the field.",
    "Lightweight and comfortable for everyday use.",
    "Ships in recyclable packaging.",
    "Backed by a two-year warranty.",
)
ATTRIBUTES: Final[tuple[str, ...]] = (
    "sku",
    "name",
    "description",
    "brand",
    "color",
    "ean",
    "price",
    "weight",
    "image_url",
)
_UUID_VERSION_MASK: Final = ~(0xF000 << 64) & ~(0xC000 << 48) & ((1 << 128) - 1)
_UUID_VERSION_BITS: Final = (0x4000 << 64) | (0x8000 << 48)


def atom(epoch_s: float) -> str:
    """An ATOM date as the PIM writes product dates: `2022-03-14T15:25:45+00:00`."""
    return datetime.fromtimestamp(int(epoch_s), tz=UTC).isoformat()


def format_uuid(value: int) -> str:
    """The canonical lowercase text of a 128-bit UUID."""
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_uuid(rng: random.Random) -> str:
    """A uuid4-format UUID drawn from `rng` (deterministic for a seeded generator)."""
    return format_uuid((rng.getrandbits(128) & _UUID_VERSION_MASK) | _UUID_VERSION_BITS)


def category_codes(mask: int) -> list[str]:
    """The category codes whose bits are set in `mask`, in CATEGORIES order."""
    return list(_category_codes(mask))


@cache
def _category_codes(mask: int) -> tuple[str, ...]:
    # Worked out for every product served, from at most 2**16 distinct masks.
    return tuple(code for bit, code in enumerate(CATEGORIES) if mask >> bit & 1)


def category_mask(codes: list[str] | tuple[str, ...]) -> int:
    """The bit mask for known category codes (unknown ones select nothing)."""
    mask = 0
    for code in codes:
        if code in CATEGORIES:
            mask |= 1 << CATEGORIES.index(code)
    return mask


@dataclass(slots=True)
class Dataset:
    """Column store of products sorted by UUID; index i describes `uuids[i]` in every column."""

    uuids: list[str]
    family: array[int]  # index into FAMILIES
    categories: array[int]  # bit mask over CATEGORIES
    enabled: bytearray
    created: array[int]  # epoch seconds
    updated: array[int]  # epoch seconds

    def copy(self) -> Dataset:
        """An independent copy (the admin API mutates the live one; reset restores the seed)."""
        return Dataset(
            uuids=list(self.uuids),
            family=array("B", self.family),
            categories=array("L", self.categories),
            enabled=bytearray(self.enabled),
            created=array("q", self.created),
            updated=array("q", self.updated),
        )


# How generated `updated` dates are spread (see `generate_dataset`).
DATE_PROFILES: Final[tuple[str, ...]] = ("even", "bulk-import")
# bulk-import: 25 % saved over the history before one import, 60 % by the import at this rate,
# 15 % over the week after it, which ends at `until_s`.
_IMPORT_RATE: Final = 500
_BEFORE_SHARE: Final = 0.25
_IMPORT_SHARE: Final = 0.60
_AFTER_S: Final = 7 * 86_400


def generate_dataset(count: int, seed: int, until_s: int, history_s: float, profile: str = "even") -> Dataset:
    """`count` products whose UUIDs and filter columns depend only on `seed` and `until_s`.

    The filter columns are read from the random bits of each UUID rather than drawn one by one:
    the UUIDs are random already, and a million products then build in about a second.

    `profile` spreads the `updated` dates: `even` over the whole history (a third never edited
    after creation, the rest skewed towards recent edits); `bulk-import` as a PIM fed by imports
    (25 % over the history before one import job, 60 % saved by that job at 500 products/s, 15 %
    over the week after it, up to `until_s`), which bunches most of the catalog in a few minutes.
    """
    if profile not in DATE_PROFILES:
        raise ValueError(f"unknown date profile {profile!r}; expected one of {', '.join(DATE_PROFILES)}")
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    ints: list[int] = []
    while len(ints) < count:
        ints += [(rng.getrandbits(128) & _UUID_VERSION_MASK) | _UUID_VERSION_BITS for _ in range(count - len(ints))]
        ints.sort()
        # Duplicates are astronomically unlikely; dropping them keeps UUIDs unique regardless.
        ints = [n for i, n in enumerate(ints) if i == 0 or n != ints[i - 1]]
    span = max(int(history_s), 1)
    family = array("B", [n % len(FAMILIES) for n in ints])
    categories = array("L", [_category_bits(n) for n in ints])
    # Bits 8-15: about 92 % of products are enabled.
    enabled = bytearray(1 if (n >> 8) & 0xFF < 236 else 0 for n in ints)
    # Bits 80-127 (no version/variant bits there) place the creation date within the history.
    created = array("q", [until_s - (n >> 80) % span for n in ints])
    if profile == "bulk-import":
        updated = array("q", _bulk_import_dates(ints, count, until_s, span))
        created = array("q", [min(c, u) for c, u in zip(created, updated, strict=True)])
    else:
        updated = array("q", [_updated(n, born, until_s) for n, born in zip(ints, created, strict=True)])
    return Dataset([format_uuid(n) for n in ints], family, categories, enabled, created, updated)


_SHARED: Final = tuple(1 << CATEGORIES.index(c) for c in ("sale", "new_arrivals", "outlet"))
_OWN: Final = tuple(tuple(1 << CATEGORIES.index(c) for c in _FAMILY_CATEGORIES[f]) for f in FAMILIES)
_MASTER: Final = 1 << CATEGORIES.index("master")


def _category_bits(n: int) -> int:
    """Every product is in `master` and one of its family's categories; 15 % in a promotion too."""
    own = _OWN[n % len(FAMILIES)]
    bits = _MASTER | own[(n >> 16) % len(own)]
    if (n >> 24) & 0xFF < 38:
        bits |= _SHARED[(n >> 32) % len(_SHARED)]
    return bits


def _updated(n: int, born: int, until_s: int) -> int:
    """A third never changed after creation; the others skew towards recent edits."""
    if (n >> 40) & 0xFF < 85:
        return born
    # Bits 48-61: independent of the creation date's bits and clear of the variant bits.
    fraction = ((n >> 48) & 0x3FFF) / 0x4000
    return born + int((until_s - born) * fraction**0.5)


def _bulk_import_dates(ints: list[int], count: int, until_s: int, history_s: int) -> list[int]:
    """`updated` seconds of the bulk-import profile, drawn from bits 48-61, 64-75 and 80-99 of each UUID.

    UUID order is independent of these bits, so the import's products are scattered over the
    catalog's UUID order as they are in a PIM (whose pages are sorted by UUID).
    """
    import_end = until_s - _AFTER_S
    import_s = max(1, math.ceil(count * _IMPORT_SHARE / _IMPORT_RATE))
    import_start = import_end - import_s
    dates = []
    for n in ints:
        which = ((n >> 48) & 0x3FFF) / 0x4000
        # Low bits only: the high ones order the UUIDs, and a page (UUID order) must be a random
        # sample of the dates, as in a PIM.
        where = (((n >> 64) & 0xFFF) | ((n >> 80) & 0xFFFFF) << 12) / 2**32
        if which < _BEFORE_SHARE:
            dates.append(import_start - 1 - int(where * (history_s - 1)))
        elif which < _BEFORE_SHARE + _IMPORT_SHARE:
            dates.append(import_start + int(where * import_s))
        else:
            dates.append(import_end + int(where * _AFTER_S))
    return dates


def generate_values(uuid: str, family: str, seed: int) -> Values:
    """The attribute values of one generated product; empty attributes are simply absent.

    Draws exactly what `random.Random(f"{seed}:{uuid}")` with `randrange`, `sample` and `uniform`
    would (the published datasets depend on it), but through `getrandbits` directly: the stdlib
    wrappers cost more than the draws, and this runs for every product served.
    """
    rng = random.Random(f"{seed}:{uuid}")  # noqa: S311 - reproducible data, not secrets
    bits, draw = rng.getrandbits, rng.random
    brand = _BRANDS[_below(bits, 8, 4)]
    nouns = _NOUNS[family]
    noun = nouns[_below(bits, len(nouns), len(nouns).bit_length())]
    adjective = _ADJECTIVES[_below(bits, 8, 4)]
    model = f"{chr(65 + _below(bits, 26, 5))}{10 + _below(bits, 989, 10)}"
    ean = []
    for _ in range(13):
        r = bits(4)
        while r >= 10:
            r = bits(4)
        ean.append(_DIGITS[r])
    values: Values = {
        "sku": "SKU-" + uuid.replace("-", "")[:12].upper(),
        "name": f"{brand.title()} {adjective} {noun} {model}",
        "ean": "".join(ean),
    }
    if draw() < 0.85:
        values["description"] = " ".join(_sample_sentences(bits, 1 + _below(bits, 3, 2)))
    if draw() < 0.95:
        values["brand"] = brand
    if family not in ("books", "laptops") and draw() < 0.8:
        values["color"] = _COLORS[_below(bits, 8, 4)]
    roll = draw()
    if roll < 0.97:
        eur = round(4.0 + (2500.0 - 4.0) * draw(), 2)  # Random.uniform's formula
        prices = []
        if roll < 0.85:
            prices.append({"amount": f"{eur:.2f}", "currency": "EUR"})
        if roll > 0.25:
            prices.append({"amount": f"{eur * 1.08:.2f}", "currency": "USD"})
        values["price"] = prices
    if draw() < 0.9:
        grams = 50 + _below(bits, 39_950, 16)
        kilos = grams >= 1000
        amount = round(grams / 1000, 3) if kilos else grams
        values["weight"] = {"amount": amount, "unit": "KILOGRAM" if kilos else "GRAM"}
    if draw() < 0.9:
        values["image_url"] = f"https://images.example.com/{family}/{uuid}.jpg"
    return values


_DIGITS: Final = "0123456789"


def _below(bits: Callable[[int], int], n: int, k: int) -> int:
    """`Random._randbelow(n)` with `k = n.bit_length()` worked out by the caller."""
    r = bits(k)
    while r >= n:
        r = bits(k)
    return r


def _sample_sentences(bits: Callable[[int], int], count: int) -> list[str]:
    """`Random.sample(_SENTENCES, count)` for a population this small (its pool algorithm)."""
    pool = list(_SENTENCES)
    n = len(pool)
    picked = []
    for i in range(count):
        j = _below(bits, n - i, (n - i).bit_length())
        picked.append(pool[j])
        pool[j] = pool[n - i - 1]
    return picked
