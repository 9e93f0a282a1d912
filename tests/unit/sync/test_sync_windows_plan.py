"""Planning `updated` windows from counts, and paging them with several cursors."""

from __future__ import annotations

import bisect
import itertools
import random
import threading
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akeneo_sync.akeneo.types import Page
from akeneo_sync.errors import CatalogDisabledError, PimError
from akeneo_sync.state import Window
from akeneo_sync.sync.windows import WindowPager, plan_windows

START = 1_780_000_000


class Catalog:
    """`updated` seconds of a catalog's products, counted the way the PIM filters them."""

    def __init__(self, updated: Sequence[int]) -> None:
        self.updated = sorted(updated)
        self.requests = 0
        self._lock = threading.Lock()

    def count(self, lo: int | None, hi: int | None) -> int:
        with self._lock:
            self.requests += 1
        first = 0 if lo is None else bisect.bisect_left(self.updated, lo)
        last = len(self.updated) if hi is None else bisect.bisect_left(self.updated, hi)
        return max(0, last - first)


def _covers_everything_once(windows: Sequence[Window]) -> None:
    body = sorted((w for w in windows if not w.tail), key=lambda w: (w.lo is not None, w.lo or 0))
    assert body[0].lo is None, "the oldest window is open-ended"
    for before, after in itertools.pairwise(body):
        assert before.hi == after.lo, "windows leave no gap and do not overlap"
    assert body[-1].hi == START
    assert windows[-1].tail
    assert (windows[-1].lo, windows[-1].hi) == (START, None)


def test_a_catalog_spread_over_two_years_gets_even_windows() -> None:
    rng = random.Random(3)
    catalog = Catalog([START - rng.randrange(2 * 365 * 86_400) for _ in range(50_000)])

    plan = plan_windows(catalog.count, start=START, parts=16, min_products=1000)

    assert plan is not None
    _covers_everything_once(plan.windows)
    sizes = [catalog.count(w.lo, w.hi) for w in plan.windows if not w.tail]
    assert sum(sizes) == plan.total == 50_000
    assert max(sizes) <= 50_000 / 16 * 1.5, sizes
    assert len(sizes) <= 48
    planned = [w.planned for w in plan.windows if not w.tail]
    # Counted, or for the last split an even share of a counted window: close to the truth.
    assert abs(sum(planned) - 50_000) < len(planned)
    assert all(abs(p - n) <= 50_000 / 16 * 0.5 for p, n in zip(planned, sizes, strict=True))
    assert planned == sorted(planned, reverse=True), "the biggest windows are paged first"
    assert max(sizes[-8:]) <= 50_000 / 16 / 2, "the windows paged last are small, so no cursor idles long"
    assert plan.requests <= 30


def test_products_all_updated_in_one_second_stay_in_one_window() -> None:
    # An import dates every product the same second: no split can divide it, and none is lost.
    catalog = Catalog([START - 86_400] * 5000 + [START - 10] * 100)

    plan = plan_windows(catalog.count, start=START, parts=16, min_products=1000)

    assert plan is not None
    _covers_everything_once(plan.windows)
    sizes = [catalog.count(w.lo, w.hi) for w in plan.windows if not w.tail]
    assert max(sizes) == 5000
    assert sum(sizes) == 5100


def test_small_catalogs_and_pims_without_counts_get_one_cursor() -> None:
    small = Catalog([START - 5] * 999)
    assert plan_windows(small.count, start=START, parts=16, min_products=1000) is None
    assert small.requests == 1, "one count decides it"
    assert plan_windows(lambda lo, hi: None, start=START, parts=16, min_products=1) is None


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=START - 40 * 365 * 86_400, max_value=START - 1), min_size=1, max_size=3000),
    st.integers(min_value=2, max_value=32),
)
def test_any_plan_partitions_the_seconds_before_the_start(updated: list[int], parts: int) -> None:
    catalog = Catalog(updated)

    plan = plan_windows(catalog.count, start=START, parts=parts, min_products=1)

    assert plan is not None
    _covers_everything_once(plan.windows)
    assert sum(catalog.count(w.lo, w.hi) for w in plan.windows) == len(updated)


def _pages(window: Window, url: str | None, per_window: int) -> Page[str]:
    n = 0 if url is None else int(url.rsplit("=", 1)[1])
    name = f"{window.lo}"
    more = n + 1 < per_window
    return Page(items=[f"{name}:{n}"], next_url=f"http://pim/{name}?page={n + 1}" if more else None, url=url or "")


def test_the_pager_yields_each_window_in_order_and_the_tail_after_every_other_window() -> None:
    windows = [Window(lo=i, hi=i + 1) for i in range(6)] + [Window(lo=100, hi=None, tail=True)]
    fetched: list[str] = []
    lock = threading.Lock()

    def fetch(window: Window, url: str | None) -> Page[str]:
        page = _pages(window, url, per_window=5)
        with lock:
            fetched.extend(page.items)
        return page

    with WindowPager(fetch, windows, cursors=3) as pager:
        seen = [(index, page.items[0]) for index, page, _ in pager]

    assert len(seen) == 35
    for index in range(7):
        mine = [item for i, item in seen if i == index]
        assert mine == [f"{windows[index].lo}:{n}" for n in range(5)]
    first_tail_fetch = fetched.index("100:0")
    assert all(item.startswith("100:") for item in fetched[first_tail_fetch:])


def test_the_pager_resumes_started_windows_and_skips_done_ones() -> None:
    windows = [
        Window(lo=0, hi=1, done=True, started=True),
        Window(lo=1, hi=2, started=True, next_url="http://pim/1?page=3"),
        Window(lo=100, hi=None, tail=True),
    ]
    with WindowPager(lambda w, u: _pages(w, u, per_window=5), windows, cursors=4) as pager:
        seen = [page.items[0] for _, page, _ in pager]

    assert seen == ["1:3", "1:4", "100:0", "100:1", "100:2", "100:3", "100:4"]


def test_a_window_whose_next_link_loops_back_is_refused_instead_of_paged_forever() -> None:
    # Window 1's second page links back to its first: without the check its cursor never ends.
    windows = [Window(lo=0, hi=1), Window(lo=1, hi=2)]

    def fetch(window: Window, url: str | None) -> Page[str]:
        if window.lo == 1 and url == "http://pim/1?page=1":
            return Page(items=["1:1"], next_url="http://pim/1?page=0", url=url)
        if window.lo == 1 and url is None:
            return Page(items=["1:0"], next_url="http://pim/1?page=1", url="http://pim/1?page=0")
        return _pages(window, url, per_window=2)

    with pytest.raises(PimError, match="already read"), WindowPager(fetch, windows, cursors=2) as pager:
        for _ in pager:
            pass


def test_a_fetch_error_is_raised_and_every_cursor_stops() -> None:
    windows = [Window(lo=i, hi=i + 1) for i in range(8)]
    calls = 0
    lock = threading.Lock()

    def fetch(window: Window, url: str | None) -> Page[str]:
        nonlocal calls
        with lock:
            calls += 1
            if calls == 10:
                raise CatalogDisabledError("disabled in the PIM")
        return _pages(window, url, per_window=1000)

    pager = WindowPager(fetch, windows, cursors=4)
    with pytest.raises(CatalogDisabledError), pager:
        for _ in pager:
            pass
    stopped_at = calls
    assert not any(thread.is_alive() for thread in threading.enumerate() if thread.name.startswith("window-cursor"))
    assert calls == stopped_at
