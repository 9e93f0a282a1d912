"""How a window of `updated` seconds is asked of the PIM, and where a cursor stands.

A window is the half-open range [lo, hi) of whole seconds (None: unbounded). Akeneo's docs do
not say how the bounds compare; its code (docs/full-sync.md, "Bounds") reads one bound alone as
strict (`>`, `<`) and both together as a BETWEEN, inclusive at both ends. An older
emulator read both as strict. So, until the run has proof of the inclusive reading:

- one bound: `updated_after = lo - 1` or `updated_before = hi`, exact under both readings;
- both: `(lo - 1, hi)`, exact when strict and two seconds wider when inclusive (the extra
  products are fetched twice and skipped by their digest: nothing is lost).

The proof is a product returned for `updated_after = updated_before = s`: a strict reading can
never return one. From then on both bounds are asked as `(lo, hi - 1)`, exact.

A cursor's next link carries the last UUID of its page as `search_after`; pages are sorted by
UUID and UUIDs are random, so that UUID's place in [0, 1) is how far the cursor has gone through
its window, and the products it brought per unit of UUID space estimate the window's size.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import Final
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from akeneo_sync.akeneo.models import atom
from akeneo_sync.clock import to_utc_datetime

__all__ = ["Bounds", "cursor_position"]

_BOUND_KEYS: Final = ("updated_after", "updated_before")


def _when(epoch_s: int) -> datetime:
    return to_utc_datetime(float(epoch_s))


class Bounds:
    """The run's knowledge of how the PIM compares two bounds; shared by its cursor threads."""

    def __init__(self, *, inclusive: bool = False) -> None:
        self._inclusive = inclusive
        self._lock = threading.Lock()

    @property
    def inclusive(self) -> bool:
        """True once the PIM was seen to read both bounds as an inclusive BETWEEN."""
        return self._inclusive

    def prove_inclusive(self) -> None:
        """Record the proof (a product answered for `updated_after = updated_before`)."""
        with self._lock:
            self._inclusive = True

    def params(self, lo: int | None, hi: int | None) -> tuple[datetime | None, datetime | None]:
        """(`updated_after`, `updated_before`) that ask for the seconds [lo, hi)."""
        if lo is None:
            return None, None if hi is None else _when(hi)
        if hi is None:
            return _when(lo - 1), None
        if self._inclusive:
            return _when(lo), _when(hi - 1)
        return _when(lo - 1), _when(hi)

    def rebound(self, url: str, lo: int | None, hi: int | None) -> str:
        """The PIM's next link `url` with its `updated` bounds replaced by those of [lo, hi).

        Every other parameter (`search_after`, `limit`) is kept byte for byte as the PIM wrote it.
        """
        parts = urlsplit(url)
        kept = [pair for pair in parts.query.split("&") if pair and pair.split("=", 1)[0] not in _BOUND_KEYS]
        after, before = self.params(lo, hi)
        for key, value in zip(_BOUND_KEYS, (after, before), strict=True):
            if value is not None:
                kept.append(f"{key}={quote(atom(value), safe='')}")
        return urlunsplit(parts._replace(query="&".join(kept)))


def cursor_position(url: str | None) -> float | None:
    """Where the cursor of next link `url` stands in UUID order, in [0, 1); None if unknown."""
    if url is None:
        return None
    for pair in urlsplit(url).query.split("&"):
        key, _, value = pair.partition("=")
        if key == "search_after":
            try:
                return uuid.UUID(unquote(value)).int / 2**128
            except ValueError:
                return None  # not a UUID cursor: no estimate, the window is not split
    return None
