"""The cursors of a windowed full run: every window paged at once, busy ones split when a cursor runs dry.

Akeneo's cursor is opaque and sorted by UUID, so the only documented way to have several calls
in flight is to page disjoint `updated` windows at once. How the catalog's products spread over
`updated` is unknown without a count (a real PIM gives none) and often bunched (one import saves
most of a catalog within minutes), so windows are not planned ahead: when a cursor runs dry, a
window that is still busy is split in time where its cursor stands. Every piece continues from
the `search_after` the PIM gave that cursor (its next link, with the piece's bounds), so nothing
it fetched is fetched again and nothing after it is skipped: the pieces partition the window's
seconds, and the products after that UUID in each piece are exactly the window's rest.

Where to cut (sample quantiles, else a ladder of ages or even parts) is sync/cuts.py's. One
piece more than the idle cursors is kept ready, so a cursor that finishes a window does not wait
for a busy window's next page. The tail window (after the run's start) is handed out only once
every other window is fetched to its end, so a product edited during the run is seen by some
cursor.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

from akeneo_sync.akeneo.types import Page, check_next_link
from akeneo_sync.state import Window
from akeneo_sync.sync.bounds import Bounds, cursor_position
from akeneo_sync.sync.cuts import cut_points, cuttable, inside, within

__all__ = ["Split", "SplitPolicy", "WindowFetch", "WindowPager"]

T = TypeVar("T")

# Fetches a window's first page (url None) or the page at `url`.
WindowFetch = Callable[[Window, str | None], Page[T]]

# Pieces kept ready beyond the idle cursors (see `_demand`).
_RESERVE: Final = 1


@dataclass(frozen=True, slots=True)
class SplitPolicy:
    """When busy windows are split (see the module docstring).

    `min_products`: no split while the catalog looks smaller (one cursor is enough, and its
    pieces would cost requests). `min_remaining`: a window with fewer products left is left
    whole. `sample(lo, hi)` returns the `updated` seconds of one page of the window's products
    (one request; pages are in UUID order, so it is a random sample of the window's dates): a
    window with at least `sample_min_remaining` products left is sampled once and cut at the
    sample's quantiles, so its pieces hold about as many products each however bunched the
    dates are; its pieces inherit their share of the sample for later cuts. Without a sample, a
    window is cut evenly in time. `probe(s)` asks for second `s` with both bounds equal and says
    whether the PIM answered a product (proof of inclusive bounds, sync/bounds.py); it is sent
    for a sampled second (where a product was), at most `max_probes` times.
    """

    bounds: Bounds
    min_products: int = 2000
    min_remaining: int = 300
    probe: Callable[[int], bool] | None = None
    max_probes: int = 2
    sample: Callable[[int | None, int | None], list[int]] | None = None
    sample_min_remaining: int = 1000


@dataclass(slots=True)
class _Live:
    """The pager's view of one window: where its cursor stands and what it brought since `origin`."""

    window: Window
    url: str | None
    origin: float | None
    position: float | None = None
    fetched: int = 0
    more: bool = True
    finished: bool = False
    sample: list[int] | None = None  # sorted `updated` seconds of some of its products

    def span(self) -> float | None:
        if self.position is None or self.origin is None or self.fetched == 0:
            return None
        span = self.position - self.origin
        return span if span > 0 else None

    def remaining(self) -> float | None:
        """Estimated products left: those brought per unit of UUID space times the space left."""
        span = self.span()
        if span is None or self.position is None or not self.more:
            return None
        return self.fetched * (1.0 - self.position) / span


@dataclass(frozen=True, slots=True)
class Split:
    """Window `index` was cut: `pieces[0]` replaces it, the others are appended at `first_new` on."""

    pieces: tuple[Window, ...]
    first_new: int


@dataclass(frozen=True, slots=True)
class _Fetched(Generic[T]):
    index: int
    page: Page[T] | None
    error: BaseException | None = None
    split: Split | None = None


_DONE: Final = object()


@dataclass(slots=True)
class _Counts:
    idle: int = 0  # cursors waiting for work
    hidden: int = 0  # pieces cut but not yet handed out
    fetched: int = 0  # products fetched by this pager
    probes: int = 0
    busy: set[int] = field(default_factory=set)


class WindowPager(Generic[T]):
    """Pages every unfinished window with `cursors` threads; yields (window index, page, split).

    A window's pages arrive in order; windows interleave. A page that carries a `Split` is
    yielded before any page of its new pieces, and the pieces' indices follow the windows
    already known in the order yielded, so the consumer can record them in its checkpoint. At
    most `cursors` pages wait to be processed, so memory stays bounded whatever the catalog's
    size. A fetch error stops the cursors and is raised from the iteration; closing waits for
    the requests in flight. Without a `split` policy, windows are paged as given.
    """

    def __init__(
        self,
        fetch: WindowFetch[T],
        windows: Sequence[Window],
        *,
        cursors: int,
        split: SplitPolicy | None = None,
        samples: Sequence[Sequence[int] | None] = (),
        probes: int = 0,
    ) -> None:
        self._fetch = fetch
        self._policy = split
        self._lives = [
            _Live(w, w.next_url, None if w.done else (cursor_position(w.next_url) if w.next_url else 0.0))
            for w in windows
        ]
        # Dates the plan already sampled (per window), and bound probes it already sent.
        for live, sample in zip(self._lives, samples, strict=False):
            live.sample = None if sample is None else sorted(d for d in sample if inside(d, live.window))
        self._cursors = max(1, cursors)
        self._out: queue.Queue[_Fetched[T] | object] = queue.Queue(maxsize=self._cursors)
        self._stop = threading.Event()
        self._failed = threading.Event()
        self._turn = threading.Condition()
        # Held from cutting a window to handing its page over, so pieces are yielded in index order.
        self._publish = threading.Lock()
        self._todo = [i for i, w in enumerate(windows) if not w.done and not w.tail]
        self._tails = [i for i, w in enumerate(windows) if not w.done and w.tail]
        self._body_open = len(self._todo)  # body windows not yet fetched to their last page
        self._counts = _Counts(probes=probes)
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> WindowPager[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[tuple[int, Page[T], Split | None]]:
        work = len(self._todo) + len(self._tails)
        # With splitting, idle cursors are what asks for splits: start them all.
        threads = self._cursors if self._policy is not None and work else min(self._cursors, work)
        self._threads = [
            threading.Thread(target=self._cursor, name=f"window-cursor-{n}", daemon=True) for n in range(threads)
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
            yield item.index, item.page, item.split

    @property
    def probes(self) -> int:
        """Bound probes sent so far (with the plan's)."""
        return self._counts.probes

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

    # -- handing out work ---------------------------------------------------------------------

    def _next_window(self) -> int | None:
        """The next window to page; waits while busy windows may still be split or end the body."""
        with self._turn:
            self._counts.idle += 1
            try:
                while not self._stop.is_set():
                    if self._todo:
                        index = self._todo.pop(0)
                        self._counts.busy.add(index)
                        return index
                    if self._body_open == 0:
                        if not self._tails:
                            return None
                        return self._tails.pop(0)
                    self._turn.wait()
            finally:
                self._counts.idle -= 1
        return None

    def _window_fetched(self, index: int) -> None:
        with self._turn:
            live = self._lives[index]
            live.finished = True
            self._counts.busy.discard(index)
            if not live.window.tail:
                self._body_open -= 1
            self._turn.notify_all()

    def _cursor(self) -> None:
        try:
            while (index := self._next_window()) is not None:
                read: set[str] = set()  # this window's pages, so a looping next link is refused
                while True:
                    live = self._lives[index]
                    if self._failed.is_set():
                        return  # another cursor failed: the run is ending, send nothing more
                    try:
                        url = live.url
                        page = self._fetch(live.window, url)
                        if page.next_url is not None:
                            check_next_link(page, url, read)
                        self._prepare_cut(index, page)
                    except BaseException as exc:  # handed to the consumer, which re-raises it
                        self._failed.set()
                        self._put(_Fetched(index, None, exc))
                        return
                    if not self._hand_over(index, page):
                        return
                    if page.next_url is None:
                        break
                self._window_fetched(index)
        finally:
            self._put(_DONE)

    def _hand_over(self, index: int, page: Page[T]) -> bool:
        """Record the page, cut its window if cursors wait, and hand it to the consumer."""
        with self._publish:
            with self._turn:
                live = self._lives[index]
                live.fetched += len(page.items)
                self._counts.fetched += len(page.items)
                live.more = page.next_url is not None
                live.position = cursor_position(page.next_url) if page.next_url else live.position
                split = self._cut(index, page.next_url) if page.next_url else None
                live.url = page.next_url if split is None else split.pieces[0].next_url
            if not self._put(_Fetched(index, page, split=split)):
                return False
            if split is not None:
                with self._turn:
                    new = list(range(split.first_new, split.first_new + len(split.pieces) - 1))
                    self._todo[:0] = new
                    self._body_open += len(new)
                    self._counts.hidden -= len(new)
                    self._turn.notify_all()
        return True

    # -- splitting ----------------------------------------------------------------------------

    def _demand(self) -> int:
        # One piece more than the idle cursors: the next cursor to finish a window finds work
        # at once instead of waiting for a busy window's next page.
        return self._counts.idle + _RESERVE - len(self._todo) - self._counts.hidden

    def _catalog_estimate(self) -> float:
        rest = (self._lives[i].remaining() for i in self._counts.busy)
        return self._counts.fetched + sum(r for r in rest if r is not None)

    def _cut(self, index: int, next_url: str) -> Split | None:
        """Cut window `index` into pieces continuing from `next_url`, if a cursor waits (under `_turn`)."""
        policy, live = self._policy, self._lives[index]
        window = live.window
        if policy is None or window.tail or window.hi is None or self._demand() <= 0:
            return None
        remaining = live.remaining()
        if remaining is None or remaining < policy.min_remaining:
            return None
        if self._catalog_estimate() < policy.min_products:
            return None
        # Leave a window far smaller than the busiest that can be cut: that one is cut on its next page.
        others = (self._lives[i] for i in self._counts.busy if i != index)
        if remaining < 0.5 * max((r for o in others if cuttable(o.window) and (r := o.remaining())), default=0.0):
            return None
        cuts = cut_points(window.lo, window.hi, self._demand() + 1, live.sample)
        if cuts is None:
            return None
        bounds = policy.bounds
        planned = int(remaining / (len(cuts) - 1))
        pieces = tuple(
            window.evolve(lo=a, hi=b, next_url=bounds.rebound(next_url, a, b), started=True, planned=planned)
            for a, b in itertools.pairwise(cuts)
        )
        position = cursor_position(next_url)
        samples = [within(live.sample, piece) for piece in pieces]
        live.window, live.origin, live.fetched, live.sample = pieces[0], position, 0, samples[0]
        first_new = len(self._lives)
        self._lives += [
            _Live(piece, piece.next_url, position, sample=sample)
            for piece, sample in zip(pieces[1:], samples[1:], strict=True)
        ]
        self._counts.hidden += len(pieces) - 1
        return Split(pieces, first_new)

    def _prepare_cut(self, index: int, page: Page[T]) -> None:
        """Before a big window is cut: sample its dates, and prove the bounds inclusive if they are.

        Runs in the cursor's thread outside the locks (each is one request); the cut itself is
        decided when the page is handed over.
        """
        policy, live = self._policy, self._lives[index]
        window = live.window
        if policy is None or policy.sample is None or page.next_url is None or not cuttable(window):
            return
        with self._turn:
            if live.sample is not None or self._demand() <= 0:
                return
            # Counting the page just fetched (not yet recorded), as the cut will.
            position = cursor_position(page.next_url)
            span = None if position is None or live.origin is None else position - live.origin
            if position is None or span is None or span <= 0:
                return
            remaining = (live.fetched + len(page.items)) * (1.0 - position) / span
            if remaining < policy.sample_min_remaining:
                return
            if max(self._catalog_estimate(), self._counts.fetched + remaining) < policy.min_products:
                return
        dates = sorted(d for d in policy.sample(window.lo, window.hi) if inside(d, window))
        with self._turn:
            live.sample = dates
        if dates and policy.probe is not None and not policy.bounds.inclusive:
            with self._turn:
                if self._counts.probes >= policy.max_probes:
                    return
                self._counts.probes += 1
            # The median second holds a product: an inclusive BETWEEN on it answers at least that one.
            if policy.probe(dates[len(dates) // 2]):
                policy.bounds.prove_inclusive()

    def _put(self, item: _Fetched[T] | object) -> bool:
        """Hand an item to the consumer; False once the pager is closed."""
        while not self._stop.is_set():
            try:
                self._out.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
