"""The one pager of whole lists: the pages its `next_url`s name, in order, each fetched when needed."""

from __future__ import annotations

from akeneo_sync.akeneo.types import Page
from akeneo_sync.sync.pager import follow_pages

PAGES = {
    None: Page(["a", "b"], "https://pim/list?after=b", "https://pim/list"),
    "https://pim/list?after=b": Page(["c"], "https://pim/list?after=c", "https://pim/list?after=b"),
    "https://pim/list?after=c": Page([], None, "https://pim/list?after=c"),
}


def test_it_follows_next_url_until_none_and_fetches_a_page_only_when_its_items_are_wanted() -> None:
    asked: list[str | None] = []

    def fetch(url: str | None) -> Page[str]:
        asked.append(url)
        return PAGES[url]

    items = follow_pages(fetch)
    assert next(items) == "a"
    assert asked == [None]
    assert list(items) == ["b", "c"]
    assert asked == [None, "https://pim/list?after=b", "https://pim/list?after=c"]


def test_a_single_page_list_costs_one_request() -> None:
    asked: list[str | None] = []

    def fetch(url: str | None) -> Page[str]:
        asked.append(url)
        return Page(["only"], None, "https://pim/list")

    assert list(follow_pages(fetch)) == ["only"]
    assert asked == [None]
