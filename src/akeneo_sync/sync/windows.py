"""Several cursors for one full run: disjoint `updated` windows, planned by count, paged at once.

Akeneo pages a catalog with one `search_after` cursor whose next URL is only known once the
current page has arrived, so one cursor never has more than one request in flight: at 50 ms a
call it cannot pass 2,000 products/s, a quarter of what fair use allows (4 calls in flight per
token). The cursor is opaque (akeneo-api.md §3.4: never build it), but the `updated_after` /
`updated_before` filters are documented, so a full run is split into windows of `updated`
seconds, each paged by its own cursor, all through the fleet-wide fair-use limiter.

Planning uses `product-uuids?with_count=true&limit=1` (one request per count): a ladder of ages
back from the run's start, then big windows split evenly until each holds about
`total / parts` products, then adjacent small ones merged. A PIM that gives no count gets one
cursor, as before.

Bounds: window [lo, hi) is asked as `updated_after = lo - 1`, `updated_before = hi`. The docs do
not say whether the bounds are inclusive (akeneo-api.md §3.5, GAP). Exclusive (the emulator):
the windows partition whole seconds exactly. Inclusive: neighbours overlap by two seconds, which
only fetches a few products twice; the second copy is skipped by its digest. Either way no
second is left out.

Products edited during the run move to the tail window `[start, ∞)`, which is paged only once
every other window has been fetched to its end, so each product is seen by some cursor and the
deletion diff after the run never deletes a product that is still in the catalog. The engine
opens the tail a little before the run's start (its watermark overlap), so a PIM clock running
behind ours still dates a mid-run edit into it.
"""

from __future__ import annotations

import itertools
import math
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from akeneo_sync.akeneo.types import Page
from akeneo_sync.state import Window

__all__ = ["CountFn", "WindowPager", "WindowPlan", "plan_windows"]

T = TypeVar("T")

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


# Fetches a window's first page (url None) or the page at `url`.
WindowFetch = Callable[[Window, str | None], Page[T]]


@dataclass(frozen=True, slots=True)
class _Fetched(Generic[T]):
    index: int
    page: Page[T] | None
    error: BaseException | None = None


_DONE: Final = object()


class WindowPager(Generic[T]):
    """Pages every unfinished window with `cursors` threads; yields (window index, page).

    A window's pages arrive in order; windows interleave. At most `cursors` pages wait to be
    processed, so memory stays bounded whatever the catalog's size. The tail window is handed out
    only when every other window has fetched its last page. A fetch error stops the cursors and
    is raised from the iteration; closing waits for the requests in flight.
    """

    def __init__(self, fetch: WindowFetch[T], windows: Sequence[Window], *, cursors: int) -> None:
        self._fetch = fetch
        self._windows = list(windows)
        self._cursors = max(1, cursors)
        self._out: queue.Queue[_Fetched[T] | object] = queue.Queue(maxsize=self._cursors)
        self._stop = threading.Event()
        self._failed = threading.Event()
        self._turn = threading.Condition()
        self._todo = [i for i, w in enumerate(self._windows) if not w.done and not w.tail]
        self._tails = [i for i, w in enumerate(self._windows) if not w.done and w.tail]
        self._body_open = len(self._todo)  # body windows not yet fetched to their last page
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> WindowPager[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[tuple[int, Page[T]]]:
        self._threads = [
            threading.Thread(target=self._cursor, name=f"window-cursor-{n}", daemon=True)
            for n in range(min(self._cursors, len(self._todo) + len(self._tails)))
        ]
        for thread in self._threads:
            thread.start()
        finished = 0
        while finished < len(self._threads):
            item = self._out.get()
            if item is _DONE:
                finished += 1
                continue
            assert isinstance(item, _Fetched)
            if item.error is not None:
                self.close()
                raise item.error
            assert item.page is not None
            yield item.index, item.page

    def close(self) -> None:
        """Stop the cursors and drop pages not yet taken (they are fetched again on resume)."""
        self._stop.set()
        with self._turn:
            self._turn.notify_all()
        for thread in self._threads:
            while thread.is_alive():
                self._drain()
                thread.join(timeout=0.05)
        self._drain()

    def _drain(self) -> None:
        try:
            while True:
                self._out.get_nowait()
        except queue.Empty:
            pass

    def _next_window(self) -> int | None:
        """The next window to page; waits while only the tail is left and the body is still open."""
        with self._turn:
            while not self._stop.is_set():
                if self._todo:
                    return self._todo.pop(0)
                if not self._tails:
                    return None
                if self._body_open == 0:
                    return self._tails.pop(0)
                self._turn.wait()
        return None

    def _window_fetched(self, window: Window) -> None:
        if not window.tail:
            with self._turn:
                self._body_open -= 1
                self._turn.notify_all()

    def _cursor(self) -> None:
        try:
            while (index := self._next_window()) is not None:
                window = self._windows[index]
                url = window.next_url
                while True:
                    if self._failed.is_set():
                        return  # another cursor failed: the run is ending, send nothing more
                    try:
                        page = self._fetch(window, url)
                    except BaseException as exc:  # handed to the consumer, which re-raises it
                        self._failed.set()
                        self._put(_Fetched(index, None, exc))
                        return
                    if not self._put(_Fetched(index, page)):
                        return
                    if page.next_url is None:
                        break
                    url = page.next_url
                self._window_fetched(window)
        finally:
            self._put(_DONE)

    def _put(self, item: _Fetched[T] | object) -> bool:
        """Hand an item to the consumer; False once the pager is closed."""
        while not self._stop.is_set():
            try:
                self._out.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
