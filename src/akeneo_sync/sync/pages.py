"""One-page-ahead prefetching: page k+1 is fetched while page k is pushed.

A single background thread and a queue of one keep memory bounded to two pages. The prefetched
page is never checkpointed before it is processed, so stopping (or crashing) with a page in hand
loses nothing: the checkpoint still points at it. A next link back to a page already read ends
the iteration with `PimError` (`akeneo.types.check_next_link`) instead of paging forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from akeneo_sync.akeneo.types import Page, check_next_link

__all__ = ["PageFetcher", "PagePrefetcher"]

T = TypeVar("T")

# Fetches the first page (None) or the page at a `_links.next.href` URL.
PageFetcher = Callable[[str | None], Page[T]]


class PagePrefetcher(Generic[T]):
    """Iterates the pages of a list from `start_url` (None: the first page), one page ahead."""

    def __init__(self, fetch: PageFetcher[T], start_url: str | None, *, prefetch: bool = True) -> None:
        self._fetch = fetch
        self._start_url = start_url
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="page-prefetch") if prefetch else None
        self._pending: Future[Page[T]] | None = None

    def __enter__(self) -> PagePrefetcher[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Page[T]]:
        url, read = self._start_url, set[str]()
        page = self._get(url)
        while True:
            if page.next_url is not None:
                check_next_link(page, url, read)
                self._submit(page.next_url)
            yield page
            if page.next_url is None:
                return
            url = page.next_url
            page = self._take(url)

    def close(self) -> None:
        """Drop a page fetched ahead and stop the thread (waits for an in-flight request)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def _get(self, url: str | None) -> Page[T]:
        return self._fetch(url)

    def _submit(self, url: str) -> None:
        if self._executor is not None:
            self._pending = self._executor.submit(self._fetch, url)

    def _take(self, url: str) -> Page[T]:
        if self._pending is None:
            return self._fetch(url)
        pending, self._pending = self._pending, None
        # Re-raises the fetch's own exception (CatalogDisabledError, TokenRevokedError, ...).
        return pending.result()
