"""Several cursors for one full run: the first windows of a run, planned by count when the PIM gives one.

Akeneo pages a catalog with one `search_after` cursor whose next URL is only known once the
current page has arrived, so one cursor never has more than one request in flight: at 50 ms a
call it cannot pass 2,000 products/s, a quarter of what fair use allows (4 calls in flight per
token). The cursor is opaque (Akeneo: never build it), but the `updated_after` /
`updated_before` filters are documented, so a full run is split into windows of `updated`
seconds, each paged by its own cursor, all through the fleet-wide fair-use limiter.

A real PIM gives no count (Akeneo's product-uuids ignores `with_count`), so a run normally
starts from `sampled_windows`: one page of standard-format products (UUID order, so a random
sample of the catalog's `updated` dates) cuts the past at its quantiles into one window per
cursor and one more, and the cursors split busy windows while they page (`cursors.py`). When the
engine is told the PIM counts (`EngineOptions.count_plan`, for the emulator's opt-in), planning
uses `product-uuids?with_count=true&limit=1` (one request per count): a ladder of ages back from
the run's start, then big windows split evenly until each holds about `total / parts` products,
then adjacent small ones merged; the cursors still split what turns out busy.

Bounds: how a window [lo, hi) is asked is `bounds.py`'s (exact under a strict and an inclusive
reading of the two bounds; a count may include two extra seconds, which only skews the plan).

Products edited during the run move to the tail window `[start, ∞)`, which is paged only once
every other window has been fetched to its end, so each product is seen by some cursor and the
deletion diff after the run never deletes a product that is still in the catalog. The engine
opens the tail a little before the run's start (its watermark overlap), so a PIM clock running
behind ours still dates a mid-run edit into it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

from akeneo_sync.state import Window
from akeneo_sync.sync.cursors import WindowPager
from akeneo_sync.sync.cuts import cut_points

__all__ = ["CountFn", "WindowPager", "WindowPlan", "plan_windows", "sampled_windows", "unplanned_windows"]

# Counts the products in [lo, hi) (None: unbounded); None when the PIM gives no count.
CountFn = Callable[[int | None, int | None], int | None]

# Ages of the ladder's edges back from the run's start: 16 minutes, then x16 up to ~32 years.
_LADDER_BASE_S: Final = 60
_LADDER_FACTOR: Final = 16
_LADDER_STEPS: Final = 7
# The counted round aims at windows this many times the target; the even, uncounted split that
# follows finishes the job. Fewer counts, fewer rounds of requests before the first page.
_COUNTED_COARSENESS: Final = 2
# A window is split only above this multiple of the target size: one up to 1.5x the target pages a
# little longer, which costs less than the count requests of another planning round.
_SPLIT_ABOVE: Final = 1.5
# The windows paged last are cut into this many pieces (see `_graduate`).
_TAIL_SPLIT: Final = 4
# A big window is split into at most this many parts per planning round.
_MAX_SPLIT: Final = 16


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """The windows of a run (tail last) and the count requests the plan cost."""

    windows: tuple[Window, ...]
    total: int
    requests: int


def plan_windows(
    count: CountFn,
    *,
    start: int,
    parts: int,
    min_products: int,
    concurrency: int = 4,
) -> WindowPlan | None:
    """Split [-inf, start) into about `parts` windows of even counts; None for one cursor.

    None when the PIM gives no count or the catalog has fewer than `min_products` products (a
    plan would cost more requests than the cursors save).
    """
    if parts <= 1:
        return None
    counter = _Counter(count, concurrency)
    # Rungs of the ladder, oldest first: [-inf, 32 y), [32 y, 2 y), ... [16 min, start).
    edges = [start - _LADDER_BASE_S * _LADDER_FACTOR**k for k in range(1, _LADDER_STEPS)]
    spans: list[tuple[int | None, int | None]] = [(None, edges[-1])]
    spans += [(lo, hi) for hi, lo in itertools.pairwise(edges)][::-1]
    spans.append((edges[0], start))
    # The total first, alone: most catalogs of a fleet are small, and one request settles them.
    # (Sending it with the newest rungs saves a round on a big catalog, but costs every small
    # one three more requests in a burst of four.)
    total = counter.one(None, start)
    if total is None or total < min_products:
        return None
    target = max(1, math.ceil(total / parts))
    rest = counter.many(spans)
    if rest is None:
        return None
    # One counted round splits the big rungs of the ladder; pieces still too big are then split
    # evenly without counting (narrow by now, so even in time is close to even in products), so
    # a plan costs about five rounds of requests, not one per level.
    refined = _split(counter, rest, target * _COUNTED_COARSENESS)
    if refined is None:
        return None
    pieces = [
        (a, b, n // (len(cuts) - 1))
        for lo, hi, n in refined
        for cuts in [_cuts(lo, hi, n, target) or [lo, hi]]
        for a, b in itertools.pairwise(cuts)
    ]
    ordered = _graduate(sorted(_merge(pieces, target), key=lambda w: -w.planned), concurrency, target)
    tail = Window(lo=start, hi=None, tail=True)
    return WindowPlan(windows=(*ordered, tail), total=total, requests=counter.requests)


def unplanned_windows(start: int) -> tuple[Window, ...]:
    """The windows of a run planned without a count: the past before `start`, then the tail."""
    return (Window(lo=None, hi=start), Window(lo=start, hi=None, tail=True))


def sampled_windows(start: int, dates: Sequence[int], pieces: int) -> tuple[Window, ...]:
    """The past before `start` cut at the quantiles of a sample of its `updated` dates, then the tail.

    A page of products comes in UUID order, so its dates are a random sample of the catalog's:
    the pieces hold about as many products each, however bunched the dates are.
    """
    inside = sorted(d for d in dates if d < start)
    cuts = cut_points(None, start, pieces, inside) if len(inside) >= 2 * pieces else None
    if cuts is None or len(cuts) < 3 or (cuts[1] is None and len(cuts) == 2):
        return unplanned_windows(start)
    body = tuple(Window(lo=a, hi=b) for a, b in itertools.pairwise(cuts))
    return (*body, Window(lo=start, hi=None, tail=True))


def _graduate(windows: list[Window], cursors: int, target: int) -> list[Window]:
    """Cut the windows paged last ever smaller, so the cursors run out of work at about the same time.

    Biggest first, then quarters, then eighths: the last window a cursor takes is short, so the
    others do not idle for long while it finishes (guided scheduling; cuts cost no request).
    """
    pieces = _cut_last(windows, 2 * cursors, _TAIL_SPLIT, min_planned=target // 2)
    return _cut_last(pieces, cursors, 2, min_planned=target // 8)


def _cut_last(windows: list[Window], count: int, parts: int, *, min_planned: int) -> list[Window]:
    last = windows[-count:] if len(windows) > count else windows
    first = windows[: len(windows) - len(last)]
    pieces: list[Window] = []
    for window in last:
        lo, hi = window.lo, window.hi
        # A window already small costs a request per piece and gains nothing from the cut.
        if lo is None or hi is None or hi - lo < parts or window.planned < min_planned:
            pieces.append(window)
            continue
        cuts = [lo + (hi - lo) * i // parts for i in range(parts + 1)]
        pieces += [Window(lo=a, hi=b, planned=window.planned // parts) for a, b in itertools.pairwise(cuts)]
    return first + sorted(pieces, key=lambda w: -w.planned)


def _split(counter: _Counter, sized: Sequence[_Sized], target: int) -> list[_Sized] | None:
    """Split every window above the target into counted, even-in-time pieces."""
    cuts = {i: c for i, (lo, hi, n) in enumerate(sized) if (c := _cuts(lo, hi, n, target))}
    if not cuts:
        return list(sized)
    parents = [i for i, c in cuts.items() for _ in itertools.pairwise(c)]
    counted = counter.many([piece for c in cuts.values() for piece in itertools.pairwise(c)])
    if counted is None:
        return None
    children: dict[int, list[_Sized]] = {}
    for parent, piece in zip(parents, counted, strict=True):
        children.setdefault(parent, []).append(piece)
    return [piece for i, item in enumerate(sized) for piece in children.get(i, [item])]


def _cuts(lo: int | None, hi: int | None, n: int, target: int) -> list[int | None]:
    """Where to split a window holding `n` products into even parts; [] when it stays whole."""
    if n <= target * _SPLIT_ABOVE or lo is None or hi is None or hi - lo < 2:
        return []
    splits = min(_MAX_SPLIT, round(n / target), hi - lo)
    return [lo + (hi - lo) * i // splits for i in range(splits + 1)]


_Sized = tuple[int | None, int | None, int]


def _merge(sized: Sequence[_Sized], target: int) -> list[Window]:
    """Merge neighbours (in time order) while their sum stays within `target`; keep empty ones merged too."""
    merged: list[Window] = []
    for lo, hi, n in sized:
        if merged and merged[-1].hi == lo and merged[-1].planned + n <= target:
            last = merged[-1]
            merged[-1] = last.evolve(hi=hi, planned=last.planned + n)
        else:
            merged.append(Window(lo=lo, hi=hi, planned=n))
    return merged


class _Counter:
    """Runs count requests, several at once (they go through the same fair-use limiter)."""

    def __init__(self, count: CountFn, concurrency: int) -> None:
        self._count = count
        self._concurrency = max(1, concurrency)
        self.requests = 0

    def one(self, lo: int | None, hi: int | None) -> int | None:
        self.requests += 1
        return self._count(lo, hi)

    def many(self, spans: Sequence[tuple[int | None, int | None]]) -> list[_Sized] | None:
        self.requests += len(spans)
        with ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="window-count") as pool:
            counts = list(pool.map(lambda span: self._count(*span), spans))
        if any(n is None for n in counts):
            return None
        return [(lo, hi, n) for (lo, hi), n in zip(spans, counts, strict=True) if n is not None]
