"""Where a busy window is cut into pieces (sync/cursors.py splits it; sync/windows.py plans).

Where to cut: at the quantiles of a sample of the window's `updated` dates (one page of
standard-format products, in UUID order so a random sample; the run's plan hands its sample
over, and pieces inherit their share), so the pieces hold about as many products each however
bunched the dates are. Without enough sample, an unbounded window is cut on a ladder of ages
(16 minutes, then x16 up to ~32 years) and a bounded one into even pieces in time, down to
one-second windows; a piece that holds nothing costs one short request and frees its cursor.
"""

from __future__ import annotations

from typing import Final

from akeneo_sync.state import Window

__all__ = ["cut_points", "cuttable", "inside", "within"]

# Ages of the cuts of an unbounded window back from its upper bound: 16 minutes, then x16.
_LADDER_BASE_S: Final = 60
_LADDER_FACTOR: Final = 16
_LADDER_STEPS: Final = 7


def cuttable(window: Window) -> bool:
    """Whether a window can be split: bounded above, not the tail, two seconds wide at least."""
    return not window.tail and window.hi is not None and (window.lo is None or window.hi - window.lo >= 2)


def inside(second: int, window: Window) -> bool:
    """Whether `second` falls in the window's [lo, hi)."""
    return (window.lo is None or second >= window.lo) and (window.hi is None or second < window.hi)


def within(sample: list[int] | None, window: Window) -> list[int] | None:
    """The part of a sample of `updated` seconds inside the window (None: no sample)."""
    return None if sample is None else [d for d in sample if inside(d, window)]


def cut_points(lo: int | None, hi: int, pieces: int, sample: list[int] | None = None) -> list[int | None] | None:
    """Where to cut [lo, hi) into about `pieces`: at the sample's quantiles when it has enough
    distinct seconds, else a ladder of ages when unbounded below, else even parts in time."""
    if sample and len(sample) >= 2 * pieces:
        inner = sorted({sample[len(sample) * i // pieces] for i in range(1, pieces)} - {lo, hi})
        inner = [c for c in inner if (lo is None or c > lo) and c < hi]
        if inner:
            return [lo, *inner, hi]
    if lo is None:
        edges = [hi - _LADDER_BASE_S * _LADDER_FACTOR**k for k in range(_LADDER_STEPS - 1, 0, -1)]
        return [None, *edges, hi]
    parts = min(pieces, hi - lo)
    if parts < 2:
        return None
    return [lo + (hi - lo) * i // parts for i in range(parts + 1)]
