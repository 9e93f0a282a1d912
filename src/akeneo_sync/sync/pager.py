"""One pager for the lists the sync reads whole: follow `next_url` until there is none."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from akeneo_sync.sync.pages import PageFetcher

__all__ = ["follow_pages"]

T = TypeVar("T")


def follow_pages(fetch: PageFetcher[T]) -> Iterator[T]:
    """Every item of a list in order: the first page (`fetch(None)`), then each page its `next_url` names.

    Lazy: a page is fetched when the items before it have been taken.
    """
    url: str | None = None
    while True:
        page = fetch(url)
        yield from page.items
        if page.next_url is None:
            return
        url = page.next_url
