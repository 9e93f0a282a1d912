"""The one pager of whole lists (client and sync): the pages the `next_url`s name, in order, when needed."""

from __future__ import annotations

import pytest

from akeneo_sync.akeneo.types import Page, follow_pages
from akeneo_sync.errors import PimError

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


def test_a_next_link_back_to_a_page_already_read_raises_instead_of_looping_forever() -> None:
    # A -> B -> A: no page links to itself, yet the list never ends.
    looping = {
        None: Page(["a"], "https://pim/list?after=a", "https://pim/list"),
        "https://pim/list?after=a": Page(["b"], "https://pim/list", "https://pim/list?after=a"),
        "https://pim/list": Page(["a"], "https://pim/list?after=a", "https://pim/list"),
    }
    asked: list[str | None] = []

    def fetch(url: str | None) -> Page[str]:
        asked.append(url)
        return looping[url]

    with pytest.raises(PimError, match="already read"):
        list(follow_pages(fetch))
    assert asked == [None, "https://pim/list?after=a"]
